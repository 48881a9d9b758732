//! A hash map with a hard entry bound, shared by the threshold table and
//! the xbits store.
//!
//! When full, an insert first sweeps entries the caller says are expired
//! (at most once per packet-time second, so a flood does not rescan the
//! table on every insert), then evicts the oldest live entry (insertion
//! order, refreshed by [`BoundedMap::touch`]) and counts it. The order
//! queue holds lazily-deleted stamps and is compacted when it grows past
//! twice the bound, so memory stays proportional to the bound.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

pub(crate) struct BoundedMap<K, V> {
    map: HashMap<K, (V, u64)>,
    order: VecDeque<(K, u64)>,
    next_stamp: u64,
    max: usize,
    evictions: u64,
    last_sweep: Option<u64>,
}

impl<K: Hash + Eq + Clone, V> BoundedMap<K, V> {
    /// A map holding at most `max` entries (at least 1).
    pub(crate) fn new(max: usize) -> Self {
        BoundedMap {
            map: HashMap::new(),
            order: VecDeque::new(),
            next_stamp: 0,
            max: max.max(1),
            evictions: 0,
            last_sweep: None,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    pub(crate) fn evictions(&self) -> u64 {
        self.evictions
    }

    pub(crate) fn get(&self, k: &K) -> Option<&V> {
        self.map.get(k).map(|(v, _)| v)
    }

    pub(crate) fn get_mut(&mut self, k: &K) -> Option<&mut V> {
        self.map.get_mut(k).map(|(v, _)| v)
    }

    pub(crate) fn remove(&mut self, k: &K) -> Option<V> {
        self.map.remove(k).map(|(v, _)| v)
    }

    /// Marks `k` as the newest entry (it is evicted last).
    pub(crate) fn touch(&mut self, k: &K) {
        let stamp = self.next_stamp;
        if let Some((_, s)) = self.map.get_mut(k) {
            *s = stamp;
            self.next_stamp += 1;
            self.order.push_back((k.clone(), stamp));
            self.compact_if_needed();
        }
    }

    /// Inserts or replaces `k`; makes room first if the map is full.
    pub(crate) fn insert(
        &mut self,
        k: K,
        v: V,
        now: u64,
        expired: impl Fn(&V, u64) -> bool,
    ) -> &mut V {
        if !self.map.contains_key(&k) && self.map.len() >= self.max {
            self.make_room(now, &expired);
        }
        let stamp = self.next_stamp;
        self.next_stamp += 1;
        self.order.push_back((k.clone(), stamp));
        self.compact_if_needed();
        match self.map.entry(k) {
            Entry::Occupied(mut o) => {
                *o.get_mut() = (v, stamp);
                &mut o.into_mut().0
            }
            Entry::Vacant(e) => &mut e.insert((v, stamp)).0,
        }
    }

    /// Removes every entry `expired` says is over.
    pub(crate) fn sweep(&mut self, now: u64, expired: impl Fn(&V, u64) -> bool) {
        self.map.retain(|_, (v, _)| !expired(v, now));
        self.last_sweep = Some(now);
        self.compact_if_needed();
    }

    fn make_room(&mut self, now: u64, expired: &impl Fn(&V, u64) -> bool) {
        if self.last_sweep != Some(now) {
            self.sweep(now, expired);
        }
        while self.map.len() >= self.max {
            let Some((k, stamp)) = self.order.pop_front() else {
                break;
            };
            if self.map.get(&k).is_some_and(|(_, s)| *s == stamp) {
                self.map.remove(&k);
                self.evictions += 1;
            }
        }
    }

    fn compact_if_needed(&mut self) {
        if self.order.len() > self.max.saturating_mul(2).saturating_add(16) {
            let map = &self.map;
            self.order
                .retain(|(k, stamp)| map.get(k).is_some_and(|(_, s)| s == stamp));
        }
    }

    #[cfg(test)]
    pub(crate) fn order_len(&self) -> usize {
        self.order.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn never(_: &u64, _: u64) -> bool {
        false
    }

    #[test]
    fn evicts_oldest_when_full() {
        let mut m: BoundedMap<u32, u64> = BoundedMap::new(3);
        for k in 0..3 {
            m.insert(k, 0, 0, never);
        }
        m.touch(&0);
        m.insert(3, 0, 0, never);
        assert_eq!(m.len(), 3);
        assert!(m.get(&0).is_some(), "touched entry survives");
        assert!(m.get(&1).is_none(), "oldest untouched entry evicted");
        assert_eq!(m.evictions(), 1);
    }

    #[test]
    fn sweeps_expired_before_evicting() {
        let mut m: BoundedMap<u32, u64> = BoundedMap::new(2);
        m.insert(1, 5, 0, |v, now| *v < now);
        m.insert(2, 100, 0, |v, now| *v < now);
        // At time 10, entry 1 (expiry 5) is over: it goes, 2 stays.
        m.insert(3, 100, 10, |v, now| *v < now);
        assert!(m.get(&1).is_none());
        assert!(m.get(&2).is_some());
        assert_eq!(m.evictions(), 0);
    }

    #[test]
    fn order_queue_stays_bounded() {
        let mut m: BoundedMap<u32, u64> = BoundedMap::new(4);
        for i in 0..10_000u32 {
            m.insert(i % 4, 0, 0, never);
            m.touch(&(i % 4));
        }
        assert!(m.order_len() <= 4 * 2 + 16 + 1);
        for i in 0..10_000u32 {
            m.insert(i, 0, u64::from(i), never);
        }
        assert_eq!(m.len(), 4);
        assert!(m.order_len() <= 4 * 2 + 16 + 1);
    }

    #[test]
    fn zero_bound_is_one() {
        let mut m: BoundedMap<u32, u64> = BoundedMap::new(0);
        m.insert(1, 1, 0, never);
        m.insert(2, 2, 0, never);
        assert_eq!(m.len(), 1);
        assert_eq!(m.get(&2), Some(&2));
        assert_eq!(m.remove(&2), Some(2));
        assert!(m.get_mut(&2).is_none());
    }
}
