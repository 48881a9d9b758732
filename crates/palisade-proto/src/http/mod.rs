//! HTTP/1.0 and HTTP/1.1 (RFC 9110/9112), over TCP.
//!
//! IoT devices are managed over HTTP more than anything else: web UIs,
//! CGI endpoints, TR-069 (port 7547), UPnP control, firmware downloads.
//! Most exploitation of such devices (command injection in a CGI
//! parameter, path traversal, default-credential logins) happens in HTTP
//! requests, so rules need the same buffers Suricata gives them, and the
//! credential detectors need the Authorization headers.
//!
//! # What is parsed
//! Each direction is read as a sequence of messages: a start line, header
//! lines (obsolete folding joined, repeated headers joined with `", "` as
//! libhtp does), then a body framed by `Transfer-Encoding: chunked` (with
//! trailers), `Content-Length`, or (responses only) the end of the
//! connection. HEAD requests and 1xx/204/304 responses have no body;
//! interim 1xx responses (100 Continue) are skipped; a 101 or a 2xx answer
//! to CONNECT turns the connection into a tunnel, which is not parsed.
//!
//! Requests and responses are paired in order (HTTP/1.1 pipelining): one
//! transaction per request, tx ids in request order. A response that has
//! no request (one-sided capture, midstream pickup) gets a transaction of
//! its own. A request is reported (update) once its headers and body are
//! in, the transaction completes when its response is in; requests never
//! answered complete at `finish()`.
//!
//! Bodies are consumed as they arrive and never buffered whole: a bounded
//! prefix of each body ([`REQUEST_BODY_LIMIT`], [`RESPONSE_BODY_LIMIT`],
//! and at most [`FLOW_BODY_BUDGET`] for all transactions of a flow) is
//! kept, dechunked, and decoded when `Content-Encoding` is gzip or deflate
//! (incrementally, with flate2, at most [`DECOMPRESS_LIMIT`] bytes out). A
//! body that fails to decode raises `http.gzip_decompression_failed` and
//! its raw bytes are kept instead.
//!
//! # Tolerance
//! An IDS must accept what servers accept: bare LF line ends, runs of
//! spaces or tabs between request-line parts, spaces inside URIs, odd
//! method tokens, header lines without a colon, leading empty lines. Each
//! oddity raises the libhtp-named event and parsing goes on.
//!
//! # Bounds (all per flow)
//! Lines longer than [`MAX_LINE`] are cut (the prefix is kept, the rest
//! skipped), a message head keeps at most [`MAX_HEAD`] bytes and
//! [`MAX_HEADERS`] headers, at most [`MAX_TXS`] transactions are in flight
//! (the oldest is reported and dropped to make room). Each bound raises an
//! event: `http.request_field_too_long` / `http.response_field_too_long`,
//! `http.request_too_many_headers` / `http.response_too_many_headers`,
//! `http.too_many_transactions`, `http.body_truncated` (palisade's own:
//! the body is longer than what is kept), `http.compression_bomb`.
//!
//! # Events
//! Named after libhtp/Suricata's where they exist (`app-layer-event:
//! http.<name>`), on the transaction unless noted:
//! `request_line_invalid` / `response_invalid_protocol` (flow events: a
//! line that starts no message; the direction resynchronises),
//! `request_line_leading_whitespace`, `uri_delim_non_compliant`,
//! `response_invalid_status`, `request_header_invalid` /
//! `response_header_invalid`, `request_field_missing_colon` /
//! `response_field_missing_colon`, `invalid_request_field_folding` /
//! `invalid_response_field_folding`, `request_header_repetition` /
//! `response_header_repetition`,
//! `duplicate_content_length_field_in_request` / `_in_response`,
//! `invalid_content_length_field_in_request` / `_in_response`,
//! `invalid_transfer_encoding_value_in_request` / `_in_response`,
//! `invalid_request_chunk_len` / `invalid_response_chunk_len`,
//! `response_chunked_old_proto`, `missing_host_header`,
//! `host_header_ambiguous`, `request_header_host_invalid`,
//! `request_uri_host_invalid`, `request_auth_unrecognized`,
//! `unable_to_match_response_to_request` (a response with no request),
//! `gzip_decompression_failed` (gzip or deflate), `compression_bomb`,
//! `request_field_too_long` / `response_field_too_long`,
//! `request_too_many_headers` / `response_too_many_headers`,
//! `too_many_transactions`, and palisade's `body_truncated`.
//!
//! # Gaps
//! A gap inside a body of known length only shortens what is kept; any
//! other gap drops the direction's partial message and the direction
//! resynchronises on the next line that is a request line with an
//! `HTTP/` version (to server) or a status line (to client).
//!
//! # URI normalisation (`http.uri`)
//! As libhtp's default IDS personality does for the path, minus its
//! lowercasing and Unicode best-fit mapping: percent escapes (`%` + 2 hex digits) decoded (including
//! `%2F`; invalid escapes kept as is), `%u` + 4 hex digits decoded when below 0x100
//! (else `?`), `\` turned into `/`, runs of `/` compressed, `.` and `..`
//! segments removed (RFC 3986 §5.2.4). The query and fragment are kept
//! raw. An absolute URI (`http://host/path`) is reduced to its path and
//! query, as Suricata does with `uri-include-all: no`.
//!
//! # EVE
//! The `http` object is Suricata's (basic + extended fields): `hostname`,
//! `http_port`, `url` (raw URI), `http_user_agent`, `xff`,
//! `http_content_type`, `content_range`, `http_refer`, `http_method`,
//! `protocol`, `status` (or `status_string`), `redirect`, `length`; plus
//! `request_headers` / `response_headers` arrays when [`LOG_HEADERS`] is
//! on (Authorization values are logged as their scheme only). palisade
//! adds `http_auth` (scheme, user name, whether and how long a password
//! was sent: never the password or the Digest response) and
//! `www_authenticate` (scheme and realm of the server's challenge).

mod body;
mod log;
mod parser;
mod state;
mod transaction;
mod uri;

pub use crate::auth::{Auth, DigestAuth};
pub use body::Body;
pub use state::HttpParser;
pub use transaction::{Header, HttpTx, Message};

use crate::registry::{Probe, ProbeInput, ProtoSpec, Transport};
use std::sync::atomic::AtomicBool;

/// Log every request and response header in EVE (`request_headers` /
/// `response_headers`, as Suricata's `dump-all-headers: both`). Off by
/// default; the pipeline sets it from the configuration.
pub static LOG_HEADERS: AtomicBool = AtomicBool::new(false);

/// Longest line kept (start line, header line, chunk size line). Longer
/// lines are cut here and the rest of the line is skipped.
pub const MAX_LINE: usize = 16 * 1024;
/// Bytes of one message head (start line and headers) kept.
pub const MAX_HEAD: usize = 32 * 1024;
/// Headers kept per message head.
pub const MAX_HEADERS: usize = 256;
/// Transactions in flight per flow (pipelined requests waiting for
/// their responses).
pub const MAX_TXS: usize = 256;
/// Bytes of a request body kept (dechunked and decoded) for
/// `http.request_body` and `file.data`.
pub const REQUEST_BODY_LIMIT: usize = 64 * 1024;
/// Bytes of a response body kept for `http.response_body` and `file.data`.
pub const RESPONSE_BODY_LIMIT: usize = 64 * 1024;
/// Body bytes kept by all the transactions a flow holds together (raw and
/// decoded copies both count).
pub const FLOW_BODY_BUDGET: usize = 1024 * 1024;
/// Bytes a gzip/deflate body is decoded to at most.
pub const DECOMPRESS_LIMIT: u64 = 256 * 1024;

/// Registry entry.
pub static SPEC: ProtoSpec = ProtoSpec {
    name: "http",
    transport: Transport::Tcp,
    ports: &[80, 8080, 8000, 8008, 8081, 8888, 81, 88, 7547],
    probe,
    new_parser: || Box::new(HttpParser::default()),
};

/// Methods that only HTTP uses (RTSP shares OPTIONS, SIP and SSDP share
/// NOTIFY and friends, so those need the `HTTP/` version to match early).
const HTTP_ONLY_METHODS: &[&[u8]] = &[
    b"GET",
    b"POST",
    b"HEAD",
    b"PUT",
    b"DELETE",
    b"PATCH",
    b"CONNECT",
    b"TRACE",
    b"PROPFIND",
    b"PROPPATCH",
    b"MKCOL",
    b"COPY",
    b"MOVE",
    b"LOCK",
    b"UNLOCK",
];

/// A request line whose version is still not in sight after this many
/// bytes is taken as HTTP when its method is HTTP-only (long URIs are
/// what attacks send).
const PROBE_LONG_LINE: usize = 1024;
/// Longest method token the probe accepts.
const PROBE_MAX_METHOD: usize = 32;

/// Request: `METHOD SP ... HTTP/` on the first line (method any token);
/// response: `HTTP/1.`. NeedMore while a prefix could still become one.
/// Leading empty lines are skipped. RTSP (`RTSP/1.0`) and SIP lines do not
/// match; SSDP is UDP and never offered to this probe.
fn probe(p: &ProbeInput<'_>) -> Probe {
    let data = skip_empty_lines(p.data);
    if data.is_empty() {
        return Probe::NeedMore;
    }
    const RESP: &[u8] = b"HTTP/1.";
    let n = data.len().min(RESP.len());
    if data.get(..n) == RESP.get(..n) {
        return if n == RESP.len() {
            Probe::Match
        } else {
            Probe::NeedMore
        };
    }
    probe_request(data)
}

fn skip_empty_lines(mut d: &[u8]) -> &[u8] {
    while let Some((&b, rest)) = d.split_first() {
        if b != b'\r' && b != b'\n' {
            break;
        }
        d = rest;
    }
    d
}

fn probe_request(data: &[u8]) -> Probe {
    let Some(sp) = data.iter().position(|&b| b == b' ') else {
        let token = data.iter().all(|&b| parser::is_tchar(b));
        return if token && data.len() <= PROBE_MAX_METHOD {
            Probe::NeedMore
        } else {
            Probe::NoMatch
        };
    };
    let (method, rest) = data.split_at(sp);
    if method.is_empty()
        || method.len() > PROBE_MAX_METHOD
        || !method.iter().all(|&b| parser::is_tchar(b))
    {
        return Probe::NoMatch;
    }
    let nl = memchr::memchr(b'\n', rest);
    let line = nl.map_or(rest, |p| rest.get(..p).unwrap_or_default());
    // Binary data is not a request line.
    if line
        .iter()
        .any(|&b| b < 0x20 && b != b'\t' && b != b'\r' || b == 0x7f)
    {
        return Probe::NoMatch;
    }
    if nl.is_some() {
        let proto = crate::util::trim(line)
            .rsplit(|&b| b == b' ' || b == b'\t')
            .next()
            .unwrap_or_default();
        return if parser::is_http_version(proto) {
            Probe::Match
        } else {
            Probe::NoMatch
        };
    }
    if memchr::memmem::find(line, b" RTSP/").is_some()
        || memchr::memmem::find(line, b" SIP/").is_some()
    {
        return Probe::NoMatch;
    }
    if line.len() >= PROBE_LONG_LINE && HTTP_ONLY_METHODS.contains(&method) {
        return Probe::Match;
    }
    Probe::NeedMore
}

#[cfg(test)]
mod tests;
