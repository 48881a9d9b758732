//! The per-flow parser: one message reader per direction, and the
//! transactions that pair requests with responses.
//!
//! Each direction runs the same state machine ([`Phase`]): a start line,
//! header lines, then a body framed by length, chunks or the end of the
//! connection. Lines are taken whole (cut at [`MAX_LINE`]); body bytes are
//! handed to the transaction's [`Body`] as they come, nothing of a body is
//! held here. A request head becomes a transaction when it is complete
//! (tx ids in request order); a response head is paired with the oldest
//! request still waiting for one, or gets a transaction of its own.

use super::body::Body;
use super::parser::{
    chunk_size, content_coding, continuation_text, header_line, is_chunked, is_continuation,
    next_line, request_line, status_line, Line,
};
use super::transaction::{push_event, Header, HttpTx, Message, Part};
use super::{
    FLOW_BODY_BUDGET, MAX_HEAD, MAX_HEADERS, MAX_LINE, MAX_TXS, REQUEST_BODY_LIMIT,
    RESPONSE_BODY_LIMIT,
};
use crate::parser::{Dir, Input, ParseError, Parser, Sink, TxUpdate};
use crate::util::StreamBuf;
use memchr::memchr;
use std::collections::VecDeque;

/// Methods accepted without a version (HTTP/0.9 `GET /path`), or on a
/// request line cut before its version.
const KNOWN_METHODS: &[&[u8]] = &[
    b"GET", b"POST", b"HEAD", b"PUT", b"DELETE", b"OPTIONS", b"PATCH", b"CONNECT", b"TRACE",
];

/// Where a direction is in its current message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Phase {
    /// Waiting for a start line (empty lines skipped).
    #[default]
    Start,
    /// Header lines of the head being read.
    Headers,
    /// Body bytes left.
    Length(u64),
    /// A chunk size line.
    ChunkSize,
    /// Chunk data bytes left.
    ChunkData(u64),
    /// The line end after chunk data.
    ChunkEnd,
    /// Trailer lines after the last chunk.
    Trailers,
    /// Response body up to the end of the connection.
    UntilClose,
    /// CONNECT or Upgrade: the connection no longer carries HTTP.
    Tunnel,
}

/// How a body is framed.
enum Framing {
    None,
    Length(u64),
    Chunked,
    UntilClose,
    Tunnel,
}

/// One direction's reader.
#[derive(Default)]
struct DirState {
    buf: StreamBuf,
    phase: Phase,
    /// Discarding the rest of a line that was cut.
    skip_line: bool,
    /// Looking for a recognisable start line (after a gap or garbage).
    resync: bool,
    /// The head being read (a transaction once complete).
    pending: Option<Message>,
    /// Events raised while reading `pending`.
    pending_events: Vec<&'static str>,
    /// Transaction whose body or trailers are being read (None when it
    /// was dropped to make room: the bytes are then skipped).
    cur: Option<u64>,
    /// Bytes of the current head (and trailers).
    head_bytes: usize,
    /// The head went past [`MAX_HEAD`]: nothing more of it is kept.
    head_full: bool,
    /// Header a continuation line extends.
    last_header: Option<usize>,
    /// Trailers were added to the current message's headers.
    trailers: bool,
}

impl DirState {
    fn new_message(&mut self) {
        self.head_bytes = 0;
        self.head_full = false;
        self.last_header = None;
        self.trailers = false;
        self.pending_events.clear();
    }
}

/// Parser state of one flow.
pub struct HttpParser {
    dirs: [DirState; 2],
    /// Transactions in flight, in id order.
    txs: VecDeque<HttpTx>,
    next_id: u64,
    /// Requests whose response has not started, oldest first.
    awaiting: VecDeque<u64>,
    /// Requests dropped (too many in flight) before their response came:
    /// that many responses are logged on their own so that later ones
    /// still pair with the right request.
    lost_responses: u64,
    /// Body bytes all transactions may still keep.
    budget: usize,
}

impl Default for HttpParser {
    fn default() -> Self {
        HttpParser {
            dirs: Default::default(),
            txs: VecDeque::new(),
            next_id: 0,
            awaiting: VecDeque::new(),
            lost_responses: 0,
            budget: FLOW_BODY_BUDGET,
        }
    }
}

fn ev(dir: Dir, req: &'static str, resp: &'static str) -> &'static str {
    match dir {
        Dir::ToServer => req,
        Dir::ToClient => resp,
    }
}

impl HttpParser {
    fn index(&self, id: u64) -> Option<usize> {
        self.txs.binary_search_by_key(&id, |t| t.id).ok()
    }

    fn tx_mut(&mut self, id: Option<u64>) -> Option<&mut HttpTx> {
        let i = self.index(id?)?;
        self.txs.get_mut(i)
    }

    /// Parses what it can of `data` (held bytes first); returns the bytes
    /// used. Only an incomplete line is left over.
    fn consume(&mut self, dir: Dir, data: &[u8], sink: &mut dyn Sink) -> usize {
        let d = dir.index();
        let mut off = 0;
        while let Some(rest) = data.get(off..).filter(|r| !r.is_empty()) {
            if self.dirs[d].skip_line {
                match memchr(b'\n', rest) {
                    Some(p) => {
                        off += p + 1;
                        self.dirs[d].skip_line = false;
                    }
                    None => off = data.len(),
                }
                continue;
            }
            match self.dirs[d].phase {
                Phase::Tunnel => return data.len(),
                Phase::Length(n) | Phase::ChunkData(n) => {
                    let take = usize::try_from(n).unwrap_or(usize::MAX).min(rest.len());
                    self.body(dir, rest.get(..take).unwrap_or_default());
                    off += take;
                    let left = n - take as u64;
                    let chunked = matches!(self.dirs[d].phase, Phase::ChunkData(_));
                    self.dirs[d].phase = match (left, chunked) {
                        (0, true) => Phase::ChunkEnd,
                        (0, false) => {
                            self.message_done(dir, sink);
                            continue;
                        }
                        (l, true) => Phase::ChunkData(l),
                        (l, false) => Phase::Length(l),
                    };
                }
                Phase::UntilClose => {
                    self.body(dir, rest);
                    off = data.len();
                }
                Phase::ChunkEnd => {
                    // CRLF after chunk data; tolerate LF or nothing.
                    match rest {
                        [b'\r'] => break,
                        [b'\r', b'\n', ..] => off += 2,
                        [b'\r', ..] | [b'\n', ..] => off += 1,
                        _ => {}
                    }
                    self.dirs[d].phase = Phase::ChunkSize;
                }
                Phase::Start | Phase::Headers | Phase::ChunkSize | Phase::Trailers => {
                    let Some(line) = next_line(rest, MAX_LINE) else {
                        break;
                    };
                    off += line.raw.len();
                    if line.cut {
                        self.dirs[d].skip_line = true;
                    }
                    self.line(dir, line, sink);
                }
            }
        }
        off
    }

    fn line(&mut self, dir: Dir, line: Line<'_>, sink: &mut dyn Sink) {
        let d = dir.index();
        let empty = line.text.is_empty() && !line.cut;
        match self.dirs[d].phase {
            Phase::Start if !empty => self.start_line(dir, line, sink),
            Phase::Headers => {
                if empty {
                    let ds = &mut self.dirs[d];
                    if let Some(m) = ds.pending.as_mut().filter(|_| !ds.head_full) {
                        m.raw_headers.extend_from_slice(line.raw);
                    }
                    self.head_done(dir, sink, false);
                } else {
                    self.header(dir, line, false);
                }
            }
            Phase::Trailers => {
                if empty {
                    let (cur, full) = (self.dirs[d].cur, self.dirs[d].head_full);
                    if let Some(m) = self.tx_mut(cur).and_then(|t| t.message_mut(dir)) {
                        if !full {
                            m.raw_headers.extend_from_slice(line.raw);
                        }
                    }
                    self.message_done(dir, sink);
                } else {
                    self.header(dir, line, true);
                }
            }
            Phase::ChunkSize => {
                if empty {
                    return;
                }
                let size = if line.cut {
                    None
                } else {
                    chunk_size(line.text)
                };
                match size {
                    Some(0) => self.dirs[d].phase = Phase::Trailers,
                    Some(n) => self.dirs[d].phase = Phase::ChunkData(n),
                    None => {
                        let e = ev(
                            dir,
                            "http.invalid_request_chunk_len",
                            "http.invalid_response_chunk_len",
                        );
                        let cur = self.dirs[d].cur;
                        if let Some(tx) = self.tx_mut(cur) {
                            tx.event(e);
                        }
                        self.message_done(dir, sink);
                        self.dirs[d].resync = true;
                    }
                }
            }
            _ => {}
        }
    }

    fn start_line(&mut self, dir: Dir, line: Line<'_>, sink: &mut dyn Sink) {
        let d = dir.index();
        let resync = self.dirs[d].resync;
        let mut events = Vec::new();
        let mut http09 = false;
        let msg = match dir {
            Dir::ToServer => request_line(line.text)
                .filter(|r| {
                    !r.protocol.is_empty()
                        || ((!resync || line.cut)
                            && KNOWN_METHODS
                                .iter()
                                .any(|m| m.eq_ignore_ascii_case(r.method)))
                })
                .map(|r| {
                    if r.leading_ws {
                        events.push("http.request_line_leading_whitespace");
                    }
                    if r.odd_delimiters {
                        events.push("http.uri_delim_non_compliant");
                    }
                    http09 = r.protocol.is_empty() && !line.cut;
                    Message::request(line.text, &r)
                }),
            Dir::ToClient => status_line(line.text).map(|s| {
                if s.status.is_none() {
                    events.push("http.response_invalid_status");
                }
                Message::response(line.text, &s)
            }),
        };
        let Some(msg) = msg else {
            if !resync {
                self.dirs[d].resync = true;
                sink.event(
                    dir,
                    ev(
                        dir,
                        "http.request_line_invalid",
                        "http.response_invalid_protocol",
                    ),
                );
            }
            return;
        };
        let ds = &mut self.dirs[d];
        ds.resync = false;
        ds.new_message();
        ds.head_bytes = line.raw.len();
        if line.cut {
            events.push(ev(
                dir,
                "http.request_field_too_long",
                "http.response_field_too_long",
            ));
        }
        for e in events {
            push_event(&mut ds.pending_events, e);
        }
        ds.pending = Some(msg);
        ds.phase = Phase::Headers;
        if http09 {
            // HTTP/0.9: no headers, no body.
            self.head_done(dir, sink, false);
        }
    }

    /// A header (or trailer) line of the current message.
    fn header(&mut self, dir: Dir, line: Line<'_>, trailer: bool) {
        let d = dir.index();
        let ds = &mut self.dirs[d];
        let cur = ds.cur;
        let (msg, events) = if trailer {
            let Some(i) = cur.and_then(|id| self.txs.binary_search_by_key(&id, |t| t.id).ok())
            else {
                return;
            };
            let Some(tx) = self.txs.get_mut(i) else {
                return;
            };
            let (Some(m), events) = tx.message_and_events(dir) else {
                return;
            };
            ds.trailers = true;
            (m, events)
        } else {
            let Some(m) = ds.pending.as_mut() else {
                return;
            };
            (m, &mut ds.pending_events)
        };
        let too_long = ev(
            dir,
            "http.request_field_too_long",
            "http.response_field_too_long",
        );
        if line.cut {
            push_event(events, too_long);
        }
        ds.head_bytes = ds.head_bytes.saturating_add(line.raw.len());
        if ds.head_bytes > MAX_HEAD {
            if !ds.head_full {
                push_event(events, too_long);
                ds.head_full = true;
            }
            ds.last_header = None;
            return;
        }
        msg.raw_headers.extend_from_slice(line.raw);
        if is_continuation(line.text) {
            match ds.last_header.and_then(|i| msg.headers.get_mut(i)) {
                Some(h) => {
                    h.value.push(b' ');
                    h.value.extend_from_slice(continuation_text(line.text));
                }
                None => push_event(
                    events,
                    ev(
                        dir,
                        "http.invalid_request_field_folding",
                        "http.invalid_response_field_folding",
                    ),
                ),
            }
            return;
        }
        let h = header_line(line.text);
        if h.missing_colon {
            push_event(
                events,
                ev(
                    dir,
                    "http.request_field_missing_colon",
                    "http.response_field_missing_colon",
                ),
            );
        } else if h.invalid {
            push_event(
                events,
                ev(
                    dir,
                    "http.request_header_invalid",
                    "http.response_header_invalid",
                ),
            );
        }
        if let Some(i) = msg
            .headers
            .iter()
            .position(|x| x.name.eq_ignore_ascii_case(h.name))
        {
            push_event(
                events,
                ev(
                    dir,
                    "http.request_header_repetition",
                    "http.response_header_repetition",
                ),
            );
            let Some(existing) = msg.headers.get_mut(i) else {
                return;
            };
            if h.name.eq_ignore_ascii_case(b"content-length") {
                // Not joined (libhtp keeps the first); differing values
                // are how request smuggling starts.
                let same = super::parser::content_length(&existing.value)
                    .zip(super::parser::content_length(h.value))
                    .map_or(existing.value == h.value, |(a, b)| a == b);
                if !same {
                    push_event(
                        events,
                        ev(
                            dir,
                            "http.duplicate_content_length_field_in_request",
                            "http.duplicate_content_length_field_in_response",
                        ),
                    );
                }
                ds.last_header = None;
            } else {
                existing.value.extend_from_slice(b", ");
                existing.value.extend_from_slice(h.value);
                ds.last_header = Some(i);
            }
            return;
        }
        if msg.headers.len() >= MAX_HEADERS {
            push_event(
                events,
                ev(
                    dir,
                    "http.request_too_many_headers",
                    "http.response_too_many_headers",
                ),
            );
            ds.last_header = None;
            return;
        }
        ds.last_header = Some(msg.headers.len());
        msg.headers.push(Header {
            name: h.name.to_vec(),
            value: h.value.to_vec(),
        });
    }

    /// The head of the current message is complete (`at_end`: the flow
    /// ended or the rest was lost, so there is no body to read).
    fn head_done(&mut self, dir: Dir, sink: &mut dyn Sink, at_end: bool) {
        let d = dir.index();
        self.dirs[d].phase = Phase::Start;
        let Some(mut m) = self.dirs[d].pending.take() else {
            return;
        };
        let mut events = std::mem::take(&mut self.dirs[d].pending_events);
        m.derive(&mut events);
        match dir {
            Dir::ToServer => {
                let framing = if at_end {
                    Framing::None
                } else {
                    request_framing(&m, &mut events)
                };
                if !matches!(framing, Framing::None) {
                    m.body = Some(Body::new(
                        REQUEST_BODY_LIMIT,
                        m.header(b"content-encoding").and_then(content_coding),
                    ));
                }
                let id = self.new_request(m, events, sink);
                self.dirs[d].cur = Some(id);
                self.frame(dir, framing, sink);
            }
            Dir::ToClient => {
                if !at_end && matches!(m.status, Some(100..=199)) && m.status != Some(101) {
                    // Interim response (100 Continue): the final one follows.
                    return;
                }
                let req = self.pair_response();
                let (head, connect) = req
                    .and_then(|id| self.index(id))
                    .and_then(|i| self.txs.get(i))
                    .and_then(|t| t.request.as_ref())
                    .map_or((false, false), |r| (r.is_head(), r.is_connect()));
                let framing = if at_end {
                    Framing::None
                } else {
                    response_framing(&m, head, connect, &mut events)
                };
                if matches!(
                    framing,
                    Framing::Length(_) | Framing::Chunked | Framing::UntilClose
                ) {
                    m.body = Some(Body::new(
                        RESPONSE_BODY_LIMIT,
                        m.header(b"content-encoding").and_then(content_coding),
                    ));
                }
                let id = match req {
                    Some(id) => {
                        if let Some(tx) = self.tx_mut(Some(id)) {
                            tx.response = Some(m);
                            tx.resp = Part::Open;
                            for e in events {
                                tx.event(e);
                            }
                        }
                        id
                    }
                    None => {
                        push_event(&mut events, "http.unable_to_match_response_to_request");
                        let id = self.push_tx(sink, &mut events, false);
                        if let Some(tx) = self.tx_mut(Some(id)) {
                            tx.response = Some(m);
                            tx.resp = Part::Open;
                            tx.events = events;
                        }
                        id
                    }
                };
                self.dirs[d].cur = Some(id);
                self.frame(dir, framing, sink);
            }
        }
    }

    /// Sets up the body reader, or finishes the message when there is
    /// no body.
    fn frame(&mut self, dir: Dir, framing: Framing, sink: &mut dyn Sink) {
        let d = dir.index();
        self.dirs[d].phase = match framing {
            Framing::Length(n) => Phase::Length(n),
            Framing::Chunked => Phase::ChunkSize,
            Framing::UntilClose => Phase::UntilClose,
            Framing::None => {
                self.message_done(dir, sink);
                Phase::Start
            }
            Framing::Tunnel => {
                self.message_done(dir, sink);
                // The request side is done too: what follows is not HTTP.
                if self.dirs[0].cur.is_some() {
                    self.message_done(Dir::ToServer, sink);
                }
                for ds in &mut self.dirs {
                    ds.buf.clear();
                    ds.pending = None;
                    ds.phase = Phase::Tunnel;
                }
                Phase::Tunnel
            }
        };
    }

    /// A new transaction at the end of the list; for a request, the
    /// oldest is dropped when the list is full and `events` gets
    /// `http.too_many_transactions`. A response-only transaction lives
    /// only while its response is read, so at most one exceeds the bound.
    fn push_tx(
        &mut self,
        sink: &mut dyn Sink,
        events: &mut Vec<&'static str>,
        request: bool,
    ) -> u64 {
        if request && self.txs.len() >= MAX_TXS {
            if let Some(old) = self.txs.pop_front() {
                if self.awaiting.front() == Some(&old.id) {
                    self.awaiting.pop_front();
                    self.lost_responses += 1;
                }
                self.budget += old.charged();
                sink.tx(
                    &old,
                    TxUpdate {
                        dir: Dir::ToClient,
                        complete: true,
                    },
                );
            }
            push_event(events, "http.too_many_transactions");
        }
        let id = self.next_id;
        self.next_id += 1;
        self.txs.push_back(HttpTx::new(id));
        id
    }

    fn new_request(
        &mut self,
        m: Message,
        mut events: Vec<&'static str>,
        sink: &mut dyn Sink,
    ) -> u64 {
        let id = self.push_tx(sink, &mut events, true);
        if let Some(tx) = self.tx_mut(Some(id)) {
            tx.request = Some(m);
            tx.req = Part::Open;
            tx.events = events;
        }
        self.awaiting.push_back(id);
        id
    }

    /// The request a new final response answers, if any.
    fn pair_response(&mut self) -> Option<u64> {
        if self.lost_responses > 0 {
            self.lost_responses -= 1;
            return None;
        }
        self.awaiting.pop_front()
    }

    /// Hands body bytes to the current transaction's body.
    fn body(&mut self, dir: Dir, data: &[u8]) {
        let cur = self.dirs[dir.index()].cur;
        let Some(i) = cur.and_then(|id| self.index(id)) else {
            return;
        };
        let Some(tx) = self.txs.get_mut(i) else {
            return;
        };
        let (m, events) = tx.message_and_events(dir);
        let Some(body) = m.and_then(|m| m.body.as_mut()) else {
            return;
        };
        let e = body.push(data, &mut self.budget);
        if e.decode_failed {
            push_event(events, "http.gzip_decompression_failed");
        }
        if e.bomb {
            push_event(events, "http.compression_bomb");
        }
        if body.truncated {
            push_event(events, "http.body_truncated");
        }
    }

    /// The current message of `dir` is complete: report it.
    fn message_done(&mut self, dir: Dir, sink: &mut dyn Sink) {
        let d = dir.index();
        self.dirs[d].phase = Phase::Start;
        let Some(i) = self.dirs[d].cur.take().and_then(|id| self.index(id)) else {
            return;
        };
        let Some(tx) = self.txs.get_mut(i) else {
            return;
        };
        *tx.part_mut(dir) = Part::Done;
        let (m, events) = tx.message_and_events(dir);
        if let Some(m) = m {
            if let Some(b) = m.body.as_mut() {
                b.finish(&mut self.budget);
            }
            if std::mem::take(&mut self.dirs[d].trailers) {
                m.derive(events);
            }
        }
        let complete = tx.is_complete();
        sink.tx(tx, TxUpdate { dir, complete });
        if complete {
            if let Some(tx) = self.txs.remove(i) {
                self.budget += tx.charged();
            }
        }
    }

    /// Drops the partial head of `dir`, ends a started body, and looks
    /// for the next start line.
    fn drop_partial(&mut self, dir: Dir, sink: &mut dyn Sink) {
        let ds = &mut self.dirs[dir.index()];
        ds.buf.clear();
        ds.skip_line = false;
        ds.pending = None;
        ds.pending_events.clear();
        if ds.cur.is_some() {
            self.body_gap(dir);
            self.message_done(dir, sink);
        }
        let ds = &mut self.dirs[dir.index()];
        ds.phase = Phase::Start;
        ds.resync = true;
    }

    /// A gap inside a body of known length: skip it, keep nothing more.
    fn body_gap(&mut self, dir: Dir) {
        let cur = self.dirs[dir.index()].cur;
        let Some(i) = cur.and_then(|id| self.index(id)) else {
            return;
        };
        let budget = &mut self.budget;
        if let Some(tx) = self.txs.get_mut(i) {
            let truncated = tx
                .message_mut(dir)
                .and_then(|m| m.body.as_mut())
                .map(|b| b.gap(budget))
                .is_some();
            if truncated {
                tx.event("http.body_truncated");
            }
        }
    }
}

/// Body framing of a request (RFC 9112 §6.3).
fn request_framing(m: &Message, events: &mut Vec<&'static str>) -> Framing {
    if let Some(te) = m.header(b"transfer-encoding") {
        if is_chunked(te) {
            return Framing::Chunked;
        }
        push_event(events, "http.invalid_transfer_encoding_value_in_request");
    }
    match m.header(b"content-length") {
        None => Framing::None,
        Some(v) => match super::parser::content_length(v) {
            Some(0) => Framing::None,
            Some(n) => Framing::Length(n),
            None => {
                push_event(events, "http.invalid_content_length_field_in_request");
                Framing::None
            }
        },
    }
}

/// Body framing of a response, given its request's method.
fn response_framing(
    m: &Message,
    head: bool,
    connect: bool,
    events: &mut Vec<&'static str>,
) -> Framing {
    let status = m.status.unwrap_or(200);
    if status == 101 || (connect && (200..300).contains(&status)) {
        return Framing::Tunnel;
    }
    if head || (100..200).contains(&status) || status == 204 || status == 304 {
        return Framing::None;
    }
    if let Some(te) = m.header(b"transfer-encoding") {
        if is_chunked(te) {
            if m.protocol.eq_ignore_ascii_case(b"HTTP/1.0") {
                push_event(events, "http.response_chunked_old_proto");
            }
            return Framing::Chunked;
        }
        push_event(events, "http.invalid_transfer_encoding_value_in_response");
    }
    match m.header(b"content-length") {
        None => Framing::UntilClose,
        Some(v) => match super::parser::content_length(v) {
            Some(0) => Framing::None,
            Some(n) => Framing::Length(n),
            None => {
                push_event(events, "http.invalid_content_length_field_in_response");
                Framing::UntilClose
            }
        },
    }
}

impl Parser for HttpParser {
    fn parse(&mut self, input: Input<'_>, sink: &mut dyn Sink) -> Result<(), ParseError> {
        let d = input.dir.index();
        if self.dirs[d].phase == Phase::Tunnel {
            return Ok(());
        }
        let mut buf = std::mem::take(&mut self.dirs[d].buf);
        // The reader never leaves more than MAX_LINE bytes unconsumed.
        let r = buf.feed(input.data, MAX_LINE + 2, |data| {
            self.consume(input.dir, data, sink)
        });
        if self.dirs[d].phase != Phase::Tunnel {
            self.dirs[d].buf = buf;
        }
        if r.is_err() {
            sink.event(
                input.dir,
                ev(
                    input.dir,
                    "http.request_field_too_long",
                    "http.response_field_too_long",
                ),
            );
            self.drop_partial(input.dir, sink);
        }
        Ok(())
    }

    fn gap(&mut self, dir: Dir, len: u64, sink: &mut dyn Sink) {
        let d = dir.index();
        let ds = &mut self.dirs[d];
        ds.buf.clear();
        ds.skip_line = false;
        match ds.phase {
            Phase::Tunnel => {}
            Phase::Length(n) | Phase::ChunkData(n) if len < n => {
                ds.phase = match ds.phase {
                    Phase::Length(_) => Phase::Length(n - len),
                    _ => Phase::ChunkData(n - len),
                };
                self.body_gap(dir);
            }
            Phase::UntilClose => self.body_gap(dir),
            Phase::Length(n) if len == n => {
                self.body_gap(dir);
                self.message_done(dir, sink);
            }
            _ => self.drop_partial(dir, sink),
        }
    }

    fn finish(&mut self, sink: &mut dyn Sink) {
        for dir in [Dir::ToServer, Dir::ToClient] {
            let d = dir.index();
            if self.dirs[d].pending.is_some() {
                self.head_done(dir, sink, true);
            } else if self.dirs[d].phase == Phase::UntilClose {
                self.message_done(dir, sink);
            }
            self.dirs[d].phase = Phase::Tunnel;
            self.dirs[d].buf.clear();
        }
        for tx in self.txs.drain(..) {
            sink.tx(
                &tx,
                TxUpdate {
                    dir: Dir::ToClient,
                    complete: true,
                },
            );
        }
        self.awaiting.clear();
        self.budget = FLOW_BODY_BUDGET;
    }
}
