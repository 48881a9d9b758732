//! `palisade devices` and `palisade findings`: the store, read back.

use crate::cli::{Format, StoreQueryArgs};
use anyhow::Context;
use palisade_store::Store;
use std::process::ExitCode;

fn open(args: &StoreQueryArgs) -> anyhow::Result<Store> {
    if !args.db.exists() {
        anyhow::bail!(
            "no store at {} (run `palisade scan` first, or name one with --db)",
            args.db.display()
        );
    }
    Store::open(&args.db).with_context(|| format!("opening {}", args.db.display()))
}

/// `palisade devices`
pub fn devices(args: StoreQueryArgs) -> anyhow::Result<ExitCode> {
    let store = open(&args)?;
    let vendor = args.vendor.as_ref().map(|v| v.to_ascii_lowercase());
    let list: Vec<_> = store
        .devices()?
        .into_iter()
        .filter(|d| {
            args.device
                .as_ref()
                .is_none_or(|ip| d.addresses.contains(ip))
        })
        .filter(|d| {
            vendor.as_ref().is_none_or(|v| {
                d.vendor
                    .as_deref()
                    .is_some_and(|x| x.to_ascii_lowercase().contains(v))
            })
        })
        .collect();
    match args.format {
        Format::Json => {
            let v: Vec<_> = list
                .iter()
                .map(|d| {
                    serde_json::json!({
                        "key": d.key, "vendor": d.vendor, "product": d.product,
                        "device_type": d.device_type, "firmware": d.firmware,
                        "hostname": d.hostname,
                        "addresses": d.addresses, "services": d.services,
                        "fingerprints": d.fingerprints, "pkts": d.pkts,
                    })
                })
                .collect();
            println!("{}", serde_json::Value::Array(v));
        }
        Format::Text => {
            println!(
                "{:<24} {:<16} {:<20} {:<11} {:<28} {:<22} {:>10}  services",
                "device", "address", "vendor", "type", "product", "firmware", "packets"
            );
            for d in &list {
                let dash = |x: &Option<String>, n| clip(x.as_deref().unwrap_or("-"), n);
                println!(
                    "{:<24} {:<16} {:<20} {:<11} {:<28} {:<22} {:>10}  {}",
                    d.key,
                    d.addresses.last().map_or("-", String::as_str),
                    dash(&d.vendor, 20),
                    dash(&d.device_type, 11),
                    dash(&d.product, 28),
                    dash(&d.firmware, 22),
                    d.pkts,
                    d.services.join(", ")
                );
            }
            println!("{} devices", list.len());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `palisade findings`
pub fn findings(args: StoreQueryArgs) -> anyhow::Result<ExitCode> {
    let store = open(&args)?;
    let list: Vec<_> = store
        .findings()?
        .into_iter()
        .filter(|f| args.device.as_ref().is_none_or(|ip| &f.device_ip == ip))
        .filter(|f| args.class.as_ref().is_none_or(|c| &f.class == c))
        .filter(|f| args.severity.is_none_or(|s| f.severity <= s))
        .collect();
    match args.format {
        Format::Json => {
            let v: Vec<_> = list
                .iter()
                .map(|f| {
                    serde_json::json!({
                        "class": f.class, "device": f.device_ip, "key": f.key,
                        "severity": f.severity, "seen": f.seen,
                        "first_seen": f.first_seen, "last_seen": f.last_seen,
                        "evidence": serde_json::from_str::<serde_json::Value>(&f.evidence)
                            .unwrap_or(serde_json::Value::Null),
                        "remediation": f.remediation,
                    })
                })
                .collect();
            println!("{}", serde_json::Value::Array(v));
        }
        Format::Text => {
            println!(
                "{:>3}  {:<22} {:<16} {:>5}  what",
                "sev", "class", "device", "seen"
            );
            for f in &list {
                println!(
                    "{:>3}  {:<22} {:<16} {:>5}  {}",
                    f.severity, f.class, f.device_ip, f.seen, f.key
                );
            }
            println!("{} findings", list.len());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `s` cut to `n` characters.
fn clip(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}
