//! Running a rule set: per-worker scratch ([`DetectThread`]), per-flow state
//! ([`FlowDetect`]), and the three inspection entry points.
//!
//! - [`RuleSet::inspect_packet`]: header keywords, packet payloads, IP-only
//!   rules (first packet of each flow direction), and stream rules on
//!   packets that are not part of a reassembled stream.
//! - [`RuleSet::inspect_stream`]: reassembled data of one direction. Each
//!   direction keeps an inspection window (the last [`STREAM_WINDOW`]
//!   bytes); new data is scanned by the prefilter together with enough old
//!   bytes to find a pattern split across segments, and a candidate whose
//!   other keywords are not yet satisfied stays pending and is re-evaluated
//!   as the stream grows. A signature alerts at most once per window, so
//!   re-inspection never repeats an alert; when the window slides past its
//!   data (or after a gap) the signature may alert again on new data.
//! - [`RuleSet::inspect_tx`]: app-layer transactions through the buffers of
//!   [`crate::tx::Transaction`], at most one alert per signature and
//!   transaction.
//!
//! Each entry point has a `naive` twin that evaluates every signature with
//! no prefilter and no grouping; the semantics test table runs both and
//! they must agree.

use crate::buffers::BufferId;
use crate::keywords::flowbits::FlowVars;
use crate::keywords::threshold::ThresholdTable;
use crate::keywords::xbits::XbitsStore;
use crate::packet::PacketView;
use crate::payload::{self, BufferKey, InspectScratch};
use crate::prefilter::{CandidateSet, SigIdx};
use crate::ruleset::{class_slot, RuleSet};
use crate::signature::{SigKind, Signature, PROTO_ICMP, PROTO_OTHER, PROTO_TCP, PROTO_UDP};
use crate::tx::Transaction;
use palisade_rules::Action;
use std::net::IpAddr;

/// Stream bytes kept per direction for inspection.
pub const STREAM_WINDOW: usize = 16 * 1024;
/// Bytes kept when the window slides (context for relative matches).
pub const STREAM_OVERLAP: usize = 2048;
/// Pending stream candidates per direction.
pub const MAX_PENDING: usize = 256;
/// Alerts remembered per flow for once-per-transaction / once-per-window.
pub const MAX_ALERTED: usize = 256;
/// Alerts per packet/inspection (Suricata's packet-alert-max).
pub const MAX_ALERTS_PER_INSPECTION: usize = 15;
/// Threshold tracker entries per worker.
pub const THRESHOLD_ENTRIES: usize = 65536;
/// xbits entries per worker.
pub const XBITS_ENTRIES: usize = 65536;

/// An alert (or a silent match of a `pass`/`noalert` signature is not one).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Alert {
    /// Signature index in the rule set.
    pub sig: SigIdx,
    /// Action.
    pub action: Action,
    /// Transaction id for app-layer matches.
    pub tx_id: Option<u64>,
    /// Matched on reassembled stream data.
    pub stream: bool,
}

/// Where the matched data came from.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Source {
    Packet,
    Stream,
    Tx,
}

/// Per-direction stream inspection state.
#[derive(Default)]
struct StreamWindow {
    buf: Vec<u8>,
    pending: Vec<SigIdx>,
    alerted: Vec<SigIdx>,
}

/// Detection state of one flow. Lives with the flow in the worker.
#[derive(Default)]
pub struct FlowDetect {
    /// flowbits and flowints.
    pub vars: FlowVars,
    /// App-layer protocol once identified (Suricata's name).
    pub app_proto: Option<&'static str>,
    /// A `pass` rule matched: no more inspection of this flow.
    pub passed: bool,
    /// Some alert was raised on this flow (for `flow.alerted`).
    pub alerted: bool,
    seen_dir: [bool; 2],
    windows: [StreamWindow; 2],
    tx_alerted: Vec<(u64, SigIdx)>,
}

/// How per-flow detection state carries over from a running rule set to
/// a new one (live reload): a signature is the same when its gid, sid and
/// rev are; a flowbit or flowint when its name is.
pub struct Remap {
    sigs: Vec<Option<SigIdx>>,
    names: Vec<Option<u32>>,
}

impl Remap {
    /// The mapping from `old` to `new`.
    pub fn new(old: &RuleSet, new: &RuleSet) -> Remap {
        let by_id: std::collections::HashMap<(u32, u32, u32), SigIdx> = new
            .signatures()
            .iter()
            .map(|s| ((s.gid, s.sid, s.rev), s.index))
            .collect();
        let sigs = old
            .signatures()
            .iter()
            .map(|s| by_id.get(&(s.gid, s.sid, s.rev)).copied())
            .collect();
        let old_names = old.variable_names();
        let new_names = new.variable_names();
        let names = (0..old_names.len() as u32)
            .map(|id| old_names.name(id).and_then(|n| new_names.get(n)))
            .collect();
        Remap { sigs, names }
    }

    /// The new index of an old signature.
    pub fn sig(&self, old: SigIdx) -> Option<SigIdx> {
        self.sigs.get(old as usize).copied().flatten()
    }

    fn name(&self, old: u32) -> Option<u32> {
        self.names.get(old as usize).copied().flatten()
    }
}

impl FlowDetect {
    /// Moves this flow's state to a new rule set: variables by name,
    /// pending and already-alerted signatures by identity (so re-inspected
    /// stream data does not alert twice); the stream windows' bytes stay.
    pub fn remap(&mut self, m: &Remap) {
        self.vars.remap(|id| m.name(id));
        let map_list = |l: &mut Vec<SigIdx>| {
            let mut v: Vec<SigIdx> = l.iter().filter_map(|s| m.sig(*s)).collect();
            v.sort_unstable();
            v.dedup();
            *l = v;
        };
        for w in &mut self.windows {
            map_list(&mut w.pending);
            map_list(&mut w.alerted);
        }
        let tx: Vec<(u64, SigIdx)> = self
            .tx_alerted
            .iter()
            .filter_map(|(t, s)| m.sig(*s).map(|s| (*t, s)))
            .collect();
        self.tx_alerted = tx;
    }

    /// Clears for reuse by a new flow, keeping allocations.
    pub fn reset(&mut self) {
        self.vars = FlowVars::default();
        self.app_proto = None;
        self.passed = false;
        self.alerted = false;
        self.seen_dir = [false; 2];
        for w in &mut self.windows {
            w.buf.clear();
            w.pending.clear();
            w.alerted.clear();
        }
        self.tx_alerted.clear();
    }
}

/// Per-worker scratch and cross-flow state (thresholds, xbits).
pub struct DetectThread {
    cands: CandidateSet,
    scratch: InspectScratch,
    thresholds: ThresholdTable,
    xbits: XbitsStore,
    transform_buf: Vec<u8>,
    pending_scratch: Vec<SigIdx>,
    /// Counters.
    pub stats: DetectStats,
}

/// Detection counters of one worker.
#[derive(Clone, Debug, Default)]
pub struct DetectStats {
    /// Signatures fully evaluated.
    pub evaluated: u64,
    /// Matches (before thresholds).
    pub matched: u64,
    /// Alerts raised.
    pub alerts: u64,
    /// Alerts removed by thresholds, suppressions or the per-packet cap.
    pub suppressed: u64,
    /// Pending stream candidates dropped at the bound.
    pub pending_dropped: u64,
}

impl DetectThread {
    /// Scratch for `rules`.
    pub fn new(rules: &RuleSet) -> DetectThread {
        DetectThread {
            cands: CandidateSet::with_capacity(rules.len()),
            scratch: InspectScratch::new(),
            thresholds: ThresholdTable::new(THRESHOLD_ENTRIES),
            xbits: XbitsStore::new(XBITS_ENTRIES),
            transform_buf: Vec::new(),
            pending_scratch: Vec::new(),
            stats: DetectStats::default(),
        }
    }
}

pub(crate) fn l4_class(proto: u8) -> u8 {
    match proto {
        6 => PROTO_TCP,
        17 => PROTO_UDP,
        1 | 58 => PROTO_ICMP,
        _ => PROTO_OTHER,
    }
}

/// Does a rule's protocol accept the flow's (`http` rules match `http1`/`http2` flows)?
fn app_matches(rule: &str, flow: &str) -> bool {
    rule == flow || (rule == "http" && flow.starts_with("http"))
}

fn v4(ip: IpAddr) -> Option<u32> {
    match ip {
        IpAddr::V4(a) => Some(u32::from(a)),
        IpAddr::V6(_) => None,
    }
}

/// Context of one evaluation.
struct Eval<'a, 'p> {
    p: &'a PacketView<'p>,
    data: Option<&'a [u8]>,
    tx: Option<&'a dyn Transaction>,
    source: Source,
    now_secs: u64,
    flow_id: u64,
}

impl RuleSet {
    /// Addresses, ports, protocol: does the signature apply to this packet?
    fn header_fits(sig: &Signature, p: &PacketView<'_>) -> bool {
        if sig.proto.classes & l4_class(p.ip_proto) == 0 {
            return false;
        }
        if sig.proto.ip_proto != 0 && sig.proto.ip_proto != p.ip_proto {
            return false;
        }
        let fwd = sig.src.contains(p.src)
            && sig.dst.contains(p.dst)
            && sig.sp.contains(p.sport)
            && sig.dp.contains(p.dport);
        fwd || (sig.bidirectional
            && sig.src.contains(p.dst)
            && sig.dst.contains(p.src)
            && sig.sp.contains(p.dport)
            && sig.dp.contains(p.sport))
    }

    /// Full evaluation of one signature (no side effects except payload scratch).
    fn evaluate(
        &self,
        sig: &Signature,
        e: &Eval<'_, '_>,
        flow: Option<&FlowDetect>,
        t: &mut DetectThread,
    ) -> bool {
        t.stats.evaluated += 1;
        if !Self::header_fits(sig, e.p) {
            return false;
        }
        if let Some(ap) = sig.proto.app_proto {
            let flow_ap = flow.and_then(|f| f.app_proto);
            let ok = flow_ap.is_some_and(|f| app_matches(ap, f));
            if !ok {
                return false;
            }
        }
        if let Some((name, neg)) = &sig.app_layer_protocol {
            let is = flow.and_then(|f| f.app_proto).is_some_and(|f| f == name);
            if is == *neg {
                return false;
            }
        }
        if let Some(f) = &sig.flow {
            if !f.matches(e.p, e.source == Source::Stream) {
                return false;
            }
        }
        if !sig.header.iter().all(|h| h.matches(e.p)) {
            return false;
        }
        let vars = flow.map(|f| &f.vars);
        for fb in &sig.flowbits {
            // Without a flow every flowbits condition is false (Suricata).
            if fb.is_condition() && !vars.is_some_and(|v| fb.evaluate(v)) {
                return false;
            }
        }
        for fi in &sig.flowints {
            if fi.is_condition() && !vars.is_some_and(|v| fi.evaluate(v)) {
                return false;
            }
        }
        for xb in &sig.xbits {
            if xb.is_condition() && !t.xbits.evaluate(xb, e.p.src, e.p.dst, e.now_secs) {
                return false;
            }
        }
        if !sig.app_layer_events.is_empty() {
            let Some(tx) = e.tx else { return false };
            let events = tx.events();
            if !sig
                .app_layer_events
                .iter()
                .all(|ev| events.contains(&ev.as_str()))
            {
                return false;
            }
        }
        if !sig.tx_ints.is_empty() {
            let Some(tx) = e.tx else { return false };
            if !sig.tx_ints.iter().all(|ti| ti.matches(tx)) {
                return false;
            }
        }
        // Lists in rule order with one scratch, so byte_extract variables of
        // one list can be used by a later one.
        t.scratch.reset_vars();
        for (key, list) in &sig.payload.lists {
            let transforms = list.transforms();
            if *key == BufferKey(0) {
                let data = e.data.unwrap_or(e.p.payload);
                if !payload::inspect(list, data, &mut t.scratch) {
                    return false;
                }
            } else {
                let Some(tx) = e.tx else { return false };
                let mut any = false;
                let scratch = &mut t.scratch;
                let tbuf = &mut t.transform_buf;
                tx.buffer(BufferId(key.0), &mut |d: &[u8]| {
                    if any {
                        return;
                    }
                    let d = if transforms.is_empty() {
                        d
                    } else {
                        tbuf.clear();
                        payload::apply_transforms(transforms, d, tbuf);
                        &tbuf[..]
                    };
                    any = payload::inspect(list, d, scratch);
                });
                if !any {
                    return false;
                }
            }
        }
        true
    }

    /// Side effects of a full match, then thresholds and suppressions.
    /// Returns the alert to raise, if any.
    fn on_match(
        &self,
        sig: &Signature,
        e: &Eval<'_, '_>,
        flow: Option<&mut FlowDetect>,
        t: &mut DetectThread,
    ) -> Option<Alert> {
        let flow_id = e.flow_id;
        t.stats.matched += 1;
        if let Some(f) = flow {
            for fb in &sig.flowbits {
                if !fb.is_condition() {
                    fb.apply(&mut f.vars);
                }
            }
            for fi in &sig.flowints {
                if !fi.is_condition() {
                    fi.apply(&mut f.vars);
                }
            }
            if sig.action == Action::Pass {
                f.passed = true;
            }
        }
        for xb in &sig.xbits {
            if !xb.is_condition() {
                t.xbits.apply(xb, e.p.src, e.p.dst, e.now_secs);
            }
        }
        if sig.noalert || sig.action == Action::Pass {
            return None;
        }
        for (gid, sid, how) in &self.suppress {
            if (*sid == 0 || *sid == sig.sid) && (*gid == 0 || *gid == sig.gid) {
                let hit = match how {
                    None => true,
                    Some((track, ips)) => {
                        crate::keywords::threshold::suppressed(*track, ips, e.p.src, e.p.dst)
                    }
                };
                if hit {
                    t.stats.suppressed += 1;
                    return None;
                }
            }
        }
        for spec in [&sig.detection_filter, &sig.threshold]
            .into_iter()
            .flatten()
        {
            if !t
                .thresholds
                .allow(sig.index, spec, e.p.src, e.p.dst, flow_id, e.now_secs)
            {
                t.stats.suppressed += 1;
                return None;
            }
        }
        Some(Alert {
            sig: sig.index,
            action: sig.action,
            tx_id: e.tx.map(|tx| tx.id()),
            stream: e.source == Source::Stream,
        })
    }

    /// Inspects one packet. `flow_id` keys by_flow thresholds.
    pub fn inspect_packet(
        &self,
        t: &mut DetectThread,
        p: &PacketView<'_>,
        mut flow: Option<&mut FlowDetect>,
        flow_id: u64,
        now_secs: u64,
        out: &mut Vec<Alert>,
    ) {
        if flow.as_ref().is_some_and(|f| f.passed) {
            return;
        }
        let g = class_slot(l4_class(p.ip_proto));
        let Some(group) = self.groups.get(g) else {
            return;
        };
        t.cands.clear();
        // IP-only: once per flow direction (every packet without a flow).
        let first_in_dir = match flow.as_deref_mut() {
            Some(f) => {
                let d = usize::from(!p.flow.is_some_and(|fv| fv.to_server));
                let first = f.seen_dir.get(d).is_some_and(|s| !s);
                if let Some(s) = f.seen_dir.get_mut(d) {
                    *s = true;
                }
                first
            }
            None => true,
        };
        if first_in_dir {
            if let Some(ix) = self.iponly.get(g) {
                ix.collect(v4(p.src), v4(p.dst), &mut t.cands);
            }
        }
        let in_stream = p.flow.is_some_and(|f| f.has_stream);
        let to_server = p.flow.is_none_or(|f| f.to_server);
        if let Some(pf) = &group.packet_pf {
            pf.scan(to_server, p.sport, p.dport, p.payload, &mut t.cands);
        }
        if p.payload.len() < crate::ruleset::SMALL_PAYLOAD {
            if let Some(pf) = &group.packet_small_pf {
                pf.scan(to_server, p.sport, p.dport, p.payload, &mut t.cands);
            }
        }
        if let Some(ap) = flow.as_deref().and_then(|f| f.app_proto) {
            if let Some((_, Some(pf), _)) = group
                .app_payload_pf
                .iter()
                .find(|(a, _, _)| app_matches(a, ap))
            {
                pf.scan(to_server, p.sport, p.dport, p.payload, &mut t.cands);
            }
        }
        group.packet_rest.collect(p.sport, p.dport, &mut t.cands);
        if !in_stream {
            // Stream signatures inspect the packets no stream carries.
            if let Some(pf) = &group.stream_pf {
                pf.scan(to_server, p.sport, p.dport, p.payload, &mut t.cands);
            }
            group.stream_rest.collect(p.sport, p.dport, &mut t.cands);
        }
        let mut cands = std::mem::take(&mut t.cands);
        cands.sort();
        let e = Eval {
            p,
            data: None,
            tx: None,
            source: Source::Packet,
            now_secs,
            flow_id,
        };
        let before = out.len();
        for &s in cands.members() {
            let Some(sig) = self.sigs.get(s as usize) else {
                continue;
            };
            // Stream signatures see packets only when no stream carries them.
            if sig.kind == SigKind::Stream && (in_stream || sig.proto.stream_only) {
                continue;
            }
            if sig.kind == SigKind::App {
                continue;
            }
            if self.evaluate(sig, &e, flow.as_deref(), t)
                && !self.matched(sig, &e, flow.as_deref_mut(), t, before, out)
            {
                break;
            }
        }
        t.cands = cands;
    }

    /// Handles one full match in evaluation order: side effects at once (so
    /// a later signature of the same packet sees them, as in Suricata), then
    /// thresholds, then the per-inspection alert cap. Returns false when a
    /// `pass` signature matched and inspection must stop.
    fn matched(
        &self,
        sig: &Signature,
        e: &Eval<'_, '_>,
        flow: Option<&mut FlowDetect>,
        t: &mut DetectThread,
        alerts_before: usize,
        out: &mut Vec<Alert>,
    ) -> bool {
        let is_pass = sig.action == Action::Pass;
        let mut flow = flow;
        if let Some(a) = self.on_match(sig, e, flow.as_deref_mut(), t) {
            if out.len() - alerts_before >= MAX_ALERTS_PER_INSPECTION {
                t.stats.suppressed += 1;
            } else {
                out.push(a);
                t.stats.alerts += 1;
                if let Some(f) = flow {
                    f.alerted = true;
                }
            }
        }
        !is_pass
    }

    /// Inspects new reassembled data of one direction. `p` describes the
    /// direction (src = sender of `data`) and the packet that completed it.
    /// `gap` says data was lost before `data`.
    #[allow(clippy::too_many_arguments)]
    pub fn inspect_stream(
        &self,
        t: &mut DetectThread,
        p: &PacketView<'_>,
        flow: &mut FlowDetect,
        to_server: bool,
        data: &[u8],
        gap: bool,
        flow_id: u64,
        now_secs: u64,
        out: &mut Vec<Alert>,
    ) {
        if flow.passed {
            return;
        }
        let Some(group) = self.groups.get(class_slot(PROTO_TCP)) else {
            return;
        };
        let d = usize::from(!to_server);
        let mut w = std::mem::take(&mut flow.windows[d]);
        if gap {
            w.buf.clear();
            w.pending.clear();
            w.alerted.clear();
        }
        if data.is_empty() {
            flow.windows[d] = w;
            return;
        }
        // Slide: keep STREAM_OVERLAP bytes of context when the window would overflow.
        let data = if data.len() > STREAM_WINDOW {
            &data[data.len() - STREAM_WINDOW..]
        } else {
            data
        };
        if w.buf.len() + data.len() > STREAM_WINDOW {
            let keep = STREAM_OVERLAP
                .min(w.buf.len())
                .min(STREAM_WINDOW - data.len());
            let cut = w.buf.len() - keep;
            w.buf.drain(..cut);
            w.pending.clear();
            w.alerted.clear();
        }
        let old_len = w.buf.len();
        w.buf.extend_from_slice(data);
        t.cands.clear();
        let mut cands = std::mem::take(&mut t.cands);
        if let Some(pf) = &group.stream_pf {
            let from = old_len.saturating_sub(pf.max_len().saturating_sub(1));
            pf.scan(
                to_server,
                p.sport,
                p.dport,
                w.buf.get(from..).unwrap_or(&[]),
                &mut cands,
            );
        }
        if let Some(ap) = flow.app_proto {
            if let Some((_, _, Some(pf))) = group
                .app_payload_pf
                .iter()
                .find(|(a, _, _)| app_matches(a, ap))
            {
                let from = old_len.saturating_sub(pf.max_len().saturating_sub(1));
                pf.scan(
                    to_server,
                    p.sport,
                    p.dport,
                    w.buf.get(from..).unwrap_or(&[]),
                    &mut cands,
                );
            }
        }
        // Pending and pattern-less signatures are re-evaluated on every chunk.
        for &s in &w.pending {
            cands.insert(s);
        }
        group.stream_rest.collect(p.sport, p.dport, &mut cands);
        cands.sort();
        let e = Eval {
            p,
            data: Some(&w.buf),
            tx: None,
            source: Source::Stream,
            now_secs,
            flow_id,
        };
        let before = out.len();
        let mut new_pending = std::mem::take(&mut t.pending_scratch);
        new_pending.clear();
        for &s in cands.members() {
            let Some(sig) = self.sigs.get(s as usize) else {
                continue;
            };
            if sig.kind != SigKind::Stream || w.alerted.contains(&s) {
                continue;
            }
            if self.evaluate(sig, &e, Some(flow), t) {
                if w.alerted.len() < MAX_ALERTED {
                    w.alerted.push(s);
                }
                if !self.matched(sig, &e, Some(flow), t, before, out) {
                    break;
                }
            } else if sig.fast_pattern.is_some() {
                if new_pending.len() < MAX_PENDING {
                    new_pending.push(s);
                } else {
                    t.stats.pending_dropped += 1;
                }
            }
        }
        t.pending_scratch = std::mem::replace(&mut w.pending, new_pending);
        cands.clear();
        t.cands = cands;
        flow.windows[d] = w;
    }

    /// Inspects one transaction in one direction.
    #[allow(clippy::too_many_arguments)]
    pub fn inspect_tx(
        &self,
        t: &mut DetectThread,
        p: &PacketView<'_>,
        flow: &mut FlowDetect,
        tx: &dyn Transaction,
        flow_id: u64,
        now_secs: u64,
        out: &mut Vec<Alert>,
    ) {
        if flow.passed {
            return;
        }
        let Some(group) = self.groups.get(class_slot(l4_class(p.ip_proto))) else {
            return;
        };
        t.cands.clear();
        let mut cands = std::mem::take(&mut t.cands);
        for (id, pf) in &group.app_pf {
            tx.buffer(*id, &mut |d: &[u8]| pf.scan(d, &mut cands));
        }
        for key in [tx.app_proto(), ""] {
            if let Some(list) = group.app_rest.get(key) {
                list.iter().for_each(|&s| cands.insert(s));
            }
        }
        cands.sort();
        let e = Eval {
            p,
            data: None,
            tx: Some(tx),
            source: Source::Tx,
            now_secs,
            flow_id,
        };
        let before = out.len();
        let txid = tx.id();
        for &s in cands.members() {
            let Some(sig) = self.sigs.get(s as usize) else {
                continue;
            };
            if sig.kind != SigKind::App || flow.tx_alerted.contains(&(txid, s)) {
                continue;
            }
            if self.evaluate(sig, &e, Some(flow), t) {
                if flow.tx_alerted.len() >= MAX_ALERTED {
                    flow.tx_alerted.remove(0);
                }
                flow.tx_alerted.push((txid, s));
                if !self.matched(sig, &e, Some(flow), t, before, out) {
                    break;
                }
            }
        }
        t.cands = cands;
    }

    /// Reference evaluator: every signature, no prefilter, no grouping, no
    /// stream windows. Packet inspection of `p.payload` (or `data` when given,
    /// standing for stream data), plus a transaction if given. Used by the
    /// semantics tests against the engine.
    #[allow(clippy::too_many_arguments)]
    pub fn inspect_naive(
        &self,
        t: &mut DetectThread,
        p: &PacketView<'_>,
        mut flow: Option<&mut FlowDetect>,
        stream_data: Option<&[u8]>,
        tx: Option<&dyn Transaction>,
        now_secs: u64,
        out: &mut Vec<Alert>,
    ) {
        let source = if tx.is_some() {
            Source::Tx
        } else if stream_data.is_some() {
            Source::Stream
        } else {
            Source::Packet
        };
        let e = Eval {
            p,
            data: stream_data,
            tx,
            source,
            now_secs,
            flow_id: 0,
        };
        let before = out.len();
        for sig in &self.sigs {
            let applies = match (sig.kind, source) {
                (SigKind::App, Source::Tx) => true,
                (SigKind::Stream, Source::Stream) => true,
                (SigKind::Stream, Source::Packet) => {
                    !p.flow.is_some_and(|f| f.has_stream) && !sig.proto.stream_only
                }
                (SigKind::Packet | SigKind::IpOnly, Source::Packet) => true,
                _ => false,
            };
            if applies
                && self.evaluate(sig, &e, flow.as_deref(), t)
                && !self.matched(sig, &e, flow.as_deref_mut(), t, before, out)
            {
                break;
            }
        }
    }
}
