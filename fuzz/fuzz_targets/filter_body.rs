//! Any bytes as the body of POST /v1/customers/filter (`customers::fuzzing::filter_body` says
//! what is checked).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| customers::fuzzing::filter_body(data));
