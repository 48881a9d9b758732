//! The attack scenarios, read back with our own parser: labels, the attack
//! packets' shape, determinism, and the fleet's traffic around them.

mod common;

use common::*;
use palisade_event::Timestamp;
use palisade_testbed::{generate, AttackLabel, Labels, ScenarioConfig};
use std::collections::{BTreeMap, BTreeSet};

struct Cap {
    cfg: ScenarioConfig,
    labels: Labels,
    pkts: Vec<Packet>,
}

fn ip_of(s: &str) -> [u8; 4] {
    s.parse::<std::net::Ipv4Addr>().unwrap().octets()
}

/// EVE time string of a pcap microsecond timestamp.
fn eve(us: u64) -> String {
    Timestamp::from_nanos(us * 1000).to_string()
}

/// Generates `scenario` twice (the bytes must be identical), parses it and
/// checks what every capture must satisfy.
fn capture(scenario: &str, seed: u64, devices: usize, duration_secs: u64) -> Cap {
    let cfg = ScenarioConfig {
        scenario: scenario.into(),
        seed,
        devices,
        duration_secs,
        ..Default::default()
    };
    let mut bytes = Vec::new();
    let labels = generate(&cfg, &mut bytes).unwrap();
    let mut again = Vec::new();
    let labels2 = generate(&cfg, &mut again).unwrap();
    assert!(bytes == again, "{scenario}: two runs differ");
    assert_eq!(labels, labels2);
    drop(again);
    let (_, recs) = read_pcap(&bytes);
    drop(bytes);
    let pkts: Vec<Packet> = recs.iter().map(parse).collect();
    assert_eq!(pkts.len() as u64, labels.packets);

    let start = cfg.start.as_nanos() / 1000;
    let end = start + duration_secs * 1_000_000;
    let mut prev = 0;
    let mut seen: BTreeMap<u8, BTreeSet<Key>> = BTreeMap::new();
    for p in &pkts {
        assert!(p.ts >= prev && p.ts >= start && p.ts < end);
        prev = p.ts;
        assert!((60..=1514).contains(&p.len), "frame of {} bytes", p.len);
        if let Frame::Ip(ip) = &p.frame {
            assert!(ip.header_ok, "bad IPv4 header checksum");
            assert!(ip.l4_ok, "bad L4 checksum: {:?}", ip.l4);
            for a in [ip.src, ip.dst] {
                assert!(
                    matches!(
                        a,
                        [10, ..] | [192, 0, 2, _] | [198, 51, 100, _] | [203, 0, 113, _]
                    ) || (a[0] == 100 && (64..128).contains(&a[1])),
                    "address {a:?} outside the private and documentation ranges"
                );
            }
        }
        if let Some(k) = key(p) {
            seen.entry(k.0).or_default().insert(k);
        }
    }
    let n = |p: u8| seen.get(&p).map_or(0, |s| s.len() as u64);
    let cc = labels.conversations;
    assert_eq!((n(6), n(17), n(1)), (cc.tcp, cc.udp, cc.icmp));

    // The fleet's own traffic goes on: MQTT to the broker and DNS to the
    // gateway both before and after the attacks (posture-only scenarios
    // have none).
    let mqtt = |p: &Packet| {
        matches!(
            &p.frame,
            Frame::Ip(Ipv4 {
                l4: L4::Tcp { dport: 1883, .. },
                ..
            })
        )
    };
    let first = labels.attacks.iter().map(|a| a.start.clone()).min();
    let last = labels.attacks.iter().map(|a| a.end.clone()).max();
    if let (Some(first), Some(last)) = (first, last) {
        assert!(pkts.iter().any(|p| mqtt(p) && eve(p.ts) < first));
        if last < eve(end - 30_000_000) {
            assert!(pkts.iter().any(|p| mqtt(p) && eve(p.ts) > last));
        }
    }

    let min_start = eve(start + duration_secs * 200_000);
    for a in &labels.attacks {
        assert!(
            [
                "default-credentials",
                "brute-force",
                "scan",
                "ddos",
                "exploit",
                "exposure",
                "profile-violation",
                "malware"
            ]
            .contains(&a.class.as_str()),
            "{}",
            a.class
        );
        assert!(a.technique.starts_with('T'), "{}", a.technique);
        assert!(a.start >= min_start, "{} starts in the first 20 %", a.id);
        assert!(a.start <= a.end && a.end <= labels.end);
    }
    Cap { cfg, labels, pkts }
}

struct TcpPkt<'a> {
    ts: u64,
    src: [u8; 4],
    dst: [u8; 4],
    sport: u16,
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    payload: &'a [u8],
}

fn tcp_pkts(pkts: &[Packet]) -> Vec<TcpPkt<'_>> {
    pkts.iter()
        .filter_map(|p| match &p.frame {
            Frame::Ip(Ipv4 {
                src,
                dst,
                l4:
                    L4::Tcp {
                        sport,
                        dport,
                        seq,
                        ack,
                        flags,
                        payload,
                        ..
                    },
                ..
            }) => Some(TcpPkt {
                ts: p.ts,
                src: *src,
                dst: *dst,
                sport: *sport,
                dport: *dport,
                seq: *seq,
                ack: *ack,
                flags: *flags,
                payload,
            }),
            _ => None,
        })
        .collect()
}

fn attack<'a>(l: &'a Labels, id: &str) -> &'a AttackLabel {
    l.attacks.iter().find(|a| a.id == id).expect(id)
}

/// The label's window is the first and last of `times`.
fn window_is(a: &AttackLabel, times: &[u64]) {
    assert!(!times.is_empty(), "{}: no packets", a.id);
    assert_eq!(a.start, eve(times[0]), "{}", a.id);
    assert_eq!(a.end, eve(*times.last().unwrap()), "{}", a.id);
}

fn device_ips(l: &Labels, kind: Option<&str>) -> BTreeSet<[u8; 4]> {
    l.devices
        .iter()
        .skip(1)
        .filter(|d| kind.is_none_or(|k| d.kind == k))
        .map(|d| ip_of(&d.ip))
        .collect()
}

#[test]
fn scan_sweeps_telnet_then_one_device() {
    let c = capture("scan", 5, 16, 300);
    let l = &c.labels;
    assert_eq!(l.attacks.len(), 2);
    let (h, v) = (attack(l, "scan-1"), attack(l, "scan-2"));
    assert_eq!((h.class.as_str(), v.class.as_str()), ("scan", "scan"));
    assert_eq!(h.src, v.src);
    let src = ip_of(&h.src);
    assert!(matches!(src, [198, 51, 100, _] | [203, 0, 113, _]));
    assert_eq!((h.dst.as_str(), h.dst_port), ("10.10.0.0/16", Some(23)));
    assert_eq!(v.dst_port, None);
    let victim = ip_of(&v.dst);
    let tcp = tcp_pkts(&c.pkts);
    let from: Vec<&TcpPkt> = tcp.iter().filter(|p| p.src == src).collect();
    let syns: Vec<&&TcpPkt> = from.iter().filter(|p| p.flags == SYN).collect();
    // Two source ports, one per scan.
    let hport = syns[0].sport;
    let hs: Vec<_> = syns.iter().filter(|p| p.sport == hport).collect();
    let vs: Vec<_> = syns.iter().filter(|p| p.sport != hport).collect();
    assert_eq!(hs.len(), c.cfg.devices);
    assert!(hs.iter().all(|p| p.dport == 23));
    let targets: BTreeSet<[u8; 4]> = hs.iter().map(|p| p.dst).collect();
    assert_eq!(targets, device_ips(l, None));
    for w in hs.windows(2) {
        let gap = w[1].ts - w[0].ts;
        assert!((50_000..=200_000).contains(&gap), "{gap}");
    }
    assert_eq!(vs.len(), 1024);
    assert!(vs.iter().all(|p| p.dst == victim));
    let ports: BTreeSet<u16> = vs.iter().map(|p| p.dport).collect();
    assert_eq!(ports, (1..=1024).collect());
    for w in vs.windows(2) {
        let gap = w[1].ts - w[0].ts;
        assert!((2_000..=5_000).contains(&gap), "{gap}");
    }
    // Answers: cameras SYN-ACK on 23, everyone else RST; the scanner resets
    // each SYN-ACK.
    let cams = device_ips(l, Some("camera"));
    let answers: Vec<&TcpPkt> = tcp.iter().filter(|p| p.dst == src).collect();
    let mut open = BTreeSet::new();
    for a in &answers {
        let syn = from
            .iter()
            .find(|p| p.flags == SYN && p.dst == a.src && p.dport == a.sport && p.sport == a.dport)
            .expect("answer to a probe");
        assert_eq!(a.ack, syn.seq.wrapping_add(1));
        assert!(a.ts > syn.ts && a.ts - syn.ts < 1_000);
        if a.flags == SYN | ACK {
            open.insert((a.src, a.sport));
            assert!(from
                .iter()
                .any(|p| p.flags == RST && p.dst == a.src && p.seq == a.ack));
        } else {
            assert_eq!(a.flags, RST | ACK);
        }
    }
    assert_eq!(answers.len(), c.cfg.devices + 1024);
    for ip in device_ips(l, None) {
        assert_eq!(open.contains(&(ip, 23)), cams.contains(&ip), "{ip:?}");
    }
    assert!(cams.contains(&victim));
    assert!(open.contains(&(victim, 80)) && open.contains(&(victim, 554)));
    let times = |port: u16| -> Vec<u64> {
        tcp.iter()
            .filter(|p| (p.src == src && p.sport == port) || (p.dst == src && p.dport == port))
            .map(|p| p.ts)
            .collect()
    };
    window_is(h, &times(hport));
    window_is(v, &times(vs[0].sport));
    assert!(h.end < v.start);
}

#[test]
fn mirai_scans_with_its_fingerprint() {
    let c = capture("mirai", 8, 12, 240);
    let l = &c.labels;
    assert_eq!(l.attacks.len(), 1);
    let a = &l.attacks[0];
    assert_eq!((a.class.as_str(), a.dst_port), ("scan", Some(23)));
    assert!(a.technique.starts_with("T1595"));
    assert!(a.description.contains("Mirai"));
    let src = ip_of(&a.src);
    assert!(device_ips(l, Some("camera")).contains(&src));
    let tcp = tcp_pkts(&c.pkts);
    let probes: Vec<&TcpPkt> = tcp
        .iter()
        .filter(|p| p.src == src && p.flags == SYN && matches!(p.dport, 23 | 2323))
        .collect();
    assert!(probes.len() > 1000, "{}", probes.len());
    let mut on_2323 = 0;
    for p in &probes {
        assert_eq!(p.seq, u32::from_be_bytes(p.dst), "Mirai's seq = dst");
        assert!(p.payload.is_empty());
        assert!(
            matches!(p.dst, [192, 0, 2, _] | [198, 51, 100, _] | [203, 0, 113, _])
                || (p.dst[0] == 10 && p.dst[1] != 10),
            "{:?}",
            p.dst
        );
        on_2323 += (p.dport == 2323) as usize;
    }
    let share = on_2323 * 100 / probes.len();
    assert!((4..=16).contains(&share), "{share} % on 2323");
    let secs = (probes.last().unwrap().ts - probes[0].ts) as f64 / 1e6;
    let rate = probes.len() as f64 / secs;
    assert!((15.0..25.0).contains(&rate), "{rate} probes/s");
    assert!((60.0..=120.0).contains(&secs), "{secs}");
    window_is(a, &probes.iter().map(|p| p.ts).collect::<Vec<_>>());
}

/// Telnet flows from `src` to port 23, in the order they opened.
fn telnet_flows(pkts: &[Packet], src: [u8; 4]) -> Vec<TcpFlow> {
    let mut flows: Vec<TcpFlow> = tcp_flows(pkts)
        .into_values()
        .filter(|f| f.client.0 == src && f.server.1 == 23)
        .collect();
    flows.sort_by_key(|f| f.segs[0].ts);
    for f in &flows {
        // A complete connection: handshake first, FIN both ways at the end.
        assert_eq!(f.segs[0].flags, SYN);
        assert_eq!(f.segs[1].flags, SYN | ACK);
        assert!(f.segs.iter().filter(|s| s.flags & FIN != 0).count() == 2);
        // Telnet negotiation opens the conversation.
        assert_eq!(&f.s2c[..6], &[255, 253, 1, 255, 253, 31]);
        assert!(f.c2s.starts_with(&[255, 252, 1, 255, 251, 31]));
    }
    flows
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn telnet_default_credentials_like_mirai() {
    let c = capture("telnet-default-creds", 3, 14, 200);
    let l = &c.labels;
    assert_eq!(l.attacks.len(), 2);
    let a = &l.attacks[0];
    assert_eq!(
        (a.class.as_str(), a.dst_port),
        ("default-credentials", Some(23))
    );
    // the loader commands typed in the same session: the malware label
    let m = &l.attacks[1];
    assert_eq!(
        (m.class.as_str(), m.id.as_str()),
        ("malware", "mirai-loader-1")
    );
    assert_eq!(
        (&m.src, &m.dst, &m.start, &m.end),
        (&a.src, &a.dst, &a.start, &a.end)
    );
    // both cameras took a Telnet password in clear: posture facts
    let telnet_posture: Vec<&str> = l
        .posture
        .iter()
        .filter(|p| p.service == "telnet")
        .map(|p| p.device.as_str())
        .collect();
    assert_eq!(telnet_posture.len(), 2);
    assert!(telnet_posture.contains(&a.dst.as_str()));
    let src = ip_of(&a.src);
    assert!(matches!(src, [198, 51, 100, _] | [203, 0, 113, _]));
    let cams = device_ips(l, Some("camera"));
    let flows = telnet_flows(&c.pkts, src);
    assert_eq!(flows.len(), 2);
    let ok = &flows[0];
    assert_eq!(ok.server.0, ip_of(&a.dst));
    assert!(cams.contains(&ok.server.0));
    assert!(contains(&ok.s2c, "login: ") && contains(&ok.s2c, "Password: "));
    assert!(contains(&ok.s2c, "built-in shell (ash)") && ok.s2c.ends_with(b"# "));
    assert!(contains(&ok.s2c, "MIRAI: applet not found"));
    let typed = String::from_utf8_lossy(&ok.c2s[21..]).to_string();
    let pair = typed.split("\r\n").take(2).collect::<Vec<_>>();
    assert!(a.description.contains(&format!("{}/{}", pair[0], pair[1])));
    for cmd in ["enable", "system", "shell", "sh", "/bin/busybox MIRAI"] {
        assert!(typed.contains(&format!("\r\n{cmd}\r\n")), "{cmd}");
    }
    window_is(a, &ok.segs.iter().map(|s| s.ts).collect::<Vec<_>>());
    // The second camera refuses a non-default pair; that one is unlabelled.
    let bad = &flows[1];
    assert_ne!(bad.server.0, ok.server.0);
    assert!(contains(&bad.s2c, "Login incorrect"));
    assert!(!contains(&bad.s2c, "# "));
    assert!(bad.segs[0].ts > ok.segs.last().unwrap().ts);
}

#[test]
fn telnet_bruteforce_fails_every_time() {
    let c = capture("telnet-bruteforce", 4, 12, 300);
    let l = &c.labels;
    assert_eq!(l.attacks.len(), 1);
    let a = &l.attacks[0];
    assert_eq!((a.class.as_str(), a.dst_port), ("brute-force", Some(23)));
    let src = ip_of(&a.src);
    let flows = telnet_flows(&c.pkts, src);
    assert!((30..=60).contains(&flows.len()), "{}", flows.len());
    let mut passwords = BTreeSet::new();
    for f in &flows {
        assert_eq!(f.server.0, ip_of(&a.dst));
        assert!(contains(&f.s2c, "Password: ") && contains(&f.s2c, "Login incorrect"));
        let typed = String::from_utf8_lossy(&f.c2s[21..]).to_string();
        passwords.insert(typed.split("\r\n").nth(1).unwrap().to_string());
    }
    assert_eq!(passwords.len(), flows.len(), "a new password each time");
    for w in flows.windows(2) {
        let gap = w[1].segs[0].ts - w[0].segs[0].ts;
        assert!((1_000_000..=3_000_000).contains(&gap), "{gap}");
    }
    let mut times: Vec<u64> = flows
        .iter()
        .flat_map(|f| f.segs.iter().map(|s| s.ts))
        .collect();
    times.sort();
    window_is(a, &times);
}

#[test]
fn syn_flood_is_spoofed_and_fast() {
    let c = capture("syn-flood", 6, 10, 150);
    let l = &c.labels;
    assert_eq!(l.attacks.len(), 1);
    let a = &l.attacks[0];
    assert_eq!(
        (a.class.as_str(), a.src.as_str()),
        ("ddos", "100.64.0.0/10")
    );
    let victim = ip_of(&a.dst);
    let port = a.dst_port.unwrap();
    assert!(port == 80 || port == 554);
    let tcp = tcp_pkts(&c.pkts);
    let spoofed = |ip: [u8; 4]| ip[0] == 100 && (64..128).contains(&ip[1]);
    let syns: Vec<&TcpPkt> = tcp
        .iter()
        .filter(|p| p.flags == SYN && spoofed(p.src))
        .collect();
    assert!(syns.iter().all(|p| p.dst == victim && p.dport == port));
    let sources: BTreeSet<[u8; 4]> = syns.iter().map(|p| p.src).collect();
    assert_eq!(sources.len(), syns.len(), "no spoofed source repeats");
    let secs = (syns.last().unwrap().ts - syns[0].ts) as f64 / 1e6;
    assert!((19.9..=20.0).contains(&secs), "{secs}");
    let rate = syns.len() as f64 / secs;
    assert!((4_500.0..22_000.0).contains(&rate), "{rate} SYN/s");
    assert!(a
        .description
        .contains(&format!("{}", (rate / 1000.0) as u64)));
    let synacks: Vec<&TcpPkt> = tcp
        .iter()
        .filter(|p| p.src == victim && spoofed(p.dst))
        .collect();
    assert_eq!(synacks.len(), 128);
    assert!(synacks
        .iter()
        .all(|p| p.flags == SYN | ACK && p.sport == port));
    let mut times: Vec<u64> = syns.iter().chain(&synacks).map(|p| p.ts).collect();
    times.sort();
    window_is(a, &times);
}

#[test]
fn dns_amplification_floods_one_device() {
    let c = capture("amplification", 7, 10, 150);
    let l = &c.labels;
    assert_eq!(l.attacks.len(), 1);
    let a = &l.attacks[0];
    assert_eq!(a.class, "ddos");
    assert!(a.technique.starts_with("T1498.002"));
    let victim = ip_of(&a.dst);
    let mut times = Vec::new();
    let mut reflectors = BTreeSet::new();
    for p in &c.pkts {
        let Frame::Ip(ip) = &p.frame else { continue };
        let L4::Udp {
            sport: 53, payload, ..
        } = &ip.l4
        else {
            continue;
        };
        if ip.dst != victim || ip.src[0] == 10 {
            continue; // the gateway's own DNS answers
        }
        assert!(
            matches!(ip.src, [192, 0, 2, h] | [198, 51, 100, h] | [203, 0, 113, h] if h >= 100)
        );
        // A DNS response to an ANY query with answers.
        assert!(payload.len() > 1200, "{}", payload.len());
        assert_eq!(payload[2] & 0x80, 0x80);
        assert!(u16::from_be_bytes([payload[6], payload[7]]) > 5);
        reflectors.insert(ip.src);
        times.push(p.ts);
    }
    assert!(
        (64..=200).contains(&reflectors.len()),
        "{}",
        reflectors.len()
    );
    let secs = (times.last().unwrap() - times[0]) as f64 / 1e6;
    let rate = times.len() as f64 / secs;
    assert!((2_700.0..3_300.0).contains(&rate), "{rate} pkt/s");
    assert!((19.9..=20.0).contains(&secs), "{secs}");
    window_is(a, &times);
}

#[test]
fn profile_violation_is_an_irc_channel_from_one_device() {
    let c = capture("profile-violation", 6, 8, 600);
    let l = &c.labels;
    assert_eq!(l.attacks.len(), 1);
    let a = &l.attacks[0];
    assert_eq!(
        (a.class.as_str(), a.dst_port),
        ("profile-violation", Some(6667))
    );
    let (dev, c2) = (ip_of(&a.src), ip_of(&a.dst));
    assert!(device_ips(l, Some("camera")).contains(&dev));
    assert!(matches!(c2, [198, 51, 100, _] | [203, 0, 113, _]));
    let mut flows: Vec<TcpFlow> = tcp_flows(&c.pkts)
        .into_values()
        .filter(|f| f.server == (c2, 6667))
        .collect();
    flows.sort_by_key(|f| f.segs[0].ts);
    assert!((1..=8).contains(&flows.len()), "{}", flows.len());
    for f in &flows {
        // the device opens every connection and registers first
        assert_eq!(f.client.0, dev);
        assert_eq!(f.segs[0].flags, SYN);
        assert!(f.c2s.starts_with(b"NICK iot"), "{:?}", &f.c2s);
    }
    assert!(contains(&flows[0].s2c, " 001 ") && contains(&flows[0].c2s, "JOIN #iot"));
    // 70-85 % into a capture shorter than the learning window
    let start = c.cfg.start.as_nanos() / 1000;
    let first = flows[0].segs[0].ts - start;
    assert!((420_000_000..=510_000_000).contains(&first), "{first}");
    let mut times: Vec<u64> = flows
        .iter()
        .flat_map(|f| f.segs.iter().map(|s| s.ts))
        .collect();
    times.sort();
    window_is(a, &times);
}

#[test]
fn every_scenario_is_listed_and_seeds_differ() {
    let names: Vec<&str> = palisade_testbed::scenarios().iter().map(|s| s.0).collect();
    assert_eq!(
        names,
        [
            "fleet",
            "scan",
            "mirai",
            "telnet-default-creds",
            "telnet-bruteforce",
            "syn-flood",
            "udp-flood",
            "icmp-flood",
            "outbound-flood",
            "slow-scan",
            "credential-spraying",
            "exposed-telnet",
            "weak-tls",
            "vulnerable-firmware",
            "shared-credential",
            "amplification",
            "hikvision-exploit",
            "kalay-impersonation",
            "axeda-access",
            "profile-violation",
            "exfiltration"
        ]
    );
    for name in &names[1..] {
        let run = |seed| {
            let cfg = ScenarioConfig {
                scenario: name.to_string(),
                seed,
                devices: 8,
                duration_secs: 120,
                ..Default::default()
            };
            let mut out = Vec::new();
            let l = generate(&cfg, &mut out).unwrap();
            (out, l)
        };
        let (a, la) = run(1);
        let (b, lb) = run(2);
        assert!(a != b, "{name}");
        assert_eq!(la.attacks.len(), lb.attacks.len(), "{name}");
        // weak-tls and vulnerable-firmware are posture only: no attack
        assert!(
            !la.attacks.is_empty()
                || ["weak-tls", "vulnerable-firmware", "shared-credential"].contains(name),
            "{name}"
        );
    }
}

#[test]
fn vulnerable_firmware_camera_names_its_build_early() {
    let c = capture("vulnerable-firmware", 4, 10, 150);
    let l = &c.labels;
    assert!(l.attacks.is_empty());
    let p: Vec<_> = l
        .posture
        .iter()
        .filter(|p| p.class == "vulnerable-firmware")
        .collect();
    assert_eq!(p.len(), 1);
    let dev = l.devices.iter().find(|d| d.ip == p[0].device).unwrap();
    assert_eq!(
        (
            dev.vendor.as_str(),
            dev.product.as_str(),
            dev.firmware.as_str()
        ),
        ("Hikvision", "DS-2CD2043G2-I", "V5.5.52 build 180620")
    );
    // a Hikvision MAC, and the firmware check within the capture
    assert!(
        ["44:47:cc", "c0:56:e3", "bc:ad:28"]
            .iter()
            .any(|o| dev.mac.starts_with(o)),
        "{}",
        dev.mac
    );
    let cam = ip_of(&p[0].device);
    let check = tcp_flows(&c.pkts)
        .into_values()
        .filter(|f| f.client.0 == cam && f.server.1 == 80)
        .any(|f| contains(&f.c2s, "version=V5.5.52%20build%20180620"));
    assert!(check, "no firmware check from {cam:?}");
}

/// 100.64.0.0/10, where spoofed flood sources come from.
fn spoofed(a: [u8; 4]) -> bool {
    a[0] == 100 && (64..128).contains(&a[1])
}

#[test]
fn udp_and_icmp_floods_are_spoofed_and_fast() {
    for (scenario, proto) in [("udp-flood", 17u8), ("icmp-flood", 1)] {
        let c = capture(scenario, 5, 8, 150);
        let l = &c.labels;
        assert_eq!(l.attacks.len(), 1);
        let a = &l.attacks[0];
        assert_eq!(
            (a.class.as_str(), a.src.as_str()),
            ("ddos", "100.64.0.0/10")
        );
        let victim = ip_of(&a.dst);
        let mut times = Vec::new();
        let mut sources = BTreeSet::new();
        for p in &c.pkts {
            let Frame::Ip(ip) = &p.frame else { continue };
            if ip.dst != victim || !spoofed(ip.src) {
                continue;
            }
            match (&ip.l4, proto) {
                (L4::Udp { payload, .. }, 17) => {
                    assert!((512..=1400).contains(&payload.len()), "{}", payload.len())
                }
                (L4::Icmp { ty: 8, .. }, 1) => {}
                (other, _) => panic!("{scenario}: unexpected {other:?}"),
            }
            sources.insert(ip.src);
            times.push(p.ts);
        }
        assert_eq!(sources.len(), times.len(), "{scenario}: no source repeats");
        let secs = (times.last().unwrap() - times[0]) as f64 / 1e6;
        assert!((19.9..=20.0).contains(&secs), "{secs}");
        let rate = times.len() as f64 / secs;
        let want = if proto == 17 {
            14_000.0..31_000.0
        } else {
            3_700.0..16_000.0
        };
        assert!(want.contains(&rate), "{scenario}: {rate}/s");
        window_is(a, &times);
    }
}

#[test]
fn outbound_flood_comes_from_one_fleet_device() {
    let c = capture("outbound-flood", 6, 8, 150);
    let l = &c.labels;
    let a = &l.attacks[0];
    assert_eq!(a.class, "ddos");
    let (bot, target) = (ip_of(&a.src), ip_of(&a.dst));
    assert!(device_ips(l, None).contains(&bot));
    assert!(matches!(target, [198, 51, 100, _] | [203, 0, 113, _]));
    let times: Vec<u64> = c
        .pkts
        .iter()
        .filter(|p| {
            matches!(&p.frame, Frame::Ip(ip) if ip.src == bot && ip.dst == target
                && matches!(ip.l4, L4::Udp { .. }))
        })
        .map(|p| p.ts)
        .collect();
    let secs = (times.last().unwrap() - times[0]) as f64 / 1e6;
    let rate = times.len() as f64 / secs;
    assert!((7_500.0..21_000.0).contains(&rate), "{rate}/s");
    window_is(a, &times);
}

#[test]
fn slow_scan_stays_under_the_fast_thresholds() {
    let c = capture("slow-scan", 7, 30, 600);
    let a = &c.labels.attacks[0];
    assert_eq!(a.class, "scan");
    let src = ip_of(&a.src);
    let syns: Vec<TcpPkt> = tcp_pkts(&c.pkts)
        .into_iter()
        .filter(|p| p.src == src && p.flags == SYN)
        .collect();
    let targets: BTreeSet<([u8; 4], u16)> = syns.iter().map(|p| (p.dst, p.dport)).collect();
    assert_eq!(targets.len(), syns.len(), "each target once");
    assert!((110..=130).contains(&targets.len()), "{}", targets.len());
    // no 60 s window holds 25 probes (the fast thresholds' count)
    for (i, p) in syns.iter().enumerate() {
        let in_minute = syns[i..]
            .iter()
            .take_while(|q| q.ts < p.ts + 60_000_000)
            .count();
        assert!(in_minute < 25, "{in_minute} probes in a minute");
    }
    let mut times: Vec<u64> = tcp_pkts(&c.pkts)
        .iter()
        .filter(|p| p.src == src || p.dst == src)
        .map(|p| p.ts)
        .collect();
    times.sort();
    window_is(a, &times);
}

#[test]
fn credential_spraying_touches_many_cameras_few_times() {
    let c = capture("credential-spraying", 8, 30, 400);
    let l = &c.labels;
    let a = &l.attacks[0];
    assert_eq!((a.class.as_str(), a.dst_port), ("brute-force", Some(23)));
    let flows = telnet_flows(&c.pkts, ip_of(&a.src));
    let cams = device_ips(l, Some("camera"));
    let servers: BTreeSet<[u8; 4]> = flows.iter().map(|f| f.server.0).collect();
    assert!(servers.len() >= 5.min(cams.len()), "{}", servers.len());
    assert!(servers.iter().all(|s| cams.contains(s)));
    assert!(flows.len() <= 2 * servers.len());
    assert!(flows.iter().all(|f| contains(&f.s2c, "Login incorrect")));
}

#[test]
fn exposed_telnet_is_two_failed_logins_from_outside() {
    let c = capture("exposed-telnet", 9, 10, 400);
    let a = &c.labels.attacks[0];
    assert_eq!((a.class.as_str(), a.dst_port), ("exposure", Some(23)));
    let flows = telnet_flows(&c.pkts, ip_of(&a.src));
    assert_eq!(flows.len(), 2);
    assert!(flows.iter().all(|f| f.server.0 == ip_of(&a.dst)));
    assert!(flows.iter().all(|f| contains(&f.s2c, "Login incorrect")));
}

#[test]
fn weak_tls_is_a_posture_fact_with_a_tls10_server() {
    let cfg = ScenarioConfig {
        scenario: "weak-tls".into(),
        seed: 4,
        devices: 10,
        duration_secs: 400,
        ..Default::default()
    };
    let mut bytes = Vec::new();
    let l = generate(&cfg, &mut bytes).unwrap();
    assert!(l.attacks.is_empty());
    let p: Vec<_> = l.posture.iter().filter(|p| p.class == "weak-tls").collect();
    assert_eq!(p.len(), 1);
    let dev = ip_of(&p[0].device);
    let (_, recs) = read_pcap(&bytes);
    let pkts: Vec<Packet> = recs.iter().map(parse).collect();
    let hellos = tcp_pkts(&pkts)
        .into_iter()
        .filter(|t| t.src == dev && t.sport == 443)
        .filter(|t| t.payload.starts_with(&[22, 3, 1]) && t.payload.get(5) == Some(&2))
        .count();
    assert!(hellos >= 2, "{hellos} TLS 1.0 ServerHellos");
    // the ServerHello's version is TLS 1.0
    let sh = tcp_pkts(&pkts)
        .into_iter()
        .find(|t| t.src == dev && t.sport == 443 && t.payload.get(5) == Some(&2))
        .unwrap();
    assert_eq!(&sh.payload[9..11], &[3, 1]);
}

/// (time, src, dst, sport, dport, payload).
type UdpPkt<'a> = (u64, [u8; 4], [u8; 4], u16, u16, &'a [u8]);

fn udp_pkts(pkts: &[Packet]) -> Vec<UdpPkt<'_>> {
    pkts.iter()
        .filter_map(|p| match &p.frame {
            Frame::Ip(Ipv4 {
                src,
                dst,
                l4:
                    L4::Udp {
                        sport,
                        dport,
                        payload,
                    },
                ..
            }) => Some((p.ts, *src, *dst, *sport, *dport, payload.as_slice())),
            _ => None,
        })
        .collect()
}

#[test]
fn hikvision_exploit_put_answered() {
    let c = capture("hikvision-exploit", 3, 10, 300);
    let a = &c.labels.attacks[0];
    assert_eq!((a.class.as_str(), a.dst_port), ("exploit", Some(80)));
    let (att, cam) = (ip_of(&a.src), ip_of(&a.dst));
    let t = tcp_pkts(&c.pkts);
    let put: Vec<&TcpPkt> = t
        .iter()
        .filter(|p| p.src == att && p.dst == cam && p.dport == 80 && !p.payload.is_empty())
        .collect();
    let body = put
        .iter()
        .flat_map(|p| p.payload.iter().copied())
        .collect::<Vec<u8>>();
    let text = String::from_utf8_lossy(&body);
    assert!(
        text.starts_with("PUT /SDK/webLanguage HTTP/1.1\r\n"),
        "{text}"
    );
    assert!(
        text.contains("<language>$(") || text.contains("<language>`"),
        "{text}"
    );
    assert!(t
        .iter()
        .any(|p| p.src == cam && p.dst == att && p.sport == 80 && p.flags == 0x12));
    assert!(t
        .iter()
        .any(|p| p.src == cam && p.payload.starts_with(b"HTTP/1.1 500")));
    let times: Vec<u64> = t
        .iter()
        .filter(|p| (p.src == att && p.dst == cam) || (p.src == cam && p.dst == att))
        .map(|p| p.ts)
        .collect();
    window_is(a, &times);
}

#[test]
fn kalay_cameras_register_and_an_impostor_too() {
    let c = capture("kalay-impersonation", 4, 12, 300);
    let a = &c.labels.attacks[0];
    assert_eq!(a.class, "exploit");
    let (imp, cam) = (ip_of(&a.src), ip_of(&a.dst));
    assert_ne!(imp, cam);
    let u = udp_pkts(&c.pkts);
    let cams = device_ips(&c.labels, Some("camera"));
    assert!(!cams.is_empty());
    let registering: BTreeSet<[u8; 4]> = u
        .iter()
        .filter(|p| p.4 == 10240 && p.5.len() == 64)
        .map(|p| p.1)
        .collect();
    for cam in &cams {
        assert!(registering.contains(cam), "{cam:?} never registers");
    }
    assert!(registering.contains(&imp));
    // scrambled: no clear IOTC magic, and the impostor's datagrams are the
    // victim's registration bytes apart from the LAN address and port
    assert!(u
        .iter()
        .filter(|p| p.4 == 10240)
        .all(|p| p.5[..2] != [4, 2]));
    let imp_regs: Vec<_> = u.iter().filter(|p| p.1 == imp && p.4 == 10240).collect();
    assert_eq!(imp_regs.len(), 4);
    let cam_reg = u.iter().find(|p| p.1 == cam && p.4 == 10240).unwrap();
    assert_eq!(imp_regs[0].5[..32], cam_reg.5[..32]);
    let times: Vec<u64> = u
        .iter()
        .filter(|p| (p.1 == imp && p.4 == 10240) || (p.2 == imp && p.3 == 10240))
        .map(|p| p.0)
        .collect();
    window_is(a, &times);
}

#[test]
fn axeda_command_to_eremoteserver() {
    let c = capture("axeda-access", 5, 10, 300);
    let a = &c.labels.attacks[0];
    assert_eq!((a.class.as_str(), a.dst_port), ("exploit", Some(3076)));
    let (att, dev) = (ip_of(&a.src), ip_of(&a.dst));
    let t = tcp_pkts(&c.pkts);
    assert!(t
        .iter()
        .any(|p| p.src == dev && p.dst == att && p.sport == 3076 && p.flags == 0x12));
    assert!(t
        .iter()
        .any(|p| p.src == att && p.dport == 3076 && p.payload.ends_with(b"GetVersion")));
    // managed polling from inside the fleet too
    assert!(t
        .iter()
        .any(|p| p.src[0] == 10 && p.dst == dev && p.dport == 3076 && !p.payload.is_empty()));
}
