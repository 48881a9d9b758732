//! Counting distinct values in bounded memory.
//!
//! Incidents report how many devices or user names an attacker tried;
//! an exact set would grow with the attack. [`Distinct`] counts exactly
//! up to [`EXACT`] values (what most incidents see), then switches to a
//! HyperLogLog of 256 one-byte registers (about 6.5 % standard error), so
//! one counter never takes more than about 0.5 KiB.

use std::hash::{DefaultHasher, Hash, Hasher};

/// Values counted exactly before switching to the estimate.
pub const EXACT: usize = 32;
const REGISTERS: usize = 256;

/// An approximate distinct counter.
#[derive(Clone, Debug, Default)]
pub struct Distinct {
    exact: Vec<u64>,
    hll: Option<Box<[u8; REGISTERS]>>,
}

fn hash64<T: Hash + ?Sized>(v: &T) -> u64 {
    // SipHash with fixed keys: the same value always hashes the same.
    let mut h = DefaultHasher::new();
    v.hash(&mut h);
    h.finish()
}

impl Distinct {
    /// Empty.
    pub fn new() -> Self {
        Distinct::default()
    }

    /// Counts `v`.
    pub fn insert<T: Hash + ?Sized>(&mut self, v: &T) {
        let h = hash64(v);
        if let Some(regs) = &mut self.hll {
            Self::add(regs, h);
            return;
        }
        if self.exact.contains(&h) {
            return;
        }
        if self.exact.len() < EXACT {
            self.exact.push(h);
            return;
        }
        let mut regs = Box::new([0u8; REGISTERS]);
        for &x in self.exact.iter().chain(std::iter::once(&h)) {
            Self::add(&mut regs, x);
        }
        self.exact = Vec::new();
        self.hll = Some(regs);
    }

    fn add(regs: &mut [u8; REGISTERS], h: u64) {
        let idx = (h >> 56) as usize;
        let rest = h << 8;
        // position of the first 1 bit in the remaining 56 bits (1-based)
        let rank = (rest.leading_zeros().min(56) + 1) as u8;
        if let Some(r) = regs.get_mut(idx) {
            if rank > *r {
                *r = rank;
            }
        }
    }

    /// The count (exact up to [`EXACT`], estimated beyond).
    pub fn count(&self) -> u64 {
        let Some(regs) = &self.hll else {
            return self.exact.len() as u64;
        };
        let m = REGISTERS as f64;
        let sum: f64 = regs.iter().map(|&r| 2f64.powi(-i32::from(r))).sum();
        let alpha = 0.7213 / (1.0 + 1.079 / m);
        let est = alpha * m * m / sum;
        let zeros = regs.iter().filter(|&&r| r == 0).count();
        let est = if est <= 2.5 * m && zeros > 0 {
            // linear counting for the small range
            m * (m / zeros as f64).ln()
        } else {
            est
        };
        // never below what was counted exactly before the switch
        (est.round() as u64).max(EXACT as u64 + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_when_small() {
        let mut d = Distinct::new();
        assert_eq!(d.count(), 0);
        for i in 0..EXACT as u32 {
            d.insert(&i);
            d.insert(&i);
        }
        assert_eq!(d.count(), EXACT as u64);
        assert!(d.hll.is_none());
    }

    #[test]
    fn estimate_within_error_and_bounded() {
        for n in [33u64, 100, 1_000, 50_000] {
            let mut d = Distinct::new();
            for i in 0..n {
                d.insert(&i);
                d.insert(&i);
            }
            let c = d.count() as f64;
            let err = (c - n as f64).abs() / n as f64;
            assert!(err < 0.2, "n={n} estimate={c}");
            assert!(d.exact.is_empty());
        }
    }
}
