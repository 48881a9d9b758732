//! Reads: what reports, the fleet view and tests ask of the store.

use crate::{err, Result, Store};
use rusqlite::params;

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
    /// Evidence (JSON), the latest.
    pub evidence: String,
    /// What to do.
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
        let mut st = self
            .conn()
            .prepare(
                "SELECT class, device_ip, key, severity, seen, first_seen, last_seen, first_run,
                        last_run, evidence, remediation
                 FROM findings ORDER BY severity, class, device_ip, key",
            )
            .map_err(|e| err(self.path(), e))?;
        let rows = st
            .query_map([], |r| {
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
                    evidence: r.get(9)?,
                    remediation: r.get(10)?,
                })
            })
            .map_err(|e| err(self.path(), e))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(|e| err(self.path(), e))
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
