//! Per-direction message framing and request/response transactions.
//!
//! Each direction is a small state machine over the stream: between
//! messages a `$` starts an interleaved frame (`$`, channel, 16-bit
//! length) whose payload is skipped by counting, straight from the input
//! (RTP over the RTSP connection is nearly all of a camera flow's bytes);
//! anything else starts a message head, held only while incomplete; a
//! Content-Length body is counted through with its first bytes kept.

use super::parser::{find_head_end, message_start, parse_head, Head, MessageStart, StartLine};
use crate::auth::{basic, challenge, digest, split_scheme, unescape, DigestAuth};
use crate::buffers::{by_sticky_name, BufferId};
use crate::parser::{
    AppTx, Credential, Dir, Input, LoginOutcome, ParseError, Parser, Secret, Sink, TxUpdate,
};
use crate::tx::Transaction;
use crate::util::text;
use serde_json::{json, Map, Value};
use std::collections::VecDeque;
use std::sync::OnceLock;

/// Longest message head (start line and headers) accepted.
pub const MAX_HEAD: usize = 16 * 1024;
/// Body bytes kept per message (an SDP description fits).
pub const MAX_BODY: usize = 4096;
/// Bytes kept of a header value.
pub const MAX_VALUE: usize = 512;
/// Requests waiting for their response.
pub const MAX_PENDING: usize = 64;

/// Longest prefix [`message_start`] needs (`GET_PARAMETER `).
const RESYNC_PREFIX: usize = 16;

fn keep(v: &[u8]) -> Vec<u8> {
    v.get(..MAX_VALUE).unwrap_or(v).to_vec()
}

/// Credentials of an Authorization header, owned.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Auth {
    /// `Basic`, `Digest`, ...
    pub scheme: Vec<u8>,
    /// User name (decoded for Basic).
    pub username: Vec<u8>,
    /// Basic password (never logged).
    password: Vec<u8>,
    /// Digest parameters, each cut to [`MAX_VALUE`] (`response` is never
    /// logged).
    digest: DigestAuth,
}

impl Auth {
    fn parse(value: &[u8]) -> Auth {
        let (scheme, rest) = split_scheme(value);
        let mut a = Auth {
            scheme: keep(scheme),
            ..Auth::default()
        };
        if scheme.eq_ignore_ascii_case(b"Basic") {
            // A value without a colon gives no user name or password.
            if let Some((u, Some(p))) = basic(rest) {
                a.username = keep(&u);
                a.password = keep(&p);
            }
        } else if scheme.eq_ignore_ascii_case(b"Digest") {
            a.digest = digest(rest).into();
            a.digest.truncate(MAX_VALUE);
            a.username = a.digest.username.clone();
        }
        a
    }

    fn is(&self, scheme: &[u8]) -> bool {
        self.scheme.eq_ignore_ascii_case(scheme)
    }
}

/// What a transaction keeps of one message.
#[derive(Debug, Default, Clone)]
pub struct Message {
    /// Request method (empty for a response).
    pub method: Vec<u8>,
    /// Request URI.
    pub uri: Vec<u8>,
    /// Response status.
    pub status: Option<u16>,
    /// `CSeq`.
    pub cseq: Option<u64>,
    /// `Server`.
    pub server: Vec<u8>,
    /// `User-Agent`.
    pub user_agent: Vec<u8>,
    /// `Session` id (without `;timeout=`).
    pub session: Vec<u8>,
    /// `Transport`.
    pub transport: Vec<u8>,
    /// `Content-Type`.
    pub content_type: Vec<u8>,
    /// `Content-Length`.
    pub content_length: Option<u64>,
    /// `Authorization`.
    pub auth: Option<Auth>,
    /// `realm` of `WWW-Authenticate`.
    pub realm: Vec<u8>,
    /// First [`MAX_BODY`] bytes of the body (an SDP description).
    pub body: Vec<u8>,
}

fn number(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 19 || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(v).ok()?.parse().ok()
}

impl Message {
    fn from_head(h: &Head<'_>) -> Message {
        let mut m = Message::default();
        match h.start {
            StartLine::Request { method, uri } => {
                m.method = keep(method);
                m.uri = keep(uri);
            }
            StartLine::Response { status } => m.status = Some(status),
        }
        for (name, value) in h.headers() {
            let is = |n: &[u8]| name.eq_ignore_ascii_case(n);
            if is(b"CSeq") {
                m.cseq = number(value);
            } else if is(b"Server") {
                m.server = keep(value);
            } else if is(b"User-Agent") {
                m.user_agent = keep(value);
            } else if is(b"Session") {
                let id = value.split(|&b| b == b';').next().unwrap_or_default();
                m.session = keep(crate::util::trim(id));
            } else if is(b"Transport") {
                m.transport = keep(value);
            } else if is(b"Content-Type") {
                m.content_type = keep(value);
            } else if is(b"Content-Length") {
                m.content_length = number(value);
            } else if is(b"Authorization") {
                m.auth = Some(Auth::parse(value));
            } else if is(b"WWW-Authenticate") && m.realm.is_empty() {
                if let (_, Some(r)) = challenge(value) {
                    m.realm = keep(&unescape(r));
                }
            }
        }
        m
    }
}

/// A request and its response (either may be missing).
#[derive(Debug)]
pub struct RtspTx {
    id: u64,
    /// Direction the request travelled (servers may send requests too).
    req_dir: Dir,
    /// The request.
    pub request: Option<Message>,
    /// The response.
    pub response: Option<Message>,
    events: Vec<&'static str>,
}

fn ids() -> &'static (BufferId, BufferId) {
    static IDS: OnceLock<(BufferId, BufferId)> = OnceLock::new();
    IDS.get_or_init(|| {
        (
            by_sticky_name("rtsp.uri").unwrap_or(BufferId(u16::MAX)),
            by_sticky_name("rtsp.method").unwrap_or(BufferId(u16::MAX)),
        )
    })
}

impl Transaction for RtspTx {
    fn app_proto(&self) -> &'static str {
        "rtsp"
    }
    fn buffer(&self, id: BufferId, f: &mut dyn FnMut(&[u8])) {
        let (uri, method) = *ids();
        let Some(req) = &self.request else {
            return;
        };
        if id == uri {
            f(&req.uri);
        } else if id == method {
            f(&req.method);
        }
    }
    fn events(&self) -> &[&'static str] {
        &self.events
    }
    fn id(&self) -> u64 {
        self.id
    }
}

impl RtspTx {
    /// A field of the response if it has it, else of the request.
    fn either<'a>(&'a self, f: impl Fn(&'a Message) -> &'a [u8]) -> &'a [u8] {
        let r = self.response.as_ref().map(&f).unwrap_or_default();
        if !r.is_empty() {
            return r;
        }
        self.request.as_ref().map(f).unwrap_or_default()
    }

    fn outcome(&self) -> LoginOutcome {
        match self.response.as_ref().and_then(|r| r.status) {
            Some(200..=299) => LoginOutcome::Success,
            Some(401 | 403) => LoginOutcome::Failure,
            _ => LoginOutcome::Unknown,
        }
    }
}

impl AppTx for RtspTx {
    fn log(&self, out: &mut Map<String, Value>) {
        let mut put = |k: &str, v: &[u8]| {
            if !v.is_empty() {
                out.insert(k.into(), json!(text(v)));
            }
        };
        let req = self.request.as_ref();
        let resp = self.response.as_ref();
        put("method", req.map(|r| &r.method[..]).unwrap_or_default());
        put("uri", req.map(|r| &r.uri[..]).unwrap_or_default());
        let auth = req.and_then(|r| r.auth.as_ref());
        put("server", resp.map(|r| &r.server[..]).unwrap_or_default());
        put(
            "user_agent",
            req.map(|r| &r.user_agent[..]).unwrap_or_default(),
        );
        put("session", self.either(|m| &m.session));
        put(
            "auth_scheme",
            auth.map(|a| &a.scheme[..]).unwrap_or_default(),
        );
        put(
            "username",
            auth.map(|a| &a.username[..]).unwrap_or_default(),
        );
        let realm = resp.map(|r| &r.realm[..]).unwrap_or_default();
        put(
            "realm",
            if realm.is_empty() {
                auth.map(|a| &a.digest.realm[..]).unwrap_or_default()
            } else {
                realm
            },
        );
        put("transport", self.either(|m| &m.transport));
        put("content_type", self.either(|m| &m.content_type));
        let cseq = req.and_then(|r| r.cseq).or(resp.and_then(|r| r.cseq));
        if let Some(c) = cseq {
            out.insert("cseq".into(), json!(c));
        }
        if let Some(s) = resp.and_then(|r| r.status) {
            out.insert("status".into(), json!(s));
        }
        let len = resp
            .and_then(|r| r.content_length)
            .or(req.and_then(|r| r.content_length));
        if let Some(l) = len {
            out.insert("content_length".into(), json!(l));
        }
    }

    /// Basic: user name and password; Digest: everything needed to test a
    /// candidate password, with the request method. Outcome from the
    /// response: 2xx success, 401/403 failure.
    fn credential(&self) -> Option<Credential<'_>> {
        let req = self.request.as_ref()?;
        let a = req.auth.as_ref()?;
        let secret = if a.is(b"Basic") {
            Secret::Plain(&a.password)
        } else if a.is(b"Digest") {
            Secret::Digest(a.digest.params(&req.method))
        } else {
            return None;
        };
        Some(Credential {
            service: "rtsp",
            username: &a.username,
            secret,
            outcome: self.outcome(),
        })
    }
}

/// Where a direction's stream is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Mode {
    /// Between messages.
    #[default]
    Start,
    /// Reading an interleaved frame's 4-byte header.
    Frame([u8; 4], u8),
    /// Skipping payload bytes.
    Skip(u64),
    /// Reading a head.
    Head,
    /// Skipping an oversize head to its end.
    SkipHead,
    /// Reading a body of this many more bytes.
    Body(u64),
    /// Looking for a message start after a gap or garbage; true at a line
    /// start.
    Lost(bool),
}

#[derive(Default)]
struct DirState {
    mode: Mode,
    /// Partial head (or, when Lost, a line start that may begin one).
    head: Vec<u8>,
    /// End-of-head automaton state.
    term: u8,
    /// The message whose body is being read.
    msg: Option<(Message, bool)>,
}

/// Parser state of one flow.
#[derive(Default)]
pub struct RtspParser {
    dirs: [DirState; 2],
    pending: VecDeque<RtspTx>,
    next_id: u64,
    /// Interleaved frames skipped, per direction.
    pub frames: [u64; 2],
}

impl RtspParser {
    fn run(&mut self, dir: Dir, data: &[u8], sink: &mut dyn Sink) {
        let d = dir.index();
        let mut rest = data;
        while !rest.is_empty() {
            let st = &mut self.dirs[d];
            match st.mode {
                Mode::Start => {
                    let n = rest
                        .iter()
                        .position(|&b| b != b'\r' && b != b'\n')
                        .unwrap_or(rest.len());
                    rest = rest.get(n..).unwrap_or_default();
                    match rest.first() {
                        None => {}
                        Some(b'$') => st.mode = Mode::Frame([0; 4], 0),
                        Some(_) => {
                            st.mode = Mode::Head;
                            st.term = 0;
                        }
                    }
                }
                Mode::Frame(mut hdr, mut n) => {
                    while let (Some(slot), Some((&b, tail))) =
                        (hdr.get_mut(usize::from(n)), rest.split_first())
                    {
                        *slot = b;
                        n += 1;
                        rest = tail;
                    }
                    st.mode = if n < 4 {
                        Mode::Frame(hdr, n)
                    } else {
                        self.frames[d] += 1;
                        match u16::from_be_bytes([hdr[2], hdr[3]]) {
                            0 => Mode::Start,
                            len => Mode::Skip(u64::from(len)),
                        }
                    };
                }
                Mode::Skip(n) => {
                    let k = n.min(rest.len() as u64);
                    rest = rest.get(k as usize..).unwrap_or_default();
                    st.mode = if k == n {
                        Mode::Start
                    } else {
                        Mode::Skip(n - k)
                    };
                }
                Mode::Head => match find_head_end(&mut st.term, rest) {
                    Some(e) => {
                        let (part, tail) = rest.split_at(e);
                        rest = tail;
                        if st.head.len() + part.len() > MAX_HEAD {
                            st.head.clear();
                            st.mode = Mode::Start;
                            sink.event(dir, "rtsp.header_too_long");
                        } else if st.head.is_empty() {
                            self.head(dir, part, sink);
                        } else {
                            let mut h = std::mem::take(&mut st.head);
                            h.extend_from_slice(part);
                            self.head(dir, &h, sink);
                            h.clear();
                            self.dirs[d].head = h;
                        }
                    }
                    None => {
                        if st.head.len() + rest.len() > MAX_HEAD {
                            st.head.clear();
                            st.mode = Mode::SkipHead;
                            sink.event(dir, "rtsp.header_too_long");
                        } else {
                            st.head.extend_from_slice(rest);
                        }
                        rest = &[];
                    }
                },
                Mode::SkipHead => match find_head_end(&mut st.term, rest) {
                    Some(e) => {
                        rest = rest.get(e..).unwrap_or_default();
                        st.mode = Mode::Start;
                    }
                    None => rest = &[],
                },
                Mode::Body(n) => {
                    let k = n.min(rest.len() as u64);
                    let (part, tail) = rest.split_at(k as usize);
                    rest = tail;
                    if let Some((m, truncated)) = &mut st.msg {
                        let room = MAX_BODY.saturating_sub(m.body.len());
                        m.body.extend_from_slice(part.get(..room).unwrap_or(part));
                        *truncated |= part.len() > room;
                    }
                    if k == n {
                        st.mode = Mode::Start;
                        if let Some((m, truncated)) = st.msg.take() {
                            self.deliver(dir, m, truncated, sink);
                        }
                    } else {
                        st.mode = Mode::Body(n - k);
                    }
                }
                Mode::Lost(false) => match memchr::memchr(b'\n', rest) {
                    Some(i) => {
                        rest = rest.get(i + 1..).unwrap_or_default();
                        st.mode = Mode::Lost(true);
                    }
                    None => rest = &[],
                },
                Mode::Lost(true) => {
                    let room = RESYNC_PREFIX.saturating_sub(st.head.len());
                    let take = rest.get(..room).unwrap_or(rest);
                    let mut cand = [0u8; RESYNC_PREFIX];
                    let held = st.head.len();
                    let n = held + take.len();
                    for (c, b) in cand.iter_mut().zip(st.head.iter().chain(take)) {
                        *c = *b;
                    }
                    match message_start(cand.get(..n).unwrap_or_default()) {
                        // The held prefix starts the head; `rest` goes on.
                        MessageStart::Yes => {
                            st.mode = Mode::Head;
                            st.term = 0;
                        }
                        MessageStart::No => {
                            st.head.clear();
                            st.mode = Mode::Lost(false);
                        }
                        MessageStart::Maybe => {
                            st.head.extend_from_slice(take);
                            rest = rest.get(take.len()..).unwrap_or_default();
                        }
                    }
                }
            }
        }
    }

    /// A complete head: parse it, then read its body or deliver it.
    fn head(&mut self, dir: Dir, head: &[u8], sink: &mut dyn Sink) {
        let st = &mut self.dirs[dir.index()];
        let Some(h) = parse_head(head) else {
            sink.event(dir, "rtsp.invalid_message");
            st.mode = Mode::Lost(true);
            return;
        };
        let m = Message::from_head(&h);
        match m.content_length {
            Some(n) if n > 0 => {
                st.msg = Some((m, false));
                st.mode = Mode::Body(n);
            }
            _ => {
                st.mode = Mode::Start;
                self.deliver(dir, m, false, sink);
            }
        }
    }

    fn deliver(&mut self, dir: Dir, m: Message, truncated: bool, sink: &mut dyn Sink) {
        let events = if truncated {
            vec!["rtsp.body_truncated"]
        } else {
            Vec::new()
        };
        if m.status.is_none() {
            if self.pending.len() >= MAX_PENDING {
                sink.event(dir, "rtsp.too_many_transactions");
                if let Some(old) = self.pending.pop_front() {
                    complete(&old, sink);
                }
            }
            let tx = RtspTx {
                id: self.next_id,
                req_dir: dir,
                request: Some(m),
                response: None,
                events,
            };
            self.next_id += 1;
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
        // A response answers a request from the other side: the one with
        // its CSeq, else the oldest.
        let from = dir.reverse();
        let by_cseq = m.cseq.and_then(|c| {
            self.pending.iter().position(|t| {
                t.req_dir == from && t.request.as_ref().and_then(|r| r.cseq) == Some(c)
            })
        });
        let at = by_cseq.or_else(|| self.pending.iter().position(|t| t.req_dir == from));
        let mut tx = match at.and_then(|i| self.pending.remove(i)) {
            Some(tx) => tx,
            None => {
                let tx = RtspTx {
                    id: self.next_id,
                    req_dir: from,
                    request: None,
                    response: None,
                    events: Vec::new(),
                };
                self.next_id += 1;
                tx
            }
        };
        tx.events.extend(events);
        tx.response = Some(m);
        complete(&tx, sink);
    }
}

fn complete(tx: &RtspTx, sink: &mut dyn Sink) {
    sink.tx(
        tx,
        TxUpdate {
            dir: tx.req_dir.reverse(),
            complete: true,
        },
    );
}

impl Parser for RtspParser {
    fn parse(&mut self, input: Input<'_>, sink: &mut dyn Sink) -> Result<(), ParseError> {
        self.run(input.dir, input.data, sink);
        Ok(())
    }

    /// Inside a frame or body the lost bytes are counted off and parsing
    /// goes on in step; elsewhere the direction looks for the next line
    /// that starts a message.
    fn gap(&mut self, dir: Dir, len: u64, _sink: &mut dyn Sink) {
        let st = &mut self.dirs[dir.index()];
        st.mode = match st.mode {
            Mode::Skip(n) if len < n => Mode::Skip(n - len),
            Mode::Skip(n) if len == n => Mode::Start,
            Mode::Body(n) if len < n => Mode::Body(n - len),
            _ => Mode::Lost(false),
        };
        if matches!(st.mode, Mode::Lost(_)) {
            st.msg = None;
        }
        st.head.clear();
    }

    fn finish(&mut self, sink: &mut dyn Sink) {
        while let Some(tx) = self.pending.pop_front() {
            complete(&tx, sink);
        }
    }
}
