//! The decode-only floor: read every packet of the inputs and decode it,
//! nothing else. `scripts/bench.sh` prints it beside the full pipeline so the
//! cost of flow tracking and output is visible.
//!
//! Usage: decode_floor CAPTURE...   (prints one JSON object)

use palisade_capture::{InputSet, OpenOptions};
use palisade_wire::{DecodedPacket, Decoder, DecoderConfig, Link};
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let paths: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if paths.is_empty() {
        eprintln!("usage: decode_floor CAPTURE...");
        std::process::exit(2);
    }
    let started = Instant::now();
    // buffered reads, as `palisade scan` does by default
    let opts = OpenOptions {
        mmap: false,
        ..OpenOptions::default()
    };
    let (mut inputs, errors) = InputSet::open_with(&paths, &opts);
    for e in &errors {
        eprintln!("{e}");
    }
    let mut dec = Decoder::new(DecoderConfig::default());
    let (mut packets, mut bytes, mut frames) = (0u64, 0u64, 0u64);
    while let Some(p) = inputs.next_packet() {
        let mut d = DecodedPacket::default();
        dec.decode(Link::from_linktype(p.linktype), p.data, p.wire_len, &mut d);
        frames += d.frame_count as u64;
        packets += 1;
        bytes += p.data.len() as u64;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{{\"packets\":{packets},\"bytes\":{bytes},\"frames\":{frames},\"elapsed_seconds\":{secs},\"packets_per_second\":{},\"gbit_per_second\":{}}}",
        packets as f64 / secs,
        bytes as f64 * 8.0 / secs / 1e9
    );
}
