//! `ddos`: floods into a victim, and floods out of the fleet.
//!
//! Into a victim (any destination host), per second: SYNs without ACK
//! (sid +40), UDP packets or bits (+41), ICMP packets (+42), and UDP from
//! the source ports of the usual reflectors/amplifiers (+43: DNS 53, NTP
//! 123, SSDP 1900, SNMP 161, CLDAP 389, memcached 11211, WS-Discovery 3702,
//! Dahua DVR discovery 37810, BACnet 47808, chargen 19, qotd 17; these count
//! as reflection, not as a UDP flood, so one attack is one incident).
//!
//! A second crosses a threshold when its count reaches BOTH an absolute
//! minimum and a multiple of the victim's learned baseline (an EWMA of its
//! per-second rate). Why both: the absolute minimum alone would alert on
//! every busy server (a DNS resolver answering 20,000 queries/s is not
//! flooded); the multiple alone would alert on a quiet camera whose
//! baseline is near zero (ten times nothing is a handful of packets). A
//! baseline is not updated by seconds above the threshold, so a long flood
//! does not become normal. The Start alert fires on the packet that makes
//! the current second cross (time to detect under a second of packet
//! time); the incident stays alive while seconds keep crossing and ends
//! `idle_secs` after the last one.
//!
//! Distinct sources per victim are a HyperLogLog estimate (`2^p` bytes per
//! victim whatever the number of spoofed sources); sources are never
//! stored one by one. Victims live in a bounded table (the lowest-rate
//! evicted first, victims with a running incident last).
//!
//! Out of the fleet: per source inside `home_net`, packets per second to
//! destinations outside it (one or many) at or above `outbound_pps`
//! → sid +44, severity 1 (a fleet device flooding is likely a bot).

use crate::incident::{Incident, IncidentConfig, Incidents};
use crate::sketch::{batch, evict_lowest, hash_ip, Hll};
use crate::{
    Class, Detector, DetectorAlert, Emit, Observation, PacketObs, Phase, DETECTOR_SID_BASE,
};
use palisade_event::{Timestamp, Tuple};
use std::collections::HashMap;
use std::net::IpAddr;

/// Detector name.
pub const NAME: &str = "ddos";
/// SYN flood sid.
pub const SID_SYN: u32 = DETECTOR_SID_BASE + 40;
/// UDP flood sid.
pub const SID_UDP: u32 = DETECTOR_SID_BASE + 41;
/// ICMP flood sid.
pub const SID_ICMP: u32 = DETECTOR_SID_BASE + 42;
/// Reflection/amplification sid.
pub const SID_REFLECTION: u32 = DETECTOR_SID_BASE + 43;
/// Outbound flood sid.
pub const SID_OUTBOUND: u32 = DETECTOR_SID_BASE + 44;

/// Reflector source ports and the protocol each names.
pub const REFLECTORS: [(u16, &str); 11] = [
    (53, "dns"),
    (123, "ntp"),
    (1900, "ssdp"),
    (161, "snmp"),
    (389, "cldap"),
    (11211, "memcached"),
    (3702, "ws-discovery"),
    (37810, "dhdiscover"),
    (47808, "bacnet"),
    (19, "chargen"),
    (17, "qotd"),
];

/// `[detectors.ddos]`.
#[derive(serde::Deserialize, serde::Serialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DdosConfig {
    /// Minimum SYNs (without ACK) per second to one victim (packets/s).
    pub syn_pps: u64,
    /// Minimum UDP packets per second to one victim (packets/s).
    pub udp_pps: u64,
    /// Minimum UDP bits per second to one victim (bits/s); the UDP flood
    /// crosses on packets or on bits.
    pub udp_bps: u64,
    /// Minimum ICMP packets per second to one victim (packets/s).
    pub icmp_pps: u64,
    /// Minimum UDP packets per second from reflector ports to one victim
    /// (packets/s).
    pub reflection_pps: u64,
    /// The rate must also be this multiple of the victim's baseline (ratio).
    pub baseline_multiple: f64,
    /// EWMA weight of each new second in the baseline (0..1; 0.02 ≈ the
    /// last 50 seconds).
    pub baseline_alpha: f64,
    /// Victims tracked at once (entries); beyond, the lowest-rate are
    /// evicted (counted).
    pub max_victims: usize,
    /// HyperLogLog precision of distinct sources per victim (4..=16;
    /// 2^p bytes each; 11: 2 KiB, about 2.3 % error).
    pub source_hll_precision: u8,
    /// The fleet's networks (CIDRs, IPv4 and IPv6); invalid entries are
    /// ignored (see [`DdosConfig::invalid_home_net`]).
    pub home_net: Vec<String>,
    /// Packets per second from one fleet device to destinations outside
    /// `home_net` that make an outbound flood (packets/s).
    pub outbound_pps: u64,
    /// Fleet sources tracked at once (entries); beyond, the lowest-rate
    /// are evicted.
    pub max_fleet_sources: usize,
    /// Incident timing.
    pub incident: IncidentConfig,
}

impl Default for DdosConfig {
    fn default() -> Self {
        DdosConfig {
            syn_pps: 2_000,
            udp_pps: 10_000,
            udp_bps: 50_000_000,
            icmp_pps: 2_000,
            reflection_pps: 1_000,
            baseline_multiple: 10.0,
            baseline_alpha: 0.02,
            max_victims: 16_384,
            source_hll_precision: 11,
            home_net: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            outbound_pps: 5_000,
            max_fleet_sources: 16_384,
            incident: IncidentConfig {
                update_secs: 60,
                idle_secs: 10,
                max_live: 4096,
            },
        }
    }
}

impl DdosConfig {
    /// The `home_net` entries that do not parse as CIDRs.
    pub fn invalid_home_net(&self) -> Vec<&str> {
        self.home_net
            .iter()
            .filter(|s| Cidr::parse(s).is_none())
            .map(|s| s.as_str())
            .collect()
    }
}

/// A network: address and prefix length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    v6: bool,
    net: u128,
    mask: u128,
}

impl Cidr {
    /// Parses `a.b.c.d/n` or `x:y::/n` (a bare address is a host).
    pub fn parse(s: &str) -> Option<Cidr> {
        let (a, len) = match s.trim().split_once('/') {
            Some((a, l)) => (a, Some(l.parse::<u32>().ok()?)),
            None => (s.trim(), None),
        };
        let ip: IpAddr = a.parse().ok()?;
        let (v6, bits, width) = match ip {
            IpAddr::V4(v) => (false, u128::from(u32::from(v)), 32),
            IpAddr::V6(v) => (true, u128::from(v), 128),
        };
        let len = len.unwrap_or(width);
        if len > width {
            return None;
        }
        let host_bits = width - len;
        let full = if width == 32 {
            u128::from(u32::MAX)
        } else {
            u128::MAX
        };
        let mask = if host_bits >= 128 {
            0
        } else {
            (full >> host_bits) << host_bits
        };
        Some(Cidr {
            v6,
            net: bits & mask,
            mask,
        })
    }

    /// Whether `ip` is inside.
    pub fn contains(&self, ip: &IpAddr) -> bool {
        match ip {
            IpAddr::V4(v) => !self.v6 && u128::from(u32::from(*v)) & self.mask == self.net,
            IpAddr::V6(v) => self.v6 && u128::from(*v) & self.mask == self.net,
        }
    }
}

/// Flood kinds into a victim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Kind {
    Syn = 0,
    Udp = 1,
    Icmp = 2,
    Reflection = 3,
}

const KINDS: [Kind; 4] = [Kind::Syn, Kind::Udp, Kind::Icmp, Kind::Reflection];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Key {
    Into(IpAddr, Kind),
    Out(IpAddr),
}

/// One victim's per-second counters and baselines.
struct Victim {
    sec: u64,
    pkts: [u64; 4],
    bytes: [u64; 4],
    above: [bool; 4],
    pps_limit: [u64; 4],
    bytes_limit: [u64; 4],
    base_pps: [f64; 4],
    base_bytes: [f64; 4],
    last_rate: u64,
    live: bool,
    sources: Hll,
    reflected: [u64; REFLECTORS.len()],
}

/// One fleet device's outbound counters.
struct Fleet {
    sec: u64,
    pkts: u64,
    bytes: u64,
    above: bool,
    last_rate: u64,
    live: bool,
    destinations: Hll,
    /// Majority vote (one Misra–Gries counter): the destination most sent to.
    top: Option<(IpAddr, u64)>,
}

/// Totals of a running incident.
struct Acc {
    tuple: Tuple,
    bytes: u64,
    peak_pps: u64,
    pps: u64,
    bps: u64,
}

/// The flood detector.
pub struct Ddos {
    cfg: DdosConfig,
    home: Vec<Cidr>,
    victims: HashMap<IpAddr, Victim>,
    fleet: HashMap<IpAddr, Fleet>,
    incidents: Incidents<Key>,
    acc: HashMap<Key, Acc>,
    evictions: u64,
}

fn kind_of(p: &PacketObs) -> Option<Kind> {
    match p.proto {
        6 if p.tcp_flags & 0x12 == 0x02 => Some(Kind::Syn),
        17 if REFLECTORS.iter().any(|(port, _)| *port == p.sport) => Some(Kind::Reflection),
        17 => Some(Kind::Udp),
        1 | 58 => Some(Kind::Icmp),
        _ => None,
    }
}

fn tuple_of(p: &PacketObs) -> Tuple {
    let ports = p.proto == 6 || p.proto == 17;
    Tuple {
        src_ip: p.src,
        src_port: ports.then_some(p.sport),
        dest_ip: p.dst,
        dest_port: ports.then_some(p.dport),
        proto: p.proto,
    }
}

impl Ddos {
    /// A detector with `cfg`.
    pub fn new(cfg: DdosConfig) -> Self {
        Ddos {
            home: cfg.home_net.iter().filter_map(|s| Cidr::parse(s)).collect(),
            incidents: Incidents::new(cfg.incident, u64::from(SID_SYN) << 32),
            cfg,
            victims: HashMap::new(),
            fleet: HashMap::new(),
            acc: HashMap::new(),
            evictions: 0,
        }
    }

    /// Entries evicted from the bounded tables so far.
    pub fn evictions(&self) -> u64 {
        self.evictions
    }

    /// Entries held: (victims, fleet sources, running incidents, incident
    /// totals). Nothing is held per attacking source.
    pub fn tracked(&self) -> (usize, usize, usize, usize) {
        (
            self.victims.len(),
            self.fleet.len(),
            self.incidents.len(),
            self.acc.len(),
        )
    }

    fn min_pps(&self, k: Kind) -> u64 {
        match k {
            Kind::Syn => self.cfg.syn_pps,
            Kind::Udp => self.cfg.udp_pps,
            Kind::Icmp => self.cfg.icmp_pps,
            Kind::Reflection => self.cfg.reflection_pps,
        }
    }

    fn min_bytes(&self, k: Kind) -> u64 {
        match k {
            Kind::Udp => self.cfg.udp_bps / 8,
            _ => u64::MAX,
        }
    }

    fn in_home(&self, ip: &IpAddr) -> bool {
        self.home.iter().any(|c| c.contains(ip))
    }

    fn alert(&self, key: &Key, phase: Phase, inc: &Incident, now: Timestamp) -> DetectorAlert {
        let (sid, msg, severity) = match key {
            Key::Into(_, Kind::Syn) => (SID_SYN, "PALISADE SYN flood", 2),
            Key::Into(_, Kind::Udp) => (SID_UDP, "PALISADE UDP flood", 2),
            Key::Into(_, Kind::Icmp) => (SID_ICMP, "PALISADE ICMP flood", 2),
            Key::Into(_, Kind::Reflection) => {
                (SID_REFLECTION, "PALISADE amplification/reflection flood", 2)
            }
            Key::Out(_) => (
                SID_OUTBOUND,
                "PALISADE outbound flood from fleet device (possible bot)",
                1,
            ),
        };
        let acc = self.acc.get(key);
        let mut evidence = vec![
            ("pps", acc.map_or(0, |a| a.pps).to_string()),
            ("bps", acc.map_or(0, |a| a.bps).to_string()),
            ("packets", inc.events.to_string()),
        ];
        match key {
            Key::Into(v, kind) => {
                if let Some(vs) = self.victims.get(v) {
                    evidence.push(("distinct_sources", vs.sources.estimate().to_string()));
                    if *kind == Kind::Reflection {
                        let top = vs
                            .reflected
                            .iter()
                            .zip(REFLECTORS.iter())
                            .max_by_key(|(n, _)| **n)
                            .filter(|(n, _)| **n > 0);
                        if let Some((_, (port, name))) = top {
                            evidence.push(("reflected_port", port.to_string()));
                            evidence.push(("reflected_protocol", name.to_string()));
                        }
                    }
                }
            }
            Key::Out(s) => {
                if let Some(f) = self.fleet.get(s) {
                    evidence.push((
                        "distinct_destinations",
                        f.destinations.estimate().to_string(),
                    ));
                    if let Some((d, _)) = f.top {
                        evidence.push(("top_destination", d.to_string()));
                    }
                }
            }
        }
        if phase == Phase::End {
            evidence.push(("bytes", acc.map_or(0, |a| a.bytes).to_string()));
            evidence.push(("peak_pps", acc.map_or(0, |a| a.peak_pps).to_string()));
            evidence.push((
                "duration_secs",
                inc.last_seen.secs_since(inc.started).to_string(),
            ));
        }
        let tuple = acc.map(|a| a.tuple).unwrap_or(Tuple {
            src_ip: match key {
                Key::Into(v, _) | Key::Out(v) => *v,
            },
            src_port: None,
            dest_ip: match key {
                Key::Into(v, _) | Key::Out(v) => *v,
            },
            dest_port: None,
            proto: 0,
        });
        DetectorAlert {
            timestamp: now,
            sid,
            msg,
            class: Class::Ddos,
            detector: NAME,
            severity,
            tuple,
            flow_id: None,
            incident: Some(inc.id),
            phase,
            evidence,
        }
    }

    fn end(&mut self, key: Key, inc: Incident, now: Timestamp, out: &mut dyn Emit) {
        let a = self.alert(&key, Phase::End, &inc, now);
        self.acc.remove(&key);
        match key {
            Key::Into(v, _) => {
                let still = KINDS
                    .iter()
                    .any(|k| self.incidents.is_live(&Key::Into(v, *k)));
                if let Some(vs) = self.victims.get_mut(&v) {
                    vs.live = still;
                    if !still {
                        // the next incident counts its own sources
                        vs.sources.clear();
                        vs.reflected = [0; REFLECTORS.len()];
                    }
                }
            }
            Key::Out(s) => {
                if let Some(f) = self.fleet.get_mut(&s) {
                    f.live = false;
                    f.destinations.clear();
                    f.top = None;
                }
            }
        }
        out.alert(a);
    }

    /// The current second of `key` crossed or stays above its threshold:
    /// start the incident or record activity. `first`: this packet made the
    /// second cross (the whole second so far counts); `sec_pkts` and
    /// `sec_bytes`: the second's counts so far.
    #[allow(clippy::too_many_arguments)]
    fn crossing(
        &mut self,
        key: Key,
        p: &PacketObs,
        first: bool,
        sec_pkts: u64,
        sec_bytes: u64,
        out: &mut dyn Emit,
    ) {
        let (n, b) = if first {
            (sec_pkts, sec_bytes)
        } else {
            (1, u64::from(p.len))
        };
        if self.incidents.is_live(&key) {
            let due = self.incidents.activity(&key, p.ts, n);
            if let Some(a) = self.acc.get_mut(&key) {
                a.bytes += b;
                a.pps = sec_pkts;
                a.bps = sec_bytes.saturating_mul(8);
                a.peak_pps = a.peak_pps.max(sec_pkts);
            }
            if let Some((phase, inc)) = due {
                let a = self.alert(&key, phase, &inc, p.ts);
                out.alert(a);
            }
            return;
        }
        let (inc, evicted) = self.incidents.start(key, p.ts, n);
        if let Some((k, i)) = evicted {
            self.end(k, i, p.ts, out);
        }
        self.acc.insert(
            key,
            Acc {
                tuple: tuple_of(p),
                bytes: b,
                peak_pps: sec_pkts,
                pps: sec_pkts,
                bps: sec_bytes.saturating_mul(8),
            },
        );
        match key {
            Key::Into(v, _) => {
                if let Some(vs) = self.victims.get_mut(&v) {
                    vs.live = true;
                }
            }
            Key::Out(s) => {
                if let Some(f) = self.fleet.get_mut(&s) {
                    f.live = true;
                }
            }
        }
        let a = self.alert(&key, Phase::Start, &inc, p.ts);
        out.alert(a);
    }

    fn inbound(&mut self, p: &PacketObs, kind: Kind, out: &mut dyn Emit) {
        let now = p.ts.secs();
        if !self.victims.contains_key(&p.dst) && self.victims.len() >= self.cfg.max_victims {
            let n = batch(self.cfg.max_victims);
            let gone = evict_lowest(&mut self.victims, n, |v| {
                if v.live {
                    u64::MAX
                } else {
                    v.last_rate.max(v.pkts.iter().sum())
                }
            });
            self.evictions += gone.len() as u64;
        }
        let mins: [u64; 4] = KINDS.map(|k| self.min_pps(k));
        let min_bytes: [u64; 4] = KINDS.map(|k| self.min_bytes(k));
        let (mult, alpha) = (
            self.cfg.baseline_multiple.max(0.0),
            self.cfg.baseline_alpha.clamp(0.0, 1.0),
        );
        let p_hll = self.cfg.source_hll_precision;
        let v = self.victims.entry(p.dst).or_insert_with(|| Victim {
            sec: now,
            pkts: [0; 4],
            bytes: [0; 4],
            above: [false; 4],
            pps_limit: mins,
            bytes_limit: min_bytes,
            base_pps: [0.0; 4],
            base_bytes: [0.0; 4],
            last_rate: 0,
            live: false,
            sources: Hll::new(p_hll),
            reflected: [0; REFLECTORS.len()],
        });
        if now > v.sec {
            // roll: the finished second feeds the baselines (unless it was
            // a flood), quiet seconds between decay them
            let quiet = (now - v.sec - 1).min(10_000) as i32;
            let decay = (1.0 - alpha).powi(quiet);
            for i in 0..4 {
                if !v.above[i] {
                    v.base_pps[i] += alpha * (v.pkts[i] as f64 - v.base_pps[i]);
                    v.base_bytes[i] += alpha * (v.bytes[i] as f64 - v.base_bytes[i]);
                }
                v.base_pps[i] *= decay;
                v.base_bytes[i] *= decay;
                v.pps_limit[i] = mins[i].max((mult * v.base_pps[i]).ceil() as u64);
                v.bytes_limit[i] = min_bytes[i].max((mult * v.base_bytes[i]).ceil() as u64);
            }
            v.last_rate = if quiet == 0 { v.pkts.iter().sum() } else { 0 };
            v.pkts = [0; 4];
            v.bytes = [0; 4];
            v.above = [false; 4];
            v.sec = now;
        }
        let i = kind as usize;
        let (Some(pk), Some(by)) = (v.pkts.get_mut(i), v.bytes.get_mut(i)) else {
            return;
        };
        *pk += 1;
        *by += u64::from(p.len);
        let (sec_pkts, sec_bytes) = (*pk, *by);
        v.sources.insert_hash(hash_ip(&p.src));
        if kind == Kind::Reflection {
            if let Some(j) = REFLECTORS.iter().position(|(port, _)| *port == p.sport) {
                if let Some(c) = v.reflected.get_mut(j) {
                    *c += 1;
                }
            }
        }
        let was_above = v.above.get(i).copied().unwrap_or(false);
        let crosses = sec_pkts >= v.pps_limit.get(i).copied().unwrap_or(u64::MAX)
            || sec_bytes >= v.bytes_limit.get(i).copied().unwrap_or(u64::MAX);
        if !crosses {
            return;
        }
        if let Some(a) = v.above.get_mut(i) {
            *a = true;
        }
        self.crossing(
            Key::Into(p.dst, kind),
            p,
            !was_above,
            sec_pkts,
            sec_bytes,
            out,
        );
    }

    fn outbound(&mut self, p: &PacketObs, out: &mut dyn Emit) {
        let now = p.ts.secs();
        if !self.fleet.contains_key(&p.src) && self.fleet.len() >= self.cfg.max_fleet_sources {
            let n = batch(self.cfg.max_fleet_sources);
            let gone = evict_lowest(&mut self.fleet, n, |f| {
                if f.live {
                    u64::MAX
                } else {
                    f.last_rate.max(f.pkts)
                }
            });
            self.evictions += gone.len() as u64;
        }
        let f = self.fleet.entry(p.src).or_insert_with(|| Fleet {
            sec: now,
            pkts: 0,
            bytes: 0,
            above: false,
            last_rate: 0,
            live: false,
            destinations: Hll::new(8),
            top: None,
        });
        if now > f.sec {
            f.last_rate = if now - f.sec == 1 { f.pkts } else { 0 };
            f.pkts = 0;
            f.bytes = 0;
            f.above = false;
            f.sec = now;
        }
        f.pkts += 1;
        f.bytes += u64::from(p.len);
        f.destinations.insert_hash(hash_ip(&p.dst));
        f.top = match f.top {
            Some((d, n)) if d == p.dst => Some((d, n + 1)),
            Some((d, n)) if n > 1 => Some((d, n - 1)),
            _ => Some((p.dst, 1)),
        };
        if f.pkts < self.cfg.outbound_pps.max(1) {
            return;
        }
        let first = !f.above;
        f.above = true;
        let (sp, sb) = (f.pkts, f.bytes);
        self.crossing(Key::Out(p.src), p, first, sp, sb, out);
    }
}

impl Detector for Ddos {
    fn name(&self) -> &'static str {
        NAME
    }

    fn observe(&mut self, obs: Observation<'_>, out: &mut dyn Emit) {
        let Observation::Packet(p) = obs else {
            return;
        };
        if let Some(kind) = kind_of(p) {
            self.inbound(p, kind, out);
        }
        if !self.home.is_empty() && self.in_home(&p.src) && !self.in_home(&p.dst) {
            self.outbound(p, out);
        }
    }

    fn tick(&mut self, now: Timestamp, out: &mut dyn Emit) {
        for (k, i) in self.incidents.expire(now) {
            self.end(k, i, now, out);
        }
    }

    fn finish(&mut self, now: Timestamp, out: &mut dyn Emit) {
        for (k, i) in self.incidents.drain() {
            self.end(k, i, now, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{pkt, Rec};
    use std::net::Ipv4Addr;

    fn victim() -> IpAddr {
        "10.1.2.3".parse().unwrap()
    }

    /// Packet `i` of second `s` (spread within the second).
    fn at(mut p: PacketObs, s: u64, i: u64, per_sec: u64) -> PacketObs {
        p.ts = Timestamp::from_secs_nanos(s, i * (1_000_000_000 / per_sec.max(1)));
        p
    }

    fn syn(src: IpAddr) -> PacketObs {
        let mut p = pkt(src, victim(), 6, 0);
        p.tcp_flags = 0x02;
        p.sport = 1024;
        p.dport = 80;
        p
    }

    fn spoofed(i: u64) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(
            0x2000_0000u32.wrapping_add((i as u32).wrapping_mul(7919)),
        ))
    }

    #[test]
    fn million_spoofed_syns_one_incident_bounded() {
        let mut d = Ddos::new(DdosConfig::default());
        let mut r = Rec::default();
        let per_sec = 10_000u64;
        for i in 0..1_000_000u64 {
            let (s, k) = (1000 + i / per_sec, i % per_sec);
            let p = at(syn(spoofed(i)), s, k, per_sec);
            d.observe(Observation::Packet(&p), &mut r);
            if i == 1998 {
                assert!(r.alerts.is_empty(), "1,999 SYNs in a second: below");
            }
            if i == 1999 {
                // fires on the 2,000th SYN of the first second
                assert_eq!(r.alerts.len(), 1);
            }
        }
        let (victims, fleet, live, acc) = d.tracked();
        assert_eq!((victims, fleet, live, acc), (1, 0, 1, 1));
        d.finish(Timestamp::from_secs_nanos(1100, 0), &mut r);
        let starts: Vec<_> = r
            .alerts
            .iter()
            .filter(|a| a.phase == Phase::Start)
            .collect();
        assert_eq!(starts.len(), 1);
        assert_eq!((starts[0].sid, starts[0].class), (SID_SYN, Class::Ddos));
        assert_eq!(starts[0].msg, "PALISADE SYN flood");
        assert_eq!(starts[0].detector, "ddos");
        assert_eq!(r.ev(0, "pps"), Some("2000"));
        assert_eq!(r.ev(0, "packets"), Some("2000"));
        let end = r.alerts.len() - 1;
        assert_eq!(r.alerts[end].phase, Phase::End);
        assert_eq!(r.alerts[end].incident, starts[0].incident);
        // every second crossed: all its SYNs count, from the first on
        assert_eq!(r.ev(end, "packets"), Some("1000000"));
        assert_eq!(r.ev(end, "peak_pps"), Some("10000"));
        assert_eq!(r.ev(end, "duration_secs"), Some("99"));
        let n: f64 = r.ev(end, "distinct_sources").unwrap().parse().unwrap();
        assert!((n - 1e6).abs() / 1e6 <= 0.05, "estimate {n}");
        // updates at most every 60 s: one at 1060
        let updates = r.alerts.iter().filter(|a| a.phase == Phase::Update).count();
        assert_eq!(updates, 1);
        assert_eq!(d.tracked(), (1, 0, 0, 0));
    }

    #[test]
    fn baseline_multiple_and_idle_end() {
        let mut d = Ddos::new(DdosConfig::default());
        let mut r = Rec::default();
        let src: IpAddr = "198.51.100.1".parse().unwrap();
        // a busy server: 1,500 SYN/s for 300 s learns its baseline
        for s in 0..300u64 {
            for k in 0..1500 {
                d.observe(
                    Observation::Packet(&at(syn(src), 5000 + s, k, 1500)),
                    &mut r,
                );
            }
        }
        assert!(r.alerts.is_empty());
        // 3,000/s is above the absolute minimum but not ten times the baseline
        for k in 0..3000 {
            d.observe(Observation::Packet(&at(syn(src), 5300, k, 3000)), &mut r);
        }
        assert!(r.alerts.is_empty(), "{:?}", r.alerts.first());
        // 20,000/s is both
        for k in 0..20_000 {
            d.observe(Observation::Packet(&at(syn(src), 5301, k, 20_000)), &mut r);
        }
        assert_eq!(r.alerts.len(), 1);
        let crossed_at: u64 = r.ev(0, "pps").unwrap().parse().unwrap();
        assert!((14_000..=16_000).contains(&crossed_at), "{crossed_at}");
        // idle_secs (10) after the last flood packet (5301.99995)
        d.tick(Timestamp::from_secs_nanos(5311, 0), &mut r);
        assert_eq!(r.alerts.len(), 1);
        d.tick(Timestamp::from_secs_nanos(5312, 0), &mut r);
        assert_eq!(r.alerts.len(), 2);
        assert_eq!(r.alerts[1].phase, Phase::End);
    }

    #[test]
    fn reflection_udp_icmp() {
        let mut d = Ddos::new(DdosConfig::default());
        let mut r = Rec::default();
        for i in 0..1000u64 {
            let mut p = pkt(spoofed(i % 50), victim(), 17, 0);
            p.sport = 123;
            p.dport = 40000;
            p.len = 468;
            d.observe(Observation::Packet(&at(p, 10, i, 1000)), &mut r);
            if i == 998 {
                assert!(r.alerts.is_empty());
            }
        }
        assert_eq!(r.alerts.len(), 1);
        assert_eq!(r.alerts[0].sid, SID_REFLECTION);
        assert_eq!(r.ev(0, "reflected_port"), Some("123"));
        assert_eq!(r.ev(0, "reflected_protocol"), Some("ntp"));
        let n: u64 = r.ev(0, "distinct_sources").unwrap().parse().unwrap();
        assert!((47..=53).contains(&n), "{n}");
        assert_eq!(r.ev(0, "bps"), Some((1000 * 468 * 8).to_string().as_str()));
        // UDP by bits: 5,000 packets of 1,250 bytes = 50 Mbit in a second
        for i in 0..5000u64 {
            let mut p = pkt(spoofed(i), victim(), 17, 0);
            p.sport = 5555;
            p.len = 1250;
            d.observe(Observation::Packet(&at(p, 20, i, 5000)), &mut r);
        }
        assert_eq!(r.alerts.len(), 2);
        assert_eq!(r.alerts[1].sid, SID_UDP);
        // ICMP
        for i in 0..2000u64 {
            let mut p = pkt(spoofed(i), victim(), 1, 0);
            p.icmp_type = Some(8);
            d.observe(Observation::Packet(&at(p, 30, i, 2000)), &mut r);
        }
        assert_eq!(r.alerts.len(), 3);
        assert_eq!(r.alerts[2].sid, SID_ICMP);
    }

    #[test]
    fn outbound_flood() {
        let mut d = Ddos::new(DdosConfig::default());
        let mut r = Rec::default();
        let dev: IpAddr = "192.168.1.5".parse().unwrap();
        let target: IpAddr = "8.8.8.8".parse().unwrap();
        for i in 0..5000u64 {
            let mut p = pkt(dev, target, 6, 0);
            p.tcp_flags = 0x10; // ACK flood: not a SYN, not counted inbound
            d.observe(Observation::Packet(&at(p, 50, i, 5000)), &mut r);
            if i == 4998 {
                assert!(r.alerts.is_empty());
            }
        }
        assert_eq!(r.alerts.len(), 1);
        let a = &r.alerts[0];
        assert_eq!((a.sid, a.severity), (SID_OUTBOUND, 1));
        assert_eq!(
            a.msg,
            "PALISADE outbound flood from fleet device (possible bot)"
        );
        assert_eq!(r.ev(0, "top_destination"), Some("8.8.8.8"));
        assert_eq!(r.ev(0, "distinct_destinations"), Some("1"));
        // inside the fleet it is not outbound
        let mut d = Ddos::new(DdosConfig::default());
        let mut r = Rec::default();
        for i in 0..6000u64 {
            let mut p = pkt(dev, "192.168.1.9".parse().unwrap(), 6, 0);
            p.tcp_flags = 0x10;
            d.observe(Observation::Packet(&at(p, 50, i, 6000)), &mut r);
        }
        assert!(r.alerts.is_empty());
    }

    #[test]
    fn victims_bounded() {
        let cfg = DdosConfig {
            max_victims: 1000,
            source_hll_precision: 4,
            ..DdosConfig::default()
        };
        let mut d = Ddos::new(cfg);
        let mut r = Rec::default();
        for i in 0..100_000u64 {
            let mut p = syn("198.51.100.1".parse().unwrap());
            p.dst = spoofed(i);
            d.observe(
                Observation::Packet(&at(p, 1 + i / 10_000, i % 10_000, 10_000)),
                &mut r,
            );
        }
        assert!(d.tracked().0 <= 1000);
        assert!(d.evictions() >= 99_000);
        assert!(r.alerts.is_empty());
    }

    #[test]
    fn cidrs() {
        let c = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(c.contains(&"10.255.1.1".parse().unwrap()));
        assert!(!c.contains(&"11.0.0.1".parse().unwrap()));
        assert!(!c.contains(&"::a00:1".parse().unwrap()));
        let c = Cidr::parse("fc00::/7").unwrap();
        assert!(c.contains(&"fd12::1".parse().unwrap()));
        assert!(!c.contains(&"fe80::1".parse().unwrap()));
        assert!(Cidr::parse("0.0.0.0/0")
            .unwrap()
            .contains(&"1.2.3.4".parse().unwrap()));
        assert!(Cidr::parse("::/0")
            .unwrap()
            .contains(&"::1".parse().unwrap()));
        assert!(Cidr::parse("1.2.3.4")
            .unwrap()
            .contains(&"1.2.3.4".parse().unwrap()));
        assert_eq!(Cidr::parse("1.2.3.4/33"), None);
        assert_eq!(Cidr::parse("nonsense/8"), None);
        let cfg = DdosConfig {
            home_net: vec!["10.0.0.0/8".into(), "bad".into()],
            ..DdosConfig::default()
        };
        assert_eq!(cfg.invalid_home_net(), vec!["bad"]);
        assert!(DdosConfig::default().invalid_home_net().is_empty());
    }
}
