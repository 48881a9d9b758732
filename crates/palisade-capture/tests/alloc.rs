//! Memory behaviour, measured with a counting global allocator: no
//! allocation per packet in steady state, and no allocation sized by a
//! hostile length field.

mod common;

use common::{gzip, temp_dir, File};
use palisade_capture::{
    linktype, CaptureReader, ErrorKind, InputSet, OpenOptions, PcapNgWriter, PcapWriter,
};
use palisade_event::Timestamp;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::Cursor;

struct Counting;

thread_local! {
    // Per thread, so tests running in parallel do not see each other.
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

fn note(size: usize) {
    let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
    let _ = LARGEST.try_with(|m| {
        if size > m.get() {
            m.set(size)
        }
    });
}

// SAFETY: forwards every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        // SAFETY: same contract as our caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as our caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs() -> u64 {
    ALLOCS.with(|c| c.get())
}

fn reset_largest() {
    LARGEST.with(|m| m.set(0));
}

fn largest() -> usize {
    LARGEST.with(|m| m.get())
}

const N: u64 = 60_000;

fn big_pcap() -> Vec<u8> {
    let mut w = PcapWriter::new_nanos(Vec::new(), linktype::ETHERNET, 65535).unwrap();
    for i in 0..N {
        let len = 40 + (i % 97) as usize;
        w.write_packet(
            Timestamp::from_nanos(i * 1000),
            &vec![i as u8; len],
            len as u32,
        )
        .unwrap();
    }
    w.finish().unwrap()
}

fn big_pcapng() -> Vec<u8> {
    let mut w = PcapNgWriter::new(Vec::new()).unwrap();
    w.add_interface(linktype::ETHERNET, 0, None, false).unwrap();
    w.add_interface(linktype::RAW, 0, Some("tun0"), true)
        .unwrap();
    for i in 0..N {
        let len = 40 + (i % 89) as usize;
        w.write_packet(
            (i % 2) as u32,
            Timestamp::from_nanos(i * 1000),
            &vec![i as u8; len],
            len as u32,
        )
        .unwrap();
    }
    w.finish().unwrap()
}

#[test]
fn steady_state_reading_does_not_allocate() {
    for (name, bytes) in [
        ("pcap", big_pcap()),
        ("pcapng", big_pcapng()),
        ("pcapng.gz", gzip(&big_pcapng())),
    ] {
        assert!(bytes.len() > 4 << 20 || name.ends_with(".gz"));
        let mut r = CaptureReader::from_reader(name, Box::new(Cursor::new(bytes))).unwrap();
        for _ in 0..100 {
            r.next_packet().unwrap().unwrap();
        }
        let before = allocs();
        let mut n = 100u64;
        let mut sum = 0u64;
        while let Some(p) = r.next_packet().unwrap() {
            sum += u64::from(p.data[0]);
            n += 1;
        }
        let after = allocs();
        assert_eq!(n, N, "{name}");
        assert!(sum > 0);
        assert_eq!(after - before, 0, "{name}: allocations while reading");
    }
}

#[test]
fn steady_state_mapped_reading_does_not_allocate() {
    let dir = temp_dir("alloc-mapped");
    for (name, bytes) in [("a.pcap", big_pcap()), ("b.pcapng", big_pcapng())] {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let mut r = CaptureReader::open(&path).unwrap();
        assert!(r.shared_bytes().is_some(), "{name} is mapped");
        for _ in 0..100 {
            r.next_packet().unwrap().unwrap();
        }
        let before = allocs();
        let mut n = 100u64;
        let mut sum = 0u64;
        while let Some(p) = r.next_packet().unwrap() {
            sum += u64::from(p.data[0]);
            n += 1;
        }
        let after = allocs();
        assert_eq!(n, N, "{name}");
        assert!(sum > 0);
        assert_eq!(after - before, 0, "{name}: allocations while reading");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn steady_state_merge_does_not_allocate() {
    let dir = temp_dir("alloc-merge");
    std::fs::write(dir.join("a.pcap"), big_pcap()).unwrap();
    std::fs::write(dir.join("b.pcapng"), big_pcapng()).unwrap();
    std::fs::write(dir.join("c.pcap"), big_pcap()).unwrap();
    for mmap in [true, false] {
        let opts = OpenOptions {
            mmap,
            ..OpenOptions::default()
        };
        let (mut set, errs) = InputSet::open_with(std::slice::from_ref(&dir), &opts);
        assert!(errs.is_empty());
        for i in 0..3 {
            assert_eq!(set.shared_bytes(i).is_some(), mmap);
        }
        for _ in 0..100 {
            set.next_packet().unwrap();
        }
        let before = allocs();
        let mut n = 100u64;
        let mut last = 0;
        while let Some(p) = set.next_packet() {
            assert!(p.ts.as_nanos() >= last);
            last = p.ts.as_nanos();
            n += 1;
        }
        let after = allocs();
        assert_eq!(n, 3 * N);
        // closing an exhausted input frees, never allocates; allow nothing
        assert_eq!(after - before, 0, "allocations while merging (mmap {mmap})");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn huge_declared_lengths_do_not_allocate() {
    // pcapng: a 4 GiB block length is Corrupt, with no big allocation
    let mut f = File::new_ng(false);
    f.idb(1, 0, &[]);
    f.epb(0, 1, &[1, 2, 3], 3, 1000, 1);
    let at = f.bytes.len();
    f.epb(0, 2, &[4, 5, 6], 3, 2000, 1);
    f.bytes[at + 4..at + 8].copy_from_slice(&0xFFFF_FFFCu32.to_le_bytes());
    let bytes = f.bytes.clone();
    reset_largest();
    let mut r = CaptureReader::from_reader("huge", Box::new(Cursor::new(bytes))).unwrap();
    assert_eq!(r.next_packet().unwrap().unwrap().data, &[1, 2, 3]);
    let e = r.next_packet().unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Corrupt(_)), "{e}");
    assert_eq!(e.offset(), at as u64);
    assert!(largest() <= 2 << 20, "largest allocation {}", largest());

    // pcapng: 15 MiB declared (under the bound) in a short file: Truncated,
    // and the buffer did not grow to the declared size
    let mut b = f.bytes.clone();
    b[at + 4..at + 8].copy_from_slice(&(15u32 << 20).to_le_bytes());
    reset_largest();
    let mut r = CaptureReader::from_reader("short", Box::new(Cursor::new(b))).unwrap();
    r.next_packet().unwrap().unwrap();
    let e = r.next_packet().unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Truncated), "{e}");
    assert!(largest() <= 2 << 20, "largest allocation {}", largest());

    // pcap: a 4 GiB captured length
    let mut f = File::pcap(false, 0xa1b2_c3d4, 65535, 1);
    f.record(1, 0, false, &[1], 1, 1, false);
    let at = f.bytes.len();
    f.record(2, 0, false, &[2], 1, 1, false);
    f.bytes[at + 8..at + 12].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    reset_largest();
    let mut r = CaptureReader::from_reader("huge.pcap", Box::new(Cursor::new(f.bytes))).unwrap();
    r.next_packet().unwrap().unwrap();
    let e = r.next_packet().unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Corrupt(_)), "{e}");
    assert_eq!(e.offset(), at as u64);
    assert!(largest() <= 2 << 20, "largest allocation {}", largest());
}

#[test]
fn many_interfaces_are_bounded() {
    let mut f = File::new_ng(true);
    for _ in 0..palisade_capture::MAX_INTERFACES + 1 {
        f.idb(1, 0, &[]);
    }
    let e = common::read_all(&f.bytes).1.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Corrupt(m) if m.contains("interfaces")));
    assert_eq!(
        e.offset(),
        (32 + 20 * palisade_capture::MAX_INTERFACES) as u64
    );
}
