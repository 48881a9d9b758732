//! Truncated, corrupted and oddly delivered inputs: never a panic, exact
//! offsets, and every complete packet before a fault delivered.

mod common;

use common::{
    assert_same_end, gzip, is_truncated, read_all, read_all_mapped, sample_pcap, sample_pcapng,
    temp_dir, File, Rng,
};
use palisade_capture::{CaptureReader, ErrorKind};
use std::io::{self, Read};

fn samples() -> Vec<(&'static str, File)> {
    let mut modified = File::pcap(true, 0xa1b2_cd34, 65535, 113);
    modified.record(1, 2, false, &[1, 2, 3, 4, 5], 5, 113, true);
    modified.record(3, 4, false, &[6; 9], 9, 113, true);
    vec![
        ("pcap-le-us", sample_pcap(false, false)),
        ("pcap-be-ns", sample_pcap(true, true)),
        ("pcap-modified-be", modified),
        ("pcapng-le-first", sample_pcapng(false)),
        ("pcapng-be-first", sample_pcapng(true)),
    ]
}

#[test]
fn truncation_at_every_offset() {
    let dir = temp_dir("truncation");
    for (name, f) in samples() {
        let len = f.bytes.len();
        let path = dir.join(format!("{name}.cap"));
        let file = path.display().to_string();
        for cut in 0..=len {
            let (pkts, end) = read_all(&f.bytes[..cut]);
            // the same bytes as a memory-mapped file: the same packets and
            // the same end, error kind and offset
            let (mpkts, mend) = read_all_mapped(&f.bytes[..cut], &path);
            assert_eq!(mpkts, pkts, "{name} mapped, cut at {cut}");
            assert_same_end(&end, &mend, &file, &format!("{name} mapped, cut at {cut}"));
            let complete = f.spans.iter().filter(|s| s.1 <= cut).count();
            assert_eq!(pkts, f.expect[..complete], "{name} cut at {cut}");
            if f.bounds.contains(&cut) {
                assert!(end.is_ok(), "{name} cut at boundary {cut}: {:?}", end);
            } else {
                let e = end.expect_err("a cut inside a record is an error");
                assert!(is_truncated(&e), "{name} cut at {cut}: {e}");
                let start = f
                    .bounds
                    .iter()
                    .copied()
                    .filter(|&b| b < cut)
                    .max()
                    .unwrap_or(0);
                assert_eq!(e.offset(), start as u64, "{name} cut at {cut}: {e}");
                assert!(e.offset() <= cut as u64);
                assert_eq!(e.file(), "mem");
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn gzip_truncation_at_every_offset() {
    for (name, f) in samples() {
        let gz = gzip(&f.bytes);
        for cut in 0..gz.len() {
            let (pkts, end) = read_all(&gz[..cut]);
            assert!(pkts.len() <= f.expect.len());
            assert_eq!(pkts, f.expect[..pkts.len()], "{name} gz cut at {cut}");
            let e = end.expect_err("a cut gzip stream is an error");
            assert!(
                matches!(e.kind(), ErrorKind::Truncated | ErrorKind::Corrupt(_)),
                "{name} gz cut at {cut}: {e}"
            );
        }
        assert_eq!(read_all(&gz).0, f.expect);
    }
}

#[test]
fn random_byte_flips_never_panic() {
    let dir = temp_dir("flips");
    let path = dir.join("flipped.cap");
    let file = path.display().to_string();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let files: Vec<Vec<u8>> = samples().into_iter().map(|(_, f)| f.bytes).collect();
    let mut outcomes = [0usize; 2];
    for round in 0..6000 {
        let mut b = files[round % files.len()].clone();
        for _ in 0..1 + rng.below(6) {
            let i = rng.below(b.len());
            b[i] = rng.next() as u8;
        }
        if round % 7 == 3 {
            // some truncated as well
            let cut = rng.below(b.len() + 1);
            b.truncate(cut);
        }
        if round % 11 == 5 {
            b = gzip(&b);
        }
        let (pkts, end) = read_all(&b);
        outcomes[usize::from(end.is_ok())] += 1;
        for p in &pkts {
            assert!(p.data.len() <= b.len() || round % 11 == 5);
        }
        // through a memory-mapped file (gzip rounds: the buffered file path)
        let (mpkts, mend) = read_all_mapped(&b, &path);
        assert_eq!(mpkts, pkts, "round {round} mapped");
        assert_same_end(&end, &mend, &file, &format!("round {round} mapped"));
    }
    // both outcomes happened: the flips reached the parser's checks
    assert!(outcomes[0] > 100 && outcomes[1] > 100, "{outcomes:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn flips_in_gzip_streams_never_panic() {
    let mut rng = Rng(42);
    let gz = gzip(&sample_pcapng(false).bytes);
    for _ in 0..1500 {
        let mut b = gz.clone();
        let i = rng.below(b.len());
        b[i] ^= 1 << rng.below(8);
        let (pkts, _) = read_all(&b);
        assert!(pkts.len() <= 64);
    }
}

/// Delivers one byte per read, and sometimes `Interrupted`.
struct Trickle {
    data: Vec<u8>,
    pos: usize,
    n: u64,
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.n += 1;
        if self.n % 5 == 4 {
            return Err(io::Error::new(io::ErrorKind::Interrupted, "again"));
        }
        if self.pos >= self.data.len() || buf.is_empty() {
            return Ok(0);
        }
        buf[0] = self.data[self.pos];
        self.pos += 1;
        Ok(1)
    }
}

#[test]
fn byte_at_a_time_reader_gives_the_same_packets() {
    for (name, f) in samples() {
        let len = f.bytes.len();
        let src = Trickle {
            data: f.bytes.clone(),
            pos: 0,
            n: 0,
        };
        let mut r = CaptureReader::from_reader(name, Box::new(src)).unwrap();
        let mut got = Vec::new();
        while let Some(p) = r.next_packet().unwrap() {
            got.push((p.ts.as_nanos(), p.data.to_vec(), p.linktype));
        }
        let want: Vec<_> = f
            .expect
            .iter()
            .map(|e| (e.ts, e.data.clone(), e.linktype))
            .collect();
        assert_eq!(got, want, "{name}");
        assert_eq!(r.bytes_consumed(), len as u64);
    }
}

/// Fails with a real I/O error after `ok` bytes.
struct Failing {
    data: Vec<u8>,
    pos: usize,
    ok: usize,
}

impl Read for Failing {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.ok {
            return Err(io::Error::other("disk on fire"));
        }
        let n = buf.len().min(self.ok - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[test]
fn io_error_mid_file_keeps_earlier_packets() {
    let f = sample_pcapng(false);
    let stop = f.spans[3].0 + 5;
    let src = Failing {
        data: f.bytes.clone(),
        pos: 0,
        ok: stop,
    };
    let mut r = CaptureReader::from_reader("failing", Box::new(src)).unwrap();
    for want in &f.expect[..3] {
        let p = r.next_packet().unwrap().unwrap();
        assert_eq!(p.data, &want.data[..]);
    }
    let e = r.next_packet().unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Io(_)));
    assert!(e.offset() <= stop as u64);
    assert!(e.to_string().contains("disk on fire"));
    assert!(r.next_packet().unwrap().is_none());
}
