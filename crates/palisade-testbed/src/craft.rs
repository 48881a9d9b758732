//! Hand-crafted packets for tests and benchmarks: the odd cases a fleet
//! scenario never produces (tunnels, fragments, overlaps), built one at a
//! time with correct checksums unless asked otherwise.
//!
//! Allocation per call is fine here: this is test tooling, not the
//! generator's hot path (that is `packet`).

use palisade_wire::checksum;

/// Locally administered MACs used by crafted frames.
pub const MAC_A: [u8; 6] = [0x02, 0, 0, 0, 0, 0x0a];
/// Second crafted MAC.
pub const MAC_B: [u8; 6] = [0x02, 0, 0, 0, 0, 0x0b];

/// TCP flag bits for [`tcp`].
pub mod flags {
    /// FIN
    pub const FIN: u8 = 0x01;
    /// SYN
    pub const SYN: u8 = 0x02;
    /// RST
    pub const RST: u8 = 0x04;
    /// PSH|ACK
    pub const PSH_ACK: u8 = 0x18;
    /// ACK
    pub const ACK: u8 = 0x10;
}

/// An Ethernet II frame.
pub fn ethernet(src: [u8; 6], dst: [u8; 6], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(14 + payload.len());
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// An IPv4 packet (20-byte header, correct checksum). `frag` is the flags
/// and fragment offset field (e.g. `0x2000` = more fragments, offset 0;
/// offset in 8-byte units in the low 13 bits).
pub fn ipv4(src: [u8; 4], dst: [u8; 4], proto: u8, id: u16, frag: u16, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x45, 0];
    p.extend_from_slice(&((20 + payload.len()) as u16).to_be_bytes());
    p.extend_from_slice(&id.to_be_bytes());
    p.extend_from_slice(&frag.to_be_bytes());
    p.extend_from_slice(&[64, proto, 0, 0]);
    p.extend_from_slice(&src);
    p.extend_from_slice(&dst);
    let c = checksum::checksum(&p);
    p[10..12].copy_from_slice(&c.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

/// A TCP segment (20-byte header) with its checksum for the given IPv4 pair.
#[allow(clippy::too_many_arguments)]
pub fn tcp(
    src: [u8; 4],
    dst: [u8; 4],
    sport: u16,
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    let mut s = Vec::with_capacity(20 + payload.len());
    s.extend_from_slice(&sport.to_be_bytes());
    s.extend_from_slice(&dport.to_be_bytes());
    s.extend_from_slice(&seq.to_be_bytes());
    s.extend_from_slice(&ack.to_be_bytes());
    s.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    s.extend_from_slice(payload);
    let ps = checksum::pseudo_v4(src, dst, 6, s.len() as u32);
    let c = checksum::upper_layer(ps, &s);
    s[16..18].copy_from_slice(&c.to_be_bytes());
    s
}

/// A UDP datagram with its checksum for the given IPv4 pair.
pub fn udp(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut d = Vec::with_capacity(8 + payload.len());
    d.extend_from_slice(&sport.to_be_bytes());
    d.extend_from_slice(&dport.to_be_bytes());
    d.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    d.extend_from_slice(&[0, 0]);
    d.extend_from_slice(payload);
    let ps = checksum::pseudo_v4(src, dst, 17, d.len() as u32);
    let c = checksum::upper_layer(ps, &d);
    d[6..8].copy_from_slice(&c.to_be_bytes());
    d
}

/// Ethernet/IPv4/TCP in one call.
#[allow(clippy::too_many_arguments)]
pub fn eth_ipv4_tcp(
    src: [u8; 4],
    dst: [u8; 4],
    sport: u16,
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    let seg = tcp(src, dst, sport, dport, seq, ack, flags, payload);
    ethernet(MAC_A, MAC_B, 0x0800, &ipv4(src, dst, 6, 1, 0x4000, &seg))
}

/// Ethernet/IPv4/UDP in one call.
pub fn eth_ipv4_udp(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let d = udp(src, dst, sport, dport, payload);
    ethernet(MAC_A, MAC_B, 0x0800, &ipv4(src, dst, 17, 1, 0, &d))
}

/// An Ethernet frame wrapped in Ethernet/IPv4/UDP/VXLAN (port 4789), as a
/// switch or cloud traffic mirror delivers it from `mirror` to `sensor`.
pub fn vxlan(mirror: [u8; 4], sensor: [u8; 4], vni: u32, inner_frame: &[u8]) -> Vec<u8> {
    let mut v = vec![0x08, 0, 0, 0];
    v.extend_from_slice(&(vni << 8).to_be_bytes());
    v.extend_from_slice(inner_frame);
    eth_ipv4_udp(mirror, sensor, 50000, 4789, &v)
}

/// The Ethernet frames of one IPv4 datagram cut into fragments of
/// `chunk` bytes of payload (rounded down to a multiple of 8).
pub fn ipv4_fragments(
    src: [u8; 4],
    dst: [u8; 4],
    proto: u8,
    id: u16,
    payload: &[u8],
    chunk: usize,
) -> Vec<Vec<u8>> {
    let chunk = (chunk / 8).max(1) * 8;
    let mut out = Vec::new();
    let mut off = 0;
    while off < payload.len() {
        let end = (off + chunk).min(payload.len());
        let more = if end < payload.len() { 0x2000 } else { 0 };
        let field = more | (off / 8) as u16;
        out.push(ethernet(
            MAC_A,
            MAC_B,
            0x0800,
            &ipv4(src, dst, proto, id, field, &payload[off..end]),
        ));
        off = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crafted_checksums_verify() {
        let f = eth_ipv4_tcp([10, 0, 0, 1], [10, 0, 0, 2], 1, 2, 3, 4, flags::ACK, b"abc");
        assert_eq!(checksum::checksum(&f[14..34]), 0);
        let ps = checksum::pseudo_v4([10, 0, 0, 1], [10, 0, 0, 2], 6, (f.len() - 34) as u32);
        assert_eq!(checksum::upper_layer(ps, &f[34..]), 0);
        let frags = ipv4_fragments([10, 0, 0, 1], [10, 0, 0, 2], 17, 9, &[7u8; 50], 16);
        assert_eq!(frags.len(), 4);
        assert_eq!(u16::from_be_bytes([frags[1][20], frags[1][21]]), 0x2002);
        assert_eq!(u16::from_be_bytes([frags[3][20], frags[3][21]]), 6);
    }
}
