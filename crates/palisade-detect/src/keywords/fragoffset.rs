//! `fragoffset:[!|<|>]N`: the IP fragment offset.
//!
//! As in Suricata, IPv4 compares the header's 13-bit offset field (units of
//! 8 bytes, so `fragoffset:1` is byte offset 8) and IPv6 compares the
//! fragment header's offset in bytes; IPv6 packets without a fragment
//! header (offset 0 and no more-fragments bit in the view) never match.

use crate::packet::PacketView;

/// How the offset is compared.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FragOffsetMode {
    /// `N`
    Eq,
    /// `!N`
    Ne,
    /// `<N`
    Lt,
    /// `>N`
    Gt,
}

/// A parsed `fragoffset` option.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct FragOffset {
    /// The comparison.
    pub mode: FragOffsetMode,
    /// The value compared against.
    pub offset: u16,
}

impl FragOffset {
    /// Parses the option value.
    pub fn parse(value: &str) -> Result<Self, String> {
        let v = value.trim();
        let (mode, rest) = match v.as_bytes().first() {
            Some(b'!') => (FragOffsetMode::Ne, &v[1..]),
            Some(b'<') => (FragOffsetMode::Lt, &v[1..]),
            Some(b'>') => (FragOffsetMode::Gt, &v[1..]),
            _ => (FragOffsetMode::Eq, v),
        };
        let digits = rest.trim_start();
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("fragoffset: `{v}` is not [!|<|>]<number>"));
        }
        let offset = digits
            .parse::<u16>()
            .map_err(|_| format!("fragoffset: `{digits}` is larger than 65535"))?;
        Ok(FragOffset { mode, offset })
    }

    /// True if the packet's fragment offset satisfies the comparison.
    pub fn matches(&self, p: &PacketView) -> bool {
        let frag = if p.src.is_ipv4() {
            p.frag_offset / 8
        } else {
            if p.frag_offset == 0 && !p.frag_mf {
                return false;
            }
            p.frag_offset
        };
        match self.mode {
            FragOffsetMode::Eq => frag == self.offset,
            FragOffsetMode::Ne => frag != self.offset,
            FragOffsetMode::Lt => frag < self.offset,
            FragOffsetMode::Gt => frag > self.offset,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keywords::testutil::{ipv4_packet, ipv6_packet};

    #[test]
    fn matches_offset() {
        let mut p = ipv4_packet(17);
        assert!(FragOffset::parse("0").unwrap().matches(&p));
        assert!(!FragOffset::parse(">0").unwrap().matches(&p));
        p.frag_offset = 1480;
        assert!(FragOffset::parse(">0").unwrap().matches(&p));
        assert!(
            FragOffset::parse("185").unwrap().matches(&p),
            "IPv4 compares 8-byte units"
        );
        assert!(FragOffset::parse("!0").unwrap().matches(&p));
        assert!(FragOffset::parse("< 186").unwrap().matches(&p));
        let mut v6 = ipv6_packet(17);
        assert!(
            !FragOffset::parse("0").unwrap().matches(&v6),
            "no fragment header"
        );
        v6.frag_mf = true;
        assert!(FragOffset::parse("0").unwrap().matches(&v6));
        v6.frag_offset = 1448;
        assert!(FragOffset::parse("1448").unwrap().matches(&v6));
    }

    #[test]
    fn rejects() {
        for bad in ["", "!", "<>1", "=1", "65536", "1x", "-1", ">=1"] {
            assert!(FragOffset::parse(bad).is_err(), "{bad}");
        }
    }
}
