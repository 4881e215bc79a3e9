//! Unicode normalisation and lower-casing. ASCII text is already in every normal form, has
//! ASCII case, and never leaves wasm; other text goes to the host, `String.prototype.normalize`
//! and `toLowerCase` in the worker, and to Rust (the `unicode-normalization` crate, `str`'s
//! `to_lowercase`) in native builds, the unit tests. Their tables would cost the worker 119 KiB
//! of wasm (62 KiB gzipped) for NFC and 17 KiB (11 KiB gzipped) for lower case, measured, for
//! what the runtime already has.

/// `s` in Unicode Normalization Form C: `e` + U+0301 becomes `é`.
pub fn nfc(s: &str) -> String {
    if s.is_ascii() {
        return s.to_string();
    }
    compose(s)
}

/// `s` in Unicode Normalization Form D: `é` becomes `e` + U+0301, so accents can be dropped.
pub fn nfd(s: &str) -> String {
    if s.is_ascii() {
        return s.to_string();
    }
    decompose(s)
}

/// `s` lower-cased by Unicode's default (full) case mapping: `Ä` becomes `ä`, `İ` becomes `i̇`.
/// Not ASCII-only: case is folded wherever Unicode defines it.
pub fn lowercase(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    lower(s)
}

// The runtime's `toLowerCase` and Rust's `to_lowercase` implement the same mapping: Unicode's
// default case conversion (UnicodeData and SpecialCasing, final sigma included, no locale).
#[cfg(target_arch = "wasm32")]
fn lower(s: &str) -> String {
    js_sys::JsString::from(s).to_lower_case().into()
}

#[cfg(not(target_arch = "wasm32"))]
fn lower(s: &str) -> String {
    s.to_lowercase()
}

#[cfg(target_arch = "wasm32")]
fn compose(s: &str) -> String {
    js_sys::JsString::from(s).normalize("NFC").into()
}

#[cfg(target_arch = "wasm32")]
fn decompose(s: &str) -> String {
    js_sys::JsString::from(s).normalize("NFD").into()
}

#[cfg(not(target_arch = "wasm32"))]
fn compose(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfc().collect()
}

#[cfg(not(target_arch = "wasm32"))]
fn decompose(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfd().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_is_unchanged() {
        assert_eq!(nfc("ada@example.com"), "ada@example.com");
    }

    #[test]
    fn a_combining_accent_is_composed() {
        assert_eq!(nfc("jose\u{301}"), "jos\u{e9}");
        assert_eq!(nfc("jos\u{e9}"), "jos\u{e9}");
    }

    #[test]
    fn an_accented_letter_is_decomposed() {
        assert_eq!(nfd("jos\u{e9}"), "jose\u{301}");
    }

    #[test]
    fn lowercase_folds_every_cased_letter() {
        assert_eq!(lowercase("ADA@Example.COM"), "ada@example.com");
        assert_eq!(lowercase("ÄDA"), "äda");
        assert_eq!(lowercase("İ"), "i\u{307}");
    }

    #[test]
    fn lowercase_ends_a_word_with_final_sigma() {
        assert_eq!(lowercase("ΟΔΥΣΣΕΥΣ@x.gr"), "οδυσσευς@x.gr");
    }

    #[test]
    fn compatibility_characters_are_kept() {
        // NFC, not NFKC: a full-width letter stays what the person typed.
        assert_eq!(nfc("\u{FF41}"), "\u{FF41}");
    }
}
