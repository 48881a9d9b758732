//! A worker: decodes its packets, tracks their flows, and hands the events
//! to the output thread in batches.

use crate::pipeline::app::WorkerApp;
use crate::pipeline::detect::{
    frame_view, inspect_packet, DetectObserver, DetectShared, WorkerDetect,
};
use crate::pipeline::detectors::packet_obs;
use crate::pipeline::output::EventBatcher;
use palisade_event::{AnomalyRecord, AnomalyType, Timestamp};
use palisade_flow::engine::frame_tuple;
use palisade_flow::key::worker_hash;
use palisade_flow::{EngineConfig, EngineStats, FlowEngine, PacketMeta};
use palisade_wire::{
    DecodeEvent, DecodeStats, DecodedPacket, Decoder, DecoderConfig, Frame, FrameContext, Link,
};
use std::sync::Arc;

/// One packet as the worker receives it.
#[derive(Clone, Copy, Debug)]
pub struct PacketIn<'a> {
    /// Packet time.
    pub ts: Timestamp,
    /// Packet number in the input (1-based).
    pub pcap_cnt: u64,
    /// LINKTYPE_ value.
    pub linktype: u32,
    /// Captured bytes.
    pub data: &'a [u8],
    /// Original length.
    pub wire_len: u32,
    /// This worker reports the packet's decode anomalies (exactly one worker
    /// does, when a packet goes to several).
    pub primary: bool,
    /// The live source, counted from 1 (EVE `in_iface`); 0 for files.
    pub source: u16,
}

/// What a worker leaves behind.
pub struct WorkerResult {
    /// Flow engine counters.
    pub engine: EngineStats,
    /// Decoder counters of the worker's own decoder.
    pub decoder: DecodeStats,
    /// Anomaly records produced.
    pub anomalies: u64,
    /// Flow records produced.
    pub flows: u64,
    /// Alert records produced.
    pub alerts: u64,
    /// Alerts per signature index.
    pub per_sig: crate::pipeline::detect::SigCounts,
    /// Detection counters (when rules were loaded).
    pub detect: Option<palisade_detect::DetectStats>,
    /// App-layer counters (when the parsers were on).
    pub app: Option<crate::pipeline::app::AppStats>,
    /// App-layer records produced.
    pub app_records: u64,
}

/// Which worker owns a frame: 64 buckets of the symmetric address-pair
/// hash, dealt out by weight. The reading thread also tracks flows (so two
/// threads use two cores without a third thread competing), and since it
/// reads and routes every packet too, it gets a smaller weight.
#[derive(Clone, Copy, Debug)]
pub struct Owners {
    table: [u8; 64],
    workers: usize,
}

impl Owners {
    /// Buckets for `workers` workers; worker 0 (the reading thread) weighs
    /// `reader_weight` against 1 for each other worker.
    pub fn new(workers: usize, reader_weight: f64) -> Owners {
        let workers = workers.clamp(1, 64);
        let mut table = [0u8; 64];
        if workers > 1 {
            let w0 = reader_weight.clamp(0.0, 1.0);
            let total = w0 + (workers - 1) as f64;
            // buckets of worker 0, then round-robin over the others
            let b0 = ((64.0 * w0 / total).round() as usize).min(64 - (workers - 1));
            for (i, slot) in table.iter_mut().enumerate() {
                *slot = if i < b0 {
                    0
                } else {
                    (1 + (i - b0) % (workers - 1)) as u8
                };
            }
        }
        Owners { table, workers }
    }

    /// The worker owning a frame.
    #[inline]
    pub fn of(&self, frame: &Frame<'_>) -> usize {
        self.of_hash(worker_hash(frame))
    }

    /// The worker owning a frame of this [`worker_hash`].
    #[inline]
    pub fn of_hash(&self, hash: u64) -> usize {
        if self.workers == 1 {
            return 0;
        }
        self.table[(hash % 64) as usize] as usize
    }
}

/// A worker's state.
pub struct Worker {
    id: usize,
    owners: Owners,
    decoder: Decoder,
    engine: FlowEngine,
    out: EventBatcher,
    defrag_buf: Vec<u8>,
    checksum_anomalies: bool,
    /// Outermost Ethernet source and destination of the packet being
    /// handled (for the inventory's device keys).
    cur_macs: Option<([u8; 6], [u8; 6])>,
    detect: Option<WorkerDetect>,
    app: Option<WorkerApp>,
    /// Publishes this worker's counters (`/metrics`), when on.
    tap: Option<crate::metrics::WorkerTap>,
}

/// Events counted in stats but not written as records unless asked for:
/// checksum errors (one per packet behind an offloading NIC) and snaplen
/// cuts (one per packet of a capture taken with a small snaplen).
fn is_per_packet_noise(ev: DecodeEvent) -> bool {
    matches!(
        ev,
        DecodeEvent::PktTruncatedBySnaplen
            | DecodeEvent::Ipv4InvalidChecksum
            | DecodeEvent::TcpInvalidChecksum
            | DecodeEvent::UdpInvalidChecksum
            | DecodeEvent::Icmpv4InvalidChecksum
            | DecodeEvent::Icmpv6InvalidChecksum
    )
}

impl Worker {
    /// Worker `id` among those `owners` deals flows to.
    pub fn new(
        id: usize,
        owners: Owners,
        decoder: DecoderConfig,
        engine: &EngineConfig,
        out: EventBatcher,
        checksum_anomalies: bool,
    ) -> Self {
        Worker {
            id,
            owners,
            decoder: Decoder::new(decoder),
            engine: FlowEngine::new(engine, owners.workers as u32),
            out,
            defrag_buf: Vec::new(),
            cur_macs: None,
            checksum_anomalies,
            detect: None,
            app: None,
            tap: None,
        }
    }

    /// Publishes this worker's load and flow counters into `m` (None: off).
    pub fn set_metrics(&mut self, m: Option<&crate::metrics::Metrics>) {
        self.tap = m.map(|m| crate::metrics::WorkerTap::new(m, self.id));
    }

    /// Turns the app-layer parsers on; `login` describes login attempts to
    /// the detectors.
    pub fn set_app_layer(&mut self, login: Option<Arc<crate::pipeline::detectors::LoginCheck>>) {
        let mut app = WorkerApp::new();
        app.login = login;
        self.app = Some(app);
    }

    /// Loads rules into this worker.
    pub fn set_detect(&mut self, shared: Arc<DetectShared>) {
        self.detect = Some(WorkerDetect::new(shared));
    }

    /// Switches to a reloaded rule set, keeping every flow.
    pub fn swap_detect(&mut self, shared: Arc<DetectShared>) {
        match self.detect.as_mut() {
            Some(d) => d.swap(shared),
            None => self.set_detect(shared),
        }
    }

    /// Tracks a frame's flow and, with rules loaded, inspects it.
    fn track(&mut self, meta: &PacketMeta, frame: &Frame<'_>) {
        if self.detect.is_none() && self.app.is_none() {
            let r = self.engine.process(meta, frame, &mut self.out);
            if self.out.observe {
                let mut o = packet_obs(frame, meta.ts, &self.engine, r.map(|(f, _)| f));
                o.macs = self.cur_macs.filter(|_| frame.depth == 0);
                self.out.packet_obs(o);
            }
            return;
        }
        let view = frame_view(frame);
        let mut obs = DetectObserver {
            out: &mut self.out,
            det: self.detect.as_mut(),
            app: self.app.as_mut(),
            view,
            meta: *meta,
            cur: None,
            pending: Vec::new(),
            ending: None,
            ending_ts: None,
            ending_source: 0,
        };
        let r = self.engine.process(meta, frame, &mut obs);
        obs.cur = r;
        obs.flush_pending(Some(&self.engine));
        if self.out.observe {
            let mut o = packet_obs(frame, meta.ts, &self.engine, r.map(|(f, _)| f));
            o.macs = self.cur_macs.filter(|_| frame.depth == 0);
            self.out.packet_obs(o);
        }
        if let Some(det) = self.detect.as_mut() {
            inspect_packet(&mut self.out, det, &self.engine, view, meta, r);
        }
    }

    /// Turns checksum validation on or off.
    pub fn set_validate_checksums(&mut self, on: bool) {
        self.decoder.set_validate_checksums(on);
    }

    /// Whether a TCP segment whose checksum validation failed is left out
    /// of tracking (off while the auto mode samples).
    pub fn set_checksum_enforce(&mut self, on: bool) {
        self.engine.set_drop_bad_checksums(on);
    }

    /// Hands the events batched so far to the output thread (a live sensor
    /// when traffic pauses: records should not wait for the batch to fill).
    pub fn flush_events(&mut self) {
        self.out.flush();
    }

    /// Advances packet time without a packet (idle workers still expire
    /// flows).
    pub fn advance(&mut self, now: Timestamp) {
        if let Some(t) = &mut self.tap {
            t.publish(&self.engine);
        }
        if self.detect.is_none() && self.app.is_none() {
            self.engine.advance(now, &mut self.out);
            return;
        }
        let meta = PacketMeta {
            ts: now,
            pcap_cnt: 0,
            source: 0,
        };
        let mut obs =
            DetectObserver::idle(&mut self.out, self.detect.as_mut(), self.app.as_mut(), meta);
        self.engine.advance(now, &mut obs);
        obs.flush_pending(None);
    }

    /// Handles one packet; returns its decode result's frames' checksum
    /// badness (for the auto checksum mode).
    pub fn packet(&mut self, p: &PacketIn<'_>) -> bool {
        let meta = PacketMeta {
            ts: p.ts,
            pcap_cnt: p.pcap_cnt,
            source: p.source,
        };
        if let Some(t) = &mut self.tap {
            t.packet(&self.engine);
        }
        let mut d = DecodedPacket::default();
        // Only a packet's primary worker counts it (the decoder counters
        // of all workers then sum to one count per packet).
        let kept = (!p.primary).then(|| self.decoder.stats.clone());
        self.decoder
            .decode(Link::from_linktype(p.linktype), p.data, p.wire_len, &mut d);
        if let Some(k) = kept {
            self.decoder.stats = k;
        }
        if p.primary && d.anomaly_count > 0 {
            let first = d.frames().first();
            emit_decode_anomalies(
                &mut self.out,
                &meta,
                first,
                d.anomalies(),
                self.checksum_anomalies,
            );
        }
        self.cur_macs = d.ethernet.map(|e| (e.src, e.dst));
        let mut bad = false;
        for frame in d.frames() {
            bad |= frame.checksum == palisade_wire::ChecksumStatus::BadIp
                || frame.checksum == palisade_wire::ChecksumStatus::BadL4;
            if self.owners.of(frame) != self.id {
                continue;
            }
            self.frame(&meta, frame);
        }
        bad
    }

    fn frame(&mut self, meta: &PacketMeta, frame: &Frame<'_>) {
        let Some(frag) = frame.ip.frag else {
            self.track(meta, frame);
            return;
        };
        let mut buf = std::mem::take(&mut self.defrag_buf);
        if self
            .engine
            .defragment(meta, frame, &frag, &mut buf, &mut self.out)
        {
            let ctx = FrameContext::from(frame);
            let mut d2 = DecodedPacket::default();
            self.decoder.decode_reassembled(&buf, &ctx, &mut d2);
            if d2.anomaly_count > 0 {
                let first = d2.frames().first();
                emit_decode_anomalies(
                    &mut self.out,
                    meta,
                    first,
                    d2.anomalies(),
                    self.checksum_anomalies,
                );
            }
            // Frames inside a reassembled datagram stay with this worker
            // (it owns the fragments' address pair); a fragment nested
            // inside a reassembled tunnel is not reassembled again.
            for f2 in d2.frames() {
                if f2.ip.frag.is_none() {
                    self.track(meta, f2);
                }
            }
        }
        self.defrag_buf = buf;
    }

    /// End of input: ends every flow and returns the counters.
    pub fn finish(mut self) -> WorkerResult {
        let mut per_sig = crate::pipeline::detect::SigCounts::new();
        let mut detect_stats = None;
        if self.detect.is_none() && self.app.is_none() {
            self.engine.shutdown(&mut self.out);
        } else {
            let meta = PacketMeta {
                ts: Timestamp::ZERO,
                pcap_cnt: 0,
                source: 0,
            };
            let mut obs =
                DetectObserver::idle(&mut self.out, self.detect.as_mut(), self.app.as_mut(), meta);
            self.engine.shutdown(&mut obs);
            obs.flush_pending(None);
        }
        if let Some(det) = self.detect.as_mut() {
            per_sig = det.take_counts();
            detect_stats = Some(det.stats().clone());
        }
        self.out.flush();
        if let Some(t) = &mut self.tap {
            t.publish(&self.engine);
        }
        WorkerResult {
            engine: self.engine.stats(),
            decoder: self.decoder.stats.clone(),
            anomalies: self.out.anomalies,
            flows: self.out.flows,
            alerts: self.out.alerts,
            per_sig,
            detect: detect_stats,
            app: self.app.map(|a| a.stats),
            app_records: self.out.app_records,
        }
    }
}

fn emit_decode_anomalies(
    out: &mut EventBatcher,
    meta: &PacketMeta,
    first: Option<&Frame<'_>>,
    events: &[DecodeEvent],
    checksum_anomalies: bool,
) {
    use palisade_flow::FlowObserver;
    for &ev in events {
        if !checksum_anomalies && is_per_packet_noise(ev) {
            continue;
        }
        out.anomaly(AnomalyRecord {
            timestamp: meta.ts,
            pcap_cnt: Some(meta.pcap_cnt),
            flow_id: None,
            tuple: first.map(frame_tuple),
            kind: AnomalyType::Decode,
            event: ev.name(),
            app_proto: None,
            source: meta.source,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(o: &Owners, w: usize) -> usize {
        o.table.iter().filter(|&&x| x as usize == w).count()
    }

    #[test]
    fn owners_deal_buckets_by_weight() {
        let one = Owners::new(1, 0.0);
        assert_eq!(one.of(&Frame::default()), 0);
        let two = Owners::new(2, 0.0);
        assert_eq!(count(&two, 0), 0, "weight 0: the reader only routes");
        assert_eq!(count(&two, 1), 64);
        let even = Owners::new(2, 1.0);
        assert_eq!(count(&even, 0), 32);
        assert_eq!(count(&even, 1), 32);
        let four = Owners::new(4, 0.5);
        assert_eq!(count(&four, 0), 9); // 64 * 0.5 / 3.5
        for w in 1..4 {
            assert!((18..=19).contains(&count(&four, w)), "worker {w}");
        }
        // every bucket belongs to a real worker
        assert!(four.table.iter().all(|&w| (w as usize) < 4));
    }
}
