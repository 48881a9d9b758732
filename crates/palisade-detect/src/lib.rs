//! palisade's signature engine.
#![forbid(unsafe_code)]

pub mod payload;
