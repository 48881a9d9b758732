//! CoAP transactions: a request with its response (piggybacked in the
//! ACK, or separate and matched by token), or a message alone.

use super::parser::{
    code_string, message, method_name, opt, type_name, uint, Message, ACK, CON, RST,
};
use crate::buffers::{by_sticky_name, BufferId};
use crate::parser::{AppTx, Dir, Input, ParseError, Parser, Sink, TxUpdate};
use crate::tx::Transaction;
use crate::util::text;
use serde_json::{json, Map, Value};
use std::fmt::Write;
use std::sync::OnceLock;

/// Options read per message; more raise `coap.too_many_options` and the
/// rest of the message (options and payload) is skipped.
pub const MAX_OPTIONS: usize = 64;
/// Requests waiting for their response per flow; one more completes the
/// oldest and raises `coap.too_many_transactions`.
pub const MAX_PENDING: usize = 32;

/// Event (flow): a datagram whose header or token cannot be read, or an
/// empty message with bytes after its header.
pub const EV_MALFORMED: &str = "coap.malformed_message";
/// Event: an option with a reserved nibble, running past the datagram,
/// numbered past 65535, or an integer option longer than 4 bytes.
pub const EV_INVALID_OPTION: &str = "coap.invalid_option";
/// Event: a payload marker with nothing after it.
pub const EV_INVALID_PAYLOAD_MARKER: &str = "coap.invalid_payload_marker";
/// Event: more than [`MAX_OPTIONS`] options.
pub const EV_TOO_MANY_OPTIONS: &str = "coap.too_many_options";
/// Event: a code of a reserved class (1, 3, 6, 7).
pub const EV_INVALID_CODE: &str = "coap.invalid_code";
/// Event (flow): more than [`MAX_PENDING`] requests waiting.
pub const EV_TOO_MANY_TX: &str = "coap.too_many_transactions";

/// What a transaction keeps of one message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Part {
    /// CON/NON/ACK/RST.
    pub mtype: u8,
    /// Code.
    pub code: u8,
    /// Message ID.
    pub message_id: u16,
    /// Token.
    pub token: Vec<u8>,
    /// Uri-Host.
    pub uri_host: Option<Vec<u8>>,
    /// Uri-Port.
    pub uri_port: Option<u32>,
    /// Uri-Path options joined: `/a/b` (None without any).
    pub uri_path: Option<Vec<u8>>,
    /// Uri-Query options joined with `&`.
    pub uri_query: Option<Vec<u8>>,
    /// Proxy-Uri.
    pub proxy_uri: Option<Vec<u8>>,
    /// Location-Path options joined: `/a/b`.
    pub location_path: Option<Vec<u8>>,
    /// Location-Query options joined with `&`.
    pub location_query: Option<Vec<u8>>,
    /// Content-Format.
    pub content_format: Option<u32>,
    /// Accept.
    pub accept: Option<u32>,
    /// Observe.
    pub observe: Option<u32>,
    /// Block1 (raw value: num << 4 | more << 3 | szx).
    pub block1: Option<u32>,
    /// Block2 (raw value).
    pub block2: Option<u32>,
    /// Payload length (after the 0xFF marker).
    pub payload_length: Option<usize>,
}

/// Appends `seg` to a joined option list.
fn join(slot: &mut Option<Vec<u8>>, lead: Option<u8>, sep: u8, seg: &[u8]) {
    let v = slot.get_or_insert_with(Vec::new);
    match lead {
        Some(l) => v.push(l),
        None if !v.is_empty() => v.push(sep),
        None => {}
    }
    v.extend_from_slice(seg);
}

fn push_event(events: &mut Vec<&'static str>, e: &'static str) {
    if !events.contains(&e) {
        events.push(e);
    }
}

impl Part {
    fn from_message(m: &Message<'_>, events: &mut Vec<&'static str>) -> Part {
        let mut p = Part {
            mtype: m.mtype,
            code: m.code,
            message_id: m.message_id,
            token: m.token.to_vec(),
            ..Part::default()
        };
        let mut opts = m.options();
        let mut n = 0;
        let mut stopped = false;
        for o in opts.by_ref() {
            let o = match o {
                Ok(o) => o,
                Err(super::parser::OptionError::EmptyPayload) => {
                    push_event(events, EV_INVALID_PAYLOAD_MARKER);
                    break;
                }
                Err(_) => {
                    push_event(events, EV_INVALID_OPTION);
                    stopped = true;
                    break;
                }
            };
            n += 1;
            if n > MAX_OPTIONS {
                push_event(events, EV_TOO_MANY_OPTIONS);
                stopped = true;
                break;
            }
            let v = o.value;
            let num = |slot: &mut Option<u32>, events: &mut Vec<&'static str>| match uint(v) {
                Some(x) => *slot = Some(x),
                None => push_event(events, EV_INVALID_OPTION),
            };
            match o.number {
                opt::URI_HOST => p.uri_host = Some(v.to_vec()),
                opt::URI_PORT => num(&mut p.uri_port, events),
                opt::URI_PATH => join(&mut p.uri_path, Some(b'/'), b'/', v),
                opt::URI_QUERY => join(&mut p.uri_query, None, b'&', v),
                opt::PROXY_URI => p.proxy_uri = Some(v.to_vec()),
                opt::LOCATION_PATH => join(&mut p.location_path, Some(b'/'), b'/', v),
                opt::LOCATION_QUERY => join(&mut p.location_query, None, b'&', v),
                opt::CONTENT_FORMAT => num(&mut p.content_format, events),
                opt::ACCEPT => num(&mut p.accept, events),
                opt::OBSERVE => num(&mut p.observe, events),
                opt::BLOCK1 => num(&mut p.block1, events),
                opt::BLOCK2 => num(&mut p.block2, events),
                _ => {}
            }
        }
        if !stopped {
            p.payload_length = opts.payload().map(<[u8]>::len);
        }
        p
    }

    fn is_request(&self) -> bool {
        self.code >> 5 == 0 && self.code != 0
    }

    /// Writes the fields with `prefix` (`""` for the first message,
    /// `response_` for the answer).
    fn log(&self, out: &mut Map<String, Value>, prefix: &str) {
        let mut put = |k: &str, v: Value| {
            out.insert(format!("{prefix}{k}"), v);
        };
        put("type", json!(type_name(self.mtype)));
        put("code", json!(code_string(self.code)));
        if let Some(m) = method_name(self.code) {
            put("method", json!(m));
        }
        put("message_id", json!(self.message_id));
        if !self.token.is_empty() {
            let mut hex = String::with_capacity(self.token.len() * 2);
            for b in &self.token {
                let _ = write!(hex, "{b:02x}");
            }
            put("token", json!(hex));
        }
        let texts = [
            ("uri_host", &self.uri_host),
            ("uri_path", &self.uri_path),
            ("uri_query", &self.uri_query),
            ("proxy_uri", &self.proxy_uri),
            ("location_path", &self.location_path),
            ("location_query", &self.location_query),
        ];
        for (k, v) in texts {
            if let Some(v) = v {
                put(k, json!(text(v)));
            }
        }
        let nums = [
            ("uri_port", self.uri_port),
            ("content_format", self.content_format),
            ("accept", self.accept),
            ("observe", self.observe),
        ];
        for (k, v) in nums {
            if let Some(v) = v {
                put(k, json!(v));
            }
        }
        for (k, v) in [("block1", self.block1), ("block2", self.block2)] {
            if let Some(v) = v {
                put(
                    k,
                    json!({"num": v >> 4, "more": v & 0x08 != 0, "size": 16u32 << (v & 0x07)}),
                );
            }
        }
        if let Some(n) = self.payload_length {
            put("payload_length", json!(n));
        }
    }
}

/// A CoAP transaction.
#[derive(Debug, Clone)]
pub struct CoapTx {
    id: u64,
    /// Direction of the first message.
    pub dir: Dir,
    /// The first message (a request, or a message seen alone).
    pub first: Part,
    /// The response to a request.
    pub response: Option<Part>,
    /// An empty ACK acknowledged the request (a separate response
    /// follows).
    pub acknowledged: bool,
    /// The peer answered with RST.
    pub reset: bool,
    /// Times the same CON request (message ID and token) was sent again.
    pub retransmissions: u32,
    events: Vec<&'static str>,
}

fn ids() -> &'static (BufferId, BufferId) {
    static IDS: OnceLock<(BufferId, BufferId)> = OnceLock::new();
    IDS.get_or_init(|| {
        (
            by_sticky_name("coap.uri_path").unwrap_or(BufferId(u16::MAX)),
            by_sticky_name("coap.method").unwrap_or(BufferId(u16::MAX)),
        )
    })
}

impl Transaction for CoapTx {
    fn app_proto(&self) -> &'static str {
        "coap"
    }
    fn buffer(&self, id: BufferId, f: &mut dyn FnMut(&[u8])) {
        let (path, method) = *ids();
        if id == path {
            if let Some(p) = &self.first.uri_path {
                f(p);
            }
        } else if id == method {
            if let Some(m) = method_name(self.first.code) {
                f(m.as_bytes());
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

impl AppTx for CoapTx {
    /// palisade's `coap` object: the first message's fields, the
    /// response's with a `response_` prefix (see the module docs).
    fn log(&self, out: &mut Map<String, Value>) {
        self.first.log(out, "");
        if self.acknowledged {
            out.insert("acknowledged".into(), json!(true));
        }
        if self.reset {
            out.insert("reset".into(), json!(true));
        }
        if self.retransmissions > 0 {
            out.insert("retransmissions".into(), json!(self.retransmissions));
        }
        if let Some(r) = &self.response {
            r.log(out, "response_");
        }
    }
}

/// Parser state of one flow.
#[derive(Default)]
pub struct CoapParser {
    /// Requests (and pings) waiting for an answer, oldest first.
    pending: Vec<CoapTx>,
    next_id: u64,
}

fn complete(tx: &CoapTx, dir: Dir, sink: &mut dyn Sink) {
    sink.tx(
        tx,
        TxUpdate {
            dir,
            complete: true,
        },
    );
}

impl CoapParser {
    fn new_tx(&mut self, dir: Dir, first: Part, events: Vec<&'static str>) -> CoapTx {
        let id = self.next_id;
        self.next_id += 1;
        CoapTx {
            id,
            dir,
            first,
            response: None,
            acknowledged: false,
            reset: false,
            retransmissions: 0,
            events,
        }
    }

    fn find(&self, dir: Dir, f: impl Fn(&Part) -> bool) -> Option<usize> {
        self.pending
            .iter()
            .position(|t| t.dir == dir && f(&t.first))
    }

    fn hold(&mut self, tx: CoapTx, sink: &mut dyn Sink) {
        if self.pending.len() >= MAX_PENDING {
            sink.event(tx.dir, EV_TOO_MANY_TX);
            let old = self.pending.remove(0);
            complete(&old, old.dir, sink);
        }
        sink.tx(
            &tx,
            TxUpdate {
                dir: tx.dir,
                complete: false,
            },
        );
        self.pending.push(tx);
    }
}

impl Parser for CoapParser {
    fn parse(&mut self, input: Input<'_>, sink: &mut dyn Sink) -> Result<(), ParseError> {
        let dir = input.dir;
        let Ok(m) = message(input.data) else {
            // One bad datagram says nothing about the next one.
            sink.event(dir, EV_MALFORMED);
            return Ok(());
        };
        let mut events = Vec::new();
        if m.code == 0 {
            // Empty message: ping (CON), acknowledgement or reset.
            if !m.token.is_empty() || !m.is_bare() {
                sink.event(dir, EV_MALFORMED);
            }
            let mid = m.message_id;
            let asked = self.find(dir.reverse(), |p| p.message_id == mid);
            match (m.mtype, asked) {
                (ACK, Some(i)) => {
                    if let Some(t) = self.pending.get_mut(i) {
                        if t.first.code == 0 {
                            // A ping answered by ACK.
                            let t = self.pending.remove(i);
                            complete(&t, dir, sink);
                        } else {
                            t.acknowledged = true;
                        }
                    }
                }
                (RST, Some(i)) => {
                    let mut t = self.pending.remove(i);
                    t.reset = true;
                    complete(&t, dir, sink);
                }
                (CON, _) => {
                    let tx = self.new_tx(dir, Part::from_message(&m, &mut events), events);
                    self.hold(tx, sink);
                }
                // An ACK of a separate response, or unrelated.
                _ => {}
            }
            return Ok(());
        }
        let part = Part::from_message(&m, &mut events);
        match m.class() {
            0 => {
                let retransmit = self.find(dir, |p| {
                    p.mtype == CON && p.message_id == part.message_id && p.token == part.token
                });
                if let Some(t) = retransmit.and_then(|i| self.pending.get_mut(i)) {
                    t.retransmissions = t.retransmissions.saturating_add(1);
                    return Ok(());
                }
                let tx = self.new_tx(dir, part, events);
                self.hold(tx, sink);
            }
            2 | 4 | 5 => {
                let by_mid = || {
                    self.find(dir.reverse(), |p| {
                        p.is_request() && p.message_id == part.message_id
                    })
                };
                let by_token =
                    || self.find(dir.reverse(), |p| p.is_request() && p.token == part.token);
                // Piggybacked in the ACK, else a separate response.
                let found = if m.mtype == ACK {
                    by_mid().or_else(by_token)
                } else {
                    by_token()
                };
                match found {
                    Some(i) => {
                        let mut t = self.pending.remove(i);
                        t.response = Some(part);
                        for e in events {
                            push_event(&mut t.events, e);
                        }
                        complete(&t, dir, sink);
                    }
                    None => {
                        let tx = self.new_tx(dir, part, events);
                        complete(&tx, dir, sink);
                    }
                }
            }
            _ => {
                push_event(&mut events, EV_INVALID_CODE);
                let tx = self.new_tx(dir, part, events);
                complete(&tx, dir, sink);
            }
        }
        Ok(())
    }

    fn gap(&mut self, _dir: Dir, _len: u64, _sink: &mut dyn Sink) {}

    fn finish(&mut self, sink: &mut dyn Sink) {
        for t in std::mem::take(&mut self.pending) {
            complete(&t, t.dir, sink);
        }
    }
}
