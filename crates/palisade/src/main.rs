//! palisade: network security monitoring for IoT fleets.
//!
//! The binary is the edge of the system: it parses the command line and the
//! configuration, wires sources, workers and sinks together, and reports.
//! Everything it calls lives in the library crates.

mod cli;
mod rules_cmd;
mod scan;
mod testbed;

use palisade::config;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_env("PALISADE_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(if cli.verbose { "debug" } else { "warn" })
    });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    let result = match cli.command {
        cli::Command::Scan(args) => scan::run(args),
        cli::Command::Testbed(cmd) => testbed::run(cmd),
        cli::Command::Rules(cmd) => rules_cmd::run(cmd),
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
