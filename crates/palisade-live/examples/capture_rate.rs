//! Counts packets per second from a live source, for load tests.
//!
//! ```text
//! capture_rate SOURCE [SECONDS] [WORKERS]
//!   SOURCE   an interface (eth0) or a mirror (vxlan://0.0.0.0:4789, tzsp://...)
//!   SECONDS  how long to count (default 10)
//!   WORKERS  sockets on the interface sharing it by PACKET_FANOUT (default 1)
//! ```
//!
//! Prints, per worker and in total, packets and bytes handed out, the rate,
//! and the kernel's received/dropped counters (AF_PACKET). Needs
//! CAP_NET_RAW for interfaces. Example:
//! `cargo run -p palisade-live --example capture_rate -- eth0 10 2`.

use std::time::{Duration, Instant};

use palisade_live::{AfPacketConfig, LiveSource, LiveStats, SourceSpec};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(source) = args.first() else {
        eprintln!("usage: capture_rate SOURCE [SECONDS] [WORKERS]");
        std::process::exit(2);
    };
    let secs: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(10);
    let workers: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1).max(1);
    let spec = if source.contains("://") || source == "vxlan" || source == "tzsp" {
        SourceSpec::mirror(source)
    } else {
        SourceSpec::interface(source)
    };
    let spec = spec.unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2);
    });
    if workers > 1 && !matches!(spec, SourceSpec::Interface(_)) {
        eprintln!("several workers need an interface (PACKET_FANOUT)");
        std::process::exit(2);
    }
    let cfg = AfPacketConfig {
        fanout_group: (workers > 1).then_some((std::process::id() & 0xffff) as u16),
        ..AfPacketConfig::default()
    };
    // open every socket before counting, so the fanout group is complete
    let mut sources = Vec::new();
    for _ in 0..workers {
        match spec.open(&cfg) {
            Ok(s) => sources.push(s),
            Err(e) => {
                eprintln!("{spec}: {e}");
                std::process::exit(1);
            }
        }
    }
    let run = Duration::from_secs(secs);
    let start = Instant::now();
    let results: Vec<Result<LiveStats, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = sources
            .into_iter()
            .map(|mut src| {
                scope.spawn(move || {
                    src.stats().map_err(|e| e.to_string())?; // reset kernel counters
                    let end = start + run;
                    loop {
                        let now = Instant::now();
                        if now >= end {
                            break;
                        }
                        let wait = (end - now).min(Duration::from_millis(100));
                        if let Err(e) = src.next(wait) {
                            eprintln!("{e}");
                        }
                    }
                    src.stats().map_err(|e| e.to_string())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err("worker panicked".into())))
            .collect()
    });
    let elapsed = start.elapsed().as_secs_f64().max(1e-9);
    let mut total = LiveStats::default();
    for (i, r) in results.iter().enumerate() {
        match r {
            Ok(s) => {
                report(&format!("worker {i}"), s, elapsed);
                total.packets += s.packets;
                total.bytes += s.bytes;
                total.kernel_packets += s.kernel_packets;
                total.kernel_drops += s.kernel_drops;
                total.kernel_freeze_q += s.kernel_freeze_q;
                total.invalid += s.invalid;
                total.ignored += s.ignored;
            }
            Err(e) => eprintln!("worker {i}: {e}"),
        }
    }
    if results.len() > 1 {
        report("total", &total, elapsed);
    }
}

fn report(who: &str, s: &LiveStats, secs: f64) {
    println!(
        "{who}: {} packets, {} bytes in {secs:.1} s = {:.0} packets/s, {:.1} Mbit/s; \
         kernel: {} received, {} dropped, {} freezes; invalid {}, ignored {}",
        s.packets,
        s.bytes,
        s.packets as f64 / secs,
        s.bytes as f64 * 8.0 / secs / 1e6,
        s.kernel_packets,
        s.kernel_drops,
        s.kernel_freeze_q,
        s.invalid,
        s.ignored
    );
}
