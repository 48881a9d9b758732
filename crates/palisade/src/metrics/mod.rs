//! Operational metrics of a running pipeline, for Prometheus.
//!
//! [`Metrics`] is a registry of atomics shared as `Arc<Metrics>`. Nothing on
//! the per-packet path takes a lock or touches a shared cache line: the
//! reader loop ([`ReaderTap`]), each worker ([`WorkerTap`]) and the output
//! thread ([`OutputTap`]) count in plain fields of their own and publish
//! their totals into their own slot of the registry now and then (every
//! few hundred packets once [`PUBLISH_EVERY`] has passed, on the clock
//! ticks the pipeline already has, and at the end). The live reader
//! threads publish their sources' counters the same way. A slot is
//! registered once per thread (a short lock); a scrape locks the slot
//! lists and reads the atomics. Scraped values therefore lag by at most
//! about a second, which Prometheus' usual scrape interval (15 s) hides.
//!
//! [`Metrics::render`] writes the Prometheus text exposition format
//! (version 0.0.4); [`server::MetricsServer`] serves it over HTTP at
//! `/metrics` (`[metrics] listen`, `palisade sensor --metrics-listen`).

pub mod server;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Least time between two publications of a thread's counters.
pub const PUBLISH_EVERY: Duration = Duration::from_millis(500);

/// Packets between two looks at the clock on the packet paths.
const CLOCK_CHECK_PACKETS: u32 = 256;

/// Most distinct (kind, class, severity) alert series kept; past it alerts
/// are counted under class `other` (class names come from rule files, so
/// the series are bounded by the configuration, but a bound costs nothing).
const MAX_ALERT_SERIES: usize = 1024;

/// Counters of one input (a live source, or a capture file of a scan).
#[derive(Debug, Default)]
pub struct InputMetrics {
    name: Mutex<String>,
    /// Packets the pipeline read from this input.
    packets: AtomicU64,
    /// Captured bytes the pipeline read.
    bytes: AtomicU64,
    /// Packets the kernel handed the socket (AF_PACKET), drops included.
    kernel_packets: AtomicU64,
    /// Packets the kernel dropped (ring or socket buffer full).
    kernel_drops: AtomicU64,
    /// Corrupt ring blocks, datagrams that are not valid encapsulation.
    invalid: AtomicU64,
    /// Failed reads (each retried, up to a limit).
    read_errors: AtomicU64,
    /// 1 while the source's reader runs, 0 once it stopped or failed.
    up: AtomicU64,
    /// Whether a live reader reports for this input (kernel counters and
    /// `up` are rendered only then).
    live: AtomicU64,
}

/// Counters of one worker, published by its [`WorkerTap`].
#[derive(Debug, Default)]
pub struct WorkerMetrics {
    packets: AtomicU64,
    flows_active: AtomicU64,
    flows_created: AtomicU64,
    ended_timeout: AtomicU64,
    ended_forced: AtomicU64,
    ended_shutdown: AtomicU64,
    memcap_flow: AtomicU64,
    memcap_reassembly: AtomicU64,
    memcap_defrag: AtomicU64,
}

/// What raised an alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AlertKind {
    /// A rule (signature) matched.
    Signature,
    /// A built-in IoT detector.
    Detector,
}

impl AlertKind {
    fn name(self) -> &'static str {
        match self {
            AlertKind::Signature => "signature",
            AlertKind::Detector => "detector",
        }
    }
}

type AlertKey = (AlertKind, String, u8);

/// The registry. Create one with [`Metrics::new`], share it as
/// `Arc<Metrics>` with the pipeline (`ScanOptions::metrics`), the live
/// feed and the HTTP server.
#[derive(Debug)]
pub struct Metrics {
    started: Instant,
    started_unix: f64,
    inputs: Mutex<Vec<Arc<InputMetrics>>>,
    workers: Mutex<Vec<Arc<WorkerMetrics>>>,
    alerts: Mutex<BTreeMap<AlertKey, u64>>,
    internal_drops: AtomicU64,
    eve_records: AtomicU64,
    eve_bytes: AtomicU64,
    reloads_ok: AtomicU64,
    reloads_failed: AtomicU64,
    rules_loaded: AtomicU64,
    scrapes: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

/// A poisoned lock (a thread panicked while holding it) still guards plain
/// counters that are fine to read: metrics keep working.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn slot<T: Default>(list: &Mutex<Vec<Arc<T>>>, idx: usize) -> Arc<T> {
    let mut l = lock(list);
    while l.len() <= idx {
        l.push(Arc::new(T::default()));
    }
    l[idx].clone()
}

impl Metrics {
    /// An empty registry; uptime counts from now.
    pub fn new() -> Metrics {
        Metrics {
            started: Instant::now(),
            started_unix: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64()),
            inputs: Mutex::new(Vec::new()),
            workers: Mutex::new(Vec::new()),
            alerts: Mutex::new(BTreeMap::new()),
            internal_drops: AtomicU64::new(0),
            eve_records: AtomicU64::new(0),
            eve_bytes: AtomicU64::new(0),
            reloads_ok: AtomicU64::new(0),
            reloads_failed: AtomicU64::new(0),
            rules_loaded: AtomicU64::new(0),
            scrapes: AtomicU64::new(0),
        }
    }

    /// The slot of input `idx` (created on first use).
    pub fn input(&self, idx: usize) -> Arc<InputMetrics> {
        slot(&self.inputs, idx)
    }

    /// Names the inputs (the `source` label), in input order.
    pub fn name_inputs(&self, names: &[String]) {
        for (i, n) in names.iter().enumerate() {
            *lock(&self.input(i).name) = n.clone();
        }
    }

    /// The slot of worker `id` (created on first use).
    pub fn worker(&self, id: usize) -> Arc<WorkerMetrics> {
        slot(&self.workers, id)
    }

    /// A rule reload happened (SIGHUP): `ok` false when the new rules did
    /// not load and the old set stayed.
    pub fn rule_reload(&self, ok: bool) {
        if ok {
            self.reloads_ok.fetch_add(1, Relaxed);
        } else {
            self.reloads_failed.fetch_add(1, Relaxed);
        }
    }

    /// Rules in the set now running.
    pub fn set_rules_loaded(&self, n: usize) {
        self.rules_loaded.store(n as u64, Relaxed);
    }

    /// Packets the pipeline received but did not inspect.
    pub fn internal_drops(&self, n: u64) {
        self.internal_drops.fetch_add(n, Relaxed);
    }

    /// Adds alerts counted elsewhere (the output thread's [`OutputTap`]).
    fn add_alerts(&self, counts: &mut BTreeMap<AlertKey, u64>) {
        if counts.is_empty() {
            return;
        }
        let mut all = lock(&self.alerts);
        for (k, n) in std::mem::take(counts) {
            let key = if all.len() >= MAX_ALERT_SERIES && !all.contains_key(&k) {
                (k.0, "other".to_string(), k.2)
            } else {
                k
            };
            *all.entry(key).or_default() += n;
        }
    }

    /// A tap for the pipeline's reader loop.
    pub fn reader_tap(self: &Arc<Self>) -> ReaderTap {
        ReaderTap::new(Some(self.clone()))
    }

    /// The Prometheus text exposition (format 0.0.4).
    pub fn render(&self) -> String {
        self.scrapes.fetch_add(1, Relaxed);
        let mut r = Render::default();
        r.gauge(
            "palisade_build_info",
            "palisade's version (value 1).",
            &[(&[("version", env!("CARGO_PKG_VERSION"))], 1.0)],
        );
        r.gauge(
            "palisade_start_time_seconds",
            "When palisade started, seconds since the Unix epoch.",
            &[(&[], self.started_unix)],
        );
        r.gauge(
            "palisade_uptime_seconds",
            "Seconds since palisade started.",
            &[(&[], self.started.elapsed().as_secs_f64())],
        );

        let inputs: Vec<(String, Arc<InputMetrics>)> = lock(&self.inputs)
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let n = lock(&m.name).clone();
                (if n.is_empty() { i.to_string() } else { n }, m.clone())
            })
            .collect();
        let per_input = |f: fn(&InputMetrics) -> &AtomicU64, live_only: bool| {
            inputs
                .iter()
                .filter(|(_, m)| !live_only || m.live.load(Relaxed) != 0)
                .map(|(n, m)| (vec![("source", n.as_str())], f(m).load(Relaxed)))
                .collect::<Vec<_>>()
        };
        r.counter_owned(
            "palisade_packets_total",
            "Packets read by the pipeline, per source.",
            &per_input(|m| &m.packets, false),
        );
        r.counter_owned(
            "palisade_bytes_total",
            "Captured bytes read by the pipeline, per source.",
            &per_input(|m| &m.bytes, false),
        );
        r.counter_owned(
            "palisade_kernel_packets_total",
            "Packets the kernel passed to a live source's socket, drops included (AF_PACKET).",
            &per_input(|m| &m.kernel_packets, true),
        );
        r.counter_owned(
            "palisade_kernel_drops_total",
            "Packets the kernel dropped for a live source (ring or socket buffer full).",
            &per_input(|m| &m.kernel_drops, true),
        );
        r.counter_owned(
            "palisade_source_invalid_total",
            "Corrupt ring blocks or mirror datagrams that are not valid encapsulation.",
            &per_input(|m| &m.invalid, true),
        );
        r.counter_owned(
            "palisade_source_read_errors_total",
            "Failed reads of a live source (retried; the source is given up after 50 in a row).",
            &per_input(|m| &m.read_errors, true),
        );
        let up: Vec<_> = per_input(|m| &m.up, true)
            .into_iter()
            .map(|(l, v)| (l, v as f64))
            .collect();
        r.gauge_owned(
            "palisade_source_up",
            "1 while a live source's reader runs, 0 once it stopped or failed.",
            &up,
        );
        r.counter(
            "palisade_internal_drops_total",
            "Packets the pipeline received but did not inspect (queues never drop today: \
             a full queue stops the reader and the kernel counts the drops).",
            &[(&[], self.internal_drops.load(Relaxed))],
        );

        let workers: Vec<Arc<WorkerMetrics>> = lock(&self.workers).clone();
        let sum = |f: fn(&WorkerMetrics) -> &AtomicU64| {
            workers.iter().map(|w| f(w).load(Relaxed)).sum::<u64>()
        };
        r.gauge(
            "palisade_flows_active",
            "Flows open now, all workers.",
            &[(&[], sum(|w| &w.flows_active) as f64)],
        );
        r.counter(
            "palisade_flows_created_total",
            "Flows created.",
            &[(&[], sum(|w| &w.flows_created))],
        );
        r.counter(
            "palisade_flows_ended_total",
            "Flows ended, by reason (forced: memcap eviction or TCP port reuse).",
            &[
                (&[("reason", "timeout")], sum(|w| &w.ended_timeout)),
                (&[("reason", "forced")], sum(|w| &w.ended_forced)),
                (&[("reason", "shutdown")], sum(|w| &w.ended_shutdown)),
            ],
        );
        r.counter(
            "palisade_memcap_hits_total",
            "Times a memory cap was hit: flows evicted (flow), segments not buffered \
             (reassembly), fragments dropped (defrag).",
            &[
                (&[("memcap", "flow")], sum(|w| &w.memcap_flow)),
                (&[("memcap", "reassembly")], sum(|w| &w.memcap_reassembly)),
                (&[("memcap", "defrag")], sum(|w| &w.memcap_defrag)),
            ],
        );
        let ids: Vec<String> = (0..workers.len()).map(|i| i.to_string()).collect();
        let load: Vec<_> = workers
            .iter()
            .zip(&ids)
            .map(|(w, id)| (vec![("worker", id.as_str())], w.packets.load(Relaxed)))
            .collect();
        r.counter_owned(
            "palisade_worker_packets_total",
            "Packets handled per worker (worker 0 is the reading thread).",
            &load,
        );

        let alerts = lock(&self.alerts).clone();
        let sev: Vec<String> = alerts.keys().map(|k| k.2.to_string()).collect();
        let rows: Vec<_> = alerts
            .iter()
            .zip(&sev)
            .map(|((k, n), s)| {
                (
                    vec![
                        ("kind", k.0.name()),
                        ("class", k.1.as_str()),
                        ("severity", s.as_str()),
                    ],
                    *n,
                )
            })
            .collect();
        r.counter_owned(
            "palisade_alerts_total",
            "Alerts raised (written to EVE or not), by kind (signature, detector), class \
             (a rule's classtype description, a detector's class) and severity.",
            &rows,
        );
        r.counter(
            "palisade_eve_records_total",
            "EVE records written.",
            &[(&[], self.eve_records.load(Relaxed))],
        );
        r.counter(
            "palisade_eve_bytes_total",
            "EVE bytes written.",
            &[(&[], self.eve_bytes.load(Relaxed))],
        );
        r.counter(
            "palisade_rule_reloads_total",
            "Rule reloads, by result (failed: the old rule set stayed).",
            &[
                (&[("result", "ok")], self.reloads_ok.load(Relaxed)),
                (&[("result", "failed")], self.reloads_failed.load(Relaxed)),
            ],
        );
        r.gauge(
            "palisade_rules_loaded",
            "Rules in the running rule set.",
            &[(&[], self.rules_loaded.load(Relaxed) as f64)],
        );
        r.counter(
            "palisade_metrics_scrapes_total",
            "Renderings of these metrics, this one included.",
            &[(&[], self.scrapes.load(Relaxed))],
        );
        r.out
    }
}

/// Escapes a label value: backslash, double quote and line feed.
pub fn escape_label(v: &str, out: &mut String) {
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// Escapes HELP text: backslash and line feed.
fn escape_help(v: &str, out: &mut String) {
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// Writes metric families.
#[derive(Default)]
struct Render {
    out: String,
}

type Labels<'a> = &'a [(&'a str, &'a str)];

impl Render {
    fn header(&mut self, name: &str, help: &str, kind: &str) {
        let _ = write!(self.out, "# HELP {name} ");
        escape_help(help, &mut self.out);
        let _ = writeln!(self.out, "\n# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: Labels<'_>, value: &dyn std::fmt::Display) {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                self.out.push_str(k);
                self.out.push_str("=\"");
                escape_label(v, &mut self.out);
                self.out.push('"');
            }
            self.out.push('}');
        }
        let _ = writeln!(self.out, " {value}");
    }

    fn counter(&mut self, name: &str, help: &str, rows: &[(Labels<'_>, u64)]) {
        self.header(name, help, "counter");
        for (l, v) in rows {
            self.sample(name, l, v);
        }
    }

    fn counter_owned(&mut self, name: &str, help: &str, rows: &[(Vec<(&str, &str)>, u64)]) {
        self.header(name, help, "counter");
        for (l, v) in rows {
            self.sample(name, l, v);
        }
    }

    fn gauge(&mut self, name: &str, help: &str, rows: &[(Labels<'_>, f64)]) {
        self.header(name, help, "gauge");
        for (l, v) in rows {
            self.sample(name, l, &Float(*v));
        }
    }

    fn gauge_owned(&mut self, name: &str, help: &str, rows: &[(Vec<(&str, &str)>, f64)]) {
        self.header(name, help, "gauge");
        for (l, v) in rows {
            self.sample(name, l, &Float(*v));
        }
    }
}

/// A float as Prometheus writes it (integers without a fraction, `NaN`,
/// `+Inf`, `-Inf`).
struct Float(f64);

impl std::fmt::Display for Float {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = self.0;
        if v.is_nan() {
            f.write_str("NaN")
        } else if v.is_infinite() {
            f.write_str(if v > 0.0 { "+Inf" } else { "-Inf" })
        } else if v.fract() == 0.0 && v.abs() < 1e15 {
            write!(f, "{}", v as i64)
        } else {
            write!(f, "{v}")
        }
    }
}

/// The reader loop's counters: packets and bytes per input, in plain
/// fields, published into the registry now and then. A tap without a
/// registry (metrics off) does nothing but one branch per packet.
pub struct ReaderTap {
    m: Option<Arc<Metrics>>,
    /// (packets, bytes) per input index.
    local: Vec<(u64, u64)>,
    slots: Vec<Arc<InputMetrics>>,
    since_check: u32,
    last: Instant,
}

impl ReaderTap {
    /// A tap publishing into `m` (None: metrics off).
    pub fn new(m: Option<Arc<Metrics>>) -> ReaderTap {
        ReaderTap {
            m,
            local: Vec::new(),
            slots: Vec::new(),
            since_check: 0,
            last: Instant::now(),
        }
    }

    /// Counts one packet of input `input`.
    #[inline]
    pub fn packet(&mut self, input: u16, len: usize) {
        if self.m.is_none() {
            return;
        }
        let i = usize::from(input);
        if i >= self.local.len() {
            self.local.resize(i + 1, (0, 0));
        }
        // in bounds: resized above
        if let Some(c) = self.local.get_mut(i) {
            c.0 += 1;
            c.1 += len as u64;
        }
        self.since_check += 1;
        if self.since_check >= CLOCK_CHECK_PACKETS {
            self.since_check = 0;
            if self.last.elapsed() >= PUBLISH_EVERY {
                self.publish();
            }
        }
    }

    /// Publishes the totals (idle ticks, the end of the run).
    pub fn publish(&mut self) {
        let Some(m) = &self.m else {
            return;
        };
        self.last = Instant::now();
        while self.slots.len() < self.local.len() {
            self.slots.push(m.input(self.slots.len()));
        }
        for (s, (p, b)) in self.slots.iter().zip(&self.local) {
            s.packets.store(*p, Relaxed);
            s.bytes.store(*b, Relaxed);
        }
    }
}

/// A worker's counters: packets handled in a plain field; flow engine
/// counters copied from the engine's own when published.
pub struct WorkerTap {
    slot: Arc<WorkerMetrics>,
    packets: u64,
    since_check: u32,
    last: Instant,
}

impl WorkerTap {
    /// The tap of worker `id`.
    pub fn new(m: &Metrics, id: usize) -> WorkerTap {
        WorkerTap {
            slot: m.worker(id),
            packets: 0,
            since_check: 0,
            last: Instant::now(),
        }
    }

    /// Counts a packet; publishes `engine`'s counters when it is time.
    #[inline]
    pub fn packet(&mut self, engine: &palisade_flow::FlowEngine) {
        self.packets += 1;
        self.since_check += 1;
        if self.since_check >= CLOCK_CHECK_PACKETS {
            self.since_check = 0;
            if self.last.elapsed() >= PUBLISH_EVERY {
                self.publish(engine);
            }
        }
    }

    /// Publishes the packet count and the engine's counters.
    pub fn publish(&mut self, engine: &palisade_flow::FlowEngine) {
        self.last = Instant::now();
        let s = engine.stats();
        let w = &self.slot;
        w.packets.store(self.packets, Relaxed);
        w.flows_active.store(s.flow.active, Relaxed);
        w.flows_created.store(s.flow.total, Relaxed);
        w.ended_timeout.store(s.flow.end_timeout, Relaxed);
        w.ended_forced.store(s.flow.end_forced, Relaxed);
        w.ended_shutdown.store(s.flow.end_shutdown, Relaxed);
        w.memcap_flow.store(s.flow.memcap_evictions, Relaxed);
        w.memcap_reassembly
            .store(s.reassembly.segment_memcap_drop, Relaxed);
        w.memcap_defrag.store(s.defrag.memcap_drops, Relaxed);
    }
}

/// The output thread's counters: alerts by kind, class and severity, EVE
/// records and bytes written.
pub struct OutputTap {
    m: Arc<Metrics>,
    alerts: BTreeMap<AlertKey, u64>,
}

impl OutputTap {
    /// A tap publishing into `m`.
    pub fn new(m: Arc<Metrics>) -> OutputTap {
        OutputTap {
            m,
            alerts: BTreeMap::new(),
        }
    }

    /// Counts the signature alerts among a batch's records.
    pub fn events(&mut self, events: &[palisade_event::Event]) {
        for ev in events {
            if let palisade_event::Event::Alert(a) = ev {
                let class = if a.signature.category.is_empty() {
                    "unknown"
                } else {
                    a.signature.category.as_str()
                };
                self.alert(AlertKind::Signature, class, a.signature.severity);
            }
        }
    }

    /// Counts one alert.
    pub fn alert(&mut self, kind: AlertKind, class: &str, severity: u8) {
        // the common case (a series already counted in this batch) does
        // not allocate
        if let Some(n) = self
            .alerts
            .iter_mut()
            .find(|(k, _)| k.0 == kind && k.1 == class && k.2 == severity)
            .map(|(_, n)| n)
        {
            *n += 1;
            return;
        }
        self.alerts.insert((kind, class.to_string(), severity), 1);
    }

    /// Publishes the alerts counted since the last call and the output
    /// totals (after every batch: a lock per batch, not per record).
    pub fn publish(&mut self, records: u64, bytes: u64) {
        self.m.add_alerts(&mut self.alerts);
        self.m.eve_records.store(records, Relaxed);
        self.m.eve_bytes.store(bytes, Relaxed);
    }
}

/// A live source's reader thread publishes its source's counters here.
pub struct SourceTap {
    slot: Arc<InputMetrics>,
    read_errors: u64,
    since_check: u32,
    last: Instant,
}

impl SourceTap {
    /// The tap of live source `idx` named `name`; marks it up.
    pub fn new(m: &Metrics, idx: usize, name: &str) -> SourceTap {
        let slot = m.input(idx);
        *lock(&slot.name) = name.to_string();
        slot.live.store(1, Relaxed);
        slot.up.store(1, Relaxed);
        SourceTap {
            slot,
            read_errors: 0,
            since_check: 0,
            last: Instant::now(),
        }
    }

    /// Whether it is time to publish (call per packet or per empty read;
    /// looks at the clock every few hundred packets).
    #[inline]
    pub fn due(&mut self, packet: bool) -> bool {
        if packet {
            self.since_check += 1;
            if self.since_check < CLOCK_CHECK_PACKETS {
                return false;
            }
        }
        self.since_check = 0;
        self.last.elapsed() >= PUBLISH_EVERY
    }

    /// A read failed.
    pub fn read_error(&mut self) {
        self.read_errors += 1;
        self.slot.read_errors.store(self.read_errors, Relaxed);
    }

    /// Publishes the source's counters (cumulative, as `stats()` returns
    /// them).
    pub fn publish(&mut self, s: &palisade_live::LiveStats) {
        self.last = Instant::now();
        self.slot.kernel_packets.store(s.kernel_packets, Relaxed);
        self.slot.kernel_drops.store(s.kernel_drops, Relaxed);
        self.slot.invalid.store(s.invalid, Relaxed);
    }

    /// Counters could not be read: try again after [`PUBLISH_EVERY`].
    pub fn published_now(&mut self) {
        self.last = Instant::now();
    }

    /// The reader stopped (or failed).
    pub fn down(&self) {
        self.slot.up.store(0, Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks every line is a comment or `name{labels} value`, and every
    /// family has HELP and TYPE before its samples.
    fn check_exposition(text: &str) {
        let mut typed = std::collections::HashSet::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let mut f = rest.split(' ');
                let name = f.next().unwrap();
                let kind = f.next().unwrap();
                assert!(["counter", "gauge"].contains(&kind), "{line}");
                if kind == "counter" {
                    assert!(name.ends_with("_total"), "{line}");
                }
                assert!(typed.insert(name.to_string()), "family twice: {line}");
                continue;
            }
            if line.starts_with("# HELP ") {
                continue;
            }
            assert!(!line.starts_with('#'), "{line}");
            let name_end = line.find(['{', ' ']).unwrap();
            let name = &line[..name_end];
            assert!(name.starts_with("palisade_"), "{line}");
            assert!(typed.contains(name), "sample before TYPE: {line}");
            let value = line.rsplit(' ').next().unwrap();
            assert!(
                value.parse::<f64>().is_ok() || ["NaN", "+Inf", "-Inf"].contains(&value),
                "{line}"
            );
        }
    }

    #[test]
    fn empty_registry_renders_valid_exposition() {
        let m = Metrics::new();
        let text = m.render();
        check_exposition(&text);
        assert!(text.contains("# TYPE palisade_packets_total counter\n"));
        assert!(text.contains("palisade_internal_drops_total 0\n"));
        assert!(text.contains("palisade_rule_reloads_total{result=\"ok\"} 0\n"));
        assert!(text.contains("palisade_build_info{version=\""));
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn label_values_are_escaped() {
        let mut s = String::new();
        escape_label("a\\b\"c\nd", &mut s);
        assert_eq!(s, r#"a\\b\"c\nd"#);
        let m = Metrics::new();
        m.name_inputs(&["eth0".into(), "we\"ird\\\nname".into()]);
        let text = m.render();
        check_exposition(&text);
        assert!(
            text.contains("palisade_packets_total{source=\"we\\\"ird\\\\\\nname\"} 0\n"),
            "{text}"
        );
        // HELP text escapes backslash and newline only
        let mut r = Render::default();
        r.counter("palisade_x_total", "a\\b\nc \"q\"", &[]);
        assert_eq!(
            r.out,
            "# HELP palisade_x_total a\\\\b\\nc \"q\"\n# TYPE palisade_x_total counter\n"
        );
    }

    #[test]
    fn floats_render_as_prometheus_reads_them() {
        assert_eq!(Float(3.0).to_string(), "3");
        assert_eq!(Float(0.25).to_string(), "0.25");
        assert_eq!(Float(f64::NAN).to_string(), "NaN");
        assert_eq!(Float(f64::INFINITY).to_string(), "+Inf");
        assert_eq!(Float(f64::NEG_INFINITY).to_string(), "-Inf");
    }

    #[test]
    fn taps_publish_into_the_registry() {
        let m = Arc::new(Metrics::new());
        let mut r = m.reader_tap();
        r.packet(0, 100);
        r.packet(1, 60);
        r.packet(1, 40);
        r.publish();
        m.name_inputs(&["a.pcap".into(), "b.pcap".into()]);
        let mut out = OutputTap::new(m.clone());
        out.alert(AlertKind::Detector, "brute-force", 2);
        out.alert(AlertKind::Detector, "brute-force", 2);
        out.alert(AlertKind::Signature, "Misc activity", 3);
        out.publish(7, 900);
        m.rule_reload(true);
        m.rule_reload(false);
        m.rule_reload(false);
        let mut s = SourceTap::new(&m, 2, "vxlan://127.0.0.1:4789");
        s.publish(&palisade_live::LiveStats {
            kernel_drops: 5,
            ..Default::default()
        });
        s.read_error();
        let text = m.render();
        check_exposition(&text);
        for want in [
            "palisade_packets_total{source=\"a.pcap\"} 1\n",
            "palisade_packets_total{source=\"b.pcap\"} 2\n",
            "palisade_bytes_total{source=\"b.pcap\"} 100\n",
            "palisade_alerts_total{kind=\"signature\",class=\"Misc activity\",severity=\"3\"} 1\n",
            "palisade_alerts_total{kind=\"detector\",class=\"brute-force\",severity=\"2\"} 2\n",
            "palisade_eve_records_total 7\n",
            "palisade_rule_reloads_total{result=\"failed\"} 2\n",
            "palisade_kernel_drops_total{source=\"vxlan://127.0.0.1:4789\"} 5\n",
            "palisade_source_read_errors_total{source=\"vxlan://127.0.0.1:4789\"} 1\n",
            "palisade_source_up{source=\"vxlan://127.0.0.1:4789\"} 1\n",
        ] {
            assert!(text.contains(want), "missing {want:?} in\n{text}");
        }
        // kernel counters only for live sources
        assert!(!text.contains("palisade_kernel_drops_total{source=\"a.pcap\"}"));
        s.down();
        assert!(m
            .render()
            .contains("palisade_source_up{source=\"vxlan://127.0.0.1:4789\"} 0\n"));
    }

    #[test]
    fn alert_series_are_bounded() {
        let m = Arc::new(Metrics::new());
        let mut out = OutputTap::new(m.clone());
        for i in 0..MAX_ALERT_SERIES + 10 {
            out.alert(AlertKind::Signature, &format!("class {i}"), 1);
        }
        out.publish(0, 0);
        let n = lock(&m.alerts).len();
        assert_eq!(n, MAX_ALERT_SERIES + 1, "the cap plus `other`");
        assert_eq!(
            lock(&m.alerts)[&(AlertKind::Signature, "other".into(), 1)],
            10
        );
    }

    #[test]
    fn a_tap_without_registry_does_nothing() {
        let mut t = ReaderTap::new(None);
        for _ in 0..1000 {
            t.packet(3, 10);
        }
        t.publish();
        assert!(t.local.is_empty());
    }
}
