//! Hostile input: every shared capture, truncated at many offsets and with
//! random byte flips, goes through the capture reader, the decoder and the
//! flow engine. Nothing may panic, every error must name an offset, and the
//! engine's memory stays within its caps.

mod common;

use common::*;
use palisade::harness::track_packet;
use palisade_capture::CaptureReader;
use palisade_event::{AnomalyRecord, FlowRecord};
use palisade_flow::{Direction, EngineConfig, FlowEngine, FlowObserver, FlowRef, PacketMeta};
use palisade_wire::{Decoder, DecoderConfig, Link};
use std::io::Cursor;

#[derive(Default)]
struct Count {
    flows: u64,
    anomalies: u64,
    bytes: u64,
}

impl FlowObserver for Count {
    fn stream_data(&mut self, _: FlowRef, _: Direction, d: &[u8]) {
        self.bytes += d.len() as u64;
    }
    fn flow_end(&mut self, _: FlowRecord) {
        self.flows += 1;
    }
    fn anomaly(&mut self, _: AnomalyRecord) {
        self.anomalies += 1;
    }
}

const MEMCAP: u64 = 1 << 20;

/// Runs bytes through reader, decoder (checksums on) and a small engine.
/// Returns packets read and whether the reader stopped on an error.
fn run(name: &str, bytes: Vec<u8>) -> (u64, bool) {
    let mut cfg = EngineConfig::default();
    cfg.flow.memcap = MEMCAP;
    cfg.stream.reassembly_memcap = MEMCAP;
    cfg.stream.midstream = true;
    cfg.defrag.memcap = MEMCAP;
    let mut eng = FlowEngine::new(&cfg, 1);
    let mut dec = Decoder::new(DecoderConfig {
        validate_checksums: true,
        ..DecoderConfig::default()
    });
    let mut obs = Count::default();
    let mut buf = Vec::new();
    let mut packets = 0;
    let mut errored = false;
    let Ok(mut r) = CaptureReader::from_reader(name, Box::new(Cursor::new(bytes))) else {
        return (0, true);
    };
    loop {
        match r.next_packet() {
            Ok(Some(p)) => {
                packets += 1;
                let meta = PacketMeta {
                    ts: p.ts,
                    pcap_cnt: packets,
                    source: 0,
                };
                let link = Link::from_linktype(p.linktype);
                track_packet(&mut dec, &mut eng, &meta, link, p.data, &mut buf, &mut obs);
                assert!(eng.active_flows() <= eng.max_flows());
                assert!(eng.stream_memory() <= MEMCAP);
            }
            Ok(None) => break,
            Err(e) => {
                assert!(
                    e.to_string().contains("at byte"),
                    "error without offset: {e}"
                );
                assert!(e.offset() <= r.bytes_consumed() + 16 * 1024 * 1024);
                errored = true;
                break;
            }
        }
    }
    eng.shutdown(&mut obs);
    assert_eq!(eng.stream_memory(), 0, "all stream memory returned");
    assert_eq!(eng.active_flows(), 0);
    (packets, errored)
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn truncated_and_corrupted_shared_captures_never_panic() {
    let Some(data) = shared_data() else { return };
    let caps = captures_under(&data.join("pcaps"));
    assert!(!caps.is_empty());
    let mut rng = Rng(0x5eed);
    for cap in caps {
        let bytes = std::fs::read(&cap).unwrap();
        let name = cap.display().to_string();
        let (full, err) = run(&name, bytes.clone());
        assert!(!err, "{name} reads cleanly");
        assert!(full > 0);
        // Truncation at ~60 offsets spread over the file, plus the first 64.
        let step = (bytes.len() / 60).max(1);
        let mut last = 0;
        for cut in (0..64.min(bytes.len())).chain((0..bytes.len()).step_by(step)) {
            let (n, _) = run(&name, bytes[..cut].to_vec());
            assert!(
                n <= full,
                "{name} cut at {cut}: more packets than the whole file"
            );
            if cut >= 64 {
                assert!(n >= last, "{name}: a longer prefix gave fewer packets");
                last = n;
            }
        }
        // Random byte flips.
        for _ in 0..40 {
            let mut b = bytes.clone();
            let flips = 1 + rng.next() % 16;
            for _ in 0..flips {
                let i = (rng.next() as usize) % b.len();
                b[i] ^= 1 << (rng.next() % 8);
            }
            run(&name, b);
        }
    }
}

#[test]
fn random_garbage_packets_never_panic() {
    // Random bytes behind every link type, through decoder and engine.
    let mut rng = Rng(42);
    let mut cfg = EngineConfig::default();
    cfg.flow.memcap = MEMCAP;
    cfg.stream.midstream = true;
    let mut eng = FlowEngine::new(&cfg, 1);
    let mut dec = Decoder::new(DecoderConfig::default());
    let mut obs = Count::default();
    let mut buf = Vec::new();
    for i in 0..200_000u64 {
        let len = (rng.next() % 200) as usize;
        let mut pkt: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        // make IPv4/IPv6 likely so upper layers get exercised
        if len > 20 && i % 2 == 0 {
            pkt[0] = if i % 4 == 0 { 0x45 } else { 0x60 };
        }
        let lt = [0u32, 1, 12, 101, 108, 113, 228, 229, 276, 9999][(i % 10) as usize];
        let meta = PacketMeta {
            ts: palisade_event::Timestamp::from_secs_nanos(i / 1000, i),
            pcap_cnt: i,
            source: 0,
        };
        let link = Link::from_linktype(lt);
        track_packet(&mut dec, &mut eng, &meta, link, &pkt, &mut buf, &mut obs);
    }
    assert!(eng.active_flows() <= eng.max_flows());
    eng.shutdown(&mut obs);
    assert!(obs.flows > 0);
}
