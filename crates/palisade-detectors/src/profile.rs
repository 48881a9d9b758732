//! `profile`: per-device profiles. A device either has an RFC 8520 MUD
//! file (configured for its address or network) or, where none applies,
//! a profile learned from its own traffic; traffic outside the profile is
//! a `profile-violation`.
//!
//! **Connections.** The detector reads packet summaries and looks at
//! connection starts only: a TCP SYN (`flags & 0x12 == 0x02`) from a
//! device (the device opens it), a TCP SYN-ACK from a device (a peer
//! opened it and the device accepted — unanswered SYNs are scans, the
//! `scan` detector's business), and the first packet of a UDP or ICMP flow
//! (its sender opens it). The service port is the responder's port. Devices
//! are known by IP address: the observations carry no MAC addresses, so
//! MUD files and groups are bound to addresses and CIDRs (use DHCP
//! reservations).
//!
//! **MUD** (sid +80): the opening packet is checked against the policy of
//! its direction (from-device for what the device sends, to-device for
//! what it receives; see [`crate::mud`]); the first matching ACE decides,
//! none matching is a violation (MUD is default-deny). `dst-dnsname` /
//! `src-dnsname` match the addresses DNS answers gave for the name
//! ([`crate::dnscache`]); `my-controller` and `controller` match the
//! configured `controllers`; `local-networks` the configured
//! `local_networks`; `manufacturer` / `same-manufacturer` / `model` the
//! MUD URLs bound to the peer's address. The alert names the profile (the
//! MUD URL), the nearest ACE (most conditions held) and the condition it
//! failed.
//!
//! **Learned** (sids +81, +82): a device without a MUD file learns for
//! `learn_secs` of packet time from the first packet of its profile (its
//! own, or its group's first member's): the peers it talks to (addresses,
//! and the DNS names those addresses were answers for), the (direction,
//! protocol, port) services, the protocols, and its busiest minute (bytes
//! sent per calendar minute of packet time). After learning:
//! - +81 when a connection has a peer never seen (neither its address nor
//!   any of its current DNS names) or a service never seen; evidence says
//!   which (`novel`: `destination`, `port`, `protocol`) and what was learned.
//! - +82 when the bytes a device sends in one minute exceed
//!   `rate_factor × max(learned busiest minute, rate_floor_bytes)`.
//!
//! A profile that collected more than `max_learned` services during
//! learning is too diverse to profile (a gateway, a phone): it is marked
//! `overflow` and raises no +81 (counted in [`Profile::stats`]).
//!
//! **Always allowed**: connections to `infrastructure_ports` (DNS, DHCP,
//! NTP, mDNS by default) at addresses inside `infrastructure` (default:
//! the local networks) or at broadcast/multicast addresses, for MUD and
//! learned profiles alike — every device resolves names and sets its clock,
//! and MUD files rarely say so.
//!
//! **Incidents**: one per (device, peer, protocol, port, sid); further
//! connections update it; it ends `idle_secs` after the last. A device with
//! `max_peer_incidents` running violations folds further ones into one
//! incident per device and sid (a scanning bot is one incident, not one
//! per address). The rate incident is one per device.
//!
//! A violation waits `dns_grace_secs` (2 s) of packet time and is judged
//! again before it is reported: the DNS answer that names its peer may
//! reach the detectors after the connection's first packet (another
//! worker's batch). Connections of a running incident count at once.
//!
//! Bounded: devices tracked ≤ `max_devices` (oldest inserted evicted,
//! counted; an evicted device learns again), learned profiles ≤
//! `max_devices`, services per profile ≤ `max_learned`, DNS names ≤
//! `dns_max_names`, pending violations ≤ [`PENDING_MAX`], distinct peers
//! of an incident counted in bounded memory.
//!
//! Limits: only a connection's opening packet is checked (MUD's mirror
//! ACEs for the answers are not); the rate is bytes of IP packets the
//! device sends (`PacketObs::len`), per calendar minute; a flood into a
//! device that answers (SYN-ACKs to spoofed sources) is new peers to its
//! profile and gives up to `max_peer_incidents + 1` incidents besides the
//! `ddos` detector's. On the testbed's benign fleets (31 devices × 2 h and
//! 11 devices × 4 h) the defaults give no profile alert.

use crate::ddos::Cidr;
use crate::distinct::Distinct;
use crate::dnscache::DnsCache;
use crate::incident::{Incident, IncidentConfig, Incidents};
use crate::mud::{self, Decision, MudFile};
use crate::{
    Class, Detector, DetectorAlert, Emit, Observation, PacketObs, Phase, DETECTOR_SID_BASE,
};
use palisade_event::{Timestamp, Tuple};
use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::net::IpAddr;
use std::path::PathBuf;

/// Detector name.
pub const NAME: &str = "profile";
/// Traffic outside a device's MUD profile.
pub const SID_MUD: u32 = DETECTOR_SID_BASE + 80;
/// A new destination, port or protocol after learning.
pub const SID_NEW: u32 = DETECTOR_SID_BASE + 81;
/// Volume far above the learned rate.
pub const SID_RATE: u32 = DETECTOR_SID_BASE + 82;

const MSG_MUD: &str = "PALISADE device traffic not permitted by its MUD profile";
const MSG_NEW: &str = "PALISADE device contacted a destination or port outside its learned profile";
const MSG_RATE: &str = "PALISADE device sending far above its learned rate";

/// Default networks of fleet devices and local networks.
pub fn default_home() -> Vec<String> {
    ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// A MUD file bound to devices.
#[derive(serde::Deserialize, serde::Serialize, Clone, Debug, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct MudBinding {
    /// Path of the MUD file (RFC 8520 JSON).
    pub file: PathBuf,
    /// Devices it applies to: addresses or CIDRs (the first binding
    /// containing a device's address applies).
    pub devices: Vec<String>,
}

/// Addresses of a controller class or of a MUD URL's `my-controller`.
#[derive(serde::Deserialize, serde::Serialize, Clone, Debug, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ControllerBinding {
    /// A controller class URI as used in `controller` matches (e.g.
    /// `urn:ietf:params:mud:dns`), or a MUD URL (its `my-controller`).
    pub uri: String,
    /// Its addresses or CIDRs.
    pub addresses: Vec<String>,
}

/// A device group: its members share one learned profile.
#[derive(serde::Deserialize, serde::Serialize, Clone, Debug, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct GroupBinding {
    /// Group name (the profile's name in alerts and exported files).
    pub name: String,
    /// Members: addresses or CIDRs.
    pub devices: Vec<String>,
}

/// `[detectors.profile]`.
#[derive(serde::Deserialize, serde::Serialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ProfileConfig {
    /// Run the detector.
    pub enabled: bool,
    /// Fleet devices that get a learned profile when no MUD file applies
    /// (CIDRs). Default: RFC 1918 and fc00::/7.
    pub devices: Vec<String>,
    /// What MUD `local-networks` means (CIDRs). Default: RFC 1918 and
    /// fc00::/7.
    pub local_networks: Vec<String>,
    /// MUD files and the devices they apply to (`[[detectors.profile.mud]]`).
    pub mud: Vec<MudBinding>,
    /// Controller addresses (`[[detectors.profile.controllers]]`).
    pub controllers: Vec<ControllerBinding>,
    /// Device groups sharing a learned profile (`[[detectors.profile.groups]]`).
    pub groups: Vec<GroupBinding>,
    /// Where infrastructure services are always allowed (CIDRs). Default:
    /// the local networks.
    pub infrastructure: Vec<String>,
    /// Ports of always-allowed infrastructure services (TCP/UDP). Default:
    /// 53 (DNS), 67 and 68 (DHCP), 123 (NTP), 5353 (mDNS).
    pub infrastructure_ports: Vec<u16>,
    /// Learn profiles for devices without a MUD file.
    pub learn: bool,
    /// Learning window, seconds of packet time from a profile's first
    /// packet. Default 3600 (one hour: the testbed fleet's devices do
    /// everything they do within their first 15 minutes; real devices with
    /// daily jobs need longer, or a pinned MUD file).
    pub learn_secs: u64,
    /// Services (direction, protocol, port) and peers learned per profile
    /// (entries each); beyond, the profile is marked too diverse and raises
    /// no new-destination alerts.
    pub max_learned: usize,
    /// Devices tracked at once (and learned profiles); beyond, the oldest
    /// is evicted (counted) and learns again when it comes back.
    pub max_devices: usize,
    /// Rate alert factor over the learned busiest minute.
    pub rate_factor: f64,
    /// Floor of the learned busiest minute, bytes sent per minute (quiet
    /// devices' tiny baselines would alert on any burst).
    pub rate_floor_bytes: u64,
    /// DNS names remembered (see `dnscache`).
    pub dns_max_names: usize,
    /// DNS answers are kept at least this long, seconds.
    pub dns_min_ttl_secs: u64,
    /// Running violation incidents per device before they fold into one
    /// per device.
    pub max_peer_incidents: usize,
    /// Seconds of packet time a violation waits (and is judged again)
    /// before it is reported, for the DNS answer naming its peer to arrive.
    pub dns_grace_secs: u64,
    /// Write the learned profiles as MUD files into this directory at the
    /// end of input (`palisade profile learn` sets it).
    pub export_dir: Option<PathBuf>,
    /// Authority of the MUD URLs of exported profiles.
    pub export_authority: String,
    /// Incident timing.
    pub incident: IncidentConfig,
}

impl Default for ProfileConfig {
    fn default() -> Self {
        ProfileConfig {
            enabled: true,
            devices: default_home(),
            local_networks: default_home(),
            mud: Vec::new(),
            controllers: Vec::new(),
            groups: Vec::new(),
            infrastructure: default_home(),
            infrastructure_ports: vec![53, 67, 68, 123, 5353],
            learn: true,
            learn_secs: 3600,
            max_learned: 256,
            max_devices: 4096,
            rate_factor: 10.0,
            rate_floor_bytes: 60_000,
            dns_max_names: 16_384,
            dns_min_ttl_secs: 3600,
            max_peer_incidents: 8,
            dns_grace_secs: 2,
            export_dir: None,
            export_authority: "profiles.palisade.invalid".into(),
            incident: IncidentConfig {
                update_secs: 300,
                idle_secs: 600,
                max_live: 4096,
            },
        }
    }
}

fn cidrs(v: &[String], what: &str, bad: &mut Vec<String>) -> Vec<Cidr> {
    v.iter()
        .filter_map(|s| {
            let c = Cidr::parse(s);
            if c.is_none() {
                bad.push(format!("{what}: not a network: {s}"));
            }
            c
        })
        .collect()
}

/// A connection start, oriented from the device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Conn {
    device: IpAddr,
    peer: IpAddr,
    /// The device opened it.
    out: bool,
    proto: u8,
    /// The responder's port (0 for ICMP).
    port: u16,
    /// The initiator's port.
    iport: u16,
    icmp_type: Option<u8>,
}

/// What a profile learned: services (direction, protocol, port).
type Svc = (bool, u8, u16);

#[derive(Debug)]
struct Learned {
    started: Timestamp,
    overflow: bool,
    peers: HashSet<IpAddr>,
    names: BTreeSet<String>,
    services: BTreeSet<Svc>,
    protos: BTreeSet<u8>,
    /// (direction, peer, proto, port) for the export.
    flows: BTreeSet<(bool, IpAddr, u8, u16)>,
    /// Names of each peer at learning time (for the export).
    peer_names: HashMap<IpAddr, String>,
}

impl Learned {
    fn new(now: Timestamp) -> Self {
        Learned {
            started: now,
            overflow: false,
            peers: HashSet::new(),
            names: BTreeSet::new(),
            services: BTreeSet::new(),
            protos: BTreeSet::new(),
            flows: BTreeSet::new(),
            peer_names: HashMap::new(),
        }
    }
}

#[derive(Debug)]
struct Dev {
    first: Timestamp,
    minute: u64,
    bytes: u64,
    /// Busiest complete minute during learning.
    learned_max: u64,
}

/// A violation: its sid and evidence.
type Verdict = (u32, Vec<(&'static str, String)>);

/// Violations waiting for their DNS grace period, at most.
pub const PENDING_MAX: usize = 4096;

/// (device, peer or None when folded, proto, port, sid).
type Key = (IpAddr, Option<IpAddr>, u8, u16, u32);

struct Live {
    tuple: Tuple,
    evidence: Vec<(&'static str, String)>,
    /// Distinct peers (approximate beyond 32, bounded memory).
    peers: Distinct,
}

/// Counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProfileStats {
    /// Devices tracked now.
    pub devices: usize,
    /// Devices evicted to stay in bounds.
    pub device_evictions: u64,
    /// Profiles too diverse to learn.
    pub overflowed: u64,
    /// DNS cache evictions.
    pub dns_evictions: u64,
    /// Connections checked against a MUD file.
    pub mud_checked: u64,
    /// Learned profiles written at the end (export).
    pub exported: u64,
    /// Pending violations dropped (more than [`PENDING_MAX`] waiting).
    pub pending_dropped: u64,
}

/// The detector.
pub struct Profile {
    cfg: ProfileConfig,
    devices: Vec<Cidr>,
    local: Vec<Cidr>,
    infra: Vec<Cidr>,
    muds: Vec<(MudFile, Vec<Cidr>)>,
    controllers: Vec<(String, Vec<Cidr>)>,
    groups: Vec<(String, Vec<Cidr>)>,
    dns: DnsCache,
    devs: HashMap<IpAddr, Dev>,
    dev_order: VecDeque<IpAddr>,
    learned: HashMap<String, Learned>,
    learned_order: VecDeque<String>,
    incidents: Incidents<Key>,
    live: HashMap<Key, Live>,
    pending: VecDeque<(Conn, Timestamp, Option<u64>)>,
    stats: ProfileStats,
    /// Export failures (file, error).
    pub export_errors: Vec<String>,
}

struct World<'a> {
    p: &'a Profile,
    now: Timestamp,
}

impl mud::Resolve for World<'_> {
    fn name_has(&self, name: &str, ip: &IpAddr) -> bool {
        self.p.dns.has(name, ip, self.now)
    }
    fn mud_url_of(&self, ip: &IpAddr) -> Option<&str> {
        self.p.mud_of(ip).map(|m| m.url.as_str())
    }
    fn is_local(&self, ip: &IpAddr) -> bool {
        self.p.local.iter().any(|c| c.contains(ip))
    }
    fn is_controller(&self, uri: &str, ip: &IpAddr) -> bool {
        self.p
            .controllers
            .iter()
            .any(|(u, c)| u == uri && c.iter().any(|c| c.contains(ip)))
    }
    fn is_my_controller(&self, url: &str, ip: &IpAddr) -> bool {
        self.is_controller(url, ip)
    }
}

fn multicast_or_broadcast(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => v.is_multicast() || v.is_broadcast() || v.octets()[3] == 255,
        IpAddr::V6(v) => v.is_multicast(),
    }
}

fn proto_name(p: u8) -> String {
    match p {
        1 => "icmp".into(),
        6 => "tcp".into(),
        17 => "udp".into(),
        58 => "ipv6-icmp".into(),
        n => n.to_string(),
    }
}

fn join_limited<I: Iterator<Item = String>>(it: I, max: usize) -> String {
    let v: Vec<String> = it.collect();
    let n = v.len();
    let mut s = v.into_iter().take(max).collect::<Vec<_>>().join(",");
    if n > max {
        s.push_str(&format!(",...(+{})", n - max));
    }
    s
}

impl Profile {
    fn build(cfg: ProfileConfig, files: Vec<MudFile>) -> (Self, Vec<String>) {
        let mut bad = Vec::new();
        let muds = files
            .into_iter()
            .zip(cfg.mud.iter())
            .map(|(f, b)| (f, cidrs(&b.devices, "mud.devices", &mut bad)))
            .collect();
        let controllers = cfg
            .controllers
            .iter()
            .map(|c| {
                (
                    c.uri.clone(),
                    cidrs(&c.addresses, "controllers.addresses", &mut bad),
                )
            })
            .collect();
        let groups = cfg
            .groups
            .iter()
            .map(|g| {
                (
                    g.name.clone(),
                    cidrs(&g.devices, "groups.devices", &mut bad),
                )
            })
            .collect();
        let p = Profile {
            devices: cidrs(&cfg.devices, "devices", &mut bad),
            local: cidrs(&cfg.local_networks, "local_networks", &mut bad),
            infra: cidrs(&cfg.infrastructure, "infrastructure", &mut bad),
            muds,
            controllers,
            groups,
            dns: DnsCache::new(cfg.dns_max_names, cfg.dns_min_ttl_secs),
            devs: HashMap::new(),
            dev_order: VecDeque::new(),
            learned: HashMap::new(),
            learned_order: VecDeque::new(),
            incidents: Incidents::new(cfg.incident, u64::from(SID_MUD) << 32),
            live: HashMap::new(),
            pending: VecDeque::new(),
            stats: ProfileStats::default(),
            export_errors: Vec::new(),
            cfg,
        };
        (p, bad)
    }

    /// A detector with `cfg` and the MUD files of `cfg.mud`, parsed by
    /// the caller in the same order (see [`Profile::load`]); an error names
    /// the entries that are not networks.
    pub fn with_muds(cfg: ProfileConfig, files: Vec<MudFile>) -> Result<Self, String> {
        let (p, bad) = Profile::build(cfg, files);
        if bad.is_empty() {
            Ok(p)
        } else {
            Err(format!("detectors.profile: {}", bad.join("; ")))
        }
    }

    /// Reads and parses the configured MUD files, then builds the detector.
    pub fn load(cfg: ProfileConfig) -> Result<Self, String> {
        let mut files = Vec::new();
        for b in &cfg.mud {
            let text = std::fs::read_to_string(&b.file)
                .map_err(|e| format!("MUD file {}: {e}", b.file.display()))?;
            let f =
                MudFile::parse(&text).map_err(|e| format!("MUD file {}: {e}", b.file.display()))?;
            files.push(f);
        }
        Profile::with_muds(cfg, files)
    }

    /// A detector without MUD files; entries that are not networks are
    /// ignored.
    pub fn new(mut cfg: ProfileConfig) -> Self {
        cfg.mud.clear();
        Profile::build(cfg, Vec::new()).0
    }

    /// Counters.
    pub fn stats(&self) -> ProfileStats {
        ProfileStats {
            devices: self.devs.len(),
            dns_evictions: self.dns.evictions(),
            ..self.stats
        }
    }

    fn mud_of(&self, ip: &IpAddr) -> Option<&MudFile> {
        self.muds
            .iter()
            .find(|(_, c)| c.iter().any(|c| c.contains(ip)))
            .map(|(f, _)| f)
    }

    fn is_device(&self, ip: &IpAddr) -> bool {
        self.mud_of(ip).is_some() || self.devices.iter().any(|c| c.contains(ip))
    }

    fn profile_key(&self, ip: &IpAddr) -> String {
        self.groups
            .iter()
            .find(|(_, c)| c.iter().any(|c| c.contains(ip)))
            .map_or_else(|| ip.to_string(), |(n, _)| n.clone())
    }

    fn infrastructure(&self, c: &Conn) -> bool {
        self.cfg.infrastructure_ports.contains(&c.port)
            && matches!(c.proto, 6 | 17)
            && (multicast_or_broadcast(&c.peer) || self.infra.iter().any(|n| n.contains(&c.peer)))
    }

    /// The connection a packet starts, oriented from `device`, if any.
    fn conns(&self, p: &PacketObs) -> Vec<Conn> {
        let mut out = Vec::new();
        let (opener, responder, iport, rport) = match p.proto {
            6 if p.tcp_flags & 0x12 == 0x02 => (p.src, p.dst, p.sport, p.dport),
            6 if p.tcp_flags & 0x12 == 0x12 => (p.dst, p.src, p.dport, p.sport),
            6 => return out,
            _ if p.new_flow => (p.src, p.dst, p.sport, p.dport),
            _ => return out,
        };
        if opener == responder {
            return out;
        }
        let syn = p.proto == 6 && p.tcp_flags & 0x12 == 0x02;
        let synack = p.proto == 6 && !syn;
        // the opener's side: only on its own SYN / first packet
        if !synack && self.is_device(&opener) {
            out.push(Conn {
                device: opener,
                peer: responder,
                out: true,
                proto: p.proto,
                port: rport,
                iport,
                icmp_type: p.icmp_type,
            });
        }
        // the responder's side: TCP when it accepted (SYN-ACK), others on
        // the first packet
        if !syn && self.is_device(&responder) && !multicast_or_broadcast(&responder) {
            out.push(Conn {
                device: responder,
                peer: opener,
                out: false,
                proto: p.proto,
                port: rport,
                iport,
                icmp_type: p.icmp_type,
            });
        }
        out
    }

    fn track_device(&mut self, ip: IpAddr, now: Timestamp) {
        if self.devs.contains_key(&ip) {
            return;
        }
        while self.devs.len() >= self.cfg.max_devices.max(1) {
            let Some(old) = self.dev_order.pop_front() else {
                break;
            };
            if self.devs.remove(&old).is_some() {
                self.stats.device_evictions += 1;
            }
        }
        self.devs.insert(
            ip,
            Dev {
                first: now,
                minute: now.secs() / 60,
                bytes: 0,
                learned_max: 0,
            },
        );
        self.dev_order.push_back(ip);
        if self.mud_of(&ip).is_none() && self.cfg.learn {
            let key = self.profile_key(&ip);
            if !self.learned.contains_key(&key) {
                while self.learned.len() >= self.cfg.max_devices.max(1) {
                    let Some(old) = self.learned_order.pop_front() else {
                        break;
                    };
                    if self.learned.remove(&old).is_some() {
                        self.stats.device_evictions += 1;
                    }
                }
                self.learned.insert(key.clone(), Learned::new(now));
                self.learned_order.push_back(key);
            }
        }
    }

    fn rate(&mut self, p: &PacketObs, out: &mut dyn Emit) {
        if !self.cfg.learn || !self.devices.iter().any(|c| c.contains(&p.src)) {
            return;
        }
        if self.mud_of(&p.src).is_some() {
            return;
        }
        self.track_device(p.src, p.ts);
        let learn_secs = self.cfg.learn_secs;
        let Some(d) = self.devs.get_mut(&p.src) else {
            return;
        };
        let minute = p.ts.secs() / 60;
        let learning = p.ts.secs_since(d.first) < learn_secs;
        if minute != d.minute {
            // a minute ended; during learning its total is a baseline sample
            // (the device's first, partial minute included: it can only be
            // smaller than a full one)
            if d.minute * 60 + 60 <= d.first.secs() + learn_secs {
                d.learned_max = d.learned_max.max(d.bytes);
            }
            d.minute = minute;
            d.bytes = 0;
        }
        d.bytes += u64::from(p.len);
        if learning {
            return;
        }
        let base = d.learned_max.max(self.cfg.rate_floor_bytes);
        let limit = (base as f64 * self.cfg.rate_factor) as u64;
        let (bytes, learned) = (d.bytes, d.learned_max);
        if bytes <= limit {
            return;
        }
        let key: Key = (p.src, None, 0, 0, SID_RATE);
        if let Some(l) = self.live.get_mut(&key) {
            if let Some(e) = l
                .evidence
                .iter_mut()
                .find(|(k, _)| *k == "peak_bytes_per_minute")
            {
                if e.1.parse::<u64>().is_ok_and(|peak| bytes > peak) {
                    e.1 = bytes.to_string();
                }
            }
            if let Some((phase, inc)) = self.incidents.activity(&key, p.ts, 1) {
                self.emit(&key, phase, &inc, p.ts, out);
            }
            return;
        }
        let tuple = Tuple {
            src_ip: p.src,
            src_port: None,
            dest_ip: p.dst,
            dest_port: None,
            proto: p.proto,
        };
        let evidence = vec![
            ("profile", format!("learned:{}", self.profile_key(&p.src))),
            ("bytes_in_minute", bytes.to_string()),
            ("peak_bytes_per_minute", bytes.to_string()),
            ("learned_max_bytes_per_minute", learned.to_string()),
            ("limit_bytes_per_minute", limit.to_string()),
            ("rate_factor", self.cfg.rate_factor.to_string()),
        ];
        self.start(key, tuple, evidence, p.ts, None, out);
    }

    fn start(
        &mut self,
        key: Key,
        tuple: Tuple,
        evidence: Vec<(&'static str, String)>,
        now: Timestamp,
        flow_id: Option<u64>,
        out: &mut dyn Emit,
    ) {
        let (inc, evicted) = self.incidents.start(key, now, 1);
        if let Some((k, i)) = evicted {
            self.end(k, i, now, out);
        }
        let mut peers = Distinct::new();
        if let Some(p) = key.1 {
            peers.insert(&p);
        } else if key.4 != SID_RATE {
            // the end that is not the device
            let peer = if tuple.src_ip == key.0 {
                tuple.dest_ip
            } else {
                tuple.src_ip
            };
            peers.insert(&peer);
        }
        self.live.insert(
            key,
            Live {
                tuple,
                evidence,
                peers,
            },
        );
        if let Some(mut a) = self.alert(&key, Phase::Start, &inc, now) {
            a.flow_id = flow_id;
            out.alert(a);
        }
    }

    fn alert(
        &self,
        key: &Key,
        phase: Phase,
        inc: &Incident,
        now: Timestamp,
    ) -> Option<DetectorAlert> {
        let l = self.live.get(key)?;
        let (sid, msg) = match key.4 {
            SID_MUD => (SID_MUD, MSG_MUD),
            SID_NEW => (SID_NEW, MSG_NEW),
            _ => (SID_RATE, MSG_RATE),
        };
        let mut evidence = l.evidence.clone();
        if phase != Phase::Start {
            let what = if sid == SID_RATE {
                "packets_over_limit"
            } else {
                "connections"
            };
            evidence.push((what, inc.events.to_string()));
        }
        if key.1.is_none() && sid != SID_RATE {
            evidence.push(("distinct_peers", l.peers.count().to_string()));
        }
        if phase == Phase::End {
            evidence.push((
                "duration_secs",
                inc.last_seen.secs_since(inc.started).to_string(),
            ));
        }
        Some(DetectorAlert {
            timestamp: now,
            sid,
            msg,
            class: Class::ProfileViolation,
            detector: NAME,
            severity: 2,
            tuple: l.tuple,
            flow_id: None,
            incident: Some(inc.id),
            phase,
            evidence,
        })
    }

    fn emit(&self, key: &Key, phase: Phase, inc: &Incident, now: Timestamp, out: &mut dyn Emit) {
        if let Some(a) = self.alert(key, phase, inc, now) {
            out.alert(a);
        }
    }

    fn end(&mut self, key: Key, inc: Incident, now: Timestamp, out: &mut dyn Emit) {
        self.emit(&key, Phase::End, &inc, now, out);
        self.live.remove(&key);
    }

    /// Reports a violating connection: a new incident, or activity on the
    /// running one (folded per device beyond `max_peer_incidents`).
    fn violation(
        &mut self,
        c: &Conn,
        sid: u32,
        evidence: Vec<(&'static str, String)>,
        now: Timestamp,
        flow_id: Option<u64>,
        out: &mut dyn Emit,
    ) {
        let key: Key = (c.device, Some(c.peer), c.proto, c.port, sid);
        let folded: Key = (c.device, None, c.proto, 0, sid);
        for k in [key, folded] {
            if self.incidents.is_live(&k) {
                if let Some(l) = self.live.get_mut(&k) {
                    l.peers.insert(&c.peer);
                }
                if let Some((phase, inc)) = self.incidents.activity(&k, now, 1) {
                    self.emit(&k, phase, &inc, now, out);
                }
                return;
            }
        }
        let running = self
            .live
            .keys()
            .filter(|k| k.0 == c.device && k.4 == sid && k.1.is_some())
            .count();
        let key = if running >= self.cfg.max_peer_incidents {
            folded
        } else {
            key
        };
        let tuple = if c.out {
            Tuple {
                src_ip: c.device,
                src_port: Some(c.iport),
                dest_ip: c.peer,
                dest_port: Some(c.port),
                proto: c.proto,
            }
        } else {
            Tuple {
                src_ip: c.peer,
                src_port: Some(c.iport),
                dest_ip: c.device,
                dest_port: Some(c.port),
                proto: c.proto,
            }
        };
        self.start(key, tuple, evidence, now, flow_id, out);
    }

    fn common_evidence(&self, c: &Conn, now: Timestamp) -> Vec<(&'static str, String)> {
        let mut ev = vec![
            ("device", c.device.to_string()),
            ("peer", c.peer.to_string()),
            (
                "direction",
                if c.out { "from-device" } else { "to-device" }.to_string(),
            ),
            ("proto", proto_name(c.proto)),
            ("port", c.port.to_string()),
        ];
        let names = self.dns.names_of(&c.peer, now);
        if !names.is_empty() {
            ev.push((
                "peer_names",
                join_limited(names.iter().map(|s| s.to_string()), 4),
            ));
        }
        ev
    }

    /// A MUD device's connection: None when the device has no MUD file,
    /// `Some(None)` when permitted, else the violation's evidence.
    fn check_mud(&mut self, c: &Conn, now: Timestamp) -> Option<Option<Verdict>> {
        self.mud_of(&c.device)?;
        self.stats.mud_checked += 1;
        if self.infrastructure(c) {
            return Some(None);
        }
        let (src, dst, sport, dport) = if c.out {
            (c.device, c.peer, c.iport, c.port)
        } else {
            (c.peer, c.device, c.iport, c.port)
        };
        let pk = mud::Packet {
            src,
            dst,
            proto: c.proto,
            sport,
            dport,
            icmp_type: c.icmp_type,
            from_device: c.out,
            opens_tcp: c.proto == 6,
        };
        let file = self.mud_of(&c.device)?;
        let w = World { p: self, now };
        let d = file.decide(&pk, &w);
        let url = file.url.clone();
        let (acl, ace, failed, dropped) = match d {
            Decision::Accept(..) => return Some(None),
            Decision::Drop(a, e) => (Some(a), Some(e), None, true),
            Decision::NoMatch(Some((a, e, f))) => (Some(a), Some(e), Some(f), false),
            Decision::NoMatch(None) => (None, None, None, false),
        };
        let mut ev = vec![("profile", url)];
        ev.extend(self.common_evidence(c, now));
        ev.push((
            "policy",
            if c.out {
                "from-device-policy"
            } else {
                "to-device-policy"
            }
            .into(),
        ));
        if let Some(a) = acl {
            ev.push(("acl", a));
        }
        if let Some(e) = ace {
            ev.push((
                if dropped {
                    "dropping_ace"
                } else {
                    "nearest_ace"
                },
                e,
            ));
        }
        if let Some(f) = failed {
            ev.push(("failed_match", f.to_string()));
        }
        Some(Some((SID_MUD, ev)))
    }

    /// A learned-profile device's connection: learns it during the window,
    /// else the violation's evidence if it is new.
    fn check_learned(&mut self, c: &Conn, now: Timestamp) -> Option<Verdict> {
        if !self.cfg.learn {
            return None;
        }
        self.track_device(c.device, now);
        let key = self.profile_key(&c.device);
        let names: Vec<String> = self
            .dns
            .names_of(&c.peer, now)
            .into_iter()
            .map(str::to_string)
            .collect();
        let infra = self.infrastructure(c);
        let max = self.cfg.max_learned;
        let learn_secs = self.cfg.learn_secs;
        let l = self.learned.get_mut(&key)?;
        let svc: Svc = (c.out, c.proto, c.port);
        if now.secs_since(l.started) < learn_secs {
            if l.overflow || infra {
                return None;
            }
            l.peers.insert(c.peer);
            for n in &names {
                l.names.insert(n.clone());
            }
            if let Some(n) = names.first() {
                l.peer_names.entry(c.peer).or_insert_with(|| n.clone());
            }
            l.services.insert(svc);
            l.protos.insert(c.proto);
            l.flows.insert((c.out, c.peer, c.proto, c.port));
            if l.services.len() > max || l.peers.len() > max || l.flows.len() > 4 * max {
                l.overflow = true;
                self.stats.overflowed += 1;
            }
            return None;
        }
        if l.overflow || infra {
            return None;
        }
        let new_peer = !l.peers.contains(&c.peer) && !names.iter().any(|n| l.names.contains(n));
        let new_port = !l.services.contains(&svc);
        let new_proto = !l.protos.contains(&c.proto);
        if !new_peer && !new_port {
            return None;
        }
        let mut novel = Vec::new();
        if new_peer {
            novel.push("destination");
        }
        if new_port {
            novel.push("port");
        }
        if new_proto {
            novel.push("protocol");
        }
        let learned_services = join_limited(
            l.services.iter().map(|(o, pr, po)| {
                format!(
                    "{}/{}/{}",
                    if *o { "out" } else { "in" },
                    proto_name(*pr),
                    po
                )
            }),
            8,
        );
        let learned_names = join_limited(l.names.iter().cloned(), 6);
        let learned_peers = l.peers.len();
        let since = l.started;
        let mut ev = vec![("profile", format!("learned:{key}"))];
        ev.extend(self.common_evidence(c, now));
        ev.push(("novel", novel.join("+")));
        ev.push(("learned_services", learned_services));
        ev.push(("learned_peers", learned_peers.to_string()));
        if !learned_names.is_empty() {
            ev.push(("learned_names", learned_names));
        }
        ev.push(("learned_since", since.to_string()));
        Some((SID_NEW, ev))
    }

    /// Judges a connection start: MUD when the device has a file, else
    /// the learned profile.
    fn judge(&mut self, c: &Conn, now: Timestamp) -> Option<Verdict> {
        match self.check_mud(c, now) {
            Some(v) => v,
            None => self.check_learned(c, now),
        }
    }

    /// A violation waits `dns_grace_secs` before it is reported (and is
    /// judged again then): the DNS answer that names its peer may reach
    /// the detectors after the connection's first packet (another worker's
    /// batch). Connections of a running incident count at once.
    fn connection(&mut self, c: Conn, now: Timestamp, flow_id: Option<u64>, out: &mut dyn Emit) {
        let Some((sid, ev)) = self.judge(&c, now) else {
            return;
        };
        let key: Key = (c.device, Some(c.peer), c.proto, c.port, sid);
        let folded: Key = (c.device, None, c.proto, 0, sid);
        if self.cfg.dns_grace_secs == 0
            || self.incidents.is_live(&key)
            || self.incidents.is_live(&folded)
        {
            self.violation(&c, sid, ev, now, flow_id, out);
            return;
        }
        if self.pending.len() >= PENDING_MAX {
            self.pending.pop_front();
            self.stats.pending_dropped += 1;
        }
        self.pending.push_back((c, now, flow_id));
    }

    /// Reports the pending violations older than the grace period that
    /// are still violations (all of them with `all`).
    fn settle(&mut self, now: Timestamp, all: bool, out: &mut dyn Emit) {
        let grace = self.cfg.dns_grace_secs;
        while let Some(&(c, t, flow_id)) = self.pending.front() {
            if !all && now.secs_since(t) < grace {
                break;
            }
            self.pending.pop_front();
            if let Some((sid, ev)) = self.judge(&c, now) {
                self.violation(&c, sid, ev, now, flow_id, out);
            }
        }
    }

    /// The learned profiles as MUD files (one per device or group), for
    /// operators to review and pin.
    pub fn export(&self) -> Vec<MudFile> {
        let mut keys: Vec<&String> = self.learned.keys().collect();
        keys.sort();
        keys.into_iter()
            .filter_map(|k| {
                let l = self.learned.get(k)?;
                (!l.overflow).then(|| learned_mud(k, l, &self.cfg.export_authority))
            })
            .collect()
    }

    fn write_export(&mut self) {
        let Some(dir) = self.cfg.export_dir.clone() else {
            return;
        };
        if let Err(e) = std::fs::create_dir_all(&dir) {
            self.export_errors.push(format!("{}: {e}", dir.display()));
            return;
        }
        for f in self.export() {
            let name: String = f
                .url
                .rsplit('/')
                .next()
                .unwrap_or("profile")
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            let path = dir.join(format!("{name}.json"));
            let text = serde_json::to_string_pretty(&f.to_json()).unwrap_or_default();
            match std::fs::write(&path, text + "\n") {
                Ok(()) => self.stats.exported += 1,
                Err(e) => self.export_errors.push(format!("{}: {e}", path.display())),
            }
        }
    }
}

/// A learned profile as a MUD file: for each learned flow, an accepting
/// ACE in the policy of its direction and the mirror ACE for the answers
/// in the other; peers with a DNS name are named (`dst-dnsname`), others
/// given as a host network; TCP ACEs carry who opens the connection.
fn learned_mud(key: &str, l: &Learned, authority: &str) -> MudFile {
    use mud::{Ace, Acl, Initiated, Matches, Net, PortMatch};
    let slug: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let mut fr: [Vec<Ace>; 2] = [Vec::new(), Vec::new()];
    let mut to: [Vec<Ace>; 2] = [Vec::new(), Vec::new()];
    let mut seen = BTreeSet::new();
    for (i, (out, peer, proto, port)) in l.flows.iter().enumerate() {
        let v6 = peer.is_ipv6();
        let name = l.peer_names.get(peer).cloned();
        let ident = (
            out,
            name.clone().unwrap_or_else(|| peer.to_string()),
            proto,
            port,
            v6,
        );
        if !seen.insert(ident) {
            continue;
        }
        let Some(cidr) = Cidr::parse(&peer.to_string()) else {
            continue;
        };
        let host = Net {
            text: format!("{peer}/{}", if v6 { 128 } else { 32 }),
            cidr,
        };
        let transport = matches!(proto, 6 | 17).then_some(*proto);
        let dir = (*proto == 6).then_some(if *out {
            Initiated::FromDevice
        } else {
            Initiated::ToDevice
        });
        let port_m = transport.map(|_| PortMatch::Eq(*port));
        // the packet the device sends: to the peer's port when it opened,
        // from its own port when the peer did
        let mut send = Matches {
            ip_version: Some(if v6 { 6 } else { 4 }),
            protocol: Some(*proto),
            transport,
            direction_initiated: dir,
            ..Matches::default()
        };
        let mut recv = send.clone();
        match &name {
            Some(n) => {
                send.dst_dnsname = Some(n.clone());
                recv.src_dnsname = Some(n.clone());
            }
            None => {
                send.dst_network = Some(host.clone());
                recv.src_network = Some(host);
            }
        }
        if *out {
            send.dst_port = port_m;
            recv.src_port = port_m;
        } else {
            send.src_port = port_m;
            recv.dst_port = port_m;
        }
        let label = format!("{}{i}", if *out { "out" } else { "in" });
        let fam = usize::from(v6);
        fr[fam].push(Ace {
            name: format!("{label}-frdev"),
            matches: send,
            accept: true,
        });
        to[fam].push(Ace {
            name: format!("{label}-todev"),
            matches: recv,
            accept: true,
        });
    }
    let mut acls = Vec::new();
    let (mut from_device, mut to_device) = (Vec::new(), Vec::new());
    for (fam, tag) in [(0usize, "v4"), (1, "v6")] {
        let (f, t) = (std::mem::take(&mut fr[fam]), std::mem::take(&mut to[fam]));
        if f.is_empty() {
            continue;
        }
        let kind = if fam == 0 {
            "ipv4-acl-type"
        } else {
            "ipv6-acl-type"
        };
        let (fname, tname) = (
            format!("learned-{slug}-{tag}fr"),
            format!("learned-{slug}-{tag}to"),
        );
        from_device.push(fname.clone());
        to_device.push(tname.clone());
        acls.push(Acl {
            name: fname,
            kind: kind.into(),
            aces: f,
        });
        acls.push(Acl {
            name: tname,
            kind: kind.into(),
            aces: t,
        });
    }
    MudFile {
        url: format!("https://{authority}/{slug}"),
        authority: authority.to_ascii_lowercase(),
        version: 1,
        systeminfo: Some(format!("palisade learned profile of {key}")),
        signature: None,
        last_update: None,
        from_device,
        to_device,
        acls,
    }
}

impl Detector for Profile {
    fn name(&self) -> &'static str {
        NAME
    }

    fn observe(&mut self, obs: Observation<'_>, out: &mut dyn Emit) {
        match obs {
            Observation::Dns(d) => self.dns.observe(d),
            Observation::Packet(p) => {
                self.rate(p, out);
                for c in self.conns(p) {
                    self.connection(c, p.ts, p.flow_id, out);
                }
            }
            _ => {}
        }
    }

    fn tick(&mut self, now: Timestamp, out: &mut dyn Emit) {
        self.settle(now, false, out);
        for (k, i) in self.incidents.expire(now) {
            self.end(k, i, now, out);
        }
    }

    fn finish(&mut self, now: Timestamp, out: &mut dyn Emit) {
        self.settle(now, true, out);
        for (k, i) in self.incidents.drain() {
            self.end(k, i, now, out);
        }
        self.write_export();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::obs::DnsObs;
    use crate::testutil::{pkt, Rec};

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn t(s: u64) -> Timestamp {
        Timestamp::from_secs_nanos(s, 0)
    }

    fn syn(src: &str, dst: &str, sport: u16, dport: u16, s: u64) -> PacketObs {
        let mut p = pkt(ip(src), ip(dst), 6, s);
        (p.sport, p.dport, p.tcp_flags, p.new_flow) = (sport, dport, 0x02, true);
        p
    }

    fn synack(src: &str, dst: &str, sport: u16, dport: u16, s: u64) -> PacketObs {
        let mut p = pkt(ip(src), ip(dst), 6, s);
        (p.sport, p.dport, p.tcp_flags) = (sport, dport, 0x12);
        p
    }

    fn udp(src: &str, dst: &str, sport: u16, dport: u16, s: u64) -> PacketObs {
        let mut p = pkt(ip(src), ip(dst), 17, s);
        (p.sport, p.dport, p.new_flow) = (sport, dport, true);
        p
    }

    fn dns(s: u64, name: &str, addr: &str) -> DnsObs {
        DnsObs {
            ts: t(s),
            client: ip("10.0.0.9"),
            server: ip("10.0.0.1"),
            names: vec![name.into()],
            addrs: vec![ip(addr)],
            ttl: 300,
        }
    }

    fn feed(d: &mut Profile, p: &PacketObs, r: &mut Rec) {
        d.observe(Observation::Packet(p), r);
    }

    const MUD: &str = r#"{
      "ietf-mud:mud": {"mud-version": 1, "mud-url": "https://cam.example/model-1",
        "from-device-policy": {"access-lists": {"access-list": [{"name": "fr"}]}},
        "to-device-policy": {"access-lists": {"access-list": [{"name": "to"}]}}},
      "ietf-access-control-list:acls": {"acl": [
        {"name": "fr", "type": "ipv4-acl-type", "aces": {"ace": [
          {"name": "cloud-fr", "matches": {"ipv4": {"protocol": 6, "ietf-acldns:dst-dnsname": "cloud.cam.example"},
            "tcp": {"destination-port": {"operator": "eq", "port": 443}, "ietf-mud:direction-initiated": "from-device"}},
            "actions": {"forwarding": "accept"}},
          {"name": "ctl-fr", "matches": {"ietf-mud:mud": {"my-controller": [null]}, "ipv4": {"protocol": 17},
            "udp": {"destination-port": {"port": 5684}}}, "actions": {"forwarding": "accept"}}]}},
        {"name": "to", "type": "ipv4-acl-type", "aces": {"ace": [
          {"name": "nvr-to", "matches": {"ietf-mud:mud": {"local-networks": [null]}, "ipv4": {"protocol": 6},
            "tcp": {"destination-port": {"port": 554}, "ietf-mud:direction-initiated": "to-device"}},
            "actions": {"forwarding": "accept"}}]}}]}
    }"#;

    fn mud_profile() -> Profile {
        let cfg = ProfileConfig {
            mud: vec![MudBinding {
                file: "inline".into(),
                devices: vec!["10.0.0.9".into()],
            }],
            controllers: vec![ControllerBinding {
                uri: "https://cam.example/model-1".into(),
                addresses: vec!["10.0.0.2".into()],
            }],
            dns_grace_secs: 0,
            ..ProfileConfig::default()
        };
        Profile::with_muds(cfg, vec![MudFile::parse(MUD).unwrap()]).unwrap()
    }

    #[test]
    fn mud_permits_and_names_the_nearest_ace() {
        let mut d = mud_profile();
        let mut r = Rec::default();
        d.observe(
            Observation::Dns(&dns(10, "cloud.cam.example", "203.0.113.10")),
            &mut r,
        );
        // permitted: the resolved cloud, the controller, the NVR's RTSP, DNS to the gateway
        feed(
            &mut d,
            &syn("10.0.0.9", "203.0.113.10", 40000, 443, 11),
            &mut r,
        );
        feed(
            &mut d,
            &udp("10.0.0.9", "10.0.0.2", 40001, 5684, 12),
            &mut r,
        );
        feed(
            &mut d,
            &synack("10.0.0.9", "10.0.0.3", 554, 50000, 13),
            &mut r,
        );
        feed(&mut d, &udp("10.0.0.9", "10.0.0.1", 40002, 53, 14), &mut r);
        // the SYN of a peer that the device does not answer: nothing (scan's business)
        feed(&mut d, &syn("198.51.100.1", "10.0.0.9", 1, 23, 15), &mut r);
        assert!(r.alerts.is_empty(), "{:?}", r.alerts);
        assert_eq!(d.stats().mud_checked, 4);
        // not permitted: an unresolved host on 443, three times: one incident
        for i in 0..3 {
            feed(
                &mut d,
                &syn(
                    "10.0.0.9",
                    "198.51.100.7",
                    40010 + i,
                    443,
                    20 + u64::from(i),
                ),
                &mut r,
            );
        }
        assert_eq!(r.alerts.len(), 1);
        let a = &r.alerts[0];
        assert_eq!(
            (a.sid, a.class, a.phase),
            (SID_MUD, Class::ProfileViolation, Phase::Start)
        );
        assert!(a.msg.starts_with("PALISADE "));
        assert_eq!(
            (a.tuple.src_ip, a.tuple.dest_ip),
            (ip("10.0.0.9"), ip("198.51.100.7"))
        );
        assert_eq!(r.ev(0, "profile"), Some("https://cam.example/model-1"));
        assert_eq!(r.ev(0, "acl"), Some("fr"));
        assert_eq!(r.ev(0, "nearest_ace"), Some("cloud-fr"));
        assert_eq!(r.ev(0, "failed_match"), Some("dst-dnsname"));
        assert_eq!(r.ev(0, "policy"), Some("from-device-policy"));
        // the controller on another port; an inbound connection from outside
        feed(
            &mut d,
            &udp("10.0.0.9", "10.0.0.2", 40003, 9999, 30),
            &mut r,
        );
        assert_eq!(r.ev(1, "nearest_ace"), Some("ctl-fr"));
        assert_eq!(r.ev(1, "failed_match"), Some("destination-port"));
        feed(
            &mut d,
            &synack("10.0.0.9", "198.51.100.9", 554, 1234, 31),
            &mut r,
        );
        assert_eq!(r.ev(2, "policy"), Some("to-device-policy"));
        assert_eq!(r.ev(2, "failed_match"), Some("local-networks"));
        assert_eq!(r.alerts[2].tuple.src_ip, ip("198.51.100.9"));
        // the DNS answer expires (min TTL 3600 s): the cloud is no longer known
        feed(
            &mut d,
            &syn("10.0.0.9", "203.0.113.10", 40020, 443, 10 + 3601),
            &mut r,
        );
        assert_eq!(
            r.alerts.iter().filter(|a| a.phase == Phase::Start).count(),
            4
        );
        d.finish(t(5000), &mut r);
        let ends: Vec<_> = r.alerts.iter().filter(|a| a.phase == Phase::End).collect();
        assert_eq!(ends.len(), 4);
        assert!(ends
            .iter()
            .any(|a| a.evidence.contains(&("connections", "3".into()))));
    }

    fn learner(learn_secs: u64) -> Profile {
        Profile::new(ProfileConfig {
            learn_secs,
            dns_grace_secs: 0,
            ..ProfileConfig::default()
        })
    }

    #[test]
    fn learned_destinations_ports_and_names() {
        let mut d = learner(100);
        let mut r = Rec::default();
        d.observe(
            Observation::Dns(&dns(1, "cloud.example", "203.0.113.10")),
            &mut r,
        );
        feed(
            &mut d,
            &syn("10.0.0.9", "203.0.113.10", 40000, 443, 1),
            &mut r,
        );
        feed(&mut d, &udp("10.0.0.9", "10.0.0.1", 40001, 123, 2), &mut r);
        feed(
            &mut d,
            &synack("10.0.0.9", "10.0.0.3", 554, 50000, 3),
            &mut r,
        );
        // during learning anything goes
        feed(
            &mut d,
            &syn("10.0.0.9", "198.51.100.50", 40002, 8883, 50),
            &mut r,
        );
        assert!(r.alerts.is_empty());
        // after: known peers and services, the cloud under a new address
        d.observe(
            Observation::Dns(&dns(200, "cloud.example", "203.0.113.99")),
            &mut r,
        );
        feed(
            &mut d,
            &syn("10.0.0.9", "203.0.113.99", 40003, 443, 201),
            &mut r,
        );
        feed(
            &mut d,
            &syn("10.0.0.9", "203.0.113.10", 40004, 443, 202),
            &mut r,
        );
        feed(
            &mut d,
            &synack("10.0.0.9", "10.0.0.3", 554, 50001, 203),
            &mut r,
        );
        feed(&mut d, &udp("10.0.0.9", "10.0.0.1", 40005, 53, 204), &mut r); // infrastructure
        assert!(r.alerts.is_empty(), "{:?}", r.alerts);
        // IRC to a new host: new destination and port
        for i in 0..5 {
            feed(
                &mut d,
                &syn(
                    "10.0.0.9",
                    "192.0.2.66",
                    40010 + i,
                    6667,
                    300 + u64::from(i),
                ),
                &mut r,
            );
        }
        assert_eq!(r.alerts.len(), 1);
        assert_eq!(r.alerts[0].sid, SID_NEW);
        assert_eq!(r.ev(0, "novel"), Some("destination+port"));
        assert_eq!(r.ev(0, "profile"), Some("learned:10.0.0.9"));
        assert_eq!(r.ev(0, "learned_names"), Some("cloud.example"));
        assert_eq!(r.ev(0, "learned_peers"), Some("3"));
        assert!(r.ev(0, "learned_services").unwrap().contains("out/tcp/443"));
        // a known port at a new host; a new port at a known host; a new protocol
        feed(
            &mut d,
            &syn("10.0.0.9", "198.51.100.77", 40020, 443, 310),
            &mut r,
        );
        assert_eq!(r.ev(1, "novel"), Some("destination"));
        feed(
            &mut d,
            &syn("10.0.0.9", "203.0.113.10", 40021, 22, 311),
            &mut r,
        );
        assert_eq!(r.ev(2, "novel"), Some("port"));
        let mut icmp = pkt(ip("10.0.0.9"), ip("203.0.113.10"), 1, 312);
        icmp.new_flow = true;
        feed(&mut d, &icmp, &mut r);
        assert_eq!(r.ev(3, "novel"), Some("port+protocol"));
        // ends after idle_secs (600)
        d.tick(t(304 + 599), &mut r);
        assert_eq!(r.alerts.iter().filter(|a| a.phase == Phase::End).count(), 0);
        d.tick(t(304 + 600), &mut r);
        let end = r.alerts.iter().find(|a| a.phase == Phase::End).unwrap();
        assert!(end.evidence.contains(&("connections", "5".into())));
    }

    #[test]
    fn late_dns_answers_within_the_grace_period() {
        let mut d = Profile::new(ProfileConfig {
            learn_secs: 10,
            ..ProfileConfig::default()
        });
        let mut r = Rec::default();
        d.observe(
            Observation::Dns(&dns(1, "cloud.example", "203.0.113.10")),
            &mut r,
        );
        feed(
            &mut d,
            &syn("10.0.0.9", "203.0.113.10", 40000, 443, 1),
            &mut r,
        );
        // after learning: the SYN to the new address comes before its answer
        feed(
            &mut d,
            &syn("10.0.0.9", "203.0.113.11", 40001, 443, 100),
            &mut r,
        );
        d.observe(
            Observation::Dns(&dns(100, "cloud.example", "203.0.113.11")),
            &mut r,
        );
        // and a real violation
        feed(
            &mut d,
            &syn("10.0.0.9", "192.0.2.66", 40002, 6667, 100),
            &mut r,
        );
        d.tick(t(101), &mut r);
        assert!(r.alerts.is_empty());
        d.tick(t(102), &mut r);
        assert_eq!(r.alerts.len(), 1, "{:?}", r.alerts);
        assert_eq!(r.ev(0, "peer"), Some("192.0.2.66"));
        assert_eq!(r.alerts[0].timestamp, t(102));
    }

    #[test]
    fn groups_share_a_profile() {
        let mut d = Profile::new(ProfileConfig {
            learn_secs: 100,
            groups: vec![GroupBinding {
                name: "cams".into(),
                devices: vec!["10.0.1.0/24".into()],
            }],
            dns_grace_secs: 0,
            ..ProfileConfig::default()
        });
        let mut r = Rec::default();
        feed(
            &mut d,
            &syn("10.0.1.5", "203.0.113.10", 40000, 443, 1),
            &mut r,
        );
        // another member, after the group's window: already known
        feed(
            &mut d,
            &syn("10.0.1.6", "203.0.113.10", 40000, 443, 150),
            &mut r,
        );
        assert!(r.alerts.is_empty());
        feed(
            &mut d,
            &syn("10.0.1.6", "203.0.113.11", 40001, 443, 151),
            &mut r,
        );
        assert_eq!(r.ev(0, "profile"), Some("learned:cams"));
    }

    #[test]
    fn rate_far_above_the_learned_busiest_minute() {
        let mut d = Profile::new(ProfileConfig {
            learn_secs: 600,
            rate_floor_bytes: 1000,
            dns_grace_secs: 0,
            ..ProfileConfig::default()
        });
        let mut r = Rec::default();
        // learning: 10 packets of 500 bytes a minute (5,000 bytes)
        for s in 0..600u64 {
            if s % 6 == 0 {
                let mut p = udp("10.0.0.9", "10.0.0.2", 40000, 5683, s);
                p.len = 500;
                feed(&mut d, &p, &mut r);
            }
        }
        // 40,000 bytes in one minute: below 10 x 5,000
        for s in 600..660u64 {
            let mut p = udp("10.0.0.9", "10.0.0.2", 40000, 5683, s);
            (p.len, p.new_flow) = (666, false);
            feed(&mut d, &p, &mut r);
        }
        assert!(r.alerts.is_empty(), "{:?}", r.alerts);
        // 60 x 1,400 bytes in a few seconds: 84,000 > 50,000
        for i in 0..60u64 {
            let mut p = udp("10.0.0.9", "10.0.0.2", 40000, 5683, 660 + i / 20);
            (p.len, p.new_flow) = (1400, false);
            feed(&mut d, &p, &mut r);
        }
        assert_eq!(r.alerts.len(), 1);
        assert_eq!(r.alerts[0].sid, SID_RATE);
        assert_eq!(r.ev(0, "learned_max_bytes_per_minute"), Some("5000"));
        assert_eq!(r.ev(0, "limit_bytes_per_minute"), Some("50000"));
        assert_eq!(r.ev(0, "bytes_in_minute"), Some("50400"));
        assert_eq!(r.ev(0, "profile"), Some("learned:10.0.0.9"));
        d.finish(t(700), &mut r);
        assert_eq!(r.alerts.last().unwrap().phase, Phase::End);
        assert_eq!(r.ev(1, "peak_bytes_per_minute"), Some("84000"));
        assert_eq!(r.ev(1, "packets_over_limit"), Some("25"));
    }

    #[test]
    fn bounds_fold_and_overflow() {
        let mut d = Profile::new(ProfileConfig {
            learn_secs: 10,
            max_devices: 50,
            max_learned: 5,
            dns_grace_secs: 0,
            ..ProfileConfig::default()
        });
        let mut r = Rec::default();
        // a bot scanning 1,000 addresses after learning: folded incidents
        feed(
            &mut d,
            &syn("10.0.0.9", "203.0.113.10", 40000, 443, 0),
            &mut r,
        );
        for i in 0..1000u32 {
            let dst = std::net::Ipv4Addr::from(0xC633_6400 + (i % 250) + ((i / 250) << 8));
            let mut p = syn("10.0.0.9", "1.1.1.1", 40001, 23, 20 + u64::from(i / 100));
            p.dst = IpAddr::V4(dst);
            feed(&mut d, &p, &mut r);
        }
        let starts = r.alerts.iter().filter(|a| a.phase == Phase::Start).count();
        assert_eq!(starts, d.cfg.max_peer_incidents + 1, "{starts}");
        // the folded incident counts the rest of the peers (approximately)
        let mut fin = Rec::default();
        d.tick(t(1000), &mut fin);
        let folded = fin
            .alerts
            .iter()
            .find(|a| a.evidence.iter().any(|(k, _)| *k == "distinct_peers"))
            .unwrap();
        let n: u64 = folded
            .evidence
            .iter()
            .find(|(k, _)| *k == "distinct_peers")
            .unwrap()
            .1
            .parse()
            .unwrap();
        assert!((850..=1150).contains(&n), "{n}");
        // a device talking to more than max_learned services while learning: overflow
        for i in 0..10u16 {
            feed(
                &mut d,
                &syn("10.0.0.8", "203.0.113.10", 40000, 1000 + i, 0),
                &mut r,
            );
        }
        feed(
            &mut d,
            &syn("10.0.0.8", "203.0.113.50", 40000, 9, 100),
            &mut r,
        );
        assert_eq!(d.stats().overflowed, 1);
        assert_eq!(
            r.alerts.iter().filter(|a| a.phase == Phase::Start).count(),
            starts
        );
        // 10,000 devices: at most 50 tracked
        for i in 0..10_000u32 {
            let mut p = syn("10.0.0.1", "203.0.113.10", 40000, 443, 200);
            p.src = IpAddr::V4(std::net::Ipv4Addr::from(0x0A01_0000 + i));
            feed(&mut d, &p, &mut r);
        }
        assert!(d.stats().devices <= 50);
        assert!(d.learned.len() <= 50);
        assert!(d.stats().device_evictions >= 9_900);
    }

    #[test]
    fn export_round_trips_and_pins() {
        let mut d = learner(100);
        let mut r = Rec::default();
        d.observe(
            Observation::Dns(&dns(1, "cloud.example", "203.0.113.10")),
            &mut r,
        );
        feed(
            &mut d,
            &syn("10.0.0.9", "203.0.113.10", 40000, 443, 1),
            &mut r,
        );
        feed(&mut d, &udp("10.0.0.9", "10.0.0.2", 40001, 1883, 2), &mut r);
        feed(
            &mut d,
            &synack("10.0.0.9", "10.0.0.3", 554, 50000, 3),
            &mut r,
        );
        let mut icmp = pkt(ip("10.0.0.9"), ip("10.0.0.1"), 1, 4);
        icmp.new_flow = true;
        feed(&mut d, &icmp, &mut r);
        let files = d.export();
        // the peers inside the fleet got profiles too (what they received)
        assert_eq!(files.len(), 3);
        let f = files
            .iter()
            .find(|f| f.url == "https://profiles.palisade.invalid/10-0-0-9")
            .unwrap();
        let text = serde_json::to_string_pretty(&f.to_json()).unwrap();
        let back = MudFile::parse(&text).unwrap();
        assert_eq!(&back, f);
        assert_eq!(back.dns_names(), vec!["cloud.example"]);
        // pinned: the learned traffic passes, a new destination does not
        let cfg = ProfileConfig {
            mud: vec![MudBinding {
                file: "pinned".into(),
                devices: vec!["10.0.0.9".into()],
            }],
            dns_grace_secs: 0,
            ..ProfileConfig::default()
        };
        let mut p = Profile::with_muds(cfg, vec![back]).unwrap();
        let mut r = Rec::default();
        p.observe(
            Observation::Dns(&dns(500, "cloud.example", "203.0.113.10")),
            &mut r,
        );
        feed(
            &mut p,
            &syn("10.0.0.9", "203.0.113.10", 40000, 443, 501),
            &mut r,
        );
        feed(
            &mut p,
            &udp("10.0.0.9", "10.0.0.2", 40001, 1883, 502),
            &mut r,
        );
        feed(
            &mut p,
            &synack("10.0.0.9", "10.0.0.3", 554, 50000, 503),
            &mut r,
        );
        let mut icmp = pkt(ip("10.0.0.9"), ip("10.0.0.1"), 1, 504);
        icmp.new_flow = true;
        feed(&mut p, &icmp, &mut r);
        assert!(r.alerts.is_empty(), "{:?}", r.alerts);
        feed(
            &mut p,
            &syn("10.0.0.9", "192.0.2.66", 40002, 6667, 505),
            &mut r,
        );
        assert_eq!(r.alerts.len(), 1);
        assert_eq!(r.alerts[0].sid, SID_MUD);
    }

    #[test]
    fn config_errors_and_defaults() {
        let c = ProfileConfig::default();
        assert_eq!(
            (c.learn_secs, c.max_learned, c.rate_factor),
            (3600, 256, 10.0)
        );
        let bad = ProfileConfig {
            devices: vec!["nonsense".into()],
            dns_grace_secs: 0,
            ..ProfileConfig::default()
        };
        let e = Profile::with_muds(bad, Vec::new()).err().unwrap();
        assert!(e.contains("nonsense"), "{e}");
        let e = Profile::load(ProfileConfig {
            mud: vec![MudBinding {
                file: "/nonexistent/x.json".into(),
                devices: vec![],
            }],
            dns_grace_secs: 0,
            ..ProfileConfig::default()
        })
        .err()
        .unwrap();
        assert!(e.contains("/nonexistent/x.json"), "{e}");
        assert_eq!(Profile::new(ProfileConfig::default()).name(), NAME);
    }
}
