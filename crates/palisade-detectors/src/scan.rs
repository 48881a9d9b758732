//! `scan`: horizontal, vertical and slow port scans.
//!
//! A probe is a TCP SYN without ACK, the first packet of a new UDP flow, or
//! an ICMP/ICMPv6 echo request (port 0). Per source, in sliding windows:
//! - horizontal: distinct destination hosts on one port (one service swept
//!   across the fleet: Mirai and its kin on 23/2323, cameras on 554, ...),
//!   an incident per (source, port), sid +20;
//! - vertical: distinct ports on one host (a device fingerprinted), an
//!   incident per (source, host), sid +21;
//! - slow: distinct (host, port) targets over a long window, for scanners
//!   pacing themselves under the fast thresholds; reported only when the
//!   source has had no fast incident within that window, sid +22.
//!
//! The Start alert fires on the probe that crosses the threshold. Distinct
//! counts inside the windows are exact but capped at the threshold
//! ([`Recent`]); a running incident counts its distinct hosts/ports with a
//! 1 KiB HyperLogLog. Every table is bounded: sources (least recent
//! evicted, counted), (source, port) and (source, host) pairs, incidents.
//! Worst-case memory with the defaults: about 24 B × 25 × 16,384 per pair
//! table and 8 B × 100 × 65,536 for the slow sets.

use crate::incident::{Incident, IncidentConfig, Incidents};
use crate::sketch::{batch, evict_lowest, hash_ip, join, mix64, Hll, Recent};
use crate::{
    Class, Detector, DetectorAlert, Emit, Observation, PacketObs, Phase, DETECTOR_SID_BASE,
};
use palisade_event::{Timestamp, Tuple};
use std::collections::HashMap;
use std::net::IpAddr;

/// Detector name.
pub const NAME: &str = "scan";
/// Horizontal scan sid.
pub const SID_HORIZONTAL: u32 = DETECTOR_SID_BASE + 20;
/// Vertical scan sid.
pub const SID_VERTICAL: u32 = DETECTOR_SID_BASE + 21;
/// Slow scan sid.
pub const SID_SLOW: u32 = DETECTOR_SID_BASE + 22;
const MSG_HORIZONTAL: &str = "PALISADE horizontal port scan";
const MSG_VERTICAL: &str = "PALISADE vertical port scan";
const MSG_SLOW: &str = "PALISADE slow scan";
/// HyperLogLog precision of a running incident's distinct count (1 KiB,
/// about 3 %).
const INCIDENT_HLL_P: u8 = 10;

/// `[detectors.scan]`.
#[derive(serde::Deserialize, serde::Serialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ScanConfig {
    /// Distinct destination hosts one source probes on one port within
    /// `horizontal_window_secs` that make a horizontal scan (count). 25: a
    /// client talks to a handful of servers per port per minute; a sweep
    /// touches hundreds.
    pub horizontal_hosts: usize,
    /// Sliding window of the horizontal count (seconds).
    pub horizontal_window_secs: u64,
    /// Distinct ports one source probes on one host within
    /// `vertical_window_secs` that make a vertical scan (count). 25: no
    /// ordinary client opens that many services on one device per minute.
    pub vertical_ports: usize,
    /// Sliding window of the vertical count (seconds).
    pub vertical_window_secs: u64,
    /// Distinct (host, port) targets one source probes within
    /// `slow_window_secs` that make a slow scan (count).
    pub slow_targets: usize,
    /// Sliding window of the slow count (seconds).
    pub slow_window_secs: u64,
    /// Sources tracked at once (entries); beyond, the least recent are
    /// evicted (counted in `evictions`).
    pub max_sources: usize,
    /// (source, port) and (source, host) pairs tracked at once, each
    /// (entries); beyond, the least recent are evicted.
    pub max_pairs: usize,
    /// Hosts or ports listed in an alert's `sample_hosts` / `sample_ports`
    /// (count).
    pub sample_size: usize,
    /// Timing of the horizontal and vertical incidents.
    pub incident: IncidentConfig,
    /// Timing of slow-scan incidents (their probes are minutes apart, so
    /// they idle longer before ending).
    pub slow_incident: IncidentConfig,
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            horizontal_hosts: 25,
            horizontal_window_secs: 60,
            vertical_ports: 25,
            vertical_window_secs: 60,
            slow_targets: 100,
            slow_window_secs: 3600,
            max_sources: 65_536,
            max_pairs: 16_384,
            sample_size: 5,
            incident: IncidentConfig::default(),
            slow_incident: IncidentConfig {
                update_secs: 600,
                idle_secs: 900,
                max_live: 4096,
            },
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Key {
    Horizontal(IpAddr, u16),
    Vertical(IpAddr, IpAddr),
    Slow(IpAddr),
}

struct Source {
    last_seen: Timestamp,
    /// Hashes of (host, port) seen within the slow window.
    slow: Recent<u32>,
    /// Second of the last fast (horizontal/vertical) incident activity.
    last_fast: Option<u64>,
}

struct Pair<T> {
    last_seen: Timestamp,
    recent: Recent<T>,
}

/// What a running incident accumulated beyond [`Incident`].
struct Stats {
    tuple: Tuple,
    distinct: Hll,
    /// Exact distinct count when the incident started: the estimate never
    /// reports less.
    floor: u64,
    sample_hosts: Vec<IpAddr>,
    sample_ports: Vec<u16>,
}

/// The scan detector.
pub struct Scan {
    cfg: ScanConfig,
    sources: HashMap<IpAddr, Source>,
    horizontal: HashMap<(IpAddr, u16), Pair<IpAddr>>,
    vertical: HashMap<(IpAddr, IpAddr), Pair<u16>>,
    fast: Incidents<Key>,
    slow: Incidents<Key>,
    stats: HashMap<Key, Stats>,
    evictions: u64,
}

/// UDP source ports of services whose answers (or reflected floods) open
/// flows towards many ports and hosts without being a scan.
const UDP_SERVICE_PORTS: &[u16] = &[1900, 3702, 5353, 5683, 11211, 37810, 47808];

/// Whether a packet is a probe. A UDP packet opening a flow counts only
/// when it comes from a client port: answers from a service port (DNS,
/// NTP, SNMP, SSDP, ... — and every reflected amplification packet) are
/// not probes, or each reflector of a flood would be a vertical scan.
pub fn is_probe(p: &PacketObs) -> bool {
    match p.proto {
        6 => p.tcp_flags & 0x12 == 0x02,
        17 => p.new_flow && p.sport >= 1024 && !UDP_SERVICE_PORTS.contains(&p.sport),
        1 => p.icmp_type == Some(8),
        58 => p.icmp_type == Some(128),
        _ => false,
    }
}

impl Scan {
    /// A scan detector with `cfg`.
    pub fn new(cfg: ScanConfig) -> Self {
        Scan {
            fast: Incidents::new(cfg.incident, u64::from(SID_HORIZONTAL) << 32),
            slow: Incidents::new(cfg.slow_incident, u64::from(SID_SLOW) << 32),
            cfg,
            sources: HashMap::new(),
            horizontal: HashMap::new(),
            vertical: HashMap::new(),
            stats: HashMap::new(),
            evictions: 0,
        }
    }

    /// Entries evicted from the bounded tables so far.
    pub fn evictions(&self) -> u64 {
        self.evictions
    }

    /// Entries held: (sources, pairs, running incidents).
    pub fn tracked(&self) -> (usize, usize, usize) {
        (
            self.sources.len(),
            self.horizontal.len() + self.vertical.len(),
            self.fast.len() + self.slow.len(),
        )
    }

    fn sid_msg(key: &Key) -> (u32, &'static str) {
        match key {
            Key::Horizontal(..) => (SID_HORIZONTAL, MSG_HORIZONTAL),
            Key::Vertical(..) => (SID_VERTICAL, MSG_VERTICAL),
            Key::Slow(_) => (SID_SLOW, MSG_SLOW),
        }
    }

    fn window(&self, key: &Key) -> u64 {
        match key {
            Key::Horizontal(..) => self.cfg.horizontal_window_secs,
            Key::Vertical(..) => self.cfg.vertical_window_secs,
            Key::Slow(_) => self.cfg.slow_window_secs,
        }
    }

    fn alert(&self, key: &Key, phase: Phase, inc: &Incident, now: Timestamp) -> DetectorAlert {
        let (sid, msg) = Self::sid_msg(key);
        let mut evidence = Vec::with_capacity(6);
        let st = self.stats.get(key);
        let distinct = st
            .map_or(0, |s| s.distinct.estimate().max(s.floor))
            .to_string();
        match key {
            Key::Horizontal(..) => evidence.push(("distinct_hosts", distinct)),
            Key::Vertical(..) => evidence.push(("distinct_ports", distinct)),
            Key::Slow(_) => evidence.push(("distinct_targets", distinct)),
        }
        evidence.push(("probes", inc.events.to_string()));
        evidence.push(("window_secs", self.window(key).to_string()));
        if let Some(s) = st {
            if !s.sample_hosts.is_empty() {
                evidence.push(("sample_hosts", join(&s.sample_hosts)));
            }
            if !s.sample_ports.is_empty() {
                evidence.push(("sample_ports", join(&s.sample_ports)));
            }
        }
        if phase == Phase::End {
            evidence.push((
                "duration_secs",
                inc.last_seen.secs_since(inc.started).to_string(),
            ));
        }
        let tuple = st.map(|s| s.tuple).unwrap_or(Tuple {
            src_ip: match key {
                Key::Horizontal(s, _) | Key::Vertical(s, _) | Key::Slow(s) => *s,
            },
            src_port: None,
            dest_ip: match key {
                Key::Vertical(_, h) => *h,
                Key::Horizontal(s, _) | Key::Slow(s) => *s,
            },
            dest_port: None,
            proto: 0,
        });
        DetectorAlert {
            timestamp: now,
            sid,
            msg,
            class: Class::Scan,
            detector: NAME,
            severity: 2,
            tuple,
            flow_id: None,
            incident: Some(inc.id),
            phase,
            evidence,
        }
    }

    fn end(&mut self, key: Key, inc: Incident, now: Timestamp, out: &mut dyn Emit) {
        let a = self.alert(&key, Phase::End, &inc, now);
        self.stats.remove(&key);
        out.alert(a);
    }

    /// Records a probe in a running incident's stats.
    fn note_stats(&mut self, key: &Key, p: &PacketObs) {
        let sample = self.cfg.sample_size;
        if let Some(s) = self.stats.get_mut(key) {
            match key {
                Key::Horizontal(..) => {
                    s.distinct.insert_hash(hash_ip(&p.dst));
                    if s.sample_hosts.len() < sample && !s.sample_hosts.contains(&p.dst) {
                        s.sample_hosts.push(p.dst);
                    }
                }
                Key::Vertical(..) => {
                    s.distinct.insert_hash(mix64(u64::from(p.dport)));
                    if s.sample_ports.len() < sample && !s.sample_ports.contains(&p.dport) {
                        s.sample_ports.push(p.dport);
                    }
                }
                Key::Slow(_) => {
                    s.distinct.insert_hash(target_hash(p));
                    if s.sample_hosts.len() < sample && !s.sample_hosts.contains(&p.dst) {
                        s.sample_hosts.push(p.dst);
                    }
                    if s.sample_ports.len() < sample && !s.sample_ports.contains(&p.dport) {
                        s.sample_ports.push(p.dport);
                    }
                }
            }
        }
    }

    /// A probe for a running incident, or one that may start it (`c`:
    /// what its window holds when this probe crossed the threshold).
    /// Returns whether an incident is live after it.
    fn incident_probe(
        &mut self,
        key: Key,
        p: &PacketObs,
        c: Option<Crossing>,
        out: &mut dyn Emit,
    ) -> bool {
        let slow = matches!(key, Key::Slow(_));
        let incs = if slow { &mut self.slow } else { &mut self.fast };
        if incs.is_live(&key) {
            let due = incs.activity(&key, p.ts, 1);
            self.note_stats(&key, p);
            if let Some((phase, inc)) = due {
                let a = self.alert(&key, phase, &inc, p.ts);
                out.alert(a);
            }
            return true;
        }
        let Some(c) = c else {
            return false;
        };
        let (inc, evicted) = incs.start(key, p.ts, c.count as u64);
        if let Some((k, i)) = evicted {
            self.end(k, i, p.ts, out);
        }
        let mut distinct = Hll::new(INCIDENT_HLL_P);
        for h in c.seeds {
            distinct.insert_hash(h);
        }
        self.stats.insert(
            key,
            Stats {
                tuple: Tuple {
                    src_ip: p.src,
                    src_port: None,
                    dest_ip: p.dst,
                    dest_port: (p.proto != 1 && p.proto != 58).then_some(p.dport),
                    proto: p.proto,
                },
                distinct,
                floor: c.count as u64,
                sample_hosts: c.hosts,
                sample_ports: c.ports,
            },
        );
        self.note_stats(&key, p);
        let a = self.alert(&key, Phase::Start, &inc, p.ts);
        out.alert(a);
        true
    }

    fn probe(&mut self, p: &PacketObs, out: &mut dyn Emit) {
        let now = p.ts.secs();
        let cfg = &self.cfg;
        let sample = cfg.sample_size;

        // horizontal: hosts per (source, port)
        if !self.horizontal.contains_key(&(p.src, p.dport))
            && self.horizontal.len() >= cfg.max_pairs
        {
            let n = batch(cfg.max_pairs);
            self.evictions +=
                evict_lowest(&mut self.horizontal, n, |v| v.last_seen.as_nanos()).len() as u64;
        }
        let pair = self
            .horizontal
            .entry((p.src, p.dport))
            .or_insert_with(|| Pair {
                last_seen: p.ts,
                recent: Recent::new(),
            });
        pair.last_seen = p.ts;
        let threshold = cfg.horizontal_hosts.max(1);
        let (new, count) = pair
            .recent
            .note(p.dst, now, cfg.horizontal_window_secs, threshold);
        let crossing = (new && count >= threshold).then(|| Crossing {
            count,
            seeds: pair.recent.keys().map(|h| hash_ip(&h)).collect(),
            hosts: pair.recent.keys().take(sample).collect(),
            ports: Vec::new(),
        });
        let h_live = self.incident_probe(Key::Horizontal(p.src, p.dport), p, crossing, out);

        // vertical: ports per (source, host)
        let cfg = &self.cfg;
        if !self.vertical.contains_key(&(p.src, p.dst)) && self.vertical.len() >= cfg.max_pairs {
            let n = batch(cfg.max_pairs);
            self.evictions +=
                evict_lowest(&mut self.vertical, n, |v| v.last_seen.as_nanos()).len() as u64;
        }
        let pair = self.vertical.entry((p.src, p.dst)).or_insert_with(|| Pair {
            last_seen: p.ts,
            recent: Recent::new(),
        });
        pair.last_seen = p.ts;
        let threshold = cfg.vertical_ports.max(1);
        let (new, count) = pair
            .recent
            .note(p.dport, now, cfg.vertical_window_secs, threshold);
        let crossing = (new && count >= threshold).then(|| Crossing {
            count,
            seeds: pair.recent.keys().map(|x| mix64(u64::from(x))).collect(),
            hosts: Vec::new(),
            ports: pair.recent.keys().take(sample).collect(),
        });
        let v_live = self.incident_probe(Key::Vertical(p.src, p.dst), p, crossing, out);

        // slow: (host, port) targets per source
        let cfg = &self.cfg;
        if !self.sources.contains_key(&p.src) && self.sources.len() >= cfg.max_sources {
            let n = batch(cfg.max_sources);
            self.evictions +=
                evict_lowest(&mut self.sources, n, |v| v.last_seen.as_nanos()).len() as u64;
        }
        let (slow_window, threshold) = (cfg.slow_window_secs, cfg.slow_targets.max(1));
        let src = self.sources.entry(p.src).or_insert_with(|| Source {
            last_seen: p.ts,
            slow: Recent::new(),
            last_fast: None,
        });
        src.last_seen = p.ts;
        if h_live || v_live {
            src.last_fast = Some(now);
        }
        let (new, count) = src.slow.note(target_key(p), now, slow_window, threshold);
        let fast_recently = src
            .last_fast
            .is_some_and(|t| now.saturating_sub(t) < slow_window);
        let key = Key::Slow(p.src);
        if fast_recently && !self.slow.is_live(&key) {
            return;
        }
        let crossing = (new && count >= threshold).then(|| Crossing {
            count,
            // the slow set holds 32-bit keys: spread them again for the HLL
            seeds: src.slow.keys().map(|h| mix64(u64::from(h))).collect(),
            hosts: Vec::new(),
            ports: Vec::new(),
        });
        self.incident_probe(key, p, crossing, out);
    }
}

/// A window that just reached its threshold.
struct Crossing {
    /// Distinct keys in the window (exact).
    count: usize,
    /// Their hashes, to seed the incident's HyperLogLog.
    seeds: Vec<u64>,
    /// A sample of hosts.
    hosts: Vec<IpAddr>,
    /// A sample of ports.
    ports: Vec<u16>,
}

/// A hash of a probe's (host, port) target. The slow set keeps its low 32
/// bits; the incident HLL re-mixes those, so both count the same targets.
fn target_hash(p: &PacketObs) -> u64 {
    mix64(u64::from(target_key(p)))
}

/// The 32-bit key of a probe's (host, port) target in the slow set.
fn target_key(p: &PacketObs) -> u32 {
    mix64(hash_ip(&p.dst) ^ u64::from(p.dport)) as u32
}

impl Detector for Scan {
    fn name(&self) -> &'static str {
        NAME
    }

    fn observe(&mut self, obs: Observation<'_>, out: &mut dyn Emit) {
        if let Observation::Packet(p) = obs {
            if is_probe(p) {
                self.probe(p, out);
            }
        }
    }

    fn tick(&mut self, now: Timestamp, out: &mut dyn Emit) {
        for (k, i) in self.fast.expire(now) {
            self.end(k, i, now, out);
        }
        for (k, i) in self.slow.expire(now) {
            self.end(k, i, now, out);
        }
    }

    fn finish(&mut self, now: Timestamp, out: &mut dyn Emit) {
        for (k, i) in self.fast.drain() {
            self.end(k, i, now, out);
        }
        for (k, i) in self.slow.drain() {
            self.end(k, i, now, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{pkt, Rec};
    use std::net::Ipv4Addr;

    fn host(n: u32) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n))
    }

    fn syn(src: IpAddr, dst: IpAddr, dport: u16, s: u64) -> PacketObs {
        let mut p = pkt(src, dst, 6, s);
        p.dport = dport;
        p.sport = 40000;
        p.tcp_flags = 0x02;
        p
    }

    fn feed(d: &mut Scan, r: &mut Rec, p: PacketObs) {
        d.observe(Observation::Packet(&p), r);
    }

    fn attacker() -> IpAddr {
        "203.0.113.7".parse().unwrap()
    }

    #[test]
    fn horizontal_below_at_above_update_end() {
        let mut d = Scan::new(ScanConfig::default());
        let mut r = Rec::default();
        for i in 0..24 {
            feed(
                &mut d,
                &mut r,
                syn(attacker(), host(i), 23, 1000 + u64::from(i)),
            );
        }
        assert!(r.alerts.is_empty(), "24 hosts is below 25");
        // the same 24 hosts again: not distinct
        for i in 0..24 {
            feed(&mut d, &mut r, syn(attacker(), host(i), 23, 1030));
        }
        assert!(r.alerts.is_empty());
        feed(&mut d, &mut r, syn(attacker(), host(24), 23, 1031));
        assert_eq!(r.alerts.len(), 1, "fires on the crossing probe");
        let a = r.alerts[0].clone();
        assert_eq!(
            (a.sid, a.phase, a.class),
            (SID_HORIZONTAL, Phase::Start, Class::Scan)
        );
        assert_eq!(a.msg, "PALISADE horizontal port scan");
        assert_eq!(a.detector, "scan");
        assert_eq!(a.tuple.src_ip, attacker());
        assert_eq!(a.tuple.dest_port, Some(23));
        assert_eq!(r.ev(0, "distinct_hosts"), Some("25"));
        assert_eq!(r.ev(0, "probes"), Some("25"));
        assert_eq!(r.ev(0, "window_secs"), Some("60"));
        assert_eq!(
            r.ev(0, "sample_hosts"),
            Some("10.0.0.0,10.0.0.1,10.0.0.2,10.0.0.3,10.0.0.4")
        );
        // more probes: no alert per packet; an update after update_secs
        for i in 25..200 {
            feed(&mut d, &mut r, syn(attacker(), host(i), 23, 1040));
        }
        assert_eq!(r.alerts.len(), 1);
        feed(&mut d, &mut r, syn(attacker(), host(200), 23, 1091));
        assert_eq!(r.alerts.len(), 2);
        assert_eq!(r.alerts[1].phase, Phase::Update);
        assert_eq!(r.alerts[1].incident, a.incident);
        let n: u64 = r.ev(1, "distinct_hosts").unwrap().parse().unwrap();
        assert!((180..=220).contains(&n), "estimate {n} of 201");
        assert_eq!(r.ev(1, "probes"), Some("201"));
        // idle: ends at tick
        d.tick(Timestamp::from_secs_nanos(1100, 0), &mut r);
        assert_eq!(r.alerts.len(), 2);
        d.tick(Timestamp::from_secs_nanos(1121, 0), &mut r);
        assert_eq!(r.alerts.len(), 3);
        assert_eq!(r.alerts[2].phase, Phase::End);
        assert_eq!(r.ev(2, "duration_secs"), Some("60"));
        // the fast scanner is not also a slow one
        assert!(r.alerts.iter().all(|a| a.sid != SID_SLOW));
    }

    #[test]
    fn window_slides() {
        let mut d = Scan::new(ScanConfig::default());
        let mut r = Rec::default();
        for i in 0..24 {
            feed(&mut d, &mut r, syn(attacker(), host(i), 80, 1000));
        }
        // 61 s later the first 24 are out of the window
        feed(&mut d, &mut r, syn(attacker(), host(24), 80, 1061));
        assert!(r.alerts.is_empty());
    }

    #[test]
    fn vertical() {
        let mut d = Scan::new(ScanConfig::default());
        let mut r = Rec::default();
        for port in 1..25 {
            feed(&mut d, &mut r, syn(attacker(), host(1), port, 5000));
        }
        assert!(r.alerts.is_empty());
        feed(&mut d, &mut r, syn(attacker(), host(1), 8080, 5001));
        assert_eq!(r.alerts.len(), 1);
        assert_eq!(
            (r.alerts[0].sid, r.alerts[0].phase),
            (SID_VERTICAL, Phase::Start)
        );
        assert_eq!(r.alerts[0].msg, "PALISADE vertical port scan");
        assert_eq!(r.alerts[0].tuple.dest_ip, host(1));
        assert_eq!(r.ev(0, "distinct_ports"), Some("25"));
        assert_eq!(r.ev(0, "sample_ports"), Some("1,2,3,4,5"));
        d.finish(Timestamp::from_secs_nanos(5002, 0), &mut r);
        assert_eq!(r.alerts.len(), 2);
        assert_eq!(r.alerts[1].phase, Phase::End);
        assert_eq!(r.ev(1, "probes"), Some("25"));
    }

    #[test]
    fn slow_scan() {
        let mut d = Scan::new(ScanConfig::default());
        let mut r = Rec::default();
        // one probe every 30 s, each a new host and port: never fast
        for i in 0..99u32 {
            let p = syn(
                attacker(),
                host(i),
                1000 + i as u16,
                10_000 + u64::from(i) * 30,
            );
            feed(&mut d, &mut r, p);
        }
        assert!(r.alerts.is_empty());
        feed(
            &mut d,
            &mut r,
            syn(attacker(), host(99), 1099, 10_000 + 99 * 30),
        );
        assert_eq!(r.alerts.len(), 1);
        assert_eq!(
            (r.alerts[0].sid, r.alerts[0].phase),
            (SID_SLOW, Phase::Start)
        );
        assert_eq!(r.alerts[0].msg, "PALISADE slow scan");
        assert_eq!(r.ev(0, "distinct_targets"), Some("100"));
        assert_eq!(r.ev(0, "window_secs"), Some("3600"));
        // spread over more than the window: no slow scan
        let mut d = Scan::new(ScanConfig::default());
        let mut r = Rec::default();
        for i in 0..100u32 {
            let p = syn(
                attacker(),
                host(i),
                1000 + i as u16,
                10_000 + u64::from(i) * 40,
            );
            feed(&mut d, &mut r, p);
        }
        assert!(r.alerts.is_empty());
    }

    #[test]
    fn probe_kinds() {
        let a = attacker();
        let mut p = syn(a, host(1), 80, 1);
        assert!(is_probe(&p));
        p.tcp_flags = 0x12; // SYN-ACK
        assert!(!is_probe(&p));
        let mut u = pkt(a, host(1), 17, 1);
        assert!(!is_probe(&u));
        u.new_flow = true;
        u.sport = 40000;
        assert!(is_probe(&u));
        // an answer from a service port (or a reflected flood) is no probe
        u.sport = 53;
        assert!(!is_probe(&u));
        u.sport = 1900;
        assert!(!is_probe(&u));
        let mut e = pkt(a, host(1), 1, 1);
        e.icmp_type = Some(0);
        assert!(!is_probe(&e));
        e.icmp_type = Some(8);
        assert!(is_probe(&e));
        // a ping sweep is a horizontal scan on "port 0", without ports
        let mut d = Scan::new(ScanConfig::default());
        let mut r = Rec::default();
        for i in 0..25 {
            let mut e = pkt(a, host(i), 1, 1);
            e.icmp_type = Some(8);
            feed(&mut d, &mut r, e);
        }
        assert_eq!(r.alerts.len(), 1);
        assert_eq!(r.alerts[0].sid, SID_HORIZONTAL);
        assert_eq!(r.alerts[0].tuple.dest_port, None);
    }

    #[test]
    fn bounded_under_spoofed_sources() {
        let cfg = ScanConfig {
            max_sources: 1000,
            max_pairs: 1000,
            ..ScanConfig::default()
        };
        let mut d = Scan::new(cfg);
        let mut r = Rec::default();
        for i in 0..200_000u32 {
            let src = IpAddr::V4(Ipv4Addr::from(0xc000_0000 + i));
            feed(
                &mut d,
                &mut r,
                syn(src, host(i % 7), 23, 1 + u64::from(i / 10_000)),
            );
        }
        let (s, pairs, live) = d.tracked();
        assert!(s <= 1000 && pairs <= 2000, "{s} {pairs}");
        assert_eq!(live, 0);
        assert!(r.alerts.is_empty());
        assert!(d.evictions() >= 3 * 199_000, "{}", d.evictions());
        // a real scanner is still caught after the flood
        for i in 0..25 {
            feed(&mut d, &mut r, syn(attacker(), host(i), 2323, 30));
        }
        assert_eq!(r.alerts.len(), 1);
    }
}
