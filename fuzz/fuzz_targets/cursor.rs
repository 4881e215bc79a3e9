//! Page cursors: `decode` of any string (for any sort order) must not panic, and what `encode`
//! makes must decode to the same key and id.
#![no_main]
use customers::domain::cursor::{decode, encode};
use libfuzzer_sys::fuzz_target;

const SORTS: [&str; 8] = ["created_at", "-created_at", "name", "-name", "email", "-email", "last_seen_at", "-last_seen_at"];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let sort = SORTS[selector as usize % SORTS.len()];
    let Ok(text) = std::str::from_utf8(rest) else { return };

    // Any text as a cursor.
    if let Ok((key, id)) = decode(text, sort) {
        // A cursor is bound to its sort: never accepted for another one.
        let other = SORTS[(selector as usize + 1) % SORTS.len()];
        assert!(decode(text, other).is_err(), "cursor accepted for {sort} and {other}");
        let again = encode(sort, &key, &id);
        if again.len() <= 2048 {
            assert_eq!(decode(&again, sort), Ok((key, id)));
        }
    }

    // The text split in two as a key and an id: encode, then decode back.
    let mid = text.char_indices().nth(text.chars().count() / 2).map_or(text.len(), |(i, _)| i);
    let (key, id) = text.split_at(mid);
    let cursor = encode(sort, key, id);
    if cursor.len() <= 2048 {
        assert_eq!(decode(&cursor, sort), Ok((key.to_string(), id.to_string())));
    } else {
        assert!(decode(&cursor, sort).is_err());
    }
});
