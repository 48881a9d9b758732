//! Maps keyed by port, looked up once or more for every inspected packet.
//!
//! Why not `std::collections::HashMap`: its SipHash costs about as much as
//! the rest of a port lookup, and it is there against tables that an
//! attacker fills. These tables are filled once, from the rules, when the
//! rule set is built; packets only look keys up, so a port in a packet
//! cannot lengthen a probe sequence, and a multiplicative hash is enough.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A map from port to `V`, built from rules and read per packet.
pub type PortMap<V> = HashMap<u16, V, BuildHasherDefault<PortHasher>>;

/// Fibonacci hashing of a port: multiplication by 2^64 / phi spreads
/// neighbouring ports over the whole word, whose top bits hashbrown uses.
#[derive(Default, Clone, Copy)]
pub struct PortHasher(u64);

const PHI: u64 = 0x9e37_79b9_7f4a_7c15;

impl Hasher for PortHasher {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }

    #[inline]
    fn write_u16(&mut self, v: u16) {
        self.0 = (self.0 ^ u64::from(v)).wrapping_mul(PHI);
    }

    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(PHI);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_port_is_found_and_absent_ports_are_not() {
        let mut m: PortMap<u32> = PortMap::default();
        for p in (0..=u16::MAX).step_by(7) {
            m.insert(p, u32::from(p) * 3);
        }
        for p in 0..=u16::MAX {
            assert_eq!(m.get(&p).copied(), (p % 7 == 0).then(|| u32::from(p) * 3));
        }
    }

    #[test]
    fn neighbouring_ports_hash_apart() {
        let h = |p: u16| {
            let mut s = PortHasher::default();
            s.write_u16(p);
            s.finish() >> 57
        };
        let tops: std::collections::HashSet<u64> = (80..208).map(h).collect();
        assert!(tops.len() > 64, "top bits of 128 ports: {}", tops.len());
    }
}
