//! DNS transactions (a query paired with its response) and the per-flow
//! parser: framing (UDP datagram or TCP length prefix), pairing by query
//! id, bounds.

use super::log;
use super::parser::{self, Anomalies, Header, Message, NameError, Parsed, HEADER_LEN};
use crate::buffers::{by_sticky_name, BufferId};
use crate::parser::{AppTx, Dir, Input, ParseError, Parser, Sink, TxUpdate};
use crate::tx::Transaction;
use crate::util::StreamBuf;
use serde_json::{Map, Value};
use std::collections::VecDeque;
use std::sync::OnceLock;

/// Queries waiting for their response, per flow. A resolver flow rarely
/// has more than a handful in flight; past the bound the oldest is logged
/// unanswered, and the flow gets `dns.too_many_transactions` (once: a
/// query flood would otherwise raise one per query).
pub const MAX_PENDING: usize = 256;
/// Bytes held per direction while a TCP message is incomplete: the
/// largest message plus its length prefix.
pub const MAX_TCP_HELD: usize = 65535 + 2;
/// Bytes held while the framing is not decided yet, or while a chunk
/// after a gap is judged as a message start.
pub const MAX_UNDECIDED: usize = 1024;

/// Event names (Suricata's where it has them).
pub mod ev {
    /// Header, question or answer undecodable.
    pub const MALFORMED: &str = "dns.malformed_data";
    /// A response (QR set) sent to the server.
    pub const NOT_REQUEST: &str = "dns.not_request";
    /// A query (QR clear) sent to the client.
    pub const NOT_RESPONSE: &str = "dns.not_response";
    /// Reserved Z bit set.
    pub const Z_FLAG: &str = "dns.z_flag_set";
    /// Opcode 7..15.
    pub const INVALID_OPCODE: &str = "dns.invalid_opcode";
    /// A name over 255 octets.
    pub const NAME_TOO_LONG: &str = "dns.name_too_long";
    /// A compression pointer loop.
    pub const INFINITE_LOOP: &str = "dns.infinite_loop";
    /// A name over 128 labels.
    pub const TOO_MANY_LABELS: &str = "dns.too_many_labels";
    /// Authority section undecodable.
    pub const INVALID_AUTHORITIES: &str = "dns.invalid_authorities";
    /// Additional section undecodable.
    pub const INVALID_ADDITIONALS: &str = "dns.invalid_additionals";
    /// More pending queries than [`super::MAX_PENDING`] (palisade's own).
    pub const TOO_MANY_TRANSACTIONS: &str = "dns.too_many_transactions";
    /// More entries in a message than kept (palisade's own).
    pub const TOO_MANY_RECORDS: &str = "dns.too_many_records";
}

/// A DNS transaction: a query and the response with the same id, or a
/// lone query (never answered) or lone response (query not seen).
#[derive(Debug, Default)]
pub struct DnsTx {
    id: u64,
    /// The query.
    pub request: Option<Message>,
    /// The response.
    pub response: Option<Message>,
    events: Vec<&'static str>,
}

impl DnsTx {
    fn event(&mut self, e: &'static str) {
        if !self.events.contains(&e) {
            self.events.push(e);
        }
    }

    fn anomalies(&mut self, a: &Anomalies, h: &Header) {
        let flags = [
            (a.malformed, ev::MALFORMED),
            (a.invalid_authorities, ev::INVALID_AUTHORITIES),
            (a.invalid_additionals, ev::INVALID_ADDITIONALS),
            (a.name_too_long, ev::NAME_TOO_LONG),
            (a.too_many_labels, ev::TOO_MANY_LABELS),
            (a.infinite_loop, ev::INFINITE_LOOP),
            (a.too_many_records, ev::TOO_MANY_RECORDS),
            (h.z(), ev::Z_FLAG),
            (h.opcode() >= 7, ev::INVALID_OPCODE),
        ];
        for (set, e) in flags {
            if set {
                self.event(e);
            }
        }
    }

    /// The request form of the EVE object (Suricata's `type: request`).
    pub fn log_request(&self, out: &mut Map<String, Value>) -> bool {
        let Some(m) = &self.request else { return false };
        log::message(out, "request", self.id, m);
        true
    }

    /// The response form of the EVE object (Suricata's `type: response`).
    pub fn log_response(&self, out: &mut Map<String, Value>) -> bool {
        let Some(m) = &self.response else {
            return false;
        };
        log::message(out, "response", self.id, m);
        true
    }
}

struct Ids {
    query: BufferId,
    rrname: BufferId,
    answer: BufferId,
}

fn ids() -> &'static Ids {
    static IDS: OnceLock<Ids> = OnceLock::new();
    IDS.get_or_init(|| {
        let id = |n| by_sticky_name(n).unwrap_or(BufferId(u16::MAX));
        Ids {
            query: id("dns.query"),
            rrname: id("dns.queries.rrname"),
            answer: id("dns.answer.name"),
        }
    })
}

impl Transaction for DnsTx {
    fn app_proto(&self) -> &'static str {
        "dns"
    }
    fn buffer(&self, id: BufferId, f: &mut dyn FnMut(&[u8])) {
        let ids = ids();
        // Like Suricata, the root (empty) name is no buffer instance.
        let mut names = |m: &Option<Message>, answers: bool| {
            let Some(m) = m else { return };
            if answers {
                m.answers
                    .iter()
                    .filter(|r| !r.name.value.is_empty())
                    .for_each(|r| f(&r.name.value));
            } else {
                m.questions
                    .iter()
                    .filter(|q| !q.name.value.is_empty())
                    .for_each(|q| f(&q.name.value));
            }
        };
        if id == ids.query {
            names(&self.request, false);
        } else if id == ids.rrname {
            names(&self.request, false);
            names(&self.response, false);
        } else if id == ids.answer {
            names(&self.response, true);
        }
    }
    fn events(&self) -> &[&'static str] {
        &self.events
    }
    fn id(&self) -> u64 {
        self.id
    }
}

impl AppTx for DnsTx {
    /// One record per transaction: the response form when the response
    /// was seen (it repeats the queries), else the request form. Suricata
    /// logs request and response as two records; [`DnsTx::log_request`]
    /// and [`DnsTx::log_response`] give both forms to a caller that wants
    /// that.
    fn log(&self, out: &mut Map<String, Value>) {
        if !self.log_response(out) {
            self.log_request(out);
        }
    }
}

/// How the flow's messages are framed. The parser is not told the
/// transport, so it decides from the first bytes (see [`decide`]).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Framing {
    Undecided,
    /// One message per call (UDP datagrams).
    Datagram,
    /// 2-byte length prefix, any segmentation (TCP, RFC 1035 §4.2.2).
    Stream,
}

/// What a TCP length-prefixed reading of the first bytes says.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum View {
    Yes,
    No,
    Maybe,
}

/// The TCP length prefix at the start of `p`.
pub(crate) fn length_prefix(p: &[u8]) -> Option<usize> {
    let b: [u8; 2] = p.get(..2)?.try_into().ok()?;
    Some(usize::from(u16::from_be_bytes(b)))
}

/// Whether `p` starts like a length-prefixed DNS message: a length of at
/// least a header, a header whose counts fit in that length, opcode 0..6,
/// and a first question that decodes (or a response without questions).
pub(crate) fn tcp_view(p: &[u8]) -> View {
    let Some(len) = length_prefix(p) else {
        return View::Maybe;
    };
    if len < HEADER_LEN {
        return View::No;
    }
    let m = p.get(2..p.len().min(2 + len)).unwrap_or_default();
    let Some(h) = Header::parse(m) else {
        return View::Maybe;
    };
    if h.opcode() > 6 || !h.counts_fit(len - HEADER_LEN) {
        return View::No;
    }
    if h.qdcount == 0 {
        return if h.qr() { View::Yes } else { View::No };
    }
    match parser::question(m, HEADER_LEN, &mut Anomalies::default()) {
        Ok(_) => View::Yes,
        Err(NameError::Short) if m.len() < len => View::Maybe,
        Err(_) => View::No,
    }
}

/// Whether `p` is exactly one well-formed message (a datagram).
fn datagram_exact(p: &[u8]) -> bool {
    parser::parse(p).is_some_and(|r| r.complete() && r.end == p.len())
}

/// Decides the framing from the first bytes of a direction (held across
/// calls while undecided), or None to wait for more.
///
/// A datagram is a whole message, so bytes that decode exactly as one are
/// a datagram. Otherwise a plausible length prefix means a stream. A
/// stream's prefix never decodes as a whole message in practice (its
/// "question count" would be the real flags word, 256 and up), and a
/// malformed datagram rarely looks length-prefixed (its would-be first
/// question starts inside the real one), so the answer does not depend on
/// how a stream was cut. Everything else is taken as datagrams.
fn decide(p: &[u8]) -> Option<Framing> {
    if p.len() >= HEADER_LEN && datagram_exact(p) {
        return Some(Framing::Datagram);
    }
    match tcp_view(p) {
        View::Yes => Some(Framing::Stream),
        View::Maybe if p.len() < MAX_UNDECIDED => None,
        _ => Some(Framing::Datagram),
    }
}

#[derive(Default)]
struct DirState {
    buf: StreamBuf,
    /// Bytes seen while the framing is undecided, or after a gap the
    /// candidate message start being judged.
    held: Vec<u8>,
    /// After a gap: skip chunks until a plausible message start.
    resync: bool,
}

/// Parser state of one flow.
pub struct DnsParser {
    framing: Framing,
    dirs: [DirState; 2],
    pending: VecDeque<DnsTx>,
    next_id: u64,
    /// `dns.too_many_transactions` was raised.
    overflowed: bool,
}

impl Default for DnsParser {
    fn default() -> Self {
        DnsParser {
            framing: Framing::Undecided,
            dirs: [DirState::default(), DirState::default()],
            pending: VecDeque::new(),
            next_id: 0,
            overflowed: false,
        }
    }
}

impl DnsParser {
    fn new_tx(&mut self) -> DnsTx {
        let tx = DnsTx {
            id: self.next_id,
            ..DnsTx::default()
        };
        self.next_id += 1;
        tx
    }

    /// One whole message.
    fn message(&mut self, dir: Dir, bytes: &[u8], sink: &mut dyn Sink) {
        let Some(Parsed {
            message, anomalies, ..
        }) = parser::parse(bytes)
        else {
            sink.event(dir, ev::MALFORMED);
            return;
        };
        let h = message.header;
        if !h.qr() {
            let mut tx = self.new_tx();
            tx.anomalies(&anomalies, &h);
            if dir == Dir::ToClient {
                tx.event(ev::NOT_RESPONSE);
            }
            tx.request = Some(message);
            if self.pending.len() >= MAX_PENDING {
                if !self.overflowed {
                    self.overflowed = true;
                    sink.event(dir, ev::TOO_MANY_TRANSACTIONS);
                }
                if let Some(old) = self.pending.pop_front() {
                    sink.tx(
                        &old,
                        TxUpdate {
                            dir,
                            complete: true,
                        },
                    );
                }
            }
            sink.tx(
                &tx,
                TxUpdate {
                    dir,
                    complete: false,
                },
            );
            self.pending.push_back(tx);
            return;
        }
        let pos = self
            .pending
            .iter()
            .position(|t| t.request.as_ref().is_some_and(|q| q.header.id == h.id));
        let mut tx = match pos.and_then(|i| self.pending.remove(i)) {
            Some(tx) => tx,
            None => self.new_tx(),
        };
        tx.anomalies(&anomalies, &h);
        // mDNS responders multicast their answers with id 0 (RFC 6762
        // §18.1) from the flow's first packet: not a misdirected response.
        if dir == Dir::ToServer && !(h.id == 0 && h.opcode() == 0) {
            tx.event(ev::NOT_REQUEST);
        }
        tx.response = Some(message);
        sink.tx(
            &tx,
            TxUpdate {
                dir,
                complete: true,
            },
        );
    }

    /// Consumes whole length-prefixed messages from `data`; returns the
    /// bytes used (the rest waits for more).
    fn frames(&mut self, dir: Dir, data: &[u8], sink: &mut dyn Sink) -> usize {
        let mut off = 0;
        loop {
            let rest = data.get(off..).unwrap_or_default();
            let Some(len) = length_prefix(rest) else {
                return off;
            };
            if len == 0 {
                off += 2;
                continue;
            }
            let Some(msg) = rest.get(2..2 + len) else {
                return off;
            };
            self.message(dir, msg, sink);
            off += 2 + len;
        }
    }

    fn stream(&mut self, dir: Dir, data: &[u8], sink: &mut dyn Sink) {
        let d = dir.index();
        if self.dirs[d].resync {
            self.resync(dir, data, sink);
            return;
        }
        let mut buf = std::mem::take(&mut self.dirs[d].buf);
        // Cannot overflow: a frame is at most MAX_TCP_HELD bytes.
        let _ = buf.feed(data, MAX_TCP_HELD, |b| self.frames(dir, b, sink));
        self.dirs[d].buf = buf;
    }

    /// After a gap: looks for a chunk that starts like a length-prefixed
    /// message (gaps end at segment boundaries, and DNS messages usually
    /// start segments). A candidate too short to judge is held and judged
    /// again with the next chunk; if the two together are no message
    /// start, the next chunk is tried alone.
    fn resync(&mut self, dir: Dir, data: &[u8], sink: &mut dyn Sink) {
        let d = dir.index();
        let mut cand = std::mem::take(&mut self.dirs[d].held);
        if !cand.is_empty() {
            cand.extend_from_slice(data);
            match tcp_view(&cand) {
                View::Yes => {
                    self.dirs[d].resync = false;
                    self.stream(dir, &cand, sink);
                    return;
                }
                View::Maybe if cand.len() < MAX_UNDECIDED => {
                    self.dirs[d].held = cand;
                    return;
                }
                _ => {}
            }
        }
        match tcp_view(data) {
            View::Yes => {
                self.dirs[d].resync = false;
                self.stream(dir, data, sink);
            }
            View::Maybe if data.len() < MAX_UNDECIDED => self.dirs[d].held = data.to_vec(),
            // Not a message start: skip the chunk.
            _ => {}
        }
    }

    /// Feeds data under the decided framing.
    fn framed(&mut self, dir: Dir, data: &[u8], sink: &mut dyn Sink) {
        match self.framing {
            Framing::Datagram => self.message(dir, data, sink),
            Framing::Stream => self.stream(dir, data, sink),
            Framing::Undecided => {}
        }
    }

    /// Sets the framing and replays what both directions held, the other
    /// direction's first (it arrived earlier).
    fn decided(&mut self, f: Framing, dir: Dir, sink: &mut dyn Sink) {
        self.framing = f;
        for d in [dir.reverse(), dir] {
            let held = std::mem::take(&mut self.dirs[d.index()].held);
            if !held.is_empty() {
                self.framed(d, &held, sink);
            }
        }
    }
}

impl Parser for DnsParser {
    fn parse(&mut self, input: Input<'_>, sink: &mut dyn Sink) -> Result<(), ParseError> {
        let dir = input.dir;
        if self.framing != Framing::Undecided {
            self.framed(dir, input.data, sink);
            return Ok(());
        }
        let held = &mut self.dirs[dir.index()].held;
        let decision = if held.is_empty() {
            decide(input.data)
        } else {
            held.extend_from_slice(input.data);
            decide(held)
        };
        match decision {
            Some(f) => {
                let held = &mut self.dirs[dir.index()].held;
                if held.is_empty() {
                    held.extend_from_slice(input.data);
                }
                self.decided(f, dir, sink);
            }
            None => {
                let held = &mut self.dirs[dir.index()].held;
                if held.is_empty() {
                    held.extend_from_slice(input.data);
                }
            }
        }
        Ok(())
    }

    fn gap(&mut self, dir: Dir, _len: u64, _sink: &mut dyn Sink) {
        let d = &mut self.dirs[dir.index()];
        d.held.clear();
        d.buf.clear();
        d.resync = self.framing != Framing::Datagram;
    }

    fn finish(&mut self, sink: &mut dyn Sink) {
        // Bytes that never got a framing: the start of a stream cut short,
        // or a runt datagram. Neither is a message.
        for dir in [Dir::ToServer, Dir::ToClient] {
            if !std::mem::take(&mut self.dirs[dir.index()].held).is_empty() {
                sink.event(dir, ev::MALFORMED);
            }
        }
        while let Some(tx) = self.pending.pop_front() {
            sink.tx(
                &tx,
                TxUpdate {
                    dir: Dir::ToClient,
                    complete: true,
                },
            );
        }
    }
}
