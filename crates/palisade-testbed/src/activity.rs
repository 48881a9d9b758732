//! What each device does on its own, as timers that start conversations.
//!
//! A device boots (staggered over the first 90 s), announces itself with a
//! gratuitous ARP, resolves the gateway's MAC, syncs its clock, connects to
//! the MQTT broker if it reports telemetry, and from then on checks in with
//! its vendor cloud over HTTPS, asks its update server for new firmware,
//! pings the gateway and refreshes its ARP entry, each on its own period. The
//! gateway refreshes its ARP entries for devices. NVRs pull an RTSP stream
//! from each of their cameras and reconnect when a session ends.

use crate::actor::{self, Actor, Launch};
use crate::catalog::{Kind, Stack};
use crate::proto::arp::ArpConv;
use crate::proto::icmp::PingConv;
use crate::proto::ntp::NtpConv;
use crate::scheduler::Ctx;
use crate::world::{DevId, GATEWAY};

const SEC: u64 = 1_000_000_000;

/// A recurring or one-shot activity of a device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Activity {
    /// Power-on: schedules everything else.
    Boot,
    /// Clock sync; `poll` is the log2 interval a full client advertises.
    Ntp { poll: u8 },
    /// (Re)connect to the MQTT broker.
    Mqtt,
    /// HTTPS check-in with the vendor cloud.
    Cloud,
    /// HTTP firmware check.
    Firmware,
    /// Ping the gateway.
    Ping,
    /// Refresh the ARP entry for the gateway.
    Arp,
    /// The gateway refreshes its ARP entry for some device.
    GatewayArp,
    /// An NVR (the timer's device) starts recording a camera.
    Rtsp { cam: DevId },
}

/// A device's activity timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Timer {
    pub dev: DevId,
    pub what: Activity,
}

/// Schedules `what` between `lo` and `hi` nanoseconds from now.
fn timer(cx: &mut Ctx<'_>, lo: u64, hi: u64, dev: DevId, what: Activity) {
    let at = cx.now + cx.rng.range(lo, hi);
    cx.spawn(at, Actor::Timer(Timer { dev, what }));
}

/// Seconds between HTTPS check-ins, by kind.
fn cloud_period(kind: Kind) -> (u64, u64) {
    match kind {
        Kind::Camera => (120, 420),
        Kind::Nvr => (60, 300),
        Kind::Sensor => (600, 1800),
        Kind::Thermostat => (60, 240),
        Kind::Bridge => (120, 600),
        _ => (300, 900),
    }
}

/// Runs a timer; returns when it fires again, `None` for one-shot timers.
pub(crate) fn fire(t: &mut Timer, cx: &mut Ctx<'_>) -> Option<u64> {
    let now = cx.now;
    let dev = t.dev;
    let (host, kind, stack, mqtt, cloud, update) = {
        let d = &cx.world.devices[dev as usize];
        let h = &cx.world.hosts[d.host as usize];
        (
            d.host,
            d.product.kind,
            h.stack,
            d.product.mqtt,
            d.cloud,
            d.update,
        )
    };
    match &mut t.what {
        Activity::Boot => {
            cx.spawn(now, Actor::Arp(ArpConv::Gratuitous(host)));
            let at = now + cx.rng.range(2_000_000, 20_000_000);
            cx.spawn(
                at,
                Actor::Arp(ArpConv::Request {
                    from: host,
                    to: GATEWAY,
                    answered: false,
                }),
            );
            let poll = if stack == Stack::Linux { 6 } else { 0 };
            timer(cx, SEC / 2, 3 * SEC, dev, Activity::Ntp { poll });
            if mqtt {
                timer(cx, 3 * SEC, 15 * SEC, dev, Activity::Mqtt);
            }
            if cloud.is_some() {
                timer(cx, 5 * SEC, 40 * SEC, dev, Activity::Cloud);
            }
            timer(cx, 30 * SEC, 900 * SEC, dev, Activity::Firmware);
            timer(cx, 60 * SEC, 600 * SEC, dev, Activity::Ping);
            timer(cx, 300 * SEC, 1200 * SEC, dev, Activity::Arp);
            None
        }
        Activity::Ntp { poll } => {
            if let Some(c) = NtpConv::new(cx, dev, *poll) {
                cx.spawn(now, Actor::Ntp(c));
            }
            if stack == Stack::Linux {
                // A full client backs off from 64 s to 1024 s.
                let interval = (1u64 << *poll) * SEC;
                *poll = (*poll + 1).min(10);
                Some(now + cx.rng.jitter(interval, 5))
            } else {
                // lwIP SNTP: hourly.
                Some(now + cx.rng.jitter(3600 * SEC, 2))
            }
        }
        Activity::Mqtt => {
            let svc = cx.world.broker;
            actor::open(cx, now, Launch::Mqtt { dev, svc });
            None
        }
        Activity::Cloud => {
            let svc = cloud?;
            actor::open(cx, now, Launch::Https { dev, svc });
            let (lo, hi) = cloud_period(kind);
            Some(now + cx.rng.range(lo * SEC, hi * SEC))
        }
        Activity::Firmware => {
            actor::open(cx, now, Launch::Firmware { dev, svc: update });
            Some(now + cx.rng.jitter(6 * 3600 * SEC, 10))
        }
        Activity::Ping => {
            let count = cx.rng.range(1, 4) as u16;
            if let Some(p) = PingConv::new(cx, host, GATEWAY, count) {
                cx.spawn(now, Actor::Ping(p));
            }
            Some(now + cx.rng.range(120 * SEC, 900 * SEC))
        }
        Activity::Arp => {
            cx.spawn(
                now,
                Actor::Arp(ArpConv::Request {
                    from: host,
                    to: GATEWAY,
                    answered: false,
                }),
            );
            Some(now + cx.rng.range(300 * SEC, 1200 * SEC))
        }
        Activity::GatewayArp => {
            let n = cx.world.devices.len() as u64;
            let d = &cx.world.devices[cx.rng.below(n) as usize];
            if d.boot < now {
                let to = d.host;
                cx.spawn(
                    now,
                    Actor::Arp(ArpConv::Request {
                        from: GATEWAY,
                        to,
                        answered: false,
                    }),
                );
            }
            Some(now + cx.rng.range(20 * SEC, 120 * SEC))
        }
        Activity::Rtsp { cam } => {
            actor::rtsp(cx, now, dev, *cam);
            None
        }
    }
}
