//! What a failed validation reports: one error per field, all of them at once, so a client fixes
//! a body in one round trip. The HTTP layer turns these into the 422 answer.
use serde::Serialize;
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        FieldError { field: field.into(), code: code.to_string(), message: message.into() }
    }
}

/// The errors one imported row reports at most. A row of a thousand bad cells would otherwise
/// report a thousand errors, and a file of such rows make a report (and the memory holding it)
/// many times its own size; the first ones say what is wrong.
pub const MAX_ROW_ERRORS: usize = 10;

/// Collects every field error of one body.
#[derive(Debug, Default)]
pub struct Errors(pub Vec<FieldError>);

impl Errors {
    pub fn push(&mut self, field: impl Into<String>, code: &str, message: impl Into<String>) {
        self.0.push(FieldError::new(field, code, message));
    }

    /// Whether some error already names `field`, so a rule does not pile a second one on it.
    pub fn names(&self, field: &str) -> bool {
        self.0.iter().any(|e| e.field == field)
    }

    pub fn into_result<T>(self, value: T) -> Result<T, Vec<FieldError>> {
        finish(self.0, value)
    }
}

/// `value` if no error was found, else the errors.
pub fn finish<T>(errors: Vec<FieldError>, value: T) -> Result<T, Vec<FieldError>> {
    if errors.is_empty() {
        Ok(value)
    } else {
        Err(errors)
    }
}

/// The body as a JSON object, or the one error that says it is not.
pub fn object(body: &Value) -> Result<&Map<String, Value>, Vec<FieldError>> {
    body.as_object().ok_or_else(|| vec![FieldError::new("body", "invalid_type", "the body must be a JSON object")])
}

/// The error for a key a body may not carry: `read_only` when the server sets it, else unknown.
pub fn not_accepted(key: &str, read_only: &[&str]) -> FieldError {
    if read_only.contains(&key) {
        FieldError::new(key, "read_only", format!("{key} is set by the server"))
    } else {
        FieldError::new(key, "unknown_field", format!("unknown field `{key}`"))
    }
}

/// A list of 1 to `max` ids under `field`, duplicates dropped and first-seen order kept.
/// Problems are pushed to `errors`, each naming the field or the item (`field[3]`).
pub fn id_list(errors: &mut Vec<FieldError>, field: &str, value: &Value, max: usize) -> Vec<String> {
    let Value::Array(list) = value else {
        errors.push(FieldError::new(field, "invalid_type", format!("{field} must be a list of ids")));
        return vec![];
    };
    if list.is_empty() || list.len() > max {
        errors.push(FieldError::new(field, "invalid", format!("{field} takes 1 to {max} ids")));
        return vec![];
    }
    let mut ids: Vec<String> = Vec::with_capacity(list.len());
    for (i, v) in list.iter().enumerate() {
        match v.as_str() {
            Some(id) if !ids.iter().any(|seen| seen == id) => ids.push(id.to_string()),
            Some(_) => {}
            None => errors.push(FieldError::new(format!("{field}[{i}]"), "invalid_type", "ids are strings")),
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn no_errors_is_the_value() {
        assert_eq!(Errors::default().into_result(5), Ok(5));
    }

    #[test]
    fn every_pushed_error_is_returned() {
        let mut e = Errors::default();
        e.push("a", "invalid", "bad");
        e.push("b", "too_long", "long");
        assert!(e.names("b"));
        assert_eq!(e.into_result(()).unwrap_err().len(), 2);
    }

    #[test]
    fn a_body_that_is_not_an_object_is_one_error() {
        assert_eq!(object(&json!([1])).unwrap_err()[0].field, "body");
    }

    #[test]
    fn an_id_list_drops_duplicates_and_keeps_order() {
        let mut errors = Vec::new();
        assert_eq!(id_list(&mut errors, "ids", &json!(["b", "a", "b"]), 3), vec!["b", "a"]);
        assert!(errors.is_empty());
    }

    #[test]
    fn an_id_list_names_what_is_wrong() {
        let mut errors = Vec::new();
        id_list(&mut errors, "ids", &json!([]), 3);
        id_list(&mut errors, "ids", &json!(["a", "b", "c", "d"]), 3);
        id_list(&mut errors, "ids", &json!("a"), 3);
        id_list(&mut errors, "ids", &json!(["a", 1]), 3);
        let got: Vec<(&str, &str)> = errors.iter().map(|e| (e.field.as_str(), e.code.as_str())).collect();
        assert_eq!(got, vec![("ids", "invalid"), ("ids", "invalid"), ("ids", "invalid_type"), ("ids[1]", "invalid_type")]);
    }

    #[test]
    fn server_fields_are_read_only_and_others_unknown() {
        assert_eq!(not_accepted("id", &["id"]).code, "read_only");
        assert_eq!(not_accepted("emial", &["id"]).code, "unknown_field");
    }
}
