//! MQTT 3.1.1 telemetry: a device's long-lived session with the fleet broker.
//!
//! CONNECT (client id, optional credentials and will) / CONNACK, a SUBSCRIBE
//! to the device's command topic, a retained "online" status, then periodic
//! telemetry PUBLISHes at QoS 0 or 1 (PUBACK from the broker), PINGREQ /
//! PINGRESP when the device was silent for a keep-alive period, a rare
//! command pushed by the broker (PUBACK from the device), and finally a
//! DISCONNECT and FIN, or a broker-side RST.

use crate::catalog::Kind;
use crate::tcp::{App, AppCtx, AppStep, Side};
use crate::world::DevId;
use std::io::Write;

pub(crate) const CONNECT: u8 = 0x10;
pub(crate) const CONNACK: u8 = 0x20;
pub(crate) const PUBLISH: u8 = 0x30;
pub(crate) const PUBACK: u8 = 0x40;
pub(crate) const SUBSCRIBE: u8 = 0x82;
pub(crate) const SUBACK: u8 = 0x90;
pub(crate) const PINGREQ: u8 = 0xc0;
pub(crate) const PINGRESP: u8 = 0xd0;
pub(crate) const DISCONNECT: u8 = 0xe0;

/// Encodes the remaining-length varint (7 bits per byte, low group first).
pub(crate) fn remaining_length(mut n: usize, out: &mut [u8; 4]) -> usize {
    debug_assert!(n <= 268_435_455);
    let mut i = 0;
    loop {
        let mut b = (n % 128) as u8;
        n /= 128;
        if n > 0 {
            b |= 0x80;
        }
        out[i] = b;
        i += 1;
        if n == 0 || i == 4 {
            return i;
        }
    }
}

/// Prefixes the bytes of `buf` from `body_start` on with a fixed header.
fn seal(buf: &mut Vec<u8>, body_start: usize, first: u8) {
    let mut rl = [0u8; 4];
    let n = remaining_length(buf.len() - body_start, &mut rl);
    let mut hdr = [0u8; 5];
    hdr[0] = first;
    hdr[1..=n].copy_from_slice(&rl[..n]);
    buf.splice(body_start..body_start, hdr[..=n].iter().copied());
}

/// A length-prefixed UTF-8 string written by `format_args!`.
fn str16_fmt(buf: &mut Vec<u8>, args: std::fmt::Arguments<'_>) {
    let at = buf.len();
    buf.extend_from_slice(&[0, 0]);
    let _ = buf.write_fmt(args);
    let n = (buf.len() - at - 2) as u16;
    buf[at..at + 2].copy_from_slice(&n.to_be_bytes());
}

fn str16(buf: &mut Vec<u8>, s: &[u8]) {
    buf.extend_from_slice(&(s.len() as u16).to_be_bytes());
    buf.extend_from_slice(s);
}

/// What the broker or device owes the other side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reply {
    None,
    ConnAck,
    SubAck(u16),
    PubAck(Side, u16),
    PingResp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Connect,
    Subscribe,
    Online,
    Running,
    Disconnecting,
}

/// One MQTT session.
#[derive(Debug)]
pub(crate) struct MqttSession {
    dev: DevId,
    state: State,
    reply: Reply,
    keepalive: u64,
    last_client: u64,
    next_publish: u64,
    interval: u64,
    cmd_at: u64,
    end_at: u64,
    rst_end: bool,
    pid: u16,
    seq: u32,
    /// Slowly drifting reading (temperature, power or CPU load).
    level: f64,
}

impl MqttSession {
    pub(crate) fn new(dev: DevId, now: u64, rng: &mut crate::prng::Rng) -> Self {
        let keepalive = *rng.pick(&[15u64, 30, 60, 60, 120]) * 1_000_000_000;
        let interval = rng.range(10, 180) * 1_000_000_000;
        MqttSession {
            dev,
            state: State::Connect,
            reply: Reply::None,
            keepalive,
            last_client: now,
            next_publish: 0,
            interval,
            cmd_at: now + rng.range(300, 7200) * 1_000_000_000,
            end_at: now + rng.range(600, 4 * 3600) * 1_000_000_000,
            rst_end: rng.chance(150),
            pid: 1 + rng.below(1000) as u16,
            seq: 0,
            level: 15.0 + rng.unit() * 15.0,
        }
    }

    fn next_pid(&mut self) -> u16 {
        let p = self.pid;
        self.pid = if p == u16::MAX { 1 } else { p + 1 };
        p
    }

    fn telemetry(&mut self, cx: &mut AppCtx<'_>, buf: &mut Vec<u8>) {
        self.seq += 1;
        self.level += (cx.rng.unit() - 0.5) * 0.4;
        let d = &cx.world.devices[self.dev as usize];
        let rssi = -40 - cx.rng.below(45) as i64;
        let _ = match d.product.kind {
            Kind::Plug => write!(
                buf,
                "{{\"power\":{:.1},\"voltage\":{:.1},\"current\":{:.3},\"relay\":\"on\",\"rssi\":{},\"seq\":{}}}",
                self.level * 3.0,
                229.0 + cx.rng.unit() * 3.0,
                self.level * 3.0 / 230.0,
                rssi,
                self.seq
            ),
            Kind::Hub => write!(
                buf,
                "{{\"cpu\":{:.1},\"mem\":{:.1},\"disk\":{:.1},\"uptime\":{},\"seq\":{}}}",
                self.level,
                40.0 + cx.rng.unit() * 5.0,
                61.3,
                (cx.now - cx.world.start) / 1_000_000_000 + 86_400,
                self.seq
            ),
            _ => write!(
                buf,
                "{{\"temperature\":{:.1},\"humidity\":{:.1},\"battery\":{},\"rssi\":{},\"seq\":{}}}",
                self.level,
                35.0 + cx.rng.unit() * 20.0,
                100 - (self.seq / 40).min(80),
                rssi,
                self.seq
            ),
        };
    }
}

impl App for MqttSession {
    fn next(&mut self, cx: &mut AppCtx<'_>, buf: &mut Vec<u8>) -> AppStep {
        let proc = cx.rng.range(100_000, 3_000_000);
        match std::mem::replace(&mut self.reply, Reply::None) {
            Reply::None => {}
            Reply::ConnAck => {
                buf.extend_from_slice(&[CONNACK, 2, 0, 0]);
                return AppStep::Send {
                    from: Side::Server,
                    delay: proc,
                };
            }
            Reply::SubAck(pid) => {
                buf.extend_from_slice(&[SUBACK, 3]);
                buf.extend_from_slice(&pid.to_be_bytes());
                buf.push(1);
                return AppStep::Send {
                    from: Side::Server,
                    delay: proc,
                };
            }
            Reply::PubAck(from, pid) => {
                buf.extend_from_slice(&[PUBACK, 2]);
                buf.extend_from_slice(&pid.to_be_bytes());
                return AppStep::Send { from, delay: proc };
            }
            Reply::PingResp => {
                buf.extend_from_slice(&[PINGRESP, 0]);
                return AppStep::Send {
                    from: Side::Server,
                    delay: proc,
                };
            }
        }
        let d = &cx.world.devices[self.dev as usize];
        match self.state {
            State::Connect => {
                let will = d.product.kind != Kind::Plug;
                let mut fl = 0x02; // clean session
                if will {
                    fl |= 0x04 | 0x08 | 0x20; // will, QoS 1, retain
                }
                if d.mqtt_user.is_some() {
                    fl |= 0x80 | 0x40;
                }
                str16(buf, b"MQTT");
                buf.push(4);
                buf.push(fl);
                buf.extend_from_slice(&((self.keepalive / 1_000_000_000) as u16).to_be_bytes());
                str16(buf, d.mqtt_client_id.as_bytes());
                if will {
                    str16_fmt(buf, format_args!("fleet/{}/status", d.id));
                    str16(buf, b"offline");
                }
                if let Some((user, pw)) = &d.mqtt_user {
                    str16(buf, user.as_bytes());
                    str16(buf, pw.as_bytes());
                }
                seal(buf, 0, CONNECT);
                self.state = State::Subscribe;
                self.reply = Reply::ConnAck;
                self.last_client = cx.now;
                AppStep::Send {
                    from: Side::Client,
                    delay: cx.rng.range(50_000, 5_000_000),
                }
            }
            State::Subscribe => {
                let pid = self.next_pid();
                buf.extend_from_slice(&pid.to_be_bytes());
                str16_fmt(buf, format_args!("fleet/{}/cmd/#", d.id));
                buf.push(1);
                seal(buf, 0, SUBSCRIBE);
                self.state = State::Online;
                self.reply = Reply::SubAck(pid);
                let delay = cx.rng.range(200_000, 10_000_000);
                self.last_client = cx.now + delay;
                AppStep::Send {
                    from: Side::Client,
                    delay,
                }
            }
            State::Online => {
                // Retained QoS 1 status.
                str16_fmt(buf, format_args!("fleet/{}/status", d.id));
                let pid = self.next_pid();
                buf.extend_from_slice(&pid.to_be_bytes());
                buf.extend_from_slice(b"online");
                seal(buf, 0, PUBLISH | 0x02 | 0x01);
                self.state = State::Running;
                self.reply = Reply::PubAck(Side::Server, pid);
                let delay = cx.rng.range(1_000_000, 50_000_000);
                self.last_client = cx.now + delay;
                self.next_publish = self.last_client + cx.rng.range(1_000_000_000, 10_000_000_000);
                AppStep::Send {
                    from: Side::Client,
                    delay,
                }
            }
            State::Running => {
                let ping_at = self.last_client + self.keepalive - cx.rng.range(0, 500_000_000);
                let t = self
                    .next_publish
                    .min(ping_at)
                    .min(self.cmd_at)
                    .min(self.end_at);
                let delay = t.saturating_sub(cx.now);
                if t == self.end_at {
                    if self.rst_end {
                        return AppStep::Close {
                            from: Side::Server,
                            delay,
                            rst: true,
                        };
                    }
                    buf.extend_from_slice(&[DISCONNECT, 0]);
                    self.state = State::Disconnecting;
                    return AppStep::Send {
                        from: Side::Client,
                        delay,
                    };
                }
                if t == self.next_publish {
                    let qos1 = cx.rng.chance(300);
                    str16_fmt(buf, format_args!("fleet/{}/telemetry", d.id));
                    let mut first = PUBLISH;
                    if qos1 {
                        let pid = self.next_pid();
                        buf.extend_from_slice(&pid.to_be_bytes());
                        first |= 0x02;
                        self.reply = Reply::PubAck(Side::Server, pid);
                    }
                    self.telemetry(cx, buf);
                    seal(buf, 0, first);
                    self.last_client = t;
                    self.next_publish = t + cx.rng.jitter(self.interval, 10);
                    return AppStep::Send {
                        from: Side::Client,
                        delay,
                    };
                }
                if t == self.cmd_at {
                    str16_fmt(buf, format_args!("fleet/{}/cmd/config", d.id));
                    let pid = self.next_pid();
                    buf.extend_from_slice(&pid.to_be_bytes());
                    let _ = write!(
                        buf,
                        "{{\"report_interval\":{}}}",
                        self.interval / 1_000_000_000
                    );
                    seal(buf, 0, PUBLISH | 0x02);
                    self.reply = Reply::PubAck(Side::Client, pid);
                    self.cmd_at = t + cx.rng.range(1800, 7200) * 1_000_000_000;
                    return AppStep::Send {
                        from: Side::Server,
                        delay,
                    };
                }
                buf.extend_from_slice(&[PINGREQ, 0]);
                self.reply = Reply::PingResp;
                self.last_client = t;
                AppStep::Send {
                    from: Side::Client,
                    delay,
                }
            }
            State::Disconnecting => AppStep::Close {
                from: Side::Client,
                delay: cx.rng.range(50_000, 2_000_000),
                rst: false,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_rl(b: &[u8]) -> (usize, usize) {
        let mut v = 0usize;
        let mut mult = 1usize;
        for (i, &x) in b.iter().enumerate() {
            v += (x & 0x7f) as usize * mult;
            mult *= 128;
            if x & 0x80 == 0 {
                return (v, i + 1);
            }
        }
        panic!("unterminated");
    }

    #[test]
    fn remaining_length_boundaries() {
        for (n, want) in [
            (0usize, &[0x00u8][..]),
            (127, &[0x7f]),
            (128, &[0x80, 0x01]),
            (16_383, &[0xff, 0x7f]),
            (16_384, &[0x80, 0x80, 0x01]),
            (2_097_151, &[0xff, 0xff, 0x7f]),
            (2_097_152, &[0x80, 0x80, 0x80, 0x01]),
            (268_435_455, &[0xff, 0xff, 0xff, 0x7f]),
        ] {
            let mut out = [0u8; 4];
            let len = remaining_length(n, &mut out);
            assert_eq!(&out[..len], want, "{n}");
            assert_eq!(decode_rl(&out[..len]), (n, len));
        }
    }

    #[test]
    fn seal_prefixes_a_correct_header() {
        let mut b = vec![7u8; 200];
        seal(&mut b, 0, PUBLISH);
        assert_eq!(&b[..3], &[PUBLISH, 0xc8, 0x01]);
        assert_eq!(b.len(), 203);
        let mut b = Vec::new();
        seal(&mut b, 0, PINGREQ);
        assert_eq!(b, [PINGREQ, 0]);
    }
}
