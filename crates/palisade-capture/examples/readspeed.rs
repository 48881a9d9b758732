//! Reads captures through an `InputSet` and prints packets per second.
//!
//! `cargo run --release -p palisade-capture --example readspeed -- [--no-mmap] [--handoff] FILE_OR_DIR...`
//!
//! With no file argument, it writes a 2-million-packet pcap and pcapng to the
//! temporary directory and reads those. `--no-mmap` reads every input
//! through the read buffer instead of memory-mapping plain files.
//!
//! By default each packet's length is summed and its middle byte read.
//! `--handoff` instead does what the scan pipeline's dispatcher does to hand
//! packets to a worker: it fills batches of 64, recording (mapping, offset,
//! length) for a packet of a memory-mapped input and copying the bytes of any
//! other packet, and recycles each full batch (no worker reads it, so this
//! measures the dispatcher's side only).

use palisade_capture::{linktype, InputSet, OpenOptions, PcapNgWriter, PcapWriter, SharedBytes};
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

/// A dispatcher's batch for one worker: packets by reference into a mapping,
/// or copied.
#[derive(Default)]
struct Batch {
    maps: Vec<SharedBytes>,
    /// (map index or u32::MAX for copied, offset, length)
    refs: Vec<(u32, usize, usize)>,
    copied: Vec<u8>,
}

impl Batch {
    const PACKETS: usize = 64;

    fn push(&mut self, data: &[u8], mapped: Option<(&SharedBytes, usize)>) {
        match mapped {
            Some((m, off)) => {
                let k = match self.maps.last() {
                    Some(last) if SharedBytes::ptr_eq(last, m) => self.maps.len() - 1,
                    _ => {
                        self.maps.push(m.clone());
                        self.maps.len() - 1
                    }
                };
                self.refs.push((k as u32, off, data.len()));
            }
            None => {
                self.refs.push((u32::MAX, self.copied.len(), data.len()));
                self.copied.extend_from_slice(data);
            }
        }
    }

    fn full(&self) -> bool {
        self.refs.len() >= Self::PACKETS
    }

    fn recycle(&mut self) {
        self.maps.clear();
        self.refs.clear();
        self.copied.clear();
    }
}

fn main() -> std::io::Result<()> {
    let mut opts = OpenOptions::default();
    let mut handoff = false;
    let mut args: Vec<PathBuf> = Vec::new();
    for a in std::env::args_os().skip(1) {
        if a == "--no-mmap" {
            opts.mmap = false;
        } else if a == "--handoff" {
            handoff = true;
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
        let mut batch = Batch::default();
        // mappings learnt per input (a packet borrows the set, so the
        // mapping of its input is looked up after it)
        let mut maps: Vec<Option<SharedBytes>> = vec![None; set.inputs().len()];
        let mut relearn = None;
        loop {
            if let Some(i) = relearn.take() {
                maps[i] = set.shared_bytes(i as u16).cloned();
            }
            let Some(p) = set.next_packet() else { break };
            n += 1;
            bytes += p.data.len() as u64;
            if handoff {
                let input = usize::from(p.input);
                let m = maps[input]
                    .as_ref()
                    .and_then(|m| p.offset_in(m).map(|off| (m, off)));
                if m.is_none() && opts.mmap {
                    relearn = Some(input);
                }
                batch.push(p.data, m);
                if batch.full() {
                    check = check.wrapping_add(batch.refs.len() as u64);
                    batch.recycle();
                }
            } else {
                check = check.wrapping_add(u64::from(p.data[p.data.len() / 2]));
            }
        }
        for e in set.take_errors() {
            eprintln!("{e}");
        }
        // the last clones of the mappings go here: unmapping is part of the
        // cost
        drop((maps, batch));
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{:?} ({mapped} mapped{}): {n} packets, {:.1} MB in {secs:.3} s: {:.2} Mpps, {:.0} MB/s (check {check})",
            set.inputs(),
            if handoff { ", handoff" } else { "" },
            bytes as f64 / 1e6,
            n as f64 / secs / 1e6,
            bytes as f64 / secs / 1e6
        );
    }
    Ok(())
}
