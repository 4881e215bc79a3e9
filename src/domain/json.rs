//! JSON text read into Rust values. Everything is read as a `Value` and picked apart from there:
//! a `Deserialize` per target type would bring serde's type-mismatch errors into the wasm, and
//! with them core's float formatter (about 20 KiB raw).
use serde_json::{Map, Value};

/// The JSON value of `text`, through serde_json's byte reader: request bodies are read from
/// bytes, so the wasm carries that one copy of serde_json's parser instead of two.
pub fn parse(text: &str) -> Option<Value> {
    serde_json::from_slice(text.as_bytes()).ok()
}

/// The object `text` holds; empty for anything else.
pub fn object(text: &str) -> Map<String, Value> {
    match parse(text) {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// The strings of the array `text` holds (anything else in it is left out).
pub fn strings(text: &str) -> Vec<String> {
    match parse(text) {
        Some(Value::Array(items)) => items.into_iter().filter_map(string).collect(),
        _ => vec![],
    }
}

/// A string value as a `String`; `None` for any other value.
pub fn string(v: Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s),
        _ => None,
    }
}

/// The string member `name` of an object, taken out of it; `None` when it is missing or not a
/// string (or `value` is not an object).
pub fn take_string(value: &mut Value, name: &str) -> Option<String> {
    value.get_mut(name).map(Value::take).and_then(string)
}

/// The `[name, value]` pairs of the array `text` holds (what a list of pairs serialises to).
pub fn pairs(text: &str) -> Vec<(String, String)> {
    match parse(text) {
        Some(Value::Array(items)) => items
            .into_iter()
            .filter_map(|pair| match pair {
                Value::Array(two) => match <[Value; 2]>::try_from(two) {
                    Ok([Value::String(k), Value::String(v)]) => Some((k, v)),
                    _ => None,
                },
                _ => None,
            })
            .collect(),
        _ => vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_object_is_read_and_anything_else_is_empty() {
        assert_eq!(object(r#"{"a": 1}"#).get("a"), Some(&json!(1)));
        assert!(object("[1]").is_empty());
        assert!(object("not json").is_empty());
    }

    #[test]
    fn strings_are_read_from_an_array() {
        assert_eq!(strings(r#"["a", "b"]"#), vec!["a", "b"]);
        assert!(strings(r#"{"a": "b"}"#).is_empty());
    }

    #[test]
    fn a_string_member_is_taken_and_anything_else_is_none() {
        let mut v = json!({"a": "x", "n": 1});
        assert_eq!(take_string(&mut v, "a"), Some("x".into()));
        assert_eq!(take_string(&mut v, "n"), None);
        assert_eq!(take_string(&mut v, "missing"), None);
        assert_eq!(take_string(&mut json!(["a"]), "a"), None);
    }

    #[test]
    fn pairs_read_what_a_list_of_pairs_serialises_to() {
        let list = vec![("Location".to_string(), "/v1/x".to_string()), ("ETag".into(), "\"1\"".into())];
        assert_eq!(pairs(&serde_json::to_string(&list).unwrap()), list);
        assert!(pairs("[[1, 2]]").is_empty());
    }
}
