//! Messages to transactions: the per-direction framing, the pairing of
//! requests with their acknowledgments, the bounds, and what a
//! transaction shows to rules.

use super::parser::{self, fixed_header, kind, parse_body, FixedHeader, Op, Span};
use crate::buffers::{by_sticky_name, BufferId};
use crate::fields::{self, IntFieldId};
use crate::parser::{Dir, Input, ParseError, Parser, Sink, TxUpdate};
use crate::tx::Transaction;
use crate::util::StreamBuf;
use std::collections::VecDeque;
use std::sync::OnceLock;

/// Longest message body parsed (Suricata's `max-msg-length` default,
/// 1 MiB). A longer message is skipped by its length without being
/// buffered and logged as `truncated`.
pub const MAX_MSG_LEN: u32 = 1 << 20;
/// Transactions waiting for their acknowledgment (Suricata's `max-tx`).
/// Beyond it the oldest is closed with `mqtt.too_many_transactions`.
pub const MAX_TX: usize = 1024;
/// Message bytes held by the waiting transactions of one flow; beyond it
/// the oldest is closed with `mqtt.too_many_transactions`, so a peer that
/// never acknowledges cannot make a flow hold `MAX_TX` × 1 MiB.
pub const MAX_HELD_BYTES: usize = 4 << 20;
/// SUBSCRIBE/UNSUBSCRIBE topics a rule inspects per message (Suricata's
/// `subscribe-topic-match-limit` default), bounding detection work.
pub const TOPIC_MATCH_LIMIT: usize = 100;

/// Pairing key of a CONNECT awaiting its CONNACK (packet ids are 16-bit,
/// so it cannot collide).
const CONNECT_ID: u32 = u32::MAX;

/// Event names, as Suricata's `mqtt-events.rules` spells them, plus
/// palisade's `too_large_message`.
pub mod ev {
    /// CONNACK without a CONNECT awaiting it.
    pub const MISSING_CONNECT: &str = "mqtt.missing_connect";
    /// PUBACK/PUBREC/PUBREL/PUBCOMP without the PUBLISH.
    pub const MISSING_PUBLISH: &str = "mqtt.missing_publish";
    /// SUBACK without the SUBSCRIBE.
    pub const MISSING_SUBSCRIBE: &str = "mqtt.missing_subscribe";
    /// UNSUBACK without the UNSUBSCRIBE.
    pub const MISSING_UNSUBSCRIBE: &str = "mqtt.missing_unsubscribe";
    /// CONNECT on a connection already acknowledged.
    pub const DOUBLE_CONNECT: &str = "mqtt.double_connect";
    /// A message before CONNECT/CONNACK completed.
    pub const UNINTRODUCED_MESSAGE: &str = "mqtt.unintroduced_message";
    /// QoS bits set to 3.
    pub const INVALID_QOS_LEVEL: &str = "mqtt.invalid_qos_level";
    /// Packet identifier 0 where one is required.
    pub const MISSING_MSG_ID: &str = "mqtt.missing_msg_id";
    /// Packet type 0.
    pub const UNASSIGNED_MSG_TYPE: &str = "mqtt.unassigned_msg_type";
    /// A waiting transaction was closed to respect a bound.
    pub const TOO_MANY_TRANSACTIONS: &str = "mqtt.too_many_transactions";
    /// A body that does not fit its layout, or a broken fixed header.
    pub const MALFORMED_TRAFFIC: &str = "mqtt.malformed_traffic";
    /// A message longer than [`super::MAX_MSG_LEN`] (palisade's own:
    /// Suricata only logs it as truncated).
    pub const TOO_LARGE_MESSAGE: &str = "mqtt.too_large_message";
}

/// One message of a transaction: its header, its body (the one copy the
/// transaction keeps) and the parsed fields as spans of the body.
#[derive(Debug, Clone)]
pub struct Message {
    /// Fixed header.
    pub header: FixedHeader,
    /// Direction it travelled.
    pub dir: Dir,
    /// Variable header and payload (empty for a truncated message).
    pub body: Vec<u8>,
    /// Parsed fields.
    pub op: Op,
}

/// An MQTT transaction: a request and its acknowledgments (CONNECT +
/// CONNACK, PUBLISH + PUBACK or PUBREC/PUBREL/PUBCOMP, SUBSCRIBE + SUBACK,
/// UNSUBSCRIBE + UNSUBACK) or a lone message.
#[derive(Debug)]
pub struct MqttTx {
    id: u64,
    /// Protocol level of the connection when the transaction started.
    pub version: u8,
    pkt_id: Option<u32>,
    bytes: usize,
    /// Messages in arrival order.
    pub msgs: Vec<Message>,
    events: Vec<&'static str>,
}

impl MqttTx {
    fn push(&mut self, m: Message) {
        self.bytes += m.body.len();
        self.msgs.push(m);
    }
    fn origin(&self) -> Option<(u8, Dir)> {
        self.msgs.first().map(|m| (m.header.msg_type(), m.dir))
    }
    fn last_dir(&self) -> Dir {
        self.msgs.last().map_or(Dir::ToServer, |m| m.dir)
    }
}

#[derive(Default)]
struct DirState {
    buf: StreamBuf,
    /// Bytes of an oversized (or gap-hit) message still to skip.
    skip: u64,
    /// Total length of the message whose start is held in `buf`, when
    /// its fixed header is complete (lets a gap inside it resync).
    pending: Option<u64>,
    /// Framing lost: nothing more is parsed in this direction.
    dead: bool,
}

/// Parser state of one flow.
#[derive(Default)]
pub struct MqttParser {
    dirs: [DirState; 2],
    /// Protocol level from the last CONNECT (0 before any).
    version: u8,
    /// A CONNACK answered a CONNECT.
    connected: bool,
    next_id: u64,
    /// Transactions waiting for an acknowledgment, oldest first.
    held: VecDeque<MqttTx>,
    held_bytes: usize,
}

/// Which direction an acknowledgment travels relative to its request.
#[derive(Copy, Clone, PartialEq, Eq)]
enum Way {
    Opposite,
    Same,
}

impl MqttParser {
    fn new_tx(&mut self, msg: Option<Message>) -> MqttTx {
        let mut tx = MqttTx {
            id: self.next_id,
            version: self.version,
            pkt_id: None,
            bytes: 0,
            msgs: Vec::new(),
            events: Vec::new(),
        };
        self.next_id += 1;
        if let Some(m) = msg {
            tx.push(m);
        }
        tx
    }

    fn complete(&mut self, tx: MqttTx, sink: &mut dyn Sink) {
        let dir = tx.last_dir();
        sink.tx(
            &tx,
            TxUpdate {
                dir,
                complete: true,
            },
        );
    }

    /// Keeps a transaction until its acknowledgment, reporting its
    /// request part now so rules see it early.
    fn hold(&mut self, tx: MqttTx, sink: &mut dyn Sink) {
        sink.tx(
            &tx,
            TxUpdate {
                dir: tx.last_dir(),
                complete: false,
            },
        );
        self.held_bytes += tx.bytes;
        self.held.push_back(tx);
        self.trim(sink);
    }

    /// Closes the oldest waiting transactions while a bound is exceeded.
    fn trim(&mut self, sink: &mut dyn Sink) {
        while self.held.len() > MAX_TX || self.held_bytes > MAX_HELD_BYTES {
            let Some(mut tx) = self.held.pop_front() else {
                break;
            };
            self.held_bytes = self.held_bytes.saturating_sub(tx.bytes);
            tx.events.push(ev::TOO_MANY_TRANSACTIONS);
            self.complete(tx, sink);
        }
    }

    /// The oldest waiting transaction started by a `req` message with
    /// packet id `id`, sent in the direction `way` says relative to the
    /// acknowledgment's `dir` (packet ids are per sender, so a PUBACK
    /// from the client only answers a PUBLISH from the server).
    fn find(&self, dir: Dir, req: u8, id: u32, way: Way) -> Option<usize> {
        let want = match way {
            Way::Opposite => dir.reverse(),
            Way::Same => dir,
        };
        self.held
            .iter()
            .position(|t| t.pkt_id == Some(id) && t.origin() == Some((req, want)))
    }

    /// Adds an acknowledgment to a waiting transaction; `done` completes it.
    fn answer(&mut self, i: usize, msg: Message, done: bool, sink: &mut dyn Sink) {
        if done {
            let Some(mut tx) = self.held.remove(i) else {
                return;
            };
            self.held_bytes = self.held_bytes.saturating_sub(tx.bytes);
            tx.push(msg);
            self.complete(tx, sink);
            return;
        }
        let Some(tx) = self.held.get_mut(i) else {
            return;
        };
        let dir = msg.dir;
        self.held_bytes += msg.body.len();
        tx.push(msg);
        sink.tx(
            &*tx,
            TxUpdate {
                dir,
                complete: false,
            },
        );
        self.trim(sink);
    }

    /// An acknowledgment: joins its request, or stands alone with `missing`.
    #[allow(clippy::too_many_arguments)]
    fn ack(
        &mut self,
        msg: Message,
        req: u8,
        id: u32,
        way: Way,
        done: bool,
        missing: &'static str,
        sink: &mut dyn Sink,
    ) {
        match self.find(msg.dir, req, id, way) {
            Some(i) => self.answer(i, msg, done, sink),
            None => {
                let mut tx = self.new_tx(Some(msg));
                tx.events.push(missing);
                if !self.connected {
                    tx.events.push(ev::UNINTRODUCED_MESSAGE);
                }
                self.complete(tx, sink);
            }
        }
    }

    /// A request that an acknowledgment may answer (PUBLISH with QoS > 0,
    /// SUBSCRIBE, UNSUBSCRIBE): held by packet id, alone otherwise.
    fn request(&mut self, msg: Message, id: Option<u16>, sink: &mut dyn Sink) {
        let qos = msg.header.qos();
        let mut tx = self.new_tx(Some(msg));
        if !self.connected {
            tx.events.push(ev::UNINTRODUCED_MESSAGE);
        }
        match (qos, id) {
            (0, _) => self.complete(tx, sink),
            (1 | 2, Some(id)) => {
                if id == 0 {
                    tx.events.push(ev::MISSING_MSG_ID);
                }
                tx.pkt_id = Some(u32::from(id));
                self.hold(tx, sink);
            }
            (1 | 2, None) => {
                tx.events.push(ev::MISSING_MSG_ID);
                self.complete(tx, sink);
            }
            _ => {
                tx.events.push(ev::INVALID_QOS_LEVEL);
                self.complete(tx, sink);
            }
        }
    }

    fn lone(&mut self, msg: Message, event: Option<&'static str>, sink: &mut dyn Sink) {
        let mut tx = self.new_tx(Some(msg));
        if let Some(e) = event {
            tx.events.push(e);
        }
        self.complete(tx, sink);
    }

    fn malformed(&mut self, sink: &mut dyn Sink) {
        // As Suricata: a transaction of its own holding only the event.
        let mut tx = self.new_tx(None);
        tx.events.push(ev::MALFORMED_TRAFFIC);
        self.complete(tx, sink);
    }

    fn handle(&mut self, msg: Message, sink: &mut dyn Sink) {
        let unintroduced = (!self.connected).then_some(ev::UNINTRODUCED_MESSAGE);
        match msg.op {
            Op::Connect(c) => {
                self.version = c.level;
                let mut tx = self.new_tx(Some(msg));
                tx.version = c.level;
                tx.pkt_id = Some(CONNECT_ID);
                if self.connected {
                    tx.events.push(ev::DOUBLE_CONNECT);
                }
                self.hold(tx, sink);
            }
            Op::Connack(_) => {
                let found = self.find(msg.dir, kind::CONNECT, CONNECT_ID, Way::Opposite);
                if let Some(i) = found {
                    self.connected = true;
                    self.answer(i, msg, true, sink);
                } else {
                    self.lone(msg, Some(ev::MISSING_CONNECT), sink);
                }
            }
            Op::Publish(p) => self.request(msg, p.msg_id, sink),
            Op::Subscribe(s) | Op::Unsubscribe(s) => self.request(msg, Some(s.msg_id), sink),
            Op::Puback(a) | Op::Pubcomp(a) => {
                let id = u32::from(a.msg_id);
                let m = ev::MISSING_PUBLISH;
                self.ack(msg, kind::PUBLISH, id, Way::Opposite, true, m, sink);
            }
            Op::Pubrec(a) => {
                let id = u32::from(a.msg_id);
                let m = ev::MISSING_PUBLISH;
                self.ack(msg, kind::PUBLISH, id, Way::Opposite, false, m, sink);
            }
            Op::Pubrel(a) => {
                let id = u32::from(a.msg_id);
                let m = ev::MISSING_PUBLISH;
                self.ack(msg, kind::PUBLISH, id, Way::Same, false, m, sink);
            }
            Op::Suback(a) => {
                let id = u32::from(a.msg_id);
                let m = ev::MISSING_SUBSCRIBE;
                self.ack(msg, kind::SUBSCRIBE, id, Way::Opposite, true, m, sink);
            }
            Op::Unsuback(a) => {
                let id = u32::from(a.msg_id);
                let m = ev::MISSING_UNSUBSCRIBE;
                self.ack(msg, kind::UNSUBSCRIBE, id, Way::Opposite, true, m, sink);
            }
            Op::Unassigned => self.lone(msg, Some(ev::UNASSIGNED_MSG_TYPE), sink),
            Op::Truncated(_) => self.lone(msg, Some(ev::TOO_LARGE_MESSAGE), sink),
            Op::Auth(_) | Op::Disconnect(_) | Op::Pingreq | Op::Pingresp => {
                self.lone(msg, unintroduced, sink)
            }
        }
    }

    /// Parses whole messages from `data` (held bytes + new ones); returns
    /// the bytes consumed. Stops at an incomplete message.
    fn messages(&mut self, dir: Dir, data: &[u8], sink: &mut dyn Sink) -> usize {
        let d = dir.index();
        let mut off = 0usize;
        self.dirs[d].pending = None;
        while !self.dirs[d].dead {
            let rest = data.get(off..).unwrap_or(&[]);
            if rest.is_empty() {
                break;
            }
            let h = match fixed_header(rest) {
                Ok(Some(h)) => h,
                Ok(None) => break,
                Err(_) => {
                    // A fifth length byte: the framing is lost for good.
                    self.malformed(sink);
                    self.dirs[d].dead = true;
                    return data.len();
                }
            };
            let total = h.total();
            if h.remaining > MAX_MSG_LEN {
                let msg = Message {
                    header: h,
                    dir,
                    body: Vec::new(),
                    op: Op::Truncated(total),
                };
                self.handle(msg, sink);
                let avail = rest.len() as u64;
                if total > avail {
                    self.dirs[d].skip = total - avail;
                    return data.len();
                }
                off += total as usize;
                continue;
            }
            let end = total as usize;
            let Some(body) = rest.get(usize::from(h.len)..end) else {
                self.dirs[d].pending = Some(total);
                break;
            };
            match parse_body(h, body, self.version) {
                Ok(op) => {
                    let msg = Message {
                        header: h,
                        dir,
                        body: body.to_vec(),
                        op,
                    };
                    self.handle(msg, sink);
                }
                // The length framed the message, so the next one is found.
                Err(_) => self.malformed(sink),
            }
            off += end;
        }
        if self.dirs[d].dead {
            data.len()
        } else {
            off
        }
    }
}

impl Parser for MqttParser {
    fn parse(&mut self, input: Input<'_>, sink: &mut dyn Sink) -> Result<(), ParseError> {
        let d = input.dir.index();
        if self.dirs[d].dead {
            return Ok(());
        }
        let mut data = input.data;
        let skip = self.dirs[d].skip;
        if skip > 0 {
            let n = usize::try_from(skip).unwrap_or(usize::MAX).min(data.len());
            self.dirs[d].skip = skip - n as u64;
            data = data.get(n..).unwrap_or(&[]);
            if data.is_empty() {
                return Ok(());
            }
        }
        let mut buf = std::mem::take(&mut self.dirs[d].buf);
        // A whole message of the maximum size plus its fixed header fits.
        let limit = MAX_MSG_LEN as usize + 5;
        let r = buf.feed(data, limit, |bytes| self.messages(input.dir, bytes, sink));
        self.dirs[d].buf = buf;
        if r.is_err() {
            // Cannot happen (longer messages are skipped), but if it did
            // the framing would be lost.
            self.malformed(sink);
            self.dirs[d].dead = true;
        }
        Ok(())
    }

    fn gap(&mut self, dir: Dir, len: u64, _sink: &mut dyn Sink) {
        let ds = &mut self.dirs[dir.index()];
        if ds.dead {
            return;
        }
        // The gap falls inside a message whose length is known: skip the
        // rest of it and resume at the next one (the message is lost).
        let remaining = if ds.skip > 0 {
            Some(ds.skip)
        } else {
            ds.pending
                .map(|total| total.saturating_sub(ds.buf.len() as u64))
        };
        ds.buf.clear();
        ds.pending = None;
        match remaining {
            Some(r) if len <= r => ds.skip = r - len,
            // A gap at or past a message boundary: where the next message
            // starts is unknown, and MQTT has no marker to find it.
            _ => ds.dead = true,
        }
    }

    fn finish(&mut self, sink: &mut dyn Sink) {
        while let Some(tx) = self.held.pop_front() {
            self.complete(tx, sink);
        }
        self.held_bytes = 0;
        for d in &mut self.dirs {
            d.buf.clear();
            d.pending = None;
        }
    }
}

#[cfg(test)]
impl MqttParser {
    /// Bytes held for partial messages in both directions.
    pub(crate) fn dirs_held(&self) -> usize {
        self.dirs.iter().map(|d| d.buf.len()).sum()
    }
}

/// Buffer and field ids, looked up once.
struct Ids {
    clientid: BufferId,
    username: BufferId,
    password: BufferId,
    protocol_string: BufferId,
    willtopic: BufferId,
    willmessage: BufferId,
    pub_topic: BufferId,
    pub_message: BufferId,
    sub_topic: BufferId,
    unsub_topic: BufferId,
    version: IntFieldId,
    msg_type: IntFieldId,
    flags: IntFieldId,
    qos: IntFieldId,
    reason: IntFieldId,
    session_present: IntFieldId,
    connect_flags: IntFieldId,
}

fn ids() -> &'static Ids {
    static IDS: OnceLock<Ids> = OnceLock::new();
    IDS.get_or_init(|| {
        let b = |n: &str| by_sticky_name(n).unwrap_or(BufferId(u16::MAX));
        let f = |n: &str| fields::by_name(n).unwrap_or(IntFieldId(u16::MAX));
        Ids {
            clientid: b("mqtt.connect.clientid"),
            username: b("mqtt.connect.username"),
            password: b("mqtt.connect.password"),
            protocol_string: b("mqtt.connect.protocol_string"),
            willtopic: b("mqtt.connect.willtopic"),
            willmessage: b("mqtt.connect.willmessage"),
            pub_topic: b("mqtt.publish.topic"),
            pub_message: b("mqtt.publish.message"),
            sub_topic: b("mqtt.subscribe.topic"),
            unsub_topic: b("mqtt.unsubscribe.topic"),
            version: f("mqtt.protocol_version"),
            msg_type: f("mqtt.type"),
            flags: f("mqtt.flags"),
            qos: f("mqtt.qos"),
            reason: f("mqtt.reason_code"),
            session_present: f("mqtt.connack.session_present"),
            connect_flags: f("mqtt.connect.flags"),
        }
    })
}

/// Calls `f` with a single-instance buffer unless it is empty (Suricata
/// hands out no buffer for an empty client id, topic, ...).
fn nonempty(s: Option<Span>, body: &[u8], f: &mut dyn FnMut(&[u8])) {
    if let Some(v) = s.map(|s| s.of(body)).filter(|v| !v.is_empty()) {
        f(v);
    }
}

impl Transaction for MqttTx {
    fn app_proto(&self) -> &'static str {
        "mqtt"
    }

    fn buffer(&self, id: BufferId, f: &mut dyn FnMut(&[u8])) {
        let ids = ids();
        for m in &self.msgs {
            let body = &m.body[..];
            match &m.op {
                Op::Connect(c) => {
                    let s = if id == ids.clientid {
                        Some(c.client_id)
                    } else if id == ids.username {
                        c.username
                    } else if id == ids.password {
                        c.password
                    } else if id == ids.protocol_string {
                        Some(c.protocol)
                    } else if id == ids.willtopic {
                        c.will_topic
                    } else if id == ids.willmessage {
                        c.will_message
                    } else {
                        None
                    };
                    nonempty(s, body, f);
                }
                Op::Publish(p) => {
                    if id == ids.pub_topic {
                        nonempty(Some(p.topic), body, f);
                    } else if id == ids.pub_message {
                        nonempty(Some(p.payload), body, f);
                    }
                }
                Op::Subscribe(s) if id == ids.sub_topic => {
                    for (t, _) in parser::sub_topics(s.topics.of(body)).take(TOPIC_MATCH_LIMIT) {
                        f(t);
                    }
                }
                Op::Unsubscribe(s) if id == ids.unsub_topic => {
                    for t in parser::unsub_topics(s.topics.of(body)).take(TOPIC_MATCH_LIMIT) {
                        f(t);
                    }
                }
                _ => {}
            }
        }
    }

    fn integer(&self, id: IntFieldId, f: &mut dyn FnMut(u64)) {
        let ids = ids();
        if id == ids.version {
            f(u64::from(self.version));
        } else if id == ids.msg_type {
            self.msgs
                .iter()
                .for_each(|m| f(u64::from(m.header.msg_type())));
        } else if id == ids.flags {
            self.msgs
                .iter()
                .for_each(|m| f(u64::from(m.header.byte & 0x09)));
        } else if id == ids.qos {
            self.msgs.iter().for_each(|m| f(u64::from(m.header.qos())));
        } else if id == ids.reason {
            self.reason_codes(f);
        } else if id == ids.session_present {
            for m in &self.msgs {
                if let Op::Connack(a) = m.op {
                    f(u64::from(a.ack_flags & 1));
                }
            }
        } else if id == ids.connect_flags {
            for m in &self.msgs {
                if let Op::Connect(c) = m.op {
                    f(u64::from(c.flags));
                }
            }
        }
    }

    fn events(&self) -> &[&'static str] {
        &self.events
    }

    fn id(&self) -> u64 {
        self.id
    }
}

impl MqttTx {
    /// `mqtt.reason_code` as Suricata matches it: the first reason code of
    /// a CONNACK, PUBACK..PUBCOMP, DISCONNECT or AUTH, plus every SUBACK
    /// and UNSUBACK code.
    fn reason_codes(&self, f: &mut dyn FnMut(u64)) {
        let first = self.msgs.iter().find_map(|m| match m.op {
            Op::Connack(a) => Some(a.code),
            Op::Puback(a) | Op::Pubrec(a) | Op::Pubrel(a) | Op::Pubcomp(a) => a.code,
            Op::Auth(r) | Op::Disconnect(r) => r.code,
            _ => None,
        });
        if let Some(c) = first {
            f(u64::from(c));
        }
        for m in &self.msgs {
            if let Op::Suback(a) | Op::Unsuback(a) = m.op {
                a.codes.of(&m.body).iter().for_each(|&c| f(u64::from(c)));
            }
        }
    }
}
