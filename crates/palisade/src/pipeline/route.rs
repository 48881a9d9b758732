//! The reader's routing fast path: which worker owns a packet, found from
//! its first headers instead of a full decode.
//!
//! With several threads, the reading thread routes every packet by the
//! symmetric hash of each frame's address pair (+ outermost VLAN, tunnel
//! id; [`palisade_flow::key::worker_hash`]). A full decode to find the
//! frames costs the reader about as much as a worker's tracking of the
//! packet (BENCHMARKS.md: decode-only 3.9 M packets/s against 2.5 M for
//! the whole scan), which capped two threads near 1.2x of one. Most
//! packets are plain Ethernet (+VLAN) / IPv4 or IPv6 / TCP, UDP or ICMP
//! with one frame: for those the owner follows from a few header fields,
//! read here with bounds checks only. Anything else (other link types,
//! tunnels or what could be one, IPv6 extension headers, malformed or
//! truncated headers) answers `None` and the caller decodes fully, so the
//! owner is always the one the full decode gives (a property test holds
//! the two to that). Written by hand rather than with a header crate
//! because it must read exactly the fields the decoder would, stop at the
//! first doubt, and cost a few nanoseconds.

use super::worker::Owners;
use super::{ChecksumAuto, CHECKSUM_SAMPLE};
use crate::config::ChecksumMode;
use palisade_wire::{Addr, ChecksumStatus, DecodedPacket, Decoder, DecoderConfig, Link};

/// What the fast path needs to know of the decoder's configuration.
#[derive(Clone, Debug)]
pub struct RouteConfig {
    /// UDP destination ports the decoder opens as VXLAN.
    pub vxlan_ports: Vec<u16>,
    /// UDP destination port the decoder opens as TZSP.
    pub tzsp_port: u16,
    /// Whether the decoder opens tunnels at all.
    pub decode_tunnels: bool,
}

impl RouteConfig {
    /// The fields of the decoder's configuration the fast path follows.
    pub fn of_decoder(dec: &DecoderConfig) -> RouteConfig {
        RouteConfig {
            vxlan_ports: dec.vxlan_ports.clone(),
            tzsp_port: dec.tzsp_port,
            decode_tunnels: dec.decode_tunnels,
        }
    }
}

/// The single frame of a packet, as its owner is computed: source and
/// destination address, outermost VLAN id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FastFrame {
    /// Source address (IPv4 in the first four bytes).
    pub src: Addr,
    /// Destination address.
    pub dst: Addr,
    /// Outermost VLAN id, 0 without a tag.
    pub vlan0: u16,
    /// IP protocol.
    pub proto: u8,
    /// Source and destination port of an unfragmented TCP or UDP packet.
    pub ports: Option<(u16, u16)>,
    /// An IPv4 fragment (first or later).
    pub fragment: bool,
    /// IPv4 (else IPv6).
    pub v4: bool,
}

impl FastFrame {
    /// The worker hash of the frame (tunnel id 0: the outermost frame).
    pub fn hash(&self) -> u64 {
        palisade_flow::key::worker_hash_of(&self.src, &self.dst, self.vlan0, 0)
    }
}

/// Which workers a packet concerns, as the dispatching reader finds it: the
/// fast path when it is sure; otherwise a full decode, whose frames may
/// concern several workers (a tunnelled packet: the mirror session's owner
/// and the inner flow's). While the auto checksum mode samples, every
/// packet takes the full decode, which validates checksums for the sample.
pub(crate) struct Router {
    cfg: RouteConfig,
    decoder: Decoder,
    owners: Owners,
}

impl Router {
    /// A router for the decoder configuration the workers use.
    pub(crate) fn new(dec: &DecoderConfig, checksums: ChecksumMode, owners: Owners) -> Router {
        Router {
            cfg: RouteConfig::of_decoder(dec),
            // validates only while the auto mode samples; the workers
            // validate for real
            decoder: Decoder::new(DecoderConfig {
                validate_checksums: checksums == ChecksumMode::Auto,
                ..dec.clone()
            }),
            owners,
        }
    }

    /// (bit mask of the workers concerned, the primary worker: the one that
    /// reports the packet's decode anomalies). Feeds `csum`'s sample.
    pub(crate) fn route(
        &mut self,
        csum: &mut ChecksumAuto,
        linktype: u32,
        data: &[u8],
        wire_len: u32,
    ) -> (u64, usize) {
        let sampling = csum.mode == ChecksumMode::Auto && csum.sampled < CHECKSUM_SAMPLE;
        if !sampling {
            if let Some(f) = fast_frame(&self.cfg, linktype, data) {
                let o = self.owners.of_hash(f.hash());
                return (1u64 << o, o);
            }
        }
        let mut d = DecodedPacket::default();
        self.decoder
            .decode(Link::from_linktype(linktype), data, wire_len, &mut d);
        let frames = d.frames();
        let mut bad = false;
        let mut mask = 0u64;
        for f in frames {
            bad |= f.checksum == ChecksumStatus::BadIp || f.checksum == ChecksumStatus::BadL4;
            mask |= 1u64 << self.owners.of(f);
        }
        let primary = frames.first().map_or(0, |f| self.owners.of(f));
        csum.observe(!frames.is_empty(), bad);
        if csum.mode == ChecksumMode::Auto && csum.sampled == CHECKSUM_SAMPLE {
            self.decoder.set_validate_checksums(false);
        }
        (mask | 1u64 << primary, primary)
    }
}

const LINKTYPE_ETHERNET: u32 = 1;
const ETH_IPV4: u16 = 0x0800;
const ETH_IPV6: u16 = 0x86dd;
const VLAN_TPIDS: [u16; 3] = [0x8100, 0x88a8, 0x9100];
const TCP: u8 = 6;
const UDP: u8 = 17;
const ICMP: u8 = 1;
const ICMPV6: u8 = 58;

fn be16(d: &[u8], at: usize) -> Option<u16> {
    let b = d.get(at..at + 2)?;
    Some(u16::from_be_bytes([b[0], b[1]]))
}

/// The packet's only frame, when the fast path is sure there is exactly
/// one and no decoder doubt; `None`: decode fully.
pub fn fast_frame(cfg: &RouteConfig, linktype: u32, data: &[u8]) -> Option<FastFrame> {
    if linktype != LINKTYPE_ETHERNET {
        return None;
    }
    let mut ethertype = be16(data, 12)?;
    let mut at = 14;
    let mut vlan0 = None;
    let mut tags = 0;
    while VLAN_TPIDS.contains(&ethertype) {
        tags += 1;
        if tags > palisade_wire::MAX_VLANS {
            return None;
        }
        let tci = be16(data, at)?;
        vlan0.get_or_insert(tci & 0x0fff);
        ethertype = be16(data, at + 2)?;
        at += 4;
    }
    let ip = data.get(at..)?;
    let vlan0 = vlan0.unwrap_or(0);
    match ethertype {
        ETH_IPV4 => ipv4(cfg, ip, vlan0),
        ETH_IPV6 => ipv6(cfg, ip, vlan0),
        _ => None,
    }
}

fn ipv4(cfg: &RouteConfig, ip: &[u8], vlan0: u16) -> Option<FastFrame> {
    let first = *ip.first()?;
    let ihl = usize::from(first & 0x0f) * 4;
    if first >> 4 != 4 || ihl < 20 {
        return None;
    }
    let total = usize::from(be16(ip, 2)?);
    if total < ihl || total > ip.len() {
        return None; // truncated or inconsistent: the decoder decides
    }
    let frag = be16(ip, 6)?;
    let fragment = frag & 0x3fff != 0; // MF or an offset
    let proto = *ip.get(9)?;
    let l4 = ip.get(ihl..total)?;
    if !fragment && !plain_l4(cfg, proto, l4, false)? {
        return None;
    }
    if fragment && !matches!(proto, TCP | UDP | ICMP) {
        return None; // a fragmented tunnel is reassembled by the worker
    }
    let mut src = [0u8; 16];
    let mut dst = [0u8; 16];
    src[..4].copy_from_slice(ip.get(12..16)?);
    dst[..4].copy_from_slice(ip.get(16..20)?);
    Some(FastFrame {
        src,
        dst,
        vlan0,
        proto,
        ports: if fragment { None } else { ports(proto, l4) },
        fragment,
        v4: true,
    })
}

fn ipv6(cfg: &RouteConfig, ip: &[u8], vlan0: u16) -> Option<FastFrame> {
    if *ip.first()? >> 4 != 6 {
        return None;
    }
    let payload = usize::from(be16(ip, 4)?);
    if payload == 0 || 40 + payload > ip.len() {
        return None; // jumbogram or truncated
    }
    let next = *ip.get(6)?;
    let l4 = ip.get(40..40 + payload)?;
    // extension headers (fragments among them) take the full decode
    if !plain_l4(cfg, next, l4, true)? {
        return None;
    }
    let mut src = [0u8; 16];
    let mut dst = [0u8; 16];
    src.copy_from_slice(ip.get(8..24)?);
    dst.copy_from_slice(ip.get(24..40)?);
    Some(FastFrame {
        src,
        dst,
        vlan0,
        proto: next,
        ports: ports(next, l4),
        fragment: false,
        v4: false,
    })
}

fn ports(proto: u8, l4: &[u8]) -> Option<(u16, u16)> {
    matches!(proto, TCP | UDP).then(|| Some((be16(l4, 0)?, be16(l4, 2)?)))?
}

/// Whether an unfragmented upper layer is one the decoder opens no tunnel
/// in: TCP, ICMP, ICMPv6, or UDP to a port that is no tunnel's. `None`
/// (treated as "no") when a header is cut short.
fn plain_l4(cfg: &RouteConfig, proto: u8, l4: &[u8], v6: bool) -> Option<bool> {
    Some(match proto {
        TCP => {
            let off = usize::from(*l4.get(12)? >> 4) * 4;
            off >= 20 && off <= l4.len()
        }
        UDP => {
            let dport = be16(l4, 2)?;
            let len = usize::from(be16(l4, 4)?);
            let consistent = len >= 8 && len <= l4.len();
            consistent
                && !(cfg.decode_tunnels
                    && (cfg.vxlan_ports.contains(&dport) || dport == cfg.tzsp_port))
        }
        ICMP if !v6 => l4.len() >= 8,
        ICMPV6 if v6 => l4.len() >= 8,
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_wire::{DecodedPacket, Decoder, DecoderConfig, Link};

    fn cfg() -> RouteConfig {
        let d = DecoderConfig::default();
        RouteConfig {
            vxlan_ports: d.vxlan_ports,
            tzsp_port: d.tzsp_port,
            decode_tunnels: d.decode_tunnels,
        }
    }

    /// When the fast path answers, the full decode has exactly one frame
    /// with the same hash inputs.
    fn agrees(data: &[u8]) -> bool {
        let Some(f) = fast_frame(&cfg(), 1, data) else {
            return false;
        };
        let mut dec = Decoder::new(DecoderConfig::default());
        let mut d = DecodedPacket::default();
        dec.decode(Link::from_linktype(1), data, data.len() as u32, &mut d);
        let frames = d.frames();
        assert_eq!(
            frames.len(),
            1,
            "fast path on a packet of {} frames: {data:?}",
            frames.len()
        );
        assert_eq!(
            palisade_flow::key::worker_hash(&frames[0]),
            f.hash(),
            "{data:?}"
        );
        assert_eq!(f.proto, frames[0].ip.proto, "{data:?}");
        let want = match frames[0].l4 {
            palisade_wire::L4::Tcp(t) => Some((t.src_port, t.dst_port)),
            palisade_wire::L4::Udp { src_port, dst_port } => Some((src_port, dst_port)),
            _ => None,
        };
        assert_eq!(f.ports, want, "{data:?}");
        assert_eq!(f.fragment, frames[0].ip.frag.is_some(), "{data:?}");
        true
    }

    #[test]
    fn agrees_with_the_decoder_on_generated_fleet_traffic() {
        let dir = std::env::temp_dir().join(format!("palisade-route-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut fast = 0;
        let mut total = 0;
        for scenario in ["fleet", "syn-flood", "udp-flood", "icmp-flood", "mirai"] {
            let pcap = dir.join(format!("{scenario}.pcap"));
            let mut out = std::io::BufWriter::new(std::fs::File::create(&pcap).unwrap());
            let opts = palisade_testbed::ScenarioConfig {
                scenario: scenario.into(),
                seed: 3,
                max_packets: Some(20_000),
                ..Default::default()
            };
            palisade_testbed::generate(&opts, &mut out).unwrap();
            drop(out);
            let (mut set, _) = palisade_capture::InputSet::open_with(
                std::slice::from_ref(&pcap),
                &palisade_capture::OpenOptions::default(),
            );
            while let Some(p) = set.next_packet() {
                total += 1;
                fast += agrees(p.data) as u32;
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
        // the fast path takes the common case
        assert!(fast * 10 > total * 9, "{fast} of {total}");
    }

    #[test]
    fn doubtful_packets_take_the_full_decode() {
        // Ethernet / IPv4 / UDP to the VXLAN port: a tunnel
        let mut p = vec![0u8; 14 + 20 + 8 + 8 + 14];
        p[12..14].copy_from_slice(&0x0800u16.to_be_bytes());
        p[14] = 0x45;
        let total = (p.len() - 14) as u16;
        p[16..18].copy_from_slice(&total.to_be_bytes());
        p[23] = 17;
        p[36..38].copy_from_slice(&4789u16.to_be_bytes());
        p[38..40].copy_from_slice(&16u16.to_be_bytes());
        assert_eq!(fast_frame(&cfg(), 1, &p), None);
        // the same to another port: one frame
        p[36..38].copy_from_slice(&5000u16.to_be_bytes());
        assert!(agrees(&p));
        // truncated IPv4 (total length beyond the capture)
        let mut t = p.clone();
        t.truncate(40);
        assert_eq!(fast_frame(&cfg(), 1, &t), None);
        // GRE, IP-in-IP, IPv6-in-IP
        for proto in [47u8, 4, 41] {
            let mut g = p.clone();
            g[23] = proto;
            assert_eq!(fast_frame(&cfg(), 1, &g), None);
        }
        // four VLAN tags, ARP, another link type, garbage, empty
        let mut q = vec![0u8; 14];
        q[12..14].copy_from_slice(&0x8100u16.to_be_bytes());
        for _ in 0..4 {
            q.extend_from_slice(&[0, 5, 0x81, 0]);
        }
        assert_eq!(fast_frame(&cfg(), 1, &q), None);
        let mut arp = p.clone();
        arp[12..14].copy_from_slice(&0x0806u16.to_be_bytes());
        assert_eq!(fast_frame(&cfg(), 1, &arp), None);
        assert_eq!(fast_frame(&cfg(), 101, &p[14..]), None);
        assert_eq!(fast_frame(&cfg(), 1, &[]), None);
        assert_eq!(fast_frame(&cfg(), 1, &[0xff; 13]), None);
    }

    #[test]
    fn never_panics_and_never_disagrees_on_mutated_packets() {
        // every single-byte change of a tagged IPv4/TCP and an IPv6/UDP
        // packet: the fast path either steps aside or agrees
        let mut seeds = Vec::new();
        let mut v4 = vec![0u8; 14 + 4 + 20 + 20 + 6];
        v4[12..14].copy_from_slice(&0x8100u16.to_be_bytes());
        v4[14..16].copy_from_slice(&7u16.to_be_bytes());
        v4[16..18].copy_from_slice(&0x0800u16.to_be_bytes());
        v4[18] = 0x45;
        v4[20..22].copy_from_slice(&46u16.to_be_bytes());
        v4[27] = 6;
        v4[30..34].copy_from_slice(&[10, 0, 0, 1]);
        v4[34..38].copy_from_slice(&[10, 0, 0, 2]);
        v4[50] = 0x50;
        seeds.push(v4);
        let mut v6 = vec![0u8; 14 + 40 + 8 + 4];
        v6[12..14].copy_from_slice(&0x86ddu16.to_be_bytes());
        v6[14] = 0x60;
        v6[18..20].copy_from_slice(&12u16.to_be_bytes());
        v6[20] = 17;
        v6[22] = 0x20;
        v6[23] = 1;
        v6[38] = 0x20;
        v6[39] = 2;
        v6[58..60].copy_from_slice(&12u16.to_be_bytes());
        seeds.push(v6);
        for seed in seeds {
            assert!(agrees(&seed));
            for i in 0..seed.len() {
                for v in [0u8, 1, 0x45, 0x60, 0x81, 0xff] {
                    let mut m = seed.clone();
                    m[i] = v;
                    agrees(&m);
                    agrees(&m[..i]);
                }
            }
        }
    }
}
