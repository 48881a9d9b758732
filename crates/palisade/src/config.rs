//! palisade.toml: one file, every key documented and defaulted.
//!
//! Loading goes through a `toml::Value` so that `--set key.path=value`
//! overrides can be applied to any key before the typed struct is built;
//! `deny_unknown_fields` then makes any unknown key (from the file or from
//! `--set`) an error that names it.

use anyhow::{bail, Context, Result};
use palisade_flow::{DefragConfig, EngineConfig, FlowConfig, StreamConfig};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The whole configuration.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Packet decoding.
    pub decoder: DecoderSection,
    /// Flow table.
    pub flow: FlowConfig,
    /// TCP tracking and reassembly.
    pub stream: StreamConfig,
    /// IP defragmentation.
    pub defrag: DefragConfig,
    /// Outputs.
    pub output: OutputSection,
    /// Worker threads and batching.
    pub runtime: RuntimeSection,
    /// Rule variables (Suricata's address-groups and port-groups in one
    /// table): a name ending in `_PORTS` or `_PORT` is a port group, any
    /// other an address group. Defaults are Suricata's.
    #[serde(default = "default_vars")]
    pub vars: BTreeMap<String, VarValue>,
    /// Rule loading.
    pub rules: RulesSection,
    /// App-layer protocol identification and parsers.
    pub app_layer: AppLayerSection,
    /// Built-in IoT detectors.
    pub detectors: DetectorsSection,
    /// The passive device inventory.
    pub inventory: palisade_fleet::InventoryConfig,
    /// The active default-password audit (`palisade audit`).
    pub audit: AuditSection,
    /// Rolling capture and per-alert packet files (`palisade sensor
    /// --capture-dir`).
    pub capture: CaptureSection,
    /// The Prometheus `/metrics` endpoint (`palisade sensor`).
    pub metrics: MetricsSection,
    /// Live capture on interfaces (`palisade sensor --interface`).
    pub live: LiveSection,
}

/// `[live]`: the AF_PACKET rings of `palisade sensor --interface`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LiveSection {
    /// Bytes of one ring block (KiB; a multiple of the page size).
    pub block_kb: u32,
    /// Blocks per ring (ring size = block_kb x blocks).
    pub blocks: u32,
    /// Milliseconds after which a partly filled block is handed over
    /// (latency at low rates).
    pub block_timeout_ms: u32,
    /// Put the interfaces in promiscuous mode.
    pub promiscuous: bool,
    /// A capture filter (tcpdump expression), compiled with `tcpdump -ddd`
    /// at start (palisade does not link libpcap); "" = none.
    pub bpf: String,
    /// A filter already compiled: a file holding `tcpdump -ddd` output;
    /// "" = none. Takes the place of `bpf` on hosts without tcpdump.
    pub bpf_file: String,
}

impl Default for LiveSection {
    fn default() -> Self {
        LiveSection {
            block_kb: 4096,
            blocks: 16,
            block_timeout_ms: 60,
            promiscuous: true,
            bpf: String::new(),
            bpf_file: String::new(),
        }
    }
}

/// `[metrics]`: the Prometheus endpoint of `palisade sensor`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsSection {
    /// `IP:PORT` to serve `/metrics` on (e.g. "127.0.0.1:9477"); empty =
    /// off. `palisade sensor --metrics-listen` overrides it. Nothing on it
    /// is secret, but it tells who watches what: bind a management
    /// address, not 0.0.0.0, unless a firewall guards the port.
    pub listen: String,
}

/// `[capture]`: the rolling capture and the packets behind every alert.
/// Off unless `dir` (or `--capture-dir`) is set.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CaptureSection {
    /// Directory of the ring files (`ring-NNNNNNNN.pcapng`) and of
    /// `alerts/<flow_id>.pcapng`; empty = no capture.
    pub dir: String,
    /// Size at which a ring file is closed and the next one started (MiB).
    pub file_size_mb: u64,
    /// Ring files kept; the oldest is deleted beyond this.
    pub files: usize,
    /// Memory for the packets kept for per-alert files (MiB).
    pub memcap_mb: u64,
    /// Last packets kept per flow for its alert file (before the alert).
    pub flow_packets: usize,
    /// Most packets in one alert file.
    pub alert_max_packets: u64,
    /// Most bytes of packets in one alert file (MiB).
    pub alert_max_mb: u64,
    /// Size of the alerts directory beyond which its oldest files are
    /// deleted (MiB).
    pub alerts_max_mb: u64,
    /// Flows recorded after their alert at once; an alert beyond this gets
    /// the buffered packets only.
    pub max_recordings: usize,
}

impl Default for CaptureSection {
    fn default() -> Self {
        CaptureSection {
            dir: String::new(),
            file_size_mb: 100,
            files: 10,
            memcap_mb: 64,
            flow_packets: 100,
            alert_max_packets: 10_000,
            alert_max_mb: 16,
            alerts_max_mb: 1024,
            max_recordings: 256,
        }
    }
}

impl CaptureSection {
    /// Checks the limits.
    pub fn validate(&self) -> Result<()> {
        if self.file_size_mb == 0 || self.files == 0 || self.alerts_max_mb == 0 {
            bail!(
                "capture.file_size_mb, capture.files and capture.alerts_max_mb must be at least 1"
            );
        }
        Ok(())
    }
}

/// `[audit]`: `palisade audit`, which logs in to the fleet's own devices
/// with factory-default credentials. Command-line options override these.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AuditSection {
    /// Networks that may be audited (addresses or CIDRs, e.g.
    /// `["192.168.10.0/24"]`). Empty (the default): the networks of
    /// `vars.HOME_NET`. A target outside is refused, never contacted,
    /// unless named with `--allow-target`. Also read from one string
    /// (`--set audit.scope=[10.0.0.0/24,10.0.1.0/24]`).
    #[serde(deserialize_with = "string_or_list")]
    pub scope: Vec<String>,
    /// Services tried (telnet, ssh, http, ftp, mqtt, rtsp, snmp). Empty
    /// (the default): all of them.
    pub services: Vec<String>,
    /// Ports other than the well-known ones, e.g. `{ ssh = 2222 }`
    /// (defaults: telnet 23, ssh 22, http 80, ftp 21, mqtt 1883, rtsp 554,
    /// snmp 161/udp).
    pub ports: BTreeMap<String, u16>,
    /// Credentials tried per service per device (default 10: the most
    /// common defaults; small, so accounts that lock out after a few
    /// failures are not locked).
    pub max_attempts: usize,
    /// (device, service) pairs audited at once (default 16).
    pub concurrency: usize,
    /// Attempts per second per device (default 5); port checks and probes
    /// take a slot too.
    pub rate: f64,
    /// Timeout of each connect, read and write, in seconds (default 5).
    pub timeout_secs: f64,
    /// Lockout or rate-limit answers ("too many", 421, 429) after which a
    /// service is left alone (default 2).
    pub lockout_after: u32,
    /// Path probed for HTTP authentication (default `/`).
    pub http_path: String,
    /// Path of the RTSP DESCRIBE (default `/`).
    pub rtsp_path: String,
    /// Try this vendor's defaults first (substring of the credential
    /// database's vendor names, e.g. `hikvision`); unset: the most common
    /// first (Mirai's list order).
    pub vendor_hint: Option<String>,
}

/// A list given as a TOML array, or as one string of comma-separated
/// items (optionally in brackets), as `--set` passes it unquoted.
fn string_or_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Either::deserialize(d)? {
        Either::Many(v) => v,
        Either::One(s) => s
            .trim()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect(),
    })
}

impl Default for AuditSection {
    fn default() -> Self {
        AuditSection {
            scope: Vec::new(),
            services: Vec::new(),
            ports: BTreeMap::new(),
            max_attempts: 10,
            concurrency: 16,
            rate: 5.0,
            timeout_secs: 5.0,
            lockout_after: 2,
            http_path: "/".into(),
            rtsp_path: "/".into(),
            vendor_hint: None,
        }
    }
}

/// `[detectors]`
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DetectorsSection {
    /// Run the built-in IoT detectors (default credentials, brute force,
    /// scans, floods, ...) over the whole fleet's traffic.
    pub enabled: bool,
    /// Extra default credentials (`vendor,username,password` lines, `#`
    /// comments, `<blank>` for empty) added to the compiled-in database.
    pub credentials_file: Option<PathBuf>,
    /// Salt of the credential fingerprints (a login's secret is kept only
    /// as a salted 64-bit hash, to see one credential shared by many
    /// devices). Set your own per deployment; keep it stable so
    /// fingerprints stay comparable across runs.
    pub credential_salt: String,
    /// `[detectors.default_credentials]`
    pub default_credentials: palisade_detectors::default_creds::DefaultCredsConfig,
    /// `[detectors.cleartext_credentials]`
    pub cleartext_credentials: palisade_detectors::cleartext::CleartextConfig,
    /// `[detectors.brute_force]`
    pub brute_force: palisade_detectors::brute_force::BruteForceConfig,
    /// `[detectors.scan]`
    pub scan: palisade_detectors::scan::ScanConfig,
    /// `[detectors.mirai]`
    pub mirai: palisade_detectors::mirai::MiraiConfig,
    /// `[detectors.ddos]`
    pub ddos: palisade_detectors::ddos::DdosConfig,
    /// `[detectors.weak_tls]`
    pub weak_tls: palisade_detectors::weak_tls::WeakTlsConfig,
    /// `[detectors.exposure]`
    pub exposure: palisade_detectors::exposure::ExposureConfig,
    /// `[detectors.kalay]`
    pub kalay: palisade_detectors::kalay::KalayConfig,
    /// `[detectors.axeda]`
    pub axeda: palisade_detectors::axeda::AxedaConfig,
    /// `[detectors.profile]`: per-device profiles (MUD files, learned).
    pub profile: palisade_detectors::profile::ProfileConfig,
    /// `[detectors.shared_credential]`: one credential accepted by
    /// several devices.
    pub shared_credential: palisade_detectors::shared_cred::SharedCredConfig,
}

impl Default for DetectorsSection {
    fn default() -> Self {
        DetectorsSection {
            enabled: true,
            credentials_file: None,
            credential_salt: "palisade-change-me".into(),
            default_credentials: Default::default(),
            cleartext_credentials: Default::default(),
            brute_force: Default::default(),
            scan: Default::default(),
            mirai: Default::default(),
            ddos: Default::default(),
            weak_tls: Default::default(),
            exposure: Default::default(),
            kalay: Default::default(),
            axeda: Default::default(),
            profile: Default::default(),
            shared_credential: Default::default(),
        }
    }
}

/// `[app_layer]`
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AppLayerSection {
    /// Identify protocols and parse them (HTTP, DNS, TLS, SSH, Telnet, FTP,
    /// MQTT, RTSP, CoAP, SNMP, SSDP, DHCP, TFTP): app records in EVE,
    /// sticky buffers for rules, `app_proto` on flows and alerts. Off, only
    /// packet and stream rules run.
    pub enabled: bool,
    /// Add `request_headers` / `response_headers` to EVE `http` records.
    pub http_log_headers: bool,
}

impl Default for AppLayerSection {
    fn default() -> Self {
        AppLayerSection {
            enabled: true,
            http_log_headers: false,
        }
    }
}

/// A variable's value: a string, or a bare port number from `--set`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum VarValue {
    /// `"[10.0.0.0/8,192.168.0.0/16]"`, `"!$HOME_NET"`, `"[80,8080]"`.
    Text(String),
    /// `80`
    Number(i64),
}

impl VarValue {
    /// The value as rule text.
    pub fn text(&self) -> String {
        match self {
            VarValue::Text(t) => t.clone(),
            VarValue::Number(n) => n.to_string(),
        }
    }
}

fn default_vars() -> BTreeMap<String, VarValue> {
    palisade_rules::vars::DEFAULT_ADDRESS_GROUPS
        .iter()
        .chain(palisade_rules::vars::DEFAULT_PORT_GROUPS)
        .map(|(k, v)| (k.to_string(), VarValue::Text(v.to_string())))
        .collect()
}

/// `[rules]`
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RulesSection {
    /// Rule files or directories loaded besides `--rules`.
    pub files: Vec<PathBuf>,
    /// classification.config entries added to the built-in table.
    pub classification_file: Option<PathBuf>,
    /// threshold.config (threshold, event_filter, suppress).
    pub threshold_file: Option<PathBuf>,
    /// Skip the built-in rules (same as `--no-builtin-rules`).
    pub no_builtin: bool,
    /// Fail when any rule does not load (same as `--strict-rules`).
    pub strict: bool,
}

/// `[decoder]`
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DecoderSection {
    /// Checksum validation: "auto" (validate, but switch off when most of the
    /// first packets have bad checksums, as captures from offloading NICs do),
    /// "yes" or "no". Packets with a bad TCP checksum are left out of stream
    /// reassembly when validation is on; in "auto" only after the first 1000
    /// packets decided that validation stays on (so a short capture taken on
    /// an offloading NIC is still reassembled; the bad checksums are counted).
    pub checksum_checks: ChecksumMode,
    /// UDP ports decoded as VXLAN.
    pub vxlan_ports: Vec<u16>,
    /// UDP port decoded as TZSP.
    pub tzsp_port: u16,
    /// Decode tunnels (GRE/ERSPAN, VXLAN, TZSP, IP-in-IP) and track inner
    /// packets as their own flows.
    pub decode_tunnels: bool,
}

impl Default for DecoderSection {
    fn default() -> Self {
        DecoderSection {
            checksum_checks: ChecksumMode::Auto,
            vxlan_ports: vec![4789],
            tzsp_port: 37008,
            decode_tunnels: true,
        }
    }
}

/// Checksum validation mode.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ChecksumMode {
    /// Validate; give up if most sampled packets are bad (offloading NIC).
    Auto,
    /// Always validate.
    Yes,
    /// Never validate.
    No,
}

/// `[output]`
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct OutputSection {
    /// EVE event types written (empty = all): flow, anomaly, stats.
    pub eve_types: Vec<String>,
    /// Anomaly records for checksum errors and snaplen cuts (they are always
    /// counted in stats;
    /// records are off by default because offloading NICs produce one per
    /// packet).
    pub checksum_anomalies: bool,
    /// Add the matched payload (base64) to alert records as `payload`.
    pub alert_payload: bool,
    /// Rotate the EVE file when it reaches this size (MiB; 0 = never):
    /// it is renamed `eve.json.YYYYMMDDTHHMMSS` and a new one started.
    pub eve_rotate_mb: u64,
    /// Rotate the EVE file when it is this old (seconds; 0 = never).
    pub eve_rotate_interval_secs: u64,
    /// Rotated EVE files kept (0 = all).
    pub eve_rotate_keep: usize,
}

/// `[runtime]`
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RuntimeSection {
    /// Worker threads (0 = one per core). `--threads` overrides it.
    pub threads: usize,
    /// Packets handed to a worker at a time.
    pub batch_packets: usize,
    /// Memory-map plain capture files instead of reading them through a
    /// buffer; with several workers, mapped packets are handed over by
    /// reference instead of copied. Off by default: on the machines measured
    /// (BENCHMARKS.md) buffered reads were as fast or faster, and a file
    /// truncated by another process while mapped would crash palisade
    /// (SIGBUS; rotation by rename is safe).
    pub mmap_inputs: bool,
    /// With several threads, the thread that reads and routes packets can
    /// also track flows: this is its share relative to 1 for each other
    /// worker. Default 0: reading and routing already keep it the busiest
    /// thread (BENCHMARKS.md); it still reports anomalies of packets without
    /// an IP layer.
    pub reader_weight: f64,
}

impl Default for RuntimeSection {
    fn default() -> Self {
        RuntimeSection {
            threads: 0,
            batch_packets: 256,
            mmap_inputs: false,
            reader_weight: 0.0,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            decoder: DecoderSection::default(),
            flow: FlowConfig::default(),
            stream: StreamConfig::default(),
            defrag: DefragConfig::default(),
            output: OutputSection::default(),
            runtime: RuntimeSection::default(),
            vars: default_vars(),
            rules: RulesSection::default(),
            app_layer: AppLayerSection::default(),
            detectors: DetectorsSection::default(),
            inventory: palisade_fleet::InventoryConfig::default(),
            audit: AuditSection::default(),
            capture: CaptureSection::default(),
            metrics: MetricsSection::default(),
            live: LiveSection::default(),
        }
    }
}

impl Config {
    /// The rule variables, checked.
    pub fn rule_vars(&self) -> Result<palisade_rules::Vars> {
        let mut vars = palisade_rules::Vars::suricata_defaults();
        for (k, v) in &self.vars {
            vars.set(k, &v.text())
                .map_err(|e| anyhow::anyhow!("vars.{k}: {e}"))?;
        }
        Ok(vars)
    }

    /// Loads the file (if any), applies `--set` overrides, validates.
    pub fn load(path: Option<&Path>, sets: &[String]) -> Result<Config> {
        let mut root = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("reading config {}", p.display()))?;
                toml::from_str::<toml::Table>(&text)
                    .with_context(|| format!("parsing config {}", p.display()))?
            }
            None => toml::Table::new(),
        };
        for s in sets {
            apply_set(&mut root, s)?;
        }
        let cfg: Config = toml::Value::Table(root)
            .try_into()
            .map_err(|e: toml::de::Error| {
                anyhow::anyhow!(
                    "invalid configuration{}: {}",
                    path.map(|p| format!(" in {}", p.display()))
                        .unwrap_or_default(),
                    e.message()
                )
            })?;
        cfg.validate()?;
        Ok(cfg)
    }

    fn validate(&self) -> Result<()> {
        for t in &self.output.eve_types {
            if !palisade_event::EVENT_TYPES.contains(&t.as_str()) {
                bail!(
                    "unknown EVE type '{t}' in output.eve_types (known: {})",
                    palisade_event::EVENT_TYPES.join(", ")
                );
            }
        }
        self.rule_vars()?;
        let a = &self.audit;
        if a.max_attempts == 0 || a.concurrency == 0 || a.lockout_after == 0 {
            bail!(
                "audit.max_attempts, audit.concurrency and audit.lockout_after must be at least 1"
            );
        }
        let rate_ok = a.rate > 0.0 && a.rate.is_finite();
        let timeout_ok = a.timeout_secs > 0.0 && a.timeout_secs <= 600.0;
        if !rate_ok || !timeout_ok {
            bail!("audit.rate must be above 0 and audit.timeout_secs in (0, 600]");
        }
        self.capture.validate()?;
        if self.runtime.batch_packets == 0 {
            bail!("runtime.batch_packets must be at least 1");
        }
        let listen = self.metrics.listen.trim();
        if !listen.is_empty() && listen.parse::<std::net::SocketAddr>().is_err() {
            bail!(
                "metrics.listen '{listen}': expected IP:PORT (e.g. 127.0.0.1:9477) or \"\" (off)"
            );
        }
        Ok(())
    }

    /// The flow engine's part.
    pub fn engine(&self) -> EngineConfig {
        EngineConfig {
            flow: self.flow.clone(),
            stream: self.stream.clone(),
            defrag: self.defrag.clone(),
        }
    }

    /// The default configuration as TOML (for `palisade config defaults`).
    pub fn defaults_toml() -> String {
        toml::to_string_pretty(&Config::default()).unwrap_or_default()
    }
}

/// Applies one `key.path=value` override. The value is read as TOML
/// (`true`, `42`, `"x"`, `[1, 2]`), or taken as a plain string if that fails,
/// so `--set vars.HOME_NET=[10.0.0.0/8]` works without quoting.
fn apply_set(root: &mut toml::Table, set: &str) -> Result<()> {
    let Some((path, raw)) = set.split_once('=') else {
        bail!("--set '{set}': expected key.path=value");
    };
    let path = path.trim();
    if path.is_empty() || path.split('.').any(|p| p.is_empty()) {
        bail!("--set '{set}': bad key path '{path}'");
    }
    let value = parse_value(raw.trim());
    let mut parts: Vec<&str> = path.split('.').collect();
    let last = parts.pop().unwrap_or_default();
    let mut table = root;
    for p in parts {
        let entry = table
            .entry(p.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        table = match entry {
            toml::Value::Table(t) => t,
            _ => bail!("--set '{set}': '{p}' is not a table"),
        };
    }
    table.insert(last.to_string(), value);
    Ok(())
}

fn parse_value(raw: &str) -> toml::Value {
    let doc = format!("v = {raw}");
    match toml::from_str::<toml::Table>(&doc) {
        Ok(mut t) => t
            .remove("v")
            .unwrap_or(toml::Value::String(raw.to_string())),
        Err(_) => toml::Value::String(raw.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_roundtrip_and_sets_apply() {
        let c = Config::load(None, &[]).unwrap();
        assert_eq!(c, Config::default());
        let c = Config::load(
            None,
            &[
                "stream.reassembly_depth=0".into(),
                "stream.midstream=true".into(),
                "flow.timeouts.udp_new=5".into(),
                "decoder.checksum_checks=no".into(),
            ],
        )
        .unwrap();
        assert_eq!(c.stream.reassembly_depth, 0);
        assert!(c.stream.midstream);
        assert_eq!(c.flow.timeouts.udp_new, 5);
        assert_eq!(c.decoder.checksum_checks, ChecksumMode::No);
        let c = Config::load(
            None,
            &[
                "vars.HOME_NET=[198.18.0.0/15]".into(),
                "vars.HTTP_PORTS=8080".into(),
            ],
        )
        .unwrap();
        let v = c.rule_vars().unwrap();
        let home = palisade_rules::AddressExpr::parse("$HOME_NET", 0)
            .unwrap()
            .resolve(&v)
            .unwrap();
        assert!(home.contains("198.19.1.1".parse().unwrap()));
        assert!(!home.contains("10.0.0.1".parse().unwrap()));
        let http = palisade_rules::PortExpr::parse("$HTTP_PORTS", 0)
            .unwrap()
            .resolve(&v)
            .unwrap();
        assert!(http.contains(8080));
        assert!(Config::load(None, &["vars.HOME_NET=[10.0.0.0/8".into()]).is_err());
        let text = Config::defaults_toml();
        let back: Config = toml::from_str(&text).unwrap();
        assert_eq!(back, Config::default());
    }

    #[test]
    fn audit_section() {
        let c = Config::load(None, &["audit.scope=[10.0.0.0/24,10.0.1.5]".into()]).unwrap();
        assert_eq!(c.audit.scope, vec!["10.0.0.0/24", "10.0.1.5"]);
        let c = Config::load(None, &["audit.scope=[\"10.0.0.0/24\"]".into()]).unwrap();
        assert_eq!(c.audit.scope, vec!["10.0.0.0/24"]);
        assert_eq!(Config::default().audit.max_attempts, 10);
        assert!(Config::load(None, &["audit.max_attempts=0".into()]).is_err());
        assert!(Config::load(None, &["audit.rate=0".into()]).is_err());
        assert!(Config::load(None, &["audit.nosuch=1".into()]).is_err());
    }

    #[test]
    fn metrics_listen_is_off_by_default_and_checked() {
        assert_eq!(Config::default().metrics.listen, "");
        let c = Config::load(None, &["metrics.listen=\"127.0.0.1:9477\"".into()]).unwrap();
        assert_eq!(c.metrics.listen, "127.0.0.1:9477");
        assert!(Config::load(None, &["metrics.listen=\"[::1]:9477\"".into()]).is_ok());
        let e = Config::load(None, &["metrics.listen=localhost".into()]).unwrap_err();
        assert!(e.to_string().contains("metrics.listen"), "{e}");
    }

    #[test]
    fn unknown_keys_are_named() {
        let e = Config::load(None, &["stream.reassembly_dept=5".into()]).unwrap_err();
        assert!(e.to_string().contains("reassembly_dept"), "{e}");
        let e = Config::load(None, &["nosuch.key=1".into()]).unwrap_err();
        assert!(e.to_string().contains("nosuch"), "{e}");
        let e = Config::load(None, &["output.eve_types=[\"flow\",\"bogus\"]".into()]).unwrap_err();
        assert!(e.to_string().contains("bogus"), "{e}");
        assert!(Config::load(None, &["noequals".into()]).is_err());
    }
}
