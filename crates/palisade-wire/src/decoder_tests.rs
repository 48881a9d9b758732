//! Decoder tests on literal bytes: real captures, hand-built packets of
//! every protocol and tunnel, truncations at every length, malformations,
//! and a property test over random and bit-flipped input.

use super::*;
use crate::anomaly::DecodeEvent as E;
use crate::decoded::{DecodedPacket, MAX_ANOMALIES};

// ---------------------------------------------------------------- real bytes

/// ndpi/mqtt.pcap #1: 10.10.10.1:1883 -> 192.168.0.1:41892 SYN-ACK, MSS 1460,
/// SACK_PERM, TS 3693834450/3143612355, WS 7; checksums good (tshark).
const MQTT_SYNACK: [u8; 74] = [
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x4d, 0x2c, 0xb0, 0x08, 0x00, 0x45,
    0x00, //
    0x00, 0x3c, 0x00, 0x00, 0x40, 0x00, 0x34, 0x06, 0x72, 0x08, 0x0a, 0x0a, 0x0a, 0x01, 0xc0,
    0xa8, //
    0x00, 0x01, 0x07, 0x5b, 0xa3, 0xa4, 0x19, 0xa4, 0x98, 0xd9, 0xc3, 0x03, 0xf0, 0x53, 0xa0,
    0x12, //
    0xfe, 0x88, 0xa3, 0xbc, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0xdc,
    0x2b, //
    0x70, 0xd2, 0xbb, 0x5f, 0xb7, 0xc3, 0x01, 0x03, 0x03, 0x07,
];

/// stopddos/pkt.TCP.synflood.spoofed.pcap #1: 160.161.74.108:41885 ->
/// 10.10.10.10:25565 SYN, total length 40, 6 bytes of Ethernet padding.
const SYNFLOOD_SYN: [u8; 60] = [
    0x4c, 0x72, 0xb9, 0x7c, 0xb5, 0xb7, 0x44, 0xf4, 0x77, 0x0f, 0xea, 0x49, 0x08, 0x00, 0x45,
    0x00, //
    0x00, 0x28, 0xe9, 0x15, 0x00, 0x00, 0xf2, 0x06, 0xe0, 0x98, 0xa0, 0xa1, 0x4a, 0x6c, 0x0a,
    0x0a, //
    0x0a, 0x0a, 0xa3, 0x9d, 0x63, 0xdd, 0x36, 0xfc, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x50,
    0x02, //
    0x00, 0x00, 0x72, 0x4a, 0x00, 0x00, 0x00, 0x00, 0x86, 0x66, 0x54, 0x55,
];

/// ndpi/coap_mqtt.pcap #1: IPv6 UDP 61043 -> 5683 (CoAP GET
/// /.well-known/core), UDP checksum good (tshark).
const COAP_V6: [u8; 86] = [
    0x00, 0x23, 0x89, 0xb4, 0xcc, 0x01, 0x48, 0x5d, 0x60, 0xc0, 0x97, 0x4a, 0x86, 0xdd, 0x60,
    0x00, //
    0x00, 0x00, 0x00, 0x20, 0x11, 0x40, 0x20, 0x01, 0x0d, 0xa8, 0x02, 0x15, 0x11, 0x71, 0xa1,
    0x0b, //
    0xcb, 0x48, 0x8f, 0x83, 0x57, 0xf6, 0x20, 0x01, 0x06, 0x20, 0x00, 0x08, 0x35, 0xd9, 0x00,
    0x00, //
    0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0xee, 0x73, 0x16, 0x33, 0x00, 0x20, 0xfd, 0x1a, 0x43,
    0x01, //
    0x05, 0xca, 0x72, 0x16, 0x33, 0x2b, 0x2e, 0x77, 0x65, 0x6c, 0x6c, 0x2d, 0x6b, 0x6e, 0x6f,
    0x77, //
    0x6e, 0x04, 0x63, 0x6f, 0x72, 0x65,
];

// ---------------------------------------------------------------- builders

const MAC_A: [u8; 6] = [0x02, 0, 0, 0, 0, 0x0a];
const MAC_B: [u8; 6] = [0x02, 0, 0, 0, 0, 0x0b];
const A4: [u8; 4] = [192, 168, 1, 10];
const B4: [u8; 4] = [192, 168, 1, 20];
const A6: [u8; 16] = [
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a,
];
const B6: [u8; 16] = [
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0b,
];

fn eth(et: u16, payload: &[u8]) -> Vec<u8> {
    eth_tagged(&[], et, payload)
}

/// Ethernet with VLAN tags given as (TPID, VID), outermost first.
fn eth_tagged(tags: &[(u16, u16)], et: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&MAC_B);
    v.extend_from_slice(&MAC_A);
    for &(tpid, vid) in tags {
        v.extend_from_slice(&tpid.to_be_bytes());
        v.extend_from_slice(&vid.to_be_bytes());
    }
    v.extend_from_slice(&et.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

/// IPv4 with a correct header checksum; `flags_off` is the raw flags and
/// fragment-offset word.
fn ipv4_full(
    src: [u8; 4],
    dst: [u8; 4],
    proto: u8,
    options: &[u8],
    flags_off: u16,
    payload: &[u8],
) -> Vec<u8> {
    assert_eq!(options.len() % 4, 0);
    let hl = 20 + options.len();
    let total = (hl + payload.len()) as u16;
    let mut v = vec![0x40 | (hl / 4) as u8, 0];
    v.extend_from_slice(&total.to_be_bytes());
    v.extend_from_slice(&0x1234u16.to_be_bytes());
    v.extend_from_slice(&flags_off.to_be_bytes());
    v.extend_from_slice(&[64, proto, 0, 0]);
    v.extend_from_slice(&src);
    v.extend_from_slice(&dst);
    v.extend_from_slice(options);
    let c = checksum::checksum(&v);
    v[10..12].copy_from_slice(&c.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

fn ipv4(proto: u8, payload: &[u8]) -> Vec<u8> {
    ipv4_full(A4, B4, proto, &[], 0x4000, payload)
}

fn ipv6(nh: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![0x60, 0, 0, 0];
    v.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    v.extend_from_slice(&[nh, 64]);
    v.extend_from_slice(&A6);
    v.extend_from_slice(&B6);
    v.extend_from_slice(payload);
    v
}

#[derive(Clone, Copy)]
enum Ips {
    V4,
    V6,
}

fn pseudo(ips: Ips, proto: u8, len: usize) -> u64 {
    match ips {
        Ips::V4 => checksum::pseudo_v4(A4, B4, proto, len as u32),
        Ips::V6 => checksum::pseudo_v6(A6, B6, proto, len as u32),
    }
}

fn tcp_full(ips: Ips, sp: u16, dp: u16, flags: u8, opts: &[u8], payload: &[u8]) -> Vec<u8> {
    assert_eq!(opts.len() % 4, 0);
    let hl = 20 + opts.len();
    let mut v = Vec::new();
    v.extend_from_slice(&sp.to_be_bytes());
    v.extend_from_slice(&dp.to_be_bytes());
    v.extend_from_slice(&1000u32.to_be_bytes());
    v.extend_from_slice(&2000u32.to_be_bytes());
    v.push(((hl / 4) as u8) << 4);
    v.push(flags);
    v.extend_from_slice(&8192u16.to_be_bytes());
    v.extend_from_slice(&[0, 0, 0, 0]);
    v.extend_from_slice(opts);
    v.extend_from_slice(payload);
    let c = checksum::upper_layer(pseudo(ips, 6, v.len()), &v);
    v[16..18].copy_from_slice(&c.to_be_bytes());
    v
}

fn tcp(ips: Ips, flags: u8, payload: &[u8]) -> Vec<u8> {
    tcp_full(ips, 40000, 80, flags, &[], payload)
}

fn udp(ips: Ips, sp: u16, dp: u16, payload: &[u8]) -> Vec<u8> {
    let len = (8 + payload.len()) as u16;
    let mut v = Vec::new();
    v.extend_from_slice(&sp.to_be_bytes());
    v.extend_from_slice(&dp.to_be_bytes());
    v.extend_from_slice(&len.to_be_bytes());
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(payload);
    let mut c = checksum::upper_layer(pseudo(ips, 17, v.len()), &v);
    if c == 0 {
        c = 0xffff;
    }
    v[6..8].copy_from_slice(&c.to_be_bytes());
    v
}

fn icmp4(t: u8, code: u8, rest: [u8; 4], body: &[u8]) -> Vec<u8> {
    let mut v = vec![t, code, 0, 0];
    v.extend_from_slice(&rest);
    v.extend_from_slice(body);
    let c = checksum::checksum(&v);
    v[2..4].copy_from_slice(&c.to_be_bytes());
    v
}

fn icmp6(t: u8, code: u8, rest: [u8; 4], body: &[u8]) -> Vec<u8> {
    let mut v = vec![t, code, 0, 0];
    v.extend_from_slice(&rest);
    v.extend_from_slice(body);
    let c = checksum::upper_layer(pseudo(Ips::V6, 58, v.len()), &v);
    v[2..4].copy_from_slice(&c.to_be_bytes());
    v
}

fn vxlan(vni: u32, inner: &[u8]) -> Vec<u8> {
    let mut v = vec![0x08, 0, 0, 0];
    v.extend_from_slice(&(vni << 8).to_be_bytes());
    v.extend_from_slice(inner);
    v
}

fn gre(flags: u16, proto: u16, key: Option<u32>, seq: Option<u32>, inner: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&flags.to_be_bytes());
    v.extend_from_slice(&proto.to_be_bytes());
    if let Some(k) = key {
        v.extend_from_slice(&k.to_be_bytes());
    }
    if let Some(s) = seq {
        v.extend_from_slice(&s.to_be_bytes());
    }
    v.extend_from_slice(inner);
    v
}

fn erspan2(session: u16, vlan: u16, inner: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&(0x1000 | vlan).to_be_bytes());
    v.extend_from_slice(&session.to_be_bytes());
    v.extend_from_slice(&[0, 0, 0, 5]);
    v.extend_from_slice(inner);
    v
}

fn erspan3(session: u16, platform: Option<[u8; 8]>, inner: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&0x2000u16.to_be_bytes());
    v.extend_from_slice(&session.to_be_bytes());
    v.extend_from_slice(&0x0102_0304u32.to_be_bytes()); // timestamp
    v.extend_from_slice(&[0, 0]); // sgt
                                  // P=1 (Ethernet), FT 0, hw 0, D 0, gra 3, O
    let flags: u16 = 0x8000 | (3 << 1) | u16::from(platform.is_some());
    v.extend_from_slice(&flags.to_be_bytes());
    if let Some(p) = platform {
        v.extend_from_slice(&p);
    }
    v.extend_from_slice(inner);
    v
}

/// Ethernet/IPv4/TCP with payload "hello".
fn eth_v4_tcp() -> Vec<u8> {
    eth(
        0x0800,
        &ipv4(6, &tcp(Ips::V4, tcp_flags::PSH | tcp_flags::ACK, b"hello")),
    )
}

fn eth_v4_udp(dp: u16, payload: &[u8]) -> Vec<u8> {
    eth(0x0800, &ipv4(17, &udp(Ips::V4, 50000, dp, payload)))
}

// ---------------------------------------------------------------- helpers

fn dec() -> Decoder {
    Decoder::new(DecoderConfig::default())
}

fn dec_checksums() -> Decoder {
    Decoder::new(DecoderConfig {
        validate_checksums: true,
        ..DecoderConfig::default()
    })
}

fn run<'a>(d: &mut Decoder, link: Link, data: &'a [u8]) -> DecodedPacket<'a> {
    let mut out = DecodedPacket::default();
    d.decode(link, data, data.len() as u32, &mut out);
    check_invariants(data, &out);
    out
}

fn decode(link: Link, data: &[u8]) -> DecodedPacket<'_> {
    run(&mut dec(), link, data)
}

fn has(out: &DecodedPacket<'_>, ev: E) -> bool {
    out.anomalies().contains(&ev)
}

fn tcp_info(f: &Frame<'_>) -> TcpInfo {
    match f.l4 {
        L4::Tcp(t) => t,
        other => panic!("not tcp: {other:?}"),
    }
}

fn udp_ports(f: &Frame<'_>) -> (u16, u16) {
    match f.l4 {
        L4::Udp { src_port, dst_port } => (src_port, dst_port),
        other => panic!("not udp: {other:?}"),
    }
}

/// True when `inner` lies inside `outer` (same allocation, in bounds).
fn within(outer: &[u8], inner: &[u8]) -> bool {
    let o = outer.as_ptr_range();
    let i = inner.as_ptr_range();
    inner.is_empty() || (i.start >= o.start && i.end <= o.end)
}

/// What must hold for any decode of any input.
fn check_invariants(data: &[u8], out: &DecodedPacket<'_>) {
    assert!(out.frame_count as usize <= MAX_FRAMES);
    assert!(out.anomaly_count as usize <= MAX_ANOMALIES);
    for (i, f) in out.frames().iter().enumerate() {
        assert!(within(data, f.ip.packet), "frame {i} packet outside data");
        assert!(within(data, f.payload), "frame {i} payload outside data");
        assert!(
            within(f.ip.packet, f.payload),
            "frame {i} payload outside packet"
        );
        assert!(
            f.ip.header_len as usize <= f.ip.packet.len(),
            "frame {i} header_len"
        );
        assert!(f.vlan_count as usize <= MAX_VLANS);
        if i > 0 {
            let prev = &out.frames()[i - 1];
            assert_eq!(f.depth, prev.depth + 1, "depth steps by one");
            assert_ne!(f.tunnel_id, 0);
            assert!(f.len as usize <= data.len());
        }
        if let Some(fr) = f.ip.frag {
            assert!(matches!(f.l4, L4::None));
            assert!(fr.data_offset as usize <= f.ip.packet.len());
        }
    }
}

// ---------------------------------------------------------------- ethernet / ipv4 / tcp

#[test]
fn real_mqtt_synack() {
    let mut d = dec_checksums();
    let out = run(&mut d, Link::Ethernet, &MQTT_SYNACK);
    assert_eq!(out.anomalies(), &[]);
    let e = out.ethernet.unwrap();
    assert_eq!(e.dst, [0; 6]);
    assert_eq!(e.src, [0x00, 0x0c, 0x00, 0x4d, 0x2c, 0xb0]);
    assert_eq!(e.ethertype, 0x0800);
    assert_eq!(out.frame_count, 1);
    let f = &out.frames()[0];
    assert!(f.ip.is_v4);
    assert_eq!(f.ip.src[..4], [10, 10, 10, 1]);
    assert_eq!(f.ip.src[4..], [0; 12]);
    assert_eq!(f.ip.dst[..4], [192, 168, 0, 1]);
    assert_eq!(f.ip.proto, 6);
    assert_eq!(f.ip.ttl, 0x34);
    assert_eq!(f.ip.id, 0);
    assert_eq!(f.ip.header_len, 20);
    assert_eq!(f.ip.packet.len(), 60);
    assert!(f.ip.frag.is_none());
    let t = tcp_info(f);
    assert_eq!((t.src_port, t.dst_port), (1883, 41892));
    assert_eq!(t.seq, 430217433);
    assert_eq!(t.ack, 3271815251);
    assert_eq!(t.flags, tcp_flags::SYN | tcp_flags::ACK);
    assert_eq!(t.window, 65160);
    assert_eq!(t.mss, Some(1460));
    assert!(t.sack_permitted);
    assert_eq!(t.timestamps, Some((3693834450, 3143612355)));
    assert_eq!(t.wscale, Some(7));
    assert!(f.payload.is_empty());
    assert_eq!(f.checksum, ChecksumStatus::Ok);
    assert_eq!((f.depth, f.tunnel_id, f.vlan_count, f.len), (0, 0, 0, 74));
    assert_eq!(d.stats.pkts, 1);
    assert_eq!(d.stats.bytes, 74);
    assert_eq!((d.stats.ethernet, d.stats.ipv4, d.stats.tcp), (1, 1, 1));
    assert_eq!(
        (
            d.stats.checksum_checked,
            d.stats.checksum_bad,
            d.stats.invalid
        ),
        (2, 0, 0)
    );
}

#[test]
fn real_synflood_padding_trimmed() {
    let mut d = dec_checksums();
    let out = run(&mut d, Link::Ethernet, &SYNFLOOD_SYN);
    assert_eq!(out.anomalies(), &[]);
    let f = &out.frames()[0];
    // 60-byte frame, IP total length 40: the 6 padding bytes are not IP
    assert_eq!(f.ip.packet.len(), 40);
    assert_eq!(f.ip.id, 0xe915);
    assert_eq!(f.ip.ttl, 242);
    let t = tcp_info(f);
    assert_eq!(
        (t.src_port, t.dst_port, t.seq, t.flags, t.window),
        (41885, 25565, 922484736, tcp_flags::SYN, 0)
    );
    assert_eq!(t.mss, None);
    assert!(f.payload.is_empty(), "padding is not payload");
    assert_eq!(f.checksum, ChecksumStatus::Ok);
    assert_eq!(f.len, 60);
}

#[test]
fn real_coap_over_ipv6() {
    let mut d = dec_checksums();
    let out = run(&mut d, Link::Ethernet, &COAP_V6);
    assert_eq!(out.anomalies(), &[]);
    let f = &out.frames()[0];
    assert!(!f.ip.is_v4);
    assert_eq!(f.ip.src[..4], [0x20, 0x01, 0x0d, 0xa8]);
    assert_eq!(f.ip.dst[15], 0x10);
    assert_eq!((f.ip.proto, f.ip.ttl, f.ip.header_len), (17, 64, 40));
    assert_eq!(udp_ports(f), (61043, 5683));
    assert_eq!(f.payload.len(), 24);
    assert_eq!(&f.payload[..4], &[0x43, 0x01, 0x05, 0xca]);
    assert_eq!(f.checksum, ChecksumStatus::Ok);
    assert_eq!(
        (d.stats.ipv6, d.stats.udp, d.stats.checksum_checked),
        (1, 1, 1)
    );
}

#[test]
fn built_tcp_packet() {
    let p = eth_v4_tcp();
    let mut d = dec_checksums();
    let out = run(&mut d, Link::Ethernet, &p);
    assert_eq!(out.anomalies(), &[]);
    let f = &out.frames()[0];
    assert_eq!(f.payload, b"hello");
    assert_eq!(tcp_info(f).seq, 1000);
    assert_eq!(tcp_info(f).ack, 2000);
    assert_eq!(f.checksum, ChecksumStatus::Ok);
}

#[test]
fn reused_output_is_cleared() {
    let arp_pkt = eth(0x0806, &ARP_REQ);
    let tcp_pkt = eth_v4_tcp();
    let mut d = dec();
    let mut out = DecodedPacket::default();
    d.decode(Link::Ethernet, &tcp_pkt, tcp_pkt.len() as u32, &mut out);
    assert_eq!(out.frame_count, 1);
    d.decode(Link::Ethernet, &arp_pkt, arp_pkt.len() as u32, &mut out);
    assert_eq!(out.frame_count, 0);
    assert!(out.arp.is_some());
    let junk = [0u8; 3];
    d.decode(Link::Ethernet, &junk, 3, &mut out);
    assert!(out.arp.is_none() && out.ethernet.is_none() && out.frame_count == 0);
    assert_eq!(out.anomalies(), &[E::EthernetPktTooSmall]);
}

#[test]
fn truncated_tcp_packet_at_every_length() {
    let p = eth_v4_tcp(); // 14 + 20 + 20 + 5 = 59
    for n in 0..p.len() {
        let mut d = dec_checksums();
        let mut out = DecodedPacket::default();
        d.decode(Link::Ethernet, &p[..n], p.len() as u32, &mut out);
        check_invariants(&p[..n], &out);
        assert!(has(&out, E::PktTruncatedBySnaplen));
        match n {
            0..=13 => {
                assert!(has(&out, E::EthernetPktTooSmall), "{n}");
                assert_eq!(d.stats.invalid, 1);
            }
            14..=33 => {
                assert!(has(&out, E::Ipv4PktTooSmall), "{n}");
                assert_eq!(d.stats.invalid, 1);
            }
            _ => {
                assert_eq!(d.stats.invalid, 0, "{n}");
                assert!(has(&out, E::Ipv4TruncPkt), "{n}");
                let f = &out.frames()[0];
                assert_eq!(f.ip.packet.len(), n - 14);
                assert_eq!(f.len, p.len() as u32);
                // IP header checksum is still checked; TCP is not
                assert_eq!(f.checksum, ChecksumStatus::Ok);
                if n < 54 {
                    assert!(has(&out, E::TcpPktTooSmall), "{n}");
                    assert!(matches!(f.l4, L4::None));
                } else {
                    // what was captured of the payload is kept
                    assert_eq!(tcp_info(f).dst_port, 80);
                    assert_eq!(f.payload, &b"hello"[..n - 54]);
                    assert_eq!(d.stats.checksum_checked, 1);
                }
            }
        }
    }
}

#[test]
fn ipv4_options_walked() {
    // router alert + NOP + EOL: fine
    let good = ipv4_full(
        A4,
        B4,
        6,
        &[148, 4, 0, 0, 1, 0, 0, 0],
        0,
        &tcp(Ips::V4, tcp_flags::ACK, b"x"),
    );
    let p = eth(0x0800, &good);
    let out = decode(Link::Ethernet, &p);
    assert_eq!(out.anomalies(), &[]);
    assert_eq!(out.frames()[0].ip.header_len, 28);
    assert_eq!(out.frames()[0].payload, b"x");
    // unknown option, duplicate, bad length: reported, TCP still decoded
    let bad = ipv4_full(
        A4,
        B4,
        6,
        &[0x55, 2, 148, 4, 0, 0, 148, 4, 0, 0, 7, 40],
        0,
        &tcp(Ips::V4, tcp_flags::ACK, b"x"),
    );
    let p = eth(0x0800, &bad);
    let out = decode(Link::Ethernet, &p);
    assert_eq!(
        out.anomalies(),
        &[E::Ipv4OptUnknown, E::Ipv4OptDuplicate, E::Ipv4OptMalformed]
    );
    assert_eq!(out.frames()[0].payload, b"x");
    assert_eq!(tcp_info(&out.frames()[0]).dst_port, 80);
}

#[test]
fn ipv4_broken_headers() {
    let good = ipv4(6, &tcp(Ips::V4, tcp_flags::ACK, b"abc"));
    // IHL 4
    let mut b = good.clone();
    b[0] = 0x44;
    let p = eth(0x0800, &b);
    let out = decode(Link::Ethernet, &p);
    assert_eq!(out.anomalies(), &[E::Ipv4HlenTooSmall]);
    let f = &out.frames()[0];
    assert!(matches!(f.l4, L4::None));
    assert!(f.payload.is_empty());
    assert_eq!(f.ip.src[..4], A4);
    // total length below header length
    let mut b = good.clone();
    b[2] = 0;
    b[3] = 10;
    let p = eth(0x0800, &b);
    let out = decode(Link::Ethernet, &p);
    assert_eq!(out.anomalies(), &[E::Ipv4IplenSmallerThanHlen]);
    assert!(matches!(out.frames()[0].l4, L4::None));
    assert_eq!(out.frames()[0].ip.packet.len(), 20);
    // IHL larger than the packet
    let mut b = good.clone();
    b[0] = 0x4f; // 60-byte header in a 43-byte packet
    let p = eth(0x0800, &b);
    let out = decode(Link::Ethernet, &p);
    assert!(matches!(out.frames()[0].l4, L4::None));
    assert_eq!(out.frames()[0].ip.header_len, 43);
    assert_eq!(out.anomalies(), &[E::Ipv4IplenSmallerThanHlen]);
    // capture cut inside the options: the IP layer is kept, nothing above
    let opt = ipv4_full(
        A4,
        B4,
        6,
        &[148, 4, 0, 0, 1, 1, 1, 0],
        0,
        &tcp(Ips::V4, tcp_flags::ACK, b""),
    );
    let p = eth(0x0800, &opt[..24]);
    let out = decode(Link::Ethernet, &p);
    assert_eq!(out.anomalies(), &[E::Ipv4TruncPkt]);
    assert_eq!(out.frames()[0].ip.header_len, 24);
    assert!(matches!(out.frames()[0].l4, L4::None));
    assert!(out.frames()[0].payload.is_empty());
    // wrong version under EtherType IPv4
    let mut b = good.clone();
    b[0] = 0x65;
    let p = eth(0x0800, &b);
    let mut d = dec();
    let out = run(&mut d, Link::Ethernet, &p);
    assert_eq!(out.anomalies(), &[E::Ipv4WrongIpVersion]);
    assert_eq!(out.frame_count, 0);
    assert_eq!(d.stats.invalid, 1);
}

#[test]
fn ipv4_fragments() {
    let data = [7u8; 24];
    // first fragment: MF, offset 0
    let first = eth(0x0800, &ipv4_full(A4, B4, 17, &[], 0x2000, &data));
    let mut d = dec_checksums();
    let out = run(&mut d, Link::Ethernet, &first);
    let f = &out.frames()[0];
    let fr = f.ip.frag.unwrap();
    assert_eq!(
        fr,
        FragInfo {
            id: 0x1234,
            offset: 0,
            more: true,
            next_proto: 17,
            data_offset: 20
        }
    );
    assert!(matches!(f.l4, L4::None));
    assert_eq!(f.payload, &data);
    assert_eq!(f.ip.proto, 17);
    assert_eq!(
        f.checksum,
        ChecksumStatus::Ok,
        "IP header checked, L4 skipped"
    );
    assert_eq!(
        (d.stats.ipv4_frag, d.stats.udp, d.stats.checksum_checked),
        (1, 0, 1)
    );
    // last fragment: offset 185*8
    let last = eth(0x0800, &ipv4_full(A4, B4, 6, &[], 185, &data));
    let out = run(&mut d, Link::Ethernet, &last);
    let fr = out.frames()[0].ip.frag.unwrap();
    assert_eq!((fr.offset, fr.more, fr.next_proto), (1480, false, 6));
    assert_eq!(d.stats.tcp, 0);
    // a fragment ending past 65535
    let huge = eth(0x0800, &ipv4_full(A4, B4, 6, &[], 0x1fff, &data));
    let out = decode(Link::Ethernet, &huge);
    assert_eq!(out.anomalies(), &[E::Ipv4FragPktTooLarge]);
}

#[test]
fn tcp_flag_anomalies_keep_segment() {
    for (flags, ev) in [
        (tcp_flags::SYN | tcp_flags::FIN, E::TcpSynFin),
        (tcp_flags::SYN | tcp_flags::RST, E::TcpSynRst),
        (0, E::TcpNullFlags),
    ] {
        let p = eth(0x0800, &ipv4(6, &tcp(Ips::V4, flags, b"data")));
        let out = decode(Link::Ethernet, &p);
        assert_eq!(out.anomalies(), &[ev]);
        let f = &out.frames()[0];
        assert_eq!(tcp_info(f).flags, flags);
        assert_eq!(f.payload, b"data");
    }
    let p = eth(
        0x0800,
        &ipv4(6, &tcp_full(Ips::V4, 0, 80, tcp_flags::SYN, &[], b"")),
    );
    assert_eq!(decode(Link::Ethernet, &p).anomalies(), &[E::TcpZeroPort]);
}

#[test]
fn tcp_bad_data_offset() {
    for doff in [0u8, 4, 15] {
        let mut t = tcp(Ips::V4, tcp_flags::ACK, b"abcd");
        t[12] = doff << 4;
        let p = eth(0x0800, &ipv4(6, &t));
        let out = decode(Link::Ethernet, &p);
        assert_eq!(out.anomalies(), &[E::TcpHlenTooSmall], "doff {doff}");
        assert!(matches!(out.frames()[0].l4, L4::None));
    }
    let p = eth(0x0800, &ipv4(6, &[0u8; 19]));
    let out = decode(Link::Ethernet, &p);
    assert_eq!(out.anomalies(), &[E::TcpPktTooSmall]);
}

#[test]
fn tcp_malformed_options() {
    // MSS with length 3 (then padding), window scale twice
    let opts = [2, 3, 5, 3, 3, 7, 3, 3, 8, 1, 1, 0];
    let p = eth(
        0x0800,
        &ipv4(6, &tcp_full(Ips::V4, 1, 2, tcp_flags::SYN, &opts, b"")),
    );
    let out = decode(Link::Ethernet, &p);
    assert_eq!(out.anomalies(), &[E::TcpInvalidOptlen, E::TcpOptDuplicate]);
    let t = tcp_info(&out.frames()[0]);
    assert_eq!(t.mss, None);
    assert_eq!(t.wscale, Some(7), "the first one is kept");
    // an option running past the header
    let opts = [1, 1, 8, 10];
    let p = eth(
        0x0800,
        &ipv4(6, &tcp_full(Ips::V4, 1, 2, tcp_flags::SYN, &opts, b"")),
    );
    let out = decode(Link::Ethernet, &p);
    assert_eq!(out.anomalies(), &[E::TcpOptInvalidLen]);
    assert_eq!(tcp_info(&out.frames()[0]).timestamps, None);
    // SACK blocks are accepted
    let opts = [1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2];
    let p = eth(
        0x0800,
        &ipv4(6, &tcp_full(Ips::V4, 1, 2, tcp_flags::ACK, &opts, b"")),
    );
    assert_eq!(decode(Link::Ethernet, &p).anomalies(), &[]);
}

#[test]
fn udp_lengths() {
    let p = eth_v4_udp(53, b"query");
    let out = decode(Link::Ethernet, &p);
    assert_eq!(out.anomalies(), &[]);
    assert_eq!(udp_ports(&out.frames()[0]), (50000, 53));
    assert_eq!(out.frames()[0].payload, b"query");
    // UDP length 5
    let mut u = udp(Ips::V4, 1, 2, b"query");
    u[5] = 5;
    let p = eth(0x0800, &ipv4(17, &u));
    let out = decode(Link::Ethernet, &p);
    assert_eq!(out.anomalies(), &[E::UdpHlenTooSmall]);
    assert_eq!(out.frames()[0].payload, b"query");
    // UDP length shorter than the IP payload: payload ends at the UDP length
    let mut u = udp(Ips::V4, 1, 2, b"query");
    u[5] = 10;
    let p = eth(0x0800, &ipv4(17, &u));
    let out = decode(Link::Ethernet, &p);
    assert_eq!(out.anomalies(), &[E::UdpHlenInvalid]);
    assert_eq!(out.frames()[0].payload, b"qu");
    // UDP length longer
    let mut u = udp(Ips::V4, 1, 2, b"query");
    u[5] = 200;
    let p = eth(0x0800, &ipv4(17, &u));
    let out = decode(Link::Ethernet, &p);
    assert_eq!(out.anomalies(), &[E::UdpHlenInvalid]);
    assert_eq!(out.frames()[0].payload, b"query");
    // shorter than a header
    let p = eth(0x0800, &ipv4(17, &[0, 1, 0, 2, 0]));
    let out = decode(Link::Ethernet, &p);
    assert_eq!(out.anomalies(), &[E::UdpPktTooSmall]);
    assert!(matches!(out.frames()[0].l4, L4::None));
}

#[test]
fn icmpv4_messages() {
    let p = eth(0x0800, &ipv4(1, &icmp4(8, 0, [0, 7, 0, 9], b"ping")));
    let mut d = dec_checksums();
    let out = run(&mut d, Link::Ethernet, &p);
    assert_eq!(out.anomalies(), &[]);
    let f = &out.frames()[0];
    match f.l4 {
        L4::Icmp {
            icmp_type,
            code,
            id,
            seq,
        } => assert_eq!((icmp_type, code, id, seq), (8, 0, 7, 9)),
        other => panic!("{other:?}"),
    }
    assert_eq!(f.payload, b"ping");
    assert_eq!(f.checksum, ChecksumStatus::Ok);
    assert_eq!(d.stats.icmpv4, 1);
    let p = eth(0x0800, &ipv4(1, &icmp4(99, 0, [0; 4], b"")));
    assert_eq!(
        decode(Link::Ethernet, &p).anomalies(),
        &[E::Icmpv4UnknownType]
    );
    let p = eth(0x0800, &ipv4(1, &icmp4(3, 99, [0; 4], b"")));
    let out = decode(Link::Ethernet, &p);
    assert_eq!(out.anomalies(), &[E::Icmpv4UnknownCode]);
    assert!(matches!(
        out.frames()[0].l4,
        L4::Icmp {
            icmp_type: 3,
            code: 99,
            id: 0,
            seq: 0
        }
    ));
    let p = eth(0x0800, &ipv4(1, &[8, 0, 0]));
    assert_eq!(
        decode(Link::Ethernet, &p).anomalies(),
        &[E::Icmpv4PktTooSmall]
    );
    // ICMPv6 carried by IPv4
    let p = eth(0x0800, &ipv4(58, &[128, 0, 0, 0, 0, 0, 0, 0]));
    assert_eq!(decode(Link::Ethernet, &p).anomalies(), &[E::Icmpv6Ipv4]);
}

#[test]
fn sctp_counted() {
    let p = eth(0x0800, &ipv4(132, &[0u8; 12]));
    let mut d = dec();
    let out = run(&mut d, Link::Ethernet, &p);
    assert_eq!(out.frames()[0].ip.proto, 132);
    assert_eq!(out.frames()[0].payload.len(), 12);
    assert_eq!(d.stats.sctp, 1);
}

// ---------------------------------------------------------------- arp / ethertypes / vlan

const ARP_REQ: [u8; 28] = [
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0, 0, 0, 0, 0x0a, 192, 168, 1, 10, 0, 0,
    0, 0, 0, 0, 192, 168, 1, 1,
];

#[test]
fn arp_fills_out_arp() {
    let mut p = eth(0x0806, &ARP_REQ);
    p.resize(60, 0); // padded
    let mut d = dec();
    let out = run(&mut d, Link::Ethernet, &p);
    assert_eq!(out.anomalies(), &[]);
    let a = out.arp.unwrap();
    assert_eq!(a.op, 1);
    assert_eq!(a.sender_mac, MAC_A);
    assert_eq!(a.sender_ip, [192, 168, 1, 10]);
    assert_eq!(a.target_ip, [192, 168, 1, 1]);
    assert_eq!(out.ethernet.unwrap().ethertype, 0x0806);
    assert_eq!((d.stats.arp, d.stats.invalid), (1, 0));
    // truncated ARP is invalid
    let p = eth(0x0806, &ARP_REQ[..20]);
    let out = run(&mut d, Link::Ethernet, &p);
    assert_eq!(out.anomalies(), &[E::ArpPktTooSmall]);
    assert!(out.arp.is_none());
    assert_eq!(d.stats.invalid, 1);
}

#[test]
fn unknown_ethertypes() {
    let mut d = dec();
    let p = eth(0x88cc, &[0u8; 40]); // LLDP
    let out = run(&mut d, Link::Ethernet, &p);
    assert_eq!(out.anomalies(), &[E::EthernetUnknownEtherType]);
    assert_eq!(out.ethernet.unwrap().ethertype, 0x88cc);
    let p = eth(38, &[0x42, 0x42, 0x03, 0, 0]); // 802.3 length + LLC (STP)
    let out = run(&mut d, Link::Ethernet, &p);
    assert_eq!(out.anomalies(), &[]);
    let p = eth_tagged(&[(0x8100, 5)], 0x88cc, &[0u8; 40]);
    let out = run(&mut d, Link::Ethernet, &p);
    assert_eq!(out.anomalies(), &[E::VlanUnknownType]);
    assert_eq!(d.stats.unknown_ethertype, 3);
    assert_eq!(
        d.stats.invalid, 0,
        "well-formed non-IP frames are not invalid"
    );
    assert_eq!(d.stats.event(E::EthernetUnknownEtherType), 1);
}

#[test]
fn vlan_single_qinq_and_9100() {
    let ip = ipv4(6, &tcp(Ips::V4, tcp_flags::ACK, b""));
    for tpid in [0x8100u16, 0x88a8, 0x9100] {
        let p = eth_tagged(&[(tpid, 0x2000 | 42)], 0x0800, &ip);
        let mut d = dec();
        let out = run(&mut d, Link::Ethernet, &p);
        assert_eq!(out.anomalies(), &[]);
        let f = &out.frames()[0];
        assert_eq!((f.vlan_count, f.vlans[0]), (1, 42), "pcp bits masked");
        assert_eq!(out.ethernet.unwrap().ethertype, 0x0800);
        assert_eq!((d.stats.vlan, d.stats.vlan_qinq), (1, 0));
    }
    // 802.1ad outer + 802.1Q inner
    let p = eth_tagged(&[(0x88a8, 100), (0x8100, 200)], 0x0800, &ip);
    let mut d = dec();
    let out = run(&mut d, Link::Ethernet, &p);
    let f = &out.frames()[0];
    assert_eq!(&f.vlans[..f.vlan_count as usize], &[100, 200]);
    assert_eq!((d.stats.vlan, d.stats.vlan_qinq), (1, 1));
}

#[test]
fn vlan_qinq_three_deep_and_beyond() {
    let ip = ipv4(17, &udp(Ips::V4, 1, 2, b"x"));
    let p = eth_tagged(&[(0x88a8, 10), (0x8100, 20), (0x8100, 30)], 0x0800, &ip);
    let mut d = dec();
    let out = run(&mut d, Link::Ethernet, &p);
    assert_eq!(out.anomalies(), &[]);
    assert_eq!(out.frames()[0].vlans, [10, 20, 30]);
    assert_eq!(out.frames()[0].vlan_count, 3);
    assert_eq!(
        (d.stats.vlan, d.stats.vlan_qinq, d.stats.vlan_qinqinq),
        (1, 1, 1)
    );
    // a fourth tag is walked, reported, not kept
    let p = eth_tagged(
        &[(0x88a8, 10), (0x8100, 20), (0x8100, 30), (0x8100, 40)],
        0x0800,
        &ip,
    );
    let out = decode(Link::Ethernet, &p);
    assert_eq!(out.anomalies(), &[E::VlanTooManyLayers]);
    assert_eq!(out.frames()[0].vlans, [10, 20, 30]);
    assert_eq!(udp_ports(&out.frames()[0]), (1, 2));
    // more than MAX_VLAN_TAGS: stop
    let tags: Vec<(u16, u16)> = (0..MAX_VLAN_TAGS as u16 + 1).map(|i| (0x8100, i)).collect();
    let p = eth_tagged(&tags, 0x0800, &ip);
    let mut d = dec();
    let out = run(&mut d, Link::Ethernet, &p);
    assert_eq!(out.anomalies(), &[E::VlanTooManyLayers]);
    assert_eq!(out.frame_count, 0);
    assert_eq!(d.stats.invalid, 1);
    // truncated tag
    let p = eth(0x8100, &[0, 5]);
    assert_eq!(
        decode(Link::Ethernet, &p).anomalies(),
        &[E::VlanHeaderTooSmall]
    );
}

// ---------------------------------------------------------------- ipv6

/// Hop-by-hop header with router alert, next `nh`.
fn hbh(nh: u8) -> Vec<u8> {
    vec![nh, 0, 5, 2, 0, 0, 0, 0]
}

fn frag_hdr(nh: u8, offset_words: u16, more: bool, id: u32) -> Vec<u8> {
    let mut v = vec![nh, 0];
    v.extend_from_slice(&((offset_words << 3) | u16::from(more)).to_be_bytes());
    v.extend_from_slice(&id.to_be_bytes());
    v
}

#[test]
fn ipv6_tcp_and_truncation() {
    let p = eth(0x86dd, &ipv6(6, &tcp(Ips::V6, tcp_flags::ACK, b"six")));
    let mut d = dec_checksums();
    let out = run(&mut d, Link::Ethernet, &p);
    assert_eq!(out.anomalies(), &[]);
    let f = &out.frames()[0];
    assert_eq!((f.ip.src, f.ip.dst, f.ip.proto, f.ip.ttl), (A6, B6, 6, 64));
    assert_eq!(f.payload, b"six");
    assert_eq!(f.checksum, ChecksumStatus::Ok);
    for n in 0..p.len() {
        let mut d = dec_checksums();
        let mut out = DecodedPacket::default();
        d.decode(Link::Ethernet, &p[..n], p.len() as u32, &mut out);
        check_invariants(&p[..n], &out);
        if n >= 14 + 40 {
            assert!(has(&out, E::Ipv6TruncPkt), "{n}");
            assert_eq!(out.frames()[0].checksum, ChecksumStatus::NotChecked);
        } else if n >= 14 {
            assert_eq!(out.anomalies()[1], E::Ipv6PktTooSmall);
        }
    }
    // padding after the payload length is trimmed
    let mut padded = p.clone();
    padded.extend_from_slice(&[0; 4]);
    let out = decode(Link::Ethernet, &padded);
    assert_eq!(out.frames()[0].ip.packet.len(), 40 + 23);
    assert_eq!(out.frames()[0].payload, b"six");
    // wrong version
    let mut b = ipv6(6, &[]);
    b[0] = 0x40;
    assert_eq!(
        decode(Link::Ethernet, &eth(0x86dd, &b)).anomalies(),
        &[E::Ipv6WrongIpVersion]
    );
}

#[test]
fn ipv6_hop_by_hop_and_fragment() {
    let data = [9u8; 16];
    let mut payload = hbh(44);
    payload.extend(frag_hdr(17, 0, true, 0xabcd));
    payload.extend_from_slice(&data);
    let p = eth(0x86dd, &ipv6(0, &payload));
    let mut d = dec_checksums();
    let out = run(&mut d, Link::Ethernet, &p);
    assert_eq!(out.anomalies(), &[]);
    let f = &out.frames()[0];
    assert_eq!(
        f.ip.frag,
        Some(FragInfo {
            id: 0xabcd,
            offset: 0,
            more: true,
            next_proto: 17,
            data_offset: 56
        })
    );
    assert_eq!(f.ip.proto, 17);
    assert_eq!(f.ip.header_len, 56);
    assert!(matches!(f.l4, L4::None));
    assert_eq!(f.payload, &data);
    assert_eq!((d.stats.ipv6_frag, d.stats.udp), (1, 0));
    // non-first fragment
    let mut payload = frag_hdr(6, 100, false, 7);
    payload.extend_from_slice(&data);
    let pkt = eth(0x86dd, &ipv6(44, &payload));
    let out = decode(Link::Ethernet, &pkt);
    let fr = out.frames()[0].ip.frag.unwrap();
    assert_eq!(
        (fr.offset, fr.more, fr.next_proto, fr.data_offset),
        (800, false, 6, 48)
    );
    // too large
    let mut payload = frag_hdr(6, 0x1fff, true, 7);
    payload.extend_from_slice(&data);
    let pkt = eth(0x86dd, &ipv6(44, &payload));
    let out = decode(Link::Ethernet, &pkt);
    assert_eq!(out.anomalies(), &[E::Ipv6FragPktTooLarge]);
}

#[test]
fn ipv6_atomic_fragment_decodes_on() {
    let mut payload = frag_hdr(17, 0, false, 1);
    payload.extend(udp(Ips::V6, 5, 6, b"atom"));
    let p = eth(0x86dd, &ipv6(44, &payload));
    let mut d = dec_checksums();
    let out = run(&mut d, Link::Ethernet, &p);
    assert_eq!(out.anomalies(), &[E::Ipv6ExthdrUselessFh]);
    let f = &out.frames()[0];
    assert!(f.ip.frag.is_none());
    assert_eq!(udp_ports(f), (5, 6));
    assert_eq!(f.payload, b"atom");
    assert_eq!(f.ip.header_len, 48);
    assert_eq!(f.checksum, ChecksumStatus::Ok);
    assert_eq!(d.stats.ipv6_frag, 0);
}

#[test]
fn ipv6_extension_header_anomalies() {
    let t = tcp(Ips::V6, tcp_flags::ACK, b"");
    let cases: Vec<(Vec<u8>, u8, Vec<E>)> = vec![
        // duplicate hop-by-hop
        (
            [hbh(0), hbh(6), t.clone()].concat(),
            0,
            vec![E::Ipv6ExthdrDuplHh],
        ),
        // routing type 0 with one address, segments left 1
        (
            [vec![6, 2, 0, 1, 0, 0, 0, 0], vec![0x11; 16], t.clone()].concat(),
            43,
            vec![E::Ipv6Rh0],
        ),
        // routing twice
        (
            [
                vec![43, 0, 4, 0, 0, 0, 0, 0],
                vec![6, 0, 4, 0, 0, 0, 0, 0],
                t.clone(),
            ]
            .concat(),
            43,
            vec![E::Ipv6ExthdrDuplRh],
        ),
        // three destination options headers, PadN(4) each
        (
            [
                vec![60, 0, 1, 4, 0, 0, 0, 0],
                vec![60, 0, 1, 4, 0, 0, 0, 0],
                vec![6, 0, 1, 4, 0, 0, 0, 0],
                t.clone(),
            ]
            .concat(),
            60,
            vec![
                E::Ipv6DstoptsOnlyPadding,
                E::Ipv6DstoptsOnlyPadding,
                E::Ipv6ExthdrDuplDh,
                E::Ipv6DstoptsOnlyPadding,
            ],
        ),
        // unknown hop-by-hop option 0x3e len 4
        (
            [vec![6, 0, 0x3e, 4, 0, 0, 0, 0], t.clone()].concat(),
            0,
            vec![E::Ipv6HopoptsUnknownOpt],
        ),
        // unknown destination option, PadN of length 0, Pad1 x2
        (
            [vec![6, 0, 0x1e, 2, 0, 0, 1, 0], t.clone()].concat(),
            60,
            vec![E::Ipv6DstoptsUnknownOpt, E::Ipv6ZeroLenPadn],
        ),
        // option running past the header
        (
            [vec![6, 0, 5, 9, 0, 0, 0, 0], t.clone()].concat(),
            0,
            vec![E::Ipv6ExthdrInvalidOptlen],
        ),
        // AH with non-zero reserved, twice
        (
            [
                vec![51, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1],
                vec![6, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1],
                t.clone(),
            ]
            .concat(),
            51,
            vec![E::Ipv6ExthdrAhResNotNull, E::Ipv6ExthdrDuplAh],
        ),
        // fragment header with reserved bits, twice (atomic)
        (
            [
                vec![44, 1, 0, 0, 0, 0, 0, 1],
                vec![6, 0, 0, 0, 0, 0, 0, 1],
                t.clone(),
            ]
            .concat(),
            44,
            vec![
                E::Ipv6FhNonZeroReservedField,
                E::Ipv6ExthdrUselessFh,
                E::Ipv6ExthdrDuplFh,
                E::Ipv6ExthdrUselessFh,
            ],
        ),
    ];
    for (i, (payload, nh, evs)) in cases.iter().enumerate() {
        let p = eth(0x86dd, &ipv6(*nh, payload));
        let out = decode(Link::Ethernet, &p);
        assert_eq!(out.anomalies(), &evs[..], "case {i}");
        assert_eq!(
            tcp_info(&out.frames()[0]).dst_port,
            80,
            "case {i}: TCP still decoded"
        );
    }
}

#[test]
fn ipv6_walk_limits_and_ends() {
    // more than MAX_IPV6_EXT_HEADERS destination options headers
    let mut payload = Vec::new();
    for _ in 0..MAX_IPV6_EXT_HEADERS + 1 {
        payload.extend_from_slice(&[60, 0, 4, 1, 0, 0, 0, 0]); // tunnel limit, Pad1 x3
    }
    let p = eth(0x86dd, &ipv6(60, &payload));
    let out = decode(Link::Ethernet, &p);
    assert_eq!(out.anomalies().last(), Some(&E::Ipv6ExthdrTooMany));
    assert!(matches!(out.frames()[0].l4, L4::None));
    // truncated extension header
    let p = eth(0x86dd, &ipv6(0, &[6, 1, 0, 0]));
    let out = decode(Link::Ethernet, &p);
    assert_eq!(out.anomalies(), &[E::Ipv6TruncExthdr]);
    assert_eq!(out.frames()[0].ip.proto, 0);
    // no next header, with data after it
    let pkt = eth(0x86dd, &ipv6(59, b"covert"));
    let out = decode(Link::Ethernet, &pkt);
    assert_eq!(out.anomalies(), &[E::Ipv6DataAfterNoneHeader]);
    assert_eq!(
        decode(Link::Ethernet, &eth(0x86dd, &ipv6(59, b""))).anomalies(),
        &[]
    );
    // unassigned next header; assigned but undecoded ones (OSPF) are quiet
    assert_eq!(
        decode(Link::Ethernet, &eth(0x86dd, &ipv6(200, b"x"))).anomalies(),
        &[E::Ipv6UnknownNextHeader]
    );
    assert_eq!(
        decode(Link::Ethernet, &eth(0x86dd, &ipv6(89, b"x"))).anomalies(),
        &[]
    );
    // ICMPv4 over IPv6
    assert_eq!(
        decode(
            Link::Ethernet,
            &eth(0x86dd, &ipv6(1, &[8, 0, 0, 0, 0, 0, 0, 0]))
        )
        .anomalies(),
        &[E::Ipv6WithIcmpv4]
    );
}

#[test]
fn icmpv6_messages() {
    let p = eth(0x86dd, &ipv6(58, &icmp6(128, 0, [0, 1, 0, 2], b"v6")));
    let mut d = dec_checksums();
    let out = run(&mut d, Link::Ethernet, &p);
    assert_eq!(out.anomalies(), &[]);
    let f = &out.frames()[0];
    assert!(matches!(
        f.l4,
        L4::Icmpv6 {
            icmp_type: 128,
            code: 0,
            id: 1,
            seq: 2
        }
    ));
    assert_eq!(f.payload, b"v6");
    assert_eq!(f.checksum, ChecksumStatus::Ok);
    assert_eq!(d.stats.icmpv6, 1);
    let pkt = eth(0x86dd, &ipv6(58, &icmp6(135, 0, [0; 4], &B6)));
    let out = decode(Link::Ethernet, &pkt);
    assert!(matches!(
        out.frames()[0].l4,
        L4::Icmpv6 {
            icmp_type: 135,
            id: 0,
            ..
        }
    ));
    assert_eq!(out.anomalies(), &[]);
    assert_eq!(
        decode(
            Link::Ethernet,
            &eth(0x86dd, &ipv6(58, &icmp6(5, 0, [0; 4], b"")))
        )
        .anomalies(),
        &[E::Icmpv6UnknownType]
    );
    assert_eq!(
        decode(
            Link::Ethernet,
            &eth(0x86dd, &ipv6(58, &icmp6(135, 1, [0; 4], b"")))
        )
        .anomalies(),
        &[E::Icmpv6UnknownCode]
    );
    assert_eq!(
        decode(Link::Ethernet, &eth(0x86dd, &ipv6(58, &[128, 0, 0]))).anomalies(),
        &[E::Icmpv6PktTooSmall]
    );
}

#[test]
fn ipv6_routing_header_final_destination_in_pseudo_header() {
    // segment routing header, segments left 1, list[0] = final destination
    let final_dst = [
        0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
    ];
    let mut u = udp(Ips::V6, 7, 8, b"srh");
    u[6] = 0;
    u[7] = 0;
    let c = checksum::upper_layer(checksum::pseudo_v6(A6, final_dst, 17, u.len() as u32), &u);
    u[6..8].copy_from_slice(&c.to_be_bytes());
    let mut payload = vec![17, 2, 4, 1, 0, 0, 0, 0];
    payload.extend_from_slice(&final_dst);
    payload.extend_from_slice(&u);
    let p = eth(0x86dd, &ipv6(43, &payload));
    let mut d = dec_checksums();
    let out = run(&mut d, Link::Ethernet, &p);
    assert_eq!(out.anomalies(), &[]);
    assert_eq!(out.frames()[0].checksum, ChecksumStatus::Ok);
    assert_eq!(out.frames()[0].payload, b"srh");
}

// ---------------------------------------------------------------- tunnels

#[test]
fn vxlan_with_inner_tcp() {
    let inner_tcp = tcp_full(Ips::V4, 1234, 443, tcp_flags::ACK, &[], b"inner");
    let inner_eth = eth_tagged(&[(0x8100, 77)], 0x0800, &ipv4(6, &inner_tcp));
    let outer = eth_tagged(
        &[(0x8100, 5)],
        0x0800,
        &ipv4(17, &udp(Ips::V4, 33333, 4789, &vxlan(0x123456, &inner_eth))),
    );
    let mut d = dec_checksums();
    let out = run(&mut d, Link::Ethernet, &outer);
    assert_eq!(out.anomalies(), &[]);
    assert_eq!(out.frame_count, 2);
    let (o, i) = (&out.frames()[0], &out.frames()[1]);
    assert_eq!(udp_ports(o), (33333, 4789));
    assert_eq!(o.payload.len(), 8 + inner_eth.len());
    assert_eq!((o.depth, o.tunnel_id, o.len), (0, 0, outer.len() as u32));
    assert_eq!(&o.vlans[..o.vlan_count as usize], &[5]);
    assert_eq!(o.checksum, ChecksumStatus::Ok);
    // inner frame: its own VLAN only, depth 1, VNI tunnel id, its length
    assert_eq!(i.depth, 1);
    assert_eq!(i.tunnel_id, TunnelKind::Vxlan.tunnel_id(0x123456));
    assert_eq!(i.tunnel_id, 0x0112_3456);
    assert_eq!(&i.vlans[..i.vlan_count as usize], &[77]);
    assert_eq!(i.len, inner_eth.len() as u32);
    let t = tcp_info(i);
    assert_eq!((t.src_port, t.dst_port), (1234, 443));
    assert_eq!(i.payload, b"inner");
    assert_eq!(i.checksum, ChecksumStatus::Ok);
    // the outer Ethernet is the one reported
    assert_eq!(out.ethernet.unwrap().ethertype, 0x0800);
    assert_eq!(
        (
            d.stats.vxlan,
            d.stats.ethernet,
            d.stats.ipv4,
            d.stats.udp,
            d.stats.tcp
        ),
        (1, 2, 2, 1, 1)
    );
    assert_eq!((d.stats.vlan, d.stats.checksum_checked), (2, 4));
    // inner Ethernet truncated at every length: outer frame survives
    for n in 0..inner_eth.len() {
        let pkt = eth(
            0x0800,
            &ipv4(17, &udp(Ips::V4, 33333, 4789, &vxlan(1, &inner_eth[..n]))),
        );
        let out = decode(Link::Ethernet, &pkt);
        assert!(out.frame_count >= 1);
        assert_eq!(udp_ports(&out.frames()[0]).1, 4789);
    }
}

#[test]
fn vxlan_invalid_ports_and_switches() {
    let inner_eth = eth(0x0800, &ipv4(17, &udp(Ips::V4, 1, 2, b"")));
    // I flag unset
    let mut v = vxlan(9, &inner_eth);
    v[0] = 0;
    let p = eth_v4_udp(4789, &v);
    let out = decode(Link::Ethernet, &p);
    assert_eq!(out.anomalies(), &[E::VxlanInvalid]);
    assert_eq!(out.frame_count, 1);
    // configured port
    let p = eth_v4_udp(8472, &vxlan(9, &inner_eth));
    assert_eq!(decode(Link::Ethernet, &p).frame_count, 1);
    let mut d = Decoder::new(DecoderConfig {
        vxlan_ports: vec![4789, 8472],
        ..DecoderConfig::default()
    });
    assert_eq!(run(&mut d, Link::Ethernet, &p).frame_count, 2);
    // tunnels off
    let p = eth_v4_udp(4789, &vxlan(9, &inner_eth));
    let mut d = Decoder::new(DecoderConfig {
        decode_tunnels: false,
        ..DecoderConfig::default()
    });
    let out = run(&mut d, Link::Ethernet, &p);
    assert_eq!(out.frame_count, 1);
    assert_eq!(d.stats.vxlan, 0);
}

#[test]
fn gre_erspan_type2() {
    let inner_eth = eth(0x0800, &ipv4(6, &tcp(Ips::V4, tcp_flags::SYN, b"")));
    let er = erspan2(0x155, 10, &inner_eth);
    let outer = eth(0x0800, &ipv4(47, &gre(0x1000, 0x88be, None, Some(42), &er)));
    let mut d = dec();
    let out = run(&mut d, Link::Ethernet, &outer);
    assert_eq!(out.anomalies(), &[]);
    assert_eq!(out.frame_count, 2);
    let (o, i) = (&out.frames()[0], &out.frames()[1]);
    assert_eq!(o.ip.proto, 47);
    assert!(matches!(o.l4, L4::None));
    assert_eq!(o.payload.len(), 8 + er.len());
    assert_eq!(i.tunnel_id, TunnelKind::Erspan.tunnel_id(0x155));
    assert_eq!(
        i.vlan_count, 0,
        "ERSPAN's VLAN field is not a tag of the inner frame"
    );
    assert_eq!(i.len, inner_eth.len() as u32);
    assert_eq!(tcp_info(i).flags, tcp_flags::SYN);
    assert_eq!((d.stats.gre, d.stats.erspan), (1, 1));
    // wrong ERSPAN version
    let mut bad = er.clone();
    bad[0] = 0x20;
    let p = eth(0x0800, &ipv4(47, &gre(0x1000, 0x88be, None, Some(1), &bad)));
    let out = decode(Link::Ethernet, &p);
    assert_eq!(out.anomalies(), &[E::ErspanUnsupportedVersion]);
    assert_eq!(out.frame_count, 1);
    let p = eth(
        0x0800,
        &ipv4(47, &gre(0x1000, 0x88be, None, Some(1), &er[..7])),
    );
    assert_eq!(
        decode(Link::Ethernet, &p).anomalies(),
        &[E::ErspanPktTooSmall]
    );
}

#[test]
fn gre_erspan_type1_has_no_header() {
    let inner_eth = eth(0x0800, &ipv4(17, &udp(Ips::V4, 9, 10, b"t1")));
    let p = eth(0x0800, &ipv4(47, &gre(0, 0x88be, None, None, &inner_eth)));
    let out = decode(Link::Ethernet, &p);
    assert_eq!(out.anomalies(), &[]);
    assert_eq!(out.frame_count, 2);
    assert_eq!(out.frames()[1].tunnel_id, TunnelKind::Erspan.tunnel_id(0));
    assert_eq!(out.frames()[1].payload, b"t1");
}

#[test]
fn gre_erspan_type3_with_and_without_platform() {
    let inner_eth = eth(0x86dd, &ipv6(17, &udp(Ips::V6, 11, 12, b"t3")));
    for platform in [None, Some([0xaa; 8])] {
        let er = erspan3(0x3ff, platform, &inner_eth);
        let p = eth(0x0800, &ipv4(47, &gre(0x1000, 0x22eb, None, Some(3), &er)));
        let mut d = dec_checksums();
        let out = run(&mut d, Link::Ethernet, &p);
        assert_eq!(out.anomalies(), &[], "{platform:?}");
        assert_eq!(out.frame_count, 2);
        let i = &out.frames()[1];
        assert!(!i.ip.is_v4);
        assert_eq!(i.tunnel_id, TunnelKind::Erspan.tunnel_id(0x3ff));
        assert_eq!(udp_ports(i), (11, 12));
        assert_eq!(i.payload, b"t3");
        assert_eq!(i.len, inner_eth.len() as u32);
        assert_eq!(i.checksum, ChecksumStatus::Ok);
        assert_eq!(d.stats.erspan, 1);
        // cut inside the ERSPAN header
        let p = eth(
            0x0800,
            &ipv4(
                47,
                &gre(
                    0x1000,
                    0x22eb,
                    None,
                    Some(3),
                    &er[..er.len() - inner_eth.len() - 1],
                ),
            ),
        );
        assert_eq!(
            decode(Link::Ethernet, &p).anomalies(),
            &[E::ErspanPktTooSmall]
        );
    }
    let mut er = erspan3(1, None, &inner_eth);
    er[0] = 0x10;
    let p = eth(0x0800, &ipv4(47, &gre(0x1000, 0x22eb, None, Some(3), &er)));
    assert_eq!(
        decode(Link::Ethernet, &p).anomalies(),
        &[E::ErspanUnsupportedVersion]
    );
}

#[test]
fn gre_transparent_ethernet_and_ipv4_with_key() {
    let inner_eth = eth_tagged(
        &[(0x8100, 9)],
        0x0800,
        &ipv4(6, &tcp(Ips::V4, tcp_flags::ACK, b"teb")),
    );
    let p = eth(
        0x0800,
        &ipv4(
            47,
            &gre(0x2000, 0x6558, Some(0xdead_beef), None, &inner_eth),
        ),
    );
    let out = decode(Link::Ethernet, &p);
    assert_eq!(out.anomalies(), &[]);
    let i = &out.frames()[1];
    assert_eq!(i.tunnel_id, TunnelKind::Gre.tunnel_id(0xdead_beef));
    assert_eq!(i.tunnel_id, (2 << 24) | ((0xdead_beef ^ 0xde) & 0xff_ffff));
    assert_eq!(&i.vlans[..1], &[9]);
    assert_eq!(i.payload, b"teb");
    // GRE carrying IPv4 directly, with a key
    let inner_ip = ipv4_full(B4, A4, 17, &[], 0, &udp(Ips::V4, 1, 2, b"k"));
    let p = eth(
        0x0800,
        &ipv4(47, &gre(0x2000, 0x0800, Some(77), None, &inner_ip)),
    );
    let mut d = dec();
    let out = run(&mut d, Link::Ethernet, &p);
    assert_eq!(out.frame_count, 2);
    let i = &out.frames()[1];
    assert_eq!(i.tunnel_id, TunnelKind::Gre.tunnel_id(77));
    assert_eq!(i.ip.src[..4], B4);
    assert_eq!(i.len, inner_ip.len() as u32);
    assert_eq!((d.stats.gre, d.stats.ethernet, d.stats.ipv4), (1, 1, 2));
    // two GRE tunnels with different keys give different tunnel ids
    let p2 = eth(
        0x0800,
        &ipv4(47, &gre(0x2000, 0x0800, Some(78), None, &inner_ip)),
    );
    assert_ne!(
        decode(Link::Ethernet, &p2).frames()[1].tunnel_id,
        i.tunnel_id
    );
    // GRE with IPv6 inside, checksum bit set
    let inner6 = ipv6(59, &[]);
    let mut g = vec![0x80, 0x00, 0x86, 0xdd, 0, 0, 0, 0];
    g.extend_from_slice(&inner6);
    let pkt = eth(0x0800, &ipv4(47, &g));
    let out = decode(Link::Ethernet, &pkt);
    assert_eq!(out.frame_count, 2);
    assert!(!out.frames()[1].ip.is_v4);
}

#[test]
fn gre_malformed() {
    let cases: [(Vec<u8>, E); 4] = [
        (vec![0x00, 0x00, 0x08], E::GrePktTooSmall),
        (vec![0x20, 0x00, 0x08, 0x00, 0, 0], E::GrePktTooSmall),
        (vec![0x00, 0x01, 0x88, 0x0b, 0, 0, 0, 0], E::GreWrongVersion),
        (vec![0x00, 0x00, 0x88, 0x47, 0, 0, 0, 0], E::GreUnknownProto),
    ];
    for (g, ev) in cases {
        let pkt = eth(0x0800, &ipv4(47, &g));
        let out = decode(Link::Ethernet, &pkt);
        assert_eq!(out.anomalies(), &[ev]);
        assert_eq!(out.frame_count, 1);
    }
    let mut g = vec![0x40, 0x00, 0x08, 0x00, 0, 0, 0, 0];
    for _ in 0..crate::gre::MAX_SRES + 1 {
        g.extend_from_slice(&[0x08, 0x00, 0x00, 0x00]);
    }
    let pkt = eth(0x0800, &ipv4(47, &g));
    let out = decode(Link::Ethernet, &pkt);
    assert_eq!(out.anomalies(), &[E::GreVersion0MalformedSreHdr]);
}

fn tzsp(version: u8, ptype: u8, encap: u16, tags: &[u8], frame: &[u8]) -> Vec<u8> {
    let mut v = vec![version, ptype];
    v.extend_from_slice(&encap.to_be_bytes());
    v.extend_from_slice(tags);
    v.extend_from_slice(frame);
    v
}

#[test]
fn tzsp_with_tags() {
    let inner_eth = eth(0x0800, &ipv4(17, &udp(Ips::V4, 1900, 1900, b"M-SEARCH")));
    // padding, signal tag, rx channel tag, end
    let tags = [0x00, 0x0a, 0x01, 0xc4, 0x28, 0x02, 0x00, 0x06, 0x01];
    let t = tzsp(1, 0, 1, &tags, &inner_eth);
    let p = eth_v4_udp(37008, &t);
    let mut d = dec();
    let out = run(&mut d, Link::Ethernet, &p);
    assert_eq!(out.anomalies(), &[]);
    assert_eq!(out.frame_count, 2);
    let i = &out.frames()[1];
    assert_eq!(i.tunnel_id, TunnelKind::Tzsp.tunnel_id(0));
    assert_eq!(i.payload, b"M-SEARCH");
    assert_eq!(i.len, inner_eth.len() as u32);
    assert_eq!(d.stats.tzsp, 1);
    // malformed: bad version, no end tag, unknown encapsulation, keepalive
    let pkt = eth_v4_udp(37008, &tzsp(2, 0, 1, &tags, &inner_eth));
    let out = decode(Link::Ethernet, &pkt);
    assert_eq!(out.anomalies(), &[E::TzspInvalid]);
    let pkt = eth_v4_udp(37008, &tzsp(1, 0, 1, &[0x0a, 0x01], &[]));
    let out = decode(Link::Ethernet, &pkt);
    assert_eq!(out.anomalies(), &[E::TzspInvalid]);
    let pkt = eth_v4_udp(37008, &tzsp(1, 0, 18, &tags, &inner_eth));
    let out = decode(Link::Ethernet, &pkt);
    assert_eq!(out.anomalies(), &[E::TzspUnknownEncap]);
    let pkt = eth_v4_udp(37008, &tzsp(1, 4, 1, &[0x01], &[]));
    let out = decode(Link::Ethernet, &pkt);
    assert_eq!(out.anomalies(), &[]);
    assert_eq!(out.frame_count, 1);
    let pads = vec![0u8; crate::tzsp::MAX_TAGS + 1];
    let pkt = eth_v4_udp(37008, &tzsp(1, 0, 1, &pads, &inner_eth));
    let out = decode(Link::Ethernet, &pkt);
    assert_eq!(out.anomalies(), &[E::TzspInvalid]);
}

#[test]
fn ip_in_ip_all_four() {
    let inner4 = ipv4_full(B4, A4, 6, &[], 0, &tcp(Ips::V4, tcp_flags::ACK, b"44"));
    let inner6 = ipv6(17, &udp(Ips::V6, 3, 4, b"66"));
    let mut d = dec();
    // 4in4
    let p = eth(0x0800, &ipv4(4, &inner4));
    let out = run(&mut d, Link::Ethernet, &p);
    assert_eq!(out.anomalies(), &[]);
    assert_eq!(out.frame_count, 2);
    assert_eq!(out.frames()[1].tunnel_id, TunnelKind::IpInIp.tunnel_id(0));
    assert_eq!(out.frames()[1].payload, b"44");
    assert_eq!(out.frames()[1].len, inner4.len() as u32);
    // 6in4
    let pkt = eth(0x0800, &ipv4(41, &inner6));
    let out = run(&mut d, Link::Ethernet, &pkt);
    assert_eq!(out.frames()[1].payload, b"66");
    // 4in6
    let pkt = eth(0x86dd, &ipv6(4, &inner4));
    let out = run(&mut d, Link::Ethernet, &pkt);
    assert_eq!(out.frames()[1].payload, b"44");
    // 6in6
    let pkt = eth(0x86dd, &ipv6(41, &inner6));
    let out = run(&mut d, Link::Ethernet, &pkt);
    assert_eq!(out.frames()[1].payload, b"66");
    assert_eq!(
        (
            d.stats.ipv4_in_ipv4,
            d.stats.ipv6_in_ipv4,
            d.stats.ipv4_in_ipv6,
            d.stats.ipv6_in_ipv6
        ),
        (1, 1, 1, 1)
    );
    // wrong inner versions and short inner packets
    let cases = [
        (eth(0x0800, &ipv4(4, &inner6)), E::IpipInvalid),
        (eth(0x0800, &ipv4(41, &inner4[..20])), E::IpipInvalid),
        (eth(0x86dd, &ipv6(4, &inner6)), E::Ipv4InIpv6WrongVersion),
        (eth(0x86dd, &ipv6(4, &inner4[..10])), E::Ipv4InIpv6TooSmall),
        (eth(0x86dd, &ipv6(41, &inner4)), E::Ipv6InIpv6WrongVersion),
        (eth(0x86dd, &ipv6(41, &inner6[..30])), E::Ipv6InIpv6TooSmall),
    ];
    for (i, (p, ev)) in cases.iter().enumerate() {
        let out = decode(Link::Ethernet, p);
        assert_eq!(out.anomalies(), &[*ev], "case {i}");
        assert_eq!(out.frame_count, 1);
    }
}

#[test]
fn too_many_layers() {
    // 5 nested IPv4 headers: 4 frames, then TooManyLayers
    let mut pkt = ipv4(17, &udp(Ips::V4, 1, 2, b"deep"));
    for _ in 0..4 {
        pkt = ipv4(4, &pkt);
    }
    let p = eth(0x0800, &pkt);
    let mut d = dec();
    let out = run(&mut d, Link::Ethernet, &p);
    assert_eq!(out.frame_count as usize, MAX_FRAMES);
    assert_eq!(out.anomalies(), &[E::TooManyLayers]);
    assert_eq!(d.stats.too_many_layers, 1);
    assert_eq!(d.stats.ipv4, MAX_FRAMES as u64);
    for (i, f) in out.frames().iter().enumerate() {
        assert_eq!(f.depth as usize, i);
    }
    // exactly MAX_FRAMES is fine
    let mut pkt = ipv4(17, &udp(Ips::V4, 1, 2, b"deep"));
    for _ in 0..3 {
        pkt = ipv4(4, &pkt);
    }
    let pkt = eth(0x0800, &pkt);
    let out = decode(Link::Ethernet, &pkt);
    assert_eq!(out.anomalies(), &[]);
    assert_eq!(out.frames()[3].payload, b"deep");
}

// ---------------------------------------------------------------- links

#[test]
fn linux_sll_and_sll2() {
    let ip = ipv4(6, &tcp(Ips::V4, tcp_flags::ACK, b"sll"));
    let mut sll = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 0x0a, 0, 0, 0x08, 0x00];
    sll.extend_from_slice(&ip);
    let mut d = dec();
    let out = run(&mut d, Link::LinuxSll, &sll);
    assert_eq!(out.anomalies(), &[]);
    assert_eq!(out.frames()[0].payload, b"sll");
    assert!(out.ethernet.is_none());
    assert_eq!(d.stats.sll, 1);
    let mut sll2 = vec![
        0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 4, 6, 2, 0, 0, 0, 0, 0x0a, 0, 0,
    ];
    sll2.extend_from_slice(&ip);
    let out = run(&mut d, Link::LinuxSll2, &sll2);
    assert_eq!(out.frames()[0].payload, b"sll");
    assert_eq!(d.stats.sll2, 1);
    // SLL with a VLAN tag and with ARP
    let mut tagged = vec![
        0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 0x0a, 0, 0, 0x81, 0x00, 0x00, 0x07, 0x08, 0x00,
    ];
    tagged.extend_from_slice(&ip);
    let out = run(&mut d, Link::LinuxSll, &tagged);
    assert_eq!(out.frames()[0].vlans[0], 7);
    let mut arp = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 0x0a, 0, 0, 0x08, 0x06];
    arp.extend_from_slice(&ARP_REQ);
    assert_eq!(run(&mut d, Link::LinuxSll, &arp).arp.unwrap().op, 1);
    for n in 0..16 {
        assert_eq!(
            decode(Link::LinuxSll, &sll[..n]).anomalies()[0],
            E::SllPktTooSmall
        );
    }
    for n in 0..20 {
        assert_eq!(
            decode(Link::LinuxSll2, &sll2[..n]).anomalies()[0],
            E::Sll2PktTooSmall
        );
    }
}

#[test]
fn null_loop_and_raw() {
    let ip4 = ipv4(17, &udp(Ips::V4, 1, 2, b"n4"));
    let ip6 = ipv6(17, &udp(Ips::V6, 1, 2, b"n6"));
    let mut d = dec();
    for (fam, ip, want) in [
        ([2u8, 0, 0, 0], &ip4, &b"n4"[..]),
        ([0, 0, 0, 2], &ip4, b"n4"),
        ([24, 0, 0, 0], &ip6, b"n6"),
        ([28, 0, 0, 0], &ip6, b"n6"),
        ([30, 0, 0, 0], &ip6, b"n6"),
        ([0, 0, 0, 30], &ip6, b"n6"),
        ([10, 0, 0, 0], &ip6, b"n6"),
    ] {
        let p = [&fam[..], &ip[..]].concat();
        for link in [Link::Null, Link::Loop] {
            let out = run(&mut d, link, &p);
            assert_eq!(out.anomalies(), &[], "{fam:?}");
            assert_eq!(out.frames()[0].payload, want);
        }
    }
    assert_eq!(d.stats.null, 14);
    let p = [&[7u8, 0, 0, 0][..], &ip4[..]].concat();
    let out = run(&mut d, Link::Null, &p);
    assert_eq!(out.anomalies(), &[E::NullUnsupportedType]);
    assert_eq!(
        decode(Link::Null, &[2, 0]).anomalies()[0],
        E::NullPktTooSmall
    );
    // raw
    assert_eq!(run(&mut d, Link::Raw, &ip4).frames()[0].payload, b"n4");
    assert_eq!(run(&mut d, Link::Raw, &ip6).frames()[0].payload, b"n6");
    assert_eq!(run(&mut d, Link::Ipv4, &ip4).frames()[0].payload, b"n4");
    assert_eq!(run(&mut d, Link::Ipv6, &ip6).frames()[0].payload, b"n6");
    assert_eq!(d.stats.raw, 4);
    assert_eq!(
        decode(Link::Raw, &[0x50, 0, 0]).anomalies(),
        &[E::IpRawInvalidIpv]
    );
    assert_eq!(decode(Link::Raw, &[]).anomalies(), &[E::IpRawInvalidIpv]);
    assert_eq!(
        decode(Link::Ipv4, &ip6).anomalies(),
        &[E::Ipv4WrongIpVersion]
    );
    let big4 = ipv4(17, &udp(Ips::V4, 1, 2, &[0; 20]));
    assert_eq!(
        decode(Link::Ipv6, &big4).anomalies(),
        &[E::Ipv6WrongIpVersion]
    );
    assert_eq!(decode(Link::Ipv6, &ip4).anomalies(), &[E::Ipv6PktTooSmall]);
    let mut d = dec();
    let out = run(&mut d, Link::Unknown(147), &ip4);
    assert_eq!(out.anomalies(), &[E::UnsupportedLinkType]);
    assert_eq!(d.stats.invalid, 1);
}

// ---------------------------------------------------------------- checksums

#[test]
fn checksum_validation_good_and_corrupted() {
    let good = eth_v4_tcp();
    let mut d = dec();
    assert_eq!(
        run(&mut d, Link::Ethernet, &good).frames()[0].checksum,
        ChecksumStatus::NotChecked
    );
    assert_eq!(d.stats.checksum_checked, 0);
    d.set_validate_checksums(true);
    assert!(d.config().validate_checksums);
    assert_eq!(
        run(&mut d, Link::Ethernet, &good).frames()[0].checksum,
        ChecksumStatus::Ok
    );
    // corrupt the IP header checksum
    let mut bad_ip = good.clone();
    bad_ip[14 + 10] ^= 0xff;
    let out = run(&mut d, Link::Ethernet, &bad_ip);
    assert_eq!(out.frames()[0].checksum, ChecksumStatus::BadIp);
    assert_eq!(out.anomalies(), &[E::Ipv4InvalidChecksum]);
    // corrupt the TCP payload
    let mut bad_tcp = good.clone();
    *bad_tcp.last_mut().unwrap() ^= 1;
    let out = run(&mut d, Link::Ethernet, &bad_tcp);
    assert_eq!(out.frames()[0].checksum, ChecksumStatus::BadL4);
    assert_eq!(out.anomalies(), &[E::TcpInvalidChecksum]);
    // both: BadIp wins, both reported
    let mut both = bad_tcp.clone();
    both[14 + 10] ^= 0xff;
    let out = run(&mut d, Link::Ethernet, &both);
    assert_eq!(out.frames()[0].checksum, ChecksumStatus::BadIp);
    assert_eq!(
        out.anomalies(),
        &[E::Ipv4InvalidChecksum, E::TcpInvalidChecksum]
    );
    assert_eq!(d.stats.checksum_bad, 4);
    assert_eq!(d.stats.checksum_checked, 8);
    assert_eq!(d.stats.event(E::TcpInvalidChecksum), 2);

    // UDP: zero checksum over IPv4 means none
    let mut u = udp(Ips::V4, 1, 2, b"z");
    u[6] = 0;
    u[7] = 0;
    let pkt = eth(0x0800, &ipv4(17, &u));
    let out = run(&mut d, Link::Ethernet, &pkt);
    assert_eq!(out.anomalies(), &[]);
    assert_eq!(out.frames()[0].checksum, ChecksumStatus::Ok);
    let mut u = udp(Ips::V4, 1, 2, b"z");
    u[8] ^= 0x55;
    let pkt = eth(0x0800, &ipv4(17, &u));
    let out = run(&mut d, Link::Ethernet, &pkt);
    assert_eq!(out.anomalies(), &[E::UdpInvalidChecksum]);
    // ...but over IPv6 zero is wrong
    let mut u = udp(Ips::V6, 1, 2, b"z");
    u[6] = 0;
    u[7] = 0;
    let pkt = eth(0x86dd, &ipv6(17, &u));
    let out = run(&mut d, Link::Ethernet, &pkt);
    assert_eq!(out.anomalies(), &[E::UdpInvalidChecksum]);
    assert_eq!(out.frames()[0].checksum, ChecksumStatus::BadL4);
    // ICMPv4 and ICMPv6
    let mut ic = icmp4(8, 0, [0, 1, 0, 1], b"p");
    ic[8] ^= 1;
    assert_eq!(
        run(&mut d, Link::Ethernet, &eth(0x0800, &ipv4(1, &ic))).anomalies(),
        &[E::Icmpv4InvalidChecksum]
    );
    let mut ic = icmp6(128, 0, [0, 1, 0, 1], b"p");
    ic[8] ^= 1;
    assert_eq!(
        run(&mut d, Link::Ethernet, &eth(0x86dd, &ipv6(58, &ic))).anomalies(),
        &[E::Icmpv6InvalidChecksum]
    );
    // a fragment's L4 is not checked even if its bytes look wrong
    let frag = eth(0x0800, &ipv4_full(A4, B4, 6, &[], 0x2000, &[1u8; 24]));
    let out = run(&mut d, Link::Ethernet, &frag);
    assert_eq!(out.anomalies(), &[]);
    assert_eq!(out.frames()[0].checksum, ChecksumStatus::Ok);
}

// ---------------------------------------------------------------- reassembly, context, stats

#[test]
fn decode_reassembled_inherits_context() {
    let ip = ipv4(6, &tcp(Ips::V4, tcp_flags::ACK, b"whole"));
    let ctx = FrameContext {
        vlans: [3, 4, 0],
        vlan_count: 2,
        tunnel_id: TunnelKind::Vxlan.tunnel_id(5),
        depth: 1,
    };
    let mut d = dec_checksums();
    let mut out = DecodedPacket::default();
    d.decode_reassembled(&ip, &ctx, &mut out);
    check_invariants(&ip, &out);
    assert_eq!(out.anomalies(), &[]);
    let f = &out.frames()[0];
    assert_eq!(FrameContext::from(f), ctx);
    assert_eq!(f.len, ip.len() as u32);
    assert_eq!(f.payload, b"whole");
    assert_eq!(f.checksum, ChecksumStatus::Ok);
    assert_eq!(
        (d.stats.pkts, d.stats.bytes, d.stats.ipv4, d.stats.tcp),
        (0, 0, 1, 1)
    );
    assert_eq!(
        d.stats.checksum_checked, 1,
        "only the L4 checksum of a rebuilt packet"
    );
    // rebuilt IPv6 with a tunnel inside goes one deeper
    let inner = ipv4(17, &udp(Ips::V4, 1, 2, b"in"));
    let ip6 = ipv6(4, &inner);
    d.decode_reassembled(&ip6, &ctx, &mut out);
    check_invariants(&ip6, &out);
    assert_eq!(out.frame_count, 2);
    assert_eq!(out.frames()[1].depth, 2);
    assert_eq!(out.frames()[1].vlan_count, 0);
    d.decode_reassembled(&[0x12, 0x34], &ctx, &mut out);
    assert_eq!(out.anomalies(), &[E::IpRawInvalidIpv]);
    assert_eq!(d.stats.invalid, 0);
}

#[test]
fn tunnel_ids() {
    for kind in [
        TunnelKind::Vxlan,
        TunnelKind::Gre,
        TunnelKind::Erspan,
        TunnelKind::Tzsp,
        TunnelKind::IpInIp,
    ] {
        for id in [0u32, 1, 0xff_ffff, 0xffff_ffff, 0x0100_0000] {
            let t = kind.tunnel_id(id);
            assert_ne!(t, 0);
            assert_eq!(TunnelKind::from_tunnel_id(t), Some(kind));
        }
    }
    assert_eq!(TunnelKind::from_tunnel_id(0), None);
    assert_eq!(TunnelKind::from_tunnel_id(0x0900_0000), None);
    assert_ne!(TunnelKind::Gre.tunnel_id(5), TunnelKind::Vxlan.tunnel_id(5));
    // the top byte of a 32-bit key still matters
    assert_ne!(
        TunnelKind::Gre.tunnel_id(0x0100_0001),
        TunnelKind::Gre.tunnel_id(0x0200_0001)
    );
}

#[test]
fn anomalies_beyond_capacity_are_counted() {
    // IPv4 options: 11 unknown 2-byte options + 2 bytes pad -> 11 anomalies
    let mut opts = Vec::new();
    for _ in 0..11 {
        opts.extend_from_slice(&[0x55, 2]);
    }
    opts.extend_from_slice(&[0, 0]);
    let p = eth(
        0x0800,
        &ipv4_full(A4, B4, 17, &opts, 0, &udp(Ips::V4, 1, 2, b"")),
    );
    let mut d = dec();
    let out = run(&mut d, Link::Ethernet, &p);
    assert_eq!(out.anomaly_count as usize, MAX_ANOMALIES);
    assert_eq!(out.anomalies_dropped, 3);
    assert_eq!(d.stats.event(E::Ipv4OptUnknown), 11);
}

#[test]
fn snaplen_and_stats_totals() {
    let p = eth_v4_tcp();
    let mut d = dec();
    let mut out = DecodedPacket::default();
    d.decode(Link::Ethernet, &p, 1500, &mut out);
    assert!(has(&out, E::PktTruncatedBySnaplen));
    assert!(!has(&out, E::Ipv4TruncPkt), "IP length is intact");
    assert_eq!(out.frames()[0].len, 1500);
    d.decode(Link::Ethernet, &p, p.len() as u32, &mut out);
    assert_eq!(out.anomalies(), &[]);
    assert_eq!((d.stats.pkts, d.stats.bytes), (2, 1500 + p.len() as u64));
    let mut total = DecodeStats::default();
    total.merge(&d.stats);
    total.merge(&d.stats);
    assert_eq!(total.pkts, 4);
    assert_eq!(total.event(E::PktTruncatedBySnaplen), 2);
}

// ---------------------------------------------------------------- property test

/// xorshift64*: tiny, deterministic, no dependencies.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Valid packets of every kind the decoder knows, for bit flipping.
fn corpus() -> Vec<(Link, Vec<u8>)> {
    let inner_eth = eth_tagged(
        &[(0x8100, 7)],
        0x0800,
        &ipv4(6, &tcp(Ips::V4, tcp_flags::ACK, b"in")),
    );
    let inner6 = eth(0x86dd, &ipv6(58, &icmp6(128, 0, [0, 1, 0, 1], b"x")));
    let mut v6ext = hbh(60);
    v6ext.extend_from_slice(&[44, 0, 1, 4, 0, 0, 0, 0]);
    v6ext.extend(frag_hdr(6, 0, false, 1));
    v6ext.extend(tcp(Ips::V6, tcp_flags::SYN, b""));
    let tags = [0x00, 0x0a, 0x01, 0xc4, 0x01];
    let mut sll = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 0x0a, 0, 0, 0x86, 0xdd];
    sll.extend(ipv6(17, &udp(Ips::V6, 1, 2, b"s")));
    let mut sll2 = vec![
        0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 4, 6, 2, 0, 0, 0, 0, 0x0a, 0, 0,
    ];
    sll2.extend(ipv4(1, &icmp4(8, 0, [0; 4], b"")));
    vec![
        (Link::Ethernet, MQTT_SYNACK.to_vec()),
        (Link::Ethernet, SYNFLOOD_SYN.to_vec()),
        (Link::Ethernet, COAP_V6.to_vec()),
        (Link::Ethernet, eth(0x0806, &ARP_REQ)),
        (
            Link::Ethernet,
            eth_tagged(
                &[(0x88a8, 1), (0x8100, 2), (0x8100, 3)],
                0x0800,
                &ipv4(17, &udp(Ips::V4, 1, 2, b"q")),
            ),
        ),
        (Link::Ethernet, eth_v4_udp(4789, &vxlan(5, &inner_eth))),
        (
            Link::Ethernet,
            eth(
                0x0800,
                &ipv4(
                    47,
                    &gre(0x1000, 0x88be, None, Some(1), &erspan2(3, 0, &inner_eth)),
                ),
            ),
        ),
        (
            Link::Ethernet,
            eth(
                0x0800,
                &ipv4(
                    47,
                    &gre(
                        0x1000,
                        0x22eb,
                        None,
                        Some(1),
                        &erspan3(3, Some([1; 8]), &inner6),
                    ),
                ),
            ),
        ),
        (
            Link::Ethernet,
            eth(
                0x0800,
                &ipv4(47, &gre(0x2000, 0x6558, Some(9), None, &inner_eth)),
            ),
        ),
        (
            Link::Ethernet,
            eth_v4_udp(37008, &tzsp(1, 0, 1, &tags, &inner_eth)),
        ),
        (
            Link::Ethernet,
            eth(
                0x0800,
                &ipv4(4, &ipv4(41, &ipv6(4, &ipv4(6, &tcp(Ips::V4, 0, b""))))),
            ),
        ),
        (Link::Ethernet, eth(0x86dd, &ipv6(0, &v6ext))),
        (
            Link::Ethernet,
            eth(
                0x0800,
                &ipv4_full(
                    A4,
                    B4,
                    6,
                    &[7, 7, 4, 0, 0, 0, 0, 0],
                    0,
                    &tcp(Ips::V4, 2, b"o"),
                ),
            ),
        ),
        (Link::LinuxSll, sll),
        (Link::LinuxSll2, sll2),
        (
            Link::Null,
            [&[2u8, 0, 0, 0][..], &ipv4(6, &tcp(Ips::V4, 2, b""))[..]].concat(),
        ),
        (
            Link::Loop,
            [
                &[0u8, 0, 0, 30][..],
                &ipv6(17, &udp(Ips::V6, 1, 2, b""))[..],
            ]
            .concat(),
        ),
        (
            Link::Raw,
            ipv4(17, &udp(Ips::V4, 1, 4789, &vxlan(1, &inner6))),
        ),
        (Link::Ipv6, ipv6(41, &ipv6(6, &tcp(Ips::V6, 2, b"")))),
    ]
}

#[test]
fn corpus_decodes_cleanly() {
    for (i, (link, p)) in corpus().iter().enumerate() {
        let mut d = dec_checksums();
        let out = run(&mut d, *link, p);
        assert!(out.frame_count > 0 || out.arp.is_some(), "corpus {i}");
        assert_eq!(d.stats.invalid, 0, "corpus {i}");
        assert_eq!(d.stats.checksum_bad, 0, "corpus {i}: {:?}", out.anomalies());
    }
}

#[test]
fn corpus_every_prefix() {
    // every protocol of the corpus cut at every length: never panics, the
    // invariants hold, and a longer capture never yields fewer frames
    for (i, (link, p)) in corpus().iter().enumerate() {
        let mut last = 0u8;
        for n in 0..=p.len() {
            let mut d = dec_checksums();
            let mut out = DecodedPacket::default();
            d.decode(*link, &p[..n], p.len() as u32, &mut out);
            check_invariants(&p[..n], &out);
            assert!(out.frame_count >= last, "corpus {i} prefix {n}");
            last = out.frame_count;
            if n < p.len() {
                assert!(has(&out, E::PktTruncatedBySnaplen));
                assert_eq!(
                    d.stats.checksum_bad, 0,
                    "corpus {i} prefix {n}: truncated layers are not checked"
                );
            }
        }
        assert!(last > 0 || i == 3, "corpus {i} decodes whole");
    }
}

#[test]
fn property_random_and_bit_flipped_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let links = [
        Link::Ethernet,
        Link::Null,
        Link::Loop,
        Link::Raw,
        Link::Ipv4,
        Link::Ipv6,
        Link::LinuxSll,
        Link::LinuxSll2,
        Link::Unknown(999),
    ];
    let corpus = corpus();
    let mut d = dec_checksums();
    let mut d_plain = Decoder::new(DecoderConfig {
        decode_tunnels: false,
        ..DecoderConfig::default()
    });
    let mut buf = Vec::with_capacity(2048);
    let mut flipped_frames = 0u64;
    const ROUNDS: usize = 100_000;
    for _ in 0..ROUNDS {
        // a random byte string (biased towards plausible first bytes)
        // through every link
        buf.clear();
        let n = rng.below(160);
        for _ in 0..n {
            buf.push(rng.next() as u8);
        }
        if n > 0 && rng.below(2) == 0 {
            buf[0] = [0x45, 0x60, 0x46, 0x4f][rng.below(4)];
        }
        for link in links {
            let mut out = DecodedPacket::default();
            d.decode(link, &buf, buf.len() as u32, &mut out);
            check_invariants(&buf, &out);
        }

        // a valid packet with 1..8 bit flips, sometimes cut short, through
        // its own link, a random link, and the reassembly entry point
        buf.clear();
        let (link, p) = &corpus[rng.below(corpus.len())];
        buf.extend_from_slice(p);
        for _ in 0..1 + rng.below(8) {
            let i = rng.below(buf.len());
            buf[i] ^= 1 << rng.below(8);
        }
        if rng.below(4) == 0 {
            let n = rng.below(buf.len() + 1);
            buf.truncate(n);
        }
        let mut out = DecodedPacket::default();
        d.decode(*link, &buf, p.len() as u32, &mut out);
        check_invariants(&buf, &out);
        flipped_frames += out.frame_count as u64;
        if let Some(f) = out.frames().first() {
            let ctx = FrameContext::from(f);
            let ip = f.ip.packet;
            let mut out2 = DecodedPacket::default();
            d.decode_reassembled(ip, &ctx, &mut out2);
            check_invariants(ip, &out2);
        }
        let mut out = DecodedPacket::default();
        d_plain.decode(
            links[rng.below(links.len())],
            &buf,
            buf.len() as u32,
            &mut out,
        );
        check_invariants(&buf, &out);
        assert!(out.frame_count <= 1, "tunnels off: one frame at most");
    }
    assert_eq!(d.stats.pkts, (ROUNDS * (links.len() + 1)) as u64);
    assert!(
        flipped_frames > ROUNDS as u64 / 2,
        "flipped packets mostly still decode: {flipped_frames}"
    );
    assert!(d.stats.invalid > 0 && d.stats.invalid < d.stats.pkts);
}
