//! Fuzz target: see palisade::harness::sensor (the `/metrics` request head,
//! the rolling capture's address/port pairs of a packet).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| palisade::harness::sensor(data));
