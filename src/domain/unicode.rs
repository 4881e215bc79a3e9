//! Unicode normalisation. ASCII text is already in every normal form and never leaves wasm; other
//! text is composed (NFC) by the host's `String.prototype.normalize` in the worker, and by the
//! `unicode-normalization` crate in native builds (the unit tests). The crate's tables would
//! cost the worker 119 KiB of wasm (62 KiB gzipped) for what the runtime already has.

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
    fn compatibility_characters_are_kept() {
        // NFC, not NFKC: a full-width letter stays what the person typed.
        assert_eq!(nfc("\u{FF41}"), "\u{FF41}");
    }
}
