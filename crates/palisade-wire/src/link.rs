//! Link types: what the first byte of a captured packet is.

/// The link layer of a capture, from the pcap/pcapng LINKTYPE value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Link {
    /// Ethernet II (LINKTYPE_ETHERNET 1).
    Ethernet,
    /// BSD null: 4-byte family in host byte order (LINKTYPE_NULL 0).
    Null,
    /// OpenBSD loopback: 4-byte family in network byte order
    /// (LINKTYPE_LOOP 108).
    Loop,
    /// Raw IP, version nibble decides (LINKTYPE_RAW 101, and the DLT_RAW
    /// values 12 and 14 some files carry).
    Raw,
    /// Raw IPv4 (LINKTYPE_IPV4 228).
    Ipv4,
    /// Raw IPv6 (LINKTYPE_IPV6 229).
    Ipv6,
    /// Linux cooked capture v1 (LINKTYPE_LINUX_SLL 113).
    LinuxSll,
    /// Linux cooked capture v2 (LINKTYPE_LINUX_SLL2 276).
    LinuxSll2,
    /// Any other LINKTYPE (decoding raises `UnsupportedLinkType`).
    Unknown(u32),
}

impl Link {
    /// Maps a LINKTYPE value.
    pub const fn from_linktype(lt: u32) -> Link {
        match lt {
            1 => Link::Ethernet,
            0 => Link::Null,
            108 => Link::Loop,
            101 | 12 | 14 => Link::Raw,
            228 => Link::Ipv4,
            229 => Link::Ipv6,
            113 => Link::LinuxSll,
            276 => Link::LinuxSll2,
            other => Link::Unknown(other),
        }
    }

    /// The canonical LINKTYPE value (101 for raw).
    pub const fn linktype(self) -> u32 {
        match self {
            Link::Ethernet => 1,
            Link::Null => 0,
            Link::Loop => 108,
            Link::Raw => 101,
            Link::Ipv4 => 228,
            Link::Ipv6 => 229,
            Link::LinuxSll => 113,
            Link::LinuxSll2 => 276,
            Link::Unknown(v) => v,
        }
    }

    /// Every link palisade decodes (for tests and listings).
    pub const SUPPORTED: [Link; 8] = [
        Link::Ethernet,
        Link::Null,
        Link::Loop,
        Link::Raw,
        Link::Ipv4,
        Link::Ipv6,
        Link::LinuxSll,
        Link::LinuxSll2,
    ];
}

impl From<u32> for Link {
    fn from(lt: u32) -> Link {
        Link::from_linktype(lt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linktypes() {
        let cases = [
            (1, Link::Ethernet),
            (0, Link::Null),
            (108, Link::Loop),
            (101, Link::Raw),
            (12, Link::Raw),
            (14, Link::Raw),
            (228, Link::Ipv4),
            (229, Link::Ipv6),
            (113, Link::LinuxSll),
            (276, Link::LinuxSll2),
            (105, Link::Unknown(105)),
        ];
        for (lt, l) in cases {
            assert_eq!(Link::from_linktype(lt), l);
            assert_eq!(Link::from(lt), l);
        }
        for l in Link::SUPPORTED {
            assert_eq!(Link::from_linktype(l.linktype()), l);
        }
        assert_eq!(Link::Unknown(147).linktype(), 147);
    }
}
