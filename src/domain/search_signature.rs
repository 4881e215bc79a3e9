//! A customer's search signature: 252 bits in four parts of 63, one set for each class of
//! trigram (run of three characters) in its searchable text (name, email, phone, company and
//! handle, ASCII letters folded to lower case). A text that is a substring of one of those fields
//! has every one of its trigrams there, so its signature's bits are all among the customer's: a
//! walk of a sort index that holds the signature (migrations/0027) passes over a customer whose
//! bits lack one of the search's without reading its row. Two customers may share bits without
//! sharing text, so the signature only rules rows out; the exact test follows.
//!
//! The database signs each customer (the trigger `customers_sign`); this module computes a
//! search's signature with the same arithmetic, so the two agree bit for bit
//! (`tests/search_signature.test.mjs` holds them to it through every walk).

/// The classes of trigram: 252, four parts of 63 bits, so each part is a non-negative SQLite
/// integer. A customer's text sets about 40 of them; with 63 classes a short text's few bits
/// were mostly set anyway (see migrations/0027).
pub const CLASSES: u32 = 252;

/// Bits in one part.
const PART: u32 = 63;

/// The bits a text's trigrams set, by part.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Signature(pub [u64; 4]);

impl Signature {
    /// No bit at all: every customer has it, so there is nothing to test.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|p| *p == 0)
    }

    /// The bits of both: a customer holding two texts holds the bits of each.
    pub fn union(self, other: Signature) -> Signature {
        self.part_by_part(other, |p, o| p | o)
    }

    fn intersection(self, other: Signature) -> Signature {
        self.part_by_part(other, |p, o| p & o)
    }

    fn part_by_part(self, other: Signature, combine: fn(u64, u64) -> u64) -> Signature {
        let mut parts = self.0;
        for (p, o) in parts.iter_mut().zip(other.0) {
            *p = combine(*p, o);
        }
        Signature(parts)
    }
}

/// The class of a trigram: its three code points as digits base 31, modulo `CLASSES`. The
/// trigger in migrations/0027 writes the same sum with `unicode()`.
fn class(a: char, b: char, c: char) -> u32 {
    let sum = u64::from(a as u32) * 961 + u64::from(b as u32) * 31 + u64::from(c as u32);
    (sum % u64::from(CLASSES)) as u32
}

/// The bits of every trigram of `text` after folding ASCII letters to lower case (as SQLite's
/// `lower()` does); empty, which every customer passes, for a text shorter than three characters.
pub fn of_text(text: &str) -> Signature {
    let chars: Vec<char> = text.chars().map(|c| c.to_ascii_lowercase()).collect();
    let mut parts = [0u64; 4];
    for w in chars.windows(3) {
        let c = class(w[0], w[1], w[2]);
        parts[(c / PART) as usize] |= 1 << (c % PART);
    }
    Signature(parts)
}

/// The bits a customer must hold to meet every text in `texts` (each a substring of one of its
/// searchable fields): all of them together.
pub fn of_all<'a>(texts: impl IntoIterator<Item = &'a str>) -> Signature {
    texts.into_iter().fold(Signature::default(), |bits, t| bits.union(of_text(t)))
}

/// The bits a customer must hold to meet one text of `texts`, whichever: those they all share
/// (none for no text).
pub fn of_any<'a>(texts: impl IntoIterator<Item = &'a str>) -> Signature {
    let mut texts = texts.into_iter();
    let first = texts.next().map(of_text).unwrap_or_default();
    texts.fold(first, |bits, t| bits.intersection(of_text(t)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values computed by SQLite with the trigger's arithmetic (migrations/0027).
    #[test]
    fn a_text_has_the_bits_sqlite_computes_for_it() {
        assert_eq!(of_text("import.test").0, [4_647_996_290_431_451_136, 576_460_752_303_423_520, 0, 34_359_738_656]);
        assert_eq!(of_text("abc").0, [0, 134_217_728, 0, 0]);
        assert_eq!(of_text("zürich 😀x").0, [4_100, 4_785_074_604_081_152, 1_125_899_906_842_692, 0]);
        assert_eq!(of_text("Maria GARCÍA").0, [17_626_549_994_496, 144_115_188_109_934_594, 288_230_376_151_711_744, 0]);
    }

    #[test]
    fn one_of_several_texts_asks_for_the_bits_they_share() {
        let shared = of_any(["acme 1", "acme 22"]);
        for bit in 0..4 {
            assert_eq!(shared.0[bit] & !of_text("acme 1").0[bit], 0, "only bits of each");
            assert_eq!(shared.0[bit] & !of_text("acme 22").0[bit], 0, "only bits of each");
            assert_eq!(shared.0[bit] & of_text("acme ").0[bit], of_text("acme ").0[bit], "every shared trigram's");
        }
        assert!(of_any(["acme", "xy"]).is_empty(), "a text with no trigram asks for nothing");
        assert!(of_any(std::iter::empty()).is_empty());
        assert_eq!(of_any(["zeta"]), of_text("zeta"));
    }

    #[test]
    fn a_text_shorter_than_a_trigram_asks_for_no_bit() {
        assert!(of_text("").is_empty());
        assert!(of_text("ab").is_empty());
        assert!(of_all(["ab", "x"]).is_empty());
        assert!(!of_text("abc").is_empty());
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
            let bits = of_text(part);
            for (p, w) in bits.0.iter().zip(whole.0) {
                assert_eq!(p & !w, 0, "{part}");
            }
        }
    }

    #[test]
    fn every_part_fits_a_non_negative_sqlite_integer() {
        let all = of_text(&(0..5000).filter_map(|i| char::from_u32(0x20 + i)).collect::<String>());
        assert!(all.0.iter().all(|p| *p < 1 << 63));
        assert!(all.0.iter().all(|p| *p != 0));
    }

    #[test]
    fn texts_together_hold_each_ones_bits() {
        assert_eq!(of_all(["acme", "berlin"]), of_text("acme").union(of_text("berlin")));
    }
}
