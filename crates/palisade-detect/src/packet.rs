//! What the engine sees of a packet: a plain view filled by the pipeline.
//!
//! The engine does not depend on the decoder's types, so the same view can
//! be built from a live capture, a test table row or a fuzz input, and the
//! naive evaluator and the prefiltered engine read exactly the same fields.

use std::net::IpAddr;

/// TCP header fields for header keywords.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct TcpView {
    /// Flags byte: FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20, ECE 0x40, CWR 0x80.
    pub flags: u8,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgement number.
    pub ack: u32,
    /// Window (unscaled).
    pub window: u16,
    /// MSS option, if present.
    pub mss: Option<u16>,
}

/// ICMP / ICMPv6 header fields.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct IcmpView {
    /// Type.
    pub itype: u8,
    /// Code.
    pub icode: u8,
    /// Echo identifier (echo request/reply only).
    pub id: Option<u16>,
    /// Echo sequence (echo request/reply only).
    pub seq: Option<u16>,
}

/// The flow a packet belongs to, as detection needs it.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct FlowView {
    /// The packet goes client → server (the flow's initiator is the client).
    pub to_server: bool,
    /// TCP: three-way handshake completed; UDP/other: packets seen both ways.
    pub established: bool,
    /// The flow is tracked by the stream engine (TCP session with reassembly).
    pub has_stream: bool,
    /// Stream bytes seen client → server so far (for `stream_size`), by sequence numbers.
    pub toserver_bytes: u64,
    /// Stream bytes seen server → client so far.
    pub toclient_bytes: u64,
}

/// One packet as the engine inspects it.
#[derive(Copy, Clone, Debug)]
pub struct PacketView<'a> {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// Source port (0 without ports).
    pub sport: u16,
    /// Destination port (0 without ports).
    pub dport: u16,
    /// IP protocol (after IPv6 extension headers).
    pub ip_proto: u8,
    /// TTL / hop limit.
    pub ttl: u8,
    /// IPv4 identification; IPv6: fragment header id if any, else 0.
    pub ip_id: u32,
    /// IPv4 options bytes (empty for IPv6 or none).
    pub ip_options: &'a [u8],
    /// More-fragments bit.
    pub frag_mf: bool,
    /// Don't-fragment bit (IPv4).
    pub frag_df: bool,
    /// Reserved bit (IPv4).
    pub frag_rf: bool,
    /// Fragment offset in bytes.
    pub frag_offset: u16,
    /// TCP fields for TCP packets.
    pub tcp: Option<TcpView>,
    /// ICMP fields for ICMP / ICMPv6 packets.
    pub icmp: Option<IcmpView>,
    /// The layer-4 payload (or the IP payload for other protocols).
    pub payload: &'a [u8],
    /// The flow, if the packet belongs to one.
    pub flow: Option<FlowView>,
}

impl<'a> PacketView<'a> {
    /// A minimal view for tests and tools: addresses, protocol, ports and payload.
    pub fn new(
        src: IpAddr,
        dst: IpAddr,
        ip_proto: u8,
        sport: u16,
        dport: u16,
        payload: &'a [u8],
    ) -> Self {
        PacketView {
            src,
            dst,
            sport,
            dport,
            ip_proto,
            ttl: 64,
            ip_id: 0,
            ip_options: &[],
            frag_mf: false,
            frag_df: false,
            frag_rf: false,
            frag_offset: 0,
            tcp: None,
            icmp: None,
            payload,
            flow: None,
        }
    }
}

/// IP protocol numbers used by the engine.
pub mod ipproto {
    /// ICMP
    pub const ICMP: u8 = 1;
    /// TCP
    pub const TCP: u8 = 6;
    /// UDP
    pub const UDP: u8 = 17;
    /// ICMPv6
    pub const ICMPV6: u8 = 58;
    /// SCTP
    pub const SCTP: u8 = 132;
}
