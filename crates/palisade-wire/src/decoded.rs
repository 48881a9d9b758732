//! What the decoder hands the rest of palisade: the frames of one packet.
//!
//! A captured packet may hold several IP layers: a mirrored copy inside VXLAN,
//! GRE/ERSPAN or TZSP, or IP-in-IP. Like Suricata's tunnel pseudo-packets, each
//! IP layer becomes one [`Frame`], outermost first, and each frame is tracked as
//! a flow of its own (the mirror session's UDP flow and the mirrored TCP flow
//! inside it). Everything here borrows the capture's bytes: decoding never
//! allocates.

use crate::anomaly::DecodeEvent;

/// Most IP layers kept for one packet; deeper nesting raises
/// [`DecodeEvent::TooManyLayers`] and stops decoding.
pub const MAX_FRAMES: usize = 4;
/// Most decode anomalies kept for one packet; more are counted in
/// [`DecodedPacket::anomalies_dropped`].
pub const MAX_ANOMALIES: usize = 8;
/// VLAN ids that take part in the flow key (as Suricata's
/// `vlan.use-for-tracking`, the outermost ones).
pub const MAX_VLANS: usize = 3;

/// An IPv4 or IPv6 address kept as 16 bytes; IPv4 is stored in the first four
/// bytes with the rest zero, and `is_v4` in the owning [`IpInfo`] says which.
pub type Addr = [u8; 16];

/// Layer-4 protocol numbers palisade names (IANA protocol numbers).
pub mod ip_proto {
    /// ICMP
    pub const ICMP: u8 = 1;
    /// IPv4 encapsulation (IP-in-IP)
    pub const IPIP: u8 = 4;
    /// TCP
    pub const TCP: u8 = 6;
    /// UDP
    pub const UDP: u8 = 17;
    /// IPv6 encapsulation
    pub const IPV6: u8 = 41;
    /// GRE
    pub const GRE: u8 = 47;
    /// ICMPv6
    pub const ICMPV6: u8 = 58;
    /// SCTP
    pub const SCTP: u8 = 132;
}

/// Fragment facts of an IP layer that is a fragment (IPv4 MF/offset, or an
/// IPv6 Fragment extension header).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FragInfo {
    /// IPv4 identification (16 bits) or IPv6 fragment identification.
    pub id: u32,
    /// Offset of this fragment's data in the original payload, in bytes.
    pub offset: u32,
    /// More fragments follow.
    pub more: bool,
    /// Protocol of the reassembled payload (IPv4 protocol, or the next header
    /// named in the IPv6 fragment header).
    pub next_proto: u8,
    /// Byte offset, inside the frame's `ip` slice, where the fragment data
    /// starts (after the IPv4 header, or after the IPv6 fragment header).
    pub data_offset: u16,
}

/// The IP layer of a frame.
#[derive(Clone, Copy, Debug, Default)]
pub struct IpInfo<'a> {
    /// IPv4 (true) or IPv6.
    pub is_v4: bool,
    /// Source address.
    pub src: Addr,
    /// Destination address.
    pub dst: Addr,
    /// Final upper-layer protocol after IPv6 extension headers.
    pub proto: u8,
    /// TTL or hop limit.
    pub ttl: u8,
    /// IPv4 identification (0 for IPv6).
    pub id: u16,
    /// IPv4 header length including options / IPv6 header plus extension
    /// headers: where the upper layer starts inside `packet`.
    pub header_len: u16,
    /// The IP packet from its first header byte to the end of its payload as
    /// the IP length field says (trimmed of Ethernet padding; shorter if the
    /// capture was truncated, which raises an anomaly).
    pub packet: &'a [u8],
    /// Set when this layer is a fragment; `proto` is then the fragment's
    /// `next_proto` and no layer 4 was decoded.
    pub frag: Option<FragInfo>,
}

/// TCP header fields a flow engine needs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpInfo {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgement number (meaningful when ACK is set).
    pub ack: u32,
    /// Flags byte (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20,
    /// ECE 0x40, CWR 0x80).
    pub flags: u8,
    /// Receive window, unscaled.
    pub window: u16,
    /// MSS option if present.
    pub mss: Option<u16>,
    /// Window scale option if present.
    pub wscale: Option<u8>,
    /// SACK permitted option present.
    pub sack_permitted: bool,
    /// Timestamp option (value, echo reply) if present.
    pub timestamps: Option<(u32, u32)>,
}

/// TCP flag bits.
pub mod tcp_flags {
    /// FIN
    pub const FIN: u8 = 0x01;
    /// SYN
    pub const SYN: u8 = 0x02;
    /// RST
    pub const RST: u8 = 0x04;
    /// PSH
    pub const PSH: u8 = 0x08;
    /// ACK
    pub const ACK: u8 = 0x10;
    /// URG
    pub const URG: u8 = 0x20;
    /// ECE
    pub const ECE: u8 = 0x40;
    /// CWR
    pub const CWR: u8 = 0x80;
}

/// The upper layer of a frame.
#[derive(Clone, Copy, Debug, Default)]
pub enum L4 {
    /// TCP segment.
    Tcp(TcpInfo),
    /// UDP datagram.
    Udp {
        /// Source port.
        src_port: u16,
        /// Destination port.
        dst_port: u16,
    },
    /// ICMPv4 message.
    Icmp {
        /// Type.
        icmp_type: u8,
        /// Code.
        code: u8,
        /// Echo identifier, or 0.
        id: u16,
        /// Echo sequence, or 0.
        seq: u16,
    },
    /// ICMPv6 message.
    Icmpv6 {
        /// Type.
        icmp_type: u8,
        /// Code.
        code: u8,
        /// Echo identifier, or 0.
        id: u16,
        /// Echo sequence, or 0.
        seq: u16,
    },
    /// Another protocol (or a fragment, or a layer 4 too short to read): only
    /// the IP layer is known.
    #[default]
    None,
}

/// Result of checksum validation for a frame.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ChecksumStatus {
    /// Validation was off, or the layer has no checksum we check.
    #[default]
    NotChecked,
    /// Every checksum checked was right.
    Ok,
    /// The IPv4 header checksum was wrong.
    BadIp,
    /// The TCP/UDP/ICMP checksum was wrong.
    BadL4,
}

/// One IP layer of a packet and the upper layer on it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Frame<'a> {
    /// The IP layer.
    pub ip: IpInfo<'a>,
    /// The upper layer.
    pub l4: L4,
    /// The upper layer's payload (TCP data, UDP datagram data, ICMP body).
    pub payload: &'a [u8],
    /// VLAN ids on the way to this frame, outermost first (only the first
    /// `vlan_count` are meaningful).
    pub vlans: [u16; MAX_VLANS],
    /// Number of meaningful entries in `vlans`.
    pub vlan_count: u8,
    /// Identifies the encapsulation the frame arrived in, for the flow key:
    /// 0 for the outermost frame, otherwise a value derived from the tunnel
    /// (VXLAN VNI, GRE key, ERSPAN session id) and the tunnel kind.
    pub tunnel_id: u32,
    /// Depth of the frame: 0 outermost, 1 inside one tunnel, ...
    pub depth: u8,
    /// Bytes the frame counts for in flow byte totals: the whole captured
    /// packet for the outermost frame (as Suricata counts), the encapsulated
    /// packet's length for an inner one.
    pub len: u32,
    /// Checksum validation result.
    pub checksum: ChecksumStatus,
}

/// An ARP packet's facts (for statistics now, the inventory later).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ArpInfo {
    /// 1 request, 2 reply.
    pub op: u16,
    /// Sender hardware address.
    pub sender_mac: [u8; 6],
    /// Sender protocol (IPv4) address.
    pub sender_ip: [u8; 4],
    /// Target hardware address.
    pub target_mac: [u8; 6],
    /// Target protocol (IPv4) address.
    pub target_ip: [u8; 4],
}

/// Outermost Ethernet header, when the link has one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EthernetInfo {
    /// Source MAC.
    pub src: [u8; 6],
    /// Destination MAC.
    pub dst: [u8; 6],
    /// EtherType after VLAN tags.
    pub ethertype: u16,
}

/// Everything the decoder learned about one captured packet.
///
/// Reused across packets (`clear` then `Decoder::decode`), so decoding does
/// not allocate.
#[derive(Clone, Debug, Default)]
pub struct DecodedPacket<'a> {
    /// IP layers, outermost first; `frame_count` are meaningful.
    pub frames: [Frame<'a>; MAX_FRAMES],
    /// Number of meaningful frames.
    pub frame_count: u8,
    /// Outermost Ethernet header, if any.
    pub ethernet: Option<EthernetInfo>,
    /// ARP contents, if the packet was ARP.
    pub arp: Option<ArpInfo>,
    /// Anomalies raised while decoding, in order; `anomaly_count` meaningful.
    pub anomalies: [DecodeEvent; MAX_ANOMALIES],
    /// Number of meaningful anomalies.
    pub anomaly_count: u8,
    /// Anomalies beyond `MAX_ANOMALIES` (counted, not kept).
    pub anomalies_dropped: u16,
}

impl<'a> DecodedPacket<'a> {
    /// Resets for the next packet without freeing anything.
    pub fn clear(&mut self) {
        self.frame_count = 0;
        self.ethernet = None;
        self.arp = None;
        self.anomaly_count = 0;
        self.anomalies_dropped = 0;
    }

    /// The meaningful frames, outermost first.
    pub fn frames(&self) -> &[Frame<'a>] {
        &self.frames[..self.frame_count as usize]
    }

    /// The meaningful anomalies.
    pub fn anomalies(&self) -> &[DecodeEvent] {
        &self.anomalies[..self.anomaly_count as usize]
    }

    /// Records an anomaly (never fails: beyond capacity it is only counted).
    pub fn push_anomaly(&mut self, ev: DecodeEvent) {
        if (self.anomaly_count as usize) < MAX_ANOMALIES {
            self.anomalies[self.anomaly_count as usize] = ev;
            self.anomaly_count += 1;
        } else {
            self.anomalies_dropped = self.anomalies_dropped.saturating_add(1);
        }
    }

    /// Appends a frame; returns false (and stores nothing) when full.
    pub fn push_frame(&mut self, frame: Frame<'a>) -> bool {
        if (self.frame_count as usize) < MAX_FRAMES {
            self.frames[self.frame_count as usize] = frame;
            self.frame_count += 1;
            true
        } else {
            false
        }
    }
}
