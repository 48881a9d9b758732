//! A tiny pcap/Ethernet/IPv4 parser of our own, for checking the generator's
//! output without trusting any of its code.
#![allow(dead_code)]

use std::collections::BTreeMap;

/// One pcap record.
pub struct Record {
    /// Microseconds since the epoch.
    pub ts: u64,
    pub data: Vec<u8>,
    pub orig_len: u32,
}

/// Reads a classic little-endian microsecond pcap; panics on anything else.
pub fn read_pcap(b: &[u8]) -> (u32, Vec<Record>) {
    assert!(b.len() >= 24, "short pcap");
    assert_eq!(&b[..4], &[0xd4, 0xc3, 0xb2, 0xa1], "magic");
    assert_eq!(u16::from_le_bytes([b[4], b[5]]), 2);
    assert_eq!(u16::from_le_bytes([b[6], b[7]]), 4);
    let linktype = u32::from_le_bytes(b[20..24].try_into().unwrap());
    let mut out = Vec::new();
    let mut p = 24;
    while p < b.len() {
        let h = &b[p..p + 16];
        let secs = u32::from_le_bytes(h[0..4].try_into().unwrap()) as u64;
        let usec = u32::from_le_bytes(h[4..8].try_into().unwrap()) as u64;
        assert!(usec < 1_000_000);
        let incl = u32::from_le_bytes(h[8..12].try_into().unwrap()) as usize;
        let orig = u32::from_le_bytes(h[12..16].try_into().unwrap());
        p += 16;
        out.push(Record {
            ts: secs * 1_000_000 + usec,
            data: b[p..p + incl].to_vec(),
            orig_len: orig,
        });
        p += incl;
    }
    assert_eq!(p, b.len(), "trailing bytes");
    (linktype, out)
}

/// RFC 1071 checksum, written independently of palisade-wire.
pub fn inet_sum(chunks: &[&[u8]]) -> u16 {
    let mut acc: u32 = 0;
    let mut carry: Option<u8> = None;
    for c in chunks {
        for &byte in c.iter() {
            match carry.take() {
                None => carry = Some(byte),
                Some(hi) => acc += u16::from_be_bytes([hi, byte]) as u32,
            }
        }
    }
    if let Some(hi) = carry {
        acc += (hi as u32) << 8;
    }
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

#[derive(Debug, Clone)]
pub enum L4 {
    Tcp {
        sport: u16,
        dport: u16,
        seq: u32,
        ack: u32,
        flags: u8,
        window: u16,
        options: Vec<u8>,
        payload: Vec<u8>,
    },
    Udp {
        sport: u16,
        dport: u16,
        payload: Vec<u8>,
    },
    Icmp {
        ty: u8,
        code: u8,
        ident: u16,
        seq: u16,
        data: Vec<u8>,
    },
}

#[derive(Debug, Clone)]
pub struct Ipv4 {
    pub src: [u8; 4],
    pub dst: [u8; 4],
    pub ttl: u8,
    pub id: u16,
    pub df: bool,
    pub header_ok: bool,
    pub l4_ok: bool,
    pub l4: L4,
}

#[derive(Debug, Clone)]
pub enum Frame {
    Arp {
        op: u16,
        sha: [u8; 6],
        spa: [u8; 4],
        tpa: [u8; 4],
    },
    Ip(Ipv4),
}

#[derive(Debug, Clone)]
pub struct Packet {
    pub ts: u64,
    pub len: usize,
    pub src_mac: [u8; 6],
    pub dst_mac: [u8; 6],
    pub frame: Frame,
}

pub const FIN: u8 = 1;
pub const SYN: u8 = 2;
pub const RST: u8 = 4;
pub const PSH: u8 = 8;
pub const ACK: u8 = 16;

pub fn parse(r: &Record) -> Packet {
    let d = &r.data;
    let dst_mac: [u8; 6] = d[0..6].try_into().unwrap();
    let src_mac: [u8; 6] = d[6..12].try_into().unwrap();
    let et = u16::from_be_bytes([d[12], d[13]]);
    let frame = match et {
        0x0806 => {
            let a = &d[14..];
            assert_eq!(&a[..6], &[0, 1, 8, 0, 6, 4]);
            Frame::Arp {
                op: u16::from_be_bytes([a[6], a[7]]),
                sha: a[8..14].try_into().unwrap(),
                spa: a[14..18].try_into().unwrap(),
                tpa: a[24..28].try_into().unwrap(),
            }
        }
        0x0800 => {
            let ip = &d[14..];
            assert_eq!(ip[0], 0x45, "IPv4 without options");
            let total = u16::from_be_bytes([ip[2], ip[3]]) as usize;
            assert!(total <= ip.len(), "total length beyond frame");
            let ip = &ip[..total];
            let header_ok = inet_sum(&[&ip[..20]]) == 0;
            let src: [u8; 4] = ip[12..16].try_into().unwrap();
            let dst: [u8; 4] = ip[16..20].try_into().unwrap();
            let proto = ip[9];
            let seg = &ip[20..];
            let pseudo = |p: u8| {
                let mut v = Vec::with_capacity(12);
                v.extend_from_slice(&src);
                v.extend_from_slice(&dst);
                v.extend_from_slice(&[0, p]);
                v.extend_from_slice(&(seg.len() as u16).to_be_bytes());
                v
            };
            let (l4, l4_ok) = match proto {
                6 => {
                    let doff = (seg[12] >> 4) as usize * 4;
                    (
                        L4::Tcp {
                            sport: u16::from_be_bytes([seg[0], seg[1]]),
                            dport: u16::from_be_bytes([seg[2], seg[3]]),
                            seq: u32::from_be_bytes(seg[4..8].try_into().unwrap()),
                            ack: u32::from_be_bytes(seg[8..12].try_into().unwrap()),
                            flags: seg[13],
                            window: u16::from_be_bytes([seg[14], seg[15]]),
                            options: seg[20..doff].to_vec(),
                            payload: seg[doff..].to_vec(),
                        },
                        inet_sum(&[&pseudo(6), seg]) == 0,
                    )
                }
                17 => {
                    let ulen = u16::from_be_bytes([seg[4], seg[5]]) as usize;
                    assert_eq!(ulen, seg.len(), "UDP length");
                    (
                        L4::Udp {
                            sport: u16::from_be_bytes([seg[0], seg[1]]),
                            dport: u16::from_be_bytes([seg[2], seg[3]]),
                            payload: seg[8..].to_vec(),
                        },
                        seg[6..8] != [0, 0] && inet_sum(&[&pseudo(17), seg]) == 0,
                    )
                }
                1 => (
                    L4::Icmp {
                        ty: seg[0],
                        code: seg[1],
                        ident: u16::from_be_bytes([seg[4], seg[5]]),
                        seq: u16::from_be_bytes([seg[6], seg[7]]),
                        data: seg[8..].to_vec(),
                    },
                    inet_sum(&[seg]) == 0,
                ),
                p => panic!("unexpected IP protocol {p}"),
            };
            Frame::Ip(Ipv4 {
                src,
                dst,
                ttl: ip[8],
                id: u16::from_be_bytes([ip[4], ip[5]]),
                df: ip[6] & 0x40 != 0,
                header_ok,
                l4_ok,
                l4,
            })
        }
        e => panic!("unexpected ethertype {e:#06x}"),
    };
    Packet {
        ts: r.ts,
        len: d.len(),
        src_mac,
        dst_mac,
        frame,
    }
}

/// An unordered conversation key: (proto, low end, high end).
pub type Key = (u8, ([u8; 4], u16), ([u8; 4], u16));

pub fn key(p: &Packet) -> Option<Key> {
    let Frame::Ip(ip) = &p.frame else { return None };
    let (proto, a, b) = match &ip.l4 {
        L4::Tcp { sport, dport, .. } => (6, (ip.src, *sport), (ip.dst, *dport)),
        L4::Udp { sport, dport, .. } => (17, (ip.src, *sport), (ip.dst, *dport)),
        // ICMP echo: the address pair and the identifier.
        L4::Icmp { ident, .. } => (1, (ip.src, *ident), (ip.dst, *ident)),
    };
    Some(if a <= b { (proto, a, b) } else { (proto, b, a) })
}

/// One TCP segment of a flow.
#[derive(Debug)]
pub struct Seg {
    pub ts: u64,
    pub from_client: bool,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub window: u16,
    pub options: Vec<u8>,
    pub payload: Vec<u8>,
}

/// One TCP connection: its packets in order, and each direction's payload
/// reassembled.
#[derive(Default, Debug)]
pub struct TcpFlow {
    pub segs: Vec<Seg>,
    pub client: ([u8; 4], u16),
    pub server: ([u8; 4], u16),
    pub c2s: Vec<u8>,
    pub s2c: Vec<u8>,
    /// Payload boundaries of the server's segments.
    pub s2c_segments: Vec<usize>,
}

pub fn tcp_flows(pkts: &[Packet]) -> BTreeMap<Key, TcpFlow> {
    let mut flows: BTreeMap<Key, TcpFlow> = BTreeMap::new();
    for p in pkts {
        let Frame::Ip(ip) = &p.frame else { continue };
        let L4::Tcp {
            sport,
            dport,
            seq,
            ack,
            flags,
            window,
            options,
            payload,
        } = &ip.l4
        else {
            continue;
        };
        let k = key(p).unwrap();
        let f = flows.entry(k).or_default();
        if f.segs.is_empty() {
            f.client = (ip.src, *sport);
            f.server = (ip.dst, *dport);
        }
        let from_client = (ip.src, *sport) == f.client;
        if from_client {
            f.c2s.extend_from_slice(payload);
        } else {
            if !payload.is_empty() {
                f.s2c_segments.push(f.s2c.len());
            }
            f.s2c.extend_from_slice(payload);
        }
        f.segs.push(Seg {
            ts: p.ts,
            from_client,
            seq: *seq,
            ack: *ack,
            flags: *flags,
            window: *window,
            options: options.clone(),
            payload: payload.clone(),
        });
    }
    flows
}

/// MSS option value from a SYN's options.
pub fn mss_option(opts: &[u8]) -> Option<u16> {
    let mut i = 0;
    while i < opts.len() {
        match opts[i] {
            0 => return None,
            1 => i += 1,
            kind => {
                let l = opts[i + 1] as usize;
                if kind == 2 && l == 4 {
                    return Some(u16::from_be_bytes([opts[i + 2], opts[i + 3]]));
                }
                i += l;
            }
        }
    }
    None
}
