//! `ip_proto:[!|<|>]<name or number>`: the IP protocol (after IPv6
//! extension headers). Names are the `/etc/protocols` keywords Suricata
//! resolves through `getprotobyname` (`tcp`, `udp`, `icmp`, `ipv6-icmp`,
//! `gre`, `esp`, `ah`, `pim`, `sctp`, ...), matched case-insensitively;
//! numbers are decimal 0-255. Several `ip_proto` options in one rule all
//! have to match.

use crate::packet::PacketView;

/// How the protocol is compared.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum IpProtoOp {
    /// Equal.
    Eq,
    /// `!`: not equal.
    Ne,
    /// `<`: lower.
    Lt,
    /// `>`: greater.
    Gt,
}

/// A parsed `ip_proto` option.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct IpProto {
    /// The comparison.
    pub op: IpProtoOp,
    /// The protocol number.
    pub proto: u8,
}

/// Protocol names from the IANA list as shipped in `/etc/protocols`.
const NAMES: &[(&str, u8)] = &[
    ("ip", 0),
    ("hopopt", 0),
    ("icmp", 1),
    ("igmp", 2),
    ("ggp", 3),
    ("ipencap", 4),
    ("ipv4", 4),
    ("st", 5),
    ("tcp", 6),
    ("egp", 8),
    ("igp", 9),
    ("pup", 12),
    ("udp", 17),
    ("hmp", 20),
    ("xns-idp", 22),
    ("rdp", 27),
    ("iso-tp4", 29),
    ("dccp", 33),
    ("xtp", 36),
    ("ddp", 37),
    ("idpr-cmtp", 38),
    ("ipv6", 41),
    ("ipv6-route", 43),
    ("ipv6-frag", 44),
    ("idrp", 45),
    ("rsvp", 46),
    ("gre", 47),
    ("esp", 50),
    ("ah", 51),
    ("skip", 57),
    ("ipv6-icmp", 58),
    ("icmpv6", 58),
    ("ipv6-nonxt", 59),
    ("ipv6-opts", 60),
    ("rspf", 73),
    ("vmtp", 81),
    ("eigrp", 88),
    ("ospf", 89),
    ("ospfigp", 89),
    ("ax.25", 93),
    ("ipip", 94),
    ("etherip", 97),
    ("encap", 98),
    ("pim", 103),
    ("ipcomp", 108),
    ("vrrp", 112),
    ("l2tp", 115),
    ("isis", 124),
    ("sctp", 132),
    ("fc", 133),
    ("mobility-header", 135),
    ("udplite", 136),
    ("mpls-in-ip", 137),
    ("manet", 138),
    ("hip", 139),
    ("shim6", 140),
    ("wesp", 141),
    ("rohc", 142),
    ("ethernet", 143),
];

impl IpProto {
    /// Parses the option value.
    pub fn parse(value: &str) -> Result<Self, String> {
        let v = value.trim();
        let (op, rest) = match v.as_bytes().first() {
            Some(b'!') => (IpProtoOp::Ne, &v[1..]),
            Some(b'<') => (IpProtoOp::Lt, &v[1..]),
            Some(b'>') => (IpProtoOp::Gt, &v[1..]),
            _ => (IpProtoOp::Eq, v),
        };
        let arg = rest.trim_start();
        if arg.is_empty() || arg.contains(char::is_whitespace) {
            return Err(format!("ip_proto: `{v}` is not [!|<|>]<protocol>"));
        }
        let proto = if arg.as_bytes()[0].is_ascii_digit() {
            if !arg.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("ip_proto: malformed protocol number `{arg}`"));
            }
            arg.parse::<u8>()
                .map_err(|_| format!("ip_proto: protocol number `{arg}` is larger than 255"))?
        } else {
            NAMES
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(arg))
                .map(|(_, p)| *p)
                .ok_or_else(|| format!("ip_proto: unknown protocol name `{arg}`"))?
        };
        Ok(IpProto { op, proto })
    }

    /// True if the packet's protocol satisfies the comparison.
    pub fn matches(&self, p: &PacketView) -> bool {
        match self.op {
            IpProtoOp::Eq => p.ip_proto == self.proto,
            IpProtoOp::Ne => p.ip_proto != self.proto,
            IpProtoOp::Lt => p.ip_proto < self.proto,
            IpProtoOp::Gt => p.ip_proto > self.proto,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keywords::testutil::ipv4_packet;

    #[test]
    fn names_and_numbers() {
        assert_eq!(IpProto::parse("103").unwrap().proto, 103);
        assert_eq!(IpProto::parse("PIM").unwrap().proto, 103);
        assert_eq!(IpProto::parse("tcp").unwrap().proto, 6);
        assert_eq!(IpProto::parse("IPv6-ICMP").unwrap().proto, 58);
        assert_eq!(IpProto::parse("gre").unwrap().proto, 47);
        assert_eq!(IpProto::parse("esp").unwrap().proto, 50);
        let ne = IpProto::parse("! udp").unwrap();
        assert_eq!((ne.op, ne.proto), (IpProtoOp::Ne, 17));
    }

    #[test]
    fn matches_proto() {
        let p = ipv4_packet(47);
        assert!(IpProto::parse("gre").unwrap().matches(&p));
        assert!(!IpProto::parse("!47").unwrap().matches(&p));
        assert!(IpProto::parse("!6").unwrap().matches(&p));
        assert!(IpProto::parse(">46").unwrap().matches(&p));
        assert!(!IpProto::parse(">47").unwrap().matches(&p));
        assert!(IpProto::parse("<48").unwrap().matches(&p));
        assert!(!IpProto::parse("<47").unwrap().matches(&p));
    }

    #[test]
    fn rejects() {
        for bad in ["", "!", "256", "nosuchproto", "6x", "tcp udp", "<>6", "-1"] {
            let e = IpProto::parse(bad).unwrap_err();
            assert!(e.starts_with("ip_proto: "), "{bad}: {e}");
        }
    }
}
