//! The "scan" scenario: an outside host SYN-scans the fleet, first
//! horizontally (Telnet, port 23, on every device, one probe per host
//! 50–200 ms apart), then vertically (ports 1–1024 of one device in a
//! shuffled order, 2–5 ms apart). Closed ports answer RST-ACK, open ones
//! SYN-ACK (which the scanner resets).

use super::attack::{self, SynScan, MS, SEC};
use super::{fleet, Setup};
use crate::actor::Actor;
use crate::catalog::Kind;
use crate::labels::PlannedAttack;
use crate::world::DevId;
use crate::TestbedError;
use palisade_event::Timestamp;

pub(crate) fn setup(s: &mut Setup<'_>) -> Result<(), TestbedError> {
    fleet::setup(s)?;
    let src = attack::outside_addr(s.rng);
    let ttl = 64 - s.rng.range(10, 20) as u8;
    let rtt = s.rng.range(30, 150) * MS;
    let n = s.world.devices.len() as DevId;

    // Horizontal: every device's port 23, in address order.
    let sweep_len = n as u64 * 125 * MS;
    let t0 = attack::start_time(s, sweep_len + 10 * SEC);
    let a = s.attack(PlannedAttack {
        id: "scan-1".into(),
        class: "scan".into(),
        technique: "T1046 Network Service Discovery".into(),
        start: Timestamp::from_nanos(t0),
        end: Timestamp::from_nanos(t0 + sweep_len),
        src: attack::ip_str(src),
        dst: "10.10.0.0/16".into(),
        dst_port: Some(23),
        description: format!(
            "Horizontal TCP SYN scan of Telnet (port 23) over all {n} fleet devices, \
             one probe per host 50-200 ms apart; cameras answer SYN-ACK, the others RST"
        ),
    });
    let sport = 40_000 + s.rng.below(20_000) as u16;
    s.spawn(
        t0,
        Actor::Scan(Box::new(SynScan {
            attack: a,
            src,
            ttl,
            sport,
            rtt,
            targets: (0..n).map(|d| (d, 23)).collect(),
            next: 0,
            gap: (50 * MS, 200 * MS),
        })),
    );

    // Vertical: one device (a camera when there is one), ports 1-1024.
    let victim = s
        .world
        .of_kind(Kind::Camera)
        .next()
        .unwrap_or(s.rng.below(n as u64) as DevId);
    let mut ports: Vec<u16> = (1..=1024).collect();
    for i in (1..ports.len()).rev() {
        let j = s.rng.below(i as u64 + 1) as usize;
        ports.swap(i, j);
    }
    let t1 = t0 + sweep_len + s.rng.range(5 * SEC, 10 * SEC);
    let vip = s.world.hosts[s.world.devices[victim as usize].host as usize].ip;
    let a = s.attack(PlannedAttack {
        id: "scan-2".into(),
        class: "scan".into(),
        technique: "T1046 Network Service Discovery".into(),
        start: Timestamp::from_nanos(t1),
        end: Timestamp::from_nanos(t1 + 1024 * 4 * MS),
        src: attack::ip_str(src),
        dst: attack::ip_str(vip),
        dst_port: None,
        description: format!(
            "Vertical TCP SYN scan of {} over ports 1-1024, 2-5 ms apart",
            s.world.devices[victim as usize].id
        ),
    });
    let sport = sport.wrapping_add(1 + s.rng.below(1000) as u16);
    s.spawn(
        t1,
        Actor::Scan(Box::new(SynScan {
            attack: a,
            src,
            ttl,
            sport,
            rtt,
            targets: ports.into_iter().map(|p| (victim, p)).collect(),
            next: 0,
            gap: (2 * MS, 5 * MS),
        })),
    );
    Ok(())
}

/// Management ports a slow scanner looks for.
const SLOW_PORTS: [u16; 8] = [23, 2323, 22, 80, 8080, 554, 1883, 7547];

/// "slow-scan": an outside host probes 110-130 (device, port) targets of
/// [`SLOW_PORTS`] in random order, one SYN every 3-4.5 s: about 15 a
/// minute, under the fast scan thresholds (25 hosts or ports a minute), so
/// only the long-window count sees it.
pub(crate) fn setup_slow(s: &mut Setup<'_>) -> Result<(), TestbedError> {
    fleet::setup(s)?;
    let src = attack::outside_addr(s.rng);
    let ttl = 64 - s.rng.range(10, 20) as u8;
    let rtt = s.rng.range(30, 150) * MS;
    let n = s.world.devices.len() as DevId;
    let mut targets: Vec<(DevId, u16)> = (0..n)
        .flat_map(|d| SLOW_PORTS.iter().map(move |&p| (d, p)))
        .collect();
    for i in (1..targets.len()).rev() {
        let j = s.rng.below(i as u64 + 1) as usize;
        targets.swap(i, j);
    }
    targets.truncate(s.rng.range(110, 130) as usize);
    let len = targets.len() as u64 * 3_750 * MS;
    let t0 = attack::start_time(s, len);
    let a = s.attack(PlannedAttack {
        id: "slow-scan-1".into(),
        class: "scan".into(),
        technique: "T1046 Network Service Discovery".into(),
        start: Timestamp::from_nanos(t0),
        end: Timestamp::from_nanos(t0 + len),
        src: attack::ip_str(src),
        dst: "10.10.0.0/16".into(),
        dst_port: None,
        description: format!(
            "Slow TCP SYN scan of {} (device, port) targets on management ports {:?}, one probe \
             every 3-4.5 s (about 15 a minute, under the fast scan thresholds)",
            targets.len(),
            SLOW_PORTS
        ),
    });
    let sport = 40_000 + s.rng.below(20_000) as u16;
    s.spawn(
        t0,
        Actor::Scan(Box::new(SynScan {
            attack: a,
            src,
            ttl,
            sport,
            rtt,
            targets,
            next: 0,
            gap: (3 * SEC, 4_500 * MS),
        })),
    );
    Ok(())
}
