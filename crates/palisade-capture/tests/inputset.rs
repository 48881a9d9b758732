//! Directories, several inputs, the time-ordered merge, and errors per input.

mod common;

use common::{gzip, temp_dir, File};
use palisade_capture::{linktype, ErrorKind, InputSet, PcapNgWriter, PcapWriter};
use palisade_event::Timestamp;
use std::path::PathBuf;

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

fn pcap_bytes(times_us: &[u64], tag: u8) -> Vec<u8> {
    let mut w = PcapWriter::new(Vec::new(), linktype::ETHERNET, 65535).unwrap();
    for (i, t) in times_us.iter().enumerate() {
        w.write_packet(Timestamp::from_nanos(t * 1000), &[tag, i as u8], 60)
            .unwrap();
    }
    w.finish().unwrap()
}

#[test]
fn directory_merges_in_time_order() {
    let dir = temp_dir("merge");
    std::fs::write(dir.join("b.pcap"), pcap_bytes(&[1, 4, 5, 9], 0xb)).unwrap();
    std::fs::write(dir.join("a.pcap"), pcap_bytes(&[2, 3, 5, 10, 11], 0xa)).unwrap();
    std::fs::create_dir(dir.join("sub")).unwrap();
    let mut ng = PcapNgWriter::new(Vec::new()).unwrap();
    ng.add_interface(linktype::RAW, 0, None, true).unwrap();
    for t in [0u64, 6, 12] {
        ng.write_packet(0, Timestamp::from_nanos(t * 1000), &[0xc, t as u8], 2)
            .unwrap();
    }
    std::fs::write(dir.join("sub/c.pcapng.gz"), gzip(&ng.finish().unwrap())).unwrap();
    std::fs::write(dir.join("README.txt"), b"not a capture").unwrap();
    std::fs::write(dir.join("empty"), b"").unwrap();

    let (mut set, errs) = InputSet::open(std::slice::from_ref(&dir));
    assert!(errs.is_empty(), "{errs:?}");
    let names = set.inputs();
    assert_eq!(names.len(), 3);
    assert!(names[0].ends_with("a.pcap"));
    assert!(names[1].ends_with("b.pcap"));
    assert!(names[2].ends_with("sub/c.pcapng.gz"));
    let mut skipped: Vec<_> = set.skipped().to_vec();
    skipped.sort();
    assert_eq!(skipped, vec![dir.join("README.txt"), dir.join("empty")]);

    let total: u64 = ["a.pcap", "b.pcap", "sub/c.pcapng.gz"]
        .iter()
        .map(|f| std::fs::metadata(dir.join(f)).unwrap().len())
        .sum();
    assert_eq!(set.total_bytes(), Some(total));

    let got = drain(&mut set);
    let order: Vec<(u64, u16, u8)> = got
        .iter()
        .map(|g| (g.ts / 1000, g.input, g.data[0]))
        .collect();
    assert_eq!(
        order,
        vec![
            (0, 2, 0xc),
            (1, 1, 0xb),
            (2, 0, 0xa),
            (3, 0, 0xa),
            (4, 1, 0xb),
            (5, 0, 0xa), // tie at 5: lower input index first
            (5, 1, 0xb),
            (6, 2, 0xc),
            (9, 1, 0xb),
            (10, 0, 0xa),
            (11, 0, 0xa),
            (12, 2, 0xc),
        ]
    );
    assert_eq!(got[0].linktype, linktype::RAW);
    assert_eq!(got[1].linktype, linktype::ETHERNET);
    assert_eq!(got[1].data, vec![0xb, 0]);
    assert!(set.next_packet().is_none());
    assert!(set.take_errors().is_empty());
    assert_eq!(set.bytes_consumed(), total);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn parked_inputs_merge_the_same() {
    let dir = temp_dir("parked");
    let mut paths = Vec::new();
    for i in 0..9u64 {
        // files overlapping in pairs, as rolled files with slack would
        let times: Vec<u64> = (0..20).map(|k| i * 10 + k).collect();
        let p = dir.join(format!("roll-{i:02}.pcap"));
        std::fs::write(&p, pcap_bytes(&times, i as u8)).unwrap();
        paths.push(p);
    }
    let (mut all_open, e1) = InputSet::open_with_max_open(std::slice::from_ref(&dir), 64);
    let (mut parked, e2) = InputSet::open_with_max_open(std::slice::from_ref(&dir), 1);
    assert!(e1.is_empty() && e2.is_empty());
    let a = drain(&mut all_open);
    let b = drain(&mut parked);
    assert_eq!(a.len(), 180);
    assert_eq!(a, b);
    assert!(a
        .windows(2)
        .all(|w| (w[0].ts, w[0].input) <= (w[1].ts, w[1].input)));
    assert_eq!(parked.bytes_consumed(), parked.total_bytes().unwrap());
    assert_eq!(all_open.bytes_consumed(), all_open.total_bytes().unwrap());

    // a parked file that disappears before it is reached: an error, others go on
    let (mut set, _) = InputSet::open_with_max_open(&paths[..3], 1);
    std::fs::remove_file(&paths[2]).unwrap();
    let got = drain(&mut set);
    assert_eq!(got.len(), 40);
    let errs = set.take_errors();
    assert_eq!(errs.len(), 1);
    assert!(errs[0].file().ends_with("roll-02.pcap"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn failing_inputs_do_not_stop_the_others() {
    let dir = temp_dir("failing");
    let good = dir.join("good.pcap");
    std::fs::write(&good, pcap_bytes(&[1, 2, 3, 4], 1)).unwrap();
    // a file cut in its third record
    let mut cut = File::pcap(false, 0xa1b2_c3d4, 65535, 1);
    cut.record(0, 5, false, &[2, 0], 60, 1, false);
    cut.record(0, 6, false, &[2, 1], 60, 1, false);
    cut.record(0, 7, false, &[2, 2], 60, 1, false);
    let third = cut.spans[2].0;
    let bad = dir.join("cut.pcap");
    std::fs::write(&bad, &cut.bytes[..cut.bytes.len() - 1]).unwrap();
    let garbage = dir.join("garbage.pcap");
    std::fs::write(&garbage, b"definitely not a capture").unwrap();
    let missing = dir.join("missing.pcap");

    let (mut set, errs) =
        InputSet::open(&[good.clone(), missing.clone(), bad.clone(), garbage.clone()]);
    assert_eq!(errs.len(), 2);
    assert_eq!(errs[0].file(), missing.display().to_string());
    assert!(matches!(errs[0].kind(), ErrorKind::Io(_)));
    assert_eq!(errs[1].file(), garbage.display().to_string());
    assert!(matches!(errs[1].kind(), ErrorKind::NotACapture));
    assert_eq!(
        set.inputs(),
        vec![good.display().to_string(), bad.display().to_string()]
    );

    let got = drain(&mut set);
    let seen: Vec<(u64, u16)> = got.iter().map(|g| (g.ts / 1000, g.input)).collect();
    assert_eq!(seen, vec![(1, 0), (2, 0), (3, 0), (4, 0), (5, 1), (6, 1)]);
    let errs = set.take_errors();
    assert_eq!(errs.len(), 1);
    assert!(matches!(errs[0].kind(), ErrorKind::Truncated));
    assert_eq!(errs[0].offset(), third as u64);
    assert_eq!(errs[0].file(), bad.display().to_string());
    assert!(set.take_errors().is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn single_input_and_explicit_files() {
    let dir = temp_dir("single");
    let p = dir.join("x.cap");
    std::fs::write(&p, pcap_bytes(&[7, 3, 9], 4)).unwrap();
    let (mut set, errs) = InputSet::open(std::slice::from_ref(&p));
    assert!(errs.is_empty());
    // a single input keeps file order even when time runs backwards
    let got = drain(&mut set);
    assert_eq!(
        got.iter().map(|g| g.ts / 1000).collect::<Vec<_>>(),
        vec![7, 3, 9]
    );
    assert!(got.iter().all(|g| g.input == 0));

    // an empty capture (header only) is a valid input with no packets
    let e = dir.join("empty.pcap");
    std::fs::write(&e, pcap_bytes(&[], 0)).unwrap();
    let (mut set, errs) = InputSet::open(&[e, p]);
    assert!(errs.is_empty());
    assert_eq!(drain(&mut set).len(), 3);
    assert!(set.take_errors().is_empty());

    let (mut set, errs) = InputSet::open(&[PathBuf::from("/nonexistent/dir")]);
    assert_eq!(errs.len(), 1);
    assert!(set.next_packet().is_none());
    assert!(set.inputs().is_empty());
    assert_eq!(set.total_bytes(), Some(0));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn symlinked_directories_are_not_followed() {
    let dir = temp_dir("symlink");
    std::fs::write(dir.join("a.pcap"), pcap_bytes(&[1], 1)).unwrap();
    std::os::unix::fs::symlink(&dir, dir.join("loop")).unwrap();
    std::os::unix::fs::symlink(dir.join("a.pcap"), dir.join("b.pcap")).unwrap();
    let (mut set, errs) = InputSet::open(std::slice::from_ref(&dir));
    assert!(errs.is_empty());
    assert_eq!(set.inputs().len(), 2);
    assert_eq!(set.skipped(), &[dir.join("loop")]);
    assert_eq!(drain(&mut set).len(), 2);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The child half of `stdin_input`: runs only when re-executed with the
/// environment variable set and a capture on standard input.
#[test]
fn stdin_child() {
    if std::env::var_os("PALISADE_STDIN_CHILD").is_none() {
        return;
    }
    let (mut set, errs) = InputSet::open(&[PathBuf::from("-")]);
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(set.total_bytes(), None);
    assert_eq!(set.inputs(), vec!["<stdin>".to_string()]);
    let got = drain(&mut set);
    let times: Vec<u64> = got.iter().map(|g| g.ts / 1000).collect();
    println!("STDIN-PACKETS={times:?} BYTES={}", set.bytes_consumed());
}

#[test]
fn stdin_input() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let bytes = gzip(&pcap_bytes(&[1, 2, 3], 9));
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "stdin_child", "--nocapture", "--test-threads=1"])
        .env("PALISADE_STDIN_CHILD", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let want = format!("STDIN-PACKETS=[1, 2, 3] BYTES={}", bytes.len());
    assert!(stdout.contains(&want), "{stdout}");
}
