//! Flows.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod config;
pub mod defrag;
pub mod key;
pub mod stream;
