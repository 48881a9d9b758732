//! `default-credentials`: a login with a factory-default or botnet
//! credential.
//!
//! The worker that parsed the login tested its secret against the
//! default-credential database ([`crate::creds::CredDb`]) and sent only
//! the matching entry id. This detector turns that into alerts: "tried"
//! (severity 2: someone knows the default, a scanner or a worm such as
//! Mirai) and "accepted" (severity 1: the device still has it, so whoever
//! tried is in). Each login transaction alerts at most once of each kind;
//! the transactions already reported are a bounded set.
//!
//! Evidence names the entry (id, vendor, source list), the service, the
//! user name and the outcome; never the password.

use crate::creds::CredDb;
use crate::recent::RecentMap;
use crate::{
    Class, Detector, DetectorAlert, Emit, LoginObs, Observation, Phase, DETECTOR_SID_BASE,
};
use palisade_event::Tuple;
use palisade_proto::LoginOutcome;
use std::sync::Arc;

/// Detector name.
pub const NAME: &str = "default-credentials";
/// "tried": a default credential was sent, not (yet) accepted.
pub const SID_TRIED: u32 = DETECTOR_SID_BASE + 1;
/// "accepted": a default credential was accepted.
pub const SID_ACCEPTED: u32 = DETECTOR_SID_BASE + 2;

/// `[detectors.default-credentials]`.
#[derive(serde::Deserialize, serde::Serialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DefaultCredsConfig {
    /// Login transactions (flow, transaction) remembered so that each
    /// alerts once per kind; beyond, the least recently seen is forgotten
    /// (a forgotten one seen again may alert again). Entries.
    pub max_transactions: usize,
}

impl Default for DefaultCredsConfig {
    fn default() -> Self {
        DefaultCredsConfig {
            max_transactions: 65_536,
        }
    }
}

/// What was already reported for one transaction.
#[derive(Clone, Copy, Debug, Default)]
struct Reported {
    tried: bool,
    accepted: bool,
}

/// The detector.
pub struct DefaultCreds {
    db: Arc<CredDb>,
    seen: RecentMap<(u64, u64), Reported>,
}

/// IP protocol of a login service (SNMP over UDP, the others over TCP).
pub(crate) fn service_proto(service: &str) -> u8 {
    match service {
        "snmp" | "tftp" | "coap" => 17,
        _ => 6,
    }
}

/// Client → server.
pub(crate) fn login_tuple(l: &LoginObs) -> Tuple {
    Tuple {
        src_ip: l.client,
        src_port: Some(l.client_port),
        dest_ip: l.server,
        dest_port: Some(l.server_port),
        proto: service_proto(l.service),
    }
}

/// Evidence value of an outcome.
pub(crate) fn outcome_name(o: LoginOutcome) -> &'static str {
    match o {
        LoginOutcome::Unknown => "unknown",
        LoginOutcome::Success => "success",
        LoginOutcome::Failure => "failure",
    }
}

impl DefaultCreds {
    /// With the built-in credential database.
    pub fn new(cfg: DefaultCredsConfig) -> Self {
        Self::with_db(cfg, Arc::new(CredDb::builtin().clone()))
    }

    /// With `db` (the database the workers test logins against, e.g. the
    /// built-in one extended by a user file), to name entries in evidence.
    pub fn with_db(cfg: DefaultCredsConfig, db: Arc<CredDb>) -> Self {
        DefaultCreds {
            db,
            seen: RecentMap::new(cfg.max_transactions),
        }
    }

    fn alert(&self, l: &LoginObs, id: u32, accepted: bool) -> DetectorAlert {
        let mut evidence = vec![("entry_id", id.to_string())];
        if let Some(e) = self.db.entry(id) {
            if let Some(v) = &e.vendor {
                evidence.push(("vendor", v.clone()));
            }
            evidence.push(("source", e.source.to_string()));
        }
        evidence.push(("service", l.service.to_string()));
        evidence.push(("username", l.username.clone()));
        evidence.push(("outcome", outcome_name(l.outcome).to_string()));
        let (sid, msg, severity) = if accepted {
            (SID_ACCEPTED, "PALISADE default credentials accepted", 1)
        } else {
            (SID_TRIED, "PALISADE default credentials tried", 2)
        };
        DetectorAlert {
            timestamp: l.ts,
            sid,
            msg,
            class: Class::DefaultCredentials,
            detector: NAME,
            severity,
            tuple: login_tuple(l),
            flow_id: Some(l.flow_id),
            incident: None,
            phase: Phase::Event,
            evidence,
        }
    }
}

impl Detector for DefaultCreds {
    fn name(&self) -> &'static str {
        NAME
    }

    fn observe(&mut self, obs: Observation<'_>, out: &mut dyn Emit) {
        let Observation::Login(l) = obs else {
            return;
        };
        let Some(id) = l.default_entry else {
            return;
        };
        let success = l.outcome == LoginOutcome::Success;
        let (r, _) = self
            .seen
            .touch_or_insert_with((l.flow_id, l.tx_id), Reported::default);
        let emit_tried = !success && !r.tried && !r.accepted;
        let emit_accepted = success && !r.accepted;
        r.tried |= emit_tried;
        r.accepted |= emit_accepted;
        if emit_tried {
            out.alert(self.alert(l, id, false));
        }
        if emit_accepted {
            out.alert(self.alert(l, id, true));
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::obs::SecretKind;
    use palisade_event::{FindingRecord, Timestamp};

    #[derive(Default)]
    pub(crate) struct Out {
        pub alerts: Vec<DetectorAlert>,
        pub findings: Vec<FindingRecord>,
    }

    impl Emit for Out {
        fn alert(&mut self, a: DetectorAlert) {
            self.alerts.push(a);
        }
        fn finding(&mut self, f: FindingRecord) {
            self.findings.push(f);
        }
    }

    pub(crate) fn login(flow: u64, tx: u64, outcome: LoginOutcome, entry: Option<u32>) -> LoginObs {
        LoginObs {
            ts: Timestamp::from_secs_nanos(1000, 0),
            flow_id: flow,
            tx_id: tx,
            client: "203.0.113.7".parse().unwrap(),
            client_port: 40000,
            server: "10.0.0.5".parse().unwrap(),
            server_port: 23,
            service: "telnet",
            username: "root".into(),
            secret: SecretKind::Plain,
            default_entry: entry,
            fingerprint: Some(1),
            outcome,
            final_outcome: outcome != LoginOutcome::Unknown,
        }
    }

    fn ev<'a>(a: &'a DetectorAlert, k: &str) -> Option<&'a str> {
        a.evidence
            .iter()
            .find(|(key, _)| *key == k)
            .map(|(_, v)| v.as_str())
    }

    fn root_xc3511() -> u32 {
        CredDb::builtin()
            .entries()
            .iter()
            .find(|e| e.username == "root" && e.password == "xc3511")
            .unwrap()
            .id
    }

    #[test]
    fn tried_then_accepted_once_each() {
        let id = root_xc3511();
        let mut d = DefaultCreds::new(DefaultCredsConfig::default());
        let mut out = Out::default();
        d.observe(
            Observation::Login(&login(1, 0, LoginOutcome::Unknown, Some(id))),
            &mut out,
        );
        d.observe(
            Observation::Login(&login(1, 0, LoginOutcome::Unknown, Some(id))),
            &mut out,
        );
        assert_eq!(out.alerts.len(), 1);
        let a = &out.alerts[0];
        assert_eq!(
            (a.sid, a.severity, a.msg),
            (SID_TRIED, 2, "PALISADE default credentials tried")
        );
        assert_eq!(
            (a.class, a.detector, a.phase),
            (Class::DefaultCredentials, NAME, Phase::Event)
        );
        assert_eq!(a.flow_id, Some(1));
        assert_eq!(a.tuple.src_ip.to_string(), "203.0.113.7");
        assert_eq!((a.tuple.dest_port, a.tuple.proto), (Some(23), 6));
        assert_eq!(ev(a, "entry_id"), Some(id.to_string().as_str()));
        assert_eq!(ev(a, "source"), Some("mirai-scanner"));
        assert!(ev(a, "vendor").is_some());
        assert_eq!(ev(a, "service"), Some("telnet"));
        assert_eq!(ev(a, "username"), Some("root"));
        assert_eq!(ev(a, "outcome"), Some("unknown"));
        // never the password
        assert!(a.evidence.iter().all(|(_, v)| !v.contains("xc3511")));

        d.observe(
            Observation::Login(&login(1, 0, LoginOutcome::Success, Some(id))),
            &mut out,
        );
        d.observe(
            Observation::Login(&login(1, 0, LoginOutcome::Success, Some(id))),
            &mut out,
        );
        assert_eq!(out.alerts.len(), 2);
        let a = &out.alerts[1];
        assert_eq!((a.sid, a.severity), (SID_ACCEPTED, 1));
        assert_eq!(ev(a, "outcome"), Some("success"));

        // accepted at once: only "accepted"
        d.observe(
            Observation::Login(&login(2, 0, LoginOutcome::Success, Some(id))),
            &mut out,
        );
        assert_eq!(out.alerts.len(), 3);
        assert_eq!(out.alerts[2].sid, SID_ACCEPTED);
        // a failure: only "tried"; another transaction of the flow alerts again
        d.observe(
            Observation::Login(&login(3, 0, LoginOutcome::Failure, Some(id))),
            &mut out,
        );
        d.observe(
            Observation::Login(&login(3, 1, LoginOutcome::Failure, Some(id))),
            &mut out,
        );
        assert_eq!(
            out.alerts[3..].iter().map(|a| a.sid).collect::<Vec<_>>(),
            vec![SID_TRIED, SID_TRIED]
        );
        // no default entry: nothing
        d.observe(
            Observation::Login(&login(4, 0, LoginOutcome::Success, None)),
            &mut out,
        );
        assert_eq!(out.alerts.len(), 5);
    }

    #[test]
    fn bounded_under_flood() {
        let cfg = DefaultCredsConfig {
            max_transactions: 100,
        };
        let mut d = DefaultCreds::new(cfg);
        let mut out = Out::default();
        for f in 0..10_000 {
            d.observe(
                Observation::Login(&login(f, 0, LoginOutcome::Failure, Some(3))),
                &mut out,
            );
        }
        assert_eq!(out.alerts.len(), 10_000);
        assert_eq!(d.seen.len(), 100);
        assert_eq!(d.seen.evictions(), 9_900);
        // an entry id the database does not have still alerts, without names
        d.observe(
            Observation::Login(&login(1, 9, LoginOutcome::Failure, Some(u32::MAX))),
            &mut out,
        );
        let a = out.alerts.last().unwrap();
        assert_eq!(ev(a, "entry_id"), Some("4294967295"));
        assert_eq!(ev(a, "source"), None);
    }

    #[test]
    fn config_defaults_and_unknown_keys() {
        let c: DefaultCredsConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(c, DefaultCredsConfig::default());
        assert!(serde_json::from_str::<DefaultCredsConfig>(r#"{"max":1}"#).is_err());
    }
}
