//! Results, and the findings they become.

use crate::Service;
use palisade_event::{FindingRecord, Timestamp};
use serde::Serialize;
use std::net::IpAddr;

/// How one (target, service) ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// A default credential was accepted.
    Found,
    /// The service takes connections without any credential (MQTT).
    Anonymous,
    /// Every credential tried was refused.
    NotFound,
    /// Nothing listens.
    Closed,
    /// Nothing to try (no authentication asked, or not in a way the audit
    /// speaks).
    NotApplicable,
    /// Stopped on lockout or rate-limit signs.
    Lockout,
    /// Stopped on errors (timeouts, protocol errors).
    Error,
}

impl Status {
    /// Text for tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Found => "DEFAULT CREDENTIALS",
            Status::Anonymous => "NO AUTHENTICATION",
            Status::NotFound => "ok (defaults refused)",
            Status::Closed => "closed",
            Status::NotApplicable => "n/a",
            Status::Lockout => "stopped (lockout)",
            Status::Error => "error",
        }
    }
}

/// The credential that worked (never its secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Found {
    /// Entry id in the default-credential database.
    pub entry_id: u32,
    /// User name ("" for SNMP).
    pub username: String,
    /// Vendors shipping it, when known.
    pub vendor_of_entry: Option<String>,
}

/// The result of one (target, service).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ServiceResult {
    /// The device.
    pub target: IpAddr,
    /// The service.
    pub service: Service,
    /// Its port.
    pub port: u16,
    /// How it ended.
    pub status: Status,
    /// Login attempts made (probes included).
    pub attempts: u32,
    /// The accepted credential.
    pub found: Option<Found>,
    /// Why it stopped, when that says something.
    pub note: Option<String>,
    /// Wall-clock time spent on it, seconds (pacing waits included).
    pub secs: f64,
}

/// A whole audit.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AuditReport {
    /// One per (target, service), in target then service order.
    pub results: Vec<ServiceResult>,
    /// Targets refused as out of scope (never contacted).
    pub refused: Vec<IpAddr>,
    /// Targets audited.
    pub targets: usize,
    /// Login attempts made.
    pub attempts: u64,
    /// Wall-clock duration, seconds.
    pub elapsed_secs: f64,
}

/// Why default credentials matter and what to do, for whoever owns the
/// device.
pub const REMEDIATION: &str = "The device accepts a factory-default or botnet-dictionary \
credential, found by an active palisade audit: anyone who can reach this service can log in \
(Mirai and its successors try exactly these pairs). Set a unique strong password or disable \
the account; disable the service if it is not needed (Telnet, FTP); if the firmware cannot \
change it, restrict the service to a management network. Developers: ship without a default \
password (force a change on first setup, or a per-device random one).";

/// For a broker that needs no credential at all.
pub const REMEDIATION_ANONYMOUS: &str = "The MQTT broker accepts connections without any \
credential: anyone who can reach it can read and publish every topic (commands included). \
Set `allow_anonymous false` (or the broker's equivalent), give each client its own \
credential or certificate, and restrict topics per client with ACLs.";

impl AuditReport {
    /// Results that are findings.
    pub fn found(&self) -> impl Iterator<Item = &ServiceResult> {
        self.results
            .iter()
            .filter(|r| matches!(r.status, Status::Found | Status::Anonymous))
    }

    /// `default-credentials` findings (severity 1), evidence without any
    /// secret.
    pub fn findings(&self, ts: Timestamp) -> Vec<FindingRecord> {
        self.found()
            .map(|r| {
                let (evidence, remediation) = match &r.found {
                    Some(f) => (
                        serde_json::json!({
                            "service": r.service.name(),
                            "port": r.port,
                            "username": f.username,
                            "entry_id": f.entry_id,
                            "vendor_of_entry": f.vendor_of_entry,
                            "source": "audit",
                        }),
                        REMEDIATION,
                    ),
                    None => (
                        serde_json::json!({
                            "service": r.service.name(),
                            "port": r.port,
                            "anonymous": true,
                            "source": "audit",
                        }),
                        REMEDIATION_ANONYMOUS,
                    ),
                };
                FindingRecord {
                    timestamp: ts,
                    flow_id: None,
                    tuple: None,
                    class: "default-credentials",
                    severity: 1,
                    device: r.target,
                    evidence,
                    remediation: remediation.into(),
                }
            })
            .collect()
    }

    /// Attempts per second over the run.
    pub fn rate(&self) -> f64 {
        if self.elapsed_secs > 0.0 {
            self.attempts as f64 / self.elapsed_secs
        } else {
            0.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_carry_no_secret() {
        let r = AuditReport {
            results: vec![
                ServiceResult {
                    target: "10.0.0.5".parse().unwrap(),
                    service: Service::Telnet,
                    port: 23,
                    status: Status::Found,
                    attempts: 1,
                    found: Some(Found {
                        entry_id: 15,
                        username: "root".into(),
                        vendor_of_entry: None,
                    }),
                    note: None,
                    secs: 0.0,
                },
                ServiceResult {
                    target: "10.0.0.5".parse().unwrap(),
                    service: Service::Mqtt,
                    port: 1883,
                    status: Status::Anonymous,
                    attempts: 1,
                    found: None,
                    note: None,
                    secs: 0.0,
                },
                ServiceResult {
                    target: "10.0.0.6".parse().unwrap(),
                    service: Service::Ssh,
                    port: 22,
                    status: Status::NotFound,
                    attempts: 10,
                    found: None,
                    note: None,
                    secs: 0.0,
                },
            ],
            ..Default::default()
        };
        let f = r.findings(Timestamp::ZERO);
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].class, "default-credentials");
        assert_eq!(f[0].severity, 1);
        assert_eq!(f[0].evidence["entry_id"], 15);
        assert_eq!(f[0].evidence["source"], "audit");
        assert_eq!(f[1].evidence["anonymous"], true);
        let text =
            serde_json::to_string(&serde_json::json!([f[0].evidence, f[1].evidence])).unwrap();
        assert!(!text.contains("xc3511"));
        assert!(!text.contains("password"));
    }
}
