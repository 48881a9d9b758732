//! `seq`: an exact TCP sequence number (`seq:0`). TCP packets only.

use crate::packet::PacketView;

/// A parsed `seq` option.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Seq {
    /// The sequence number to match.
    pub seq: u32,
}

impl Seq {
    /// Parses the option value: a decimal 32-bit number.
    pub fn parse(value: &str) -> Result<Self, String> {
        parse_u32(value)
            .map(|seq| Seq { seq })
            .map_err(|e| format!("seq: {e}"))
    }

    /// True for a TCP packet with this sequence number.
    pub fn matches(&self, p: &PacketView) -> bool {
        p.tcp.is_some_and(|t| t.seq == self.seq)
    }
}

/// A decimal `u32` (surrounding spaces allowed).
pub(crate) fn parse_u32(value: &str) -> Result<u32, String> {
    let v = value.trim();
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("`{v}` is not a decimal number"));
    }
    v.parse::<u32>()
        .map_err(|_| format!("`{v}` does not fit in 32 bits"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keywords::testutil::{ipv4_packet, tcp_packet};

    #[test]
    fn matches_seq() {
        let mut p = tcp_packet(0);
        assert!(Seq::parse("0").unwrap().matches(&p));
        if let Some(t) = p.tcp.as_mut() {
            t.seq = 4_294_967_295;
        }
        assert!(Seq::parse(" 4294967295 ").unwrap().matches(&p));
        assert!(!Seq::parse("0").unwrap().matches(&p));
        assert!(!Seq::parse("0").unwrap().matches(&ipv4_packet(17)));
        for bad in ["", "-1", "4294967296", ">5", "0x10", "1 2"] {
            assert!(Seq::parse(bad).is_err(), "{bad}");
        }
    }
}
