//! The flow engine on crafted TCP/UDP sessions: handshake, both directions
//! interleaved, closing, midstream, port reuse, timeouts, memcap.

use palisade_event::{AnomalyRecord, EndReason, FlowRecord, FlowState, Timestamp};
use palisade_flow::{Direction, EngineConfig, FlowEngine, FlowObserver, FlowRef, PacketMeta};
use palisade_wire::{Frame, IpInfo, TcpInfo, L4};

#[derive(Default)]
struct Rec {
    chunks: Vec<(Direction, String)>,
    flows: Vec<FlowRecord>,
    anomalies: Vec<AnomalyRecord>,
}

impl FlowObserver for Rec {
    fn stream_data(&mut self, _f: FlowRef, d: Direction, data: &[u8]) {
        self.chunks
            .push((d, String::from_utf8_lossy(data).into_owned()));
    }
    fn stream_gap(&mut self, _f: FlowRef, d: Direction, len: u64) {
        self.chunks.push((d, format!("[gap {len}]")));
    }
    fn flow_end(&mut self, r: FlowRecord) {
        self.flows.push(r);
    }
    fn anomaly(&mut self, r: AnomalyRecord) {
        self.anomalies.push(r);
    }
}

const C: u8 = 1; // client host 10.0.0.1
const S: u8 = 2; // server host 10.0.0.2

fn addr(h: u8) -> [u8; 16] {
    let mut a = [0u8; 16];
    a[..4].copy_from_slice(&[10, 0, 0, h]);
    a
}

fn tcp<'a>(
    from: u8,
    sport: u16,
    dport: u16,
    flags: u8,
    seq: u32,
    ack: u32,
    payload: &'a [u8],
) -> Frame<'a> {
    let to = if from == C { S } else { C };
    Frame {
        ip: IpInfo {
            is_v4: true,
            src: addr(from),
            dst: addr(to),
            proto: 6,
            ttl: 64,
            ..Default::default()
        },
        l4: L4::Tcp(TcpInfo {
            src_port: sport,
            dst_port: dport,
            seq,
            ack,
            flags,
            window: 1000,
            ..Default::default()
        }),
        payload,
        len: 54 + payload.len() as u32,
        ..Default::default()
    }
}

fn udp<'a>(from: u8, sport: u16, dport: u16, payload: &'a [u8]) -> Frame<'a> {
    let to = if from == C { S } else { C };
    Frame {
        ip: IpInfo {
            is_v4: true,
            src: addr(from),
            dst: addr(to),
            proto: 17,
            ..Default::default()
        },
        l4: L4::Udp {
            src_port: sport,
            dst_port: dport,
        },
        payload,
        len: 42 + payload.len() as u32,
        ..Default::default()
    }
}

const SYN: u8 = 0x02;
const ACK: u8 = 0x10;
const FIN: u8 = 0x01;
const RST: u8 = 0x04;
const PA: u8 = 0x18;

struct Run {
    eng: FlowEngine,
    rec: Rec,
    n: u64,
}

impl Run {
    fn new(cfg: EngineConfig) -> Self {
        Run {
            eng: FlowEngine::new(&cfg, 1),
            rec: Rec::default(),
            n: 0,
        }
    }
    fn at(&mut self, secs: u64, f: Frame) {
        self.n += 1;
        let meta = PacketMeta {
            ts: Timestamp::from_secs_nanos(1_700_000_000 + secs, self.n),
            pcap_cnt: self.n,
            source: 0,
        };
        self.eng.process(&meta, &f, &mut self.rec);
    }
    fn finish(&mut self) {
        self.eng.shutdown(&mut self.rec);
    }
}

/// Client ISN 100, server ISN 5000, port 40000 -> 80.
fn handshake(r: &mut Run) {
    r.at(0, tcp(C, 40000, 80, SYN, 100, 0, b""));
    r.at(0, tcp(S, 80, 40000, SYN | ACK, 5000, 101, b""));
    r.at(0, tcp(C, 40000, 80, ACK, 101, 5001, b""));
}

#[test]
fn full_session_both_directions_interleaved_in_order_seen() {
    let mut r = Run::new(EngineConfig::default());
    handshake(&mut r);
    r.at(1, tcp(C, 40000, 80, PA, 101, 5001, b"GET / "));
    r.at(1, tcp(S, 80, 40000, PA, 5001, 107, b"HTTP/1.1 "));
    r.at(1, tcp(C, 40000, 80, PA, 107, 5010, b"HTTP/1.1\r\n"));
    r.at(1, tcp(S, 80, 40000, PA, 5010, 117, b"200 OK\r\n"));
    r.at(2, tcp(C, 40000, 80, FIN | ACK, 117, 5018, b""));
    r.at(2, tcp(S, 80, 40000, FIN | ACK, 5018, 118, b""));
    r.at(2, tcp(C, 40000, 80, ACK, 118, 5019, b""));
    r.finish();
    let ts = Direction::ToServer;
    let tc = Direction::ToClient;
    assert_eq!(
        r.rec.chunks,
        vec![
            (ts, "GET / ".into()),
            (tc, "HTTP/1.1 ".into()),
            (ts, "HTTP/1.1\r\n".into()),
            (tc, "200 OK\r\n".into()),
        ]
    );
    assert_eq!(r.rec.flows.len(), 1);
    let f = &r.rec.flows[0];
    assert_eq!(f.tuple.src_port, Some(40000));
    assert_eq!(f.tuple.dest_port, Some(80));
    assert_eq!(f.flow.pkts_toserver, 6);
    assert_eq!(f.flow.pkts_toclient, 4);
    assert_eq!(f.flow.state, FlowState::Closed);
    assert_eq!(f.flow.reason, EndReason::Shutdown);
    assert_eq!(f.flow.age, 2);
    let tcp = f.tcp.as_ref().unwrap();
    assert_eq!(tcp.state, "closed");
    assert_eq!(tcp.flags_ts, SYN | ACK | FIN | PA);
    assert!(r.rec.anomalies.is_empty(), "{:?}", r.rec.anomalies);
}

#[test]
fn synack_first_makes_receiver_the_client() {
    let mut r = Run::new(EngineConfig::default());
    r.at(0, tcp(S, 80, 40000, SYN | ACK, 5000, 101, b""));
    r.at(0, tcp(C, 40000, 80, ACK, 101, 5001, b""));
    r.finish();
    let f = &r.rec.flows[0];
    assert_eq!(f.tuple.dest_port, Some(80));
    assert_eq!(f.flow.pkts_toserver, 1);
    assert_eq!(f.flow.pkts_toclient, 1);
}

#[test]
fn midstream_off_tracks_flow_but_does_not_reassemble() {
    let mut r = Run::new(EngineConfig::default());
    r.at(0, tcp(C, 40000, 80, PA, 101, 5001, b"hello"));
    r.at(0, tcp(S, 80, 40000, PA, 5001, 106, b"world"));
    r.finish();
    assert!(r.rec.chunks.is_empty());
    assert_eq!(r.rec.flows.len(), 1);
    assert_eq!(r.rec.flows[0].flow.state, FlowState::New);
    assert_eq!(r.eng.stats().tcp.no_reassembly, 2);
}

#[test]
fn midstream_on_picks_up_both_directions() {
    let mut cfg = EngineConfig::default();
    cfg.stream.midstream = true;
    let mut r = Run::new(cfg);
    r.at(0, tcp(C, 40000, 80, PA, 101, 5001, b"hello"));
    r.at(0, tcp(S, 80, 40000, PA, 5001, 106, b"world"));
    r.at(0, tcp(C, 40000, 80, PA, 106, 5006, b"!"));
    r.finish();
    let got: Vec<&str> = r.rec.chunks.iter().map(|c| c.1.as_str()).collect();
    assert_eq!(got, vec!["hello", "world", "!"]);
    assert_eq!(r.rec.flows[0].flow.state, FlowState::Established);
    assert_eq!(r.eng.stats().tcp.midstream_pickups, 2);
}

#[test]
fn one_sided_capture_still_reassembles_the_seen_direction() {
    let mut r = Run::new(EngineConfig::default());
    r.at(0, tcp(C, 40000, 80, SYN, 100, 0, b""));
    r.at(0, tcp(C, 40000, 80, ACK, 101, 5001, b""));
    r.at(1, tcp(C, 40000, 80, PA, 101, 5001, b"abc"));
    r.at(1, tcp(C, 40000, 80, PA, 104, 5001, b"def"));
    r.finish();
    let got: Vec<&str> = r.rec.chunks.iter().map(|c| c.1.as_str()).collect();
    assert_eq!(got, vec!["abc", "def"]);
}

#[test]
fn lost_segment_is_a_gap_when_acked_and_stream_resumes() {
    let mut r = Run::new(EngineConfig::default());
    handshake(&mut r);
    r.at(1, tcp(C, 40000, 80, PA, 101, 5001, b"aaaa"));
    // bytes 105..109 lost in capture
    r.at(1, tcp(C, 40000, 80, PA, 109, 5001, b"cccc"));
    r.at(1, tcp(S, 80, 40000, ACK, 5001, 113, b""));
    r.at(1, tcp(C, 40000, 80, PA, 113, 5001, b"dd"));
    r.finish();
    let got: Vec<&str> = r.rec.chunks.iter().map(|c| c.1.as_str()).collect();
    assert_eq!(got, vec!["aaaa", "[gap 4]", "cccc", "dd"]);
    assert_eq!(r.rec.anomalies.len(), 1);
    assert_eq!(r.rec.anomalies[0].event, "stream.reassembly_seq_gap");
    assert!(r.rec.anomalies[0].flow_id.is_some());
}

#[test]
fn overlap_with_different_data_is_an_anomaly() {
    let mut r = Run::new(EngineConfig::default());
    handshake(&mut r);
    r.at(1, tcp(C, 40000, 80, PA, 101, 5001, b"USER admin"));
    r.at(1, tcp(C, 40000, 80, PA, 106, 5001, b"r00t!"));
    r.finish();
    let got: Vec<&str> = r.rec.chunks.iter().map(|c| c.1.as_str()).collect();
    assert_eq!(got, vec!["USER admin"]);
    assert_eq!(
        r.rec.anomalies[0].event,
        "stream.reassembly_overlap_different_data"
    );
    assert_eq!(r.eng.stats().reassembly.overlap_diff_data, 1);
}

#[test]
fn rst_closes_and_flushes_buffered_data() {
    let mut r = Run::new(EngineConfig::default());
    handshake(&mut r);
    r.at(1, tcp(C, 40000, 80, PA, 105, 5001, b"late"));
    r.at(1, tcp(S, 80, 40000, RST, 5001, 0, b""));
    r.finish();
    let got: Vec<&str> = r.rec.chunks.iter().map(|c| c.1.as_str()).collect();
    assert_eq!(got, vec!["[gap 4]", "late"]);
    assert_eq!(r.rec.flows[0].flow.state, FlowState::Closed);
}

#[test]
fn syn_after_close_starts_a_new_flow() {
    let mut r = Run::new(EngineConfig::default());
    handshake(&mut r);
    r.at(1, tcp(C, 40000, 80, RST, 101, 0, b""));
    r.at(2, tcp(C, 40000, 80, SYN, 900, 0, b""));
    r.finish();
    assert_eq!(r.rec.flows.len(), 2);
    assert_eq!(r.rec.flows[0].flow.reason, EndReason::Forced);
    assert_eq!(r.rec.flows[1].flow.pkts_toserver, 1);
    assert_ne!(r.rec.flows[0].flow_id, r.rec.flows[1].flow_id);
    assert_eq!(r.eng.stats().flow.tcp_reuse, 1);
}

#[test]
fn timeouts_follow_state() {
    let mut r = Run::new(EngineConfig::default());
    r.at(0, udp(C, 5000, 53, b"q"));
    r.at(10, udp(S, 53, 5000, b"a"));
    // established UDP times out 300 s after its last packet
    r.at(300, udp(C, 6000, 53, b"other"));
    assert_eq!(r.rec.flows.len(), 0);
    r.at(311, udp(C, 6000, 53, b"other"));
    assert_eq!(r.rec.flows.len(), 1);
    let f = &r.rec.flows[0];
    assert_eq!(f.flow.reason, EndReason::Timeout);
    assert_eq!(f.flow.state, FlowState::Established);
    assert_eq!(f.flow.age, 10);
    assert!(f.tcp.is_none());
    // the second flow (new, 30 s timeout) is still open at 311; ends at 342
    r.at(342, udp(C, 7000, 53, b"x"));
    assert_eq!(r.rec.flows.len(), 2);
    assert_eq!(r.rec.flows[1].flow.state, FlowState::New);
    assert_eq!(r.rec.flows[1].flow.pkts_toserver, 2);
}

#[test]
fn memcap_evicts_the_oldest_and_says_so() {
    let mut cfg = EngineConfig::default();
    cfg.flow.memcap = 1; // minimum table size (16 flows)
    let mut r = Run::new(cfg);
    let max = r.eng.max_flows();
    for i in 0..(max as u16 + 5) {
        r.at(i as u64, udp(C, 1000 + i, 53, b"q"));
    }
    assert_eq!(r.eng.active_flows(), max);
    assert_eq!(r.rec.flows.len(), 5);
    assert!(r
        .rec
        .flows
        .iter()
        .all(|f| f.flow.reason == EndReason::Forced));
    assert_eq!(r.rec.flows[0].tuple.src_port, Some(1000), "oldest first");
    let memcap: Vec<_> = r
        .rec
        .anomalies
        .iter()
        .filter(|a| a.event == "flow.memcap_reached")
        .collect();
    assert_eq!(memcap.len(), 1, "raised once per episode");
    assert_eq!(r.eng.stats().flow.memcap_evictions, 5);
    r.finish();
    assert_eq!(r.rec.flows.len(), max + 5);
}

#[test]
fn depth_limit_applies_per_direction() {
    let mut cfg = EngineConfig::default();
    cfg.stream.reassembly_depth = 4;
    let mut r = Run::new(cfg);
    handshake(&mut r);
    r.at(1, tcp(C, 40000, 80, PA, 101, 5001, b"abcdef"));
    r.at(1, tcp(S, 80, 40000, PA, 5001, 107, b"123456"));
    r.finish();
    let got: Vec<&str> = r.rec.chunks.iter().map(|c| c.1.as_str()).collect();
    assert_eq!(got, vec!["abcd", "1234"]);
    assert_eq!(r.eng.stats().reassembly.stream_depth_reached, 2);
}

#[test]
fn reassembly_memcap_is_respected_and_memory_returns() {
    let mut cfg = EngineConfig::default();
    cfg.stream.reassembly_memcap = 64;
    cfg.stream.retain_bytes = 0;
    let mut r = Run::new(cfg);
    handshake(&mut r);
    let big = [b'x'; 100];
    r.at(1, tcp(C, 40000, 80, PA, 201, 5001, &big));
    assert_eq!(r.eng.stats().reassembly.segment_memcap_drop, 1);
    assert!(r.eng.stream_memory() <= 64);
    r.finish();
    assert_eq!(r.eng.stream_memory(), 0);
}
