//! The seeded pseudo-random generator and the pool of random payload bytes.
//!
//! xoshiro256++ (Blackman and Vigna) seeded through SplitMix64: small, fast,
//! and with no dependency whose version bump could change the stream. Only
//! integer arithmetic is used to draw values (no `ln`, no platform libm), so
//! the same seed gives the same bytes on every machine.

/// SplitMix64: expands one `u64` seed into well-mixed state words.
#[derive(Clone, Debug)]
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// xoshiro256++ generator.
#[derive(Clone, Debug)]
pub(crate) struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator whose whole stream is fixed by `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        let mut sm = SplitMix64::new(seed);
        Rng {
            s: [sm.next_u64(), sm.next_u64(), sm.next_u64(), sm.next_u64()],
        }
    }

    #[inline]
    pub(crate) fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    #[inline]
    pub(crate) fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    #[inline]
    pub(crate) fn next_u16(&mut self) -> u16 {
        (self.next_u64() >> 48) as u16
    }

    /// Uniform in `0..n` (Lemire's multiply-high; the tiny bias is irrelevant
    /// for traffic shapes). `n == 0` gives 0.
    #[inline]
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// Uniform in `lo..=hi` (`hi < lo` gives `lo`).
    #[inline]
    pub(crate) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `per_mille / 1000`.
    #[inline]
    pub(crate) fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    /// `base` varied by up to `pct` percent either way.
    #[inline]
    pub(crate) fn jitter(&mut self, base: u64, pct: u64) -> u64 {
        let span = base / 100 * pct;
        base - span + self.below(2 * span + 1)
    }

    /// Uniform float in `[0, 1)` from the top 53 bits.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// One element of a non-empty slice.
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// Fills `buf` with random bytes.
    pub(crate) fn fill(&mut self, buf: &mut [u8]) {
        let mut chunks = buf.chunks_exact_mut(8);
        for c in &mut chunks {
            c.copy_from_slice(&self.next_u64().to_le_bytes());
        }
        let rest = chunks.into_remainder();
        if !rest.is_empty() {
            let v = self.next_u64().to_le_bytes();
            let n = rest.len();
            rest.copy_from_slice(&v[..n]);
        }
    }

    /// Appends `n` lowercase hex digits.
    pub(crate) fn push_hex(&mut self, out: &mut Vec<u8>, n: usize) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        for _ in 0..n {
            out.push(HEX[self.below(16) as usize]);
        }
    }
}

/// Size of the random byte pool.
pub(crate) const POOL_SIZE: usize = 128 * 1024;

/// A block of random bytes drawn once from the seed. Encrypted records and
/// video payloads are cut from it at random offsets: copying is several times
/// cheaper than drawing fresh bytes per packet, and the result is just as
/// incompressible to an IDS.
pub(crate) struct RandomPool {
    bytes: Vec<u8>,
}

impl RandomPool {
    pub(crate) fn new(rng: &mut Rng) -> Self {
        let mut bytes = vec![0u8; POOL_SIZE];
        rng.fill(&mut bytes);
        RandomPool { bytes }
    }

    /// Appends `n` random-looking bytes to `out`.
    pub(crate) fn push(&self, rng: &mut Rng, out: &mut Vec<u8>, mut n: usize) {
        while n > 0 {
            let take = n.min(POOL_SIZE / 2);
            let off = rng.below((POOL_SIZE - take) as u64) as usize;
            out.extend_from_slice(&self.bytes[off..off + take]);
            n -= take;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_reference_values() {
        // First outputs of SplitMix64 seeded with 0 (reference implementation).
        let mut sm = SplitMix64::new(0);
        assert_eq!(sm.next_u64(), 0xe220_a839_7b1d_cdaf);
        assert_eq!(sm.next_u64(), 0x6e78_9e6a_a1b9_65f4);
    }

    #[test]
    fn same_seed_same_stream_and_seeds_differ() {
        let mut a = Rng::new(42);
        let mut b = Rng::new(42);
        let mut c = Rng::new(43);
        let va: Vec<u64> = (0..16).map(|_| a.next_u64()).collect();
        let vb: Vec<u64> = (0..16).map(|_| b.next_u64()).collect();
        let vc: Vec<u64> = (0..16).map(|_| c.next_u64()).collect();
        assert_eq!(va, vb);
        assert_ne!(va, vc);
    }

    #[test]
    fn bounded_draws_stay_in_bounds_and_cover() {
        let mut r = Rng::new(7);
        let mut seen = [false; 10];
        for _ in 0..10_000 {
            let v = r.range(5, 14);
            assert!((5..=14).contains(&v));
            seen[(v - 5) as usize] = true;
            let j = r.jitter(1000, 10);
            assert!((900..=1100).contains(&j));
            let u = r.unit();
            assert!((0.0..1.0).contains(&u));
        }
        assert!(seen.iter().all(|&s| s));
        assert_eq!(r.below(0), 0);
        assert_eq!(r.range(9, 3), 9);
    }

    #[test]
    fn fill_and_pool_are_deterministic() {
        let mut r = Rng::new(1);
        let mut buf = [0u8; 13];
        r.fill(&mut buf);
        assert!(buf.iter().any(|&b| b != 0));
        let pool = RandomPool::new(&mut Rng::new(9));
        let mut out = Vec::new();
        pool.push(&mut Rng::new(3), &mut out, POOL_SIZE + 100);
        assert_eq!(out.len(), POOL_SIZE + 100);
        let mut again = Vec::new();
        RandomPool::new(&mut Rng::new(9)).push(&mut Rng::new(3), &mut again, POOL_SIZE + 100);
        assert_eq!(out, again);
    }
}
