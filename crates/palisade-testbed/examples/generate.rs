//! Generates a capture and its labels from the command line, and reports the
//! generation speed:
//!
//! ```text
//! cargo run --release -p palisade-testbed --example generate -- \
//!     SCENARIO SEED OUT.pcap LABELS.json [DEVICES] [DURATION] [PACKETS]
//! ```
//!
//! (`palisade testbed generate` is the real command line; this example is
//! for benchmarking the generator alone.)

use palisade_testbed::{generate, parse_duration, ScenarioConfig};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 4 {
        eprintln!(
            "usage: generate SCENARIO SEED OUT.pcap LABELS.json [DEVICES] [DURATION] [PACKETS]"
        );
        std::process::exit(2);
    }
    let mut cfg = ScenarioConfig {
        scenario: args[0].clone(),
        seed: args[1].parse()?,
        ..Default::default()
    };
    if let Some(d) = args.get(4) {
        cfg.devices = d.parse()?;
    }
    if let Some(d) = args.get(5) {
        cfg.duration_secs = parse_duration(d)?;
    }
    if let Some(p) = args.get(6) {
        cfg.max_packets = Some(p.parse()?);
    }
    let t = Instant::now();
    let labels = generate(&cfg, std::fs::File::create(&args[2])?)?;
    let secs = t.elapsed().as_secs_f64();
    std::fs::write(&args[3], serde_json::to_string_pretty(&labels)?)?;
    eprintln!(
        "{} packets, {} bytes in {:.2} s: {:.0} packets/s, {:.0} MB/s; conversations {:?}",
        labels.packets,
        labels.bytes,
        secs,
        labels.packets as f64 / secs,
        labels.bytes as f64 / secs / 1e6,
        labels.conversations
    );
    Ok(())
}
