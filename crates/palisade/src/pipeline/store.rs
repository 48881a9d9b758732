//! The SQLite store as a sink of a scan: opened before the first packet,
//! fed alerts and findings by the output thread (the same events the EVE
//! file gets, whatever `--eve-types` says), finished after the last.

use anyhow::Context;
use palisade_event::Timestamp;
use palisade_store::{RunInfo, RunTotals, Store, StoreWriter, WriterStats};
use std::path::{Path, PathBuf};

/// What went into the store.
#[derive(Clone, Debug)]
pub struct StoreSummary {
    /// The file.
    pub path: PathBuf,
    /// The run's id in it.
    pub run_id: i64,
    /// What the writer did.
    pub stats: WriterStats,
}

/// Wall-clock now, EVE format.
fn now() -> String {
    let ns = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    Timestamp::from_nanos(ns).to_string()
}

/// This sensor's name: the host name, else `palisade`.
pub fn sensor_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "palisade".into())
}

/// Opens the store at `path` and starts a run of `kind` (`scan`,
/// `sensor`) over `inputs` (files, or interfaces and mirrors).
pub fn start(path: &Path, kind: &str, inputs: &[String]) -> anyhow::Result<StoreWriter> {
    let store =
        Store::open(path).with_context(|| format!("opening the store {}", path.display()))?;
    StoreWriter::start(
        store,
        &RunInfo {
            sensor: sensor_name(),
            kind: kind.into(),
            started_at: now(),
            inputs: inputs.to_vec(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
    )
    .with_context(|| format!("starting a run in the store {}", path.display()))
}

/// Waits for the writer and records the run's totals.
pub fn finish(
    w: StoreWriter,
    path: &Path,
    packets: u64,
    span: Option<(Timestamp, Timestamp)>,
) -> anyhow::Result<StoreSummary> {
    let run_id = w.run_id();
    let (_, stats) = w
        .finish(&RunTotals {
            ended_at: now(),
            first_packet: span.map(|s| s.0),
            last_packet: span.map(|s| s.1),
            packets,
        })
        .with_context(|| format!("writing the store {}", path.display()))?;
    Ok(StoreSummary {
        path: path.to_path_buf(),
        run_id,
        stats,
    })
}

/// The inventory's view of a packet summary.
pub fn packet_facts(p: &palisade_detectors::PacketObs) -> palisade_fleet::PacketFacts {
    palisade_fleet::PacketFacts {
        ts: p.ts,
        src: p.src,
        dst: p.dst,
        macs: p.macs,
        proto: p.proto,
        sport: p.sport,
        dport: p.dport,
        tcp_flags: p.tcp_flags,
        len: p.len,
    }
}

/// A device of the inventory, and what the classifier made of it, as a
/// store row. The MAC's registrant stays a fingerprint (`oui.vendor`)
/// when the classifier names another vendor (a Shelly plug's Wi-Fi module
/// is Espressif's).
pub fn device_row(
    d: &palisade_fleet::Device,
    c: &palisade_fleet::classify::Classification,
) -> palisade_store::DeviceRow {
    use palisade_fleet::classify::Field;
    use palisade_fleet::DeviceKey;
    let t = |t: Timestamp| t.to_string();
    let field = |f: Field| c.get(f).map(str::to_string);
    let oui = d.vendor.map(|v| {
        (
            "oui.vendor".to_string(),
            v.to_string(),
            t(d.first_seen),
            t(d.last_seen),
            1,
        )
    });
    palisade_store::DeviceRow {
        key: d.key.to_string(),
        mac: match d.key {
            DeviceKey::Mac(m) => Some(palisade_fleet::inventory::mac_string(m)),
            DeviceKey::Ip(_) => None,
        },
        vendor: field(Field::Vendor).or_else(|| d.vendor.map(str::to_string)),
        product: field(Field::Product),
        device_type: field(Field::DeviceType),
        firmware: field(Field::Firmware),
        hostname: d.hostnames.first().cloned(),
        first_seen: t(d.first_seen),
        last_seen: t(d.last_seen),
        pkts: d.pkts,
        bytes: d.bytes,
        addresses: d
            .addresses
            .iter()
            .map(|(ip, a, b)| (ip.to_string(), t(*a), t(*b)))
            .collect(),
        fingerprints: d
            .fingerprints
            .iter()
            .map(|f| {
                (
                    f.kind.to_string(),
                    f.value.clone(),
                    t(f.first_seen),
                    t(f.last_seen),
                    f.seen,
                )
            })
            .chain(oui)
            .collect(),
        services: d
            .services
            .iter()
            .map(|s| palisade_store::ServiceRow {
                proto: if s.proto == 6 { "TCP" } else { "UDP" }.to_string(),
                port: s.port,
                app_proto: s.app_proto.clone(),
                banner: s.banner.clone(),
                first_seen: t(s.first_seen),
                last_seen: t(s.last_seen),
            })
            .collect(),
        traffic: d
            .traffic
            .iter()
            .map(|&(h, pkts, bytes)| (t(palisade_fleet::Device::hour_start(h)), pkts, bytes))
            .collect(),
    }
}
