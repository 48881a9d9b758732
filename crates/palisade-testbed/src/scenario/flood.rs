//! The two flood scenarios.
//!
//! * "syn-flood": 20 s of TCP SYNs at 5,000–20,000 a second into one fleet
//!   device's HTTP (80) or RTSP (554) port, each from a different spoofed
//!   address of 100.64.0.0/10 (a full-cycle walk of the range, so no
//!   address repeats) and a random source port. The victim answers the
//!   first 128 with SYN-ACKs until its backlog is full, then stays silent.
//! * "amplification": 20 s of large DNS responses (about 1,400 bytes of TXT
//!   records for an ANY query, with EDNS) from port 53 of 64–200 reflectors
//!   in the documentation ranges to one fleet device, about 3,000 a second.

use super::attack::{self, Reply, SEC};
use super::{fleet, Setup};
use crate::actor::Actor;
use crate::labels::PlannedAttack;
use crate::packet::{flags, Tcp};
use crate::scheduler::Ctx;
use crate::world::{DevId, HostId};
use crate::TestbedError;
use palisade_event::Timestamp;
use std::collections::BTreeSet;

/// How long each flood lasts.
const FLOOD: u64 = 20 * SEC;
/// SYN-ACKs the victim sends before its backlog is full.
const BACKLOG: u32 = 128;

/// A spoofed SYN flood.
#[derive(Debug)]
pub(crate) struct SynFlood {
    pub attack: u32,
    victim: HostId,
    port: u16,
    end: u64,
    /// Mean gap between SYNs, ns.
    gap: u64,
    /// Full-cycle walk over 100.64.0.0/10: `start + n * stride (mod 2^22)`.
    start: u32,
    stride: u32,
    n: u32,
}

impl SynFlood {
    pub(crate) fn step(&mut self, cx: &mut Ctx<'_>) -> Option<u64> {
        let off = self.start.wrapping_add(self.n.wrapping_mul(self.stride)) & 0x3f_ffff;
        let src = (0x6440_0000u32 | off).to_be_bytes();
        let sport = 1024 + cx.rng.below(64_512) as u16;
        let seq = cx.rng.next_u32();
        let ttl = cx.rng.range(40, 250) as u8;
        let ip = attack::inbound(cx.world, src, ttl, cx.rng.next_u16(), self.victim);
        cx.frame.tcp(
            &ip,
            &Tcp {
                sport,
                dport: self.port,
                seq,
                ack: 0,
                flags: flags::SYN,
                window: cx.rng.next_u16() | 0x200,
                options: &[],
            },
            &[],
        );
        cx.counts.tcp += 1;
        if self.n < BACKLOG {
            let at = cx.now + cx.rng.range(60_000, 400_000);
            cx.spawn(
                at,
                Actor::Reply(Reply {
                    attack: self.attack,
                    host: self.victim,
                    peer: src,
                    peer_ttl: ttl,
                    port: self.port,
                    peer_port: sport,
                    peer_seq: seq,
                    open: true,
                    reset_after: None,
                    done: false,
                }),
            );
        }
        self.n += 1;
        let next = cx.now + cx.rng.range(1, 2 * self.gap);
        (next < self.end).then_some(next)
    }
}

/// Devices with a port to flood: RTSP on cameras, else HTTP.
fn pick_victim(s: &mut Setup<'_>) -> (DevId, u16) {
    let cands: Vec<(DevId, u16)> = (0..s.world.devices.len() as DevId)
        .filter_map(|d| {
            [554, 80]
                .into_iter()
                .find(|&p| attack::listens(s.world, d, p))
                .map(|p| (d, p))
        })
        .collect();
    if cands.is_empty() {
        (0, 80)
    } else {
        *s.rng.pick(&cands)
    }
}

fn dev_ip(s: &Setup<'_>, dev: DevId) -> [u8; 4] {
    s.world.hosts[s.world.devices[dev as usize].host as usize].ip
}

pub(crate) fn setup_syn(s: &mut Setup<'_>) -> Result<(), TestbedError> {
    fleet::setup(s)?;
    let (victim, port) = pick_victim(s);
    let rate = s.rng.range(5_000, 20_000);
    let t0 = attack::start_time(s, FLOOD);
    let a = s.attack(PlannedAttack {
        id: "syn-flood-1".into(),
        class: "ddos".into(),
        technique: "T1498.001 Network Denial of Service: Direct Network Flood".into(),
        start: Timestamp::from_nanos(t0),
        end: Timestamp::from_nanos(t0 + FLOOD),
        src: "100.64.0.0/10".into(),
        dst: attack::ip_str(dev_ip(s, victim)),
        dst_port: Some(port),
        description: format!(
            "Spoofed TCP SYN flood into {} port {port}: 20 s at about {rate} SYN/s, every SYN \
             from a different address of 100.64.0.0/10",
            s.world.devices[victim as usize].id
        ),
    });
    let host = s.world.devices[victim as usize].host;
    let start = s.rng.next_u32() & 0x3f_ffff;
    let stride = s.rng.next_u32() | 1;
    s.spawn(
        t0,
        Actor::Flood(Box::new(SynFlood {
            attack: a,
            victim: host,
            port,
            end: t0 + FLOOD,
            gap: SEC / rate,
            start,
            stride,
            n: 0,
        })),
    );
    Ok(())
}

/// A DNS reflection flood.
#[derive(Debug)]
pub(crate) struct Reflection {
    pub attack: u32,
    victim: HostId,
    reflectors: Vec<([u8; 4], u8)>,
    end: u64,
    gap: u64,
    /// The response, its id patched per packet.
    response: Vec<u8>,
    /// (reflector, port) pairs seen, to count conversations exactly.
    seen: BTreeSet<(u32, u16)>,
}

impl Reflection {
    pub(crate) fn step(&mut self, cx: &mut Ctx<'_>) -> Option<u64> {
        let i = cx.rng.below(self.reflectors.len() as u64) as usize;
        let (src, ttl) = self.reflectors[i];
        let dport = 1024 + cx.rng.below(64_512) as u16;
        let id = cx.rng.next_u16();
        self.response[..2].copy_from_slice(&id.to_be_bytes());
        let ip = attack::inbound(cx.world, src, ttl, cx.rng.next_u16(), self.victim);
        let body = &self.response;
        cx.frame.udp(&ip, 53, dport, |b| b.extend_from_slice(body));
        if self.seen.insert((i as u32, dport)) {
            cx.counts.udp += 1;
        }
        let next = cx.now + cx.rng.range(1, 2 * self.gap);
        (next < self.end).then_some(next)
    }
}

/// An ANY response for `name` (two labels) with TXT records up to about
/// 1,400 bytes and an EDNS OPT record.
fn any_response(s: &mut Setup<'_>, name: [&str; 2]) -> Vec<u8> {
    let mut m = vec![0, 0, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 1];
    for l in name {
        m.push(l.len() as u8);
        m.extend_from_slice(l.as_bytes());
    }
    m.push(0);
    m.extend_from_slice(&[0, 255, 0, 1]);
    let mut answers = 0u16;
    while m.len() < 1380 - 11 - 150 {
        // Pointer to the question name, TXT, IN, TTL, rdata of one string.
        let len = s.rng.range(100, 150) as usize;
        m.extend_from_slice(&[0xc0, 12, 0, 16, 0, 1, 0, 0, 0x0e, 0x10]);
        m.extend_from_slice(&((len + 1) as u16).to_be_bytes());
        m.push(len as u8);
        m.extend_from_slice(b"v=key1 ");
        let mut hex = Vec::with_capacity(len);
        s.rng.push_hex(&mut hex, len - 7);
        m.extend_from_slice(&hex);
        answers += 1;
    }
    m[6..8].copy_from_slice(&answers.to_be_bytes());
    // OPT: root name, type 41, 4096-byte payload, no rcode/flags, no data.
    m.extend_from_slice(&[0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0]);
    m
}

pub(crate) fn setup_amplification(s: &mut Setup<'_>) -> Result<(), TestbedError> {
    fleet::setup(s)?;
    let victim = s.rng.below(s.world.devices.len() as u64) as DevId;
    let n = s.rng.range(64, 200) as usize;
    let mut pool: Vec<[u8; 4]> = Vec::with_capacity(3 * 155);
    for net in [[192, 0, 2], [198, 51, 100], [203, 0, 113]] {
        for h in 100..=254u8 {
            pool.push([net[0], net[1], net[2], h]);
        }
    }
    for i in (1..pool.len()).rev() {
        let j = s.rng.below(i as u64 + 1) as usize;
        pool.swap(i, j);
    }
    let reflectors: Vec<([u8; 4], u8)> = pool[..n]
        .iter()
        .map(|&ip| (ip, 64 - s.rng.range(6, 20) as u8))
        .collect();
    let response = any_response(s, ["example", "org"]);
    let t0 = attack::start_time(s, FLOOD);
    let a = s.attack(PlannedAttack {
        id: "dns-amplification-1".into(),
        class: "ddos".into(),
        technique: "T1498.002 Network Denial of Service: Reflection Amplification".into(),
        start: Timestamp::from_nanos(t0),
        end: Timestamp::from_nanos(t0 + FLOOD),
        src: "192.0.2.0/24,198.51.100.0/24,203.0.113.0/24".into(),
        dst: attack::ip_str(dev_ip(s, victim)),
        dst_port: None,
        description: format!(
            "DNS reflection flood into {}: 20 s of {}-byte ANY responses from port 53 of {n} \
             open resolvers, about 3,000 a second",
            s.world.devices[victim as usize].id,
            response.len()
        ),
    });
    let host = s.world.devices[victim as usize].host;
    s.spawn(
        t0,
        Actor::Amp(Box::new(Reflection {
            attack: a,
            victim: host,
            reflectors,
            end: t0 + FLOOD,
            gap: SEC / 3000,
            response,
            seen: BTreeSet::new(),
        })),
    );
    Ok(())
}

/// What a [`PacketFlood`] sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FloodKind {
    /// Spoofed UDP datagrams of 512-1,400 bytes into random ports of the
    /// victim (a Mirai `udp` / `udpplain` attack), sources from
    /// 100.64.0.0/10.
    UdpIn,
    /// Spoofed ICMP echo requests of 56-1,400 bytes, sources from
    /// 100.64.0.0/10 (a ping flood).
    IcmpIn,
    /// A fleet device (a bot) flooding an outside address with UDP from
    /// ever-changing source ports (Mirai's `udpplain`).
    UdpOut,
}

/// A flood of one packet kind, one packet per step.
#[derive(Debug)]
pub(crate) struct PacketFlood {
    pub attack: u32,
    kind: FloodKind,
    /// The victim (inbound) or the bot (outbound).
    fleet_host: HostId,
    /// The outside victim of an outbound flood.
    target: [u8; 4],
    end: u64,
    gap: u64,
    /// Full-cycle walk over 100.64.0.0/10, as [`SynFlood`].
    start: u32,
    stride: u32,
    n: u32,
    /// (source port, destination port) pairs sent, outbound: conversations
    /// counted exactly.
    seen: BTreeSet<(u16, u16)>,
    payload: Vec<u8>,
}

impl PacketFlood {
    pub(crate) fn step(&mut self, cx: &mut Ctx<'_>) -> Option<u64> {
        let off = self.start.wrapping_add(self.n.wrapping_mul(self.stride)) & 0x3f_ffff;
        let spoofed = (0x6440_0000u32 | off).to_be_bytes();
        self.n = self.n.wrapping_add(1);
        match self.kind {
            FloodKind::UdpIn => {
                let ttl = cx.rng.range(40, 250) as u8;
                let ip =
                    attack::inbound(cx.world, spoofed, ttl, cx.rng.next_u16(), self.fleet_host);
                let len = cx.rng.range(512, 1400) as usize;
                let body = &self.payload[..len.min(self.payload.len())];
                let (sport, dport) = (cx.rng.next_u16() | 1, cx.rng.next_u16() | 1);
                cx.frame
                    .udp(&ip, sport, dport, |b| b.extend_from_slice(body));
                cx.counts.udp += 1;
            }
            FloodKind::IcmpIn => {
                let ttl = cx.rng.range(40, 250) as u8;
                let ip =
                    attack::inbound(cx.world, spoofed, ttl, cx.rng.next_u16(), self.fleet_host);
                let len = cx.rng.range(56, 1400) as usize;
                let body = &self.payload[..len.min(self.payload.len())];
                let (id, seq) = (cx.rng.next_u16(), cx.rng.next_u16());
                cx.frame.icmp_echo(&ip, false, id, seq, body);
                cx.counts.icmp += 1;
            }
            FloodKind::UdpOut => {
                let mut ip = attack::outbound(cx.world, self.fleet_host, self.target);
                ip.id = cx.rng.next_u16();
                let len = cx.rng.range(512, 1400) as usize;
                let body = &self.payload[..len.min(self.payload.len())];
                let sport = 1024 + cx.rng.below(64_512) as u16;
                let dport = 1 + cx.rng.below(65_535) as u16;
                cx.frame
                    .udp(&ip, sport, dport, |b| b.extend_from_slice(body));
                if self.seen.insert((sport, dport)) {
                    cx.counts.udp += 1;
                }
            }
        }
        let next = cx.now + cx.rng.range(1, 2 * self.gap);
        (next < self.end).then_some(next)
    }
}

fn random_payload(s: &mut Setup<'_>) -> Vec<u8> {
    let mut p = vec![0u8; 1400];
    s.rng.fill(&mut p);
    p
}

/// "udp-flood" and "icmp-flood": 20 s of spoofed packets into one device.
fn setup_inbound(s: &mut Setup<'_>, kind: FloodKind) -> Result<(), TestbedError> {
    fleet::setup(s)?;
    let victim = s.rng.below(s.world.devices.len() as u64) as DevId;
    let (rate, id, technique, what) = match kind {
        FloodKind::UdpIn => (
            s.rng.range(15_000, 30_000),
            "udp-flood-1",
            "T1498.001 Network Denial of Service: Direct Network Flood",
            "UDP datagrams of 512-1,400 bytes into random ports",
        ),
        _ => (
            s.rng.range(4_000, 15_000),
            "icmp-flood-1",
            "T1498.001 Network Denial of Service: Direct Network Flood",
            "ICMP echo requests of 56-1,400 bytes",
        ),
    };
    let t0 = attack::start_time(s, FLOOD);
    let a = s.attack(PlannedAttack {
        id: id.into(),
        class: "ddos".into(),
        technique: technique.into(),
        start: Timestamp::from_nanos(t0),
        end: Timestamp::from_nanos(t0 + FLOOD),
        src: "100.64.0.0/10".into(),
        dst: attack::ip_str(dev_ip(s, victim)),
        dst_port: None,
        description: format!(
            "Spoofed flood into {}: 20 s of {what}, about {rate} a second, every packet from a \
             different address of 100.64.0.0/10",
            s.world.devices[victim as usize].id
        ),
    });
    let payload = random_payload(s);
    let fleet_host = s.world.devices[victim as usize].host;
    let (start, stride) = (s.rng.next_u32() & 0x3f_ffff, s.rng.next_u32() | 1);
    s.spawn(
        t0,
        Actor::PacketFlood(Box::new(PacketFlood {
            attack: a,
            kind,
            fleet_host,
            target: [0; 4],
            end: t0 + FLOOD,
            gap: SEC / rate,
            start,
            stride,
            n: 0,
            seen: BTreeSet::new(),
            payload,
        })),
    );
    Ok(())
}

pub(crate) fn setup_udp(s: &mut Setup<'_>) -> Result<(), TestbedError> {
    setup_inbound(s, FloodKind::UdpIn)
}

pub(crate) fn setup_icmp(s: &mut Setup<'_>) -> Result<(), TestbedError> {
    setup_inbound(s, FloodKind::IcmpIn)
}

/// "outbound-flood": a fleet device, now a bot, floods an outside address.
pub(crate) fn setup_outbound(s: &mut Setup<'_>) -> Result<(), TestbedError> {
    fleet::setup(s)?;
    let bot = s.rng.below(s.world.devices.len() as u64) as DevId;
    let target = attack::outside_addr(s.rng);
    let rate = s.rng.range(8_000, 20_000);
    let t0 = attack::start_time(s, FLOOD);
    let bot_ip = dev_ip(s, bot);
    let a = s.attack(PlannedAttack {
        id: "outbound-flood-1".into(),
        class: "ddos".into(),
        technique: "T1498.001 Network Denial of Service: Direct Network Flood".into(),
        start: Timestamp::from_nanos(t0),
        end: Timestamp::from_nanos(t0 + FLOOD),
        src: attack::ip_str(bot_ip),
        dst: attack::ip_str(target),
        dst_port: None,
        description: format!(
            "Fleet device {} (a bot) floods {} with UDP (512-1,400 bytes, random ports) for 20 s \
             at about {rate} a second",
            s.world.devices[bot as usize].id,
            attack::ip_str(target)
        ),
    });
    let payload = random_payload(s);
    let fleet_host = s.world.devices[bot as usize].host;
    s.spawn(
        t0,
        Actor::PacketFlood(Box::new(PacketFlood {
            attack: a,
            kind: FloodKind::UdpOut,
            fleet_host,
            target,
            end: t0 + FLOOD,
            gap: SEC / rate,
            start: 0,
            stride: 1,
            n: 0,
            seen: BTreeSet::new(),
            payload,
        })),
    );
    Ok(())
}
