//! The scan pipeline: inputs → (dispatch) → workers → output thread.
//!
//! Inputs are a [`feed::PacketFeed`]: capture files (`palisade scan`) or
//! live sources (`palisade sensor`); the rest does not know which.
//!
//! With one thread, the main thread reads, decodes and tracks (no hand-over
//! cost). With N threads, the main thread reads and decodes once to route
//! each packet by the symmetric address-pair hash of its frames, copies it
//! into the batch of every worker that owns one of them (a tunnelled packet
//! may concern two workers: the one owning the mirror session and the one
//! owning the inner flow), and N workers decode again and track their own
//! flows without sharing anything. Events go to one EVE writer thread.

pub mod app;
pub mod capture;
pub mod detect;
pub mod detectors;
pub mod feed;
pub mod output;
pub mod route;
pub mod store;
pub mod worker;

use crate::config::{ChecksumMode, Config};
use anyhow::{Context, Result};
use crossbeam_channel::{bounded, Receiver, Sender};
use feed::{Next, PacketFeed};
use output::{run_eve_writer, EveControl, EventBatcher, OutBatch, OutputTotals, TypeFilter};
use palisade_capture::{InputSet, OpenOptions, SharedBytes};
use palisade_event::{Event, Timestamp};
use palisade_flow::EngineStats;
use palisade_wire::{DecodeStats, DecoderConfig};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use worker::{Owners, PacketIn, Worker, WorkerResult};

/// Event batches queued for the output thread; workers wait beyond it, so a
/// slow sink bounds memory instead of growing it.
const EVENT_BATCHES_IN_FLIGHT: usize = 64;

/// Most worker threads.
pub const MAX_THREADS: usize = 64;

/// What to scan and how.
pub struct ScanOptions {
    /// Capture files, directories, or "-".
    pub inputs: Vec<PathBuf>,
    /// EVE output file.
    pub eve: PathBuf,
    /// Worker threads (1..=64).
    pub threads: usize,
    /// Configuration.
    pub config: Config,
    /// Show a progress bar.
    pub progress: bool,
    /// Rules to run (None: no signature inspection).
    pub detect: Option<std::sync::Arc<detect::DetectShared>>,
    /// SQLite store to write alerts, incidents and findings into.
    pub store: Option<PathBuf>,
    /// Live sources instead of `inputs` (`palisade sensor`): the run ends
    /// when their stop flag is set and they have stopped.
    pub live: Option<feed::LiveFeed>,
    /// Rule sets reloaded while running (SIGHUP), handed to the workers.
    pub rule_updates: Option<std::sync::Arc<detect::RuleSlot>>,
    /// Output controls while running (EVE reopen on SIGHUP).
    pub eve_control: output::EveControl,
    /// Operational counters to publish (`/metrics`), if any.
    pub metrics: Option<std::sync::Arc<crate::metrics::Metrics>>,
}

/// What a scan did.
pub struct ScanReport {
    /// Inputs read.
    pub inputs: Vec<String>,
    /// Input errors (file, offset, what), in the order met.
    pub input_errors: Vec<String>,
    /// Files skipped in directories (not captures).
    pub skipped: Vec<PathBuf>,
    /// Packets read.
    pub packets: u64,
    /// Captured bytes read.
    pub bytes: u64,
    /// Wall-clock time of the scan.
    pub elapsed: Duration,
    /// First and last packet time.
    pub span: Option<(Timestamp, Timestamp)>,
    /// Flow records produced.
    pub flows: u64,
    /// Anomaly records produced.
    pub anomalies: u64,
    /// EVE records written.
    pub written: OutputTotals,
    /// Worker threads used.
    pub threads: usize,
    /// Whether checksums were being validated at the end.
    pub checksums_validated: bool,
    /// Merged counters.
    pub engine: EngineStats,
    /// Decoder counters.
    pub decoder: DecodeStats,
    /// Alert records produced.
    pub alerts: u64,
    /// The store written, and what went into it.
    pub store: Option<store::StoreSummary>,
    /// Alerts per signature: (gid, sid, msg, count), most first.
    pub alerts_by_signature: Vec<(u32, u32, String, u64)>,
    /// Detection counters summed over workers.
    pub detect: Option<palisade_detect::DetectStats>,
    /// App-layer counters summed over workers (when the parsers were on).
    pub app: Option<app::AppStats>,
    /// App-layer records produced.
    pub app_records: u64,
    /// Whether the detectors ran.
    pub detectors_on: bool,
    /// Live sources and their counters (kernel drops), `palisade sensor`.
    pub live: Vec<feed::LiveSourceReport>,
    /// The rolling capture's counters (`--capture-dir`).
    pub capture: Option<capture::CaptureTotals>,
}

/// Auto checksum mode: validate the first packets; if more than 10% of the
/// first 1000 carrying IP have bad checksums, the capture came from an
/// offloading NIC and validation is switched off (Suricata's rule).
pub(crate) struct ChecksumAuto {
    pub(crate) mode: ChecksumMode,
    pub(crate) sampled: u32,
    bad: u32,
    pub(crate) validate: bool,
}

pub(crate) const CHECKSUM_SAMPLE: u32 = 1000;

impl ChecksumAuto {
    pub(crate) fn new(mode: ChecksumMode) -> Self {
        ChecksumAuto {
            mode,
            sampled: 0,
            bad: 0,
            validate: mode != ChecksumMode::No,
        }
    }
    /// Records one packet; returns Some(new setting) when it changes.
    /// Whether packets that fail validation are left out of tracking: in
    /// auto mode only once the sample is complete and validation stayed
    /// on, so a short capture from an offloading NIC (a loopback
    /// capture of a few packets) is not silently emptied; the bad
    /// checksums are still counted.
    pub(crate) fn enforce(&self) -> bool {
        self.validate && (self.mode != ChecksumMode::Auto || self.sampled >= CHECKSUM_SAMPLE)
    }

    pub(crate) fn observe(&mut self, had_ip: bool, bad: bool) -> Option<bool> {
        if self.mode != ChecksumMode::Auto || !had_ip || self.sampled >= CHECKSUM_SAMPLE {
            return None;
        }
        self.sampled += 1;
        self.bad += bad as u32;
        if self.sampled == CHECKSUM_SAMPLE && self.bad * 10 > CHECKSUM_SAMPLE {
            tracing::info!(
                bad = self.bad,
                sampled = self.sampled,
                "most packets have bad checksums (checksum offloading?): validation off"
            );
            self.validate = false;
            return Some(false);
        }
        None
    }
}

fn decoder_config(cfg: &Config) -> DecoderConfig {
    DecoderConfig {
        validate_checksums: cfg.decoder.checksum_checks != ChecksumMode::No,
        vxlan_ports: cfg.decoder.vxlan_ports.clone(),
        tzsp_port: cfg.decoder.tzsp_port,
        decode_tunnels: cfg.decoder.decode_tunnels,
    }
}

struct Progress {
    bar: Option<indicatif::ProgressBar>,
    started: Instant,
}

impl Progress {
    fn new(enabled: bool, total: Option<u64>) -> Self {
        let bar = enabled.then(|| {
            let bar = match total {
                Some(t) => indicatif::ProgressBar::new(t),
                None => indicatif::ProgressBar::new_spinner(),
            };
            let style = indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr_with_hz(4));
            bar
        });
        Progress {
            bar,
            started: Instant::now(),
        }
    }
    fn update(&self, consumed: u64, packets: u64) {
        if let Some(b) = &self.bar {
            b.set_position(consumed);
            let secs = self.started.elapsed().as_secs_f64().max(1e-6);
            b.set_message(format!(
                "{packets} pkts, {:.0} pkt/s",
                packets as f64 / secs
            ));
        }
    }
    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// Runs a scan to the end of its inputs.
pub fn run(mut opts: ScanOptions) -> Result<ScanReport> {
    let started = Instant::now();
    let threads = opts.threads.clamp(1, MAX_THREADS);
    let (mut inputs, open_errors, run_kind, run_inputs) = match opts.live.take() {
        Some(live) => {
            let names = live.names().to_vec();
            (PacketFeed::Live(live), Vec::new(), "sensor", names)
        }
        None => {
            let (set, errors) = InputSet::open_with(
                &opts.inputs,
                &OpenOptions {
                    mmap: opts.config.runtime.mmap_inputs,
                    ..OpenOptions::default()
                },
            );
            let names = opts
                .inputs
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            (PacketFeed::Files(set), errors, "scan", names)
        }
    };
    if let Some(m) = &opts.metrics {
        m.name_inputs(&inputs.names());
    }
    let mut tap = crate::metrics::ReaderTap::new(opts.metrics.clone());
    let mut input_errors: Vec<String> = open_errors.iter().map(|e| e.to_string()).collect();
    for e in &input_errors {
        tracing::error!("{e}");
    }
    let filter = TypeFilter::from_names(&opts.config.output.eve_types);
    let (ev_tx, ev_rx) = bounded::<OutBatch>(EVENT_BATCHES_IN_FLIGHT);
    let eve_path = opts.eve.clone();
    let (detector_set, login) = if opts.config.detectors.enabled {
        let db = detectors::credential_db(&opts.config.detectors)?;
        let login = std::sync::Arc::new(detectors::LoginCheck {
            db: db.clone(),
            salt: opts.config.detectors.credential_salt.as_bytes().to_vec(),
        });
        (
            Some(detectors::build(&opts.config.detectors, db)?),
            Some(login),
        )
    } else {
        (None, None)
    };
    let inventory = if opts.config.inventory.enabled {
        let bad = opts.config.inventory.invalid_home_net();
        if !bad.is_empty() {
            anyhow::bail!("inventory.home_net: not a network: {}", bad.join(", "));
        }
        let (classifier, advisories) = fleet_knowledge(&opts.config.inventory)?;
        Some(palisade_fleet::Inventory::with_knowledge(
            opts.config.inventory.clone(),
            classifier,
            advisories,
        ))
    } else {
        None
    };
    let observe = detector_set.is_some() || inventory.is_some();
    let store = match &opts.store {
        Some(p) => Some(store::start(p, run_kind, &run_inputs)?),
        None => None,
    };
    let store_tx = store.as_ref().map(|w| w.sender());
    let capture = if opts.config.capture.dir.is_empty() {
        None
    } else {
        Some(capture::Capture::start(
            &opts.config.capture,
            std::path::Path::new(&opts.config.capture.dir),
            run_inputs.clone(),
            decoder_config(&opts.config),
        )?)
    };
    let mut capture = capture;
    let mut cap_reader = capture.as_mut().and_then(|c| c.tap());
    let rule_updates = opts.rule_updates.clone();
    // Live packets name their source on the records (`in_iface`).
    let is_live = matches!(inputs, PacketFeed::Live(_));
    let live_source = move |input: u16| if is_live { input.saturating_add(1) } else { 0 };
    let live_names = if is_live {
        run_inputs.clone()
    } else {
        Vec::new()
    };
    let eve_control: EveControl = opts.eve_control.clone();
    let cap_out = capture.as_ref().map(|c| c.handle());
    // The store keeps every alert, whatever --eve-types writes, and
    // /metrics counts them: workers then produce alert records and the
    // output thread filters the file.
    // The inventory reads every app record (fingerprints), written or not.
    let worker_filter = TypeFilter {
        alert: filter.alert || store.is_some() || opts.metrics.is_some(),
        app: if inventory.is_some() {
            u64::MAX
        } else {
            filter.app
        },
        ..filter
    };
    let out_tap = opts.metrics.clone().map(crate::metrics::OutputTap::new);
    let writer = std::thread::Builder::new()
        .name("eve-writer".into())
        .spawn(move || {
            run_eve_writer(
                ev_rx,
                output::EveWriter {
                    path: eve_path,
                    filter,
                    detectors: detector_set,
                    store: store_tx,
                    inventory,
                    capture: cap_out,
                    control: eve_control,
                    tap: out_tap,
                    sources: live_names,
                },
            )
        })
        .context("starting the EVE writer thread")?;
    palisade_proto::http::LOG_HEADERS.store(
        opts.config.app_layer.http_log_headers,
        std::sync::atomic::Ordering::Relaxed,
    );
    let engine_cfg = opts.config.engine();
    let dec_cfg = decoder_config(&opts.config);
    let mut csum = ChecksumAuto::new(opts.config.decoder.checksum_checks);
    let progress = Progress::new(opts.progress, inputs.total_bytes());
    let checksum_anomalies = opts.config.output.checksum_anomalies;

    let mut packets = 0u64;
    let mut bytes = 0u64;
    let mut first_ts: Option<Timestamp> = None;
    let mut last_ts = Timestamp::ZERO;

    let new_worker = |id: usize, owners: Owners| {
        let mut w = Worker::new(
            id,
            owners,
            dec_cfg.clone(),
            &engine_cfg,
            EventBatcher::new(ev_tx.clone(), worker_filter).observing(observe),
            checksum_anomalies,
        );
        if let Some(d) = &opts.detect {
            w.set_detect(d.clone());
        }
        w.set_metrics(opts.metrics.as_deref());
        if opts.config.app_layer.enabled {
            w.set_app_layer(login.clone());
        }
        w
    };
    let (results, decoder_stats) = if threads == 1 {
        let mut w = new_worker(0, Owners::new(1, 1.0));
        let mut enforcing = csum.enforce();
        w.set_checksum_enforce(enforcing);
        let mut rules_seen = 0u64;
        loop {
            if let Some(d) = rule_updates
                .as_ref()
                .and_then(|s| s.take_new(&mut rules_seen))
            {
                w.swap_detect(d);
            }
            let p = match inputs.next_item() {
                Next::Packet(p) => p,
                Next::Idle(now) => {
                    tap.publish();
                    w.advance(now);
                    w.flush_events();
                    if let Some(c) = cap_reader.as_mut() {
                        c.flush();
                    }
                    continue;
                }
                Next::End => break,
            };
            packets += 1;
            if let Some(c) = cap_reader.as_mut() {
                c.packet(&p);
            }
            bytes += p.data.len() as u64;
            tap.packet(p.input, p.data.len());
            first_ts.get_or_insert(p.ts);
            last_ts = last_ts.max(p.ts);
            let pin = PacketIn {
                ts: p.ts,
                pcap_cnt: packets,
                linktype: p.linktype,
                data: p.data,
                wire_len: p.wire_len,
                primary: true,
                source: live_source(p.input),
            };
            let bad = w.packet(&pin);
            if csum.sampled < CHECKSUM_SAMPLE {
                if let Some(on) = csum.observe(true, bad) {
                    w.set_validate_checksums(on);
                }
                if csum.enforce() != enforcing {
                    enforcing = csum.enforce();
                    w.set_checksum_enforce(enforcing);
                }
            }
            if packets & 0xffff == 0 {
                progress.update(inputs.bytes_consumed(), packets);
            }
        }
        // the capture gets the last packets before the flows end (a flow's
        // end closes its alert file)
        if let Some(c) = cap_reader.as_mut() {
            c.flush();
        }
        let r = w.finish();
        let dec = r.decoder.clone();
        (vec![r], dec)
    } else {
        let batch_packets = opts.config.runtime.batch_packets;
        let owners = Owners::new(threads, opts.config.runtime.reader_weight);
        let mut router = route::Router::new(&dec_cfg, opts.config.decoder.checksum_checks, owners);
        // Worker 0 runs on this thread; 1.. on their own.
        let mut w0 = new_worker(0, owners);
        let mut w0_validates = None;
        let mut senders: Vec<Sender<Batch>> = Vec::with_capacity(threads);
        let mut handles = Vec::with_capacity(threads);
        // A fixed pool of batches bounds memory: when every batch is in
        // flight the reader waits for a worker to return one.
        let pool = BATCHES_PER_WORKER * threads;
        let (recycle_tx, recycle_rx) = bounded::<Batch>(pool);
        for _ in 0..pool {
            let _ = recycle_tx.try_send(Batch::new(batch_packets));
        }
        for id in 0..threads {
            let (tx, rx) = bounded::<Batch>(BATCHES_PER_WORKER);
            senders.push(tx);
            if id == 0 {
                continue; // keeps indices aligned; worker 0 is never sent to
            }
            let w = new_worker(id, owners);
            let recycle = recycle_tx.clone();
            handles.push(
                std::thread::Builder::new()
                    .name(format!("worker-{id}"))
                    .spawn(move || run_worker(w, rx, recycle))
                    .context("starting a worker thread")?,
            );
        }
        // Only workers return batches: if they all die, the reader's wait
        // for a free batch ends instead of hanging.
        drop(recycle_tx);
        let mut batches: Vec<Batch> = (0..threads).map(|_| Batch::new(batch_packets)).collect();
        let mut since_tick = 0u32;
        let mut mappings: Vec<Option<SharedBytes>> = Vec::new();
        let mut relearn: Option<usize> = None;
        let mut rules_seen = 0u64;
        loop {
            if let Some(d) = rule_updates
                .as_ref()
                .and_then(|s| s.take_new(&mut rules_seen))
            {
                // in order with the packets: what is batched so far was
                // read under the old rules
                w0.swap_detect(d.clone());
                for (w, batch) in batches.iter_mut().enumerate().skip(1) {
                    let fresh = next_batch(&recycle_rx, batch_packets);
                    let b = std::mem::replace(batch, fresh);
                    let _ = senders[w].send(b);
                    batch.detect = Some(d.clone());
                }
            }
            if let Some(i) = relearn.take() {
                if mappings.len() <= i {
                    mappings.resize(i + 1, None);
                }
                mappings[i] = inputs.shared_bytes(i as u16).cloned();
            }
            let p = match inputs.next_item() {
                Next::Packet(p) => p,
                Next::Idle(now) => {
                    // live and quiet: hand partial batches over and move
                    // every clock on, so nothing waits for the next packet
                    since_tick = 0;
                    tap.publish();
                    w0.advance(now);
                    w0.flush_events();
                    if let Some(c) = cap_reader.as_mut() {
                        c.flush();
                    }
                    for (w, batch) in batches.iter_mut().enumerate().skip(1) {
                        batch.clock = now;
                        batch.validate = csum.validate;
                        batch.enforce = csum.enforce();
                        let fresh = next_batch(&recycle_rx, batch_packets);
                        let b = std::mem::replace(batch, fresh);
                        let _ = senders[w].send(b);
                    }
                    continue;
                }
                Next::End => break,
            };
            packets += 1;
            if let Some(c) = cap_reader.as_mut() {
                c.packet(&p);
            }
            bytes += p.data.len() as u64;
            tap.packet(p.input, p.data.len());
            first_ts.get_or_insert(p.ts);
            last_ts = last_ts.max(p.ts);
            // The owner from the first headers when that is certain, else
            // from a full decode (route.rs).
            let (mask, primary) = router.route(&mut csum, p.linktype, p.data, p.wire_len);
            // Memory-mapped inputs are handed over by reference. The
            // mapping of an input is learnt after its first packet (the
            // packet borrows the input set) and re-learnt if the input was
            // reopened (the offset check fails).
            let input = p.input as usize;
            let mapped = mappings
                .get(input)
                .and_then(|m| m.as_ref())
                .and_then(|m| p.offset_in(m).map(|off| (m, off)));
            relearn = mapped.is_none().then_some(input);
            if mask & 1 != 0 {
                if w0_validates != Some((csum.validate, csum.enforce())) {
                    w0_validates = Some((csum.validate, csum.enforce()));
                    w0.set_validate_checksums(csum.validate);
                    w0.set_checksum_enforce(csum.enforce());
                }
                w0.packet(&PacketIn {
                    ts: p.ts,
                    pcap_cnt: packets,
                    linktype: p.linktype,
                    data: p.data,
                    wire_len: p.wire_len,
                    primary: primary == 0,
                    source: live_source(p.input),
                });
            }
            for (w, batch) in batches.iter_mut().enumerate().skip(1) {
                if mask & (1u64 << w) == 0 {
                    continue;
                }
                batch.push(packets, &p, w == primary, mapped, live_source(p.input));
                batch.clock = last_ts;
                batch.validate = csum.validate;
                batch.enforce = csum.enforce();
                if batch.is_full(batch_packets) {
                    let fresh = next_batch(&recycle_rx, batch_packets);
                    let full = std::mem::replace(batch, fresh);
                    let _ = senders[w].send(full);
                }
            }
            since_tick += 1;
            if since_tick >= 4096 {
                since_tick = 0;
                progress.update(inputs.bytes_consumed(), packets);
                w0.advance(last_ts);
                for (w, batch) in batches.iter_mut().enumerate().skip(1) {
                    batch.clock = last_ts;
                    batch.validate = csum.validate;
                    batch.enforce = csum.enforce();
                    let fresh = next_batch(&recycle_rx, batch_packets);
                    let b = std::mem::replace(batch, fresh);
                    let _ = senders[w].send(b);
                }
            }
        }
        if let Some(c) = cap_reader.as_mut() {
            c.flush();
        }
        for (w, mut batch) in batches.into_iter().enumerate().skip(1) {
            // the last batch brings every worker's clock to the input's end
            batch.clock = last_ts;
            let _ = senders[w].send(batch);
        }
        drop(senders);
        w0.advance(last_ts);
        let mut results = vec![w0.finish()];
        for h in handles {
            match h.join() {
                Ok(r) => results.push(r),
                Err(_) => anyhow::bail!("a worker thread panicked"),
            }
        }
        // Every packet is decoded by exactly one worker as its primary
        // (the others keep no counters of it): the workers' counters sum
        // to the decoder's. The routing decoder sees only what the fast
        // path leaves to it.
        let mut dec = DecodeStats::default();
        for r in &results {
            dec.merge(&r.decoder);
        }
        (results, dec)
    };
    progress.finish();
    drop(cap_reader);
    tap.publish();
    let (report_inputs, skipped, live) = match inputs {
        PacketFeed::Files(mut set) => {
            input_errors.extend(set.take_errors().iter().map(|e| e.to_string()));
            (set.inputs(), set.skipped().to_vec(), Vec::new())
        }
        PacketFeed::Live(l) => {
            let live = l.finish();
            for s in &live {
                if let Some(e) = &s.error {
                    input_errors.push(format!("{}: {e}", s.name));
                }
            }
            (run_inputs.clone(), Vec::new(), live)
        }
    };

    let mut engine = EngineStats::default();
    let mut flows = 0;
    let mut anomalies = 0;
    let mut alerts = 0;
    let mut per_sig = detect::SigCounts::new();
    let mut detect_stats: Option<palisade_detect::DetectStats> = None;
    let mut app_stats: Option<app::AppStats> = None;
    let mut app_records = 0;
    for r in &results {
        app_records += r.app_records;
        if let Some(a) = &r.app {
            app_stats.get_or_insert_with(Default::default).merge(a);
        }
        merge_engine(&mut engine, &r.engine);
        flows += r.flows;
        anomalies += r.anomalies;
        alerts += r.alerts;
        for (k, (msg, n)) in &r.per_sig {
            per_sig.entry(*k).or_insert_with(|| (msg.clone(), 0)).1 += n;
        }
        if let Some(d) = &r.detect {
            let t = detect_stats.get_or_insert_with(Default::default);
            t.evaluated += d.evaluated;
            t.matched += d.matched;
            t.alerts += d.alerts;
            t.suppressed += d.suppressed;
            t.pending_dropped += d.pending_dropped;
        }
    }
    let mut alerts_by_signature: Vec<(u32, u32, String, u64)> = per_sig
        .into_iter()
        .map(|((gid, sid), (msg, n))| (gid, sid, msg, n))
        .collect();
    alerts_by_signature.sort_by(|a, b| b.3.cmp(&a.3).then(a.1.cmp(&b.1)));
    let mut report_stats =
        crate::stats::stats_json(&decoder_stats, &engine, packets, bytes, &input_errors);
    if let (Some(a), Some(m)) = (&app_stats, report_stats.as_object_mut()) {
        m.insert("app_layer".into(), a.to_json());
    }
    if let (Some(d), Some(m)) = (&detect_stats, report_stats.as_object_mut()) {
        // Suricata's `detect` stats section, plus the engine's own work
        m.insert(
            "detect".into(),
            serde_json::json!({
                "alert": d.alerts,
                "alerts_suppressed": d.suppressed,
                "signatures_evaluated": d.evaluated,
                "signatures_matched": d.matched,
                "stream_candidates_dropped": d.pending_dropped,
            }),
        );
    }
    if !live.is_empty() {
        // Suricata's names for the kernel's counters of a live capture
        if let Some(c) = report_stats
            .get_mut("capture")
            .and_then(|c| c.as_object_mut())
        {
            let sum = |f: fn(&palisade_live::LiveStats) -> u64| {
                live.iter().map(|s| f(&s.stats)).sum::<u64>()
            };
            c.insert("kernel_packets".into(), sum(|s| s.kernel_packets).into());
            c.insert("kernel_drops".into(), sum(|s| s.kernel_drops).into());
        }
    }
    if filter.stats {
        let _ = ev_tx.send(OutBatch::events(vec![Event::Stats {
            timestamp: last_ts,
            stats: report_stats,
        }]));
    }
    drop(ev_tx);
    let written = match writer.join() {
        Ok(r) => r?,
        Err(_) => anyhow::bail!("the EVE writer thread panicked"),
    };
    let capture = capture.map(capture::Capture::finish);
    let store = match (store, &opts.store) {
        (Some(w), Some(p)) => Some(store::finish(
            w,
            p,
            packets,
            first_ts.map(|f| (f, last_ts)),
        )?),
        _ => None,
    };
    Ok(ScanReport {
        inputs: report_inputs,
        input_errors,
        skipped,
        packets,
        bytes,
        elapsed: started.elapsed(),
        span: first_ts.map(|f| (f, last_ts)),
        flows,
        anomalies,
        written,
        threads,
        checksums_validated: csum.validate,
        engine,
        decoder: decoder_stats,
        alerts,
        alerts_by_signature,
        detect: detect_stats,
        app: app_stats,
        app_records,
        detectors_on: observe,
        store,
        live,
        capture,
    })
}

/// Packets handed to one worker at a time: one buffer of packet bytes plus
/// their metadata, recycled through a channel so steady state allocates
/// nothing.
struct Batch {
    /// Bytes of packets copied in (inputs that are not memory-mapped).
    buf: Vec<u8>,
    /// Mappings that hold the bytes of the other packets (Arc clones, one
    /// per run of packets from the same input, not one per packet).
    shared: Vec<SharedBytes>,
    pkts: Vec<Entry>,
    clock: Timestamp,
    validate: bool,
    /// Leave packets failing validation out of tracking.
    enforce: bool,
    /// A reloaded rule set to switch to before these packets.
    detect: Option<std::sync::Arc<detect::DetectShared>>,
}

/// Where a batched packet's bytes are.
#[derive(Clone, Copy)]
enum Loc {
    /// `buf[start..start + len]`
    Copied { start: usize },
    /// `shared[idx][offset..offset + len]`
    Mapped { idx: usize, offset: usize },
}

struct Entry {
    ts: Timestamp,
    pcap_cnt: u64,
    linktype: u32,
    wire_len: u32,
    loc: Loc,
    len: usize,
    primary: bool,
    source: u16,
}

impl Batch {
    fn new(cap: usize) -> Batch {
        Batch {
            buf: Vec::with_capacity(cap * 512),
            shared: Vec::new(),
            pkts: Vec::with_capacity(cap),
            clock: Timestamp::ZERO,
            validate: false,
            enforce: false,
            detect: None,
        }
    }
    /// Adds a packet: by reference when its bytes live in `mapped` (no
    /// copy), by copy otherwise.
    fn push(
        &mut self,
        pcap_cnt: u64,
        p: &palisade_capture::Packet<'_>,
        primary: bool,
        mapped: Option<(&SharedBytes, usize)>,
        source: u16,
    ) {
        let loc = match mapped {
            Some((m, offset)) => {
                let idx = match self.shared.last() {
                    Some(last) if SharedBytes::ptr_eq(last, m) => self.shared.len() - 1,
                    _ => {
                        self.shared.push(m.clone());
                        self.shared.len() - 1
                    }
                };
                Loc::Mapped { idx, offset }
            }
            None => {
                let start = self.buf.len();
                self.buf.extend_from_slice(p.data);
                Loc::Copied { start }
            }
        };
        self.pkts.push(Entry {
            ts: p.ts,
            pcap_cnt,
            linktype: p.linktype,
            wire_len: p.wire_len,
            loc,
            len: p.data.len(),
            primary,
            source,
        });
    }
    fn data(&self, e: &Entry) -> &[u8] {
        let got = match e.loc {
            Loc::Copied { start } => self.buf.get(start..start + e.len),
            Loc::Mapped { idx, offset } => self
                .shared
                .get(idx)
                .and_then(|m| m.get(offset..offset + e.len)),
        };
        got.unwrap_or(&[])
    }
    fn is_full(&self, cap: usize) -> bool {
        self.pkts.len() >= cap || self.buf.len() >= 256 * 1024
    }
    fn clear(&mut self) {
        self.detect = None;
        self.buf.clear();
        self.shared.clear();
        self.pkts.clear();
    }
}

/// Batches in flight per worker (channel capacity and pool share).
const BATCHES_PER_WORKER: usize = 16;

/// A free batch from the pool, waiting for a worker to return one if all are
/// in flight. If every worker is gone (they only stop when their channel
/// closes, so this means a worker panicked), a new batch keeps the reader
/// going; the panic is reported when the worker is joined.
fn next_batch(recycle: &Receiver<Batch>, cap: usize) -> Batch {
    recycle.recv().unwrap_or_else(|_| Batch::new(cap))
}

fn run_worker(mut w: Worker, rx: Receiver<Batch>, recycle: Sender<Batch>) -> WorkerResult {
    let mut validate = None;
    for mut batch in rx {
        if let Some(d) = batch.detect.take() {
            w.swap_detect(d);
        }
        if validate != Some((batch.validate, batch.enforce)) {
            validate = Some((batch.validate, batch.enforce));
            w.set_validate_checksums(batch.validate);
            w.set_checksum_enforce(batch.enforce);
        }
        for e in &batch.pkts {
            let data = batch.data(e);
            w.packet(&PacketIn {
                ts: e.ts,
                pcap_cnt: e.pcap_cnt,
                linktype: e.linktype,
                data,
                wire_len: e.wire_len,
                primary: e.primary,
                source: e.source,
            });
        }
        w.advance(batch.clock);
        if batch.pkts.is_empty() {
            // an idle tick of a live feed: pass on what is batched
            w.flush_events();
        }
        batch.clear();
        let _ = recycle.try_send(batch);
    }
    w.finish()
}

fn merge_engine(into: &mut EngineStats, s: &EngineStats) {
    // Sum every counter field: go through JSON so that counters added later
    // are merged without touching this function.
    let mut a = serde_json::to_value(&*into).unwrap_or_default();
    let b = serde_json::to_value(s).unwrap_or_default();
    crate::stats::add_json(&mut a, &b);
    if let Ok(v) = serde_json::from_value(a) {
        *into = v;
    }
}

/// The classifier rules and advisories: the built-in ones plus the files
/// `[inventory]` names.
pub fn fleet_knowledge(
    cfg: &palisade_fleet::InventoryConfig,
) -> anyhow::Result<(
    std::sync::Arc<palisade_fleet::classify::Classifier>,
    std::sync::Arc<palisade_fleet::advisory::AdvisoryDb>,
)> {
    use anyhow::Context;
    use palisade_fleet::{advisory::AdvisoryDb, classify::Classifier};
    let read = |p: &str, what: &str| {
        std::fs::read_to_string(p).with_context(|| format!("reading the {what} file {p}"))
    };
    let classifier = if cfg.classifier_rules.is_empty() {
        Classifier::builtin()
    } else {
        let text = read(&cfg.classifier_rules, "inventory.classifier_rules")?;
        Classifier::builtin_with(&text, &cfg.classifier_rules)?
    };
    let advisories = if cfg.advisories.is_empty() {
        AdvisoryDb::builtin()
    } else {
        let text = read(&cfg.advisories, "inventory.advisories")?;
        AdvisoryDb::builtin_with(&text, &cfg.advisories)?
    };
    Ok((
        std::sync::Arc::new(classifier),
        std::sync::Arc::new(advisories),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_checksum_mode_gives_up_on_offloaded_captures() {
        let mut c = ChecksumAuto::new(ChecksumMode::Auto);
        assert!(c.validate);
        for i in 0..CHECKSUM_SAMPLE {
            let change = c.observe(true, i % 5 == 0); // 20% bad
            if i + 1 < CHECKSUM_SAMPLE {
                assert_eq!(change, None);
            } else {
                assert_eq!(change, Some(false));
            }
        }
        assert!(!c.validate);
        // packets without IP do not count toward the sample
        let mut c = ChecksumAuto::new(ChecksumMode::Auto);
        for _ in 0..5000 {
            assert_eq!(c.observe(false, true), None);
        }
        assert_eq!(c.sampled, 0);
    }

    #[test]
    fn auto_checksum_mode_keeps_validating_clean_captures() {
        let mut c = ChecksumAuto::new(ChecksumMode::Auto);
        for i in 0..CHECKSUM_SAMPLE * 2 {
            assert_eq!(c.observe(true, i % 20 == 0), None); // 5% bad
        }
        assert!(c.validate);
        let mut yes = ChecksumAuto::new(ChecksumMode::Yes);
        for _ in 0..CHECKSUM_SAMPLE {
            assert_eq!(yes.observe(true, true), None);
        }
        assert!(yes.validate);
        assert!(!ChecksumAuto::new(ChecksumMode::No).validate);
    }
}
