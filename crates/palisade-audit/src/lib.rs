//! `palisade audit`: the active default-password audit.
//!
//! Passive detection (palisade-detectors' `default_credentials`) only sees
//! a default password when someone logs in with it. The audit asks instead:
//! it logs in to the fleet's own devices with the factory defaults of the
//! compiled-in credential database and reports each service that accepts
//! one, as a `default-credentials` finding (the entry id, never the secret).
//!
//! Logging in to devices is intrusive, so the audit is careful by design:
//! - [`scope`]: targets outside the configured scope (`[audit] scope`, or
//!   HOME_NET) are refused before anything is sent, unless named one by
//!   one with `--allow-target`;
//! - [`plan`]: only the services asked for, and a closed port gets no
//!   attempt;
//! - [`candidates`]: a short list per service (the most common defaults
//!   first), capped per device and service;
//! - [`runner`]: a global concurrency limit, a per-target rate limit, a
//!   lockout-aware stop and timeouts on every network operation.
//!
//! One module per protocol under [`client`]; [`report`] turns results into
//! findings.
#![forbid(unsafe_code)]

pub mod candidates;
pub mod client;
pub mod plan;
pub mod report;
pub mod runner;
pub mod scope;

use std::fmt;
use std::str::FromStr;

pub use candidates::{Candidate, Candidates};
pub use plan::Plan;
pub use report::{AuditReport, ServiceResult, Status};
pub use runner::{run, Progress, RunConfig};
pub use scope::{Cidr, Scope, Targets};

/// What can go wrong before or around an audit (failures of single
/// attempts are results, not errors).
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// A target or scope entry is not an address or CIDR.
    #[error("'{0}' is not an IP address or CIDR (like 192.168.1.20 or 192.168.1.0/24)")]
    BadCidr(String),
    /// A CIDR expands to too many addresses.
    #[error("{0} has more than {1} addresses; audit smaller ranges")]
    TooManyTargets(String, usize),
    /// The target file could not be read.
    #[error("reading targets file {path}: {source}")]
    TargetsFile {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// An unknown service name.
    #[error("unknown service '{0}' (known: telnet, ssh, http, ftp, mqtt, rtsp, snmp)")]
    UnknownService(String),
    /// A bad `--ports` entry.
    #[error("bad port override '{0}': expected service=port, e.g. ssh=2222")]
    BadPort(String),
    /// No target left to audit.
    #[error("no targets")]
    NoTargets,
}

/// A service the audit can log in to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    /// Telnet login prompt.
    Telnet,
    /// SSH password authentication.
    Ssh,
    /// HTTP Basic / Digest.
    Http,
    /// FTP USER/PASS.
    Ftp,
    /// MQTT 3.1.1 CONNECT.
    Mqtt,
    /// RTSP DESCRIBE with Basic / Digest.
    Rtsp,
    /// SNMP v2c community.
    Snmp,
}

impl Service {
    /// Every service, in the order results are listed.
    pub const ALL: [Service; 7] = [
        Service::Telnet,
        Service::Ssh,
        Service::Http,
        Service::Ftp,
        Service::Mqtt,
        Service::Rtsp,
        Service::Snmp,
    ];

    /// Lower-case name (as in findings' `service`).
    pub fn name(self) -> &'static str {
        match self {
            Service::Telnet => "telnet",
            Service::Ssh => "ssh",
            Service::Http => "http",
            Service::Ftp => "ftp",
            Service::Mqtt => "mqtt",
            Service::Rtsp => "rtsp",
            Service::Snmp => "snmp",
        }
    }

    /// The well-known port.
    pub fn default_port(self) -> u16 {
        match self {
            Service::Telnet => 23,
            Service::Ssh => 22,
            Service::Http => 80,
            Service::Ftp => 21,
            Service::Mqtt => 1883,
            Service::Rtsp => 554,
            Service::Snmp => 161,
        }
    }

    /// UDP (SNMP) rather than TCP.
    pub fn is_udp(self) -> bool {
        self == Service::Snmp
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Service {
    type Err = AuditError;
    fn from_str(s: &str) -> Result<Service, AuditError> {
        let s = s.trim().to_ascii_lowercase();
        Service::ALL
            .into_iter()
            .find(|x| x.name() == s)
            .ok_or(AuditError::UnknownService(s))
    }
}

/// What one login attempt (or probe) found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The credential was accepted.
    Accepted,
    /// It was refused.
    Rejected,
    /// Refused with a sign of lockout or rate limiting ("too many", 429,
    /// 421): the runner stops the service after a few of these.
    Lockout(String),
    /// Nothing listens (connection refused, ICMP unreachable).
    Closed,
    /// The service does not ask for credentials here (HTTP page without
    /// 401, ...) or not in a way the audit speaks (SSH without password
    /// authentication): no attempt makes sense.
    NotApplicable(String),
    /// Timeout or protocol error: this attempt says nothing.
    Error(String),
}
