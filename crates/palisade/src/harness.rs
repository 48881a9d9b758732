//! Harnesses shared by the fuzz targets (`fuzz/`) and the regression test
//! that replays every crash they ever found (`tests/fuzz_regressions.rs`).
//! Each takes arbitrary bytes and asserts the invariants that must hold for
//! any input.

use palisade_capture::CaptureReader;
use palisade_event::{AnomalyRecord, FlowRecord, Timestamp};
use palisade_flow::{EngineConfig, FlowEngine, FlowObserver, PacketMeta};
use palisade_wire::{DecodedPacket, Decoder, DecoderConfig, FrameContext, Link};

/// Any bytes as a capture file: a clean end or an error naming an offset.
pub fn capture_reader(data: &[u8]) {
    let Ok(mut r) =
        CaptureReader::from_reader("fuzz", Box::new(std::io::Cursor::new(data.to_vec())))
    else {
        return;
    };
    let mut n = 0u64;
    loop {
        match r.next_packet() {
            Ok(Some(p)) => {
                n += 1;
                assert!(p.data.len() <= 16 << 20, "packet larger than any bound");
            }
            Ok(None) => break,
            Err(e) => {
                assert!(e.to_string().contains("at byte"));
                break;
            }
        }
    }
    assert_eq!(n, r.packets());
}

const LINKS: [u32; 10] = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276];

/// Any bytes as one packet: the first byte picks the link type and checksum
/// validation, the rest is the packet.
pub fn decode(data: &[u8]) {
    let Some((&sel, pkt)) = data.split_first() else {
        return;
    };
    let mut dec = Decoder::new(DecoderConfig {
        validate_checksums: sel & 0x80 != 0,
        ..DecoderConfig::default()
    });
    let link = Link::from_linktype(LINKS[(sel as usize & 0x7f) % LINKS.len()]);
    let mut d = DecodedPacket::default();
    dec.decode(link, pkt, pkt.len() as u32, &mut d);
    for f in d.frames() {
        assert!(f.payload.len() <= pkt.len());
        assert!(f.ip.packet.len() <= pkt.len());
    }
}

/// Decodes one packet and hands every frame to the engine, reassembling
/// fragments on the way: the single-threaded core of a worker, without its
/// ownership filter and anomaly reporting. Returns the number of frames.
pub fn track_packet<O: FlowObserver>(
    dec: &mut Decoder,
    eng: &mut FlowEngine,
    meta: &PacketMeta,
    link: Link,
    pkt: &[u8],
    defrag_buf: &mut Vec<u8>,
    obs: &mut O,
) -> usize {
    let mut d = DecodedPacket::default();
    dec.decode(link, pkt, pkt.len() as u32, &mut d);
    for f in d.frames() {
        let Some(frag) = f.ip.frag else {
            eng.process(meta, f, obs);
            continue;
        };
        if eng.defragment(meta, f, &frag, defrag_buf, obs) {
            let mut d2 = DecodedPacket::default();
            dec.decode_reassembled(defrag_buf, &FrameContext::from(f), &mut d2);
            for f2 in d2.frames().iter().filter(|f2| f2.ip.frag.is_none()) {
                eng.process(meta, f2, obs);
            }
        }
    }
    d.frames().len()
}

struct Sink;
impl FlowObserver for Sink {
    fn flow_end(&mut self, _: FlowRecord) {}
    fn anomaly(&mut self, _: AnomalyRecord) {}
}

/// Small memcap so the fuzzer reaches the limits.
const FUZZ_MEMCAP: u64 = 64 << 10;

/// A sequence of Ethernet packets (2-byte length, 1-byte time step, bytes)
/// through decode, defragmentation and the flow engine: limits hold and all
/// memory comes back at shutdown.
pub fn flow_engine(data: &[u8]) {
    let mut cfg = EngineConfig::default();
    cfg.flow.memcap = FUZZ_MEMCAP;
    cfg.stream.reassembly_memcap = FUZZ_MEMCAP;
    cfg.stream.midstream = data.first().is_some_and(|b| b & 1 == 1);
    cfg.stream.reassembly_depth = 4096;
    cfg.defrag.memcap = FUZZ_MEMCAP;
    let mut eng = FlowEngine::new(&cfg, 1);
    let mut dec = Decoder::new(DecoderConfig::default());
    let mut buf = Vec::new();
    let mut rest = data;
    let mut i = 0u64;
    let mut now = 0u64;
    while rest.len() >= 3 {
        let len = u16::from_le_bytes([rest[0], rest[1]]) as usize % 1600;
        now += rest[2] as u64;
        rest = &rest[3..];
        let (pkt, tail) = rest.split_at(len.min(rest.len()));
        rest = tail;
        i += 1;
        let meta = PacketMeta {
            ts: Timestamp::from_secs_nanos(now, 0),
            pcap_cnt: i,
        };
        track_packet(
            &mut dec,
            &mut eng,
            &meta,
            Link::Ethernet,
            pkt,
            &mut buf,
            &mut Sink,
        );
        assert!(eng.active_flows() <= eng.max_flows());
        assert!(eng.stream_memory() <= FUZZ_MEMCAP);
    }
    eng.shutdown(&mut Sink);
    assert_eq!(eng.stream_memory(), 0);
}
