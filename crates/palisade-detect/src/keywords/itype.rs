//! `itype`: the ICMP / ICMPv6 type with Suricata's 8-bit integer syntax
//! (`itype:8`, `itype:>10`, `itype:10<>20` exclusive). ICMP packets only.

use super::uint::UintCmp;
use crate::packet::PacketView;

/// A parsed `itype` option.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct IType {
    /// The comparison applied to the type.
    pub cmp: UintCmp,
}

impl IType {
    /// Parses the option value.
    pub fn parse(value: &str) -> Result<Self, String> {
        UintCmp::parse_max(value, u8::MAX.into())
            .map(|cmp| IType { cmp })
            .map_err(|e| format!("itype: {e}"))
    }

    /// True for an ICMP packet whose type satisfies the comparison.
    pub fn matches(&self, p: &PacketView) -> bool {
        p.icmp.is_some_and(|i| self.cmp.matches(i.itype.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keywords::testutil::{icmp_packet, ipv4_packet};

    #[test]
    fn matches_type() {
        let p = icmp_packet(8, 0, Some(0), Some(0));
        assert!(IType::parse("8").unwrap().matches(&p));
        assert!(!IType::parse(">10").unwrap().matches(&p));
        assert!(IType::parse("7<>9").unwrap().matches(&p));
        assert!(!IType::parse("8<>10").unwrap().matches(&p));
        assert!(
            !IType::parse("8").unwrap().matches(&ipv4_packet(1)),
            "no ICMP header"
        );
        assert!(IType::parse("256").is_err());
    }
}
