//! Small helpers shared by the parsers: holding a partial message across
//! calls, splitting lines, trimming, numbering one-datagram transactions.

use crate::parser::{AppTx, Input, Sink, TxUpdate};
use memchr::memchr;

/// The held bytes would exceed the limit: they were dropped.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Overflow;

/// Bytes of one direction that did not yet form a whole message.
///
/// `feed` gives the parser one contiguous slice: the held bytes followed by
/// the new ones (copied only when something is held, so a message that
/// arrives whole is parsed straight from the packet). The parser consumes
/// whole messages (or body bytes it can skip) and the rest is held, up to a
/// limit; beyond it the bytes are dropped and the parser told so it can
/// raise its "too large" event and resynchronise.
#[derive(Debug, Default, Clone)]
pub struct StreamBuf {
    buf: Vec<u8>,
}

impl StreamBuf {
    /// Runs `f` over held + new bytes; `f` returns how many it consumed.
    /// Keeps the rest if it fits in `limit` bytes, else drops it and
    /// returns [`Overflow`].
    pub fn feed(
        &mut self,
        data: &[u8],
        limit: usize,
        f: impl FnOnce(&[u8]) -> usize,
    ) -> Result<(), Overflow> {
        if self.buf.is_empty() {
            let used = f(data).min(data.len());
            let rest = &data[used..];
            if rest.len() > limit {
                return Err(Overflow);
            }
            self.buf.extend_from_slice(rest);
            return Ok(());
        }
        self.buf.extend_from_slice(data);
        let used = f(&self.buf).min(self.buf.len());
        self.buf.drain(..used);
        if self.buf.len() > limit {
            self.buf.clear();
            return Err(Overflow);
        }
        // Give memory back after a large message.
        if self.buf.is_empty() && self.buf.capacity() > 64 * 1024 {
            self.buf = Vec::new();
        }
        Ok(())
    }

    /// Drops held bytes (after a gap).
    pub fn clear(&mut self) {
        self.buf.clear();
    }

    /// Bytes held.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Nothing held.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
}

/// The first line of `data` without its terminator (`\n` or `\r\n`), and
/// the length consumed including the terminator; None when no `\n` yet.
pub fn line(data: &[u8]) -> Option<(&[u8], usize)> {
    let nl = memchr(b'\n', data)?;
    let end = if nl > 0 && data[nl - 1] == b'\r' {
        nl - 1
    } else {
        nl
    };
    Some((&data[..end], nl + 1))
}

/// `s` without leading and trailing ASCII whitespace.
pub fn trim(s: &[u8]) -> &[u8] {
    let start = s
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &s[start..end.max(start)]
}

/// Lossy UTF-8 for logging (EVE strings).
pub fn text(s: &[u8]) -> String {
    String::from_utf8_lossy(s).into_owned()
}

/// Whether every byte is printable ASCII or common whitespace.
pub fn is_text(s: &[u8]) -> bool {
    s.iter()
        .all(|&b| (0x20..0x7f).contains(&b) || matches!(b, b'\r' | b'\n' | b'\t'))
}

/// Pushes onto a per-flow list unless it already holds `max` items;
/// returns false (and drops `v`) when full, so the caller raises its event.
pub fn push_bounded<T>(v: &mut Vec<T>, item: T, max: usize) -> bool {
    if v.len() >= max {
        return false;
    }
    v.push(item);
    true
}

/// The whole state of a protocol whose every datagram is one complete
/// transaction (DHCP, SSDP, WS-Discovery): the transaction counter.
#[derive(Debug, Default, Clone)]
pub struct Datagrams {
    next_id: u64,
}

impl Datagrams {
    /// `build` makes the transaction of `input`'s datagram with the next
    /// id, which is reported complete at once and dropped. When `build`
    /// returns None (the datagram is not a message of the protocol) the
    /// flow gets the event `invalid` instead and the id stays unused.
    pub fn one<T: AppTx>(
        &mut self,
        input: &Input<'_>,
        sink: &mut dyn Sink,
        invalid: &'static str,
        build: impl FnOnce(&[u8], u64) -> Option<T>,
    ) {
        let Some(tx) = build(input.data, self.next_id) else {
            sink.event(input.dir, invalid);
            return;
        };
        self.next_id += 1;
        sink.tx(
            &tx,
            TxUpdate {
                dir: input.dir,
                complete: true,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_buf_holds_partial_and_overflows() {
        let mut b = StreamBuf::default();
        let mut seen = Vec::new();
        // consumes whole lines only
        let eat = |d: &[u8], seen: &mut Vec<Vec<u8>>| {
            let mut off = 0;
            while let Some((l, n)) = line(&d[off..]) {
                seen.push(l.to_vec());
                off += n;
            }
            off
        };
        b.feed(b"ab", 16, |d| eat(d, &mut seen)).unwrap();
        assert_eq!(b.len(), 2);
        b.feed(b"c\r\nde", 16, |d| eat(d, &mut seen)).unwrap();
        assert_eq!(seen, vec![b"abc".to_vec()]);
        assert_eq!(b.len(), 2);
        assert_eq!(
            b.feed(&[b'x'; 20], 16, |d| eat(d, &mut seen)),
            Err(Overflow)
        );
        assert!(b.is_empty());
        assert_eq!(
            b.feed(&[b'x'; 20], 16, |d| eat(d, &mut seen)),
            Err(Overflow)
        );
    }

    #[test]
    fn helpers() {
        assert_eq!(line(b"a\nb"), Some((&b"a"[..], 2)));
        assert_eq!(line(b"\r\n"), Some((&b""[..], 2)));
        assert_eq!(line(b"abc"), None);
        assert_eq!(trim(b"  x y \r"), b"x y");
        assert_eq!(trim(b"   "), b"");
        let mut v = vec![1];
        assert!(!push_bounded(&mut v, 2, 1));
    }
}
