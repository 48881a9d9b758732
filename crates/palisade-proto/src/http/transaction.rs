//! The HTTP transaction (one request and its response) and what it shows
//! rules: sticky buffers, events, the login attempt.

use super::body::Body;
use super::parser::{content_length, RequestLine, StatusLine};
use super::uri;
use crate::auth::{parse_authorization, parse_challenge, Auth};
use crate::buffers::{by_sticky_name, BufferId};
use crate::parser::{AppTx, Credential, Dir, LoginOutcome, Secret};
use crate::tx::Transaction;
use serde_json::{Map, Value};
use std::sync::OnceLock;

/// One header, duplicates joined with `", "` and folded lines joined
/// with a space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Name as sent.
    pub name: Vec<u8>,
    /// Value without surrounding whitespace.
    pub value: Vec<u8>,
}

/// One side of a transaction: a request or a response.
#[derive(Debug)]
pub struct Message {
    /// The start line (cut at [`super::MAX_LINE`]).
    pub line: Vec<u8>,
    /// Request method (requests).
    pub method: Vec<u8>,
    /// Request target as sent (requests).
    pub uri_raw: Vec<u8>,
    /// Normalised request URI (requests; see the module docs).
    pub uri: Vec<u8>,
    /// `HTTP/1.1`; empty for HTTP/0.9 requests.
    pub protocol: Vec<u8>,
    /// Status code as sent (responses).
    pub code: Vec<u8>,
    /// Status code as a number when it is three digits (responses).
    pub status: Option<u16>,
    /// Reason phrase (responses).
    pub reason: Vec<u8>,
    /// Headers (and trailers) in first-seen order.
    pub headers: Vec<Header>,
    /// The header lines as sent, terminators and the final empty line
    /// included (up to [`super::MAX_HEAD`]).
    pub raw_headers: Vec<u8>,
    /// The body, once the head is complete and says there is one.
    pub body: Option<Body>,
    /// Normalised host (lowercase, no port), from an absolute URI or the
    /// Host header (requests).
    pub host: Option<Vec<u8>>,
    /// Host header as sent, else the URI's authority (requests).
    pub host_raw: Option<Vec<u8>>,
    /// Port given with the host (requests).
    pub port: Option<u16>,
    /// Authorization (or Proxy-Authorization) credentials, and whether
    /// they came from Proxy-Authorization (requests).
    pub auth: Option<(Auth, bool)>,
    /// WWW-Authenticate (or Proxy-Authenticate) scheme and realm
    /// (responses).
    pub challenge: Option<(Vec<u8>, Option<Vec<u8>>)>,
    /// `http.header`: `Name: value\r\n` per header, Cookie (requests) or
    /// Set-Cookie (responses) left out, as Suricata builds it.
    pub header_block: Vec<u8>,
    /// `http.header_names`: `\r\n` then each name followed by `\r\n`, then
    /// `\r\n`.
    pub header_names: Vec<u8>,
    /// `http.start`: start line, `\r\n`, normalised headers, `\r\n`.
    pub start: Vec<u8>,
    /// A request (else a response).
    pub is_request: bool,
}

impl Message {
    fn empty(line: &[u8], is_request: bool) -> Message {
        Message {
            line: line.to_vec(),
            method: Vec::new(),
            uri_raw: Vec::new(),
            uri: Vec::new(),
            protocol: Vec::new(),
            code: Vec::new(),
            status: None,
            reason: Vec::new(),
            headers: Vec::new(),
            raw_headers: Vec::new(),
            body: None,
            host: None,
            host_raw: None,
            port: None,
            auth: None,
            challenge: None,
            header_block: Vec::new(),
            header_names: Vec::new(),
            start: Vec::new(),
            is_request,
        }
    }

    /// A request from its parsed line (`line` is the whole start line).
    pub fn request(line: &[u8], r: &RequestLine<'_>) -> Message {
        let mut m = Message::empty(line, true);
        m.method = r.method.to_vec();
        m.uri_raw = r.uri.to_vec();
        m.protocol = r.protocol.to_vec();
        let t = uri::split_target(r.uri, m.is_connect());
        m.uri = uri::normalize(&t);
        m
    }

    /// A response from its parsed status line.
    pub fn response(line: &[u8], s: &StatusLine<'_>) -> Message {
        let mut m = Message::empty(line, false);
        m.protocol = s.protocol.to_vec();
        m.code = s.code.to_vec();
        m.status = s.status;
        m.reason = s.reason.to_vec();
        m
    }

    /// The value of header `name` (case-insensitive).
    pub fn header(&self, name: &[u8]) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| &h.value[..])
    }

    /// The request method is CONNECT.
    pub fn is_connect(&self) -> bool {
        self.method.eq_ignore_ascii_case(b"CONNECT")
    }

    /// The request method is HEAD.
    pub fn is_head(&self) -> bool {
        self.method.eq_ignore_ascii_case(b"HEAD")
    }

    /// The kept body bytes, if any.
    pub fn body_data(&self) -> Option<&[u8]> {
        self.body.as_ref().map(Body::data).filter(|d| !d.is_empty())
    }

    /// Computes what is derived from the head (the buffers built from
    /// several headers, host, credentials); again after trailers. Events
    /// go to `events`.
    pub fn derive(&mut self, events: &mut Vec<&'static str>) {
        let cookie: &[u8] = if self.is_request {
            b"cookie"
        } else {
            b"set-cookie"
        };
        let mut block = Vec::new();
        let mut names = b"\r\n".to_vec();
        let mut start = self.line.clone();
        start.extend_from_slice(b"\r\n");
        for h in &self.headers {
            let mut line = h.name.clone();
            line.extend_from_slice(b": ");
            line.extend_from_slice(&h.value);
            line.extend_from_slice(b"\r\n");
            if !h.name.eq_ignore_ascii_case(cookie) {
                block.extend_from_slice(&line);
            }
            start.extend_from_slice(&line);
            names.extend_from_slice(&h.name);
            names.extend_from_slice(b"\r\n");
        }
        names.extend_from_slice(b"\r\n");
        start.extend_from_slice(b"\r\n");
        self.header_block = block;
        self.header_names = names;
        self.start = start;
        if self.is_request {
            self.derive_request(events);
        } else {
            self.challenge = self
                .header(b"www-authenticate")
                .or_else(|| self.header(b"proxy-authenticate"))
                .map(parse_challenge);
        }
    }

    fn derive_request(&mut self, events: &mut Vec<&'static str>) {
        let target = uri::split_target(&self.uri_raw, self.is_connect());
        let host_hdr = self.header(b"host").map(<[u8]>::to_vec);
        let (mut host, mut port) = (None, None);
        if let Some(a) = target.authority {
            let (h, p) = uri::host_port(a);
            if !h.is_empty() {
                host = Some(uri::normalize_host(h));
            }
            match p {
                Some(Ok(p)) => port = Some(p),
                Some(Err(())) => push_event(events, "http.request_uri_host_invalid"),
                None => {}
            }
        }
        if let Some(hv) = &host_hdr {
            let (h, p) = uri::host_port(hv);
            let norm = uri::normalize_host(h);
            match &host {
                Some(uh) if *uh != norm => push_event(events, "http.host_header_ambiguous"),
                Some(_) => {}
                None => {
                    if !norm.is_empty() {
                        host = Some(norm);
                    }
                    match p {
                        Some(Ok(p)) => port = Some(p),
                        Some(Err(())) => push_event(events, "http.request_header_host_invalid"),
                        None => {}
                    }
                }
            }
        } else if self.protocol.eq_ignore_ascii_case(b"HTTP/1.1") {
            push_event(events, "http.missing_host_header");
        }
        self.host_raw = host_hdr.or_else(|| target.authority.map(<[u8]>::to_vec));
        self.host = host;
        self.port = port;
        let (value, proxy) = match self.header(b"authorization") {
            Some(v) => (Some(v), false),
            None => (self.header(b"proxy-authorization"), true),
        };
        self.auth = value.map(|v| (parse_authorization(v), proxy));
        if let Some((Auth::Other(_) | Auth::BasicInvalid, _)) = &self.auth {
            push_event(events, "http.request_auth_unrecognized");
        }
    }

    /// The declared Content-Length, if valid.
    pub fn content_length(&self) -> Option<u64> {
        self.header(b"content-length").and_then(content_length)
    }
}

/// Pushes an event once (transaction events are a set).
pub fn push_event(events: &mut Vec<&'static str>, e: &'static str) {
    if !events.contains(&e) {
        events.push(e);
    }
}

/// Progress of one side of a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Not seen (yet, for a response; never, for the request of a
    /// response-only transaction).
    Absent,
    /// Being received.
    Open,
    /// Complete.
    Done,
}

/// One HTTP transaction: a request and its response (either may be
/// missing).
#[derive(Debug)]
pub struct HttpTx {
    pub(super) id: u64,
    /// The request.
    pub request: Option<Message>,
    /// The response.
    pub response: Option<Message>,
    pub(super) req: Part,
    pub(super) resp: Part,
    pub(super) events: Vec<&'static str>,
}

impl HttpTx {
    pub(super) fn new(id: u64) -> HttpTx {
        HttpTx {
            id,
            request: None,
            response: None,
            req: Part::Absent,
            resp: Part::Absent,
            events: Vec::new(),
        }
    }

    /// The message of direction `dir`.
    pub fn message(&self, dir: Dir) -> Option<&Message> {
        match dir {
            Dir::ToServer => self.request.as_ref(),
            Dir::ToClient => self.response.as_ref(),
        }
    }

    pub(super) fn message_mut(&mut self, dir: Dir) -> Option<&mut Message> {
        self.message_and_events(dir).0
    }

    /// The message of `dir` and the transaction's events, borrowed apart
    /// so that working on the one can raise the other.
    pub(super) fn message_and_events(
        &mut self,
        dir: Dir,
    ) -> (Option<&mut Message>, &mut Vec<&'static str>) {
        let m = match dir {
            Dir::ToServer => self.request.as_mut(),
            Dir::ToClient => self.response.as_mut(),
        };
        (m, &mut self.events)
    }

    pub(super) fn part_mut(&mut self, dir: Dir) -> &mut Part {
        match dir {
            Dir::ToServer => &mut self.req,
            Dir::ToClient => &mut self.resp,
        }
    }

    /// Both sides are as complete as they will be.
    pub(super) fn is_complete(&self) -> bool {
        self.resp == Part::Done && self.req != Part::Open
    }

    /// Flow budget held by the bodies.
    pub(super) fn charged(&self) -> usize {
        [&self.request, &self.response]
            .into_iter()
            .flatten()
            .filter_map(|m| m.body.as_ref())
            .map(Body::charged)
            .sum()
    }

    pub(super) fn event(&mut self, e: &'static str) {
        push_event(&mut self.events, e);
    }
}

/// Ids of the buffers this protocol fills.
struct Ids {
    uri: BufferId,
    uri_raw: BufferId,
    method: BufferId,
    protocol: BufferId,
    request_line: BufferId,
    host: BufferId,
    host_raw: BufferId,
    user_agent: BufferId,
    header: BufferId,
    header_raw: BufferId,
    header_names: BufferId,
    cookie: BufferId,
    request_body: BufferId,
    stat_code: BufferId,
    stat_msg: BufferId,
    response_line: BufferId,
    response_body: BufferId,
    server: BufferId,
    location: BufferId,
    content_type: BufferId,
    content_len: BufferId,
    accept: BufferId,
    accept_enc: BufferId,
    accept_lang: BufferId,
    referer: BufferId,
    connection: BufferId,
    start: BufferId,
    authorization: BufferId,
    file_data: BufferId,
}

fn ids() -> &'static Ids {
    static IDS: OnceLock<Ids> = OnceLock::new();
    IDS.get_or_init(|| {
        let id = |n: &str| by_sticky_name(n).unwrap_or(BufferId(u16::MAX));
        Ids {
            uri: id("http.uri"),
            uri_raw: id("http.uri.raw"),
            method: id("http.method"),
            protocol: id("http.protocol"),
            request_line: id("http.request_line"),
            host: id("http.host"),
            host_raw: id("http.host.raw"),
            user_agent: id("http.user_agent"),
            header: id("http.header"),
            header_raw: id("http.header.raw"),
            header_names: id("http.header_names"),
            cookie: id("http.cookie"),
            request_body: id("http.request_body"),
            stat_code: id("http.stat_code"),
            stat_msg: id("http.stat_msg"),
            response_line: id("http.response_line"),
            response_body: id("http.response_body"),
            server: id("http.server"),
            location: id("http.location"),
            content_type: id("http.content_type"),
            content_len: id("http.content_len"),
            accept: id("http.accept"),
            accept_enc: id("http.accept_enc"),
            accept_lang: id("http.accept_lang"),
            referer: id("http.referer"),
            connection: id("http.connection"),
            start: id("http.start"),
            authorization: id("http.header.authorization"),
            file_data: id("file.data"),
        }
    })
}

impl Transaction for HttpTx {
    fn app_proto(&self) -> &'static str {
        "http"
    }

    fn buffer(&self, id: BufferId, f: &mut dyn FnMut(&[u8])) {
        let i = ids();
        let req = self.request.as_ref();
        let resp = self.response.as_ref();
        let both = [req, resp];
        // Request-only headers.
        let req_header = |name: &[u8], f: &mut dyn FnMut(&[u8])| {
            if let Some(v) = req.and_then(|m| m.header(name)) {
                f(v);
            }
        };
        let both_header = |name: &[u8], f: &mut dyn FnMut(&[u8])| {
            for m in both.into_iter().flatten() {
                if let Some(v) = m.header(name) {
                    f(v);
                }
            }
        };
        if id == i.uri {
            req.into_iter().for_each(|m| f(&m.uri));
        } else if id == i.uri_raw {
            req.into_iter().for_each(|m| f(&m.uri_raw));
        } else if id == i.method {
            req.into_iter().for_each(|m| f(&m.method));
        } else if id == i.protocol {
            for m in both.into_iter().flatten() {
                if !m.protocol.is_empty() {
                    f(&m.protocol);
                }
            }
        } else if id == i.request_line {
            req.into_iter().for_each(|m| f(&m.line));
        } else if id == i.host {
            if let Some(h) = req.and_then(|m| m.host.as_deref()) {
                f(h);
            }
        } else if id == i.host_raw {
            if let Some(h) = req.and_then(|m| m.host_raw.as_deref()) {
                f(h);
            }
        } else if id == i.user_agent {
            req_header(b"user-agent", f);
        } else if id == i.header {
            for m in both.into_iter().flatten() {
                if !m.header_block.is_empty() {
                    f(&m.header_block);
                }
            }
        } else if id == i.header_raw {
            for m in both.into_iter().flatten() {
                if !m.raw_headers.is_empty() {
                    f(&m.raw_headers);
                }
            }
        } else if id == i.header_names {
            for m in both.into_iter().flatten() {
                if !m.headers.is_empty() {
                    f(&m.header_names);
                }
            }
        } else if id == i.cookie {
            req_header(b"cookie", f);
            if let Some(v) = resp.and_then(|m| m.header(b"set-cookie")) {
                f(v);
            }
        } else if id == i.request_body {
            if let Some(b) = req.and_then(Message::body_data) {
                f(b);
            }
        } else if id == i.stat_code {
            resp.into_iter().for_each(|m| f(&m.code));
        } else if id == i.stat_msg {
            resp.into_iter().for_each(|m| f(&m.reason));
        } else if id == i.response_line {
            resp.into_iter().for_each(|m| f(&m.line));
        } else if id == i.response_body {
            if let Some(b) = resp.and_then(Message::body_data) {
                f(b);
            }
        } else if id == i.server {
            if let Some(v) = resp.and_then(|m| m.header(b"server")) {
                f(v);
            }
        } else if id == i.location {
            if let Some(v) = resp.and_then(|m| m.header(b"location")) {
                f(v);
            }
        } else if id == i.content_type {
            both_header(b"content-type", f);
        } else if id == i.content_len {
            both_header(b"content-length", f);
        } else if id == i.accept {
            req_header(b"accept", f);
        } else if id == i.accept_enc {
            req_header(b"accept-encoding", f);
        } else if id == i.accept_lang {
            req_header(b"accept-language", f);
        } else if id == i.referer {
            req_header(b"referer", f);
        } else if id == i.connection {
            both_header(b"connection", f);
        } else if id == i.start {
            both.into_iter().flatten().for_each(|m| f(&m.start));
        } else if id == i.authorization {
            req_header(b"authorization", f);
            req_header(b"proxy-authorization", f);
        } else if id == i.file_data {
            if let Some(b) = resp.and_then(Message::body_data) {
                f(b);
            }
            let upload = req.filter(|m| {
                m.method.eq_ignore_ascii_case(b"POST") || m.method.eq_ignore_ascii_case(b"PUT")
            });
            if let Some(b) = upload.and_then(Message::body_data) {
                f(b);
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

impl AppTx for HttpTx {
    fn log(&self, out: &mut Map<String, Value>) {
        super::log::eve(self, out);
    }

    /// Basic (user name and password) or Digest (what a password guess is
    /// tested against) from Authorization, else Proxy-Authorization. The
    /// outcome is the response's: 2xx/3xx success, 401/403/407 failure.
    fn credential(&self) -> Option<Credential<'_>> {
        let req = self.request.as_ref()?;
        let (auth, _) = req.auth.as_ref()?;
        let outcome = match self.response.as_ref().and_then(|r| r.status) {
            Some(200..=399) => LoginOutcome::Success,
            Some(401 | 403 | 407) => LoginOutcome::Failure,
            _ => LoginOutcome::Unknown,
        };
        let (username, secret): (&[u8], Secret<'_>) = match auth {
            Auth::Basic { user, password } => (
                user,
                password.as_deref().map_or(Secret::None, Secret::Plain),
            ),
            Auth::Digest(d) => (&d.username, Secret::Digest(d.params(&req.method))),
            _ => return None,
        };
        Some(Credential {
            service: "http",
            username,
            secret,
            outcome,
        })
    }
}
