//! `cleartext-credentials`: a device that takes or sends passwords in
//! clear.
//!
//! Not an attack but a posture finding: anyone on the path of a Telnet,
//! FTP, HTTP Basic, MQTT or SNMP login reads the password. One finding per
//! (device, service, user name) — the device being the fleet's end of the
//! login (see [`fleet_side`]) — so a device polled every minute is
//! reported once, not every minute; the keys already reported are a
//! bounded set. The severity is 2, or 1 once such a login is seen to
//! succeed (the password in clear is a working one): a key first
//! reported at severity 2 is reported once more when a login succeeds.

use crate::default_creds::{login_tuple, outcome_name};
use crate::obs::SecretKind;
use crate::recent::RecentMap;
use crate::{Detector, Emit, Observation};
use palisade_event::FindingRecord;
use palisade_proto::LoginOutcome;
use std::net::IpAddr;

/// Detector name.
pub const NAME: &str = "cleartext-credentials";
/// Finding class.
pub const CLASS: &str = "cleartext-credentials";

const REMEDIATION: &str = "Credentials cross the network in clear text. Disable Telnet and FTP \
on the device and manage it over SSH or SFTP; serve its web and RTSP interfaces over TLS \
(HTTPS, RTSPS) instead of Basic authentication in clear; use MQTT over TLS (port 8883); \
replace SNMPv1/v2c communities with SNMPv3 authPriv; then change the password, which anyone \
on the path may have read.";

/// The device whose posture a cleartext login is: the server (a camera
/// taking Telnet logins) unless only the client is a private address (a
/// sensor sending its MQTT password to a cloud broker: the sensor is the
/// fleet's device and the one to fix).
fn fleet_side(client: IpAddr, server: IpAddr) -> IpAddr {
    let private = |ip: IpAddr| match ip {
        IpAddr::V4(a) => a.is_private() || a.is_loopback() || a.is_link_local(),
        IpAddr::V6(a) => (a.segments()[0] & 0xfe00) == 0xfc00 || a.is_loopback(),
    };
    if !private(server) && private(client) {
        client
    } else {
        server
    }
}

/// `[detectors.cleartext-credentials]`.
#[derive(serde::Deserialize, serde::Serialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CleartextConfig {
    /// (device, service, user name) keys remembered as already reported;
    /// beyond, the least recently seen is forgotten and may be reported
    /// again. Entries.
    pub max_reported: usize,
}

impl Default for CleartextConfig {
    fn default() -> Self {
        CleartextConfig {
            max_reported: 65_536,
        }
    }
}

/// The detector.
pub struct Cleartext {
    /// Key → whether a finding at severity 1 (a success) was sent.
    reported: RecentMap<(IpAddr, &'static str, String), bool>,
}

impl Cleartext {
    /// New.
    pub fn new(cfg: CleartextConfig) -> Self {
        Cleartext {
            reported: RecentMap::new(cfg.max_reported),
        }
    }
}

impl Detector for Cleartext {
    fn name(&self) -> &'static str {
        NAME
    }

    fn observe(&mut self, obs: Observation<'_>, out: &mut dyn Emit) {
        let Observation::Login(l) = obs else {
            return;
        };
        if l.secret != SecretKind::Plain {
            return;
        }
        let success = l.outcome == LoginOutcome::Success;
        let device = fleet_side(l.client, l.server);
        let key = (device, l.service, l.username.clone());
        let (sent_success, new) = self.reported.touch_or_insert_with(key, || false);
        if !new && (*sent_success || !success) {
            return;
        }
        *sent_success |= success;
        out.finding(FindingRecord {
            timestamp: l.ts,
            flow_id: Some(l.flow_id),
            tuple: Some(login_tuple(l)),
            class: CLASS,
            severity: if success { 1 } else { 2 },
            device,
            evidence: serde_json::json!({
                "service": l.service,
                "username": l.username,
                "client": l.client.to_string(),
                "server_port": l.server_port,
                "outcome": outcome_name(l.outcome),
            }),
            remediation: REMEDIATION.into(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::default_creds::tests::{login, Out};

    #[test]
    fn once_per_device_service_user() {
        let mut d = Cleartext::new(CleartextConfig::default());
        let mut out = Out::default();
        for f in 0..5 {
            d.observe(
                Observation::Login(&login(f, 0, LoginOutcome::Failure, None)),
                &mut out,
            );
        }
        assert_eq!(out.findings.len(), 1);
        let f = &out.findings[0];
        assert_eq!((f.class, f.severity), (CLASS, 2));
        assert_eq!(f.device.to_string(), "10.0.0.5");
        assert_eq!(f.evidence["service"], "telnet");
        assert_eq!(f.evidence["username"], "root");
        assert_eq!(f.evidence["client"], "203.0.113.7");
        assert_eq!(f.evidence["server_port"], 23);
        assert!(f.remediation.contains("SSH"));
        assert!(out.alerts.is_empty());

        // a success upgrades once to severity 1
        d.observe(
            Observation::Login(&login(9, 0, LoginOutcome::Success, None)),
            &mut out,
        );
        d.observe(
            Observation::Login(&login(10, 0, LoginOutcome::Success, None)),
            &mut out,
        );
        assert_eq!(out.findings.len(), 2);
        assert_eq!(out.findings[1].severity, 1);

        // another user, another service, another device: each its own
        let mut l = login(11, 0, LoginOutcome::Success, None);
        l.username = "admin".into();
        d.observe(Observation::Login(&l), &mut out);
        l.service = "ftp";
        d.observe(Observation::Login(&l), &mut out);
        l.server = "10.0.0.6".parse().unwrap();
        d.observe(Observation::Login(&l), &mut out);
        assert_eq!(out.findings.len(), 5);
        assert!(out.findings[2..].iter().all(|f| f.severity == 1));
        assert_eq!(out.findings[4].device.to_string(), "10.0.0.6");
    }

    #[test]
    fn digest_and_no_secret_are_not_cleartext() {
        let mut d = Cleartext::new(CleartextConfig::default());
        let mut out = Out::default();
        let mut l = login(1, 0, LoginOutcome::Success, None);
        l.secret = SecretKind::Digest;
        d.observe(Observation::Login(&l), &mut out);
        l.secret = SecretKind::None;
        d.observe(Observation::Login(&l), &mut out);
        assert!(out.findings.is_empty());
    }

    #[test]
    fn bounded_under_flood() {
        let mut d = Cleartext::new(CleartextConfig { max_reported: 50 });
        let mut out = Out::default();
        for i in 0..5_000u32 {
            let mut l = login(u64::from(i), 0, LoginOutcome::Failure, None);
            l.username = format!("u{i}");
            d.observe(Observation::Login(&l), &mut out);
        }
        assert_eq!(out.findings.len(), 5_000);
        assert_eq!(d.reported.len(), 50);
        assert_eq!(d.reported.evictions(), 4_950);
    }

    #[test]
    fn config_defaults_and_unknown_keys() {
        let c: CleartextConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(c, CleartextConfig::default());
        assert_eq!(c.max_reported, 65_536);
        assert!(serde_json::from_str::<CleartextConfig>(r#"{"max":1}"#).is_err());
    }

    #[test]
    fn the_fleet_side_is_the_device() {
        // a sensor sending its MQTT password to a cloud broker
        let mut l = login(1, 0, LoginOutcome::Success, None);
        l.client = "10.0.0.9".parse().unwrap();
        l.server = "198.51.100.10".parse().unwrap();
        l.service = "mqtt";
        let mut d = Cleartext::new(CleartextConfig::default());
        let mut out = Out::default();
        d.observe(Observation::Login(&l), &mut out);
        assert_eq!(out.findings[0].device.to_string(), "10.0.0.9");
    }
}
