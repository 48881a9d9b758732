//! `shared-credential`: one credential accepted by several devices.
//!
//! When one password opens many devices, one leak (a phished installer,
//! a dumped firmware, one compromised device) opens them all; AWS IoT
//! Device Defender's audit raises the same for one device certificate
//! shared by several devices. The worker that parsed a login keeps only a
//! salted 64-bit fingerprint of (service, user name, secret)
//! ([`crate::creds::fingerprint`], salted with the deployment's
//! `detectors.credential_salt`), so equal fingerprints on different
//! devices mean the same credential without anyone learning it.
//!
//! A login counts when it succeeded. Once `min_devices` distinct devices
//! (servers) accepted the same fingerprint, each of them gets a
//! `shared-credential` finding (severity 2; 1 when the credential is also
//! a known default), naming the service, the user name, how many devices
//! share it and which (up to [`MAX_LISTED`]); a device that joins the group
//! later gets its own finding then. The evidence carries a short
//! `credential_id`, the fingerprint's first 8 hex digits, to tell groups
//! apart (stable across runs while the salt is).
//!
//! Bounded: at most `max_credentials` fingerprints are tracked (the least
//! recently seen forgotten first) with at most [`MAX_LISTED`] devices each.

use crate::recent::RecentMap;
use crate::{Detector, Emit, LoginObs, Observation};
use palisade_event::{FindingRecord, Tuple};
use palisade_proto::LoginOutcome;
use std::net::IpAddr;

/// Detector name.
pub const NAME: &str = "shared-credential";
/// Finding class.
pub const CLASS: &str = "shared-credential";
/// Devices listed per credential at most.
pub const MAX_LISTED: usize = 32;

const FIX: &str = "Several devices accept the same login. One leaked password (an installer's \
    notes, a dumped firmware image, one compromised device) then opens all of them. Give every \
    device its own credential, generated at provisioning and stored in a vault, or move to \
    per-device certificates; rotate this one now.";

/// `[detectors.shared-credential]`.
#[derive(serde::Deserialize, serde::Serialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SharedCredConfig {
    /// Distinct devices accepting one credential before it is a finding.
    pub min_devices: usize,
    /// Credentials (fingerprints) tracked at most.
    pub max_credentials: usize,
}

impl Default for SharedCredConfig {
    fn default() -> Self {
        SharedCredConfig {
            min_devices: 2,
            max_credentials: 65_536,
        }
    }
}

#[derive(Default)]
struct Group {
    service: &'static str,
    username: String,
    default_entry: Option<u32>,
    /// Devices in order of first acceptance, whether reported.
    devices: Vec<(IpAddr, u16, bool)>,
}

/// The detector.
pub struct SharedCred {
    cfg: SharedCredConfig,
    groups: RecentMap<u64, Group>,
}

impl SharedCred {
    /// A detector.
    pub fn new(cfg: SharedCredConfig) -> Self {
        let max = cfg.max_credentials.max(1);
        SharedCred {
            cfg,
            groups: RecentMap::new(max),
        }
    }

    /// Fingerprints forgotten to stay within `max_credentials`.
    pub fn evictions(&self) -> u64 {
        self.groups.evictions()
    }

    fn login(&mut self, l: &LoginObs, out: &mut dyn Emit) {
        let (Some(fp), LoginOutcome::Success) = (l.fingerprint, l.outcome) else {
            return;
        };
        let min = self.cfg.min_devices.max(2);
        let (g, _) = self.groups.touch_or_insert_with(fp, || Group {
            service: l.service,
            username: l.username.clone(),
            default_entry: l.default_entry,
            devices: Vec::new(),
        });
        if g.devices.iter().any(|(ip, _, _)| *ip == l.server) || g.devices.len() >= MAX_LISTED {
            return;
        }
        g.devices.push((l.server, l.server_port, false));
        if g.devices.len() < min {
            return;
        }
        let listed: Vec<String> = g.devices.iter().map(|(ip, _, _)| ip.to_string()).collect();
        let count = g.devices.len();
        for (ip, port, reported) in g.devices.iter_mut().filter(|d| !d.2) {
            *reported = true;
            let mut evidence = serde_json::json!({
                "service": g.service,
                "username": g.username,
                "port": port.to_string(),
                "credential_id": format!("{:08x}", fp >> 32),
                "devices_sharing": count,
                "devices": listed,
            });
            if let Some(e) = g.default_entry {
                evidence["default_entry_id"] = e.to_string().into();
            }
            out.finding(FindingRecord {
                timestamp: l.ts,
                flow_id: (*ip == l.server).then_some(l.flow_id),
                tuple: (*ip == l.server).then_some(Tuple {
                    src_ip: l.client,
                    src_port: Some(l.client_port),
                    dest_ip: l.server,
                    dest_port: Some(l.server_port),
                    proto: crate::default_creds::service_proto(l.service),
                }),
                class: CLASS,
                severity: if g.default_entry.is_some() { 1 } else { 2 },
                device: *ip,
                evidence,
                remediation: FIX.into(),
            });
        }
    }
}

impl Detector for SharedCred {
    fn name(&self) -> &'static str {
        NAME
    }

    fn observe(&mut self, obs: Observation<'_>, out: &mut dyn Emit) {
        if let Observation::Login(l) = obs {
            self.login(l, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::default_creds::tests::login;
    use crate::DetectorAlert;

    #[derive(Default)]
    struct Out(Vec<FindingRecord>);
    impl Emit for Out {
        fn alert(&mut self, _: DetectorAlert) {
            panic!("no alerts expected");
        }
        fn finding(&mut self, f: FindingRecord) {
            self.0.push(f);
        }
    }

    fn on(server: &str, fp: u64, outcome: LoginOutcome) -> LoginObs {
        let mut l = login(1, 0, outcome, None);
        l.server = server.parse().unwrap();
        l.fingerprint = Some(fp);
        l
    }

    #[test]
    fn two_devices_with_one_credential_are_both_reported_once() {
        let mut d = SharedCred::new(SharedCredConfig::default());
        let mut out = Out::default();
        d.observe(
            Observation::Login(&on("10.0.0.5", 0xaabbccdd_00000001, LoginOutcome::Success)),
            &mut out,
        );
        assert!(out.0.is_empty());
        // the same device again, a failure elsewhere, another credential
        d.observe(
            Observation::Login(&on("10.0.0.5", 0xaabbccdd_00000001, LoginOutcome::Success)),
            &mut out,
        );
        d.observe(
            Observation::Login(&on("10.0.0.6", 0xaabbccdd_00000001, LoginOutcome::Failure)),
            &mut out,
        );
        d.observe(
            Observation::Login(&on("10.0.0.7", 0x1111, LoginOutcome::Success)),
            &mut out,
        );
        assert!(out.0.is_empty());
        d.observe(
            Observation::Login(&on("10.0.0.6", 0xaabbccdd_00000001, LoginOutcome::Success)),
            &mut out,
        );
        let devs: Vec<String> = out.0.iter().map(|f| f.device.to_string()).collect();
        assert_eq!(devs, ["10.0.0.5", "10.0.0.6"]);
        let e = &out.0[0].evidence;
        assert_eq!(e["credential_id"], "aabbccdd");
        assert_eq!(e["devices_sharing"], 2);
        assert_eq!(e["devices"], serde_json::json!(["10.0.0.5", "10.0.0.6"]));
        assert!(!e.to_string().contains("pass"), "{e}");
        assert_eq!(out.0[0].severity, 2);
        // a third device: only it is reported
        d.observe(
            Observation::Login(&on("10.0.0.9", 0xaabbccdd_00000001, LoginOutcome::Success)),
            &mut out,
        );
        assert_eq!(out.0.len(), 3);
        assert_eq!(out.0[2].device.to_string(), "10.0.0.9");
        assert_eq!(out.0[2].evidence["devices_sharing"], 3);
    }

    #[test]
    fn bounded() {
        let mut d = SharedCred::new(SharedCredConfig {
            min_devices: 2,
            max_credentials: 100,
        });
        let mut out = Out::default();
        for i in 0..10_000u64 {
            d.observe(
                Observation::Login(&on("10.0.0.5", i, LoginOutcome::Success)),
                &mut out,
            );
        }
        assert!(d.groups.len() <= 100);
        assert_eq!(d.evictions(), 9_900);
        for i in 0..100u32 {
            let ip = std::net::Ipv4Addr::from(0x0a00_0000 + i).to_string();
            d.observe(
                Observation::Login(&on(&ip, 7, LoginOutcome::Success)),
                &mut out,
            );
        }
        assert_eq!(out.0.len(), MAX_LISTED);
    }
}
