//! Memory of the flood and scan detectors under a spoofed SYN flood: feeds
//! N SYNs from N distinct random sources (default 10,000,000) to one
//! victim through `scan`, `mirai-fingerprint` and `ddos`, and prints the
//! process's peak resident memory (VmHWM) as the flood goes on, with the
//! alerts raised.
//!
//!   cargo run --release -p palisade-detectors --example flood_memory -- [N] [PPS]

use palisade_detectors::{
    ddos::{Ddos, DdosConfig},
    mirai::{Mirai, MiraiConfig},
    scan::{Scan, ScanConfig},
    DetectorAlert, DetectorSet, Emit, Observation, PacketObs,
};
use palisade_event::{FindingRecord, Timestamp};
use std::net::{IpAddr, Ipv4Addr};

#[derive(Default)]
struct Count {
    alerts: Vec<(u32, &'static str, String)>,
}

impl Emit for Count {
    fn alert(&mut self, a: DetectorAlert) {
        self.alerts
            .push((a.sid, a.phase.name(), a.tuple.dest_ip.to_string()));
    }
    fn finding(&mut self, _: FindingRecord) {}
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n = args.first().copied().unwrap_or(10_000_000);
    let pps = args.get(1).copied().unwrap_or(100_000);
    let mut set = DetectorSet::new(vec![
        Box::new(Scan::new(ScanConfig::default())),
        Box::new(Mirai::new(MiraiConfig::default())),
        Box::new(Ddos::new(DdosConfig::default())),
    ]);
    let victim = IpAddr::V4(Ipv4Addr::new(10, 10, 0, 7));
    let mut out = Count::default();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let start = 1_767_600_000u64 * 1_000_000_000;
    println!("{:>12} {:>14} {:>8}", "SYNs", "peak RSS KiB", "alerts");
    let mut ts = Timestamp::from_nanos(start);
    for i in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let src = IpAddr::V4(Ipv4Addr::from((x >> 16) as u32 | 0x6400_0000));
        ts = Timestamp::from_nanos(start + i * 1_000_000_000 / pps);
        let p = PacketObs {
            ts,
            flow_id: Some(i),
            src,
            dst: victim,
            sport: (x & 0xffff) as u16 | 1024,
            dport: 80,
            proto: 6,
            tcp_flags: 0x02,
            tcp_seq: (x >> 32) as u32,
            icmp_type: None,
            len: 60,
            payload_len: 0,
            new_flow: true,
            macs: None,
        };
        set.observe(ts, Observation::Packet(&p), &mut out);
        if (i + 1) % (n / 10).max(1) == 0 {
            println!(
                "{:>12} {:>14} {:>8}",
                i + 1,
                peak_rss_kib(),
                out.alerts.len()
            );
        }
    }
    set.finish(ts, &mut out);
    for (sid, phase, dst) in &out.alerts {
        println!("alert sid {sid} {phase} victim {dst}");
    }
}
