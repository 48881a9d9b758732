//! Incidents: long-lived attacks reported as one alert when they start,
//! updates at a bounded rate, and one at the end with totals.
//!
//! A detector decides when an incident starts (its threshold); this module
//! keeps the running ones, rate-limits their updates and ends them after a
//! quiet period, with a bound on how many run at once.

use crate::Phase;
use palisade_event::Timestamp;
use std::collections::HashMap;
use std::hash::Hash;

/// Timing of incidents (part of each detector's config).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct IncidentConfig {
    /// Seconds between update alerts of a running incident.
    pub update_secs: u64,
    /// Seconds without activity after which an incident ends.
    pub idle_secs: u64,
    /// Incidents tracked at once per detector; beyond, the quietest ends.
    pub max_live: usize,
}

impl Default for IncidentConfig {
    fn default() -> Self {
        IncidentConfig {
            update_secs: 60,
            idle_secs: 30,
            max_live: 4096,
        }
    }
}

/// One running incident.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Incident {
    /// Stable id (start, updates and end share it).
    pub id: u64,
    /// First activity.
    pub started: Timestamp,
    /// Last activity.
    pub last_seen: Timestamp,
    /// Last alert sent (start or update).
    pub last_alert: Timestamp,
    /// Activity count (packets, attempts, ...).
    pub events: u64,
}

/// The running incidents of one detector, keyed by what identifies one
/// (the victim, the scanner, the (source, service) pair, ...).
#[derive(Debug)]
pub struct Incidents<K> {
    live: HashMap<K, Incident>,
    next_id: u64,
    cfg: IncidentConfig,
}

impl<K: Hash + Eq + Clone> Incidents<K> {
    /// Empty, with `cfg`; ids start at `first_id` (give each detector its
    /// own range so ids are unique in a run).
    pub fn new(cfg: IncidentConfig, first_id: u64) -> Self {
        Incidents {
            live: HashMap::new(),
            next_id: first_id,
            cfg,
        }
    }

    /// Whether `key` has a running incident.
    pub fn is_live(&self, key: &K) -> bool {
        self.live.contains_key(key)
    }

    /// The running incident of `key`.
    pub fn get(&self, key: &K) -> Option<&Incident> {
        self.live.get(key)
    }

    /// Starts an incident for `key` (call when the detector's threshold is
    /// crossed and none runs). Returns it, to build the start alert. When
    /// `max_live` run already, the one idle longest is ended and returned
    /// second, so its end alert is not lost.
    pub fn start(
        &mut self,
        key: K,
        now: Timestamp,
        events: u64,
    ) -> (Incident, Option<(K, Incident)>) {
        let mut evicted = None;
        if self.live.len() >= self.cfg.max_live {
            if let Some(k) = self
                .live
                .iter()
                .min_by_key(|(_, i)| i.last_seen)
                .map(|(k, _)| k.clone())
            {
                evicted = self.live.remove(&k).map(|i| (k, i));
            }
        }
        let inc = Incident {
            id: self.next_id,
            started: now,
            last_seen: now,
            last_alert: now,
            events,
        };
        self.next_id += 1;
        self.live.insert(key, inc.clone());
        (inc, evicted)
    }

    /// Records `n` more events on a running incident; returns it with
    /// [`Phase::Update`] when an update alert is due.
    pub fn activity(&mut self, key: &K, now: Timestamp, n: u64) -> Option<(Phase, Incident)> {
        let inc = self.live.get_mut(key)?;
        inc.events += n;
        if now > inc.last_seen {
            inc.last_seen = now;
        }
        if now.secs_since(inc.last_alert) >= self.cfg.update_secs {
            inc.last_alert = now;
            return Some((Phase::Update, inc.clone()));
        }
        None
    }

    /// Ends the incidents idle for `idle_secs` at `now`.
    pub fn expire(&mut self, now: Timestamp) -> Vec<(K, Incident)> {
        let idle = self.cfg.idle_secs;
        let ended: Vec<K> = self
            .live
            .iter()
            .filter(|(_, i)| now.secs_since(i.last_seen) >= idle)
            .map(|(k, _)| k.clone())
            .collect();
        let mut out: Vec<(K, Incident)> = ended
            .into_iter()
            .filter_map(|k| self.live.remove(&k).map(|i| (k, i)))
            .collect();
        out.sort_by_key(|(_, i)| i.id);
        out
    }

    /// Ends every incident (end of input).
    pub fn drain(&mut self) -> Vec<(K, Incident)> {
        let mut out: Vec<(K, Incident)> = self.live.drain().collect();
        out.sort_by_key(|(_, i)| i.id);
        out
    }

    /// Running incidents.
    pub fn len(&self) -> usize {
        self.live.len()
    }

    /// None running.
    pub fn is_empty(&self) -> bool {
        self.live.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: u64) -> Timestamp {
        Timestamp::from_secs_nanos(s, 0)
    }

    #[test]
    fn start_update_end() {
        let cfg = IncidentConfig {
            update_secs: 10,
            idle_secs: 5,
            max_live: 2,
        };
        let mut inc: Incidents<&str> = Incidents::new(cfg, 100);
        let (i, ev) = inc.start("victim", t(0), 50);
        assert_eq!((i.id, ev), (100, None));
        assert_eq!(inc.activity(&"victim", t(5), 10), None);
        let (p, i) = inc.activity(&"victim", t(10), 10).unwrap();
        assert_eq!((p, i.events), (Phase::Update, 70));
        assert!(inc.expire(t(14)).is_empty());
        let ended = inc.expire(t(15));
        assert_eq!(ended.len(), 1);
        assert_eq!(ended[0].1.events, 70);
        assert!(inc.is_empty());
        // bounded: the quietest ends to make room
        inc.start("a", t(20), 1);
        inc.start("b", t(21), 1);
        let (_, ev) = inc.start("c", t(22), 1);
        assert_eq!(ev.map(|(k, _)| k), Some("a"));
        assert_eq!(inc.len(), 2);
        assert_eq!(inc.drain().len(), 2);
    }
}
