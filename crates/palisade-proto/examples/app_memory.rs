//! Memory the app layer holds: per flow (identification plus the parser's
//! state and the transactions it keeps, measured on real and generated
//! captures) and per transaction (the growth when requests wait for their
//! answers), counted by a global allocator that tracks live heap bytes.
//!
//!   cargo run --release -p palisade-proto --example app_memory -- CAPTURE...
//!
//! Prints, per protocol: flows, mean and max bytes held per flow while the
//! flow is open (after its last data, before it ends), and then bytes per
//! waiting transaction for the protocols that pair requests with answers.

#[path = "../src/conversations.rs"]
#[allow(dead_code)]
mod conversations;

use palisade_event::Timestamp;
use palisade_proto::parser::{Collect, Dir, Input};
use palisade_proto::{AppFlow, Transport};
use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicIsize, Ordering};

/// System allocator plus a count of live heap bytes.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new as isize - l.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static A: Counting = Counting;

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

/// A sink that drops what it is given (so only the parser's holdings count).
struct Discard;
impl palisade_proto::Sink for Discard {
    fn tx(&mut self, _: &dyn palisade_proto::AppTx, _: palisade_proto::TxUpdate) {}
    fn event(&mut self, _: Dir, _: &'static str) {}
}

/// Bytes an `AppFlow` holds after `chunks` (its own size included).
fn held(transport: Transport, port: u16, chunks: &[(Dir, &[u8])]) -> (Option<&'static str>, isize) {
    let before = live();
    let mut f = Box::new(AppFlow::new(transport, port));
    let ts = Timestamp::from_secs_nanos(1_700_000_000, 0);
    for (d, c) in chunks {
        f.data(
            Input {
                dir: *d,
                data: c,
                ts,
            },
            &mut Discard,
        );
    }
    let bytes = live() - before;
    let proto = f.app_proto();
    let mut out = Collect::default();
    f.finish(&mut out);
    (proto, bytes)
}

fn per_tx(name: &str, transport: Transport, port: u16, open: &[u8], one: &dyn Fn(u32) -> Vec<u8>) {
    let n = 200u32;
    let mut msgs: Vec<Vec<u8>> = vec![open.to_vec()];
    let base = held(transport, port, &[(Dir::ToServer, open)]).1;
    for i in 0..n {
        msgs.push(one(i));
    }
    let chunks: Vec<(Dir, &[u8])> = msgs.iter().map(|m| (Dir::ToServer, &m[..])).collect();
    let (p, all) = held(transport, port, &chunks);
    println!(
        "{name:<6} {:>8.0} bytes per waiting transaction ({n} waiting, identified as {})",
        (all - base) as f64 / f64::from(n),
        p.unwrap_or("-")
    );
}

fn main() {
    let mut per: BTreeMap<&'static str, (u64, i64, i64)> = BTreeMap::new();
    for path in std::env::args().skip(1) {
        for c in conversations::from_pcap(std::path::Path::new(&path)) {
            let chunks = c.borrowed();
            let (p, bytes) = held(c.transport, c.server_port, &chunks);
            let e = per.entry(p.unwrap_or("unknown")).or_default();
            e.0 += 1;
            e.1 += bytes as i64;
            e.2 = e.2.max(bytes as i64);
        }
    }
    println!(
        "{:<8} {:>7} {:>12} {:>10}",
        "proto", "flows", "mean B/flow", "max B"
    );
    for (p, (n, sum, max)) in &per {
        println!("{p:<8} {n:>7} {:>12.0} {max:>10}", *sum as f64 / *n as f64);
    }
    println!();
    per_tx("http", Transport::Tcp, 80, b"", &|i| {
        format!("GET /ISAPI/System/status?i={i} HTTP/1.1\r\nHost: 192.168.1.64\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n").into_bytes()
    });
    per_tx("rtsp", Transport::Tcp, 554, b"", &|i| {
        format!("DESCRIBE rtsp://192.168.1.64:554/Streaming/Channels/101 RTSP/1.0\r\nCSeq: {}\r\nAccept: application/sdp\r\nUser-Agent: LibVLC/3.0.16\r\n\r\n", i + 2).into_bytes()
    });
    let connect: &[u8] = b"\x10\x1a\x00\x04MQTT\x04\x02\x00\x3c\x00\x0esensor-0042-ab";
    per_tx("mqtt", Transport::Tcp, 1883, connect, &|i| {
        // QoS 1 PUBLISH to a 22-byte topic with a 40-byte payload, id i+1
        let topic = b"fleet/sensor-0042/temp";
        let id = (i + 1) as u16;
        let mut m = vec![0x32, (2 + topic.len() + 2 + 40) as u8, 0, topic.len() as u8];
        m.extend_from_slice(topic);
        m.extend_from_slice(&id.to_be_bytes());
        m.extend_from_slice(&[b'x'; 40]);
        m
    });
    per_tx("dns", Transport::Udp, 53, b"", &|i| {
        let id = (i + 1) as u16;
        let mut m = id.to_be_bytes().to_vec();
        m.extend_from_slice(&[1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
        for l in ["cam-0042", "vendor-cloud", "example"] {
            m.push(l.len() as u8);
            m.extend_from_slice(l.as_bytes());
        }
        m.extend_from_slice(&[0, 0, 1, 0, 1]);
        m
    });
}
