//! The neutral event model of palisade and its EVE JSON encoding.
//!
//! Decoders, the flow engine and (later) parsers, detectors and the fleet
//! inventory all speak this one vocabulary; every sink (EVE file, SQLite store)
//! receives the same stream. Keeping it in a leaf crate lets every other crate
//! depend on it without depending on each other.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod time;

pub use time::Timestamp;
