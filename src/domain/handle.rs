//! Handles: short, stable, URL-safe names for customers (the MSP portal's "TEST CUSTOMER" is
//! `test-customer`). Either given, or derived from the name; a clash gets `-2`, `-3`... which
//! storage picks inside the write itself, so two customers named alike at the same moment never
//! collide.
use super::unicode::nfd;

pub const MAX_LEN: usize = 64;
/// A derived handle's stem stops here, so any numeric suffix (`-2` up to `-9999999`) still fits
/// in `MAX_LEN`.
pub const MAX_STEM_LEN: usize = MAX_LEN - 8;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct Handle(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandleError {
    Empty,
    TooLong,
    Invalid,
}

impl HandleError {
    pub fn message(self) -> String {
        match self {
            HandleError::Empty => "handle must not be empty".into(),
            HandleError::TooLong => format!("handle is at most {MAX_LEN} characters"),
            HandleError::Invalid => {
                "handle is lower-case letters a-z, digits and single hyphens, not starting or ending with one".into()
            }
        }
    }
}

impl Handle {
    /// A handle given by a client: already in its final form, nothing is changed for them.
    pub fn parse(s: &str) -> Result<Handle, HandleError> {
        if s.is_empty() {
            return Err(HandleError::Empty);
        }
        if s.len() > MAX_LEN {
            return Err(HandleError::TooLong);
        }
        let ok_chars = s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !ok_chars || s.starts_with('-') || s.ends_with('-') || s.contains("--") {
            return Err(HandleError::Invalid);
        }
        Ok(Handle(s.to_string()))
    }

    /// The stem derived from a name: accents folded (`é` → `e`), letters lower-cased, runs of
    /// spaces, hyphens and underscores become one hyphen, every other character is dropped.
    /// `None` when nothing is left (a name of only symbols or of another script).
    pub fn stem(name: &str) -> Option<Handle> {
        let mut out = String::new();
        let mut gap = false;
        for c in nfd(name).chars() {
            if c.is_ascii_alphanumeric() {
                let hyphen = gap && !out.is_empty();
                if out.len() + usize::from(hyphen) + 1 > MAX_STEM_LEN {
                    break;
                }
                if hyphen {
                    out.push('-');
                }
                gap = false;
                out.push(c.to_ascii_lowercase());
            } else if c.is_whitespace() || c == '-' || c == '_' {
                gap = true;
            }
        }
        (!out.is_empty()).then_some(Handle(out))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stem(name: &str) -> Option<String> {
        Handle::stem(name).map(|h| h.0)
    }

    #[test]
    fn a_name_in_capitals_becomes_lower_case_words_joined_by_hyphens() {
        assert_eq!(stem("TEST CUSTOMER").as_deref(), Some("test-customer"));
    }

    #[test]
    fn accents_are_folded() {
        assert_eq!(stem("Café Zoë").as_deref(), Some("cafe-zoe"));
    }

    #[test]
    fn punctuation_is_dropped_and_separators_collapse() {
        assert_eq!(stem("  O'Brien & Co.,  Ltd__x--y ").as_deref(), Some("obrien-co-ltd-x-y"));
    }

    #[test]
    fn a_name_with_nothing_latin_has_no_handle() {
        assert_eq!(stem("東京"), None);
        assert_eq!(stem("!!!"), None);
    }

    #[test]
    fn a_long_name_leaves_room_for_a_suffix() {
        let h = stem(&"a".repeat(300)).unwrap();
        assert_eq!(h.len(), MAX_STEM_LEN);
        assert!(Handle::parse(&format!("{h}-9999999")).is_ok());
    }

    #[test]
    fn a_stem_never_ends_with_a_hyphen() {
        let name = format!("{} tail", "a".repeat(MAX_STEM_LEN));
        assert!(!stem(&name).unwrap().ends_with('-'));
        assert!(Handle::parse(&stem("x - y").unwrap()).is_ok());
    }

    #[test]
    fn a_given_handle_must_already_be_in_form() {
        assert!(Handle::parse("acme-2").is_ok());
        assert_eq!(Handle::parse(""), Err(HandleError::Empty));
        assert_eq!(Handle::parse("Acme"), Err(HandleError::Invalid));
        assert_eq!(Handle::parse("-acme"), Err(HandleError::Invalid));
        assert_eq!(Handle::parse("acme-"), Err(HandleError::Invalid));
        assert_eq!(Handle::parse("ac--me"), Err(HandleError::Invalid));
        assert_eq!(Handle::parse("acmé"), Err(HandleError::Invalid));
        assert_eq!(Handle::parse(&"a".repeat(65)), Err(HandleError::TooLong));
    }
}
