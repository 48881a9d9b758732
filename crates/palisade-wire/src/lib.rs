//! Zero-copy views of the packet headers palisade decodes.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod checksum;
