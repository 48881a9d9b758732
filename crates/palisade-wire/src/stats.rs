//! Decoder counters, one set per worker, merged for reporting.
//!
//! Names follow Suricata's `stats.decoder` object where Suricata has the
//! counter (`pkts`, `bytes`, `invalid`, `ipv4`, `vlan_qinq`, ...), so a
//! dashboard built for Suricata reads palisade's numbers unchanged. Event
//! counters are kept in a dense array indexed by [`DecodeEvent::index`];
//! Suricata nests them as `decoder.event.<layer>.<name>`, which is the
//! event name without its `decoder.` prefix.

use crate::anomaly::{DecodeEvent, DECODE_EVENT_COUNT};

macro_rules! decode_stats {
    ($( $(#[$doc:meta])* $field:ident, )*) => {
        /// Per-worker decoder counters.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct DecodeStats {
            $( $(#[$doc])* pub $field: u64, )*
            /// Count of each anomaly, indexed by [`DecodeEvent::index`]
            /// (anomalies beyond a packet's `MAX_ANOMALIES` included).
            pub events: [u64; DECODE_EVENT_COUNT],
        }

        impl Default for DecodeStats {
            fn default() -> Self {
                DecodeStats { $( $field: 0, )* events: [0; DECODE_EVENT_COUNT] }
            }
        }

        impl DecodeStats {
            /// Names of the plain counters, in [`Self::counters`] order.
            pub const COUNTER_NAMES: &'static [&'static str] = &[$( stringify!($field), )*];

            /// Adds another worker's counters to these.
            pub fn merge(&mut self, other: &DecodeStats) {
                $( self.$field = self.$field.wrapping_add(other.$field); )*
                for (a, b) in self.events.iter_mut().zip(other.events.iter()) {
                    *a = a.wrapping_add(*b);
                }
            }

            /// The plain counters as (Suricata name, value), in a fixed
            /// order, zeros included.
            pub fn counters(&self) -> impl Iterator<Item = (&'static str, u64)> {
                [$( (stringify!($field), self.$field), )*].into_iter()
            }
        }
    };
}

decode_stats! {
    /// Packets decoded (reassembled packets are not counted again).
    pkts,
    /// Bytes of those packets (original wire length).
    bytes,
    /// Packets whose decoding broke before reaching an IP or ARP layer
    /// (truncated or malformed link headers, unsupported link types).
    /// Well-formed frames of a protocol palisade does not decode (LLDP,
    /// STP, ...) are counted in `unknown_ethertype` instead.
    invalid,
    /// Ethernet headers (inner ones included).
    ethernet,
    /// ARP packets.
    arp,
    /// Packets with at least one VLAN tag (first tag).
    vlan,
    /// Second VLAN tags (QinQ).
    vlan_qinq,
    /// Third and deeper VLAN tags.
    vlan_qinqinq,
    /// IPv4 layers.
    ipv4,
    /// IPv6 layers.
    ipv6,
    /// TCP segments.
    tcp,
    /// UDP datagrams.
    udp,
    /// ICMPv4 messages.
    icmpv4,
    /// ICMPv6 messages.
    icmpv6,
    /// SCTP packets (not decoded further).
    sctp,
    /// GRE packets.
    gre,
    /// ERSPAN packets (types I, II and III).
    erspan,
    /// VXLAN packets.
    vxlan,
    /// TZSP packets.
    tzsp,
    /// IPv4 inside IPv4.
    ipv4_in_ipv4,
    /// IPv6 inside IPv4 (6in4, protocol 41).
    ipv6_in_ipv4,
    /// IPv4 inside IPv6.
    ipv4_in_ipv6,
    /// IPv6 inside IPv6.
    ipv6_in_ipv6,
    /// IPv4 fragments.
    ipv4_frag,
    /// IPv6 fragments.
    ipv6_frag,
    /// Linux cooked v1 headers.
    sll,
    /// Linux cooked v2 headers.
    sll2,
    /// BSD null / loopback headers.
    null,
    /// Raw IP packets (LINKTYPE_RAW, _IPV4, _IPV6).
    raw,
    /// Frames with an EtherType palisade does not decode (802.3 LLC
    /// frames included).
    unknown_ethertype,
    /// Packets that nested more layers than `MAX_FRAMES`.
    too_many_layers,
    /// Checksums verified (IPv4 headers and upper layers each count).
    checksum_checked,
    /// Checksums found wrong.
    checksum_bad,
}

impl DecodeStats {
    /// Counts one anomaly.
    #[inline]
    pub fn count_event(&mut self, ev: DecodeEvent) {
        if let Some(c) = self.events.get_mut(ev.index()) {
            *c = c.wrapping_add(1);
        }
    }

    /// How often `ev` was raised.
    #[inline]
    pub fn event(&self, ev: DecodeEvent) -> u64 {
        self.events.get(ev.index()).copied().unwrap_or(0)
    }

    /// Every anomaly with its count (zeros included), in
    /// [`DecodeEvent::ALL`] order.
    pub fn event_counters(&self) -> impl Iterator<Item = (DecodeEvent, u64)> + '_ {
        DecodeEvent::ALL.iter().map(move |&ev| (ev, self.event(ev)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_and_iterate() {
        let mut a = DecodeStats {
            pkts: 2,
            ipv4: 1,
            ..Default::default()
        };
        a.count_event(DecodeEvent::Ipv4TruncPkt);
        let mut b = DecodeStats {
            pkts: 3,
            vlan_qinq: 4,
            checksum_bad: 1,
            ..Default::default()
        };
        b.count_event(DecodeEvent::Ipv4TruncPkt);
        b.count_event(DecodeEvent::TcpSynFin);
        a.merge(&b);
        assert_eq!(a.pkts, 5);
        assert_eq!(a.ipv4, 1);
        assert_eq!(a.vlan_qinq, 4);
        assert_eq!(a.checksum_bad, 1);
        assert_eq!(a.event(DecodeEvent::Ipv4TruncPkt), 2);
        assert_eq!(a.event(DecodeEvent::TcpSynFin), 1);
        let c: Vec<_> = a.counters().collect();
        assert_eq!(c.len(), DecodeStats::COUNTER_NAMES.len());
        assert_eq!(c[0], ("pkts", 5));
        assert!(c.contains(&("vlan_qinq", 4)));
        for name in [
            "pkts",
            "bytes",
            "invalid",
            "ipv4",
            "ipv6",
            "ethernet",
            "arp",
            "sll",
            "tcp",
            "udp",
            "icmpv4",
            "icmpv6",
            "gre",
            "vlan",
            "vlan_qinq",
            "vxlan",
            "erspan",
            "ipv4_in_ipv6",
            "ipv6_in_ipv6",
            "too_many_layers",
        ] {
            assert!(DecodeStats::COUNTER_NAMES.contains(&name), "{name}");
        }
        let ev: Vec<_> = a.event_counters().filter(|(_, n)| *n > 0).collect();
        assert_eq!(
            ev,
            vec![(DecodeEvent::Ipv4TruncPkt, 2), (DecodeEvent::TcpSynFin, 1)]
        );
        assert_eq!(a.event_counters().count(), DecodeEvent::ALL.len());
    }
}
