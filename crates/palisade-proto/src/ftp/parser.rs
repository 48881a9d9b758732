//! FTP control-connection wire format (RFC 959, RFC 2428): lines,
//! commands, reply codes, and the data-channel addresses carried by PORT,
//! EPRT and the 227/229 replies.

use memchr::memchr;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Lines of one direction, split at LF (a preceding CR removed).
///
/// A line that arrives whole within one input is handed out borrowed;
/// only a line split across inputs is copied. A line longer than the
/// limit is handed out cut to the limit with `truncated` set, whatever the
/// segmentation (at most `max + 2` bytes are held: enough to tell a long
/// line from one that ends in CR).
#[derive(Debug, Default, Clone)]
pub struct LineReader {
    buf: Vec<u8>,
    /// Drop bytes up to the next LF (after a gap, the line start is lost).
    skip: bool,
}

impl LineReader {
    /// Calls `f(line, truncated)` for each complete line of `data`.
    pub fn feed(&mut self, data: &[u8], max: usize, f: &mut dyn FnMut(&[u8], bool)) {
        let mut rest = data;
        while !rest.is_empty() {
            let Some(i) = memchr(b'\n', rest) else {
                if !self.skip {
                    self.hold(rest, max);
                }
                return;
            };
            let (part, tail) = rest.split_at(i);
            rest = tail.get(1..).unwrap_or_default();
            if std::mem::take(&mut self.skip) {
                continue;
            }
            if self.buf.is_empty() {
                let (line, truncated) = cut(part, max);
                f(line, truncated);
            } else {
                self.hold(part, max);
                let buf = std::mem::take(&mut self.buf);
                let (line, truncated) = cut(&buf, max);
                f(line, truncated);
                self.buf = buf;
                self.buf.clear();
            }
        }
    }

    fn hold(&mut self, part: &[u8], max: usize) {
        let room = (max + 2).saturating_sub(self.buf.len());
        self.buf.extend_from_slice(part.get(..room).unwrap_or(part));
    }

    /// Data was lost: resume at the next line.
    pub fn gap(&mut self) {
        self.buf.clear();
        self.skip = true;
    }
}

/// The line without a trailing CR, cut to `max`, and whether it was longer.
fn cut(line: &[u8], max: usize) -> (&[u8], bool) {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    match line.get(..max) {
        Some(l) if line.len() > max => (l, true),
        _ => (line, false),
    }
}

/// A command line split into the command word and its argument
/// (everything after the first space, as Suricata's `command_data`).
pub fn command(line: &[u8]) -> (&[u8], &[u8]) {
    match memchr(b' ', line) {
        Some(i) => (
            line.get(..i).unwrap_or_default(),
            line.get(i + 1..).unwrap_or_default(),
        ),
        None => (line, &[]),
    }
}

/// Reply code of a line and whether the line opens a multi-line reply
/// (`123-`); None when the line does not start with three digits followed
/// by a space, a dash or the end of the line.
pub fn reply_code(line: &[u8]) -> Option<(u16, bool)> {
    let digits = line.get(..3)?;
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let code = digits
        .iter()
        .fold(0u16, |a, &d| a * 10 + u16::from(d - b'0'));
    match line.get(3) {
        None | Some(b' ') => Some((code, false)),
        Some(b'-') => Some((code, true)),
        _ => None,
    }
}

fn number(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 10 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

/// `h1,h2,h3,h4,p1,p2` (PORT argument, 227 reply) at the start of `s`.
pub fn host_port(s: &[u8]) -> Option<(IpAddr, u16)> {
    // A valid one is at most 23 bytes: looking further is never needed
    // (and keeps a hostile 227 line of digits linear to scan).
    let end = s
        .iter()
        .take(24)
        .position(|&b| !(b.is_ascii_digit() || b == b','))
        .unwrap_or(s.len().min(24));
    let mut parts = s.get(..end)?.split(|&b| b == b',');
    let mut v = [0u8; 6];
    for slot in &mut v {
        *slot = u8::try_from(number(parts.next()?)?).ok()?;
    }
    if parts.next().is_some() {
        return None;
    }
    let [a, b, c, d, p1, p2] = v;
    Some((
        IpAddr::V4(Ipv4Addr::new(a, b, c, d)),
        (u16::from(p1) << 8) | u16::from(p2),
    ))
}

/// `|af|addr|port|` (EPRT argument); any printable delimiter.
pub fn eprt(s: &[u8]) -> Option<(IpAddr, u16)> {
    let s = crate::util::trim(s);
    let (&d, rest) = s.split_first()?;
    if !(33..=126).contains(&d) {
        return None;
    }
    let mut f = rest.split(|&b| b == d);
    let af = f.next()?;
    let addr = std::str::from_utf8(f.next()?).ok()?;
    let port = u16::try_from(number(f.next()?)?).ok()?;
    if f.next() != Some(&[][..]) {
        return None;
    }
    let addr = match af {
        b"1" => IpAddr::V4(addr.parse::<Ipv4Addr>().ok()?),
        b"2" => IpAddr::V6(addr.parse::<Ipv6Addr>().ok()?),
        _ => return None,
    };
    Some((addr, port))
}

/// The host and port of a 227 reply's text (`Entering Passive Mode
/// (192,168,1,2,19,137)`; some servers leave out the parentheses).
pub fn pasv_reply(text: &[u8]) -> Option<(IpAddr, u16)> {
    let start = |i: usize| {
        text.get(i).is_some_and(u8::is_ascii_digit)
            && (i == 0 || !text.get(i - 1).is_some_and(u8::is_ascii_digit))
    };
    (0..text.len())
        .filter(|&i| start(i))
        .find_map(|i| host_port(text.get(i..)?))
}

/// The port of a 229 reply's text (`Entering Extended Passive Mode
/// (|||6446|)`).
pub fn epsv_reply(text: &[u8]) -> Option<u16> {
    let open = memchr(b'(', text)?;
    let inner = text.get(open + 1..)?;
    let (&d, rest) = inner.split_first()?;
    let mut f = rest.split(|&b| b == d);
    // Net protocol and address are empty: `|||port|`.
    if !f.next()?.is_empty() || !f.next()?.is_empty() {
        return None;
    }
    let port = u16::try_from(number(f.next()?)?).ok()?;
    // The closing delimiter must follow.
    f.next()?;
    Some(port)
}
