//! Zero-copy views of the packet headers palisade decodes.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod anomaly;
pub mod checksum;
pub mod decoded;

pub use anomaly::{DecodeEvent, DECODE_EVENT_COUNT};
pub use decoded::*;
