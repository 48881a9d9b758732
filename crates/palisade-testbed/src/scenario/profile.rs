//! The per-device profile scenarios.
//!
//! "profile-violation": after a long benign period, one device
//! starts talking to a host and port it never used — an IRC botnet command
//! channel (TCP 6667) on an unknown internet host, as Mirai-family and older
//! IoT bots (Tsunami/Kaiten) use: it connects, registers (`NICK`, `USER`),
//! joins a channel, answers the server's `PING` and closes; again every
//! 20–60 s, 4–8 times.
//!
//! The attack starts after the `profile` detector's default learning window
//! (one hour of packet time, plus the fleet's 90 s boot) when the capture
//! is long enough (69 minutes or more): at 70–85 % of the capture but not
//! before 62 minutes. In a shorter capture it starts at 70–85 % of it, and
//! the detector needs a shorter `learn_secs` (`--set
//! detectors.profile.learn_secs=...`) or a pinned MUD file.
//!
//! "exfiltration": at the same time, a quiet device (not a camera or NVR)
//! uploads 6–12 MB to its own vendor cloud's HTTPS port — a destination
//! and port it always uses, so only the volume is new: about 100 times its
//! usual minute.

use super::attack::{self, MS, SEC};
use super::{fleet, Setup};
use crate::actor;
use crate::catalog::Kind;
use crate::labels::PlannedAttack;
use crate::tcp::{App, AppCtx, AppStep, Side};
use crate::world::DevId;
use crate::TestbedError;
use palisade_event::Timestamp;

/// The IRC port bots use.
pub(crate) const IRC_PORT: u16 = 6667;
/// The earliest attack start with a capture long enough: the detector's
/// default learning window plus boot and margin.
const AFTER_LEARNING: u64 = 62 * 60 * SEC;

/// One IRC session of a bot.
#[derive(Debug)]
pub(crate) struct IrcBot {
    nick: String,
    step: u8,
}

impl IrcBot {
    pub(crate) fn new(nick: String) -> Self {
        IrcBot { nick, step: 0 }
    }
}

impl App for IrcBot {
    fn next(&mut self, cx: &mut AppCtx<'_>, buf: &mut Vec<u8>) -> AppStep {
        self.step += 1;
        let client = |delay| AppStep::Send {
            from: Side::Client,
            delay,
        };
        let server = |delay| AppStep::Send {
            from: Side::Server,
            delay,
        };
        let n = &self.nick;
        match self.step {
            1 => {
                buf.extend_from_slice(format!("NICK {n}\r\nUSER {n} 8 * :{n}\r\n").as_bytes());
                client(cx.rng.range(MS, 20 * MS))
            }
            2 => {
                buf.extend_from_slice(
                    format!(
                        ":irc.local 001 {n} :Welcome\r\nPING :{}\r\n",
                        cx.rng.next_u32()
                    )
                    .as_bytes(),
                );
                server(cx.rng.range(5 * MS, 50 * MS))
            }
            3 => {
                buf.extend_from_slice(b"PONG :irc.local\r\nJOIN #iot x\r\n");
                client(cx.rng.range(MS, 20 * MS))
            }
            4 => {
                buf.extend_from_slice(
                    format!(":{n} JOIN #iot\r\n:op PRIVMSG #iot :.ping\r\n").as_bytes(),
                );
                server(cx.rng.range(50 * MS, 2 * SEC))
            }
            _ => AppStep::Close {
                from: Side::Client,
                delay: cx.rng.range(SEC, 10 * SEC),
                rst: false,
            },
        }
    }
}

/// A bulk upload: the client sends `chunks` messages of [`CHUNK`] bytes,
/// the server answers once at the end.
#[derive(Debug)]
pub(crate) struct Upload {
    chunks: u32,
    sent: u32,
    answered: bool,
}

/// Bytes per upload message.
pub(crate) const CHUNK: usize = 32 * 1024;

impl Upload {
    pub(crate) fn new(chunks: u32) -> Self {
        Upload {
            chunks,
            sent: 0,
            answered: false,
        }
    }
}

impl App for Upload {
    fn next(&mut self, cx: &mut AppCtx<'_>, buf: &mut Vec<u8>) -> AppStep {
        if self.sent < self.chunks {
            self.sent += 1;
            // opaque, TLS-application-data-like bytes
            buf.extend_from_slice(&[0x17, 0x03, 0x03, 0x7f, 0xfb]);
            while buf.len() < CHUNK {
                buf.extend_from_slice(&cx.rng.next_u32().to_be_bytes());
            }
            return AppStep::Send {
                from: Side::Client,
                delay: cx.rng.range(MS, 20 * MS),
            };
        }
        if !self.answered {
            self.answered = true;
            buf.extend_from_slice(&[0x17, 0x03, 0x03, 0x00, 0x20]);
            buf.extend_from_slice(&[0u8; 32]);
            return AppStep::Send {
                from: Side::Server,
                delay: cx.rng.range(10 * MS, 100 * MS),
            };
        }
        AppStep::Close {
            from: Side::Client,
            delay: cx.rng.range(MS, 50 * MS),
            rst: false,
        }
    }
}

/// When the attack starts: after the learning window when the capture is
/// long enough (see the module comment).
fn attack_start(s: &mut Setup<'_>) -> u64 {
    let dur = s.cfg.duration_secs * SEC;
    let mut lo = (dur / 10 * 7).max(AFTER_LEARNING);
    if lo > dur / 10 * 9 {
        lo = dur / 10 * 7;
    }
    let hi = (dur / 100 * 85)
        .max(lo + 60 * SEC)
        .min(dur / 100 * 92)
        .max(lo + 1);
    s.world.start + s.rng.range(lo, hi)
}

pub(crate) fn setup_exfiltration(s: &mut Setup<'_>) -> Result<(), TestbedError> {
    fleet::setup(s)?;
    let quiet: Vec<DevId> = (0..s.world.devices.len() as DevId)
        .filter(|&d| {
            let dev = &s.world.devices[d as usize];
            dev.cloud.is_some() && !matches!(dev.product.kind, Kind::Camera | Kind::Nvr)
        })
        .collect();
    let Some(&dev) = quiet.get(s.rng.below(quiet.len().max(1) as u64) as usize) else {
        return Ok(()); // no quiet device with a cloud: nothing to exfiltrate to
    };
    let Some(svc) = s.world.devices[dev as usize].cloud else {
        return Ok(());
    };
    let t0 = attack_start(s);
    let chunks = s.rng.range(200, 400) as u32;
    let server = s.world.services[svc as usize].host;
    let host = s.world.devices[dev as usize].host;
    let a = s.attack(PlannedAttack {
        id: "exfiltration-1".into(),
        class: "profile-violation".into(),
        technique: "T1041 Exfiltration Over C2 Channel".into(),
        start: Timestamp::from_nanos(t0),
        end: Timestamp::from_nanos(t0 + 60 * SEC),
        src: attack::ip_str(s.world.hosts[host as usize].ip),
        dst: attack::ip_str(s.world.hosts[server as usize].ip),
        dst_port: Some(443),
        description: format!(
            "{} uploads {} KiB to its vendor cloud {} on 443 in one connection",
            s.world.devices[dev as usize].id,
            chunks as usize * CHUNK / 1024,
            s.world.services[svc as usize].name
        ),
    });
    if let Some(actor) = actor::upload(s.world, s.rng, dev, server, 443, Upload::new(chunks), a) {
        s.spawn(t0, actor);
    }
    Ok(())
}

pub(crate) fn setup(s: &mut Setup<'_>) -> Result<(), TestbedError> {
    fleet::setup(s)?;
    let cams: Vec<DevId> = s.world.of_kind(Kind::Camera).collect();
    let dev = if cams.is_empty() {
        s.rng.below(s.world.devices.len() as u64) as DevId
    } else {
        *s.rng.pick(&cams)
    };
    let t0 = attack_start(s);
    let ip = attack::outside_addr(s.rng);
    let c2 = s.world.outsider(s.rng, ip);
    let sessions = s.rng.range(4, 8);
    let host = s.world.devices[dev as usize].host;
    let dev_ip = attack::ip_str(s.world.hosts[host as usize].ip);
    let a = s.attack(PlannedAttack {
        id: "profile-violation-1".into(),
        class: "profile-violation".into(),
        technique: "T1071 Application Layer Protocol (IRC command channel)".into(),
        start: Timestamp::from_nanos(t0),
        end: Timestamp::from_nanos(t0 + sessions * 60 * SEC),
        src: dev_ip,
        dst: attack::ip_str(ip),
        dst_port: Some(IRC_PORT),
        description: format!(
            "{} connects to an IRC command channel on {}:{IRC_PORT}, a host and port it never \
             used, {sessions} times 20-60 s apart",
            s.world.devices[dev as usize].id,
            attack::ip_str(ip)
        ),
    });
    let nick = format!("iot{:05}", s.rng.below(100_000));
    let mut at = t0;
    for _ in 0..sessions {
        if let Some(actor) = actor::irc(s.world, s.rng, dev, c2, IrcBot::new(nick.clone()), a) {
            s.spawn(at, actor);
        }
        at += s.rng.range(20 * SEC, 60 * SEC);
    }
    Ok(())
}
