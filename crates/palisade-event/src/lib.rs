//! The neutral event model of palisade and its EVE JSON encoding.
//!
//! Decoders, the flow engine and (later) parsers, detectors and the fleet
//! inventory all speak this one vocabulary; every sink (EVE file, SQLite store)
//! receives the same stream of [`Event`]s. Keeping it in a leaf crate lets
//! every other crate depend on it without depending on each other.
//!
//! Records are plain data; their `Serialize` impls produce Suricata's EVE
//! field names and formats, so the EVE writer is only `write_eve` plus a
//! buffered file.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod record;
pub mod time;

pub use record::*;
pub use time::Timestamp;
