//! `palisade rules check` and `palisade rules keywords`.

use crate::cli::{Format, RulesCommand};
use anyhow::Result;
use palisade::config::Config;
use palisade_detect::RuleSet;
use serde_json::json;
use std::process::ExitCode;

pub fn run(cmd: RulesCommand) -> Result<ExitCode> {
    match cmd {
        RulesCommand::Check {
            files,
            format,
            config,
            set,
        } => check(&files, format, config.as_deref(), &set),
        RulesCommand::Keywords => {
            for k in palisade_detect::keyword_table() {
                println!("{:<28} {:<10} {}", k.name, k.group, k.doc);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn check(
    files: &[std::path::PathBuf],
    format: Format,
    config: Option<&std::path::Path>,
    set: &[String],
) -> Result<ExitCode> {
    let config = Config::load(config, set)?;
    let sources = palisade::rules::read_sources(files)?;
    let opts = palisade::rules::build_options(&config)?;
    let (set, report) = RuleSet::build(&sources, &opts);
    match format {
        Format::Json => {
            let v = json!({
                "loaded": report.loaded,
                "failed": report.failures.len(),
                "duplicates": report.duplicates,
                "by_reason": report.failures_by_reason().into_iter().map(|(r, n)| json!({"reason": r, "count": n})).collect::<Vec<_>>(),
                "failures": report.failures,
                "build_seconds": report.build_seconds,
            });
            println!("{v}");
        }
        Format::Text => {
            for f in &report.failures {
                println!(
                    "{}:{}:{}: sid {}: {}",
                    f.file,
                    f.line,
                    f.column,
                    f.sid.map_or("-".to_string(), |s| s.to_string()),
                    f.reason
                );
            }
            let total = report.loaded + report.failures.len();
            let (iponly, packet, stream, app) = set.kinds();
            println!(
                "loaded {} of {} rules ({:.1}%), {} failed, {} duplicate sids, in {:.2} s",
                report.loaded,
                total,
                100.0 * report.loaded as f64 / total.max(1) as f64,
                report.failures.len(),
                report.duplicates,
                report.build_seconds
            );
            println!(
                "  by kind: {iponly} ip-only, {packet} packet, {stream} stream, {app} app-layer"
            );
            for (reason, n) in report.failures_by_reason() {
                println!("  {n:>6}  {reason}");
            }
        }
    }
    Ok(if report.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
