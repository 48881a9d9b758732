//! `palisade testbed`: the labelled scenario generator's command.

use crate::cli::TestbedCommand;
use anyhow::{Context, Result};
use std::io::BufWriter;
use std::process::ExitCode;

pub fn run(cmd: TestbedCommand) -> Result<ExitCode> {
    match cmd {
        TestbedCommand::List => {
            for (name, about) in palisade_testbed::scenarios() {
                println!("{name:<16} {about}");
            }
            Ok(ExitCode::SUCCESS)
        }
        TestbedCommand::Generate(a) => {
            let duration_secs = palisade_testbed::parse_duration(&a.duration)
                .with_context(|| format!("--duration {}", a.duration))?;
            let cfg = palisade_testbed::ScenarioConfig {
                scenario: a.scenario.clone(),
                seed: a.seed,
                devices: a.devices,
                duration_secs,
                max_packets: a.packets,
                ..Default::default()
            };
            let file = std::fs::File::create(&a.out)
                .with_context(|| format!("creating {}", a.out.display()))?;
            let labels = palisade_testbed::generate(&cfg, BufWriter::with_capacity(1 << 20, file))
                .with_context(|| format!("generating scenario '{}'", a.scenario))?;
            let json = serde_json::to_vec_pretty(&labels)?;
            std::fs::write(&a.labels, json)
                .with_context(|| format!("writing {}", a.labels.display()))?;
            eprintln!(
                "wrote {} packets ({} devices) to {} and labels to {}",
                labels.packets,
                labels.devices.len(),
                a.out.display(),
                a.labels.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
