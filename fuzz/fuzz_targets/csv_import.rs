//! Any bytes as an uploaded CSV file (`customers::fuzzing::csv_import` says what is checked).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| customers::fuzzing::csv_import(data));
