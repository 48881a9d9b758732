//! Flows.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod config;
pub mod key;
pub mod stream;
