//! A customer's search signature: 63 bits, one set for each class of trigram (run of three
//! characters) in its searchable text (name, email, phone, company and handle, ASCII letters
//! folded to lower case). A text that is a substring of one of those fields has every one of its
//! trigrams there, so its signature's bits are all among the customer's: a walk of a sort index
//! that holds the signature (migrations/0027) passes over a customer whose bits lack one of the
//! search's without reading its row. Two customers may share bits without sharing text, so the
//! signature only rules rows out; the exact test follows.
//!
//! The database computes each customer's signature (the view `customer_search_signatures`,
//! kept by triggers); this module computes a search's, with the same arithmetic, so the two
//! agree bit for bit (`tests/search.test.mjs` holds them to it through every walk).

/// The number of bit classes: 63, so a signature is a non-negative SQLite integer.
pub const BITS: u32 = 63;

/// The class of a trigram: its three code points as digits base 31, modulo `BITS`. The view in
/// migrations/0027 writes the same sum with `unicode()`.
fn class(a: char, b: char, c: char) -> u32 {
    let sum = u64::from(a as u32) * 961 + u64::from(b as u32) * 31 + u64::from(c as u32);
    (sum % u64::from(BITS)) as u32
}

/// The bits of every trigram of `text` after folding ASCII letters to lower case (as SQLite's
/// `lower()` does); 0, which every customer passes, for a text shorter than three characters.
pub fn of_text(text: &str) -> u64 {
    let chars: Vec<char> = text.chars().map(|c| c.to_ascii_lowercase()).collect();
    chars.windows(3).fold(0, |bits, w| bits | 1 << class(w[0], w[1], w[2]))
}

/// The bits a customer must hold to meet every text in `texts` (each a substring of one of its
/// searchable fields): all of them together.
pub fn of_all<'a>(texts: impl IntoIterator<Item = &'a str>) -> u64 {
    texts.into_iter().fold(0, |bits, t| bits | of_text(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values computed by SQLite with the view's arithmetic (migrations/0027).
    #[test]
    fn a_text_has_the_bits_sqlite_computes_for_it() {
        assert_eq!(of_text("import.test"), 5_224_457_077_094_613_280);
        assert_eq!(of_text("abc"), 134_217_728);
        assert_eq!(of_text("zürich 😀x"), 5_910_974_510_927_940);
        assert_eq!(of_text("Maria GARCÍA"), 432_363_190_811_640_834);
    }

    #[test]
    fn a_text_shorter_than_a_trigram_asks_for_no_bit() {
        assert_eq!(of_text(""), 0);
        assert_eq!(of_text("ab"), 0);
        assert_eq!(of_all(["ab", "x"]), 0);
    }

    #[test]
    fn ascii_case_folds_and_other_case_does_not() {
        assert_eq!(of_text("ACME Corp"), of_text("acme corp"));
        assert_ne!(of_text("ÄRGER"), of_text("ärger"));
    }

    #[test]
    fn a_substring_has_no_bit_its_text_lacks() {
        let whole = of_text("Maria García <maria@example.com>");
        for part in ["maria", "garcía", "example.com", "ia g", "<ma"] {
            assert_eq!(of_text(part) & !whole, 0, "{part}");
        }
    }

    #[test]
    fn every_bit_fits_a_non_negative_sqlite_integer() {
        let all = of_text(&(0..2000).map(|i| char::from_u32(0x20 + i).unwrap_or('x')).collect::<String>());
        assert!(all < 1 << 63);
    }

    #[test]
    fn texts_together_hold_each_ones_bits() {
        assert_eq!(of_all(["acme", "berlin"]), of_text("acme") | of_text("berlin"));
    }
}
