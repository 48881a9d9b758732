//! A message body as rules see it: a bounded prefix of the dechunked
//! bytes, decoded from gzip/deflate as they arrive.
//!
//! Body bytes are never buffered whole. [`Body::push`] takes each piece
//! of dechunked data, counts it, and keeps what fits in the body's limit
//! and in the flow's budget (shared by all transactions of the flow). Once
//! a byte is dropped nothing more is kept, so the kept bytes are always a
//! prefix of the body.
//!
//! With a `Content-Encoding` of gzip or deflate, the bytes go through a
//! flate2 decoder (flushed after every piece, so what is kept only depends
//! on the bytes pushed, never on how they were cut) whose output is what
//! is kept, up to [`super::DECOMPRESS_LIMIT`] bytes decoded. While
//! decoding, the raw prefix is kept too: if decoding fails, the raw bytes
//! replace the decoded ones (deterministically, whatever byte the error
//! was noticed at) and `http.gzip_decompression_failed` is raised.

use super::parser::Coding;
use flate2::write::{DeflateDecoder, GzDecoder, ZlibDecoder};
use std::io::{self, Write};

/// Output sink of a decoder: collects what one write produced, refuses
/// anything past the decode limit.
#[derive(Debug)]
struct Capped {
    out: Vec<u8>,
    room: u64,
    hit: bool,
}

impl Write for Capped {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        if self.room == 0 {
            self.hit = true;
            return Err(io::Error::other("decompression limit"));
        }
        let n = usize::try_from(self.room)
            .unwrap_or(usize::MAX)
            .min(b.len());
        self.out.extend_from_slice(b.get(..n).unwrap_or_default());
        self.room -= n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

enum Inflate {
    /// Deflate: zlib header or raw deflate, decided on the first 2 bytes.
    Sniff(Vec<u8>, u64),
    Gzip(GzDecoder<Capped>),
    Zlib(ZlibDecoder<Capped>),
    Raw(DeflateDecoder<Capped>),
}

impl std::fmt::Debug for Inflate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Inflate::Sniff(..) => "Sniff",
            Inflate::Gzip(_) => "Gzip",
            Inflate::Zlib(_) => "Zlib",
            Inflate::Raw(_) => "Raw",
        })
    }
}

impl Inflate {
    fn sink(&mut self) -> Option<&mut Capped> {
        match self {
            Inflate::Sniff(..) => None,
            Inflate::Gzip(d) => Some(d.get_mut()),
            Inflate::Zlib(d) => Some(d.get_mut()),
            Inflate::Raw(d) => Some(d.get_mut()),
        }
    }
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        match self {
            Inflate::Sniff(..) => Ok(0),
            Inflate::Gzip(d) => d.write(b),
            Inflate::Zlib(d) => d.write(b),
            Inflate::Raw(d) => d.write(b),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Inflate::Sniff(..) => Ok(()),
            Inflate::Gzip(d) => d.flush(),
            Inflate::Zlib(d) => d.flush(),
            Inflate::Raw(d) => d.flush(),
        }
    }
}

/// What happened to a body during one push, for the caller's events.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PushEvents {
    /// Decoding failed (raw bytes kept instead).
    pub decode_failed: bool,
    /// The decoded size reached the limit at a ratio that only a
    /// decompression bomb has.
    pub bomb: bool,
}

/// How a decoder run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RunEnd {
    /// More input welcome.
    Going,
    /// The decompression limit was reached.
    Limit,
    /// Corrupt data.
    Failed,
}

/// Feeds a decoder and flushes it, so that its output so far only
/// depends on the input so far.
fn run(inf: &mut Inflate, mut input: &[u8], consumed: &mut u64) -> RunEnd {
    let mut failed = false;
    while !input.is_empty() {
        match inf.write(input) {
            Ok(0) => break, // end of the compressed stream; trailing bytes ignored
            Ok(n) => {
                *consumed += n as u64;
                input = input.get(n..).unwrap_or_default();
            }
            Err(_) => {
                failed = true;
                break;
            }
        }
    }
    if !failed && inf.flush().is_err() {
        failed = true;
    }
    if !failed {
        return RunEnd::Going;
    }
    if inf.sink().is_some_and(|c| c.hit) {
        RunEnd::Limit
    } else {
        RunEnd::Failed
    }
}

/// Decoded/encoded size ratio past which hitting the decompression limit
/// counts as a bomb (deflate tops out near 1032:1; text is ~10:1).
const BOMB_RATIO: u64 = 500;

/// One message's body.
#[derive(Debug)]
pub struct Body {
    limit: usize,
    /// The body has a content coding palisade decodes.
    encoded: bool,
    /// What rules see (decoded output, or raw bytes).
    data: Vec<u8>,
    /// `data` stopped growing.
    full: bool,
    /// Raw prefix kept while decoding, for the fallback.
    raw: Vec<u8>,
    raw_full: bool,
    inflate: Option<Box<Inflate>>,
    /// Bytes of the flow budget this body holds.
    charged: usize,
    /// Encoded bytes the decoder took (for the bomb ratio).
    consumed: u64,
    /// Dechunked body bytes seen (EVE `length`).
    pub len: u64,
    /// Bytes decoded (0 when not encoded).
    pub decoded_len: u64,
    /// The body was encoded and decoding failed.
    pub decode_failed: bool,
    /// Bytes of the body are missing (gap) or were not kept.
    pub truncated: bool,
}

impl Body {
    /// An empty body keeping at most `limit` bytes, decoded from `coding`.
    pub fn new(limit: usize, coding: Option<Coding>) -> Body {
        let room = super::DECOMPRESS_LIMIT;
        let cap = || Capped {
            out: Vec::new(),
            room,
            hit: false,
        };
        let inflate = coding.map(|c| {
            Box::new(match c {
                Coding::Gzip => Inflate::Gzip(GzDecoder::new(cap())),
                Coding::Deflate => Inflate::Sniff(Vec::with_capacity(2), room),
            })
        });
        Body {
            limit,
            encoded: inflate.is_some(),
            data: Vec::new(),
            full: false,
            raw: Vec::new(),
            raw_full: false,
            inflate,
            charged: 0,
            consumed: 0,
            len: 0,
            decoded_len: 0,
            decode_failed: false,
            truncated: false,
        }
    }

    /// The kept bytes.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// Bytes this body holds of the flow budget (given back when the
    /// transaction is dropped).
    pub fn charged(&self) -> usize {
        self.charged
    }

    /// Appends to `v` what fits in `limit` and the budget; false when
    /// something had to be dropped.
    fn keep(
        v: &mut Vec<u8>,
        limit: usize,
        d: &[u8],
        budget: &mut usize,
        charged: &mut usize,
    ) -> bool {
        let room = limit.saturating_sub(v.len()).min(*budget);
        let n = room.min(d.len());
        v.extend_from_slice(d.get(..n).unwrap_or_default());
        *budget -= n;
        *charged += n;
        n == d.len()
    }

    /// Takes the next piece of dechunked body bytes.
    pub fn push(&mut self, d: &[u8], budget: &mut usize) -> PushEvents {
        let mut ev = PushEvents::default();
        if d.is_empty() {
            return ev;
        }
        self.len = self.len.saturating_add(d.len() as u64);
        if !self.encoded || self.decode_failed {
            self.keep_data(d, budget);
            return ev;
        }
        if self.inflate.is_none() {
            // Decoding ended at the limit: the rest is only counted.
            self.truncated = true;
            return ev;
        }
        if !self.raw_full {
            self.raw_full = !Self::keep(&mut self.raw, self.limit, d, budget, &mut self.charged);
        }
        let end = self.inflate_piece(d);
        let out = self
            .inflate
            .as_deref_mut()
            .and_then(Inflate::sink)
            .map(|c| std::mem::take(&mut c.out))
            .unwrap_or_default();
        self.decoded_len = self.decoded_len.saturating_add(out.len() as u64);
        match end {
            RunEnd::Going => self.keep_data(&out, budget),
            RunEnd::Limit => {
                self.keep_data(&out, budget);
                self.truncated = true;
                ev.bomb = self.decoded_len / self.consumed.max(1) >= BOMB_RATIO;
                self.end_decoding(budget);
            }
            RunEnd::Failed => {
                // The raw bytes replace the decoded ones.
                ev.decode_failed = true;
                self.decode_failed = true;
                *budget += self.data.len();
                self.charged -= self.data.len();
                self.data = std::mem::take(&mut self.raw);
                self.full = self.raw_full;
                self.truncated |= self.raw_full;
                self.inflate = None;
            }
        }
        ev
    }

    fn keep_data(&mut self, d: &[u8], budget: &mut usize) {
        if d.is_empty() {
            return;
        }
        if self.full {
            self.truncated = true;
            return;
        }
        if !Self::keep(&mut self.data, self.limit, d, budget, &mut self.charged) {
            self.full = true;
            self.truncated = true;
        }
    }

    fn inflate_piece(&mut self, d: &[u8]) -> RunEnd {
        let Some(inf) = self.inflate.as_deref_mut() else {
            return RunEnd::Failed;
        };
        let mut input = d;
        if let Inflate::Sniff(head, room) = inf {
            let need = 2usize.saturating_sub(head.len()).min(input.len());
            let (a, b) = input.split_at(need);
            head.extend_from_slice(a);
            input = b;
            if head.len() < 2 {
                return RunEnd::Going;
            }
            let cap = Capped {
                out: Vec::new(),
                room: *room,
                hit: false,
            };
            let (h0, h1) = (
                head.first().copied().unwrap_or(0),
                head.get(1).copied().unwrap_or(0),
            );
            let zlib = h0 & 0x0f == 8 && (u16::from(h0) << 8 | u16::from(h1)) % 31 == 0;
            let first = std::mem::take(head);
            *inf = if zlib {
                Inflate::Zlib(ZlibDecoder::new(cap))
            } else {
                Inflate::Raw(DeflateDecoder::new(cap))
            };
            // Replay the sniffed bytes, then the rest.
            let end = run(inf, &first, &mut self.consumed);
            if end != RunEnd::Going {
                return end;
            }
        }
        run(inf, input, &mut self.consumed)
    }

    fn end_decoding(&mut self, budget: &mut usize) {
        self.inflate = None;
        *budget += self.raw.len();
        self.charged -= self.raw.len();
        self.raw = Vec::new();
    }

    /// The body is complete: the raw copy kept for the fallback is given
    /// back.
    pub fn finish(&mut self, budget: &mut usize) {
        self.end_decoding(budget);
    }

    /// Bytes are missing: nothing more is kept or decoded.
    pub fn gap(&mut self, budget: &mut usize) {
        self.full = true;
        self.truncated = true;
        self.end_decoding(budget);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::{DeflateEncoder, GzEncoder, ZlibEncoder};
    use flate2::Compression;

    fn gz(d: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(d).unwrap();
        e.finish().unwrap()
    }

    fn feed(b: &mut Body, d: &[u8], step: usize, budget: &mut usize) -> PushEvents {
        let mut ev = PushEvents::default();
        for c in d.chunks(step.max(1)) {
            let e = b.push(c, budget);
            ev.decode_failed |= e.decode_failed;
            ev.bomb |= e.bomb;
        }
        ev
    }

    #[test]
    fn plain_body_is_bounded() {
        let mut budget = 100;
        let mut b = Body::new(10, None);
        feed(&mut b, b"0123456789abcdef", 3, &mut budget);
        assert_eq!(b.data(), b"0123456789");
        assert!(b.truncated);
        assert_eq!(b.len, 16);
        assert_eq!(budget, 90);
        // The flow budget cuts too, and once cut nothing more is kept.
        let mut budget = 4;
        let mut b = Body::new(10, None);
        feed(&mut b, b"abcdef", 1, &mut budget);
        budget += 100;
        b.push(b"gh", &mut budget);
        assert_eq!(b.data(), b"abcd");
    }

    #[test]
    fn gzip_zlib_raw_any_segmentation() {
        let text: Vec<u8> = (0..5000u32)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        let mut zl = ZlibEncoder::new(Vec::new(), Compression::default());
        zl.write_all(&text).unwrap();
        let zl = zl.finish().unwrap();
        let mut raw = DeflateEncoder::new(Vec::new(), Compression::default());
        raw.write_all(&text).unwrap();
        let raw = raw.finish().unwrap();
        for (coding, enc) in [
            (Coding::Gzip, gz(&text)),
            (Coding::Deflate, zl),
            (Coding::Deflate, raw),
        ] {
            for step in [1, 7, 1000, usize::MAX] {
                let mut budget = 1 << 20;
                let mut b = Body::new(64 * 1024, Some(coding));
                let ev = feed(&mut b, &enc, step, &mut budget);
                b.finish(&mut budget);
                assert_eq!(ev, PushEvents::default());
                assert_eq!(b.data(), &text[..], "{coding:?} step {step}");
                assert_eq!(b.len, enc.len() as u64);
                assert_eq!(budget, (1 << 20) - text.len());
                assert_eq!(b.charged(), text.len());
            }
        }
    }

    #[test]
    fn corrupt_gzip_keeps_raw() {
        for step in [1, 5, 100] {
            let mut budget = 1000;
            let mut b = Body::new(100, Some(Coding::Gzip));
            let ev = feed(&mut b, b"this is not gzip at all", step, &mut budget);
            assert!(ev.decode_failed);
            assert_eq!(b.data(), b"this is not gzip at all");
            // Later bytes are kept raw.
            b.push(b"!", &mut budget);
            assert_eq!(b.data(), b"this is not gzip at all!");
            b.finish(&mut budget);
            assert_eq!(budget + b.charged(), 1000);
        }
        // Corruption in the middle of a stream.
        let mut enc = gz(&[b'a'; 1000]);
        let n = enc.len();
        enc[n / 2] ^= 0xff;
        enc[n / 2 + 1] ^= 0xff;
        let mut budget = 1 << 20;
        let mut b = Body::new(4096, Some(Coding::Gzip));
        let ev = feed(&mut b, &enc, 3, &mut budget);
        assert!(ev.decode_failed || b.data() != [b'a'; 1000]);
    }

    #[test]
    fn bomb_stops_at_the_limit() {
        let zeros = vec![0u8; 4 * 1024 * 1024];
        let enc = gz(&zeros);
        let mut budget = 1 << 20;
        let mut b = Body::new(64 * 1024, Some(Coding::Gzip));
        let ev = feed(&mut b, &enc, 4096, &mut budget);
        assert!(ev.bomb);
        assert_eq!(b.data().len(), 64 * 1024);
        assert_eq!(b.decoded_len, super::super::DECOMPRESS_LIMIT);
        assert!(b.truncated);
    }
}
