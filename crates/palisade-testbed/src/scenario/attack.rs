//! What the attack scenarios share: when an attack starts, outside
//! addresses, raw packets into and out of the fleet, and a SYN prober with
//! the targets' answers.
//!
//! Attack packets that no fleet conversation would produce (probes, spoofed
//! floods) are written directly into the frame by small actors here and in
//! the scenario modules; every such actor carries the index of its attack
//! (`Setup::attack`) so the label gets the exact times of its first and
//! last packets.

use super::Setup;
use crate::catalog::{Kind, Stack};
use crate::packet::{flags, Ip, Tcp};
use crate::prng::Rng;
use crate::scheduler::Ctx;
use crate::world::{DevId, HostId, World, GATEWAY};

pub(crate) const SEC: u64 = 1_000_000_000;
pub(crate) const MS: u64 = 1_000_000;

/// A seeded start for an attack lasting about `len` ns: after the first
/// 20 % of the capture (and, when the capture leaves room, after the fleet's
/// 90 s boot), early enough to end before the last 10 % when it can.
pub(crate) fn start_time(s: &mut Setup<'_>, len: u64) -> u64 {
    let dur = s.cfg.duration_secs * SEC;
    let lo = (dur / 5).max((100 * SEC).min(dur / 2));
    let hi = (dur / 10 * 9).saturating_sub(len).max(lo);
    s.world.start + s.rng.range(lo, hi)
}

/// An attacker's address: documentation ranges, host part 200..=254 (the
/// fleet's own servers sit lower in the same ranges).
pub(crate) fn outside_addr(rng: &mut Rng) -> [u8; 4] {
    let host = rng.range(200, 254) as u8;
    if rng.chance(500) {
        [203, 0, 113, host]
    } else {
        [198, 51, 100, host]
    }
}

/// Dotted quad of `ip`.
pub(crate) fn ip_str(ip: [u8; 4]) -> String {
    crate::labels::ip_string(ip)
}

/// Addressing of a packet from the internet address `src` to fleet host
/// `to`, as it leaves the gateway.
pub(crate) fn inbound(world: &World, src: [u8; 4], ttl: u8, id: u16, to: HostId) -> Ip {
    let h = &world.hosts[to as usize];
    Ip {
        src_mac: world.hosts[GATEWAY as usize].mac,
        dst_mac: h.mac,
        src,
        dst: h.ip,
        ttl,
        id,
        df: false,
    }
}

/// Addressing of a packet from fleet host `from` to the internet address
/// `dst` (through the gateway); consumes one IPv4 id of the sender.
pub(crate) fn outbound(world: &mut World, from: HostId, dst: [u8; 4]) -> Ip {
    let gw = world.hosts[GATEWAY as usize].mac;
    let h = &mut world.hosts[from as usize];
    let id = h.ip_id;
    h.ip_id = id.wrapping_add(1);
    Ip {
        src_mac: h.mac,
        dst_mac: gw,
        src: h.ip,
        dst,
        ttl: h.ttl,
        id,
        df: h.stack == Stack::Linux,
    }
}

/// Whether `dev` listens on TCP `port`: cameras on Telnet, HTTP and RTSP,
/// NVRs on HTTP and RTSP, plugs and hubs on HTTP.
pub(crate) fn listens(world: &World, dev: DevId, port: u16) -> bool {
    match world.devices[dev as usize].product.kind {
        Kind::Camera => matches!(port, 23 | 80 | 554),
        Kind::Nvr => matches!(port, 80 | 554),
        Kind::Plug | Kind::Hub => port == 80,
        _ => false,
    }
}

/// MSS option of a scanner's SYN (nmap, masscan: MSS only).
const SCAN_OPTS: [u8; 4] = [2, 4, 0x05, 0xb4];

/// A SYN scan from an outside host: one SYN per (device, port) target,
/// `gap` apart; each target answers (see [`Reply`]).
#[derive(Debug)]
pub(crate) struct SynScan {
    pub attack: u32,
    pub src: [u8; 4],
    pub ttl: u8,
    /// One source port for the whole scan, as nmap does.
    pub sport: u16,
    /// Round-trip time from the tap to the scanner.
    pub rtt: u64,
    pub targets: Vec<(DevId, u16)>,
    pub next: usize,
    /// Pause between probes, ns, drawn uniformly.
    pub gap: (u64, u64),
}

impl SynScan {
    pub(crate) fn step(&mut self, cx: &mut Ctx<'_>) -> Option<u64> {
        let (dev, port) = *self.targets.get(self.next)?;
        self.next += 1;
        let now = cx.now;
        let host = cx.world.devices[dev as usize].host;
        let seq = cx.rng.next_u32();
        let ip = inbound(cx.world, self.src, self.ttl, cx.rng.next_u16(), host);
        cx.frame.tcp(
            &ip,
            &Tcp {
                sport: self.sport,
                dport: port,
                seq,
                ack: 0,
                flags: flags::SYN,
                window: 1024,
                options: &SCAN_OPTS,
            },
            &[],
        );
        cx.counts.tcp += 1;
        let open = listens(cx.world, dev, port);
        let at = now + cx.rng.range(60_000, 600_000);
        cx.spawn(
            at,
            crate::actor::Actor::Reply(Reply {
                attack: self.attack,
                host,
                peer: self.src,
                peer_ttl: self.ttl,
                port,
                peer_port: self.sport,
                peer_seq: seq,
                open,
                reset_after: Some(self.rtt),
                done: false,
            }),
        );
        if self.next == self.targets.len() {
            return None;
        }
        Some(now + cx.rng.range(self.gap.0, self.gap.1))
    }
}

/// A fleet host's answer to a SYN from `peer`: SYN-ACK when the port is
/// open, else RST-ACK; after a SYN-ACK the scanner's RST follows
/// `reset_after` later (its kernel knows no such connection).
#[derive(Debug)]
pub(crate) struct Reply {
    pub attack: u32,
    pub host: HostId,
    pub peer: [u8; 4],
    pub peer_ttl: u8,
    pub port: u16,
    pub peer_port: u16,
    pub peer_seq: u32,
    pub open: bool,
    pub reset_after: Option<u64>,
    pub done: bool,
}

impl Reply {
    pub(crate) fn step(&mut self, cx: &mut Ctx<'_>) -> Option<u64> {
        if self.done {
            // The scanner's RST.
            let ip = inbound(
                cx.world,
                self.peer,
                self.peer_ttl,
                cx.rng.next_u16(),
                self.host,
            );
            cx.frame.tcp(
                &ip,
                &Tcp {
                    sport: self.peer_port,
                    dport: self.port,
                    seq: self.peer_seq.wrapping_add(1),
                    ack: 0,
                    flags: flags::RST,
                    window: 0,
                    options: &[],
                },
                &[],
            );
            return None;
        }
        let ip = outbound(cx.world, self.host, self.peer);
        let ack = self.peer_seq.wrapping_add(1);
        if self.open {
            let h = &cx.world.hosts[self.host as usize];
            let mss = h.mss;
            let window = if h.stack == Stack::Linux { 64240 } else { 5744 };
            let opts = [2, 4, (mss >> 8) as u8, mss as u8];
            let seq = cx.rng.next_u32();
            cx.frame.tcp(
                &ip,
                &Tcp {
                    sport: self.port,
                    dport: self.peer_port,
                    seq,
                    ack,
                    flags: flags::SYN | flags::ACK,
                    window,
                    options: &opts,
                },
                &[],
            );
            self.done = true;
            return self.reset_after.map(|d| cx.now + d);
        }
        cx.frame.tcp(
            &ip,
            &Tcp {
                sport: self.port,
                dport: self.peer_port,
                seq: 0,
                ack,
                flags: flags::RST | flags::ACK,
                window: 0,
                options: &[],
            },
            &[],
        );
        None
    }
}
