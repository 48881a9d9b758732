//! End-to-end checks of generated captures, read back with our own parser.

mod common;

use common::*;
use palisade_testbed::{generate, parse_duration, Labels, ScenarioConfig};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

struct Capture {
    cfg: ScenarioConfig,
    bytes: Vec<u8>,
    labels: Labels,
    pkts: Vec<Packet>,
}

fn run(cfg: &ScenarioConfig) -> (Vec<u8>, Labels) {
    let mut bytes = Vec::new();
    let labels = generate(cfg, &mut bytes).expect("generate");
    (bytes, labels)
}

/// One 20-minute capture of 24 devices shared by most tests.
fn capture() -> &'static Capture {
    static CAP: OnceLock<Capture> = OnceLock::new();
    CAP.get_or_init(|| {
        let cfg = ScenarioConfig {
            seed: 42,
            devices: 24,
            duration_secs: 20 * 60,
            ..Default::default()
        };
        let (bytes, labels) = run(&cfg);
        let (linktype, recs) = read_pcap(&bytes);
        assert_eq!(linktype, 1);
        let pkts = recs.iter().map(parse).collect();
        Capture {
            cfg,
            bytes,
            labels,
            pkts,
        }
    })
}

fn ip_of(s: &str) -> [u8; 4] {
    s.parse::<std::net::Ipv4Addr>().unwrap().octets()
}

fn server_names(l: &Labels, role: &str) -> BTreeMap<[u8; 4], String> {
    l.servers
        .iter()
        .filter(|s| s.role == role)
        .map(|s| (ip_of(&s.ip), s.name.clone()))
        .collect()
}

#[test]
fn same_config_same_bytes_and_seeds_differ() {
    let cfg = ScenarioConfig {
        seed: 9,
        devices: 8,
        duration_secs: 300,
        ..Default::default()
    };
    let (a, la) = run(&cfg);
    let (b, lb) = run(&cfg);
    assert!(a.len() > 10_000);
    assert!(a == b, "two runs differ");
    assert_eq!(la, lb);
    assert_eq!(
        serde_json::to_string(&la).unwrap(),
        serde_json::to_string(&lb).unwrap()
    );
    let (c, lc) = run(&ScenarioConfig {
        seed: 10,
        ..cfg.clone()
    });
    assert!(a != c);
    assert_ne!(la.devices, lc.devices, "MACs are drawn from the seed");
}

#[test]
fn labels_describe_the_capture() {
    let c = capture();
    let l = &c.labels;
    assert_eq!(l.scenario, "fleet");
    assert_eq!(l.seed, 42);
    assert_eq!(
        l.generator,
        format!("palisade-testbed {}", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(l.start, "2026-01-05T08:00:00.000000+0000");
    assert_eq!(l.devices.len(), c.cfg.devices + 1);
    assert_eq!(l.devices[0].kind, "gateway");
    assert!(l.attacks.is_empty());
    assert_eq!(l.packets, c.pkts.len() as u64);
    assert_eq!(l.bytes, c.pkts.iter().map(|p| p.len as u64).sum::<u64>());
    let last = c.pkts.last().unwrap().ts;
    let end = palisade_event::Timestamp::from_secs_micros(last / 1_000_000, last % 1_000_000);
    assert_eq!(l.end, end.to_string());
    let kinds: BTreeSet<&str> = l.devices.iter().map(|d| d.kind.as_str()).collect();
    for k in ["camera", "nvr", "sensor", "plug", "gateway"] {
        assert!(kinds.contains(k), "no {k} in {kinds:?}");
    }
    let ids: BTreeSet<&str> = l.devices.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids.len(), l.devices.len());
    for role in [
        "dns",
        "ntp",
        "mqtt-broker",
        "vendor-cloud",
        "firmware-update",
    ] {
        assert!(l.servers.iter().any(|s| s.role == role), "no {role} server");
    }
    // JSON shape the CLI writes.
    let v: serde_json::Value = serde_json::to_value(l).unwrap();
    for f in [
        "scenario",
        "seed",
        "generator",
        "start",
        "end",
        "packets",
        "bytes",
        "devices",
        "servers",
        "conversations",
        "attacks",
    ] {
        assert!(v.get(f).is_some(), "{f}");
    }
    assert!(v["conversations"]["tcp"].as_u64().unwrap() > 0);
}

#[test]
fn conversation_counts_match_the_pcap() {
    let c = capture();
    let mut seen: BTreeMap<u8, BTreeSet<Key>> = BTreeMap::new();
    for p in &c.pkts {
        if let Some(k) = key(p) {
            seen.entry(k.0).or_default().insert(k);
        }
    }
    let n = |p: u8| seen.get(&p).map_or(0, |s| s.len() as u64);
    let cc = c.labels.conversations;
    assert_eq!((n(6), n(17), n(1)), (cc.tcp, cc.udp, cc.icmp));
    assert!(cc.tcp > 50 && cc.udp > 50 && cc.icmp > 5, "{cc:?}");
}

#[test]
fn timestamps_are_ordered_and_inside_the_window() {
    let c = capture();
    let start = c.cfg.start.as_nanos() / 1000;
    let end = start + c.cfg.duration_secs * 1_000_000;
    let mut prev = 0;
    for p in &c.pkts {
        assert!(p.ts >= prev, "time went backwards");
        assert!(p.ts >= start && p.ts < end);
        prev = p.ts;
    }
    // The fleet is busy all the way to the end.
    assert!(prev > end - 5_000_000);
}

#[test]
fn frames_and_checksums_are_valid() {
    let c = capture();
    let (_, recs) = read_pcap(&c.bytes);
    for r in &recs {
        assert_eq!(r.orig_len as usize, r.data.len());
        assert!(
            (60..=1514).contains(&r.data.len()),
            "frame of {} bytes",
            r.data.len()
        );
    }
    let mut counts = [0u32; 3];
    for p in &c.pkts {
        if let Frame::Ip(ip) = &p.frame {
            assert!(ip.header_ok, "bad IPv4 header checksum");
            assert!(ip.l4_ok, "bad L4 checksum: {:?}", ip.l4);
            counts[match ip.l4 {
                L4::Tcp { .. } => 0,
                L4::Udp { .. } => 1,
                L4::Icmp { .. } => 2,
            }] += 1;
        }
    }
    assert!(counts.iter().all(|&n| n > 0), "{counts:?}");
}

#[test]
fn addressing_ttls_and_ip_ids_are_plausible() {
    let c = capture();
    let l = &c.labels;
    let lan: BTreeMap<[u8; 4], [u8; 6]> = l
        .devices
        .iter()
        .map(|d| {
            let mac: Vec<u8> = d
                .mac
                .split(':')
                .map(|h| u8::from_str_radix(h, 16).unwrap())
                .collect();
            (ip_of(&d.ip), mac.try_into().unwrap())
        })
        .collect();
    let gw_mac = lan[&[10, 10, 0, 1]];
    let servers: BTreeSet<[u8; 4]> = l.servers.iter().map(|s| ip_of(&s.ip)).collect();
    let mut last_id: BTreeMap<[u8; 4], u16> = BTreeMap::new();
    for p in &c.pkts {
        let Frame::Ip(ip) = &p.frame else { continue };
        for a in [ip.src, ip.dst] {
            assert!(
                lan.contains_key(&a) || servers.contains(&a),
                "unknown address {a:?}"
            );
        }
        let want_src_mac = lan.get(&ip.src).copied().unwrap_or(gw_mac);
        let want_dst_mac = lan.get(&ip.dst).copied().unwrap_or(gw_mac);
        assert_eq!((p.src_mac, p.dst_mac), (want_src_mac, want_dst_mac));
        if lan.contains_key(&ip.src) {
            assert_eq!(ip.ttl, 64);
        } else {
            assert!(matches!(
                ip.src,
                [198, 51, 100, _] | [203, 0, 113, _] | [192, 0, 2, _]
            ));
            assert!(
                (48..=58).contains(&ip.ttl) || (112..=120).contains(&ip.ttl),
                "ttl {}",
                ip.ttl
            );
        }
        if let Some(prev) = last_id.insert(ip.src, ip.id) {
            assert_eq!(ip.id, prev.wrapping_add(1), "IPv4 id of {:?}", ip.src);
        }
    }
    // Every device MAC carries its catalog vendor's OUI prefix (checked
    // against the registry in the catalog's unit tests) and is unicast.
    for d in &l.devices {
        let first = u8::from_str_radix(&d.mac[..2], 16).unwrap();
        assert_eq!(first & 1, 0, "{}", d.mac);
    }
}

fn ws_option(opts: &[u8]) -> Option<u8> {
    opts.windows(3)
        .find(|w| w[0] == 3 && w[1] == 3)
        .map(|w| w[2])
}

/// Checks every TCP connection: handshake, exact sequence/ACK arithmetic,
/// MSS, receive window, teardown. Returns (FIN-closed, RST-closed, open at
/// the end).
fn check_tcp(pkts: &[Packet], end_us: u64) -> (u32, u32, u32) {
    let (mut fin, mut rst, mut cut) = (0, 0, 0);
    for (k, f) in &tcp_flows(pkts) {
        let s = &f.segs;
        // Handshake.
        assert_eq!(s[0].flags, SYN, "{k:?} starts without SYN");
        assert!(mss_option(&s[0].options).is_some(), "SYN without MSS");
        if s.len() < 3 {
            cut += 1;
            continue;
        }
        assert!(
            !s[1].from_client && s[1].flags == SYN | ACK,
            "{k:?} second is not SYN-ACK"
        );
        assert_eq!(s[1].ack, s[0].seq.wrapping_add(1));
        assert!(s[2].from_client && s[2].flags == ACK && s[2].payload.is_empty());
        assert_eq!(s[2].seq, s[0].seq.wrapping_add(1));
        assert_eq!(s[2].ack, s[1].seq.wrapping_add(1));
        let mss = mss_option(&s[0].options)
            .unwrap()
            .min(mss_option(&s[1].options).unwrap()) as usize;
        let scale = match (ws_option(&s[0].options), ws_option(&s[1].options)) {
            (Some(c), Some(sv)) => [c as u32, sv as u32],
            _ => [0, 0],
        };
        // Sequence and acknowledgement arithmetic, in both directions.
        let mut next = [s[0].seq.wrapping_add(1), s[1].seq.wrapping_add(1)]; // client, server
        let mut acked = [s[1].ack, s[2].ack]; // of the client's, the server's data
        let mut window = [s[0].window as u32, s[1].window as u32]; // bytes each side accepts
        let mut fins = [false, false];
        let mut closed_by_rst = false;
        for seg in &s[2..] {
            let (from, to) = if seg.from_client { (0, 1) } else { (1, 0) };
            assert!(!closed_by_rst, "{k:?}: packet after RST");
            assert_eq!(seg.seq, next[from], "{k:?}: seq gap");
            assert!(seg.flags & ACK != 0);
            // An ACK never acknowledges what was not sent, nor goes back.
            assert!(
                next[to].wrapping_sub(seg.ack) < 1 << 30,
                "{k:?}: ack beyond data"
            );
            assert!(
                seg.ack.wrapping_sub(acked[to]) < 1 << 30,
                "{k:?}: ack went back"
            );
            acked[to] = seg.ack;
            window[from] = (seg.window as u32) << scale[from];
            assert!(
                seg.payload.len() <= mss,
                "{k:?}: {} > MSS {mss}",
                seg.payload.len()
            );
            assert!(
                !fins[from] || seg.payload.is_empty(),
                "{k:?}: data after FIN"
            );
            next[from] = next[from].wrapping_add(seg.payload.len() as u32);
            // Never more in flight than the receiver offered.
            let in_flight = next[from].wrapping_sub(acked[from]);
            assert!(
                in_flight < window[to],
                "{k:?}: {in_flight} bytes in flight, window {}",
                window[to]
            );
            if seg.flags & FIN != 0 {
                next[from] = next[from].wrapping_add(1);
                fins[from] = true;
            }
            if seg.flags & RST != 0 {
                closed_by_rst = true;
            }
        }
        let last = s.last().unwrap();
        if closed_by_rst {
            rst += 1;
        } else if fins == [true, true] && last.flags == ACK {
            // Final ACK of the FIN exchange acknowledges the peer's FIN.
            let peer = if last.from_client { 1 } else { 0 };
            assert_eq!(last.ack, next[peer]);
            fin += 1;
        } else {
            // Only conversations still open at the end may lack a teardown:
            // long-lived MQTT and RTSP sessions, or short ones that were
            // active in the last seconds.
            let long_lived = [1883, 554].contains(&f.server.1);
            assert!(
                long_lived || last.ts + 10_000_000 > end_us,
                "{k:?} left open"
            );
            cut += 1;
        }
    }
    (fin, rst, cut)
}

#[test]
fn tcp_connections_are_consistent() {
    let c = capture();
    let end_us = c.cfg.start.as_nanos() / 1000 + c.cfg.duration_secs * 1_000_000;
    let (fin, rst, cut) = check_tcp(&c.pkts, end_us);
    assert!(fin > 30 && rst > 0, "fin {fin} rst {rst} cut {cut}");
    assert!(cut > 0, "long-lived sessions are cut at the end");
}

#[test]
fn many_seeds_and_fleet_sizes_stay_consistent() {
    for (seed, devices, secs) in [
        (0, 1, 600),
        (1, 2, 300),
        (2, 3, 300),
        (3, 5, 240),
        (4, 40, 120),
        (5, 300, 45),
    ] {
        let cfg = ScenarioConfig {
            seed,
            devices,
            duration_secs: secs,
            ..Default::default()
        };
        let (bytes, labels) = run(&cfg);
        let (_, recs) = read_pcap(&bytes);
        let pkts: Vec<Packet> = recs.iter().map(parse).collect();
        assert_eq!(labels.packets, pkts.len() as u64);
        assert_eq!(labels.devices.len(), devices + 1);
        let mut keys: BTreeMap<u8, BTreeSet<Key>> = BTreeMap::new();
        let mut prev = 0;
        for p in &pkts {
            assert!(p.ts >= prev);
            prev = p.ts;
            if let Frame::Ip(ip) = &p.frame {
                assert!(ip.header_ok && ip.l4_ok, "seed {seed}: bad checksum");
            }
            if let Some(k) = key(p) {
                keys.entry(k.0).or_default().insert(k);
            }
        }
        let n = |p: u8| keys.get(&p).map_or(0, |s| s.len() as u64);
        let cc = labels.conversations;
        assert_eq!(
            (n(6), n(17), n(1)),
            (cc.tcp, cc.udp, cc.icmp),
            "seed {seed}"
        );
        let end_us = cfg.start.as_nanos() / 1000 + secs * 1_000_000;
        check_tcp(&pkts, end_us);
    }
}

#[test]
fn tcp_windows_and_options_follow_the_stacks() {
    let c = capture();
    for f in tcp_flows(&c.pkts).values() {
        let syn = &f.segs[0];
        let m = mss_option(&syn.options).unwrap();
        assert!([1460, 1436].contains(&m), "client MSS {m}");
        // Options a server answers with were offered by the client.
        if let Some(sa) = f.segs.get(1) {
            let offered_ws = syn.options.windows(3).any(|w| w == [3, 3, 7]);
            let has_ws = sa.options.windows(2).any(|w| w == [3, 3]);
            assert!(offered_ws || !has_ws);
        }
        assert!(f.segs.iter().all(|s| s.window > 0), "zero window");
    }
}

fn mqtt_packets(stream: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    let mut p = 0;
    while p < stream.len() {
        let first = stream[p];
        let (mut len, mut mult, mut i) = (0usize, 1usize, p + 1);
        loop {
            let Some(&b) = stream.get(i) else { return out };
            len += (b & 0x7f) as usize * mult;
            mult *= 128;
            i += 1;
            if b & 0x80 == 0 {
                break;
            }
        }
        if i + len > stream.len() {
            return out; // cut at the end of the capture
        }
        out.push((first, stream[i..i + len].to_vec()));
        p = i + len;
    }
    out
}

fn str16(b: &[u8]) -> (&str, &[u8]) {
    let n = u16::from_be_bytes([b[0], b[1]]) as usize;
    (std::str::from_utf8(&b[2..2 + n]).unwrap(), &b[2 + n..])
}

#[test]
fn mqtt_sessions_are_well_formed() {
    let c = capture();
    let broker: BTreeSet<[u8; 4]> = server_names(&c.labels, "mqtt-broker").into_keys().collect();
    let (mut sessions, mut qos1, mut pings, mut qos0) = (0, 0, 0, 0);
    for f in tcp_flows(&c.pkts).values().filter(|f| f.server.1 == 1883) {
        assert!(broker.contains(&f.server.0));
        if f.c2s.is_empty() {
            continue;
        }
        sessions += 1;
        let cp = mqtt_packets(&f.c2s);
        let sp = mqtt_packets(&f.s2c);
        let (first, body) = &cp[0];
        assert_eq!(*first, 0x10, "CONNECT first");
        let (proto, rest) = str16(body);
        assert_eq!(proto, "MQTT");
        assert_eq!(rest[0], 4, "protocol level 3.1.1");
        let flags = rest[1];
        let (client_id, _) = str16(&rest[4..]);
        assert!(!client_id.is_empty());
        assert!(flags & 0x02 != 0);
        if let Some((f0, b0)) = sp.first() {
            assert_eq!(
                (*f0, b0.as_slice()),
                (0x20, &[0u8, 0][..]),
                "CONNACK accepted"
            );
        }
        let acked: BTreeSet<u16> = sp
            .iter()
            .filter(|p| p.0 == 0x40)
            .map(|p| u16::from_be_bytes([p.1[0], p.1[1]]))
            .collect();
        let mut published_qos1 = Vec::new();
        for (first, body) in &cp {
            match first >> 4 {
                3 => {
                    let (topic, rest) = str16(body);
                    assert!(topic.starts_with("fleet/"));
                    if first & 0x06 == 0x02 {
                        published_qos1.push(u16::from_be_bytes([rest[0], rest[1]]));
                        qos1 += 1;
                    } else {
                        qos0 += 1;
                        if topic.ends_with("/telemetry") {
                            let v: serde_json::Value =
                                serde_json::from_slice(rest).expect("JSON telemetry");
                            assert!(v["seq"].as_u64().is_some());
                        }
                    }
                }
                12 => {
                    assert!(body.is_empty());
                    pings += 1;
                }
                1 | 4 | 8 | 14 => {}
                t => panic!("unexpected client packet type {t}"),
            }
        }
        // Every QoS 1 publish the broker had time to answer was acknowledged.
        let answered = published_qos1.len().saturating_sub(1);
        for pid in &published_qos1[..answered] {
            assert!(acked.contains(pid), "PUBLISH {pid} never acknowledged");
        }
        let pingresps = sp.iter().filter(|p| p.0 == 0xd0).count();
        assert!(pingresps + 1 >= cp.iter().filter(|p| p.0 == 0xc0).count());
    }
    assert!(
        sessions >= 5 && qos1 > 0 && qos0 > 0 && pings > 0,
        "{sessions} {qos1} {qos0} {pings}"
    );
}

fn dns_name(m: &[u8], mut off: usize) -> (String, usize) {
    let mut labels = Vec::new();
    let mut end = None;
    loop {
        let l = m[off] as usize;
        if l & 0xc0 == 0xc0 {
            let ptr = (l & 0x3f) << 8 | m[off + 1] as usize;
            assert!(ptr < off);
            end.get_or_insert(off + 2);
            off = ptr;
        } else if l == 0 {
            end.get_or_insert(off + 1);
            return (labels.join("."), end.unwrap());
        } else {
            labels.push(String::from_utf8(m[off + 1..off + 1 + l].to_vec()).unwrap());
            off += 1 + l;
        }
    }
}

#[test]
fn dns_exchanges_are_well_formed() {
    let c = capture();
    let names: BTreeMap<String, [u8; 4]> = c
        .labels
        .servers
        .iter()
        .filter(|s| s.name != "gateway")
        .map(|s| (s.name.clone(), ip_of(&s.ip)))
        .collect();
    let mut queries: BTreeMap<(u16, u16), (String, u16)> = BTreeMap::new();
    let (mut answered_a, mut pointers) = (0, 0);
    for p in &c.pkts {
        let Frame::Ip(ip) = &p.frame else { continue };
        let L4::Udp {
            sport,
            dport,
            payload: m,
        } = &ip.l4
        else {
            continue;
        };
        if *dport == 53 {
            assert_eq!(ip.dst, [10, 10, 0, 1]);
            assert!(*sport >= 32768);
            assert_eq!(m[2] & 0x80, 0);
            let (q, o) = dns_name(m, 12);
            assert!(names.contains_key(&q), "query for unknown {q}");
            let qt = u16::from_be_bytes([m[o], m[o + 1]]);
            assert!(qt == 1 || qt == 28);
            assert_eq!(o + 4, m.len());
            queries.insert((*sport, u16::from_be_bytes([m[0], m[1]])), (q, qt));
        } else if *sport == 53 {
            let id = u16::from_be_bytes([m[0], m[1]]);
            let (qname, qtype) = queries.remove(&(*dport, id)).expect("answer to a query");
            assert_eq!(&m[2..4], &[0x81, 0x80]);
            let (q, mut o) = dns_name(m, 12);
            assert_eq!(q, qname);
            o += 4;
            let an = u16::from_be_bytes([m[6], m[7]]);
            let ns = u16::from_be_bytes([m[8], m[9]]);
            for _ in 0..an + ns {
                if m[o] & 0xc0 == 0xc0 {
                    pointers += 1;
                }
                let (_, after) = dns_name(m, o);
                let ty = u16::from_be_bytes([m[after], m[after + 1]]);
                let rdlen = u16::from_be_bytes([m[after + 8], m[after + 9]]) as usize;
                let rd = &m[after + 10..after + 10 + rdlen];
                match ty {
                    1 => {
                        assert_eq!(qtype, 1);
                        assert_eq!(rd, &names[&qname]);
                        answered_a += 1;
                    }
                    28 => assert_eq!(&rd[..4], &[0x20, 0x01, 0x0d, 0xb8]),
                    5 => assert!(dns_name(m, after + 10)
                        .0
                        .ends_with(qname.split_once('.').unwrap().1)),
                    6 => assert_eq!(qtype, 28),
                    t => panic!("record type {t}"),
                }
                o = after + 10 + rdlen;
            }
            assert_eq!(o, m.len());
        }
    }
    assert!(answered_a > 20 && pointers > 20);
}

#[test]
fn ntp_exchanges_are_well_formed() {
    let c = capture();
    let mut pending: BTreeMap<u16, Vec<u8>> = BTreeMap::new();
    let mut pairs = 0;
    for p in &c.pkts {
        let Frame::Ip(ip) = &p.frame else { continue };
        let L4::Udp {
            sport,
            dport,
            payload,
        } = &ip.l4
        else {
            continue;
        };
        if *dport == 123 {
            assert_eq!(payload.len(), 48);
            assert_eq!(payload[0] & 7, 3);
            assert!(*sport > 1024);
            pending.insert(*sport, payload.clone());
        } else if *sport == 123 {
            assert_eq!(payload.len(), 48);
            assert_eq!(payload[0] & 7, 4);
            let req = pending.remove(dport).expect("reply to a request");
            assert_eq!(&payload[24..32], &req[40..48], "origin = client transmit");
            let era_secs = u32::from_be_bytes(payload[40..44].try_into().unwrap()) as u64;
            assert_eq!(era_secs - 2_208_988_800, p.ts / 1_000_000);
            pairs += 1;
        }
    }
    assert!(pairs >= c.cfg.devices);
}

fn tls_records(s: &[u8]) -> Vec<(u8, &[u8])> {
    let mut out = Vec::new();
    let mut p = 0;
    while p + 5 <= s.len() {
        let l = u16::from_be_bytes([s[p + 3], s[p + 4]]) as usize;
        if p + 5 + l > s.len() {
            break;
        }
        out.push((s[p], &s[p + 5..p + 5 + l]));
        p += 5 + l;
    }
    out
}

#[test]
fn tls_handshakes_are_well_formed() {
    use tls_parser::{parse_tls_plaintext, TlsExtension, TlsMessage, TlsMessageHandshake};
    let c = capture();
    let clouds = server_names(&c.labels, "vendor-cloud");
    let (mut v13, mut v12, mut certs) = (0, 0, 0);
    for f in tcp_flows(&c.pkts).values().filter(|f| f.server.1 == 443) {
        if f.c2s.is_empty() {
            continue;
        }
        let (_, rec) = parse_tls_plaintext(&f.c2s).expect("ClientHello record");
        let TlsMessage::Handshake(TlsMessageHandshake::ClientHello(ch)) = &rec.msg[0] else {
            panic!("first record is not a ClientHello")
        };
        let (_, exts) = tls_parser::parse_tls_client_hello_extensions(ch.ext.unwrap()).unwrap();
        let sni = exts
            .iter()
            .find_map(|e| match e {
                TlsExtension::SNI(v) => Some(std::str::from_utf8(v[0].1).unwrap().to_string()),
                _ => None,
            })
            .expect("SNI");
        assert_eq!(sni, clouds[&f.server.0], "SNI names the server dialled");
        assert!(ch.ciphers.len() >= 20);
        if f.s2c.is_empty() {
            continue;
        }
        let (_, srec) = parse_tls_plaintext(&f.s2c).expect("ServerHello record");
        let TlsMessage::Handshake(TlsMessageHandshake::ServerHello(sh)) = &srec.msg[0] else {
            panic!("server did not start with ServerHello")
        };
        assert!(ch.ciphers.contains(&sh.cipher));
        let (_, sexts) = tls_parser::parse_tls_server_hello_extensions(sh.ext.unwrap()).unwrap();
        let is13 = sexts.iter().any(
            |e| matches!(e, TlsExtension::SupportedVersions(v) if v.len() == 1 && v[0].0 == 0x0304),
        );
        if is13 {
            v13 += 1;
            assert_eq!(sh.session_id, ch.session_id);
        } else {
            v12 += 1;
            let recs = tls_records(&f.s2c);
            let (_, cert_rec) = parse_tls_plaintext(&f.s2c[5 + recs[0].1.len()..]).unwrap();
            if let TlsMessage::Handshake(TlsMessageHandshake::Certificate(cc)) = &cert_rec.msg[0] {
                let (_, x) = x509_parser::parse_x509_certificate(cc.cert_chain[0].data)
                    .expect("DER certificate");
                let cn = x
                    .subject()
                    .iter_common_name()
                    .next()
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string();
                assert_eq!(cn, sni);
                assert!(x.validity().is_valid_at(
                    x509_parser::time::ASN1Time::from_timestamp(1_767_600_000).unwrap()
                ));
                certs += 1;
            } else {
                panic!("TLS 1.2 server without Certificate");
            }
        }
        // Every record in both directions is a known content type.
        for (ty, _) in tls_records(&f.c2s).into_iter().chain(tls_records(&f.s2c)) {
            assert!((20..=23).contains(&ty));
        }
    }
    assert!(v13 > 0 && v12 > 0 && certs > 0, "v13 {v13} v12 {v12}");
}

fn http_message(s: &[u8]) -> (String, BTreeMap<String, String>, &[u8]) {
    let end = s
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header end");
    let head = std::str::from_utf8(&s[..end]).unwrap();
    let mut lines = head.split("\r\n");
    let first = lines.next().unwrap().to_string();
    let headers = lines
        .map(|l| {
            let (k, v) = l.split_once(": ").unwrap();
            (k.to_ascii_lowercase(), v.to_string())
        })
        .collect();
    (first, headers, &s[end + 4..])
}

#[test]
fn http_firmware_checks_are_well_formed() {
    let c = capture();
    let updates = server_names(&c.labels, "firmware-update");
    let mut checked = 0;
    for f in tcp_flows(&c.pkts).values().filter(|f| f.server.1 == 80) {
        if f.c2s.is_empty() {
            continue;
        }
        let (line, h, body) = http_message(&f.c2s);
        assert!(line.starts_with("GET /firmware/check?model="), "{line}");
        assert!(line.contains("&version=") && line.ends_with(" HTTP/1.1"));
        assert_eq!(h["host"], updates[&f.server.0]);
        assert!(!h["user-agent"].is_empty());
        assert!(body.is_empty());
        if f.s2c.is_empty() {
            continue;
        }
        let (status, h, body) = http_message(&f.s2c);
        assert_eq!(status, "HTTP/1.1 200 OK");
        assert_eq!(h["content-length"].parse::<usize>().unwrap(), body.len());
        let v: serde_json::Value = serde_json::from_slice(body).expect("JSON body");
        assert!(v["update_available"].is_boolean());
        checked += 1;
    }
    assert!(checked >= 5, "{checked}");
}

#[test]
fn rtsp_sessions_are_well_formed() {
    let c = capture();
    let cams: BTreeSet<[u8; 4]> = c
        .labels
        .devices
        .iter()
        .filter(|d| d.kind == "camera")
        .map(|d| ip_of(&d.ip))
        .collect();
    let (mut sessions, mut rtp, mut markers, mut rtcp) = (0, 0, 0, 0);
    for f in tcp_flows(&c.pkts).values().filter(|f| f.server.1 == 554) {
        assert!(cams.contains(&f.server.0));
        if f.s2c.is_empty() {
            continue;
        }
        let text = String::from_utf8_lossy(&f.c2s);
        assert!(text.starts_with("OPTIONS rtsp://"), "{text:.40}");
        for m in [
            "DESCRIBE",
            "SETUP",
            "PLAY",
            "Transport: RTP/AVP/TCP;unicast;interleaved=0-1",
        ] {
            if f.s2c.len() > 3000 {
                assert!(text.contains(m), "{m}");
            }
        }
        // Server stream: text replies and `$` frames, each aligned on a
        // segment boundary, parse back to back.
        let s = &f.s2c;
        let mut p = 0;
        let mut cseq = 0;
        while p < s.len() {
            assert!(
                f.s2c_segments.binary_search(&p).is_ok(),
                "message not segment-aligned"
            );
            if s[p] == b'$' {
                if p + 4 > s.len() {
                    break;
                }
                let len = u16::from_be_bytes([s[p + 2], s[p + 3]]) as usize;
                if p + 4 + len > s.len() {
                    break;
                }
                let pkt = &s[p + 4..p + 4 + len];
                assert_eq!(pkt[0] >> 6, 2, "RTP/RTCP version 2");
                match s[p + 1] {
                    0 => {
                        assert_eq!(pkt[1] & 0x7f, 96);
                        rtp += 1;
                        markers += (pkt[1] >> 7) as u32;
                    }
                    1 => {
                        assert_eq!(pkt[1], 200);
                        rtcp += 1;
                    }
                    ch => panic!("channel {ch}"),
                }
                p += 4 + len;
            } else {
                let (status, h, rest) = http_message(&s[p..]);
                assert!(status.starts_with("RTSP/1.0 "), "{status}");
                let n: u32 = h["cseq"].parse().unwrap();
                assert!(n > cseq);
                cseq = n;
                let body = h.get("content-length").map_or(0, |v| v.parse().unwrap());
                if body > 0 {
                    assert_eq!(h["content-type"], "application/sdp");
                    assert!(rest[..body].starts_with(b"v=0\r\n"));
                    assert!(rest[..body].ends_with(b"\r\n"));
                    assert!(
                        String::from_utf8_lossy(&rest[..body]).contains("a=rtpmap:96 H264/90000")
                    );
                }
                p = s.len() - rest.len() + body;
            }
        }
        sessions += 1;
    }
    assert!(
        sessions >= 3 && rtp > 1000 && markers > 100 && rtcp > 10,
        "{sessions} {rtp} {markers} {rtcp}"
    );
}

#[test]
fn arp_and_icmp_are_present_and_paired() {
    let c = capture();
    let (mut req, mut rep, mut grat) = (0, 0, 0);
    let mut echo: BTreeMap<(u16, u16), u32> = BTreeMap::new();
    for p in &c.pkts {
        match &p.frame {
            Frame::Arp { op, spa, tpa, sha } => {
                assert_eq!(*sha, p.src_mac);
                match op {
                    1 if spa == tpa => grat += 1,
                    1 => {
                        assert_eq!(p.dst_mac, [0xff; 6]);
                        req += 1
                    }
                    2 => rep += 1,
                    o => panic!("ARP op {o}"),
                }
            }
            Frame::Ip(ip) => {
                if let L4::Icmp {
                    ty,
                    code,
                    ident,
                    seq,
                    data,
                } = &ip.l4
                {
                    assert_eq!(*code, 0);
                    assert_eq!(data.len(), 56);
                    match ty {
                        8 => *echo.entry((*ident, *seq)).or_default() += 1,
                        0 => {
                            let n = echo.get_mut(&(*ident, *seq)).expect("reply to a request");
                            *n -= 1;
                        }
                        t => panic!("ICMP type {t}"),
                    }
                }
            }
        }
    }
    assert_eq!(grat, c.cfg.devices);
    assert!(req >= c.cfg.devices && rep + 1 >= req, "{req} {rep}");
    assert!(echo.values().all(|&n| n <= 1));
    assert!(!echo.is_empty());
}

#[test]
fn max_packets_gives_exactly_that_many() {
    for n in [0u64, 1, 1234] {
        let cfg = ScenarioConfig {
            seed: 5,
            devices: 12,
            max_packets: Some(n),
            ..Default::default()
        };
        let (bytes, labels) = run(&cfg);
        let (_, recs) = read_pcap(&bytes);
        assert_eq!(recs.len() as u64, n);
        assert_eq!(labels.packets, n);
        let pkts: Vec<Packet> = recs.iter().map(parse).collect();
        let keys: BTreeSet<Key> = pkts.iter().filter_map(key).collect();
        let cc = labels.conversations;
        assert_eq!(keys.len() as u64, cc.tcp + cc.udp + cc.icmp);
        if n == 0 {
            assert_eq!(labels.end, labels.start);
        }
    }
}

#[test]
fn short_duration_stops_on_time() {
    let cfg = ScenarioConfig {
        seed: 1,
        devices: 5,
        duration_secs: 30,
        ..Default::default()
    };
    let (bytes, labels) = run(&cfg);
    let (_, recs) = read_pcap(&bytes);
    let start = cfg.start.as_nanos() / 1000;
    assert!(recs.iter().all(|r| r.ts < start + 30_000_000));
    assert_eq!(labels.packets, recs.len() as u64);
    assert!(labels.packets > 0);
}

#[test]
fn durations_parse_like_the_cli_documents() {
    assert_eq!(parse_duration("30m").unwrap(), 1800);
    assert_eq!(parse_duration("90s").unwrap(), 90);
    assert_eq!(parse_duration("2h").unwrap(), 7200);
    assert_eq!(parse_duration("1h30m").unwrap(), 5400);
    assert_eq!(parse_duration("45").unwrap(), 45);
    assert!(parse_duration("30x").is_err());
}
