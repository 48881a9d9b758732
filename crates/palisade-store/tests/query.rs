//! The store's reads for `palisade alerts` and `palisade report`: alert
//! filters, the timeline, traffic per hour (re-scans not doubled),
//! findings with evidence, the risk ranking.

use palisade_event::{AlertRecord, AlertSignature, FindingRecord, Timestamp, Tuple};
use palisade_store::query::{parse_time, risk, AlertFilter, DeviceColumn, FindingFilter};
use palisade_store::{DeviceRow, RunInfo, RunTotals, Store, StoreOp, StoreWriter};
use std::net::IpAddr;
use std::sync::Arc;

const T0: u64 = 1_767_600_000; // 2026-01-05T08:00:00Z

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("palisade-query-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d.join("palisade.db")
}

fn run() -> RunInfo {
    RunInfo {
        sensor: "test".into(),
        kind: "scan".into(),
        started_at: "2026-11-26T04:00:00Z".into(),
        inputs: vec!["a.pcap".into()],
        version: "0.1.0".into(),
    }
}

fn write(store: Store, ops: Vec<StoreOp>) -> Store {
    let w = StoreWriter::start(store, &run()).unwrap();
    for op in ops {
        w.send(op).unwrap();
    }
    w.finish(&RunTotals::default()).unwrap().0
}

#[allow(clippy::too_many_arguments)]
fn alert(
    secs: u64,
    sid: u32,
    sev: u8,
    src: &str,
    dst: &str,
    class: Option<&str>,
    incident: Option<&str>,
) -> StoreOp {
    let mut meta = Vec::new();
    if let Some(c) = class {
        meta.push(("palisade_class".to_string(), vec![c.to_string()]));
    }
    if let Some(i) = incident {
        meta.push(("palisade_incident".to_string(), vec![i.to_string()]));
        meta.push(("palisade_incident_phase".to_string(), vec!["start".into()]));
    }
    StoreOp::Alert(Box::new(AlertRecord {
        timestamp: Timestamp::from_secs_nanos(T0 + secs, 0),
        flow_id: Some(7),
        pcap_cnt: None,
        tuple: Tuple {
            src_ip: src.parse().unwrap(),
            src_port: Some(4000),
            dest_ip: dst.parse().unwrap(),
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
            signature: format!("PALISADE test {sid}"),
            category: "Misc".into(),
            severity: sev,
            metadata: meta,
        }),
        flow: None,
        payload: None,
        packet: None,
        capture_file: None,
        source: 0,
    }))
}

fn finding(class: &'static str, sev: u8, device: &str, evidence: serde_json::Value) -> StoreOp {
    StoreOp::Finding(Box::new(FindingRecord {
        timestamp: Timestamp::from_secs_nanos(T0, 0),
        flow_id: None,
        tuple: None,
        class,
        severity: sev,
        device: device.parse::<IpAddr>().unwrap(),
        evidence,
        remediation: "Fix it.".into(),
    }))
}

fn device(key: &str, ip: &str, traffic: &[(&str, u64, u64)]) -> StoreOp {
    let t = "2026-01-05T08:00:00.000000+0000".to_string();
    StoreOp::Device(Box::new(DeviceRow {
        key: key.into(),
        vendor: Some("Hikvision".into()),
        first_seen: t.clone(),
        last_seen: t.clone(),
        addresses: vec![(ip.into(), t.clone(), t)],
        traffic: traffic
            .iter()
            .map(|(h, p, b)| (format!("2026-01-05T{h}:00:00.000000+0000"), *p, *b))
            .collect(),
        ..Default::default()
    }))
}

#[test]
fn a_rescan_does_not_double_traffic_and_other_hours_add() {
    let p = tmp("traffic");
    let cam = "mac:04:03:12:aa:bb:01";
    let plug = "mac:04:03:12:aa:bb:02";
    // Run 1: the camera in hours 08 and 09 (08 sent as two rows: they add),
    // the plug in 08.
    let s = write(
        Store::open(&p).unwrap(),
        vec![
            device(cam, "10.0.0.5", &[("08", 10, 1000), ("09", 5, 500)]),
            device(cam, "10.0.0.5", &[("08", 1, 100)]),
            device(plug, "10.0.0.6", &[("08", 2, 200)]),
        ],
    );
    drop(s);
    // Run 2: the same capture again, plus hour 10 of the camera.
    let s = write(
        Store::open(&p).unwrap(),
        vec![
            device(
                cam,
                "10.0.0.5",
                &[("08", 11, 1100), ("09", 5, 500), ("10", 7, 700)],
            ),
            device(plug, "10.0.0.6", &[("08", 2, 200)]),
        ],
    );
    let h = |x: &str| format!("2026-01-05T{x}:00:00.000000+0000");
    let cam_t = s.device_traffic(cam).unwrap();
    let got: Vec<_> = cam_t
        .iter()
        .map(|r| (r.hour.clone(), r.pkts, r.bytes))
        .collect();
    assert_eq!(
        got,
        vec![(h("08"), 11, 1100), (h("09"), 5, 500), (h("10"), 7, 700)]
    );
    let fleet: Vec<_> = s
        .traffic_by_hour()
        .unwrap()
        .into_iter()
        .map(|r| (r.hour, r.pkts, r.bytes))
        .collect();
    assert_eq!(
        fleet,
        vec![(h("08"), 13, 1300), (h("09"), 5, 500), (h("10"), 7, 700)]
    );
    assert!(s
        .device_traffic("mac:00:00:00:00:00:00")
        .unwrap()
        .is_empty());
    assert_eq!(
        s.devices_by(DeviceColumn::Vendor).unwrap(),
        vec![("Hikvision".to_string(), 2)]
    );
    assert_eq!(
        s.devices_by(DeviceColumn::DeviceType).unwrap(),
        vec![(String::new(), 2)]
    );
}

fn alerts_store() -> Store {
    write(
        Store::in_memory().unwrap(),
        vec![
            alert(
                10,
                9_500_020,
                2,
                "203.0.113.5",
                "10.0.0.5",
                Some("scan"),
                Some("1"),
            ),
            alert(
                70,
                9_500_020,
                2,
                "203.0.113.5",
                "10.0.0.5",
                Some("scan"),
                Some("1"),
            ),
            alert(
                3_700,
                9_500_001,
                1,
                "10.0.0.6",
                "198.51.100.9",
                Some("ddos"),
                Some("2"),
            ),
            alert(3_800, 2_000_001, 3, "203.0.113.7", "10.0.0.6", None, None),
            alert(86_400, 2_000_001, 3, "203.0.113.7", "10.0.0.6", None, None),
        ],
    )
}

#[test]
fn alert_filters_select_by_device_class_severity_time_and_limit() {
    let s = alerts_store();
    let sids = |f: AlertFilter| -> Vec<(u32, String)> {
        s.alerts(&f)
            .unwrap()
            .into_iter()
            .map(|a| (a.sid, a.ts[11..19].to_string()))
            .collect()
    };
    assert_eq!(s.alerts(&AlertFilter::default()).unwrap().len(), 5);
    // The device as source or destination.
    let dev = sids(AlertFilter {
        device: Some("10.0.0.6".into()),
        ..Default::default()
    });
    assert_eq!(dev.len(), 3, "{dev:?}");
    assert_eq!(dev[0].0, 9_500_001);
    // Class; "" = rule alerts.
    let scan = s
        .alerts(&AlertFilter {
            class: Some("scan".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(scan.len(), 2);
    assert_eq!(scan[0].class.as_deref(), Some("scan"));
    assert_eq!(scan[0].metadata["palisade_incident"][0], "1");
    assert!(scan[0].incident.is_some());
    let rule = sids(AlertFilter {
        class: Some(String::new()),
        ..Default::default()
    });
    assert_eq!(rule.len(), 2);
    // Severity 2 or higher.
    assert_eq!(
        sids(AlertFilter {
            severity: Some(2),
            ..Default::default()
        })
        .len(),
        3
    );
    // since inclusive, until exclusive.
    let since = parse_time("2026-01-05T09:01:40Z").unwrap().0;
    let until = parse_time("2026-01-06").unwrap().0;
    assert_eq!(
        sids(AlertFilter {
            since: Some(since),
            until: Some(until),
            ..Default::default()
        }),
        vec![
            (9_500_001, "09:01:40".to_string()),
            (2_000_001, "09:03:20".to_string())
        ]
    );
    // Limit: the latest two, oldest first.
    assert_eq!(
        sids(AlertFilter {
            limit: Some(2),
            ..Default::default()
        }),
        // 09:03:20 on the 5th, 08:00:00 on the 6th
        vec![
            (2_000_001, "09:03:20".to_string()),
            (2_000_001, "08:00:00".to_string())
        ]
    );
}

#[test]
fn the_timeline_counts_alerts_per_hour_and_class() {
    let s = alerts_store();
    let t: Vec<_> = s
        .alert_timeline(&AlertFilter::default())
        .unwrap()
        .into_iter()
        .map(|r| (r.hour[..13].to_string(), r.class, r.alerts))
        .collect();
    assert_eq!(
        t,
        vec![
            ("2026-01-05T08".to_string(), "scan".to_string(), 2),
            ("2026-01-05T09".to_string(), String::new(), 1),
            ("2026-01-05T09".to_string(), "ddos".to_string(), 1),
            ("2026-01-06T08".to_string(), String::new(), 1),
        ]
    );
    assert!(t.iter().all(|r| !r.0.is_empty()));
    let full = s.alert_timeline(&AlertFilter::default()).unwrap();
    assert_eq!(full[0].hour, "2026-01-05T08:00:00.000000+0000");
}

#[test]
fn findings_filter_and_carry_evidence_and_remediation() {
    let s = write(
        Store::in_memory().unwrap(),
        vec![
            finding(
                "default-credentials",
                1,
                "10.0.0.5",
                serde_json::json!({"service": "telnet", "username": "root", "entry_id": "mirai-1"}),
            ),
            finding(
                "weak-tls",
                3,
                "10.0.0.6",
                serde_json::json!({"weakness": "tls1.0", "port": 443}),
            ),
        ],
    );
    let all = s.findings().unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].class, "default-credentials");
    assert_eq!(all[0].evidence["entry_id"], "mirai-1");
    assert_eq!(all[0].remediation, "Fix it.");
    let f = |filter: FindingFilter| s.findings_where(&filter).unwrap().len();
    assert_eq!(
        f(FindingFilter {
            device: Some("10.0.0.6".into()),
            ..Default::default()
        }),
        1
    );
    assert_eq!(
        f(FindingFilter {
            class: Some("weak-tls".into()),
            ..Default::default()
        }),
        1
    );
    assert_eq!(
        f(FindingFilter {
            severity: Some(2),
            ..Default::default()
        }),
        1
    );
    assert_eq!(
        f(FindingFilter {
            class: Some("weak-tls".into()),
            severity: Some(1),
            ..Default::default()
        }),
        0
    );
    // time: findings seen in the window
    let t = |x: &str| palisade_store::query::parse_time(x).unwrap().0;
    let window = |since: Option<&str>, until: Option<&str>| {
        f(FindingFilter {
            since: since.map(t),
            until: until.map(t),
            ..Default::default()
        })
    };
    assert_eq!(window(Some("2000-01-01"), None), 2);
    assert_eq!(window(Some("2099-01-01"), None), 0);
    assert_eq!(window(None, Some("2000-01-01")), 0);
    assert_eq!(window(None, Some("2099-01-01")), 2);
}

#[test]
fn risk_ranks_known_exploited_firmware_and_attacked_devices_first() {
    let kev = |known: bool| {
        serde_json::json!({"cve": if known {"CVE-2021-36260"} else {"CVE-2017-7921"},
            "cvss": 9.8, "known_exploited": known, "firmware": "V5.5.0", "fixed_version": "V5.5.800"})
    };
    let s = write(
        Store::in_memory().unwrap(),
        vec![
            device("mac:04:03:12:aa:bb:01", "10.0.0.5", &[]),
            device("mac:04:03:12:aa:bb:02", "10.0.0.6", &[]),
            device("mac:04:03:12:aa:bb:03", "10.0.0.7", &[]),
            device("mac:04:03:12:aa:bb:04", "10.0.0.8", &[]),
            finding("vulnerable-firmware", 1, "10.0.0.5", kev(true)),
            finding("vulnerable-firmware", 1, "10.0.0.6", kev(false)),
            finding(
                "weak-tls",
                3,
                "10.0.0.6",
                serde_json::json!({"weakness": "tls1.0"}),
            ),
            // An address the inventory does not know still ranks.
            finding(
                "weak-tls",
                2,
                "10.9.9.9",
                serde_json::json!({"weakness": "tls1.0"}),
            ),
            // 10.0.0.7: one scan incident (3 alerts count once), one rule
            // alert pair in one hour (once), severity 2 and 3.
            alert(
                10,
                9_500_020,
                2,
                "203.0.113.5",
                "10.0.0.7",
                Some("scan"),
                Some("1"),
            ),
            alert(
                20,
                9_500_020,
                2,
                "203.0.113.5",
                "10.0.0.7",
                Some("scan"),
                Some("1"),
            ),
            alert(
                30,
                9_500_020,
                2,
                "203.0.113.5",
                "10.0.0.7",
                Some("scan"),
                Some("1"),
            ),
            alert(40, 2_000_001, 3, "203.0.113.7", "10.0.0.7", None, None),
            alert(50, 2_000_001, 3, "203.0.113.7", "10.0.0.7", None, None),
            // An alert older than the window does not count.
            alert(0, 2_000_002, 1, "203.0.113.7", "10.0.0.8", None, None),
            alert(
                risk::ALERT_WINDOW_SECS + 60,
                2_000_001,
                3,
                "203.0.113.7",
                "10.0.0.7",
                None,
                None,
            ),
        ],
    );
    let r = s.risk_ranking().unwrap();
    let got: Vec<_> = r
        .iter()
        .map(|d| (d.key.as_str(), d.score, d.finding_score, d.alert_score))
        .collect();
    assert_eq!(
        got,
        vec![
            ("mac:04:03:12:aa:bb:01", 20, 20, 0),
            ("mac:04:03:12:aa:bb:02", 11, 11, 0),
            ("ip:10.9.9.9", 4, 4, 0),
            // The window ends at the newest alert: 10.0.0.7's first-hour
            // alerts fell out with 10.0.0.8's; the newest one counts.
            ("mac:04:03:12:aa:bb:03", 1, 0, 1),
            ("mac:04:03:12:aa:bb:04", 0, 0, 0),
        ]
    );
    assert_eq!(r[0].known_exploited, 1);
    assert_eq!(r[0].findings, [1, 0, 0]);
    assert_eq!(r[1].findings, [1, 0, 1]);
    assert_eq!(r[0].addresses, vec!["10.0.0.5"]);
    assert_eq!(r[0].vendor.as_deref(), Some("Hikvision"));
}

#[test]
fn incidents_count_once_and_the_alert_part_is_capped() {
    let mut ops = vec![device("mac:04:03:12:aa:bb:07", "10.0.0.7", &[])];
    for i in 0..3 {
        ops.push(alert(
            i,
            9_500_020,
            2,
            "203.0.113.5",
            "10.0.0.7",
            Some("scan"),
            Some("1"),
        ));
    }
    ops.push(alert(
        40,
        2_000_001,
        3,
        "203.0.113.7",
        "10.0.0.7",
        None,
        None,
    ));
    ops.push(alert(
        50,
        2_000_001,
        3,
        "203.0.113.7",
        "10.0.0.7",
        None,
        None,
    ));
    let s = write(Store::in_memory().unwrap(), ops);
    let r = s.risk_ranking().unwrap();
    assert_eq!((r[0].incidents, r[0].alert_score), (2, 2 + 1));
    // 40 distinct rule incidents (one per hour) of severity 1: capped.
    let mut ops = vec![device("mac:04:03:12:aa:bb:07", "10.0.0.7", &[])];
    for h in 0..40 {
        ops.push(alert(
            h * 3600,
            2_000_001,
            1,
            "203.0.113.7",
            "10.0.0.7",
            None,
            None,
        ));
    }
    let s = write(Store::in_memory().unwrap(), ops);
    let r = s.risk_ranking().unwrap();
    assert_eq!((r[0].incidents, r[0].alert_score), (40, risk::ALERT_CAP));
}

#[test]
fn an_address_that_moved_belongs_to_the_device_that_had_it_last() {
    let at = |key: &str, ip: &str, t: &str| {
        let t = format!("2026-01-05T{t}:00:00.000000+0000");
        StoreOp::Device(Box::new(DeviceRow {
            key: key.into(),
            first_seen: t.clone(),
            last_seen: t.clone(),
            addresses: vec![(ip.into(), t.clone(), t)],
            ..Default::default()
        }))
    };
    // "mac:...:0b" had 10.0.0.5 first, "mac:...:0a" (sorting first) later.
    let s = write(
        Store::in_memory().unwrap(),
        vec![
            at("mac:04:03:12:aa:bb:0b", "10.0.0.5", "08"),
            at("mac:04:03:12:aa:bb:0a", "10.0.0.5", "09"),
            finding(
                "weak-tls",
                3,
                "10.0.0.5",
                serde_json::json!({"weakness": "tls1.0"}),
            ),
        ],
    );
    let r = s.risk_ranking().unwrap();
    assert_eq!(r[0].key, "mac:04:03:12:aa:bb:0a", "{r:?}");
    assert_eq!(r[0].finding_addresses, vec!["10.0.0.5"]);
    assert!(r[1].finding_addresses.is_empty());
    assert_eq!(r[0].score, 1);
    assert_eq!(r[1].score, 0);
}
