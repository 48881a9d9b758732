//! `exposure`: management services of fleet devices reached from outside
//! the fleet.
//!
//! An access attempt is a TCP SYN (`flags & 0x12 == 0x02`) or a packet that
//! opens a UDP flow, from a source OUTSIDE `home_net` to a destination
//! INSIDE it, on one of the listed management `ports`. An attempt alone is
//! not an alert (unanswered SYNs are scans; the `scan` detector reports
//! those). The device answering it — a SYN-ACK (`flags & 0x12 == 0x12`)
//! from that device:port back to that outside address, or any UDP packet
//! from device:port back to it, within [`ANSWER_SECS`] — proves the service
//! is reachable from the internet: sid +60, severity 1 for services that
//! are both cleartext-login and the usual botnet way in (Telnet, FTP, SNMP,
//! ADB, TR-069, Axeda agent), 2 otherwise.
//!
//! The confirmation starts an incident per (device, port, protocol): one
//! alert when it is confirmed, then further accesses from outside are
//! counted (rate-limited updates, an end alert with the attempts and the
//! distinct outside peers, an approximate count in bounded memory). The
//! incident ends `idle_secs` after the last outside access; a later answered
//! access starts a new exposure episode.
//!
//! The second half, devices talking to public addresses outside the
//! fleet's allowed set (`allowed_public`, sid +83, off by default), lives
//! in [`crate::allowlist`].
//!
//! Bounded: pending attempts (device, port, protocol, outside peer) → time
//! and per-service counters are each at most `max_tracked` entries, the
//! oldest evicted first (counted in [`Exposure::evictions`]); 200,000
//! spoofed sources cost no more than `max_tracked` entries.

use crate::allowlist::AllowList;
use crate::ddos::Cidr;
use crate::distinct::Distinct;
use crate::incident::{Incident, IncidentConfig, Incidents};
use crate::{
    Class, Detector, DetectorAlert, Emit, Observation, PacketObs, Phase, DETECTOR_SID_BASE,
};
use palisade_event::{Timestamp, Tuple};
use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;

/// Detector name.
pub const NAME: &str = "exposure";
/// Exposed management service sid.
pub const SID_EXPOSED: u32 = DETECTOR_SID_BASE + 60;
const MSG: &str = "PALISADE management service exposed to the internet";
/// An answer later than this many seconds after the attempt does not
/// confirm it (a SYN-ACK takes milliseconds; a UDP reply well under one
/// second); older pending attempts are dropped when looked up.
pub const ANSWER_SECS: u64 = 30;

/// Management services watched by default, with the name given as
/// `service` evidence.
pub const SERVICES: [(u16, &str); 26] = [
    (21, "ftp"),             // cleartext logins, default accounts on cameras/NAS
    (22, "ssh"),             // device shells (dropbear), brute-forced by bots
    (23, "telnet"),          // cleartext shell; Mirai's main way in
    (2323, "telnet-alt"),    // alternate Telnet, also in Mirai's list
    (80, "http"),            // web admin UI
    (443, "https"),          // web admin UI over TLS
    (8080, "http-alt"),      // web admin UI / camera web servers
    (8443, "https-alt"),     // web admin UI over TLS
    (554, "rtsp"),           // camera video streams (often Basic/Digest auth)
    (8554, "rtsp-alt"),      // alternate RTSP
    (1883, "mqtt"),          // broker/client, cleartext credentials
    (8883, "mqtts"),         // MQTT over TLS
    (161, "snmp"),           // UDP; community strings in clear, reflection
    (5683, "coap"),          // UDP; constrained-device REST, amplification
    (502, "modbus"),         // industrial control, no authentication
    (47808, "bacnet"),       // building automation, no authentication
    (3389, "rdp"),           // remote desktop on gateways/HMIs
    (5900, "vnc"),           // remote screen on HMIs, weak passwords
    (7547, "tr-069"),        // CPE WAN management (exploited by Mirai variants)
    (37777, "dahua"),        // Dahua DVR/NVR management protocol
    (34567, "xmeye"),        // XiongMai/XMEye DVR management protocol
    (8000, "hikvision-sdk"), // Hikvision SDK/management port
    (5555, "adb"),           // Android debug bridge: an unauthenticated root shell
    (56565, "axeda"),        // Axeda remote-management agent port (see the axeda detector)
    (3011, "axeda-web"),     // Axeda agent (xGate) web server port (see the axeda detector)
    (3076, "axeda-eremote"), // Axeda ERemoteServer: unauthenticated commands (CVE-2022-25247)
];

/// Ports whose exposure is severity 1: cleartext logins or unauthenticated
/// shells that botnets reach first (Telnet, FTP, SNMP, ADB, TR-069, Axeda).
pub const HIGH_RISK_PORTS: [u16; 9] = [23, 2323, 21, 161, 5555, 7547, 56565, 3011, 3076];

/// The `service` name of `port` ("unknown" for ports outside [`SERVICES`]).
pub fn service_name(port: u16) -> &'static str {
    SERVICES
        .iter()
        .find(|(p, _)| *p == port)
        .map_or("unknown", |(_, n)| n)
}

/// `[detectors.exposure]`.
#[derive(serde::Deserialize, serde::Serialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ExposureConfig {
    /// The fleet's networks (CIDRs, IPv4 and IPv6; invalid entries are
    /// ignored). Default: the RFC 1918 ranges and fc00::/7.
    pub home_net: Vec<String>,
    /// Management ports watched (TCP and UDP port numbers). Default: the
    /// ports of [`SERVICES`].
    pub ports: Vec<u16>,
    /// Pending attempts, and per-service counters, tracked at once
    /// (entries each); beyond, the oldest are evicted (counted).
    pub max_tracked: usize,
    /// Incident timing (accesses after the confirmation).
    pub incident: IncidentConfig,
    /// Public destinations fleet devices may contact: CIDRs and DNS names
    /// (`*.example.com` for every name under a domain; names match the
    /// addresses observed DNS answers gave for them). Non-empty, a
    /// connection from a device inside `home_net` to another public
    /// address raises sid 9500083. Default empty: off (every fleet's clouds
    /// differ; see `allowlist`).
    pub allowed_public: Vec<String>,
}

impl Default for ExposureConfig {
    fn default() -> Self {
        ExposureConfig {
            home_net: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            ports: SERVICES.iter().map(|(p, _)| *p).collect(),
            max_tracked: 65_536,
            incident: IncidentConfig {
                update_secs: 300,
                idle_secs: 3_600,
                max_live: 4096,
            },
            allowed_public: Vec::new(),
        }
    }
}

impl ExposureConfig {
    /// The `home_net` entries that do not parse as CIDRs (ignored).
    pub fn invalid_home_net(&self) -> Vec<&str> {
        self.home_net
            .iter()
            .filter(|s| Cidr::parse(s).is_none())
            .map(|s| s.as_str())
            .collect()
    }
}

/// A map bounded to `cap` entries, evicting the oldest inserted (also
/// used by the `kalay` and `axeda` detectors).
pub(crate) struct Fifo<K, V> {
    map: HashMap<K, (V, u64)>,
    order: VecDeque<(K, u64)>,
    next: u64,
    cap: usize,
}

impl<K: Hash + Eq + Clone, V> Fifo<K, V> {
    pub(crate) fn new(cap: usize) -> Self {
        Fifo {
            map: HashMap::new(),
            order: VecDeque::new(),
            next: 0,
            cap: cap.max(1),
        }
    }

    /// Inserts (or replaces) `k`; returns how many entries were evicted.
    pub(crate) fn insert(&mut self, k: K, v: V) -> u64 {
        let mut evicted = 0;
        if !self.map.contains_key(&k) {
            while self.map.len() >= self.cap {
                let Some((old, seq)) = self.order.pop_front() else {
                    break;
                };
                if self.map.get(&old).is_some_and(|(_, s)| *s == seq) {
                    self.map.remove(&old);
                    evicted += 1;
                }
            }
        }
        let seq = self.next;
        self.next += 1;
        self.map.insert(k.clone(), (v, seq));
        self.order.push_back((k, seq));
        // drop stale order entries (removed or replaced keys)
        if self.order.len() > 2 * self.cap + 16 {
            let map = &self.map;
            self.order
                .retain(|(k, s)| map.get(k).is_some_and(|(_, cur)| cur == s));
        }
        evicted
    }

    pub(crate) fn get_mut(&mut self, k: &K) -> Option<&mut V> {
        self.map.get_mut(k).map(|(v, _)| v)
    }

    pub(crate) fn remove(&mut self, k: &K) -> Option<V> {
        self.map.remove(k).map(|(v, _)| v)
    }

    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }
}

/// (device, port, IP protocol).
type Svc = (IpAddr, u16, u8);

struct SvcState {
    first_seen: Timestamp,
    attempts: u64,
}

struct Live {
    peers: Distinct,
    tuple: Tuple,
}

/// The exposure detector.
pub struct Exposure {
    cfg: ExposureConfig,
    home: Vec<Cidr>,
    pending: Fifo<(Svc, IpAddr), Timestamp>,
    services: Fifo<Svc, SvcState>,
    incidents: Incidents<Svc>,
    live: HashMap<Svc, Live>,
    evictions: u64,
    allow: Option<AllowList>,
}

impl Exposure {
    /// A detector with `cfg`.
    pub fn new(cfg: ExposureConfig) -> Self {
        let home: Vec<Cidr> = cfg.home_net.iter().filter_map(|s| Cidr::parse(s)).collect();
        Exposure {
            allow: AllowList::new(
                &cfg.allowed_public,
                home.clone(),
                cfg.max_tracked,
                IncidentConfig {
                    idle_secs: 600,
                    ..cfg.incident
                },
            ),
            home,
            pending: Fifo::new(cfg.max_tracked),
            services: Fifo::new(cfg.max_tracked),
            incidents: Incidents::new(cfg.incident, u64::from(SID_EXPOSED) << 32),
            live: HashMap::new(),
            evictions: 0,
            cfg,
        }
    }

    /// Entries evicted from the bounded tables so far.
    pub fn evictions(&self) -> u64 {
        self.evictions
    }

    /// Entries held: (pending attempts, services, running incidents).
    pub fn tracked(&self) -> (usize, usize, usize) {
        (
            self.pending.len(),
            self.services.len(),
            self.incidents.len(),
        )
    }

    fn in_home(&self, ip: &IpAddr) -> bool {
        self.home.iter().any(|c| c.contains(ip))
    }

    fn listed(&self, port: u16) -> bool {
        self.cfg.ports.contains(&port)
    }

    fn attempt(&mut self, p: &PacketObs, out: &mut dyn Emit) {
        let svc: Svc = (p.dst, p.dport, p.proto);
        if self.incidents.is_live(&svc) {
            if let Some(l) = self.live.get_mut(&svc) {
                l.peers.insert(&p.src);
            }
            if let Some((phase, inc)) = self.incidents.activity(&svc, p.ts, 1) {
                let a = self.alert(&svc, phase, &inc, p.ts, None, None);
                out.alert(a);
            }
            return;
        }
        match self.services.get_mut(&svc) {
            Some(s) => s.attempts += 1,
            None => {
                self.evictions += self.services.insert(
                    svc,
                    SvcState {
                        first_seen: p.ts,
                        attempts: 1,
                    },
                );
            }
        }
        match self.pending.get_mut(&(svc, p.src)) {
            Some(t) => *t = p.ts,
            None => self.evictions += self.pending.insert((svc, p.src), p.ts),
        }
    }

    fn answer(&mut self, p: &PacketObs, out: &mut dyn Emit) {
        let svc: Svc = (p.src, p.sport, p.proto);
        let outside = p.dst;
        let Some(t) = self.pending.remove(&(svc, outside)) else {
            return;
        };
        if p.ts.secs_since(t) > ANSWER_SECS || self.incidents.is_live(&svc) {
            return;
        }
        let (first_seen, attempts) = self
            .services
            .remove(&svc)
            .map_or((t, 1), |s| (s.first_seen, s.attempts));
        let (inc, evicted) = self.incidents.start(svc, p.ts, attempts);
        if let Some((k, i)) = evicted {
            self.end(k, i, p.ts, out);
        }
        let mut peers = Distinct::new();
        peers.insert(&outside);
        let tuple = Tuple {
            src_ip: outside,
            src_port: Some(p.dport),
            dest_ip: svc.0,
            dest_port: Some(svc.1),
            proto: svc.2,
        };
        self.live.insert(svc, Live { peers, tuple });
        let mut a = self.alert(
            &svc,
            Phase::Start,
            &inc,
            p.ts,
            Some(outside),
            Some(first_seen),
        );
        a.flow_id = p.flow_id;
        out.alert(a);
    }

    fn alert(
        &self,
        svc: &Svc,
        phase: Phase,
        inc: &Incident,
        now: Timestamp,
        outside: Option<IpAddr>,
        first_seen: Option<Timestamp>,
    ) -> DetectorAlert {
        let (device, port, proto) = *svc;
        let live = self.live.get(svc);
        let mut evidence = vec![
            ("service", service_name(port).to_string()),
            ("port", port.to_string()),
            ("attempts", inc.events.to_string()),
        ];
        if let Some(o) = outside {
            evidence.push(("outside_peer", o.to_string()));
        }
        if let Some(f) = first_seen {
            evidence.push(("first_seen", f.to_string()));
        }
        if phase != Phase::Start {
            evidence.push((
                "distinct_peers",
                live.map_or(0, |l| l.peers.count()).to_string(),
            ));
        }
        if phase == Phase::End {
            evidence.push((
                "duration_secs",
                inc.last_seen.secs_since(inc.started).to_string(),
            ));
        }
        let tuple = live.map(|l| l.tuple).unwrap_or(Tuple {
            src_ip: device,
            src_port: None,
            dest_ip: device,
            dest_port: Some(port),
            proto,
        });
        DetectorAlert {
            timestamp: now,
            sid: SID_EXPOSED,
            msg: MSG,
            class: Class::Exposure,
            detector: NAME,
            severity: if HIGH_RISK_PORTS.contains(&port) {
                1
            } else {
                2
            },
            tuple,
            flow_id: None,
            incident: Some(inc.id),
            phase,
            evidence,
        }
    }

    fn end(&mut self, svc: Svc, inc: Incident, now: Timestamp, out: &mut dyn Emit) {
        let a = self.alert(&svc, Phase::End, &inc, now, None, None);
        self.live.remove(&svc);
        out.alert(a);
    }
}

impl Detector for Exposure {
    fn name(&self) -> &'static str {
        NAME
    }

    fn observe(&mut self, obs: Observation<'_>, out: &mut dyn Emit) {
        if let (Some(a), Observation::Dns(d)) = (self.allow.as_mut(), obs) {
            a.dns(d);
        }
        let Observation::Packet(p) = obs else {
            return;
        };
        if let Some(a) = self.allow.as_mut() {
            a.packet(p, out);
        }
        let opens = match p.proto {
            6 => p.tcp_flags & 0x12 == 0x02,
            17 => p.new_flow,
            _ => return,
        };
        let answers = match p.proto {
            6 => p.tcp_flags & 0x12 == 0x12,
            _ => true,
        };
        if opens && self.listed(p.dport) && self.in_home(&p.dst) && !self.in_home(&p.src) {
            self.attempt(p, out);
        } else if answers && self.listed(p.sport) && self.in_home(&p.src) && !self.in_home(&p.dst) {
            self.answer(p, out);
        }
    }

    fn tick(&mut self, now: Timestamp, out: &mut dyn Emit) {
        for (k, i) in self.incidents.expire(now) {
            self.end(k, i, now, out);
        }
        if let Some(a) = self.allow.as_mut() {
            a.tick(now, out);
        }
    }

    fn finish(&mut self, now: Timestamp, out: &mut dyn Emit) {
        for (k, i) in self.incidents.drain() {
            self.end(k, i, now, out);
        }
        if let Some(a) = self.allow.as_mut() {
            a.finish(now, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{pkt, Rec};
    use std::net::Ipv4Addr;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn syn(src: IpAddr, dst: IpAddr, sport: u16, dport: u16, s: u64) -> PacketObs {
        let mut p = pkt(src, dst, 6, s);
        p.sport = sport;
        p.dport = dport;
        p.tcp_flags = 0x02;
        p.new_flow = true;
        p
    }

    fn synack(src: IpAddr, dst: IpAddr, sport: u16, dport: u16, s: u64) -> PacketObs {
        let mut p = pkt(src, dst, 6, s);
        p.sport = sport;
        p.dport = dport;
        p.tcp_flags = 0x12;
        p
    }

    fn feed(d: &mut Exposure, p: &PacketObs, r: &mut Rec) {
        d.observe(Observation::Packet(p), r);
    }

    #[test]
    fn answered_telnet_alerts_once_with_evidence() {
        let mut d = Exposure::new(ExposureConfig::default());
        let mut r = Rec::default();
        let (out, dev) = (ip("203.0.113.5"), ip("10.0.0.5"));
        feed(&mut d, &syn(out, dev, 40000, 23, 10), &mut r);
        feed(&mut d, &syn(out, dev, 40000, 23, 11), &mut r); // retransmission
        assert!(r.alerts.is_empty());
        feed(&mut d, &synack(dev, out, 23, 40000, 11), &mut r);
        assert_eq!(r.alerts.len(), 1);
        let a = &r.alerts[0];
        assert_eq!((a.sid, a.severity, a.phase), (SID_EXPOSED, 1, Phase::Start));
        assert_eq!((a.class, a.detector), (Class::Exposure, "exposure"));
        assert!(a.msg.starts_with("PALISADE "));
        assert_eq!((a.tuple.src_ip, a.tuple.dest_ip), (out, dev));
        assert_eq!(a.tuple.dest_port, Some(23));
        assert_eq!(r.ev(0, "service"), Some("telnet"));
        assert_eq!(r.ev(0, "port"), Some("23"));
        assert_eq!(r.ev(0, "outside_peer"), Some("203.0.113.5"));
        assert_eq!(r.ev(0, "attempts"), Some("2"));
        assert_eq!(
            r.ev(0, "first_seen"),
            Some(Timestamp::from_secs_nanos(10, 0).to_string().as_str())
        );
        // a second SYN-ACK, another answered access: no second alert
        feed(&mut d, &synack(dev, out, 23, 40000, 12), &mut r);
        feed(&mut d, &syn(out, dev, 40001, 23, 13), &mut r);
        feed(&mut d, &synack(dev, out, 23, 40001, 13), &mut r);
        assert_eq!(r.alerts.len(), 1);
        d.finish(Timestamp::from_secs_nanos(20, 0), &mut r);
        assert_eq!(r.alerts.len(), 2);
        assert_eq!(r.alerts[1].phase, Phase::End);
        assert_eq!(r.alerts[1].incident, r.alerts[0].incident);
        assert_eq!(r.ev(1, "attempts"), Some("3"));
        assert_eq!(r.ev(1, "distinct_peers"), Some("1"));
    }

    #[test]
    fn severity_two_for_web_and_udp_answers() {
        let mut d = Exposure::new(ExposureConfig::default());
        let mut r = Rec::default();
        let (out, dev) = (ip("198.51.100.7"), ip("192.168.1.20"));
        feed(&mut d, &syn(out, dev, 5000, 8080, 1), &mut r);
        feed(&mut d, &synack(dev, out, 8080, 5000, 1), &mut r);
        assert_eq!(r.alerts.len(), 1);
        assert_eq!(r.alerts[0].severity, 2);
        assert_eq!(r.ev(0, "service"), Some("http-alt"));
        // UDP SNMP: new flow, then any reply
        let mut q = pkt(out, dev, 17, 2);
        (q.sport, q.dport, q.new_flow) = (6000, 161, true);
        feed(&mut d, &q, &mut r);
        assert_eq!(r.alerts.len(), 1);
        let mut a = pkt(dev, out, 17, 2);
        (a.sport, a.dport) = (161, 6000);
        feed(&mut d, &a, &mut r);
        assert_eq!(r.alerts.len(), 2);
        assert_eq!(r.alerts[1].severity, 1);
        assert_eq!(r.ev(1, "service"), Some("snmp"));
        assert_eq!(r.alerts[1].tuple.proto, 17);
    }

    #[test]
    fn no_alert_without_answer_or_outside_direction_or_listed_port() {
        let mut d = Exposure::new(ExposureConfig::default());
        let mut r = Rec::default();
        let (out, dev, dev2) = (ip("203.0.113.5"), ip("10.0.0.5"), ip("10.0.0.6"));
        // unanswered attempts (a scan)
        for i in 0..50 {
            feed(&mut d, &syn(out, dev, 40000 + i, 23, 1), &mut r);
        }
        // an RST answer is not a SYN-ACK
        let mut rst = synack(dev, out, 23, 40000, 1);
        rst.tcp_flags = 0x14;
        feed(&mut d, &rst, &mut r);
        // inside to inside
        feed(&mut d, &syn(dev2, dev, 1000, 22, 2), &mut r);
        feed(&mut d, &synack(dev, dev2, 22, 1000, 2), &mut r);
        // inside to outside
        feed(&mut d, &syn(dev, out, 1001, 22, 3), &mut r);
        feed(&mut d, &synack(out, dev, 22, 1001, 3), &mut r);
        // a port not listed
        feed(&mut d, &syn(out, dev, 1002, 9999, 4), &mut r);
        feed(&mut d, &synack(dev, out, 9999, 1002, 4), &mut r);
        // an answer without an attempt
        feed(&mut d, &synack(dev, out, 22, 1003, 5), &mut r);
        // an answer too late
        feed(&mut d, &syn(out, dev, 1004, 22, 6), &mut r);
        feed(
            &mut d,
            &synack(dev, out, 22, 1004, 6 + ANSWER_SECS + 1),
            &mut r,
        );
        d.finish(Timestamp::from_secs_nanos(100, 0), &mut r);
        assert!(r.alerts.is_empty(), "{:?}", r.alerts);
    }

    #[test]
    fn hundred_peers_one_incident() {
        let mut cfg = ExposureConfig::default();
        cfg.incident.update_secs = 10;
        cfg.incident.idle_secs = 30;
        let mut d = Exposure::new(cfg);
        let mut r = Rec::default();
        let dev = ip("10.1.2.3");
        for i in 0..100u32 {
            let out = IpAddr::V4(Ipv4Addr::from(0xCB00_7100 + i)); // 203.0.113.x
            let s = u64::from(i);
            feed(&mut d, &syn(out, dev, 50000, 22, s), &mut r);
            feed(&mut d, &synack(dev, out, 22, 50000, s), &mut r);
            d.tick(Timestamp::from_secs_nanos(s, 0), &mut r);
        }
        let starts = r.alerts.iter().filter(|a| a.phase == Phase::Start).count();
        let updates = r.alerts.iter().filter(|a| a.phase == Phase::Update).count();
        assert_eq!(starts, 1);
        assert!((9..=10).contains(&updates), "updates {updates}");
        assert!(r.alerts.iter().all(|a| a.incident == r.alerts[0].incident));
        // ends after idle_secs
        d.tick(Timestamp::from_secs_nanos(99 + 29, 0), &mut r);
        assert!(r.alerts.iter().all(|a| a.phase != Phase::End));
        d.tick(Timestamp::from_secs_nanos(99 + 30, 0), &mut r);
        let last = r.alerts.len() - 1;
        assert_eq!(r.alerts[last].phase, Phase::End);
        assert_eq!(r.ev(last, "attempts"), Some("100"));
        let peers: f64 = r.ev(last, "distinct_peers").unwrap().parse().unwrap();
        assert!((80.0..=120.0).contains(&peers), "peers {peers}");
        assert_eq!(d.tracked(), (0, 0, 0));
    }

    #[test]
    fn bounded_under_spoofed_sources() {
        let cfg = ExposureConfig {
            max_tracked: 1000,
            ..ExposureConfig::default()
        };
        let mut d = Exposure::new(cfg);
        let mut r = Rec::default();
        for i in 0..200_000u32 {
            let out = IpAddr::V4(Ipv4Addr::from(0x2D00_0000 + i));
            let dev = IpAddr::V4(Ipv4Addr::from(0x0A00_0000 + (i % 5000)));
            feed(&mut d, &syn(out, dev, 1, 23, u64::from(i / 1000)), &mut r);
        }
        let (pending, services, live) = d.tracked();
        assert!(pending <= 1000 && services <= 1000 && live == 0);
        assert!(d.evictions() >= 199_000 + 4_000);
        assert!(d.pending.order.len() <= 2 * 1000 + 16);
        assert!(r.alerts.is_empty());
        // still works after the flood
        let (out, dev) = (ip("203.0.113.5"), ip("10.9.9.9"));
        feed(&mut d, &syn(out, dev, 2, 23, 300), &mut r);
        feed(&mut d, &synack(dev, out, 23, 2, 300), &mut r);
        assert_eq!(r.alerts.len(), 1);
    }

    #[test]
    fn defaults_and_names() {
        let c = ExposureConfig::default();
        assert_eq!(c.ports.len(), 26);
        assert!(c.ports.contains(&56565) && c.ports.contains(&3011) && c.ports.contains(&3076));
        assert_eq!(c.max_tracked, 65_536);
        assert_eq!(service_name(23), "telnet");
        assert_eq!(service_name(9), "unknown");
        let d = Exposure::new(c);
        assert_eq!(d.name(), NAME);
        assert_eq!(d.home.len(), 4);
        let bad = ExposureConfig {
            home_net: vec!["10.0.0.0/8".into(), "nonsense".into()],
            ..ExposureConfig::default()
        };
        assert_eq!(bad.invalid_home_net(), vec!["nonsense"]);
    }

    #[test]
    fn allow_list_through_the_detector() {
        let mut d = Exposure::new(ExposureConfig {
            allowed_public: vec!["*.hik-connect.com".into()],
            ..ExposureConfig::default()
        });
        let mut r = Rec::default();
        let dns = crate::DnsObs {
            ts: Timestamp::from_secs_nanos(1, 0),
            client: ip("10.0.0.5"),
            server: ip("10.0.0.1"),
            names: vec!["dev.hik-connect.com".into()],
            addrs: vec![ip("203.0.113.10")],
            ttl: 300,
        };
        d.observe(Observation::Dns(&dns), &mut r);
        feed(
            &mut d,
            &syn(ip("10.0.0.5"), ip("203.0.113.10"), 40000, 443, 2),
            &mut r,
        );
        feed(
            &mut d,
            &syn(ip("10.0.0.5"), ip("198.51.100.9"), 40001, 6667, 2),
            &mut r,
        );
        d.tick(Timestamp::from_secs_nanos(5, 0), &mut r);
        assert_eq!(r.alerts.len(), 1);
        assert_eq!(r.alerts[0].sid, crate::allowlist::SID_NOT_ALLOWED);
        assert_eq!(r.ev(0, "destination"), Some("198.51.100.9"));
        // default: off
        let mut d = Exposure::new(ExposureConfig::default());
        let mut r = Rec::default();
        feed(
            &mut d,
            &syn(ip("10.0.0.5"), ip("198.51.100.9"), 40001, 6667, 2),
            &mut r,
        );
        d.finish(Timestamp::from_secs_nanos(9, 0), &mut r);
        assert!(r.alerts.is_empty());
    }

    #[test]
    fn ipv6_fleet_device() {
        let mut d = Exposure::new(ExposureConfig::default());
        let mut r = Rec::default();
        let (out, dev) = (ip("2001:db8::5"), ip("fd00::42"));
        feed(&mut d, &syn(out, dev, 7000, 5555, 1), &mut r);
        feed(&mut d, &synack(dev, out, 5555, 7000, 1), &mut r);
        assert_eq!(r.alerts.len(), 1);
        assert_eq!(r.alerts[0].severity, 1);
        assert_eq!(r.ev(0, "service"), Some("adb"));
        assert_eq!(r.ev(0, "outside_peer"), Some("2001:db8::5"));
    }
}
