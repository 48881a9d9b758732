//! The fleet-wide allow-list of the `exposure` detector: fleet devices
//! talking to public addresses outside their allowed set.
//!
//! `[detectors.exposure] allowed_public` lists CIDRs and DNS names (a name
//! may start with `*.` for every name under a domain). When it is not
//! empty, a connection a fleet device opens — a TCP SYN, or the first
//! packet of a UDP or ICMP flow — from inside `home_net` to a public
//! address (outside `home_net`, not multicast, broadcast, loopback,
//! link-local or unspecified) that is in none of the CIDRs and was not an
//! answer for any of the names in the DNS answers the detector saw
//! ([`crate::dnscache`]) raises sid +83, class `exposure`: one incident per
//! (device, destination); further connections count; it ends `idle_secs`
//! after the last.
//!
//! The default is empty (off): every fleet talks to vendor clouds, update
//! servers, NTP pools and CDNs whose names and addresses only the operator
//! knows; a built-in list would be wrong for every fleet. Per-device
//! allowed sets are the `profile` detector's job (MUD files, learning).
//!
//! A violation waits [`GRACE_SECS`] of packet time, and is judged again,
//! before it is reported: the DNS answer naming the address may reach the
//! detectors after the connection's first packet. Bounded: pending
//! violations ≤ [`PENDING_MAX`] (oldest dropped, counted), DNS names ≤
//! `max_tracked`, incidents ≤ `incident.max_live`.

use crate::ddos::Cidr;
use crate::dnscache::DnsCache;
use crate::incident::{Incident, IncidentConfig, Incidents};
use crate::{Class, DetectorAlert, DnsObs, Emit, PacketObs, Phase, DETECTOR_SID_BASE};
use palisade_event::{Timestamp, Tuple};
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;

/// A fleet device contacted a public address outside the allow-list.
pub const SID_NOT_ALLOWED: u32 = DETECTOR_SID_BASE + 83;
const MSG: &str = "PALISADE fleet device contacted a public address outside the allow-list";
/// Seconds a violation waits for the DNS answer naming its address.
pub const GRACE_SECS: u64 = 2;
/// Violations waiting at most.
pub const PENDING_MAX: usize = 4096;
/// DNS answers are kept at least this long, seconds.
pub const DNS_MIN_TTL_SECS: u64 = 3600;

/// (device, destination).
type Key = (IpAddr, IpAddr);

/// A connection start: device, destination, proto, ports, flow.
#[derive(Clone, Copy, Debug)]
struct Conn {
    device: IpAddr,
    dest: IpAddr,
    proto: u8,
    sport: u16,
    dport: u16,
    flow_id: Option<u64>,
}

/// The allow-list check.
pub struct AllowList {
    home: Vec<Cidr>,
    cidrs: Vec<Cidr>,
    names: Vec<String>,
    dns: DnsCache,
    pending: VecDeque<(Conn, Timestamp)>,
    incidents: Incidents<Key>,
    live: HashMap<Key, Tuple>,
    dropped: u64,
}

/// Whether `ip` is special (never "public"): multicast, broadcast,
/// loopback, link-local, unspecified.
fn special(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => {
            v.is_multicast()
                || v.is_broadcast()
                || v.is_loopback()
                || v.is_link_local()
                || v.is_unspecified()
        }
        IpAddr::V6(v) => {
            v.is_multicast()
                || v.is_loopback()
                || v.is_unspecified()
                || (v.segments()[0] & 0xffc0) == 0xfe80
        }
    }
}

impl AllowList {
    /// The check for `allowed` (CIDRs and names; names lower-cased,
    /// trailing dot removed), `home_net`, `max_names` DNS names and the
    /// incident timing; None when `allowed` is empty (off).
    pub fn new(
        allowed: &[String],
        home: Vec<Cidr>,
        max_names: usize,
        incident: IncidentConfig,
    ) -> Option<Self> {
        if allowed.is_empty() {
            return None;
        }
        let mut cidrs = Vec::new();
        let mut names = Vec::new();
        for a in allowed {
            match Cidr::parse(a) {
                Some(c) => cidrs.push(c),
                None => names.push(a.trim().trim_end_matches('.').to_ascii_lowercase()),
            }
        }
        Some(AllowList {
            home,
            cidrs,
            names,
            dns: DnsCache::new(max_names, DNS_MIN_TTL_SECS),
            pending: VecDeque::new(),
            incidents: Incidents::new(incident, u64::from(SID_NOT_ALLOWED) << 32),
            live: HashMap::new(),
            dropped: 0,
        })
    }

    /// Violations dropped because too many waited.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    fn in_home(&self, ip: &IpAddr) -> bool {
        self.home.iter().any(|c| c.contains(ip))
    }

    fn allowed(&self, ip: &IpAddr, now: Timestamp) -> bool {
        self.cidrs.iter().any(|c| c.contains(ip))
            || self
                .dns
                .names_of(ip, now)
                .iter()
                .any(|n| self.names.iter().any(|p| DnsCache::name_matches(p, n)))
    }

    /// A DNS answer.
    pub fn dns(&mut self, d: &DnsObs) {
        self.dns.observe(d);
    }

    /// A packet.
    pub fn packet(&mut self, p: &PacketObs, out: &mut dyn Emit) {
        let opens = match p.proto {
            6 => p.tcp_flags & 0x12 == 0x02,
            _ => p.new_flow,
        };
        if !opens || !self.in_home(&p.src) || self.in_home(&p.dst) || special(&p.dst) {
            return;
        }
        if self.allowed(&p.dst, p.ts) {
            return;
        }
        let c = Conn {
            device: p.src,
            dest: p.dst,
            proto: p.proto,
            sport: p.sport,
            dport: p.dport,
            flow_id: p.flow_id,
        };
        if self.incidents.is_live(&(c.device, c.dest)) {
            self.report(c, p.ts, out);
            return;
        }
        if self.pending.len() >= PENDING_MAX {
            self.pending.pop_front();
            self.dropped += 1;
        }
        self.pending.push_back((c, p.ts));
    }

    fn report(&mut self, c: Conn, now: Timestamp, out: &mut dyn Emit) {
        let key = (c.device, c.dest);
        if self.incidents.is_live(&key) {
            if let Some((phase, inc)) = self.incidents.activity(&key, now, 1) {
                self.emit(&key, phase, &inc, now, out);
            }
            return;
        }
        let (inc, evicted) = self.incidents.start(key, now, 1);
        if let Some((k, i)) = evicted {
            self.end(k, i, now, out);
        }
        self.live.insert(
            key,
            Tuple {
                src_ip: c.device,
                src_port: Some(c.sport),
                dest_ip: c.dest,
                dest_port: Some(c.dport),
                proto: c.proto,
            },
        );
        if let Some(mut a) = self.alert(&key, Phase::Start, &inc, now) {
            a.flow_id = c.flow_id;
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
        let tuple = *self.live.get(key)?;
        let mut evidence = vec![
            ("device", key.0.to_string()),
            ("destination", key.1.to_string()),
            ("port", tuple.dest_port.unwrap_or(0).to_string()),
            (
                "allow_list_entries",
                (self.cidrs.len() + self.names.len()).to_string(),
            ),
        ];
        let names = self.dns.names_of(&key.1, now);
        if !names.is_empty() {
            evidence.push(("destination_names", names.join(",")));
        }
        if phase != Phase::Start {
            evidence.push(("connections", inc.events.to_string()));
        }
        if phase == Phase::End {
            evidence.push((
                "duration_secs",
                inc.last_seen.secs_since(inc.started).to_string(),
            ));
        }
        Some(DetectorAlert {
            timestamp: now,
            sid: SID_NOT_ALLOWED,
            msg: MSG,
            class: Class::Exposure,
            detector: crate::exposure::NAME,
            severity: 2,
            tuple,
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

    fn settle(&mut self, now: Timestamp, all: bool, out: &mut dyn Emit) {
        while let Some(&(c, t)) = self.pending.front() {
            if !all && now.secs_since(t) < GRACE_SECS {
                break;
            }
            self.pending.pop_front();
            if !self.allowed(&c.dest, now) {
                self.report(c, now, out);
            }
        }
    }

    /// Packet time moved on.
    pub fn tick(&mut self, now: Timestamp, out: &mut dyn Emit) {
        self.settle(now, false, out);
        for (k, i) in self.incidents.expire(now) {
            self.end(k, i, now, out);
        }
    }

    /// End of input.
    pub fn finish(&mut self, now: Timestamp, out: &mut dyn Emit) {
        self.settle(now, true, out);
        for (k, i) in self.incidents.drain() {
            self.end(k, i, now, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{pkt, Rec};

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn t(s: u64) -> Timestamp {
        Timestamp::from_secs_nanos(s, 0)
    }

    fn syn(src: &str, dst: &str, dport: u16, s: u64) -> PacketObs {
        let mut p = pkt(ip(src), ip(dst), 6, s);
        (p.sport, p.dport, p.tcp_flags, p.new_flow) = (40000, dport, 0x02, true);
        p
    }

    fn list(allowed: &[&str]) -> Option<AllowList> {
        AllowList::new(
            &allowed.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            vec![Cidr::parse("10.0.0.0/8").unwrap()],
            1000,
            IncidentConfig {
                update_secs: 300,
                idle_secs: 600,
                max_live: 100,
            },
        )
    }

    #[test]
    fn empty_is_off() {
        assert!(list(&[]).is_none());
    }

    #[test]
    fn cidrs_names_wildcards_and_incidents() {
        let mut a = list(&["192.0.2.0/24", "*.tuyaeu.com", "api.ecobee.com."]).unwrap();
        let mut r = Rec::default();
        a.dns(&DnsObs {
            ts: t(1),
            client: ip("10.0.0.9"),
            server: ip("10.0.0.1"),
            names: vec!["a1.tuyaeu.com".into(), "a1.edge-eu.tuyaeu.com".into()],
            addrs: vec![ip("203.0.113.10")],
            ttl: 60,
        });
        a.dns(&DnsObs {
            ts: t(1),
            client: ip("10.0.0.9"),
            server: ip("10.0.0.1"),
            names: vec!["API.ecobee.com".to_ascii_lowercase()],
            addrs: vec![ip("203.0.113.20")],
            ttl: 60,
        });
        for p in [
            syn("10.0.0.9", "192.0.2.5", 80, 2),     // allowed network
            syn("10.0.0.9", "203.0.113.10", 443, 2), // *.tuyaeu.com
            syn("10.0.0.9", "203.0.113.20", 443, 2), // api.ecobee.com
            syn("10.0.0.9", "10.0.0.1", 53, 2),      // inside
            syn("10.0.0.9", "224.0.0.251", 5353, 2), // multicast
            syn("198.51.100.1", "10.0.0.9", 23, 2),  // inbound
        ] {
            a.packet(&p, &mut r);
        }
        a.tick(t(10), &mut r);
        assert!(r.alerts.is_empty(), "{:?}", r.alerts);
        for i in 0..3 {
            a.packet(&syn("10.0.0.9", "198.51.100.66", 6667, 20 + i), &mut r);
        }
        a.tick(t(21), &mut r);
        assert!(r.alerts.is_empty());
        a.tick(t(22), &mut r);
        assert_eq!(r.alerts.len(), 1);
        let x = &r.alerts[0];
        assert_eq!(
            (x.sid, x.class, x.detector),
            (SID_NOT_ALLOWED, Class::Exposure, "exposure")
        );
        assert!(x.msg.starts_with("PALISADE "));
        assert_eq!(r.ev(0, "destination"), Some("198.51.100.66"));
        assert_eq!(r.ev(0, "port"), Some("6667"));
        a.finish(t(100), &mut r);
        assert_eq!(r.alerts.len(), 2);
        assert_eq!(r.ev(1, "connections"), Some("3"));
    }

    #[test]
    fn late_dns_answer_and_bounds() {
        let mut a = list(&["*.shelly.cloud"]).unwrap();
        let mut r = Rec::default();
        a.packet(&syn("10.0.0.9", "203.0.113.30", 443, 5), &mut r);
        a.dns(&DnsObs {
            ts: t(5),
            client: ip("10.0.0.9"),
            server: ip("10.0.0.1"),
            names: vec!["eu.shelly.cloud".into()],
            addrs: vec![ip("203.0.113.30")],
            ttl: 60,
        });
        a.tick(t(8), &mut r);
        assert!(r.alerts.is_empty());
        for i in 0..10_000u32 {
            let mut p = syn("10.0.0.9", "1.1.1.1", 443, 10);
            p.dst = IpAddr::V4(std::net::Ipv4Addr::from(0x0808_0000 + i));
            a.packet(&p, &mut r);
        }
        assert!(a.pending.len() <= PENDING_MAX);
        assert_eq!(a.dropped(), 10_000 - PENDING_MAX as u64);
        a.tick(t(20), &mut r);
        assert!(a.incidents.len() <= 100);
    }
}
