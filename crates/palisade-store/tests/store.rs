//! The store end to end: migrations, the writer thread, incidents, findings
//! merged across runs, failures reported.

use palisade_event::{AlertRecord, AlertSignature, FindingRecord, Timestamp, Tuple};
use palisade_store::{RunInfo, RunTotals, Store, StoreError, StoreOp, StoreWriter};
use std::net::IpAddr;
use std::sync::Arc;

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("palisade-store-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d.join("palisade.db")
}

fn run(kind: &str) -> RunInfo {
    RunInfo {
        sensor: "test".into(),
        kind: kind.into(),
        started_at: "2026-11-26T04:00:00Z".into(),
        inputs: vec!["a.pcap".into()],
        version: "0.1.0".into(),
    }
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn alert(secs: u64, sid: u32, meta: &[(&str, &str)]) -> StoreOp {
    StoreOp::Alert(Box::new(AlertRecord {
        timestamp: Timestamp::from_secs_nanos(1_767_600_000 + secs, 0),
        flow_id: Some(7),
        pcap_cnt: None,
        tuple: Tuple {
            src_ip: ip("203.0.113.5"),
            src_port: Some(4000),
            dest_ip: ip("10.0.0.2"),
            dest_port: Some(23),
            proto: 6,
        },
        app_proto: None,
        direction: None,
        tx_id: None,
        signature: Arc::new(AlertSignature {
            action: "allowed",
            gid: 1,
            signature_id: sid,
            rev: 1,
            signature: "PALISADE test".into(),
            category: "Detection of a Network Scan".into(),
            severity: 2,
            metadata: meta
                .iter()
                .map(|(k, v)| (k.to_string(), vec![v.to_string()]))
                .collect(),
        }),
        flow: None,
        payload: None,
        packet: None,
        capture_file: None,
        source: 0,
    }))
}

fn finding(secs: u64, severity: u8, client: &str) -> StoreOp {
    StoreOp::Finding(Box::new(FindingRecord {
        timestamp: Timestamp::from_secs_nanos(1_767_600_000 + secs, 0),
        flow_id: Some(9),
        tuple: None,
        class: "cleartext-credentials",
        severity,
        device: ip("10.0.0.2"),
        evidence: serde_json::json!({"service": "telnet", "username": "root",
                                     "client": client, "outcome": "failure"}),
        remediation: "Disable Telnet.".into(),
    }))
}

#[test]
fn schema_is_created_once_and_a_newer_one_is_refused() {
    let p = tmp("schema");
    let s = Store::open(&p).unwrap();
    assert_eq!(
        s.schema_version().unwrap(),
        palisade_store::schema::MIGRATIONS.len() as i64
    );
    let mode: String = s
        .conn()
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    drop(s);
    let s = Store::open(&p).unwrap(); // again: nothing to apply
    s.conn().pragma_update(None, "user_version", 99).unwrap();
    drop(s);
    match Store::open(&p) {
        Err(StoreError::TooNew { found: 99, .. }) => {}
        other => panic!("{:?}", other.map(|_| ())),
    }
}

#[test]
fn incidents_collect_their_alerts_and_rule_alerts_stand_alone() {
    let w = StoreWriter::start(Store::in_memory().unwrap(), &run("scan")).unwrap();
    let inc = |phase| {
        [
            ("palisade_class", "scan"),
            ("palisade_detector", "scan"),
            ("palisade_incident", "42"),
            ("palisade_incident_phase", phase),
        ]
    };
    w.send(alert(1, 9_500_020, &inc("start"))).unwrap();
    w.send(alert(61, 9_500_020, &inc("update"))).unwrap();
    w.send(alert(90, 9_500_020, &inc("end"))).unwrap();
    w.send(alert(5, 2_000_001, &[])).unwrap();
    let run_id = w.run_id();
    let (s, stats) = w
        .finish(&RunTotals {
            ended_at: "2026-11-26T04:01:00Z".into(),
            packets: 1000,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(stats.stored, 4);
    assert_eq!(stats.dropped, 0);
    let incs = s.incidents(run_id).unwrap();
    assert_eq!(incs.len(), 1);
    let i = &incs[0];
    assert_eq!((i.state.as_str(), i.alerts, i.sid), ("ended", 3, 9_500_020));
    assert_eq!(i.class.as_deref(), Some("scan"));
    assert_eq!(
        (i.src_ip.as_str(), i.dest_ip.as_str()),
        ("203.0.113.5", "10.0.0.2")
    );
    assert!(i.first_ts < i.last_ts);
    assert_eq!(
        s.alerts_by_class().unwrap(),
        vec![("scan".to_string(), 3), (String::new(), 1)]
    );
    let linked: i64 = s
        .conn()
        .query_row(
            "SELECT count(*) FROM alerts WHERE incident IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(linked, 3);
    assert_eq!(s.runs().unwrap(), vec![(run_id, "scan".to_string(), 4, 0)]);
}

#[test]
fn findings_merge_within_and_across_runs() {
    let p = tmp("merge");
    let w = StoreWriter::start(Store::open(&p).unwrap(), &run("scan")).unwrap();
    w.send(finding(10, 2, "203.0.113.5")).unwrap();
    w.send(finding(20, 1, "203.0.113.6")).unwrap();
    let (s, _) = w.finish(&RunTotals::default()).unwrap();
    drop(s);
    // a second scan into the same file
    let w = StoreWriter::start(Store::open(&p).unwrap(), &run("scan")).unwrap();
    w.send(finding(5, 2, "198.51.100.1")).unwrap();
    let (s, _) = w.finish(&RunTotals::default()).unwrap();
    let f = s.findings().unwrap();
    assert_eq!(f.len(), 1, "{f:?}");
    let f = &f[0];
    assert_eq!(f.key, "service=telnet|username=root");
    assert_eq!((f.seen, f.severity), (3, 1));
    assert_eq!((f.first_run, f.last_run), (1, 2));
    assert!(f.first_seen < f.last_seen);
    assert_eq!(s.runs().unwrap().len(), 2);
}

#[test]
fn a_failing_store_reports_the_error_and_the_events_lost() {
    let s = Store::in_memory().unwrap();
    s.conn().execute_batch("DROP TABLE findings").unwrap();
    let w = StoreWriter::start(s, &run("scan")).unwrap();
    w.send(finding(1, 2, "203.0.113.5")).unwrap();
    w.send(finding(2, 2, "203.0.113.5")).unwrap();
    match w.finish(&RunTotals::default()) {
        Err(StoreError::Sqlite { source, .. }) => {
            assert!(source.to_string().contains("findings"), "{source}")
        }
        other => panic!("{:?}", other.map(|_| ())),
    }
}

#[test]
fn the_finding_key_leaves_out_what_changes() {
    let k = palisade_store::finding_key(&serde_json::json!({
        "weakness": "expired-certificate", "port": 443, "client": "10.0.0.9",
        "notafter": "2025-01-01T00:00:00"
    }));
    assert_eq!(k, "port=443|weakness=expired-certificate");
    assert_eq!(palisade_store::finding_key(&serde_json::json!({})), "");
}

fn device(run: u32, ip: &str, vendor: Option<&str>) -> StoreOp {
    let t = |s: u32| format!("2026-01-05T08:0{s}:00.000000+0000");
    StoreOp::Device(Box::new(palisade_store::DeviceRow {
        key: "mac:04:03:12:aa:bb:01".into(),
        mac: Some("04:03:12:aa:bb:01".into()),
        vendor: vendor.map(str::to_string),
        product: Some("DS-2CD2043G2-I".into()),
        device_type: (run > 0).then(|| "camera".into()),
        firmware: Some(format!("V5.{run}.0")),
        hostname: None,
        first_seen: t(run),
        last_seen: t(run + 1),
        pkts: 100,
        bytes: 10_000,
        addresses: vec![(ip.into(), t(run), t(run + 1))],
        fingerprints: vec![("mqtt.client_id".into(), "cam-1".into(), t(run), t(run), 2)],
        services: vec![palisade_store::ServiceRow {
            proto: "TCP".into(),
            port: 554,
            app_proto: Some("rtsp".into()),
            banner: None,
            first_seen: t(run),
            last_seen: t(run + 1),
        }],
        traffic: vec![("2026-01-05T08:00:00.000000+0000".into(), 100, 10_000)],
    }))
}

#[test]
fn a_device_seen_again_is_the_same_device() {
    let p = tmp("devices");
    // The third scan is of an older capture (packet times before the
    // others'): it adds traffic but does not undo what later ones saw.
    for (run, ip, vendor) in [
        (1, "10.0.0.5", Some("Hikvision")),
        (3, "10.0.0.77", None),
        (0, "10.0.0.5", Some("Hangzhou Hikvision")),
    ] {
        let w = StoreWriter::start(Store::open(&p).unwrap(), &run_info()).unwrap();
        w.send(device(run, ip, vendor)).unwrap();
        w.finish(&RunTotals::default()).unwrap();
    }
    let s = Store::open(&p).unwrap();
    let d = s.devices().unwrap();
    assert_eq!(d.len(), 1, "{d:?}");
    let d = &d[0];
    assert_eq!(d.vendor.as_deref(), Some("Hikvision"));
    assert_eq!(d.firmware.as_deref(), Some("V5.3.0"), "the latest seen");
    assert_eq!(d.device_type.as_deref(), Some("camera"));
    assert_eq!(d.product.as_deref(), Some("DS-2CD2043G2-I"));
    assert_eq!(d.pkts, 300);
    assert_eq!(d.addresses, vec!["10.0.0.5", "10.0.0.77"]);
    assert_eq!(d.services, vec!["TCP/554 rtsp"]);
    assert_eq!(d.fingerprints, vec!["mqtt.client_id=cam-1"]);
    let seen: i64 = s
        .conn()
        .query_row("SELECT seen FROM fingerprints", [], |r| r.get(0))
        .unwrap();
    assert_eq!(seen, 6);
}

fn run_info() -> RunInfo {
    run("scan")
}
