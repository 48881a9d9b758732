//! TCP session tracking: the handshake, ISNs, closing, and the two stream
//! directions it feeds.

use crate::stream::{Chunk, StreamCtx, StreamDir, StreamEvent};
use palisade_wire::{tcp_flags, TcpInfo};

/// Direction of a packet within its flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Client to server (the side that opened the flow).
    ToServer = 0,
    /// Server to client.
    ToClient = 1,
}

impl Direction {
    /// The other direction.
    pub fn reverse(self) -> Direction {
        match self {
            Direction::ToServer => Direction::ToClient,
            Direction::ToClient => Direction::ToServer,
        }
    }
    /// 0 for to-server, 1 for to-client.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// TCP tracking state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TcpState {
    /// No handshake seen (yet).
    #[default]
    None,
    /// Client SYN seen.
    SynSent,
    /// Server SYN/ACK seen.
    SynRecv,
    /// Handshake complete (or both sides picked up midstream).
    Established,
    /// One side sent FIN.
    FinWait,
    /// Both sides sent FIN, or a RST was seen.
    Closed,
}

impl TcpState {
    /// Name as EVE prints it.
    pub fn name(self) -> &'static str {
        match self {
            TcpState::None => "none",
            TcpState::SynSent => "syn_sent",
            TcpState::SynRecv => "syn_recv",
            TcpState::Established => "established",
            TcpState::FinWait => "fin_wait1",
            TcpState::Closed => "closed",
        }
    }
}

/// TCP tracking counters (Suricata's `tcp.*`).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TcpStats {
    /// Sessions tracked.
    pub sessions: u64,
    /// SYN packets.
    pub syn: u64,
    /// SYN/ACK packets.
    pub synack: u64,
    /// RST packets.
    pub rst: u64,
    /// FIN packets.
    pub fin: u64,
    /// Directions picked up midstream.
    pub midstream_pickups: u64,
    /// Segments with data not reassembled because the handshake was not seen
    /// and midstream pickup is off.
    pub no_reassembly: u64,
    /// Segments with a bad checksum, left out of reassembly.
    pub invalid_checksum: u64,
}

/// One TCP session: its state and its two byte streams.
#[derive(Debug, Default)]
pub struct TcpSession {
    /// Tracking state.
    pub state: TcpState,
    /// Streams, indexed by `Direction::index`.
    pub dirs: [StreamDir; 2],
    client_isn: Option<u32>,
    fin_seen: [bool; 2],
}

impl TcpSession {
    /// Resets for reuse, returning stream memory.
    pub fn reset(&mut self, ctx: &mut StreamCtx) {
        self.state = TcpState::None;
        self.dirs[0].reset(ctx);
        self.dirs[1].reset(ctx);
        self.client_isn = None;
        self.fin_seen = [false; 2];
    }

    /// Handles one segment. Stream output goes to `emit(direction, chunk)`.
    // The arguments are the segment and the worker-owned contexts it touches;
    // bundling them in a struct would only add a type to build per packet.
    #[allow(clippy::too_many_arguments)]
    pub fn segment<F: FnMut(Direction, Chunk<'_>)>(
        &mut self,
        ctx: &mut StreamCtx,
        stats: &mut TcpStats,
        midstream: bool,
        dir: Direction,
        tcp: &TcpInfo,
        payload: &[u8],
        emit: &mut F,
    ) {
        let f = tcp.flags;
        let d = dir.index();
        let o = dir.reverse().index();
        let syn = f & tcp_flags::SYN != 0;
        let ack = f & tcp_flags::ACK != 0;
        if f & tcp_flags::RST != 0 {
            stats.rst += 1;
        }
        if f & tcp_flags::FIN != 0 {
            stats.fin += 1;
        }
        if syn && !ack {
            stats.syn += 1;
            if !self.dirs[d].started() {
                self.dirs[d].start(tcp.seq.wrapping_add(1));
                if dir == Direction::ToServer {
                    self.client_isn = Some(tcp.seq);
                }
            }
            if self.state == TcpState::None {
                self.state = TcpState::SynSent;
            }
        } else if syn && ack {
            stats.synack += 1;
            if let Some(isn) = self.client_isn {
                if tcp.ack != isn.wrapping_add(1) {
                    ctx.events.push(StreamEvent::SynAckWrongAck);
                }
            }
            if !self.dirs[d].started() {
                self.dirs[d].start(tcp.seq.wrapping_add(1));
            }
            if matches!(self.state, TcpState::None | TcpState::SynSent) {
                self.state = TcpState::SynRecv;
            }
        } else {
            if !self.dirs[d].started() && midstream && f & tcp_flags::RST == 0 {
                self.dirs[d].start(tcp.seq);
                stats.midstream_pickups += 1;
            }
            if ack {
                match self.state {
                    TcpState::SynRecv if dir == Direction::ToServer => {
                        self.state = TcpState::Established
                    }
                    TcpState::None | TcpState::SynSent
                        if midstream && self.dirs[0].started() && self.dirs[1].started() =>
                    {
                        self.state = TcpState::Established
                    }
                    _ => {}
                }
            }
        }
        if !payload.is_empty() {
            if self.dirs[d].started() {
                let seq = if syn {
                    tcp.seq.wrapping_add(1)
                } else {
                    tcp.seq
                };
                self.dirs[d].segment(ctx, seq, payload, &mut |c| emit(dir, c));
            } else {
                stats.no_reassembly += 1;
            }
        }
        if ack {
            let rev = dir.reverse();
            self.dirs[o].acked(ctx, tcp.ack, &mut |c| emit(rev, c));
        }
        if f & tcp_flags::FIN != 0 {
            let after = tcp
                .seq
                .wrapping_add(syn as u32)
                .wrapping_add(payload.len() as u32);
            self.dirs[d].fin(after);
            self.fin_seen[d] = true;
            self.state = if self.fin_seen[o] {
                TcpState::Closed
            } else {
                TcpState::FinWait
            };
        }
        if f & tcp_flags::RST != 0 {
            self.state = TcpState::Closed;
        }
    }

    /// Flushes both directions (flow end).
    pub fn flush<F: FnMut(Direction, Chunk<'_>)>(&mut self, ctx: &mut StreamCtx, emit: &mut F) {
        for dir in [Direction::ToServer, Direction::ToClient] {
            self.dirs[dir.index()].flush(ctx, &mut |c| emit(dir, c));
        }
    }
}
