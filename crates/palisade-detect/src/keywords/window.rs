//! `window`: the TCP window (unscaled), `window:[!]N` and the rest of
//! Suricata's 16-bit integer syntax. TCP packets only.

use super::uint::UintCmp;
use crate::packet::PacketView;

/// A parsed `window` option.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Window {
    /// The comparison applied to the window.
    pub cmp: UintCmp,
}

impl Window {
    /// Parses the option value.
    pub fn parse(value: &str) -> Result<Self, String> {
        UintCmp::parse_max(value, u16::MAX.into())
            .map(|cmp| Window { cmp })
            .map_err(|e| format!("window: {e}"))
    }

    /// True for a TCP packet whose window satisfies the comparison.
    pub fn matches(&self, p: &PacketView) -> bool {
        p.tcp.is_some_and(|t| self.cmp.matches(t.window.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keywords::testutil::{ipv4_packet, tcp_packet};

    #[test]
    fn matches_window() {
        let mut p = tcp_packet(0x02);
        if let Some(t) = p.tcp.as_mut() {
            t.window = 55808;
        }
        assert!(Window::parse("55808").unwrap().matches(&p));
        assert!(!Window::parse("!55808").unwrap().matches(&p));
        assert!(Window::parse("! 1024").unwrap().matches(&p));
        assert!(!Window::parse("55808").unwrap().matches(&ipv4_packet(17)));
        assert!(Window::parse("65536").is_err());
        assert!(Window::parse("abc").unwrap_err().starts_with("window: "));
    }
}
