//! Acceptance: palisade's TCP and UDP flows agree with tshark's conversation
//! tables (unordered 5-tuple and total packets) for every shared capture and
//! for generated fleet captures.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// (proto, lower endpoint, higher endpoint) -> packets
type Conv = BTreeMap<(String, String, String), u64>;

fn endpoint(ip: &str, port: u64) -> String {
    format!("{ip}|{port}")
}

fn key(proto: &str, a: String, b: String) -> (String, String, String) {
    if a <= b {
        (proto.into(), a, b)
    } else {
        (proto.into(), b, a)
    }
}

fn split_endpoint(s: &str) -> Option<(String, u64)> {
    let (ip, port) = s.rsplit_once(':')?;
    Some((ip.to_string(), port.parse().ok()?))
}

fn tshark_conversations(pcap: &Path) -> Conv {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(pcap)
        .args(["-q", "-z", "conv,tcp", "-z", "conv,udp"])
        .output()
        .expect("run tshark");
    assert!(out.status.success(), "tshark failed on {}", pcap.display());
    let text = String::from_utf8_lossy(&out.stdout);
    let mut proto = "";
    let mut conv = Conv::new();
    for line in text.lines() {
        if line.starts_with("TCP Conversations") {
            proto = "TCP";
        } else if line.starts_with("UDP Conversations") {
            proto = "UDP";
        }
        let t: Vec<&str> = line.split_whitespace().collect();
        if t.len() < 10 || t[1] != "<->" {
            continue;
        }
        let (Some((ia, pa)), Some((ib, pb))) = (split_endpoint(t[0]), split_endpoint(t[2])) else {
            continue;
        };
        let n = |s: &str| s.replace(',', "").parse::<u64>().unwrap_or(0);
        // columns: A <-> B  frames bytes unit  frames bytes unit  total ...
        let frames = n(t[3]) + n(t[6]);
        *conv
            .entry(key(proto, endpoint(&ia, pa), endpoint(&ib, pb)))
            .or_default() += frames;
    }
    conv
}

fn palisade_conversations(pcap: &Path) -> Conv {
    let tmp = TempDir::new("tshark");
    let (status, recs) = scan(
        &[pcap],
        &["--eve-types", "flow", "--threads", "2"],
        tmp.path(),
    );
    assert!(status.success(), "palisade failed on {}", pcap.display());
    let mut conv = Conv::new();
    for r in recs {
        let proto = r["proto"].as_str().unwrap_or("");
        if proto != "TCP" && proto != "UDP" {
            continue;
        }
        // tshark reports tunnelled flows by their inner addresses too
        let a = endpoint(
            r["src_ip"].as_str().unwrap(),
            r["src_port"].as_u64().unwrap_or(0),
        );
        let b = endpoint(
            r["dest_ip"].as_str().unwrap(),
            r["dest_port"].as_u64().unwrap_or(0),
        );
        let pk = r["flow"]["pkts_toserver"].as_u64().unwrap()
            + r["flow"]["pkts_toclient"].as_u64().unwrap();
        *conv.entry(key(proto, a, b)).or_default() += pk;
    }
    conv
}

fn compare(pcap: &Path) {
    let ours = palisade_conversations(pcap);
    let theirs = tshark_conversations(pcap);
    let mut diffs = Vec::new();
    for (k, v) in &theirs {
        match ours.get(k) {
            Some(o) if o == v => {}
            o => diffs.push(format!("{k:?}: tshark {v}, palisade {o:?}")),
        }
    }
    for (k, v) in &ours {
        if !theirs.contains_key(k) {
            diffs.push(format!("{k:?}: palisade {v}, tshark none"));
        }
    }
    assert!(
        diffs.is_empty(),
        "{}: {} of {} conversations differ:\n{}",
        pcap.display(),
        diffs.len(),
        theirs.len(),
        diffs
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(!theirs.is_empty() || ours.is_empty());
    eprintln!("{}: {} conversations agree", pcap.display(), theirs.len());
}

#[test]
fn shared_captures_agree_with_tshark() {
    let Some(data) = shared_data() else { return };
    if !have_tool("tshark") {
        return;
    }
    let caps = captures_under(&data.join("pcaps"));
    assert!(caps.len() >= 10, "expected the shared captures");
    for c in caps {
        compare(&c);
    }
}

#[test]
fn generated_fleet_captures_agree_with_tshark() {
    if !have_tool("tshark") {
        return;
    }
    let tmp = TempDir::new("fleet");
    for seed in [1u64, 2] {
        let pcap = tmp.path().join(format!("fleet-{seed}.pcap"));
        let cfg = palisade_testbed::ScenarioConfig {
            seed,
            devices: 12,
            duration_secs: 900,
            ..Default::default()
        };
        let f = std::fs::File::create(&pcap).unwrap();
        let labels = palisade_testbed::generate(&cfg, std::io::BufWriter::new(f)).unwrap();
        assert!(labels.packets > 1000);
        compare(&pcap);
    }
}
