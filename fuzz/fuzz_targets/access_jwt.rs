//! Any text as a Cloudflare Access token (`customers::fuzzing::access_jwt` says what is checked).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| customers::fuzzing::access_jwt(data));
