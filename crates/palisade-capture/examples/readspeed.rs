//! Reads captures through an `InputSet` and prints packets per second.
//!
//! `cargo run --release -p palisade-capture --example readspeed -- [--no-mmap] FILE_OR_DIR...`
//! With no file argument, it writes a 2-million-packet pcap and pcapng to the
//! temporary directory and reads those. `--no-mmap` reads every input
//! through the read buffer instead of memory-mapping plain files.

use palisade_capture::{linktype, InputSet, OpenOptions, PcapNgWriter, PcapWriter};
use palisade_event::Timestamp;
use std::io::BufWriter;
use std::path::PathBuf;
use std::time::Instant;

fn synthetic() -> std::io::Result<Vec<PathBuf>> {
    let dir = std::env::temp_dir();
    let pcap = dir.join("palisade-readspeed.pcap");
    let ng = dir.join("palisade-readspeed.pcapng");
    let mut w = PcapWriter::new(
        BufWriter::new(std::fs::File::create(&pcap)?),
        linktype::ETHERNET,
        65535,
    )?;
    let mut n = PcapNgWriter::new(BufWriter::new(std::fs::File::create(&ng)?))?;
    n.add_interface(linktype::ETHERNET, 0, None, true)?;
    let data = [0x5au8; 1514];
    for i in 0..2_000_000u64 {
        let len = [60usize, 74, 590, 1514][(i % 4) as usize];
        let ts = Timestamp::from_nanos(1_700_000_000_000_000_000 + i * 1000);
        w.write_packet(ts, &data[..len], len as u32)?;
        n.write_packet(0, ts, &data[..len], len as u32)?;
    }
    w.finish()?;
    n.finish()?;
    Ok(vec![pcap, ng])
}

fn main() -> std::io::Result<()> {
    let mut opts = OpenOptions::default();
    let mut args: Vec<PathBuf> = Vec::new();
    for a in std::env::args_os().skip(1) {
        if a == "--no-mmap" {
            opts.mmap = false;
        } else {
            args.push(PathBuf::from(a));
        }
    }
    let runs: Vec<Vec<PathBuf>> = if args.is_empty() {
        let files = synthetic()?;
        vec![vec![files[0].clone()], vec![files[1].clone()], files]
    } else {
        vec![args]
    };
    for paths in runs {
        let start = Instant::now();
        let (mut set, errs) = InputSet::open_with(&paths, &opts);
        for e in errs {
            eprintln!("{e}");
        }
        // open inputs that are memory-mapped (parked ones are not open yet)
        let mapped = (0..set.inputs().len())
            .filter(|&i| set.shared_bytes(i as u16).is_some())
            .count();
        let (mut n, mut bytes, mut check) = (0u64, 0u64, 0u64);
        while let Some(p) = set.next_packet() {
            n += 1;
            bytes += p.data.len() as u64;
            check = check.wrapping_add(u64::from(p.data[p.data.len() / 2]));
        }
        for e in set.take_errors() {
            eprintln!("{e}");
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{:?} ({mapped} mapped): {n} packets, {:.1} MB in {secs:.3} s: {:.2} Mpps, {:.0} MB/s (check {check})",
            set.inputs(),
            bytes as f64 / 1e6,
            n as f64 / secs / 1e6,
            bytes as f64 / secs / 1e6
        );
    }
    Ok(())
}
