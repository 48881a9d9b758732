//! The signature engine inside a worker: builds the engine's view of each
//! frame, feeds packets and reassembled stream data to the rule set, keeps
//! per-flow detection state, and turns matches into EVE alert records.

use crate::pipeline::app::{AppStats, WorkerApp};
use crate::pipeline::output::EventBatcher;
use palisade_detect::{
    Alert, DetectThread, FlowDetect, FlowView, IcmpView, PacketView, RuleSet, TcpView,
};
use palisade_event::{
    AlertFlow, AlertRecord, AlertSignature, AnomalyRecord, AnomalyType, AppRecord, FlowRecord,
    Tuple,
};
use palisade_flow::tcp::Direction;
use palisade_flow::{FlowEngine, FlowObserver, FlowRef, PacketMeta};
use palisade_proto::{AppTx, Dir, Input, Sink, Transport, TxUpdate};
use palisade_wire::{Frame, L4};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

/// The rule set and what alerts need of each rule, shared by all workers.
pub struct DetectShared {
    /// The rules.
    pub rules: Arc<RuleSet>,
    /// Per signature index: the alert's rule object.
    pub alert_sigs: Vec<Arc<AlertSignature>>,
    /// Add base64 `payload` to alerts.
    pub payload: bool,
    /// Add base64 `packet` to alerts.
    pub packet: bool,
}

impl DetectShared {
    /// Prepares the per-rule alert objects.
    pub fn new(rules: Arc<RuleSet>, payload: bool, packet: bool) -> DetectShared {
        let alert_sigs = rules
            .signatures()
            .iter()
            .map(|s| {
                let mut metadata: Vec<(String, Vec<String>)> = Vec::new();
                for (k, v) in &s.metadata {
                    match metadata.iter_mut().find(|(mk, _)| mk == k) {
                        Some((_, vals)) => vals.push(v.clone()),
                        None => metadata.push((k.clone(), vec![v.clone()])),
                    }
                }
                Arc::new(AlertSignature {
                    action: match s.action {
                        palisade_rules::Action::Reject
                        | palisade_rules::Action::RejectSrc
                        | palisade_rules::Action::RejectDst
                        | palisade_rules::Action::RejectBoth => "blocked",
                        _ => "allowed",
                    },
                    gid: s.gid,
                    signature_id: s.sid,
                    rev: s.rev,
                    signature: s.msg.clone(),
                    category: s.category.clone().unwrap_or_default(),
                    severity: s.priority,
                    metadata,
                })
            })
            .collect();
        DetectShared {
            rules,
            alert_sigs,
            payload,
            packet,
        }
    }
}

/// A worker's detection state.
pub struct WorkerDetect {
    shared: Arc<DetectShared>,
    thread: DetectThread,
    /// By flow id; hashbrown's randomly seeded hasher (as the flow
    /// table's): a lookup per packet, and SipHash was a visible share of
    /// it.
    flows: hashbrown::HashMap<u64, FlowDetect>,
    pool: Vec<FlowDetect>,
    alerts: Vec<Alert>,
    /// Alerts per signature index (of the current rule set).
    pub per_sig: HashMap<u32, u64>,
    /// Alerts per signature of rule sets swapped out, and of the current
    /// one once taken.
    counted: SigCounts,
}

/// Alerts per signature by identity: (gid, sid) → (msg, count).
pub type SigCounts = HashMap<(u32, u32), (String, u64)>;

/// Where a rule set built aside (on SIGHUP) waits for the pipeline to
/// pick it up. The reader loop checks `generation` (one atomic load per
/// packet) and hands a new set to every worker in order with the packets.
#[derive(Default)]
pub struct RuleSlot {
    generation: std::sync::atomic::AtomicU64,
    next: std::sync::Mutex<Option<Arc<DetectShared>>>,
}

impl RuleSlot {
    /// Offers a new rule set to the running pipeline.
    pub fn publish(&self, d: Arc<DetectShared>) {
        if let Ok(mut n) = self.next.lock() {
            *n = Some(d);
        }
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::Release);
    }

    /// The rule set published since `seen`, if any.
    pub fn take_new(&self, seen: &mut u64) -> Option<Arc<DetectShared>> {
        let g = self.generation.load(std::sync::atomic::Ordering::Acquire);
        if g == *seen {
            return None;
        }
        *seen = g;
        self.next.lock().ok()?.take()
    }
}

/// Most per-flow detection states kept for reuse.
const POOL_MAX: usize = 1024;

impl WorkerDetect {
    /// State for one worker.
    pub fn new(shared: Arc<DetectShared>) -> WorkerDetect {
        WorkerDetect {
            thread: DetectThread::new(&shared.rules),
            shared,
            flows: hashbrown::HashMap::new(),
            pool: Vec::new(),
            alerts: Vec::new(),
            per_sig: HashMap::new(),
            counted: SigCounts::new(),
        }
    }

    /// Switches to a new rule set without losing flows: each flow's state
    /// is carried over ([`palisade_detect::detect::Remap`]); thresholds and
    /// xbits start afresh (they belong to the old rules' indices).
    pub fn swap(&mut self, shared: Arc<DetectShared>) {
        let remap = palisade_detect::detect::Remap::new(&self.shared.rules, &shared.rules);
        for f in self.flows.values_mut() {
            f.remap(&remap);
        }
        self.fold_counts();
        let stats = std::mem::take(&mut self.thread.stats);
        self.thread = DetectThread::new(&shared.rules);
        self.thread.stats = stats;
        self.shared = shared;
    }

    fn fold_counts(&mut self) {
        for (i, n) in self.per_sig.drain() {
            if let Some(s) = self.shared.rules.signature(i) {
                let e = self
                    .counted
                    .entry((s.gid, s.sid))
                    .or_insert_with(|| (s.msg.clone(), 0));
                e.1 += n;
            }
        }
    }

    /// Alerts per signature over every rule set this worker ran.
    pub fn take_counts(&mut self) -> SigCounts {
        self.fold_counts();
        std::mem::take(&mut self.counted)
    }

    /// Detection counters.
    pub fn stats(&self) -> &palisade_detect::DetectStats {
        &self.thread.stats
    }

    fn end_flow(&mut self, id: u64) -> bool {
        match self.flows.remove(&id) {
            Some(mut f) => {
                let alerted = f.alerted;
                if self.pool.len() < POOL_MAX {
                    f.reset();
                    self.pool.push(f);
                }
                alerted
            }
            None => false,
        }
    }
}

fn addr(is_v4: bool, a: &[u8; 16]) -> IpAddr {
    if is_v4 {
        IpAddr::V4(Ipv4Addr::new(a[0], a[1], a[2], a[3]))
    } else {
        IpAddr::V6(Ipv6Addr::from(*a))
    }
}

/// The engine's view of a frame (flow filled in later).
pub fn frame_view<'a>(frame: &Frame<'a>) -> PacketView<'a> {
    let ip = &frame.ip;
    let (sport, dport) = match frame.l4 {
        L4::Tcp(t) => (t.src_port, t.dst_port),
        L4::Udp { src_port, dst_port } => (src_port, dst_port),
        _ => (0, 0),
    };
    let mut v = PacketView::new(
        addr(ip.is_v4, &ip.src),
        addr(ip.is_v4, &ip.dst),
        ip.proto,
        sport,
        dport,
        frame.payload,
    );
    v.ttl = ip.ttl;
    v.ip_id = u32::from(ip.id);
    if ip.is_v4 {
        let flags = ip.packet.get(6).copied().unwrap_or(0);
        v.frag_rf = flags & 0x80 != 0;
        v.frag_df = flags & 0x40 != 0;
        v.ip_options = ip.packet.get(20..usize::from(ip.header_len)).unwrap_or(&[]);
    }
    if let Some(f) = ip.frag {
        v.frag_mf = f.more;
        v.frag_offset = u16::try_from(f.offset).unwrap_or(u16::MAX);
        v.ip_id = f.id;
    }
    match frame.l4 {
        L4::Tcp(t) => {
            v.tcp = Some(TcpView {
                flags: t.flags,
                seq: t.seq,
                ack: t.ack,
                window: t.window,
                mss: t.mss,
            })
        }
        L4::Icmp {
            icmp_type,
            code,
            id,
            seq,
        }
        | L4::Icmpv6 {
            icmp_type,
            code,
            id,
            seq,
        } => {
            let echo = matches!(icmp_type, 0 | 8 | 128 | 129);
            v.icmp = Some(IcmpView {
                itype: icmp_type,
                icode: code,
                id: echo.then_some(id),
                seq: echo.then_some(seq),
            })
        }
        _ => {}
    }
    v
}

fn tuple_of(p: &PacketView<'_>) -> Tuple {
    let ports = matches!(p.ip_proto, 6 | 17 | 132);
    Tuple {
        src_ip: p.src,
        src_port: ports.then_some(p.sport),
        dest_ip: p.dst,
        dest_port: ports.then_some(p.dport),
        proto: p.ip_proto,
    }
}

/// The flow facts of a tracked packet.
pub fn flow_view(engine: &FlowEngine, fref: FlowRef, dir: Direction) -> Option<FlowView> {
    let f = engine.flow(fref.slot)?;
    let tcp = f.tcp.as_ref();
    let established = match tcp {
        Some(t) => matches!(
            t.state,
            palisade_flow::tcp::TcpState::Established | palisade_flow::tcp::TcpState::FinWait
        ),
        None => f.pkts[0] > 0 && f.pkts[1] > 0,
    };
    Some(FlowView {
        to_server: dir == Direction::ToServer,
        established,
        has_stream: tcp.is_some_and(|t| t.state != palisade_flow::tcp::TcpState::None),
        toserver_bytes: f.bytes[0],
        toclient_bytes: f.bytes[1],
    })
}

/// An alert raised while the flow engine was busy (stream data, app-layer
/// transactions), emitted once the engine can be asked for the flow's
/// counters.
pub struct PendingAlert {
    alert: Alert,
    tuple: Tuple,
    to_server: bool,
    flow_id: u64,
    payload: Option<String>,
    app_proto: Option<&'static str>,
}

/// Observer used while a worker processes one frame with rules or the
/// app-layer on: passes records through, feeds stream data and datagrams to
/// the app-layer parsers, and inspects stream data and transactions.
pub struct DetectObserver<'a, 'p> {
    /// Event outbox.
    pub out: &'a mut EventBatcher,
    /// Detection state, when rules are loaded.
    pub det: Option<&'a mut WorkerDetect>,
    /// App-layer state, when the parsers are on.
    pub app: Option<&'a mut WorkerApp>,
    /// The frame's view.
    pub view: PacketView<'p>,
    /// Packet facts.
    pub meta: PacketMeta,
    /// The packet's flow and direction, once the engine reported them.
    pub cur: Option<(FlowRef, Direction)>,
    /// Stream and transaction alerts waiting for flow counters.
    pub pending: Vec<PendingAlert>,
    /// A flow being ended by the engine: its client → server tuple.
    pub ending: Option<(FlowRef, Tuple)>,
    /// Last packet time of the flow being ended: app records completed by
    /// its final flush carry it (not the time of whatever packet or
    /// shutdown made the flow end).
    pub ending_ts: Option<palisade_event::Timestamp>,
    /// The live source of the flow that is ending.
    pub ending_source: u16,
}

impl<'a> DetectObserver<'a, 'static> {
    /// An observer for work without a packet (expiry, shutdown).
    pub fn idle(
        out: &'a mut EventBatcher,
        det: Option<&'a mut WorkerDetect>,
        app: Option<&'a mut WorkerApp>,
        meta: PacketMeta,
    ) -> Self {
        let any = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
        DetectObserver {
            out,
            det,
            app,
            view: PacketView::new(any, any, 0, 0, 0, &[]),
            meta,
            cur: None,
            pending: Vec::new(),
            ending: None,
            ending_ts: None,
            ending_source: 0,
        }
    }
}

/// Hands a parser's transactions to the rules and the EVE log.
struct TxSink<'s, 'p> {
    out: &'s mut EventBatcher,
    det: Option<&'s mut WorkerDetect>,
    pending: &'s mut Vec<PendingAlert>,
    stats: &'s mut AppStats,
    login: Option<(
        &'s crate::pipeline::detectors::LoginCheck,
        &'s mut crate::pipeline::detectors::DigestMemo,
    )>,
    /// The flow's tuple oriented client → server (payload empty).
    client: PacketView<'p>,
    flow_id: u64,
    meta: PacketMeta,
    tcp: bool,
    app_proto: Option<&'static str>,
}

/// The client → server view turned to carry data travelling `dir`.
fn oriented(client: PacketView<'_>, dir: Dir, tcp: bool) -> PacketView<'_> {
    let mut v = client;
    if dir == Dir::ToClient {
        std::mem::swap(&mut v.src, &mut v.dst);
        std::mem::swap(&mut v.sport, &mut v.dport);
    }
    v.payload = &[];
    v.flow = Some(FlowView {
        to_server: dir == Dir::ToServer,
        established: true,
        has_stream: tcp,
        ..v.flow.unwrap_or_default()
    });
    v
}

impl TxSink<'_, '_> {
    fn anomaly(&mut self, dir: Dir, event: &'static str, app_proto: Option<&'static str>) {
        self.stats.events += 1;
        let tuple = tuple_of(&oriented(self.client, dir, self.tcp));
        self.out.anomaly(AnomalyRecord {
            timestamp: self.meta.ts,
            pcap_cnt: (self.meta.pcap_cnt > 0).then_some(self.meta.pcap_cnt),
            flow_id: Some(self.flow_id),
            tuple: Some(tuple),
            kind: AnomalyType::Applayer,
            event,
            app_proto,
            source: self.meta.source,
        });
    }
}

impl Sink for TxSink<'_, '_> {
    fn tx(&mut self, tx: &dyn AppTx, update: TxUpdate) {
        let proto = tx.app_proto();
        if let (Some((l, memo)), true) = (self.login.as_mut(), self.out.observe) {
            if let Some(c) = tx.credential() {
                let o = l.observe(
                    memo,
                    &c,
                    self.meta.ts,
                    self.flow_id,
                    tx.id(),
                    (self.client.src, self.client.sport),
                    (self.client.dst, self.client.dport),
                    update.complete,
                );
                self.out.login_obs(o);
            }
        }
        if let Some(det) = self.det.as_deref_mut() {
            let v = oriented(self.client, update.dir, self.tcp);
            let shared = &*det.shared;
            let mut alerts = std::mem::take(&mut det.alerts);
            alerts.clear();
            let fd = det
                .flows
                .entry(self.flow_id)
                .or_insert_with(|| det.pool.pop().unwrap_or_default());
            fd.app_proto = Some(proto);
            shared.rules.inspect_tx(
                &mut det.thread,
                &v,
                fd,
                tx,
                self.flow_id,
                self.meta.ts.secs(),
                &mut alerts,
            );
            for a in &alerts {
                self.pending.push(PendingAlert {
                    alert: *a,
                    tuple: tuple_of(&v),
                    to_server: update.dir == Dir::ToServer,
                    flow_id: self.flow_id,
                    payload: None,
                    app_proto: Some(proto),
                });
            }
            det.alerts = alerts;
        }
        if !update.complete {
            return;
        }
        *self.stats.txs.entry(proto).or_default() += 1;
        for &ev in tx.events() {
            self.anomaly(update.dir, ev, Some(proto));
        }
        let et = tx.event_type();
        let tls_obs = self.out.observe && et == "tls";
        let kalay_obs = self.out.observe && et == "kalay";
        let dns_obs = self.out.observe && et == "dns";
        if self.out.wants_app(et) || tls_obs || kalay_obs || dns_obs {
            let mut body = serde_json::Map::new();
            tx.log(&mut body);
            if kalay_obs {
                let v = oriented(self.client, update.dir, self.tcp);
                if let Some(k) = crate::pipeline::detectors::kalay_obs(
                    &body,
                    self.meta.ts,
                    self.flow_id,
                    (v.src, v.sport),
                    (v.dst, v.dport),
                ) {
                    self.out.kalay_obs(k);
                }
            }
            if tls_obs {
                self.out.tls_obs(crate::pipeline::detectors::tls_obs(
                    &body,
                    self.meta.ts,
                    self.flow_id,
                    self.client.src,
                    (self.client.dst, self.client.dport),
                ));
            }
            if dns_obs {
                if let Some(d) = crate::pipeline::detectors::dns_obs(
                    &body,
                    self.meta.ts,
                    self.client.src,
                    self.client.dst,
                ) {
                    self.out.dns_obs(d);
                }
            }
            if !self.out.wants_app(et) {
                return;
            }
            let rec = AppRecord {
                timestamp: self.meta.ts,
                flow_id: self.flow_id,
                pcap_cnt: (self.meta.pcap_cnt > 0).then_some(self.meta.pcap_cnt),
                tuple: tuple_of(&self.client),
                event_type: et,
                tx_id: tx.id(),
                body: serde_json::Value::Object(body),
                source: self.meta.source,
            };
            self.out.app(rec);
        }
    }

    fn event(&mut self, dir: Dir, name: &'static str) {
        let p = self.app_proto;
        self.anomaly(dir, name, p);
    }
}

fn pdir(d: Direction) -> Dir {
    if d == Direction::ToServer {
        Dir::ToServer
    } else {
        Dir::ToClient
    }
}

impl<'p> DetectObserver<'_, 'p> {
    /// The view of data travelling `dir` on flow `fref`, oriented as its
    /// sender: from the packet being processed, or from the record of a
    /// flow being ended (whose last data is flushed without a packet).
    fn sender_view(&self, fref: FlowRef, dir: Direction) -> PacketView<'p> {
        let (mut v, vdir) = match self.ending {
            Some((f, t)) if f.id == fref.id => (
                PacketView::new(
                    t.src_ip,
                    t.dest_ip,
                    t.proto,
                    t.src_port.unwrap_or(0),
                    t.dest_port.unwrap_or(0),
                    &[],
                ),
                Direction::ToServer,
            ),
            _ => (self.view, self.cur.map_or(dir, |(_, d)| d)),
        };
        if vdir != dir {
            std::mem::swap(&mut v.src, &mut v.dst);
            std::mem::swap(&mut v.sport, &mut v.dport);
        }
        v
    }

    /// The flow's client → server view.
    fn client_view(&self, fref: FlowRef, dir: Direction) -> PacketView<'p> {
        let mut v = self.sender_view(fref, dir);
        if dir == Direction::ToClient {
            std::mem::swap(&mut v.src, &mut v.dst);
            std::mem::swap(&mut v.sport, &mut v.dport);
        }
        v
    }

    /// Feeds the flow's app-layer state (data, a gap, or the end); returns
    /// its protocol once identified.
    fn app_feed(
        &mut self,
        fref: FlowRef,
        dir: Direction,
        what: AppInput<'_>,
        transport: Transport,
    ) -> Option<&'static str> {
        let client = self.client_view(fref, dir);
        let app = self.app.as_deref_mut()?;
        let ends = ((client.src, client.sport), (client.dst, client.dport));
        let (flow, stats, login) = app.flow_and_stats(fref.id, transport, ends.0, ends.1);
        if !flow.wants_data() && !matches!(what, AppInput::End) {
            return flow.app_proto();
        }
        let ending = self.ending.is_some_and(|(f, _)| f.id == fref.id);
        let meta = match (ending, self.ending_ts) {
            (true, Some(ts)) => PacketMeta {
                ts,
                pcap_cnt: 0,
                source: self.ending_source,
            },
            _ => self.meta,
        };
        let mut sink = TxSink {
            out: &mut *self.out,
            det: self.det.as_deref_mut(),
            pending: &mut self.pending,
            stats,
            login,
            client,
            flow_id: fref.id,
            meta,
            tcp: transport == Transport::Tcp,
            app_proto: flow.app_proto(),
        };
        match what {
            AppInput::Data(data) => flow.data(
                Input {
                    dir: pdir(dir),
                    data,
                    ts: meta.ts,
                },
                &mut sink,
            ),
            AppInput::Gap(len) => flow.gap(pdir(dir), len, &mut sink),
            AppInput::End => flow.finish(&mut sink),
        }
        let proto = flow.app_proto();
        let mut announced = Vec::new();
        flow.take_expectations(&mut announced);
        if !announced.is_empty() {
            app.expect(announced, ends.0, ends.1, meta.ts.secs());
        }
        if let (Some(p), Some(det)) = (proto, self.det.as_deref_mut()) {
            if let Some(fd) = det.flows.get_mut(&fref.id) {
                fd.app_proto = Some(p);
            } else {
                let mut fd = det.pool.pop().unwrap_or_default();
                fd.app_proto = Some(p);
                det.flows.insert(fref.id, fd);
            }
        }
        proto
    }

    /// Stream data (or, with `gap`, that many missing bytes) of one
    /// direction: to the app layer, then to the stream rules.
    fn stream(&mut self, fref: FlowRef, dir: Direction, data: &[u8], gap: Option<u64>) {
        // The parsers first, so a rule bound to the protocol sees it known
        // on the data that identified it.
        let what = match gap {
            Some(len) => AppInput::Gap(len),
            None => AppInput::Data(data),
        };
        let app_proto = self.app_feed(fref, dir, what, Transport::Tcp);
        if self.det.is_none() {
            return;
        }
        let mut v = self.sender_view(fref, dir);
        let Some(det) = self.det.as_deref_mut() else {
            return;
        };
        v.payload = data;
        let to_server = dir == Direction::ToServer;
        v.flow = Some(FlowView {
            to_server,
            established: true,
            has_stream: true,
            ..v.flow.unwrap_or_default()
        });
        // A borrow, not an Arc clone: a per-packet atomic on a count shared
        // by every worker would bounce its cache line between cores.
        let shared = &*det.shared;
        let mut alerts = std::mem::take(&mut det.alerts);
        alerts.clear();
        let fd = det
            .flows
            .entry(fref.id)
            .or_insert_with(|| det.pool.pop().unwrap_or_default());
        shared.rules.inspect_stream(
            &mut det.thread,
            &v,
            fd,
            to_server,
            data,
            gap.is_some(),
            fref.id,
            self.meta.ts.secs(),
            &mut alerts,
        );
        for a in &alerts {
            self.pending.push(PendingAlert {
                alert: *a,
                tuple: tuple_of(&v),
                to_server,
                flow_id: fref.id,
                payload: shared.payload.then(|| b64(data)),
                app_proto,
            });
        }
        det.alerts = alerts;
    }

    /// Emits the stream and transaction alerts; `engine` gives flow
    /// counters for flows still open.
    pub fn flush_pending(&mut self, engine: Option<&FlowEngine>) {
        if self.pending.is_empty() {
            return;
        }
        let Some(det) = self.det.as_deref_mut() else {
            self.pending.clear();
            return;
        };
        let shared = &*det.shared;
        for p in std::mem::take(&mut self.pending) {
            let flow = engine.and_then(|e| {
                let (fref, _) = self.cur?;
                (fref.id == p.flow_id).then(|| alert_flow(e, fref))?
            });
            let rec = record(
                shared,
                &mut det.per_sig,
                &p.alert,
                p.tuple,
                &self.meta,
                Some(p.flow_id),
                Some(p.to_server),
                flow,
                p.payload,
                p.app_proto,
            );
            if let Some(r) = rec {
                self.out.alert(r);
            }
        }
    }
}

/// What the app-layer state of a flow is given.
enum AppInput<'d> {
    Data(&'d [u8]),
    Gap(u64),
    End,
}

impl FlowObserver for DetectObserver<'_, '_> {
    fn packet_flow(&mut self, flow: FlowRef, dir: Direction) {
        self.cur = Some((flow, dir));
    }
    fn stream_data(&mut self, flow: FlowRef, dir: Direction, data: &[u8]) {
        self.stream(flow, dir, data, None);
    }
    fn stream_gap(&mut self, flow: FlowRef, dir: Direction, len: u64) {
        self.stream(flow, dir, &[], Some(len));
    }
    fn udp_payload(&mut self, flow: FlowRef, dir: Direction, data: &[u8]) {
        self.app_feed(flow, dir, AppInput::Data(data), Transport::Udp);
    }
    fn flow_ending(&mut self, flow: FlowRef, record: &FlowRecord) {
        self.ending = Some((flow, record.tuple));
        self.ending_ts = Some(record.flow.end);
        self.ending_source = record.source;
    }
    fn flow_end(&mut self, mut record: FlowRecord) {
        // The parsers report what they still hold (requests without a
        // response, ...) before the flow record.
        if let Some(app) = self.app.as_deref() {
            if app.has_flow(record.flow_id) {
                let fref = FlowRef {
                    id: record.flow_id,
                    slot: u32::MAX,
                };
                self.ending = Some((fref, record.tuple));
                self.ending_ts = Some(record.flow.end);
                self.ending_source = record.source;
                let transport = if record.tuple.proto == 6 {
                    Transport::Tcp
                } else {
                    Transport::Udp
                };
                self.app_feed(fref, Direction::ToServer, AppInput::End, transport);
                if let Some(app) = self.app.as_deref_mut() {
                    if let Some(f) = app.remove(record.flow_id) {
                        match f.app_proto() {
                            Some(p) => {
                                *app.stats.flows.entry(p).or_default() += 1;
                                record.app_proto = Some(p);
                            }
                            None => app.stats.unknown_flows += 1,
                        }
                    }
                }
            }
        }
        self.ending = None;
        self.ending_ts = None;
        // Alerts of the ending flow go out before its flow record.
        if self.pending.iter().any(|p| p.flow_id == record.flow_id) {
            self.flush_pending(None);
        }
        if let Some(det) = self.det.as_deref_mut() {
            if det.end_flow(record.flow_id) {
                record.flow.alerted = true;
            }
        }
        self.out.flow_end(record);
    }
    fn anomaly(&mut self, record: AnomalyRecord) {
        self.out.anomaly(record);
    }
}

fn alert_flow(engine: &FlowEngine, fref: FlowRef) -> Option<AlertFlow> {
    let f = engine.flow(fref.slot)?;
    if f.id != fref.id {
        return None;
    }
    let t = palisade_flow::engine::flow_record(f, palisade_event::EndReason::Timeout).tuple;
    Some(AlertFlow {
        pkts_toserver: f.pkts[0],
        pkts_toclient: f.pkts[1],
        bytes_toserver: f.bytes[0],
        bytes_toclient: f.bytes[1],
        start: f.start,
        src_ip: t.src_ip,
        dest_ip: t.dest_ip,
        src_port: t.src_port,
        dest_port: t.dest_port,
    })
}

/// Inspects the packet itself after the flow engine has tracked it.
pub fn inspect_packet(
    out: &mut EventBatcher,
    det: &mut WorkerDetect,
    engine: &FlowEngine,
    mut view: PacketView<'_>,
    meta: &PacketMeta,
    flow: Option<(FlowRef, Direction)>,
) {
    let shared = &*det.shared;
    let mut alerts = std::mem::take(&mut det.alerts);
    alerts.clear();
    let now = meta.ts.secs();
    let mut app_proto = None;
    match flow {
        Some((fref, dir)) => {
            view.flow = flow_view(engine, fref, dir);
            let fd = det
                .flows
                .entry(fref.id)
                .or_insert_with(|| det.pool.pop().unwrap_or_default());
            app_proto = fd.app_proto;
            shared.rules.inspect_packet(
                &mut det.thread,
                &view,
                Some(fd),
                fref.id,
                now,
                &mut alerts,
            );
        }
        None => shared
            .rules
            .inspect_packet(&mut det.thread, &view, None, 0, now, &mut alerts),
    }
    for a in &alerts {
        let af = flow.and_then(|(fref, _)| alert_flow(engine, fref));
        let rec = record(
            shared,
            &mut det.per_sig,
            a,
            tuple_of(&view),
            meta,
            flow.map(|(f, _)| f.id),
            flow.map(|(_, d)| d == Direction::ToServer),
            af,
            shared.payload.then(|| b64(view.payload)),
            app_proto,
        );
        if let Some(r) = rec {
            out.alert(r);
        }
    }
    det.alerts = alerts;
}

#[allow(clippy::too_many_arguments)]
fn record(
    shared: &DetectShared,
    per_sig: &mut HashMap<u32, u64>,
    a: &Alert,
    tuple: Tuple,
    meta: &PacketMeta,
    flow_id: Option<u64>,
    to_server: Option<bool>,
    flow: Option<AlertFlow>,
    payload: Option<String>,
    app_proto: Option<&'static str>,
) -> Option<AlertRecord> {
    let sig = shared.alert_sigs.get(a.sig as usize)?;
    *per_sig.entry(a.sig).or_default() += 1;
    Some(AlertRecord {
        timestamp: meta.ts,
        flow_id,
        pcap_cnt: Some(meta.pcap_cnt),
        tuple,
        app_proto,
        direction: to_server.map(|t| if t { "to_server" } else { "to_client" }),
        tx_id: a.tx_id,
        signature: Arc::clone(sig),
        flow,
        payload,
        packet: None,
        capture_file: None,
        source: meta.source,
    })
}

fn b64(data: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(data)
}
