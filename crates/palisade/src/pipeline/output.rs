//! The event path from workers to sinks: workers batch events and send them
//! to one output thread, which serialises EVE off the workers' critical path.

use crossbeam_channel::{Receiver, Sender};
use palisade_event::{AnomalyRecord, Event, FlowRecord};
use palisade_flow::FlowObserver;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

/// Events per batch sent to the output thread.
const EVENT_BATCH: usize = 256;

/// Which event types are written.
#[derive(Clone, Copy, Debug)]
pub struct TypeFilter {
    /// alert records
    pub alert: bool,
    /// flow records
    pub flow: bool,
    /// anomaly records
    pub anomaly: bool,
    /// stats record
    pub stats: bool,
    /// App-layer record types, one bit per position in
    /// [`palisade_event::EVENT_TYPES`].
    pub app: u64,
}

impl TypeFilter {
    /// From `--eve-types` names; empty means all.
    pub fn from_names(names: &[String]) -> TypeFilter {
        if names.is_empty() {
            return TypeFilter {
                alert: true,
                flow: true,
                anomaly: true,
                stats: true,
                app: u64::MAX,
            };
        }
        let has = |n: &str| names.iter().any(|x| x == n);
        let mut app = 0u64;
        for (i, t) in palisade_event::EVENT_TYPES.iter().enumerate() {
            if has(t) {
                app |= 1 << i;
            }
        }
        TypeFilter {
            alert: has("alert"),
            flow: has("flow"),
            anomaly: has("anomaly"),
            stats: has("stats"),
            app,
        }
    }

    /// Whether records of app-layer event type `t` are written.
    pub fn wants_app(&self, t: &str) -> bool {
        palisade_event::EVENT_TYPES
            .iter()
            .position(|x| *x == t)
            .is_some_and(|i| self.app & (1 << i) != 0)
    }

    fn wants(&self, ev: &Event) -> bool {
        match ev {
            Event::Alert(_) => self.alert,
            Event::Flow(_) => self.flow,
            Event::Anomaly(_) => self.anomaly,
            Event::Stats { .. } => self.stats,
            Event::App(a) => self.wants_app(a.event_type),
            Event::Finding(_) => self.wants_app("finding"),
        }
    }
}

/// A worker's outbox: collects events, sends full batches, counts.
pub struct EventBatcher {
    tx: Sender<Vec<Event>>,
    buf: Vec<Event>,
    filter: TypeFilter,
    /// Flow records seen (written or not).
    pub flows: u64,
    /// Anomaly records seen.
    pub anomalies: u64,
    /// Alert records seen.
    pub alerts: u64,
    /// App-layer records seen.
    pub app_records: u64,
}

impl EventBatcher {
    /// An outbox sending to `tx`.
    pub fn new(tx: Sender<Vec<Event>>, filter: TypeFilter) -> Self {
        EventBatcher {
            tx,
            buf: Vec::with_capacity(EVENT_BATCH),
            filter,
            flows: 0,
            anomalies: 0,
            alerts: 0,
            app_records: 0,
        }
    }

    /// Whether app records of type `t` would be written (so the logger
    /// can skip building them).
    pub fn wants_app(&self, t: &str) -> bool {
        self.filter.wants_app(t)
    }

    /// Queues an app-layer transaction record.
    pub fn app(&mut self, rec: palisade_event::AppRecord) {
        self.app_records += 1;
        self.push(Event::App(Box::new(rec)));
    }

    /// Queues an alert record.
    pub fn alert(&mut self, rec: palisade_event::AlertRecord) {
        self.alerts += 1;
        self.push(Event::Alert(Box::new(rec)));
    }

    fn push(&mut self, ev: Event) {
        if !self.filter.wants(&ev) {
            return;
        }
        self.buf.push(ev);
        if self.buf.len() >= EVENT_BATCH {
            self.flush();
        }
    }

    /// Sends what is batched.
    pub fn flush(&mut self) {
        if !self.buf.is_empty() {
            let batch = std::mem::replace(&mut self.buf, Vec::with_capacity(EVENT_BATCH));
            // The output thread only goes away on a write error, which it
            // reports itself; events after that have nowhere to go.
            let _ = self.tx.send(batch);
        }
    }
}

impl FlowObserver for EventBatcher {
    fn flow_end(&mut self, record: FlowRecord) {
        self.flows += 1;
        self.push(Event::Flow(Box::new(record)));
    }
    fn anomaly(&mut self, record: AnomalyRecord) {
        self.anomalies += 1;
        self.push(Event::Anomaly(Box::new(record)));
    }
}

/// What the output thread wrote.
#[derive(Clone, Debug, Default)]
pub struct OutputTotals {
    /// Records written.
    pub records: u64,
    /// Bytes written.
    pub bytes: u64,
}

/// Runs the EVE writer until every sender is gone.
pub fn run_eve_writer(rx: Receiver<Vec<Event>>, path: PathBuf) -> anyhow::Result<OutputTotals> {
    use anyhow::Context;
    let file = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let mut totals = OutputTotals::default();
    let mut line = Vec::with_capacity(1024);
    for batch in rx {
        for ev in batch {
            line.clear();
            ev.write_eve(&mut line);
            w.write_all(&line)
                .with_context(|| format!("writing {}", path.display()))?;
            totals.records += 1;
            totals.bytes += line.len() as u64;
        }
    }
    w.flush()
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(totals)
}
