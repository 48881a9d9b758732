//! `palisade devices`, `palisade findings`, `palisade alerts` and
//! `palisade report`: the store, read back.

use crate::cli::{AlertsArgs, Format, ReportArgs, ReportFormat, StoreQueryArgs};
use anyhow::Context;
use palisade_store::Store;
use std::process::ExitCode;

fn open(args: &StoreQueryArgs) -> anyhow::Result<Store> {
    open_db(&args.db)
}

fn open_db(db: &std::path::Path) -> anyhow::Result<Store> {
    if !db.exists() {
        anyhow::bail!(
            "no store at {} (run `palisade scan` first, or name one with --db)",
            db.display()
        );
    }
    Store::open(db).with_context(|| format!("opening {}", db.display()))
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
    let list = store.findings_where(&palisade_store::query::FindingFilter {
        device: args.device.clone(),
        class: args.class.clone(),
        severity: args.severity,
        since: time_opt("--since", &args.since, false)?,
        until: time_opt("--until", &args.until, true)?,
    })?;
    match args.format {
        Format::Json => {
            let v: Vec<_> = list
                .iter()
                .map(|f| {
                    serde_json::json!({
                        "class": f.class, "device": f.device_ip, "key": f.key,
                        "severity": f.severity, "seen": f.seen,
                        "first_seen": f.first_seen, "last_seen": f.last_seen,
                        "evidence": f.evidence, "remediation": f.remediation,
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

/// An optional `--since` / `--until` value.
fn time_opt(
    flag: &str,
    s: &Option<String>,
    until: bool,
) -> anyhow::Result<Option<palisade_event::Timestamp>> {
    s.as_deref().map(|s| time_arg(flag, s, until)).transpose()
}

/// A `--since` / `--until` value; a date alone as `--until` means through
/// that day.
fn time_arg(flag: &str, s: &str, until: bool) -> anyhow::Result<palisade_event::Timestamp> {
    let (t, date_only) = palisade_store::query::parse_time(s).with_context(|| {
        format!(
            "{flag} {s:?}: not a time (2026-01-05, 2026-01-05T08:00:00Z, \
             2026-01-05T09:00:00+01:00 or an EVE time)"
        )
    })?;
    Ok(if until && date_only {
        t.add_secs(86_400)
    } else {
        t
    })
}

/// `palisade alerts`
pub fn alerts(args: AlertsArgs) -> anyhow::Result<ExitCode> {
    let store = open_db(&args.db)?;
    let filter = palisade_store::query::AlertFilter {
        device: args.device.clone(),
        class: args.class.as_ref().map(|c| {
            if c == "rule" {
                String::new()
            } else {
                c.clone()
            }
        }),
        severity: args.severity,
        since: time_opt("--since", &args.since, false)?,
        until: time_opt("--until", &args.until, true)?,
        limit: (args.limit > 0).then_some(args.limit),
    };
    let list = store.alerts(&filter)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    use std::io::Write;
    match args.format {
        Format::Json => {
            for a in &list {
                let v = serde_json::json!({
                    "timestamp": a.ts, "run": a.run_id,
                    "src_ip": a.src_ip, "src_port": a.src_port,
                    "dest_ip": a.dest_ip, "dest_port": a.dest_port, "proto": a.proto,
                    "app_proto": a.app_proto, "flow_id": a.flow_id,
                    "class": a.class, "detector": a.detector, "phase": a.phase,
                    "incident": a.incident,
                    "alert": {
                        "gid": a.gid, "signature_id": a.sid, "rev": a.rev,
                        "signature": a.signature, "category": a.category,
                        "severity": a.severity, "metadata": a.metadata,
                    },
                });
                writeln!(out, "{v}")?;
            }
        }
        Format::Text => {
            writeln!(
                out,
                "{:<26} {:>3} {:<20} {:<22} {:<22} signature",
                "time", "sev", "class", "source", "destination"
            )?;
            for a in &list {
                let end = |ip: &str, port: Option<u16>| match port {
                    Some(p) => format!("{ip}:{p}"),
                    None => ip.to_string(),
                };
                writeln!(
                    out,
                    "{:<26} {:>3} {:<20} {:<22} {:<22} {}",
                    a.ts.get(..26).unwrap_or(&a.ts),
                    a.severity,
                    clip(
                        palisade::report::classes::label(a.class.as_deref().unwrap_or("")),
                        20
                    ),
                    end(&a.src_ip, a.src_port),
                    end(&a.dest_ip, a.dest_port),
                    // Signatures may quote traffic: no control characters
                    // reach the terminal.
                    printable(&clip(&a.signature, 100))
                )?;
            }
            writeln!(out, "{} alerts", list.len())?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `palisade report`
pub fn report(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let out = match (&args.out, args.format) {
        (Some(p), _) if p.as_os_str() == "-" => None,
        (Some(p), _) => Some(p.clone()),
        (None, ReportFormat::Html) => {
            anyhow::bail!("an HTML report needs --out FILE (or --out - for stdout)")
        }
        (None, _) => None,
    };
    let store = open_db(&args.db)?;
    let r = palisade::report::Report::build(&store)?;
    let text = match args.format {
        ReportFormat::Html => palisade::report::html::render(&r),
        ReportFormat::Md => palisade::report::markdown::render(&r),
        ReportFormat::Json => serde_json::to_string_pretty(&r)? + "\n",
    };
    match out {
        Some(p) => std::fs::write(&p, text).with_context(|| format!("writing {}", p.display()))?,
        None => {
            use std::io::Write;
            std::io::stdout().lock().write_all(text.as_bytes())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `s` with control characters replaced (terminal escapes from traffic).
fn printable(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect()
}

/// `s` cut to `n` characters.
fn clip(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}
