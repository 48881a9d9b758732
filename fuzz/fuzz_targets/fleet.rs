//! Fuzz target: see palisade::harness::fleet (firmware versions, classifier
//! rules, advisories, classification, MUD files).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| palisade::harness::fleet(data));
