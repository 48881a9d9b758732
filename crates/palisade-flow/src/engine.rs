//! The flow engine of one worker: flow table, timeouts, memcap, TCP
//! sessions, defragmentation, and the events they produce.
//!
//! A worker owns its engine outright (no locks): the dispatcher sends every
//! packet of an address pair to the same worker. Time is packet time.
//!
//! Timeouts use one FIFO queue per (protocol class, state): within a queue all
//! flows share one timeout, so entries are pushed in expiry order and
//! expiring is popping the front. A flow that saw packets since its entry was
//! queued is re-queued at its real expiry (lazy deletion with a stamp), which
//! costs O(1) amortised per flow per timeout period instead of a scan.

use crate::config::EngineConfig;
use crate::defrag::{DefragEvent, DefragStats, Defragmenter};
use crate::key::{flow_id, FlowKey};
use crate::stream::{Chunk, StreamCtx, StreamEvent, StreamLimits, StreamStats};
use crate::tcp::{Direction, TcpSession, TcpState, TcpStats};
use hashbrown::HashMap;
use palisade_event::{
    AnomalyRecord, AnomalyType, EndReason, FlowRecord, FlowState, FlowStats, TcpSummary, Timestamp,
    Tuple,
};
use palisade_wire::{ip_proto, Addr, FragInfo, Frame, L4};
use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A flow as the consumers of stream data see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowRef {
    /// Flow id.
    pub id: u64,
    /// Slot in the worker's table (stable for the flow's life).
    pub slot: u32,
}

/// Receives what the engine produces. Methods have empty defaults so a
/// consumer implements only what it needs.
pub trait FlowObserver {
    /// The packet being processed belongs to `flow` in direction `dir`.
    /// Called before any stream data the packet releases, so a consumer can
    /// tell whether data it receives next travels the packet's way or the
    /// other (data of one direction is released by the other's ACK).
    fn packet_flow(&mut self, _flow: FlowRef, _dir: Direction) {}
    /// `flow` is ending; its record (client → server tuple) comes before the
    /// last stream data is flushed, so that data can be attributed.
    fn flow_ending(&mut self, _flow: FlowRef, _record: &FlowRecord) {}
    /// The next in-order bytes of one direction of a TCP flow.
    fn stream_data(&mut self, _flow: FlowRef, _dir: Direction, _data: &[u8]) {}
    /// `len` bytes of one direction are missing; the stream resumes after.
    fn stream_gap(&mut self, _flow: FlowRef, _dir: Direction, _len: u64) {}
    /// A UDP datagram's payload.
    fn udp_payload(&mut self, _flow: FlowRef, _dir: Direction, _data: &[u8]) {}
    /// A flow ended; its record.
    fn flow_end(&mut self, record: FlowRecord);
    /// An anomaly.
    fn anomaly(&mut self, record: AnomalyRecord);
}

/// Per-packet facts the engine needs beside the frame.
#[derive(Clone, Copy, Debug, Default)]
pub struct PacketMeta {
    /// Packet time.
    pub ts: Timestamp,
    /// Packet number in the input (1-based), for EVE `pcap_cnt`.
    pub pcap_cnt: u64,
    /// The live source the packet came from (EVE `in_iface`); 0 for files.
    pub source: u16,
}

/// One tracked flow.
#[derive(Debug)]
pub struct Flow {
    /// Key.
    pub key: FlowKey,
    /// Flow id.
    pub id: u64,
    /// Whether endpoint `a` of the key is the client.
    pub client_is_a: bool,
    /// First packet.
    pub start: Timestamp,
    /// Last packet.
    pub last: Timestamp,
    /// Packets per direction.
    pub pkts: [u64; 2],
    /// Bytes per direction.
    pub bytes: [u64; 2],
    /// Union of TCP flags per direction.
    pub tcp_flags: [u8; 2],
    /// TCP session, for TCP flows.
    pub tcp: Option<Box<TcpSession>>,
    /// Application protocol once known.
    pub app_proto: Option<&'static str>,
    /// Whether an alert fired on the flow.
    pub alerted: bool,
    /// The live source of the flow's first packet.
    pub source: u16,
    stamp: u64,
    class: u8,
}

impl Flow {
    /// Flow state in EVE's terms.
    pub fn state(&self) -> FlowState {
        match &self.tcp {
            Some(t) => match t.state {
                TcpState::Established | TcpState::FinWait => FlowState::Established,
                TcpState::Closed => FlowState::Closed,
                _ => FlowState::New,
            },
            None => {
                if self.pkts[0] > 0 && self.pkts[1] > 0 {
                    FlowState::Established
                } else {
                    FlowState::New
                }
            }
        }
    }
}

/// Flow table counters (Suricata's `flow.*`).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FlowCounters {
    /// Flows created.
    pub total: u64,
    /// TCP flows created.
    pub tcp: u64,
    /// UDP flows created.
    pub udp: u64,
    /// ICMPv4 flows created.
    pub icmpv4: u64,
    /// ICMPv6 flows created.
    pub icmpv6: u64,
    /// Flows of other protocols created.
    pub other: u64,
    /// Flows open now.
    pub active: u64,
    /// Most flows open at once. Summed over workers in a multi-threaded
    /// scan, where it is an upper bound (the workers' peaks need not
    /// coincide).
    pub active_max: u64,
    /// Flows ended by timeout.
    pub end_timeout: u64,
    /// Flows ended early (memcap eviction, TCP port reuse).
    pub end_forced: u64,
    /// Flows ended by end of input.
    pub end_shutdown: u64,
    /// Flows evicted because the memcap was reached.
    pub memcap_evictions: u64,
    /// TCP flows replaced by a new SYN on the same 5-tuple after closing.
    pub tcp_reuse: u64,
    /// Frames that could not be tracked (no IP layer).
    pub untracked: u64,
}

/// Every counter of one engine.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EngineStats {
    /// Flow table.
    pub flow: FlowCounters,
    /// TCP tracking.
    pub tcp: TcpStats,
    /// Reassembly.
    pub reassembly: StreamStats,
    /// Defragmentation.
    pub defrag: DefragStats,
}

const CLASSES: usize = 12;

/// Ended TCP sessions kept for reuse (so steady-state tracking does not
/// allocate); beyond it they are freed.
const SESSION_POOL_MAX: usize = 1024;

#[derive(Clone, Copy, Debug)]
struct QEntry {
    expiry: u64,
    slot: u32,
    stamp: u64,
}

/// The flow engine of one worker.
pub struct FlowEngine {
    cfg: EngineConfig,
    map: HashMap<FlowKey, u32>,
    slots: Vec<Option<Flow>>,
    free: Vec<u32>,
    queues: [VecDeque<QEntry>; CLASSES],
    timeouts_ns: [u64; CLASSES],
    next_stamp: u64,
    max_flows: usize,
    live: usize,
    evicting: bool,
    next_expiry_check: u64,
    clock: Timestamp,
    stream: StreamCtx,
    tcp_stats: TcpStats,
    counters: FlowCounters,
    defrag: Defragmenter,
    defrag_events: Vec<DefragEvent>,
    /// Sessions of ended flows kept for reuse, so steady-state TCP tracking
    /// does not allocate; boxed because `Flow::tcp` holds them boxed.
    #[allow(clippy::vec_box)]
    session_pool: Vec<Box<TcpSession>>,
    /// Leave TCP segments with a bad checksum out of tracking (on unless
    /// the checksum mode is still deciding whether the capture comes from
    /// an offloading NIC).
    drop_bad_checksums: bool,
}

/// Estimated bytes one flow costs (table slot, map entry, TCP session).
pub const FLOW_COST_BYTES: usize =
    std::mem::size_of::<Option<Flow>>() + std::mem::size_of::<(FlowKey, u32)>() + 16;

fn to_ip(a: &Addr, v4: bool) -> IpAddr {
    if v4 {
        IpAddr::V4(Ipv4Addr::new(a[0], a[1], a[2], a[3]))
    } else {
        IpAddr::V6(Ipv6Addr::from(*a))
    }
}

/// The tuple of a frame, oriented as the packet travels.
pub fn frame_tuple(frame: &Frame) -> Tuple {
    let (sp, dp) = match frame.l4 {
        L4::Tcp(t) => (Some(t.src_port), Some(t.dst_port)),
        L4::Udp { src_port, dst_port } => (Some(src_port), Some(dst_port)),
        _ => (None, None),
    };
    Tuple {
        src_ip: to_ip(&frame.ip.src, frame.ip.is_v4),
        src_port: sp,
        dest_ip: to_ip(&frame.ip.dst, frame.ip.is_v4),
        dest_port: dp,
        proto: frame.ip.proto,
    }
}

impl FlowEngine {
    /// An engine holding `1/share` of the configured memcaps (one share per
    /// worker).
    pub fn new(cfg: &EngineConfig, share: u32) -> Self {
        let share = share.max(1) as u64;
        let t = &cfg.flow.timeouts;
        let secs = [
            t.tcp_new,
            t.tcp_established,
            t.tcp_closed,
            t.udp_new,
            t.udp_established,
            t.udp_established,
            t.icmp_new,
            t.icmp_established,
            t.icmp_established,
            t.other_new,
            t.other_established,
            t.other_established,
        ];
        let per_flow = (FLOW_COST_BYTES + std::mem::size_of::<TcpSession>() / 2) as u64;
        let max_flows = ((cfg.flow.memcap / share) / per_flow).max(16) as usize;
        FlowEngine {
            cfg: cfg.clone(),
            map: HashMap::new(),
            slots: Vec::new(),
            free: Vec::new(),
            queues: Default::default(),
            timeouts_ns: secs.map(|s| s.saturating_mul(1_000_000_000)),
            next_stamp: 1,
            max_flows,
            live: 0,
            evicting: false,
            next_expiry_check: 0,
            clock: Timestamp::ZERO,
            stream: StreamCtx::new(
                StreamLimits {
                    depth: cfg.stream.reassembly_depth,
                    max_buffered: cfg.stream.max_buffered_per_direction,
                    retain: cfg.stream.retain_bytes,
                },
                cfg.stream.reassembly_memcap / share,
            ),
            tcp_stats: TcpStats::default(),
            counters: FlowCounters::default(),
            defrag: Defragmenter::new(&cfg.defrag, cfg.defrag.memcap / share),
            defrag_events: Vec::new(),
            session_pool: Vec::new(),
            drop_bad_checksums: true,
        }
    }

    /// Most flows this engine keeps at once (from its memcap share).
    pub fn max_flows(&self) -> usize {
        self.max_flows
    }

    /// Flows open now.
    pub fn active_flows(&self) -> usize {
        self.live
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> EngineStats {
        let mut flow = self.counters.clone();
        flow.active = self.live as u64;
        EngineStats {
            flow,
            tcp: self.tcp_stats.clone(),
            reassembly: self.stream.stats.clone(),
            defrag: self.defrag.stats.clone(),
        }
    }

    /// Reassembly memory in use.
    pub fn stream_memory(&self) -> u64 {
        self.stream.mem.used
    }

    /// Whether TCP segments with a bad checksum are left out of tracking
    /// (they still count in `tcp.invalid_checksum`).
    pub fn set_drop_bad_checksums(&mut self, on: bool) {
        self.drop_bad_checksums = on;
    }

    /// The flow in `slot`, if live.
    pub fn flow(&self, slot: u32) -> Option<&Flow> {
        self.slots.get(slot as usize).and_then(|s| s.as_ref())
    }

    /// Mutable access to the flow in `slot` (for app-layer state, alerts).
    pub fn flow_mut(&mut self, slot: u32) -> Option<&mut Flow> {
        self.slots.get_mut(slot as usize).and_then(|s| s.as_mut())
    }

    fn class_of(proto: u8, state: FlowState) -> u8 {
        let p = match proto {
            ip_proto::TCP => 0,
            ip_proto::UDP => 1,
            ip_proto::ICMP | ip_proto::ICMPV6 => 2,
            _ => 3,
        };
        let s = match state {
            FlowState::New => 0,
            FlowState::Established => 1,
            FlowState::Closed => 2,
        };
        p * 3 + s
    }

    fn enqueue(&mut self, slot: u32) {
        let stamp = self.next_stamp;
        self.next_stamp += 1;
        let Some(flow) = self.slots.get_mut(slot as usize).and_then(|s| s.as_mut()) else {
            return;
        };
        let class = Self::class_of(flow.key.proto, flow.state());
        flow.class = class;
        flow.stamp = stamp;
        let expiry = flow
            .last
            .as_nanos()
            .saturating_add(self.timeouts_ns[class as usize]);
        self.queues[class as usize].push_back(QEntry {
            expiry,
            slot,
            stamp,
        });
    }

    /// Advances packet time: expires idle flows and fragment trackers.
    /// Called for every packet, cheap unless a second has passed.
    pub fn advance<O: FlowObserver>(&mut self, now: Timestamp, obs: &mut O) {
        if now > self.clock {
            self.clock = now;
        }
        let now_ns = self.clock.as_nanos();
        if now_ns < self.next_expiry_check {
            return;
        }
        self.next_expiry_check = now_ns.saturating_add(1_000_000_000);
        for q in 0..CLASSES {
            while let Some(&e) = self.queues[q].front() {
                if e.expiry > now_ns {
                    break;
                }
                self.queues[q].pop_front();
                let Some(flow) = self.slots.get(e.slot as usize).and_then(|s| s.as_ref()) else {
                    continue;
                };
                if flow.stamp != e.stamp {
                    continue; // stale entry
                }
                let real = flow
                    .last
                    .as_nanos()
                    .saturating_add(self.timeouts_ns[flow.class as usize]);
                if real <= now_ns {
                    self.end_flow(e.slot, EndReason::Timeout, obs);
                    self.counters.end_timeout += 1;
                } else {
                    self.enqueue(e.slot);
                }
            }
        }
        self.defrag.expire(self.clock, &mut self.defrag_events);
        self.emit_defrag_events(None, obs);
    }

    fn emit_defrag_events<O: FlowObserver>(
        &mut self,
        at: Option<(&PacketMeta, &Frame)>,
        obs: &mut O,
    ) {
        for ev in self.defrag_events.drain(..) {
            obs.anomaly(AnomalyRecord {
                timestamp: at.map(|a| a.0.ts).unwrap_or(self.clock),
                pcap_cnt: at.map(|a| a.0.pcap_cnt),
                flow_id: None,
                tuple: at.map(|a| frame_tuple(a.1)),
                kind: match ev {
                    DefragEvent::Ipv4Overlap
                    | DefragEvent::Ipv6Overlap
                    | DefragEvent::Ipv4TooLarge
                    | DefragEvent::Ipv6TooLarge => AnomalyType::Decode,
                    _ => AnomalyType::Defrag,
                },
                event: ev.name(),
                app_proto: None,
                source: at.map_or(0, |a| a.0.source),
            });
        }
    }

    /// Takes a fragment frame; when its datagram is complete, writes the
    /// rebuilt IP packet to `out` and returns true (the caller decodes it and
    /// hands its frames back to [`FlowEngine::process`]).
    pub fn defragment<O: FlowObserver>(
        &mut self,
        meta: &PacketMeta,
        frame: &Frame,
        frag: &FragInfo,
        out: &mut Vec<u8>,
        obs: &mut O,
    ) -> bool {
        self.advance(meta.ts, obs);
        let done = self
            .defrag
            .insert(frame, frag, meta.ts, out, &mut self.defrag_events);
        if !self.defrag_events.is_empty() {
            self.emit_defrag_events(Some((meta, frame)), obs);
        }
        done
    }

    fn evict_one<O: FlowObserver>(&mut self, obs: &mut O) {
        // The live flow with the earliest queued expiry.
        loop {
            let mut best: Option<(usize, u64)> = None;
            for (q, queue) in self.queues.iter().enumerate() {
                if let Some(e) = queue.front() {
                    if best.is_none_or(|(_, x)| e.expiry < x) {
                        best = Some((q, e.expiry));
                    }
                }
            }
            let Some((q, _)) = best else { return };
            let Some(e) = self.queues[q].pop_front() else {
                return;
            };
            let live = self
                .slots
                .get(e.slot as usize)
                .and_then(|s| s.as_ref())
                .is_some_and(|f| f.stamp == e.stamp);
            if live {
                self.end_flow(e.slot, EndReason::Forced, obs);
                self.counters.end_forced += 1;
                self.counters.memcap_evictions += 1;
                return;
            }
        }
    }

    /// Tracks one (non-fragment) frame. Returns the flow it belongs to and
    /// the packet's direction, or None if the frame cannot be tracked.
    pub fn process<O: FlowObserver>(
        &mut self,
        meta: &PacketMeta,
        frame: &Frame,
        obs: &mut O,
    ) -> Option<(FlowRef, Direction)> {
        self.advance(meta.ts, obs);
        if frame.ip.src == [0; 16] && frame.ip.dst == [0; 16] && frame.ip.proto == 0 {
            self.counters.untracked += 1;
            return None;
        }
        let (key, src_is_a) = FlowKey::from_frame(frame);
        let tcp_info = match frame.l4 {
            L4::Tcp(t) => Some(t),
            _ => None,
        };
        let mut slot = self.map.get(&key).copied();
        // A flow idle past its timeout is over even if no expiry pass has
        // run since (passes run once a second of packet time): this keeps
        // flow boundaries exact and independent of the thread count.
        if let Some(s) = slot {
            if self.is_expired(s, meta.ts) {
                self.end_flow(s, EndReason::Timeout, obs);
                self.counters.end_timeout += 1;
                slot = None;
            }
        }
        // TCP port reuse: a fresh SYN on a closed session starts a new flow.
        if let (Some(s), Some(t)) = (slot, tcp_info) {
            let is_syn = t.flags & 0x12 == 0x02;
            let closed = self
                .flow(s)
                .and_then(|f| f.tcp.as_ref())
                .is_some_and(|ts| ts.state == TcpState::Closed);
            if is_syn && closed {
                self.end_flow(s, EndReason::Forced, obs);
                self.counters.end_forced += 1;
                self.counters.tcp_reuse += 1;
                slot = None;
            }
        }
        let slot = match slot {
            Some(s) => s,
            None => self.create(meta, frame, key, src_is_a, tcp_info, obs),
        };
        let midstream = self.cfg.stream.midstream;
        let flow = self.slots.get_mut(slot as usize)?.as_mut()?;
        let dir = if src_is_a == flow.client_is_a {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        let di = dir.index();
        let state_before = flow.state();
        flow.pkts[di] += 1;
        flow.bytes[di] += frame.len as u64;
        if meta.ts > flow.last {
            flow.last = meta.ts;
        }
        let fref = FlowRef { id: flow.id, slot };
        obs.packet_flow(fref, dir);
        match frame.l4 {
            L4::Tcp(t) => {
                flow.tcp_flags[di] |= t.flags;
                if frame.checksum == palisade_wire::ChecksumStatus::BadL4 && self.drop_bad_checksums
                {
                    self.tcp_stats.invalid_checksum += 1;
                } else if let Some(sess) = flow.tcp.as_mut() {
                    sess.segment(
                        &mut self.stream,
                        &mut self.tcp_stats,
                        midstream,
                        dir,
                        &t,
                        frame.payload,
                        &mut |d, c| match c {
                            Chunk::Data(b) => obs.stream_data(fref, d, b),
                            Chunk::Gap(n) => obs.stream_gap(fref, d, n),
                        },
                    );
                }
            }
            L4::Udp { .. } if !frame.payload.is_empty() => {
                obs.udp_payload(fref, dir, frame.payload);
            }
            _ => {}
        }
        let changed = flow.state() != state_before;
        if !self.stream.events.is_empty() {
            let tuple = frame_tuple(frame);
            for ev in self.stream.events.drain(..) {
                obs.anomaly(AnomalyRecord {
                    timestamp: meta.ts,
                    pcap_cnt: Some(meta.pcap_cnt),
                    flow_id: Some(fref.id),
                    tuple: Some(tuple),
                    kind: AnomalyType::Stream,
                    event: stream_event_name(ev),
                    app_proto: None,
                    source: meta.source,
                });
            }
        }
        if changed {
            self.enqueue(slot);
        }
        Some((fref, dir))
    }

    fn create<O: FlowObserver>(
        &mut self,
        meta: &PacketMeta,
        frame: &Frame,
        key: FlowKey,
        src_is_a: bool,
        tcp_info: Option<palisade_wire::TcpInfo>,
        obs: &mut O,
    ) -> u32 {
        if self.live >= self.max_flows {
            if !self.evicting {
                self.evicting = true;
                obs.anomaly(AnomalyRecord {
                    timestamp: meta.ts,
                    pcap_cnt: Some(meta.pcap_cnt),
                    flow_id: None,
                    tuple: Some(frame_tuple(frame)),
                    kind: AnomalyType::Flow,
                    event: "flow.memcap_reached",
                    app_proto: None,
                    source: meta.source,
                });
            }
            self.evict_one(obs);
        } else if self.evicting && self.live < self.max_flows * 9 / 10 {
            self.evicting = false;
        }
        // A SYN/ACK seen first means the receiver opened the connection.
        let client_is_a = match tcp_info {
            Some(t) if t.flags & 0x12 == 0x12 => !src_is_a,
            _ => src_is_a,
        };
        let tcp = if key.proto == ip_proto::TCP {
            self.tcp_stats.sessions += 1;
            Some(self.session_pool.pop().unwrap_or_default())
        } else {
            None
        };
        self.counters.total += 1;
        match key.proto {
            ip_proto::TCP => self.counters.tcp += 1,
            ip_proto::UDP => self.counters.udp += 1,
            ip_proto::ICMP => self.counters.icmpv4 += 1,
            ip_proto::ICMPV6 => self.counters.icmpv6 += 1,
            _ => self.counters.other += 1,
        }
        let flow = Flow {
            key,
            id: flow_id(&key, meta.ts.as_nanos()),
            client_is_a,
            start: meta.ts,
            last: meta.ts,
            pkts: [0; 2],
            bytes: [0; 2],
            tcp_flags: [0; 2],
            tcp,
            app_proto: None,
            alerted: false,
            source: meta.source,
            stamp: 0,
            class: 0,
        };
        let slot = match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = Some(flow);
                s
            }
            None => {
                self.slots.push(Some(flow));
                (self.slots.len() - 1) as u32
            }
        };
        self.map.insert(key, slot);
        self.live += 1;
        self.counters.active_max = self.counters.active_max.max(self.live as u64);
        self.enqueue(slot);
        slot
    }

    fn end_flow<O: FlowObserver>(&mut self, slot: u32, reason: EndReason, obs: &mut O) {
        let Some(mut flow) = self.slots.get_mut(slot as usize).and_then(|s| s.take()) else {
            return;
        };
        self.map.remove(&flow.key);
        self.free.push(slot);
        self.live -= 1;
        let fref = FlowRef { id: flow.id, slot };
        let record = flow_record(&flow, reason);
        obs.flow_ending(fref, &record);
        if let Some(sess) = flow.tcp.as_mut() {
            sess.flush(&mut self.stream, &mut |d, c| match c {
                Chunk::Data(b) => obs.stream_data(fref, d, b),
                Chunk::Gap(n) => obs.stream_gap(fref, d, n),
            });
            if !self.stream.events.is_empty() {
                for ev in self.stream.events.drain(..) {
                    obs.anomaly(AnomalyRecord {
                        timestamp: flow.last,
                        pcap_cnt: None,
                        flow_id: Some(flow.id),
                        tuple: None,
                        kind: AnomalyType::Stream,
                        event: stream_event_name(ev),
                        app_proto: None,
                        source: flow.source,
                    });
                }
            }
        }
        match reason {
            EndReason::Shutdown => self.counters.end_shutdown += 1,
            EndReason::Timeout | EndReason::Forced => {}
        }
        if let Some(mut sess) = flow.tcp.take() {
            sess.reset(&mut self.stream);
            if self.session_pool.len() < SESSION_POOL_MAX {
                self.session_pool.push(sess);
            }
        }
        obs.flow_end(record);
    }

    fn is_expired(&self, slot: u32, now: Timestamp) -> bool {
        self.flow(slot).is_some_and(|f| {
            f.last
                .as_nanos()
                .saturating_add(self.timeouts_ns[Self::class_of(f.key.proto, f.state()) as usize])
                <= now.as_nanos()
        })
    }

    /// Ends every open flow (end of input), oldest first: flows already idle
    /// past their timeout at the last packet time end as `timeout`, the rest
    /// as `shutdown`.
    pub fn shutdown<O: FlowObserver>(&mut self, obs: &mut O) {
        let mut open: Vec<(Timestamp, u64, u32)> = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_ref().map(|f| (f.start, f.id, i as u32)))
            .collect();
        open.sort_unstable();
        for (_, _, slot) in open {
            if self.is_expired(slot, self.clock) {
                self.end_flow(slot, EndReason::Timeout, obs);
                self.counters.end_timeout += 1;
            } else {
                self.end_flow(slot, EndReason::Shutdown, obs);
            }
        }
        for q in self.queues.iter_mut() {
            q.clear();
        }
    }
}

fn stream_event_name(ev: StreamEvent) -> &'static str {
    ev.name()
}

/// The EVE record of a flow.
pub fn flow_record(flow: &Flow, reason: EndReason) -> FlowRecord {
    let k = &flow.key;
    let (c_addr, c_port, s_addr, s_port) = if flow.client_is_a {
        (&k.addr_a, k.port_a, &k.addr_b, k.port_b)
    } else {
        (&k.addr_b, k.port_b, &k.addr_a, k.port_a)
    };
    let has_ports = matches!(k.proto, ip_proto::TCP | ip_proto::UDP | ip_proto::SCTP);
    let vlan: Vec<u16> = k.vlans.iter().copied().take_while(|v| *v != 0).collect();
    FlowRecord {
        flow_id: flow.id,
        tuple: Tuple {
            src_ip: to_ip(c_addr, k.is_v4),
            src_port: has_ports.then_some(c_port),
            dest_ip: to_ip(s_addr, k.is_v4),
            dest_port: has_ports.then_some(s_port),
            proto: k.proto,
        },
        vlan,
        tunnel_id: k.tunnel_id,
        app_proto: flow.app_proto,
        flow: FlowStats {
            pkts_toserver: flow.pkts[0],
            pkts_toclient: flow.pkts[1],
            bytes_toserver: flow.bytes[0],
            bytes_toclient: flow.bytes[1],
            start: flow.start,
            end: flow.last,
            age: flow.last.secs_since(flow.start),
            state: flow.state(),
            reason,
            alerted: flow.alerted,
        },
        tcp: flow.tcp.as_ref().map(|t| TcpSummary {
            flags_ts: flow.tcp_flags[0],
            flags_tc: flow.tcp_flags[1],
            state: t.state.name(),
        }),
        source: flow.source,
    }
}
