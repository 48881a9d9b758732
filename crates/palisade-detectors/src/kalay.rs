//! `kalay`: ThroughTek Kalay device impersonation (CVE-2021-28372).
//!
//! Kalay servers registered a device on its 20-character UID alone
//! (Mandiant FEYE-2021-0020, CISA ICSA-21-229-01): an attacker who learns a
//! camera's UID registers a rogue device under it, and the owner's app
//! then connects to the attacker and hands over its credentials. The
//! `kalay` parser reports each registration (a device → server IOTC
//! message carrying a UID) as a [`KalayObs`]; this detector remembers which
//! address registered each UID.
//!
//! **+70, UID registered from a second device.** A registration of a UID
//! from an address other than the one that registered it before, while
//! that first device is still registering (its last registration at most
//! `window_secs` ago): two devices hold one UID at once, which a genuine
//! device never does. One alert per (UID, second address); evidence `uid`,
//! `first_device`, `second_device`, `first_seen`, `server`. The tuple is
//! second device → first device (the impersonated camera). A device that
//! changes address and registers again within `window_secs` of its last
//! registration from the old one looks the same (a DHCP renumbering in the
//! middle of a registration cycle): keep `window_secs` near the devices'
//! registration interval. Addresses, not MACs: the detectors see IP
//! summaries only, and a MAC is only meaningful on the device's own
//! segment.
//!
//! **+71, registration to a non-vendor server.** When `vendor_servers` is
//! set, a registration whose server address is in none of those networks
//! (or whose port is not in `vendor_ports`, when set) alerts once per
//! (device, server). Off by default: Kalay's server addresses differ per
//! OEM and region and are not published, so a built-in list would be
//! wrong somewhere; an operator who knows the OEM's servers lists them.
//!
//! **What a sensor sees.** Only registrations that cross the monitored
//! link: the fleet's own cameras, and an attacker registering from inside
//! the monitored network (a rogue or compromised host). An attacker who
//! registers the UID from the internet straight to Kalay's servers never
//! crosses the fleet's link; +70 cannot see that case.
//!
//! Bounded: at most `max_tracked` UIDs and as many (UID, address) and
//! (device, server) alert keys, the oldest evicted first (counted).

use crate::ddos::Cidr;
use crate::exposure::Fifo;
use crate::{
    Class, Detector, DetectorAlert, Emit, KalayObs, Observation, Phase, DETECTOR_SID_BASE,
};
use palisade_event::{Timestamp, Tuple};
use std::net::IpAddr;

/// Detector name.
pub const NAME: &str = "kalay";
/// UID registered from a second device.
pub const SID_SECOND_DEVICE: u32 = DETECTOR_SID_BASE + 70;
/// Registration to a server outside `vendor_servers`.
pub const SID_FOREIGN_SERVER: u32 = DETECTOR_SID_BASE + 71;
const MSG_SECOND: &str =
    "PALISADE EXPLOIT ThroughTek Kalay UID registered from a second device (CVE-2021-28372)";
const MSG_FOREIGN: &str =
    "PALISADE EXPLOIT ThroughTek Kalay registration to a non-vendor server (CVE-2021-28372)";

/// `[detectors.kalay]`.
#[derive(serde::Deserialize, serde::Serialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct KalayConfig {
    /// Seconds a UID's registering device counts as live after its last
    /// registration: a registration of the UID from another address within
    /// this time alerts (+70). Kalay devices re-register every few seconds
    /// to minutes; default 300.
    pub window_secs: u64,
    /// Networks (CIDRs) of the OEM's Kalay servers. Empty (the default):
    /// the non-vendor-server check (+71) is off.
    pub vendor_servers: Vec<String>,
    /// UDP ports of the OEM's Kalay servers; empty (the default): any port
    /// of a `vendor_servers` address.
    pub vendor_ports: Vec<u16>,
    /// UIDs remembered (entries), and alert keys remembered; beyond, the
    /// oldest are evicted (counted). Default 65,536.
    pub max_tracked: usize,
}

impl Default for KalayConfig {
    fn default() -> Self {
        KalayConfig {
            window_secs: 300,
            vendor_servers: Vec::new(),
            vendor_ports: Vec::new(),
            max_tracked: 65_536,
        }
    }
}

impl KalayConfig {
    /// The `vendor_servers` entries that do not parse as CIDRs.
    pub fn invalid_vendor_servers(&self) -> Vec<&str> {
        self.vendor_servers
            .iter()
            .filter(|s| Cidr::parse(s).is_none())
            .map(|s| s.as_str())
            .collect()
    }
}

struct Owner {
    device: IpAddr,
    first_seen: Timestamp,
    last_seen: Timestamp,
}

/// The Kalay detector.
pub struct Kalay {
    cfg: KalayConfig,
    vendor: Vec<Cidr>,
    owners: Fifo<String, Owner>,
    alerted: Fifo<(String, IpAddr), ()>,
    foreign: Fifo<(IpAddr, IpAddr, u16), ()>,
    evictions: u64,
}

impl Kalay {
    /// A detector with `cfg`.
    pub fn new(cfg: KalayConfig) -> Self {
        Kalay {
            vendor: cfg
                .vendor_servers
                .iter()
                .filter_map(|s| Cidr::parse(s))
                .collect(),
            owners: Fifo::new(cfg.max_tracked),
            alerted: Fifo::new(cfg.max_tracked),
            foreign: Fifo::new(cfg.max_tracked),
            evictions: 0,
            cfg,
        }
    }

    /// Entries evicted from the bounded tables so far.
    pub fn evictions(&self) -> u64 {
        self.evictions
    }

    /// UIDs remembered.
    pub fn tracked(&self) -> usize {
        self.owners.len()
    }

    fn alert(
        &self,
        k: &KalayObs,
        sid: u32,
        msg: &'static str,
        dest: IpAddr,
        evidence: Vec<(&'static str, String)>,
    ) -> DetectorAlert {
        DetectorAlert {
            timestamp: k.ts,
            sid,
            msg,
            class: Class::Exploit,
            detector: NAME,
            severity: 1,
            tuple: Tuple {
                src_ip: k.src,
                src_port: Some(k.src_port),
                dest_ip: dest,
                dest_port: if dest == k.dst {
                    Some(k.dst_port)
                } else {
                    None
                },
                proto: 17,
            },
            flow_id: Some(k.flow_id),
            incident: None,
            phase: Phase::Event,
            evidence,
        }
    }

    fn second_device(&mut self, k: &KalayObs, out: &mut dyn Emit) {
        let window = self.cfg.window_secs;
        let Some(o) = self.owners.get_mut(&k.uid) else {
            self.evictions += self.owners.insert(
                k.uid.clone(),
                Owner {
                    device: k.src,
                    first_seen: k.ts,
                    last_seen: k.ts,
                },
            );
            return;
        };
        if o.device == k.src {
            o.last_seen = o.last_seen.max(k.ts);
            return;
        }
        if k.ts.secs_since(o.last_seen) > window {
            // the first device went quiet: the UID moved (a new address)
            *o = Owner {
                device: k.src,
                first_seen: k.ts,
                last_seen: k.ts,
            };
            return;
        }
        let (first, first_seen) = (o.device, o.first_seen);
        let key = (k.uid.clone(), k.src);
        if self.alerted.get_mut(&key).is_some() {
            return;
        }
        self.evictions += self.alerted.insert(key, ());
        let a = self.alert(
            k,
            SID_SECOND_DEVICE,
            MSG_SECOND,
            first,
            vec![
                ("uid", k.uid.clone()),
                ("first_device", first.to_string()),
                ("second_device", k.src.to_string()),
                ("first_seen", first_seen.to_string()),
                ("server", format!("{}:{}", k.dst, k.dst_port)),
                ("cve", "CVE-2021-28372".into()),
            ],
        );
        out.alert(a);
    }

    fn foreign_server(&mut self, k: &KalayObs, out: &mut dyn Emit) {
        if self.vendor.is_empty() {
            return;
        }
        let port_ok =
            self.cfg.vendor_ports.is_empty() || self.cfg.vendor_ports.contains(&k.dst_port);
        if port_ok && self.vendor.iter().any(|c| c.contains(&k.dst)) {
            return;
        }
        let key = (k.src, k.dst, k.dst_port);
        if self.foreign.get_mut(&key).is_some() {
            return;
        }
        self.evictions += self.foreign.insert(key, ());
        let a = self.alert(
            k,
            SID_FOREIGN_SERVER,
            MSG_FOREIGN,
            k.dst,
            vec![
                ("uid", k.uid.clone()),
                ("device", k.src.to_string()),
                ("server", format!("{}:{}", k.dst, k.dst_port)),
                ("cve", "CVE-2021-28372".into()),
            ],
        );
        out.alert(a);
    }
}

impl Detector for Kalay {
    fn name(&self) -> &'static str {
        NAME
    }

    fn observe(&mut self, obs: Observation<'_>, out: &mut dyn Emit) {
        let Observation::Kalay(k) = obs else {
            return;
        };
        if !k.registration {
            return;
        }
        self.second_device(k, out);
        self.foreign_server(k, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::Rec;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn reg(uid: &str, src: &str, s: u64) -> KalayObs {
        KalayObs {
            ts: Timestamp::from_secs_nanos(s, 0),
            flow_id: s,
            src: ip(src),
            src_port: 40000,
            dst: ip("198.51.100.10"),
            dst_port: 10240,
            uid: uid.into(),
            msg_type: 0x0210,
            registration: true,
        }
    }

    fn feed(d: &mut Kalay, k: &KalayObs, r: &mut Rec) {
        d.observe(Observation::Kalay(k), r);
    }

    const U: &str = "ABCD1234EFGH5678JKLM";

    #[test]
    fn second_device_alerts_once_with_evidence() {
        let mut d = Kalay::new(KalayConfig::default());
        let mut r = Rec::default();
        for s in [0, 30, 60] {
            feed(&mut d, &reg(U, "10.0.0.5", s), &mut r);
        }
        assert!(r.alerts.is_empty());
        feed(&mut d, &reg(U, "10.0.0.66", 75), &mut r);
        assert_eq!(r.alerts.len(), 1);
        let a = &r.alerts[0];
        assert_eq!(
            (a.sid, a.class, a.severity),
            (SID_SECOND_DEVICE, Class::Exploit, 1)
        );
        assert!(a.msg.starts_with("PALISADE ") && a.msg.contains("CVE-2021-28372"));
        assert_eq!(
            (a.tuple.src_ip, a.tuple.dest_ip),
            (ip("10.0.0.66"), ip("10.0.0.5"))
        );
        assert_eq!(r.ev(0, "uid"), Some(U));
        assert_eq!(r.ev(0, "first_device"), Some("10.0.0.5"));
        assert_eq!(r.ev(0, "second_device"), Some("10.0.0.66"));
        assert_eq!(
            r.ev(0, "first_seen"),
            Some(Timestamp::from_secs_nanos(0, 0).to_string().as_str())
        );
        assert_eq!(r.ev(0, "server"), Some("198.51.100.10:10240"));
        // the attacker keeps registering, the camera too: no more alerts
        for s in 76..200 {
            feed(&mut d, &reg(U, "10.0.0.66", s), &mut r);
            feed(&mut d, &reg(U, "10.0.0.5", s), &mut r);
        }
        assert_eq!(r.alerts.len(), 1);
        // a third device is another alert
        feed(&mut d, &reg(U, "10.0.0.77", 201), &mut r);
        assert_eq!(r.alerts.len(), 2);
        assert_eq!(r.ev(1, "second_device"), Some("10.0.0.77"));
    }

    #[test]
    fn distinct_uids_moves_and_other_messages_are_quiet() {
        let mut d = Kalay::new(KalayConfig::default());
        let mut r = Rec::default();
        // a fleet: each camera its own UID, registering every 30 s
        for s in (0..3600).step_by(30) {
            for i in 0..20 {
                let uid = format!("CAM{i:02}A7K3M9Q2R5T8W1Y");
                feed(&mut d, &reg(&uid, &format!("10.0.1.{i}"), s), &mut r);
            }
        }
        // a camera renumbered after going quiet longer than the window
        feed(
            &mut d,
            &reg("CAM00A7K3M9Q2R5T8W1Y", "10.0.2.1", 3600 + 301),
            &mut r,
        );
        // an app's LAN search names the UID from another address: no
        // registration
        let mut q = reg("CAM01A7K3M9Q2R5T8W1Y", "10.0.3.3", 3600);
        q.registration = false;
        feed(&mut d, &q, &mut r);
        assert!(r.alerts.is_empty(), "{:?}", r.alerts);
        assert_eq!(d.tracked(), 20);
        // the old address back while the new one is live: two devices
        feed(
            &mut d,
            &reg("CAM00A7K3M9Q2R5T8W1Y", "10.0.1.0", 3600 + 320),
            &mut r,
        );
        assert_eq!(r.alerts.len(), 1);
    }

    #[test]
    fn foreign_server_only_when_configured() {
        let k = reg(U, "10.0.0.5", 1);
        let mut r = Rec::default();
        let mut off = Kalay::new(KalayConfig::default());
        feed(&mut off, &k, &mut r);
        assert!(r.alerts.is_empty());
        let cfg = KalayConfig {
            vendor_servers: vec!["203.0.113.0/24".into()],
            vendor_ports: vec![10240],
            ..KalayConfig::default()
        };
        let mut d = Kalay::new(cfg);
        feed(&mut d, &k, &mut r);
        feed(&mut d, &reg(U, "10.0.0.5", 2), &mut r); // same pair: once
        assert_eq!(r.alerts.len(), 1);
        assert_eq!(r.alerts[0].sid, SID_FOREIGN_SERVER);
        assert_eq!(r.alerts[0].tuple.dest_ip, ip("198.51.100.10"));
        assert_eq!(r.ev(0, "server"), Some("198.51.100.10:10240"));
        assert_eq!(r.ev(0, "device"), Some("10.0.0.5"));
        // a vendor server on the vendor port is fine; another port is not
        let mut v = reg("ZZZZ1234EFGH5678JKLM", "10.0.0.6", 3);
        v.dst = ip("203.0.113.9");
        feed(&mut d, &v, &mut r);
        assert_eq!(r.alerts.len(), 1);
        v.dst_port = 32100;
        feed(&mut d, &v, &mut r);
        assert_eq!(r.alerts.len(), 2);
        let bad = KalayConfig {
            vendor_servers: vec!["nonsense".into()],
            ..KalayConfig::default()
        };
        assert_eq!(bad.invalid_vendor_servers(), vec!["nonsense"]);
    }

    #[test]
    fn bounded() {
        let mut d = Kalay::new(KalayConfig {
            max_tracked: 100,
            ..KalayConfig::default()
        });
        let mut r = Rec::default();
        for i in 0..10_000u32 {
            feed(&mut d, &reg(&format!("U{i:019}"), "10.0.0.5", 1), &mut r);
        }
        assert_eq!(d.tracked(), 100);
        assert!(d.evictions() >= 9_900);
        assert!(r.alerts.is_empty());
        assert_eq!(d.name(), NAME);
    }
}
