//! RTSP wire format (RFC 2326): message heads and the headers palisade
//! keeps (Authorization / WWW-Authenticate values are HTTP's: see
//! [`crate::auth`]).

use crate::util::{line, trim};
use memchr::memchr;

/// RTSP 1.0 methods (RFC 2326 §10).
pub const METHODS: &[&[u8]] = &[
    b"OPTIONS",
    b"DESCRIBE",
    b"SETUP",
    b"PLAY",
    b"PAUSE",
    b"TEARDOWN",
    b"GET_PARAMETER",
    b"SET_PARAMETER",
    b"ANNOUNCE",
    b"RECORD",
    b"REDIRECT",
];

/// Advances the end-of-head automaton over `data`; returns the offset just
/// past the blank line (`\n\n` or `\n\r\n`) when it is in `data`. `state`
/// carries across calls: 0 in a line, 1 after LF, 2 after LF CR.
pub fn find_head_end(state: &mut u8, data: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < data.len() {
        if *state == 0 {
            // Jump to the next LF: heads are mostly ordinary characters.
            let nl = memchr(b'\n', data.get(i..)?)?;
            i += nl + 1;
            *state = 1;
            continue;
        }
        let b = *data.get(i)?;
        i += 1;
        // Here the state is 1 or 2: an LF ends the head.
        if b == b'\n' {
            *state = 0;
            return Some(i);
        }
        *state = if b == b'\r' && *state == 1 { 2 } else { 0 };
    }
    None
}

/// The first line of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartLine<'a> {
    /// `METHOD uri RTSP/1.0`.
    Request {
        /// Method.
        method: &'a [u8],
        /// Request URI.
        uri: &'a [u8],
    },
    /// `RTSP/1.0 200 OK`.
    Response {
        /// Status code.
        status: u16,
    },
}

/// A message head: start line and header block (borrowed).
#[derive(Debug, Clone, Copy)]
pub struct Head<'a> {
    /// Start line.
    pub start: StartLine<'a>,
    headers: &'a [u8],
}

impl<'a> Head<'a> {
    /// `(name, value)` of each header line, trimmed (folded continuation
    /// lines and lines without a colon are skipped).
    pub fn headers(&self) -> impl Iterator<Item = (&'a [u8], &'a [u8])> + 'a {
        let mut rest = self.headers;
        std::iter::from_fn(move || loop {
            let (l, n) = match line(rest) {
                Some(x) => x,
                None if rest.is_empty() => return None,
                None => (rest, rest.len()),
            };
            rest = rest.get(n..).unwrap_or_default();
            if l.first().is_some_and(|&b| b == b' ' || b == b'\t') {
                continue;
            }
            if let Some(c) = memchr(b':', l) {
                let name = trim(l.get(..c).unwrap_or_default());
                let value = trim(l.get(c + 1..).unwrap_or_default());
                return Some((name, value));
            }
        })
    }
}

/// Whether `v` is an RTSP version token (`RTSP/1.0`, `RTSP/2.0`).
fn is_version(v: &[u8]) -> bool {
    v.strip_prefix(b"RTSP/")
        .is_some_and(|r| !r.is_empty() && r.iter().all(|&b| b.is_ascii_digit() || b == b'.'))
}

/// Parses a head (start line and headers, up to the blank line); None if
/// the start line is not RTSP.
pub fn parse_head(head: &[u8]) -> Option<Head<'_>> {
    let (first, n) = line(head).unwrap_or((head, head.len()));
    let headers = head.get(n..).unwrap_or_default();
    let mut parts = first.split(|&b| b == b' ').filter(|p| !p.is_empty());
    let a = parts.next()?;
    let start = if is_version(a) {
        let code = parts.next()?;
        if code.len() != 3 || !code.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let status = code.iter().fold(0u16, |s, &d| s * 10 + u16::from(d - b'0'));
        StartLine::Response { status }
    } else {
        let uri = parts.next()?;
        let version = parts.next()?;
        if !is_version(version) || parts.next().is_some() {
            return None;
        }
        if !a.iter().all(|&b| b.is_ascii_uppercase() || b == b'_') {
            return None;
        }
        StartLine::Request { method: a, uri }
    };
    Some(Head { start, headers })
}

/// How bytes at a line start relate to the start of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageStart {
    /// They begin a request or response line.
    Yes,
    /// Not one.
    No,
    /// Too few bytes to tell.
    Maybe,
}

/// Whether `b` (bytes at a line start) begins an RTSP request or response
/// line: used to resynchronise after a gap or an unparsable message.
pub fn message_start(b: &[u8]) -> MessageStart {
    let mut maybe = false;
    let candidates = METHODS
        .iter()
        .map(|m| (*m, true))
        .chain([(&b"RTSP/"[..], false)]);
    for (word, space) in candidates {
        let need = word.len() + usize::from(space);
        let n = b.len().min(need);
        let ok = b
            .iter()
            .take(n)
            .enumerate()
            .all(|(i, &c)| word.get(i).map_or(c == b' ', |&w| w == c));
        if !ok {
            continue;
        }
        if n == need {
            return MessageStart::Yes;
        }
        maybe = true;
    }
    if maybe {
        MessageStart::Maybe
    } else {
        MessageStart::No
    }
}
