//! Decode anomalies: what was odd about a packet.
//!
//! Names follow Suricata's decoder events (`decoder.ipv4.trunc_pkt`, ...) so
//! that EVE `anomaly` records read the same as Suricata's. The decoder reports
//! and carries on wherever it can; it never decides what is an attack.

macro_rules! decode_events {
    ($( $(#[$doc:meta])* $variant:ident => $name:literal, )*) => {
        /// One decode anomaly.
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum DecodeEvent {
            /// Placeholder for unused slots; never reported.
            #[default]
            None,
            $( $(#[$doc])* $variant, )*
        }

        impl DecodeEvent {
            /// Every event, for statistics tables.
            pub const ALL: &'static [DecodeEvent] = &[$(DecodeEvent::$variant,)*];

            /// Suricata-style event name, e.g. `decoder.ipv4.trunc_pkt`.
            pub const fn name(self) -> &'static str {
                match self {
                    DecodeEvent::None => "none",
                    $( DecodeEvent::$variant => $name, )*
                }
            }

            /// Dense index for counter arrays (0 is `None`).
            pub const fn index(self) -> usize {
                self as usize
            }
        }

        /// Number of distinct events including `None` (size of counter arrays).
        pub const DECODE_EVENT_COUNT: usize = 1 + [$($name,)*].len();
    };
}

decode_events! {
    /// Link type palisade cannot decode.
    UnsupportedLinkType => "decoder.unsupported_linktype",
    /// Ethernet frame shorter than its header.
    EthernetPktTooSmall => "decoder.ethernet.pkt_too_small",
    /// EtherType palisade does not decode.
    EthernetUnknownEtherType => "decoder.ethernet.unknown_ethertype",
    /// Linux cooked (SLL) header truncated.
    SllPktTooSmall => "decoder.sll.pkt_too_small",
    /// Linux cooked v2 (SLL2) header truncated.
    Sll2PktTooSmall => "decoder.sll2.pkt_too_small",
    /// BSD null/loopback header truncated.
    NullPktTooSmall => "decoder.null.pkt_too_small",
    /// BSD null/loopback family palisade does not decode.
    NullUnsupportedType => "decoder.null.unsupported_type",
    /// VLAN header truncated.
    VlanHeaderTooSmall => "decoder.vlan.header_too_small",
    /// More VLAN tags than palisade tracks.
    VlanTooManyLayers => "decoder.vlan.too_many_layers",
    /// VLAN tag with an EtherType palisade does not decode.
    VlanUnknownType => "decoder.vlan.unknown_type",
    /// ARP packet truncated.
    ArpPktTooSmall => "decoder.arp.pkt_too_small",
    /// IPv4 packet shorter than the minimal header.
    Ipv4PktTooSmall => "decoder.ipv4.pkt_too_small",
    /// IPv4 header length field below 20.
    Ipv4HlenTooSmall => "decoder.ipv4.hlen_too_small",
    /// IPv4 total length smaller than the header length.
    Ipv4IplenSmallerThanHlen => "decoder.ipv4.iplen_smaller_than_hlen",
    /// Captured bytes end before the IPv4 total length.
    Ipv4TruncPkt => "decoder.ipv4.trunc_pkt",
    /// Version field is not 4 in an IPv4 context.
    Ipv4WrongIpVersion => "decoder.ipv4.wrong_ip_version",
    /// IPv4 option malformed (bad length, truncated).
    Ipv4OptMalformed => "decoder.ipv4.opt_malformed",
    /// IPv4 option of unknown type.
    Ipv4OptUnknown => "decoder.ipv4.opt_unknown",
    /// IPv4 option repeated where it must not be.
    Ipv4OptDuplicate => "decoder.ipv4.opt_duplicate",
    /// IPv4 option list without end-of-list padding where expected.
    Ipv4OptPadRequired => "decoder.ipv4.opt_pad_required",
    /// IPv4 fragment whose end would pass 65535 bytes.
    Ipv4FragPktTooLarge => "decoder.ipv4.frag_pkt_too_large",
    /// IPv4 header checksum wrong (only when validating).
    Ipv4InvalidChecksum => "decoder.ipv4.invalid_checksum",
    /// IPv6 packet shorter than its header.
    Ipv6PktTooSmall => "decoder.ipv6.pkt_too_small",
    /// Captured bytes end before the IPv6 payload length.
    Ipv6TruncPkt => "decoder.ipv6.trunc_pkt",
    /// Version field is not 6 in an IPv6 context.
    Ipv6WrongIpVersion => "decoder.ipv6.wrong_ip_version",
    /// IPv6 extension header truncated.
    Ipv6TruncExthdr => "decoder.ipv6.trunc_exthdr",
    /// More extension headers than palisade walks.
    Ipv6ExthdrTooMany => "decoder.ipv6.exthdr_too_many",
    /// An extension header that must appear once appeared again.
    Ipv6ExthdrDuplFh => "decoder.ipv6.exthdr_dupl_fh",
    /// IPv6 fragment header in a packet that is not fragmented (offset 0, M=0).
    Ipv6ExthdrUselessFh => "decoder.ipv6.exthdr_useless_fh",
    /// Routing header type 0 (deprecated, RFC 5095).
    Ipv6Rh0 => "decoder.ipv6.rh_type_0",
    /// PadN option with zero length in a hop-by-hop or destination options
    /// header (as Suricata's `ipv6.zero_len_padn`).
    Ipv6ZeroLenPadn => "decoder.ipv6.zero_len_padn",
    /// IPv6 packet inside IPv6 whose version is not 6.
    Ipv6InIpv6WrongVersion => "decoder.ipv6.ipv6_in_ipv6_wrong_version",
    /// Unknown next header.
    Ipv6UnknownNextHeader => "decoder.ipv6.unknown_next_header",
    /// TCP segment shorter than its header.
    TcpPktTooSmall => "decoder.tcp.pkt_too_small",
    /// TCP data offset below 5 words or past the packet.
    TcpHlenTooSmall => "decoder.tcp.hlen_too_small",
    /// TCP option length invalid.
    TcpInvalidOptlen => "decoder.tcp.invalid_optlen",
    /// TCP options overrun the header.
    TcpOptInvalidLen => "decoder.tcp.opt_invalid_len",
    /// TCP option repeated.
    TcpOptDuplicate => "decoder.tcp.opt_duplicate",
    /// TCP checksum wrong (only when validating).
    TcpInvalidChecksum => "decoder.tcp.invalid_checksum",
    /// SYN and FIN together.
    TcpSynFin => "decoder.tcp.syn_fin",
    /// SYN and RST together.
    TcpSynRst => "decoder.tcp.syn_rst",
    /// No flags at all (null scan).
    TcpNullFlags => "decoder.tcp.null_flags",
    /// Port 0 in a TCP header.
    TcpZeroPort => "decoder.tcp.zero_port",
    /// UDP datagram shorter than its header.
    UdpPktTooSmall => "decoder.udp.pkt_too_small",
    /// UDP length field disagrees with the IP payload.
    UdpHlenInvalid => "decoder.udp.hlen_invalid",
    /// UDP length field below 8.
    UdpHlenTooSmall => "decoder.udp.hlen_too_small",
    /// UDP checksum wrong (only when validating).
    UdpInvalidChecksum => "decoder.udp.invalid_checksum",
    /// ICMPv4 message shorter than its header.
    Icmpv4PktTooSmall => "decoder.icmpv4.pkt_too_small",
    /// ICMPv4 type palisade does not know.
    Icmpv4UnknownType => "decoder.icmpv4.unknown_type",
    /// ICMPv4 code not valid for its type.
    Icmpv4UnknownCode => "decoder.icmpv4.unknown_code",
    /// ICMPv4 checksum wrong (only when validating).
    Icmpv4InvalidChecksum => "decoder.icmpv4.invalid_checksum",
    /// ICMPv6 message shorter than its header.
    Icmpv6PktTooSmall => "decoder.icmpv6.pkt_too_small",
    /// ICMPv6 type palisade does not know.
    Icmpv6UnknownType => "decoder.icmpv6.unknown_type",
    /// ICMPv6 carried over IPv4.
    Icmpv6Ipv4 => "decoder.icmpv6.ipv4_with_icmpv6",
    /// ICMPv6 checksum wrong (only when validating).
    Icmpv6InvalidChecksum => "decoder.icmpv6.invalid_checksum",
    /// GRE header truncated.
    GrePktTooSmall => "decoder.gre.pkt_too_small",
    /// GRE version palisade does not decode.
    GreWrongVersion => "decoder.gre.wrong_version",
    /// GRE payload protocol palisade does not decode.
    GreUnknownProto => "decoder.gre.unknown_proto",
    /// ERSPAN header truncated.
    ErspanPktTooSmall => "decoder.erspan.pkt_too_small",
    /// ERSPAN version palisade does not decode.
    ErspanUnsupportedVersion => "decoder.erspan.unsupported_version",
    /// VXLAN header truncated or with the I flag unset.
    VxlanInvalid => "decoder.vxlan.invalid",
    /// TZSP header truncated or malformed.
    TzspInvalid => "decoder.tzsp.invalid",
    /// TZSP encapsulation palisade does not decode.
    TzspUnknownEncap => "decoder.tzsp.unknown_encapsulation",
    /// IP-in-IP inner packet malformed.
    IpipInvalid => "decoder.ipv4.ipip_invalid",
    /// More nested layers (tunnels) than palisade decodes.
    TooManyLayers => "decoder.too_many_layers",
    /// Captured length shorter than the original length (snaplen cut).
    PktTruncatedBySnaplen => "decoder.snaplen_truncated",
    /// Raw-IP link whose first nibble is neither 4 nor 6.
    IpRawInvalidIpv => "decoder.ipraw.invalid_ip_version",
    /// Second routing header.
    Ipv6ExthdrDuplRh => "decoder.ipv6.exthdr_dupl_rh",
    /// Second hop-by-hop header.
    Ipv6ExthdrDuplHh => "decoder.ipv6.exthdr_dupl_hh",
    /// Third destination options header (two are allowed: before the
    /// routing header and before the upper layer).
    Ipv6ExthdrDuplDh => "decoder.ipv6.exthdr_dupl_dh",
    /// Second authentication header.
    Ipv6ExthdrDuplAh => "decoder.ipv6.exthdr_dupl_ah",
    /// An option runs past its hop-by-hop / destination options header.
    Ipv6ExthdrInvalidOptlen => "decoder.ipv6.exthdr_invalid_optlen",
    /// AH reserved field not zero.
    Ipv6ExthdrAhResNotNull => "decoder.ipv6.exthdr_ah_res_not_null",
    /// Hop-by-hop option of an unknown type.
    Ipv6HopoptsUnknownOpt => "decoder.ipv6.hopopts_unknown_opt",
    /// Hop-by-hop header holding only padding (a covert channel carrier).
    Ipv6HopoptsOnlyPadding => "decoder.ipv6.hopopts_only_padding",
    /// Destination option of an unknown type.
    Ipv6DstoptsUnknownOpt => "decoder.ipv6.dstopts_unknown_opt",
    /// Destination options header holding only padding.
    Ipv6DstoptsOnlyPadding => "decoder.ipv6.dstopts_only_padding",
    /// Fragment header with non-zero reserved bits.
    Ipv6FhNonZeroReservedField => "decoder.ipv6.fh_non_zero_reserved_field",
    /// Bytes after a "no next header" (59).
    Ipv6DataAfterNoneHeader => "decoder.ipv6.data_after_none_header",
    /// ICMPv4 carried over IPv6.
    Ipv6WithIcmpv4 => "decoder.ipv6.icmpv4",
    /// IPv6 fragment whose end would pass 65535 bytes.
    Ipv6FragPktTooLarge => "decoder.ipv6.frag_pkt_too_large",
    /// IPv4 inside IPv6 shorter than an IPv4 header.
    Ipv4InIpv6TooSmall => "decoder.ipv6.ipv4_in_ipv6_too_small",
    /// IPv4 inside IPv6 whose version is not 4.
    Ipv4InIpv6WrongVersion => "decoder.ipv6.ipv4_in_ipv6_wrong_version",
    /// IPv6 inside IPv6 shorter than an IPv6 header.
    Ipv6InIpv6TooSmall => "decoder.ipv6.ipv6_in_ipv6_too_small",
    /// ICMPv6 code not valid for its type.
    Icmpv6UnknownCode => "decoder.icmpv6.unknown_code",
    /// GRE source route entries malformed (endless or truncated list).
    GreVersion0MalformedSreHdr => "decoder.gre.version0_malformed_sre_hdr",
}

impl DecodeEvent {
    /// The layer name Suricata's stats group the event under (the middle part
    /// of the name), e.g. `ipv4` for `decoder.ipv4.trunc_pkt`.
    pub fn layer(self) -> &'static str {
        let n = self.name();
        let rest = n.strip_prefix("decoder.").unwrap_or(n);
        match rest.find('.') {
            Some(i) => &rest[..i],
            None => "decoder",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_prefixed() {
        let mut seen = std::collections::HashSet::new();
        for ev in DecodeEvent::ALL {
            assert!(ev.name().starts_with("decoder."), "{}", ev.name());
            assert!(seen.insert(ev.name()), "duplicate {}", ev.name());
            assert!(ev.index() < DECODE_EVENT_COUNT);
        }
        assert_eq!(DecodeEvent::Ipv4TruncPkt.layer(), "ipv4");
    }
}
