//! Fuzz target: see palisade::harness::rules (rule parser, compiler, engine).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| palisade::harness::rules(data));
