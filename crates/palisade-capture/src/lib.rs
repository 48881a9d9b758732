//! Packet sources for palisade.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod writer;

pub use writer::PcapWriter;
