//! `palisade sensor`: live sources through the scan pipeline until SIGINT or
//! SIGTERM.
//!
//! The options are `scan`'s (configuration, rules, outputs, store) with
//! `--interface` and `--mirror` instead of capture files. Every source is
//! opened before anything runs, so a missing interface or a taken port is an
//! error at start, not a silent sensor. A signal sets the stop flag: the
//! readers stop, the pipeline drains what they queued, ends every flow with
//! reason `shutdown`, completes the EVE file and finishes the store run; a
//! second signal while that runs exits at once (status 1).
//!
//! SIGHUP reloads without a restart and without losing a flow: the
//! configuration file and the rule files are read again and a new rule set
//! is built on a thread aside, then handed to the workers in order with the
//! packets ([`pipeline::detect::RuleSlot`]); a flow's detection state
//! carries over. A reload that fails (unreadable or invalid configuration,
//! a rule that failed to load and did not fail before) keeps the running
//! set and logs why. What is reloaded: `[vars]`, the rule files, the
//! threshold and classification files, `output.alert_payload`; other
//! changed keys are logged as needing a restart. SIGHUP also reopens the
//! EVE file (for logrotate).

use crate::cli::{Format, SensorArgs};
use crate::scan::{load_config, load_rules, prepare_output, run_config, threads, EXIT_INPUT_ERROR};
use anyhow::{Context, Result};
use palisade::pipeline::{self, feed::LiveFeed, ScanOptions, ScanReport};
use palisade_live::{AfPacketConfig, SourceSpec};
use serde_json::json;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

pub fn run(args: SensorArgs) -> Result<ExitCode> {
    let mut specs = Vec::new();
    for i in &args.interfaces {
        specs.push(SourceSpec::interface(i).map_err(|e| anyhow::anyhow!("--interface: {e}"))?);
    }
    for m in &args.mirrors {
        specs.push(SourceSpec::mirror(m).map_err(|e| anyhow::anyhow!("--mirror: {e}"))?);
    }
    if specs.is_empty() {
        anyhow::bail!("no source: give --interface IF and/or --mirror URL (see --help)");
    }
    let mut config = run_config(&args.run)?;
    if let Some(f) = &args.bpf {
        config.live.bpf = f.clone();
    }
    if args.no_promisc {
        config.live.promiscuous = false;
    }
    let ring = ring_config(&config.live)?;
    if let Some(dir) = &args.capture_dir {
        config.capture.dir = dir.display().to_string();
    }
    let threads = threads(args.run.threads, &config);
    let eve = prepare_output(&args.run.output_dir, args.run.eve.as_ref())?;
    let (detect, load) = load_rules(
        &config,
        &args.run.rules,
        args.run.no_builtin_rules,
        args.run.strict_rules,
    )?;
    let mut eve_control = pipeline::output::EveControl::from_config(&config.output);
    eve_control.append = true;
    let rule_updates = Arc::new(pipeline::detect::RuleSlot::default());

    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // The first signal sets `stop`; a second one (stop already set)
        // exits at once, for a shutdown that hangs.
        signal_hook::flag::register_conditional_shutdown(sig, 1, stop.clone())
            .context("installing signal handlers")?;
        signal_hook::flag::register(sig, stop.clone()).context("installing signal handlers")?;
    }
    let (metrics, metrics_server) = start_metrics(&args, &config, load.loaded)?;
    start_reloader(
        &args,
        &config,
        &load,
        Reload {
            slot: rule_updates.clone(),
            eve: eve_control.clone(),
            metrics: metrics.clone(),
        },
    )?;
    let live = LiveFeed::start_with(&specs, &ring, stop, metrics.clone())?;
    tracing::info!(
        sources = %live.names().join(","),
        threads,
        rules = load.loaded,
        eve = %eve.display(),
        metrics = metrics_server.as_ref().map(|s| s.local_addr().to_string()).unwrap_or_default(),
        "sensor started"
    );
    if !args.run.quiet {
        eprintln!(
            "palisade sensor: reading {} ({} thread(s)); SIGINT or SIGTERM stops",
            live.names().join(", "),
            threads
        );
    }
    let report = pipeline::run(ScanOptions {
        inputs: Vec::new(),
        eve: eve.clone(),
        threads,
        config,
        progress: false,
        detect,
        store: (!args.run.no_db).then(|| {
            args.run
                .db
                .clone()
                .unwrap_or_else(|| args.run.output_dir.join("palisade.db"))
        }),
        live: Some(live),
        rule_updates: Some(rule_updates),
        eve_control,
        metrics,
    })?;
    tracing::info!(
        packets = report.packets,
        bytes = report.bytes,
        kernel_drops = kernel_drops(&report),
        flows = report.flows,
        alerts = report.alerts + report.written.detector_alerts,
        eve_records = report.written.records,
        errors = report.input_errors.len(),
        elapsed_seconds = report.elapsed.as_secs_f64(),
        "sensor stopped"
    );
    drop(metrics_server);
    if !args.run.quiet {
        match args.run.format {
            Format::Text => print_text(&report, &eve, load.loaded),
            Format::Json => println!("{}", summary_json(&report, &eve, load.loaded)),
        }
    }
    Ok(if report.input_errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_INPUT_ERROR)
    })
}

/// The AF_PACKET ring settings of `[live]`, with the filter compiled.
fn ring_config(l: &crate::config::LiveSection) -> Result<AfPacketConfig> {
    let filter = if !l.bpf_file.is_empty() {
        let text = std::fs::read_to_string(&l.bpf_file)
            .with_context(|| format!("reading live.bpf_file {}", l.bpf_file))?;
        Some(
            palisade_live::bpf::parse_tcpdump_ddd(&text)
                .map_err(|e| anyhow::anyhow!("live.bpf_file {}: {e}", l.bpf_file))?,
        )
    } else if !l.bpf.trim().is_empty() {
        Some(compile_filter(&l.bpf)?)
    } else {
        None
    };
    let cfg = AfPacketConfig {
        block_size: l.block_kb.saturating_mul(1024),
        block_count: l.blocks,
        retire_timeout_ms: l.block_timeout_ms,
        promiscuous: l.promiscuous,
        filter,
        ..AfPacketConfig::default()
    };
    cfg.validate().map_err(|e| anyhow::anyhow!("[live]: {e}"))?;
    Ok(cfg)
}

/// Compiles a tcpdump expression with `tcpdump -ddd` (for Ethernet, the
/// link type of the interfaces palisade captures on).
fn compile_filter(expr: &str) -> Result<Vec<palisade_live::BpfInsn>> {
    let out = std::process::Command::new("tcpdump")
        .args(["-y", "EN10MB", "-ddd", "--", expr])
        .output()
        .map_err(|e| {
            anyhow::anyhow!(
                "--bpf needs tcpdump to compile the expression ({e}); install it, or put \
                 `tcpdump -ddd 'EXPR'` output in a file named by live.bpf_file"
            )
        })?;
    if !out.status.success() {
        anyhow::bail!(
            "capture filter {expr:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    palisade_live::bpf::parse_tcpdump_ddd(&String::from_utf8_lossy(&out.stdout))
        .map_err(|e| anyhow::anyhow!("capture filter {expr:?}: {e}"))
}

/// A rule that failed to load, by where and why (a reload is refused only
/// for failures the running set did not have).
fn failure_keys(load: &palisade_detect::LoadReport) -> std::collections::HashSet<String> {
    load.failures
        .iter()
        .map(|f| format!("{}:{}:{}", f.file, f.sid.unwrap_or(0), f.reason))
        .collect()
}

/// What a reload hands its results to.
struct Reload {
    slot: Arc<pipeline::detect::RuleSlot>,
    eve: pipeline::output::EveControl,
    metrics: Option<Arc<palisade::metrics::Metrics>>,
}

/// Starts the SIGHUP thread: reload configuration and rules, reopen EVE.
fn start_reloader(
    args: &SensorArgs,
    running: &crate::config::Config,
    load: &palisade_detect::LoadReport,
    to: Reload,
) -> Result<()> {
    let Reload { slot, eve, metrics } = to;
    let metrics_loaded = metrics.clone();
    let counted = move |ok: bool| {
        if let Some(m) = &metrics {
            m.rule_reload(ok);
        }
    };
    let mut signals = signal_hook::iterator::Signals::new([signal_hook::consts::SIGHUP])
        .context("installing the SIGHUP handler")?;
    let reopen = eve.reopen.clone();
    let config_path = args.run.config.clone();
    let sets = args.run.set.clone();
    let eve_types = args.run.eve_types.clone();
    let rules = args.run.rules.clone();
    let no_builtin = args.run.no_builtin_rules;
    let capture_dir = args.capture_dir.clone();
    let mut running = running.clone();
    let mut known_failures = failure_keys(load);
    std::thread::Builder::new()
        .name("reload".into())
        .spawn(move || {
            for _ in signals.forever() {
                reopen.store(true, std::sync::atomic::Ordering::Relaxed);
                let started = std::time::Instant::now();
                let config = match load_config(config_path.as_deref(), &sets, &eve_types) {
                    Ok(mut c) => {
                        if let Some(d) = &capture_dir {
                            c.capture.dir = d.display().to_string();
                        }
                        c
                    }
                    Err(e) => {
                        tracing::error!("reload refused, the running rules stay: {e:#}");
                        counted(false);
                        continue;
                    }
                };
                let (detect, load) = match load_rules(&config, &rules, no_builtin, false) {
                    Ok(r) => r,
                    Err(e) => {
                        tracing::error!("reload refused, the running rules stay: {e:#}");
                        counted(false);
                        continue;
                    }
                };
                let failures = failure_keys(&load);
                let new: Vec<&String> = failures.difference(&known_failures).collect();
                if !new.is_empty() {
                    let first = load
                        .failures
                        .iter()
                        .find(|f| {
                            !known_failures.contains(&format!(
                                "{}:{}:{}",
                                f.file,
                                f.sid.unwrap_or(0),
                                f.reason
                            ))
                        })
                        .map(|f| format!("{}:{}: {}", f.file, f.line, f.reason))
                        .unwrap_or_default();
                    tracing::error!(
                        new_failures = new.len(),
                        "reload refused, the running rules stay: {first}"
                    );
                    counted(false);
                    continue;
                }
                let Some(detect) = detect else {
                    tracing::error!("reload refused, the running rules stay: no rule loaded");
                    counted(false);
                    continue;
                };
                for section in restart_needed(&running, &config) {
                    tracing::warn!(section, "changed configuration needs a restart to apply");
                }
                slot.publish(detect);
                counted(true);
                if let Some(m) = &metrics_loaded {
                    m.set_rules_loaded(load.loaded);
                }
                tracing::info!(
                    rules = load.loaded,
                    failed = load.failures.len(),
                    seconds = started.elapsed().as_secs_f64(),
                    "rules reloaded"
                );
                known_failures = failures;
                running = config;
            }
        })
        .context("starting the reload thread")?;
    Ok(())
}

/// The configuration sections that changed but only apply at start.
fn restart_needed(old: &crate::config::Config, new: &crate::config::Config) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut check = |name: &'static str, changed: bool| {
        if changed {
            out.push(name);
        }
    };
    check("decoder", old.decoder != new.decoder);
    check("flow", old.flow != new.flow);
    check("stream", old.stream != new.stream);
    check("defrag", old.defrag != new.defrag);
    check("runtime", old.runtime != new.runtime);
    check("app_layer", old.app_layer != new.app_layer);
    check("detectors", old.detectors != new.detectors);
    check("inventory", old.inventory != new.inventory);
    check("capture", old.capture != new.capture);
    check("metrics", old.metrics != new.metrics);
    let mut o = old.output.clone();
    o.alert_payload = new.output.alert_payload;
    check("output", o != new.output);
    out
}

fn kernel_drops(r: &ScanReport) -> u64 {
    r.live.iter().map(|s| s.stats.kernel_drops).sum()
}

fn summary_json(r: &ScanReport, eve: &std::path::Path, rules: usize) -> serde_json::Value {
    json!({
        "sources": r.live.iter().map(|s| json!({
            "source": s.name,
            "packets": s.stats.packets,
            "bytes": s.stats.bytes,
            "kernel_packets": s.stats.kernel_packets,
            "kernel_drops": s.stats.kernel_drops,
            "invalid": s.stats.invalid,
            "error": s.error,
        })).collect::<Vec<_>>(),
        "packets": r.packets,
        "bytes": r.bytes,
        "kernel_drops": kernel_drops(r),
        "flows": r.flows,
        "rules_loaded": rules,
        "alerts": r.alerts + r.written.detector_alerts,
        "signature_alerts": r.alerts,
        "detector_alerts": r.written.detector_alerts,
        "findings": r.written.findings,
        "eve": eve,
        "eve_records": r.written.records,
        "capture": r.capture,
        "store": r.store.as_ref().map(|s| json!({"path": s.path, "run_id": s.run_id})),
        "threads": r.threads,
        "elapsed_seconds": r.elapsed.as_secs_f64(),
        "errors": r.input_errors,
    })
}

fn print_text(r: &ScanReport, eve: &std::path::Path, rules: usize) {
    println!(
        "palisade sensor: stopped after {:.1} s, {} thread(s)",
        r.elapsed.as_secs_f64(),
        r.threads
    );
    for s in &r.live {
        println!(
            "  source        {}: {} packets, {} kernel drops{}",
            s.name,
            s.stats.packets,
            s.stats.kernel_drops,
            s.error
                .as_ref()
                .map_or(String::new(), |e| format!(", FAILED: {e}"))
        );
    }
    println!(
        "  packets       {} ({:.1} MB), {} kernel drops",
        r.packets,
        r.bytes as f64 / 1e6,
        kernel_drops(r)
    );
    println!("  flows         {}", r.flows);
    println!("  rules         {rules} loaded");
    println!(
        "  alerts        {} ({} signature, {} detector), {} findings",
        r.alerts + r.written.detector_alerts,
        r.alerts,
        r.written.detector_alerts,
        r.written.findings
    );
    for (gid, sid, msg, n) in r.alerts_by_signature.iter().take(20) {
        println!("    {n:>8}  [{gid}:{sid}] {msg}");
    }
    if let Some(s) = &r.store {
        println!(
            "  store         {} (run {}, kind sensor)",
            s.path.display(),
            s.run_id
        );
    }
    if let Some(c) = &r.capture {
        println!(
            "  capture       {} packets in {} ring file(s), {} alert file(s){}",
            c.ring_packets,
            c.ring_files,
            c.alert_files,
            if c.dropped > 0 {
                format!(", {} packets not captured (capture behind)", c.dropped)
            } else {
                String::new()
            }
        );
    }
    println!(
        "  EVE           {} ({} records)",
        eve.display(),
        r.written.records
    );
}

/// The `/metrics` endpoint, when `--metrics-listen` or `[metrics] listen`
/// names an address: the registry the pipeline publishes into and the
/// server (stopped when dropped). A taken address is an error at start.
fn start_metrics(
    args: &SensorArgs,
    config: &palisade::config::Config,
    rules: usize,
) -> Result<(
    Option<Arc<palisade::metrics::Metrics>>,
    Option<palisade::metrics::server::MetricsServer>,
)> {
    let listen = args
        .metrics_listen
        .as_deref()
        .unwrap_or(&config.metrics.listen)
        .trim();
    if listen.is_empty() {
        return Ok((None, None));
    }
    let m = Arc::new(palisade::metrics::Metrics::new());
    m.set_rules_loaded(rules);
    let server = palisade::metrics::server::MetricsServer::start(listen, m.clone())?;
    tracing::info!(listen = %server.local_addr(), "metrics endpoint listening (GET /metrics)");
    Ok((Some(m), Some(server)))
}
