//! The event path from workers to sinks: workers batch events and send them
//! to one output thread, which serialises EVE off the workers' critical path.

use crossbeam_channel::{Receiver, Sender};
use palisade_detectors::{DnsObs, KalayObs, LoginObs, PacketObs, TlsObs};
use palisade_event::{AnomalyRecord, Event, FlowRecord};
use palisade_flow::FlowObserver;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

/// How the EVE file is opened, rotated and reopened while running.
#[derive(Clone, Debug, Default)]
pub struct EveControl {
    /// Set (SIGHUP) to close the file and open it again by name, after
    /// logrotate or an operator moved it away.
    pub reopen: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// Append to an existing file instead of truncating it (the sensor:
    /// a restart must not lose what it wrote before).
    pub append: bool,
    /// Rotate when the file reaches this many bytes (0 = never).
    pub rotate_bytes: u64,
    /// Rotate when the file is this old (None = never).
    pub rotate_every: Option<std::time::Duration>,
    /// Rotated files kept (`eve.json.YYYYMMDDTHHMMSS`); 0 = all.
    pub rotate_keep: usize,
}

impl EveControl {
    /// The rotation settings of `[output]`.
    pub fn from_config(o: &crate::config::OutputSection) -> EveControl {
        EveControl {
            rotate_bytes: o.eve_rotate_mb.saturating_mul(1024 * 1024),
            rotate_every: (o.eve_rotate_interval_secs > 0)
                .then(|| std::time::Duration::from_secs(o.eve_rotate_interval_secs)),
            rotate_keep: o.eve_rotate_keep,
            ..EveControl::default()
        }
    }
}

fn open_eve(path: &std::path::Path, append: bool) -> std::io::Result<(File, u64)> {
    if append {
        let f = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)?;
        let len = f.metadata().map_or(0, |m| m.len());
        Ok((f, len))
    } else {
        Ok((File::create(path)?, 0))
    }
}

/// The UTC wall-clock time as `YYYYMMDDTHHMMSS`, for rotated file names.
fn rotation_stamp() -> String {
    let ns = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut v = Vec::new();
    palisade_event::Timestamp::from_nanos(ns).write_eve(&mut v);
    String::from_utf8_lossy(&v)
        .chars()
        .take(19)
        .filter(|c| *c != '-' && *c != ':')
        .collect()
}

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

/// Packet observations per batch before it is sent.
const OBS_BATCH: usize = 4096;

/// What a worker sends the output thread: records to write, and the
/// observations the detectors there read (empty when they are off).
#[derive(Debug, Default)]
pub struct OutBatch {
    /// Records.
    pub events: Vec<Event>,
    /// Packet summaries.
    pub packets: Vec<PacketObs>,
    /// Login attempts (no secrets).
    pub logins: Vec<LoginObs>,
    /// TLS handshakes.
    pub tls: Vec<TlsObs>,
    /// Kalay messages naming a UID.
    pub kalay: Vec<KalayObs>,
    /// DNS answers.
    pub dns: Vec<DnsObs>,
}

impl OutBatch {
    /// A batch of records only.
    pub fn events(events: Vec<Event>) -> OutBatch {
        OutBatch {
            events,
            ..OutBatch::default()
        }
    }
}

/// A worker's outbox: collects events, sends full batches, counts.
pub struct EventBatcher {
    tx: Sender<OutBatch>,
    buf: Vec<Event>,
    packets: Vec<PacketObs>,
    logins: Vec<LoginObs>,
    tls: Vec<TlsObs>,
    kalay: Vec<KalayObs>,
    dns: Vec<DnsObs>,
    /// Whether observations are collected (detectors on).
    pub observe: bool,
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
    pub fn new(tx: Sender<OutBatch>, filter: TypeFilter) -> Self {
        EventBatcher {
            tx,
            buf: Vec::with_capacity(EVENT_BATCH),
            packets: Vec::new(),
            logins: Vec::new(),
            tls: Vec::new(),
            kalay: Vec::new(),
            dns: Vec::new(),
            observe: false,
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

    /// Collects observations for the detectors (or not).
    pub fn observing(mut self, on: bool) -> Self {
        self.observe = on;
        self
    }

    /// Queues a packet summary for the detectors.
    #[inline]
    pub fn packet_obs(&mut self, p: PacketObs) {
        self.packets.push(p);
        if self.packets.len() >= OBS_BATCH {
            self.flush();
        }
    }

    /// Queues a TLS handshake for the detectors.
    pub fn tls_obs(&mut self, t: TlsObs) {
        self.tls.push(t);
    }

    /// Queues a Kalay message for the detectors.
    pub fn kalay_obs(&mut self, k: KalayObs) {
        self.kalay.push(k);
    }

    /// Queues a DNS answer for the detectors.
    pub fn dns_obs(&mut self, d: DnsObs) {
        self.dns.push(d);
    }

    /// Queues a login attempt for the detectors.
    pub fn login_obs(&mut self, l: LoginObs) {
        self.logins.push(l);
    }

    /// Sends what is batched.
    pub fn flush(&mut self) {
        if self.buf.is_empty()
            && self.packets.is_empty()
            && self.logins.is_empty()
            && self.tls.is_empty()
            && self.kalay.is_empty()
            && self.dns.is_empty()
        {
            return;
        }
        let batch = OutBatch {
            events: std::mem::replace(&mut self.buf, Vec::with_capacity(EVENT_BATCH)),
            packets: std::mem::replace(
                &mut self.packets,
                Vec::with_capacity(if self.observe { OBS_BATCH } else { 0 }),
            ),
            logins: std::mem::take(&mut self.logins),
            tls: std::mem::take(&mut self.tls),
            kalay: std::mem::take(&mut self.kalay),
            dns: std::mem::take(&mut self.dns),
        };
        // The output thread only goes away on a write error, which it
        // reports itself; events after that have nowhere to go.
        let _ = self.tx.send(batch);
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
    /// Detector alerts raised (written or not).
    pub detector_alerts: u64,
    /// Findings raised (written or not).
    pub findings: u64,
    /// Detector alerts per (sid, msg).
    pub detector_alerts_by_sid: std::collections::BTreeMap<(u32, &'static str), u64>,
    /// Devices in the inventory at the end (None: inventory off).
    pub devices: Option<usize>,
    /// Devices not kept (inventory table full).
    pub devices_dropped: u64,
    /// Hours of device traffic dropped (`inventory.max_traffic_hours`).
    pub traffic_hours_dropped: u64,
}

/// The EVE file and its counters.
struct EveOut {
    w: BufWriter<File>,
    path: PathBuf,
    line: Vec<u8>,
    totals: OutputTotals,
    filter: TypeFilter,
    /// The store's writer, when a store is written.
    store: Option<crossbeam_channel::Sender<palisade_store::StoreOp>>,
    /// The rolling capture, which writes the packets of every alerted flow
    /// to a file named in the alert.
    capture: Option<super::capture::CaptureHandle>,
    control: EveControl,
    /// Live source names, for `in_iface` (empty when reading files).
    sources: Vec<String>,
    /// Bytes in the current file, and when it was opened (rotation).
    file_bytes: u64,
    opened: std::time::Instant,
    /// Alert and output counters for `/metrics`, when on.
    tap: Option<crate::metrics::OutputTap>,
}

impl EveOut {
    /// Tells the capture about an alert (its flow's packets go to a file
    /// named in the alert) or a flow's end (its recording stops).
    fn capture(&self, ev: &mut Event) {
        let Some(c) = &self.capture else {
            return;
        };
        match ev {
            Event::Alert(a) => {
                if let Some(id) = a.flow_id {
                    a.capture_file = c.alert(id, &a.tuple);
                }
            }
            Event::Flow(f) => c.flow_end(f.flow_id),
            _ => {}
        }
    }

    /// Hands alerts and findings to the store (all of them, whatever the
    /// EVE type filter writes). A store writer that stopped reports its
    /// error when the scan finishes.
    fn store(&mut self, ev: &Event) {
        let Some(tx) = &self.store else {
            return;
        };
        let op = match ev {
            Event::Alert(a) => palisade_store::StoreOp::Alert(a.clone()),
            Event::Finding(f) => palisade_store::StoreOp::Finding(f.clone()),
            _ => return,
        };
        if tx.send(op).is_err() {
            self.store = None;
        }
    }

    /// Publishes the counters for `/metrics` (after every batch).
    fn publish(&mut self) {
        if let Some(t) = &mut self.tap {
            t.publish(self.totals.records, self.totals.bytes);
        }
    }

    fn write(&mut self, ev: &Event) -> anyhow::Result<()> {
        use anyhow::Context;
        self.line.clear();
        ev.write_eve_named(&mut self.line, &self.sources);
        self.w
            .write_all(&self.line)
            .with_context(|| format!("writing {}", self.path.display()))?;
        self.totals.records += 1;
        self.totals.bytes += self.line.len() as u64;
        self.file_bytes += self.line.len() as u64;
        let c = &self.control;
        if (c.rotate_bytes > 0 && self.file_bytes >= c.rotate_bytes)
            || c.rotate_every.is_some_and(|d| self.opened.elapsed() >= d)
        {
            self.rotate()?;
        }
        Ok(())
    }

    /// Renames the file to `NAME.YYYYMMDDTHHMMSS`, starts a new one, and
    /// deletes the oldest rotated files beyond `rotate_keep`.
    fn rotate(&mut self) -> anyhow::Result<()> {
        use anyhow::Context;
        self.w
            .flush()
            .with_context(|| format!("writing {}", self.path.display()))?;
        let base = self.path.display().to_string();
        let stamp = rotation_stamp();
        let mut to = PathBuf::from(format!("{base}.{stamp}"));
        let mut n = 1;
        while to.exists() {
            to = PathBuf::from(format!("{base}.{stamp}-{n}"));
            n += 1;
        }
        std::fs::rename(&self.path, &to)
            .with_context(|| format!("rotating {} to {}", self.path.display(), to.display()))?;
        tracing::info!(file = %to.display(), "EVE rotated");
        self.reopen(false)?;
        if self.control.rotate_keep > 0 {
            self.prune_rotated();
        }
        Ok(())
    }

    fn prune_rotated(&self) {
        let (Some(dir), Some(name)) = (self.path.parent(), self.path.file_name()) else {
            return;
        };
        let dir = if dir.as_os_str().is_empty() {
            std::path::Path::new(".")
        } else {
            dir
        };
        let prefix = format!("{}.", name.to_string_lossy());
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut rotated: Vec<PathBuf> = entries
            .filter_map(|e| e.ok())
            .filter(|e| {
                e.file_name()
                    .to_str()
                    .and_then(|n| n.strip_prefix(&prefix))
                    .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
            })
            .map(|e| e.path())
            .collect();
        rotated.sort();
        let excess = rotated.len().saturating_sub(self.control.rotate_keep);
        for old in rotated.into_iter().take(excess) {
            if let Err(e) = std::fs::remove_file(&old) {
                tracing::warn!(file = %old.display(), "deleting a rotated EVE file: {e}");
            }
        }
    }

    /// Closes the file and opens it again by name (appending when asked).
    fn reopen(&mut self, append: bool) -> anyhow::Result<()> {
        use anyhow::Context;
        self.w
            .flush()
            .with_context(|| format!("writing {}", self.path.display()))?;
        let (f, len) = open_eve(&self.path, append)
            .with_context(|| format!("opening {}", self.path.display()))?;
        self.w = BufWriter::with_capacity(1 << 20, f);
        self.file_bytes = len;
        self.opened = std::time::Instant::now();
        Ok(())
    }
}

/// Detector output on its way to the file: alerts become EVE alert
/// records (their rule object built per alert, since the evidence is part
/// of `alert.metadata`), findings EVE finding records.
struct DetectorSink<'a> {
    out: &'a mut EveOut,
    error: Option<anyhow::Error>,
}

impl palisade_detectors::Emit for DetectorSink<'_> {
    fn alert(&mut self, a: palisade_detectors::DetectorAlert) {
        self.out.totals.detector_alerts += 1;
        if let Some(t) = &mut self.out.tap {
            t.alert(
                crate::metrics::AlertKind::Detector,
                a.class.name(),
                a.severity,
            );
        }
        *self
            .out
            .totals
            .detector_alerts_by_sid
            .entry((a.sid, a.msg))
            .or_default() += 1;
        if self.error.is_some() || !(self.out.filter.alert || self.out.store.is_some()) {
            return;
        }
        let mut ev = Event::Alert(Box::new(crate::pipeline::detectors::alert_record(&a)));
        self.out.capture(&mut ev);
        self.out.store(&ev);
        if !self.out.filter.alert {
            return;
        }
        if let Err(e) = self.out.write(&ev) {
            self.error = Some(e);
        }
    }
    fn finding(&mut self, f: palisade_event::FindingRecord) {
        self.out.totals.findings += 1;
        if self.error.is_some() {
            return;
        }
        let ev = Event::Finding(Box::new(f));
        self.out.store(&ev);
        if !self.out.filter.wants_app("finding") {
            return;
        }
        if let Err(e) = self.out.write(&ev) {
            self.error = Some(e);
        }
    }
}

/// What the output thread writes to and runs.
pub struct EveWriter {
    /// The EVE file.
    pub path: PathBuf,
    /// Event types written.
    pub filter: TypeFilter,
    /// The built-in detectors, fed the workers' observations.
    pub detectors: Option<palisade_detectors::DetectorSet>,
    /// The store's writer.
    pub store: Option<crossbeam_channel::Sender<palisade_store::StoreOp>>,
    /// The passive inventory.
    pub inventory: Option<palisade_fleet::Inventory>,
    /// The rolling capture.
    pub capture: Option<super::capture::CaptureHandle>,
    /// Opening, rotation and reopening of the file.
    pub control: EveControl,
    /// Alert and output counters for `/metrics`, when on.
    pub tap: Option<crate::metrics::OutputTap>,
    /// Live source names, written as `in_iface` (empty for files).
    pub sources: Vec<String>,
}

/// Runs the EVE writer until every sender is gone. With detectors, the
/// observations of each batch go through them after its records, and
/// their alerts and findings are written as they come; at the end running
/// incidents end before the final stats record is written.
pub fn run_eve_writer(rx: Receiver<OutBatch>, setup: EveWriter) -> anyhow::Result<OutputTotals> {
    let EveWriter {
        path,
        filter,
        mut detectors,
        store,
        mut inventory,
        capture,
        control,
        tap,
        sources,
    } = setup;
    use anyhow::Context;
    use palisade_detectors::Observation;
    let (file, file_bytes) =
        open_eve(&path, control.append).with_context(|| format!("creating {}", path.display()))?;
    let mut out = EveOut {
        w: BufWriter::with_capacity(1 << 20, file),
        path: path.clone(),
        line: Vec::with_capacity(1024),
        totals: OutputTotals::default(),
        filter,
        store,
        capture,
        control,
        file_bytes,
        opened: std::time::Instant::now(),
        tap,
        sources,
    };
    let mut held_stats: Vec<Event> = Vec::new();
    let mut clock = palisade_event::Timestamp::ZERO;
    for mut batch in rx {
        if out
            .control
            .reopen
            .swap(false, std::sync::atomic::Ordering::Relaxed)
        {
            out.reopen(true)?;
            tracing::info!(file = %out.path.display(), "EVE reopened");
        }
        if let Some(t) = &mut out.tap {
            t.events(&batch.events);
        }
        for ev in batch.events.iter_mut() {
            if let Event::Stats { .. } = ev {
                // written after the detectors have ended their incidents
                held_stats.push(ev.clone());
                continue;
            }
            out.capture(ev);
            out.store(ev);
            if out.filter.wants(ev) {
                out.write(ev)?;
            }
        }
        if let Some(inv) = inventory.as_mut() {
            for p in &batch.packets {
                inv.packet(&crate::pipeline::store::packet_facts(p));
            }
            for ev in &batch.events {
                if let Event::App(rec) = ev {
                    palisade_fleet::fingerprint::observe_app(inv, rec);
                }
            }
        }
        out.publish();
        let Some(det) = detectors.as_mut() else {
            continue;
        };
        let mut sink = DetectorSink {
            out: &mut out,
            error: None,
        };
        // DNS answers first: a device's connection to an address follows
        // the answer that gave it, often within the same batch
        for d in &batch.dns {
            clock = clock.max(d.ts);
            det.observe(clock, Observation::Dns(d), &mut sink);
        }
        for p in &batch.packets {
            clock = clock.max(p.ts);
            det.observe(clock, Observation::Packet(p), &mut sink);
        }
        for l in &batch.logins {
            clock = clock.max(l.ts);
            det.observe(clock, Observation::Login(l), &mut sink);
        }
        for t in &batch.tls {
            clock = clock.max(t.ts);
            det.observe(clock, Observation::Tls(t), &mut sink);
        }
        for k in &batch.kalay {
            clock = clock.max(k.ts);
            det.observe(clock, Observation::Kalay(k), &mut sink);
        }
        for ev in &batch.events {
            if let Event::Flow(f) = ev {
                det.observe(clock, Observation::FlowEnd(f), &mut sink);
            }
        }
        if let Some(e) = sink.error {
            return Err(e);
        }
        out.publish();
    }
    if let Some(det) = detectors.as_mut() {
        let mut sink = DetectorSink {
            out: &mut out,
            error: None,
        };
        det.finish(clock, &mut sink);
        if let Some(e) = sink.error {
            return Err(e);
        }
    }
    if let Some(inv) = &inventory {
        out.totals.devices = Some(inv.len());
        out.totals.devices_dropped = inv.devices_dropped;
        // What each device is, and the known vulnerabilities of that:
        // findings like the detectors', written to EVE and the store.
        let classes: Vec<_> = inv
            .devices()
            .into_iter()
            .map(|d| (d, inv.classify(d)))
            .collect();
        let mut sink = DetectorSink {
            out: &mut out,
            error: None,
        };
        for (d, c) in &classes {
            for f in palisade_fleet::posture::firmware_findings(d, c, inv) {
                palisade_detectors::Emit::finding(&mut sink, f);
            }
        }
        if let Some(e) = sink.error {
            return Err(e);
        }
        out.totals.traffic_hours_dropped = inv.traffic_hours_dropped;
        if let Some(tx) = &out.store {
            for (d, c) in &classes {
                let row = crate::pipeline::store::device_row(d, c);
                if tx
                    .send(palisade_store::StoreOp::Device(Box::new(row)))
                    .is_err()
                {
                    break;
                }
            }
        }
    }
    for ev in &held_stats {
        out.write(ev)?;
    }
    out.w
        .flush()
        .with_context(|| format!("writing {}", path.display()))?;
    out.publish();
    Ok(out.totals)
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_event::{AppRecord, Timestamp, Tuple};

    fn record(i: u64) -> Event {
        Event::App(Box::new(AppRecord {
            timestamp: Timestamp::from_nanos(1_700_000_000_000_000_000 + i),
            flow_id: i,
            pcap_cnt: Some(i),
            tuple: Tuple {
                src_ip: "10.0.0.1".parse().unwrap(),
                src_port: Some(40000),
                dest_ip: "10.0.0.2".parse().unwrap(),
                dest_port: Some(80),
                proto: 6,
            },
            event_type: "http",
            tx_id: 0,
            body: serde_json::json!({"url": "/"}),
            source: 0,
        }))
    }

    #[test]
    fn eve_rotates_by_size_and_keeps_the_newest_files() {
        let dir = std::env::temp_dir().join(format!("palisade-eve-rotate-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("eve.json");
        let (tx, rx) = crossbeam_channel::bounded(4);
        let control = EveControl {
            rotate_bytes: 2000,
            rotate_keep: 2,
            ..EveControl::default()
        };
        let p2 = path.clone();
        let writer = std::thread::spawn(move || {
            run_eve_writer(
                rx,
                EveWriter {
                    path: p2,
                    filter: TypeFilter::from_names(&[]),
                    detectors: None,
                    store: None,
                    inventory: None,
                    capture: None,
                    control,
                    tap: None,
                    sources: Vec::new(),
                },
            )
        });
        for b in 0..10u64 {
            tx.send(OutBatch::events(
                (0..10).map(|i| record(b * 10 + i)).collect(),
            ))
            .unwrap();
        }
        drop(tx);
        let totals = writer.join().unwrap().unwrap();
        assert_eq!(totals.records, 100);
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        // the current file and the two newest rotated ones
        assert_eq!(names.len(), 3, "{names:?}");
        assert_eq!(names[0], "eve.json");
        let mut lines = 0;
        for n in &names {
            let text = std::fs::read_to_string(dir.join(n)).unwrap();
            assert!(text.is_empty() || text.ends_with('\n'));
            for l in text.lines() {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                assert_eq!(v["event_type"], "http");
                lines += 1;
            }
            if n != "eve.json" {
                // a rotated file stopped at the first record past the size
                assert!(
                    text.len() >= 2000 && text.len() < 2400,
                    "{n}: {}",
                    text.len()
                );
            }
        }
        // the newest records survive, in files that were not pruned
        let last = std::fs::read_to_string(&path).unwrap();
        assert!((20..100).contains(&lines), "{lines}");
        assert!(last.is_empty() || last.contains("\"flow_id\":99"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
