//! Bounded counting for the scan and flood detectors: a small
//! HyperLogLog, a capped set of recently seen keys, address hashing, and
//! batch eviction from bounded maps.
//!
//! Why these and not exact sets: an attacker chooses how many distinct
//! sources, ports and hosts we see (spoofed floods send millions), so every
//! per-key structure must have a size fixed by configuration. A HyperLogLog
//! of `2^p` one-byte registers estimates any number of distinct items with
//! a relative standard error of about `1.04 / sqrt(2^p)`; a [`Recent`] set
//! is exact but holds at most the threshold it is compared with, which is
//! all a "≥ N distinct in the window" decision needs.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;

/// splitmix64's finaliser: a fast, well-mixed 64-bit hash of a 64-bit value.
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A 64-bit hash of an address (deterministic: results are reproducible
/// run to run, as offline analysis must be).
pub fn hash_ip(ip: &IpAddr) -> u64 {
    match ip {
        IpAddr::V4(a) => mix64(u64::from(u32::from(*a))),
        IpAddr::V6(a) => {
            let v = u128::from(*a);
            mix64((v >> 64) as u64 ^ mix64(v as u64 ^ 0x6a09_e667_f3bc_c908))
        }
    }
}

/// A HyperLogLog distinct-count estimator with `2^p` registers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hll {
    p: u8,
    regs: Box<[u8]>,
}

impl Hll {
    /// Smallest precision accepted.
    pub const MIN_P: u8 = 4;
    /// Largest precision accepted.
    pub const MAX_P: u8 = 16;

    /// An empty estimator with precision `p` (clamped to 4..=16): `2^p`
    /// bytes, relative standard error about `1.04 / sqrt(2^p)` (p = 8:
    /// 256 bytes, 6.5 %; p = 10: 1 KiB, 3.3 %; p = 12: 4 KiB, 1.6 %).
    pub fn new(p: u8) -> Hll {
        let p = p.clamp(Self::MIN_P, Self::MAX_P);
        Hll {
            p,
            regs: vec![0u8; 1usize << p].into_boxed_slice(),
        }
    }

    /// Adds an item given by its (well-mixed) 64-bit hash.
    pub fn insert_hash(&mut self, h: u64) {
        let idx = (h >> (64 - u32::from(self.p))) as usize;
        // the remaining bits, with a sentinel so the rank is bounded
        let w = (h << self.p) | (1u64 << (self.p - 1));
        let rank = (w.leading_zeros() + 1) as u8;
        if let Some(r) = self.regs.get_mut(idx) {
            if rank > *r {
                *r = rank;
            }
        }
    }

    /// The estimated number of distinct items added.
    pub fn estimate(&self) -> u64 {
        let m = self.regs.len() as f64;
        let alpha = match self.regs.len() {
            16 => 0.673,
            32 => 0.697,
            64 => 0.709,
            _ => 0.7213 / (1.0 + 1.079 / m),
        };
        let mut sum = 0.0f64;
        let mut zeros = 0usize;
        for &r in self.regs.iter() {
            sum += 2f64.powi(-i32::from(r));
            if r == 0 {
                zeros += 1;
            }
        }
        let raw = alpha * m * m / sum;
        let est = if raw <= 2.5 * m && zeros > 0 {
            // small range: linear counting is far more accurate
            m * (m / zeros as f64).ln()
        } else {
            raw
        };
        est.round() as u64
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.regs.iter_mut().for_each(|r| *r = 0);
    }

    /// Bytes of registers.
    pub fn size(&self) -> usize {
        self.regs.len()
    }
}

/// A capped set of keys with the second each was last seen: exact distinct
/// counting inside a sliding window, never holding more than `cap` keys
/// (callers pass their threshold as the cap: beyond it the answer is
/// already "at least the threshold").
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recent<T> {
    items: Vec<(T, u32)>,
}

impl<T: Copy + Eq> Recent<T> {
    /// Empty.
    pub fn new() -> Self {
        Recent { items: Vec::new() }
    }

    /// Records `key` seen at second `now`. When it is new, keys older than
    /// `window` seconds are dropped first and it is added if fewer than
    /// `cap` are held. Returns whether it was new and the number of
    /// distinct keys now held (seen within the window, at most `cap`).
    pub fn note(&mut self, key: T, now: u64, window: u64, cap: usize) -> (bool, usize) {
        let now32 = u32::try_from(now).unwrap_or(u32::MAX);
        if let Some(e) = self.items.iter_mut().find(|(k, _)| *k == key) {
            e.1 = now32;
            return (false, self.items.len());
        }
        let window32 = u32::try_from(window).unwrap_or(u32::MAX);
        self.items
            .retain(|&(_, t)| now32.saturating_sub(t) < window32);
        if self.items.len() < cap {
            self.items.push((key, now32));
        }
        (true, self.items.len())
    }

    /// The keys held (at most `cap`), oldest first.
    pub fn keys(&self) -> impl Iterator<Item = T> + '_ {
        self.items.iter().map(|&(k, _)| k)
    }

    /// Number of keys held.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// None held.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// Removes the `n` entries of `map` with the lowest `score` (the least
/// recent, the quietest, ...) and returns them. One pass over the map, so
/// callers evict in batches (a sixteenth of the bound at a time) to keep
/// the cost per insert constant on average.
pub fn evict_lowest<K: Eq + Hash + Clone, V>(
    map: &mut HashMap<K, V>,
    n: usize,
    score: impl Fn(&V) -> u64,
) -> Vec<(K, V)> {
    let n = n.min(map.len());
    if n == 0 {
        return Vec::new();
    }
    let mut scores: Vec<u64> = map.values().map(&score).collect();
    let (_, &mut cutoff, _) = scores.select_nth_unstable(n - 1);
    let below = scores.iter().filter(|&&s| s < cutoff).count();
    let mut ties = n.saturating_sub(below);
    let keys: Vec<K> = map
        .iter()
        .filter(|(_, v)| {
            let s = score(v);
            if s < cutoff {
                true
            } else if s == cutoff && ties > 0 {
                ties -= 1;
                true
            } else {
                false
            }
        })
        .map(|(k, _)| k.clone())
        .collect();
    keys.into_iter()
        .filter_map(|k| map.remove(&k).map(|v| (k, v)))
        .collect()
}

/// How many entries to evict at once from a map bounded at `max`.
pub fn batch(max: usize) -> usize {
    (max / 16).max(1)
}

/// Joins a few displayable items with commas (evidence samples).
pub fn join<T: std::fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    let mut s = String::new();
    for (i, x) in items.into_iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&x.to_string());
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel_err(est: u64, n: u64) -> f64 {
        (est as f64 - n as f64).abs() / n as f64
    }

    #[test]
    fn hll_estimates() {
        assert_eq!(Hll::new(8).estimate(), 0);
        for &(p, n, tol) in &[
            (8u8, 10u64, 0.2),
            (8, 1_000, 0.15),
            (10, 100, 0.1),
            (10, 100_000, 0.08),
            (12, 1_000_000, 0.04),
        ] {
            let mut h = Hll::new(p);
            for i in 0..n {
                h.insert_hash(mix64(i));
                h.insert_hash(mix64(i)); // duplicates do not count
            }
            let e = h.estimate();
            assert!(rel_err(e, n) <= tol, "p={p} n={n} est={e}");
        }
        let mut h = Hll::new(99);
        assert_eq!(h.size(), 1 << 16);
        h.insert_hash(1);
        h.clear();
        assert_eq!(h.estimate(), 0);
        assert_eq!(Hll::new(0).size(), 16);
    }

    #[test]
    fn ip_hashes_differ() {
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let c: IpAddr = "::a00:1".parse().unwrap();
        assert_ne!(hash_ip(&a), hash_ip(&b));
        assert_ne!(hash_ip(&a), hash_ip(&c));
        assert_eq!(hash_ip(&a), hash_ip(&"10.0.0.1".parse().unwrap()));
    }

    #[test]
    fn recent_window_and_cap() {
        let mut r: Recent<u16> = Recent::new();
        assert_eq!(r.note(1, 100, 60, 3), (true, 1));
        assert_eq!(r.note(1, 110, 60, 3), (false, 1));
        assert_eq!(r.note(2, 120, 60, 3), (true, 2));
        // at 171, key 1 (last seen 110) is 61 s old: dropped
        assert_eq!(r.note(3, 171, 60, 3), (true, 2));
        assert_eq!(r.note(4, 172, 60, 3), (true, 3));
        // cap reached: not added, still 3
        assert_eq!(r.note(5, 173, 60, 3), (true, 3));
        assert_eq!(r.keys().collect::<Vec<_>>(), vec![2, 3, 4]);
        assert_eq!(r.len(), 3);
    }

    #[test]
    fn evicts_lowest() {
        let mut m: HashMap<u32, u64> = (0..100u32).map(|k| (k, u64::from(k % 10))).collect();
        let gone = evict_lowest(&mut m, 15, |v| *v);
        assert_eq!(gone.len(), 15);
        assert_eq!(m.len(), 85);
        // all ten with score 0 went, and five with score 1
        assert!(gone.iter().all(|(_, v)| *v <= 1));
        assert_eq!(m.values().filter(|&&v| v == 1).count(), 5);
        assert!(evict_lowest(&mut m, 0, |v| *v).is_empty());
        assert_eq!(evict_lowest(&mut m, 1000, |v| *v).len(), 85);
        assert_eq!(batch(16_384), 1024);
        assert_eq!(batch(3), 1);
        assert_eq!(join([1, 2, 3]), "1,2,3");
    }
}
