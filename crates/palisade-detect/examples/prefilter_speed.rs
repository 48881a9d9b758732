//! Prints each prefilter of a rule set with its pattern count, memory and
//! scan speed over pseudo-random bytes and over a text-like buffer.
//! `cargo run --release -p palisade-detect --example prefilter_speed -- FILE.rules...`
use palisade_detect::prefilter::CandidateSet;
use palisade_detect::{BuildOptions, RuleSet, RuleSource};
use std::time::Instant;

fn main() {
    let sources: Vec<RuleSource> = std::env::args()
        .skip(1)
        .map(|p| RuleSource {
            text: std::fs::read_to_string(&p).unwrap_or_default(),
            name: p,
        })
        .collect();
    let (set, report) = RuleSet::build(&sources, &BuildOptions::default());
    println!(
        "{} rules loaded in {:.2} s",
        report.loaded, report.build_seconds
    );
    let random = palisade_detect::prefilter::pseudo_random_bytes(16 << 20);
    let text: Vec<u8> = b"GET /index.html HTTP/1.1\r\nHost: example.com\r\nUser-Agent: Mozilla/5.0\r\nAccept: */*\r\n\r\n{\"temp\": 21.5, \"device\": \"sensor-0042\"}\n"
        .iter()
        .cycle()
        .take(16 << 20)
        .copied()
        .collect();
    let mut c = CandidateSet::with_capacity(set.len());
    for (name, pf) in set.prefilters() {
        let mut line = format!(
            "{name:<28} {:>6} patterns {:>8} KiB",
            pf.patterns(),
            pf.memory_usage() / 1024
        );
        for (what, buf) in [("random", &random), ("text", &text)] {
            let t = Instant::now();
            for chunk in buf.chunks(1460) {
                c.clear();
                pf.scan(chunk, &mut c);
            }
            let mbs = buf.len() as f64 / t.elapsed().as_secs_f64() / 1e6;
            line.push_str(&format!("  {what} {mbs:>7.0} MB/s"));
        }
        println!("{line}");
    }
}
