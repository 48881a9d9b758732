//! Thresholding at run time: `threshold`, `detection_filter` and
//! threshold.config `threshold`/`event_filter` entries decide whether a
//! match raises an alert; `suppress` entries drop alerts by address.
//!
//! Semantics follow Suricata's `detect-engine-threshold.c`, in packet time
//! (seconds). A window starts at the first counted match and covers every
//! match at or before `start + seconds`; the first match after it starts a
//! new window with a count of 1.
//!
//! - `limit`: alert on the first `count` matches of each window.
//! - `threshold`: alert on every `count`-th match within a window (the
//!   count restarts after each alert; with `count 1` every match alerts).
//! - `both`: alert once per window, on the `count`-th match.
//! - `detection_filter`: alert on every match after the first `count`
//!   within a window.
//!
//! Tracking: `by_src` / `by_dst` per address, `by_both` per unordered
//! address pair (Suricata's ip-pair table), `by_rule` per signature,
//! `by_flow` per flow (no flow, no alert).
//!
//! The table is bounded: when full, expired windows are dropped first, then
//! the oldest entries; [`ThresholdTable::evictions`] counts the latter.

use super::bounded::BoundedMap;
use palisade_rules::threshold::{ThresholdKind, ThresholdSpec, Track};
use palisade_rules::IpSet;
use std::net::IpAddr;

/// Default bound of a [`ThresholdTable`].
pub const DEFAULT_MAX_THRESHOLD_ENTRIES: usize = 65_536;

/// What thresholding decided for one match.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ThresholdVerdict {
    /// Raise the alert.
    Alert,
    /// No alert; Suricata's "silent match" (the rule matched beyond a
    /// `limit`/`both` count, so actions such as drop still apply).
    Silent,
    /// No alert (the count is not reached yet).
    NoAlert,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Rule(u32),
    Src(u32, IpAddr),
    Dst(u32, IpAddr),
    Pair(u32, IpAddr, IpAddr),
    Flow(u32, u64),
}

#[derive(Copy, Clone, Debug)]
struct Window {
    start: u64,
    seconds: u64,
    count: u32,
}

fn expired(w: &Window, now: u64) -> bool {
    now > w.start.saturating_add(w.seconds)
}

/// Per-signature threshold state.
pub struct ThresholdTable {
    entries: BoundedMap<Key, Window>,
}

impl ThresholdTable {
    /// A table holding at most `max_entries` windows (at least 1).
    pub fn new(max_entries: usize) -> Self {
        ThresholdTable {
            entries: BoundedMap::new(max_entries),
        }
    }

    /// True if this match should raise an alert. `sig_index` identifies the
    /// signature (windows are per signature), `flow_id` the flow for
    /// `by_flow`, `now_secs` the packet time.
    pub fn allow(
        &mut self,
        sig_index: u32,
        spec: &ThresholdSpec,
        src: IpAddr,
        dst: IpAddr,
        flow_id: u64,
        now_secs: u64,
    ) -> bool {
        self.check(sig_index, spec, src, dst, Some(flow_id), now_secs) == ThresholdVerdict::Alert
    }

    /// The full verdict; `flow_id` is `None` for a packet without a flow
    /// (a `by_flow` threshold then never alerts, as in Suricata).
    pub fn check(
        &mut self,
        sig_index: u32,
        spec: &ThresholdSpec,
        src: IpAddr,
        dst: IpAddr,
        flow_id: Option<u64>,
        now_secs: u64,
    ) -> ThresholdVerdict {
        let key = match spec.track {
            Track::ByRule => Key::Rule(sig_index),
            Track::BySrc => Key::Src(sig_index, src),
            Track::ByDst => Key::Dst(sig_index, dst),
            Track::ByBoth if src <= dst => Key::Pair(sig_index, src, dst),
            Track::ByBoth => Key::Pair(sig_index, dst, src),
            Track::ByFlow => match flow_id {
                Some(f) => Key::Flow(sig_index, f),
                None => return ThresholdVerdict::NoAlert,
            },
            // Only valid for suppress; the rules parser rejects it here.
            Track::ByEither => return ThresholdVerdict::NoAlert,
        };
        let now = now_secs;
        let n = spec.count;
        let seconds = u64::from(spec.seconds);
        let fresh = Window {
            start: now,
            seconds,
            count: 1,
        };
        let Some(w) = self.entries.get_mut(&key) else {
            // First match for this key.
            let (verdict, keep) = match spec.kind {
                ThresholdKind::Limit => (ThresholdVerdict::Alert, true),
                ThresholdKind::Threshold if n == 1 => (ThresholdVerdict::Alert, false),
                ThresholdKind::Threshold => (ThresholdVerdict::NoAlert, true),
                ThresholdKind::Both if n == 1 => (ThresholdVerdict::Alert, true),
                ThresholdKind::Both => (ThresholdVerdict::NoAlert, true),
                ThresholdKind::DetectionFilter => (ThresholdVerdict::NoAlert, true),
            };
            if keep {
                self.entries.insert(key, fresh, now, expired);
            }
            return verdict;
        };
        w.seconds = seconds;
        if expired(w, now) {
            *w = fresh;
            self.entries.touch(&key);
            return match spec.kind {
                ThresholdKind::Limit => ThresholdVerdict::Alert,
                ThresholdKind::Both if n == 1 => ThresholdVerdict::Alert,
                _ => ThresholdVerdict::NoAlert,
            };
        }
        w.count = w.count.saturating_add(1);
        match spec.kind {
            ThresholdKind::Limit if w.count <= n => ThresholdVerdict::Alert,
            ThresholdKind::Limit => ThresholdVerdict::Silent,
            ThresholdKind::Threshold if w.count >= n => {
                w.count = 0;
                ThresholdVerdict::Alert
            }
            ThresholdKind::Threshold => ThresholdVerdict::NoAlert,
            ThresholdKind::Both if w.count == n => ThresholdVerdict::Alert,
            ThresholdKind::Both if w.count > n => ThresholdVerdict::Silent,
            ThresholdKind::Both => ThresholdVerdict::NoAlert,
            ThresholdKind::DetectionFilter if w.count > n => ThresholdVerdict::Alert,
            ThresholdKind::DetectionFilter => ThresholdVerdict::NoAlert,
        }
    }

    /// Drops every window over at `now_secs` (housekeeping).
    pub fn sweep(&mut self, now_secs: u64) {
        self.entries.sweep(now_secs, expired);
    }

    /// Windows held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if no window is held.
    pub fn is_empty(&self) -> bool {
        self.entries.len() == 0
    }

    /// Live windows dropped because the table was full.
    pub fn evictions(&self) -> u64 {
        self.entries.evictions()
    }
}

impl Default for ThresholdTable {
    fn default() -> Self {
        ThresholdTable::new(DEFAULT_MAX_THRESHOLD_ENTRIES)
    }
}

/// True if a threshold.config `suppress` entry with this `track` and
/// address set drops the alert: `by_src` tests the source, `by_dst` the
/// destination, `by_either` either address; other tracks never suppress.
pub fn suppressed(track: Track, ips: &IpSet, src: IpAddr, dst: IpAddr) -> bool {
    match track {
        Track::BySrc => ips.contains(src),
        Track::ByDst => ips.contains(dst),
        Track::ByEither => ips.contains(src) || ips.contains(dst),
        Track::ByRule | Track::ByBoth | Track::ByFlow => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keywords::testutil::{A, B, C};
    use palisade_rules::threshold::parse_threshold_value;

    fn spec(v: &str) -> ThresholdSpec {
        parse_threshold_value(v, false).unwrap_or_else(|e| panic!("{v}: {e}"))
    }

    fn df(v: &str) -> ThresholdSpec {
        parse_threshold_value(v, true).unwrap_or_else(|e| panic!("{v}: {e}"))
    }

    /// Feeds matches A -> B at the given times; returns the 1-based
    /// positions that alerted.
    fn run(s: &ThresholdSpec, times: &[u64]) -> Vec<usize> {
        let mut t = ThresholdTable::new(64);
        times
            .iter()
            .enumerate()
            .filter(|(_, now)| t.allow(7, s, A, B, 1, **now))
            .map(|(i, _)| i + 1)
            .collect()
    }

    const TEN_IN_WINDOW: [u64; 10] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    /// Ten matches spread so that the 60 s window restarts at t=61.
    const SPREAD: [u64; 10] = [0, 10, 20, 60, 61, 62, 70, 121, 122, 200];

    #[test]
    fn limit() {
        let s = spec("type limit, track by_src, count 3, seconds 60");
        assert_eq!(run(&s, &TEN_IN_WINDOW), vec![1, 2, 3]);
        // Window [0, 60] holds matches 1-4; 61 opens [61, 121] (5-8); 122 and 200 each open one.
        assert_eq!(run(&s, &SPREAD), vec![1, 2, 3, 5, 6, 7, 9, 10]);
        let one = spec("type limit, track by_src, count 1, seconds 60");
        assert_eq!(run(&one, &SPREAD), vec![1, 5, 9, 10]);
    }

    #[test]
    fn threshold() {
        let s = spec("type threshold, track by_src, count 3, seconds 60");
        assert_eq!(run(&s, &TEN_IN_WINDOW), vec![3, 6, 9]);
        // [0,60]: 1,2,3 alert on 3 then 4 counts 1; 61 restarts: 5,6,7 -> alert on 7;
        // 121 is inside [61,121]: count 1; 122 restarts (1); 200 restarts (1).
        assert_eq!(run(&s, &SPREAD), vec![3, 7]);
        let every = spec("type threshold, track by_src, count 1, seconds 60");
        assert_eq!(run(&every, &SPREAD).len(), 10);
    }

    #[test]
    fn both() {
        let s = spec("type both, track by_src, count 3, seconds 60");
        assert_eq!(run(&s, &TEN_IN_WINDOW), vec![3]);
        assert_eq!(run(&s, &SPREAD), vec![3, 7]);
        let one = spec("type both, track by_src, count 1, seconds 60");
        assert_eq!(run(&one, &SPREAD), vec![1, 5, 9, 10]);
    }

    #[test]
    fn detection_filter() {
        let s = df("track by_src, count 3, seconds 60");
        assert_eq!(run(&s, &TEN_IN_WINDOW), vec![4, 5, 6, 7, 8, 9, 10]);
        // [0,60]: 4th alerts; [61,121]: 5,6,7,8 -> 8 alerts; 122 and 200 restart.
        assert_eq!(run(&s, &SPREAD), vec![4, 8]);
        let zero = df("track by_rule, count 0, seconds 60");
        assert_eq!(
            run(&zero, &[0, 1, 2]),
            vec![2, 3],
            "the first match only opens the window"
        );
    }

    #[test]
    fn verdicts() {
        let mut t = ThresholdTable::new(8);
        let s = spec("type limit, track by_src, count 1, seconds 60");
        assert_eq!(t.check(1, &s, A, B, None, 0), ThresholdVerdict::Alert);
        assert_eq!(t.check(1, &s, A, B, None, 1), ThresholdVerdict::Silent);
        let b = spec("type both, track by_src, count 2, seconds 60");
        assert_eq!(t.check(2, &b, A, B, None, 0), ThresholdVerdict::NoAlert);
        assert_eq!(t.check(2, &b, A, B, None, 1), ThresholdVerdict::Alert);
        assert_eq!(t.check(2, &b, A, B, None, 2), ThresholdVerdict::Silent);
    }

    #[test]
    fn tracks() {
        let by = |track: &str| spec(&format!("type limit, track {track}, count 1, seconds 60"));
        // (src, dst, flow) of three matches at t=0,1,2.
        let pkts = [(A, B, 1u64), (C, B, 2), (B, A, 1)];
        let alerts = |s: &ThresholdSpec| {
            let mut t = ThresholdTable::new(64);
            pkts.iter()
                .enumerate()
                .map(|(i, (src, dst, f))| t.allow(3, s, *src, *dst, *f, i as u64))
                .collect::<Vec<_>>()
        };
        assert_eq!(alerts(&by("by_src")), vec![true, true, true]);
        assert_eq!(alerts(&by("by_dst")), vec![true, false, true]);
        assert_eq!(alerts(&by("by_rule")), vec![true, false, false]);
        assert_eq!(
            alerts(&by("by_both")),
            vec![true, true, false],
            "pairs are unordered"
        );
        assert_eq!(alerts(&by("by_flow")), vec![true, true, false]);
        // Another signature has its own windows.
        let mut t = ThresholdTable::new(64);
        let s = by("by_rule");
        assert!(t.allow(1, &s, A, B, 0, 0));
        assert!(t.allow(2, &s, A, B, 0, 0));
        assert!(!t.allow(1, &s, A, B, 0, 1));
        // No flow: by_flow never alerts.
        assert_eq!(
            t.check(9, &by("by_flow"), A, B, None, 0),
            ThresholdVerdict::NoAlert
        );
    }

    #[test]
    fn ten_matches_per_track() {
        // Ten matches within one 60 s window; sources alternate A, C; the
        // destination is B except matches 9 and 10 (to C); flows 1 and 2
        // alternate; `limit` with count 2.
        let pkts: Vec<(IpAddr, IpAddr, u64)> = (0..10)
            .map(|i| {
                let src = if i % 2 == 0 { A } else { C };
                let dst = if i < 8 { B } else { C };
                (src, dst, 1 + (i % 2) as u64)
            })
            .collect();
        let positions = |track: &str| {
            let s = spec(&format!("type limit, track {track}, count 2, seconds 60"));
            let mut t = ThresholdTable::new(64);
            pkts.iter()
                .enumerate()
                .filter(|(i, (src, dst, f))| t.allow(5, &s, *src, *dst, *f, *i as u64))
                .map(|(i, _)| i + 1)
                .collect::<Vec<_>>()
        };
        assert_eq!(positions("by_src"), vec![1, 2, 3, 4]);
        assert_eq!(positions("by_dst"), vec![1, 2, 9, 10]);
        assert_eq!(positions("by_rule"), vec![1, 2]);
        // Pairs {A,B}, {C,B}, then 9: {A,C}, 10: {C,C}.
        assert_eq!(positions("by_both"), vec![1, 2, 3, 4, 9, 10]);
        assert_eq!(positions("by_flow"), vec![1, 2, 3, 4]);
    }

    #[test]
    fn bounded_table() {
        let s = spec("type limit, track by_src, count 1, seconds 10");
        let mut t = ThresholdTable::new(2);
        let ip = |n: u8| IpAddr::from([192, 0, 2, n]);
        assert!(t.allow(0, &s, ip(1), B, 0, 0));
        assert!(t.allow(0, &s, ip(2), B, 0, 5));
        // ip(1)'s window [0,10] is over at 11: swept, not evicted.
        assert!(t.allow(0, &s, ip(3), B, 0, 11));
        assert_eq!((t.len(), t.evictions()), (2, 0));
        // Full of live windows: the oldest (ip(2)) is evicted.
        assert!(t.allow(0, &s, ip(4), B, 0, 12));
        assert_eq!(t.evictions(), 1);
        assert!(t.allow(0, &s, ip(2), B, 0, 13), "evicted window forgotten");
        assert!(!t.allow(0, &s, ip(2), B, 0, 14));
        t.sweep(1000);
        assert!(t.is_empty());
    }

    #[test]
    fn suppress() {
        use palisade_rules::{AddressExpr, Vars};
        let ips = AddressExpr::parse("[10.0.0.1,192.168.0.0/16]", 0)
            .map_err(|e| e.message)
            .and_then(|a| a.resolve(&Vars::default()).map_err(|e| e.to_string()))
            .unwrap();
        let other = IpAddr::from([8, 8, 8, 8]);
        let inner = IpAddr::from([192, 168, 1, 1]);
        assert!(suppressed(Track::BySrc, &ips, A, other));
        assert!(!suppressed(Track::BySrc, &ips, other, A));
        assert!(suppressed(Track::ByDst, &ips, other, inner));
        assert!(!suppressed(Track::ByDst, &ips, inner, other));
        assert!(suppressed(Track::ByEither, &ips, other, inner));
        assert!(suppressed(Track::ByEither, &ips, inner, other));
        assert!(!suppressed(Track::ByEither, &ips, other, other));
        assert!(!suppressed(Track::ByRule, &ips, A, A));
    }
}
