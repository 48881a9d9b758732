//! The GRE mirror listener end to end, on a veth pair between two network
//! namespaces the test creates (`plg-PID-N-a` with `.1` / `::1`,
//! `plg-PID-N-b` with `.2`, `.3` / `::2`, `::3`; removed on drop, which also
//! removes the veth pair).
//!
//! Covered, over IPv4 and over IPv6: a raw GRE socket in `a` sends, to `b`,
//! GRE addressed to `.3`
//! (the listener is bound to `.2`: not received), a broken GRE header
//! (counted invalid), PPTP's version-1 GRE (counted ignored), then an
//! Ethernet frame in GRE (transparent Ethernet bridging, key 7) and the same
//! frame in ERSPAN type II (session 0x155). The listener hands out exactly
//! the last two, whole, as raw IPv4 (LINKTYPE 228; over IPv6: LINKTYPE 229,
//! the IPv6 header rebuilt from the sender's and the bound address) with the
//! sender's address, and the decoder finds the inner UDP flow with the
//! tunnel kind and id of each.
//!
//! Runs as root with `ip` (iproute2) present. Without them it prints why
//! and passes, unless PALISADE_E2E=1 (`.ci/run` sets it), where it fails.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use palisade_live::afpacket::run_in_netns;
use palisade_live::{GreListener, LiveSource, MirrorKind};
use palisade_wire::{DecodedPacket, Decoder, Link, TunnelKind, L4};
use socket2::{Domain, Protocol, Socket, Type};

const WAIT: Duration = Duration::from_secs(5);

fn enabled(test: &str) -> bool {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    let ip = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"]
        .iter()
        .any(|p| Path::new(p).exists());
    if root && ip {
        return true;
    }
    let why = format!(
        "{test}: needs root (raw socket, network namespaces) and iproute2's `ip` \
         (root: {root}, ip: {ip})"
    );
    if std::env::var("PALISADE_E2E").as_deref() == Ok("1") {
        panic!("PALISADE_E2E=1 but {why}");
    }
    eprintln!("{test} skipped: {why}");
    false
}

fn sh(script: &str) {
    let o = Command::new("sh").args(["-c", script]).output().unwrap();
    assert!(
        o.status.success(),
        "{script} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

struct Lab {
    a: String,
    b: String,
    net: String,
    net6: String,
}

static LABS: AtomicU32 = AtomicU32::new(0);

impl Lab {
    fn new() -> Lab {
        let pid = std::process::id();
        let n = LABS.fetch_add(1, Ordering::Relaxed);
        let tag = format!("{:05}{n}", pid % 100_000);
        let lab = Lab {
            a: format!("plg-{tag}-a"),
            b: format!("plg-{tag}-b"),
            net: format!("10.217.{}", 20 + (pid + n) % 200),
            net6: format!("fd00:217:{:x}::", (pid + n) % 0xffff),
        };
        let (a, b, net, n6) = (&lab.a, &lab.b, &lab.net, &lab.net6);
        let (va, vb) = (format!("plg{tag}a"), format!("plg{tag}b"));
        sh(&format!(
            "ip netns add {a} && ip netns add {b} && \
             ip link add {va} type veth peer name {vb} && \
             ip link set {va} netns {a} && ip link set {vb} netns {b} && \
             ip -n {a} addr add {net}.1/24 dev {va} && ip -n {a} link set {va} up && \
             ip -n {b} addr add {net}.2/24 dev {vb} && ip -n {b} addr add {net}.3/24 dev {vb} && \
             ip -n {b} link set {vb} up && \
             ip -n {a} addr add {n6}1/64 dev {va} nodad && \
             ip -n {b} addr add {n6}2/64 dev {vb} nodad && \
             ip -n {b} addr add {n6}3/64 dev {vb} nodad && \
             ip -n {a} link set lo up && ip -n {b} link set lo up"
        ));
        lab
    }

    fn netns(name: &str) -> PathBuf {
        PathBuf::from(format!("/var/run/netns/{name}"))
    }

    fn host(&self, v6: bool, n: u8) -> IpAddr {
        if v6 {
            format!("{}{n}", self.net6).parse().unwrap()
        } else {
            format!("{}.{n}", self.net).parse().unwrap()
        }
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for ns in [&self.a, &self.b] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

/// Ethernet/IPv4/UDP 40000 -> 1883 with "hello".
fn inner_frame() -> Vec<u8> {
    let mut f = vec![
        0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00, // Ethernet
        0x45, 0, 0, 33, 0, 1, 0, 0, 64, 17, 0, 0, 192, 168, 1, 10, 192, 168, 1, 20, // IPv4
        0x9c, 0x40, 0x07, 0x5b, 0, 13, 0, 0, // UDP 40000 -> 1883
    ];
    f.extend_from_slice(b"hello");
    f
}

#[test]
fn gre_and_erspan_come_out_as_raw_ipv4() {
    if enabled("gre_and_erspan_come_out_as_raw_ipv4") {
        gre_and_erspan_come_out(false);
    }
}

#[test]
fn gre_and_erspan_over_ipv6_come_out_as_raw_ipv6() {
    if enabled("gre_and_erspan_over_ipv6_come_out_as_raw_ipv6") {
        gre_and_erspan_come_out(true);
    }
}

fn gre_and_erspan_come_out(v6: bool) {
    let lab = Lab::new();
    let (sender, listen, other) = (lab.host(v6, 1), lab.host(v6, 2), lab.host(v6, 3));
    let mut src = run_in_netns(&Lab::netns(&lab.b), || GreListener::bind(listen))
        .unwrap()
        .unwrap();
    assert_eq!(src.local_addr(), listen);
    let domain = if v6 { Domain::IPV6 } else { Domain::IPV4 };
    let tx = run_in_netns(&Lab::netns(&lab.a), || {
        Socket::new(domain, Type::RAW, Some(Protocol::from(47)))
    })
    .unwrap()
    .unwrap();
    let send = |to: IpAddr, gre: &[u8]| {
        tx.send_to(gre, &SocketAddr::new(to, 0).into()).unwrap();
    };
    let hdr = if v6 { 40 } else { 20 };

    let frame = inner_frame();
    // GRE, K bit, protocol 0x6558, key 7
    let mut teb = vec![0x20, 0, 0x65, 0x58, 0, 0, 0, 7];
    teb.extend_from_slice(&frame);
    // GRE, S bit, protocol 0x88be, sequence 1; ERSPAN II: version 1,
    // VLAN 0, session 0x155, index 0
    let mut er2 = vec![
        0x10, 0, 0x88, 0xbe, 0, 0, 0, 1, 0x10, 0, 0x01, 0x55, 0, 0, 0, 0,
    ];
    er2.extend_from_slice(&frame);

    send(other, &teb); // not for the listener's address
    send(listen, &[0x20, 0, 0x65, 0x58]); // K bit without the key
    send(
        listen,
        &[0x30, 0x81, 0x88, 0x0b, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0],
    ); // PPTP, key, seq, ack
    send(listen, &teb);
    send(listen, &er2);

    let mut dec = Decoder::new(Default::default());
    for (gre, kind, id) in [
        (&teb, TunnelKind::Gre, 7),
        (&er2, TunnelKind::Erspan, 0x155),
    ] {
        let p = src.next(WAIT).unwrap().expect("a GRE datagram");
        assert_eq!(p.data.len(), hdr + gre.len());
        assert_eq!(&p.data[hdr..], &gre[..], "the datagram comes whole");
        match (sender, listen) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                assert_eq!(p.linktype, 228);
                assert_eq!(p.data[9], 47);
                assert_eq!(p.data[12..16], s.octets());
                assert_eq!(p.data[16..20], d.octets());
            }
            (IpAddr::V6(s), IpAddr::V6(d)) => {
                assert_eq!(p.linktype, 229);
                assert_eq!(p.data[0] >> 4, 6);
                assert_eq!(p.data[4..6], (gre.len() as u16).to_be_bytes());
                assert_eq!(p.data[6], 47);
                assert_eq!(p.data[8..24], s.octets());
                assert_eq!(p.data[24..40], d.octets());
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(p.wire_len as usize, p.data.len());
        let o = p.mirror.expect("mirror origin");
        assert_eq!(o.kind, MirrorKind::Gre);
        assert_eq!(o.sender, SocketAddr::new(sender, 0));
        let mut out = DecodedPacket::default();
        dec.decode(
            Link::from_linktype(p.linktype),
            p.data,
            p.wire_len,
            &mut out,
        );
        let frames = out.frames();
        assert_eq!(frames.len(), 2, "{frames:?}");
        let inner = &frames[1];
        assert_eq!(inner.tunnel_id, kind.tunnel_id(id));
        assert!(
            matches!(
                inner.l4,
                L4::Udp {
                    src_port: 40000,
                    dst_port: 1883
                }
            ),
            "{:?}",
            inner.l4
        );
        assert_eq!(inner.payload, b"hello");
    }
    let st = src.stats().unwrap();
    assert_eq!((st.packets, st.invalid, st.ignored), (2, 1, 1), "{st:?}");
    assert_eq!(st.bytes, (2 * hdr + teb.len() + er2.len()) as u64, "{st:?}");
    // nothing more: a timeout is None, not an error
    assert!(src.next(Duration::from_millis(50)).unwrap().is_none());
}
