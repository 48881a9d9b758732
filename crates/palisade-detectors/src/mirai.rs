//! `mirai-fingerprint`: Mirai's scanner sets a SYN's sequence number to
//! the destination IPv4 address (`tcpseq = daddr` in its scanner.c), so it
//! can recognise the SYN-ACKs to its raw-socket probes without state.
//! Ordinary stacks choose random initial sequence numbers: a match has a
//! chance of 2^-32 per SYN, and Mirai sends thousands, so one SYN is
//! already strong evidence (`min_syns` defaults to 1). IPv6 never matches.
//!
//! An incident per source (sid +30, severity 1): start on the first
//! fingerprinted SYN (or the `min_syns`-th), updates and end with the
//! number of such SYNs and distinct destinations (HyperLogLog estimate).

use crate::incident::{Incident, IncidentConfig, Incidents};
use crate::sketch::{batch, evict_lowest, hash_ip, Hll};
use crate::{
    Class, Detector, DetectorAlert, Emit, Observation, PacketObs, Phase, DETECTOR_SID_BASE,
};
use palisade_event::{Timestamp, Tuple};
use std::collections::HashMap;
use std::net::IpAddr;

/// Detector name.
pub const NAME: &str = "mirai-fingerprint";
/// Mirai fingerprint sid.
pub const SID_MIRAI: u32 = DETECTOR_SID_BASE + 30;
const MSG: &str = "PALISADE Mirai scanner fingerprint (SYN seq = destination address)";
/// HyperLogLog precision of the distinct destinations (256 B, about 6.5 %).
const HLL_P: u8 = 8;

/// `[detectors.mirai-fingerprint]`.
#[derive(serde::Deserialize, serde::Serialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct MiraiConfig {
    /// Fingerprinted SYNs from one source before the incident starts
    /// (count). 1: a chance match is 2^-32 per SYN.
    pub min_syns: u64,
    /// Sources with fingerprinted SYNs below `min_syns` tracked at once
    /// (entries); beyond, the least recent are evicted (counted).
    pub max_pending: usize,
    /// Incident timing.
    pub incident: IncidentConfig,
}

impl Default for MiraiConfig {
    fn default() -> Self {
        MiraiConfig {
            min_syns: 1,
            max_pending: 65_536,
            incident: IncidentConfig::default(),
        }
    }
}

struct Stats {
    tuple: Tuple,
    destinations: Hll,
}

/// The Mirai fingerprint detector.
pub struct Mirai {
    cfg: MiraiConfig,
    /// Sources below `min_syns`: (count, last seen).
    pending: HashMap<IpAddr, (u64, Timestamp)>,
    incidents: Incidents<IpAddr>,
    stats: HashMap<IpAddr, Stats>,
    evictions: u64,
}

/// Whether a packet is a SYN whose sequence number is its IPv4 destination.
pub fn fingerprinted(p: &PacketObs) -> bool {
    match p.dst {
        IpAddr::V4(d) => p.proto == 6 && p.tcp_flags & 0x12 == 0x02 && p.tcp_seq == u32::from(d),
        IpAddr::V6(_) => false,
    }
}

impl Mirai {
    /// A detector with `cfg`.
    pub fn new(cfg: MiraiConfig) -> Self {
        Mirai {
            incidents: Incidents::new(cfg.incident, u64::from(SID_MIRAI) << 32),
            cfg,
            pending: HashMap::new(),
            stats: HashMap::new(),
            evictions: 0,
        }
    }

    /// Entries evicted from the pending table so far.
    pub fn evictions(&self) -> u64 {
        self.evictions
    }

    /// Entries held: (pending sources, running incidents).
    pub fn tracked(&self) -> (usize, usize) {
        (self.pending.len(), self.incidents.len())
    }

    fn alert(&self, src: &IpAddr, phase: Phase, inc: &Incident, now: Timestamp) -> DetectorAlert {
        let st = self.stats.get(src);
        let mut evidence = vec![
            ("syns", inc.events.to_string()),
            (
                "distinct_destinations",
                st.map_or(0, |s| s.destinations.estimate().max(1))
                    .to_string(),
            ),
        ];
        if phase == Phase::End {
            evidence.push((
                "duration_secs",
                inc.last_seen.secs_since(inc.started).to_string(),
            ));
        }
        DetectorAlert {
            timestamp: now,
            sid: SID_MIRAI,
            msg: MSG,
            class: Class::Scan,
            detector: NAME,
            severity: 1,
            tuple: st.map(|s| s.tuple).unwrap_or(Tuple {
                src_ip: *src,
                src_port: None,
                dest_ip: *src,
                dest_port: None,
                proto: 6,
            }),
            flow_id: None,
            incident: Some(inc.id),
            phase,
            evidence,
        }
    }

    fn end(&mut self, src: IpAddr, inc: Incident, now: Timestamp, out: &mut dyn Emit) {
        let a = self.alert(&src, Phase::End, &inc, now);
        self.stats.remove(&src);
        out.alert(a);
    }

    fn syn(&mut self, p: &PacketObs, out: &mut dyn Emit) {
        if self.incidents.is_live(&p.src) {
            let due = self.incidents.activity(&p.src, p.ts, 1);
            if let Some(s) = self.stats.get_mut(&p.src) {
                s.destinations.insert_hash(hash_ip(&p.dst));
            }
            if let Some((phase, inc)) = due {
                let a = self.alert(&p.src, phase, &inc, p.ts);
                out.alert(a);
            }
            return;
        }
        let mut count = 1;
        if self.cfg.min_syns > 1 {
            if !self.pending.contains_key(&p.src) && self.pending.len() >= self.cfg.max_pending {
                let n = batch(self.cfg.max_pending);
                self.evictions +=
                    evict_lowest(&mut self.pending, n, |v| v.1.as_nanos()).len() as u64;
            }
            let e = self.pending.entry(p.src).or_insert((0, p.ts));
            e.0 += 1;
            e.1 = p.ts;
            count = e.0;
            if count < self.cfg.min_syns {
                return;
            }
            self.pending.remove(&p.src);
        }
        let (inc, evicted) = self.incidents.start(p.src, p.ts, count);
        if let Some((k, i)) = evicted {
            self.end(k, i, p.ts, out);
        }
        let mut destinations = Hll::new(HLL_P);
        destinations.insert_hash(hash_ip(&p.dst));
        self.stats.insert(
            p.src,
            Stats {
                tuple: Tuple {
                    src_ip: p.src,
                    src_port: Some(p.sport),
                    dest_ip: p.dst,
                    dest_port: Some(p.dport),
                    proto: 6,
                },
                destinations,
            },
        );
        let a = self.alert(&p.src, Phase::Start, &inc, p.ts);
        out.alert(a);
    }
}

impl Detector for Mirai {
    fn name(&self) -> &'static str {
        NAME
    }

    fn observe(&mut self, obs: Observation<'_>, out: &mut dyn Emit) {
        if let Observation::Packet(p) = obs {
            if fingerprinted(p) {
                self.syn(p, out);
            }
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

    fn bot() -> IpAddr {
        "198.51.100.9".parse().unwrap()
    }

    fn syn(dst: u32, seq: u32, s: u64) -> PacketObs {
        let mut p = pkt(bot(), IpAddr::V4(Ipv4Addr::from(dst)), 6, s);
        p.tcp_flags = 0x02;
        p.tcp_seq = seq;
        p.sport = 51000;
        p.dport = 23;
        p
    }

    #[test]
    fn start_update_end() {
        let mut d = Mirai::new(MiraiConfig::default());
        let mut r = Rec::default();
        // ordinary SYNs, a SYN-ACK with the matching seq, IPv6: nothing
        d.observe(Observation::Packet(&syn(0x0a00_0001, 12345, 1)), &mut r);
        let mut sa = syn(0x0a00_0001, 0x0a00_0001, 1);
        sa.tcp_flags = 0x12;
        d.observe(Observation::Packet(&sa), &mut r);
        let mut v6 = syn(0, 0, 1);
        v6.dst = "::".parse().unwrap();
        d.observe(Observation::Packet(&v6), &mut r);
        assert!(r.alerts.is_empty());
        // the fingerprint: start on the first
        d.observe(
            Observation::Packet(&syn(0x0a00_0001, 0x0a00_0001, 2)),
            &mut r,
        );
        assert_eq!(r.alerts.len(), 1);
        let a = r.alerts[0].clone();
        assert_eq!((a.sid, a.severity, a.phase), (SID_MIRAI, 1, Phase::Start));
        assert_eq!(a.class, Class::Scan);
        assert_eq!(a.detector, "mirai-fingerprint");
        assert_eq!(a.msg, MSG);
        assert_eq!(a.tuple.dest_port, Some(23));
        assert_eq!(r.ev(0, "syns"), Some("1"));
        assert_eq!(r.ev(0, "distinct_destinations"), Some("1"));
        for i in 2..101u32 {
            let dst = 0x0a00_0000 + i;
            d.observe(Observation::Packet(&syn(dst, dst, 10)), &mut r);
        }
        assert_eq!(r.alerts.len(), 1, "no alert per packet");
        d.observe(
            Observation::Packet(&syn(0x0a00_0002, 0x0a00_0002, 62)),
            &mut r,
        );
        assert_eq!(r.alerts.len(), 2);
        assert_eq!(r.alerts[1].phase, Phase::Update);
        assert_eq!(r.ev(1, "syns"), Some("101"));
        let n: u64 = r.ev(1, "distinct_destinations").unwrap().parse().unwrap();
        assert!((90..=110).contains(&n), "{n}");
        d.tick(Timestamp::from_secs_nanos(92, 0), &mut r);
        assert_eq!(r.alerts.len(), 3);
        assert_eq!(r.alerts[2].phase, Phase::End);
        assert_eq!(r.alerts[2].incident, a.incident);
        assert_eq!(r.ev(2, "duration_secs"), Some("60"));
    }

    #[test]
    fn min_syns_and_bounds() {
        let cfg = MiraiConfig {
            min_syns: 3,
            max_pending: 100,
            ..MiraiConfig::default()
        };
        let mut d = Mirai::new(cfg);
        let mut r = Rec::default();
        for s in 0..2 {
            d.observe(
                Observation::Packet(&syn(0x0a00_0001, 0x0a00_0001, s)),
                &mut r,
            );
        }
        assert!(r.alerts.is_empty());
        d.observe(
            Observation::Packet(&syn(0x0a00_0001, 0x0a00_0001, 3)),
            &mut r,
        );
        assert_eq!(r.alerts.len(), 1);
        assert_eq!(r.ev(0, "syns"), Some("3"));
        // many sources with one fingerprinted SYN each: pending stays bounded
        for i in 0..10_000u32 {
            let mut p = syn(0x0a00_0001, 0x0a00_0001, 5);
            p.src = IpAddr::V4(Ipv4Addr::from(0xc000_0000 + i));
            d.observe(Observation::Packet(&p), &mut r);
        }
        assert!(d.tracked().0 <= 100);
        assert!(d.evictions() >= 9_900);
        assert_eq!(r.alerts.len(), 1);
        d.finish(Timestamp::from_secs_nanos(6, 0), &mut r);
        assert_eq!(r.alerts.last().map(|a| a.phase), Some(Phase::End));
    }
}
