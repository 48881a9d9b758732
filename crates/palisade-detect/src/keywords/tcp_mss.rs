//! `tcp.mss`: the TCP MSS option value with Suricata's 16-bit integer
//! syntax. Does not match when the option is absent.

use super::uint::UintCmp;
use crate::packet::PacketView;

/// A parsed `tcp.mss` option.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct TcpMss {
    /// The comparison applied to the MSS.
    pub cmp: UintCmp,
}

impl TcpMss {
    /// Parses the option value.
    pub fn parse(value: &str) -> Result<Self, String> {
        UintCmp::parse_max(value, u16::MAX.into())
            .map(|cmp| TcpMss { cmp })
            .map_err(|e| format!("tcp.mss: {e}"))
    }

    /// True for a TCP packet carrying an MSS option that satisfies the comparison.
    pub fn matches(&self, p: &PacketView) -> bool {
        p.tcp
            .and_then(|t| t.mss)
            .is_some_and(|m| self.cmp.matches(m.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keywords::testutil::tcp_packet;

    #[test]
    fn matches_mss() {
        let mut p = tcp_packet(0x02);
        let k = TcpMss::parse("<536").unwrap();
        assert!(!k.matches(&p), "no option, no match");
        if let Some(t) = p.tcp.as_mut() {
            t.mss = Some(512);
        }
        assert!(k.matches(&p));
        assert!(TcpMss::parse("500-600").unwrap().matches(&p));
        assert!(!TcpMss::parse("1460").unwrap().matches(&p));
        assert!(TcpMss::parse("70000").is_err());
    }
}
