//! Command-line interface.

use clap::{Args, Parser, Subcommand, ValueEnum};
use palisade::config::ChecksumMode;
use std::path::PathBuf;

/// palisade: network security monitoring for IoT fleets.
///
/// Reads captures (pcap, pcapng, gzip, directories, stdin), decodes and
/// tracks every flow, reassembles TCP, and writes Suricata-compatible EVE
/// JSON.
#[derive(Parser, Debug)]
#[command(name = "palisade", version, about, long_about = None)]
pub struct Cli {
    /// Debug logging (or set PALISADE_LOG=info,palisade=debug).
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Log format on stderr: text, or json (one JSON object per line:
    /// timestamp, level, target, fields), for journald and log shippers.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text, value_name = "FORMAT")]
    pub log_format: LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Analyse capture files and write EVE JSON.
    #[command(after_help = SCAN_EXAMPLES)]
    Scan(ScanArgs),
    /// Inspect live traffic (an interface, mirrored traffic) until SIGINT/SIGTERM.
    #[command(after_help = SENSOR_EXAMPLES)]
    Sensor(SensorArgs),
    /// Generate labelled IoT fleet traffic for tests, benchmarks, evaluation.
    #[command(subcommand)]
    Testbed(TestbedCommand),
    /// Inspect the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Check rule files, list supported keywords.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Measure detection against ground truth: scan a labelled capture and
    /// match alerts to its attacks (recall, false alerts, time to detect).
    #[command(after_help = "Examples:
  palisade testbed generate --scenario scan --seed 3 --out s.pcap --labels s.json
  palisade eval --labels s.json s.pcap
  palisade eval --labels s.json --format json --output-dir out/ s.pcap")]
    Eval(EvalArgs),
    /// Per-device profiles: learn them from captures as RFC 8520 MUD files,
    /// check MUD files.
    #[command(subcommand)]
    Profile(ProfileCommand),
    /// List the devices of the fleet inventory in a store (written by `scan`).
    #[command(after_help = "Examples:
  palisade devices                                 # palisade-out/palisade.db
  palisade devices --db fleet.db --vendor hikvision
  palisade devices --format json")]
    Devices(StoreQueryArgs),
    /// List the posture findings in a store, most severe first.
    #[command(after_help = "Examples:
  palisade findings --class cleartext-credentials
  palisade findings --device 10.10.0.5 --format json
  palisade findings --severity 1 --since 2026-01-05")]
    Findings(StoreQueryArgs),
    /// List the alerts in a store (the latest --limit, oldest first).
    ///
    /// Time filters take a date (2026-01-05: --since from its midnight UTC,
    /// --until through its end), RFC 3339 (2026-01-05T08:00:00Z,
    /// 2026-01-05T09:00:00+01:00) or EVE times; --since is inclusive,
    /// --until exclusive. `--format json` writes JSON lines, one alert
    /// object per line (like EVE), for jq and log shippers.
    #[command(after_help = "Examples:
  palisade alerts                                   # the latest 100, palisade-out/palisade.db
  palisade alerts --device 10.10.0.5 --severity 1
  palisade alerts --class brute-force --since 2026-01-05 --until 2026-01-06
  palisade alerts --since 2026-01-05T08:00:00Z --limit 0 --format json | jq .signature")]
    Alerts(AlertsArgs),
    /// Write a fleet report from a store: summary, devices ranked by risk,
    /// findings by device with evidence and fixes, alert and traffic
    /// charts.
    ///
    /// html is one self-contained file (inline CSS and SVG, no script, no
    /// external fetch) and needs --out; md and json go to stdout unless
    /// --out names a file (`-` is stdout).
    #[command(after_help = "Examples:
  palisade report --format html --out report.html
  palisade report --db fleet.db --format md > report.md
  palisade report --format json --out report.json")]
    Report(ReportArgs),
    /// Active default-password audit: log in to your own devices with
    /// factory-default credentials (Telnet, SSH, HTTP Basic/Digest, FTP,
    /// MQTT, RTSP, SNMP v2c communities) and record each one that works as
    /// a `default-credentials` finding (which entry matched, never the
    /// password).
    ///
    /// Only targets inside the scope (`[audit] scope`, else HOME_NET) are
    /// contacted; others are refused, and never sent a packet, unless
    /// named with --allow-target. Closed ports get no attempt; attempts are
    /// capped per device and service (--max-attempts), paced per device
    /// (--rate), and a service answering with lockout or rate-limit signs
    /// is left alone. Exit status: 0 done, 2 done but some targets were
    /// refused, 1 error.
    #[command(after_help = AUDIT_EXAMPLES)]
    Audit(AuditArgs),
}

const AUDIT_EXAMPLES: &str = "Examples:
  palisade audit --targets 192.168.10.0/24
  palisade audit --targets cameras.txt --services http,rtsp --ports http=8080
  palisade audit --targets 10.20.0.7 --allow-target 10.20.0.7 --max-attempts 3 --rate 1
  palisade audit --targets 192.168.10.0/24 --set audit.scope=[192.168.10.0/24] --format json
  palisade findings --class default-credentials     # what audits (and scans) found";

/// Output of `palisade audit`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditFormat {
    /// A table for people.
    Table,
    /// JSON for programs (results, findings, totals).
    Json,
}

/// `palisade audit`
#[derive(Args, Debug)]
pub struct AuditArgs {
    /// What to audit: addresses and CIDRs, comma-separated
    /// (`10.0.0.5,10.0.1.0/28`), or a file of them (any per line, `#`
    /// comments).
    #[arg(long, value_name = "CIDR|FILE")]
    pub targets: String,
    /// Services to try, comma-separated (default: `[audit] services`, else
    /// all: telnet,ssh,http,ftp,mqtt,rtsp,snmp).
    #[arg(long, value_name = "LIST")]
    pub services: Option<String>,
    /// Non-standard ports: `service=port,...` (e.g. `ssh=2222,http=8080`).
    #[arg(long, value_name = "SERVICE=PORT,...")]
    pub ports: Option<String>,
    /// The store the findings and the run are written to.
    #[arg(long, default_value = "palisade-out/palisade.db", value_name = "FILE")]
    pub db: PathBuf,
    /// Configuration file.
    #[arg(short, long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Override a configuration key (`--set audit.rate=2`); repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Audit this address or CIDR even though it is outside the scope;
    /// repeatable.
    #[arg(long = "allow-target", value_name = "ADDR|CIDR")]
    pub allow_target: Vec<String>,
    /// Credentials tried per service per device (default 10).
    #[arg(long, value_name = "N")]
    pub max_attempts: Option<usize>,
    /// (device, service) pairs audited at once (default 16).
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
    /// Attempts per second per device (default 5); port checks and
    /// probes take a slot too.
    #[arg(long, value_name = "N")]
    pub rate: Option<f64>,
    /// Timeout of each connect, read and write, seconds (default 5).
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<f64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = AuditFormat::Table)]
    pub format: AuditFormat,
}

/// `palisade alerts`
#[derive(Args, Debug)]
pub struct AlertsArgs {
    /// The store.
    #[arg(long, default_value = "palisade-out/palisade.db", value_name = "FILE")]
    pub db: PathBuf,
    /// Only alerts with this address as source or destination.
    #[arg(long, value_name = "IP")]
    pub device: Option<String>,
    /// Only this class (`rule`: rule alerts without a palisade class).
    #[arg(long, value_name = "CLASS")]
    pub class: Option<String>,
    /// Only this severity or higher (1 = high).
    #[arg(long, value_name = "1-3")]
    pub severity: Option<u8>,
    /// Only alerts at or after this time (date, RFC 3339 or EVE time).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only alerts before this time (a date: through that day).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// At most this many, the latest (0: all).
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub limit: usize,
    /// table (text) or json (JSON lines).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// `palisade report`
#[derive(Args, Debug)]
pub struct ReportArgs {
    /// The store.
    #[arg(long, default_value = "palisade-out/palisade.db", value_name = "FILE")]
    pub db: PathBuf,
    /// Report format.
    #[arg(long, value_enum)]
    pub format: ReportFormat,
    /// Output file (`-`: stdout; required for html).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `palisade report --format`
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// One self-contained HTML page.
    Html,
    /// Markdown tables.
    Md,
    /// One JSON object.
    Json,
}

/// `palisade devices` / `palisade findings`
#[derive(Args, Debug)]
pub struct StoreQueryArgs {
    /// The store.
    #[arg(long, default_value = "palisade-out/palisade.db", value_name = "FILE")]
    pub db: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Only devices with this address / findings on this device.
    #[arg(long, value_name = "IP")]
    pub device: Option<String>,
    /// Only devices whose vendor contains this (case-insensitive).
    #[arg(long, value_name = "TEXT")]
    pub vendor: Option<String>,
    /// Only findings of this class.
    #[arg(long, value_name = "CLASS")]
    pub class: Option<String>,
    /// Only findings of this severity or higher (1 = high).
    #[arg(long, value_name = "1-3")]
    pub severity: Option<u8>,
    /// Only findings seen at or after this time (date, RFC 3339 or EVE).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only findings first seen before this time (a date: through that day).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
}

/// `palisade profile ...`
#[derive(Subcommand, Debug)]
pub enum ProfileCommand {
    /// Learn each fleet device's profile from captures and write it as an
    /// RFC 8520 MUD file, one per device (or per device group of
    /// `[[detectors.profile.groups]]`), for operators to review and pin.
    ///
    /// The capture is scanned as `palisade scan` does (same options) with the
    /// `profile` detector learning over the whole capture (or `--learn-secs`).
    /// Every connection a device opened or accepted becomes an accepting ACE
    /// (and its mirror for the answers): peers with a DNS name seen in the
    /// capture's DNS answers by name (`ietf-acldns:dst-dnsname`), others by
    /// address; TCP entries say who opens (`direction-initiated`). DNS, DHCP,
    /// NTP and mDNS to the infrastructure are left out (always allowed).
    /// Review the files, then pin them with `[[detectors.profile.mud]]`
    /// (`file`, `devices`): traffic outside a pinned file raises sid 9500080.
    #[command(after_help = "Examples:
  palisade profile learn --out profiles/ week1.pcap
  palisade profile learn --out profiles/ --learn-secs 86400 --authority mud.example.com day1.pcap day2.pcap
  palisade profile check profiles/10-10-0-3.json
Then, in palisade.toml:
  [[detectors.profile.mud]]
  file = \"profiles/10-10-0-3.json\"
  devices = [\"10.10.0.3\"]")]
    Learn {
        /// Directory for the MUD files (created if missing; files named after
        /// the device address or group).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Learn only this many seconds of packet time from each device's
        /// first packet (default: the whole capture).
        #[arg(long, value_name = "SECS")]
        learn_secs: Option<u64>,
        /// Authority (host) of the written MUD URLs
        /// (`https://AUTHORITY/<device>`).
        #[arg(long, value_name = "HOST", default_value = "profiles.palisade.invalid")]
        authority: String,
        /// Scan options and the capture(s).
        #[command(flatten)]
        scan: Box<ScanArgs>,
    },
    /// Validate RFC 8520 MUD files and print their policies and ACLs;
    /// exits 1 if any does not parse (the error names the JSON path).
    #[command(after_help = "Examples:
  palisade profile check Luminaire_150.json
  palisade profile check profiles/*.json")]
    Check {
        /// MUD files (JSON).
        #[arg(required = true, value_name = "FILE.json")]
        files: Vec<PathBuf>,
    },
}

/// `palisade eval`
#[derive(Args, Debug)]
pub struct EvalArgs {
    /// Ground-truth labels (JSON, as `palisade testbed generate --labels` writes them).
    #[arg(long, value_name = "FILE.json")]
    pub labels: PathBuf,
    /// Scan options and the capture(s); `--format` selects the report format.
    #[command(flatten)]
    pub scan: ScanArgs,
}

/// `palisade rules ...`
#[derive(Subcommand, Debug)]
pub enum RulesCommand {
    /// Load rule files and report loaded and failed rules by reason; exits 1 if any failed.
    #[command(after_help = "Examples:
  palisade rules check emerging-all.rules
  palisade rules check --format json rules/
  palisade rules check --set vars.HOME_NET=[198.18.0.0/15] local.rules")]
    Check {
        /// Rule files or directories.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Report format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Configuration file (variables, classification and threshold files).
        #[arg(short, long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Override a configuration key (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
    },
    /// List the rule keywords and sticky buffers palisade supports.
    Keywords,
}

const SCAN_EXAMPLES: &str = "\
Examples:
  palisade scan data/samples/fleet-sample.pcap
  palisade scan --threads 2 --output-dir out/ captures/          # every capture in a directory, merged by time
  palisade scan --eve-types flow,anomaly capture.pcapng.gz
  tcpdump -w - -i eth0 | palisade scan -                          # from stdin
  palisade scan --set stream.reassembly_depth=0 --set stream.midstream=true big.pcap
  palisade scan --rules emerging-all.rules --set vars.HOME_NET=[198.18.0.0/15] capture.pcap
  palisade scan --no-builtin-rules --rules local.rules --eve out.json --output-dir out/ capture.pcap

Exit status: 0 when every input was read completely; 2 when an input was
missing, truncated or corrupt (everything read before the fault is still in
the outputs); 1 on any other error.";

/// `palisade scan`
#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Capture files (pcap, pcapng, optionally .gz), directories, or - for stdin.
    #[arg(required = true, value_name = "CAPTURE")]
    pub inputs: Vec<PathBuf>,
    /// Rules, configuration, outputs and store (shared with `sensor`).
    #[command(flatten)]
    pub run: RunArgs,
}

/// The options `scan` and `sensor` share: rules, configuration, outputs and
/// the store.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// Directory for outputs (created if missing).
    #[arg(short, long, default_value = "palisade-out", value_name = "DIR")]
    pub output_dir: PathBuf,
    /// EVE JSON file [default: DIR/eve.json].
    #[arg(long, value_name = "FILE")]
    pub eve: Option<PathBuf>,
    /// EVE event types to write, comma separated (default: all): alert, flow, anomaly, stats,
    /// and the app-layer types http, dns, tls, ssh, telnet, ftp, mqtt, rtsp, coap, snmp, ssdp,
    /// dhcp, tftp, wsd.
    #[arg(long, value_delimiter = ',', value_name = "TYPES")]
    pub eve_types: Vec<String>,
    /// Worker threads [default: one per core].
    #[arg(short = 'j', long, value_name = "N")]
    pub threads: Option<usize>,
    /// Configuration file (TOML). Every key has a default: see `palisade config defaults`.
    #[arg(short, long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Override a configuration key, e.g. --set stream.reassembly_depth=0 (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Checksum validation; auto switches it off for captures from offloading NICs.
    #[arg(long, value_enum, value_name = "MODE")]
    pub checksum_checks: Option<ChecksumMode>,
    /// Summary format on stdout.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// No progress bar and no summary.
    #[arg(short, long)]
    pub quiet: bool,
    /// Suricata rule file or directory of *.rules (repeatable).
    #[arg(short = 'r', long = "rules", value_name = "FILE|DIR")]
    pub rules: Vec<PathBuf>,
    /// Do not load the built-in rules.
    #[arg(long)]
    pub no_builtin_rules: bool,
    /// Fail instead of skipping rules that do not load.
    #[arg(long)]
    pub strict_rules: bool,
    /// SQLite store for alerts, incidents and findings [default: DIR/palisade.db]. A later
    /// run into the same file merges into it (the same finding is one row); a sensor's run
    /// has kind `sensor`.
    #[arg(long, value_name = "FILE", conflicts_with = "no_db")]
    pub db: Option<PathBuf>,
    /// Do not write the SQLite store.
    #[arg(long)]
    pub no_db: bool,
}

const SENSOR_EXAMPLES: &str = "\
Examples:
  palisade sensor --interface eth0                               # needs CAP_NET_RAW (or root)
  palisade sensor --interface eth0 --interface wlan0 --threads 2 --output-dir /var/lib/palisade
  palisade sensor --mirror vxlan://0.0.0.0:4789                   # VXLAN-mirrored traffic (Soracom Junction, cloud mirroring)
  palisade sensor --mirror tzsp://0.0.0.0:37008 --rules local.rules --eve-types alert,flow
  palisade sensor --mirror gre://10.0.0.5                        # ERSPAN / GRE mirrors sent to 10.0.0.5 (CAP_NET_RAW)
  palisade sensor --interface eth0 --config palisade.toml --db fleet.db
  palisade sensor --interface eth0 --metrics-listen 127.0.0.1:9477   # Prometheus: GET /metrics
  palisade --log-format json sensor --interface eth0                 # JSON-lines logs on stderr

Runs until SIGINT (Ctrl-C) or SIGTERM, then stops the sources, ends every flow
(reason shutdown), completes the EVE file and finishes the store run (kind
sensor), and prints packets, kernel drops and alerts. Packet times are the
kernel's receive times.

SIGHUP: reloads the configuration and the rule files without losing a flow
(a rule file with new errors keeps the running rules; the log says why) and
reopens the EVE file (logrotate). --capture-dir keeps a ring of pcapng files
and, for every alerted flow, DIR/alerts/<flow_id>.pcapng.";

/// `palisade sensor`
#[derive(Args, Debug)]
pub struct SensorArgs {
    /// Capture on this interface with AF_PACKET (repeatable).
    #[arg(short = 'i', long = "interface", value_name = "IF")]
    pub interfaces: Vec<String>,
    /// Receive mirrored traffic: vxlan://ADDR[:PORT], tzsp://ADDR[:PORT], or gre[://ADDR]
    /// (ERSPAN I/II/III and GRE on a raw socket, to ADDR or any local IPv4 address;
    /// gre://[::] for any IPv6 address; needs CAP_NET_RAW) (repeatable).
    #[arg(long = "mirror", value_name = "URL")]
    pub mirrors: Vec<String>,
    /// Keep a rolling capture (ring of pcapng files, `[capture]` limits) in DIR, and the
    /// packets of every alerted flow in DIR/alerts/<flow_id>.pcapng, named in the alert's
    /// `capture_file`.
    #[arg(long, value_name = "DIR")]
    pub capture_dir: Option<PathBuf>,
    /// Capture filter on the interfaces, a tcpdump expression (compiled with `tcpdump -ddd`;
    /// or `[live] bpf_file` with its output), e.g. "not port 22".
    #[arg(long, value_name = "EXPR")]
    pub bpf: Option<String>,
    /// Leave the interfaces out of promiscuous mode.
    #[arg(long)]
    pub no_promisc: bool,
    /// Rules, configuration, outputs and store (as for `scan`).
    #[command(flatten)]
    pub run: RunArgs,
    /// Serve Prometheus metrics at http://ADDR/metrics (IP:PORT, e.g.
    /// 127.0.0.1:9477; "" = off) [default: `[metrics] listen`, off].
    #[arg(long, value_name = "ADDR")]
    pub metrics_listen: Option<String>,
}

/// Log format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// JSON lines.
    Json,
}

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people (alias: table).
    #[value(alias = "table")]
    Text,
    /// For programs.
    Json,
}

/// `palisade testbed ...`
#[derive(Subcommand, Debug)]
pub enum TestbedCommand {
    /// Write a scenario's capture and its ground-truth labels.
    #[command(after_help = "Examples:
  palisade testbed generate --scenario fleet --seed 1 --out fleet.pcap --labels fleet.json
  palisade testbed generate --scenario fleet --seed 7 --devices 200 --duration 2h --out big.pcap --labels big.json
  palisade testbed generate --scenario fleet --packets 1000000 --out bench.pcap --labels bench.json
  palisade testbed list")]
    Generate(GenerateArgs),
    /// List the scenarios.
    List,
}

/// `palisade testbed generate`
#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// Scenario name (see `palisade testbed list`).
    #[arg(long, default_value = "fleet")]
    pub scenario: String,
    /// Seed: the same seed gives a byte-identical capture.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Capture to write (pcap).
    #[arg(long, value_name = "FILE.pcap")]
    pub out: PathBuf,
    /// Ground-truth labels to write (JSON).
    #[arg(long, value_name = "FILE.json")]
    pub labels: PathBuf,
    /// Devices in the fleet.
    #[arg(long, default_value_t = 50)]
    pub devices: usize,
    /// Capture length in packet time: 90s, 30m, 2h, 1h30m.
    #[arg(long, default_value = "30m")]
    pub duration: String,
    /// Stop after this many packets (whichever comes first with --duration).
    #[arg(long)]
    pub packets: Option<u64>,
}

/// `palisade config ...`
#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Print the default configuration as TOML.
    Defaults,
    /// Check a configuration file (and --set overrides).
    Check {
        /// Configuration file.
        #[arg(short, long)]
        config: Option<PathBuf>,
        /// Overrides.
        #[arg(long = "set")]
        set: Vec<String>,
    },
}
