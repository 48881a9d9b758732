//! Bounded maps and sets that forget the least recently used key.
//!
//! Detectors key state by addresses an attacker chooses; every such map
//! must stay bounded. [`RecentMap`] keeps at most `max` keys and, when a
//! new key arrives at the bound, drops the one touched longest ago
//! (counted in [`RecentMap::evictions`]). Recency is a lazy queue of
//! (key, touch number): a touch appends, an eviction pops stale pairs
//! until it finds a live one, and the queue is rebuilt when it grows past
//! twice the map, so every operation costs O(1) amortised.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

/// A map of at most `max` keys that evicts the least recently touched.
#[derive(Debug)]
pub struct RecentMap<K, V> {
    map: HashMap<K, (V, u64)>,
    order: VecDeque<(K, u64)>,
    seq: u64,
    max: usize,
    evictions: u64,
}

impl<K: Hash + Eq + Clone, V> RecentMap<K, V> {
    /// Empty, holding at most `max` keys (at least 1).
    pub fn new(max: usize) -> Self {
        RecentMap {
            map: HashMap::new(),
            order: VecDeque::new(),
            seq: 0,
            max: max.max(1),
            evictions: 0,
        }
    }

    /// The value of `key`, touched (made most recent); inserted with
    /// `make()` when absent, evicting the least recent key at the bound.
    /// The bool says whether it was inserted.
    pub fn touch_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> (&mut V, bool) {
        self.seq += 1;
        let seq = self.seq;
        let inserted = !self.map.contains_key(&key);
        if inserted && self.map.len() >= self.max {
            self.evict_one();
        }
        self.order.push_back((key.clone(), seq));
        if self.order.len() > 2 * self.max.max(self.map.len()) + 16 {
            self.compact();
        }
        let slot = self.map.entry(key).or_insert_with(|| (make(), seq));
        slot.1 = seq;
        (&mut slot.0, inserted)
    }

    /// The value of `key`, not touched.
    pub fn get(&self, key: &K) -> Option<&V> {
        self.map.get(key).map(|(v, _)| v)
    }

    /// Removes `key`.
    pub fn remove(&mut self, key: &K) -> Option<V> {
        self.map.remove(key).map(|(v, _)| v)
    }

    /// Keys held.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// None held.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Keys dropped to respect the bound.
    pub fn evictions(&self) -> u64 {
        self.evictions
    }

    fn evict_one(&mut self) {
        while let Some((k, s)) = self.order.pop_front() {
            if self.map.get(&k).is_some_and(|(_, cur)| *cur == s) {
                self.map.remove(&k);
                self.evictions += 1;
                return;
            }
        }
    }

    fn compact(&mut self) {
        let map = &self.map;
        self.order
            .retain(|(k, s)| map.get(k).is_some_and(|(_, cur)| cur == s));
    }
}

/// A set of at most `max` keys that forgets the least recently touched.
#[derive(Debug)]
pub struct RecentSet<K>(RecentMap<K, ()>);

impl<K: Hash + Eq + Clone> RecentSet<K> {
    /// Empty, holding at most `max` keys.
    pub fn new(max: usize) -> Self {
        RecentSet(RecentMap::new(max))
    }

    /// Adds (or touches) `key`; true when it was not held.
    pub fn insert(&mut self, key: K) -> bool {
        self.0.touch_or_insert_with(key, || ()).1
    }

    /// Whether `key` is held (without touching it).
    pub fn contains(&self, key: &K) -> bool {
        self.0.get(key).is_some()
    }

    /// Keys held.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// None held.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Keys dropped to respect the bound.
    pub fn evictions(&self) -> u64 {
        self.0.evictions()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_least_recently_touched() {
        let mut m: RecentMap<u32, u32> = RecentMap::new(3);
        for k in 0..3 {
            assert!(m.touch_or_insert_with(k, || k * 10).1);
        }
        // touch 0: 1 is now the least recent
        let (v, new) = m.touch_or_insert_with(0, || 99);
        assert_eq!((*v, new), (0, false));
        m.touch_or_insert_with(3, || 30);
        assert_eq!(m.len(), 3);
        assert_eq!(m.get(&1), None);
        assert_eq!(m.get(&0), Some(&0));
        assert_eq!(m.evictions(), 1);
        assert_eq!(m.remove(&0), Some(0));
        assert_eq!(m.len(), 2);
    }

    #[test]
    fn flood_stays_bounded() {
        let mut s: RecentSet<u64> = RecentSet::new(1000);
        // one hot key touched throughout a flood of distinct keys survives
        for k in 0..100_000u64 {
            s.insert(k + 1);
            s.insert(0);
            assert!(s.len() <= 1000);
            assert!(s.0.order.len() <= 2 * 1000 + 16);
        }
        assert!(s.contains(&0));
        assert!(s.contains(&100_000));
        assert!(!s.contains(&1));
        assert_eq!(s.evictions(), 100_000 + 1 - 1000);
        // a key touched over and over does not grow the queue
        let mut s: RecentSet<u8> = RecentSet::new(4);
        for _ in 0..10_000 {
            assert!(!s.insert(7) || s.len() == 1);
        }
        assert!(s.0.order.len() <= 2 * 4 + 16);
    }
}
