//! Rolling capture and per-alert packet extraction (`--capture-dir`, as
//! Soracom Peek keeps the packets behind an event).
//!
//! One thread, fed a copy of every packet by the pipeline's reader loop and
//! told about alerts and flow ends by the output thread:
//!
//! - **The ring**: every packet goes to `DIR/ring-NNNNNNNN.pcapng`; at
//!   `capture.file_size_mb` the next file starts, and beyond
//!   `capture.files` files the oldest is deleted (files left by an earlier
//!   run count too, so restarts do not pile them up).
//! - **Recent packets**: the last `capture.memcap_mb` of packets stay in
//!   memory, indexed by the address/port pair of every frame they carry
//!   (outer and tunnelled), at most `capture.flow_packets` per pair: the
//!   bounded per-flow buffer.
//! - **Per-alert files**: the first alert of a flow writes that flow's
//!   buffered packets to `DIR/alerts/<flow_id>.pcapng` and then records what
//!   follows, until the flow ends or `capture.alert_max_packets` /
//!   `capture.alert_max_bytes` is reached. The alerts directory is kept
//!   under `capture.alerts_max_mb` by deleting its oldest files.
//!
//! Why a thread of its own, matching on address pairs, rather than buffers
//! inside the flow engine: alerts come from the signature engine in the
//! workers *and* from the detectors in the output thread, long after their
//! packet; the ring must see packets in arrival order across workers; and
//! the capture must never slow detection. The reader hands packets over
//! with `try_send`: when this thread falls behind, packets are left out of
//! the capture (counted in `dropped`), never out of inspection.
//!
//! Limits: a non-first IP fragment carries no ports and is not matched to
//! its flow; two flows with the same addresses and ports in different VLANs
//! or tunnels share a pair (their packets both go to the file).

use crate::config::CaptureSection;
use crossbeam_channel::{bounded, select, Receiver, Sender, TrySendError};
use hashbrown::{HashMap, HashSet};
use palisade_capture::{Packet, PcapNgWriter};
use palisade_event::{Timestamp, Tuple};
use palisade_wire::{DecodedPacket, Decoder, DecoderConfig, Link, L4};
use std::collections::VecDeque;
use std::fs::File;
use std::io::BufWriter;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Packet batches queued for the capture thread (64 x 256 packets).
const BATCH_QUEUE: usize = 64;
/// Alerts and flow ends queued (the output thread waits beyond this).
const CONTROL_QUEUE: usize = 4096;
/// How often open files are flushed, so that a file is readable while the
/// sensor runs.
const FLUSH_EVERY: Duration = Duration::from_secs(1);
/// Bookkeeping bytes charged per buffered packet on top of its data.
const ENTRY_OVERHEAD: usize = 96;
/// Most frames of one packet indexed (outer plus tunnelled).
const MAX_PAIRS: usize = 4;

/// An address/port pair, the same for both directions (the lower endpoint
/// first). Ports only for TCP, UDP and SCTP, as alert tuples carry them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PairKey {
    a: (IpAddr, u16),
    b: (IpAddr, u16),
    proto: u8,
}

impl PairKey {
    fn new(x: (IpAddr, u16), y: (IpAddr, u16), proto: u8) -> PairKey {
        let (a, b) = if x <= y { (x, y) } else { (y, x) };
        PairKey { a, b, proto }
    }

    /// The pair of an alert's tuple.
    pub fn of_tuple(t: &Tuple) -> PairKey {
        let ports = has_ports(t.proto);
        let p = |x: Option<u16>| if ports { x.unwrap_or(0) } else { 0 };
        PairKey::new(
            (t.src_ip, p(t.src_port)),
            (t.dest_ip, p(t.dest_port)),
            t.proto,
        )
    }

    fn of_frame(f: &palisade_wire::Frame<'_>) -> PairKey {
        let addr = |a: &palisade_wire::Addr| -> IpAddr {
            if f.ip.is_v4 {
                IpAddr::from([a[0], a[1], a[2], a[3]])
            } else {
                IpAddr::from(*a)
            }
        };
        let (sp, dp) = match f.l4 {
            L4::Tcp(t) => (t.src_port, t.dst_port),
            L4::Udp { src_port, dst_port } => (src_port, dst_port),
            _ => (0, 0),
        };
        PairKey::new((addr(&f.ip.src), sp), (addr(&f.ip.dst), dp), f.ip.proto)
    }
}

/// The address/port pairs of a packet's frames (outer and tunnelled, at
/// most [`MAX_PAIRS`]), by which the capture finds a flow's packets.
pub fn packet_pairs(
    decoder: &mut Decoder,
    route: &super::route::RouteConfig,
    linktype: u32,
    data: &[u8],
    wire_len: u32,
) -> Vec<PairKey> {
    // the common single-frame packet from its headers (route.rs), the
    // rest through the decoder
    if let Some(f) = super::route::fast_frame(route, linktype, data).filter(|f| !f.fragment) {
        let addr = |a: &palisade_wire::Addr| -> IpAddr {
            if f.v4 {
                IpAddr::from([a[0], a[1], a[2], a[3]])
            } else {
                IpAddr::from(*a)
            }
        };
        let (sp, dp) = f.ports.unwrap_or((0, 0));
        return vec![PairKey::new(
            (addr(&f.src), sp),
            (addr(&f.dst), dp),
            f.proto,
        )];
    }
    let mut d = DecodedPacket::default();
    decoder.decode(Link::from_linktype(linktype), data, wire_len, &mut d);
    let mut pairs = Vec::new();
    for f in d.frames().iter() {
        if f.ip.frag.is_some_and(|fr| fr.offset > 0) {
            continue;
        }
        let k = PairKey::of_frame(f);
        if !pairs.contains(&k) && pairs.len() < MAX_PAIRS {
            pairs.push(k);
        }
    }
    pairs
}

fn has_ports(proto: u8) -> bool {
    matches!(proto, 6 | 17 | 132)
}

/// Counters of the capture thread.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct CaptureTotals {
    /// Packets written to the ring.
    pub ring_packets: u64,
    /// Ring files started.
    pub ring_files: u64,
    /// Ring files deleted to stay within `capture.files`.
    pub ring_files_deleted: u64,
    /// Per-alert files written.
    pub alert_files: u64,
    /// Packets written to per-alert files.
    pub alert_packets: u64,
    /// Per-alert files deleted to stay within `capture.alerts_max_mb`.
    pub alert_files_deleted: u64,
    /// Flows whose recording stopped at a cap (packets, bytes, or too many
    /// recordings at once).
    pub alert_truncated: u64,
    /// Packets the reader could not hand over (this thread behind).
    pub dropped: u64,
    /// Write errors (the capture goes on with the next file).
    pub write_errors: u64,
}

enum Control {
    Alert { flow_id: u64, pair: PairKey },
    FlowEnd { flow_id: u64 },
}

/// One packet of a [`PacketBatch`].
#[derive(Clone, Copy)]
struct BatchMeta {
    ts: Timestamp,
    linktype: u32,
    source: u16,
    wire_len: u32,
    start: usize,
    len: usize,
}

/// Packets handed over together, in one buffer, recycled: no allocation
/// per packet on the reader's side, and none freed across threads.
#[derive(Default)]
struct PacketBatch {
    buf: Vec<u8>,
    meta: Vec<BatchMeta>,
}

impl PacketBatch {
    fn data(&self, m: &BatchMeta) -> &[u8] {
        self.buf.get(m.start..m.start + m.len).unwrap_or(&[])
    }
}

/// Packets per batch, and bytes at which a batch goes early.
const BATCH_PACKETS: usize = 256;
const BATCH_BYTES: usize = 256 * 1024;

/// The reader's side of the capture: copies packets into batches and hands
/// them over without ever waiting. Dropping it flushes what is batched.
pub struct CaptureTap {
    tx: Sender<PacketBatch>,
    recycle: Receiver<PacketBatch>,
    cur: PacketBatch,
    dropped: Arc<AtomicU64>,
}

impl CaptureTap {
    /// Adds a copy of a packet.
    pub fn packet(&mut self, p: &Packet<'_>) {
        let start = self.cur.buf.len();
        self.cur.buf.extend_from_slice(p.data);
        self.cur.meta.push(BatchMeta {
            ts: p.ts,
            linktype: p.linktype,
            source: p.input,
            wire_len: p.wire_len,
            start,
            len: p.data.len(),
        });
        if self.cur.meta.len() >= BATCH_PACKETS || self.cur.buf.len() >= BATCH_BYTES {
            self.flush();
        }
    }

    /// Hands over what is batched (the reader calls it when the input is
    /// quiet, so the ring files are current).
    pub fn flush(&mut self) {
        if self.cur.meta.is_empty() {
            return;
        }
        let mut next = self.recycle.try_recv().unwrap_or_default();
        next.buf.clear();
        next.meta.clear();
        let full = std::mem::replace(&mut self.cur, next);
        let n = full.meta.len() as u64;
        if let Err(TrySendError::Full(mut b) | TrySendError::Disconnected(mut b)) =
            self.tx.try_send(full)
        {
            // the capture is behind: these packets are left out of it
            self.dropped.fetch_add(n, Ordering::Relaxed);
            b.buf.clear();
            b.meta.clear();
            self.cur = b;
        }
    }
}

impl Drop for CaptureTap {
    fn drop(&mut self) {
        self.flush();
    }
}

/// The output thread's handle on the capture thread (cheap to clone).
#[derive(Clone)]
pub struct CaptureHandle {
    control: Sender<Control>,
    alerts_dir: PathBuf,
}

impl CaptureHandle {
    /// An alert on a flow: its packets go to a file; returns that file's
    /// path for the alert's `capture_file`.
    pub fn alert(&self, flow_id: u64, tuple: &Tuple) -> Option<String> {
        let pair = PairKey::of_tuple(tuple);
        self.control.send(Control::Alert { flow_id, pair }).ok()?;
        Some(alert_path(&self.alerts_dir, flow_id).display().to_string())
    }

    /// A flow ended: its recording (if any) closes.
    pub fn flow_end(&self, flow_id: u64) {
        let _ = self.control.send(Control::FlowEnd { flow_id });
    }
}

fn alert_path(dir: &Path, flow_id: u64) -> PathBuf {
    dir.join(format!("{flow_id}.pcapng"))
}

/// The running capture thread.
pub struct Capture {
    handle: CaptureHandle,
    tap: Option<CaptureTap>,
    thread: JoinHandle<CaptureTotals>,
}

impl Capture {
    /// Creates the directories, finds files of earlier runs, and starts the
    /// thread. `sources` names the inputs (pcapng interface names).
    pub fn start(
        cfg: &CaptureSection,
        dir: &Path,
        sources: Vec<String>,
        decoder: DecoderConfig,
    ) -> anyhow::Result<Capture> {
        use anyhow::Context;
        cfg.validate()?;
        let alerts_dir = dir.join("alerts");
        std::fs::create_dir_all(&alerts_dir)
            .with_context(|| format!("creating {}", alerts_dir.display()))?;
        let ring_existing = existing(dir, "ring-")?;
        let alerts_existing = existing(&alerts_dir, "")?;
        let (ptx, prx) = bounded(BATCH_QUEUE);
        let (rtx, rrx) = bounded(BATCH_QUEUE + 2);
        let (ctx, crx) = bounded(CONTROL_QUEUE);
        let dropped = Arc::new(AtomicU64::new(0));
        let mut state = State::new(cfg, dir, &alerts_dir, sources, decoder);
        state.next_ring = ring_existing
            .iter()
            .filter_map(|(p, _)| ring_number(p))
            .max()
            .map_or(0, |n| n + 1);
        state.ring_files = ring_existing.into_iter().map(|(p, _)| p).collect();
        for (p, bytes) in alerts_existing {
            state.alert_bytes += bytes;
            state.alert_files.push_back((p, bytes));
        }
        let d2 = dropped.clone();
        let thread = std::thread::Builder::new()
            .name("capture".into())
            .spawn(move || {
                state.run(prx, crx, rtx);
                state.totals.dropped = d2.load(Ordering::Relaxed);
                state.totals
            })
            .context("starting the capture thread")?;
        Ok(Capture {
            handle: CaptureHandle {
                control: ctx,
                alerts_dir,
            },
            tap: Some(CaptureTap {
                tx: ptx,
                recycle: rrx,
                cur: PacketBatch::default(),
                dropped,
            }),
            thread,
        })
    }

    /// A handle for the output thread (alerts, flow ends).
    pub fn handle(&self) -> CaptureHandle {
        self.handle.clone()
    }

    /// The reader's side (once).
    pub fn tap(&mut self) -> Option<CaptureTap> {
        self.tap.take()
    }

    /// Waits for the thread once the tap and every handle are dropped;
    /// everything handed over is written and every file closed.
    pub fn finish(self) -> CaptureTotals {
        let Capture {
            handle,
            tap,
            thread,
        } = self;
        drop(tap);
        drop(handle);
        thread.join().unwrap_or_default()
    }
}

/// Files in `dir` whose name starts with `prefix` and ends in `.pcapng`,
/// oldest first (by modification time, then name), with their sizes.
fn existing(dir: &Path, prefix: &str) -> anyhow::Result<Vec<(PathBuf, u64)>> {
    use anyhow::Context;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let e = e?;
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.starts_with(prefix) || !name.ends_with(".pcapng") {
            continue;
        }
        let Ok(meta) = e.metadata() else { continue };
        if !meta.is_file() {
            continue;
        }
        let mtime = meta.modified().unwrap_or(std::time::UNIX_EPOCH);
        out.push((mtime, e.path(), meta.len()));
    }
    out.sort();
    Ok(out.into_iter().map(|(_, p, n)| (p, n)).collect())
}

fn ring_number(p: &Path) -> Option<u64> {
    p.file_name()?
        .to_str()?
        .strip_prefix("ring-")?
        .strip_suffix(".pcapng")?
        .parse()
        .ok()
}

/// A pcapng file being written, with its interfaces: one per (source,
/// link type) met.
struct NgFile {
    path: PathBuf,
    w: PcapNgWriter<BufWriter<File>>,
    ifaces: HashMap<(u16, u32), u32>,
}

impl NgFile {
    fn create(path: PathBuf) -> std::io::Result<NgFile> {
        let f = File::create(&path)?;
        Ok(NgFile {
            path,
            w: PcapNgWriter::new(BufWriter::with_capacity(64 * 1024, f))?,
            ifaces: HashMap::new(),
        })
    }

    fn write(&mut self, sources: &[String], e: &Stored) -> std::io::Result<()> {
        let iface = match self.ifaces.get(&(e.source, e.linktype)) {
            Some(i) => *i,
            None => {
                let name = sources.get(usize::from(e.source)).map(String::as_str);
                let i = self.w.add_interface(e.linktype, 0, name, true)?;
                self.ifaces.insert((e.source, e.linktype), i);
                i
            }
        };
        self.w.write_packet(iface, e.ts, &e.data, e.wire_len)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        use std::io::Write;
        self.w.get_mut().flush()
    }

    fn close(self) -> std::io::Result<u64> {
        let bytes = self.w.bytes_written();
        self.w.finish()?;
        Ok(bytes)
    }
}

/// A packet kept in memory.
struct Stored {
    ts: Timestamp,
    linktype: u32,
    source: u16,
    wire_len: u32,
    data: Box<[u8]>,
    pairs: Vec<PairKey>,
}

impl Stored {
    fn cost(&self) -> usize {
        self.data.len() + ENTRY_OVERHEAD
    }
}

/// A flow whose packets go to its alert file.
struct Recording {
    flow_id: u64,
    file: NgFile,
    packets: u64,
    bytes: u64,
}

struct State {
    sources: Vec<String>,
    decoder: Decoder,
    route: super::route::RouteConfig,
    dir: PathBuf,
    alerts_dir: PathBuf,
    file_size: u64,
    max_files: usize,
    memcap: usize,
    flow_packets: usize,
    alert_max_packets: u64,
    alert_max_bytes: u64,
    alerts_max_bytes: u64,
    max_recordings: usize,
    // ring files
    ring: Option<NgFile>,
    ring_files: VecDeque<PathBuf>,
    next_ring: u64,
    // recent packets: entry `seq` is `recent[seq - base]`
    recent: VecDeque<Stored>,
    base: u64,
    recent_bytes: usize,
    index: HashMap<PairKey, VecDeque<u64>>,
    // alert files
    recording: HashMap<PairKey, Recording>,
    recording_of: HashMap<u64, PairKey>,
    captured: HashSet<u64>,
    alert_files: VecDeque<(PathBuf, u64)>,
    alert_bytes: u64,
    totals: CaptureTotals,
}

impl State {
    fn new(
        cfg: &CaptureSection,
        dir: &Path,
        alerts_dir: &Path,
        sources: Vec<String>,
        decoder: DecoderConfig,
    ) -> State {
        const MB: u64 = 1024 * 1024;
        State {
            sources,
            route: super::route::RouteConfig::of_decoder(&decoder),
            decoder: Decoder::new(DecoderConfig {
                validate_checksums: false,
                ..decoder
            }),
            dir: dir.to_path_buf(),
            alerts_dir: alerts_dir.to_path_buf(),
            file_size: cfg.file_size_mb.saturating_mul(MB),
            max_files: cfg.files,
            memcap: usize::try_from(cfg.memcap_mb.saturating_mul(MB)).unwrap_or(usize::MAX),
            flow_packets: cfg.flow_packets,
            alert_max_packets: cfg.alert_max_packets,
            alert_max_bytes: cfg.alert_max_mb.saturating_mul(MB),
            alerts_max_bytes: cfg.alerts_max_mb.saturating_mul(MB),
            max_recordings: cfg.max_recordings,
            ring: None,
            ring_files: VecDeque::new(),
            next_ring: 0,
            recent: VecDeque::new(),
            base: 0,
            recent_bytes: 0,
            index: HashMap::new(),
            recording: HashMap::new(),
            recording_of: HashMap::new(),
            captured: HashSet::new(),
            alert_files: VecDeque::new(),
            alert_bytes: 0,
            totals: CaptureTotals::default(),
        }
    }

    fn run(
        &mut self,
        packets: Receiver<PacketBatch>,
        control: Receiver<Control>,
        recycle: Sender<PacketBatch>,
    ) {
        let mut last_flush = Instant::now();
        let mut packets_open = true;
        let mut control_open = true;
        while packets_open || control_open {
            let never = crossbeam_channel::never();
            let prx = if packets_open { &packets } else { &never };
            let never2 = crossbeam_channel::never();
            let crx = if control_open { &control } else { &never2 };
            select! {
                recv(prx) -> m => match m {
                    Ok(batch) => {
                        for m in &batch.meta {
                            self.packet(m, batch.data(m));
                        }
                        let _ = recycle.try_send(batch);
                    }
                    Err(_) => packets_open = false,
                },
                recv(crx) -> c => match c {
                    Ok(Control::Alert { flow_id, pair }) => self.alert(flow_id, pair),
                    Ok(Control::FlowEnd { flow_id }) => self.flow_end(flow_id),
                    Err(_) => control_open = false,
                },
                default(FLUSH_EVERY) => {}
            }
            if last_flush.elapsed() >= FLUSH_EVERY {
                last_flush = Instant::now();
                self.flush();
            }
        }
        self.close_all();
    }

    fn io_error(&mut self, what: &str, path: &Path, e: std::io::Error) {
        self.totals.write_errors += 1;
        tracing::warn!(file = %path.display(), "capture: {what}: {e}");
    }

    fn packet(&mut self, m: &BatchMeta, data: &[u8]) {
        let pairs = packet_pairs(&mut self.decoder, &self.route, m.linktype, data, m.wire_len);
        let e = Stored {
            ts: m.ts,
            linktype: m.linktype,
            source: m.source,
            wire_len: m.wire_len,
            data: data.into(),
            pairs,
        };
        self.write_ring(&e);
        // a flow being recorded gets the packet at once
        for k in &e.pairs {
            self.record(*k, &e);
        }
        self.remember(e);
    }

    fn write_ring(&mut self, e: &Stored) {
        if self.ring.is_none() {
            let path = self.dir.join(format!("ring-{:08}.pcapng", self.next_ring));
            self.next_ring += 1;
            match NgFile::create(path.clone()) {
                Ok(f) => {
                    self.ring = Some(f);
                    self.totals.ring_files += 1;
                    self.ring_files.push_back(path);
                    while self.ring_files.len() > self.max_files {
                        if let Some(old) = self.ring_files.pop_front() {
                            match std::fs::remove_file(&old) {
                                Ok(()) => self.totals.ring_files_deleted += 1,
                                Err(e) => self.io_error("deleting", &old, e),
                            }
                        }
                    }
                }
                Err(err) => {
                    self.io_error("creating", &path, err);
                    return;
                }
            }
        }
        let Some(ring) = self.ring.as_mut() else {
            return;
        };
        let res = ring.write(&self.sources, e);
        let full = ring.w.bytes_written() >= self.file_size;
        match res {
            Ok(()) => self.totals.ring_packets += 1,
            Err(err) => {
                let path = ring.path.clone();
                self.io_error("writing", &path, err);
            }
        }
        if full {
            if let Some(f) = self.ring.take() {
                let path = f.path.clone();
                if let Err(err) = f.close() {
                    self.io_error("closing", &path, err);
                }
            }
        }
    }

    fn remember(&mut self, e: Stored) {
        if self.memcap == 0 || self.flow_packets == 0 {
            return;
        }
        let seq = self.base + self.recent.len() as u64;
        for k in &e.pairs {
            let q = self.index.entry(*k).or_default();
            q.push_back(seq);
            if q.len() > self.flow_packets {
                q.pop_front();
            }
        }
        self.recent_bytes += e.cost();
        self.recent.push_back(e);
        while self.recent_bytes > self.memcap {
            let Some(old) = self.recent.pop_front() else {
                break;
            };
            let seq = self.base;
            self.base += 1;
            self.recent_bytes -= old.cost();
            for k in &old.pairs {
                if let Some(q) = self.index.get_mut(k) {
                    while q.front().is_some_and(|s| *s <= seq) {
                        q.pop_front();
                    }
                    if q.is_empty() {
                        self.index.remove(k);
                    }
                }
            }
        }
    }

    fn alert(&mut self, flow_id: u64, pair: PairKey) {
        if self.captured.contains(&flow_id) || self.recording.contains_key(&pair) {
            return;
        }
        let path = alert_path(&self.alerts_dir, flow_id);
        let mut file = match NgFile::create(path.clone()) {
            Ok(f) => f,
            Err(e) => return self.io_error("creating", &path, e),
        };
        self.captured.insert(flow_id);
        self.totals.alert_files += 1;
        let mut rec_packets = 0u64;
        let mut rec_bytes = 0u64;
        if let Some(seqs) = self.index.get(&pair) {
            for seq in seqs {
                let Some(e) = seq
                    .checked_sub(self.base)
                    .and_then(|i| self.recent.get(i as usize))
                else {
                    continue;
                };
                if let Err(err) = file.write(&self.sources, e) {
                    self.io_error("writing", &path, err);
                    break;
                }
                rec_packets += 1;
                rec_bytes += e.data.len() as u64;
            }
        }
        self.totals.alert_packets += rec_packets;
        let rec = Recording {
            flow_id,
            file,
            packets: rec_packets,
            bytes: rec_bytes,
        };
        if self.recording.len() >= self.max_recordings {
            self.totals.alert_truncated += 1;
            self.close_recording(rec);
            return;
        }
        let mut rec = rec;
        if let Err(e) = rec.file.flush() {
            self.io_error("flushing", &path, e);
        }
        self.recording_of.insert(flow_id, pair);
        self.recording.insert(pair, rec);
    }

    fn record(&mut self, k: PairKey, e: &Stored) {
        let Some(rec) = self.recording.get_mut(&k) else {
            return;
        };
        if rec.packets >= self.alert_max_packets || rec.bytes >= self.alert_max_bytes {
            self.totals.alert_truncated += 1;
            if let Some(rec) = self.recording.remove(&k) {
                self.recording_of.remove(&rec.flow_id);
                self.close_recording(rec);
            }
            return;
        }
        match rec.file.write(&self.sources, e) {
            Ok(()) => {
                rec.packets += 1;
                rec.bytes += e.data.len() as u64;
                self.totals.alert_packets += 1;
            }
            Err(err) => {
                let path = rec.file.path.clone();
                self.io_error("writing", &path, err);
            }
        }
    }

    fn flow_end(&mut self, flow_id: u64) {
        let Some(pair) = self.recording_of.remove(&flow_id) else {
            return;
        };
        if let Some(rec) = self.recording.remove(&pair) {
            self.close_recording(rec);
        }
    }

    fn close_recording(&mut self, rec: Recording) {
        let path = rec.file.path.clone();
        match rec.file.close() {
            Ok(bytes) => {
                self.alert_bytes += bytes;
                self.alert_files.push_back((path, bytes));
                self.trim_alert_files();
            }
            Err(e) => self.io_error("closing", &path, e),
        }
    }

    /// Deletes the oldest closed alert files beyond the alerts budget.
    fn trim_alert_files(&mut self) {
        while self.alert_bytes > self.alerts_max_bytes && self.alert_files.len() > 1 {
            let Some((old, bytes)) = self.alert_files.pop_front() else {
                break;
            };
            self.alert_bytes = self.alert_bytes.saturating_sub(bytes);
            match std::fs::remove_file(&old) {
                Ok(()) => self.totals.alert_files_deleted += 1,
                Err(e) => self.io_error("deleting", &old, e),
            }
        }
    }

    fn flush(&mut self) {
        let mut errors = Vec::new();
        if let Some(r) = self.ring.as_mut() {
            if let Err(e) = r.flush() {
                errors.push((r.path.clone(), e));
            }
        }
        for rec in self.recording.values_mut() {
            if let Err(e) = rec.file.flush() {
                errors.push((rec.file.path.clone(), e));
            }
        }
        for (p, e) in errors {
            self.io_error("flushing", &p, e);
        }
    }

    fn close_all(&mut self) {
        if let Some(f) = self.ring.take() {
            let path = f.path.clone();
            if let Err(e) = f.close() {
                self.io_error("closing", &path, e);
            }
        }
        let recs: Vec<Recording> = self.recording.drain().map(|(_, r)| r).collect();
        self.recording_of.clear();
        for r in recs {
            self.close_recording(r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_capture::{InputSet, OpenOptions};

    fn cfg() -> CaptureSection {
        CaptureSection {
            file_size_mb: 1,
            files: 3,
            ..CaptureSection::default()
        }
    }

    /// A TCP packet on Ethernet between 10.0.0.`a`:`sp` and 10.0.0.`b`:`dp`
    /// with `pad` payload bytes.
    fn tcp(a: u8, sp: u16, b: u8, dp: u16, pad: usize) -> Vec<u8> {
        let mut p = vec![0u8; 14 + 20 + 20 + pad];
        p[12] = 0x08;
        let ip = &mut p[14..];
        ip[0] = 0x45;
        let total = (40 + pad) as u16;
        ip[2..4].copy_from_slice(&total.to_be_bytes());
        ip[8] = 64;
        ip[9] = 6;
        ip[12..16].copy_from_slice(&[10, 0, 0, a]);
        ip[16..20].copy_from_slice(&[10, 0, 0, b]);
        let t = &mut ip[20..];
        t[0..2].copy_from_slice(&sp.to_be_bytes());
        t[2..4].copy_from_slice(&dp.to_be_bytes());
        t[12] = 0x50;
        t[13] = 0x18;
        p
    }

    fn send(h: &mut CaptureTap, n: u64, data: &[u8]) {
        h.packet(&Packet {
            ts: Timestamp::from_nanos(1_700_000_000_000_000_000 + n * 1000),
            linktype: 1,
            data,
            wire_len: data.len() as u32,
            interface: 0,
            input: 0,
        });
    }

    fn tuple(a: u8, sp: u16, b: u8, dp: u16) -> Tuple {
        Tuple {
            src_ip: IpAddr::from([10, 0, 0, a]),
            src_port: Some(sp),
            dest_ip: IpAddr::from([10, 0, 0, b]),
            dest_port: Some(dp),
            proto: 6,
        }
    }

    fn count_packets(path: &Path) -> usize {
        let (mut set, errors) = InputSet::open_with(&[path.to_path_buf()], &OpenOptions::default());
        assert!(errors.is_empty(), "{errors:?}");
        let mut n = 0;
        while set.next_packet().is_some() {
            n += 1;
        }
        assert!(set.take_errors().is_empty(), "{} not valid", path.display());
        n
    }

    fn tempdir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("palisade-capture-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn alert_file_holds_the_flows_packets_before_and_after() {
        let dir = tempdir("alert");
        let mut cap =
            Capture::start(&cfg(), &dir, vec!["eth0".into()], DecoderConfig::default()).unwrap();
        let h = cap.handle();
        let mut tap = cap.tap().unwrap();
        // flow 1 (5 packets before the alert), interleaved with flow 2
        for i in 0..5 {
            send(&mut tap, i, &tcp(1, 40000, 2, 80, 10));
            send(&mut tap, i, &tcp(3, 40001, 2, 80, 10));
        }
        tap.flush();
        std::thread::sleep(Duration::from_millis(200));
        let name = h.alert(77, &tuple(2, 80, 1, 40000)).unwrap();
        assert!(name.ends_with("alerts/77.pcapng"), "{name}");
        // a second alert on the flow changes nothing
        h.alert(77, &tuple(1, 40000, 2, 80));
        for i in 5..8 {
            send(&mut tap, i, &tcp(2, 80, 1, 40000, 10)); // replies: same flow
            send(&mut tap, i, &tcp(3, 40001, 2, 80, 10));
        }
        tap.flush();
        std::thread::sleep(Duration::from_millis(200));
        h.flow_end(77);
        std::thread::sleep(Duration::from_millis(100));
        send(&mut tap, 9, &tcp(1, 40000, 2, 80, 10)); // after the end: not recorded
        drop(tap);
        drop(h);
        let t = cap.finish();
        assert_eq!(t.alert_files, 1);
        assert_eq!(count_packets(&dir.join("alerts/77.pcapng")), 8);
        assert_eq!(t.ring_packets, 17);
        assert_eq!(t.dropped, 0);
        let ring: Vec<_> = existing(&dir, "ring-").unwrap();
        assert_eq!(ring.len(), 1);
        assert_eq!(count_packets(&ring[0].0), 17);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn ring_rolls_and_keeps_its_file_count_across_runs() {
        let dir = tempdir("ring");
        for run in 0..2 {
            let mut cap =
                Capture::start(&cfg(), &dir, vec!["eth0".into()], DecoderConfig::default())
                    .unwrap();
            let mut tap = cap.tap().unwrap();
            // 1 MiB files: 6 MiB of 1400-byte packets makes 6 or 7 files
            for i in 0..4500u64 {
                send(&mut tap, i, &tcp(1, 40000, 2, 80, 1400));
                if i % 1000 == 999 {
                    std::thread::sleep(Duration::from_millis(50)); // no drops
                }
            }
            drop(tap);
            let t = cap.finish();
            assert_eq!(t.dropped, 0, "run {run}");
            assert!(t.ring_files >= 6, "run {run}: {t:?}");
            let files = existing(&dir, "ring-").unwrap();
            assert_eq!(files.len(), 3, "run {run}: {files:?}");
            for (p, n) in &files {
                assert!(*n <= 1024 * 1024 + 2000, "{} is {n} bytes", p.display());
                assert!(count_packets(p) > 0);
            }
        }
        // numbering went on after the first run's files
        let last = existing(&dir, "ring-").unwrap();
        assert!(ring_number(&last[2].0).unwrap() >= 12);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn per_flow_buffer_and_recording_are_capped() {
        let dir = tempdir("caps");
        let c = CaptureSection {
            flow_packets: 4,
            alert_max_packets: 6,
            ..cfg()
        };
        let mut cap =
            Capture::start(&c, &dir, vec!["eth0".into()], DecoderConfig::default()).unwrap();
        let h = cap.handle();
        let mut tap = cap.tap().unwrap();
        for i in 0..10 {
            send(&mut tap, i, &tcp(1, 40000, 2, 80, 10));
        }
        tap.flush();
        std::thread::sleep(Duration::from_millis(200));
        h.alert(5, &tuple(1, 40000, 2, 80));
        for i in 10..20 {
            send(&mut tap, i, &tcp(1, 40000, 2, 80, 10));
        }
        drop(tap);
        drop(h);
        let t = cap.finish();
        // the last 4 buffered, then 2 more up to the cap of 6
        assert_eq!(count_packets(&dir.join("alerts/5.pcapng")), 6);
        assert_eq!(t.alert_truncated, 1);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
