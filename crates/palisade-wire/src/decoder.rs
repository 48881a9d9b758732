//! The decoder: walks the views from the link layer down, fills a
//! [`DecodedPacket`], counts into [`DecodeStats`].
//!
//! The walk is a loop over `Next` steps rather than recursion, so a packet
//! of nested tunnels costs a bounded number of steps and no stack. Each IP
//! layer becomes a [`Frame`]; a tunnel (VXLAN, GRE, ERSPAN, TZSP, IP-in-IP)
//! ends its outer frame and starts the next one with `depth + 1` and a
//! `tunnel_id` from [`TunnelKind::tunnel_id`].
//!
//! VLANs: an inner frame starts with no VLANs and collects only the tags of
//! its own inner Ethernet header. The outer tags describe the monitoring
//! network (the mirror port's VLAN), not the mirrored traffic, and the
//! inner frame is already separated from other tunnels by its `tunnel_id`.

use crate::anomaly::DecodeEvent;
use crate::arp::ArpPacket;
use crate::bytes::{array, clamp, tail};
use crate::checksum;
use crate::decoded::{
    ip_proto, tcp_flags, Addr, ChecksumStatus, DecodedPacket, EthernetInfo, FragInfo, Frame,
    IpInfo, TcpInfo, L4, MAX_FRAMES, MAX_VLANS,
};
use crate::error::Error;
use crate::erspan::{ErspanIIIPacket, ErspanIIPacket, VERSION_TYPE2, VERSION_TYPE3};
use crate::ethernet::{is_vlan_ethertype, EtherType, EthernetFrame, MAX_8023_LENGTH};
use crate::gre::GrePacket;
use crate::icmp::Icmpv4Packet;
use crate::icmpv6::Icmpv6Packet;
use crate::ipv4::{self, Ipv4Packet};
use crate::ipv6::{ext, opt as v6opt, Ipv6ExtHeader, Ipv6FragmentHeader, Ipv6Packet};
use crate::link::Link;
use crate::null::{NullFamily, NullHeader};
use crate::sll::{Sll2Header, SllHeader};
use crate::stats::DecodeStats;
use crate::tcp::{TcpOption, TcpOptionError, TcpPacket};
use crate::tzsp::{TzspEncapsulation, TzspPacket};
use crate::udp::UdpPacket;
use crate::vlan::VlanTag;
use crate::vxlan::VxlanPacket;

/// Most VLAN tags walked in one Ethernet header; more stops decoding. Tags
/// beyond [`MAX_VLANS`] are walked but not kept (and raise
/// [`DecodeEvent::VlanTooManyLayers`]).
pub const MAX_VLAN_TAGS: usize = 8;
/// Most IPv6 extension headers walked in one packet.
pub const MAX_IPV6_EXT_HEADERS: usize = 8;
/// Upper bound on decode steps for one packet (each frame takes at most an
/// Ethernet step and an IP step); a safety net, never reached by design.
const MAX_STEPS: usize = 4 * (MAX_FRAMES + 1);

/// Decoder settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecoderConfig {
    /// Verify IPv4 header, TCP, UDP, ICMPv4 and ICMPv6 checksums (off by
    /// default: captures from a host with checksum offload are full of
    /// "wrong" checksums).
    pub validate_checksums: bool,
    /// UDP destination ports decoded as VXLAN.
    pub vxlan_ports: Vec<u16>,
    /// UDP destination port decoded as TZSP.
    pub tzsp_port: u16,
    /// Decode into tunnels (VXLAN, GRE, ERSPAN, TZSP, IP-in-IP); when off,
    /// only the outer frame is produced.
    pub decode_tunnels: bool,
}

impl Default for DecoderConfig {
    fn default() -> Self {
        DecoderConfig {
            validate_checksums: false,
            vxlan_ports: vec![crate::vxlan::PORT],
            tzsp_port: crate::tzsp::PORT,
            decode_tunnels: true,
        }
    }
}

/// Kinds of encapsulation, the top byte of a [`Frame::tunnel_id`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum TunnelKind {
    /// VXLAN; id = VNI.
    Vxlan = 1,
    /// GRE carrying IP or Ethernet; id = key (0 without one).
    Gre = 2,
    /// ERSPAN over GRE; id = session id (0 for type I).
    Erspan = 3,
    /// TZSP; no id.
    Tzsp = 4,
    /// IPv4/IPv6 directly inside IPv4/IPv6; no id.
    IpInIp = 5,
}

impl TunnelKind {
    /// The `tunnel_id` of a frame inside this tunnel: the kind in the top
    /// byte, the id folded to 24 bits below (a 32-bit GRE key has its top
    /// byte XORed in). Never 0, so 0 keeps meaning "not tunnelled".
    #[inline]
    pub const fn tunnel_id(self, id: u32) -> u32 {
        ((self as u32) << 24) | ((id ^ (id >> 24)) & 0x00ff_ffff)
    }

    /// The kind encoded in a `tunnel_id` (None for 0 or unknown values).
    pub const fn from_tunnel_id(tunnel_id: u32) -> Option<TunnelKind> {
        match tunnel_id >> 24 {
            1 => Some(TunnelKind::Vxlan),
            2 => Some(TunnelKind::Gre),
            3 => Some(TunnelKind::Erspan),
            4 => Some(TunnelKind::Tzsp),
            5 => Some(TunnelKind::IpInIp),
            _ => None,
        }
    }
}

/// The encapsulation facts a reassembled packet inherits from the frame its
/// fragments arrived in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FrameContext {
    /// VLAN ids, outermost first.
    pub vlans: [u16; MAX_VLANS],
    /// Meaningful entries in `vlans`.
    pub vlan_count: u8,
    /// Tunnel id (0 when not tunnelled).
    pub tunnel_id: u32,
    /// Depth of the fragments' frame.
    pub depth: u8,
}

impl From<&Frame<'_>> for FrameContext {
    fn from(f: &Frame<'_>) -> Self {
        FrameContext {
            vlans: f.vlans,
            vlan_count: f.vlan_count,
            tunnel_id: f.tunnel_id,
            depth: f.depth,
        }
    }
}

/// Where the walk goes next.
enum Next<'a> {
    Done,
    Ethernet(&'a [u8]),
    Ipv4(&'a [u8]),
    Ipv6(&'a [u8]),
}

/// A tunnel found in an upper layer.
struct Tunnel<'a> {
    kind: TunnelKind,
    id: u32,
    next: Next<'a>,
}

/// State carried from layer to layer.
struct Cursor {
    vlans: [u16; MAX_VLANS],
    vlan_count: u8,
    tunnel_id: u32,
    depth: u8,
    len: u32,
    reassembled: bool,
    /// An IP frame was pushed or an ARP packet read.
    reached: bool,
    /// Decoding stopped at a well-formed header of a protocol palisade does
    /// not decode (not counted as invalid).
    benign: bool,
}

impl Cursor {
    fn new(len: u32) -> Self {
        Cursor {
            vlans: [0; MAX_VLANS],
            vlan_count: 0,
            tunnel_id: 0,
            depth: 0,
            len,
            reassembled: false,
            reached: false,
            benign: false,
        }
    }
}

/// What an upper-layer decoder needs from its IP layer (addresses for the
/// pseudo-header are read from the frame, only when checking).
struct L4Ctx {
    v4: bool,
    /// IPv6 final destination named by a routing header, for the
    /// pseudo-header.
    final_dst: Option<Addr>,
    /// Upper-layer length the IP header declares.
    declared: usize,
    /// Validate the upper-layer checksum (on, and the layer was captured
    /// whole).
    check: bool,
}

#[inline]
fn v4_addr(a: [u8; 4]) -> Addr {
    let mut out = [0u8; 16];
    out[0] = a[0];
    out[1] = a[1];
    out[2] = a[2];
    out[3] = a[3];
    out
}

/// IPv6 hop-by-hop option types palisade knows.
fn hbh_option_known(kind: u8) -> bool {
    matches!(
        kind,
        v6opt::PAD1
            | v6opt::PADN
            | v6opt::ROUTER_ALERT
            | v6opt::CALIPSO
            | v6opt::SMF_DPD
            | v6opt::QUICK_START
            | v6opt::IOAM
            | v6opt::RPL
            | v6opt::MPL
            | v6opt::JUMBO
    )
}

/// IPv6 destination option types palisade knows.
fn dst_option_known(kind: u8) -> bool {
    matches!(
        kind,
        v6opt::PAD1
            | v6opt::PADN
            | v6opt::TUNNEL_LIMIT
            | v6opt::PDM
            | v6opt::IOAM
            | v6opt::HOME_ADDRESS
    )
}

/// The packet decoder. One per worker; not shared.
#[derive(Clone, Debug, Default)]
pub struct Decoder {
    /// Counters since creation (merge workers' counters for reporting).
    pub stats: DecodeStats,
    cfg: DecoderConfig,
}

impl Decoder {
    /// A decoder with `cfg`.
    pub fn new(cfg: DecoderConfig) -> Self {
        Decoder {
            stats: DecodeStats::default(),
            cfg,
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &DecoderConfig {
        &self.cfg
    }

    /// Turns checksum validation on or off.
    pub fn set_validate_checksums(&mut self, on: bool) {
        self.cfg.validate_checksums = on;
    }

    /// Decodes one captured packet into `out` (the caller passes a fresh or
    /// cleared DecodedPacket; it is cleared here anyway).
    ///
    /// `data` is what was captured, `wire_len` the packet's original length
    /// (the outermost frame's `len`). Never panics and never allocates;
    /// whatever is malformed is reported as anomalies and what could be
    /// decoded is kept.
    pub fn decode<'a>(
        &mut self,
        link: Link,
        data: &'a [u8],
        wire_len: u32,
        out: &mut DecodedPacket<'a>,
    ) {
        out.clear();
        self.stats.pkts = self.stats.pkts.wrapping_add(1);
        self.stats.bytes = self.stats.bytes.wrapping_add(wire_len as u64);
        let mut cur = Cursor::new(wire_len);
        if (data.len() as u64) < wire_len as u64 {
            self.ev(out, DecodeEvent::PktTruncatedBySnaplen);
        }
        let first = match link {
            Link::Ethernet => Next::Ethernet(data),
            Link::Null | Link::Loop => self.null(data, &mut cur, out),
            Link::Raw => {
                self.stats.raw += 1;
                self.by_version(data, out)
            }
            Link::Ipv4 => {
                self.stats.raw += 1;
                Next::Ipv4(data)
            }
            Link::Ipv6 => {
                self.stats.raw += 1;
                Next::Ipv6(data)
            }
            Link::LinuxSll => self.sll(data, &mut cur, out),
            Link::LinuxSll2 => self.sll2(data, &mut cur, out),
            Link::Unknown(_) => {
                self.ev(out, DecodeEvent::UnsupportedLinkType);
                Next::Done
            }
        };
        self.run(first, &mut cur, out);
        if !cur.reached && !cur.benign {
            self.stats.invalid += 1;
        }
    }

    /// Decodes an IP packet rebuilt by defragmentation (starts at its IP
    /// header), inheriting the vlans/tunnel_id/depth of the fragments' frame.
    ///
    /// The packet's own header must describe the whole packet (fragment
    /// fields cleared, total/payload length set, IPv6 fragment header
    /// removed). Its IPv4 header checksum is not validated (the header was
    /// rebuilt); upper-layer checksums are, when validation is on, which is
    /// the only point where a fragmented datagram's checksum can be checked.
    /// `pkts`/`bytes` and `invalid` are not counted again; layer counters
    /// are.
    pub fn decode_reassembled<'a>(
        &mut self,
        ip_packet: &'a [u8],
        ctx: &FrameContext,
        out: &mut DecodedPacket<'a>,
    ) {
        out.clear();
        let mut cur = Cursor::new(ip_packet.len() as u32);
        cur.vlans = ctx.vlans;
        cur.vlan_count = ctx.vlan_count.min(MAX_VLANS as u8);
        cur.tunnel_id = ctx.tunnel_id;
        cur.depth = ctx.depth;
        cur.reassembled = true;
        let first = self.by_version(ip_packet, out);
        self.run(first, &mut cur, out);
    }

    fn run<'a>(&mut self, mut next: Next<'a>, cur: &mut Cursor, out: &mut DecodedPacket<'a>) {
        for _ in 0..MAX_STEPS {
            next = match next {
                Next::Done => return,
                Next::Ethernet(b) => self.ethernet(b, cur, out),
                Next::Ipv4(b) => self.ipv4(b, cur, out),
                Next::Ipv6(b) => self.ipv6(b, cur, out),
            };
        }
    }

    /// Records an anomaly in the packet and the counters.
    #[inline]
    fn ev(&mut self, out: &mut DecodedPacket<'_>, ev: DecodeEvent) {
        self.stats.count_event(ev);
        out.push_anomaly(ev);
    }

    fn too_many_layers(&mut self, out: &mut DecodedPacket<'_>) {
        self.stats.too_many_layers += 1;
        self.ev(out, DecodeEvent::TooManyLayers);
    }

    fn by_version<'a>(&mut self, b: &'a [u8], out: &mut DecodedPacket<'a>) -> Next<'a> {
        match b.first().map(|v| v >> 4) {
            Some(4) => Next::Ipv4(b),
            Some(6) => Next::Ipv6(b),
            _ => {
                self.ev(out, DecodeEvent::IpRawInvalidIpv);
                Next::Done
            }
        }
    }

    // ---- link layers -------------------------------------------------

    fn null<'a>(&mut self, b: &'a [u8], cur: &mut Cursor, out: &mut DecodedPacket<'a>) -> Next<'a> {
        let Ok(h) = NullHeader::new_checked(b) else {
            self.ev(out, DecodeEvent::NullPktTooSmall);
            return Next::Done;
        };
        self.stats.null += 1;
        match h.family() {
            NullFamily::Ipv4 => Next::Ipv4(h.payload()),
            NullFamily::Ipv6 => Next::Ipv6(h.payload()),
            NullFamily::Unknown(_) => {
                cur.benign = true;
                self.ev(out, DecodeEvent::NullUnsupportedType);
                Next::Done
            }
        }
    }

    fn sll<'a>(&mut self, b: &'a [u8], cur: &mut Cursor, out: &mut DecodedPacket<'a>) -> Next<'a> {
        let Ok(h) = SllHeader::new_checked(b) else {
            self.ev(out, DecodeEvent::SllPktTooSmall);
            return Next::Done;
        };
        self.stats.sll += 1;
        match self.vlans(h.protocol_raw(), h.payload(), cur, out) {
            Some((et, p, tagged)) => self.ethertype(et, p, tagged, cur, out),
            None => Next::Done,
        }
    }

    fn sll2<'a>(&mut self, b: &'a [u8], cur: &mut Cursor, out: &mut DecodedPacket<'a>) -> Next<'a> {
        let Ok(h) = Sll2Header::new_checked(b) else {
            self.ev(out, DecodeEvent::Sll2PktTooSmall);
            return Next::Done;
        };
        self.stats.sll2 += 1;
        match self.vlans(h.protocol_raw(), h.payload(), cur, out) {
            Some((et, p, tagged)) => self.ethertype(et, p, tagged, cur, out),
            None => Next::Done,
        }
    }

    fn ethernet<'a>(
        &mut self,
        b: &'a [u8],
        cur: &mut Cursor,
        out: &mut DecodedPacket<'a>,
    ) -> Next<'a> {
        let Ok(eth) = EthernetFrame::new_checked(b) else {
            self.ev(out, DecodeEvent::EthernetPktTooSmall);
            return Next::Done;
        };
        self.stats.ethernet += 1;
        let outermost = cur.depth == 0 && out.ethernet.is_none();
        if outermost {
            out.ethernet = Some(EthernetInfo {
                src: eth.src(),
                dst: eth.dst(),
                ethertype: eth.ethertype_raw(),
            });
        }
        let Some((et, p, tagged)) = self.vlans(eth.ethertype_raw(), eth.payload(), cur, out) else {
            return Next::Done;
        };
        if outermost {
            if let Some(e) = out.ethernet.as_mut() {
                e.ethertype = et;
            }
        }
        self.ethertype(et, p, tagged, cur, out)
    }

    /// Walks VLAN tags; returns the final EtherType, what follows it, and
    /// whether any tag was seen. `None` when decoding must stop.
    #[inline(always)]
    fn vlans<'a>(
        &mut self,
        et: u16,
        p: &'a [u8],
        cur: &mut Cursor,
        out: &mut DecodedPacket<'a>,
    ) -> Option<(u16, &'a [u8], bool)> {
        if is_vlan_ethertype(et) {
            self.vlan_walk(et, p, cur, out)
        } else {
            Some((et, p, false))
        }
    }

    #[inline(never)]
    fn vlan_walk<'a>(
        &mut self,
        mut et: u16,
        mut p: &'a [u8],
        cur: &mut Cursor,
        out: &mut DecodedPacket<'a>,
    ) -> Option<(u16, &'a [u8], bool)> {
        let mut n = 0usize;
        let mut overflow_reported = false;
        while is_vlan_ethertype(et) {
            if n >= MAX_VLAN_TAGS {
                if !overflow_reported {
                    self.ev(out, DecodeEvent::VlanTooManyLayers);
                }
                return None;
            }
            let Ok(tag) = VlanTag::new_checked(p) else {
                self.ev(out, DecodeEvent::VlanHeaderTooSmall);
                return None;
            };
            match n {
                0 => self.stats.vlan += 1,
                1 => self.stats.vlan_qinq += 1,
                _ => self.stats.vlan_qinqinq += 1,
            }
            match cur.vlans.get_mut(cur.vlan_count as usize) {
                Some(slot) => {
                    *slot = tag.vid();
                    cur.vlan_count += 1;
                }
                None => {
                    if !overflow_reported {
                        overflow_reported = true;
                        self.ev(out, DecodeEvent::VlanTooManyLayers);
                    }
                }
            }
            et = tag.ethertype_raw();
            p = tag.payload();
            n += 1;
        }
        Some((et, p, n > 0))
    }

    fn ethertype<'a>(
        &mut self,
        et: u16,
        p: &'a [u8],
        tagged: bool,
        cur: &mut Cursor,
        out: &mut DecodedPacket<'a>,
    ) -> Next<'a> {
        match EtherType::from(et) {
            EtherType::Ipv4 => Next::Ipv4(p),
            EtherType::Ipv6 => Next::Ipv6(p),
            EtherType::Arp => {
                self.arp(p, cur, out);
                Next::Done
            }
            _ => {
                self.stats.unknown_ethertype += 1;
                cur.benign = true;
                // 802.3 length field (LLC: STP, CDP, ...) is ordinary
                // traffic, not an anomaly
                if et > MAX_8023_LENGTH {
                    let ev = if tagged {
                        DecodeEvent::VlanUnknownType
                    } else {
                        DecodeEvent::EthernetUnknownEtherType
                    };
                    self.ev(out, ev);
                }
                Next::Done
            }
        }
    }

    fn arp<'a>(&mut self, p: &'a [u8], cur: &mut Cursor, out: &mut DecodedPacket<'a>) {
        self.stats.arp += 1;
        match ArpPacket::new_checked(p) {
            Ok(a) => {
                cur.reached = true;
                if out.arp.is_none() {
                    out.arp = a.info();
                }
            }
            Err(_) => self.ev(out, DecodeEvent::ArpPktTooSmall),
        }
    }

    // ---- IP ----------------------------------------------------------

    /// Writes a new frame straight into the next slot of `out` (no copy of
    /// the 144-byte frame) and returns its index. The caller has checked
    /// that a slot is free.
    #[inline]
    fn open_frame<'a>(
        ip: IpInfo<'a>,
        payload: &'a [u8],
        cur: &mut Cursor,
        checksum: ChecksumStatus,
        out: &mut DecodedPacket<'a>,
    ) -> usize {
        let idx = out.frame_count as usize;
        if let Some(slot) = out.frames.get_mut(idx) {
            slot.ip = ip;
            slot.l4 = L4::None;
            slot.payload = payload;
            slot.vlans = cur.vlans;
            slot.vlan_count = cur.vlan_count;
            slot.tunnel_id = cur.tunnel_id;
            slot.depth = cur.depth;
            slot.len = cur.len;
            slot.checksum = checksum;
            out.frame_count += 1;
            cur.reached = true;
        }
        idx
    }

    /// Enters the tunnel an upper layer found, if any.
    fn enter<'a>(tunnel: Option<Tunnel<'a>>, cur: &mut Cursor) -> Next<'a> {
        match tunnel {
            None => Next::Done,
            Some(t) => {
                let inner = match t.next {
                    Next::Ethernet(b) | Next::Ipv4(b) | Next::Ipv6(b) => b.len(),
                    Next::Done => 0,
                };
                cur.depth = cur.depth.saturating_add(1);
                cur.tunnel_id = t.kind.tunnel_id(t.id);
                cur.vlans = [0; MAX_VLANS];
                cur.vlan_count = 0;
                cur.len = u32::try_from(inner).unwrap_or(u32::MAX);
                t.next
            }
        }
    }

    fn ipv4<'a>(&mut self, b: &'a [u8], cur: &mut Cursor, out: &mut DecodedPacket<'a>) -> Next<'a> {
        let Ok(ip) = Ipv4Packet::new_checked(b) else {
            self.ev(out, DecodeEvent::Ipv4PktTooSmall);
            return Next::Done;
        };
        if ip.version() != 4 {
            self.ev(out, DecodeEvent::Ipv4WrongIpVersion);
            return Next::Done;
        }
        if out.frame_count as usize >= MAX_FRAMES {
            self.too_many_layers(out);
            return Next::Done;
        }
        self.stats.ipv4 += 1;
        let hlen = ip.header_len();
        let total = ip.total_len() as usize;
        let mut truncated = false;
        // header_ok: the header is whole and its lengths are consistent, so
        // the upper layer can be located
        let (packet, hdr_end, header_ok) = if hlen < ipv4::HEADER_LEN {
            self.ev(out, DecodeEvent::Ipv4HlenTooSmall);
            (
                clamp(b, 0, total.max(ipv4::HEADER_LEN)),
                ipv4::HEADER_LEN,
                false,
            )
        } else if total < hlen {
            self.ev(out, DecodeEvent::Ipv4IplenSmallerThanHlen);
            let p = clamp(b, 0, hlen);
            (p, p.len(), false)
        } else {
            if total > b.len() {
                truncated = true;
                self.ev(out, DecodeEvent::Ipv4TruncPkt);
            }
            let p = clamp(b, 0, total);
            if hlen > p.len() {
                (p, p.len(), false)
            } else {
                if hlen > ipv4::HEADER_LEN {
                    ipv4::validate_options(ip.options(), |e| self.ev(out, e));
                }
                (p, hlen, true)
            }
        };

        let mut status = ChecksumStatus::NotChecked;
        if self.cfg.validate_checksums
            && !cur.reassembled
            && hlen >= ipv4::HEADER_LEN
            && hlen <= b.len()
        {
            self.stats.checksum_checked += 1;
            if ip.verify_checksum() {
                status = ChecksumStatus::Ok;
            } else {
                status = ChecksumStatus::BadIp;
                self.stats.checksum_bad += 1;
                self.ev(out, DecodeEvent::Ipv4InvalidChecksum);
            }
        }

        let proto = ip.protocol();
        let frag = if ip.is_fragment() {
            self.stats.ipv4_frag += 1;
            let offset = ip.frag_offset();
            if offset as usize + total.saturating_sub(hlen) > 65535 {
                self.ev(out, DecodeEvent::Ipv4FragPktTooLarge);
            }
            Some(FragInfo {
                id: ip.ident() as u32,
                offset,
                more: ip.more_frags(),
                next_proto: proto,
                data_offset: hdr_end as u16,
            })
        } else {
            None
        };

        let info = IpInfo {
            is_v4: true,
            src: v4_addr(ip.src_addr()),
            dst: v4_addr(ip.dst_addr()),
            proto,
            ttl: ip.ttl(),
            id: ip.ident(),
            header_len: hdr_end as u16,
            packet,
            frag,
        };
        let payload = if header_ok {
            tail(packet, hdr_end)
        } else {
            &[]
        };
        let idx = Self::open_frame(info, payload, cur, status, out);
        let tunnel = if header_ok && frag.is_none() {
            let ctx = L4Ctx {
                v4: true,
                final_dst: None,
                declared: total.saturating_sub(hlen),
                check: self.cfg.validate_checksums && !truncated,
            };
            self.upper(proto, payload, idx, &ctx, out)
        } else {
            None
        };
        Self::enter(tunnel, cur)
    }

    fn ipv6<'a>(&mut self, b: &'a [u8], cur: &mut Cursor, out: &mut DecodedPacket<'a>) -> Next<'a> {
        let Ok(ip) = Ipv6Packet::new_checked(b) else {
            self.ev(out, DecodeEvent::Ipv6PktTooSmall);
            return Next::Done;
        };
        if ip.version() != 6 {
            self.ev(out, DecodeEvent::Ipv6WrongIpVersion);
            return Next::Done;
        }
        if out.frame_count as usize >= MAX_FRAMES {
            self.too_many_layers(out);
            return Next::Done;
        }
        self.stats.ipv6 += 1;
        let declared = crate::ipv6::HEADER_LEN + ip.payload_len() as usize;
        let truncated = declared > b.len();
        if truncated {
            self.ev(out, DecodeEvent::Ipv6TruncPkt);
        }
        let packet = clamp(b, 0, declared);

        let mut nh = ip.next_header();
        let mut off = crate::ipv6::HEADER_LEN;
        let mut upper = true;
        let mut frag = None;
        let mut final_dst = None;
        let (mut hh, mut rh, mut fh, mut ah, mut dh) = (false, false, false, false, 0u8);
        let mut count = 0;
        while matches!(
            nh,
            ext::HOP_BY_HOP | ext::ROUTING | ext::FRAGMENT | ext::DEST_OPTS | ext::AH
        ) {
            count += 1;
            if count > MAX_IPV6_EXT_HEADERS {
                self.ev(out, DecodeEvent::Ipv6ExthdrTooMany);
                upper = false;
                break;
            }
            let rest = tail(packet, off);
            let Ok(h) = Ipv6ExtHeader::new_checked(nh, rest) else {
                self.ev(out, DecodeEvent::Ipv6TruncExthdr);
                upper = false;
                break;
            };
            match nh {
                ext::HOP_BY_HOP => {
                    if hh {
                        self.ev(out, DecodeEvent::Ipv6ExthdrDuplHh);
                    }
                    hh = true;
                    self.ipv6_options(&h, true, out);
                }
                ext::DEST_OPTS => {
                    dh = dh.saturating_add(1);
                    if dh > 2 {
                        self.ev(out, DecodeEvent::Ipv6ExthdrDuplDh);
                    }
                    self.ipv6_options(&h, false, out);
                }
                ext::ROUTING => {
                    if rh {
                        self.ev(out, DecodeEvent::Ipv6ExthdrDuplRh);
                    }
                    rh = true;
                    if h.routing_type() == 0 {
                        self.ev(out, DecodeEvent::Ipv6Rh0);
                    }
                    if let Some(d) = h.routing_final_destination() {
                        final_dst = Some(d);
                    }
                }
                ext::AH => {
                    if ah {
                        self.ev(out, DecodeEvent::Ipv6ExthdrDuplAh);
                    }
                    ah = true;
                    if h.ah_reserved() != 0 {
                        self.ev(out, DecodeEvent::Ipv6ExthdrAhResNotNull);
                    }
                }
                _ => {
                    // fragment
                    if fh {
                        self.ev(out, DecodeEvent::Ipv6ExthdrDuplFh);
                    }
                    fh = true;
                    let Ok(fr) = Ipv6FragmentHeader::new_checked(rest) else {
                        self.ev(out, DecodeEvent::Ipv6TruncExthdr);
                        upper = false;
                        break;
                    };
                    if fr.reserved() != 0 || fr.reserved_bits() != 0 {
                        self.ev(out, DecodeEvent::Ipv6FhNonZeroReservedField);
                    }
                    if fr.frag_offset() != 0 || fr.more_frags() {
                        self.stats.ipv6_frag += 1;
                        let data_offset = off + Ipv6FragmentHeader::LEN;
                        if fr.frag_offset() as usize + declared.saturating_sub(data_offset) > 65535
                        {
                            self.ev(out, DecodeEvent::Ipv6FragPktTooLarge);
                        }
                        frag = Some(FragInfo {
                            id: fr.ident(),
                            offset: fr.frag_offset(),
                            more: fr.more_frags(),
                            next_proto: fr.next_header(),
                            data_offset: data_offset as u16,
                        });
                        off = data_offset;
                        nh = fr.next_header();
                        upper = false;
                        break;
                    }
                    self.ev(out, DecodeEvent::Ipv6ExthdrUselessFh);
                }
            }
            off += h.header_len();
            nh = h.next_header();
        }

        let info = IpInfo {
            is_v4: false,
            src: ip.src_addr(),
            dst: ip.dst_addr(),
            proto: nh,
            ttl: ip.hop_limit(),
            id: 0,
            header_len: u16::try_from(off).unwrap_or(u16::MAX),
            packet,
            frag,
        };
        let payload = tail(packet, off);
        let idx = Self::open_frame(info, payload, cur, ChecksumStatus::NotChecked, out);
        let mut tunnel = None;
        if upper {
            match nh {
                ext::NONE => {
                    if !payload.is_empty() {
                        self.ev(out, DecodeEvent::Ipv6DataAfterNoneHeader);
                    }
                }
                // IANA has not assigned these (255 is reserved)
                146..=252 | 255 => self.ev(out, DecodeEvent::Ipv6UnknownNextHeader),
                _ => {
                    let ctx = L4Ctx {
                        v4: false,
                        final_dst,
                        declared: declared.saturating_sub(off),
                        check: self.cfg.validate_checksums && !truncated,
                    };
                    tunnel = self.upper(nh, payload, idx, &ctx, out);
                }
            }
        }
        Self::enter(tunnel, cur)
    }

    fn ipv6_options(
        &mut self,
        h: &Ipv6ExtHeader<'_>,
        hop_by_hop: bool,
        out: &mut DecodedPacket<'_>,
    ) {
        let mut only_padding = true;
        for o in h.options() {
            match o {
                Err(_) => {
                    only_padding = false;
                    self.ev(out, DecodeEvent::Ipv6ExthdrInvalidOptlen);
                }
                Ok(o) => match o.kind {
                    v6opt::PAD1 => {}
                    v6opt::PADN => {
                        if o.data.is_empty() {
                            self.ev(out, DecodeEvent::Ipv6ZeroLenPadn);
                        }
                    }
                    kind => {
                        only_padding = false;
                        if hop_by_hop && !hbh_option_known(kind) {
                            self.ev(out, DecodeEvent::Ipv6HopoptsUnknownOpt);
                        } else if !hop_by_hop && !dst_option_known(kind) {
                            self.ev(out, DecodeEvent::Ipv6DstoptsUnknownOpt);
                        }
                    }
                },
            }
        }
        if only_padding {
            let ev = if hop_by_hop {
                DecodeEvent::Ipv6HopoptsOnlyPadding
            } else {
                DecodeEvent::Ipv6DstoptsOnlyPadding
            };
            self.ev(out, ev);
        }
    }

    // ---- upper layers ------------------------------------------------

    fn upper<'a>(
        &mut self,
        proto: u8,
        seg: &'a [u8],
        f: usize,
        c: &L4Ctx,
        out: &mut DecodedPacket<'a>,
    ) -> Option<Tunnel<'a>> {
        match proto {
            ip_proto::TCP => {
                self.tcp(seg, f, c, out);
                None
            }
            ip_proto::UDP => self.udp(seg, f, c, out),
            ip_proto::ICMP => {
                if c.v4 {
                    self.icmpv4(seg, f, c, out);
                } else {
                    self.ev(out, DecodeEvent::Ipv6WithIcmpv4);
                }
                None
            }
            ip_proto::ICMPV6 => {
                if c.v4 {
                    self.ev(out, DecodeEvent::Icmpv6Ipv4);
                } else {
                    self.icmpv6(seg, f, c, out);
                }
                None
            }
            ip_proto::GRE => self.gre(seg, out),
            ip_proto::IPIP => self.ip_in_ip(false, seg, c.v4, out),
            ip_proto::IPV6 => self.ip_in_ip(true, seg, c.v4, out),
            ip_proto::SCTP => {
                self.stats.sctp += 1;
                None
            }
            _ => None,
        }
    }

    /// Sets the upper layer and its payload of frame `idx`.
    #[inline]
    fn set_l4<'a>(out: &mut DecodedPacket<'a>, idx: usize, l4: L4, payload: &'a [u8]) {
        if let Some(f) = out.frames.get_mut(idx) {
            f.l4 = l4;
            f.payload = payload;
        }
    }

    fn record_checksum(
        &mut self,
        idx: usize,
        ok: bool,
        ev: DecodeEvent,
        out: &mut DecodedPacket<'_>,
    ) {
        self.stats.checksum_checked += 1;
        if let Some(f) = out.frames.get_mut(idx) {
            if ok {
                if f.checksum == ChecksumStatus::NotChecked {
                    f.checksum = ChecksumStatus::Ok;
                }
            } else if f.checksum != ChecksumStatus::BadIp {
                f.checksum = ChecksumStatus::BadL4;
            }
        }
        if !ok {
            self.stats.checksum_bad += 1;
            self.ev(out, ev);
        }
    }

    /// Pseudo-header sum for the upper layer of frame `idx`.
    fn pseudo_sum(out: &DecodedPacket<'_>, idx: usize, c: &L4Ctx, proto: u8, len: usize) -> u64 {
        let Some(f) = out.frames.get(idx) else {
            return 0;
        };
        let len = len as u32;
        if c.v4 {
            checksum::pseudo_v4(array(&f.ip.src, 0), array(&f.ip.dst, 0), proto, len)
        } else {
            checksum::pseudo_v6(f.ip.src, c.final_dst.unwrap_or(f.ip.dst), proto, len)
        }
    }

    fn tcp<'a>(&mut self, seg: &'a [u8], f: usize, c: &L4Ctx, out: &mut DecodedPacket<'a>) {
        self.stats.tcp += 1;
        let Ok(t) = TcpPacket::new_checked(seg) else {
            self.ev(out, DecodeEvent::TcpPktTooSmall);
            return;
        };
        let hl = t.header_len();
        if hl < crate::tcp::HEADER_LEN || hl > c.declared {
            self.ev(out, DecodeEvent::TcpHlenTooSmall);
            return;
        }
        // a capture cut inside the options: keep the fixed fields
        let complete = hl <= seg.len();
        let mut info = TcpInfo {
            src_port: t.src_port(),
            dst_port: t.dst_port(),
            seq: t.seq_number(),
            ack: t.ack_number(),
            flags: t.flags(),
            window: t.window(),
            ..TcpInfo::default()
        };
        if hl > crate::tcp::HEADER_LEN {
            let mut seen = 0u8;
            for o in t.options_iter() {
                let bit = match o {
                    Ok(TcpOption::Mss(v)) => {
                        if info.mss.is_none() {
                            info.mss = Some(v);
                        }
                        1
                    }
                    Ok(TcpOption::WindowScale(v)) => {
                        if info.wscale.is_none() {
                            info.wscale = Some(v);
                        }
                        2
                    }
                    Ok(TcpOption::SackPermitted) => {
                        info.sack_permitted = true;
                        4
                    }
                    Ok(TcpOption::Timestamps { tsval, tsecr }) => {
                        if info.timestamps.is_none() {
                            info.timestamps = Some((tsval, tsecr));
                        }
                        8
                    }
                    Ok(TcpOption::Sack(_)) => 16,
                    Ok(_) => 0,
                    Err(TcpOptionError::Overrun) => {
                        if complete {
                            self.ev(out, DecodeEvent::TcpOptInvalidLen);
                        }
                        0
                    }
                    Err(TcpOptionError::BadLength { .. }) => {
                        if complete {
                            self.ev(out, DecodeEvent::TcpInvalidOptlen);
                        }
                        0
                    }
                };
                if seen & bit != 0 {
                    self.ev(out, DecodeEvent::TcpOptDuplicate);
                }
                seen |= bit;
            }
        }
        let fl = info.flags;
        if fl & (tcp_flags::SYN | tcp_flags::FIN) == tcp_flags::SYN | tcp_flags::FIN {
            self.ev(out, DecodeEvent::TcpSynFin);
        }
        if fl & (tcp_flags::SYN | tcp_flags::RST) == tcp_flags::SYN | tcp_flags::RST {
            self.ev(out, DecodeEvent::TcpSynRst);
        }
        if fl == 0 {
            self.ev(out, DecodeEvent::TcpNullFlags);
        }
        if info.src_port == 0 || info.dst_port == 0 {
            self.ev(out, DecodeEvent::TcpZeroPort);
        }
        let payload = if complete { tail(seg, hl) } else { &[] };
        Self::set_l4(out, f, L4::Tcp(info), payload);
        if c.check {
            let ok =
                checksum::upper_layer(Self::pseudo_sum(out, f, c, ip_proto::TCP, seg.len()), seg)
                    == 0;
            self.record_checksum(f, ok, DecodeEvent::TcpInvalidChecksum, out);
        }
    }

    fn udp<'a>(
        &mut self,
        seg: &'a [u8],
        f: usize,
        c: &L4Ctx,
        out: &mut DecodedPacket<'a>,
    ) -> Option<Tunnel<'a>> {
        self.stats.udp += 1;
        let Ok(u) = UdpPacket::new_checked(seg) else {
            self.ev(out, DecodeEvent::UdpPktTooSmall);
            return None;
        };
        let ulen = u.len() as usize;
        let consistent = if ulen < crate::udp::HEADER_LEN {
            self.ev(out, DecodeEvent::UdpHlenTooSmall);
            false
        } else if ulen != c.declared {
            self.ev(out, DecodeEvent::UdpHlenInvalid);
            false
        } else {
            true
        };
        let payload = u.payload();
        let l4 = L4::Udp {
            src_port: u.src_port(),
            dst_port: u.dst_port(),
        };
        Self::set_l4(out, f, l4, payload);
        if c.check && consistent && !(c.v4 && u.checksum() == 0) {
            // over IPv6 a zero checksum is wrong (RFC 8200 §8.1) and fails here
            let ok =
                checksum::upper_layer(Self::pseudo_sum(out, f, c, ip_proto::UDP, seg.len()), seg)
                    == 0;
            self.record_checksum(f, ok, DecodeEvent::UdpInvalidChecksum, out);
        }
        if !self.cfg.decode_tunnels || !consistent {
            return None;
        }
        let dp = u.dst_port();
        if self.cfg.vxlan_ports.contains(&dp) {
            self.vxlan(payload, out)
        } else if dp == self.cfg.tzsp_port {
            self.tzsp(payload, out)
        } else {
            None
        }
    }

    fn icmpv4<'a>(&mut self, seg: &'a [u8], f: usize, c: &L4Ctx, out: &mut DecodedPacket<'a>) {
        self.stats.icmpv4 += 1;
        let Ok(m) = Icmpv4Packet::new_checked(seg) else {
            self.ev(out, DecodeEvent::Icmpv4PktTooSmall);
            return;
        };
        match crate::icmp::code_valid(m.msg_type(), m.code()) {
            None => self.ev(out, DecodeEvent::Icmpv4UnknownType),
            Some(false) => self.ev(out, DecodeEvent::Icmpv4UnknownCode),
            Some(true) => {}
        }
        let l4 = L4::Icmp {
            icmp_type: m.msg_type(),
            code: m.code(),
            id: m.echo_ident(),
            seq: m.echo_seq(),
        };
        Self::set_l4(out, f, l4, m.payload());
        if c.check {
            let ok = checksum::checksum(seg) == 0;
            self.record_checksum(f, ok, DecodeEvent::Icmpv4InvalidChecksum, out);
        }
    }

    fn icmpv6<'a>(&mut self, seg: &'a [u8], f: usize, c: &L4Ctx, out: &mut DecodedPacket<'a>) {
        self.stats.icmpv6 += 1;
        let Ok(m) = Icmpv6Packet::new_checked(seg) else {
            self.ev(out, DecodeEvent::Icmpv6PktTooSmall);
            return;
        };
        match crate::icmpv6::code_valid(m.msg_type(), m.code()) {
            None => self.ev(out, DecodeEvent::Icmpv6UnknownType),
            Some(false) => self.ev(out, DecodeEvent::Icmpv6UnknownCode),
            Some(true) => {}
        }
        let l4 = L4::Icmpv6 {
            icmp_type: m.msg_type(),
            code: m.code(),
            id: m.echo_ident(),
            seq: m.echo_seq(),
        };
        Self::set_l4(out, f, l4, m.payload());
        if c.check {
            let ok = checksum::upper_layer(
                Self::pseudo_sum(out, f, c, ip_proto::ICMPV6, seg.len()),
                seg,
            ) == 0;
            self.record_checksum(f, ok, DecodeEvent::Icmpv6InvalidChecksum, out);
        }
    }

    // ---- tunnels -----------------------------------------------------

    fn vxlan<'a>(&mut self, p: &'a [u8], out: &mut DecodedPacket<'a>) -> Option<Tunnel<'a>> {
        match VxlanPacket::new_checked(p) {
            Ok(v) if v.vni_valid() => {
                self.stats.vxlan += 1;
                Some(Tunnel {
                    kind: TunnelKind::Vxlan,
                    id: v.vni(),
                    next: Next::Ethernet(v.payload()),
                })
            }
            _ => {
                self.ev(out, DecodeEvent::VxlanInvalid);
                None
            }
        }
    }

    fn tzsp<'a>(&mut self, p: &'a [u8], out: &mut DecodedPacket<'a>) -> Option<Tunnel<'a>> {
        let t = match TzspPacket::new_checked(p) {
            Ok(t) if t.version() == crate::tzsp::VERSION => t,
            _ => {
                self.ev(out, DecodeEvent::TzspInvalid);
                return None;
            }
        };
        self.stats.tzsp += 1;
        if !t.packet_type().carries_frame() {
            return None;
        }
        if t.encapsulation() != TzspEncapsulation::Ethernet {
            self.ev(out, DecodeEvent::TzspUnknownEncap);
            return None;
        }
        Some(Tunnel {
            kind: TunnelKind::Tzsp,
            id: 0,
            next: Next::Ethernet(t.payload()),
        })
    }

    fn gre<'a>(&mut self, seg: &'a [u8], out: &mut DecodedPacket<'a>) -> Option<Tunnel<'a>> {
        self.stats.gre += 1;
        let g = match GrePacket::new_checked(seg) {
            Ok(g) => g,
            Err(Error::Truncated) => {
                self.ev(out, DecodeEvent::GrePktTooSmall);
                return None;
            }
            Err(Error::Malformed) => {
                self.ev(out, DecodeEvent::GreVersion0MalformedSreHdr);
                return None;
            }
        };
        if g.version() != 0 {
            self.ev(out, DecodeEvent::GreWrongVersion);
            return None;
        }
        if !self.cfg.decode_tunnels {
            return None;
        }
        let p = g.payload();
        let key = g.key().unwrap_or(0);
        let (kind, id, next) = match g.protocol_type() {
            EtherType::Ipv4 => (TunnelKind::Gre, key, Next::Ipv4(p)),
            EtherType::Ipv6 => (TunnelKind::Gre, key, Next::Ipv6(p)),
            EtherType::TransparentEthernet => (TunnelKind::Gre, key, Next::Ethernet(p)),
            EtherType::ErspanII => {
                self.stats.erspan += 1;
                if !g.seq_present() {
                    // type I: no ERSPAN header
                    (TunnelKind::Erspan, 0, Next::Ethernet(p))
                } else {
                    let Ok(e) = ErspanIIPacket::new_checked(p) else {
                        self.ev(out, DecodeEvent::ErspanPktTooSmall);
                        return None;
                    };
                    if e.version() != VERSION_TYPE2 {
                        self.ev(out, DecodeEvent::ErspanUnsupportedVersion);
                        return None;
                    }
                    (
                        TunnelKind::Erspan,
                        e.session_id() as u32,
                        Next::Ethernet(e.payload()),
                    )
                }
            }
            EtherType::ErspanIII => {
                self.stats.erspan += 1;
                let Ok(e) = ErspanIIIPacket::new_checked(p) else {
                    self.ev(out, DecodeEvent::ErspanPktTooSmall);
                    return None;
                };
                if e.version() != VERSION_TYPE3 {
                    self.ev(out, DecodeEvent::ErspanUnsupportedVersion);
                    return None;
                }
                let inner = e.payload();
                // frame type 2 (without P) is an IP packet, everything else
                // an Ethernet frame
                let next = if !e.p() && e.frame_type() == 2 {
                    match inner.first().map(|v| v >> 4) {
                        Some(6) => Next::Ipv6(inner),
                        _ => Next::Ipv4(inner),
                    }
                } else {
                    Next::Ethernet(inner)
                };
                (TunnelKind::Erspan, e.session_id() as u32, next)
            }
            _ => {
                self.ev(out, DecodeEvent::GreUnknownProto);
                return None;
            }
        };
        Some(Tunnel { kind, id, next })
    }

    fn ip_in_ip<'a>(
        &mut self,
        inner_v6: bool,
        seg: &'a [u8],
        outer_v4: bool,
        out: &mut DecodedPacket<'a>,
    ) -> Option<Tunnel<'a>> {
        if !self.cfg.decode_tunnels {
            return None;
        }
        let version = seg.first().map(|v| v >> 4).unwrap_or(0);
        let (min, want) = if inner_v6 {
            (crate::ipv6::HEADER_LEN, 6)
        } else {
            (ipv4::HEADER_LEN, 4)
        };
        let problem = if seg.len() < min {
            Some(match (outer_v4, inner_v6) {
                (true, _) => DecodeEvent::IpipInvalid,
                (false, false) => DecodeEvent::Ipv4InIpv6TooSmall,
                (false, true) => DecodeEvent::Ipv6InIpv6TooSmall,
            })
        } else if version != want {
            Some(match (outer_v4, inner_v6) {
                (true, _) => DecodeEvent::IpipInvalid,
                (false, false) => DecodeEvent::Ipv4InIpv6WrongVersion,
                (false, true) => DecodeEvent::Ipv6InIpv6WrongVersion,
            })
        } else {
            None
        };
        if let Some(ev) = problem {
            self.ev(out, ev);
            return None;
        }
        let counter = match (outer_v4, inner_v6) {
            (true, false) => &mut self.stats.ipv4_in_ipv4,
            (true, true) => &mut self.stats.ipv6_in_ipv4,
            (false, false) => &mut self.stats.ipv4_in_ipv6,
            (false, true) => &mut self.stats.ipv6_in_ipv6,
        };
        *counter += 1;
        let next = if inner_v6 {
            Next::Ipv6(seg)
        } else {
            Next::Ipv4(seg)
        };
        Some(Tunnel {
            kind: TunnelKind::IpInIp,
            id: 0,
            next,
        })
    }
}

#[cfg(test)]
#[path = "decoder_tests.rs"]
mod tests;
