//! SSDP datagrams: an HTTP/1.1-like start line and header lines
//! (UPnP Device Architecture 2.0 §1), borrowed from the datagram.

use crate::util::{line, trim};

/// The first line.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum StartLine<'a> {
    /// `NOTIFY * HTTP/1.1`, `M-SEARCH * HTTP/1.1` (any method token).
    Request {
        /// Method.
        method: &'a [u8],
        /// Request target (`*`).
        uri: &'a [u8],
        /// `HTTP/1.1`.
        version: &'a [u8],
    },
    /// `HTTP/1.1 200 OK`.
    Response {
        /// `HTTP/1.1`.
        version: &'a [u8],
        /// Status code.
        status: u16,
    },
}

fn is_token(s: &[u8]) -> bool {
    !s.is_empty()
        && s.iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn is_http_version(s: &[u8]) -> bool {
    matches!(s, [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
        if major.is_ascii_digit() && minor.is_ascii_digit())
}

/// Reads a start line (without its line end).
pub fn start_line(l: &[u8]) -> Option<StartLine<'_>> {
    let mut parts = l.splitn(3, |&b| b == b' ');
    let a = parts.next()?;
    let b = parts.next()?;
    let c = parts.next().unwrap_or_default();
    if is_http_version(a) {
        let status = std::str::from_utf8(b).ok()?;
        if status.len() != 3 || !status.bytes().all(|d| d.is_ascii_digit()) {
            return None;
        }
        return Some(StartLine::Response {
            version: a,
            status: status.parse().ok()?,
        });
    }
    if is_token(a) && !b.is_empty() && is_http_version(trim(c)) {
        return Some(StartLine::Request {
            method: a,
            uri: b,
            version: trim(c),
        });
    }
    None
}

/// One header line, or a line that is not one.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum HeaderLine<'a> {
    /// `Name: value` (value trimmed).
    Header(&'a [u8], &'a [u8]),
    /// A line without a colon, or with an empty name.
    Invalid,
}

/// Header lines after the start line, up to an empty line or the end of
/// the datagram (a last line without CR LF counts: some stacks send none).
pub struct HeaderLines<'a> {
    rest: &'a [u8],
}

impl<'a> HeaderLines<'a> {
    /// Lines of `data`, which starts after the start line.
    pub fn new(data: &'a [u8]) -> HeaderLines<'a> {
        HeaderLines { rest: data }
    }
}

impl<'a> Iterator for HeaderLines<'a> {
    type Item = HeaderLine<'a>;
    fn next(&mut self) -> Option<HeaderLine<'a>> {
        if self.rest.is_empty() {
            return None;
        }
        let (l, used) = line(self.rest).unwrap_or((self.rest, self.rest.len()));
        self.rest = self.rest.get(used..).unwrap_or_default();
        if l.is_empty() {
            // End of headers; a body is not expected in SSDP.
            self.rest = &[];
            return None;
        }
        let Some(colon) = l.iter().position(|&b| b == b':') else {
            return Some(HeaderLine::Invalid);
        };
        let (name, value) = l.split_at(colon);
        let name = trim(name);
        if name.is_empty() {
            return Some(HeaderLine::Invalid);
        }
        Some(HeaderLine::Header(
            name,
            trim(value.get(1..).unwrap_or_default()),
        ))
    }
}

/// A datagram split into its start line and the bytes after it.
pub fn message(data: &[u8]) -> Option<(StartLine<'_>, &[u8])> {
    let (l, used) = line(data).unwrap_or((data, data.len()));
    let start = start_line(l)?;
    Some((start, data.get(used..).unwrap_or_default()))
}
