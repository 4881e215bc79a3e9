//! Rules shared by every text field the API accepts (customers, contacts, groups).
use serde_json::Value;

use crate::http::error::FieldError;

pub const MAX_PHONE_LEN: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    /// Names and other one-line values: no control characters at all.
    Single,
    /// Notes and descriptions: line breaks and tabs allowed.
    Multi,
}

/// Trims a text value; null or blank means absent. Length counts characters. Problems are
/// pushed to `errors` under `field`.
pub fn text(errors: &mut Vec<FieldError>, field: &str, value: &Value, max: usize, lines: Lines) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => text_str(errors, field, s, max, lines),
        _ => {
            errors.push(FieldError::new(field, "invalid_type", format!("{field} must be a string or null")));
            None
        }
    }
}

/// `text` for a value that can only be a string, such as a CSV cell.
pub fn text_str(errors: &mut Vec<FieldError>, field: &str, s: &str, max: usize, lines: Lines) -> Option<String> {
    let t = s.trim();
    let allowed = |c: char| lines == Lines::Multi && matches!(c, '\n' | '\r' | '\t');
    if t.chars().count() > max {
        errors.push(FieldError::new(field, "too_long", format!("{field} is longer than {max} characters")));
        None
    } else if t.chars().any(|c| c.is_control() && !allowed(c)) {
        errors.push(FieldError::new(field, "invalid", format!("{field} contains control characters")));
        None
    } else if t.is_empty() {
        None
    } else {
        Some(t.to_string())
    }
}

/// Digits, spaces, `+ - ( ) .`, with at least three digits.
pub fn phone(errors: &mut Vec<FieldError>, value: &Value) -> Option<String> {
    let p = text(errors, "phone", value, MAX_PHONE_LEN, Lines::Single)?;
    phone_characters(errors, p)
}

/// `phone` for a value that can only be a string, such as a CSV cell.
pub fn phone_str(errors: &mut Vec<FieldError>, s: &str) -> Option<String> {
    let p = text_str(errors, "phone", s, MAX_PHONE_LEN, Lines::Single)?;
    phone_characters(errors, p)
}

fn phone_characters(errors: &mut Vec<FieldError>, p: String) -> Option<String> {
    let digits = p.chars().filter(|c| c.is_ascii_digit()).count();
    if digits < 3 || !p.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c)) {
        errors.push(FieldError::new("phone", "invalid", "phone may hold digits, spaces, +, -, ( ) and dots, with at least 3 digits"));
        return None;
    }
    Some(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(value: Value, lines: Lines) -> (Option<String>, Vec<String>) {
        let mut errors = Vec::new();
        let out = text(&mut errors, "f", &value, 5, lines);
        (out, errors.into_iter().map(|e| e.code).collect())
    }

    #[test]
    fn text_is_trimmed_and_blank_is_absent() {
        assert_eq!(check(json!("  ab "), Lines::Single), (Some("ab".into()), vec![]));
        assert_eq!(check(json!("   "), Lines::Single), (None, vec![]));
    }

    #[test]
    fn text_length_counts_characters() {
        assert_eq!(check(json!("ééééé"), Lines::Single).1, Vec::<String>::new());
        assert_eq!(check(json!("abcdef"), Lines::Single).1, vec!["too_long"]);
    }

    #[test]
    fn line_breaks_are_allowed_only_in_multi_line_text() {
        assert_eq!(check(json!("a\nb"), Lines::Multi).1, Vec::<String>::new());
        assert_eq!(check(json!("a\nb"), Lines::Single).1, vec!["invalid"]);
    }

    #[test]
    fn non_strings_are_refused() {
        assert_eq!(check(json!(5), Lines::Single).1, vec!["invalid_type"]);
    }

    #[test]
    fn phones_need_three_digits_and_allowed_characters() {
        let mut errors = Vec::new();
        assert_eq!(phone(&mut errors, &json!("+44 (20) 7946-0958")), Some("+44 (20) 7946-0958".into()));
        assert_eq!(phone(&mut errors, &json!("12")), None);
        assert_eq!(phone(&mut errors, &json!("call me")), None);
        assert_eq!(errors.len(), 2);
    }
}
