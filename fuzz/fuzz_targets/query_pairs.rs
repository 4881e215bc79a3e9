//! Any text as the query string of GET /v1/customers (`customers::fuzzing::query_pairs` says
//! what is checked).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| customers::fuzzing::query_pairs(data));
