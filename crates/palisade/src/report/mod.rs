//! `palisade report`: what a store holds, as one document: a fleet
//! summary, devices ranked by risk, each device's findings with evidence
//! and what to do about them, an alert timeline and the fleet's traffic.
//!
//! [`Report::build`] reads the store into [`Report`], which is the JSON
//! form as is (serde); [`html`] renders it as one self-contained page
//! (inline CSS and SVG charts from [`svg`], no script, a Content Security
//! Policy that forbids every fetch) and [`markdown`] as tables. Every
//! string from the store may come from hostile traffic (host names,
//! banners, signatures quoting payloads): both renderers escape all of
//! them.

pub mod classes;
pub mod html;
pub mod markdown;
pub mod svg;

use anyhow::Context;
use palisade_store::query::{risk, AlertFilter, DeviceColumn, FindingRow};
use palisade_store::Store;
use serde::Serialize;
use std::collections::BTreeMap;

/// The whole report (also its JSON form).
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// `palisade <version>`.
    pub generator: String,
    /// Packet time covered by the runs.
    pub period: Option<Period>,
    /// The runs the store holds.
    pub runs: Vec<Run>,
    /// Counts.
    pub summary: Summary,
    /// How the risk score is computed.
    pub risk_method: String,
    /// Devices by risk, riskiest first (score > 0).
    pub risk: Vec<Risk>,
    /// Findings grouped by device, riskiest device first.
    pub devices: Vec<DeviceFindings>,
    /// Alerts per hour and class.
    pub alert_timeline: Vec<TimelinePoint>,
    /// Fleet traffic per hour.
    pub traffic: Vec<TrafficPoint>,
    /// What the classes present mean and how to fix them.
    pub classes: Vec<classes::ClassText>,
}

/// Packet time covered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Period {
    /// First packet of any run.
    pub first_packet: String,
    /// Last packet of any run.
    pub last_packet: String,
}

/// One run.
#[derive(Clone, Debug, Serialize)]
pub struct Run {
    /// Id in the store.
    pub id: i64,
    /// `scan`, `sensor`, `audit`.
    pub kind: String,
    /// Sensor name.
    pub sensor: String,
    /// Wall-clock start.
    pub started_at: String,
    /// Inputs.
    pub inputs: Vec<String>,
    /// First packet time.
    pub first_packet: Option<String>,
    /// Last packet time.
    pub last_packet: Option<String>,
    /// Packets.
    pub packets: u64,
    /// Alerts stored.
    pub alerts: u64,
}

/// A name and a count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Count {
    /// Name (`""`: unknown / none).
    pub name: String,
    /// Count.
    pub count: u64,
}

/// Findings of one class.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FindingCount {
    /// Class.
    pub class: String,
    /// Total.
    pub total: u64,
    /// By severity 1 (high), 2, 3.
    pub by_severity: [u64; 3],
}

/// Fleet counts.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    /// Devices in the inventory.
    pub devices: u64,
    /// By device type (`""`: not classified).
    pub devices_by_type: Vec<Count>,
    /// By vendor (classified, else the MAC registrant; `""`: unknown).
    pub devices_by_vendor: Vec<Count>,
    /// Findings.
    pub findings: u64,
    /// Findings by severity 1, 2, 3.
    pub findings_by_severity: [u64; 3],
    /// Findings by class.
    pub findings_by_class: Vec<FindingCount>,
    /// Alerts.
    pub alerts: u64,
    /// Alerts by class (`""`: rule alerts).
    pub alerts_by_class: Vec<Count>,
    /// Runs.
    pub runs: u64,
    /// Packets over all runs.
    pub packets: u64,
}

/// One device in the risk ranking.
#[derive(Clone, Debug, Serialize)]
pub struct Risk {
    /// 1 = riskiest.
    pub rank: usize,
    /// Device key (`mac:...`, `ip:...`).
    pub key: String,
    /// Addresses.
    pub addresses: Vec<String>,
    /// Vendor (classified, else the MAC registrant).
    pub vendor: Option<String>,
    /// Host name.
    pub hostname: Option<String>,
    /// Device type.
    pub device_type: Option<String>,
    /// Score.
    pub score: u64,
    /// Of which from findings.
    pub finding_score: u64,
    /// Of which from recent alerts (capped).
    pub alert_score: u64,
    /// Findings by severity 1, 2, 3.
    pub findings: [u64; 3],
    /// Known-exploited vulnerable firmware findings.
    pub known_exploited: u64,
    /// Recent alert incidents.
    pub incidents: u64,
}

/// The findings of one device address.
#[derive(Clone, Debug, Serialize)]
pub struct DeviceFindings {
    /// The address the findings name.
    pub device_ip: String,
    /// Its device key, when the inventory knows it.
    pub key: Option<String>,
    /// Host name.
    pub hostname: Option<String>,
    /// Vendor (classified, else the MAC registrant).
    pub vendor: Option<String>,
    /// The device's risk score.
    pub score: u64,
    /// Findings, most severe first.
    pub findings: Vec<Finding>,
    /// The device's traffic per hour; only for the first
    /// [`DEVICE_TRAFFIC_MAX`] devices of the list (the riskiest), which
    /// keeps a report of a large fleet small.
    pub traffic: Vec<TrafficPoint>,
}

/// Devices of [`Report::devices`] that carry their traffic per hour.
pub const DEVICE_TRAFFIC_MAX: usize = 20;

/// One finding.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// Class.
    pub class: String,
    /// 1 (high) .. 3.
    pub severity: u8,
    /// What makes it distinct on the device.
    pub key: String,
    /// Sightings.
    pub seen: u64,
    /// First seen.
    pub first_seen: String,
    /// Last seen.
    pub last_seen: String,
    /// Evidence (JSON object).
    pub evidence: serde_json::Value,
    /// The detector's remediation.
    pub remediation: String,
}

/// Alerts of a class in an hour.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TimelinePoint {
    /// Hour start (EVE time).
    pub hour: String,
    /// Class (`""`: rule alerts).
    pub class: String,
    /// Alerts.
    pub alerts: u64,
}

/// Fleet traffic in an hour.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TrafficPoint {
    /// Hour start (EVE time).
    pub hour: String,
    /// Packets.
    pub pkts: u64,
    /// Bytes.
    pub bytes: u64,
}

/// The risk score, in words (for the report).
pub fn risk_method() -> String {
    format!(
        "Score = findings + recent alerts. Each finding counts by severity \
         (high {}, medium {}, low {}); a vulnerable-firmware finding whose CVE is in CISA's \
         Known Exploited Vulnerabilities catalogue counts {}x. Each alert incident in the {} \
         days (packet time) before the newest alert, with the device as source or target, adds \
         {} / {} / {} by severity (a detector incident counts once however many alerts it \
         raised; rule alerts count once per signature, address pair and hour), at most {} in \
         all, so a flood of alerts does not bury an unfixed critical weakness. Findings count \
         until they are removed from the store (there is no \"fixed\" state yet).",
        risk::FINDING_WEIGHT[0],
        risk::FINDING_WEIGHT[1],
        risk::FINDING_WEIGHT[2],
        risk::KNOWN_EXPLOITED_FACTOR,
        risk::ALERT_WINDOW_SECS / 86_400,
        risk::INCIDENT_WEIGHT[0],
        risk::INCIDENT_WEIGHT[1],
        risk::INCIDENT_WEIGHT[2],
        risk::ALERT_CAP,
    )
}

impl Report {
    /// Reads everything the report shows from `store`.
    pub fn build(store: &Store) -> anyhow::Result<Report> {
        let runs: Vec<Run> = store
            .run_rows()
            .context("reading runs")?
            .into_iter()
            .map(|r| Run {
                id: r.id,
                kind: r.kind,
                sensor: r.sensor,
                started_at: r.started_at,
                inputs: r.inputs,
                first_packet: r.first_packet,
                last_packet: r.last_packet,
                packets: r.packets,
                alerts: r.alerts,
            })
            .collect();
        let first = runs.iter().filter_map(|r| r.first_packet.clone()).min();
        let last = runs.iter().filter_map(|r| r.last_packet.clone()).max();
        let counts = |v: Vec<(String, u64)>| -> Vec<Count> {
            v.into_iter()
                .map(|(name, count)| Count { name, count })
                .collect()
        };
        let devices_by_vendor = counts(store.devices_by(DeviceColumn::Vendor)?);
        let findings = store.findings().context("reading findings")?;
        let mut by_class: BTreeMap<String, FindingCount> = BTreeMap::new();
        let mut by_sev = [0u64; 3];
        for f in &findings {
            let i = usize::from(f.severity.clamp(1, 3)) - 1;
            by_sev[i] += 1;
            let c = by_class
                .entry(f.class.clone())
                .or_insert_with(|| FindingCount {
                    class: f.class.clone(),
                    total: 0,
                    by_severity: [0; 3],
                });
            c.total += 1;
            c.by_severity[i] += 1;
        }
        let mut findings_by_class: Vec<FindingCount> = by_class.into_values().collect();
        findings_by_class.sort_by_key(|c| std::cmp::Reverse(c.by_severity));
        let alerts_by_class = counts(store.alerts_by_class()?);
        let summary = Summary {
            devices: devices_by_vendor.iter().map(|c| c.count).sum(),
            devices_by_type: counts(store.devices_by(DeviceColumn::DeviceType)?),
            devices_by_vendor,
            findings: findings.len() as u64,
            findings_by_severity: by_sev,
            findings_by_class,
            alerts: alerts_by_class.iter().map(|c| c.count).sum(),
            alerts_by_class,
            runs: runs.len() as u64,
            packets: runs.iter().map(|r| r.packets).sum(),
        };
        let ranking = store.risk_ranking().context("ranking devices")?;
        let risk: Vec<Risk> = ranking
            .iter()
            .filter(|d| d.score > 0)
            .enumerate()
            .map(|(i, d)| Risk {
                rank: i + 1,
                key: d.key.clone(),
                addresses: d.addresses.clone(),
                vendor: d.vendor.clone(),
                hostname: d.hostname.clone(),
                device_type: d.device_type.clone(),
                score: d.score,
                finding_score: d.finding_score,
                alert_score: d.alert_score,
                findings: d.findings,
                known_exploited: d.known_exploited,
                incidents: d.incidents,
            })
            .collect();
        let mut devices = group_findings(findings, &ranking);
        for d in devices.iter_mut().take(DEVICE_TRAFFIC_MAX) {
            if let Some(key) = &d.key {
                d.traffic = store
                    .device_traffic(key)?
                    .into_iter()
                    .map(|r| TrafficPoint {
                        hour: r.hour,
                        pkts: r.pkts,
                        bytes: r.bytes,
                    })
                    .collect();
            }
        }
        let alert_timeline = store
            .alert_timeline(&AlertFilter::default())?
            .into_iter()
            .map(|r| TimelinePoint {
                hour: r.hour,
                class: r.class,
                alerts: r.alerts,
            })
            .collect::<Vec<_>>();
        let traffic = store
            .traffic_by_hour()?
            .into_iter()
            .map(|r| TrafficPoint {
                hour: r.hour,
                pkts: r.pkts,
                bytes: r.bytes,
            })
            .collect();
        let mut present: Vec<&str> = summary
            .findings_by_class
            .iter()
            .map(|c| c.class.as_str())
            .chain(summary.alerts_by_class.iter().map(|c| c.name.as_str()))
            .collect();
        present.sort_unstable();
        present.dedup();
        let classes = classes::CLASSES
            .iter()
            .filter(|c| present.contains(&c.class))
            .copied()
            .collect();
        Ok(Report {
            generator: format!("palisade {}", env!("CARGO_PKG_VERSION")),
            period: first.zip(last).map(|(first_packet, last_packet)| Period {
                first_packet,
                last_packet,
            }),
            runs,
            summary,
            risk_method: risk_method(),
            risk,
            devices,
            alert_timeline,
            traffic,
            classes,
        })
    }

    /// The hours both charts share (so that they line up): every hour
    /// with alerts or traffic, gaps filled; and whether older hours were
    /// left out ([`svg::MAX_BARS`]).
    pub fn hours(&self) -> (Vec<String>, bool) {
        hour_axis(
            self.alert_timeline
                .iter()
                .map(|p| p.hour.as_str())
                .chain(self.traffic.iter().map(|p| p.hour.as_str())),
        )
    }

    /// The timeline as chart input: hour labels and one series per class.
    /// Also whether older hours were left out ([`svg::MAX_BARS`]).
    pub fn timeline_series(&self) -> (Vec<String>, Vec<svg::Series>, bool) {
        let (hours, cut) = self.hours();
        let mut classes: Vec<&str> = self
            .alert_timeline
            .iter()
            .map(|p| p.class.as_str())
            .collect();
        classes.sort_unstable();
        classes.dedup();
        let series = classes
            .iter()
            .map(|c| svg::Series {
                name: classes::label(c).to_string(),
                values: hours
                    .iter()
                    .map(|h| {
                        self.alert_timeline
                            .iter()
                            .filter(|p| p.class == *c && &p.hour == h)
                            .map(|p| p.alerts as f64)
                            .fold(0.0, |a, b| a + b)
                    })
                    .collect(),
            })
            .collect();
        (hours.iter().map(|h| hour_label(h)).collect(), series, cut)
    }

    /// Traffic as chart input: hour labels and bytes.
    pub fn traffic_series(&self) -> (Vec<String>, Vec<svg::Series>, bool) {
        self.bytes_series(&self.traffic)
    }

    /// A device's traffic (`points`) on the report's hours.
    pub fn bytes_series(&self, points: &[TrafficPoint]) -> (Vec<String>, Vec<svg::Series>, bool) {
        let (hours, cut) = self.hours();
        let by_hour: std::collections::HashMap<&str, u64> =
            points.iter().map(|p| (p.hour.as_str(), p.bytes)).collect();
        let values = hours
            .iter()
            .map(|h| by_hour.get(h.as_str()).map_or(0.0, |b| *b as f64))
            .collect();
        (
            hours.iter().map(|h| hour_label(h)).collect(),
            vec![svg::Series {
                name: "bytes".into(),
                values,
            }],
            cut,
        )
    }
}

/// Findings grouped by address, the riskiest device first.
fn group_findings(
    findings: Vec<FindingRow>,
    ranking: &[palisade_store::query::DeviceRisk],
) -> Vec<DeviceFindings> {
    let mut by_ip: BTreeMap<String, DeviceFindings> = BTreeMap::new();
    for f in findings {
        let d = by_ip.entry(f.device_ip.clone()).or_insert_with(|| {
            let r = ranking
                .iter()
                .find(|r| r.finding_addresses.contains(&f.device_ip));
            DeviceFindings {
                device_ip: f.device_ip.clone(),
                key: r.map(|r| r.key.clone()),
                hostname: r.and_then(|r| r.hostname.clone()),
                vendor: r.and_then(|r| r.vendor.clone()),
                score: r.map_or(0, |r| r.score),
                findings: Vec::new(),
                traffic: Vec::new(),
            }
        });
        d.findings.push(Finding {
            class: f.class,
            severity: f.severity,
            key: f.key,
            seen: f.seen,
            first_seen: f.first_seen,
            last_seen: f.last_seen,
            evidence: f.evidence,
            remediation: f.remediation,
        });
    }
    let mut v: Vec<DeviceFindings> = by_ip.into_values().collect();
    v.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then_with(|| a.device_ip.cmp(&b.device_ip))
    });
    v
}

/// Every hour from the first to the last given (gaps filled with empty
/// hours, so the axis is time), the latest [`svg::MAX_BARS`] at most; if
/// the span is wider (a capture with a bogus timestamp), only the hours
/// present. Also whether hours were left out.
fn hour_axis<'a>(hours: impl Iterator<Item = &'a str>) -> (Vec<String>, bool) {
    const HOUR_NS: u64 = 3_600_000_000_000;
    let mut idx: Vec<u64> = hours
        .filter_map(palisade_store::query::parse_time)
        .map(|(t, _)| t.as_nanos() / HOUR_NS)
        .collect();
    idx.sort_unstable();
    idx.dedup();
    let (Some(&lo), Some(&hi)) = (idx.first(), idx.last()) else {
        return (Vec::new(), false);
    };
    let mut cut = false;
    let all: Vec<u64> = if hi - lo < svg::MAX_BARS as u64 {
        (lo..=hi).collect()
    } else {
        if idx.len() > svg::MAX_BARS {
            cut = true;
            idx.drain(..idx.len() - svg::MAX_BARS);
        }
        idx
    };
    let s = all
        .into_iter()
        .map(|h| palisade_event::Timestamp::from_secs_nanos(h * 3600, 0).to_string())
        .collect();
    (s, cut)
}

/// `2026-01-05T08:00:00.000000+0000` → `01-05 08:00`.
pub fn hour_label(h: &str) -> String {
    match (h.get(5..10), h.get(11..16)) {
        (Some(d), Some(t)) => format!("{d} {t}"),
        _ => h.to_string(),
    }
}

/// How a severity reads.
pub fn severity_name(s: u8) -> &'static str {
    match s {
        0 | 1 => "high",
        2 => "medium",
        _ => "low",
    }
}

/// Evidence keys whose values are never shown (defence in depth: palisade
/// stores no secret, but a future detector's evidence should not leak one
/// into a report by mistake).
pub fn is_secret_key(k: &str) -> bool {
    let k = k.to_ascii_lowercase();
    [
        "password",
        "passwd",
        "secret",
        "community",
        "token",
        "private",
    ]
    .iter()
    .any(|s| k.contains(s))
}

/// An evidence value as text: strings as they are, lists comma-joined,
/// booleans yes/no, objects as compact JSON; cut to 300 characters.
pub fn evidence_text(v: &serde_json::Value) -> String {
    let s = match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
        serde_json::Value::Null => "-".to_string(),
        serde_json::Value::Array(a) => a
            .iter()
            .map(|x| match x {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    };
    if s.chars().count() > 300 {
        let mut t: String = s.chars().take(300).collect();
        t.push('…');
        t
    } else {
        s
    }
}

/// The evidence of a finding as (label, text) lines: for
/// vulnerable-firmware the CVE facts first in a fixed order, then every
/// other field; secret-looking fields withheld; at most 40 lines.
pub fn evidence_lines(class: &str, ev: &serde_json::Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Some(obj) = ev.as_object() else {
        out.push(("evidence".to_string(), evidence_text(ev)));
        return out;
    };
    let mut used: Vec<&str> = Vec::new();
    if class == "vulnerable-firmware" {
        let get = |k: &str| obj.get(k).filter(|v| !v.is_null());
        for (k, label) in [
            ("cve", "CVE"),
            ("title", "title"),
            ("cvss", "CVSS"),
            ("known_exploited", "known exploited (CISA KEV)"),
            ("kev_date_added", "in KEV since"),
            ("vendor", "vendor"),
            ("product", "product"),
            ("firmware", "firmware seen"),
            ("fixed_version", "fixed in"),
            ("advisory_url", "advisory"),
        ] {
            if let Some(v) = get(k) {
                out.push((label.to_string(), evidence_text(v)));
            }
            used.push(k);
        }
    }
    for (k, v) in obj {
        if used.contains(&k.as_str()) {
            continue;
        }
        let text = if is_secret_key(k) {
            "(withheld)".to_string()
        } else {
            evidence_text(v)
        };
        out.push((k.replace('_', " "), text));
        if out.len() >= 40 {
            break;
        }
    }
    out
}
