//! Posture findings that follow from detector alerts.
//!
//! Some alerts prove a standing weakness of the device, not only an event:
//! a default credential that was accepted is still configured, a
//! management service answered from the internet is exposed, a device that
//! broke its MUD profile is outside it. Those alerts also become findings
//! (EVE `finding`, merged in the store by class, device and evidence key),
//! so the fleet's posture lists them with a remedy after the incident is
//! over:
//!
//! | alert | finding class | severity |
//! |---|---|---|
//! | default credentials accepted (+2) | `default-credentials` | 1 |
//! | management service exposed (+60, start) | `exposed-service` | the alert's |
//! | MUD profile violation (+80, start) | `profile-violation` | 2 |
//!
//! [`PostureEmit`] wraps the [`Emit`] the detectors report to and adds the
//! finding after the alert that proves it.

use crate::{default_creds, exposure, profile, DetectorAlert, Emit, Phase};
use palisade_event::FindingRecord;
use std::net::IpAddr;

/// Finding class: a default credential is accepted.
pub const CLASS_DEFAULT_CREDENTIALS: &str = "default-credentials";
/// Finding class: a management service is reachable from the internet.
pub const CLASS_EXPOSED_SERVICE: &str = "exposed-service";
/// Finding class: the device acts outside its declared profile.
pub const CLASS_PROFILE_VIOLATION: &str = "profile-violation";

const FIX_DEFAULT: &str = "The device accepts a factory-default or botnet-dictionary login: \
    anyone who can reach the service is in. Set a unique strong password per device (ideally \
    provisioned at manufacturing or first boot), disable the account if it is not needed, and \
    turn off Telnet/FTP in favour of SSH or HTTPS. Developers: do not ship a shared default \
    account; force a password change on first login.";
const FIX_EXPOSED: &str = "A management service of this device answers connections from the \
    internet. Close the port-forward or UPnP mapping on the gateway, put the device behind the \
    VPN, and restrict the service to the management network. Developers: bind management \
    services to the local segment by default and disable UPnP port mapping.";
const FIX_PROFILE: &str = "The device talked to a destination its MUD profile does not allow. \
    Check whether the device is compromised (unexpected process, new firmware) or its profile \
    is outdated; if the traffic is legitimate, publish an updated MUD file, otherwise isolate \
    the device and reflash it.";

fn ev(a: &DetectorAlert, key: &str) -> Option<String> {
    a.evidence
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.clone())
}

/// The finding an alert proves, if any.
pub fn finding_of(a: &DetectorAlert) -> Option<FindingRecord> {
    let mut evidence = serde_json::Map::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            evidence.insert(k.into(), serde_json::Value::String(v));
        }
    };
    let (class, severity, device, remediation): (_, u8, IpAddr, &'static str) = match a.sid {
        default_creds::SID_ACCEPTED => {
            for k in ["service", "username", "entry_id", "vendor", "source"] {
                let name = match k {
                    "vendor" => "vendor_of_entry",
                    "source" => "entry_list",
                    k => k,
                };
                put(name, ev(a, k));
            }
            put("port", a.tuple.dest_port.map(|p| p.to_string()));
            put("client", Some(a.tuple.src_ip.to_string()));
            put("source", Some("passive".into()));
            (CLASS_DEFAULT_CREDENTIALS, 1, a.tuple.dest_ip, FIX_DEFAULT)
        }
        exposure::SID_EXPOSED if a.phase == Phase::Start => {
            for k in ["service", "port", "outside_peer", "first_seen"] {
                put(k, ev(a, k));
            }
            (
                CLASS_EXPOSED_SERVICE,
                a.severity,
                a.tuple.dest_ip,
                FIX_EXPOSED,
            )
        }
        profile::SID_MUD if a.phase == Phase::Start => {
            for k in [
                "profile",
                "peer",
                "peer_names",
                "direction",
                "proto",
                "port",
                "acl",
                "nearest_ace",
                "dropping_ace",
            ] {
                put(k, ev(a, k));
            }
            let device = ev(a, "device")
                .and_then(|d| d.parse().ok())
                .unwrap_or(a.tuple.src_ip);
            (CLASS_PROFILE_VIOLATION, 2, device, FIX_PROFILE)
        }
        _ => return None,
    };
    evidence.insert("alert_sid".into(), a.sid.into());
    if let Some(i) = a.incident {
        evidence.insert("incident".into(), i.into());
    }
    Some(FindingRecord {
        timestamp: a.timestamp,
        flow_id: a.flow_id,
        tuple: Some(a.tuple),
        class,
        severity,
        device,
        evidence: serde_json::Value::Object(evidence),
        remediation: remediation.into(),
    })
}

/// Passes everything on, adding the findings alerts prove.
pub struct PostureEmit<'a> {
    /// Where everything goes.
    pub inner: &'a mut dyn Emit,
}

impl Emit for PostureEmit<'_> {
    fn alert(&mut self, a: DetectorAlert) {
        let f = finding_of(&a);
        self.inner.alert(a);
        if let Some(f) = f {
            self.inner.finding(f);
        }
    }

    fn finding(&mut self, f: FindingRecord) {
        self.inner.finding(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Class, DETECTOR_SID_BASE};
    use palisade_event::{Timestamp, Tuple};

    fn alert(sid: u32, phase: Phase, evidence: Vec<(&'static str, String)>) -> DetectorAlert {
        DetectorAlert {
            timestamp: Timestamp::from_nanos(1_000_000_000),
            sid,
            msg: "m",
            class: Class::Exposure,
            detector: "d",
            severity: 1,
            tuple: Tuple {
                src_ip: "203.0.113.9".parse().unwrap(),
                src_port: Some(40000),
                dest_ip: "10.0.0.5".parse().unwrap(),
                dest_port: Some(23),
                proto: 6,
            },
            flow_id: Some(7),
            incident: Some(3),
            phase,
            evidence,
        }
    }

    #[derive(Default)]
    struct Out {
        alerts: Vec<DetectorAlert>,
        findings: Vec<FindingRecord>,
    }
    impl Emit for Out {
        fn alert(&mut self, a: DetectorAlert) {
            self.alerts.push(a);
        }
        fn finding(&mut self, f: FindingRecord) {
            self.findings.push(f);
        }
    }

    #[test]
    fn accepted_default_credential_is_a_finding_without_secret() {
        let mut out = Out::default();
        let mut p = PostureEmit { inner: &mut out };
        let a = alert(
            default_creds::SID_ACCEPTED,
            Phase::Event,
            vec![
                ("entry_id", "17".into()),
                ("vendor", "Hikvision".into()),
                ("source", "mirai-scanner".into()),
                ("service", "telnet".into()),
                ("username", "root".into()),
                ("outcome", "success".into()),
            ],
        );
        p.alert(a);
        // the "tried" alert proves nothing standing
        p.alert(alert(default_creds::SID_TRIED, Phase::Event, vec![]));
        assert_eq!(out.alerts.len(), 2);
        assert_eq!(out.findings.len(), 1);
        let f = &out.findings[0];
        assert_eq!((f.class, f.severity), (CLASS_DEFAULT_CREDENTIALS, 1));
        assert_eq!(f.device.to_string(), "10.0.0.5");
        assert_eq!(f.evidence["entry_id"], "17");
        assert_eq!(f.evidence["port"], "23");
        assert_eq!(f.evidence["source"], "passive");
        assert_eq!(f.evidence["entry_list"], "mirai-scanner");
        assert_eq!(f.flow_id, Some(7));
        assert_eq!(
            palisade_store_key(&f.evidence),
            "service=telnet|username=root|port=23|entry_id=17"
        );
    }

    /// The store's key fields, in its order (kept in step with
    /// palisade-store's `finding_key`).
    fn palisade_store_key(e: &serde_json::Value) -> String {
        [
            "service",
            "username",
            "port",
            "server_port",
            "weakness",
            "cve",
            "entry_id",
        ]
        .iter()
        .filter_map(|k| e[*k].as_str().map(|v| format!("{k}={v}")))
        .collect::<Vec<_>>()
        .join("|")
    }

    #[test]
    fn exposure_start_and_mud_start_only() {
        let mut out = Out::default();
        let mut p = PostureEmit { inner: &mut out };
        let ev = vec![
            ("service", "telnet".to_string()),
            ("port", "23".into()),
            ("outside_peer", "203.0.113.9".into()),
        ];
        p.alert(alert(exposure::SID_EXPOSED, Phase::Start, ev.clone()));
        p.alert(alert(exposure::SID_EXPOSED, Phase::End, ev));
        p.alert(alert(
            profile::SID_MUD,
            Phase::Start,
            vec![
                ("profile", "https://example.com/cam.json".into()),
                ("device", "10.0.0.8".into()),
                ("peer", "198.51.100.7".into()),
                ("port", "6667".into()),
                ("nearest_ace", "cloud-https".into()),
            ],
        ));
        p.alert(alert(profile::SID_MUD, Phase::End, vec![]));
        p.alert(alert(DETECTOR_SID_BASE + 20, Phase::Start, vec![]));
        let classes: Vec<_> = out.findings.iter().map(|f| f.class).collect();
        assert_eq!(classes, [CLASS_EXPOSED_SERVICE, CLASS_PROFILE_VIOLATION]);
        assert_eq!(out.findings[1].device.to_string(), "10.0.0.8");
        assert_eq!(out.findings[1].evidence["nearest_ace"], "cloud-https");
        assert_eq!(out.findings[0].evidence["incident"], 3);
    }
}
