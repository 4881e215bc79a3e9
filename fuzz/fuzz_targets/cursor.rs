//! A sort order and any text as a page cursor (`customers::fuzzing::cursor` says what is
//! checked).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| customers::fuzzing::cursor(data));
