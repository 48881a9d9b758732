//! `palisade audit`: the active default-password audit (crate
//! palisade-audit), its scope from the configuration, its results into the
//! store as an `audit` run, and a table or JSON on stdout.

use crate::cli::{AuditArgs, AuditFormat};
use anyhow::{bail, Context};
use palisade::config::{AuditSection, Config};
use palisade_audit::client::ClientConfig;
use palisade_audit::runner::{run_blocking, Progress, RunConfig};
use palisade_audit::scope::{parse_list, Scope, Targets};
use palisade_audit::{Candidates, Plan, Service, ServiceResult, Status};
use palisade_event::Timestamp;
use palisade_store::{RunInfo, RunTotals, Store, StoreOp};
use std::io::IsTerminal;
use std::net::IpAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

fn now() -> Timestamp {
    let ns = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    Timestamp::from_nanos(ns)
}

/// The scope: `[audit] scope`, else the networks of HOME_NET.
pub fn scope(cfg: &Config, allow: &[String]) -> anyhow::Result<Scope> {
    let (networks, origin) = if cfg.audit.scope.is_empty() {
        let home = cfg
            .vars
            .get("HOME_NET")
            .map(|v| v.text())
            .unwrap_or_default();
        if home.contains('!') || home.contains('$') || home.trim() == "any" {
            bail!(
                "HOME_NET ({home}) is not a plain list of networks; set the audit scope with \
                 [audit] scope = [\"192.168.1.0/24\"] (or --set audit.scope=[...])"
            );
        }
        (
            parse_list(&home).with_context(|| format!("vars.HOME_NET {home}"))?,
            "HOME_NET".to_string(),
        )
    } else {
        (
            parse_list(&cfg.audit.scope.join(",")).context("audit.scope")?,
            "[audit] scope".to_string(),
        )
    };
    if networks.is_empty() {
        bail!("the audit scope is empty: set [audit] scope");
    }
    let allowed = parse_list(&allow.join(",")).context("--allow-target")?;
    Ok(Scope {
        networks,
        allowed,
        origin,
    })
}

/// Progress: a bar on a terminal, log lines otherwise.
struct Bar(Option<indicatif::ProgressBar>, std::sync::atomic::AtomicU64);

impl Progress for Bar {
    fn start(&self, jobs: u64) {
        if let Some(b) = &self.0 {
            b.set_length(jobs);
        }
        tracing::info!(jobs, "audit: starting");
    }
    fn attempt(&self, _t: IpAddr, _s: Service) {
        let n = self.1.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        if let Some(b) = &self.0 {
            b.set_message(n.to_string());
        }
    }
    fn done(&self, r: &ServiceResult) {
        if let Some(b) = &self.0 {
            b.inc(1);
        }
        tracing::info!(target = %r.target, service = %r.service, status = ?r.status, attempts = r.attempts, "audit: done");
    }
}

fn run_config(a: &AuditSection, args: &AuditArgs) -> RunConfig {
    RunConfig {
        concurrency: args.concurrency.unwrap_or(a.concurrency).max(1),
        rate: args.rate.unwrap_or(a.rate),
        max_attempts: args.max_attempts.unwrap_or(a.max_attempts).max(1),
        lockout_after: a.lockout_after.max(1),
        errors_after: 3,
        client: ClientConfig {
            timeout: Duration::from_secs_f64(
                args.timeout.unwrap_or(a.timeout_secs).clamp(0.1, 600.0),
            ),
            http_path: a.http_path.clone(),
            rtsp_path: a.rtsp_path.clone(),
        },
    }
}

/// `palisade audit`
pub fn run(args: AuditArgs) -> anyhow::Result<ExitCode> {
    let cfg = Config::load(args.config.as_deref(), &args.set)?;
    let a = &cfg.audit;
    if let Some(r) = args.rate {
        if !(r > 0.0 && r.is_finite()) {
            bail!("--rate must be above 0");
        }
    }
    let scope = scope(&cfg, &args.allow_target)?;
    let targets = Targets::from_arg(&args.targets)?.addresses()?;
    let (targets, refused) = scope.split(targets);
    for ip in &refused {
        eprintln!(
            "palisade audit: refused {ip}: outside the audit scope {}; not contacted \
             (to audit it anyway: --allow-target {ip})",
            scope.describe()
        );
    }
    if targets.is_empty() {
        bail!(
            "no target inside the audit scope {}; nothing was contacted",
            scope.describe()
        );
    }
    let services = args
        .services
        .clone()
        .unwrap_or_else(|| a.services.join(","));
    let mut ports: Vec<String> = a.ports.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if let Some(p) = &args.ports {
        ports.push(p.clone());
    }
    let plan = Plan::new(&services, &ports.join(","))?;
    let db = crate::pipeline_creds(&cfg)?;
    let cands = Candidates::from_db(&db, a.vendor_hint.as_deref());
    let rc = run_config(a, &args);

    // the store first: a store that cannot be written fails before any login
    if let Some(dir) = args.db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut store =
        Store::open(&args.db).with_context(|| format!("opening {}", args.db.display()))?;
    let run_id = store.begin_run(&RunInfo {
        sensor: palisade::pipeline::store::sensor_name(),
        kind: "audit".into(),
        started_at: now().to_string(),
        inputs: std::iter::once(format!("targets={}", args.targets))
            .chain(std::iter::once(format!(
                "services={}",
                plan.services
                    .iter()
                    .map(|(s, p)| format!("{s}:{p}"))
                    .collect::<Vec<_>>()
                    .join(",")
            )))
            .collect(),
        version: env!("CARGO_PKG_VERSION").into(),
    })?;

    let bar = (std::io::stderr().is_terminal() && args.format == AuditFormat::Table).then(|| {
        let b = indicatif::ProgressBar::new(0);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "audit [{elapsed_precise}] {bar:30} {pos}/{len} services, {msg} attempts",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b.set_message("0");
        b
    });
    let progress = Arc::new(Bar(bar.clone(), Default::default()));
    let mut report = run_blocking(&targets, &plan, &cands, &rc, progress)
        .context("starting the audit runtime")?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    report.refused = refused.clone();

    let findings = report.findings(now());
    let ops: Vec<StoreOp> = findings
        .iter()
        .cloned()
        .map(|f| StoreOp::Finding(Box::new(f)))
        .collect();
    store.write_batch(run_id, &ops)?;
    store.end_run(
        run_id,
        &RunTotals {
            ended_at: now().to_string(),
            ..Default::default()
        },
    )?;

    match args.format {
        AuditFormat::Json => {
            let v = serde_json::json!({
                "run_id": run_id,
                "db": args.db.display().to_string(),
                "scope": scope.describe(),
                "targets": report.targets,
                "refused": report.refused,
                "attempts": report.attempts,
                "elapsed_secs": report.elapsed_secs,
                "attempts_per_sec": report.rate(),
                "results": report.results,
                "findings": findings.iter().map(|f| serde_json::json!({
                    "class": f.class, "severity": f.severity, "device": f.device,
                    "evidence": f.evidence, "remediation": f.remediation,
                })).collect::<Vec<_>>(),
            });
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        AuditFormat::Table => print_table(&report, &args, run_id),
    }
    Ok(if refused.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

fn print_table(report: &palisade_audit::AuditReport, args: &AuditArgs, run_id: i64) {
    let closed = report
        .results
        .iter()
        .filter(|r| r.status == Status::Closed)
        .count();
    let found = report.found().count();
    println!(
        "palisade audit: {} target(s), {} attempt(s) in {:.1} s ({:.1}/s); {} finding(s), {} closed port(s) not shown",
        report.targets,
        report.attempts,
        report.elapsed_secs,
        report.rate(),
        found,
        closed
    );
    println!(
        "  {:<16} {:<7} {:>5}  {:<22} {:>8}  {:<10} {:>6}  vendor / note",
        "target", "service", "port", "status", "attempts", "user", "entry"
    );
    for r in report.results.iter().filter(|r| r.status != Status::Closed) {
        let (user, entry, vendor) = match &r.found {
            Some(f) => (
                if f.username.is_empty() && r.service == Service::Snmp {
                    "(community)".to_string()
                } else {
                    f.username.clone()
                },
                f.entry_id.to_string(),
                f.vendor_of_entry
                    .as_deref()
                    .unwrap_or("")
                    .chars()
                    .take(48)
                    .collect(),
            ),
            None => ("-".into(), "-".into(), r.note.clone().unwrap_or_default()),
        };
        println!(
            "  {:<16} {:<7} {:>5}  {:<22} {:>8}  {:<10} {:>6}  {}",
            r.target.to_string(),
            r.service.name(),
            r.port,
            r.status.as_str(),
            r.attempts,
            user,
            entry,
            vendor
        );
    }
    if !report.refused.is_empty() {
        println!(
            "  refused (outside the scope, not contacted): {}",
            report
                .refused
                .iter()
                .map(IpAddr::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    println!(
        "  store: {} (run {run_id}); `palisade findings --db {} --class default-credentials`",
        args.db.display(),
        args.db.display()
    );
}
