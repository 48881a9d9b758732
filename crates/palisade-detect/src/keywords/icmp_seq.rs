//! `icmp_seq`: the ICMP / ICMPv6 echo sequence number, 16-bit integer
//! syntax (a quoted number is accepted). Matches only packets whose view
//! carries a sequence number (echo request / reply).

use super::id::strip_quotes;
use super::uint::UintCmp;
use crate::packet::PacketView;

/// A parsed `icmp_seq` option.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct IcmpSeq {
    /// The comparison applied to the sequence number.
    pub cmp: UintCmp,
}

impl IcmpSeq {
    /// Parses the option value.
    pub fn parse(value: &str) -> Result<Self, String> {
        UintCmp::parse_max(strip_quotes(value), u16::MAX.into())
            .map(|cmp| IcmpSeq { cmp })
            .map_err(|e| format!("icmp_seq: {e}"))
    }

    /// True for an ICMP echo packet whose sequence satisfies the comparison.
    pub fn matches(&self, p: &PacketView) -> bool {
        p.icmp
            .and_then(|i| i.seq)
            .is_some_and(|s| self.cmp.matches(s.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keywords::testutil::icmp_packet;

    #[test]
    fn matches_seq() {
        let p = icmp_packet(0, 0, Some(3), Some(7));
        assert!(IcmpSeq::parse("7").unwrap().matches(&p));
        assert!(!IcmpSeq::parse("0").unwrap().matches(&p));
        assert!(IcmpSeq::parse(">5").unwrap().matches(&p));
        assert!(!IcmpSeq::parse("7")
            .unwrap()
            .matches(&icmp_packet(11, 0, None, None)));
        assert!(IcmpSeq::parse("x").unwrap_err().starts_with("icmp_seq: "));
    }
}
