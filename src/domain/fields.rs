//! Rules shared by every text field the API accepts (customers, contacts, groups).
use serde_json::Value;

use super::validation::FieldError;

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
    if t.chars().count() > max {
        errors.push(FieldError::new(field, "too_long", format!("{field} is longer than {max} characters")));
        None
    } else if let Some(error) = refused_characters(field, t, lines) {
        errors.push(error);
        None
    } else if t.is_empty() {
        None
    } else {
        Some(t.to_string())
    }
}

/// A name other systems chose for a thing (an API key's name, a page's resource id): one line,
/// no control or invisible formatting characters at all, so what a person reads in a list or a
/// log is what is stored. Errors use the code `invalid` and name `field`.
pub fn identifier_str(errors: &mut Vec<FieldError>, field: &str, s: &str, max: usize) -> Option<String> {
    let t = s.trim();
    if t.is_empty() || t.chars().count() > max {
        errors.push(FieldError::new(field, "invalid", format!("{field} must be a string of 1 to {max} characters")));
        None
    } else if t.chars().any(|c| c.is_control() || is_format_char(c)) {
        errors.push(FieldError::new(field, "invalid", format!("{field} contains control or invisible formatting characters")));
        None
    } else {
        Some(t.to_string())
    }
}

/// The rule for the characters of every stored text: no control characters (C0, DEL, C1), except
/// line breaks and tabs in multi-line text, and no bidirectional embedding, override or isolate
/// controls anywhere. The error names `field`, with the code `invalid`.
pub fn refused_characters(field: &str, s: &str, lines: Lines) -> Option<FieldError> {
    let allowed = |c: char| lines == Lines::Multi && matches!(c, '\n' | '\r' | '\t');
    if s.chars().any(|c| c.is_control() && !allowed(c)) {
        Some(FieldError::new(field, "invalid", format!("{field} contains control characters")))
    } else if s.chars().any(is_bidi_control) {
        Some(FieldError::new(field, "invalid", format!("{field} contains bidirectional override characters")))
    } else {
        None
    }
}

/// Embedding, override and isolate controls (U+202A-U+202E, U+2066-U+2069): they reorder how
/// the text around them is displayed, so `abc\u{202E}fdp.exe` reads as `abcexe.pdf`.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Unicode general category Cf (format characters, Unicode 16): invisible characters such as
/// zero-width spaces, joiners, bidi controls, the BOM and tag characters. Rust's std has no
/// category lookup and the list is short and stable, so it is written out here.
pub fn is_format_char(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{0600}'..='\u{0605}'
            | '\u{061C}'
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08E2}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
    )
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
        errors.push(FieldError::new(
            "phone",
            "invalid",
            "phone may hold digits, spaces, +, -, ( ) and dots, with at least 3 digits",
        ));
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
    fn nul_is_refused_even_in_multi_line_text() {
        assert_eq!(check(json!("a\u{0}"), Lines::Multi).1, vec!["invalid"]);
    }

    #[test]
    fn bidi_overrides_are_refused_in_any_text() {
        assert_eq!(check(json!("ab\u{202E}c"), Lines::Multi).1, vec!["invalid"]);
        assert_eq!(check(json!("ab\u{2066}c"), Lines::Single).1, vec!["invalid"]);
    }

    #[test]
    fn refused_characters_is_the_one_rule_for_stored_text() {
        for c in ['\u{0}', '\u{7}', '\u{1b}', '\u{7f}', '\u{85}', '\u{9f}', '\u{202A}', '\u{202E}', '\u{2066}', '\u{2069}'] {
            let s = format!("a{c}b");
            assert_eq!(refused_characters("f", &s, Lines::Multi).map(|e| e.code), Some("invalid".into()), "{c:?}");
            assert!(refused_characters("f", &s, Lines::Single).is_some(), "{c:?}");
        }
        for c in ['\n', '\t', '\r'] {
            let s = format!("a{c}b");
            assert!(refused_characters("f", &s, Lines::Multi).is_none(), "{c:?}");
            assert_eq!(refused_characters("f", &s, Lines::Single).map(|e| e.field), Some("f".into()), "{c:?}");
        }
        assert!(refused_characters("f", "zwj\u{200D} ok", Lines::Single).is_none());
    }

    #[test]
    fn joiners_stay_allowed_in_names() {
        // Persian and emoji sequences need ZWNJ and ZWJ; only identifiers refuse them.
        assert_eq!(check(json!("a\u{200C}b"), Lines::Single).1, Vec::<String>::new());
    }

    #[test]
    fn identifiers_refuse_control_and_invisible_characters() {
        for bad in ["key\u{0}", "key\r\nx", "key\u{202E}", "zero\u{200B}width", "\u{FEFF}bom"] {
            let mut errors = Vec::new();
            assert_eq!(identifier_str(&mut errors, "name", bad, 100), None, "{bad:?}");
            assert_eq!(errors[0].code, "invalid");
        }
        let mut errors = Vec::new();
        assert_eq!(identifier_str(&mut errors, "name", "  CRM sync ", 100).as_deref(), Some("CRM sync"));
    }

    #[test]
    fn format_characters_are_recognised() {
        for c in ['\u{200B}', '\u{200D}', '\u{202E}', '\u{2066}', '\u{FEFF}', '\u{E0041}', '\u{00AD}'] {
            assert!(is_format_char(c), "{c:?}");
        }
        for c in ['a', ' ', 'é', '\u{0301}', '\u{3000}'] {
            assert!(!is_format_char(c), "{c:?}");
        }
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
