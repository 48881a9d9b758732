//! The IoT detectors end to end: the public captures the issue names and
//! labelled testbed scenarios through `palisade eval`.

mod common;

use serde_json::Value;
use std::path::Path;

fn scan(cap: &Path, tag: &str) -> Vec<Value> {
    let out = common::TempDir::new(tag);
    let (st, recs) = common::scan(&[cap], &["--threads", "1"], out.path());
    assert!(st.success(), "scan {}", cap.display());
    recs
}

fn detector_alerts<'a>(recs: &'a [Value], class: &str) -> Vec<&'a Value> {
    recs.iter()
        .filter(|r| {
            r["event_type"] == "alert" && r["alert"]["metadata"]["palisade_class"][0] == class
        })
        .collect()
}

fn incidents(alerts: &[&Value]) -> Vec<String> {
    let mut ids: Vec<String> = alerts
        .iter()
        .filter_map(|a| a["alert"]["metadata"]["palisade_incident"][0].as_str())
        .map(str::to_string)
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

#[test]
fn stopddos_floods_are_one_incident_each_with_the_right_victim() {
    let Some(d) = common::shared_data() else {
        return;
    };
    for (file, sid) in [
        ("pcaps/stopddos/pkt.TCP.synflood.spoofed.pcap", 9_500_040),
        ("pcaps/stopddos/amp.UDP.snmp.src161.pcapng", 9_500_043),
    ] {
        let recs = scan(&d.join(file), "stopddos");
        let ddos = detector_alerts(&recs, "ddos");
        assert_eq!(incidents(&ddos).len(), 1, "{file}: {ddos:?}");
        assert!(ddos.len() <= 5, "{file}: {} ddos alerts", ddos.len());
        for a in &ddos {
            assert_eq!(a["alert"]["signature_id"], sid, "{file}");
            assert_eq!(a["dest_ip"], "10.10.10.10", "{file}: victim");
        }
        let phases: Vec<&str> = ddos
            .iter()
            .filter_map(|a| a["alert"]["metadata"]["palisade_incident_phase"][0].as_str())
            .collect();
        assert_eq!(phases.first(), Some(&"start"));
        assert_eq!(phases.last(), Some(&"end"));
        // nothing else cries wolf: no scan or credential alert storm
        let all: Vec<&Value> = recs.iter().filter(|r| r["event_type"] == "alert").collect();
        assert!(all.len() <= 8, "{file}: {} alerts in all", all.len());
    }
}

#[test]
fn cleartext_logins_are_findings_and_defaults_only_when_known() {
    let Some(d) = common::shared_data() else {
        return;
    };
    // nDPI's Telnet login ("fake", a password not in the database)
    let recs = scan(&d.join("pcaps/ndpi/telnet.pcap"), "telnet");
    let findings: Vec<&Value> = recs
        .iter()
        .filter(|r| r["event_type"] == "finding")
        .collect();
    assert!(!findings.is_empty());
    for f in &findings {
        assert_eq!(f["finding"]["class"], "cleartext-credentials");
        assert_eq!(f["finding"]["evidence"]["service"], "telnet");
        assert_eq!(f["finding"]["evidence"]["username"], "fake");
        assert!(f["finding"]["remediation"]
            .as_str()
            .is_some_and(|s| !s.is_empty()));
    }
    assert!(detector_alerts(&recs, "default-credentials").is_empty());
    // MQTT logins: user/pass is a pair of the database (DefaultCreds), so
    // the alert names its entry; never the password
    let recs = scan(
        &d.join("pcaps/suricata-verify/mqtt311-pub-userpass/input.pcap"),
        "mqtt",
    );
    assert!(recs
        .iter()
        .any(|r| r["event_type"] == "finding" && r["finding"]["evidence"]["service"] == "mqtt"));
    let dc = detector_alerts(&recs, "default-credentials");
    assert!(!dc.is_empty());
    for a in &dc {
        assert!(a["alert"]["metadata"]["entry_id"][0].is_string(), "{a}");
        assert!(!a.to_string().contains("\"pass\""), "password leaked: {a}");
    }
}

#[test]
fn eval_detects_the_testbed_attacks() {
    let tmp = common::TempDir::new("eval");
    for (scenario, devices, duration) in [
        ("scan", "12", "5m"),
        ("mirai", "12", "5m"),
        ("telnet-default-creds", "12", "5m"),
        ("telnet-bruteforce", "12", "5m"),
        ("credential-spraying", "20", "5m"),
        ("exposed-telnet", "12", "5m"),
        ("weak-tls", "12", "5m"),
        ("vulnerable-firmware", "12", "4m"),
        ("shared-credential", "12", "4m"),
        ("slow-scan", "20", "10m"),
        ("udp-flood", "8", "3m"),
        ("icmp-flood", "8", "3m"),
        ("outbound-flood", "8", "3m"),
    ] {
        let cap = tmp.path().join(format!("{scenario}.pcap"));
        let labels = tmp.path().join(format!("{scenario}.json"));
        let st = common::palisade()
            .args(["testbed", "generate", "--scenario", scenario, "--seed", "5"])
            .stdout(std::process::Stdio::null())
            .args(["--devices", devices, "--duration", duration, "--out"])
            .arg(&cap)
            .arg("--labels")
            .arg(&labels)
            .status()
            .unwrap();
        assert!(st.success());
        let o = common::palisade()
            .args(["eval", "--format", "json", "--threads", "1", "--labels"])
            .arg(&labels)
            .arg("--output-dir")
            .arg(tmp.path().join(format!("out-{scenario}")))
            .arg(&cap)
            .output()
            .unwrap();
        assert!(o.status.success());
        let r: Value = serde_json::from_slice(&o.stdout).unwrap();
        for (class, c) in r["classes"].as_object().unwrap() {
            assert_eq!(c["recall"], 1.0, "{scenario} {class}: {c}");
            assert_eq!(c["false_alerts"], 0, "{scenario} {class}: {c}");
        }
    }
}
