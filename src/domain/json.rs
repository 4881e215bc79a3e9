//! JSON text read into Rust values.

/// `serde_json::from_str`, through serde_json's byte reader: request bodies are read from bytes,
/// so the wasm carries that one copy of serde_json's parser instead of two (issue 13).
pub fn parse<T: serde::de::DeserializeOwned>(text: &str) -> serde_json::Result<T> {
    serde_json::from_slice(text.as_bytes())
}
