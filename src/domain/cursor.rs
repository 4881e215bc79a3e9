//! Opaque page cursors: the sort they belong to, the last row's sort key and id, and a checksum
//! so a mangled or hand-edited cursor is refused instead of silently paging from elsewhere.
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{base64url, json};

#[derive(Serialize)]
struct Payload {
    s: String,
    k: String,
    i: String,
}

fn checksum(body: &[u8]) -> [u8; 6] {
    let digest = Sha256::digest([b"customers-cursor-v1:".as_slice(), body].concat());
    let mut out = [0u8; 6];
    out.copy_from_slice(&digest[..6]);
    out
}

/// One page of a list, as every list answers: the rows, whether more follow, and the cursor of
/// the next page (`total` only when asked for).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub has_more: bool,
    pub next_cursor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
}

impl<T> Page<T> {
    /// `rows` were read with one more than `limit`; `cursor` encodes the last row kept when
    /// more follow.
    pub fn cut(mut rows: Vec<T>, limit: usize, cursor: impl FnOnce(&T) -> String) -> Page<T> {
        let has_more = split_page(&mut rows, limit);
        let next_cursor = if has_more { rows.last().map(cursor) } else { None };
        Page { data: rows, has_more, next_cursor, total: None }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            data: self.data.into_iter().map(f).collect(),
            has_more: self.has_more,
            next_cursor: self.next_cursor,
            total: self.total,
        }
    }
}

/// Pages are read with one row more than asked for: cuts `rows` to the page and says whether
/// more rows follow.
pub fn split_page<T>(rows: &mut Vec<T>, limit: usize) -> bool {
    let more = rows.len() > limit;
    rows.truncate(limit);
    more
}

/// `sort` names the order the cursor belongs to (e.g. `-created_at`); `key` and `id` are the
/// last row's sort key and id.
pub fn encode(sort: &str, key: &str, id: &str) -> String {
    let body = serde_json::to_vec(&Payload { s: sort.into(), k: key.into(), i: id.into() }).unwrap_or_default();
    let mut bytes = checksum(&body).to_vec();
    bytes.extend_from_slice(&body);
    base64url::encode(&bytes)
}

/// Returns `(key, id)`; the cursor must have been made for `sort`.
pub fn decode(cursor: &str, sort: &str) -> Result<(String, String), &'static str> {
    if cursor.len() > 2048 {
        return Err("is too long");
    }
    let bytes = base64url::decode(cursor.trim_end_matches('=')).ok_or("is not a cursor from this API")?;
    if bytes.len() < 7 {
        return Err("is not a cursor from this API");
    }
    let (sum, body) = bytes.split_at(6);
    if sum != checksum(body) {
        return Err("is not a cursor from this API");
    }
    let mut p = std::str::from_utf8(body).ok().and_then(json::parse).ok_or("is not a cursor from this API")?;
    let mut field = |name: &str| json::take_string(&mut p, name).ok_or("is not a cursor from this API");
    let (s, k, i) = (field("s")?, field("k")?, field("i")?);
    if s != sort {
        return Err("belongs to another sort order; start again without a cursor");
    }
    Ok((k, i))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_cursor_round_trips() {
        let c = encode("-created_at", "2026-01-01T00:00:00.000Z", "id-1");
        assert_eq!(decode(&c, "-created_at").unwrap(), ("2026-01-01T00:00:00.000Z".into(), "id-1".into()));
    }

    #[test]
    fn a_cursor_is_url_safe() {
        let c = encode("name", "ü/+?&=", "x");
        assert!(c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_'));
    }

    #[test]
    fn a_cursor_for_another_sort_is_refused() {
        let c = encode("name", "ada", "x");
        assert!(decode(&c, "-name").is_err());
    }

    #[test]
    fn a_page_read_with_one_extra_row_knows_more_follow() {
        let mut rows = vec![1, 2, 3, 4];
        assert!(split_page(&mut rows, 3));
        assert_eq!(rows, vec![1, 2, 3]);
        let mut last = vec![1, 2];
        assert!(!split_page(&mut last, 3));
        assert_eq!(last, vec![1, 2]);
    }

    #[test]
    fn a_page_names_the_cursor_of_its_last_row_only_when_more_follow() {
        let page = Page::cut(vec![1, 2, 3], 2, |n| format!("after {n}"));
        assert_eq!((page.data.clone(), page.has_more, page.next_cursor.as_deref()), (vec![1, 2], true, Some("after 2")));
        let last = Page::cut(vec![1], 2, |n| format!("after {n}"));
        assert_eq!((last.has_more, last.next_cursor.clone()), (false, None));
        assert_eq!(
            serde_json::to_value(last.map(|n| n * 10)).unwrap(),
            serde_json::json!({"data": [10], "has_more": false, "next_cursor": null})
        );
    }

    #[test]
    fn garbage_is_refused() {
        assert!(decode("hello", "name").is_err());
        assert!(decode("", "name").is_err());
        assert!(decode("!!!", "name").is_err());
    }

    #[test]
    fn an_edited_cursor_is_refused() {
        let c = encode("name", "ada", "x");
        let mut bytes = base64url::decode(&c).unwrap();
        let last = bytes.len() - 3;
        bytes[last] ^= 1;
        assert!(decode(&base64url::encode(&bytes), "name").is_err());
    }

    proptest! {
        #[test]
        fn decode_never_panics(s in "\\PC{0,200}") {
            let _ = decode(&s, "name");
        }

        #[test]
        fn any_key_and_id_round_trip(k in "\\PC{0,80}", i in "\\PC{0,40}") {
            let c = encode("email", &k, &i);
            prop_assert_eq!(decode(&c, "email").unwrap(), (k, i));
        }
    }
}
