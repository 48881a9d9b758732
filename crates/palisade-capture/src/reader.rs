//! One capture input: pcap or pcapng, plain or gzip-compressed, file or stdin.
//!
//! The parsing is written by hand rather than with `pcap-parser`'s block
//! parsers for three reasons:
//!
//! - **exact offsets in errors**: every check knows the absolute byte offset of
//!   the record or block it is looking at, so an error says "at byte 1234" and
//!   all packets before that byte were delivered;
//! - **speed**: a record is a handful of fixed-offset loads out of one large
//!   buffer, with the fast path inlined and no per-block option vectors or
//!   other allocations (the target is millions of packets per second per core);
//! - **bounded memory**: a declared length is checked against a named limit
//!   before a single byte is buffered for it.

use crate::error::{CaptureError, ErrorKind};
use crate::input_set::OpenOptions;
use crate::mapped::SharedBytes;
use flate2::read::MultiGzDecoder;
use palisade_event::Timestamp;
use std::io::{self, Cursor, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Size of the read buffer of each input (1 MiB). Records are parsed in place
/// in this buffer; the unconsumed tail is shifted to the front on refill.
pub const READ_BUFFER_SIZE: usize = 1 << 20;

/// Largest pcapng block (and so the largest the read buffer ever grows to):
/// 16 MiB. A block declaring more is [`ErrorKind::Corrupt`], so a hostile
/// length of 4 GiB never allocates 4 GiB.
pub const MAX_BLOCK_LEN: usize = 16 << 20;

/// Captured-length bound for classic pcap records: 262144 bytes, libpcap's
/// `MAXIMUM_SNAPLEN`.
///
/// Some writers emit records longer than the snaplen in the file header, so
/// the snaplen alone is not a bound; a record is [`ErrorKind::Corrupt`] only
/// when its captured length exceeds both this value and the file's snaplen
/// (and never more than [`MAX_BLOCK_LEN`]).
pub const MAX_PCAP_CAPLEN: u32 = 262_144;

/// Most interfaces one pcapng section may describe (each costs a few dozen
/// bytes of memory); one more is [`ErrorKind::Corrupt`].
pub const MAX_INTERFACES: usize = 65_536;

/// How far ahead of the parser a memory-mapped reader reads its bytes in
/// (16 KiB; see `Buffer::touch_ahead`). Measured on the benchmark file:
/// 8 to 32 KiB are equally good, 4 KiB too short.
const TOUCH_AHEAD: usize = 16 << 10;

/// Cache line size assumed by the touch-ahead.
const CACHE_LINE: usize = 64;

/// What the name of standard input is in errors and [`CaptureReader::name`].
pub const STDIN_NAME: &str = "<stdin>";

const PCAPNG_SHB: u32 = 0x0A0D_0D0A;
const PCAPNG_IDB: u32 = 1;
const PCAPNG_OPB: u32 = 2;
const PCAPNG_SPB: u32 = 3;
const PCAPNG_EPB: u32 = 6;
const PCAPNG_MIN_SHB_LEN: usize = 28;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

const OPT_ENDOFOPT: u16 = 0;
const OPT_IF_TSRESOL: u16 = 9;
const OPT_IF_TSOFFSET: u16 = 14;

/// Every magic this crate recognises, as the bytes that start the file.
const MAGICS: [&[u8]; 8] = [
    &[0xd4, 0xc3, 0xb2, 0xa1], // pcap, little-endian, microseconds
    &[0xa1, 0xb2, 0xc3, 0xd4], // pcap, big-endian, microseconds
    &[0x4d, 0x3c, 0xb2, 0xa1], // pcap, little-endian, nanoseconds
    &[0xa1, 0xb2, 0x3c, 0x4d], // pcap, big-endian, nanoseconds
    &[0x34, 0xcd, 0xb2, 0xa1], // "modified" (Kuznetzov) pcap, little-endian
    &[0xa1, 0xb2, 0xcd, 0x34], // "modified" (Kuznetzov) pcap, big-endian
    &[0x0a, 0x0d, 0x0d, 0x0a], // pcapng section header
    &[0x1f, 0x8b],             // gzip
];

/// True when `head` (the first bytes of a file, at least 4 unless the file is
/// shorter) starts with a pcap, pcapng or gzip magic.
pub fn has_capture_magic(head: &[u8]) -> bool {
    MAGICS
        .iter()
        .any(|m| head.len() >= m.len() && head.starts_with(m))
}

/// One packet, borrowed from the reader's buffer (or its memory mapping) until
/// the next call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packet<'a> {
    /// Capture time (packet time, never wall-clock time).
    pub ts: Timestamp,
    /// LINKTYPE_ value of the packet's interface (see [`crate::linktype`]);
    /// per packet because pcapng interfaces may differ.
    pub linktype: u32,
    /// The captured bytes.
    pub data: &'a [u8],
    /// Original length on the wire (as the file says; may exceed
    /// `data.len()` when the capture was cut at a snaplen).
    pub wire_len: u32,
    /// pcapng interface id within its section (0 for pcap).
    pub interface: u32,
    /// Index of the input (file) this packet came from, in open order.
    pub input: u16,
}

impl Packet<'_> {
    /// The offset of this packet's bytes in `shared`, if they lie inside it:
    /// `shared[off..off + self.data.len()]` is then `self.data`, and a thread
    /// holding a clone of `shared` can read the packet later without a copy.
    ///
    /// For a packet of a memory-mapped input, pass that input's mapping
    /// ([`crate::InputSet::shared_bytes`] or
    /// [`crate::CaptureReader::shared_bytes`]); a packet of a buffered input,
    /// or of another mapping, gives `None`. Plain address arithmetic: no
    /// unsafe code, no dereference.
    #[inline]
    pub fn offset_in(&self, shared: &SharedBytes) -> Option<usize> {
        let off = (self.data.as_ptr() as usize).checked_sub(shared.as_ptr() as usize)?;
        let end = off.checked_add(self.data.len())?;
        (end <= shared.len()).then_some(off)
    }
}

/// A packet located in a reader's buffer: everything but the borrow.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RawPacket {
    pub(crate) ts: Timestamp,
    linktype: u32,
    pos: usize,
    len: u32,
    wire_len: u32,
    interface: u32,
}

/// How an interface's timestamp units convert to nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TsUnit {
    /// Nanoseconds per unit (resolution 10^-n with n <= 9).
    Mul(u64),
    /// Units per nanosecond (resolution 10^-n with 9 < n <= 28).
    Div(u64),
    /// Resolution 2^-n: nanos = units * 10^9 / 2^n.
    Pow2(u32),
    /// Resolution finer than 10^-28: every timestamp is below a nanosecond.
    Zero,
}

impl TsUnit {
    const MICROS: TsUnit = TsUnit::Mul(1000);

    /// From the one byte of the `if_tsresol` option.
    fn from_tsresol(v: u8) -> TsUnit {
        if v & 0x80 == 0 {
            let n = u32::from(v);
            if n <= 9 {
                TsUnit::Mul(10u64.pow(9 - n))
            } else if n - 9 <= 19 {
                TsUnit::Div(10u64.pow(n - 9))
            } else {
                TsUnit::Zero
            }
        } else {
            TsUnit::Pow2(u32::from(v & 0x7f))
        }
    }

    #[inline]
    fn to_nanos(self, units: u64) -> u64 {
        match self {
            TsUnit::Mul(m) => units.saturating_mul(m),
            TsUnit::Div(d) => units / d,
            TsUnit::Pow2(s) => {
                let n = (u128::from(units) * 1_000_000_000) >> s;
                u64::try_from(n).unwrap_or(u64::MAX)
            }
            TsUnit::Zero => 0,
        }
    }
}

/// A pcapng interface as far as reading needs it.
#[derive(Clone, Copy, Debug)]
struct Iface {
    linktype: u32,
    snaplen: u32,
    unit: TsUnit,
    /// `if_tsoffset` in nanoseconds.
    offset_nanos: i128,
}

impl Iface {
    #[inline]
    fn ts(&self, units: u64) -> Timestamp {
        let n = self.unit.to_nanos(units);
        if self.offset_nanos == 0 {
            return Timestamp::from_nanos(n);
        }
        let t = (i128::from(n) + self.offset_nanos).clamp(0, i128::from(u64::MAX));
        Timestamp::from_nanos(t as u64)
    }
}

enum Format {
    Pcap {
        be: bool,
        nanos: bool,
        /// Record header length: 16, or 24 for the "modified" format.
        hdr_len: usize,
        linktype: u32,
        caplen_limit: u32,
    },
    PcapNg {
        /// Byte order of the current section.
        be: bool,
        /// Interfaces of the current section, by id.
        ifaces: Vec<Iface>,
    },
}

/// Counts the bytes read from the underlying (possibly compressed) source.
struct Counting {
    inner: Box<dyn Read + Send>,
    count: Arc<AtomicU64>,
}

impl Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Where a reader's bytes live.
enum Backing {
    /// A buffer filled by reads from `src` (gzip, stdin, pipes, and files
    /// when mapping is off or fails).
    Read {
        src: Box<dyn Read + Send>,
        data: Vec<u8>,
    },
    /// The whole file, memory-mapped: nothing to refill. `touched` is how
    /// far [`Buffer::touch_ahead`] has read.
    Mapped { map: SharedBytes, touched: usize },
}

/// The bytes the parser looks at: `bytes()[start..end]` is available but not
/// yet consumed, and `base` is the stream offset of `bytes()[0]`.
///
/// The parser is the same for both backings: it asks [`Buffer::fill`] for
/// `need` bytes at `start` and reads them out of [`Buffer::bytes`] at
/// absolute offset `base + start`. A read buffer refills (shifting its tail
/// and growing up to what a bounded record needs); a mapping holds the whole
/// file from the start (`base` 0, `end` its length, `eof` set), so a fill
/// beyond its end is the end of the stream, exactly as for a read buffer at
/// end of file.
struct Buffer {
    backing: Backing,
    start: usize,
    end: usize,
    base: u64,
    eof: bool,
}

impl Buffer {
    fn reading(src: Box<dyn Read + Send>, size: usize) -> Buffer {
        Buffer {
            backing: Backing::Read {
                src,
                data: vec![0; size],
            },
            start: 0,
            end: 0,
            base: 0,
            eof: false,
        }
    }

    fn mapped(map: SharedBytes) -> Buffer {
        Buffer {
            end: map.len(),
            backing: Backing::Mapped { map, touched: 0 },
            start: 0,
            base: 0,
            eof: true,
        }
    }

    /// The backing bytes; `[start..end]` is what is available.
    #[inline]
    fn bytes(&self) -> &[u8] {
        match &self.backing {
            Backing::Read { data, .. } => data,
            Backing::Mapped { map, .. } => map,
        }
    }

    /// For a mapping, reads one byte of every cache line up to
    /// [`TOUCH_AHEAD`] bytes past `start`, so the lines (and their page
    /// faults and TLB entries) are in hand before the parser needs them.
    ///
    /// A read buffer gets this for free: the kernel's copy streams the bytes
    /// in. A mapping is demand-paged and demand-loaded: without this, every
    /// record header is a cache miss that depends on the previous header's
    /// length (the next address is only known then), so the misses cannot
    /// overlap, and mapped reading ran at half the buffered speed. The loads
    /// here have addresses known in advance, so the CPU overlaps them.
    /// Plain slice reads: no prefetch intrinsic, no unsafe code.
    #[inline]
    fn touch_ahead(&mut self) {
        let Backing::Mapped { map, touched } = &mut self.backing else {
            return;
        };
        let target = (self.start + TOUCH_AHEAD).min(map.len());
        if *touched >= target {
            return;
        }
        let mut acc = 0u8;
        let mut at = *touched;
        while at < target {
            acc ^= map[at];
            at += CACHE_LINE;
        }
        std::hint::black_box(acc);
        *touched = at;
    }

    #[inline]
    fn avail(&self) -> usize {
        self.end - self.start
    }

    #[inline]
    fn offset(&self) -> u64 {
        self.base + self.start as u64
    }

    /// Makes `need` bytes available at `start`; `Ok(false)` if the stream
    /// ends first. Callers bound `need` by [`MAX_BLOCK_LEN`] (or less) first;
    /// the buffer grows past [`READ_BUFFER_SIZE`] only for a block that big,
    /// and only as its bytes arrive.
    #[inline]
    fn fill(&mut self, need: usize) -> io::Result<bool> {
        if self.avail() >= need {
            return Ok(true);
        }
        self.refill(need)
    }

    #[cold]
    #[inline(never)]
    fn refill(&mut self, need: usize) -> io::Result<bool> {
        // A mapping is always at end of stream.
        let Backing::Read { src, data } = &mut self.backing else {
            return Ok(false);
        };
        if self.eof {
            return Ok(false);
        }
        if self.start + need > data.len() {
            data.copy_within(self.start..self.end, 0);
            self.base += self.start as u64;
            self.end -= self.start;
            self.start = 0;
        }
        while self.end - self.start < need {
            if self.end == data.len() {
                // Full (so `start` is 0) and still short of `need`: grow by
                // doubling as bytes actually arrive, so a length declared by
                // a short file does not allocate its declared size.
                let len = (data.len() * 2).min(need).max(data.len() + 1);
                data.resize(len, 0);
            }
            match src.read(&mut data[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => self.end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }
}

#[inline]
fn rd16(b: &[u8], i: usize, be: bool) -> u16 {
    let a = [b[i], b[i + 1]];
    if be {
        u16::from_be_bytes(a)
    } else {
        u16::from_le_bytes(a)
    }
}

#[inline]
fn rd32(b: &[u8], i: usize, be: bool) -> u32 {
    let a = [b[i], b[i + 1], b[i + 2], b[i + 3]];
    if be {
        u32::from_be_bytes(a)
    } else {
        u32::from_le_bytes(a)
    }
}

#[inline]
fn rd64(b: &[u8], i: usize, be: bool) -> u64 {
    let a = [
        b[i],
        b[i + 1],
        b[i + 2],
        b[i + 3],
        b[i + 4],
        b[i + 5],
        b[i + 6],
        b[i + 7],
    ];
    if be {
        u64::from_be_bytes(a)
    } else {
        u64::from_le_bytes(a)
    }
}

/// Maps `file` if it is a non-empty regular file holding a plain capture (not
/// gzip); `None` means "read it through a buffer". Mapping errors are not
/// errors: the buffered path reads the file (and reports its own errors).
fn map_capture(file: &std::fs::File) -> Option<SharedBytes> {
    let meta = file.metadata().ok()?;
    if !meta.is_file() || meta.len() == 0 {
        return None;
    }
    let map = crate::mapped::map_file(file).ok()?;
    // An empty mapping (the file was emptied since `metadata`) keeps the
    // buffered path's behaviour for empty files; gzip is decoded from a
    // stream.
    if map.is_empty() || map.starts_with(&GZIP_MAGIC) {
        return None;
    }
    Some(map)
}

fn corrupt(name: &str, off: u64, what: String) -> CaptureError {
    CaptureError::new(name, off, ErrorKind::Corrupt(what))
}

/// Reads packets from one pcap or pcapng input, plain or gzip-compressed.
///
/// The format is detected from the magic: gzip (`1f 8b`, decoded with
/// `flate2`'s `MultiGzDecoder`, so concatenated members work), then pcap
/// (both byte orders, microsecond and nanosecond magic, and the "modified"
/// variant) or pcapng (sections of either byte order, any number of
/// interfaces). Packets are slices into the reader's buffer, valid until the
/// next call. A plain capture in a regular file is memory-mapped instead (see
/// [`CaptureReader::open`]): then packets are slices of the mapping, which
/// other threads can share through [`CaptureReader::shared_bytes`]; the
/// parsing, the checks and the errors are the same either way.
pub struct CaptureReader {
    name: String,
    buf: Buffer,
    fmt: Format,
    consumed: Arc<AtomicU64>,
    gz: bool,
    packets: u64,
    done: bool,
    input: u16,
    last_ts: Timestamp,
}

impl std::fmt::Debug for CaptureReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptureReader")
            .field("name", &self.name)
            .field("offset", &self.buf.offset())
            .field("packets", &self.packets)
            .field("mapped", &self.shared_bytes().is_some())
            .finish_non_exhaustive()
    }
}

impl CaptureReader {
    /// Opens a capture file; `-` reads standard input.
    ///
    /// A plain (not gzip) capture that is a non-empty regular file is
    /// memory-mapped (see the crate docs, including the hazard of a file
    /// truncated while mapped); everything else is read through a buffer.
    /// Same as [`CaptureReader::open_with`] with default options.
    ///
    /// Reads and checks the file header (pcap) or first section header
    /// (pcapng) before returning.
    pub fn open(path: &Path) -> Result<CaptureReader, CaptureError> {
        Self::open_with(path, &OpenOptions::default())
    }

    /// [`CaptureReader::open`], memory-mapping only if `opts.mmap` is set
    /// (`opts.max_open` does not apply to a single reader).
    ///
    /// A file that cannot be mapped (some special file systems) is read
    /// through a buffer instead; [`CaptureReader::shared_bytes`] tells which
    /// way it went.
    pub fn open_with(path: &Path, opts: &OpenOptions) -> Result<CaptureReader, CaptureError> {
        if path.as_os_str() == "-" {
            return Self::from_reader(STDIN_NAME, Box::new(io::stdin()));
        }
        let name = path.display().to_string();
        let file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) => return Err(CaptureError::new(name, 0, ErrorKind::Io(e))),
        };
        if opts.mmap {
            if let Some(map) = map_capture(&file) {
                return Self::with_buffer(&name, Buffer::mapped(map), Arc::default(), false);
            }
        }
        // Nothing was read from `file` yet: mapping does not move its
        // position, so the buffered path starts at byte 0.
        Self::from_reader(&name, Box::new(file))
    }

    /// Reads a capture from any byte stream; `name` is used in errors.
    pub fn from_reader(name: &str, r: Box<dyn Read + Send>) -> Result<CaptureReader, CaptureError> {
        let consumed = Arc::new(AtomicU64::new(0));
        let mut raw = Counting {
            inner: r,
            count: Arc::clone(&consumed),
        };
        let mut head = [0u8; 4];
        let mut n = 0;
        while n < head.len() {
            match raw.read(&mut head[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(CaptureError::new(name, 0, ErrorKind::Io(e))),
            }
        }
        let gz = head[..n].starts_with(&GZIP_MAGIC);
        let chained = Cursor::new(head[..n].to_vec()).chain(raw);
        let src: Box<dyn Read + Send> = if gz {
            Box::new(MultiGzDecoder::new(chained))
        } else {
            Box::new(chained)
        };
        Self::with_buffer(name, Buffer::reading(src, READ_BUFFER_SIZE), consumed, gz)
    }

    fn with_buffer(
        name: &str,
        buf: Buffer,
        consumed: Arc<AtomicU64>,
        gz: bool,
    ) -> Result<CaptureReader, CaptureError> {
        let mut reader = CaptureReader {
            name: name.to_string(),
            buf,
            fmt: Format::PcapNg {
                be: false,
                ifaces: Vec::new(),
            },
            consumed,
            gz,
            packets: 0,
            done: false,
            input: 0,
            last_ts: Timestamp::ZERO,
        };
        reader.read_file_header()?;
        Ok(reader)
    }

    /// The memory mapping this reader parses, if it is memory-mapped (see
    /// [`CaptureReader::open`]); `None` for a buffered reader. Every packet
    /// of a mapped reader is a subslice of it: see [`Packet::offset_in`].
    pub fn shared_bytes(&self) -> Option<&SharedBytes> {
        match &self.buf.backing {
            Backing::Mapped { map, .. } => Some(map),
            Backing::Read { .. } => None,
        }
    }

    /// The input's name: the path as given, or `<stdin>`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Bytes of the underlying file read so far (compressed bytes for a
    /// `.gz` input; for a mapped file, the bytes parsed so far): drives a
    /// progress bar against the file size.
    pub fn bytes_consumed(&self) -> u64 {
        match self.buf.backing {
            Backing::Mapped { .. } => self.buf.offset(),
            Backing::Read { .. } => self.consumed.load(Ordering::Relaxed),
        }
    }

    /// Packets delivered so far.
    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// The next packet, `Ok(None)` at the end of the input.
    ///
    /// After an error every later call returns `Ok(None)`; all packets before
    /// the error's offset were delivered. The packet borrows the reader's
    /// buffer until the next call.
    #[inline]
    pub fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        match self.advance()? {
            Some(raw) => Ok(Some(self.view(&raw))),
            None => Ok(None),
        }
    }

    /// Sets the input index stamped on packets (the position in an
    /// [`crate::InputSet`]).
    pub(crate) fn set_input(&mut self, input: u16) {
        self.input = input;
    }

    /// The packet `raw` (returned by the latest [`Self::advance`]) as a view.
    #[inline]
    pub(crate) fn view(&self, raw: &RawPacket) -> Packet<'_> {
        Packet {
            ts: raw.ts,
            linktype: raw.linktype,
            data: &self.buf.bytes()[raw.pos..raw.pos + raw.len as usize],
            wire_len: raw.wire_len,
            interface: raw.interface,
            input: self.input,
        }
    }

    /// Locates the next packet in the buffer.
    #[inline]
    pub(crate) fn advance(&mut self) -> Result<Option<RawPacket>, CaptureError> {
        if self.done {
            return Ok(None);
        }
        self.buf.touch_ahead();
        let r = match self.fmt {
            Format::Pcap { .. } => self.next_pcap(),
            Format::PcapNg { .. } => self.next_pcapng(),
        };
        match r {
            Ok(Some(p)) => {
                self.packets += 1;
                self.last_ts = p.ts;
                Ok(Some(p))
            }
            Ok(None) => {
                self.done = true;
                Ok(None)
            }
            Err(e) => {
                self.done = true;
                Err(e)
            }
        }
    }

    fn err(&self, off: u64, kind: ErrorKind) -> CaptureError {
        CaptureError::new(self.name.as_str(), off, kind)
    }

    /// Makes `need` bytes available for the record at `off`; `Ok(false)` at
    /// the end of the stream. Read errors become `CaptureError`s at `off`.
    #[inline]
    fn fill(&mut self, off: u64, need: usize) -> Result<bool, CaptureError> {
        match self.buf.fill(need) {
            Ok(b) => Ok(b),
            Err(e) => Err(self.io_error(off, e)),
        }
    }

    #[cold]
    fn io_error(&self, off: u64, e: io::Error) -> CaptureError {
        let kind = match e.kind() {
            io::ErrorKind::UnexpectedEof => ErrorKind::Truncated,
            io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput if self.gz => {
                ErrorKind::Corrupt(format!("bad gzip stream: {e}"))
            }
            _ => ErrorKind::Io(e),
        };
        self.err(off, kind)
    }

    /// Reads the magic and the pcap file header or first pcapng section header.
    fn read_file_header(&mut self) -> Result<(), CaptureError> {
        if !self.fill(0, 4)? {
            let head = &self.buf.bytes()[self.buf.start..self.buf.end];
            let kind = if MAGICS.iter().any(|m| m.starts_with(head)) {
                ErrorKind::Truncated
            } else {
                ErrorKind::NotACapture
            };
            return Err(self.err(0, kind));
        }
        let magic = rd32(self.buf.bytes(), self.buf.start, false);
        let (be, nanos, hdr_len) = match magic {
            0xa1b2_c3d4 => (false, false, 16),
            0xd4c3_b2a1 => (true, false, 16),
            0xa1b2_3c4d => (false, true, 16),
            0x4d3c_b2a1 => (true, true, 16),
            0xa1b2_cd34 => (false, false, 24),
            0x34cd_b2a1 => (true, false, 24),
            PCAPNG_SHB => return self.section_header(0),
            _ => return Err(self.err(0, ErrorKind::NotACapture)),
        };
        if !self.fill(0, 24)? {
            return Err(self.err(0, ErrorKind::Truncated));
        }
        let h = &self.buf.bytes()[self.buf.start..self.buf.start + 24];
        let snaplen = rd32(h, 16, be);
        // Upper bits of the link-type field carry FCS information (libpcap's
        // LT_LINKTYPE mask).
        let linktype = rd32(h, 20, be) & 0x03FF_FFFF;
        self.fmt = Format::Pcap {
            be,
            nanos,
            hdr_len,
            linktype,
            caplen_limit: snaplen.clamp(MAX_PCAP_CAPLEN, MAX_BLOCK_LEN as u32),
        };
        self.buf.start += 24;
        Ok(())
    }

    /// Reads a classic pcap record.
    #[inline]
    fn next_pcap(&mut self) -> Result<Option<RawPacket>, CaptureError> {
        let Format::Pcap {
            be,
            nanos,
            hdr_len,
            linktype,
            caplen_limit,
        } = self.fmt
        else {
            return Ok(None);
        };
        let off = self.buf.offset();
        if !self.fill(off, hdr_len)? {
            if self.buf.avail() == 0 {
                return Ok(None);
            }
            return Err(self.err(off, ErrorKind::Truncated));
        }
        let s = self.buf.start;
        let h = &self.buf.bytes()[s..s + hdr_len];
        let secs = u64::from(rd32(h, 0, be));
        let frac = u64::from(rd32(h, 4, be));
        let caplen = rd32(h, 8, be);
        let wire_len = rd32(h, 12, be);
        if caplen > caplen_limit {
            return Err(corrupt(
                &self.name,
                off,
                format!(
                    "record captured length {caplen} exceeds the limit of {caplen_limit} bytes"
                ),
            ));
        }
        let total = hdr_len + caplen as usize;
        if !self.fill(off, total)? {
            return Err(self.err(off, ErrorKind::Truncated));
        }
        let s = self.buf.start;
        self.buf.start = s + total;
        let ts = if nanos {
            Timestamp::from_secs_nanos(secs, frac)
        } else {
            Timestamp::from_secs_micros(secs, frac)
        };
        Ok(Some(RawPacket {
            ts,
            linktype,
            pos: s + hdr_len,
            len: caplen,
            wire_len,
            interface: 0,
        }))
    }

    /// Reads a pcapng section header block at the buffer's start (`off`),
    /// switching to its byte order and forgetting the previous section's
    /// interfaces.
    fn section_header(&mut self, off: u64) -> Result<(), CaptureError> {
        if !self.fill(off, 12)? {
            return Err(self.err(off, ErrorKind::Truncated));
        }
        let s = self.buf.start;
        let be = match self.buf.bytes()[s + 8..s + 12] {
            [0x4d, 0x3c, 0x2b, 0x1a] => false,
            [0x1a, 0x2b, 0x3c, 0x4d] => true,
            _ => {
                return Err(corrupt(
                    &self.name,
                    off,
                    "section header has no valid byte-order magic".to_string(),
                ))
            }
        };
        let blen = rd32(self.buf.bytes(), s + 4, be) as usize;
        if blen < PCAPNG_MIN_SHB_LEN || blen & 3 != 0 || blen > MAX_BLOCK_LEN {
            return Err(corrupt(
                &self.name,
                off,
                format!("bad section header block length {blen}"),
            ));
        }
        if !self.fill(off, blen)? {
            return Err(self.err(off, ErrorKind::Truncated));
        }
        let s = self.buf.start;
        let b = &self.buf.bytes()[s..s + blen];
        if rd32(b, blen - 4, be) as usize != blen {
            return Err(corrupt(
                &self.name,
                off,
                "trailing block length differs from the leading one".to_string(),
            ));
        }
        let major = rd16(b, 12, be);
        if major != 1 {
            return Err(corrupt(
                &self.name,
                off,
                format!("unsupported pcapng major version {major}"),
            ));
        }
        match &mut self.fmt {
            Format::PcapNg { be: cur, ifaces } => {
                *cur = be;
                ifaces.clear();
            }
            Format::Pcap { .. } => {
                self.fmt = Format::PcapNg {
                    be,
                    ifaces: Vec::new(),
                }
            }
        }
        self.buf.start = s + blen;
        Ok(())
    }

    /// Reads pcapng blocks up to and including the next packet block.
    fn next_pcapng(&mut self) -> Result<Option<RawPacket>, CaptureError> {
        loop {
            let off = self.buf.offset();
            if !self.fill(off, 8)? {
                if self.buf.avail() == 0 {
                    return Ok(None);
                }
                return Err(self.err(off, ErrorKind::Truncated));
            }
            let Format::PcapNg { be, .. } = self.fmt else {
                return Ok(None);
            };
            let s = self.buf.start;
            let btype = rd32(self.buf.bytes(), s, be);
            if btype == PCAPNG_SHB {
                self.section_header(off)?;
                continue;
            }
            let blen = rd32(self.buf.bytes(), s + 4, be) as usize;
            if blen < 12 || blen & 3 != 0 {
                return Err(corrupt(
                    &self.name,
                    off,
                    format!("block length {blen} is not a multiple of 4 of at least 12"),
                ));
            }
            if blen > MAX_BLOCK_LEN {
                return Err(corrupt(
                    &self.name,
                    off,
                    format!("block length {blen} exceeds the limit of {MAX_BLOCK_LEN} bytes"),
                ));
            }
            if !self.fill(off, blen)? {
                return Err(self.err(off, ErrorKind::Truncated));
            }
            let s = self.buf.start;
            let block = &self.buf.bytes()[s..s + blen];
            if rd32(block, blen - 4, be) as usize != blen {
                return Err(corrupt(
                    &self.name,
                    off,
                    "trailing block length differs from the leading one".to_string(),
                ));
            }
            let body = &block[8..blen - 4];
            let Format::PcapNg { ifaces, .. } = &mut self.fmt else {
                return Ok(None);
            };
            let packet = match btype {
                PCAPNG_EPB | PCAPNG_OPB => {
                    if body.len() < 20 {
                        return Err(corrupt(
                            &self.name,
                            off,
                            format!("packet block of {blen} bytes is too short"),
                        ));
                    }
                    let id = if btype == PCAPNG_EPB {
                        rd32(body, 0, be)
                    } else {
                        u32::from(rd16(body, 0, be))
                    };
                    let units = (u64::from(rd32(body, 4, be)) << 32) | u64::from(rd32(body, 8, be));
                    let caplen = rd32(body, 12, be);
                    let wire_len = rd32(body, 16, be);
                    if caplen as usize > body.len() - 20 {
                        return Err(corrupt(
                            &self.name,
                            off,
                            format!("captured length {caplen} exceeds the block"),
                        ));
                    }
                    let Some(iface) = ifaces.get(id as usize) else {
                        return Err(corrupt(
                            &self.name,
                            off,
                            format!("packet for unknown interface id {id}"),
                        ));
                    };
                    Some(RawPacket {
                        ts: iface.ts(units),
                        linktype: iface.linktype,
                        pos: s + 28,
                        len: caplen,
                        wire_len,
                        interface: id,
                    })
                }
                PCAPNG_SPB => {
                    if body.len() < 4 {
                        return Err(corrupt(
                            &self.name,
                            off,
                            "simple packet block is too short".to_string(),
                        ));
                    }
                    let Some(iface) = ifaces.first() else {
                        return Err(corrupt(
                            &self.name,
                            off,
                            "simple packet block before any interface".to_string(),
                        ));
                    };
                    let wire_len = rd32(body, 0, be);
                    let room = (body.len() - 4) as u32;
                    let mut caplen = wire_len.min(room);
                    if iface.snaplen != 0 {
                        caplen = caplen.min(iface.snaplen);
                    }
                    Some(RawPacket {
                        // A simple packet block has no timestamp: it takes the
                        // time of the previous packet so packet time never
                        // runs backwards.
                        ts: self.last_ts,
                        linktype: iface.linktype,
                        pos: s + 12,
                        len: caplen,
                        wire_len,
                        interface: 0,
                    })
                }
                PCAPNG_IDB => {
                    if body.len() < 8 {
                        return Err(corrupt(
                            &self.name,
                            off,
                            "interface description block is too short".to_string(),
                        ));
                    }
                    if ifaces.len() >= MAX_INTERFACES {
                        return Err(corrupt(
                            &self.name,
                            off,
                            format!("more than {MAX_INTERFACES} interfaces in one section"),
                        ));
                    }
                    let mut iface = Iface {
                        linktype: u32::from(rd16(body, 0, be)),
                        snaplen: rd32(body, 4, be),
                        unit: TsUnit::MICROS,
                        offset_nanos: 0,
                    };
                    let mut i = 8;
                    while i + 4 <= body.len() {
                        let code = rd16(body, i, be);
                        let len = usize::from(rd16(body, i + 2, be));
                        i += 4;
                        if code == OPT_ENDOFOPT {
                            break;
                        }
                        if len > body.len() - i {
                            return Err(corrupt(
                                &self.name,
                                off,
                                format!("interface option {code} runs past the end of its block"),
                            ));
                        }
                        match code {
                            OPT_IF_TSRESOL if len >= 1 => {
                                iface.unit = TsUnit::from_tsresol(body[i])
                            }
                            OPT_IF_TSOFFSET if len >= 8 => {
                                iface.offset_nanos =
                                    i128::from(rd64(body, i, be) as i64) * 1_000_000_000
                            }
                            _ => {}
                        }
                        i += (len + 3) & !3;
                    }
                    ifaces.push(iface);
                    None
                }
                // Name resolution, interface statistics, decryption secrets,
                // custom and unknown blocks carry no packets.
                _ => None,
            };
            self.buf.start = s + blen;
            if packet.is_some() {
                return Ok(packet);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(bytes: Vec<u8>) -> Result<CaptureReader, CaptureError> {
        CaptureReader::from_reader("t", Box::new(Cursor::new(bytes)))
    }

    #[test]
    fn tsresol_conversions() {
        assert_eq!(TsUnit::from_tsresol(6), TsUnit::Mul(1000));
        assert_eq!(TsUnit::from_tsresol(9), TsUnit::Mul(1));
        assert_eq!(TsUnit::from_tsresol(0), TsUnit::Mul(1_000_000_000));
        assert_eq!(TsUnit::from_tsresol(12), TsUnit::Div(1000));
        assert_eq!(TsUnit::from_tsresol(28), TsUnit::Div(10u64.pow(19)));
        assert_eq!(TsUnit::from_tsresol(29), TsUnit::Zero);
        assert_eq!(TsUnit::from_tsresol(0x7f), TsUnit::Zero);
        assert_eq!(TsUnit::from_tsresol(0x80 | 10), TsUnit::Pow2(10));
        assert_eq!(TsUnit::Mul(1000).to_nanos(1_500_000), 1_500_000_000);
        assert_eq!(TsUnit::Div(1000).to_nanos(7_000_123), 7_000);
        // 2^-10 s units: 1024 units = 1 s, 512 units = 0.5 s.
        assert_eq!(TsUnit::Pow2(10).to_nanos(1024), 1_000_000_000);
        assert_eq!(TsUnit::Pow2(10).to_nanos(512), 500_000_000);
        assert_eq!(TsUnit::Pow2(127).to_nanos(u64::MAX), 0);
        assert_eq!(TsUnit::Pow2(0).to_nanos(u64::MAX), u64::MAX);
        assert_eq!(TsUnit::Mul(1_000_000_000).to_nanos(u64::MAX), u64::MAX);
        assert_eq!(TsUnit::Zero.to_nanos(12345), 0);
    }

    #[test]
    fn tsoffset_clamps() {
        let i = Iface {
            linktype: 1,
            snaplen: 0,
            unit: TsUnit::Mul(1),
            offset_nanos: -5_000_000_000,
        };
        assert_eq!(i.ts(7_000_000_000).as_nanos(), 2_000_000_000);
        assert_eq!(i.ts(1).as_nanos(), 0);
    }

    #[test]
    fn magic_detection() {
        assert!(has_capture_magic(&[0xd4, 0xc3, 0xb2, 0xa1]));
        assert!(has_capture_magic(&[0x1f, 0x8b, 8, 0]));
        assert!(has_capture_magic(&[0x0a, 0x0d, 0x0d, 0x0a]));
        assert!(!has_capture_magic(&[0x0a, 0x0d, 0x0d]));
        assert!(!has_capture_magic(b"# RE"));
        assert!(!has_capture_magic(b""));
    }

    #[test]
    fn literal_pcap_le_micro() {
        let mut f = vec![
            0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0,
            0,
        ];
        // ts 10.000020, caplen 3, wire 60
        f.extend_from_slice(&[
            10, 0, 0, 0, 20, 0, 0, 0, 3, 0, 0, 0, 60, 0, 0, 0, 0xaa, 0xbb, 0xcc,
        ]);
        let mut r = reader(f).unwrap();
        let p = r.next_packet().unwrap().unwrap();
        assert_eq!(p.ts.as_nanos(), 10_000_020_000);
        assert_eq!(p.data, &[0xaa, 0xbb, 0xcc]);
        assert_eq!(
            (p.wire_len, p.linktype, p.interface, p.input),
            (60, 1, 0, 0)
        );
        assert!(r.next_packet().unwrap().is_none());
        assert_eq!(r.packets(), 1);
        assert_eq!(r.bytes_consumed(), 43);
    }

    #[test]
    fn linktype_fcs_bits_are_masked() {
        let mut f = vec![
            0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0,
            0x44,
        ];
        f.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        let mut r = reader(f).unwrap();
        assert_eq!(r.next_packet().unwrap().unwrap().linktype, 1);
    }

    #[test]
    fn short_inputs() {
        let e = reader(vec![]).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Truncated));
        let e = reader(vec![0x0a, 0x0d]).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Truncated));
        let e = reader(vec![b'x']).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::NotACapture));
        let e = reader(vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0]).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Truncated));
        assert_eq!(e.offset(), 0);
    }

    #[test]
    fn buffer_grows_for_big_blocks_and_shifts_tail() {
        let data: Vec<u8> = (0..3_000_000u32).map(|i| i as u8).collect();
        let mut b = Buffer::reading(Box::new(Cursor::new(data)), 16);
        assert!(b.fill(10).unwrap());
        b.start += 10;
        assert!(b.fill(12).unwrap());
        assert_eq!(b.offset(), 10);
        assert_eq!(b.bytes()[b.start], 10);
        assert!(b.fill(2_000_000).unwrap());
        assert!(b.bytes().len() >= 2_000_000 && b.bytes().len() <= MAX_BLOCK_LEN);
        assert_eq!(b.bytes()[b.start + 1_999_999], (2_000_009u32 % 256) as u8);
        b.start += 2_000_000;
        assert!(!b.fill(1_000_000).unwrap());
        assert_eq!(b.avail(), 3_000_000 - 2_000_010);
    }

    #[test]
    fn mapped_buffer_touches_ahead_within_the_mapping() {
        let dir = std::env::temp_dir().join(format!("palisade-touch-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for len in [
            1usize,
            63,
            64,
            65,
            5000,
            TOUCH_AHEAD + 1,
            3 * TOUCH_AHEAD + 7,
        ] {
            let path = dir.join(format!("{len}"));
            std::fs::write(&path, vec![7u8; len]).unwrap();
            let map = crate::mapped::map_file(&std::fs::File::open(&path).unwrap()).unwrap();
            let mut b = Buffer::mapped(map);
            let touched = |b: &Buffer| match b.backing {
                Backing::Mapped { touched, .. } => touched,
                Backing::Read { .. } => unreachable!(),
            };
            assert_eq!((b.start, b.end, b.eof), (0, len, true));
            // a mapping never refills: asking past its end is end of stream
            assert!(b.fill(len).unwrap());
            assert!(!b.fill(len + 1).unwrap());
            b.touch_ahead();
            let t = touched(&b);
            assert!(t >= TOUCH_AHEAD.min(len) && t < TOUCH_AHEAD.min(len) + CACHE_LINE);
            b.touch_ahead();
            assert_eq!(touched(&b), t, "nothing new to touch");
            while b.start < len {
                b.start = (b.start + 1000).min(len);
                b.touch_ahead();
                let want = (b.start + TOUCH_AHEAD).min(len);
                assert!(touched(&b) >= want && touched(&b) < want + CACHE_LINE);
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
