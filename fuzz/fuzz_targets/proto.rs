//! Fuzz target: see palisade::harness::proto (every app-layer parser and
//! identification, fed chunks in alternating directions with gaps).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| palisade::harness::proto(data));
