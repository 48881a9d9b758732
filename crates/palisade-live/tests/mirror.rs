//! Mirror listeners on loopback: VXLAN and TZSP datagrams in, inner frames
//! out. Needs no privilege.

use std::net::UdpSocket;
use std::time::Duration;

use palisade_live::{LiveSource, MirrorKind, SourceSpec};

const WAIT: Duration = Duration::from_secs(5);

/// An Ethernet/IPv4/UDP frame, as a mirrored port would carry it.
fn inner_frame() -> Vec<u8> {
    let mut f = vec![
        0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00, // Ethernet
        0x45, 0, 0, 33, 0, 1, 0, 0, 64, 17, 0, 0, 192, 168, 1, 10, 192, 168, 1, 20, // IPv4
        0x30, 0x39, 0x07, 0x5b, 0, 13, 0, 0, // UDP 12345 -> 1883
    ];
    f.extend_from_slice(b"hello");
    f
}

fn open(spec: &str) -> palisade_live::Source {
    SourceSpec::mirror(spec)
        .unwrap()
        .open(&Default::default())
        .unwrap()
}

fn local(src: &palisade_live::Source) -> std::net::SocketAddr {
    match src {
        palisade_live::Source::Mirror(m) => m.local_addr(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn vxlan_frame_comes_back_out() {
    let mut src = open("vxlan://127.0.0.1:0");
    let to = local(&src);
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    let frame = inner_frame();
    // garbage first: counted, and the wait goes on to the real datagram
    tx.send_to(&[0u8; 4], to).unwrap();
    tx.send_to(&[0u8; 12], to).unwrap(); // no I flag
    let mut d = vec![0x08, 0, 0, 0, 0x00, 0x30, 0x39, 0x00]; // VNI 12345
    d.extend_from_slice(&frame);
    tx.send_to(&d, to).unwrap();

    let p = src.next(WAIT).unwrap().expect("the VXLAN datagram");
    assert_eq!(p.data, &frame[..]);
    assert_eq!(p.linktype, 1);
    assert_eq!(p.wire_len as usize, frame.len());
    let o = p.mirror.expect("mirror origin");
    assert_eq!(o.kind, MirrorKind::Vxlan);
    assert_eq!(o.session_id, 12345);
    assert_eq!(o.sender, tx.local_addr().unwrap());
    assert!(p.ts.as_nanos() > 0);
    // the frame decodes like a captured one
    let mut dec = palisade_wire::Decoder::new(Default::default());
    let mut out = palisade_wire::DecodedPacket::default();
    let link = palisade_wire::Link::from_linktype(p.linktype);
    dec.decode(link, p.data, p.wire_len, &mut out);
    assert_eq!(out.frames().len(), 1);
    assert!(
        matches!(
            out.frames()[0].l4,
            palisade_wire::L4::Udp {
                src_port: 12345,
                dst_port: 1883
            }
        ),
        "{:?}",
        out.frames()[0].l4
    );

    let st = src.stats().unwrap();
    assert_eq!((st.packets, st.invalid), (1, 2));
    assert_eq!(st.bytes, frame.len() as u64);
    // nothing more: a timeout is None, not an error
    assert!(src.next(Duration::from_millis(50)).unwrap().is_none());
    assert!(src.next(Duration::ZERO).unwrap().is_none());
}

#[test]
fn tzsp_frame_comes_back_out() {
    let mut src = open("tzsp://127.0.0.1:0");
    let to = local(&src);
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    tx.send_to(&[1, 4, 0, 1, 1], to).unwrap(); // keepalive
    let frame = inner_frame();
    let mut d = vec![1, 0, 0, 1, 0x0a, 0x01, 0xc4, 0x01]; // signal tag, end
    d.extend_from_slice(&frame);
    tx.send_to(&d, to).unwrap();
    let p = src.next(WAIT).unwrap().expect("the TZSP datagram");
    assert_eq!(p.data, &frame[..]);
    assert_eq!(p.linktype, 1);
    let o = p.mirror.unwrap();
    assert_eq!((o.kind, o.session_id), (MirrorKind::Tzsp, 0));
    let st = src.stats().unwrap();
    assert_eq!((st.packets, st.ignored, st.invalid), (1, 1, 0));
}

#[test]
fn kernel_drops_are_counted() {
    let mut src = open("vxlan://127.0.0.1:0");
    let to = local(&src);
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut d = vec![0x08, 0, 0, 0, 0, 0, 1, 0];
    d.extend_from_slice(&inner_frame());
    d.resize(1400, 0);
    // far more than the receive buffer holds, nothing read meanwhile:
    // on loopback each datagram is either queued or dropped (and counted)
    const SENT: u64 = 10_000;
    for _ in 0..SENT {
        tx.send_to(&d, to).unwrap();
    }
    let mut received = 0;
    while src.next(Duration::from_millis(200)).unwrap().is_some() {
        received += 1;
    }
    let st = src.stats().unwrap();
    eprintln!("received {received}, kernel dropped {}", st.kernel_drops);
    assert_eq!(st.packets, received);
    assert_eq!(
        received + st.kernel_drops,
        SENT,
        "received {received}, dropped {}",
        st.kernel_drops
    );
    let rmem: u64 = std::fs::read_to_string("/proc/sys/net/core/rmem_default")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    if rmem > 0 && rmem < SENT * 1400 {
        assert!(st.kernel_drops > 0);
    }
}
