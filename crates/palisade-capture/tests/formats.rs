//! Every format variant round-trips timestamps and data exactly.

mod common;

use common::{gzip, read_all, read_ok, sample_pcap, sample_pcapng, Expect, File};
use palisade_capture::{
    linktype, CaptureReader, ErrorKind, PcapNgWriter, PcapWriter, MAX_PCAP_CAPLEN,
};
use palisade_event::Timestamp;
use std::io::Cursor;

#[test]
fn pcap_both_byte_orders_and_resolutions() {
    for be in [false, true] {
        for nanos in [false, true] {
            let f = sample_pcap(be, nanos);
            let got = read_ok(&f.bytes);
            assert_eq!(got, f.expect, "be={be} nanos={nanos}");
            assert_eq!(got.len(), 4);
        }
    }
    // spot-check one decoded value rather than trusting the builder alone
    let got = read_ok(&sample_pcap(true, true).bytes);
    assert_eq!(got[1].ts, 1_600_000_000_999_999_007);
    assert_eq!(got[1].wire_len, 1514);
    assert_eq!(got[1].data, vec![4; 60]);
    let got = read_ok(&sample_pcap(false, false).bytes);
    assert_eq!(got[0].ts, 1_600_000_000_000_001_000);
}

#[test]
fn modified_pcap_records_have_24_byte_headers() {
    for be in [false, true] {
        let mut f = File::pcap(be, 0xa1b2_cd34, 65535, linktype::LINUX_SLL);
        f.record(10, 5, false, &[1, 2, 3, 4], 4, linktype::LINUX_SLL, true);
        f.record(11, 6, false, &[5, 6], 70, linktype::LINUX_SLL, true);
        assert_eq!(read_ok(&f.bytes), f.expect);
    }
}

#[test]
fn pcap_per_file_linktype() {
    for lt in [
        linktype::NULL,
        linktype::RAW,
        linktype::RAW_OPENBSD,
        linktype::LOOP,
        linktype::IPV4,
        linktype::IPV6,
        linktype::LINUX_SLL2,
    ] {
        let mut f = File::pcap(false, 0xa1b2_c3d4, 65535, lt);
        f.record(1, 2, false, &[0x45, 0], 2, lt, false);
        let got = read_ok(&f.bytes);
        assert_eq!(got[0].linktype, lt);
    }
}

#[test]
fn pcap_writer_round_trips() {
    let pkts: Vec<(u64, Vec<u8>, u32)> = (0..50u64)
        .map(|i| {
            let data: Vec<u8> = (0..(i * 7 % 300) as u8).collect();
            let len = data.len() as u32;
            (
                1_650_000_000_000_000_000 + i * 1_234_567_891,
                data,
                len + (i as u32 % 3),
            )
        })
        .collect();
    for nanos in [false, true] {
        let mut w = if nanos {
            PcapWriter::new_nanos(Vec::new(), linktype::ETHERNET, 65535).unwrap()
        } else {
            PcapWriter::new(Vec::new(), linktype::ETHERNET, 65535).unwrap()
        };
        for (ts, data, wire) in &pkts {
            w.write_packet(Timestamp::from_nanos(*ts), data, *wire)
                .unwrap();
        }
        let bytes = w.finish().unwrap();
        let got = read_ok(&bytes);
        assert_eq!(got.len(), pkts.len());
        for (g, (ts, data, wire)) in got.iter().zip(&pkts) {
            let want_ts = if nanos { *ts } else { ts / 1000 * 1000 };
            assert_eq!(g.ts, want_ts);
            assert_eq!(&g.data, data);
            assert_eq!(g.wire_len, *wire);
            assert_eq!(g.linktype, linktype::ETHERNET);
        }
    }
}

#[test]
fn pcap_snaplen_cut_by_writer() {
    let mut w = PcapWriter::new(Vec::new(), linktype::ETHERNET, 10).unwrap();
    w.write_packet(Timestamp::from_secs_micros(5, 6), &[7; 30], 30)
        .unwrap();
    let got = read_ok(&w.finish().unwrap());
    assert_eq!(got[0].data, vec![7; 10]);
    assert_eq!(got[0].wire_len, 30);
}

#[test]
fn pcapng_sample_both_byte_orders() {
    for be in [false, true] {
        let f = sample_pcapng(be);
        let got = read_ok(&f.bytes);
        assert_eq!(got, f.expect, "first section big-endian: {be}");
        assert_eq!(got.len(), 8);
        // multi-interface: per-packet link type and interface id
        let lts: Vec<u32> = got.iter().map(|p| p.linktype).collect();
        assert_eq!(lts, vec![1, 101, 276, 1, 1, 228, 228, 228]);
    }
}

#[test]
fn pcapng_tsresol_and_tsoffset_values() {
    let got = read_ok(&sample_pcapng(false).bytes);
    assert_eq!(got[1].ts, 1_700_000_100_999_999_999); // 10^-9 plus 100 s offset
    assert_eq!(got[2].ts, 1_700_000_001_500_000_000); // 2^-10
    assert_eq!(got[5].ts, 1_700_000_003_250_000_000); // 10^-3
    assert_eq!(got[5].interface, 0);
    // simple packet block cut at the snaplen of 96
    assert_eq!(got[6].data.len(), 96);
    assert_eq!(got[6].wire_len, 1500);
    // OPB keeps its 16-bit interface id and data
    assert_eq!(got[3].data, vec![0xaa; 3]);
}

#[test]
fn pcapng_writer_multi_interface_round_trips() {
    let mut w = PcapNgWriter::new(Vec::new()).unwrap();
    let eth = w
        .add_interface(linktype::ETHERNET, 0, Some("eth0"), false)
        .unwrap();
    let raw = w.add_interface(linktype::RAW, 128, None, true).unwrap();
    let sll2 = w
        .add_interface(linktype::LINUX_SLL2, 65535, Some("any"), true)
        .unwrap();
    assert_eq!((eth, raw, sll2), (0, 1, 2));
    let mut want = Vec::new();
    for i in 0..60u64 {
        let iface = (i % 3) as u32;
        let nanos = 1_700_000_000_000_000_000 + i * 987_654_321 + i;
        let data: Vec<u8> = (0..(i * 11 % 200) as u8).map(|b| b ^ i as u8).collect();
        let wire = data.len() as u32 + 4;
        w.write_packet(iface, Timestamp::from_nanos(nanos), &data, wire)
            .unwrap();
        let (lt, ts, cap) = match iface {
            0 => (linktype::ETHERNET, nanos / 1000 * 1000, data.len()),
            1 => (linktype::RAW, nanos, data.len().min(128)),
            _ => (linktype::LINUX_SLL2, nanos, data.len()),
        };
        want.push(Expect {
            ts,
            linktype: lt,
            data: data[..cap].to_vec(),
            wire_len: wire,
            interface: iface,
        });
    }
    w.write_simple_packet(&[1, 2, 3, 4, 5], 5).unwrap();
    want.push(Expect {
        ts: want.last().unwrap().ts,
        linktype: linktype::ETHERNET,
        data: vec![1, 2, 3, 4, 5],
        wire_len: 5,
        interface: 0,
    });
    assert_eq!(w.packets(), 61);
    let written = w.bytes_written();
    let bytes = w.finish().unwrap();
    assert_eq!(written, bytes.len() as u64);
    assert_eq!(read_ok(&bytes), want);

    // An independent parser (pcap-parser) agrees with every block.
    let mut rest: &[u8] = &bytes;
    let mut blocks = Vec::new();
    while !rest.is_empty() {
        let (r, b) = pcap_parser::pcapng::parse_block_le(rest).expect("pcap-parser parses it");
        blocks.push(b);
        rest = r;
    }
    use pcap_parser::pcapng::Block;
    assert!(matches!(blocks[0], Block::SectionHeader(_)));
    let idbs: Vec<_> = blocks
        .iter()
        .filter_map(|b| match b {
            Block::InterfaceDescription(i) => Some(i),
            _ => None,
        })
        .collect();
    assert_eq!(idbs.len(), 3);
    assert_eq!(idbs[1].linktype.0, linktype::RAW as i32);
    assert_eq!(idbs[1].snaplen, 128);
    assert_eq!(idbs[1].if_tsresol, 9);
    assert_eq!(idbs[0].if_tsresol, 6);
    let epbs: Vec<_> = blocks
        .iter()
        .filter_map(|b| match b {
            Block::EnhancedPacket(e) => Some(e),
            _ => None,
        })
        .collect();
    assert_eq!(epbs.len(), 60);
    for (e, w) in epbs.iter().zip(&want) {
        assert_eq!(e.if_id, w.interface);
        assert_eq!(&e.data[..e.caplen as usize], &w.data[..]);
        assert_eq!(e.origlen, w.wire_len);
    }
    assert!(matches!(blocks.last().unwrap(), Block::SimplePacket(s) if s.origlen == 5));
}

#[test]
fn pcapng_writer_rejects_what_it_cannot_write() {
    let mut w = PcapNgWriter::new(Vec::new()).unwrap();
    assert!(w.write_simple_packet(&[1], 1).is_err());
    assert!(w.add_interface(70_000, 0, None, false).is_err());
    w.add_interface(linktype::ETHERNET, 8, None, false).unwrap();
    assert!(w.write_packet(3, Timestamp::ZERO, &[1], 1).is_err());
    // SPB cut exactly at the snaplen is fine, cut elsewhere is ambiguous
    w.write_simple_packet(&[1; 20], 20).unwrap();
    assert!(w.write_simple_packet(&[1; 4], 20).is_err());
    let got = read_ok(&w.finish().unwrap());
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].data, vec![1; 8]);
    assert_eq!(got[0].wire_len, 20);
}

#[test]
fn gzip_inputs_pcap_and_pcapng() {
    for f in [sample_pcap(true, true), sample_pcapng(false)] {
        let gz = gzip(&f.bytes);
        assert_eq!(&gz[..2], &[0x1f, 0x8b]);
        let mut r = CaptureReader::from_reader("x.gz", Box::new(Cursor::new(gz.clone()))).unwrap();
        let mut n = 0;
        while let Some(p) = r.next_packet().unwrap() {
            assert_eq!(p.data, &f.expect[n].data[..]);
            assert_eq!(p.ts.as_nanos(), f.expect[n].ts);
            n += 1;
        }
        assert_eq!(n, f.expect.len());
        assert_eq!(r.packets(), n as u64);
        // compressed bytes, for a progress bar against the file size
        assert_eq!(r.bytes_consumed(), gz.len() as u64);
    }
}

#[test]
fn gzip_multi_member() {
    let f = sample_pcapng(true);
    let cut = f.bytes.len() / 2;
    let mut gz = gzip(&f.bytes[..cut]);
    gz.extend(gzip(&f.bytes[cut..]));
    assert_eq!(read_ok(&gz), f.expect);
}

#[test]
fn garbage_is_not_a_capture() {
    let (pkts, end) = read_all(b"GET / HTTP/1.1\r\nHost: example\r\n\r\n");
    assert!(pkts.is_empty());
    let e = end.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::NotACapture));
    assert_eq!(e.offset(), 0);
    assert_eq!(e.file(), "mem");
    // gzip of garbage: the decompressed magic is checked too
    let e = read_all(&gzip(b"hello, world")).1.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::NotACapture));
    assert!(e.to_string().starts_with("mem: at byte 0: "));
}

#[test]
fn open_names_the_file() {
    let e = CaptureReader::open(std::path::Path::new("/nonexistent/x.pcap")).unwrap_err();
    assert_eq!(e.file(), "/nonexistent/x.pcap");
    assert!(matches!(e.kind(), ErrorKind::Io(_)));
    assert!(e
        .to_string()
        .starts_with("/nonexistent/x.pcap: at byte 0: read error"));
}

#[test]
fn pcap_caplen_bound() {
    // caplen above a small snaplen but below the bound: accepted
    let mut f = File::pcap(false, 0xa1b2_c3d4, 64, 1);
    f.record(1, 0, false, &[3; 100], 100, 1, false);
    f.record(2, 0, false, &[4; 5], 5, 1, false);
    assert_eq!(read_ok(&f.bytes), f.expect);

    // caplen above both the bound and the snaplen: Corrupt at the record
    let mut bytes = f.bytes.clone();
    let rec2 = f.spans[1].0;
    bytes[rec2 + 8..rec2 + 12].copy_from_slice(&(MAX_PCAP_CAPLEN + 1).to_le_bytes());
    let (pkts, end) = read_all(&bytes);
    assert_eq!(pkts, f.expect[..1]);
    let e = end.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Corrupt(_)), "{e}");
    assert_eq!(e.offset(), rec2 as u64);

    // a file whose snaplen is larger than the bound allows up to its snaplen
    let mut f = File::pcap(true, 0xa1b2_c3d4, 1 << 20, 1);
    f.record(1, 0, false, &vec![9; 300_000], 300_000, 1, false);
    assert_eq!(read_ok(&f.bytes), f.expect);
}

#[test]
fn pcapng_unknown_interface_is_corrupt() {
    let mut f = File::new_ng(false);
    f.idb(1, 0, &[]);
    f.epb(0, 5, &[1], 1, 5000, 1);
    let bad = f.bytes.len();
    f.epb(1, 6, &[2], 1, 6000, 1);
    let (pkts, end) = read_all(&f.bytes);
    assert_eq!(pkts, f.expect[..1]);
    let e = end.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Corrupt(m) if m.contains("unknown interface id 1")));
    assert_eq!(e.offset(), bad as u64);

    // interfaces belong to their section: a new section forgets them
    let mut f = File::new_ng(false);
    f.idb(1, 0, &[]);
    f.shb(true);
    let bad = f.bytes.len();
    f.epb(0, 5, &[1], 1, 5000, 1);
    let e = read_all(&f.bytes).1.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Corrupt(_)));
    assert_eq!(e.offset(), bad as u64);

    // a simple packet block needs interface 0
    let mut f = File::new_ng(true);
    f.block(3, &[0, 0, 0, 1, 7, 0, 0, 0]);
    let e = read_all(&f.bytes).1.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Corrupt(_)));
    assert_eq!(e.offset(), 32);
}

#[test]
fn pcapng_bad_lengths_are_corrupt() {
    let base = {
        let mut f = File::new_ng(false);
        f.idb(1, 0, &[]);
        f.epb(0, 1, &[1, 2, 3], 3, 1000, 1);
        f
    };
    let epb = base.spans[0].0;
    let cases: Vec<(usize, u32)> = vec![
        (epb + 4, 13),              // not a multiple of 4
        (epb + 4, 8),               // shorter than a block
        (epb + 4, 0xFFFF_FFFC),     // 4 GiB
        (epb + 4, 16),              // too short for an EPB body
        (epb + 20, 400),            // captured length beyond the block
        (base.bytes.len() - 4, 44), // trailing length differs
    ];
    for (at, v) in cases {
        let mut b = base.bytes.clone();
        b[at..at + 4].copy_from_slice(&v.to_le_bytes());
        let (pkts, end) = read_all(&b);
        assert!(pkts.is_empty());
        let e = end.unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Corrupt(_)), "{at} {v}: {e}");
        assert_eq!(e.offset(), epb as u64, "{e}");
    }
    // bad byte-order magic
    let mut b = base.bytes.clone();
    b[8] = 0;
    let e = read_all(&b).1.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Corrupt(_)));
    assert_eq!(e.offset(), 0);
    // IDB option running past its block
    let mut f = File::new_ng(false);
    f.idb(1, 0, &[(9, vec![6])]);
    let opt_len_at = 32 + 8 + 8 + 2;
    f.bytes[opt_len_at..opt_len_at + 2].copy_from_slice(&200u16.to_le_bytes());
    let e = read_all(&f.bytes).1.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Corrupt(m) if m.contains("option")));
    assert_eq!(e.offset(), 32);
}

#[test]
fn blocks_larger_than_the_read_buffer() {
    // a 3 MiB skipped block and a 2 MiB packet: the buffer grows, bounded
    let mut f = File::new_ng(false);
    f.idb(1, 0, &[]);
    f.block(0x0000_0BAD, &vec![0x55; 3 << 20]);
    let big: Vec<u8> = (0..(2 << 20)).map(|i: u32| (i * 31) as u8).collect();
    f.epb(0, 77, &big, big.len() as u32, 77_000, 1);
    f.epb(0, 78, &[1], 1, 78_000, 1);
    assert_eq!(read_ok(&f.bytes), f.expect);
}

#[test]
fn many_packets_across_buffer_refills() {
    // odd sizes so records straddle every refill boundary
    let mut f = File::pcap(false, 0xa1b2_3c4d, 65535, 1);
    for i in 0..20_000u32 {
        let data: Vec<u8> = (0..(i % 251) as u8)
            .map(|b| b.wrapping_add(i as u8))
            .collect();
        f.record(i, i * 3, true, &data, data.len() as u32, 1, false);
    }
    assert!(f.bytes.len() > 2 * palisade_capture::READ_BUFFER_SIZE);
    assert_eq!(read_ok(&f.bytes), f.expect);
}

/// Simple packet blocks from lenient writers: the captured length is
/// min(original length, snaplen, block room), whatever the block holds.
#[test]
fn simple_packet_block_lengths() {
    for be in [false, true] {
        let mut f = File::new_ng(be);
        f.idb(1, 16, &[]);
        f.epb(0, 9, &[1], 1, 9000, 1);
        // more data in the block than the snaplen: cut at the snaplen
        f.spb(&[0xcc; 40], 1500, 16, 9000, 1);
        let mut g = File::new_ng(be);
        g.idb(1, 0, &[]);
        g.epb(0, 9, &[1], 1, 9000, 1);
        // no snaplen, block smaller than the original length: the room
        g.spb(&[0xdd; 8], 1500, 8, 9000, 1);
        // original length not a multiple of 4: padding is not data
        g.spb(&[0xee; 3], 3, 3, 9000, 1);
        for h in [f, g] {
            assert_eq!(read_ok(&h.bytes), h.expect);
        }
    }
}
