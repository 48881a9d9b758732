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
            source: 0,
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

/// Rule text, end to end: the bytes before the first NUL are a rule file
/// (parsed, compiled and grouped into a rule set), the bytes after it are a
/// packet payload inspected by every entry point of the engine. Nothing may
/// panic, whatever the rules say and whatever the payload holds.
pub fn rules(data: &[u8]) {
    use palisade_detect::{
        BuildOptions, DetectThread, FlowDetect, FlowView, PacketView, RuleSet, RuleSource,
    };
    let split = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let (text, payload) = data.split_at(split);
    let payload = payload.get(1..).unwrap_or(&[]);
    let source = RuleSource {
        name: "fuzz".into(),
        text: String::from_utf8_lossy(text).into_owned(),
    };
    let (set, report) = RuleSet::build(&[source], &BuildOptions::default());
    assert_eq!(report.loaded, set.len());
    let mut t = DetectThread::new(&set);
    let mut flow = FlowDetect::default();
    let a = std::net::IpAddr::from([192, 168, 0, 1]);
    let b = std::net::IpAddr::from([10, 0, 0, 2]);
    let mut out = Vec::new();
    for (proto, to_server) in [(6u8, true), (6, false), (17, true), (1, true)] {
        let mut p = PacketView::new(a, b, proto, 1024, 80, payload);
        p.flow = Some(FlowView {
            to_server,
            established: true,
            has_stream: proto == 6,
            toserver_bytes: payload.len() as u64,
            toclient_bytes: 0,
        });
        set.inspect_packet(&mut t, &p, Some(&mut flow), 1, 1, &mut out);
        if proto == 6 {
            set.inspect_stream(
                &mut t, &p, &mut flow, to_server, payload, false, 1, 1, &mut out,
            );
        }
        set.inspect_naive(&mut t, &p, None, None, None, 1, &mut out);
    }
    for alert in &out {
        assert!(set.signature(alert.sig).is_some());
    }
}

/// App-layer parsers: byte 0 picks a protocol from the registry (or the
/// identification path), the rest is cut into chunks of alternating
/// directions and gaps; every record is also logged. Must never panic and
/// never grow beyond the parsers' bounds.
pub fn proto(data: &[u8]) {
    palisade_proto::testing::fuzz_drive(data);
}

/// Any bytes as fleet knowledge: the first byte picks what reads the
/// rest — a firmware version (ordered consistently against itself and a
/// split of itself), a classifier rule file, an advisory file, facts for
/// the built-in classifier (NUL-separated kind/value pairs) matched on to
/// the built-in advisories, or a MUD file. Errors are fine; panics and
/// unbounded values are not.
pub fn fleet(data: &[u8]) {
    use palisade_fleet::advisory::{AdvisoryDb, DeviceIdentity};
    use palisade_fleet::classify::{Classifier, Field, MAX_VALUE};
    use palisade_fleet::version::{Version, MAX_PARTS};
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    match sel % 5 {
        0 => {
            let mid = text.len() / 2;
            let cut = (0..=mid)
                .rev()
                .find(|&i| text.is_char_boundary(i))
                .unwrap_or(0);
            let (a, b) = text.split_at(cut);
            let (va, vb) = (Version::parse(a), Version::parse(b));
            if let Some(v) = &va {
                assert!(v.release.len() <= MAX_PARTS);
                assert_eq!(v.cmp(v), std::cmp::Ordering::Equal);
            }
            if let (Some(x), Some(y)) = (va, vb) {
                assert_eq!(x.cmp(&y), y.cmp(&x).reverse(), "antisymmetric");
            }
        }
        1 => {
            if let Ok(c) = Classifier::from_toml(&text, "fuzz") {
                let _ = c.classify([("http.user_agent", "x"), ("oui.vendor", "y")]);
            }
        }
        2 => {
            if let Ok(db) = AdvisoryDb::from_json(&text, "fuzz") {
                let _ = db.matches(&DeviceIdentity {
                    vendor: Some("Hikvision"),
                    product: Some("DS-2CD2043G2-I"),
                    device_type: Some("camera"),
                    firmware: Some("V5.5.52 build 180620"),
                });
            }
        }
        3 => {
            let parts: Vec<&str> = text.split('\0').collect();
            let facts = parts.chunks(2).filter_map(|c| match c {
                [k, v] => Some((*k, *v)),
                _ => None,
            });
            // built once: compiling the rules per input would make the
            // fuzzer measure regex compilation
            static BUILTIN: std::sync::OnceLock<(Classifier, AdvisoryDb)> =
                std::sync::OnceLock::new();
            let (classifier, advisories) =
                BUILTIN.get_or_init(|| (Classifier::builtin(), AdvisoryDb::builtin()));
            let c = classifier.classify(facts);
            for f in [
                Field::Vendor,
                Field::Product,
                Field::DeviceType,
                Field::Firmware,
            ] {
                assert!(c.get(f).is_none_or(|v| v.len() <= MAX_VALUE));
            }
            let _ = advisories.matches(&DeviceIdentity {
                vendor: c.get(Field::Vendor),
                product: c.get(Field::Product),
                device_type: c.get(Field::DeviceType),
                firmware: c.get(Field::Firmware),
            });
        }
        _ => {
            let _ = palisade_detectors::mud::MudFile::parse(&text);
        }
    }
}

/// The sensor's own parsing: the `/metrics` request head, and the capture's
/// address/port pairs of a packet (byte 0 picks; byte 1 the link type).
pub fn sensor(data: &[u8]) {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    if which & 1 == 0 {
        let _ = crate::metrics::server::route(rest);
        return;
    }
    let Some((&lt, pkt)) = rest.split_first() else {
        return;
    };
    let linktype = [1, 101, 113, 276, 228, 229, 0, 12][usize::from(lt & 7)];
    let dcfg = palisade_wire::DecoderConfig::default();
    let route = crate::pipeline::route::RouteConfig::of_decoder(&dcfg);
    let mut dec = palisade_wire::Decoder::new(dcfg);
    let pairs =
        crate::pipeline::capture::packet_pairs(&mut dec, &route, linktype, pkt, pkt.len() as u32);
    // the routing fast path, when it answers, agrees with the full decode
    if crate::pipeline::route::fast_frame(&route, linktype, pkt).is_some() {
        let mut d = palisade_wire::DecodedPacket::default();
        dec.decode(
            palisade_wire::Link::from_linktype(linktype),
            pkt,
            pkt.len() as u32,
            &mut d,
        );
        assert_eq!(
            d.frames().len(),
            1,
            "fast path on a packet of several frames"
        );
    }
    assert!(pairs.len() <= 4);
    for (i, p) in pairs.iter().enumerate() {
        assert!(!pairs[i + 1..].contains(p), "a pair indexed twice");
    }
}
