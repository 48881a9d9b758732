//! Fuzz target: see palisade::harness::decode for what it feeds and asserts.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| palisade::harness::decode(data));
