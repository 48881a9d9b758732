//! Packet sources.
#![deny(missing_docs)]
#![forbid(unsafe_code)]
