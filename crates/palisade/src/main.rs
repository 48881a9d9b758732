//! palisade: network security monitoring for IoT fleets.
//!
//! The binary is the edge of the system: it parses the command line and the
//! configuration, wires sources, workers and sinks together, and reports.
//! Everything it calls lives in the library crates.

mod audit_cmd;
mod cli;
mod profile_cmd;
mod rules_cmd;
mod scan;
mod sensor_cmd;
mod store_cmd;
mod testbed;

use palisade::config;

use clap::Parser;
use std::process::ExitCode;

/// Output piped into `head` or `less` that closes early ends palisade
/// quietly, as it does `cat` or `grep`: Rust ignores SIGPIPE by default,
/// which turns every later print into a panic ("failed printing to
/// stdout").
#[cfg(unix)]
fn default_sigpipe() {
    // SAFETY: called first thing in main, before any thread exists;
    // restores the signal's default disposition, which has no
    // preconditions.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(not(unix))]
fn default_sigpipe() {}

fn main() -> ExitCode {
    default_sigpipe();
    let cli = cli::Cli::parse();
    init_logging(&cli);
    let result = match cli.command {
        cli::Command::Scan(args) => scan::run(args),
        cli::Command::Sensor(args) => sensor_cmd::run(args),
        cli::Command::Eval(args) => eval_cmd(args),
        cli::Command::Testbed(cmd) => testbed::run(cmd),
        cli::Command::Rules(cmd) => rules_cmd::run(cmd),
        cli::Command::Profile(cmd) => profile_cmd::run(cmd),
        cli::Command::Devices(args) => store_cmd::devices(args),
        cli::Command::Findings(args) => store_cmd::findings(args),
        cli::Command::Alerts(args) => store_cmd::alerts(args),
        cli::Command::Report(args) => store_cmd::report(args),
        cli::Command::Audit(args) => audit_cmd::run(args),
        cli::Command::Config(cmd) => match cmd {
            cli::ConfigCommand::Defaults => {
                print!("{}", config::Config::defaults_toml());
                Ok(ExitCode::SUCCESS)
            }
            cli::ConfigCommand::Check { config, set } => {
                match config::Config::load(config.as_deref(), &set) {
                    Ok(_) => {
                        println!("configuration OK");
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(e) => Err(e),
                }
            }
        },
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("palisade: error: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// Logs go to stderr, filtered by PALISADE_LOG (tracing's directives) or
/// else by --verbose (debug) or the command: a sensor runs unattended and
/// logs its start, sources and stop (info); the other commands print their
/// own summaries and log only warnings. `--log-format json` writes one JSON
/// object per line (timestamp, level, target, fields) for journald and log
/// shippers.
fn init_logging(cli: &cli::Cli) {
    let default = if cli.verbose {
        "debug"
    } else if matches!(cli.command, cli::Command::Sensor(_)) {
        "info"
    } else {
        "warn"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("PALISADE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // colours only on a terminal: a journal or a file gets plain text
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none();
    let fmt = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    match cli.log_format {
        cli::LogFormat::Text => fmt.with_target(false).init(),
        cli::LogFormat::Json => fmt
            .json()
            .with_current_span(false)
            .with_span_list(false)
            .init(),
    }
}

/// `palisade eval`: a quiet scan, then the labels against its EVE records.
fn eval_cmd(args: cli::EvalArgs) -> anyhow::Result<ExitCode> {
    use anyhow::Context;
    let labels: palisade_testbed::Labels = serde_json::from_str(
        &std::fs::read_to_string(&args.labels)
            .with_context(|| format!("reading {}", args.labels.display()))?,
    )
    .with_context(|| format!("parsing labels {}", args.labels.display()))?;
    let mut scan_args = args.scan;
    let format = scan_args.run.format;
    scan_args.run.quiet = true;
    let eve = scan_args
        .run
        .eve
        .clone()
        .unwrap_or_else(|| scan_args.run.output_dir.join("eve.json"));
    let code = scan::run(scan_args)?;
    let text =
        std::fs::read_to_string(&eve).with_context(|| format!("reading {}", eve.display()))?;
    let records: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let report = palisade::eval::evaluate(&labels, &records);
    match format {
        cli::Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        cli::Format::Text => {
            println!(
                "palisade eval: scenario {} seed {}, {} devices, {:.2} h",
                report.scenario, report.seed, report.devices, report.hours
            );
            println!(
                "  {:<20} {:>9} {:>8} {:>7} {:>7} {:>14} {:>10} {:>11}",
                "class",
                "incidents",
                "detected",
                "recall",
                "false",
                "false/100dev-h",
                "median TTD",
                "other-class"
            );
            for (name, c) in &report.classes {
                println!(
                    "  {:<20} {:>9} {:>8} {:>7.3} {:>7} {:>14.2} {:>10} {:>11}",
                    name,
                    c.incidents,
                    c.detected,
                    c.recall,
                    c.false_alerts,
                    c.false_per_100_device_hours,
                    c.median_time_to_detect_secs
                        .map_or("-".to_string(), |t| format!("{t:.2} s")),
                    c.other_class_alerts
                );
                if !c.missed.is_empty() {
                    println!("    missed: {}", c.missed.join(", "));
                }
            }
        }
    }
    Ok(code)
}

/// The credential database of the configuration (built-in + the user file).
fn pipeline_creds(
    cfg: &config::Config,
) -> anyhow::Result<std::sync::Arc<palisade_detectors::creds::CredDb>> {
    palisade::pipeline::detectors::credential_db(&cfg.detectors)
}
