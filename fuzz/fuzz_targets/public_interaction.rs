//! Any bytes as the body of POST /v1/public/interactions (`customers::fuzzing::public_interaction`
//! says what is checked).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| customers::fuzzing::public_interaction(data));
