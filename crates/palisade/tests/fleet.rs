//! What the fleet is: the classifier names vendor, product, type and
//! firmware from fingerprints, the advisory database finds the known
//! vulnerabilities of that firmware, and both reach EVE and the store.

mod common;

use serde_json::Value;

fn generate(dir: &std::path::Path) -> std::path::PathBuf {
    let cap = dir.join("vf.pcap");
    let st = common::palisade()
        .args(["testbed", "generate", "--scenario", "vulnerable-firmware"])
        .args([
            "--seed",
            "3",
            "--devices",
            "20",
            "--duration",
            "4m",
            "--out",
        ])
        .arg(&cap)
        .arg("--labels")
        .arg(dir.join("vf.json"))
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(st.success());
    cap
}

fn json_of(args: &[&str], db: &std::path::Path) -> Value {
    let o = common::palisade()
        .args(args)
        .arg("--db")
        .arg(db)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn vulnerable_hikvision_firmware_is_a_finding_with_its_advisory() {
    let tmp = common::TempDir::new("fleet");
    let cap = generate(tmp.path());
    let labels: Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("vf.json")).unwrap()).unwrap();
    let victim = labels["posture"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["class"] == "vulnerable-firmware")
        .unwrap()["device"]
        .as_str()
        .unwrap()
        .to_string();
    let out = tmp.path().join("out");
    let o = common::palisade()
        .args(["scan", "--threads", "1", "-o"])
        .arg(&out)
        .arg(&cap)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // EVE: one finding, on the labelled camera, with the advisory's facts.
    let eve = std::fs::read_to_string(out.join("eve.json")).unwrap();
    let vf: Vec<Value> = eve
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r["event_type"] == "finding" && r["finding"]["class"] == "vulnerable-firmware")
        .collect();
    assert_eq!(vf.len(), 1, "{vf:?}");
    let f = &vf[0]["finding"];
    assert_eq!(f["device"], victim.as_str());
    assert_eq!(f["severity"], 1);
    let e = &f["evidence"];
    assert_eq!(e["cve"], "CVE-2021-36260");
    assert_eq!(e["known_exploited"], true);
    assert_eq!(e["kev_date_added"], "2022-01-10");
    assert_eq!(e["cvss"], 9.8);
    assert_eq!(e["vendor"], "Hikvision");
    assert_eq!(e["product"], "DS-2CD2043G2-I");
    assert_eq!(e["firmware"], "V5.5.52 build 180620");
    assert_eq!(e["version_checked"], true);
    assert!(e["classified_by"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l.as_str().unwrap().contains("rule firmware-check-query")));
    assert!(e["fixed_version"].as_str().unwrap().contains("210628"));
    assert!(f["remediation"].as_str().unwrap().contains("210628"));

    // The store: the finding, and the device with what it is.
    let db = out.join("palisade.db");
    let findings = json_of(&["findings", "--class", "vulnerable-firmware"], &db);
    let rows = findings.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{findings}");
    assert_eq!(rows[0]["device"], victim.as_str());
    assert_eq!(rows[0]["evidence"]["cve"], "CVE-2021-36260");
    let devices = json_of(&["devices"], &db);
    let cam = devices
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["product"] == "DS-2CD2043G2-I")
        .unwrap_or_else(|| panic!("no classified camera in {devices}"));
    assert_eq!(cam["vendor"], "Hikvision");
    assert_eq!(cam["device_type"], "camera");
    assert_eq!(cam["firmware"], "V5.5.52 build 180620");
    // Every device of the fleet has a vendor: the classifier's or the MAC's.
    for d in devices.as_array().unwrap() {
        assert!(d["vendor"].is_string(), "{d}");
    }

    // Scanning again merges: still one finding, seen twice.
    let o = common::palisade()
        .args(["scan", "--threads", "1", "-o"])
        .arg(&out)
        .arg(&cap)
        .output()
        .unwrap();
    assert!(o.status.success());
    let findings = json_of(&["findings", "--class", "vulnerable-firmware"], &db);
    assert_eq!(findings.as_array().unwrap().len(), 1, "{findings}");
    assert_eq!(findings[0]["seen"], 2, "{findings}");
}

#[test]
fn user_classifier_and_advisory_files_extend_the_builtins() {
    let tmp = common::TempDir::new("fleet-user");
    let cap = generate(tmp.path());
    // An advisory of our own for the Axis camera's whole 10.x line, and a
    // rule that types Axis products more precisely.
    let adv = tmp.path().join("adv.json");
    std::fs::write(
        &adv,
        r#"{"advisories":[{"id":"TEST-2026-0001","title":"Axis test advisory",
            "remediation":"Update to 11.0.","cvss":5.0,
            "affected":[{"vendor":"Axis","products":["M3106*"],"ranges":[{"introduced":"10.0","fixed":"11.0"}]}]}]}"#,
    )
    .unwrap();
    let rules = tmp.path().join("rules.toml");
    std::fs::write(
        &rules,
        "[[rule]]\nid = \"axis-box\"\nkind = \"oui.vendor\"\npattern = '(?i)^axis'\ndevice_type = \"box-camera\"\nconfidence = 99\n",
    )
    .unwrap();
    let out = tmp.path().join("out");
    let o = common::palisade()
        .args(["scan", "--threads", "1", "-o"])
        .arg(&out)
        .arg("--set")
        .arg(format!("inventory.advisories={}", adv.display()))
        .arg("--set")
        .arg(format!("inventory.classifier_rules={}", rules.display()))
        .arg(&cap)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let db = out.join("palisade.db");
    let devices = json_of(&["devices"], &db);
    let axis: Vec<&Value> = devices
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["vendor"] == "Axis")
        .collect();
    assert!(!axis.is_empty(), "{devices}");
    assert!(
        axis.iter().all(|d| d["device_type"] == "box-camera"),
        "{axis:?}"
    );

    // A broken user file is an error naming the file.
    let bad = tmp.path().join("bad.json");
    std::fs::write(&bad, "{\"advisories\": [").unwrap();
    let o = common::palisade()
        .args(["scan", "--threads", "1", "-o"])
        .arg(tmp.path().join("out2"))
        .arg("--set")
        .arg(format!("inventory.advisories={}", bad.display()))
        .arg(&cap)
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("bad.json"), "{err}");
}
