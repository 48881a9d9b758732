//! `palisade profile learn` and `palisade profile check`.

use crate::cli::ProfileCommand;
use anyhow::{Context, Result};
use palisade_detectors::mud::{Ace, MudFile};
use std::process::ExitCode;

pub fn run(cmd: ProfileCommand) -> Result<ExitCode> {
    match cmd {
        ProfileCommand::Learn {
            out,
            learn_secs,
            authority,
            mut scan,
        } => {
            let dir = out.to_string_lossy().into_owned();
            // whole capture: a window longer than any capture
            let secs = learn_secs.unwrap_or(100 * 365 * 86_400);
            scan.run.set.extend([
                "detectors.enabled=true".to_string(),
                "detectors.profile.enabled=true".to_string(),
                "detectors.profile.learn=true".to_string(),
                format!("detectors.profile.learn_secs={secs}"),
                format!("detectors.profile.export_dir={dir:?}"),
                format!("detectors.profile.export_authority={authority:?}"),
            ]);
            scan.run.quiet = true;
            std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
            let code = crate::scan::run(*scan)?;
            let mut files: Vec<_> = std::fs::read_dir(&out)
                .with_context(|| format!("reading {}", out.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect();
            files.sort();
            for f in &files {
                let text = std::fs::read_to_string(f)?;
                let m = MudFile::parse(&text).with_context(|| format!("{}", f.display()))?;
                let aces: usize = m.acls.iter().map(|a| a.aces.len()).sum();
                println!("{}  {}  {aces} ACEs", f.display(), m.url);
            }
            println!("{} profile(s) in {}", files.len(), out.display());
            Ok(code)
        }
        ProfileCommand::Check { files } => {
            let mut bad = 0;
            for f in &files {
                let text = match std::fs::read_to_string(f) {
                    Ok(t) => t,
                    Err(e) => {
                        eprintln!("{}: {e}", f.display());
                        bad += 1;
                        continue;
                    }
                };
                match MudFile::parse(&text) {
                    Ok(m) => print_mud(&f.display().to_string(), &m),
                    Err(e) => {
                        eprintln!("{}: {e}", f.display());
                        bad += 1;
                    }
                }
            }
            Ok(if bad == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}

fn describe(e: &Ace) -> String {
    let m = &e.matches;
    let mut parts = Vec::new();
    if let Some(v) = m.ip_version {
        parts.push(format!("ipv{v}"));
    }
    if let Some(p) = m.protocol.or(m.transport) {
        parts.push(format!("proto {p}"));
    }
    if let Some(n) = &m.src_dnsname {
        parts.push(format!("from {n}"));
    }
    if let Some(n) = &m.dst_dnsname {
        parts.push(format!("to {n}"));
    }
    if let Some(n) = &m.src_network {
        parts.push(format!("from {}", n.text));
    }
    if let Some(n) = &m.dst_network {
        parts.push(format!("to {}", n.text));
    }
    if let Some(p) = m.src_port {
        parts.push(format!("sport {p}"));
    }
    if let Some(p) = m.dst_port {
        parts.push(format!("dport {p}"));
    }
    if let Some(d) = m.direction_initiated {
        let by = match d {
            palisade_detectors::mud::Initiated::FromDevice => "from-device",
            palisade_detectors::mud::Initiated::ToDevice => "to-device",
        };
        parts.push(format!("initiated {by}"));
    }
    if let Some(t) = m.icmp_type {
        parts.push(format!("icmp type {t}"));
    }
    let mm = &m.mud;
    if let Some(x) = &mm.manufacturer {
        parts.push(format!("manufacturer {x}"));
    }
    if mm.same_manufacturer {
        parts.push("same-manufacturer".into());
    }
    if let Some(x) = &mm.model {
        parts.push(format!("model {x}"));
    }
    if mm.local_networks {
        parts.push("local-networks".into());
    }
    if let Some(x) = &mm.controller {
        parts.push(format!("controller {x}"));
    }
    if mm.my_controller {
        parts.push("my-controller".into());
    }
    for u in &m.unsupported {
        parts.push(format!("UNSUPPORTED {u} (never matches)"));
    }
    if parts.is_empty() {
        parts.push("any".into());
    }
    format!(
        "{} {}: {}",
        if e.accept { "accept" } else { "drop" },
        e.name,
        parts.join(", ")
    )
}

fn print_mud(name: &str, m: &MudFile) {
    println!("{name}: OK");
    println!("  mud-url      {}", m.url);
    println!("  manufacturer {}", m.authority);
    if let Some(s) = &m.systeminfo {
        println!("  systeminfo   {s}");
    }
    if let Some(s) = &m.signature {
        println!("  signature    {s} (not verified)");
    }
    for (label, from) in [("from-device", true), ("to-device", false)] {
        println!("  {label}-policy:");
        for acl in m.policy(from) {
            println!("    acl {} ({})", acl.name, acl.kind);
            for e in &acl.aces {
                println!("      {}", describe(e));
            }
        }
    }
    let names = m.dns_names();
    if !names.is_empty() {
        println!(
            "  DNS names (resolved from observed answers): {}",
            names.join(", ")
        );
    }
}
