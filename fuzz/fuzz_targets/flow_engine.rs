//! Fuzz target: see palisade::harness::flow_engine for what it feeds and asserts.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| palisade::harness::flow_engine(data));
