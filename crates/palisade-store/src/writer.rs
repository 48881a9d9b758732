//! The writer thread: events in over a bounded channel, rows out in
//! batched transactions.
//!
//! One transaction per batch (up to [`BATCH_MAX`] events, or whatever
//! arrived by the time the previous one committed) is what makes SQLite
//! fast here: a commit costs a WAL fsync, rows within it almost nothing.
//! The channel is bounded so a store that falls behind slows its sender
//! (the output thread) instead of growing without limit. If SQLite fails
//! (disk full), the writer keeps the first error, stops writing, and keeps
//! draining the channel so the run finishes; [`StoreWriter::finish`]
//! returns the error and how many events were not stored.

use crate::{Result, RunInfo, RunTotals, Store, StoreError};
use crossbeam_channel::{bounded, Receiver, Sender};
use palisade_event::{AlertRecord, FindingRecord};
use std::thread::JoinHandle;

/// Events per transaction at most.
pub const BATCH_MAX: usize = 512;
/// Events in flight between the sender and the writer.
pub const CHANNEL_CAP: usize = 8192;

/// One event for the store.
#[derive(Clone, Debug)]
pub enum StoreOp {
    /// An alert (and its incident).
    Alert(Box<AlertRecord>),
    /// A posture finding.
    Finding(Box<FindingRecord>),
    /// A device of the inventory, as the run saw it.
    Device(Box<crate::DeviceRow>),
}

/// What the writer did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriterStats {
    /// Events stored.
    pub stored: u64,
    /// Transactions committed.
    pub transactions: u64,
    /// Events received after a failure, not stored.
    pub dropped: u64,
}

/// How the write loop ended: its stats, or the first error and the stats
/// up to it.
type LoopResult = std::result::Result<WriterStats, (StoreError, WriterStats)>;

/// The writer thread and the sending end of its channel.
pub struct StoreWriter {
    tx: Option<Sender<StoreOp>>,
    handle: Option<JoinHandle<(Store, LoopResult)>>,
    run_id: i64,
}

impl StoreWriter {
    /// Starts a run in `store` and a thread writing into it.
    pub fn start(mut store: Store, run: &RunInfo) -> Result<StoreWriter> {
        let run_id = store.begin_run(run)?;
        let (tx, rx) = bounded(CHANNEL_CAP);
        let handle = std::thread::Builder::new()
            .name("palisade-store".into())
            .spawn(move || {
                let r = write_loop(&mut store, run_id, &rx);
                (store, r)
            })
            .map_err(|_| StoreError::WriterGone)?;
        Ok(StoreWriter {
            tx: Some(tx),
            handle: Some(handle),
            run_id,
        })
    }

    /// The run's id.
    pub fn run_id(&self) -> i64 {
        self.run_id
    }

    /// A sender for events (clone it for several producers).
    pub fn sender(&self) -> Sender<StoreOp> {
        self.tx.clone().expect("sender taken only by finish")
    }

    /// Sends one event; blocks while the channel is full.
    pub fn send(&self, op: StoreOp) -> Result<()> {
        match &self.tx {
            Some(tx) => tx.send(op).map_err(|_| StoreError::WriterGone),
            None => Err(StoreError::WriterGone),
        }
    }

    /// Waits for everything sent to be written (all senders must be
    /// dropped), records the run's totals and returns the store.
    pub fn finish(mut self, totals: &RunTotals) -> Result<(Store, WriterStats)> {
        drop(self.tx.take());
        let handle = self.handle.take().ok_or(StoreError::WriterGone)?;
        let (mut store, r) = handle.join().map_err(|_| StoreError::WriterGone)?;
        let stats = r.map_err(|(e, _)| e)?;
        store.end_run(self.run_id, totals)?;
        Ok((store, stats))
    }
}

fn write_loop(store: &mut Store, run_id: i64, rx: &Receiver<StoreOp>) -> LoopResult {
    let mut stats = WriterStats::default();
    let mut failed: Option<StoreError> = None;
    let mut batch = Vec::with_capacity(BATCH_MAX);
    while let Ok(op) = rx.recv() {
        batch.push(op);
        while batch.len() < BATCH_MAX {
            match rx.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        if failed.is_some() {
            stats.dropped += batch.len() as u64;
        } else {
            match store.write_batch(run_id, &batch) {
                Ok(()) => {
                    stats.stored += batch.len() as u64;
                    stats.transactions += 1;
                }
                Err(e) => {
                    stats.dropped += batch.len() as u64;
                    failed = Some(e);
                }
            }
        }
        batch.clear();
    }
    match failed {
        Some(e) => Err((e, stats)),
        None => Ok(stats),
    }
}
