//! The "mirai" scenario: an infected camera scans outward as Mirai's
//! scanner does: raw TCP SYNs without options to random addresses, port 23
//! nine times in ten and 2323 otherwise, the sequence number equal to the
//! destination address (Mirai's fingerprint), one source port for the whole
//! run, random IPv4 ids and windows, about 20 probes a second. Nothing
//! answers. Targets come from a seeded generator restricted to the
//! documentation ranges and to 10.0.0.0/8 outside the fleet's 10.10.0.0/16.

use super::attack::{self, MS, SEC};
use super::{fleet, Setup};
use crate::actor::Actor;
use crate::catalog::Kind;
use crate::labels::PlannedAttack;
use crate::packet::{flags, Tcp};
use crate::prng::Rng;
use crate::scheduler::Ctx;
use crate::world::{DevId, HostId};
use crate::TestbedError;
use palisade_event::Timestamp;
use std::collections::BTreeSet;

/// The infected device's scanner.
#[derive(Debug)]
pub(crate) struct MiraiScan {
    pub attack: u32,
    host: HostId,
    sport: u16,
    end: u64,
    /// (destination, port) pairs probed, to count conversations exactly.
    probed: BTreeSet<(u32, u16)>,
}

/// A random target: 10.0.0.0/8 outside 10.10.0.0/16 seven times in ten,
/// else a documentation range.
pub(crate) fn target(rng: &mut Rng) -> [u8; 4] {
    if rng.chance(700) {
        loop {
            let [_, b, c, d] = rng.next_u32().to_be_bytes();
            if b != 10 && d != 0 && d != 255 {
                return [10, b, c, d];
            }
        }
    }
    let host = rng.range(1, 254) as u8;
    match rng.below(3) {
        0 => [192, 0, 2, host],
        1 => [198, 51, 100, host],
        _ => [203, 0, 113, host],
    }
}

impl MiraiScan {
    pub(crate) fn step(&mut self, cx: &mut Ctx<'_>) -> Option<u64> {
        let dst = target(cx.rng);
        let dport = if cx.rng.chance(900) { 23 } else { 2323 };
        let seq = u32::from_be_bytes(dst);
        let mut ip = attack::outbound(cx.world, self.host, dst);
        // Mirai writes its own IPv4 header: random id, DF.
        ip.id = cx.rng.next_u16();
        ip.df = true;
        ip.ttl = 64;
        cx.frame.tcp(
            &ip,
            &Tcp {
                sport: self.sport,
                dport,
                seq,
                ack: 0,
                flags: flags::SYN,
                window: cx.rng.next_u16(),
                options: &[],
            },
            &[],
        );
        if self.probed.insert((seq, dport)) {
            cx.counts.tcp += 1;
        }
        let next = cx.now + cx.rng.range(MS, 99 * MS);
        (next < self.end).then_some(next)
    }
}

pub(crate) fn setup(s: &mut Setup<'_>) -> Result<(), TestbedError> {
    fleet::setup(s)?;
    let cams: Vec<DevId> = s.world.of_kind(Kind::Camera).collect();
    let dev = if cams.is_empty() {
        s.rng.below(s.world.devices.len() as u64) as DevId
    } else {
        *s.rng.pick(&cams)
    };
    let len = s.rng.range(60, 120) * SEC;
    let t0 = attack::start_time(s, len);
    let host = s.world.devices[dev as usize].host;
    let a = s.attack(PlannedAttack {
        id: "mirai-scan-1".into(),
        class: "scan".into(),
        technique: "T1595 Active Scanning".into(),
        start: Timestamp::from_nanos(t0),
        end: Timestamp::from_nanos(t0 + len),
        src: attack::ip_str(s.world.hosts[host as usize].ip),
        dst: "0.0.0.0/0".into(),
        dst_port: Some(23),
        description: format!(
            "Mirai: infected {} scans random addresses for Telnet (port 23, 10 % on 2323) \
             with TCP SYNs whose sequence number is the destination address, about 20 per second",
            s.world.devices[dev as usize].id
        ),
    });
    let sport = 1024 + s.rng.below(64_000) as u16;
    s.spawn(
        t0,
        Actor::Mirai(Box::new(MiraiScan {
            attack: a,
            host,
            sport,
            end: t0 + len,
            probed: BTreeSet::new(),
        })),
    );
    Ok(())
}
