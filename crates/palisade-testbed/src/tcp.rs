//! The TCP engine: one connection as a packet-at-a-time state machine.
//!
//! An application ([`App`]) only says which side sends which message after
//! which pause, and when the connection closes. The engine turns that into
//! segments: the 3-way handshake with MSS (and, for Linux stacks, window
//! scale and SACK-permitted) options, data cut to the peer's MSS, pure ACKs
//! after every second segment or after a delayed-ACK timeout, and a FIN
//! teardown (3- or 4-way) or a RST. Sequence and acknowledgement numbers are
//! exact: there is no loss and no retransmission.
//!
//! Timing is as seen from a tap at the gateway: an internet peer answers a
//! round-trip time after the LAN side spoke, a LAN host answers at once.
//! ACKs a sender is waiting for sit in a small ring; when it is full the
//! sender stalls until the oldest ACK arrives, a crude congestion window.

use crate::catalog::Stack;
use crate::labels::ConversationCounts;
use crate::packet::{flags, Tcp};
use crate::prng::Rng;
use crate::scheduler::Ctx;
use crate::world::{HostId, World};

/// Which end of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    Client = 0,
    Server = 1,
}

impl Side {
    #[inline]
    pub(crate) fn other(self) -> Side {
        match self {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        }
    }
}

/// What the application wants next. A `Send` message has been written into
/// the buffer handed to [`App::next`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AppStep {
    /// `from` sends the buffer, `delay` after the previous packet (the
    /// engine adds the peer's reaction time when the direction changes).
    Send { from: Side, delay: u64 },
    /// `from` closes, with a RST when `rst`.
    Close { from: Side, delay: u64, rst: bool },
}

/// What an application may look at while writing its next message.
pub(crate) struct AppCtx<'a> {
    /// Time of the packet just emitted.
    pub now: u64,
    pub rng: &'a mut Rng,
    pub world: &'a World,
    /// Largest segment payload each side may send.
    pub mss: [u16; 2],
}

/// A protocol spoken over the engine.
pub(crate) trait App {
    /// Writes the next message into `buf` (cleared) and says who sends it
    /// when, or closes.
    fn next(&mut self, cx: &mut AppCtx<'_>, buf: &mut Vec<u8>) -> AppStep;
}

/// Delayed-ACK timeout.
const DELACK_LINUX: u64 = 40_000_000;
/// Pending ACKs a sender may wait for before it stalls.
const ACK_RING: usize = 8;

#[derive(Clone, Copy, Debug)]
struct End {
    host: HostId,
    port: u16,
    /// Next sequence number to send.
    nxt: u32,
    mss: u16,
    wscale: Option<u8>,
    sack: bool,
    stack: Stack,
    /// Window advertised on the SYN.
    win_syn: u16,
    /// Window in bytes once established.
    win: u32,
    /// Time this side takes to react to what the other side sent, as seen
    /// from the tap.
    lat: u64,
}

#[derive(Clone, Copy, Debug, Default)]
struct PendingAck {
    at: u64,
    from: u8,
    ack: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Syn,
    SynAck,
    HandshakeAck,
    Data,
    /// Closer's FIN.
    FinA,
    /// Peer's ACK (4-way) or FIN+ACK (3-way).
    FinB,
    /// Peer's FIN after its ACK (4-way).
    FinC,
    /// Closer's final ACK.
    FinD,
    Rst,
    Done,
}

/// One TCP connection.
#[derive(Debug)]
pub(crate) struct TcpConn {
    ends: [End; 2],
    /// Largest payload per segment, both ways.
    seg_max: u16,
    phase: Phase,
    /// Time of the next segment that is not a pending ACK.
    at: u64,
    msg_from: Side,
    msg_off: usize,
    last_from: Side,
    closer: Side,
    four_way: bool,
    unacked: [u8; 2],
    /// Highest sequence number of each side's data the peer has ACKed on
    /// the wire: with `nxt` it gives the bytes in flight.
    acked: [u32; 2],
    acks: [PendingAck; ACK_RING],
    n_acks: usize,
    /// The message being sent.
    pub(crate) buf: Vec<u8>,
}

/// Parameters of a new connection.
pub(crate) struct Open {
    pub client: HostId,
    pub cport: u16,
    pub server: HostId,
    pub sport: u16,
    /// Round-trip time between the two ends.
    pub rtt: u64,
}

impl TcpConn {
    pub(crate) fn new(world: &World, rng: &mut Rng, o: Open, buf: Vec<u8>) -> TcpConn {
        let mk = |host: HostId, port: u16, rng: &mut Rng| {
            let h = &world.hosts[host as usize];
            let linux = h.stack == Stack::Linux;
            End {
                host,
                port,
                nxt: rng.next_u32(),
                mss: h.mss,
                wscale: if linux { Some(7) } else { None },
                sack: linux,
                stack: h.stack,
                win_syn: if linux {
                    if h.external {
                        65160
                    } else {
                        64240
                    }
                } else {
                    5744
                },
                win: if linux {
                    64_128 + 128 * rng.below(16) as u32
                } else {
                    5744
                },
                lat: 0,
            }
        };
        let mut ends = [mk(o.client, o.cport, rng), mk(o.server, o.sport, rng)];
        let ext = [
            world.hosts[o.client as usize].external,
            world.hosts[o.server as usize].external,
        ];
        for i in 0..2 {
            ends[i].lat = if ext[i] {
                o.rtt
            } else if ext[1 - i] {
                0
            } else {
                o.rtt / 2
            };
        }
        // Options a server only echoes when the client offered them.
        if ends[0].wscale.is_none() {
            ends[1].wscale = None;
        }
        if !ends[0].sack {
            ends[1].sack = false;
        }
        // Payload limit: what the peer advertised, never above our own MSS.
        let seg_max = ends[0].mss.min(ends[1].mss);
        TcpConn {
            seg_max,
            ends,
            phase: Phase::Syn,
            at: 0,
            msg_from: Side::Client,
            msg_off: 0,
            last_from: Side::Client,
            closer: Side::Client,
            four_way: false,
            unacked: [0; 2],
            acked: [0; 2],
            acks: [PendingAck::default(); ACK_RING],
            n_acks: 0,
            buf,
        }
    }

    /// Window field value for `side` on a non-SYN segment.
    fn window(&self, side: Side) -> u16 {
        let e = &self.ends[side as usize];
        match (e.wscale, self.ends[side.other() as usize].wscale) {
            (Some(s), Some(_)) => (e.win >> s) as u16,
            _ => e.win.min(65535) as u16,
        }
    }

    fn syn_options(&self, side: Side, out: &mut [u8; 20]) -> usize {
        let e = &self.ends[side as usize];
        out[..4].copy_from_slice(&[2, 4, (e.mss >> 8) as u8, e.mss as u8]);
        let mut n = 4;
        if let Some(ws) = e.wscale {
            out[n..n + 4].copy_from_slice(&[1, 3, 3, ws]);
            n += 4;
        }
        if e.sack {
            out[n..n + 4].copy_from_slice(&[1, 1, 4, 2]);
            n += 4;
        }
        n
    }

    fn emit(
        &mut self,
        cx: &mut Ctx<'_>,
        from: Side,
        seq: u32,
        ack: u32,
        fl: u8,
        payload: (usize, usize),
    ) {
        let (f, t) = (&self.ends[from as usize], &self.ends[from.other() as usize]);
        let ip = cx.world.ip(f.host, t.host);
        let mut opts = [0u8; 20];
        let n = if fl & flags::SYN != 0 {
            self.syn_options(from, &mut opts)
        } else {
            0
        };
        let window = if fl & flags::SYN != 0 {
            f.win_syn
        } else {
            self.window(from)
        };
        let tcp = Tcp {
            sport: f.port,
            dport: t.port,
            seq,
            ack,
            flags: fl,
            window,
            options: &opts[..n],
        };
        cx.frame.tcp(&ip, &tcp, &self.buf[payload.0..payload.1]);
        if fl & flags::ACK != 0 {
            self.acked[from.other() as usize] = ack;
        }
    }

    fn pure_ack(&mut self, cx: &mut Ctx<'_>, from: Side, ack: u32) {
        let seq = self.ends[from as usize].nxt;
        self.emit(cx, from, seq, ack, flags::ACK, (0, 0));
    }

    fn push_ack(&mut self, at: u64, from: Side) {
        let ack = self.ends[from.other() as usize].nxt;
        // A side's ACKs leave in the order they were decided, so their
        // numbers never go back.
        let at = self.acks[..self.n_acks]
            .iter()
            .filter(|a| a.from == from as u8)
            .map(|a| a.at)
            .fold(at, u64::max);
        if self.n_acks == ACK_RING {
            // Cannot happen: the sender stalls on a full ring. Keep the latest.
            self.acks[ACK_RING - 1] = PendingAck {
                at,
                from: from as u8,
                ack,
            };
            return;
        }
        self.acks[self.n_acks] = PendingAck {
            at,
            from: from as u8,
            ack,
        };
        self.n_acks += 1;
    }

    fn earliest_ack(&self) -> Option<usize> {
        (0..self.n_acks).min_by_key(|&i| (self.acks[i].at, i))
    }

    fn remove_ack(&mut self, i: usize) -> PendingAck {
        let a = self.acks[i];
        self.acks.copy_within(i + 1..self.n_acks, i);
        self.n_acks -= 1;
        a
    }

    /// Drops pending ACKs from `side`: its next segment carries the ACK.
    fn drop_acks_from(&mut self, side: Side) {
        let mut j = 0;
        for i in 0..self.n_acks {
            if self.acks[i].from != side as u8 {
                self.acks[j] = self.acks[i];
                j += 1;
            }
        }
        self.n_acks = j;
    }

    fn latest_ack(&self) -> u64 {
        self.acks[..self.n_acks]
            .iter()
            .map(|a| a.at)
            .max()
            .unwrap_or(0)
    }

    fn delack(&self, side: Side, rng: &mut Rng) -> u64 {
        match self.ends[side as usize].stack {
            Stack::Linux => rng.jitter(DELACK_LINUX, 10),
            // lwIP's delayed ACK fires on its 250 ms fast timer.
            Stack::Lwip => rng.range(5_000_000, 250_000_000),
        }
    }

    /// When this connection next has a packet to send.
    pub(crate) fn next_time(&self) -> Option<u64> {
        let ack = self.earliest_ack().map(|i| self.acks[i].at);
        let own = match self.phase {
            Phase::Done => None,
            Phase::Data if self.n_acks == ACK_RING => None,
            _ => Some(self.at),
        };
        match (ack, own) {
            (Some(a), Some(o)) => Some(a.min(o)),
            (a, o) => a.or(o),
        }
    }

    /// Asks the application for its next step after a message or the
    /// handshake ended at `now`.
    fn fetch<A: App>(&mut self, app: &mut A, cx: &mut Ctx<'_>) {
        let now = cx.now;
        let mss = [self.seg_max; 2];
        let step = {
            let mut acx = AppCtx {
                now,
                rng: cx.rng,
                world: cx.world,
                mss,
            };
            self.buf.clear();
            app.next(&mut acx, &mut self.buf)
        };
        match step {
            AppStep::Send { from, delay } => {
                let flip = if from != self.last_from {
                    self.ends[from as usize].lat
                } else {
                    0
                };
                let at = now + delay + flip;
                // An odd segment left unacknowledged: the receiver ACKs it
                // after its delayed-ACK timeout unless something else
                // carries the ACK first.
                let s = self.last_from;
                if self.unacked[s as usize] > 0 {
                    let r = s.other();
                    let soon = now + self.delack(r, cx.rng);
                    if at > soon + self.ends[r as usize].lat {
                        self.push_ack(soon + self.ends[r as usize].lat, r);
                        self.unacked[s as usize] = 0;
                    }
                }
                self.msg_from = from;
                self.msg_off = 0;
                self.last_from = from;
                self.at = at;
                self.phase = Phase::Data;
                if self.buf.is_empty() {
                    // Nothing to send is a programming error in an app; close
                    // cleanly rather than emit an empty segment.
                    debug_assert!(false, "app sent an empty message");
                    self.closer = from;
                    self.phase = Phase::FinA;
                }
            }
            AppStep::Close { from, delay, rst } => {
                let flip = if from != self.last_from {
                    self.ends[from as usize].lat
                } else {
                    0
                };
                self.at = (now + delay + flip).max(self.latest_ack());
                self.closer = from;
                self.four_way = cx.rng.chance(400);
                self.unacked = [0; 2];
                self.phase = if rst { Phase::Rst } else { Phase::FinA };
            }
        }
    }

    /// Emits this connection's packet due at `cx.now`; returns when the next
    /// one is due, or `None` when the connection is over.
    pub(crate) fn step<A: App>(&mut self, app: &mut A, cx: &mut Ctx<'_>) -> Option<u64> {
        let now = cx.now;
        // A pending ACK that is due goes first; so does the oldest one when
        // the ring is full and the sender must wait for it.
        if let Some(i) = self.earliest_ack() {
            let full = self.n_acks == ACK_RING && self.phase == Phase::Data;
            if self.acks[i].at <= now || full {
                let a = self.remove_ack(i);
                let from = if a.from == 0 {
                    Side::Client
                } else {
                    Side::Server
                };
                self.pure_ack(cx, from, a.ack);
                return self.next_time();
            }
        }
        let c = Side::Client;
        let s = Side::Server;
        match self.phase {
            Phase::Syn => {
                count(cx.counts);
                let seq = self.ends[0].nxt;
                self.emit(cx, c, seq, 0, flags::SYN, (0, 0));
                self.ends[0].nxt = seq.wrapping_add(1);
                self.phase = Phase::SynAck;
                self.at = now + self.ends[1].lat + cx.rng.range(20_000, 200_000);
            }
            Phase::SynAck => {
                let seq = self.ends[1].nxt;
                let ack = self.ends[0].nxt;
                self.emit(cx, s, seq, ack, flags::SYN | flags::ACK, (0, 0));
                self.ends[1].nxt = seq.wrapping_add(1);
                self.phase = Phase::HandshakeAck;
                self.at = now + self.ends[0].lat + cx.rng.range(20_000, 300_000);
            }
            Phase::HandshakeAck => {
                let ack = self.ends[1].nxt;
                self.pure_ack(cx, c, ack);
                self.last_from = c;
                self.fetch(app, cx);
            }
            Phase::Data => {
                let from = self.msg_from;
                let to = from.other();
                let len = self.buf.len();
                let n = (self.seg_max as usize).min(len - self.msg_off);
                // Flow control: stay strictly inside the receiver's window;
                // when it is full, wait for (or provoke) the receiver's ACK.
                let in_flight = self.ends[from as usize]
                    .nxt
                    .wrapping_sub(self.acked[from as usize]);
                if in_flight as usize + n >= self.ends[to as usize].win as usize {
                    let pending = (0..self.n_acks)
                        .filter(|&i| self.acks[i].from == to as u8)
                        .map(|i| self.acks[i].at)
                        .min();
                    let at = match pending {
                        Some(at) => at,
                        None => {
                            let at =
                                now + self.ends[to as usize].lat + cx.rng.range(20_000, 150_000);
                            self.push_ack(at, to);
                            self.unacked[from as usize] = 0;
                            at
                        }
                    };
                    self.at = self.at.max(at);
                    return self.next_time();
                }
                let last = self.msg_off + n == len;
                let seq = self.ends[from as usize].nxt;
                let ack = self.ends[to as usize].nxt;
                let fl = flags::ACK | if last { flags::PSH } else { 0 };
                let range = (self.msg_off, self.msg_off + n);
                self.emit(cx, from, seq, ack, fl, range);
                self.ends[from as usize].nxt = seq.wrapping_add(n as u32);
                self.msg_off += n;
                // This segment acknowledges everything the peer sent.
                self.unacked[to as usize] = 0;
                self.drop_acks_from(from);
                self.unacked[from as usize] += 1;
                if self.unacked[from as usize] >= 2 {
                    let at = now + self.ends[to as usize].lat + cx.rng.range(20_000, 150_000);
                    self.push_ack(at, to);
                    self.unacked[from as usize] = 0;
                }
                if last {
                    self.fetch(app, cx);
                } else {
                    self.at = now + cx.rng.range(15_000, 150_000);
                }
            }
            Phase::FinA => {
                let f = self.closer;
                let seq = self.ends[f as usize].nxt;
                let ack = self.ends[f.other() as usize].nxt;
                self.emit(cx, f, seq, ack, flags::FIN | flags::ACK, (0, 0));
                self.ends[f as usize].nxt = seq.wrapping_add(1);
                self.n_acks = 0;
                self.phase = Phase::FinB;
                self.at = now + self.ends[f.other() as usize].lat + cx.rng.range(20_000, 400_000);
            }
            Phase::FinB | Phase::FinC => {
                let p = self.closer.other();
                let seq = self.ends[p as usize].nxt;
                let ack = self.ends[self.closer as usize].nxt;
                if self.phase == Phase::FinB && self.four_way {
                    self.emit(cx, p, seq, ack, flags::ACK, (0, 0));
                    self.phase = Phase::FinC;
                    self.at = now + cx.rng.range(100_000, 30_000_000);
                } else {
                    self.emit(cx, p, seq, ack, flags::FIN | flags::ACK, (0, 0));
                    self.ends[p as usize].nxt = seq.wrapping_add(1);
                    self.phase = Phase::FinD;
                    self.at =
                        now + self.ends[self.closer as usize].lat + cx.rng.range(20_000, 300_000);
                }
            }
            Phase::FinD => {
                let f = self.closer;
                let ack = self.ends[f.other() as usize].nxt;
                self.pure_ack(cx, f, ack);
                self.phase = Phase::Done;
            }
            Phase::Rst => {
                let f = self.closer;
                let seq = self.ends[f as usize].nxt;
                let ack = self.ends[f.other() as usize].nxt;
                self.emit(cx, f, seq, ack, flags::RST | flags::ACK, (0, 0));
                self.n_acks = 0;
                self.phase = Phase::Done;
            }
            Phase::Done => return None,
        }
        self.next_time()
    }
}

fn count(c: &mut ConversationCounts) {
    c.tcp += 1;
}
