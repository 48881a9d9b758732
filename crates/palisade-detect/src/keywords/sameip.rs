//! `sameip`: the source address equals the destination address. Takes no
//! value.

use crate::packet::PacketView;

/// The `sameip` option.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct SameIp;

impl SameIp {
    /// Parses the (empty) option value.
    pub fn parse(value: &str) -> Result<Self, String> {
        if value.trim().is_empty() {
            Ok(SameIp)
        } else {
            Err(format!("sameip: takes no value, got `{}`", value.trim()))
        }
    }

    /// True if source and destination are the same address.
    pub fn matches(&self, p: &PacketView) -> bool {
        p.src == p.dst
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keywords::testutil::{ipv4_packet, A};

    #[test]
    fn matches_same() {
        let k = SameIp::parse("").unwrap();
        let mut p = ipv4_packet(6);
        assert!(!k.matches(&p));
        p.dst = A;
        assert!(k.matches(&p));
        assert!(SameIp::parse("yes").is_err());
    }
}
