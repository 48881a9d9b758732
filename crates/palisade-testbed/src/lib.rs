//! A deterministic, labelled IoT fleet traffic generator.
//!
//! [`generate`] writes an Ethernet pcap of a fleet of cameras, NVRs, sensors,
//! plugs and hubs behind one gateway, and returns [`Labels`]: the ground
//! truth a detector's output is scored against. `palisade testbed generate`
//! is a thin wrapper around it.
//!
//! ```no_run
//! use palisade_testbed::{generate, ScenarioConfig};
//! let cfg = ScenarioConfig { seed: 7, devices: 20, duration_secs: 600, ..Default::default() };
//! let out = std::fs::File::create("fleet.pcap").unwrap();
//! let labels = generate(&cfg, out).unwrap();
//! println!("{} packets, {} TCP conversations", labels.packets, labels.conversations.tcp);
//! ```
//!
//! # What the traffic is
//!
//! The LAN is 10.10.0.0/16 with the gateway at 10.10.0.1 answering DNS and
//! NTP; the internet is the documentation ranges (broker in 198.51.100.0/24,
//! vendor clouds in 203.0.113.0/24, update servers in 192.0.2.0/24). Devices
//! carry MACs with their vendors' real IEEE OUIs (see the `catalog` module).
//! They boot in the first 90 s and then speak MQTT 3.1.1 to the broker, DNS
//! and NTP to the gateway, TLS 1.2/1.3 to their vendor clouds, plain HTTP to
//! their update servers, ICMP echo to the gateway, and ARP; NVRs pull RTSP
//! with interleaved RTP/RTCP from their cameras. Every TCP connection has a
//! handshake with MSS options, exact sequence and acknowledgement numbers,
//! segments within the MSS and a FIN (a few: RST) teardown; every checksum is
//! correct; IPv4 ids count up per host.
//!
//! # How it is built
//!
//! * **Scheduler** (`scheduler`): a binary heap of actors keyed by the time
//!   of their next packet. An actor is a conversation (one packet per step)
//!   or a device timer (starts conversations). Memory grows with the number
//!   of actors alive at once, never with the capture length, so tens of
//!   millions of packets stream at constant memory; packets come out in
//!   non-decreasing time order by construction.
//! * **Conversations**: one module per protocol under `proto`. TCP ones are
//!   applications of a shared engine (`tcp`) that only say who sends which
//!   message when; the engine does handshakes, segmentation, ACKs and
//!   teardown. UDP, ICMP and ARP exchanges build their own packets.
//! * **Packets** (`packet`): one reused frame buffer, checksums from
//!   `palisade_wire::checksum`, written through a `BufWriter` by
//!   `palisade_capture::PcapWriter`. No allocation per packet.
//! * **Determinism**: a single xoshiro256++ generator seeded from
//!   [`ScenarioConfig::seed`] drives every choice, heap ties are broken by
//!   insertion order, no hash map is iterated and no clock is read: the same
//!   configuration gives a byte-identical capture on any machine.
//!
//! # Stopping
//!
//! Generation stops at [`ScenarioConfig::duration_secs`] after the start or
//! after [`ScenarioConfig::max_packets`] packets, whichever comes first.
//! Conversations in progress at that point are simply cut: no FIN is
//! invented. They still count in [`Labels::conversations`], which counts
//! every conversation with at least one packet in the capture.
//!
//! # Labels and attack scenarios
//!
//! [`Labels`] lists the devices (gateway first), the servers, the number of
//! distinct TCP/UDP/ICMP conversations (every conversation uses a fresh
//! ephemeral port or echo id, so these equal the distinct unordered 5-tuples
//! in the pcap) and the attacks. Scenarios are registered in one list
//! (`scenario::SCENARIOS`, listed by [`scenarios`]); an attack scenario runs
//! the fleet's setup for background traffic, schedules its own attack actors
//! and records an [`AttackLabel`] per attack, whose window is the times of
//! the attack's first and last packets actually written. The attack
//! scenarios are `scan`, `mirai`, `telnet-default-creds`,
//! `telnet-bruteforce`, `syn-flood` and `amplification`; their labels'
//! classes are palisade's detector classes.
//!
//! A device whose ephemeral port range (28,232 ports on Linux, 16,384 on
//! lwIP) is exhausted stops opening conversations rather than reuse a
//! 5-tuple. At the rates modelled here the busiest device, an NVR recording
//! 16 cameras, uses about 1,500 ports a day, so that never happens within
//! [`MAX_DURATION_SECS`].
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod activity;
mod actor;
mod catalog;
pub mod craft;
mod duration;
mod error;
mod labels;
mod packet;
mod prng;
mod proto;
mod scenario;
mod scheduler;
mod tcp;
mod world;

pub use duration::parse_duration;
pub use error::{ErrorKind, TestbedError};
pub use labels::{AttackLabel, ConversationCounts, DeviceLabel, Labels, PostureLabel, ServerLabel};

use palisade_capture::PcapWriter;
use palisade_event::Timestamp;
use std::io::{BufWriter, Write};

/// Default fleet size.
pub const DEFAULT_DEVICES: usize = 50;
/// Default duration: 30 minutes.
pub const DEFAULT_DURATION_SECS: u64 = 1800;
/// Longest generation accepted: 7 days.
pub const MAX_DURATION_SECS: u64 = 7 * 86_400;
/// Largest fleet accepted.
pub const MAX_DEVICES: usize = world::MAX_DEVICES;
/// Default capture start: 2026-01-05T08:00:00Z, a Monday morning.
pub const DEFAULT_START: Timestamp = Timestamp::from_secs_nanos(1_767_600_000, 0);
/// LINKTYPE_ETHERNET.
const LINKTYPE_ETHERNET: u32 = 1;
/// Snap length written in the pcap header.
const SNAPLEN: u32 = 65_535;

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioConfig {
    /// Scenario name, one of [`scenarios`].
    pub scenario: String,
    /// Seed of every random choice.
    pub seed: u64,
    /// Devices behind the gateway (the gateway is extra), 1 to [`MAX_DEVICES`].
    pub devices: usize,
    /// Capture length in seconds, 1 to [`MAX_DURATION_SECS`].
    pub duration_secs: u64,
    /// Stop after this many packets, if fewer than the duration gives.
    pub max_packets: Option<u64>,
    /// Time of the capture start.
    pub start: Timestamp,
}

impl Default for ScenarioConfig {
    fn default() -> Self {
        ScenarioConfig {
            scenario: "fleet".to_string(),
            seed: 0,
            devices: DEFAULT_DEVICES,
            duration_secs: DEFAULT_DURATION_SECS,
            max_packets: None,
            start: DEFAULT_START,
        }
    }
}

/// The registered scenarios as (name, description), in display order.
pub fn scenarios() -> &'static [(&'static str, &'static str)] {
    &scenario::LIST
}

fn validate(cfg: &ScenarioConfig) -> Result<(), TestbedError> {
    if cfg.devices == 0 || cfg.devices > MAX_DEVICES {
        return Err(TestbedError::InvalidConfig(format!(
            "devices must be between 1 and {MAX_DEVICES}, got {}",
            cfg.devices
        )));
    }
    if cfg.duration_secs == 0 || cfg.duration_secs > MAX_DURATION_SECS {
        return Err(TestbedError::InvalidConfig(format!(
            "duration must be between 1 s and {MAX_DURATION_SECS} s, got {} s",
            cfg.duration_secs
        )));
    }
    // Leave room for the duration in the u64 nanosecond clock.
    if cfg.start.as_nanos() > u64::MAX / 2 {
        return Err(TestbedError::InvalidConfig(
            "start time out of range".into(),
        ));
    }
    Ok(())
}

/// Generates the scenario into `out` as an Ethernet (linktype 1),
/// microsecond-resolution pcap, and returns its labels.
///
/// `out` is buffered internally; pass a plain `File`.
pub fn generate<W: Write>(cfg: &ScenarioConfig, out: W) -> Result<Labels, TestbedError> {
    let def = scenario::find(&cfg.scenario)?;
    validate(cfg)?;
    let start = cfg.start.as_nanos();
    let mut rng = prng::Rng::new(cfg.seed);
    let mut world = world::World::fleet(cfg.devices, start, &mut rng);
    let mut sched = scheduler::Scheduler::new();
    let mut attacks = Vec::new();
    (def.setup)(&mut scenario::Setup::new(
        cfg,
        &mut world,
        &mut rng,
        &mut sched,
        &mut attacks,
    ))?;

    let mut writer = PcapWriter::new(
        BufWriter::with_capacity(1 << 20, out),
        LINKTYPE_ETHERNET,
        SNAPLEN,
    )?;
    let limits = scheduler::Limits {
        end: start + cfg.duration_secs * 1_000_000_000,
        max_packets: cfg.max_packets.unwrap_or(u64::MAX),
    };
    let stats = sched.run(&mut world, &mut rng, &mut writer, limits)?;
    writer.finish()?.into_inner().map_err(|e| e.into_error())?;

    let end = Timestamp::from_nanos(stats.last.unwrap_or(start));
    Ok(Labels {
        scenario: def.name.to_string(),
        seed: cfg.seed,
        generator: concat!("palisade-testbed ", env!("CARGO_PKG_VERSION")).to_string(),
        start: cfg.start.to_string(),
        end: end.to_string(),
        packets: stats.packets,
        bytes: stats.bytes,
        devices: world.device_labels(),
        servers: world.server_labels(),
        conversations: stats.counts,
        attacks: labels::finish_attacks(&labels::observed(&attacks, &world.attack_seen), end),
        posture: world.posture_labels(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config() {
        let c = ScenarioConfig::default();
        assert_eq!(c.scenario, "fleet");
        assert_eq!(c.devices, 50);
        assert_eq!(c.duration_secs, 1800);
        assert_eq!(c.max_packets, None);
        assert_eq!(c.start.to_string(), "2026-01-05T08:00:00.000000+0000");
    }

    #[test]
    fn scenario_list_has_fleet() {
        let list = scenarios();
        assert_eq!(list[0].0, "fleet");
        assert!(list[0].1.contains("MQTT"));
        assert_eq!(list.len(), scenario::SCENARIOS.len());
    }

    #[test]
    fn bad_configs_are_rejected() {
        let mut out = Vec::new();
        let bad = [
            ScenarioConfig {
                scenario: "nope".into(),
                ..Default::default()
            },
            ScenarioConfig {
                devices: 0,
                ..Default::default()
            },
            ScenarioConfig {
                devices: MAX_DEVICES + 1,
                ..Default::default()
            },
            ScenarioConfig {
                duration_secs: 0,
                ..Default::default()
            },
            ScenarioConfig {
                duration_secs: MAX_DURATION_SECS + 1,
                ..Default::default()
            },
        ];
        let kinds = [
            ErrorKind::UnknownScenario,
            ErrorKind::InvalidConfig,
            ErrorKind::InvalidConfig,
            ErrorKind::InvalidConfig,
            ErrorKind::InvalidConfig,
        ];
        for (cfg, kind) in bad.iter().zip(kinds) {
            let e = generate(cfg, &mut out).unwrap_err();
            assert_eq!(e.kind(), kind, "{e}");
        }
        assert!(out.is_empty(), "nothing written for a bad config");
        let e = generate(&bad[0], &mut out).unwrap_err();
        assert!(e.to_string().contains("fleet"), "{e}");
    }

    fn run_stats(devices: usize, duration_secs: u64) -> scheduler::RunStats {
        let cfg = ScenarioConfig {
            devices,
            duration_secs,
            seed: 3,
            ..Default::default()
        };
        let mut rng = prng::Rng::new(cfg.seed);
        let mut world = world::World::fleet(cfg.devices, cfg.start.as_nanos(), &mut rng);
        let mut sched = scheduler::Scheduler::new();
        let mut attacks = Vec::new();
        let mut setup = scenario::Setup::new(&cfg, &mut world, &mut rng, &mut sched, &mut attacks);
        (scenario::find("fleet").unwrap().setup)(&mut setup).unwrap();
        let mut w = PcapWriter::new(std::io::sink(), 1, SNAPLEN).unwrap();
        let limits = scheduler::Limits {
            end: cfg.start.as_nanos() + cfg.duration_secs * 1_000_000_000,
            max_packets: u64::MAX,
        };
        sched.run(&mut world, &mut rng, &mut w, limits).unwrap()
    }

    #[test]
    fn live_actors_do_not_grow_with_capture_length() {
        // Memory is the live actors (timers plus open conversations): six
        // times longer must not mean more of them.
        let short = run_stats(6, 1800);
        let long = run_stats(6, 3 * 3600);
        assert!(
            long.packets > 5 * short.packets,
            "{} vs {}",
            long.packets,
            short.packets
        );
        assert!(
            long.peak_actors <= short.peak_actors + 4,
            "{} vs {}",
            long.peak_actors,
            short.peak_actors
        );
        assert!(long.peak_actors < 6 * 12, "{}", long.peak_actors);
    }
}
