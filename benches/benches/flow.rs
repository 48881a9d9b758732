//! Flow engine cost per packet: lookup and update with few and many
//! concurrent flows (cache-resident vs. not), and in-order TCP reassembly.
use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use palisade_event::{AnomalyRecord, FlowRecord, Timestamp};
use palisade_flow::{Direction, EngineConfig, FlowEngine, FlowObserver, FlowRef, PacketMeta};
use palisade_testbed::craft::eth_ipv4_tcp;
use palisade_wire::{DecodedPacket, Decoder, DecoderConfig, Link};

struct Sink(u64);
impl FlowObserver for Sink {
    fn stream_data(&mut self, _: FlowRef, _: Direction, d: &[u8]) {
        self.0 += d.len() as u64;
    }
    fn flow_end(&mut self, _: FlowRecord) {}
    fn anomaly(&mut self, _: AnomalyRecord) {}
}

fn packets(flows: u32) -> Vec<Vec<u8>> {
    (0..flows)
        .map(|i| {
            let src = [10, (i >> 16) as u8, (i >> 8) as u8, i as u8];
            eth_ipv4_tcp(
                src,
                [203, 0, 113, 7],
                40000 + (i % 20000) as u16,
                1883,
                1,
                1,
                0x10,
                &[0; 32],
            )
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("flow_lookup");
    for flows in [1_000u32, 100_000, 1_000_000] {
        let pkts = packets(flows);
        let mut dec = Decoder::new(DecoderConfig::default());
        let mut eng = FlowEngine::new(&EngineConfig::default(), 1);
        let mut sink = Sink(0);
        let mut i = 0usize;
        // warm: create every flow once
        for p in &pkts {
            let mut d = DecodedPacket::default();
            dec.decode(Link::Ethernet, p, p.len() as u32, &mut d);
            eng.process(
                &PacketMeta {
                    ts: Timestamp::from_secs_nanos(1, 0),
                    pcap_cnt: 0,
                    source: 0,
                },
                &d.frames()[0],
                &mut sink,
            );
        }
        g.throughput(Throughput::Elements(1));
        g.bench_function(format!("{flows}_flows"), |b| {
            b.iter(|| {
                // a pseudo-random walk over the flows defeats the cache
                i = (i + 7919) % pkts.len();
                let p = &pkts[i];
                let mut d = DecodedPacket::default();
                dec.decode(Link::Ethernet, p, p.len() as u32, &mut d);
                eng.process(
                    &PacketMeta {
                        ts: Timestamp::from_secs_nanos(2, 0),
                        pcap_cnt: 0,
                        source: 0,
                    },
                    &d.frames()[0],
                    &mut sink,
                );
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("reassembly");
    let seg = vec![0x55u8; 1400];
    g.throughput(Throughput::Bytes(1400 * 1000));
    g.bench_function("in_order_1000x1400B", |b| {
        b.iter_batched(
            || {
                let mut ps = vec![eth_ipv4_tcp(
                    [10, 0, 0, 1],
                    [10, 0, 0, 2],
                    40000,
                    80,
                    99,
                    0,
                    0x02,
                    &[],
                )];
                for k in 0..1000u32 {
                    ps.push(eth_ipv4_tcp(
                        [10, 0, 0, 1],
                        [10, 0, 0, 2],
                        40000,
                        80,
                        100 + k * 1400,
                        1,
                        0x10,
                        &seg,
                    ));
                }
                ps
            },
            |ps| {
                let mut cfg = EngineConfig::default();
                cfg.stream.reassembly_depth = 0;
                let mut eng = FlowEngine::new(&cfg, 1);
                let mut dec = Decoder::new(DecoderConfig::default());
                let mut sink = Sink(0);
                for p in &ps {
                    let mut d = DecodedPacket::default();
                    dec.decode(Link::Ethernet, p, p.len() as u32, &mut d);
                    eng.process(&PacketMeta::default(), &d.frames()[0], &mut sink);
                }
                black_box(sink.0)
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
