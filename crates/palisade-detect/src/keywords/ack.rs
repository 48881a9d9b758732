//! `ack`: an exact TCP acknowledgement number (`ack:0`). TCP packets only.

use super::seq::parse_u32;
use crate::packet::PacketView;

/// A parsed `ack` option.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Ack {
    /// The acknowledgement number to match.
    pub ack: u32,
}

impl Ack {
    /// Parses the option value: a decimal 32-bit number.
    pub fn parse(value: &str) -> Result<Self, String> {
        parse_u32(value)
            .map(|ack| Ack { ack })
            .map_err(|e| format!("ack: {e}"))
    }

    /// True for a TCP packet with this acknowledgement number.
    pub fn matches(&self, p: &PacketView) -> bool {
        p.tcp.is_some_and(|t| t.ack == self.ack)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keywords::testutil::{ipv4_packet, tcp_packet};

    #[test]
    fn matches_ack() {
        let mut p = tcp_packet(0x10);
        if let Some(t) = p.tcp.as_mut() {
            t.ack = 1;
        }
        assert!(Ack::parse("1").unwrap().matches(&p));
        assert!(!Ack::parse("0").unwrap().matches(&p));
        assert!(!Ack::parse("0").unwrap().matches(&ipv4_packet(1)));
        assert!(Ack::parse("abc").unwrap_err().starts_with("ack: "));
    }
}
