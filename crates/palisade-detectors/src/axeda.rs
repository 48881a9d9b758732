//! `axeda`: the PTC Axeda agent's network surface ("Access:7",
//! CVE-2022-25246..25252; Forescout Vedere Labs and CyberMDX, 2022-03-08;
//! CISA ICSA-22-067-01) reached from outside the management network.
//!
//! The Axeda agent, embedded by OEMs in medical, lab and IoT devices,
//! listens for its vendor's remote service. Access:7 showed its listeners
//! take commands without authentication: ERemoteServer (TCP 3076 per the
//! Forescout report as quoted by SC Magazine: download/upload files, run
//! programs, shut the agent down; CVE-2022-25247/25248), the agent's xGate
//! component (XML messages that read and change the configuration,
//! CVE-2022-25251; directory traversal, CVE-2022-25249; crash,
//! CVE-2022-25252). PTC's advice is to listen on loopback only and allow
//! ERemoteServer from trusted hosts only, so any connection that a device
//! answers from elsewhere is an attempt on that surface.
//!
//! **+72, Access:7 surface reached.** A TCP SYN from an unmanaged source
//! to a fleet device on one of `ports`, answered by the device's SYN-ACK
//! within [`crate::exposure::ANSWER_SECS`]: one alert per (source, device,
//! port), severity 2; evidence `port`, `component`, `cves`, `source`.
//!
//! **+73, command from an unmanaged source.** Client payload on such an
//! answered connection: one alert per (source, device, port), severity 1.
//! No command format of xGate or ERemoteServer is public (the reports
//! describe what the commands do, not their bytes), so palisade does not
//! parse them: +73 says "an unmanaged host sent data to the agent", not
//! which command it was.
//!
//! **Unmanaged.** With `management_net` set, a source outside it; with it
//! empty (the default), a source outside `home_net` — the device's own
//! networks and the vendor's tunnel usually arrive from inside, and an
//! outside source is what Access:7's exposure is about. The +60 exposure
//! alert of the same connection is the posture view; these are the
//! exploit view, with the component and CVEs.
//!
//! **Ports.** 3076 (ERemoteServer) is from the Access:7 report; 3011 and
//! 56565 are the agent ports palisade's exposure detector already watched,
//! kept as defaults but not confirmed by the public sources we found; the
//! Desktop Server's (UltraVNC) port is site-configured, add it to `ports`
//! where known.
//!
//! Bounded: pending attempts, answered connections and alert keys are each
//! at most `max_tracked` entries, the oldest evicted first (counted).

use crate::ddos::Cidr;
use crate::exposure::{Fifo, ANSWER_SECS};
use crate::{
    Class, Detector, DetectorAlert, Emit, Observation, PacketObs, Phase, DETECTOR_SID_BASE,
};
use palisade_event::{Timestamp, Tuple};
use std::net::IpAddr;

/// Detector name.
pub const NAME: &str = "axeda";
/// Access:7 surface reached from an unmanaged source.
pub const SID_SURFACE: u32 = DETECTOR_SID_BASE + 72;
/// Client data to an Axeda listener from an unmanaged source.
pub const SID_COMMAND: u32 = DETECTOR_SID_BASE + 73;
const MSG_SURFACE: &str =
    "PALISADE EXPLOIT PTC Axeda agent (Access:7) port answered an unmanaged source";
const MSG_COMMAND: &str =
    "PALISADE EXPLOIT PTC Axeda agent (Access:7) command from an unmanaged source";

/// Axeda listeners: (port, component, CVEs of that component).
pub const COMPONENTS: [(u16, &str, &str); 3] = [
    (3076, "ERemoteServer", "CVE-2022-25247,CVE-2022-25248"),
    (
        3011,
        "xGate",
        "CVE-2022-25249,CVE-2022-25251,CVE-2022-25252",
    ),
    (56565, "agent", "CVE-2022-25251,CVE-2022-25252"),
];

/// CVEs named for a configured port outside [`COMPONENTS`].
const ALL_CVES: &str = "CVE-2022-25246,CVE-2022-25247,CVE-2022-25248,CVE-2022-25249,CVE-2022-25250,CVE-2022-25251,CVE-2022-25252";

/// Component and CVEs of `port`.
pub fn component(port: u16) -> (&'static str, &'static str) {
    COMPONENTS
        .iter()
        .find(|(p, _, _)| *p == port)
        .map_or(("axeda", ALL_CVES), |(_, c, v)| (c, v))
}

/// `[detectors.axeda]`.
#[derive(serde::Deserialize, serde::Serialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AxedaConfig {
    /// TCP ports of Axeda listeners. Default: 3076, 3011, 56565.
    pub ports: Vec<u16>,
    /// The fleet's networks (CIDRs): devices are here. Default: the RFC
    /// 1918 ranges and fc00::/7.
    pub home_net: Vec<String>,
    /// Hosts allowed to reach the agent (CIDRs). Empty (the default): any
    /// source inside `home_net` is managed, sources outside are not.
    pub management_net: Vec<String>,
    /// Pending attempts, answered connections and alert keys tracked
    /// (entries each); beyond, the oldest are evicted. Default 65,536.
    pub max_tracked: usize,
}

impl Default for AxedaConfig {
    fn default() -> Self {
        AxedaConfig {
            ports: COMPONENTS.iter().map(|(p, _, _)| *p).collect(),
            home_net: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            management_net: Vec::new(),
            max_tracked: 65_536,
        }
    }
}

impl AxedaConfig {
    /// The `home_net` and `management_net` entries that are no CIDRs.
    pub fn invalid_nets(&self) -> Vec<&str> {
        self.home_net
            .iter()
            .chain(&self.management_net)
            .filter(|s| Cidr::parse(s).is_none())
            .map(|s| s.as_str())
            .collect()
    }
}

/// (source, device, port).
type Conn = (IpAddr, IpAddr, u16);

/// The Axeda detector.
pub struct Axeda {
    cfg: AxedaConfig,
    home: Vec<Cidr>,
    mgmt: Vec<Cidr>,
    pending: Fifo<Conn, Timestamp>,
    answered: Fifo<Conn, ()>,
    alerted: Fifo<(Conn, u32), ()>,
    evictions: u64,
}

impl Axeda {
    /// A detector with `cfg`.
    pub fn new(cfg: AxedaConfig) -> Self {
        let nets = |v: &[String]| v.iter().filter_map(|s| Cidr::parse(s)).collect();
        Axeda {
            home: nets(&cfg.home_net),
            mgmt: nets(&cfg.management_net),
            pending: Fifo::new(cfg.max_tracked),
            answered: Fifo::new(cfg.max_tracked),
            alerted: Fifo::new(cfg.max_tracked),
            evictions: 0,
            cfg,
        }
    }

    /// Entries evicted so far.
    pub fn evictions(&self) -> u64 {
        self.evictions
    }

    /// Entries held: (pending, answered, alert keys).
    pub fn tracked(&self) -> (usize, usize, usize) {
        (self.pending.len(), self.answered.len(), self.alerted.len())
    }

    fn in_home(&self, ip: &IpAddr) -> bool {
        self.home.iter().any(|c| c.contains(ip))
    }

    fn unmanaged(&self, ip: &IpAddr) -> bool {
        if self.mgmt.is_empty() {
            !self.in_home(ip)
        } else {
            !self.mgmt.iter().any(|c| c.contains(ip))
        }
    }

    fn emit(&mut self, c: Conn, sid: u32, p: &PacketObs, client_port: u16, out: &mut dyn Emit) {
        if self.alerted.get_mut(&(c, sid)).is_some() {
            return;
        }
        self.evictions += self.alerted.insert((c, sid), ());
        let (src, device, port) = c;
        let (comp, cves) = component(port);
        let (msg, severity) = if sid == SID_COMMAND {
            (MSG_COMMAND, 1)
        } else {
            (MSG_SURFACE, 2)
        };
        out.alert(DetectorAlert {
            timestamp: p.ts,
            sid,
            msg,
            class: Class::Exploit,
            detector: NAME,
            severity,
            tuple: Tuple {
                src_ip: src,
                src_port: Some(client_port),
                dest_ip: device,
                dest_port: Some(port),
                proto: 6,
            },
            flow_id: p.flow_id,
            incident: None,
            phase: Phase::Event,
            evidence: vec![
                ("port", port.to_string()),
                ("component", comp.to_string()),
                ("cves", cves.to_string()),
                ("source", src.to_string()),
            ],
        });
    }
}

impl Detector for Axeda {
    fn name(&self) -> &'static str {
        NAME
    }

    fn observe(&mut self, obs: Observation<'_>, out: &mut dyn Emit) {
        let Observation::Packet(p) = obs else {
            return;
        };
        if p.proto != 6 {
            return;
        }
        let to_agent =
            self.cfg.ports.contains(&p.dport) && self.in_home(&p.dst) && self.unmanaged(&p.src);
        if to_agent {
            let c: Conn = (p.src, p.dst, p.dport);
            if p.tcp_flags & 0x12 == 0x02 {
                match self.pending.get_mut(&c) {
                    Some(t) => *t = p.ts,
                    None => self.evictions += self.pending.insert(c, p.ts),
                }
            } else if p.payload_len > 0 && self.answered.get_mut(&c).is_some() {
                self.emit(c, SID_COMMAND, p, p.sport, out);
            }
            return;
        }
        let from_agent = p.tcp_flags & 0x12 == 0x12
            && self.cfg.ports.contains(&p.sport)
            && self.in_home(&p.src)
            && self.unmanaged(&p.dst);
        if from_agent {
            let c: Conn = (p.dst, p.src, p.sport);
            let Some(t) = self.pending.remove(&c) else {
                return;
            };
            if p.ts.secs_since(t) > ANSWER_SECS {
                return;
            }
            if self.answered.get_mut(&c).is_none() {
                self.evictions += self.answered.insert(c, ());
            }
            self.emit(c, SID_SURFACE, p, p.dport, out);
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

    fn tcp(src: &str, dst: &str, sport: u16, dport: u16, flags: u8, len: u32, s: u64) -> PacketObs {
        let mut p = pkt(ip(src), ip(dst), 6, s);
        (p.sport, p.dport, p.tcp_flags, p.payload_len) = (sport, dport, flags, len);
        p
    }

    fn feed(d: &mut Axeda, p: &PacketObs, r: &mut Rec) {
        d.observe(Observation::Packet(p), r);
    }

    /// Handshake, one command, the answer.
    fn session(d: &mut Axeda, r: &mut Rec, src: &str, dev: &str, port: u16, s: u64) {
        feed(d, &tcp(src, dev, 50000, port, 0x02, 0, s), r);
        feed(d, &tcp(dev, src, port, 50000, 0x12, 0, s), r);
        feed(d, &tcp(src, dev, 50000, port, 0x10, 0, s), r);
        feed(d, &tcp(src, dev, 50000, port, 0x18, 40, s), r);
        feed(d, &tcp(dev, src, port, 50000, 0x18, 100, s), r);
    }

    #[test]
    fn outside_command_to_eremoteserver() {
        let mut d = Axeda::new(AxedaConfig::default());
        let mut r = Rec::default();
        session(&mut d, &mut r, "203.0.113.9", "10.0.0.8", 3076, 5);
        assert_eq!(r.alerts.len(), 2);
        let (a, b) = (&r.alerts[0], &r.alerts[1]);
        assert_eq!(
            (a.sid, a.severity, a.class),
            (SID_SURFACE, 2, Class::Exploit)
        );
        assert_eq!((b.sid, b.severity), (SID_COMMAND, 1));
        assert!(a.msg.starts_with("PALISADE ") && b.msg.starts_with("PALISADE "));
        assert_eq!(
            (a.tuple.src_ip, a.tuple.dest_ip),
            (ip("203.0.113.9"), ip("10.0.0.8"))
        );
        assert_eq!(a.tuple.dest_port, Some(3076));
        assert_eq!(r.ev(0, "component"), Some("ERemoteServer"));
        assert_eq!(r.ev(0, "cves"), Some("CVE-2022-25247,CVE-2022-25248"));
        assert_eq!(r.ev(1, "port"), Some("3076"));
        assert_eq!(r.ev(1, "source"), Some("203.0.113.9"));
        // the same host again: no new alerts
        session(&mut d, &mut r, "203.0.113.9", "10.0.0.8", 3076, 6);
        assert_eq!(r.alerts.len(), 2);
        // xGate
        session(&mut d, &mut r, "203.0.113.9", "10.0.0.8", 3011, 7);
        assert_eq!(r.alerts.len(), 4);
        assert_eq!(r.ev(2, "component"), Some("xGate"));
    }

    #[test]
    fn managed_unanswered_and_other_ports_are_quiet() {
        let mut d = Axeda::new(AxedaConfig::default());
        let mut r = Rec::default();
        // inside the fleet (the default management network)
        session(&mut d, &mut r, "10.0.0.2", "10.0.0.8", 3076, 1);
        // other port
        session(&mut d, &mut r, "203.0.113.9", "10.0.0.8", 80, 1);
        // unanswered (a scan), and a RST
        feed(
            &mut d,
            &tcp("203.0.113.9", "10.0.0.8", 1, 3076, 0x02, 0, 2),
            &mut r,
        );
        feed(
            &mut d,
            &tcp("10.0.0.8", "203.0.113.9", 3076, 1, 0x14, 0, 2),
            &mut r,
        );
        feed(
            &mut d,
            &tcp("203.0.113.9", "10.0.0.8", 1, 3076, 0x18, 40, 2),
            &mut r,
        );
        // the device connecting out to an Axeda server
        session(&mut d, &mut r, "10.0.0.8", "203.0.113.9", 56565, 3);
        // late answer
        feed(
            &mut d,
            &tcp("198.51.100.1", "10.0.0.8", 1, 3011, 0x02, 0, 10),
            &mut r,
        );
        feed(
            &mut d,
            &tcp(
                "10.0.0.8",
                "198.51.100.1",
                3011,
                1,
                0x12,
                0,
                10 + ANSWER_SECS + 1,
            ),
            &mut r,
        );
        assert!(r.alerts.is_empty(), "{:?}", r.alerts);
    }

    #[test]
    fn management_net_narrows_who_is_managed() {
        let cfg = AxedaConfig {
            management_net: vec!["10.9.0.0/16".into()],
            ..AxedaConfig::default()
        };
        let mut d = Axeda::new(cfg);
        let mut r = Rec::default();
        session(&mut d, &mut r, "10.9.1.1", "10.0.0.8", 3076, 1);
        assert!(r.alerts.is_empty());
        session(&mut d, &mut r, "10.0.0.2", "10.0.0.8", 3076, 2);
        assert_eq!(r.alerts.len(), 2);
        let bad = AxedaConfig {
            management_net: vec!["x".into()],
            ..AxedaConfig::default()
        };
        assert_eq!(bad.invalid_nets(), vec!["x"]);
    }

    #[test]
    fn bounded_under_spoofed_syns() {
        let mut d = Axeda::new(AxedaConfig {
            max_tracked: 500,
            ..AxedaConfig::default()
        });
        let mut r = Rec::default();
        for i in 0..100_000u32 {
            let mut p = pkt(
                IpAddr::V4(Ipv4Addr::from(0x2D00_0000 + i)),
                ip("10.0.0.8"),
                6,
                1,
            );
            (p.dport, p.tcp_flags) = (3076, 0x02);
            feed(&mut d, &p, &mut r);
        }
        assert!(d.tracked().0 <= 500);
        assert!(d.evictions() >= 99_000);
        assert_eq!(component(1234).0, "axeda");
        assert_eq!(d.name(), NAME);
    }
}
