//! `palisade report` and `palisade alerts` end to end: a store filled by
//! scanning the shipped sample and a testbed attack names the devices and
//! classes; hostile strings from the store are escaped in HTML and cannot
//! break Markdown tables; the SVG charts are well-formed XML; and a
//! headless Chromium renders the page (summary, charts) without running
//! anything injected.

mod common;

use palisade::report::{html, markdown, Report};
use palisade_event::{AlertRecord, AlertSignature, FindingRecord, Timestamp, Tuple};
use palisade_store::{DeviceRow, RunInfo, RunTotals, Store, StoreOp, StoreWriter};
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn run_ok(args: &[&str]) -> String {
    let o = common::palisade().args(args).output().unwrap();
    assert!(
        o.status.success(),
        "palisade {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn scan_into(db: &Path, cap: &Path, out: &Path) {
    let o = common::palisade()
        .args(["scan", "--quiet", "--threads", "1", "-o"])
        .arg(out)
        .arg("--db")
        .arg(db)
        .arg(cap)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Every `<svg ...>...</svg>` of a page.
fn svgs(page: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = page;
    while let Some(i) = rest.find("<svg") {
        let Some(j) = rest[i..].find("</svg>") else {
            panic!("unterminated svg");
        };
        out.push(&rest[i..i + j + 6]);
        rest = &rest[i + j + 6..];
    }
    out
}

fn assert_svgs_parse(page: &str, want: usize) {
    let list = svgs(page);
    assert_eq!(list.len(), want, "charts in the page");
    assert!(list[0].contains("id=\"alert-timeline\""));
    assert!(list[1].contains("id=\"traffic\""));
    for s in list {
        let doc = roxmltree::Document::parse(s).unwrap_or_else(|e| panic!("{e}: {s}"));
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(
            root.tag_name().namespace(),
            Some("http://www.w3.org/2000/svg")
        );
        assert!(doc.descendants().any(|n| n.has_tag_name("line")) || s.contains("no data"));
    }
}

#[test]
fn the_sample_capture_reports_its_devices_findings_and_traffic() {
    let tmp = common::TempDir::new("report-sample");
    let db = tmp.path().join("p.db");
    let cap = common::repo_root().join("data/samples/fleet-sample.pcap");
    scan_into(&db, &cap, &tmp.path().join("out"));
    // A second scan of the same capture: traffic is not doubled.
    scan_into(&db, &cap, &tmp.path().join("out"));
    let db_s = db.to_str().unwrap();

    let json: serde_json::Value =
        serde_json::from_str(&run_ok(&["report", "--db", db_s, "--format", "json"])).unwrap();
    assert_eq!(json["summary"]["devices"], 41);
    assert_eq!(
        json["period"]["first_packet"],
        "2026-01-05T08:00:00.325050+0000"
    );
    assert_eq!(json["summary"]["runs"], 2);
    assert_eq!(json["summary"]["packets"], 2 * 3923);
    let classes: Vec<&str> = json["summary"]["findings_by_class"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["class"].as_str().unwrap())
        .collect();
    assert!(classes.contains(&"cleartext-credentials"), "{classes:?}");
    // Two minutes of capture: one hour of traffic, counted once over the
    // two runs (the store's device totals, by contrast, add up).
    let traffic = json["traffic"].as_array().unwrap();
    assert_eq!(traffic.len(), 1, "{traffic:?}");
    assert_eq!(traffic[0]["hour"], "2026-01-05T08:00:00.000000+0000");
    let store = Store::open(&db).unwrap();
    let pkts_once: u64 = store.devices().unwrap().iter().map(|d| d.pkts).sum::<u64>() / 2;
    assert_eq!(traffic[0]["pkts"].as_u64().unwrap(), pkts_once);
    // Every device with a finding is ranked, and its findings are listed.
    let ranked: Vec<&str> = json["risk"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["addresses"].as_array().unwrap())
        .map(|a| a.as_str().unwrap())
        .collect();
    let with_findings: Vec<&str> = json["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["device_ip"].as_str().unwrap())
        .collect();
    assert!(!with_findings.is_empty());
    for ip in &with_findings {
        assert!(ranked.contains(ip), "{ip} not ranked");
    }
    let f = &json["devices"][0]["findings"][0];
    assert!(!f["remediation"].as_str().unwrap().is_empty());
    assert!(f["evidence"].is_object());

    let md = run_ok(&["report", "--db", db_s, "--format", "md"]);
    assert!(md.contains("## Fleet summary"));
    assert!(md.contains("| 41 |"), "device count in the summary table");
    assert!(md.contains("cleartext-credentials"));
    assert!(md.contains(&format!("### {}", with_findings[0])));
    assert!(md.contains("## Fleet traffic per hour"));

    let page = tmp.path().join("r.html");
    run_ok(&[
        "report",
        "--db",
        db_s,
        "--format",
        "html",
        "--out",
        page.to_str().unwrap(),
    ]);
    let h = std::fs::read_to_string(&page).unwrap();
    assert!(h.contains("default-src 'none'"));
    assert!(!h.contains("<script"));
    // Nothing to fetch: no links, sources, imports or CSS URLs.
    for fetch in ["<link", " src=\"", "url(", "@import", "<iframe", "<object"] {
        assert!(!h.contains(fetch), "{fetch}");
    }
    assert!(h.contains("Espressif"));
    // The fleet's charts, and one per device with findings (all have
    // traffic here).
    let with_traffic = json["devices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| !d["traffic"].as_array().unwrap().is_empty())
        .count();
    assert_eq!(with_traffic, with_findings.len().min(20));
    assert_svgs_parse(&h, 2 + with_traffic);
    assert!(md.contains("Traffic: "));
    // HTML needs a file.
    let o = common::palisade()
        .args(["report", "--db", db_s, "--format", "html"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--out"));
}

fn attack_store(tmp: &Path) -> (PathBuf, serde_json::Value) {
    let cap = tmp.join("a.pcap");
    let labels = tmp.join("a.json");
    run_ok(&[
        "testbed",
        "generate",
        "--scenario",
        "telnet-default-creds",
        "--seed",
        "3",
        "--devices",
        "6",
        "--duration",
        "4m",
        "--out",
        cap.to_str().unwrap(),
        "--labels",
        labels.to_str().unwrap(),
    ]);
    let db = tmp.join("a.db");
    scan_into(&db, &cap, &tmp.join("out"));
    let labels: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(labels).unwrap()).unwrap();
    (db, labels)
}

#[test]
fn a_testbed_attack_names_its_target_first_and_alerts_filter() {
    let tmp = common::TempDir::new("report-attack");
    let (db, labels) = attack_store(tmp.path());
    let target = labels["attacks"][0]["dst"].as_str().unwrap().to_string();
    let attacker = labels["attacks"][0]["src"].as_str().unwrap().to_string();
    let db_s = db.to_str().unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&run_ok(&["report", "--db", db_s, "--format", "json"])).unwrap();
    // The attacked camera is the riskiest device, with recent incidents.
    let top = &json["risk"][0];
    assert!(
        top["addresses"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == target.as_str()),
        "{top}"
    );
    assert!(top["incidents"].as_u64().unwrap() >= 1);
    let alert_classes: Vec<&str> = json["summary"]["alerts_by_class"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(
        alert_classes.contains(&"default-credentials"),
        "{alert_classes:?}"
    );
    assert!(json["alert_timeline"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["class"] == "default-credentials"));
    // The class explanation is there for the developer.
    assert!(json["classes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["class"] == "default-credentials"
            && c["fix"].as_str().unwrap().contains("per-device")));

    let md = run_ok(&["report", "--db", db_s, "--format", "md"]);
    assert!(md.contains(&target));
    assert!(md.contains("| default-credentials |"));

    // palisade alerts: JSON lines, filters.
    let lines = run_ok(&[
        "alerts",
        "--db",
        db_s,
        "--device",
        &target,
        "--class",
        "default-credentials",
        "--format",
        "json",
        "--limit",
        "0",
    ]);
    let alerts: Vec<serde_json::Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!alerts.is_empty());
    for a in &alerts {
        assert_eq!(a["class"], "default-credentials");
        assert!(a["dest_ip"] == target.as_str() || a["src_ip"] == target.as_str());
        assert_eq!(a["src_ip"], attacker.as_str());
    }
    let all = run_ok(&["alerts", "--db", db_s, "--format", "json", "--limit", "0"]);
    let n_all = all.lines().count();
    assert!(n_all > alerts.len() || n_all == alerts.len());
    let one = run_ok(&["alerts", "--db", db_s, "--format", "json", "--limit", "1"]);
    assert_eq!(one.lines().count(), 1);
    // The latest one.
    assert_eq!(one.lines().next(), all.lines().last());
    let none = run_ok(&[
        "alerts",
        "--db",
        db_s,
        "--until",
        "2026-01-04",
        "--format",
        "json",
    ]);
    assert_eq!(none.lines().count(), 0);
    let day = run_ok(&[
        "alerts",
        "--db",
        db_s,
        "--since",
        "2026-01-05",
        "--until",
        "2026-01-05",
        "--format",
        "json",
        "--limit",
        "0",
    ]);
    assert_eq!(
        day.lines().count(),
        n_all,
        "--until DATE is through that day"
    );
    let table = run_ok(&[
        "alerts",
        "--db",
        db_s,
        "--format",
        "table",
        "--severity",
        "1",
    ]);
    assert!(table.starts_with("time"));
    assert!(table.contains(&target));
    let bad = common::palisade()
        .args(["alerts", "--db", db_s, "--since", "yesterday"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a time"));
}

const XSS_HOST: &str = "<script>document.body.setAttribute('data-pwned','1')</script>";
const XSS_SIG: &str = "\"><img src=x onerror=\"document.body.setAttribute('data-pwned','2')\">";

/// A store whose strings are hostile: a host name, a banner-like evidence
/// value, a signature, a finding key with pipes and newlines.
fn hostile_store() -> Store {
    let w = StoreWriter::start(
        Store::in_memory().unwrap(),
        &RunInfo {
            sensor: "s|1\n<b>".into(),
            kind: "scan".into(),
            started_at: "2026-01-05T08:00:00Z".into(),
            inputs: vec!["x<y>.pcap".into()],
            version: "0.1.0".into(),
        },
    )
    .unwrap();
    let t = "2026-01-05T08:00:00.000000+0000".to_string();
    w.send(StoreOp::Device(Box::new(DeviceRow {
        key: "mac:04:03:12:aa:bb:01".into(),
        vendor: Some("Evil | Vendor\n<i>x</i>".into()),
        hostname: Some(XSS_HOST.into()),
        first_seen: t.clone(),
        last_seen: t.clone(),
        addresses: vec![("10.0.0.5".into(), t.clone(), t.clone())],
        traffic: vec![
            (t.clone(), 10, 5_000),
            ("2026-01-05T10:00:00.000000+0000".into(), 20, 2_500_000),
        ],
        ..Default::default()
    })))
    .unwrap();
    w.send(StoreOp::Alert(Box::new(AlertRecord {
        timestamp: Timestamp::from_secs_nanos(1_767_600_000 + 60, 0),
        flow_id: None,
        pcap_cnt: None,
        tuple: Tuple {
            src_ip: "203.0.113.9".parse().unwrap(),
            src_port: Some(1),
            dest_ip: "10.0.0.5".parse().unwrap(),
            dest_port: Some(80),
            proto: 6,
        },
        app_proto: None,
        direction: None,
        tx_id: None,
        signature: Arc::new(AlertSignature {
            action: "allowed",
            gid: 1,
            signature_id: 1,
            rev: 1,
            signature: XSS_SIG.into(),
            category: "x".into(),
            severity: 1,
            metadata: vec![("palisade_class".into(), vec![XSS_SIG.into()])],
        }),
        flow: None,
        payload: None,
        packet: None,
        capture_file: None,
        source: 0,
    })))
    .unwrap();
    w.send(StoreOp::Finding(Box::new(FindingRecord {
        timestamp: Timestamp::from_secs_nanos(1_767_600_000, 0),
        flow_id: None,
        tuple: None,
        class: "vulnerable-firmware",
        severity: 1,
        device: "10.0.0.5".parse().unwrap(),
        evidence: serde_json::json!({
            "cve": "CVE-2021-36260", "cvss": 9.8, "known_exploited": true,
            "kev_date_added": "2022-01-10", "fixed_version": "V5.5.800",
            "firmware": XSS_HOST, "banner": "a|b\nc", "service": XSS_SIG,
            "password": "should never be here"
        }),
        remediation: "Update | now\nplease".into(),
    })))
    .unwrap();
    w.finish(&RunTotals::default()).unwrap().0
}

#[test]
fn hostile_strings_are_escaped_in_html_and_markdown() {
    let r = Report::build(&hostile_store()).unwrap();
    let h = html::render(&r);
    assert!(!h.contains("<script"), "raw script tag");
    assert!(!h.contains("<img"), "raw img tag");
    assert!(!h.contains("<i>x"), "raw markup from the vendor");
    assert!(h.contains("&lt;script&gt;document.body"));
    assert!(h.contains("&quot;&gt;&lt;img src=x onerror="));
    assert!(
        !h.contains("should never be here"),
        "secret-looking evidence withheld"
    );
    // The firmware facts read as such.
    for s in [
        "CVE-2021-36260",
        "9.8",
        "in KEV since",
        "2022-01-10",
        "V5.5.800",
        "known exploited",
    ] {
        assert!(h.contains(s), "{s}");
    }
    assert_svgs_parse(&h, 3);
    assert!(h.contains("id=\"device-traffic-0\""));

    let md = markdown::render(&r);
    assert!(!md.contains("<script"));
    assert!(!md.contains("<img"));
    assert!(!md.contains("should never be here"));
    // Every table row has as many unescaped pipes as its header.
    let mut header_pipes = None;
    for line in md.lines() {
        if !line.starts_with('|') {
            header_pipes = None;
            continue;
        }
        let b = line.as_bytes();
        let n = (0..b.len())
            .filter(|&i| b[i] == b'|' && (i == 0 || b[i - 1] != b'\\'))
            .count();
        match header_pipes {
            None => header_pipes = Some(n),
            Some(h) => assert_eq!(n, h, "broken row: {line}"),
        }
    }
    assert!(md.contains("Evil \\| Vendor &lt;i&gt;x&lt;/i&gt;"));
    // The hourly tables share one axis: the alert at 08, the traffic at 08
    // and 10, the empty hour between filled with zeros.
    assert!(md.contains("| 01-05 08:00 | 1 | 1 |"), "{md}");
    assert!(md.contains("| 01-05 09:00 | 0 | 0 |"));
    assert!(md.contains("| 01-05 10:00 | 0 | 0 |"));
    assert!(md.contains("| 01-05 10:00 | 20 | 2.5 MB |"));
    let (labels, series, cut) = r.timeline_series();
    assert_eq!(labels, ["01-05 08:00", "01-05 09:00", "01-05 10:00"]);
    assert_eq!(series[0].values, [1.0, 0.0, 0.0]);
    assert!(!cut);
}

/// Chromium's `--dump-dom` of a file (None: no Chromium here).
fn chromium_dom(page: &Path, tmp: &Path) -> Option<String> {
    let bin = Path::new("/usr/bin/chromium");
    if !bin.exists() {
        if std::env::var_os("CI").is_some() {
            panic!("/usr/bin/chromium is required under CI (.ci/run installs it)");
        }
        eprintln!("skipping: /usr/bin/chromium not installed (apt-get install chromium)");
        return None;
    }
    let profile = tmp.join("chromium-profile");
    let o = std::process::Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=2000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "chromium: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    Some(String::from_utf8_lossy(&o.stdout).into_owned())
}

#[test]
fn chromium_renders_the_report_and_runs_nothing_injected() {
    let tmp = common::TempDir::new("report-chromium");
    let r = Report::build(&hostile_store()).unwrap();
    let page = tmp.path().join("report.html");
    std::fs::write(&page, html::render(&r)).unwrap();
    let Some(dom) = chromium_dom(&page, tmp.path()) else {
        return;
    };
    assert!(dom.contains("Fleet summary"), "{dom:.2000}");
    assert!(dom.contains("id=\"alert-timeline\""));
    assert!(dom.contains("id=\"traffic\""));
    assert!(dom.contains("<rect"), "bars drawn");
    assert!(dom.contains("CVE-2021-36260"));
    // Nothing injected became an element, and nothing ran (the payloads
    // would set an attribute on <body>; as text they only mention it).
    let body = &dom[dom.find("<body").unwrap()..];
    let body_tag = &body[..body.find('>').unwrap()];
    assert!(
        !body_tag.contains("data-pwned"),
        "injected script ran: {body_tag}"
    );
    assert!(!dom.contains("data-pwned=\""), "injected script ran");
    assert!(!dom.contains("<script"));
    assert!(!dom.contains("<img"));
    // The host name is there, as text.
    assert!(dom.contains("&lt;script&gt;document.body"));

    // Control: the same payload, unescaped and without the policy, does
    // run here, so the checks above would see it.
    let control = tmp.path().join("control.html");
    std::fs::write(
        &control,
        format!("<!DOCTYPE html><html><body>{XSS_HOST}</body></html>"),
    )
    .unwrap();
    let dom = chromium_dom(&control, tmp.path()).unwrap();
    assert!(dom.contains("data-pwned=\"1\""), "{dom}");
}
