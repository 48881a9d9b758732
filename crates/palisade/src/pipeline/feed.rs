//! Where the pipeline's packets come from: capture files ([`InputSet`],
//! `palisade scan`) or live sources ([`LiveFeed`], `palisade sensor`).
//!
//! The pipeline's reader loop asks [`PacketFeed::next_item`] for the next packet
//! and gets one of three answers: a packet, `Idle` (a live source had
//! nothing within [`LIVE_IDLE`]: the loop hands its partial batches to the
//! workers and advances the flow clocks to the wall-clock time, so alerts
//! and flow timeouts do not wait for the next packet), or `End` (files
//! exhausted; every live reader stopped).
//!
//! A live feed runs one reader thread per source (`--interface` or
//! `--mirror`). Each reader copies its packets out of the source's ring or
//! buffer into a bounded channel that the pipeline's reader loop drains;
//! from there the loop dispatches by its own symmetric flow hash, exactly as
//! for files. That was chosen over one AF_PACKET socket per worker in a
//! `PACKET_FANOUT` group because it is correct for mirrors and interfaces
//! alike (one hash, the pipeline's, decides which worker owns a flow, also
//! for tunnelled packets) and changes nothing downstream; its cost is one
//! copy per packet. When the channel is full the reader stops reading, the
//! kernel's ring fills, and the kernel counts its drops
//! ([`LiveStats::kernel_drops`]) instead of memory growing.
//!
//! Stopping: the readers check a shared stop flag between reads (a read
//! waits at most [`READ_TIMEOUT`]), then read what the kernel already holds
//! (for at most [`DRAIN`]); when the last one has stopped, the
//! channel is drained and the feed answers `End`, after which the pipeline
//! flushes flows (end reason `shutdown`) and finishes EVE and the store as
//! at the end of a file.

use palisade_capture::{InputSet, Packet, SharedBytes};
use palisade_event::Timestamp;
use palisade_live::{AfPacketConfig, LiveSource, LiveStats, SourceSpec};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, Receiver, RecvTimeoutError};

/// Consecutive failed reads after which a live source is given up.
const MAX_FAILURES: u32 = 50;
/// Pause after a failed read (50 failures: about 5 s of trying).
const RETRY_PAUSE: Duration = Duration::from_millis(100);
/// How long a live source's read waits before the stop flag is checked.
pub const READ_TIMEOUT: Duration = Duration::from_millis(100);
/// How long the pipeline waits for a live packet before it flushes batches
/// and advances clocks.
pub const LIVE_IDLE: Duration = Duration::from_millis(200);
/// Longest a stopping reader goes on reading what the kernel holds.
pub const DRAIN: Duration = Duration::from_secs(1);
/// Packets queued between the readers and the pipeline.
const LIVE_QUEUE: usize = 8192;

/// What [`PacketFeed::next_item`] returns.
pub enum Next<'a> {
    /// A packet (borrowed until the next call).
    Packet(Packet<'a>),
    /// No live packet for a while; the wall-clock time now.
    Idle(Timestamp),
    /// No more packets.
    End,
}

/// The pipeline's packet source.
pub enum PacketFeed {
    /// Capture files (`palisade scan`).
    Files(InputSet),
    /// Live sources (`palisade sensor`).
    Live(LiveFeed),
}

impl PacketFeed {
    /// The next packet, an idle tick (live only), or the end.
    pub fn next_item(&mut self) -> Next<'_> {
        match self {
            PacketFeed::Files(i) => i.next_packet().map_or(Next::End, Next::Packet),
            PacketFeed::Live(l) => l.next_item(),
        }
    }

    /// Total bytes to read, for the progress bar (files only).
    pub fn total_bytes(&self) -> Option<u64> {
        match self {
            PacketFeed::Files(i) => i.total_bytes(),
            PacketFeed::Live(_) => None,
        }
    }

    /// Bytes read so far (files), packets' bytes (live).
    pub fn bytes_consumed(&self) -> u64 {
        match self {
            PacketFeed::Files(i) => i.bytes_consumed(),
            PacketFeed::Live(l) => l.bytes,
        }
    }

    /// The inputs' names, by input index (what `Packet::input` counts).
    pub fn names(&self) -> Vec<String> {
        match self {
            PacketFeed::Files(i) => i.inputs(),
            PacketFeed::Live(l) => l.names.clone(),
        }
    }

    /// The memory mapping of a file input (packets handed by reference).
    pub fn shared_bytes(&self, input: u16) -> Option<&SharedBytes> {
        match self {
            PacketFeed::Files(i) => i.shared_bytes(input),
            PacketFeed::Live(_) => None,
        }
    }
}

/// One copied live packet on its way to the pipeline.
struct LiveMsg {
    ts: Timestamp,
    linktype: u32,
    data: Vec<u8>,
    wire_len: u32,
    source: u16,
}

/// What a reader thread ends with.
type ReaderEnd = (LiveStats, Option<String>);

/// Live sources with one reader thread each.
pub struct LiveFeed {
    names: Vec<String>,
    rx: Receiver<LiveMsg>,
    cur: Vec<u8>,
    bytes: u64,
    readers: Vec<JoinHandle<ReaderEnd>>,
}

/// A live source's name (as the store's run inputs and the summary show it)
/// and its counters at the end.
#[derive(Clone, Debug)]
pub struct LiveSourceReport {
    /// `eth0`, `vxlan://0.0.0.0:4789`.
    pub name: String,
    /// The source's counters.
    pub stats: LiveStats,
    /// Why the source failed, if it did (the others go on).
    pub error: Option<String>,
}

impl LiveFeed {
    /// Opens every source (so a bad interface or a taken port fails before
    /// anything runs) and starts their readers. They stop when `stop` is set.
    pub fn start(
        specs: &[SourceSpec],
        cfg: &AfPacketConfig,
        stop: Arc<AtomicBool>,
    ) -> anyhow::Result<LiveFeed> {
        Self::start_with(specs, cfg, stop, None)
    }

    /// [`start`](Self::start), each reader publishing its source's counters
    /// (kernel packets and drops, invalid input, failed reads, up) into
    /// `metrics` about twice a second.
    pub fn start_with(
        specs: &[SourceSpec],
        cfg: &AfPacketConfig,
        stop: Arc<AtomicBool>,
        metrics: Option<Arc<crate::metrics::Metrics>>,
    ) -> anyhow::Result<LiveFeed> {
        if specs.is_empty() {
            anyhow::bail!("no live source");
        }
        if specs.len() > usize::from(u16::MAX) {
            anyhow::bail!("too many live sources");
        }
        let mut opened = Vec::with_capacity(specs.len());
        for s in specs {
            let src = s
                .open(cfg)
                .map_err(|e| anyhow::anyhow!("opening {s}: {e}"))?;
            tracing::info!(source = %s, "live source opened");
            opened.push((s.to_string(), src));
        }
        let (tx, rx) = bounded::<LiveMsg>(LIVE_QUEUE);
        let mut names = Vec::with_capacity(opened.len());
        let mut readers = Vec::with_capacity(opened.len());
        for (idx, (name, mut src)) in opened.into_iter().enumerate() {
            let tx = tx.clone();
            let stop = stop.clone();
            let source = idx as u16;
            names.push(name.clone());
            let mut tap = metrics
                .as_ref()
                .map(|m| crate::metrics::SourceTap::new(m, idx, &name));
            let h = std::thread::Builder::new()
                .name(format!("live-{idx}"))
                .spawn(move || {
                    let mut error = None;
                    // Until stopped; then what the kernel already holds
                    // (a ring block retires within READ_TIMEOUT) is read
                    // too, for at most DRAIN, so that a packet received
                    // before the signal is inspected.
                    let mut drain_until: Option<Instant> = None;
                    let mut failures = 0u32;
                    loop {
                        if drain_until.is_none() && stop.load(Ordering::Relaxed) {
                            tracing::info!(source = %name, "live source stopping (signal)");
                            drain_until = Some(Instant::now() + DRAIN);
                        }
                        if drain_until.is_some_and(|t| Instant::now() >= t) {
                            break;
                        }
                        match src.next(READ_TIMEOUT) {
                            Ok(Some(p)) => {
                                failures = 0;
                                let msg = LiveMsg {
                                    ts: p.ts,
                                    linktype: p.linktype,
                                    data: p.data.to_vec(),
                                    wire_len: p.wire_len,
                                    source,
                                };
                                maybe_publish(&mut tap, true, &mut src, &name);
                                if tx.send(msg).is_err() {
                                    break; // the pipeline is gone
                                }
                            }
                            Ok(None) if drain_until.is_some() => break,
                            Ok(None) => {
                                failures = 0;
                                maybe_publish(&mut tap, false, &mut src, &name);
                            }
                            // A sensor runs day and night: an interface that
                            // goes down and comes back (ENETDOWN once) must
                            // not end its capture. Only a source failing on
                            // every try for a while is given up.
                            Err(e) if failures < MAX_FAILURES => {
                                failures += 1;
                                if let Some(t) = tap.as_mut() {
                                    t.read_error();
                                }
                                tracing::warn!(
                                    source = %name,
                                    error = %e,
                                    attempt = failures,
                                    max_attempts = MAX_FAILURES,
                                    "live source read failed, retrying"
                                );
                                std::thread::sleep(RETRY_PAUSE);
                            }
                            Err(e) => {
                                if let Some(t) = tap.as_mut() {
                                    t.read_error();
                                }
                                tracing::error!(
                                    source = %name,
                                    error = %e,
                                    attempts = failures + 1,
                                    "live source failed, given up"
                                );
                                error = Some(e.to_string());
                                break;
                            }
                        }
                    }
                    let stats = src.stats().unwrap_or_else(|e| {
                        tracing::warn!(source = %name, error = %e, "reading live source counters");
                        LiveStats::default()
                    });
                    if let Some(t) = &mut tap {
                        t.publish(&stats);
                        t.down();
                    }
                    tracing::info!(
                        source = %name,
                        packets = stats.packets,
                        bytes = stats.bytes,
                        kernel_packets = stats.kernel_packets,
                        kernel_drops = stats.kernel_drops,
                        invalid = stats.invalid,
                        failed = error.is_some(),
                        "live source stopped"
                    );
                    (stats, error)
                })?;
            readers.push(h);
        }
        Ok(LiveFeed {
            names,
            rx,
            cur: Vec::new(),
            bytes: 0,
            readers,
        })
    }

    /// The sources' names, in the order given.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    fn next_item(&mut self) -> Next<'_> {
        match self.rx.recv_timeout(LIVE_IDLE) {
            Ok(m) => {
                self.cur = m.data;
                self.bytes += self.cur.len() as u64;
                Next::Packet(Packet {
                    ts: m.ts,
                    linktype: m.linktype,
                    data: &self.cur,
                    wire_len: m.wire_len,
                    interface: 0,
                    input: m.source,
                })
            }
            Err(RecvTimeoutError::Timeout) => Next::Idle(wall_clock()),
            Err(RecvTimeoutError::Disconnected) => Next::End,
        }
    }

    /// Waits for the readers (they have stopped once the feed said `End`)
    /// and returns each source's counters.
    pub fn finish(self) -> Vec<LiveSourceReport> {
        let LiveFeed { names, readers, .. } = self;
        names
            .into_iter()
            .zip(readers)
            .map(|(name, h)| {
                let (stats, error) = h
                    .join()
                    .unwrap_or_else(|_| (LiveStats::default(), Some("reader panicked".into())));
                LiveSourceReport { name, stats, error }
            })
            .collect()
    }
}

/// Publishes a live source's counters when it is time (they are read from
/// the kernel: a system call, hence only now and then). `packet`: called
/// for a packet (else for an empty read).
fn maybe_publish(
    tap: &mut Option<crate::metrics::SourceTap>,
    packet: bool,
    src: &mut palisade_live::Source,
    name: &str,
) {
    let Some(tap) = tap.as_mut() else {
        return;
    };
    if !tap.due(packet) {
        return;
    }
    match src.stats() {
        Ok(s) => tap.publish(&s),
        Err(e) => {
            tap.published_now();
            tracing::debug!(source = %name, error = %e, "reading live source counters");
        }
    }
}

/// Wall-clock now as a packet time (live packet times are the kernel's
/// receive times, on the same clock).
fn wall_clock() -> Timestamp {
    let ns = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    Timestamp::from_nanos(ns)
}
