//! `palisade scan` end to end: inputs of every kind, bad inputs, outputs,
//! configuration errors, exit codes.

mod common;

use common::*;
use std::io::Write;
use std::path::{Path, PathBuf};

fn fleet(dir: &Path, seed: u64, secs: u64) -> (PathBuf, palisade_testbed::Labels) {
    let pcap = dir.join(format!("fleet-{seed}.pcap"));
    let cfg = palisade_testbed::ScenarioConfig {
        seed,
        devices: 8,
        duration_secs: secs,
        ..Default::default()
    };
    let f = std::fs::File::create(&pcap).unwrap();
    let labels = palisade_testbed::generate(&cfg, std::io::BufWriter::new(f)).unwrap();
    (pcap, labels)
}

fn of_type<'a>(recs: &'a [serde_json::Value], t: &str) -> Vec<&'a serde_json::Value> {
    recs.iter().filter(|r| r["event_type"] == t).collect()
}

#[test]
fn fleet_capture_flows_match_ground_truth() {
    let tmp = TempDir::new("gt");
    let (pcap, labels) = fleet(tmp.path(), 3, 600);
    for threads in ["1", "2"] {
        let out = tmp.path().join(format!("out{threads}"));
        let (status, recs) = scan(&[&pcap], &["--threads", threads], &out);
        assert!(status.success());
        let flows = of_type(&recs, "flow");
        let count = |p: &str| flows.iter().filter(|f| f["proto"] == p).count() as u64;
        assert_eq!(count("TCP"), labels.conversations.tcp, "threads {threads}");
        assert_eq!(count("UDP"), labels.conversations.udp, "threads {threads}");
        let pkts: u64 = flows
            .iter()
            .map(|f| {
                f["flow"]["pkts_toserver"].as_u64().unwrap()
                    + f["flow"]["pkts_toclient"].as_u64().unwrap()
            })
            .sum();
        let stats = of_type(&recs, "stats");
        assert_eq!(stats.len(), 1, "one final stats record");
        let s = &stats[0]["stats"];
        assert_eq!(s["capture"]["packets"], labels.packets);
        // every IP packet belongs to exactly one flow (ARP does not)
        let arp = s["decoder"]["arp"].as_u64().unwrap_or(0);
        assert_eq!(pkts + arp, labels.packets);
        assert_eq!(
            s["tcp"]["reassembly_gap"], 0,
            "generated streams are complete"
        );
        assert_eq!(
            of_type(&recs, "anomaly").len(),
            0,
            "clean traffic has no anomalies"
        );
        // Suricata's envelope
        let f = flows[0];
        assert!(f["timestamp"].as_str().unwrap().ends_with("+0000"));
        assert!(f["flow_id"].as_u64().unwrap() > 0);
        for k in ["src_ip", "dest_ip", "proto"] {
            assert!(f.get(k).is_some(), "{k}");
        }
        for k in [
            "pkts_toserver",
            "pkts_toclient",
            "bytes_toserver",
            "bytes_toclient",
            "start",
            "end",
            "age",
            "state",
            "reason",
            "alerted",
        ] {
            assert!(f["flow"].get(k).is_some(), "flow.{k}");
        }
    }
}

#[test]
fn same_results_with_one_and_two_threads() {
    let tmp = TempDir::new("det");
    let (pcap, _) = fleet(tmp.path(), 5, 300);
    let mut sets = Vec::new();
    let mut decoders = Vec::new();
    // 1 thread; 2 threads copying packets to the worker; 3 threads handing
    // memory-mapped packets over by reference
    for (threads, mmap) in [("1", "false"), ("2", "false"), ("3", "true")] {
        let out = tmp.path().join(format!("o{threads}"));
        let set = format!("runtime.mmap_inputs={mmap}");
        let (_, recs) = scan(
            &[&pcap],
            &[
                "--threads",
                threads,
                "--eve-types",
                "flow,stats",
                "--set",
                &set,
            ],
            &out,
        );
        let mut lines: Vec<String> = recs
            .iter()
            .filter(|r| r["event_type"] == "flow")
            .map(|r| r.to_string())
            .collect();
        lines.sort();
        sets.push(lines);
        // the decoder's counters too: every packet counted once, whichever
        // worker decoded it and whether the reader routed it by the fast
        // path or a full decode
        let stats = recs
            .iter()
            .find(|r| r["event_type"] == "stats")
            .expect("a stats record");
        decoders.push(stats["stats"]["decoder"].clone());
    }
    assert!(!sets[0].is_empty());
    assert_eq!(sets[0], sets[1]);
    assert_eq!(sets[0], sets[2]);
    assert!(
        decoders[0]["pkts"].as_u64().unwrap_or(0) > 0,
        "{}",
        decoders[0]
    );
    assert_eq!(decoders[0], decoders[1]);
    assert_eq!(decoders[0], decoders[2]);
}

#[test]
fn truncated_input_keeps_results_and_exits_2() {
    let tmp = TempDir::new("trunc");
    let (good, _) = fleet(tmp.path(), 7, 120);
    let bytes = std::fs::read(&good).unwrap();
    let cut = tmp.path().join("cut.pcap");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3 + 5]).unwrap();
    let missing = tmp.path().join("missing.pcap");
    let out = tmp.path().join("o");
    let o = palisade()
        .args(["scan", "--format", "json", "--output-dir"])
        .arg(&out)
        .arg(&cut)
        .arg(&missing)
        .arg(&good)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let errs: Vec<String> = summary["input_errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap().to_string())
        .collect();
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert!(
        errs.iter()
            .any(|e| e.contains("cut.pcap") && e.contains("byte")),
        "{errs:?}"
    );
    assert!(errs.iter().any(|e| e.contains("missing.pcap")), "{errs:?}");
    // the good file and the good part of the cut one were both processed
    let good_only = tmp.path().join("g");
    let (_, good_recs) = scan(&[&good], &[], &good_only);
    let good_pkts = of_type(&good_recs, "stats")[0]["stats"]["capture"]["packets"]
        .as_u64()
        .unwrap();
    assert!(summary["packets"].as_u64().unwrap() > good_pkts);
}

#[test]
fn directories_gzip_and_stdin() {
    let tmp = TempDir::new("inputs");
    let dir = tmp.path().join("caps");
    std::fs::create_dir_all(&dir).unwrap();
    let (a, la) = fleet(&dir, 11, 120);
    let (_b, lb) = fleet(&dir, 12, 120);
    std::fs::write(dir.join("notes.txt"), "not a capture").unwrap();
    let (status, recs) = scan(&[&dir], &[], &tmp.path().join("o1"));
    assert!(status.success());
    let s = &of_type(&recs, "stats")[0]["stats"];
    assert_eq!(s["capture"]["packets"], la.packets + lb.packets);

    // gzip
    let gz = tmp.path().join("a.pcap.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    enc.write_all(&std::fs::read(&a).unwrap()).unwrap();
    enc.finish().unwrap();
    let (status, recs) = scan(&[&gz], &[], &tmp.path().join("o2"));
    assert!(status.success());
    assert_eq!(
        of_type(&recs, "stats")[0]["stats"]["capture"]["packets"],
        la.packets
    );

    // stdin
    let out = tmp.path().join("o3");
    let mut child = palisade()
        .args(["scan", "--quiet", "--output-dir"])
        .arg(&out)
        .arg("-")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&std::fs::read(&a).unwrap())
        .unwrap();
    assert!(child.wait().unwrap().success());
    let text = std::fs::read_to_string(out.join("eve.json")).unwrap();
    let flows_stdin = text
        .lines()
        .filter(|l| l.contains("\"event_type\":\"flow\""))
        .count() as u64;
    assert_eq!(
        flows_stdin,
        la.conversations.tcp + la.conversations.udp + la.conversations.icmp
    );
}

#[test]
fn eve_types_select_records() {
    let tmp = TempDir::new("types");
    let (pcap, _) = fleet(tmp.path(), 13, 60);
    let (_, recs) = scan(&[&pcap], &["--eve-types", "stats"], tmp.path());
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0]["event_type"], "stats");
    let o = palisade()
        .args(["scan", "--eve-types", "flow,alerts"])
        .arg(&pcap)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("alerts"));
}

#[test]
fn unknown_config_keys_are_named() {
    let tmp = TempDir::new("cfg");
    let cfg = tmp.path().join("palisade.toml");
    std::fs::write(&cfg, "[stream]\nreassembly_depht = 5\n").unwrap();
    let o = palisade()
        .args(["config", "check", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("reassembly_depht"), "{err}");
    let o = palisade().args(["config", "defaults"]).output().unwrap();
    assert!(o.status.success());
    std::fs::write(&cfg, &o.stdout).unwrap();
    let o = palisade()
        .args(["config", "check", "--config"])
        .arg(&cfg)
        .args(["--set", "stream.reassembly_depth=0"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn help_has_examples() {
    let o = palisade().args(["scan", "--help"]).output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("Examples:"));
    assert!(text.contains("--checksum-checks"));
    assert!(text.contains("Exit status"));
}
