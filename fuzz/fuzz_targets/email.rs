//! Any text as an email address (`customers::fuzzing::email` says what is checked).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| customers::fuzzing::email(data));
