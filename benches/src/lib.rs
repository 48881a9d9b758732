//! Packet builders shared by the criterion benchmarks in `benches/benches/`.
#![forbid(unsafe_code)]

/// An Ethernet/IPv4/TCP packet with `payload` bytes, valid checksums.
pub fn eth_ipv4_tcp(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16, seq: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(54 + payload.len());
    p.extend_from_slice(&[0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00]);
    let tot = (40 + payload.len()) as u16;
    let mut ip = [0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    ip[2..4].copy_from_slice(&tot.to_be_bytes());
    ip[12..16].copy_from_slice(&src);
    ip[16..20].copy_from_slice(&dst);
    let c = palisade_wire::checksum::checksum(&ip);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    p.extend_from_slice(&ip);
    let mut tcp = [0u8; 20];
    tcp[0..2].copy_from_slice(&sport.to_be_bytes());
    tcp[2..4].copy_from_slice(&dport.to_be_bytes());
    tcp[4..8].copy_from_slice(&seq.to_be_bytes());
    tcp[8..12].copy_from_slice(&1u32.to_be_bytes());
    tcp[12] = 0x50;
    tcp[13] = flags;
    tcp[14..16].copy_from_slice(&65535u16.to_be_bytes());
    let mut seg = tcp.to_vec();
    seg.extend_from_slice(payload);
    let ps = palisade_wire::checksum::pseudo_v4(src, dst, 6, seg.len() as u32);
    let c = palisade_wire::checksum::upper_layer(ps, &seg);
    seg[16..18].copy_from_slice(&c.to_be_bytes());
    p.extend_from_slice(&seg);
    p
}

/// The same packet wrapped in Ethernet/IPv4/UDP/VXLAN (VNI 42), as a cloud
/// or switch mirror delivers it.
pub fn vxlan(inner: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(50 + inner.len());
    p.extend_from_slice(&[0x02, 0, 0, 0, 0, 9, 0x02, 0, 0, 0, 0, 8, 0x08, 0x00]);
    let tot = (20 + 8 + 8 + inner.len()) as u16;
    let mut ip = [0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, 17, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2];
    ip[2..4].copy_from_slice(&tot.to_be_bytes());
    let c = palisade_wire::checksum::checksum(&ip);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    p.extend_from_slice(&ip);
    let ulen = (8 + 8 + inner.len()) as u16;
    p.extend_from_slice(&50000u16.to_be_bytes());
    p.extend_from_slice(&4789u16.to_be_bytes());
    p.extend_from_slice(&ulen.to_be_bytes());
    p.extend_from_slice(&[0, 0]);
    p.extend_from_slice(&[0x08, 0, 0, 0, 0, 0, 42, 0]);
    p.extend_from_slice(inner);
    p
}
