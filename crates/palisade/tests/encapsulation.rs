//! Mirrored traffic (VXLAN), IPv4 fragments and TCP evasion cases end to
//! end: crafted captures in, EVE records out.

mod common;

use common::*;
use palisade_capture::PcapWriter;
use palisade_event::Timestamp;
use palisade_testbed::craft::{self, flags};
use std::path::Path;

const C: [u8; 4] = [10, 0, 0, 1];
const S: [u8; 4] = [10, 0, 0, 2];

/// A complete small TCP session as Ethernet frames.
fn session(sport: u16) -> Vec<Vec<u8>> {
    vec![
        craft::eth_ipv4_tcp(C, S, sport, 80, 100, 0, flags::SYN, b""),
        craft::eth_ipv4_tcp(S, C, 80, sport, 5000, 101, flags::SYN | flags::ACK, b""),
        craft::eth_ipv4_tcp(C, S, sport, 80, 101, 5001, flags::ACK, b""),
        craft::eth_ipv4_tcp(
            C,
            S,
            sport,
            80,
            101,
            5001,
            flags::PSH_ACK,
            b"GET / HTTP/1.0\r\n\r\n",
        ),
        craft::eth_ipv4_tcp(
            S,
            C,
            80,
            sport,
            5001,
            119,
            flags::PSH_ACK,
            b"HTTP/1.0 200 OK\r\n\r\n",
        ),
        craft::eth_ipv4_tcp(C, S, sport, 80, 119, 5020, flags::FIN | flags::ACK, b""),
        craft::eth_ipv4_tcp(S, C, 80, sport, 5020, 120, flags::FIN | flags::ACK, b""),
        craft::eth_ipv4_tcp(C, S, sport, 80, 120, 5021, flags::ACK, b""),
    ]
}

fn write(path: &Path, frames: &[Vec<u8>]) {
    let mut w = PcapWriter::new(std::fs::File::create(path).unwrap(), 1, 65535).unwrap();
    for (i, f) in frames.iter().enumerate() {
        let ts = Timestamp::from_secs_micros(1_767_600_000, i as u64 * 1000);
        w.write_packet(ts, f, f.len() as u32).unwrap();
    }
    w.finish().unwrap();
}

fn flows(recs: &[serde_json::Value]) -> Vec<&serde_json::Value> {
    recs.iter().filter(|r| r["event_type"] == "flow").collect()
}

fn pkts(f: &serde_json::Value) -> u64 {
    f["flow"]["pkts_toserver"].as_u64().unwrap() + f["flow"]["pkts_toclient"].as_u64().unwrap()
}

#[test]
fn vxlan_mirrored_session_is_tracked_inside_and_out() {
    let tmp = TempDir::new("vxlan");
    let plain = session(40000);
    let mut frames = plain.clone();
    for f in &plain {
        frames.push(craft::vxlan([192, 0, 2, 1], [192, 0, 2, 2], 42, f));
    }
    let pcap = tmp.path().join("vxlan.pcap");
    write(&pcap, &frames);
    for threads in ["1", "2"] {
        let (status, recs) = scan(&[&pcap], &["--threads", threads], &tmp.path().join(threads));
        assert!(status.success());
        let fl = flows(&recs);
        assert_eq!(fl.len(), 3, "plain TCP, inner TCP, outer UDP: {fl:#?}");
        let outer: Vec<_> = fl.iter().filter(|f| f["dest_port"] == 4789).collect();
        assert_eq!(outer.len(), 1);
        assert_eq!(outer[0]["proto"], "UDP");
        assert_eq!(pkts(outer[0]), 8);
        let tcp: Vec<_> = fl.iter().filter(|f| f["proto"] == "TCP").collect();
        assert_eq!(tcp.len(), 2);
        let inner: Vec<_> = tcp
            .iter()
            .filter(|f| f.get("tunnel_id").is_some())
            .collect();
        assert_eq!(inner.len(), 1, "exactly one TCP flow is the mirrored one");
        for f in &tcp {
            assert_eq!(f["src_ip"], "10.0.0.1");
            assert_eq!(f["dest_port"], 80);
            assert_eq!(f["flow"]["pkts_toserver"], 5);
            assert_eq!(f["flow"]["pkts_toclient"], 3);
            assert_eq!(f["flow"]["state"], "closed");
        }
        assert_ne!(tcp[0]["flow_id"], tcp[1]["flow_id"]);
        let stats = &recs.iter().find(|r| r["event_type"] == "stats").unwrap()["stats"];
        assert_eq!(stats["decoder"]["vxlan"], 8);
        // each packet counted once, also when two workers decode it
        assert_eq!(stats["decoder"]["pkts"], 16);
        assert_eq!(stats["tcp"]["reassembled_bytes"], 2 * (18 + 19));
    }
}

#[test]
fn fragments_are_reassembled_and_overlaps_reported() {
    let tmp = TempDir::new("frag");
    let payload: Vec<u8> = (0..300u32).map(|i| i as u8).collect();
    let dgram = craft::udp(C, S, 5683, 5683, &payload);
    let mut frames = craft::ipv4_fragments(C, S, 17, 77, &dgram, 128);
    assert_eq!(frames.len(), 3);
    frames.swap(0, 2); // out of order
                       // A second datagram whose fragments overlap with different bytes.
    let d2 = craft::udp(C, S, 6000, 53, &[0xAA; 64]);
    let mut evil = craft::ipv4_fragments(C, S, 17, 78, &d2, 40);
    let mut forged = d2.clone();
    for b in forged.iter_mut().skip(40) {
        *b = 0xBB;
    }
    // last fragment first, then a forged copy of it, then the first one
    evil.swap(0, 1);
    evil.insert(
        1,
        craft::ipv4_fragments(C, S, 17, 78, &forged, 40)[1].clone(),
    );
    frames.extend(evil);
    let pcap = tmp.path().join("frag.pcap");
    write(&pcap, &frames);
    let (status, recs) = scan(&[&pcap], &["--threads", "2"], tmp.path());
    assert!(status.success());
    let fl = flows(&recs);
    let coap: Vec<_> = fl.iter().filter(|f| f["dest_port"] == 5683).collect();
    assert_eq!(coap.len(), 1);
    assert_eq!(pkts(coap[0]), 1, "one reassembled datagram");
    let anomalies: Vec<_> = recs
        .iter()
        .filter(|r| r["event_type"] == "anomaly")
        .map(|r| r["anomaly"]["event"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(anomalies, vec!["decoder.ipv4.frag_overlap".to_string()]);
    let stats = &recs.iter().find(|r| r["event_type"] == "stats").unwrap()["stats"];
    assert_eq!(stats["defrag"]["ipv4"]["reassembled"], 2);
    assert_eq!(stats["defrag"]["ipv4"]["fragments"], 3 + 3);
}

#[test]
fn tcp_overlap_with_different_data_is_reported_on_its_flow() {
    let tmp = TempDir::new("overlap");
    let mut frames = session(41000);
    // retransmit the request with different bytes (an evasion attempt)
    frames.insert(
        4,
        craft::eth_ipv4_tcp(
            C,
            S,
            41000,
            80,
            101,
            5001,
            flags::PSH_ACK,
            b"GET /evil HTTP/1.0",
        ),
    );
    let pcap = tmp.path().join("ovl.pcap");
    write(&pcap, &frames);
    let (_, recs) = scan(&[&pcap], &[], tmp.path());
    let a: Vec<_> = recs
        .iter()
        .filter(|r| r["event_type"] == "anomaly")
        .collect();
    assert_eq!(a.len(), 1);
    assert_eq!(a[0]["anomaly"]["type"], "stream");
    assert_eq!(
        a[0]["anomaly"]["event"],
        "stream.reassembly_overlap_different_data"
    );
    let f = flows(&recs);
    assert_eq!(a[0]["flow_id"], f[0]["flow_id"]);
    assert_eq!(a[0]["pcap_cnt"], 5);
}
