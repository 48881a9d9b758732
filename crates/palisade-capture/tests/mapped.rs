//! Memory-mapped inputs: which inputs are mapped, packets as slices of the
//! mapping, handing them to other threads by reference, the merge, rotation,
//! and the documented truncation hazard.

mod common;

use common::{assert_same_end, gzip, read_all_path, sample_pcap, sample_pcapng, temp_dir, Expect};
use palisade_capture::{
    linktype, CaptureReader, ErrorKind, InputSet, OpenOptions, Packet, PcapWriter, SharedBytes,
};
use palisade_event::Timestamp;
use std::path::{Path, PathBuf};

const BUFFERED: OpenOptions = OpenOptions {
    mmap: false,
    max_open: palisade_capture::MAX_OPEN_INPUTS,
};

#[derive(Debug, PartialEq, Eq)]
struct Got {
    ts: u64,
    input: u16,
    data: Vec<u8>,
    linktype: u32,
}

fn drain(set: &mut InputSet) -> Vec<Got> {
    let mut out = Vec::new();
    while let Some(p) = set.next_packet() {
        out.push(Got {
            ts: p.ts.as_nanos(),
            input: p.input,
            data: p.data.to_vec(),
            linktype: p.linktype,
        });
    }
    out
}

/// A pcap whose packets are `[tag, i, i, ...]` (`len` bytes) at the given
/// microsecond times.
fn pcap_bytes(times_us: &[u64], tag: u8, len: usize) -> Vec<u8> {
    let mut w = PcapWriter::new(Vec::new(), linktype::ETHERNET, 65535).unwrap();
    for (i, t) in times_us.iter().enumerate() {
        let mut d = vec![i as u8; len];
        d[0] = tag;
        w.write_packet(Timestamp::from_nanos(t * 1000), &d, len as u32)
            .unwrap();
    }
    w.finish().unwrap()
}

fn opts(mmap: bool, max_open: usize) -> OpenOptions {
    OpenOptions { mmap, max_open }
}

#[test]
fn open_options_default_maps() {
    let d = OpenOptions::default();
    assert!(d.mmap);
    assert_eq!(d.max_open, palisade_capture::MAX_OPEN_INPUTS);
}

#[test]
fn plain_regular_files_are_mapped_gzip_is_not() {
    let dir = temp_dir("which-mapped");
    std::fs::write(dir.join("a.pcap"), sample_pcap(false, true).bytes).unwrap();
    std::fs::write(dir.join("b.pcapng"), sample_pcapng(true).bytes).unwrap();
    std::fs::write(dir.join("c.pcapng.gz"), gzip(&sample_pcapng(false).bytes)).unwrap();
    let paths = [dir.clone()];

    let (mut mapped, errs) = InputSet::open(&paths);
    assert!(errs.is_empty(), "{errs:?}");
    assert!(mapped.shared_bytes(0).is_some());
    assert!(mapped.shared_bytes(1).is_some());
    assert!(
        mapped.shared_bytes(2).is_none(),
        "gzip is decoded as a stream"
    );
    assert!(mapped.shared_bytes(3).is_none(), "no such input");
    assert!(!SharedBytes::ptr_eq(
        mapped.shared_bytes(0).unwrap(),
        mapped.shared_bytes(1).unwrap()
    ));
    assert_eq!(
        mapped.shared_bytes(0).unwrap().len() as u64,
        std::fs::metadata(dir.join("a.pcap")).unwrap().len()
    );

    let (mut buffered, errs) = InputSet::open_with(&paths, &BUFFERED);
    assert!(errs.is_empty(), "{errs:?}");
    for i in 0..3 {
        assert!(buffered.shared_bytes(i).is_none());
    }
    let total = mapped.total_bytes();
    assert_eq!(total, buffered.total_bytes());
    let a = drain(&mut mapped);
    let b = drain(&mut buffered);
    assert_eq!(a.len(), 4 + 2 * sample_pcapng(false).expect.len());
    assert_eq!(a, b);
    // exhausted inputs are closed and their mappings released
    assert!(mapped.shared_bytes(0).is_none());
    assert_eq!(mapped.bytes_consumed(), total.unwrap());
    assert_eq!(buffered.bytes_consumed(), total.unwrap());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn single_reader_open_with() {
    let dir = temp_dir("reader-open-with");
    let f = sample_pcapng(false);
    let path = dir.join("s.pcapng");
    std::fs::write(&path, &f.bytes).unwrap();
    let r = CaptureReader::open(&path).unwrap();
    assert!(r.shared_bytes().is_some());
    assert!(format!("{r:?}").contains("mapped: true"));
    let r = CaptureReader::open_with(&path, &BUFFERED).unwrap();
    assert!(r.shared_bytes().is_none());

    let (mp, mend, mapped) = read_all_path(&path, &OpenOptions::default());
    let (bp, bend, buffered) = read_all_path(&path, &BUFFERED);
    assert!(mapped && !buffered);
    assert_eq!(mp, f.expect);
    assert_eq!(bp, f.expect);
    assert!(mend.is_ok() && bend.is_ok());

    // progress of a mapped reader: the bytes parsed so far, the whole file
    // at the end
    let mut r = CaptureReader::open(&path).unwrap();
    let first = r.bytes_consumed();
    assert!(first > 0 && first < f.bytes.len() as u64);
    while r.next_packet().unwrap().is_some() {}
    assert_eq!(r.bytes_consumed(), f.bytes.len() as u64);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn empty_and_short_files_fail_the_same_way_mapped_or_not() {
    let dir = temp_dir("empty-mapped");
    for (name, bytes) in [
        ("empty", Vec::new()),
        ("two", vec![0xd4, 0xc3]),
        (
            "header-only",
            sample_pcap(false, false).bytes[..24].to_vec(),
        ),
        ("cut-header", sample_pcap(false, false).bytes[..10].to_vec()),
        ("garbage", b"GET / HTTP/1.1\r\n".to_vec()),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, &bytes).unwrap();
        let file = path.display().to_string();
        let (mp, mend, _) = read_all_path(&path, &OpenOptions::default());
        let (bp, bend, _) = read_all_path(&path, &BUFFERED);
        assert_eq!(mp, bp, "{name}");
        assert_same_end(&bend, &mend, &file, name);
        if name == "empty" {
            let e = mend.unwrap_err();
            assert!(matches!(e.kind(), ErrorKind::Truncated));
            assert_eq!(e.offset(), 0);
        }
        // and through an input set: same open errors
        let (_, me) = InputSet::open(std::slice::from_ref(&path));
        let (_, be) = InputSet::open_with(std::slice::from_ref(&path), &BUFFERED);
        assert_eq!(me.len(), be.len(), "{name}");
        for (m, b) in me.iter().zip(&be) {
            assert_eq!(m.to_string(), b.to_string());
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn packets_are_subslices_of_the_mapping_at_their_record() {
    let dir = temp_dir("subslices");
    for (name, f, data_at) in [
        ("p.pcap", sample_pcap(true, false), 16usize),
        ("n.pcapng", sample_pcapng(false), 0),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, &f.bytes).unwrap();
        let mut r = CaptureReader::open(&path).unwrap();
        let shared = r.shared_bytes().unwrap().clone();
        assert_eq!(&shared[..], &f.bytes[..]);
        let mut i = 0;
        while let Some(p) = r.next_packet().unwrap() {
            let off = p.offset_in(&shared).unwrap();
            let (start, end) = f.spans[i];
            assert!(off >= start && off + p.data.len() <= end, "{name} #{i}");
            if data_at > 0 {
                assert_eq!(off, start + data_at, "{name} #{i}");
            }
            assert_eq!(
                off,
                p.data.as_ptr() as usize - shared.as_ptr() as usize,
                "the documented formula"
            );
            assert_eq!(&shared[off..off + p.data.len()], p.data);
            i += 1;
        }
        assert_eq!(i, f.expect.len());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn offset_in_rejects_bytes_outside_the_mapping() {
    let dir = temp_dir("offset-in");
    let path = dir.join("a.pcap");
    std::fs::write(&path, sample_pcap(false, false).bytes).unwrap();
    let mut a = CaptureReader::open(&path).unwrap();
    let b = CaptureReader::open(&path).unwrap();
    let mut buffered = CaptureReader::open_with(&path, &BUFFERED).unwrap();
    let ma = a.shared_bytes().unwrap().clone();
    let mb = b.shared_bytes().unwrap().clone();
    assert!(!SharedBytes::ptr_eq(&ma, &mb));

    let p = a.next_packet().unwrap().unwrap();
    assert!(p.offset_in(&ma).is_some());
    // the same file mapped twice is two mappings
    assert_eq!(p.offset_in(&mb), None);
    let q = buffered.next_packet().unwrap().unwrap();
    assert_eq!(q.data, p.data);
    assert_eq!(q.offset_in(&ma), None);

    // edges: the whole mapping, an empty slice at its end, a heap slice
    let mut fake = Packet { data: &ma[..], ..p };
    assert_eq!(fake.offset_in(&ma), Some(0));
    fake.data = &ma[ma.len()..];
    assert_eq!(fake.offset_in(&ma), Some(ma.len()));
    let heap = vec![0u8; 64];
    fake.data = &heap;
    assert_eq!(fake.offset_in(&ma), None);
    // subslices of another mapping: found in it, not in this one
    let long_path = dir.join("long.pcap");
    let mut long = sample_pcap(false, false).bytes;
    long.extend_from_slice(&[0; 100]);
    std::fs::write(&long_path, &long).unwrap();
    let long_reader = CaptureReader::open(&long_path).unwrap();
    let ml = long_reader.shared_bytes().unwrap();
    fake.data = &ml[10..20];
    assert_eq!(fake.offset_in(ml), Some(10));
    assert_eq!(fake.offset_in(&ma), None);
    fake.data = &ml[ml.len() - 1..];
    assert_eq!(fake.offset_in(ml), Some(ml.len() - 1));
    assert_eq!(fake.offset_in(&ma), None);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// What a dispatcher does: keep (mapping, offset, length) per packet instead
/// of the bytes, then read them on another thread after the input set and
/// the files are gone.
#[test]
fn clones_outlive_the_set_and_the_files_and_cross_threads() {
    let dir = temp_dir("outlive");
    let a = pcap_bytes(&[1, 3, 5, 7], 0xa, 300);
    let b = pcap_bytes(&[2, 4, 6], 0xb, 5000);
    std::fs::write(dir.join("a.pcap"), &a).unwrap();
    std::fs::write(dir.join("b.pcap"), &b).unwrap();
    let (mut set, errs) = InputSet::open(std::slice::from_ref(&dir));
    assert!(errs.is_empty());
    let mut maps: Vec<SharedBytes> = Vec::new();
    let mut refs: Vec<(usize, usize, usize)> = Vec::new();
    let mut want: Vec<Vec<u8>> = Vec::new();
    // the packet borrows the set: note where it is, then ask for the
    // mapping (its input stays open until the next call)
    while let Some(p) = set.next_packet() {
        let (input, addr, len) = (p.input, p.data.as_ptr() as usize, p.data.len());
        want.push(p.data.to_vec());
        let m = set.shared_bytes(input).expect("plain files are mapped");
        let off = addr - m.as_ptr() as usize;
        assert!(off + len <= m.len());
        let k = match maps.iter().position(|x| SharedBytes::ptr_eq(x, m)) {
            Some(k) => k,
            None => {
                maps.push(m.clone());
                maps.len() - 1
            }
        };
        refs.push((k, off, len));
    }
    assert_eq!(maps.len(), 2);
    assert_eq!(refs.len(), 7);
    drop(set);
    std::fs::remove_dir_all(&dir).unwrap();
    let got = std::thread::spawn(move || {
        refs.iter()
            .map(|&(k, off, len)| maps[k][off..off + len].to_vec())
            .collect::<Vec<_>>()
    })
    .join()
    .unwrap();
    assert_eq!(got, want);
    let tags: Vec<u8> = got.iter().map(|d| d[0]).collect();
    assert_eq!(tags, [0xa, 0xb, 0xa, 0xb, 0xa, 0xb, 0xa]);
}

/// Reads the directory with every combination of mapping and parking; the
/// merged stream is the same, and every packet lies in its input's mapping.
#[test]
fn merge_with_mapped_and_parked_inputs() {
    let dir = temp_dir("merge-mapped");
    std::fs::write(dir.join("1.pcap"), pcap_bytes(&[5, 9, 13], 1, 80)).unwrap();
    std::fs::write(dir.join("2.pcap"), pcap_bytes(&[1, 2, 30], 2, 70)).unwrap();
    std::fs::write(dir.join("3.pcap.gz"), gzip(&pcap_bytes(&[3, 9, 12], 3, 60))).unwrap();
    std::fs::write(dir.join("4.pcap"), pcap_bytes(&[0, 40], 4, 90)).unwrap();
    let paths = [dir.clone()];
    let mut reference: Option<Vec<Got>> = None;
    for mmap in [false, true] {
        for max_open in [64, 2, 1] {
            let (mut set, errs) = InputSet::open_with(&paths, &opts(mmap, max_open));
            assert!(errs.is_empty());
            let mut got = Vec::new();
            let mut mapped_packets = 0;
            while let Some(p) = set.next_packet() {
                let (input, addr, len) = (p.input, p.data.as_ptr() as usize, p.data.len());
                got.push(Got {
                    ts: p.ts.as_nanos(),
                    input: p.input,
                    data: p.data.to_vec(),
                    linktype: p.linktype,
                });
                // the input of the packet just delivered is open (it may
                // have been parked and reopened, mapped anew)
                match set.shared_bytes(input) {
                    Some(m) => {
                        assert!(mmap && input != 2, "input {input} mapped");
                        let base = m.as_ptr() as usize;
                        assert!(addr >= base && addr + len <= base + m.len());
                        mapped_packets += 1;
                    }
                    None => assert!(!mmap || input == 2, "input {input} not mapped"),
                }
            }
            assert_eq!(mapped_packets, if mmap { 8 } else { 0 });
            let ts: Vec<u64> = got.iter().map(|g| g.ts / 1000).collect();
            assert_eq!(ts, [0, 1, 2, 3, 5, 9, 9, 12, 13, 30, 40]);
            // the tie at 9 goes to the lower input index
            assert_eq!(got[5].input, 0);
            assert_eq!(got[6].input, 2);
            match &reference {
                None => reference = Some(got),
                Some(r) => assert_eq!(&got, r, "mmap {mmap} max_open {max_open}"),
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn rotation_by_rename_and_append_are_safe() {
    let dir = temp_dir("rotate");
    let path = dir.join("live.pcap");
    let old = pcap_bytes(&[1, 2, 3, 4], 0xa, 4000);
    std::fs::write(&path, &old).unwrap();
    let mut r = CaptureReader::open(&path).unwrap();
    assert!(r.shared_bytes().is_some());
    assert_eq!(r.next_packet().unwrap().unwrap().data[0], 0xa);

    // appended after opening: not seen (the mapping has the opening size),
    // and the end is clean
    let mut grown = old.clone();
    grown.extend_from_slice(&pcap_bytes(&[5], 0xa, 100)[24..]);
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(&grown[old.len()..]).unwrap();
    }
    // rotated: renamed away, a new file in its place, then the old one
    // deleted
    std::fs::rename(&path, dir.join("live.pcap.1")).unwrap();
    std::fs::write(&path, pcap_bytes(&[9, 9], 0xb, 60)).unwrap();
    std::fs::remove_file(dir.join("live.pcap.1")).unwrap();

    let mut rest = Vec::new();
    while let Some(p) = r.next_packet().unwrap() {
        rest.push((p.ts.as_nanos() / 1000, p.data[0], p.data.len()));
    }
    assert_eq!(rest, [(2, 0xa, 4000), (3, 0xa, 4000), (4, 0xa, 4000)]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
fn mkfifo(path: &Path) -> bool {
    std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// A named pipe is not a regular file: it is read through a buffer.
#[cfg(unix)]
#[test]
fn pipes_are_read_through_a_buffer() {
    let dir = temp_dir("fifo");
    let path = dir.join("pipe");
    if !mkfifo(&path) {
        eprintln!("mkfifo unavailable: skipped");
        return;
    }
    let f = sample_pcapng(true);
    let bytes = f.bytes.clone();
    let p2 = path.clone();
    let writer = std::thread::spawn(move || std::fs::write(&p2, bytes).unwrap());
    let (mut set, errs) = InputSet::open(std::slice::from_ref(&path));
    assert!(errs.is_empty(), "{errs:?}");
    assert!(set.shared_bytes(0).is_none());
    let got: Vec<Expect> = {
        let mut v = Vec::new();
        while let Some(p) = set.next_packet() {
            v.push(Expect {
                ts: p.ts.as_nanos(),
                linktype: p.linktype,
                data: p.data.to_vec(),
                wire_len: p.wire_len,
                interface: p.interface,
            });
        }
        v
    };
    writer.join().unwrap();
    assert_eq!(got, f.expect);
    assert!(set.take_errors().is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

const SIGBUS_CHILD: &str = "PALISADE_CAPTURE_SIGBUS_CHILD";

/// The hazard the crate docs state, checked: a mapped file truncated by
/// someone else while it is being read kills the reader with SIGBUS. Runs in
/// a child process (this same test binary, with core dumps off), which must
/// die of that signal.
#[cfg(target_os = "linux")]
#[test]
fn truncating_a_mapped_file_raises_sigbus() {
    use std::os::unix::process::ExitStatusExt;
    if let Some(path) = std::env::var_os(SIGBUS_CHILD) {
        sigbus_child(Path::new(&path));
    }
    let dir = temp_dir("sigbus");
    let path: PathBuf = dir.join("victim.pcap");
    let victim = pcap_bytes(&[1, 2, 3, 4, 5, 6, 7, 8], 0xa, 9000);
    std::fs::write(&path, &victim).unwrap();
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(r#"ulimit -c 0; exec "$0" "$@""#)
        .arg(exe)
        .args([
            "--exact",
            "truncating_a_mapped_file_raises_sigbus",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(SIGBUS_CHILD, &path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("child: truncated"), "{stdout}");
    const SIGBUS: i32 = 7;
    assert_eq!(
        out.status.signal(),
        Some(SIGBUS),
        "{:?}\n{stdout}",
        out.status
    );
    // with mapping off the same sequence is an ordinary end of input
    assert_eq!(
        std::fs::metadata(&path).unwrap().len(),
        0,
        "the child truncated it"
    );
    std::fs::write(&path, &victim).unwrap();
    let mut r = CaptureReader::open_with(&path, &BUFFERED).unwrap();
    r.next_packet().unwrap().unwrap();
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(0)
        .unwrap();
    let mut n = 1;
    let end = loop {
        match r.next_packet() {
            Ok(Some(_)) => n += 1,
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    assert!(n <= 8);
    // whatever was buffered before the truncation is delivered; then either
    // a clean end or a Truncated error
    if let Err(e) = end {
        assert!(matches!(e.kind(), ErrorKind::Truncated), "{e}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(target_os = "linux")]
fn sigbus_child(path: &Path) -> ! {
    let mut r = CaptureReader::open(path).unwrap();
    assert!(r.shared_bytes().is_some());
    r.next_packet().unwrap().unwrap();
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(0)
        .unwrap();
    println!("child: truncated");
    let mut sum = 0u64;
    while let Ok(Some(p)) = r.next_packet() {
        sum += p.data.iter().map(|&b| u64::from(b)).sum::<u64>();
    }
    println!("child: no SIGBUS (sum {sum})");
    std::process::exit(0);
}
