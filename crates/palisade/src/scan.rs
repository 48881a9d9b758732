//! `palisade scan`: options to pipeline, pipeline to summary and exit code.

use crate::cli::{Format, ScanArgs};
use anyhow::{Context, Result};
use palisade::config::Config;
use palisade::pipeline::{self, ScanOptions, ScanReport};
use serde_json::json;
use std::io::IsTerminal;
use std::process::ExitCode;

/// Exit status when an input was bad but everything else worked.
pub const EXIT_INPUT_ERROR: u8 = 2;

pub fn run(args: ScanArgs) -> Result<ExitCode> {
    let config = run_config(&args.run)?;
    let threads = threads(args.run.threads, &config);
    let eve = prepare_output(&args.run.output_dir, args.run.eve.as_ref())?;
    let (detect, load) = load_rules(
        &config,
        &args.run.rules,
        args.run.no_builtin_rules,
        args.run.strict_rules,
    )?;
    let eve_control = pipeline::output::EveControl::from_config(&config.output);
    let report = pipeline::run(ScanOptions {
        inputs: args.inputs.clone(),
        eve: eve.clone(),
        threads,
        config,
        rule_updates: None,
        eve_control,
        progress: !args.run.quiet && std::io::stderr().is_terminal(),
        detect,
        store: (!args.run.no_db).then(|| {
            args.run
                .db
                .clone()
                .unwrap_or_else(|| args.run.output_dir.join("palisade.db"))
        }),
        live: None,
        metrics: None,
    })?;
    if !args.run.quiet {
        match args.run.format {
            Format::Text => print_text(&report, &eve, &load),
            Format::Json => println!("{}", summary_json(&report, &eve, &load)),
        }
    }
    Ok(if report.input_errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_INPUT_ERROR)
    })
}

/// The configuration with `--set` overrides and `--eve-types` (shared by
/// `scan` and `sensor`).
/// The configuration of a `scan` or `sensor` run: file, `--set`,
/// `--eve-types`, `--checksum-checks`.
pub fn run_config(run: &crate::cli::RunArgs) -> Result<Config> {
    let mut config = load_config(run.config.as_deref(), &run.set, &run.eve_types)?;
    if let Some(mode) = run.checksum_checks {
        config.decoder.checksum_checks = mode;
    }
    Ok(config)
}

pub fn load_config(
    file: Option<&std::path::Path>,
    set: &[String],
    eve_types: &[String],
) -> Result<Config> {
    let config = Config::load(file, set)?;
    if eve_types.is_empty() {
        return Ok(config);
    }
    let mut sets = set.to_vec();
    let list = eve_types
        .iter()
        .map(|t| format!("\"{}\"", t.trim()))
        .collect::<Vec<_>>()
        .join(",");
    sets.push(format!("output.eve_types=[{list}]"));
    Config::load(file, &sets).context("--eve-types")
}

/// Worker threads: `--threads`, else `runtime.threads`, else one per core.
pub fn threads(arg: Option<usize>, config: &Config) -> usize {
    arg.or((config.runtime.threads > 0).then_some(config.runtime.threads))
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Creates the output directory; returns the EVE path.
pub fn prepare_output(
    output_dir: &std::path::Path,
    eve: Option<&std::path::PathBuf>,
) -> Result<std::path::PathBuf> {
    std::fs::create_dir_all(output_dir)
        .with_context(|| format!("creating output directory {}", output_dir.display()))?;
    Ok(eve.cloned().unwrap_or_else(|| output_dir.join("eve.json")))
}

/// Loads the rules (`--rules`, the built-in set); `None` when there are
/// none.
pub fn load_rules(
    config: &Config,
    paths: &[std::path::PathBuf],
    no_builtin: bool,
    strict: bool,
) -> Result<(
    Option<std::sync::Arc<pipeline::detect::DetectShared>>,
    palisade_detect::LoadReport,
)> {
    let rule_opts = palisade::rules::RuleOptions {
        paths: paths.to_vec(),
        builtin: !(no_builtin || config.rules.no_builtin),
    };
    let (rules, load) = palisade::rules::load(config, &rule_opts)?;
    if (strict || config.rules.strict) && !load.failures.is_empty() {
        anyhow::bail!(
            "{} rule(s) failed to load (--strict-rules); first: {}:{}: {}",
            load.failures.len(),
            load.failures[0].file,
            load.failures[0].line,
            load.failures[0].reason
        );
    }
    let detect = (!rules.is_empty()).then(|| {
        std::sync::Arc::new(pipeline::detect::DetectShared::new(
            std::sync::Arc::new(rules),
            config.output.alert_payload,
            false,
        ))
    });
    Ok((detect, load))
}

fn rate(n: u64, secs: f64) -> f64 {
    n as f64 / secs.max(1e-9)
}

fn summary_json(
    r: &ScanReport,
    eve: &std::path::Path,
    load: &palisade_detect::LoadReport,
) -> serde_json::Value {
    let secs = r.elapsed.as_secs_f64();
    json!({
        "inputs": r.inputs,
        "input_errors": r.input_errors,
        "skipped": r.skipped,
        "packets": r.packets,
        "bytes": r.bytes,
        "flows": r.flows,
        "flows_by_proto": {
            "tcp": r.engine.flow.tcp, "udp": r.engine.flow.udp,
            "icmpv4": r.engine.flow.icmpv4, "icmpv6": r.engine.flow.icmpv6,
            "other": r.engine.flow.other,
        },
        "anomalies": r.anomalies,
        "rules_loaded": load.loaded,
        "rules_failed": load.failures.len(),
        "alerts": r.alerts,
        "alerts_by_signature": r.alerts_by_signature.iter().map(|(gid, sid, msg, n)| json!({"gid": gid, "sid": sid, "signature": msg, "count": n})).collect::<Vec<_>>(),
        "eve": eve,
        "capture": r.capture,
        "eve_records": r.written.records,
        "devices": r.written.devices,
        "store": r.store.as_ref().map(|s| json!({
            "path": s.path, "run_id": s.run_id, "events": s.stats.stored,
            "transactions": s.stats.transactions,
        })),
        "threads": r.threads,
        "elapsed_seconds": secs,
        "packets_per_second": rate(r.packets, secs),
        "gbit_per_second": rate(r.bytes * 8, secs) / 1e9,
        "checksums_validated": r.checksums_validated,
        "first_packet": r.span.map(|s| s.0.to_string()),
        "last_packet": r.span.map(|s| s.1.to_string()),
    })
}

fn print_text(r: &ScanReport, eve: &std::path::Path, load: &palisade_detect::LoadReport) {
    let secs = r.elapsed.as_secs_f64();
    let e = &r.engine;
    println!(
        "palisade scan: {} input(s), {} thread(s)",
        r.inputs.len(),
        r.threads
    );
    if let Some((a, b)) = r.span {
        println!("  packet time   {a} .. {b}");
    }
    println!(
        "  packets       {} ({:.1} MB)",
        r.packets,
        r.bytes as f64 / 1e6
    );
    println!(
        "  flows         {} (tcp {}, udp {}, icmp {}, other {})",
        r.flows,
        e.flow.tcp,
        e.flow.udp,
        e.flow.icmpv4 + e.flow.icmpv6,
        e.flow.other
    );
    println!(
        "  tcp           {} sessions, {} bytes reassembled, {} gaps, {} overlaps ({} with different data)",
        e.tcp.sessions,
        e.reassembly.reassembled_bytes,
        e.reassembly.reassembly_gap,
        e.reassembly.overlap,
        e.reassembly.overlap_diff_data
    );
    println!(
        "  fragments     {} reassembled of {} received",
        e.defrag.ipv4_reassembled + e.defrag.ipv6_reassembled,
        e.defrag.ipv4_fragments + e.defrag.ipv6_fragments
    );
    println!("  anomalies     {}", r.anomalies);
    if let Some(a) = &r.app {
        let mut parts: Vec<String> = a
            .flows
            .iter()
            .map(|(p, n)| format!("{p} {n}/{}", a.txs.get(p).copied().unwrap_or(0)))
            .collect();
        parts.push(format!("unknown {}", a.unknown_flows));
        println!(
            "  app-layer     {} records; flows/transactions: {}",
            r.app_records,
            parts.join(", ")
        );
    }
    println!(
        "  rules         {} loaded, {} failed (see warnings)",
        load.loaded,
        load.failures.len()
    );
    println!("  alerts        {}", r.alerts);
    for (gid, sid, msg, n) in r.alerts_by_signature.iter().take(20) {
        println!("    {n:>8}  [{gid}:{sid}] {msg}");
    }
    if r.alerts_by_signature.len() > 20 {
        println!(
            "    ... {} more signatures",
            r.alerts_by_signature.len() - 20
        );
    }
    if r.detectors_on {
        println!(
            "  detectors     {} alerts, {} findings",
            r.written.detector_alerts, r.written.findings
        );
        let mut by: Vec<_> = r.written.detector_alerts_by_sid.iter().collect();
        by.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for ((sid, msg), n) in by.iter().take(20) {
            println!("    {n:>8}  [1:{sid}] {msg}");
        }
    }
    if let Some(n) = r.written.devices {
        println!(
            "  inventory     {n} devices{}",
            if r.written.devices_dropped > 0 {
                format!(
                    " ({} more not kept: inventory.max_devices)",
                    r.written.devices_dropped
                )
            } else {
                String::new()
            }
        );
        if r.written.traffic_hours_dropped > 0 {
            println!(
                "                {} device-hours of traffic not kept (oldest first: \
                 inventory.max_traffic_hours)",
                r.written.traffic_hours_dropped
            );
        }
    }
    if let Some(s) = &r.store {
        println!(
            "  store         {} (run {}, {} rows: alerts, findings, devices)",
            s.path.display(),
            s.run_id,
            s.stats.stored
        );
    }
    if e.flow.memcap_evictions > 0 {
        println!(
            "  flow memcap   {} flows evicted early",
            e.flow.memcap_evictions
        );
    }
    println!(
        "  throughput    {:.0} packets/s, {:.2} Gbit/s in {:.2} s{}",
        rate(r.packets, secs),
        rate(r.bytes * 8, secs) / 1e9,
        secs,
        if r.checksums_validated {
            ""
        } else {
            " (checksum validation off)"
        }
    );
    println!(
        "  EVE           {} ({} records)",
        eve.display(),
        r.written.records
    );
    for s in &r.skipped {
        println!("  skipped       {} (not a capture)", s.display());
    }
    for err in &r.input_errors {
        println!("  INPUT ERROR   {err}");
    }
}
