//! `scan` writes its alerts, incidents and findings into the SQLite store,
//! and a second scan into the same file merges.

mod common;

use palisade_store::Store;

fn generate(dir: &std::path::Path) -> std::path::PathBuf {
    let cap = dir.join("bf.pcap");
    let st = common::palisade()
        .args(["testbed", "generate", "--scenario", "telnet-bruteforce"])
        .args([
            "--seed",
            "3",
            "--devices",
            "10",
            "--duration",
            "4m",
            "--out",
        ])
        .arg(&cap)
        .arg("--labels")
        .arg(dir.join("bf.json"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(st.success());
    cap
}

fn scan(cap: &std::path::Path, out: &std::path::Path, extra: &[&str]) {
    let o = common::palisade()
        .args(["scan", "--threads", "1", "-o"])
        .arg(out)
        .args(extra)
        .arg(cap)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn scans_fill_and_merge_the_store() {
    let tmp = common::TempDir::new("store");
    let cap = generate(tmp.path());
    let out = tmp.path().join("out");
    scan(&cap, &out, &[]);
    let db = out.join("palisade.db");
    let s = Store::open(&db).unwrap();
    let by_class = s.alerts_by_class().unwrap();
    let n = |c: &str| by_class.iter().find(|(k, _)| k == c).map_or(0, |x| x.1);
    assert!(n("brute-force") >= 2, "{by_class:?}");
    let incidents = s.incidents(1).unwrap();
    let bf: Vec<_> = incidents
        .iter()
        .filter(|i| i.class.as_deref() == Some("brute-force"))
        .collect();
    assert_eq!(bf.len(), 1, "{incidents:?}");
    assert_eq!(bf[0].state, "ended");
    let findings = s.findings().unwrap();
    assert!(findings
        .iter()
        .any(|f| f.class == "cleartext-credentials" && f.key.starts_with("service=telnet")));
    // no secret: the stored evidence has user names, never a password
    let evidence: Vec<String> = s
        .conn()
        .prepare("SELECT evidence FROM findings")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(evidence.iter().all(|e| !e.contains("password\"")));
    // the inventory: one device per fleet MAC of the labels (gateway
    // included), each with the addresses the labels give it
    let labels: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("bf.json")).unwrap()).unwrap();
    let devices = s.devices().unwrap();
    for d in labels["devices"].as_array().unwrap() {
        let key = format!("mac:{}", d["mac"].as_str().unwrap());
        let found = devices.iter().find(|x| x.key == key);
        let found = found.unwrap_or_else(|| panic!("{key} not in {devices:?}"));
        assert!(found
            .addresses
            .contains(&d["ip"].as_str().unwrap().to_string()));
        assert!(found.vendor.is_some(), "{key}: a registered OUI");
    }
    assert_eq!(devices.len(), labels["devices"].as_array().unwrap().len());
    assert!(devices.iter().any(|d| d
        .fingerprints
        .iter()
        .any(|f| f.starts_with("mqtt.client_id="))));
    // the same, read back by the commands
    let cmd = |what: &str, extra: &[&str]| -> serde_json::Value {
        let o = common::palisade()
            .args([what, "--format", "json", "--db"])
            .arg(&db)
            .args(extra)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    assert_eq!(cmd("devices", &[]).as_array().unwrap().len(), devices.len());
    let cam = labels["devices"][1]["ip"].as_str().unwrap();
    assert_eq!(
        cmd("devices", &["--device", cam]).as_array().unwrap().len(),
        1
    );
    let clear = cmd("findings", &["--class", "cleartext-credentials"]);
    let n_clear = findings
        .iter()
        .filter(|f| f.class == "cleartext-credentials")
        .count();
    assert_eq!(clear.as_array().unwrap().len(), n_clear);
    // the brute-forcer reached the camera's Telnet from outside: exposed
    assert!(findings
        .iter()
        .any(|f| f.class == "exposed-service" && f.key == "service=telnet|port=23"));
    assert!(cmd("findings", &["--class", "nothing"])
        .as_array()
        .unwrap()
        .is_empty());
    drop(s);

    // the same capture again, writing only flows to EVE: every alert still
    // reaches the store, and every finding is the same row seen again
    scan(&cap, &out, &["--eve-types", "flow"]);
    let s = Store::open(&db).unwrap();
    let runs = s.runs().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0].2, runs[1].2, "same alerts in both runs: {runs:?}");
    let again = s.findings().unwrap();
    assert_eq!(again.len(), findings.len());
    assert!(again.iter().all(|f| f.last_run == 2 && f.first_run == 1));
    assert!(again.iter().zip(&findings).all(|(b, a)| b.seen > a.seen));
}

#[test]
fn no_db_writes_no_store() {
    let tmp = common::TempDir::new("nodb");
    let cap = generate(tmp.path());
    let out = tmp.path().join("out");
    scan(&cap, &out, &["--no-db"]);
    assert!(out.join("eve.json").exists());
    assert!(!out.join("palisade.db").exists());
    let custom = tmp.path().join("fleet.db");
    scan(&cap, &out, &["--db", custom.to_str().unwrap()]);
    assert!(custom.exists() && !out.join("palisade.db").exists());
}
