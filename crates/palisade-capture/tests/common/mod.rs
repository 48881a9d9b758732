//! Hand-built capture files for the tests: every byte order, resolution and
//! block type, with the byte span of every packet record recorded so tests
//! know exactly which packets a prefix of the file holds.
#![allow(dead_code)]

use palisade_capture::{CaptureError, CaptureReader, ErrorKind, OpenOptions};
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

/// A packet as a test expects to read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expect {
    pub ts: u64,
    pub linktype: u32,
    pub data: Vec<u8>,
    pub wire_len: u32,
    pub interface: u32,
}

/// A capture file under construction.
#[derive(Default)]
pub struct File {
    pub be: bool,
    pub bytes: Vec<u8>,
    /// Byte span of each packet record, in file order.
    pub spans: Vec<(usize, usize)>,
    /// Offsets where a header, record or block ends: a file cut there is a
    /// valid (shorter) file.
    pub bounds: Vec<usize>,
    pub expect: Vec<Expect>,
}

impl File {
    pub fn u16(&mut self, v: u16) {
        let b = if self.be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.bytes.extend_from_slice(&b);
    }
    pub fn u32(&mut self, v: u32) {
        let b = if self.be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.bytes.extend_from_slice(&b);
    }
    pub fn u64(&mut self, v: u64) {
        let b = if self.be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.bytes.extend_from_slice(&b);
    }
    fn pad(&mut self) {
        while self.bytes.len() & 3 != 0 {
            self.bytes.push(0);
        }
    }

    // ---- classic pcap ----

    /// A pcap header: `magic` is written in the file's byte order.
    pub fn pcap(be: bool, magic: u32, snaplen: u32, linktype: u32) -> File {
        let mut f = File {
            be,
            ..File::default()
        };
        f.u32(magic);
        f.u16(2);
        f.u16(4);
        f.u32(0);
        f.u32(0);
        f.u32(snaplen);
        f.u32(linktype);
        f.bounds.push(24);
        f
    }

    /// A pcap record; `frac` is micro- or nanoseconds as the magic says.
    /// `extra` adds the 8 bytes of the "modified" format.
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &mut self,
        secs: u32,
        frac: u32,
        nanos: bool,
        data: &[u8],
        wire: u32,
        linktype: u32,
        extra: bool,
    ) {
        let start = self.bytes.len();
        self.u32(secs);
        self.u32(frac);
        self.u32(data.len() as u32);
        self.u32(wire);
        if extra {
            self.u32(7);
            self.u16(0x0800);
            self.bytes.extend_from_slice(&[0, 0]);
        }
        self.bytes.extend_from_slice(data);
        self.spans.push((start, self.bytes.len()));
        self.bounds.push(self.bytes.len());
        let ts = u64::from(secs) * 1_000_000_000 + u64::from(frac) * if nanos { 1 } else { 1000 };
        self.expect.push(Expect {
            ts,
            linktype,
            data: data.to_vec(),
            wire_len: wire,
            interface: 0,
        });
    }

    // ---- pcapng ----

    /// A block with the given type and body (padded to 4).
    pub fn block(&mut self, btype: u32, body: &[u8]) -> (usize, usize) {
        let start = self.bytes.len();
        let len = 12 + ((body.len() + 3) & !3);
        self.u32(btype);
        self.u32(len as u32);
        self.bytes.extend_from_slice(body);
        self.pad();
        self.u32(len as u32);
        self.bounds.push(self.bytes.len());
        (start, self.bytes.len())
    }

    /// Starts a new section in byte order `be`.
    pub fn shb(&mut self, be: bool) {
        self.be = be;
        self.u32(0x0A0D_0D0A);
        self.u32(32);
        self.u32(0x1A2B_3C4D);
        self.u16(1);
        self.u16(0);
        self.u64(u64::MAX);
        // one empty option list terminator
        self.u32(0);
        self.u32(32);
        self.bounds.push(self.bytes.len());
    }

    pub fn new_ng(be: bool) -> File {
        let mut f = File::default();
        f.shb(be);
        f
    }

    /// Interface description block; `opts` are (code, value) pairs.
    pub fn idb(&mut self, linktype: u16, snaplen: u32, opts: &[(u16, Vec<u8>)]) {
        let mut body = File {
            be: self.be,
            ..File::default()
        };
        body.u16(linktype);
        body.u16(0);
        body.u32(snaplen);
        for (code, v) in opts {
            body.u16(*code);
            body.u16(v.len() as u16);
            body.bytes.extend_from_slice(v);
            body.pad();
        }
        if !opts.is_empty() {
            body.u32(0);
        }
        self.block(1, &body.bytes);
    }

    /// Enhanced packet block; `ts` is the expected time in nanoseconds.
    pub fn epb(&mut self, iface: u32, units: u64, data: &[u8], wire: u32, ts: u64, linktype: u32) {
        let mut body = File {
            be: self.be,
            ..File::default()
        };
        body.u32(iface);
        body.u32((units >> 32) as u32);
        body.u32(units as u32);
        body.u32(data.len() as u32);
        body.u32(wire);
        body.bytes.extend_from_slice(data);
        body.pad();
        // an epb_flags option, ignored by the reader
        body.u16(2);
        body.u16(4);
        body.u32(1);
        body.u32(0);
        let span = self.block(6, &body.bytes);
        self.push(span, ts, linktype, data, wire, iface);
    }

    /// Obsolete packet block (type 2).
    pub fn opb(&mut self, iface: u16, units: u64, data: &[u8], wire: u32, ts: u64, linktype: u32) {
        let mut body = File {
            be: self.be,
            ..File::default()
        };
        body.u16(iface);
        body.u16(0);
        body.u32((units >> 32) as u32);
        body.u32(units as u32);
        body.u32(data.len() as u32);
        body.u32(wire);
        body.bytes.extend_from_slice(data);
        let span = self.block(2, &body.bytes);
        self.push(span, ts, linktype, data, wire, u32::from(iface));
    }

    /// Simple packet block holding `data` (padded), declaring `wire`;
    /// `expect_len` is what the reader must deliver and `ts` the time it
    /// must carry (the previous packet's).
    pub fn spb(&mut self, data: &[u8], wire: u32, expect_len: usize, ts: u64, linktype: u32) {
        let mut body = File {
            be: self.be,
            ..File::default()
        };
        body.u32(wire);
        body.bytes.extend_from_slice(data);
        let span = self.block(3, &body.bytes);
        self.push(span, ts, linktype, &data[..expect_len], wire, 0);
    }

    fn push(
        &mut self,
        span: (usize, usize),
        ts: u64,
        linktype: u32,
        data: &[u8],
        wire: u32,
        iface: u32,
    ) {
        self.spans.push(span);
        self.expect.push(Expect {
            ts,
            linktype,
            data: data.to_vec(),
            wire_len: wire,
            interface: iface,
        });
    }
}

/// Reads a whole input from memory: the packets and how it ended.
pub fn read_all(bytes: &[u8]) -> (Vec<Expect>, Result<(), CaptureError>) {
    let mut out = Vec::new();
    let mut r = match CaptureReader::from_reader("mem", Box::new(Cursor::new(bytes.to_vec()))) {
        Ok(r) => r,
        Err(e) => return (out, Err(e)),
    };
    loop {
        match r.next_packet() {
            Ok(Some(p)) => out.push(Expect {
                ts: p.ts.as_nanos(),
                linktype: p.linktype,
                data: p.data.to_vec(),
                wire_len: p.wire_len,
                interface: p.interface,
            }),
            Ok(None) => return (out, Ok(())),
            Err(e) => {
                // after an error, nothing more
                assert!(matches!(r.next_packet(), Ok(None)));
                return (out, Err(e));
            }
        }
    }
}

/// Reads a whole input from a file opened with `opts`: the packets, how it
/// ended, and whether the reader was memory-mapped. Checks that a mapped
/// reader's packets are slices of its mapping.
pub fn read_all_path(
    path: &Path,
    opts: &OpenOptions,
) -> (Vec<Expect>, Result<(), CaptureError>, bool) {
    let mut out = Vec::new();
    let mut r = match CaptureReader::open_with(path, opts) {
        Ok(r) => r,
        Err(e) => return (out, Err(e), false),
    };
    let shared = r.shared_bytes().cloned();
    loop {
        match r.next_packet() {
            Ok(Some(p)) => {
                if let Some(m) = &shared {
                    let off = p.offset_in(m).expect("a mapped packet lies in its mapping");
                    assert_eq!(&m[off..off + p.data.len()], p.data);
                }
                out.push(Expect {
                    ts: p.ts.as_nanos(),
                    linktype: p.linktype,
                    data: p.data.to_vec(),
                    wire_len: p.wire_len,
                    interface: p.interface,
                })
            }
            Ok(None) => return (out, Ok(()), shared.is_some()),
            Err(e) => {
                assert!(matches!(r.next_packet(), Ok(None)));
                return (out, Err(e), shared.is_some());
            }
        }
    }
}

/// Writes `bytes` to `path` and reads it back memory-mapped (asserting that
/// it was mapped unless it is empty or gzip).
pub fn read_all_mapped(bytes: &[u8], path: &Path) -> (Vec<Expect>, Result<(), CaptureError>) {
    // A new file each time: rewriting (truncating) one would make ext4 flush
    // it to disk on close, thousands of times.
    let _ = std::fs::remove_file(path);
    std::fs::write(path, bytes).unwrap();
    let (pkts, end, mapped) = read_all_path(path, &OpenOptions::default());
    std::fs::remove_file(path).unwrap();
    let mappable = !bytes.is_empty() && !bytes.starts_with(&[0x1f, 0x8b]);
    // (a reader that failed to open reports `false`)
    assert!(
        mapped == mappable || end.is_err() && pkts.is_empty(),
        "mapped {mapped}"
    );
    (pkts, end)
}

/// Asserts that two ways of reading the same bytes ended the same way: both
/// fine, or the same error kind, message and offset. `file` is the name the
/// second error must carry.
pub fn assert_same_end(
    a: &Result<(), CaptureError>,
    b: &Result<(), CaptureError>,
    file: &str,
    what: &str,
) {
    match (a, b) {
        (Ok(()), Ok(())) => {}
        (Err(x), Err(y)) => {
            assert_eq!(x.offset(), y.offset(), "{what}: {x} vs {y}");
            assert_eq!(
                x.kind().to_string(),
                y.kind().to_string(),
                "{what}: {x} vs {y}"
            );
            assert_eq!(
                std::mem::discriminant(x.kind()),
                std::mem::discriminant(y.kind()),
                "{what}"
            );
            assert_eq!(y.file(), file, "{what}");
        }
        _ => panic!("{what}: {a:?} vs {b:?}"),
    }
}

/// Reads a whole input that must be valid.
pub fn read_ok(bytes: &[u8]) -> Vec<Expect> {
    let (pkts, end) = read_all(bytes);
    if let Err(e) = end {
        panic!("unexpected error: {e}");
    }
    pkts
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

pub fn is_truncated(e: &CaptureError) -> bool {
    matches!(e.kind(), ErrorKind::Truncated)
}

/// A fresh, empty temporary directory for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("palisade-capture-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Deterministic pseudo-random numbers (xorshift64*).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A sample pcapng covering most of the format: two sections of opposite
/// byte order, interfaces with different link types and resolutions, every
/// packet block type and blocks the reader must skip.
pub fn sample_pcapng(first_be: bool) -> File {
    let mut f = File::new_ng(first_be);
    // iface 0: Ethernet, microseconds, snaplen 0
    f.idb(1, 0, &[(2, b"eth0".to_vec())]);
    // iface 1: raw IP, nanoseconds, tsoffset +100 s
    let mut offset = Vec::new();
    offset.extend_from_slice(&if f.be {
        100i64.to_be_bytes()
    } else {
        100i64.to_le_bytes()
    });
    f.idb(101, 65535, &[(9, vec![9]), (14, offset)]);
    // iface 2: SLL2, 2^-10 s units
    f.idb(276, 65535, &[(9, vec![0x80 | 10])]);
    f.epb(
        0,
        1_700_000_000_123_456,
        &[1, 2, 3, 4, 5],
        60,
        1_700_000_000_123_456_000,
        1,
    );
    // name resolution block (10.0.0.1 = "a"): skipped
    let mut nrb = File {
        be: f.be,
        ..File::default()
    };
    nrb.u16(1);
    nrb.u16(6);
    nrb.bytes.extend_from_slice(&[10, 0, 0, 1, b'a', 0, 0, 0]);
    nrb.u32(0);
    f.block(4, &nrb.bytes);
    f.epb(
        1,
        1_700_000_000_999_999_999,
        &[0x45, 0, 0, 20],
        20,
        1_700_000_100_999_999_999,
        101,
    );
    f.epb(
        2,
        1_700_000_001 * 1024 + 512,
        &[9; 7],
        7,
        1_700_000_001_500_000_000,
        276,
    );
    // interface statistics block, custom block, unknown block: skipped
    f.block(5, &[0; 12]);
    f.block(0x0000_0BAD, &[0, 0, 0, 1, 0xde, 0xad]);
    f.block(0x4000_0BAD, &[0, 0, 0, 1]);
    f.block(0x0000_7777, &[]);
    // decryption secrets block: skipped
    f.block(10, &[0x4b, 0x53, 0x4c, 0x54, 0, 0, 0, 0]);
    f.opb(
        0,
        1_700_000_002_000_001,
        &[0xaa; 3],
        3,
        1_700_000_002_000_001_000,
        1,
    );
    f.spb(&[0xbb; 6], 6, 6, 1_700_000_002_000_001_000, 1);
    // second section, opposite byte order: interface ids start again
    f.shb(!first_be);
    f.idb(228, 96, &[(9, vec![3])]);
    f.epb(
        0,
        1_700_000_003_250,
        &[0x45; 9],
        1500,
        1_700_000_003_250_000_000,
        228,
    );
    // SPB of a packet cut at the snaplen: captured length is min(wire, snaplen)
    f.spb(&[0xcc; 96], 1500, 96, 1_700_000_003_250_000_000, 228);
    // SPB whose wire length is shorter than the room: the padding is dropped
    f.spb(&[0xdd; 5], 5, 5, 1_700_000_003_250_000_000, 228);
    f
}

/// A sample classic pcap in the given byte order and resolution.
pub fn sample_pcap(be: bool, nanos: bool) -> File {
    let magic = if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
    let mut f = File::pcap(be, magic, 65535, 1);
    let frac = |x: u32| if nanos { x * 1000 + 7 } else { x };
    f.record(1_600_000_000, frac(1), nanos, &[1, 2, 3], 3, 1, false);
    f.record(
        1_600_000_000,
        frac(999_999),
        nanos,
        &[4; 60],
        1514,
        1,
        false,
    );
    f.record(1_600_000_005, frac(0), nanos, &[], 0, 1, false);
    f.record(1_600_000_006, frac(42), nanos, &[5; 17], 17, 1, false);
    f
}
