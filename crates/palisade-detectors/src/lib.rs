//! palisade's built-in IoT detectors.
//!
//! Detectors read events, never packets: a compact summary of each packet
//! ([`obs::PacketObs`]: addresses, ports, TCP flags and sequence number,
//! length, whether it opened a flow), each login attempt with what the
//! worker already concluded about it ([`obs::LoginObs`]: the service, the
//! user name, which default-credential entry matched — the secret itself
//! never leaves the worker that parsed it), and flow records. They run in
//! one place that sees the whole fleet (scans and floods span workers),
//! and report through [`Emit`]: alerts ([`DetectorAlert`], EVE `alert` with
//! `palisade_class` / `palisade_detector` metadata and evidence) and
//! posture findings (EVE `finding`).
//!
//! Long-lived attacks are incidents: one alert when they start, updates at
//! a bounded rate, one at the end with totals (see [`incident`]).
//!
//! Each detector has a config struct (serde, documented, defaulted) under
//! `[detectors.<name>]` in palisade.toml.
#![forbid(unsafe_code)]

pub mod allowlist;
pub mod axeda;
pub mod brute_force;
pub mod cleartext;
pub mod creds;
pub mod ddos;
pub mod default_creds;
pub mod distinct;
pub mod dnscache;
pub mod exposure;
pub mod incident;
pub mod kalay;
pub mod mirai;
pub mod mud;
pub mod obs;
pub mod posture;
pub mod profile;
pub mod recent;
pub mod scan;
pub mod shared_cred;
pub mod sketch;
#[cfg(test)]
mod testutil;
pub mod weak_tls;

pub use obs::{DnsObs, KalayObs, LoginObs, PacketObs, TlsObs};
use palisade_event::{FindingRecord, Timestamp, Tuple};

/// palisade's sid range for its detectors and built-in rules:
/// 9,400,000–9,499,999 built-in rules, 9,500,000–9,599,999 detectors.
pub const DETECTOR_SID_BASE: u32 = 9_500_000;

/// Attack classes (`alert.metadata.palisade_class`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    /// A login with a known default credential.
    DefaultCredentials,
    /// Many failed logins.
    BruteForce,
    /// Horizontal, vertical, slow scans; scanner fingerprints.
    Scan,
    /// Floods in or out.
    Ddos,
    /// Exploits of known bugs.
    Exploit,
    /// Management services reachable from outside.
    Exposure,
    /// Traffic outside a device's profile.
    ProfileViolation,
    /// Malware behaviour.
    Malware,
}

impl Class {
    /// The metadata value.
    pub fn name(self) -> &'static str {
        match self {
            Class::DefaultCredentials => "default-credentials",
            Class::BruteForce => "brute-force",
            Class::Scan => "scan",
            Class::Ddos => "ddos",
            Class::Exploit => "exploit",
            Class::Exposure => "exposure",
            Class::ProfileViolation => "profile-violation",
            Class::Malware => "malware",
        }
    }
}

/// Where an incident alert stands.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// A single event (a login), not an incident.
    Event,
    /// An incident started.
    Start,
    /// A periodic update of a running incident.
    Update,
    /// The incident ended; evidence has the totals.
    End,
}

impl Phase {
    /// The metadata value (`palisade_incident_phase`).
    pub fn name(self) -> &'static str {
        match self {
            Phase::Event => "event",
            Phase::Start => "start",
            Phase::Update => "update",
            Phase::End => "end",
        }
    }
}

/// An alert a detector raises.
#[derive(Clone, Debug, PartialEq)]
pub struct DetectorAlert {
    /// Packet time.
    pub timestamp: Timestamp,
    /// Signature id (in [`DETECTOR_SID_BASE`]'s range).
    pub sid: u32,
    /// Signature text.
    pub msg: &'static str,
    /// Class.
    pub class: Class,
    /// Detector name (`palisade_detector`).
    pub detector: &'static str,
    /// 1 (high) to 3 (low).
    pub severity: u8,
    /// Attacker → target as far as known.
    pub tuple: Tuple,
    /// Flow id, when one flow is the evidence.
    pub flow_id: Option<u64>,
    /// Incident id (stable across start/update/end), when an incident.
    pub incident: Option<u64>,
    /// Incident phase.
    pub phase: Phase,
    /// Evidence as metadata entries (`count`, `window_secs`, `entry_id`, ...).
    pub evidence: Vec<(&'static str, String)>,
}

/// Where detectors put what they conclude.
pub trait Emit {
    /// An alert.
    fn alert(&mut self, a: DetectorAlert);
    /// A posture finding.
    fn finding(&mut self, f: FindingRecord);
}

/// What a detector sees.
#[derive(Clone, Copy, Debug)]
pub enum Observation<'a> {
    /// A packet's summary.
    Packet(&'a PacketObs),
    /// A login attempt (its outcome may come in a later observation of the
    /// same transaction: `LoginObs::final_outcome`).
    Login(&'a LoginObs),
    /// A flow ended.
    FlowEnd(&'a palisade_event::FlowRecord),
    /// A TLS handshake completed.
    Tls(&'a obs::TlsObs),
    /// A Kalay message naming a device by UID.
    Kalay(&'a obs::KalayObs),
    /// A DNS response with addresses arrived.
    Dns(&'a obs::DnsObs),
}

/// A detector.
pub trait Detector: Send {
    /// Its name (`palisade_detector`, `[detectors.<name>]`).
    fn name(&self) -> &'static str;
    /// Looks at one observation.
    fn observe(&mut self, obs: Observation<'_>, out: &mut dyn Emit);
    /// Packet time moved to `now` (called at least once per second of
    /// packet time): incidents send updates and end.
    fn tick(&mut self, _now: Timestamp, _out: &mut dyn Emit) {}
    /// End of input: running incidents end.
    fn finish(&mut self, _now: Timestamp, _out: &mut dyn Emit) {}
}

/// Every enabled detector, run in order.
pub struct DetectorSet {
    detectors: Vec<Box<dyn Detector>>,
    last_tick: u64,
}

impl DetectorSet {
    /// A set of detectors.
    pub fn new(detectors: Vec<Box<dyn Detector>>) -> DetectorSet {
        DetectorSet {
            detectors,
            last_tick: 0,
        }
    }

    /// Names of the detectors.
    pub fn names(&self) -> Vec<&'static str> {
        self.detectors.iter().map(|d| d.name()).collect()
    }

    /// Feeds one observation to every detector, ticking them first when a
    /// new second of packet time began.
    pub fn observe(&mut self, now: Timestamp, obs: Observation<'_>, out: &mut dyn Emit) {
        let out = &mut posture::PostureEmit { inner: out };
        if now.secs() > self.last_tick {
            self.last_tick = now.secs();
            for d in &mut self.detectors {
                d.tick(now, out);
            }
        }
        for d in &mut self.detectors {
            d.observe(obs, out);
        }
    }

    /// End of input.
    pub fn finish(&mut self, now: Timestamp, out: &mut dyn Emit) {
        let out = &mut posture::PostureEmit { inner: out };
        for d in &mut self.detectors {
            d.finish(now, out);
        }
    }
}
