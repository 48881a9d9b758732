//! `icmp_id`: the ICMP / ICMPv6 echo identifier, 16-bit integer syntax
//! (a quoted number is accepted). Matches only packets whose view carries
//! an identifier (echo request / reply).

use super::id::strip_quotes;
use super::uint::UintCmp;
use crate::packet::PacketView;

/// A parsed `icmp_id` option.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct IcmpId {
    /// The comparison applied to the identifier.
    pub cmp: UintCmp,
}

impl IcmpId {
    /// Parses the option value.
    pub fn parse(value: &str) -> Result<Self, String> {
        UintCmp::parse_max(strip_quotes(value), u16::MAX.into())
            .map(|cmp| IcmpId { cmp })
            .map_err(|e| format!("icmp_id: {e}"))
    }

    /// True for an ICMP echo packet whose identifier satisfies the comparison.
    pub fn matches(&self, p: &PacketView) -> bool {
        p.icmp
            .and_then(|i| i.id)
            .is_some_and(|id| self.cmp.matches(id.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keywords::testutil::icmp_packet;

    #[test]
    fn matches_id() {
        let p = icmp_packet(8, 0, Some(0), Some(7));
        assert!(IcmpId::parse("0").unwrap().matches(&p));
        assert!(IcmpId::parse("\"0\"").unwrap().matches(&p));
        assert!(!IcmpId::parse("1").unwrap().matches(&p));
        assert!(!IcmpId::parse("0")
            .unwrap()
            .matches(&icmp_packet(3, 1, None, None)));
        assert!(IcmpId::parse("65536").is_err());
    }
}
