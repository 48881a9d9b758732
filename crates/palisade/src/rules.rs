//! Loading rules for a scan: the built-in rules compiled from `data/rules/`,
//! `--rules` files and directories, the classification and threshold files,
//! and the variables from the configuration.

use crate::config::Config;
use anyhow::{Context, Result};
use palisade_detect::{BuildOptions, LoadReport, RuleSet, RuleSource};
use palisade_rules::{Classifications, ThresholdConfig};
use std::path::{Path, PathBuf};

/// The built-in rule files, compiled in.
pub const BUILTIN_RULES: &[(&str, &str)] = &[(
    "builtin:palisade-iot.rules",
    include_str!("../../../data/rules/palisade-iot.rules"),
)];

/// What to load.
#[derive(Clone, Debug, Default)]
pub struct RuleOptions {
    /// Rule files or directories (`*.rules` inside, sorted).
    pub paths: Vec<PathBuf>,
    /// Load the built-in rules.
    pub builtin: bool,
}

/// Reads rule files: a directory contributes its `*.rules` files in name order.
pub fn read_sources(paths: &[PathBuf]) -> Result<Vec<RuleSource>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("reading rule directory {}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "rules"))
                .collect();
            files.sort();
            for f in files {
                out.push(read_one(&f)?);
            }
        } else {
            out.push(read_one(p)?);
        }
    }
    Ok(out)
}

fn read_one(p: &Path) -> Result<RuleSource> {
    let bytes = std::fs::read(p).with_context(|| format!("reading rule file {}", p.display()))?;
    Ok(RuleSource {
        name: p.display().to_string(),
        // Rule files are text; stray bytes are replaced rather than refused.
        text: String::from_utf8_lossy(&bytes).into_owned(),
    })
}

/// Build options from the configuration.
pub fn build_options(config: &Config) -> Result<BuildOptions> {
    let vars = config.rule_vars()?;
    let mut classifications = Classifications::builtin();
    if let Some(f) = &config.rules.classification_file {
        let text = std::fs::read_to_string(f)
            .with_context(|| format!("reading classification file {}", f.display()))?;
        for e in classifications.load(&text) {
            tracing::warn!("{}:{}: {}", f.display(), e.line, e.message);
        }
    }
    let thresholds = match &config.rules.threshold_file {
        Some(f) => {
            let text = std::fs::read_to_string(f)
                .with_context(|| format!("reading threshold file {}", f.display()))?;
            let t = ThresholdConfig::parse(&text, &vars);
            for (line, e) in &t.errors {
                tracing::warn!("{}:{line}: {e}", f.display());
            }
            Some(t)
        }
        None => None,
    };
    Ok(BuildOptions {
        vars,
        classifications,
        thresholds,
    })
}

/// Loads the rules; failures are in the report (and logged as warnings).
pub fn load(config: &Config, opts: &RuleOptions) -> Result<(RuleSet, LoadReport)> {
    let mut sources: Vec<RuleSource> = Vec::new();
    if opts.builtin {
        sources.extend(BUILTIN_RULES.iter().map(|(n, t)| RuleSource {
            name: (*n).to_string(),
            text: (*t).to_string(),
        }));
    }
    let mut paths = config.rules.files.clone();
    paths.extend(opts.paths.iter().cloned());
    sources.extend(read_sources(&paths)?);
    let build = build_options(config)?;
    let (set, report) = RuleSet::build(&sources, &build);
    for f in &report.failures {
        tracing::warn!(
            "{}:{}:{}: sid {}: {}",
            f.file,
            f.line,
            f.column,
            f.sid.map_or("-".to_string(), |s| s.to_string()),
            f.reason
        );
    }
    Ok((set, report))
}
