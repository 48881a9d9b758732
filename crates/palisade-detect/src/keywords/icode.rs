//! `icode`: the ICMP / ICMPv6 code with Suricata's 8-bit integer syntax.
//! ICMP packets only.

use super::uint::UintCmp;
use crate::packet::PacketView;

/// A parsed `icode` option.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ICode {
    /// The comparison applied to the code.
    pub cmp: UintCmp,
}

impl ICode {
    /// Parses the option value.
    pub fn parse(value: &str) -> Result<Self, String> {
        UintCmp::parse_max(value, u8::MAX.into())
            .map(|cmp| ICode { cmp })
            .map_err(|e| format!("icode: {e}"))
    }

    /// True for an ICMP packet whose code satisfies the comparison.
    pub fn matches(&self, p: &PacketView) -> bool {
        p.icmp.is_some_and(|i| self.cmp.matches(i.icode.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keywords::testutil::{icmp_packet, tcp_packet};

    #[test]
    fn matches_code() {
        let p = icmp_packet(3, 13, None, None);
        assert!(ICode::parse("13").unwrap().matches(&p));
        assert!(ICode::parse(">5").unwrap().matches(&p));
        assert!(!ICode::parse("0").unwrap().matches(&p));
        assert!(!ICode::parse(">=1").unwrap().matches(&tcp_packet(2)));
        assert!(ICode::parse("-1").is_err());
    }
}
