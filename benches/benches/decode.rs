//! Decoder cost per packet: typical IoT TCP, with and without checksum
//! validation, and a VXLAN-mirrored packet.
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use palisade_testbed::craft::{eth_ipv4_tcp, vxlan};
use palisade_wire::{DecodedPacket, Decoder, DecoderConfig, Link};

fn bench(c: &mut Criterion) {
    let small = eth_ipv4_tcp(
        [10, 0, 0, 1],
        [10, 0, 0, 2],
        40000,
        1883,
        1,
        1,
        0x18,
        &[0x30; 64],
    );
    let large = eth_ipv4_tcp(
        [10, 0, 0, 1],
        [10, 0, 0, 2],
        40000,
        554,
        1,
        1,
        0x10,
        &[0x24; 1400],
    );
    let mirrored = vxlan([192, 0, 2, 1], [192, 0, 2, 2], 42, &small);
    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Elements(1));
    for (name, pkt, validate) in [
        ("tcp_64B", &small, false),
        ("tcp_64B_checksums", &small, true),
        ("tcp_1400B", &large, false),
        ("tcp_1400B_checksums", &large, true),
        ("vxlan_tcp_64B", &mirrored, false),
    ] {
        let mut dec = Decoder::new(DecoderConfig {
            validate_checksums: validate,
            ..Default::default()
        });
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut d = DecodedPacket::default();
                dec.decode(Link::Ethernet, black_box(pkt), pkt.len() as u32, &mut d);
                black_box(d.frame_count)
            })
        });
    }
    g.finish();
    let mut g = c.benchmark_group("checksum");
    g.throughput(Throughput::Bytes(1500));
    let buf = vec![0xa5u8; 1500];
    g.bench_function("1500B", |b| {
        b.iter(|| palisade_wire::checksum::checksum(black_box(&buf)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
