//! `id`: the IPv4 identification field, with Suricata's 16-bit integer
//! syntax (`id:1`, `id:!0`, `id:>1000`). A quoted number (`id:"1"`) is
//! accepted as older Suricata versions did. IPv4 packets only.

use super::uint::UintCmp;
use crate::packet::PacketView;

/// A parsed `id` option.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct IpId {
    /// The comparison applied to the IP ID.
    pub cmp: UintCmp,
}

impl IpId {
    /// Parses the option value.
    pub fn parse(value: &str) -> Result<Self, String> {
        UintCmp::parse_max(strip_quotes(value), u16::MAX.into())
            .map(|cmp| IpId { cmp })
            .map_err(|e| format!("id: {e}"))
    }

    /// True for an IPv4 packet whose ID satisfies the comparison.
    pub fn matches(&self, p: &PacketView) -> bool {
        p.src.is_ipv4() && self.cmp.matches(p.ip_id.into())
    }
}

/// Removes one pair of surrounding double quotes, if present.
pub(crate) fn strip_quotes(value: &str) -> &str {
    let v = value.trim();
    v.strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .map(str::trim)
        .unwrap_or(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keywords::testutil::{ipv4_packet, ipv6_packet};

    #[test]
    fn matches_id() {
        let mut p = ipv4_packet(6);
        p.ip_id = 1;
        assert!(IpId::parse("1").unwrap().matches(&p));
        assert!(IpId::parse("\"1\"").unwrap().matches(&p));
        assert!(!IpId::parse("2").unwrap().matches(&p));
        assert!(IpId::parse("!2").unwrap().matches(&p));
        let mut v6 = ipv6_packet(6);
        v6.ip_id = 1;
        assert!(!IpId::parse("1").unwrap().matches(&v6), "IPv4 only");
    }

    #[test]
    fn rejects() {
        assert!(IpId::parse("65536").is_err());
        assert!(IpId::parse("\"").is_err());
        assert!(IpId::parse("").is_err());
        assert!(IpId::parse("1,2").unwrap_err().starts_with("id: "));
    }
}
