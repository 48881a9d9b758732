//! `palisade eval`: detection quality against ground truth.
//!
//! The alerts and findings of a scan are matched to the attacks a
//! testbed capture's labels list. An alert counts for an attack when its
//! `palisade_class` is the attack's class, one of its endpoints is the
//! attack's target and, unless the attack's source is spoofed (a range),
//! the other is the attack's source, and it falls in the attack's time
//! window (with a slack for incident updates and ends). Per class the
//! report gives incidents, detected, recall, false alerts (start/event
//! alerts of that class matching no attack), false alerts per 100
//! device-hours of the capture, and the median time from an attack's
//! first packet to its first alert.
//!
//! Posture findings (EVE `finding`) are matched to the labels' `posture`
//! facts the same way, per finding class: a fact is detected when a finding
//! of its class names its device and service; a finding matching no fact
//! is a false one, unless it names a device under attack during the
//! attack (then it is what the attack proved, counted as another class's
//! view). Posture has no time to detect.

use palisade_testbed::Labels;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Seconds after an attack's last packet during which its alerts still
/// count (incident end alerts come after the idle timeout).
pub const SLACK_SECS: f64 = 120.0;

/// Per-class figures.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ClassReport {
    /// Labelled attacks of the class.
    pub incidents: usize,
    /// Those with at least one matching alert.
    pub detected: usize,
    /// detected / incidents (1 when there are none).
    pub recall: f64,
    /// Start/event alerts of the class matching no attack of any class.
    pub false_alerts: usize,
    /// Start/event alerts of the class on a labelled attack of another
    /// class (same endpoints and time, or the same attacker in the
    /// attack's window: another detector's view of the same attack, e.g. a
    /// default password among a brute force's guesses, or a Telnet service
    /// the attacker found exposed).
    /// Not false alarms; reported so class confusion stays visible.
    pub other_class_alerts: usize,
    /// False alerts per 100 device-hours of capture.
    pub false_per_100_device_hours: f64,
    /// Median seconds from an attack's first packet to its first alert.
    pub median_time_to_detect_secs: Option<f64>,
    /// Attacks not detected (ids).
    pub missed: Vec<String>,
}

/// The whole evaluation.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct EvalReport {
    /// Scenario and seed of the labels.
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// Devices in the fleet.
    pub devices: usize,
    /// Capture length in hours.
    pub hours: f64,
    /// Per class, including classes with false alerts and no attacks.
    pub classes: BTreeMap<String, ClassReport>,
}

/// Seconds since the epoch of an EVE timestamp
/// (`2026-01-05T08:00:00.000000+0000`), None if malformed.
pub fn parse_eve_time(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> { s.get(r)?.parse().ok() };
    if b.len() < 19 {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut frac = 0.0;
    let mut rest = &s[19..];
    if let Some(r) = rest.strip_prefix('.') {
        let digits: String = r.chars().take_while(|c| c.is_ascii_digit()).collect();
        frac = format!("0.{digits}").parse().unwrap_or(0.0);
        rest = &r[digits.len()..];
    }
    let mut offset = 0i64;
    if rest.len() >= 5 {
        let sign = if rest.starts_with('-') { -1 } else { 1 };
        let oh: i64 = rest.get(1..3)?.parse().ok()?;
        let om: i64 = rest.get(3..5)?.parse().ok()?;
        offset = sign * (oh * 3600 + om * 60);
    }
    // days from civil (Howard Hinnant's algorithm)
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = if y2 >= 0 { y2 } else { y2 - 399 } / 400;
    let yoe = y2 - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some((days * 86_400 + h * 3600 + mi * 60 + se - offset) as f64 + frac)
}

/// A network (`10.0.0.0/8`) or one address.
fn net_contains(spec: &str, ip: IpAddr) -> bool {
    let (addr, len) = match spec.split_once('/') {
        Some((a, l)) => (a, l.parse::<u32>().ok()),
        None => (spec, None),
    };
    let Ok(a) = addr.parse::<IpAddr>() else {
        return false;
    };
    match (a, ip) {
        (IpAddr::V4(n), IpAddr::V4(x)) => {
            let l = len.unwrap_or(32).min(32);
            let mask = if l == 0 { 0 } else { u32::MAX << (32 - l) };
            u32::from(n) & mask == u32::from(x) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(x)) => {
            let l = len.unwrap_or(128).min(128);
            let mask = if l == 0 { 0 } else { u128::MAX << (128 - l) };
            u128::from(n) & mask == u128::from(x) & mask
        }
        _ => false,
    }
}

/// What eval needs of an alert or finding.
struct Seen {
    class: String,
    time: f64,
    ips: Vec<IpAddr>,
    counts_as_new: bool,
    /// A posture finding (matched to `Labels::posture`), not an alert.
    finding: bool,
    /// The finding's `evidence.service`.
    service: Option<String>,
}

fn meta_first<'a>(rec: &'a Value, key: &str) -> Option<&'a str> {
    rec["alert"]["metadata"][key][0].as_str()
}

fn seen_of(rec: &Value) -> Option<Seen> {
    let time = parse_eve_time(rec["timestamp"].as_str()?)?;
    let ip = |k: &str| rec[k].as_str().and_then(|s| s.parse::<IpAddr>().ok());
    match rec["event_type"].as_str()? {
        "alert" => {
            let class = meta_first(rec, "palisade_class")?.to_string();
            let phase = meta_first(rec, "palisade_incident_phase").unwrap_or("event");
            Some(Seen {
                class,
                time,
                ips: [ip("src_ip"), ip("dest_ip")]
                    .into_iter()
                    .flatten()
                    .collect(),
                counts_as_new: matches!(phase, "event" | "start"),
                finding: false,
                service: None,
            })
        }
        "finding" => {
            let f = &rec["finding"];
            let ev = &f["evidence"];
            let ips = [
                f["device"].as_str(),
                rec["src_ip"].as_str(),
                rec["dest_ip"].as_str(),
                ev["client"].as_str(),
            ]
            .into_iter()
            .flatten()
            .filter_map(|s| s.parse::<IpAddr>().ok())
            .collect();
            Some(Seen {
                class: f["class"].as_str()?.to_string(),
                time,
                ips,
                counts_as_new: true,
                finding: true,
                service: ev["service"].as_str().map(str::to_string),
            })
        }
        _ => None,
    }
}

/// Matches `records` (EVE lines as JSON) against `labels`.
pub fn evaluate(labels: &Labels, records: &[Value]) -> EvalReport {
    let start = parse_eve_time(&labels.start).unwrap_or(0.0);
    let end = parse_eve_time(&labels.end).unwrap_or(start);
    let hours = ((end - start) / 3600.0).max(1.0 / 3600.0);
    let devices = labels.devices.len();
    let seen: Vec<Seen> = records.iter().filter_map(seen_of).collect();
    let mut used = vec![false; seen.len()];
    let mut classes: BTreeMap<String, ClassReport> = BTreeMap::new();
    let mut ttd: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut on_other = vec![false; seen.len()];
    for a in &labels.attacks {
        let c = classes.entry(a.class.clone()).or_default();
        c.incidents += 1;
        let a_start = parse_eve_time(&a.start).unwrap_or(start);
        let a_end = parse_eve_time(&a.end).unwrap_or(end);
        let spoofed = a.src.contains('/');
        let mut first: Option<f64> = None;
        for (i, s) in seen.iter().enumerate() {
            if s.time < a_start - 1.0 || s.time > a_end + SLACK_SECS {
                continue;
            }
            let has_dst = s.ips.iter().any(|ip| net_contains(&a.dst, *ip));
            let attacker = !spoofed && s.ips.iter().any(|ip| net_contains(&a.src, *ip));
            let has_src = spoofed || attacker;
            if s.finding {
                // A finding on the attacked device, or naming the
                // attacker, during the attack is what the attack proved
                // (the default password it got in with, the service it
                // found exposed): counted with the other classes' views,
                // not as false.
                if has_dst || attacker {
                    on_other[i] = true;
                }
                continue;
            }
            if s.class != a.class {
                // Another detector's view of the same attack, or of the
                // same attacker's other actions in the attack's window
                // (a second login it tried, the services its scan found
                // exposed): not a false alarm.
                if (has_dst && has_src) || attacker {
                    on_other[i] = true;
                }
                continue;
            }
            if !(has_dst && has_src) {
                continue;
            }
            used[i] = true;
            first = Some(first.map_or(s.time, |f: f64| f.min(s.time)));
        }
        match first {
            Some(t) => {
                c.detected += 1;
                ttd.entry(a.class.clone())
                    .or_default()
                    .push((t - a_start).max(0.0));
            }
            None => c.missed.push(a.id.clone()),
        }
    }
    // Posture: a labelled fact is found by a finding of its class naming
    // the device (as the device, an endpoint or the client) and, when the
    // finding names one, the same service, at any time of the capture.
    for p in &labels.posture {
        let c = classes.entry(p.class.clone()).or_default();
        c.incidents += 1;
        let Ok(dev) = p.device.parse::<IpAddr>() else {
            c.missed.push(format!("{}:{}", p.device, p.service));
            continue;
        };
        let mut found = false;
        for (i, s) in seen.iter().enumerate() {
            if s.finding
                && s.class == p.class
                && s.ips.contains(&dev)
                && s.service.as_deref().is_none_or(|sv| sv == p.service)
            {
                used[i] = true;
                found = true;
            }
        }
        if found {
            c.detected += 1;
        } else {
            c.missed.push(format!("{}:{}", p.device, p.service));
        }
    }
    for (i, s) in seen.iter().enumerate() {
        if used[i] || !s.counts_as_new {
            continue;
        }
        let c = classes.entry(s.class.clone()).or_default();
        if on_other[i] {
            c.other_class_alerts += 1;
        } else {
            c.false_alerts += 1;
        }
    }
    let device_hours = (devices.max(1) as f64) * hours;
    for (name, c) in classes.iter_mut() {
        c.recall = if c.incidents == 0 {
            1.0
        } else {
            c.detected as f64 / c.incidents as f64
        };
        c.false_per_100_device_hours = c.false_alerts as f64 * 100.0 / device_hours;
        if let Some(v) = ttd.get_mut(name) {
            v.sort_by(|a, b| a.total_cmp(b));
            c.median_time_to_detect_secs = v.get(v.len() / 2).copied();
        }
    }
    EvalReport {
        scenario: labels.scenario.clone(),
        seed: labels.seed,
        devices,
        hours,
        classes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_testbed::AttackLabel;
    use serde_json::json;

    #[test]
    fn eve_times_parse() {
        assert_eq!(parse_eve_time("1970-01-01T00:00:00.000000+0000"), Some(0.0));
        assert_eq!(
            parse_eve_time("2026-01-05T08:00:00.500000+0000"),
            Some(1_767_600_000.5)
        );
        assert_eq!(
            parse_eve_time("2026-01-05T09:00:00.000000+0100"),
            Some(1_767_600_000.0)
        );
        assert_eq!(parse_eve_time("nonsense"), None);
    }

    fn labels(attacks: Vec<AttackLabel>) -> Labels {
        serde_json::from_value(json!({
            "scenario": "t", "seed": 1, "generator": "g",
            "start": "2026-01-05T08:00:00.000000+0000",
            "end": "2026-01-05T09:00:00.000000+0000",
            "packets": 1, "bytes": 1,
            "devices": [
                {"id":"a","mac":"","ip":"10.0.0.2","vendor":"","product":"","kind":"camera","firmware":""},
                {"id":"b","mac":"","ip":"10.0.0.3","vendor":"","product":"","kind":"camera","firmware":""}
            ],
            "servers": [],
            "conversations": {"tcp":0,"udp":0,"icmp":0},
            "attacks": attacks,
        }))
        .unwrap()
    }

    fn attack(id: &str, class: &str, src: &str, dst: &str, start: &str, end: &str) -> AttackLabel {
        serde_json::from_value(json!({
            "id": id, "class": class, "technique": "T", "start": start, "end": end,
            "src": src, "dst": dst, "dst_port": null, "description": ""
        }))
        .unwrap()
    }

    fn alert(class: &str, phase: &str, t: &str, src: &str, dst: &str) -> Value {
        json!({"event_type":"alert","timestamp":t,"src_ip":src,"dest_ip":dst,
               "alert":{"metadata":{"palisade_class":[class],"palisade_incident_phase":[phase]}}})
    }

    #[test]
    fn recall_false_alerts_and_time_to_detect() {
        let l = labels(vec![
            attack(
                "scan-1",
                "scan",
                "203.0.113.5",
                "10.0.0.2",
                "2026-01-05T08:10:00.000000+0000",
                "2026-01-05T08:11:00.000000+0000",
            ),
            attack(
                "flood-1",
                "ddos",
                "100.64.0.0/10",
                "10.0.0.3",
                "2026-01-05T08:20:00.000000+0000",
                "2026-01-05T08:20:20.000000+0000",
            ),
            attack(
                "scan-2",
                "scan",
                "203.0.113.9",
                "10.0.0.3",
                "2026-01-05T08:30:00.000000+0000",
                "2026-01-05T08:31:00.000000+0000",
            ),
        ]);
        let recs = vec![
            alert(
                "scan",
                "start",
                "2026-01-05T08:10:02.000000+0000",
                "203.0.113.5",
                "10.0.0.2",
            ),
            alert(
                "scan",
                "end",
                "2026-01-05T08:12:00.000000+0000",
                "203.0.113.5",
                "10.0.0.2",
            ),
            // flood: spoofed source, any source matches
            alert(
                "ddos",
                "start",
                "2026-01-05T08:20:01.000000+0000",
                "100.99.1.1",
                "10.0.0.3",
            ),
            // a scan alert matching nothing: false
            alert(
                "scan",
                "start",
                "2026-01-05T08:50:00.000000+0000",
                "10.0.0.2",
                "10.0.0.3",
            ),
            // a ddos-class alert on the scan's endpoints: another class
            alert(
                "ddos",
                "start",
                "2026-01-05T08:10:05.000000+0000",
                "203.0.113.5",
                "10.0.0.2",
            ),
            // an update matching nothing does not count again
            alert(
                "scan",
                "update",
                "2026-01-05T08:51:00.000000+0000",
                "10.0.0.2",
                "10.0.0.3",
            ),
            // rule alerts without a class are not counted
            json!({"event_type":"alert","timestamp":"2026-01-05T08:40:00.000000+0000","src_ip":"1.2.3.4","dest_ip":"10.0.0.2","alert":{}}),
        ];
        let r = evaluate(&l, &recs);
        let scan = &r.classes["scan"];
        assert_eq!((scan.incidents, scan.detected), (2, 1));
        assert_eq!(scan.recall, 0.5);
        assert_eq!(scan.missed, vec!["scan-2".to_string()]);
        assert_eq!(scan.false_alerts, 1);
        assert_eq!(scan.median_time_to_detect_secs, Some(2.0));
        // 1 false alert over 2 devices × 1 hour
        assert!((scan.false_per_100_device_hours - 50.0).abs() < 1e-9);
        let ddos = &r.classes["ddos"];
        assert_eq!((ddos.detected, ddos.false_alerts), (1, 0));
        assert_eq!(ddos.other_class_alerts, 1);
        assert_eq!(ddos.median_time_to_detect_secs, Some(1.0));
    }

    #[test]
    fn posture_facts_are_matched_to_findings() {
        let mut l = labels(vec![]);
        l.posture = vec![
            palisade_testbed::PostureLabel {
                class: "cleartext-credentials".into(),
                device: "10.0.0.2".into(),
                service: "mqtt".into(),
                description: String::new(),
            },
            palisade_testbed::PostureLabel {
                class: "cleartext-credentials".into(),
                device: "10.0.0.3".into(),
                service: "telnet".into(),
                description: String::new(),
            },
        ];
        let finding = |device: &str, client: &str, service: &str| {
            json!({"event_type":"finding","timestamp":"2026-01-05T08:10:00.000000+0000",
                   "finding":{"class":"cleartext-credentials","device":device,
                              "evidence":{"service":service,"client":client}}})
        };
        let recs = vec![
            // the MQTT client is the fleet device; the broker is the finding's device
            finding("198.51.100.10", "10.0.0.2", "mqtt"),
            // right device, other service: not the telnet fact, and a false finding
            finding("10.0.0.3", "203.0.113.9", "ftp"),
        ];
        let r = evaluate(&l, &recs);
        let c = &r.classes["cleartext-credentials"];
        assert_eq!((c.incidents, c.detected, c.false_alerts), (2, 1, 1));
        assert_eq!(c.missed, vec!["10.0.0.3:telnet".to_string()]);
        assert_eq!(c.median_time_to_detect_secs, None);
        // findings never count for attacks
        assert!(!r.classes.contains_key("scan"));
    }
}
