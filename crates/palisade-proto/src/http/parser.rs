//! Wire format of HTTP/1.x messages: lines, start lines, header lines and
//! the values that frame a body. Borrowed views only; nothing here panics
//! or allocates.

use crate::util::trim;
use memchr::memchr;

/// A line of a message, as [`next_line`] cuts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line<'a> {
    /// The line without its terminator (`\n` or `\r\n`).
    pub text: &'a [u8],
    /// The line as on the wire, terminator included.
    pub raw: &'a [u8],
    /// The line was longer than the limit: `text` is its first `limit`
    /// bytes and the rest of the line still has to be skipped.
    pub cut: bool,
}

/// The next line of `data`, or None when it is not complete yet and
/// shorter than `limit` bytes. The decision only depends on the first
/// `limit + 1` bytes, so it is the same however the stream is segmented.
pub fn next_line(data: &[u8], limit: usize) -> Option<Line<'_>> {
    let window = data.get(..data.len().min(limit.saturating_add(1)))?;
    if let Some(nl) = memchr(b'\n', window) {
        let (raw, _) = data.split_at_checked(nl + 1)?;
        let text = raw.strip_suffix(b"\n").unwrap_or(raw);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        return Some(Line {
            text,
            raw,
            cut: false,
        });
    }
    if data.len() > limit {
        let (text, _) = data.split_at_checked(limit)?;
        return Some(Line {
            text,
            raw: text,
            cut: true,
        });
    }
    None
}

/// RFC 9110 `tchar`: the bytes a method or header name is made of.
pub fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_ws(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// `HTTP/` followed by something (case-insensitive, as servers accept it).
pub fn is_http_version(v: &[u8]) -> bool {
    v.len() > 5 && v.get(..5).is_some_and(|p| p.eq_ignore_ascii_case(b"HTTP/"))
}

/// A request line `METHOD SP URI SP PROTOCOL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestLine<'a> {
    /// Method token as sent.
    pub method: &'a [u8],
    /// Request target as sent (may contain spaces).
    pub uri: &'a [u8],
    /// `HTTP/1.1`; empty for an HTTP/0.9 (or cut) line.
    pub protocol: &'a [u8],
    /// The line started with whitespace.
    pub leading_ws: bool,
    /// Something other than one space separated the parts.
    pub odd_delimiters: bool,
}

/// Parses a request line tolerantly: the method is the first token, the
/// protocol the last word when it is an `HTTP/` version, the URI all in
/// between. None when the first word is not a method token.
pub fn request_line(line: &[u8]) -> Option<RequestLine<'_>> {
    let start = line.iter().position(|&b| !is_ws(b))?;
    let leading_ws = start > 0;
    let line = line.get(start..)?;
    let mend = line.iter().position(|&b| is_ws(b)).unwrap_or(line.len());
    let (method, after) = line.split_at_checked(mend)?;
    if method.is_empty() || !method.iter().all(|&b| is_tchar(b)) {
        return None;
    }
    let gap = after.iter().take_while(|&&b| is_ws(b)).count();
    let mut odd_delimiters = after.get(..gap).is_some_and(|g| g != b" ") && gap > 0;
    let rest = trim_ws(after.get(gap..)?);
    let (uri, protocol) = match rest.iter().rposition(|&b| is_ws(b)) {
        Some(p) => {
            let last = rest.get(p + 1..)?;
            if is_http_version(last) {
                let before = rest.get(..p)?;
                let uri = trim_ws(before);
                if uri.len() != before.len() || rest.get(p) != Some(&b' ') {
                    odd_delimiters = true;
                }
                (uri, last)
            } else {
                (rest, &rest[..0])
            }
        }
        None => (rest, &rest[..0]),
    };
    Some(RequestLine {
        method,
        uri,
        protocol,
        leading_ws,
        odd_delimiters,
    })
}

fn trim_ws(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| !is_ws(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|&b| !is_ws(b)).map_or(start, |e| e + 1);
    s.get(start..end.max(start)).unwrap_or_default()
}

/// A status line `PROTOCOL SP CODE SP REASON`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusLine<'a> {
    /// `HTTP/1.1`.
    pub protocol: &'a [u8],
    /// The status code as sent (`200`; may be garbage).
    pub code: &'a [u8],
    /// Reason phrase (may be empty).
    pub reason: &'a [u8],
    /// The code as a number when it is three digits.
    pub status: Option<u16>,
}

/// Parses a status line; None unless it starts with an `HTTP/` version.
pub fn status_line(line: &[u8]) -> Option<StatusLine<'_>> {
    let line = trim_ws(line);
    let pend = line.iter().position(|&b| is_ws(b)).unwrap_or(line.len());
    let (protocol, rest) = line.split_at_checked(pend)?;
    if !is_http_version(protocol) {
        return None;
    }
    let rest = trim_ws(rest);
    let cend = rest.iter().position(|&b| is_ws(b)).unwrap_or(rest.len());
    let (code, reason) = rest.split_at_checked(cend)?;
    let status = match code {
        [a, b, c] if code.iter().all(u8::is_ascii_digit) => {
            Some(u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0'))
        }
        _ => None,
    };
    Some(StatusLine {
        protocol,
        code,
        reason: trim_ws(reason),
        status,
    })
}

/// A header line split at its colon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderLine<'a> {
    /// Name (whitespace before the colon removed).
    pub name: &'a [u8],
    /// Value without surrounding whitespace.
    pub value: &'a [u8],
    /// No colon: the whole line is the name, the value is empty (libhtp).
    pub missing_colon: bool,
    /// The name is empty, has whitespace before the colon or bytes that
    /// are not token characters.
    pub invalid: bool,
}

/// Splits a header line (not a continuation line).
pub fn header_line(line: &[u8]) -> HeaderLine<'_> {
    let Some(colon) = memchr(b':', line) else {
        return HeaderLine {
            name: trim(line),
            value: &line[..0],
            missing_colon: true,
            invalid: true,
        };
    };
    let (name_ws, after) = line.split_at(colon);
    let value = trim_ws(after.get(1..).unwrap_or_default());
    let name = trim_ws(name_ws);
    let invalid =
        name.is_empty() || name.len() != name_ws.len() || !name.iter().all(|&b| is_tchar(b));
    HeaderLine {
        name,
        value,
        missing_colon: false,
        invalid,
    }
}

/// A continuation (obsolete folding) line starts with whitespace.
pub fn is_continuation(line: &[u8]) -> bool {
    line.first().is_some_and(|&b| is_ws(b))
}

/// Trims the whitespace of a continuation line.
pub fn continuation_text(line: &[u8]) -> &[u8] {
    trim_ws(line)
}

/// A `Content-Length` value: decimal digits only (whitespace around
/// allowed), no overflow.
pub fn content_length(v: &[u8]) -> Option<u64> {
    let v = trim_ws(v);
    if v.is_empty() {
        return None;
    }
    v.iter().try_fold(0u64, |acc, &b| {
        if !b.is_ascii_digit() {
            return None;
        }
        acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
    })
}

/// A chunk size line: hex digits, then optional whitespace and a `;`
/// extension. None when it has no digits, too many, or trailing junk.
pub fn chunk_size(line: &[u8]) -> Option<u64> {
    let line = trim_ws(line);
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits == 0 {
        return None;
    }
    let rest = trim_ws(line.get(digits..)?);
    if !rest.is_empty() && rest.first() != Some(&b';') {
        return None;
    }
    line.get(..digits)?.iter().try_fold(0u64, |acc, &b| {
        let d = (b as char).to_digit(16)?;
        acc.checked_mul(16)?.checked_add(u64::from(d))
    })
}

/// Whether a `Transfer-Encoding` value says chunked (any of its codings;
/// servers accept `chunked` in any position, so an IDS must too).
pub fn is_chunked(v: &[u8]) -> bool {
    v.split(|&b| b == b',')
        .any(|c| trim_ws(c).eq_ignore_ascii_case(b"chunked"))
}

/// Content coding a body is decoded from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    /// `gzip`, `x-gzip`.
    Gzip,
    /// `deflate` (zlib-wrapped or raw).
    Deflate,
}

/// The coding to undo for a `Content-Encoding` value: exactly one of gzip
/// or deflate (identity codings ignored); None for anything else.
pub fn content_coding(v: &[u8]) -> Option<Coding> {
    let mut found = None;
    for c in v.split(|&b| b == b',') {
        let c = trim_ws(c);
        if c.is_empty() || c.eq_ignore_ascii_case(b"identity") {
            continue;
        }
        if found.is_some() {
            // Several layers: not decoded.
            return None;
        }
        found = Some(
            if c.eq_ignore_ascii_case(b"gzip") || c.eq_ignore_ascii_case(b"x-gzip") {
                Coding::Gzip
            } else if c.eq_ignore_ascii_case(b"deflate") {
                Coding::Deflate
            } else {
                return None;
            },
        );
    }
    found
}

/// The number after `bytes ` in a `Content-Range` value
/// (`bytes 0-99/1234`): (start, end, size), each None when `*` or absent.
pub fn content_range(v: &[u8]) -> Option<(Option<u64>, Option<u64>, Option<u64>)> {
    let v = trim_ws(v);
    let unit = v.get(..6)?;
    if !unit.eq_ignore_ascii_case(b"bytes ") {
        return None;
    }
    let v = trim_ws(v.get(6..)?);
    let slash = memchr(b'/', v)?;
    let (range, size) = v.split_at(slash);
    let size = content_length(size.get(1..)?);
    if trim_ws(range) == b"*" {
        return Some((None, None, size));
    }
    let dash = memchr(b'-', range)?;
    let (a, b) = range.split_at(dash);
    Some((content_length(a), content_length(b.get(1..)?), size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_cut_deterministically() {
        assert_eq!(next_line(b"abc", 8), None);
        let l = next_line(b"ab\r\ncd", 8).unwrap();
        assert_eq!((l.text, l.raw, l.cut), (&b"ab"[..], &b"ab\r\n"[..], false));
        let l = next_line(b"ab\ncd", 8).unwrap();
        assert_eq!(l.text, b"ab");
        // 9 bytes without LF with limit 8: cut at 8.
        let l = next_line(b"123456789", 8).unwrap();
        assert_eq!((l.text, l.cut), (&b"12345678"[..], true));
        assert_eq!(next_line(b"12345678", 8), None);
        // LF right after the limit is still found.
        let l = next_line(b"12345678\nX", 8).unwrap();
        assert_eq!((l.text, l.cut), (&b"12345678"[..], false));
    }

    #[test]
    fn request_lines() {
        let r = request_line(b"GET /index.html HTTP/1.1").unwrap();
        assert_eq!(
            (r.method, r.uri, r.protocol),
            (&b"GET"[..], &b"/index.html"[..], &b"HTTP/1.1"[..])
        );
        assert!(!r.odd_delimiters && !r.leading_ws);
        let r = request_line(b" POST\t/a b  HTTP/1.0 ").unwrap();
        assert_eq!((r.uri, r.protocol), (&b"/a b"[..], &b"HTTP/1.0"[..]));
        assert!(r.odd_delimiters && r.leading_ws);
        let r = request_line(b"GET /").unwrap();
        assert_eq!((r.uri, r.protocol), (&b"/"[..], &b""[..]));
        let r = request_line(b"DESCRIBE rtsp://x/ RTSP/1.0").unwrap();
        assert_eq!(r.protocol, b"");
        assert!(request_line(b"\x16\x03\x01 x").is_none());
        assert!(request_line(b"   ").is_none());
        assert!(request_line(b"").is_none());
    }

    #[test]
    fn status_lines() {
        let s = status_line(b"HTTP/1.1 200 OK").unwrap();
        assert_eq!(
            (s.code, s.reason, s.status),
            (&b"200"[..], &b"OK"[..], Some(200))
        );
        let s = status_line(b"HTTP/1.0 404").unwrap();
        assert_eq!((s.reason, s.status), (&b""[..], Some(404)));
        let s = status_line(b"HTTP/1.1 abc Weird Thing").unwrap();
        assert_eq!((s.code, s.status), (&b"abc"[..], None));
        assert!(status_line(b"RTSP/1.0 200 OK").is_none());
        assert!(status_line(b"HTTP/").is_none());
    }

    #[test]
    fn header_lines_and_values() {
        let h = header_line(b"Host: example.com ");
        assert_eq!(
            (h.name, h.value, h.invalid),
            (&b"Host"[..], &b"example.com"[..], false)
        );
        let h = header_line(b"Bad Name : x");
        assert!(h.invalid && !h.missing_colon);
        let h = header_line(b"garbage");
        assert!(h.missing_colon && h.value.is_empty());
        assert!(header_line(b": v").invalid);
        assert!(is_continuation(b" more") && is_continuation(b"\tmore"));
        assert_eq!(content_length(b" 42 "), Some(42));
        assert_eq!(content_length(b"4 2"), None);
        assert_eq!(content_length(b"99999999999999999999999"), None);
        assert_eq!(content_length(b"-1"), None);
        assert_eq!(chunk_size(b"1a"), Some(26));
        assert_eq!(chunk_size(b"1A ; ext=1"), Some(26));
        assert_eq!(chunk_size(b"zz"), None);
        assert_eq!(chunk_size(b"12 34"), None);
        assert_eq!(chunk_size(b"11111111111111111"), None);
        assert!(is_chunked(b"gzip, Chunked"));
        assert!(!is_chunked(b"gzip"));
        assert_eq!(content_coding(b"gzip"), Some(Coding::Gzip));
        assert_eq!(content_coding(b"X-GZIP"), Some(Coding::Gzip));
        assert_eq!(content_coding(b"identity, deflate"), Some(Coding::Deflate));
        assert_eq!(content_coding(b"gzip, gzip"), None);
        assert_eq!(content_coding(b"br"), None);
        assert_eq!(
            content_range(b"bytes 0-99/1234"),
            Some((Some(0), Some(99), Some(1234)))
        );
        assert_eq!(
            content_range(b"bytes */1234"),
            Some((None, None, Some(1234)))
        );
        assert_eq!(content_range(b"items 1-2/3"), None);
    }
}
