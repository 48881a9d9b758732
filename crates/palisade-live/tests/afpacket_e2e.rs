//! AF_PACKET capture end to end, on a veth pair between two network
//! namespaces the test creates (`plv-PID-N-a` with `.1`, `plv-PID-N-b` with
//! `.2`; removed on drop, which also removes the veth pair).
//!
//! Covered: UDP datagrams and ICMP (incoming and outgoing) captured with
//! their lengths, timestamps within the test's run, counters and the
//! promiscuity the socket adds and removes; two sockets in one fanout group
//! share the packets with every flow on one socket; a filter compiled by
//! tcpdump keeps only what it matches; a ring too small for a burst counts
//! the rest as kernel drops, exactly; an interface going down is reported
//! once and capture resumes when it is back; VLAN tags the kernel strips
//! are back in the frames (through a VLAN device, or frames injected with
//! python3 where the kernel has no 8021q).
//!
//! Sockets are created inside a namespace by a short-lived thread that
//! entered it (`afpacket::run_in_netns`); the test itself never leaves the
//! host's namespace.
//!
//! Runs as root with `ip` (iproute2) present. Without them it prints why
//! and passes, unless PALISADE_E2E=1 (`.ci/run` sets it), where it fails.

use std::collections::{BTreeMap, BTreeSet};
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use palisade_live::afpacket::run_in_netns;
use palisade_live::bpf::parse_tcpdump_ddd;
use palisade_live::{AfPacket, AfPacketConfig, LiveSource};

fn ip_present() -> bool {
    ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"]
        .iter()
        .any(|p| Path::new(p).exists())
}

/// Whether the test can run; panics when PALISADE_E2E=1 and it cannot.
fn enabled(test: &str) -> bool {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    let ip = ip_present();
    if root && ip {
        return true;
    }
    let why = format!(
        "{test}: needs root and iproute2's `ip` to create network namespaces \
         (root: {root}, ip: {ip})"
    );
    if std::env::var("PALISADE_E2E").as_deref() == Ok("1") {
        panic!("PALISADE_E2E=1 but {why}");
    }
    eprintln!("{test} skipped: {why}");
    false
}

fn sh(script: &str) -> String {
    let o = Command::new("sh").args(["-c", script]).output().unwrap();
    assert!(
        o.status.success(),
        "{script} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Two namespaces joined by a veth pair.
struct Lab {
    a: String,
    b: String,
    veth_a: String,
    veth_b: String,
    net: String,
}

impl Drop for Lab {
    fn drop(&mut self) {
        for ns in [&self.a, &self.b] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

static LABS: AtomicU32 = AtomicU32::new(0);

impl Lab {
    fn new() -> Lab {
        let pid = std::process::id();
        let n = LABS.fetch_add(1, Ordering::Relaxed);
        let tag = format!("{:05}{n}", pid % 100_000);
        let lab = Lab {
            a: format!("plv-{tag}-a"),
            b: format!("plv-{tag}-b"),
            veth_a: format!("plv{tag}a"),
            veth_b: format!("plv{tag}b"),
            net: format!("10.215.{}", 20 + (pid + n) % 200),
        };
        let (a, b, va, vb, net) = (&lab.a, &lab.b, &lab.veth_a, &lab.veth_b, &lab.net);
        sh(&format!(
            "ip netns add {a} && ip netns add {b} && \
             ip link add {va} type veth peer name {vb} && \
             ip link set {va} netns {a} && ip link set {vb} netns {b} && \
             ip -n {a} addr add {net}.1/24 dev {va} && ip -n {a} link set {va} up && \
             ip -n {b} addr add {net}.2/24 dev {vb} && ip -n {b} link set {vb} up && \
             ip -n {a} link set lo up && ip -n {b} link set lo up"
        ));
        lab
    }

    /// VLAN `id` on both ends, 10.216.X.1 and .2; returns the addresses,
    /// or why not (a kernel without 8021q).
    fn vlan(&self, id: u16) -> Result<(String, String), String> {
        let net = self.net.replace("10.215.", "10.216.");
        for (ns, dev, host) in [(&self.a, &self.veth_a, 1), (&self.b, &self.veth_b, 2)] {
            let o = Command::new("sh")
                .args([
                    "-c",
                    &format!(
                        "ip -n {ns} link add link {dev} name {dev}.{id} type vlan id {id} && \
                         ip -n {ns} addr add {net}.{host}/24 dev {dev}.{id} && \
                         ip -n {ns} link set {dev}.{id} up"
                    ),
                ])
                .output()
                .unwrap();
            if !o.status.success() {
                return Err(String::from_utf8_lossy(&o.stderr).trim().to_string());
            }
        }
        Ok((format!("{net}.1"), format!("{net}.2")))
    }

    /// Sends raw frames out of the veth end in `a` (python3's AF_PACKET).
    fn inject(&self, frame: &[u8], count: usize) -> Result<(), String> {
        let hex: String = frame.iter().map(|b| format!("{b:02x}")).collect();
        let script = "import socket,sys\n\
                      s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW)\n\
                      s.bind((sys.argv[1],0))\n\
                      [s.send(bytes.fromhex(sys.argv[2])) for _ in range(int(sys.argv[3]))]\n";
        let o = Command::new("ip")
            .args(["netns", "exec", &self.a, "python3", "-c", script])
            .args([&self.veth_a, &hex, &count.to_string()])
            .output()
            .map_err(|e| e.to_string())?;
        if !o.status.success() {
            return Err(String::from_utf8_lossy(&o.stderr).trim().to_string());
        }
        Ok(())
    }

    fn ns(name: &str) -> PathBuf {
        PathBuf::from(format!("/var/run/netns/{name}"))
    }

    fn a_addr(&self) -> String {
        format!("{}.1", self.net)
    }

    fn b_addr(&self) -> String {
        format!("{}.2", self.net)
    }

    /// An AF_PACKET capture on the veth end in `b`.
    fn capture(&self, cfg: &AfPacketConfig) -> AfPacket {
        let name = self.veth_b.clone();
        run_in_netns(&Self::ns(&self.b), || AfPacket::open(&name, cfg))
            .expect("enter netns")
            .expect("open AF_PACKET")
    }

    /// A UDP socket in namespace `ns` bound to `addr`.
    fn udp(&self, ns: &str, addr: String) -> UdpSocket {
        run_in_netns(&Self::ns(ns), move || UdpSocket::bind(addr))
            .expect("enter netns")
            .expect("bind")
    }

    /// The device's promiscuity count (`ip -d`): a packet socket's
    /// membership raises it without setting the PROMISC flag.
    fn promiscuous(&self) -> bool {
        let out = sh(&format!("ip -d -n {} link show {}", self.b, self.veth_b));
        let count = out
            .split_whitespace()
            .skip_while(|w| *w != "promiscuity")
            .nth(1)
            .and_then(|n| n.parse::<u32>().ok())
            .unwrap_or_else(|| panic!("no promiscuity in {out}"));
        count > 0
    }
}

/// A small ring that hands blocks over quickly.
fn small() -> AfPacketConfig {
    AfPacketConfig {
        block_size: 256 << 10,
        block_count: 4,
        retire_timeout_ms: 10,
        ..AfPacketConfig::default()
    }
}

/// A parsed Ethernet/IPv4 frame: (protocol, source port or ICMP type,
/// destination port or ICMP code, L4 payload).
fn ipv4(frame: &[u8]) -> Option<(u8, u16, u16, &[u8])> {
    if frame.get(12..14)? != [0x08, 0x00] {
        return None;
    }
    let ihl = usize::from(frame.get(14)? & 0x0f) * 4;
    let proto = *frame.get(23)?;
    let l4 = frame.get(14 + ihl..)?;
    let be = |i: usize| Some(u16::from_be_bytes([*l4.get(i)?, *l4.get(i + 1)?]));
    match proto {
        17 => Some((17, be(0)?, be(2)?, l4.get(8..)?)),
        1 => Some((1, u16::from(*l4.first()?), u16::from(*l4.get(1)?), l4)),
        _ => None,
    }
}

fn now_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

const PORT: u16 = 5555;

#[test]
fn captures_udp_on_a_veth() {
    if !enabled("captures_udp_on_a_veth") {
        return;
    }
    let lab = Lab::new();
    let mut cap = lab.capture(&small());
    assert_eq!(cap.linktype(), 1);
    assert!(
        lab.promiscuous(),
        "promiscuous mode while the socket is open"
    );
    let _rx = lab.udp(&lab.b, format!("{}:{PORT}", lab.b_addr()));
    let tx = lab.udp(&lab.a, format!("{}:0", lab.a_addr()));
    let t0 = now_nanos();
    const N: usize = 20;
    let size = |i: usize| 1 + i * 61;
    for i in 0..N {
        let mut p = vec![i as u8; size(i)];
        p[0] = i as u8;
        tx.send_to(&p, format!("{}:{PORT}", lab.b_addr())).unwrap();
    }
    // two datagrams to a closed port: b answers with ICMP port
    // unreachable, an outgoing packet the capture sees too
    for _ in 0..2 {
        tx.send_to(b"closed", format!("{}:{}", lab.b_addr(), PORT + 1))
            .unwrap();
    }

    let mut seen: BTreeMap<u8, (usize, u32)> = BTreeMap::new();
    let mut unreachable = 0;
    let mut handed_out = 0u64;
    let mut bytes = 0u64;
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && (seen.len() < N || unreachable == 0) {
        let Some(p) = cap.next(Duration::from_millis(200)).unwrap() else {
            continue;
        };
        handed_out += 1;
        bytes += p.data.len() as u64;
        assert_eq!(p.linktype, 1);
        assert_eq!(p.wire_len as usize, p.data.len(), "nothing truncated");
        assert!(p.mirror.is_none());
        let ts = p.ts.as_nanos();
        // the kernel stamps with the same real-time clock (1 s of slack)
        assert!(
            ts + 1_000_000_000 >= t0 && ts <= now_nanos() + 1_000_000_000,
            "timestamp {ts} outside the test's run (from {t0})"
        );
        match ipv4(p.data) {
            Some((17, _, PORT, payload)) => {
                let i = payload[0];
                assert_eq!(payload.len(), size(i as usize));
                assert!(payload.iter().all(|&b| b == i));
                let prev = seen.insert(i, (p.data.len(), p.wire_len));
                assert!(prev.is_none(), "datagram {i} captured twice");
            }
            Some((1, 3, 3, _)) => unreachable += 1,
            _ => {}
        }
    }
    assert_eq!(seen.len(), N, "every datagram captured");
    for (i, (len, wire)) in &seen {
        assert_eq!(*len, 14 + 20 + 8 + size(*i as usize));
        assert_eq!(*wire as usize, *len);
    }
    assert!(
        unreachable >= 1,
        "ICMP port unreachable captured (outgoing)"
    );

    let st = cap.stats().unwrap();
    assert_eq!(st.packets, handed_out);
    assert_eq!(st.bytes, bytes);
    assert!(
        st.kernel_packets >= st.packets,
        "kernel counted {} packets, {} handed out",
        st.kernel_packets,
        st.packets
    );
    assert_eq!(st.kernel_drops, 0);
    assert_eq!(st.invalid, 0);
    // counters are summed across reads (the kernel resets them on read)
    let again = cap.stats().unwrap();
    assert!(again.kernel_packets >= st.kernel_packets);

    // nothing more comes: a timeout gives None
    let mut extra = 0;
    while cap.next(Duration::from_millis(100)).unwrap().is_some() {
        extra += 1;
        assert!(extra < 1000);
    }
    drop(cap);
    assert!(
        !lab.promiscuous(),
        "closing the socket ends promiscuous mode"
    );
}

#[test]
fn fanout_splits_by_flow() {
    if !enabled("fanout_splits_by_flow") {
        return;
    }
    let lab = Lab::new();
    let cfg = AfPacketConfig {
        fanout_group: Some(0x7a11),
        promiscuous: false,
        ..small()
    };
    let mut caps = [lab.capture(&cfg), lab.capture(&cfg)];
    let _rx = lab.udp(&lab.b, format!("{}:{PORT}", lab.b_addr()));
    const FLOWS: usize = 16;
    const PER_FLOW: usize = 5;
    let senders: Vec<UdpSocket> = (0..FLOWS)
        .map(|_| lab.udp(&lab.a, format!("{}:0", lab.a_addr())))
        .collect();
    let dst = format!("{}:{PORT}", lab.b_addr());
    for k in 0..PER_FLOW {
        for s in &senders {
            s.send_to(&[k as u8; 32], &dst).unwrap();
        }
    }
    // source port -> (socket index -> packets)
    let mut flows: BTreeMap<u16, BTreeMap<usize, usize>> = BTreeMap::new();
    let mut total = 0;
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && total < FLOWS * PER_FLOW {
        for (i, cap) in caps.iter_mut().enumerate() {
            while let Some(p) = cap.next(Duration::from_millis(20)).unwrap() {
                if let Some((17, sport, PORT, _)) = ipv4(p.data) {
                    *flows.entry(sport).or_default().entry(i).or_default() += 1;
                    total += 1;
                }
            }
        }
    }
    assert_eq!(
        total,
        FLOWS * PER_FLOW,
        "the group together sees every packet"
    );
    assert_eq!(flows.len(), FLOWS);
    for (sport, per_socket) in &flows {
        assert_eq!(
            per_socket.len(),
            1,
            "flow from port {sport} split: {per_socket:?}"
        );
        assert_eq!(per_socket.values().sum::<usize>(), PER_FLOW);
    }
    let on: BTreeSet<usize> = flows.values().flat_map(|m| m.keys().copied()).collect();
    let load: Vec<usize> = (0..2)
        .map(|i| flows.values().filter_map(|m| m.get(&i)).sum())
        .collect();
    eprintln!("fanout: packets per socket {load:?}, sockets used {on:?}");
    for cap in &mut caps {
        let st = cap.stats().unwrap();
        assert_eq!(st.kernel_drops, 0);
        assert!(st.kernel_packets >= st.packets);
    }
}

#[test]
fn ring_overflow_is_counted_as_kernel_drops() {
    if !enabled("ring_overflow_is_counted_as_kernel_drops") {
        return;
    }
    let lab = Lab::new();
    // two one-page blocks, and only our datagrams (the filter keeps ARP
    // and IPv6 housekeeping out of the counts)
    let cfg = AfPacketConfig {
        block_size: 4096,
        block_count: 2,
        filter: Some(parse_tcpdump_ddd(UDP_DST_5555).unwrap()),
        ..small()
    };
    let mut cap = lab.capture(&cfg);
    let _rx = lab.udp(&lab.b, format!("{}:{PORT}", lab.b_addr()));
    let tx = lab.udp(&lab.a, format!("{}:0", lab.a_addr()));
    const SENT: u64 = 500;
    for i in 0..SENT {
        tx.send_to(&[i as u8; 200], format!("{}:{PORT}", lab.b_addr()))
            .unwrap();
    }
    // nothing read while sending: the ring fills, the rest is dropped
    let mut handed_out = 0;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match cap.next(Duration::from_millis(300)).unwrap() {
            Some(p) => {
                assert!(matches!(ipv4(p.data), Some((17, _, PORT, _))));
                handed_out += 1;
            }
            None if handed_out > 0 || Instant::now() > deadline => break,
            None => {}
        }
    }
    let st = cap.stats().unwrap();
    eprintln!("ring overflow: {st:?}");
    assert_eq!(st.packets, handed_out);
    assert!(
        st.kernel_drops > 0,
        "a two-page ring cannot hold {SENT} datagrams"
    );
    assert_eq!(
        handed_out + st.kernel_drops,
        st.kernel_packets,
        "every packet the kernel counted was handed out or dropped"
    );
    assert!(st.kernel_packets <= SENT);
    assert_eq!(st.invalid, 0);
}

#[test]
fn interface_down_is_reported_and_capture_resumes() {
    if !enabled("interface_down_is_reported_and_capture_resumes") {
        return;
    }
    let lab = Lab::new();
    let mut cap = lab.capture(&small());
    let _rx = lab.udp(&lab.b, format!("{}:{PORT}", lab.b_addr()));
    let tx = lab.udp(&lab.a, format!("{}:0", lab.a_addr()));
    sh(&format!("ip -n {} link set {} down", lab.b, lab.veth_b));
    let mut err = None;
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && err.is_none() {
        if let Err(e) = cap.next(Duration::from_millis(200)) {
            err = Some(e);
        }
    }
    let err = err.expect("the interface going down is reported");
    let os = match &err {
        palisade_live::Error::Os { source, .. } => source.raw_os_error(),
        _ => None,
    };
    assert_eq!(os, Some(100), "ENETDOWN (100 on Linux) expected, got {err}");
    // the source stays usable: later waits are timeouts (or, when the
    // kernel raises it again under load, the same ENETDOWN), never another
    // error
    for _ in 0..3 {
        if let Err(e) = cap.next(Duration::from_millis(100)) {
            let again = match &e {
                palisade_live::Error::Os { source, .. } => source.raw_os_error(),
                _ => None,
            };
            assert_eq!(again, Some(100), "only ENETDOWN may repeat, got {e}");
        }
    }
    sh(&format!("ip -n {} link set {} up", lab.b, lab.veth_b));
    let mut got = 0;
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && got == 0 {
        // the link needs a moment to carry again; keep sending
        tx.send_to(b"again", format!("{}:{PORT}", lab.b_addr()))
            .unwrap();
        while let Some(p) = cap.next(Duration::from_millis(100)).unwrap() {
            if matches!(ipv4(p.data), Some((17, _, PORT, b"again"))) {
                got += 1;
            }
        }
    }
    assert!(got > 0, "capture resumes once the interface is up");
}

#[test]
fn vlan_tags_are_put_back() {
    if !enabled("vlan_tags_are_put_back") {
        return;
    }
    let lab = Lab::new();
    // capture on the parent device: the kernel strips the tag on receive
    let mut cap = lab.capture(&small());
    let mut _keep = Vec::new();
    match lab.vlan(42) {
        Ok((a, b)) => {
            _keep.push(lab.udp(&lab.b, format!("{b}:{PORT}")));
            let tx = lab.udp(&lab.a, format!("{a}:0"));
            for i in 0..5u8 {
                tx.send_to(&[i; 100], format!("{b}:{PORT}")).unwrap();
            }
        }
        Err(why) => {
            // no VLAN devices in this kernel: send tagged frames raw
            eprintln!("vlan_tags_are_put_back: no VLAN device ({why}); injecting tagged frames");
            if let Err(e) = lab.inject(&tagged_udp_frame(42, 100), 5) {
                eprintln!("vlan_tags_are_put_back skipped: cannot inject either ({e})");
                return;
            }
        }
    }
    let mut got = 0;
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && got < 5 {
        let Some(p) = cap.next(Duration::from_millis(200)).unwrap() else {
            continue;
        };
        if p.data.get(12..14) == Some(&[0x81, 0x00]) && p.data.get(16..18) == Some(&[0x08, 0x00]) {
            let tci = u16::from_be_bytes([p.data[14], p.data[15]]);
            assert_eq!(tci & 0x0fff, 42);
            // the frame minus its tag is an ordinary Ethernet/IPv4 frame
            let mut untagged = p.data[..12].to_vec();
            untagged.extend_from_slice(&p.data[16..]);
            if let Some((17, _, PORT, payload)) = ipv4(&untagged) {
                assert_eq!(payload.len(), 100);
                assert_eq!(p.data.len(), 18 + 20 + 8 + 100);
                assert_eq!(p.wire_len as usize, p.data.len());
                got += 1;
            }
        }
    }
    assert_eq!(got, 5, "every datagram captured with its VLAN tag");
}

/// Broadcast Ethernet, 802.1Q tag `vid`, IPv4, UDP to [`PORT`].
fn tagged_udp_frame(vid: u16, payload: usize) -> Vec<u8> {
    let mut f = vec![0xff; 6];
    f.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x01, 0x81, 0x00]);
    f.extend_from_slice(&vid.to_be_bytes());
    f.extend_from_slice(&[0x08, 0x00]);
    let ip_len = (20 + 8 + payload) as u16;
    f.extend_from_slice(&[0x45, 0]);
    f.extend_from_slice(&ip_len.to_be_bytes());
    f.extend_from_slice(&[0, 1, 0, 0, 64, 17, 0, 0, 10, 216, 0, 1, 10, 216, 0, 2]);
    f.extend_from_slice(&40000u16.to_be_bytes());
    f.extend_from_slice(&PORT.to_be_bytes());
    f.extend_from_slice(&((8 + payload) as u16).to_be_bytes());
    f.extend_from_slice(&[0, 0]);
    f.extend(std::iter::repeat_n(0x5a, payload));
    f
}

/// `tcpdump -ddd 'udp dst port 5555'` (Ethernet), as tcpdump 4.99 prints it.
const UDP_DST_5555: &str = "16
40 0 0 12
21 0 4 34525
48 0 0 20
21 0 11 17
40 0 0 56
21 8 9 5555
21 0 8 2048
48 0 0 23
21 0 6 17
40 0 0 20
69 4 0 8191
177 0 0 14
72 0 0 16
21 0 1 5555
6 0 0 262144
6 0 0 0
";

#[test]
fn bpf_filter_keeps_only_matching_packets() {
    if !enabled("bpf_filter_keeps_only_matching_packets") {
        return;
    }
    let lab = Lab::new();
    let cfg = AfPacketConfig {
        filter: Some(parse_tcpdump_ddd(UDP_DST_5555).unwrap()),
        ..small()
    };
    let mut cap = lab.capture(&cfg);
    let _rx1 = lab.udp(&lab.b, format!("{}:{PORT}", lab.b_addr()));
    let _rx2 = lab.udp(&lab.b, format!("{}:{}", lab.b_addr(), PORT + 1));
    let tx = lab.udp(&lab.a, format!("{}:0", lab.a_addr()));
    for i in 0..10u8 {
        tx.send_to(&[i; 10], format!("{}:{}", lab.b_addr(), PORT + 1))
            .unwrap();
        tx.send_to(&[i; 10], format!("{}:{PORT}", lab.b_addr()))
            .unwrap();
    }
    let mut got = 0;
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && got < 10 {
        if let Some(p) = cap.next(Duration::from_millis(200)).unwrap() {
            assert!(
                matches!(ipv4(p.data), Some((17, _, PORT, _))),
                "the filter let through {:02x?}",
                p.data
            );
            got += 1;
        }
    }
    assert_eq!(got, 10);
    // and nothing else (ARP, the other port) is in the ring
    assert!(cap.next(Duration::from_millis(300)).unwrap().is_none());
    assert_eq!(cap.stats().unwrap().packets, 10);
}
