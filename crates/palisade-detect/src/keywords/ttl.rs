//! `ttl`: the IPv4 time-to-live or IPv6 hop limit, with Suricata's 8-bit
//! integer syntax (`ttl:0`, `ttl:<3`, `ttl:3-7`, ...).

use super::uint::UintCmp;
use crate::packet::PacketView;

/// A parsed `ttl` option.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Ttl {
    /// The comparison applied to the TTL / hop limit.
    pub cmp: UintCmp,
}

impl Ttl {
    /// Parses the option value.
    pub fn parse(value: &str) -> Result<Self, String> {
        UintCmp::parse_max(value, u8::MAX.into())
            .map(|cmp| Ttl { cmp })
            .map_err(|e| format!("ttl: {e}"))
    }

    /// True if the packet's TTL / hop limit satisfies the comparison.
    pub fn matches(&self, p: &PacketView) -> bool {
        self.cmp.matches(p.ttl.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keywords::testutil::ipv4_packet;

    #[test]
    fn matches_ttl() {
        let mut p = ipv4_packet(6);
        p.ttl = 0;
        assert!(Ttl::parse("0").unwrap().matches(&p));
        assert!(Ttl::parse("<3").unwrap().matches(&p));
        p.ttl = 5;
        assert!(!Ttl::parse("0").unwrap().matches(&p));
        assert!(Ttl::parse("3-7").unwrap().matches(&p));
        assert!(!Ttl::parse("5-7").unwrap().matches(&p));
        assert!(Ttl::parse(">=5").unwrap().matches(&p));
    }

    #[test]
    fn rejects() {
        assert!(Ttl::parse("256").is_err());
        assert!(Ttl::parse(">255").is_err());
        let e = Ttl::parse("x").unwrap_err();
        assert!(e.starts_with("ttl: "), "{e}");
    }
}
