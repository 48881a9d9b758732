//! How events become rows.

use crate::{err, Result, Store};
use palisade_event::{AlertRecord, FindingRecord, Timestamp};
use rusqlite::{params, OptionalExtension, Transaction};

/// A run as it starts.
#[derive(Clone, Debug, PartialEq)]
pub struct RunInfo {
    /// Which sensor (host name or configured name).
    pub sensor: String,
    /// `scan`, `sensor` or `audit`.
    pub kind: String,
    /// Wall-clock start (RFC 3339).
    pub started_at: String,
    /// The inputs (files, interfaces, targets).
    pub inputs: Vec<String>,
    /// palisade's version.
    pub version: String,
}

/// A run's totals as it ends.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunTotals {
    /// Wall-clock end (RFC 3339).
    pub ended_at: String,
    /// Packet time of the first and last packets.
    pub first_packet: Option<Timestamp>,
    /// Packet time of the last packet.
    pub last_packet: Option<Timestamp>,
    /// Packets read.
    pub packets: u64,
}

/// A device as one run saw it; merged into the store's row of the same
/// key (first seen is the earliest, last seen the latest, traffic totals
/// add up over runs, names and vendor are kept unless a run brings one).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DeviceRow {
    /// `mac:aa:bb:cc:dd:ee:ff` or `ip:10.0.0.5`.
    pub key: String,
    /// MAC address, when keyed by MAC.
    pub mac: Option<String>,
    /// Vendor: the classifier's, else the MAC's registrant.
    pub vendor: Option<String>,
    /// Product (model), as classified.
    pub product: Option<String>,
    /// Device type (camera, nvr, plug, ...), as classified.
    pub device_type: Option<String>,
    /// Firmware version, as classified.
    pub firmware: Option<String>,
    /// A host name.
    pub hostname: Option<String>,
    /// First packet (EVE time).
    pub first_seen: String,
    /// Last packet.
    pub last_seen: String,
    /// Packets sent or received in the run.
    pub pkts: u64,
    /// Bytes sent or received in the run.
    pub bytes: u64,
    /// (address, first seen, last seen).
    pub addresses: Vec<(String, String, String)>,
    /// (kind, value, first seen, last seen, times seen).
    pub fingerprints: Vec<(String, String, String, String, u64)>,
    /// Services it answers on.
    pub services: Vec<ServiceRow>,
    /// Traffic per hour: (hour as EVE time `2026-01-05T08:00:00.000000+0000`,
    /// packets, bytes). Within a run, rows of the same hour add up; across
    /// runs the store keeps each run's rows and readers take the largest per
    /// hour, so re-scanning a capture does not double it (schema migration 2).
    pub traffic: Vec<(String, u64, u64)>,
}

/// A service of a device as one run saw it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServiceRow {
    /// `TCP` or `UDP`.
    pub proto: String,
    /// Port.
    pub port: u16,
    /// Application protocol, when identified.
    pub app_proto: Option<String>,
    /// Banner or server string.
    pub banner: Option<String>,
    /// First seen (EVE time).
    pub first_seen: String,
    /// Last seen.
    pub last_seen: String,
}

/// What makes a finding distinct on its device, from its evidence: the
/// values of the identifying fields present (`service`, `username`,
/// `port`, `server_port`, `weakness`, `cve`, `entry_id`), in that order,
/// `|`-joined. Fields that change from one sighting to the next (client,
/// outcome, times) are left out, so a device polled every minute keeps one
/// row per (service, user) rather than one per poll.
pub fn finding_key(evidence: &serde_json::Value) -> String {
    const FIELDS: [&str; 7] = [
        "service",
        "username",
        "port",
        "server_port",
        "weakness",
        "cve",
        "entry_id",
    ];
    let mut key = String::new();
    for f in FIELDS {
        let v = &evidence[f];
        if v.is_null() {
            continue;
        }
        if !key.is_empty() {
            key.push('|');
        }
        key.push_str(f);
        key.push('=');
        match v.as_str() {
            Some(s) => key.push_str(s),
            None => key.push_str(&v.to_string()),
        }
    }
    key
}

fn meta<'a>(a: &'a AlertRecord, key: &str) -> Option<&'a str> {
    a.signature
        .metadata
        .iter()
        .find(|(k, _)| k == key)
        .and_then(|(_, v)| v.first())
        .map(String::as_str)
}

impl Store {
    /// Records the start of a run; returns its id.
    pub fn begin_run(&mut self, run: &RunInfo) -> Result<i64> {
        let inputs = serde_json::to_string(&run.inputs).unwrap_or_else(|_| "[]".into());
        self.conn()
            .execute(
                "INSERT INTO runs (sensor, kind, started_at, inputs, palisade_version)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![run.sensor, run.kind, run.started_at, inputs, run.version],
            )
            .map_err(|e| err(self.path(), e))?;
        Ok(self.conn().last_insert_rowid())
    }

    /// Records a run's end and totals (alert and finding counts are
    /// counted from the rows written).
    pub fn end_run(&mut self, run_id: i64, t: &RunTotals) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE runs SET ended_at = ?2, first_packet = ?3, last_packet = ?4, packets = ?5,
                    alerts = (SELECT count(*) FROM alerts WHERE run_id = ?1),
                    findings = (SELECT count(*) FROM findings WHERE last_run = ?1)
                 WHERE id = ?1",
                params![
                    run_id,
                    t.ended_at,
                    t.first_packet.map(|t| t.to_string()),
                    t.last_packet.map(|t| t.to_string()),
                    t.packets as i64
                ],
            )
            .map_err(|e| err(self.path(), e))?;
        Ok(())
    }

    /// Writes `ops` in one transaction.
    pub fn write_batch(&mut self, run_id: i64, ops: &[crate::StoreOp]) -> Result<()> {
        let path = self.path().to_path_buf();
        let tx = self.conn_mut().transaction().map_err(|e| err(&path, e))?;
        for op in ops {
            let r = match op {
                crate::StoreOp::Alert(a) => alert(&tx, run_id, a),
                crate::StoreOp::Finding(f) => finding(&tx, run_id, f),
                crate::StoreOp::Device(d) => device(&tx, run_id, d),
            };
            r.map_err(|e| err(&path, e))?;
        }
        tx.commit().map_err(|e| err(&path, e))
    }
}

/// An alert row, and its incident's row when it belongs to one.
fn alert(tx: &Transaction<'_>, run_id: i64, a: &AlertRecord) -> rusqlite::Result<()> {
    let s = &a.signature;
    let ts = a.timestamp.to_string();
    let class = meta(a, "palisade_class");
    let detector = meta(a, "palisade_detector");
    let phase = meta(a, "palisade_incident_phase");
    let metadata: serde_json::Map<String, serde_json::Value> = s
        .metadata
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::json!(v)))
        .collect();
    let metadata = serde_json::Value::Object(metadata).to_string();
    let src = a.tuple.src_ip.to_string();
    let dst = a.tuple.dest_ip.to_string();
    let incident: Option<i64> =
        match meta(a, "palisade_incident").and_then(|v| v.parse::<i64>().ok()) {
            Some(pid) => {
                let state = if phase == Some("end") {
                    "ended"
                } else {
                    "open"
                };
                tx.execute(
                "INSERT INTO incidents (run_id, palisade_incident, class, detector, sid, signature,
                     severity, src_ip, dest_ip, first_ts, last_ts, state, alerts, evidence)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11, 1, ?12)
                 ON CONFLICT (run_id, palisade_incident) DO UPDATE SET
                     last_ts = max(last_ts, excluded.last_ts),
                     severity = min(severity, excluded.severity),
                     state = CASE WHEN state = 'ended' THEN 'ended' ELSE excluded.state END,
                     alerts = alerts + 1,
                     evidence = excluded.evidence",
                params![
                    run_id,
                    pid,
                    class,
                    detector,
                    s.signature_id,
                    s.signature,
                    s.severity,
                    src,
                    dst,
                    ts,
                    state,
                    metadata
                ],
            )?;
                tx.query_row(
                    "SELECT id FROM incidents WHERE run_id = ?1 AND palisade_incident = ?2",
                    params![run_id, pid],
                    |r| r.get(0),
                )
                .optional()?
            }
            None => None,
        };
    tx.execute(
        "INSERT INTO alerts (run_id, ts, gid, sid, rev, signature, category, severity, class,
             detector, incident, phase, src_ip, src_port, dest_ip, dest_port, proto, app_proto,
             flow_id, metadata)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
             ?19, ?20)",
        params![
            run_id,
            ts,
            s.gid,
            s.signature_id,
            s.rev,
            s.signature,
            s.category,
            s.severity,
            class,
            detector,
            incident,
            phase,
            src,
            a.tuple.src_port,
            dst,
            a.tuple.dest_port,
            a.tuple.proto,
            a.app_proto,
            a.flow_id.map(|f| f as i64),
            metadata
        ],
    )?;
    Ok(())
}

/// A finding: a new row, or the existing (class, device, key) row updated
/// (last seen, count, highest severity, latest evidence).
fn finding(tx: &Transaction<'_>, run_id: i64, f: &FindingRecord) -> rusqlite::Result<()> {
    let ts = f.timestamp.to_string();
    tx.execute(
        "INSERT INTO findings (class, device_ip, key, severity, first_seen, last_seen, seen,
             first_run, last_run, flow_id, evidence, remediation)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5, 1, ?6, ?6, ?7, ?8, ?9)
         ON CONFLICT (class, device_ip, key) DO UPDATE SET
             severity = min(severity, excluded.severity),
             first_seen = min(first_seen, excluded.first_seen),
             last_seen = max(last_seen, excluded.last_seen),
             seen = seen + 1,
             last_run = excluded.last_run,
             flow_id = excluded.flow_id,
             evidence = excluded.evidence,
             remediation = excluded.remediation",
        params![
            f.class,
            f.device.to_string(),
            finding_key(&f.evidence),
            f.severity,
            ts,
            run_id,
            f.flow_id.map(|x| x as i64),
            f.evidence.to_string(),
            f.remediation.as_ref()
        ],
    )?;
    Ok(())
}

/// A device row (merged by key) and its addresses, fingerprints and
/// services (merged by their keys), and its traffic per hour (this run's
/// rows, added to).
fn device(tx: &Transaction<'_>, run_id: i64, d: &DeviceRow) -> rusqlite::Result<()> {
    tx.execute(
        // What a device is (vendor, product, type, firmware, name) is
        // taken from the run that saw it last: a later scan of an older
        // capture does not undo a firmware update.
        "INSERT INTO devices (key, mac, vendor, product, device_type, firmware, hostname,
                              first_seen, last_seen, pkts, bytes)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT (key) DO UPDATE SET
             mac = coalesce(excluded.mac, mac),
             vendor = CASE WHEN excluded.vendor IS NOT NULL AND excluded.last_seen >= last_seen
                           THEN excluded.vendor ELSE coalesce(vendor, excluded.vendor) END,
             product = CASE WHEN excluded.product IS NOT NULL AND excluded.last_seen >= last_seen
                           THEN excluded.product ELSE coalesce(product, excluded.product) END,
             device_type = CASE WHEN excluded.device_type IS NOT NULL AND excluded.last_seen >= last_seen
                           THEN excluded.device_type ELSE coalesce(device_type, excluded.device_type) END,
             firmware = CASE WHEN excluded.firmware IS NOT NULL AND excluded.last_seen >= last_seen
                           THEN excluded.firmware ELSE coalesce(firmware, excluded.firmware) END,
             hostname = CASE WHEN excluded.hostname IS NOT NULL AND excluded.last_seen >= last_seen
                           THEN excluded.hostname ELSE coalesce(hostname, excluded.hostname) END,
             first_seen = min(first_seen, excluded.first_seen),
             last_seen = max(last_seen, excluded.last_seen),
             pkts = pkts + excluded.pkts,
             bytes = bytes + excluded.bytes",
        params![
            d.key,
            d.mac,
            d.vendor,
            d.product,
            d.device_type,
            d.firmware,
            d.hostname,
            d.first_seen,
            d.last_seen,
            d.pkts as i64,
            d.bytes as i64
        ],
    )?;
    let id: i64 = tx.query_row(
        "SELECT id FROM devices WHERE key = ?1",
        params![d.key],
        |r| r.get(0),
    )?;
    for (ip, first, last) in &d.addresses {
        tx.execute(
            "INSERT INTO device_addresses (device_id, ip, first_seen, last_seen)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (device_id, ip) DO UPDATE SET
                 first_seen = min(first_seen, excluded.first_seen),
                 last_seen = max(last_seen, excluded.last_seen)",
            params![id, ip, first, last],
        )?;
    }
    for (kind, value, first, last, seen) in &d.fingerprints {
        tx.execute(
            "INSERT INTO fingerprints (device_id, kind, value, first_seen, last_seen, seen)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (device_id, kind, value) DO UPDATE SET
                 first_seen = min(first_seen, excluded.first_seen),
                 last_seen = max(last_seen, excluded.last_seen),
                 seen = seen + excluded.seen",
            params![id, kind, value, first, last, *seen as i64],
        )?;
    }
    for s in &d.services {
        tx.execute(
            "INSERT INTO services (device_id, proto, port, app_proto, banner, first_seen, last_seen)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (device_id, proto, port) DO UPDATE SET
                 app_proto = coalesce(excluded.app_proto, app_proto),
                 banner = coalesce(excluded.banner, banner),
                 first_seen = min(first_seen, excluded.first_seen),
                 last_seen = max(last_seen, excluded.last_seen)",
            params![
                id,
                s.proto,
                s.port,
                s.app_proto,
                s.banner,
                s.first_seen,
                s.last_seen
            ],
        )?;
    }
    for (hour, pkts, bytes) in &d.traffic {
        tx.execute(
            "INSERT INTO device_traffic (device_id, hour, run_id, pkts, bytes)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (device_id, hour, run_id) DO UPDATE SET
                 pkts = pkts + excluded.pkts,
                 bytes = bytes + excluded.bytes",
            params![id, hour, run_id, *pkts as i64, *bytes as i64],
        )?;
    }
    Ok(())
}
