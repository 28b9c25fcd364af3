//! Frames -> decoder -> player and playlist rules, with their invariants checked after every
//! frame (see `segue::fuzzing`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    segue::fuzzing::frames(data);
});
