//! Flow keys: the bidirectional 5-tuple plus VLAN ids and tunnel id.

use palisade_wire::{ip_proto, Addr, Frame, L4, MAX_VLANS};

/// A flow's identity, the same for both directions: the (address, port) pair
/// that sorts lower is endpoint `a`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FlowKey {
    /// Lower endpoint address.
    pub addr_a: Addr,
    /// Higher endpoint address.
    pub addr_b: Addr,
    /// Port of endpoint a (ICMP echo id, or 0 without ports).
    pub port_a: u16,
    /// Port of endpoint b.
    pub port_b: u16,
    /// IP protocol.
    pub proto: u8,
    /// IPv4 (true) or IPv6.
    pub is_v4: bool,
    /// VLAN ids (unused entries zero).
    pub vlans: [u16; MAX_VLANS],
    /// Tunnel id (0 = outermost).
    pub tunnel_id: u32,
}

/// Source and destination ports of a frame as the flow key uses them.
pub fn ports(frame: &Frame) -> (u16, u16) {
    match frame.l4 {
        L4::Tcp(t) => (t.src_port, t.dst_port),
        L4::Udp { src_port, dst_port } => (src_port, dst_port),
        // Echo request/reply pairs share the identifier: key on it so that
        // separate ping sessions are separate flows.
        L4::Icmp { icmp_type, id, .. } if icmp_type == 0 || icmp_type == 8 => (id, id),
        L4::Icmpv6 { icmp_type, id, .. } if icmp_type == 128 || icmp_type == 129 => (id, id),
        _ => (0, 0),
    }
}

impl FlowKey {
    /// The key of a frame, and whether the frame's source is endpoint `a`.
    pub fn from_frame(frame: &Frame) -> (FlowKey, bool) {
        let (sp, dp) = ports(frame);
        let src = (frame.ip.src, sp);
        let dst = (frame.ip.dst, dp);
        let src_is_a = src <= dst;
        let (a, b) = if src_is_a { (src, dst) } else { (dst, src) };
        let mut vlans = [0u16; MAX_VLANS];
        let n = (frame.vlan_count as usize).min(MAX_VLANS);
        vlans[..n].copy_from_slice(&frame.vlans[..n]);
        (
            FlowKey {
                addr_a: a.0,
                addr_b: b.0,
                port_a: a.1,
                port_b: b.1,
                proto: frame.ip.proto,
                is_v4: frame.ip.is_v4,
                vlans,
                tunnel_id: frame.tunnel_id,
            },
            src_is_a,
        )
    }

    /// A deterministic 64-bit hash of the key (for flow ids).
    pub fn hash64(&self) -> u64 {
        let mut h = Mix::new();
        h.bytes(&self.addr_a);
        h.bytes(&self.addr_b);
        h.word(((self.port_a as u64) << 16) | self.port_b as u64);
        h.word(((self.proto as u64) << 32) | self.tunnel_id as u64);
        h.word(
            ((self.vlans[0] as u64) << 32) | ((self.vlans[1] as u64) << 16) | self.vlans[2] as u64,
        );
        h.finish()
    }

    /// Whether the protocol is TCP.
    pub fn is_tcp(&self) -> bool {
        self.proto == ip_proto::TCP
    }
}

/// Which worker owns a frame: a symmetric hash of the unordered address pair,
/// VLANs and tunnel id. Ports are left out on purpose (Suricata's "ippair"
/// scheduling): fragments carry no ports, and keying on the address pair keeps
/// every fragment and the reassembled datagram in the worker that tracks the
/// flow.
pub fn worker_hash(frame: &Frame) -> u64 {
    worker_hash_of(
        &frame.ip.src,
        &frame.ip.dst,
        frame.vlans[0],
        frame.tunnel_id,
    )
}

/// [`worker_hash`] from its parts: the frame's addresses (IPv4 in the first
/// four bytes), its outermost VLAN id (0 without one) and tunnel id (0 for
/// the outermost frame). For the reader's routing fast path, which finds
/// these without decoding the whole packet.
pub fn worker_hash_of(src: &Addr, dst: &Addr, vlan0: u16, tunnel_id: u32) -> u64 {
    let (a, b) = if src <= dst { (src, dst) } else { (dst, src) };
    let mut h = Mix::new();
    h.bytes(a);
    h.bytes(b);
    h.word(((vlan0 as u64) << 32) | tunnel_id as u64);
    h.finish()
}

/// A small, fast, deterministic mixer (splitmix-style finaliser over
/// 64-bit words). Not for hash tables fed by attackers: the flow table uses
/// hashbrown's seeded hasher for that.
struct Mix(u64);

impl Mix {
    fn new() -> Self {
        Mix(0x9e37_79b9_7f4a_7c15)
    }
    fn word(&mut self, w: u64) {
        self.0 = (self.0 ^ w)
            .wrapping_mul(0xbf58_476d_1ce4_e5b9)
            .rotate_left(31);
    }
    fn bytes(&mut self, b: &[u8; 16]) {
        let (lo, hi) = b.split_at(8);
        let mut l = [0u8; 8];
        l.copy_from_slice(lo);
        let mut h = [0u8; 8];
        h.copy_from_slice(hi);
        self.word(u64::from_le_bytes(l));
        self.word(u64::from_le_bytes(h));
    }
    fn finish(&self) -> u64 {
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// A flow id: stable for a given key and start time, positive and below
/// 2^51 so JSON consumers that parse numbers as doubles keep it exact.
pub fn flow_id(key: &FlowKey, start_nanos: u64) -> u64 {
    let mut h = Mix::new();
    h.word(key.hash64());
    h.word(start_nanos);
    let id = h.finish() & ((1u64 << 51) - 1);
    id.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_wire::{IpInfo, TcpInfo};

    fn frame(src: u8, dst: u8, sp: u16, dp: u16) -> Frame<'static> {
        let mut f = Frame::default();
        let mut s = [0u8; 16];
        s[..4].copy_from_slice(&[10, 0, 0, src]);
        let mut d = [0u8; 16];
        d[..4].copy_from_slice(&[10, 0, 0, dst]);
        f.ip = IpInfo {
            is_v4: true,
            src: s,
            dst: d,
            proto: 6,
            ..Default::default()
        };
        f.l4 = L4::Tcp(TcpInfo {
            src_port: sp,
            dst_port: dp,
            ..Default::default()
        });
        f
    }

    #[test]
    fn both_directions_share_a_key() {
        let (k1, a1) = FlowKey::from_frame(&frame(1, 2, 40000, 80));
        let (k2, a2) = FlowKey::from_frame(&frame(2, 1, 80, 40000));
        assert_eq!(k1, k2);
        assert_ne!(a1, a2);
        assert_eq!(
            worker_hash(&frame(1, 2, 1, 2)),
            worker_hash(&frame(2, 1, 3, 4))
        );
        assert_eq!(flow_id(&k1, 5), flow_id(&k2, 5));
        assert_ne!(flow_id(&k1, 5), flow_id(&k1, 6));
        assert!(flow_id(&k1, 5) < (1 << 51));
    }

    #[test]
    fn vlan_and_tunnel_separate_flows() {
        let mut f = frame(1, 2, 1, 2);
        let (k1, _) = FlowKey::from_frame(&f);
        f.vlan_count = 1;
        f.vlans[0] = 10;
        let (k2, _) = FlowKey::from_frame(&f);
        f.tunnel_id = 7;
        let (k3, _) = FlowKey::from_frame(&f);
        assert_ne!(k1, k2);
        assert_ne!(k2, k3);
    }
}
