//! `dsize`: the packet's payload length with Suricata's 16-bit integer
//! syntax (`dsize:0`, `dsize:>128`, `dsize:300<>400` exclusive). It looks
//! at the packet payload, never at reassembled stream data; the engine
//! evaluates it on packets only.

use super::uint::UintCmp;
use crate::packet::PacketView;

/// A parsed `dsize` option.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Dsize {
    /// The comparison applied to the payload length.
    pub cmp: UintCmp,
}

impl Dsize {
    /// Parses the option value.
    pub fn parse(value: &str) -> Result<Self, String> {
        UintCmp::parse_max(value, u16::MAX.into())
            .map(|cmp| Dsize { cmp })
            .map_err(|e| format!("dsize: {e}"))
    }

    /// True if the payload length satisfies the comparison.
    pub fn matches(&self, p: &PacketView) -> bool {
        self.cmp.matches(p.payload.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keywords::testutil::{A, B};

    #[test]
    fn matches_len() {
        let four = [0u8; 4];
        let p = PacketView::new(A, B, 1, 0, 0, &four);
        assert!(Dsize::parse("4").unwrap().matches(&p));
        assert!(!Dsize::parse("0").unwrap().matches(&p));
        assert!(Dsize::parse(">0").unwrap().matches(&p));
        assert!(Dsize::parse("3<>5").unwrap().matches(&p));
        assert!(!Dsize::parse("4<>6").unwrap().matches(&p));
        let empty = PacketView::new(A, B, 6, 1, 2, &[]);
        assert!(Dsize::parse("0").unwrap().matches(&empty));
        assert!(Dsize::parse("<1").unwrap().matches(&empty));
        assert!(Dsize::parse("65536").is_err());
    }
}
