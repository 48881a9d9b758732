//! Reads: what reports, the fleet view and tests ask of the store.

use crate::{err, Result, Store};
use palisade_event::Timestamp;
use rusqlite::{params, params_from_iter, types::Value};
use std::collections::HashMap;

/// One finding as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct FindingRow {
    /// Class.
    pub class: String,
    /// Device address.
    pub device_ip: String,
    /// What makes it distinct on the device ([`crate::finding_key`]).
    pub key: String,
    /// Highest severity seen (1 = high).
    pub severity: u8,
    /// Sightings.
    pub seen: u64,
    /// First and last seen (packet time).
    pub first_seen: String,
    /// Last seen.
    pub last_seen: String,
    /// Runs that first and last saw it.
    pub first_run: i64,
    /// Last run.
    pub last_run: i64,
    /// The latest evidence (a JSON object; never a secret).
    pub evidence: serde_json::Value,
    /// What to do about it (the detector's text).
    pub remediation: String,
}

/// One incident as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct IncidentRow {
    /// Run.
    pub run_id: i64,
    /// Class.
    pub class: Option<String>,
    /// Signature id.
    pub sid: u32,
    /// Attacker as alerted.
    pub src_ip: String,
    /// Target as alerted.
    pub dest_ip: String,
    /// `open` or `ended`.
    pub state: String,
    /// Alerts of the incident.
    pub alerts: u64,
    /// First and last alert times.
    pub first_ts: String,
    /// Last alert time.
    pub last_ts: String,
}

impl Store {
    /// Alerts per `palisade_class` (rule alerts without one as `""`), most
    /// first.
    pub fn alerts_by_class(&self) -> Result<Vec<(String, u64)>> {
        let mut st = self
            .conn()
            .prepare(
                "SELECT coalesce(class, ''), count(*) FROM alerts GROUP BY 1 ORDER BY 2 DESC, 1",
            )
            .map_err(|e| err(self.path(), e))?;
        let rows = st
            .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))
            .map_err(|e| err(self.path(), e))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(|e| err(self.path(), e))
    }

    /// Every finding, most severe first.
    pub fn findings(&self) -> Result<Vec<FindingRow>> {
        self.findings_where(&FindingFilter::default())
    }

    /// The findings `f` lets through, most severe first.
    pub fn findings_where(&self, f: &FindingFilter) -> Result<Vec<FindingRow>> {
        let mut w = Where::default();
        if let Some(ip) = &f.device {
            w.push("device_ip = ?", ip.clone());
        }
        if let Some(c) = &f.class {
            w.push("class = ?", c.clone());
        }
        if let Some(sev) = f.severity {
            w.push("severity <= ?", i64::from(sev));
        }
        if let Some(t) = f.since {
            w.push("last_seen >= ?", t.to_string());
        }
        if let Some(t) = f.until {
            w.push("first_seen < ?", t.to_string());
        }
        let sql = format!(
            "SELECT class, device_ip, key, severity, seen, first_seen, last_seen, first_run,
                    last_run, evidence, remediation
             FROM findings {} ORDER BY severity, class, device_ip, key",
            w.sql()
        );
        let e = |x| err(self.path(), x);
        let mut st = self.conn().prepare(&sql).map_err(e)?;
        let rows = st
            .query_map(params_from_iter(w.values.iter()), |r| {
                Ok(FindingRow {
                    class: r.get(0)?,
                    device_ip: r.get(1)?,
                    key: r.get(2)?,
                    severity: r.get(3)?,
                    seen: r.get::<_, i64>(4)? as u64,
                    first_seen: r.get(5)?,
                    last_seen: r.get(6)?,
                    first_run: r.get(7)?,
                    last_run: r.get(8)?,
                    evidence: json(&r.get::<_, String>(9)?),
                    remediation: r.get(10)?,
                })
            })
            .map_err(e)?;
        rows.collect::<rusqlite::Result<_>>().map_err(e)
    }

    /// The incidents of `run_id`, in start order.
    pub fn incidents(&self, run_id: i64) -> Result<Vec<IncidentRow>> {
        let mut st = self
            .conn()
            .prepare(
                "SELECT run_id, class, sid, src_ip, dest_ip, state, alerts, first_ts, last_ts
                 FROM incidents WHERE run_id = ?1 ORDER BY first_ts, id",
            )
            .map_err(|e| err(self.path(), e))?;
        let rows = st
            .query_map(params![run_id], |r| {
                Ok(IncidentRow {
                    run_id: r.get(0)?,
                    class: r.get(1)?,
                    sid: r.get(2)?,
                    src_ip: r.get(3)?,
                    dest_ip: r.get(4)?,
                    state: r.get(5)?,
                    alerts: r.get::<_, i64>(6)? as u64,
                    first_ts: r.get(7)?,
                    last_ts: r.get(8)?,
                })
            })
            .map_err(|e| err(self.path(), e))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(|e| err(self.path(), e))
    }

    /// Runs recorded: (id, kind, alerts, findings), oldest first.
    pub fn runs(&self) -> Result<Vec<(i64, String, u64, u64)>> {
        let mut st = self
            .conn()
            .prepare("SELECT id, kind, alerts, findings FROM runs ORDER BY id")
            .map_err(|e| err(self.path(), e))?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get::<_, i64>(2)? as u64,
                    r.get::<_, i64>(3)? as u64,
                ))
            })
            .map_err(|e| err(self.path(), e))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(|e| err(self.path(), e))
    }
}

/// One device as stored, with its addresses.
#[derive(Clone, Debug, PartialEq)]
pub struct DeviceSummary {
    /// Key.
    pub key: String,
    /// Vendor (classified, else the MAC's registrant).
    pub vendor: Option<String>,
    /// Product, as classified.
    pub product: Option<String>,
    /// Device type, as classified.
    pub device_type: Option<String>,
    /// Firmware, as classified.
    pub firmware: Option<String>,
    /// Host name.
    pub hostname: Option<String>,
    /// Packets over all runs.
    pub pkts: u64,
    /// Addresses, in order of first sighting.
    pub addresses: Vec<String>,
    /// Services as `TCP/554 rtsp`.
    pub services: Vec<String>,
    /// Fingerprints as `kind=value`.
    pub fingerprints: Vec<String>,
}

impl Store {
    /// Every device, by key.
    pub fn devices(&self) -> Result<Vec<DeviceSummary>> {
        let e = |x| err(self.path(), x);
        let mut st = self
            .conn()
            .prepare(
                "SELECT id, key, vendor, hostname, pkts, product, device_type, firmware
                 FROM devices ORDER BY key",
            )
            .map_err(e)?;
        type Row = (
            i64,
            String,
            Option<String>,
            Option<String>,
            i64,
            [Option<String>; 3],
        );
        let rows: Vec<Row> = st
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    [r.get(5)?, r.get(6)?, r.get(7)?],
                ))
            })
            .map_err(e)?
            .collect::<rusqlite::Result<_>>()
            .map_err(e)?;
        let list = |sql: &str, id: i64| -> Result<Vec<String>> {
            let mut st = self.conn().prepare(sql).map_err(e)?;
            let v = st
                .query_map(params![id], |r| r.get::<_, String>(0))
                .map_err(e)?
                .collect::<rusqlite::Result<_>>()
                .map_err(e)?;
            Ok(v)
        };
        let mut out = Vec::with_capacity(rows.len());
        for (id, key, vendor, hostname, pkts, [product, device_type, firmware]) in rows {
            out.push(DeviceSummary {
                key,
                vendor,
                product,
                device_type,
                firmware,
                hostname,
                pkts: pkts as u64,
                addresses: list(
                    "SELECT ip FROM device_addresses WHERE device_id = ?1 ORDER BY first_seen, ip",
                    id,
                )?,
                services: list(
                    "SELECT proto || '/' || port || coalesce(' ' || app_proto, '') FROM services
                     WHERE device_id = ?1 ORDER BY proto, port",
                    id,
                )?,
                fingerprints: list(
                    "SELECT kind || '=' || value FROM fingerprints WHERE device_id = ?1
                     ORDER BY kind, value",
                    id,
                )?,
            });
        }
        Ok(out)
    }
}

/// A JSON column read back (a row written by palisade always parses; a
/// damaged one reads as the text it holds).
fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|_| serde_json::Value::String(s.to_string()))
}

/// A `WHERE` clause built from optional filters, with its bound values.
#[derive(Default)]
struct Where {
    terms: Vec<&'static str>,
    values: Vec<Value>,
}

impl Where {
    /// `term` has one `?` per value pushed.
    fn push(&mut self, term: &'static str, v: impl Into<Value>) {
        self.terms.push(term);
        self.values.push(v.into());
    }

    fn push2(&mut self, term: &'static str, v: impl Into<Value> + Clone) {
        self.terms.push(term);
        self.values.push(v.clone().into());
        self.values.push(v.into());
    }

    fn sql(&self) -> String {
        if self.terms.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.terms.join(" AND "))
        }
    }
}

/// Which findings [`Store::findings_where`] returns; `None` lets all through.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FindingFilter {
    /// Only findings on this address.
    pub device: Option<String>,
    /// Only this class.
    pub class: Option<String>,
    /// Only this severity or higher (1 = high).
    pub severity: Option<u8>,
    /// Only findings seen at or after this time (their last sighting).
    pub since: Option<Timestamp>,
    /// Only findings first seen before this time.
    pub until: Option<Timestamp>,
}

/// Which alerts [`Store::alerts`] and [`Store::alert_timeline`] read;
/// `None` lets all through.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AlertFilter {
    /// Only alerts with this address as source or destination.
    pub device: Option<String>,
    /// Only this `palisade_class` (`""`: rule alerts without one).
    pub class: Option<String>,
    /// Only this severity or higher (1 = high).
    pub severity: Option<u8>,
    /// Only alerts at or after this packet time.
    pub since: Option<Timestamp>,
    /// Only alerts before this packet time.
    pub until: Option<Timestamp>,
    /// At most this many: the latest ones (returned oldest first).
    pub limit: Option<usize>,
}

impl AlertFilter {
    fn clause(&self) -> Where {
        let mut w = Where::default();
        if let Some(ip) = &self.device {
            w.push2("(src_ip = ? OR dest_ip = ?)", ip.clone());
        }
        if let Some(c) = &self.class {
            w.push("coalesce(class, '') = ?", c.clone());
        }
        if let Some(s) = self.severity {
            w.push("severity <= ?", i64::from(s));
        }
        // EVE times sort as text in time order, and the index on ts serves.
        if let Some(t) = self.since {
            w.push("ts >= ?", t.to_string());
        }
        if let Some(t) = self.until {
            w.push("ts < ?", t.to_string());
        }
        w
    }
}

/// One alert as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertRow {
    /// Row id.
    pub id: i64,
    /// Run that raised it.
    pub run_id: i64,
    /// Packet time (EVE format).
    pub ts: String,
    /// Generator id.
    pub gid: u32,
    /// Signature id.
    pub sid: u32,
    /// Revision.
    pub rev: u32,
    /// Signature message (from the rule or detector: may quote traffic).
    pub signature: String,
    /// Category.
    pub category: String,
    /// Severity (1 = high).
    pub severity: u8,
    /// `palisade_class`, for detector alerts.
    pub class: Option<String>,
    /// `palisade_detector`.
    pub detector: Option<String>,
    /// The incident row it belongs to.
    pub incident: Option<i64>,
    /// `event`, `start`, `update`, `end`.
    pub phase: Option<String>,
    /// Source address.
    pub src_ip: String,
    /// Source port.
    pub src_port: Option<u16>,
    /// Destination address.
    pub dest_ip: String,
    /// Destination port.
    pub dest_port: Option<u16>,
    /// IP protocol number.
    pub proto: u8,
    /// Application protocol.
    pub app_proto: Option<String>,
    /// Flow id.
    pub flow_id: Option<i64>,
    /// The signature's metadata (JSON object: key → values).
    pub metadata: serde_json::Value,
}

/// Packets and bytes in one hour.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrafficRow {
    /// Start of the hour (EVE format).
    pub hour: String,
    /// Packets.
    pub pkts: u64,
    /// Bytes.
    pub bytes: u64,
}

/// Alerts of one class in one hour.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimelineRow {
    /// Start of the hour (EVE format).
    pub hour: String,
    /// `palisade_class` (`""`: rule alerts without one).
    pub class: String,
    /// Alerts.
    pub alerts: u64,
}

/// A run as recorded.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRow {
    /// Id.
    pub id: i64,
    /// Sensor name.
    pub sensor: String,
    /// `scan`, `sensor`, `audit`.
    pub kind: String,
    /// Wall-clock start.
    pub started_at: String,
    /// Inputs (files, interfaces, targets).
    pub inputs: Vec<String>,
    /// palisade version.
    pub version: String,
    /// First packet time.
    pub first_packet: Option<String>,
    /// Last packet time.
    pub last_packet: Option<String>,
    /// Packets.
    pub packets: u64,
    /// Alerts stored.
    pub alerts: u64,
    /// Findings last seen by this run.
    pub findings: u64,
}

/// Start of the hour of an EVE time: `2026-01-05T08:17:03.5+0000` →
/// `2026-01-05T08:00:00.000000+0000` (SQL, over a column holding EVE time).
const HOUR_OF_TS: &str = "substr(ts, 1, 13) || ':00:00.000000+0000'";

impl Store {
    /// The alerts `f` lets through, oldest first (with a limit: the latest
    /// `limit`, oldest first).
    pub fn alerts(&self, f: &AlertFilter) -> Result<Vec<AlertRow>> {
        let w = f.clause();
        let limit = match f.limit {
            Some(n) => format!("LIMIT {}", n.min(i64::MAX as usize)),
            None => String::new(),
        };
        let sql = format!(
            "SELECT * FROM (
                 SELECT id, run_id, ts, gid, sid, rev, signature, category, severity, class,
                        detector, incident, phase, src_ip, src_port, dest_ip, dest_port, proto,
                        app_proto, flow_id, metadata
                 FROM alerts {} ORDER BY ts DESC, id DESC {limit})
             ORDER BY ts, id",
            w.sql()
        );
        let e = |x| err(self.path(), x);
        let mut st = self.conn().prepare(&sql).map_err(e)?;
        let rows = st
            .query_map(params_from_iter(w.values.iter()), |r| {
                Ok(AlertRow {
                    id: r.get(0)?,
                    run_id: r.get(1)?,
                    ts: r.get(2)?,
                    gid: r.get(3)?,
                    sid: r.get(4)?,
                    rev: r.get(5)?,
                    signature: r.get(6)?,
                    category: r.get(7)?,
                    severity: r.get(8)?,
                    class: r.get(9)?,
                    detector: r.get(10)?,
                    incident: r.get(11)?,
                    phase: r.get(12)?,
                    src_ip: r.get(13)?,
                    src_port: r.get(14)?,
                    dest_ip: r.get(15)?,
                    dest_port: r.get(16)?,
                    proto: r.get(17)?,
                    app_proto: r.get(18)?,
                    flow_id: r.get(19)?,
                    metadata: json(&r.get::<_, String>(20)?),
                })
            })
            .map_err(e)?;
        rows.collect::<rusqlite::Result<_>>().map_err(e)
    }

    /// Alerts per hour and class (`f`'s limit is ignored), by hour then
    /// class.
    pub fn alert_timeline(&self, f: &AlertFilter) -> Result<Vec<TimelineRow>> {
        let w = f.clause();
        let sql = format!(
            "SELECT {HOUR_OF_TS}, coalesce(class, ''), count(*) FROM alerts {}
             GROUP BY 1, 2 ORDER BY 1, 2",
            w.sql()
        );
        let e = |x| err(self.path(), x);
        let mut st = self.conn().prepare(&sql).map_err(e)?;
        let rows = st
            .query_map(params_from_iter(w.values.iter()), |r| {
                Ok(TimelineRow {
                    hour: r.get(0)?,
                    class: r.get(1)?,
                    alerts: r.get::<_, i64>(2)? as u64,
                })
            })
            .map_err(e)?;
        rows.collect::<rusqlite::Result<_>>().map_err(e)
    }

    /// Traffic per hour of the whole fleet: the sum over devices of each
    /// device's hour (the largest row over runs, see schema migration 2).
    /// A packet between two fleet devices counts for both.
    pub fn traffic_by_hour(&self) -> Result<Vec<TrafficRow>> {
        self.traffic_rows(
            "SELECT hour, sum(p), sum(b) FROM (
                 SELECT device_id, hour, max(pkts) AS p, max(bytes) AS b FROM device_traffic
                 GROUP BY device_id, hour)
             GROUP BY hour ORDER BY hour",
            None,
        )
    }

    /// Traffic per hour of the device with `key` (`mac:...` or `ip:...`).
    pub fn device_traffic(&self, key: &str) -> Result<Vec<TrafficRow>> {
        self.traffic_rows(
            "SELECT hour, max(pkts), max(bytes) FROM device_traffic
             WHERE device_id = (SELECT id FROM devices WHERE key = ?1)
             GROUP BY hour ORDER BY hour",
            Some(key),
        )
    }

    fn traffic_rows(&self, sql: &str, key: Option<&str>) -> Result<Vec<TrafficRow>> {
        let e = |x| err(self.path(), x);
        let mut st = self.conn().prepare(sql).map_err(e)?;
        let map = |r: &rusqlite::Row<'_>| {
            Ok(TrafficRow {
                hour: r.get(0)?,
                pkts: r.get::<_, i64>(1)? as u64,
                bytes: r.get::<_, i64>(2)? as u64,
            })
        };
        let rows = match key {
            Some(k) => st.query_map(params![k], map),
            None => st.query_map([], map),
        }
        .map_err(e)?;
        rows.collect::<rusqlite::Result<_>>().map_err(e)
    }

    /// Every run, oldest first.
    pub fn run_rows(&self) -> Result<Vec<RunRow>> {
        let e = |x| err(self.path(), x);
        let mut st = self
            .conn()
            .prepare(
                "SELECT id, sensor, kind, started_at, inputs, palisade_version, first_packet,
                        last_packet, packets, alerts, findings
                 FROM runs ORDER BY id",
            )
            .map_err(e)?;
        let rows = st
            .query_map([], |r| {
                let inputs: String = r.get(4)?;
                Ok(RunRow {
                    id: r.get(0)?,
                    sensor: r.get(1)?,
                    kind: r.get(2)?,
                    started_at: r.get(3)?,
                    inputs: serde_json::from_str(&inputs).unwrap_or_default(),
                    version: r.get(5)?,
                    first_packet: r.get(6)?,
                    last_packet: r.get(7)?,
                    packets: r.get::<_, i64>(8)? as u64,
                    alerts: r.get::<_, i64>(9)? as u64,
                    findings: r.get::<_, i64>(10)? as u64,
                })
            })
            .map_err(e)?;
        rows.collect::<rusqlite::Result<_>>().map_err(e)
    }

    /// Devices per value of a `devices` column (`vendor` or `device_type`;
    /// unknown as `""`), most first.
    pub fn devices_by(&self, column: DeviceColumn) -> Result<Vec<(String, u64)>> {
        let col = match column {
            DeviceColumn::Vendor => "vendor",
            DeviceColumn::DeviceType => "device_type",
        };
        let sql = format!(
            "SELECT coalesce({col}, ''), count(*) FROM devices GROUP BY 1 ORDER BY 2 DESC, 1"
        );
        let e = |x| err(self.path(), x);
        let mut st = self.conn().prepare(&sql).map_err(e)?;
        let rows = st
            .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))
            .map_err(e)?;
        rows.collect::<rusqlite::Result<_>>().map_err(e)
    }
}

/// A grouping column of [`Store::devices_by`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceColumn {
    /// MAC vendor.
    Vendor,
    /// Device type (from the classifier).
    DeviceType,
}

/// The risk score: how to rank devices for attention. Posture counts most
/// (it stays until fixed), recent attacks add to it.
///
/// score = Σ over the device's findings of `FINDING_WEIGHT[severity]`
/// (doubled for a `vulnerable-firmware` finding whose CVE is in CISA's
/// Known Exploited Vulnerabilities catalogue: it is being used in the wild)
/// plus min(`ALERT_CAP`, Σ over alert incidents involving the device, as
/// source or destination, in the `ALERT_WINDOW_SECS` of packet time before
/// the newest alert in the store, of `INCIDENT_WEIGHT[severity]`).
///
/// An alert incident is one detector incident (its start, updates and end
/// count once), or for rule alerts one (signature, source, destination,
/// hour). The cap keeps a flood of alerts from burying a device with an
/// unfixed critical weakness. Findings have no "fixed" state yet: every
/// stored finding counts until it is removed from the store.
pub mod risk {
    /// Weight of a finding by severity 1, 2, 3.
    pub const FINDING_WEIGHT: [u64; 3] = [10, 4, 1];
    /// Factor for a known-exploited vulnerable firmware.
    pub const KNOWN_EXPLOITED_FACTOR: u64 = 2;
    /// Weight of an alert incident by severity 1, 2, 3 (and lower).
    pub const INCIDENT_WEIGHT: [u64; 3] = [3, 2, 1];
    /// The alert part is at most this.
    pub const ALERT_CAP: u64 = 30;
    /// Alerts this recent (packet time, before the newest alert) count.
    pub const ALERT_WINDOW_SECS: u64 = 7 * 86_400;
}

/// One device's risk.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceRisk {
    /// Device key, or `ip:<address>` for an address with findings that the
    /// inventory does not know.
    pub key: String,
    /// Its addresses (the ones findings or alerts name first).
    pub addresses: Vec<String>,
    /// MAC vendor.
    pub vendor: Option<String>,
    /// Host name.
    pub hostname: Option<String>,
    /// Device type.
    pub device_type: Option<String>,
    /// The score ([`risk`]).
    pub score: u64,
    /// Its findings part.
    pub finding_score: u64,
    /// Its alerts part (capped).
    pub alert_score: u64,
    /// Findings by severity 1, 2, 3.
    pub findings: [u64; 3],
    /// Vulnerable-firmware findings with a known-exploited CVE.
    pub known_exploited: u64,
    /// Recent alert incidents.
    pub incidents: u64,
    /// The addresses whose findings counted here (an address that moved
    /// between devices counts for the device that had it last).
    pub finding_addresses: Vec<String>,
}

fn sev_index(sev: i64) -> usize {
    sev.clamp(1, 3) as usize - 1
}

impl Store {
    /// Every device and every address with findings, riskiest first
    /// ([`risk`]); ties by key.
    pub fn risk_ranking(&self) -> Result<Vec<DeviceRisk>> {
        let e = |x| err(self.path(), x);
        let mut by_key: HashMap<String, DeviceRisk> = HashMap::new();
        let mut ip_key: HashMap<String, String> = HashMap::new();
        {
            let mut st = self
                .conn()
                .prepare(
                    "SELECT d.key, d.vendor, d.hostname, d.device_type, a.ip
                     FROM devices d LEFT JOIN device_addresses a ON a.device_id = d.id
                     ORDER BY a.last_seen, d.key, a.ip",
                )
                .map_err(e)?;
            type Row = (
                String,
                Option<String>,
                Option<String>,
                Option<String>,
                Option<String>,
            );
            let rows = st
                .query_map([], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })
                .map_err(e)?;
            for row in rows {
                let (key, vendor, hostname, device_type, ip): Row = row.map_err(e)?;
                let d = by_key.entry(key.clone()).or_insert_with(|| DeviceRisk {
                    key: key.clone(),
                    vendor,
                    hostname,
                    device_type,
                    ..Default::default()
                });
                if let Some(ip) = ip {
                    d.addresses.push(ip.clone());
                    // Ordered by last seen: an address that moved belongs
                    // to the device that had it last.
                    ip_key.insert(ip, key.clone());
                }
            }
        }
        for f in self.findings()? {
            let key = ip_key
                .entry(f.device_ip.clone())
                .or_insert_with(|| format!("ip:{}", f.device_ip))
                .clone();
            let d = by_key.entry(key.clone()).or_insert_with(|| DeviceRisk {
                key,
                addresses: vec![f.device_ip.clone()],
                ..Default::default()
            });
            let i = sev_index(i64::from(f.severity));
            let mut w = risk::FINDING_WEIGHT[i];
            if f.class == "vulnerable-firmware" && f.evidence["known_exploited"] == true {
                w *= risk::KNOWN_EXPLOITED_FACTOR;
                d.known_exploited += 1;
            }
            d.findings[i] += 1;
            d.finding_score += w;
            if !d.finding_addresses.contains(&f.device_ip) {
                d.finding_addresses.push(f.device_ip.clone());
            }
        }
        let newest: Option<String> = self
            .conn()
            .query_row("SELECT max(ts) FROM alerts", [], |r| r.get(0))
            .map_err(e)?;
        if let Some((newest, _)) = newest.as_deref().and_then(parse_time) {
            let since = Timestamp::from_nanos(
                newest
                    .as_nanos()
                    .saturating_sub(risk::ALERT_WINDOW_SECS * 1_000_000_000),
            );
            let mut st = self
                .conn()
                .prepare(&format!(
                    "SELECT min(src_ip), min(dest_ip), min(severity) FROM alerts WHERE ts >= ?1
                     GROUP BY coalesce('i' || incident,
                         sid || '|' || src_ip || '|' || dest_ip || '|' || {HOUR_OF_TS})"
                ))
                .map_err(e)?;
            let rows = st
                .query_map(params![since.to_string()], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                })
                .map_err(e)?;
            for row in rows {
                let (src, dst, sev) = row.map_err(e)?;
                let w = risk::INCIDENT_WEIGHT[sev_index(sev)];
                let ks: Vec<&String> = [&src, &dst]
                    .into_iter()
                    .filter_map(|ip| ip_key.get(ip))
                    .collect();
                for (n, k) in ks.iter().enumerate() {
                    if n == 1 && ks.first() == Some(k) {
                        continue; // both ends on one device
                    }
                    if let Some(d) = by_key.get_mut(*k) {
                        d.incidents += 1;
                        d.alert_score += w;
                    }
                }
            }
        }
        let mut out: Vec<DeviceRisk> = by_key
            .into_values()
            .map(|mut d| {
                d.alert_score = d.alert_score.min(risk::ALERT_CAP);
                d.score = d.finding_score + d.alert_score;
                d
            })
            .collect();
        out.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| a.key.cmp(&b.key)));
        Ok(out)
    }
}

/// Parses a time for filters: a date (`2026-01-05`, meaning its midnight
/// UTC), RFC 3339 (`2026-01-05T08:00:00Z`, `2026-01-05T09:00:00.5+01:00`,
/// a space for the `T`, seconds optional) or EVE (`...+0000`). No offset
/// means UTC. Returns the time and whether it was a date alone (so that
/// `--until 2026-01-05` can mean "through that day").
pub fn parse_time(s: &str) -> Option<(Timestamp, bool)> {
    let b = s.trim().as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u64> {
        let d = b.get(r)?;
        if d.is_empty() || !d.iter().all(u8::is_ascii_digit) {
            return None;
        }
        d.iter().try_fold(0u64, |a, c| {
            a.checked_mul(10)?.checked_add(u64::from(c - b'0'))
        })
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') || !(1..=12).contains(&mo) {
        return None;
    }
    if !(1..=days_in_month(y, mo)).contains(&d) || y < 1970 {
        return None;
    }
    let days = days_from_civil(y as i64, mo as u32, d as u32);
    let day_secs = u64::try_from(days).ok()?.checked_mul(86_400)?;
    if b.len() == 10 {
        return Some((Timestamp::from_secs_nanos(day_secs, 0), true));
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) || b.get(13) != Some(&b':') {
        return None;
    }
    let (h, mi) = (num(11..13)?, num(14..16)?);
    let mut i = 16;
    let mut sec = 0;
    if b.get(i) == Some(&b':') {
        sec = num(17..19)?;
        i = 19;
    }
    if h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut nanos = 0u64;
    if matches!(b.get(i), Some(b'.' | b',')) {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            if i - start < 9 {
                nanos = nanos * 10 + u64::from(b[i] - b'0');
            }
            i += 1;
        }
        if i == start {
            return None;
        }
        for _ in (i - start)..9 {
            nanos *= 10;
        }
    }
    // Offset: east of UTC is ahead, so subtract it.
    let offset: i64 = match b.get(i) {
        None => 0,
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(&c @ (b'+' | b'-')) => {
            let oh = num(i + 1..i + 3)?;
            let om = match (b.get(i + 3), b.len() - i) {
                (Some(b':'), 6) => num(i + 4..i + 6)?,
                (_, 5) => num(i + 3..i + 5)?,
                (_, 3) => 0,
                _ => return None,
            };
            if oh > 23 || om > 59 {
                return None;
            }
            let o = (oh * 3600 + om * 60) as i64;
            if c == b'+' {
                o
            } else {
                -o
            }
        }
        _ => return None,
    };
    let secs = (day_secs + h * 3600 + mi * 60 + sec) as i64 - offset;
    let secs = u64::try_from(secs).ok()?;
    Some((Timestamp::from_secs_nanos(secs, nanos), false))
}

fn days_in_month(y: u64, m: u64) -> u64 {
    match m {
        2 => (days_from_civil(y as i64, 3, 1) - days_from_civil(y as i64, 2, 1)) as u64,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Howard Hinnant's `days_from_civil`: (year, month, day) to days since
/// 1970-01-01.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::parse_time;

    fn t(s: &str) -> Option<(String, bool)> {
        parse_time(s).map(|(t, d)| (t.to_string(), d))
    }

    #[test]
    fn times_parse_in_every_accepted_form() {
        let eve = |s: &str| Some((s.to_string(), false));
        assert_eq!(
            t("2026-01-05"),
            Some(("2026-01-05T00:00:00.000000+0000".into(), true))
        );
        assert_eq!(
            t("2026-01-05T08:00:00Z"),
            eve("2026-01-05T08:00:00.000000+0000")
        );
        assert_eq!(
            t("2026-01-05T09:30:00.25+01:00"),
            eve("2026-01-05T08:30:00.250000+0000")
        );
        assert_eq!(
            t("2026-01-05T08:01:59.998600+0000"),
            eve("2026-01-05T08:01:59.998600+0000")
        );
        assert_eq!(
            t("2026-01-05 08:00"),
            eve("2026-01-05T08:00:00.000000+0000")
        );
        assert_eq!(
            t("2024-02-29T23:00-02:00"),
            eve("2024-03-01T01:00:00.000000+0000")
        );
        for bad in [
            "",
            "2026",
            "2026-13-01",
            "2025-02-29",
            "2026-01-05T25:00",
            "2026-01-05T08:00Zx",
            "2026-01-05T08:00:00+1",
            "yesterday",
            "2026-01-05T08:00:00.",
            "1969-12-31",
        ] {
            assert_eq!(t(bad), None, "{bad}");
        }
    }
}
