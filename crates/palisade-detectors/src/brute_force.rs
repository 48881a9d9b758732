//! `brute-force`: password guessing, against one service or across the
//! fleet.
//!
//! Two incidents, both from failed logins (the final outcome of a login
//! transaction is Failure):
//!
//! - **brute force**, keyed by (client, service): `failures` failed logins
//!   within a sliding `window_secs` (default 10 in 60 s: a person mistypes
//!   a few times a minute, a guessing tool hundreds). Telnet guessing by
//!   IoT botnets is the classic case.
//! - **credential spraying**, keyed by client: failed logins against at
//!   least `spray_devices` distinct devices within the window (default 5):
//!   one or two guesses per device stay under any per-device threshold,
//!   but no legitimate client fails to log in to five devices in a minute.
//!
//! Each is one Start alert, Updates at most every `incident.update_secs`
//! and one End after `incident.idle_secs` without failures, with totals:
//! attempts, distinct devices and distinct user names (counted in bounded
//! memory, exact up to 32 then estimated), the window. Per-key state is a
//! bounded LRU map (`max_keys`), so a flood of sources cannot grow it.

use crate::default_creds::login_tuple;
use crate::distinct::Distinct;
use crate::incident::{Incident, IncidentConfig, Incidents};
use crate::recent::RecentMap;
use crate::{
    Class, Detector, DetectorAlert, Emit, LoginObs, Observation, Phase, DETECTOR_SID_BASE,
};
use palisade_event::{Timestamp, Tuple};
use palisade_proto::LoginOutcome;
use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;

/// Detector name.
pub const NAME: &str = "brute-force";
/// Brute force against one service.
pub const SID_BRUTE_FORCE: u32 = DETECTOR_SID_BASE + 10;
/// Spraying across devices.
pub const SID_SPRAYING: u32 = DETECTOR_SID_BASE + 11;
const MSG_BRUTE_FORCE: &str = "PALISADE login brute force";
const MSG_SPRAYING: &str = "PALISADE credential spraying across devices";

/// `[detectors.brute-force]`.
#[derive(serde::Deserialize, serde::Serialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct BruteForceConfig {
    /// Failed logins from one client to one service within `window_secs`
    /// that start a brute-force incident. Count (at least 1).
    pub failures: u32,
    /// Length of the sliding window, seconds.
    pub window_secs: u64,
    /// Distinct devices one client fails to log in to within
    /// `window_secs` that start a credential-spraying incident. Count (at
    /// least 1).
    pub spray_devices: u32,
    /// (client, service) pairs and clients tracked each; beyond, the least
    /// recently active is forgotten (counted in `evictions`). Entries.
    pub max_keys: usize,
    /// Incident timing (updates, idle end, how many at once).
    pub incident: IncidentConfig,
}

impl Default for BruteForceConfig {
    fn default() -> Self {
        BruteForceConfig {
            failures: 10,
            window_secs: 60,
            spray_devices: 5,
            max_keys: 65_536,
            incident: IncidentConfig::default(),
        }
    }
}

/// One failed login kept in a window.
#[derive(Clone, Copy, Debug)]
struct Failure {
    ts: Timestamp,
    server: IpAddr,
    user: u64,
}

/// What an incident's alerts say beyond its counts.
#[derive(Debug)]
struct IncState {
    tuple: Tuple,
    service: &'static str,
    devices: Distinct,
    users: Distinct,
}

impl IncState {
    fn new(l: &LoginObs) -> Self {
        IncState {
            tuple: login_tuple(l),
            service: l.service,
            devices: Distinct::new(),
            users: Distinct::new(),
        }
    }

    fn add(&mut self, server: IpAddr, user: u64) {
        self.devices.insert(&server);
        self.users.insert(&user);
    }
}

/// Running incidents of one kind with their states.
struct Kind<K> {
    sid: u32,
    msg: &'static str,
    live: Incidents<K>,
    state: HashMap<K, IncState>,
}

impl<K: Hash + Eq + Clone> Kind<K> {
    fn new(sid: u32, msg: &'static str, cfg: IncidentConfig) -> Self {
        Kind {
            sid,
            msg,
            // each kind its own id range: the sid in the high half
            live: Incidents::new(cfg, u64::from(sid) << 32),
            state: HashMap::new(),
        }
    }

    fn alert(
        (sid, msg): (u32, &'static str),
        now: Timestamp,
        phase: Phase,
        inc: &Incident,
        st: &IncState,
        window_secs: u64,
    ) -> DetectorAlert {
        let mut evidence = vec![
            ("service", st.service.to_string()),
            ("attempts", inc.events.to_string()),
            ("distinct_devices", st.devices.count().to_string()),
            ("distinct_usernames", st.users.count().to_string()),
            ("window_secs", window_secs.to_string()),
        ];
        if phase == Phase::End {
            evidence.push((
                "duration_secs",
                inc.last_seen.secs_since(inc.started).to_string(),
            ));
        }
        DetectorAlert {
            timestamp: now,
            sid,
            msg,
            class: Class::BruteForce,
            detector: NAME,
            severity: 2,
            tuple: st.tuple,
            flow_id: None,
            incident: Some(inc.id),
            phase,
            evidence,
        }
    }

    fn end(&mut self, ended: Vec<(K, Incident)>, now: Timestamp, window: u64, out: &mut dyn Emit) {
        for (k, inc) in ended {
            if let Some(st) = self.state.remove(&k) {
                out.alert(Self::alert(
                    (self.sid, self.msg),
                    now,
                    Phase::End,
                    &inc,
                    &st,
                    window,
                ));
            }
        }
    }

    /// A failure on `key`: update a running incident, or start one when
    /// `crossed` (with `events` so far and the failures in `window` as
    /// its first devices and users).
    #[allow(clippy::too_many_arguments)]
    fn failure(
        &mut self,
        key: K,
        l: &LoginObs,
        user: u64,
        crossed: bool,
        events: u64,
        window: &[Failure],
        window_secs: u64,
        out: &mut dyn Emit,
    ) {
        if self.live.is_live(&key) {
            let update = self.live.activity(&key, l.ts, 1);
            if let Some(st) = self.state.get_mut(&key) {
                st.add(l.server, user);
                if let Some((phase, inc)) = update {
                    out.alert(Self::alert(
                        (self.sid, self.msg),
                        l.ts,
                        phase,
                        &inc,
                        st,
                        window_secs,
                    ));
                }
            }
            return;
        }
        if !crossed {
            return;
        }
        let (inc, evicted) = self.live.start(key.clone(), l.ts, events);
        if let Some(ev) = evicted {
            self.end(vec![ev], l.ts, window_secs, out);
        }
        let mut st = IncState::new(l);
        for f in window {
            st.add(f.server, f.user);
        }
        st.add(l.server, user);
        out.alert(Self::alert(
            (self.sid, self.msg),
            l.ts,
            Phase::Start,
            &inc,
            &st,
            window_secs,
        ));
        self.state.insert(key, st);
    }
}

/// The detector.
pub struct BruteForce {
    cfg: BruteForceConfig,
    /// (client, service) → its failures in the window (at most `failures`).
    per_service: RecentMap<(IpAddr, &'static str), VecDeque<Failure>>,
    /// client → its latest failure per device in the window (at most
    /// `spray_devices` devices).
    per_client: RecentMap<IpAddr, Vec<Failure>>,
    brute: Kind<(IpAddr, &'static str)>,
    spray: Kind<IpAddr>,
}

fn user_hash(user: &str) -> u64 {
    use std::hash::{DefaultHasher, Hasher};
    let mut h = DefaultHasher::new();
    h.write(user.as_bytes());
    h.finish()
}

impl BruteForce {
    /// New.
    pub fn new(cfg: BruteForceConfig) -> Self {
        BruteForce {
            per_service: RecentMap::new(cfg.max_keys),
            per_client: RecentMap::new(cfg.max_keys),
            brute: Kind::new(SID_BRUTE_FORCE, MSG_BRUTE_FORCE, cfg.incident),
            spray: Kind::new(SID_SPRAYING, MSG_SPRAYING, cfg.incident),
            cfg,
        }
    }

    /// Keys forgotten to respect `max_keys`.
    pub fn evictions(&self) -> u64 {
        self.per_service.evictions() + self.per_client.evictions()
    }

    fn failure(&mut self, l: &LoginObs, out: &mut dyn Emit) {
        let win = self.cfg.window_secs;
        let user = user_hash(&l.username);
        let f = Failure {
            ts: l.ts,
            server: l.server,
            user,
        };

        // brute force: the last `failures` failures of (client, service)
        let need = self.cfg.failures.max(1) as usize;
        let (q, _) = self
            .per_service
            .touch_or_insert_with((l.client, l.service), VecDeque::new);
        q.push_back(f);
        while q.len() > need {
            q.pop_front();
        }
        let window_ns = win.saturating_mul(1_000_000_000);
        while q
            .front()
            .is_some_and(|o| l.ts.nanos_since(o.ts) >= window_ns)
        {
            q.pop_front();
        }
        let count = q.len();
        let earlier: Vec<Failure> = q.iter().take(count.saturating_sub(1)).copied().collect();
        self.brute.failure(
            (l.client, l.service),
            l,
            user,
            count >= need,
            count as u64,
            &earlier,
            win,
            out,
        );

        // spraying: distinct devices of the client in the window
        let devices = self.cfg.spray_devices.max(1) as usize;
        let (list, _) = self.per_client.touch_or_insert_with(l.client, Vec::new);
        list.retain(|o| o.server != l.server && l.ts.nanos_since(o.ts) < window_ns);
        list.push(f);
        if list.len() > devices {
            list.remove(0);
        }
        let distinct = list.len();
        let earlier: Vec<Failure> = list
            .iter()
            .take(distinct.saturating_sub(1))
            .copied()
            .collect();
        self.spray.failure(
            l.client,
            l,
            user,
            distinct >= devices,
            distinct as u64,
            &earlier,
            win,
            out,
        );
    }
}

impl Detector for BruteForce {
    fn name(&self) -> &'static str {
        NAME
    }

    fn observe(&mut self, obs: Observation<'_>, out: &mut dyn Emit) {
        if let Observation::Login(l) = obs {
            if l.final_outcome && l.outcome == LoginOutcome::Failure {
                self.failure(l, out);
            }
        }
    }

    fn tick(&mut self, now: Timestamp, out: &mut dyn Emit) {
        let win = self.cfg.window_secs;
        let ended = self.brute.live.expire(now);
        self.brute.end(ended, now, win, out);
        let ended = self.spray.live.expire(now);
        self.spray.end(ended, now, win, out);
    }

    fn finish(&mut self, now: Timestamp, out: &mut dyn Emit) {
        let win = self.cfg.window_secs;
        let ended = self.brute.live.drain();
        self.brute.end(ended, now, win, out);
        let ended = self.spray.live.drain();
        self.spray.end(ended, now, win, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::default_creds::tests::{login, Out};

    fn t(s: u64) -> Timestamp {
        Timestamp::from_secs_nanos(s, 0)
    }

    fn fail(d: &mut BruteForce, out: &mut Out, ts: u64, server: &str, user: &str) {
        let mut l = login(ts, 0, LoginOutcome::Failure, None);
        l.ts = t(ts);
        l.server = server.parse().unwrap();
        l.username = user.into();
        d.observe(Observation::Login(&l), out);
    }

    fn ev<'a>(a: &'a DetectorAlert, k: &str) -> &'a str {
        a.evidence
            .iter()
            .find(|(key, _)| *key == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    #[test]
    fn threshold_start_update_end() {
        let mut d = BruteForce::new(BruteForceConfig::default());
        let mut out = Out::default();
        for i in 0..9 {
            fail(
                &mut d,
                &mut out,
                100 + i,
                "10.0.0.5",
                &format!("u{}", i % 3),
            );
        }
        assert!(out.alerts.is_empty(), "9 failures: below the threshold");
        fail(&mut d, &mut out, 109, "10.0.0.5", "u0");
        assert_eq!(out.alerts.len(), 1);
        let a = &out.alerts[0];
        assert_eq!(
            (a.sid, a.msg, a.phase),
            (SID_BRUTE_FORCE, MSG_BRUTE_FORCE, Phase::Start)
        );
        assert_eq!(
            (a.class, a.detector, a.severity),
            (Class::BruteForce, NAME, 2)
        );
        assert_eq!(ev(a, "attempts"), "10");
        assert_eq!(ev(a, "distinct_devices"), "1");
        assert_eq!(ev(a, "distinct_usernames"), "3");
        assert_eq!(ev(a, "window_secs"), "60");
        assert_eq!(ev(a, "service"), "telnet");
        assert_eq!(a.tuple.src_ip.to_string(), "203.0.113.7");
        assert_eq!(a.tuple.dest_ip.to_string(), "10.0.0.5");
        let id = a.incident.unwrap();
        assert_eq!(id >> 32, u64::from(SID_BRUTE_FORCE));

        // more failures: no alert until update_secs (60) passed
        for s in 110..169 {
            fail(&mut d, &mut out, s, "10.0.0.5", "u9");
        }
        assert_eq!(out.alerts.len(), 1);
        fail(&mut d, &mut out, 169, "10.0.0.5", "u9");
        assert_eq!(out.alerts.len(), 2);
        let a = &out.alerts[1];
        assert_eq!((a.phase, a.incident), (Phase::Update, Some(id)));
        assert_eq!(ev(a, "attempts"), "70");
        assert_eq!(ev(a, "distinct_usernames"), "4");

        // quiet: ends after idle_secs (30)
        d.tick(t(198), &mut out);
        assert_eq!(out.alerts.len(), 2);
        d.tick(t(199), &mut out);
        assert_eq!(out.alerts.len(), 3);
        let a = &out.alerts[2];
        assert_eq!(
            (a.phase, a.incident, a.sid),
            (Phase::End, Some(id), SID_BRUTE_FORCE)
        );
        assert_eq!(ev(a, "attempts"), "70");
        assert_eq!(ev(a, "distinct_devices"), "1");
        assert_eq!(ev(a, "duration_secs"), "60");
        assert!(d.brute.state.is_empty());
    }

    #[test]
    fn window_slides_and_only_final_failures_count() {
        let mut d = BruteForce::new(BruteForceConfig::default());
        let mut out = Out::default();
        // 10 failures 7 s apart span 63 s: never 10 in one 60 s window
        for i in 0..20 {
            fail(&mut d, &mut out, 1000 + 7 * i, "10.0.0.5", "root");
        }
        assert!(out.alerts.is_empty());
        // 10 failures within 59 s: at the threshold
        let mut d = BruteForce::new(BruteForceConfig::default());
        for i in 0..10 {
            fail(&mut d, &mut out, 2000 + i * 59 / 9, "10.0.0.5", "root");
        }
        assert_eq!(out.alerts.len(), 1);
        // successes, unknown and not-yet-final failures do not count
        let mut d = BruteForce::new(BruteForceConfig::default());
        let mut out = Out::default();
        for i in 0..50 {
            let mut l = login(i, 0, LoginOutcome::Success, None);
            d.observe(Observation::Login(&l), &mut out);
            l.outcome = LoginOutcome::Unknown;
            d.observe(Observation::Login(&l), &mut out);
            l.outcome = LoginOutcome::Failure;
            l.final_outcome = false;
            d.observe(Observation::Login(&l), &mut out);
        }
        assert!(out.alerts.is_empty());
    }

    #[test]
    fn spraying_across_devices() {
        let mut d = BruteForce::new(BruteForceConfig::default());
        let mut out = Out::default();
        for i in 0..4 {
            fail(&mut d, &mut out, 100 + i, &format!("10.0.0.{i}"), "admin");
            fail(&mut d, &mut out, 100 + i, &format!("10.0.0.{i}"), "root");
        }
        assert!(out.alerts.is_empty(), "4 devices, 8 failures: below both");
        fail(&mut d, &mut out, 105, "10.0.0.4", "admin");
        assert_eq!(out.alerts.len(), 1);
        let a = &out.alerts[0];
        assert_eq!(
            (a.sid, a.msg, a.phase),
            (SID_SPRAYING, MSG_SPRAYING, Phase::Start)
        );
        assert_eq!(ev(a, "distinct_devices"), "5");
        assert_eq!(ev(a, "distinct_usernames"), "2");
        assert_eq!(ev(a, "attempts"), "5");
        // the 10th failure of (client, telnet) also starts a brute force
        fail(&mut d, &mut out, 106, "10.0.0.9", "admin");
        assert_eq!(
            out.alerts.iter().map(|a| a.sid).collect::<Vec<_>>(),
            vec![SID_SPRAYING, SID_BRUTE_FORCE]
        );
        d.finish(t(107), &mut out);
        let ends: Vec<_> = out.alerts[2..].iter().map(|a| (a.sid, a.phase)).collect();
        assert_eq!(
            ends,
            vec![(SID_BRUTE_FORCE, Phase::End), (SID_SPRAYING, Phase::End)]
        );
        assert_eq!(ev(&out.alerts[3], "distinct_devices"), "6");
        assert_eq!(ev(&out.alerts[3], "attempts"), "6");
    }

    #[test]
    fn spraying_needs_devices_in_the_window() {
        let mut d = BruteForce::new(BruteForceConfig::default());
        let mut out = Out::default();
        // one new device every 20 s: at most 3 in a 60 s window
        for i in 0..20u64 {
            fail(
                &mut d,
                &mut out,
                100 + 20 * i,
                &format!("10.0.1.{i}"),
                "admin",
            );
        }
        assert!(out.alerts.is_empty());
    }

    #[test]
    fn bounded_under_flood() {
        let cfg = BruteForceConfig {
            failures: 2,
            spray_devices: 100,
            max_keys: 1000,
            incident: IncidentConfig {
                update_secs: 60,
                idle_secs: 120,
                max_live: 10,
            },
            ..BruteForceConfig::default()
        };
        let mut d = BruteForce::new(cfg);
        let mut out = Out::default();
        for i in 0..50_000u32 {
            let mut l = login(u64::from(i), 0, LoginOutcome::Failure, None);
            l.client = IpAddr::from(i.to_be_bytes());
            d.observe(Observation::Login(&l), &mut out);
            // the first 20 clients fail twice: incidents beyond max_live end
            if i < 20 {
                d.observe(Observation::Login(&l), &mut out);
            }
        }
        assert!(d.per_service.len() <= 1000 && d.per_client.len() <= 1000);
        assert_eq!(d.evictions(), 2 * (50_000 - 1000));
        assert_eq!(d.brute.live.len(), 10);
        assert_eq!(d.brute.state.len(), 10);
        let starts = out
            .alerts
            .iter()
            .filter(|a| a.phase == Phase::Start)
            .count();
        let ends = out.alerts.iter().filter(|a| a.phase == Phase::End).count();
        assert_eq!((starts, ends), (20, 10));
    }

    #[test]
    fn config_defaults() {
        let c: BruteForceConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(c, BruteForceConfig::default());
        assert_eq!((c.failures, c.window_secs, c.spray_devices), (10, 60, 5));
        let c: BruteForceConfig =
            serde_json::from_str(r#"{"failures":3,"incident":{"idle_secs":5}}"#).unwrap();
        assert_eq!((c.failures, c.incident.idle_secs), (3, 5));
        assert!(serde_json::from_str::<BruteForceConfig>(r#"{"threshold":1}"#).is_err());
    }
}
