//! Unpadded base64url (RFC 4648 §5): activation tokens, list cursors and Access tokens; and the
//! padded standard alphabet (§4) that Standard Webhooks' secrets and signatures use, as a
//! translation of it. A few lines here instead of the `base64` crate's general engine (6 KiB of
//! the wasm); its answers are the oracle of the tests below.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

pub fn encode(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        // The chunk as the top bits of 24; a short last chunk writes only the digits it fills.
        let n = chunk.iter().fold(0u32, |n, b| n << 8 | u32::from(*b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            text.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
        }
    }
    text
}

fn digit(c: u8) -> Option<u32> {
    let value = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'-' => 62,
        b'_' => 63,
        _ => return None,
    };
    Some(u32::from(value))
}

/// The bytes of a canonical encoding: no padding, no other characters, and no stray bits in the
/// last digit (so each byte string has exactly one text).
pub fn decode(text: &str) -> Option<Vec<u8>> {
    if text.len() % 4 == 1 {
        return None;
    }
    let mut bytes = Vec::with_capacity(text.len() * 3 / 4);
    let (mut pending, mut bits) = (0u32, 0);
    for c in text.bytes() {
        pending = pending << 6 | digit(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            bytes.push((pending >> bits) as u8);
            pending &= (1 << bits) - 1;
        }
    }
    (pending == 0).then_some(bytes)
}

/// Standard base64 with padding (RFC 4648 §4).
pub fn encode_standard(bytes: &[u8]) -> String {
    let mut text: String = encode(bytes)
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    while !text.len().is_multiple_of(4) {
        text.push('=');
    }
    text
}

/// The bytes of a canonical standard encoding: padded to a multiple of four, nothing else.
pub fn decode_standard(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(4) || text.contains(['-', '_']) {
        return None;
    }
    let digits = text.strip_suffix("==").or_else(|| text.strip_suffix('=')).unwrap_or(text);
    let url: String = digits
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    decode(&url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use base64::Engine;
    use proptest::prelude::*;

    #[test]
    fn the_rfc_4648_vectors_encode_without_padding() {
        for (bytes, text) in [("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE")] {
            assert_eq!(encode(bytes.as_bytes()), text);
            assert_eq!(decode(text).as_deref(), Some(bytes.as_bytes()));
        }
    }

    #[test]
    fn the_url_safe_digits_replace_plus_and_slash() {
        assert_eq!(encode(&[0xfb, 0xff]), "-_8");
        assert_eq!(decode("-_8"), Some(vec![0xfb, 0xff]));
        assert_eq!(decode("+/8"), None);
    }

    #[test]
    fn padding_stray_bits_and_impossible_lengths_are_refused() {
        assert_eq!(decode("Zg=="), None);
        assert_eq!(decode("Zh"), None, "the last digit's unused bits must be zero");
        assert_eq!(decode("Zm9vY"), None);
        assert_eq!(decode("Zm 9v"), None);
    }

    proptest! {
        #[test]
        fn encoding_agrees_with_the_base64_crate(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            prop_assert_eq!(encode(&bytes), URL_SAFE_NO_PAD.encode(&bytes));
            prop_assert_eq!(decode(&encode(&bytes)), Some(bytes));
        }

        #[test]
        fn decoding_agrees_with_the_base64_crate(text in "[A-Za-z0-9_-]{0,12}|[A-Za-z0-9_=+/ -]{0,12}") {
            prop_assert_eq!(decode(&text), URL_SAFE_NO_PAD.decode(&text).ok());
        }
    }

    #[test]
    fn the_standard_alphabet_is_padded_and_uses_plus_and_slash() {
        assert_eq!(encode_standard(&[0xfb, 0xff]), "+/8=");
        assert_eq!(encode_standard(b"f"), "Zg==");
        assert_eq!(decode_standard("+/8="), Some(vec![0xfb, 0xff]));
        assert_eq!(decode_standard("Zg=="), Some(b"f".to_vec()));
        for refused in ["Zg", "Zg=", "Zh==", "-_8=", "Z===", "Zg==Zg=="] {
            assert_eq!(decode_standard(refused), None, "{refused}");
        }
    }

    proptest! {
        #[test]
        fn the_standard_alphabet_agrees_with_the_base64_crate(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let text = STANDARD.encode(&bytes);
            prop_assert_eq!(encode_standard(&bytes), text.clone());
            prop_assert_eq!(decode_standard(&text), Some(bytes));
        }

        #[test]
        fn standard_decoding_refuses_what_the_base64_crate_refuses(text in "[A-Za-z0-9+/=]{0,12}") {
            prop_assert_eq!(decode_standard(&text), STANDARD.decode(&text).ok());
        }
    }
}
