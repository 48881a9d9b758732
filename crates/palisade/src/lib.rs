//! palisade's application layer: configuration, the scan pipeline that wires
//! capture sources, workers and sinks, the stats record, and the harnesses
//! the fuzz targets and their regression tests share.
//!
//! The `palisade` binary is a thin command-line edge over this library, so
//! integration tests and fuzz targets exercise the same code the CLI runs.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod config;
pub mod eval;
pub mod harness;
pub mod metrics;
pub mod pipeline;
pub mod report;
pub mod rules;
pub mod stats;
