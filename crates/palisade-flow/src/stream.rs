//! One direction of a TCP byte stream: ordering, overlaps, gaps, depth.
//!
//! Segments arrive in capture order; the consumer must see the sender's bytes
//! in sequence order, exactly once, with a marker wherever bytes are missing.
//! The policy, as in Suricata's default:
//!
//! - **First wins.** A byte already received (delivered, or buffered out of
//!   order) keeps its first value; a later segment covering it with different
//!   data raises `stream.reassembly_overlap_different_data`.
//! - **In order, at once.** Data that continues the stream is handed over as
//!   soon as it arrives, as a slice of the packet (no copy); buffered
//!   out-of-order segments that become contiguous follow right after it.
//! - **Gaps** are declared when the peer acknowledges bytes that were never
//!   seen (capture loss), when buffered out-of-order data exceeds its limit,
//!   and when the flow ends with data still buffered. The consumer receives a
//!   `Gap(len)` and then the stream resumes.
//! - **Depth.** After `reassembly_depth` bytes the direction stops being
//!   reassembled (counted once).
//! - Delivered bytes are retained until the peer acknowledges them (at most
//!   `retain_bytes`), so retransmissions can be compared with what was
//!   delivered; retransmissions of data already acknowledged are counted but
//!   cannot be compared.
//!
//! Positions are 64-bit offsets relative to the initial sequence number, so
//! 32-bit sequence wrap-around is invisible above this module.

use std::collections::{BTreeMap, VecDeque};

/// What the consumer of a stream receives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chunk<'a> {
    /// The next bytes of the stream.
    Data(&'a [u8]),
    /// `len` bytes are missing; the stream resumes after them.
    Gap(u64),
}

/// Stream anomalies, named as Suricata's stream events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamEvent {
    /// A segment overlapped received data with different bytes.
    OverlapDifferentData,
    /// Bytes were missing (a gap was declared).
    SeqGap,
    /// The reassembly memcap was hit; a segment was not buffered.
    InsertMemcap,
    /// The per-direction buffer limit was hit.
    InsertLimit,
    /// A segment lies absurdly far from the expected sequence number.
    OutOfWindow,
    /// SYN/ACK whose acknowledgement is not the client's ISN + 1.
    SynAckWrongAck,
    /// ACK that acknowledges data far beyond anything sent.
    InvalidAck,
    /// Data in a direction before its SYN while midstream is off.
    NoSession,
}

impl StreamEvent {
    /// EVE event name.
    pub fn name(self) -> &'static str {
        match self {
            StreamEvent::OverlapDifferentData => "stream.reassembly_overlap_different_data",
            StreamEvent::SeqGap => "stream.reassembly_seq_gap",
            StreamEvent::InsertMemcap => "stream.reassembly_insert_memcap",
            StreamEvent::InsertLimit => "stream.reassembly_insert_limit",
            StreamEvent::OutOfWindow => "stream.est_packet_out_of_window",
            StreamEvent::SynAckWrongAck => "stream.3whs_synack_with_wrong_ack",
            StreamEvent::InvalidAck => "stream.pkt_invalid_ack",
            StreamEvent::NoSession => "stream.no_session",
        }
    }
}

/// Reassembly counters (Suricata's `tcp.*` reassembly counters).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StreamStats {
    /// Segments whose data lay entirely before the stream position.
    pub retransmission: u64,
    /// Segments overlapping received data.
    pub overlap: u64,
    /// ... of which with different data.
    pub overlap_diff_data: u64,
    /// Gaps declared.
    pub reassembly_gap: u64,
    /// Bytes skipped in gaps.
    pub reassembly_gap_bytes: u64,
    /// Segments buffered out of order.
    pub segments_out_of_order: u64,
    /// Segments not buffered because of the memcap.
    pub segment_memcap_drop: u64,
    /// Times the per-direction buffer limit forced a gap.
    pub insert_limit: u64,
    /// Directions that reached the depth limit.
    pub stream_depth_reached: u64,
    /// Bytes delivered in order to consumers.
    pub reassembled_bytes: u64,
}

/// Limits a stream obeys.
#[derive(Clone, Copy, Debug)]
pub struct StreamLimits {
    /// Depth per direction (0 = unlimited).
    pub depth: u64,
    /// Out-of-order bytes per direction.
    pub max_buffered: u64,
    /// Delivered bytes retained for comparison.
    pub retain: u64,
}

/// A memory budget shared by every stream of one worker.
#[derive(Clone, Copy, Debug, Default)]
pub struct MemBudget {
    /// Bytes in use.
    pub used: u64,
    /// Cap.
    pub cap: u64,
    /// Times the cap refused memory.
    pub refused: u64,
}

impl MemBudget {
    /// Takes `n` bytes if the cap allows; counts a refusal otherwise.
    pub fn try_take(&mut self, n: u64) -> bool {
        if self.used.saturating_add(n) > self.cap {
            self.refused += 1;
            false
        } else {
            self.used += n;
            true
        }
    }
    /// Returns `n` bytes.
    pub fn give(&mut self, n: u64) {
        self.used = self.used.saturating_sub(n);
    }
}

/// Shared context for stream operations: limits, memory, counters, and the
/// anomalies raised (drained by the caller after each packet).
pub struct StreamCtx {
    /// Limits.
    pub limits: StreamLimits,
    /// Memory budget.
    pub mem: MemBudget,
    /// Counters.
    pub stats: StreamStats,
    /// Anomalies raised since the caller last drained this.
    pub events: Vec<StreamEvent>,
    pieces: Vec<(u64, u64)>,
}

impl StreamCtx {
    /// A context with the given limits and memcap.
    pub fn new(limits: StreamLimits, memcap: u64) -> Self {
        StreamCtx {
            limits,
            mem: MemBudget {
                used: 0,
                cap: memcap,
                refused: 0,
            },
            stats: StreamStats::default(),
            events: Vec::new(),
            pieces: Vec::new(),
        }
    }
}

/// Retained-buffer capacity a pooled stream may keep across reuse.
const RETAIN_KEEP_CAPACITY: usize = 1024;

/// Largest distance from the expected position a segment or ACK may have
/// before it is treated as bogus (1 GiB, far above any real window).
const MAX_SEQ_DISTANCE: i64 = 1 << 30;

/// One direction of a TCP stream.
#[derive(Debug, Default)]
pub struct StreamDir {
    started: bool,
    /// Sequence number of the byte at relative offset `delivered`.
    next_seq: u32,
    /// Bytes delivered or skipped as gaps: the relative offset of `next_seq`.
    delivered: u64,
    retained: VecDeque<u8>,
    ooo: BTreeMap<u64, Vec<u8>>,
    ooo_bytes: u64,
    fin_at: Option<u64>,
    depth_reached: bool,
}

impl StreamDir {
    /// Whether reassembly runs for this direction.
    pub fn started(&self) -> bool {
        self.started
    }

    /// Bytes delivered or skipped so far.
    pub fn position(&self) -> u64 {
        self.delivered
    }

    /// Out-of-order bytes currently buffered.
    pub fn buffered(&self) -> u64 {
        self.ooo_bytes
    }

    /// Starts the direction; `first_data_seq` is the sequence number of its
    /// first data byte (ISN + 1 after a SYN, or the first segment's sequence
    /// number when picked up midstream).
    pub fn start(&mut self, first_data_seq: u32) {
        self.started = true;
        self.next_seq = first_data_seq;
        self.delivered = 0;
    }

    /// Resets for reuse, returning memory to the budget.
    pub fn reset(&mut self, ctx: &mut StreamCtx) {
        ctx.mem.give(self.retained.len() as u64 + self.ooo_bytes);
        self.retained.clear();
        // Sessions are pooled for reuse: keep a small buffer, not one a bulk
        // transfer grew to, or the pool would hold memory no flow uses.
        if self.retained.capacity() > RETAIN_KEEP_CAPACITY {
            self.retained = VecDeque::new();
        }
        self.ooo.clear();
        self.ooo_bytes = 0;
        self.started = false;
        self.next_seq = 0;
        self.delivered = 0;
        self.fin_at = None;
        self.depth_reached = false;
    }

    /// Relative offset of a sequence number, or None if absurdly far.
    fn rel(&self, seq: u32) -> Option<u64> {
        let diff = seq.wrapping_sub(self.next_seq) as i32 as i64;
        if !(-MAX_SEQ_DISTANCE..=MAX_SEQ_DISTANCE).contains(&diff) {
            return None;
        }
        let r = self.delivered as i64 + diff;
        if r < 0 {
            None
        } else {
            Some(r as u64)
        }
    }

    /// Records the FIN: the stream ends at `seq` (the FIN's own sequence
    /// number plus the segment's data length).
    pub fn fin(&mut self, seq_after_data: u32) {
        if self.started {
            if let Some(r) = self.rel(seq_after_data) {
                self.fin_at.get_or_insert(r);
            }
        }
    }

    /// Adds one segment's data starting at sequence number `seq`.
    pub fn segment<F: FnMut(Chunk<'_>)>(
        &mut self,
        ctx: &mut StreamCtx,
        seq: u32,
        data: &[u8],
        emit: &mut F,
    ) {
        if !self.started || data.is_empty() {
            return;
        }
        if self.depth_reached {
            return;
        }
        let diff = seq.wrapping_sub(self.next_seq) as i32 as i64;
        if !(-MAX_SEQ_DISTANCE..=MAX_SEQ_DISTANCE).contains(&diff) {
            ctx.events.push(StreamEvent::OutOfWindow);
            return;
        }
        let start = self.delivered as i64 + diff;
        // A segment starting before the stream's first byte (e.g. one that
        // repeats the SYN's sequence number) contributes only its tail.
        let (off, data) = if start < 0 {
            let skip = start.unsigned_abs();
            if skip >= data.len() as u64 {
                ctx.stats.retransmission += 1;
                return;
            }
            (0u64, &data[skip as usize..])
        } else {
            (start as u64, data)
        };
        let end = off + data.len() as u64;
        let mut pieces = std::mem::take(&mut ctx.pieces);
        pieces.clear();
        let had_overlap = self.cut_against_known(ctx, off, data, &mut pieces);
        if end <= self.delivered {
            ctx.stats.retransmission += 1;
        } else if had_overlap {
            ctx.stats.overlap += 1;
        }
        for &(ps, pe) in &pieces {
            let lo = (ps - off) as usize;
            let hi = (pe - off) as usize;
            let Some(bytes) = data.get(lo..hi) else {
                continue;
            };
            if ps == self.delivered {
                self.deliver(ctx, bytes, emit);
                self.drain(ctx, emit);
            } else if ps > self.delivered {
                self.buffer(ctx, ps, bytes, emit);
            }
            if self.depth_reached {
                break;
            }
        }
        ctx.pieces = pieces;
    }

    /// Splits [off, off+len) into the parts not yet known (pushed to
    /// `pieces`), comparing the known parts with what was received first.
    /// Returns whether any part overlapped known data.
    fn cut_against_known(
        &self,
        ctx: &mut StreamCtx,
        off: u64,
        data: &[u8],
        pieces: &mut Vec<(u64, u64)>,
    ) -> bool {
        let end = off + data.len() as u64;
        let mut overlap = false;
        let mut differs = false;
        // Part already delivered: compare with the retained copy.
        let mut cursor = off;
        if off < self.delivered {
            overlap = true;
            let old_end = end.min(self.delivered);
            let ret_start = self.delivered - self.retained.len() as u64;
            let cmp_from = off.max(ret_start);
            if cmp_from < old_end {
                let (a, b) = self.retained.as_slices();
                for pos in cmp_from..old_end {
                    let ri = (pos - ret_start) as usize;
                    let old = if ri < a.len() {
                        a.get(ri)
                    } else {
                        b.get(ri - a.len())
                    };
                    let new = data.get((pos - off) as usize);
                    if old != new {
                        differs = true;
                        break;
                    }
                }
            }
            cursor = old_end;
        }
        // Parts buffered out of order.
        if cursor < end && !self.ooo.is_empty() {
            let first = self
                .ooo
                .range(..=cursor)
                .next_back()
                .map(|(k, _)| *k)
                .unwrap_or(cursor);
            for (&s, seg) in self.ooo.range(first..end) {
                let e = s + seg.len() as u64;
                if e <= cursor {
                    continue;
                }
                if s > cursor {
                    pieces.push((cursor, s));
                }
                overlap = true;
                let cs = s.max(cursor);
                let ce = e.min(end);
                if !differs {
                    let old = seg.get((cs - s) as usize..(ce - s) as usize);
                    let new = data.get((cs - off) as usize..(ce - off) as usize);
                    if old != new {
                        differs = true;
                    }
                }
                cursor = cursor.max(e);
                if cursor >= end {
                    break;
                }
            }
        }
        if cursor < end {
            pieces.push((cursor, end));
        }
        if differs {
            ctx.stats.overlap_diff_data += 1;
            ctx.events.push(StreamEvent::OverlapDifferentData);
        }
        overlap
    }

    fn deliver<F: FnMut(Chunk<'_>)>(&mut self, ctx: &mut StreamCtx, bytes: &[u8], emit: &mut F) {
        let mut bytes = bytes;
        if ctx.limits.depth > 0 {
            let room = ctx.limits.depth.saturating_sub(self.delivered);
            if (bytes.len() as u64) >= room {
                bytes = &bytes[..room as usize];
                self.depth_reached = true;
            }
        }
        if !bytes.is_empty() {
            emit(Chunk::Data(bytes));
            ctx.stats.reassembled_bytes += bytes.len() as u64;
            self.advance(bytes.len() as u64);
            self.retain(ctx, bytes);
        }
        if self.depth_reached {
            // Counted, not raised: reaching the depth is normal for bulk
            // transfers (camera streams, firmware downloads).
            ctx.stats.stream_depth_reached += 1;
            let freed = self.ooo_bytes + self.retained.len() as u64;
            ctx.mem.give(freed);
            self.ooo.clear();
            self.ooo_bytes = 0;
            self.retained.clear();
        }
    }

    fn advance(&mut self, n: u64) {
        self.delivered += n;
        self.next_seq = self.next_seq.wrapping_add(n as u32);
    }

    fn retain(&mut self, ctx: &mut StreamCtx, bytes: &[u8]) {
        let cap = ctx.limits.retain as usize;
        if cap == 0 {
            return;
        }
        let take = bytes.len().min(cap);
        let src = &bytes[bytes.len() - take..];
        // Make room by dropping the oldest bytes beyond the retain limit.
        let over = (self.retained.len() + take).saturating_sub(cap);
        if over > 0 {
            self.retained.drain(..over.min(self.retained.len()));
            ctx.mem.give(over as u64);
        }
        if ctx.mem.try_take(take as u64) {
            self.retained.extend(src);
        } else {
            // Under memory pressure, stop retaining: comparisons are lost,
            // reassembly is not.
            ctx.mem.give(self.retained.len() as u64);
            self.retained.clear();
        }
    }

    fn buffer<F: FnMut(Chunk<'_>)>(
        &mut self,
        ctx: &mut StreamCtx,
        at: u64,
        bytes: &[u8],
        emit: &mut F,
    ) {
        if ctx.limits.depth > 0 && at >= ctx.limits.depth {
            return;
        }
        let n = bytes.len() as u64;
        if self.ooo_bytes + n > ctx.limits.max_buffered {
            // Too much waiting for missing bytes: they are not coming.
            ctx.stats.insert_limit += 1;
            ctx.events.push(StreamEvent::InsertLimit);
            self.gap_to_first_buffered(ctx, emit);
            if at == self.delivered {
                self.deliver(ctx, bytes, emit);
                self.drain(ctx, emit);
                return;
            }
            if at < self.delivered || self.depth_reached {
                return;
            }
        }
        if !ctx.mem.try_take(n) {
            ctx.stats.segment_memcap_drop += 1;
            ctx.events.push(StreamEvent::InsertMemcap);
            return;
        }
        ctx.stats.segments_out_of_order += 1;
        self.ooo_bytes += n;
        self.ooo.insert(at, bytes.to_vec());
    }

    /// Delivers buffered segments that are now contiguous.
    fn drain<F: FnMut(Chunk<'_>)>(&mut self, ctx: &mut StreamCtx, emit: &mut F) {
        while !self.depth_reached {
            let Some((&s, _)) = self.ooo.first_key_value() else {
                return;
            };
            if s > self.delivered {
                return;
            }
            let Some(seg) = self.ooo.remove(&s) else {
                return;
            };
            self.ooo_bytes -= seg.len() as u64;
            ctx.mem.give(seg.len() as u64);
            let e = s + seg.len() as u64;
            if e > self.delivered {
                let from = (self.delivered - s) as usize;
                self.deliver(ctx, &seg[from..], emit);
            }
        }
    }

    fn gap<F: FnMut(Chunk<'_>)>(&mut self, ctx: &mut StreamCtx, len: u64, emit: &mut F) {
        if len == 0 || self.depth_reached {
            return;
        }
        emit(Chunk::Gap(len));
        ctx.stats.reassembly_gap += 1;
        ctx.stats.reassembly_gap_bytes += len;
        ctx.events.push(StreamEvent::SeqGap);
        self.advance(len);
        // Retained bytes no longer end at the stream position.
        ctx.mem.give(self.retained.len() as u64);
        self.retained.clear();
        if ctx.limits.depth > 0 && self.delivered >= ctx.limits.depth {
            self.depth_reached = true;
            ctx.stats.stream_depth_reached += 1;
            ctx.mem.give(self.ooo_bytes);
            self.ooo.clear();
            self.ooo_bytes = 0;
        }
    }

    fn gap_to_first_buffered<F: FnMut(Chunk<'_>)>(&mut self, ctx: &mut StreamCtx, emit: &mut F) {
        if let Some((&s, _)) = self.ooo.first_key_value() {
            if s > self.delivered {
                self.gap(ctx, s - self.delivered, emit);
            }
            self.drain(ctx, emit);
        }
    }

    /// The peer acknowledged up to `ack`: trims retained data and declares a
    /// gap if bytes it acknowledges were never seen.
    pub fn acked<F: FnMut(Chunk<'_>)>(&mut self, ctx: &mut StreamCtx, ack: u32, emit: &mut F) {
        if !self.started || self.depth_reached {
            return;
        }
        let Some(mut a) = self.rel(ack) else {
            ctx.events.push(StreamEvent::InvalidAck);
            return;
        };
        // The FIN occupies one sequence number but carries no data.
        if let Some(f) = self.fin_at {
            a = a.min(f);
        }
        // Trim retained data the peer has confirmed.
        let ret_start = self.delivered - self.retained.len() as u64;
        if a > ret_start {
            let n = (a.min(self.delivered) - ret_start) as usize;
            self.retained.drain(..n);
            ctx.mem.give(n as u64);
        }
        while a > self.delivered && !self.depth_reached {
            match self.ooo.first_key_value().map(|(k, _)| *k) {
                Some(s) if s < a => {
                    self.gap(ctx, s - self.delivered, emit);
                    self.drain(ctx, emit);
                }
                _ => {
                    let len = a - self.delivered;
                    self.gap(ctx, len, emit);
                }
            }
        }
    }

    /// The stream ends (flow end, RST): flushes buffered data with gaps
    /// before each hole.
    pub fn flush<F: FnMut(Chunk<'_>)>(&mut self, ctx: &mut StreamCtx, emit: &mut F) {
        while !self.ooo.is_empty() && !self.depth_reached {
            self.gap_to_first_buffered(ctx, emit);
        }
        ctx.mem.give(self.ooo_bytes);
        self.ooo.clear();
        self.ooo_bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> StreamCtx {
        StreamCtx::new(
            StreamLimits {
                depth: 0,
                max_buffered: 1 << 20,
                retain: 1 << 16,
            },
            1 << 30,
        )
    }

    /// Collects chunks as a string: data verbatim, gaps as `[gap N]`.
    #[derive(Default)]
    struct Out(String);
    impl Out {
        fn f(&mut self) -> impl FnMut(Chunk<'_>) + '_ {
            |c| match c {
                Chunk::Data(d) => self.0.push_str(std::str::from_utf8(d).unwrap()),
                Chunk::Gap(n) => self.0.push_str(&format!("[gap {n}]")),
            }
        }
    }

    const ISN: u32 = 1000;

    fn dir() -> StreamDir {
        let mut d = StreamDir::default();
        d.start(ISN + 1);
        d
    }

    #[test]
    fn in_order() {
        let (mut c, mut d, mut o) = (ctx(), dir(), Out::default());
        d.segment(&mut c, ISN + 1, b"hello ", &mut o.f());
        d.segment(&mut c, ISN + 7, b"world", &mut o.f());
        assert_eq!(o.0, "hello world");
        assert_eq!(d.position(), 11);
        assert!(c.events.is_empty());
    }

    #[test]
    fn out_of_order_is_delivered_in_order() {
        let (mut c, mut d, mut o) = (ctx(), dir(), Out::default());
        d.segment(&mut c, ISN + 7, b"world", &mut o.f());
        d.segment(&mut c, ISN + 12, b"!", &mut o.f());
        assert_eq!(o.0, "");
        assert_eq!(d.buffered(), 6);
        d.segment(&mut c, ISN + 1, b"hello ", &mut o.f());
        assert_eq!(o.0, "hello world!");
        assert_eq!(d.buffered(), 0);
        assert_eq!(c.stats.segments_out_of_order, 2);
        assert_eq!(c.mem.used, 12, "only retained bytes stay accounted");
    }

    #[test]
    fn retransmission_same_data_is_silent() {
        let (mut c, mut d, mut o) = (ctx(), dir(), Out::default());
        d.segment(&mut c, ISN + 1, b"hello", &mut o.f());
        d.segment(&mut c, ISN + 1, b"hello", &mut o.f());
        assert_eq!(o.0, "hello");
        assert_eq!(c.stats.retransmission, 1);
        assert_eq!(c.stats.overlap_diff_data, 0);
        assert!(c.events.is_empty());
    }

    #[test]
    fn overlap_with_different_data_first_wins() {
        let (mut c, mut d, mut o) = (ctx(), dir(), Out::default());
        d.segment(&mut c, ISN + 1, b"hello", &mut o.f());
        // overlaps "llo" with "LLO" and extends with " you"
        d.segment(&mut c, ISN + 3, b"LLO you", &mut o.f());
        assert_eq!(o.0, "hello you");
        assert_eq!(c.stats.overlap, 1);
        assert_eq!(c.stats.overlap_diff_data, 1);
        assert_eq!(c.events, vec![StreamEvent::OverlapDifferentData]);
    }

    #[test]
    fn overlap_between_buffered_segments_first_wins() {
        let (mut c, mut d, mut o) = (ctx(), dir(), Out::default());
        d.segment(&mut c, ISN + 4, b"DEF", &mut o.f()); // offsets 3..6
        d.segment(&mut c, ISN + 3, b"cdXgh", &mut o.f()); // 2..7 overlaps DEF with dXg
        d.segment(&mut c, ISN + 1, b"ab", &mut o.f());
        assert_eq!(o.0, "abcDEFh");
        assert_eq!(c.stats.overlap_diff_data, 1);
    }

    #[test]
    fn ack_beyond_seen_data_is_a_gap_then_resumes() {
        let (mut c, mut d, mut o) = (ctx(), dir(), Out::default());
        d.segment(&mut c, ISN + 1, b"abc", &mut o.f());
        // "def" (offsets 3..6) lost in capture; "ghi" arrives out of order
        d.segment(&mut c, ISN + 7, b"ghi", &mut o.f());
        d.acked(&mut c, ISN + 10, &mut o.f());
        assert_eq!(o.0, "abc[gap 3]ghi");
        d.segment(&mut c, ISN + 10, b"jk", &mut o.f());
        assert_eq!(o.0, "abc[gap 3]ghijk");
        assert_eq!(c.stats.reassembly_gap, 1);
        assert_eq!(c.events, vec![StreamEvent::SeqGap]);
    }

    #[test]
    fn ack_of_fin_is_not_a_gap() {
        let (mut c, mut d, mut o) = (ctx(), dir(), Out::default());
        d.segment(&mut c, ISN + 1, b"abc", &mut o.f());
        d.fin(ISN + 4);
        d.acked(&mut c, ISN + 5, &mut o.f());
        assert_eq!(o.0, "abc");
        assert_eq!(c.stats.reassembly_gap, 0);
    }

    #[test]
    fn flush_declares_gaps_before_buffered_data() {
        let (mut c, mut d, mut o) = (ctx(), dir(), Out::default());
        d.segment(&mut c, ISN + 1, b"ab", &mut o.f());
        d.segment(&mut c, ISN + 5, b"ef", &mut o.f());
        d.segment(&mut c, ISN + 9, b"ij", &mut o.f());
        d.flush(&mut c, &mut o.f());
        assert_eq!(o.0, "ab[gap 2]ef[gap 2]ij");
        assert_eq!(c.mem.used, d.retained.len() as u64);
    }

    #[test]
    fn depth_limit_stops_reassembly() {
        let mut c = ctx();
        c.limits.depth = 5;
        let (mut d, mut o) = (dir(), Out::default());
        d.segment(&mut c, ISN + 1, b"abc", &mut o.f());
        d.segment(&mut c, ISN + 4, b"defgh", &mut o.f());
        d.segment(&mut c, ISN + 9, b"ijk", &mut o.f());
        assert_eq!(o.0, "abcde");
        assert_eq!(c.stats.stream_depth_reached, 1);
        assert!(c.events.is_empty(), "depth is counted, not an anomaly");
    }

    #[test]
    fn buffer_limit_forces_gap() {
        let mut c = ctx();
        c.limits.max_buffered = 4;
        let (mut d, mut o) = (dir(), Out::default());
        d.segment(&mut c, ISN + 11, b"xyz", &mut o.f()); // 10..13 buffered
        d.segment(&mut c, ISN + 14, b"uv", &mut o.f()); // would exceed 4
        assert_eq!(o.0, "[gap 10]xyzuv");
        // "uv" at 13 is now contiguous and was delivered after the gap
        d.segment(&mut c, ISN + 16, b"w", &mut o.f());
        assert_eq!(o.0, "[gap 10]xyzuvw");
        assert_eq!(c.stats.insert_limit, 1);
    }

    #[test]
    fn memcap_refuses_buffering() {
        let mut c = StreamCtx::new(
            StreamLimits {
                depth: 0,
                max_buffered: 1 << 20,
                retain: 0,
            },
            4,
        );
        let (mut d, mut o) = (dir(), Out::default());
        d.segment(&mut c, ISN + 3, b"cdefgh", &mut o.f());
        assert_eq!(c.stats.segment_memcap_drop, 1);
        assert_eq!(c.events, vec![StreamEvent::InsertMemcap]);
        assert_eq!(d.buffered(), 0);
        // in-order data still flows without memory
        d.segment(&mut c, ISN + 1, b"ab", &mut o.f());
        assert_eq!(o.0, "ab");
    }

    #[test]
    fn sequence_wraparound() {
        let (mut c, mut o) = (ctx(), Out::default());
        let mut d = StreamDir::default();
        d.start(u32::MAX - 1);
        d.segment(&mut c, u32::MAX - 1, b"ab", &mut o.f());
        d.segment(&mut c, 0, b"cd", &mut o.f());
        d.segment(&mut c, 3, b"f", &mut o.f());
        d.segment(&mut c, 2, b"e", &mut o.f());
        assert_eq!(o.0, "abcdef");
    }

    #[test]
    fn bogus_sequence_is_out_of_window() {
        let (mut c, mut d, mut o) = (ctx(), dir(), Out::default());
        d.segment(&mut c, ISN.wrapping_add(1 << 31), b"zz", &mut o.f());
        assert_eq!(o.0, "");
        assert_eq!(c.events, vec![StreamEvent::OutOfWindow]);
        assert_eq!(d.buffered(), 0);
    }

    #[test]
    fn segment_before_start_contributes_its_tail() {
        let (mut c, mut d, mut o) = (ctx(), dir(), Out::default());
        // starts 6 bytes before the first data byte: only "gh" is stream data
        d.segment(&mut c, ISN - 5, b"abcdefgh", &mut o.f());
        assert_eq!(o.0, "gh");
        d.segment(&mut c, ISN - 5, b"abc", &mut o.f());
        assert_eq!(o.0, "gh");
        assert_eq!(c.stats.retransmission, 1);
    }
}
