//! An email address as the contract accepts it: trimmed, at most 254 characters, one `@`,
//! a dotted domain, no invisible formatting characters. Stored in Unicode NFC, so `josé` typed
//! as one code point or as `e` plus a combining accent is one address. Matching is
//! case-insensitive, so `normalized` is what uniqueness uses.
use std::fmt;

use super::fields::is_format_char;
use super::unicode::{lowercase, nfc};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailError {
    Empty,
    TooLong,
    Invalid(&'static str),
}

impl EmailError {
    pub fn code(&self) -> &'static str {
        match self {
            EmailError::Empty => "required",
            EmailError::TooLong => "too_long",
            EmailError::Invalid(_) => "invalid",
        }
    }
    pub fn message(&self) -> String {
        match self {
            EmailError::Empty => "email is empty".into(),
            EmailError::TooLong => "email is longer than 254 characters".into(),
            EmailError::Invalid(why) => format!("not a valid email address: {why}"),
        }
    }
}

pub const MAX_EMAIL_LEN: usize = 254;

impl Email {
    pub fn parse(raw: &str) -> Result<Email, EmailError> {
        // Composing joins at most four code points into one, and a code point is at most four
        // bytes: text this long is too long in any form, and is not copied to be composed (an
        // uploaded cell may be megabytes).
        if raw.trim().len() > 16 * MAX_EMAIL_LEN {
            return Err(EmailError::TooLong);
        }
        let composed = nfc(raw.trim());
        let s = composed.as_str();
        if s.is_empty() {
            return Err(EmailError::Empty);
        }
        if s.chars().count() > MAX_EMAIL_LEN {
            return Err(EmailError::TooLong);
        }
        let (local, domain) = s.rsplit_once('@').ok_or(EmailError::Invalid("missing @"))?;
        if local.is_empty() || local.len() > 64 {
            return Err(EmailError::Invalid("the part before @ must be 1 to 64 characters"));
        }
        if local.contains('@') {
            return Err(EmailError::Invalid("more than one @"));
        }
        if s.chars().any(is_format_char) {
            // U+200B and friends make `x\u{200B}@example.com` look like `x@example.com`.
            return Err(EmailError::Invalid("contains an invisible formatting character"));
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\\\"".contains(c)) {
            return Err(EmailError::Invalid("contains a space or a character not allowed in an address"));
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err(EmailError::Invalid("misplaced dot before @"));
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 {
            return Err(EmailError::Invalid("the domain needs a dot"));
        }
        for label in &labels {
            let ok = !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-');
            if !ok {
                return Err(EmailError::Invalid("the domain is not valid"));
            }
        }
        Ok(Email(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key uniqueness and lookups use: the whole address lower-cased.
    pub fn normalized(&self) -> String {
        normalize_email(&self.0)
    }
}

/// Trims, composes (NFC) and lower-cases a raw address the same way stored ones are, for
/// uniqueness and exact-match filters.
pub fn normalize_email(raw: &str) -> String {
    lowercase(&nfc(raw.trim()))
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_plain_address_is_accepted() {
        assert_eq!(Email::parse("ada@example.com").unwrap().as_str(), "ada@example.com");
    }

    #[test]
    fn surrounding_whitespace_is_trimmed() {
        assert_eq!(Email::parse("  ada@example.com\n").unwrap().as_str(), "ada@example.com");
    }

    #[test]
    fn case_is_kept_for_display_but_not_for_matching() {
        let e = Email::parse("Ada@Example.COM").unwrap();
        assert_eq!(e.as_str(), "Ada@Example.COM");
        assert_eq!(e.normalized(), "ada@example.com");
    }

    #[test]
    fn an_empty_address_is_required() {
        assert_eq!(Email::parse("   "), Err(EmailError::Empty));
    }

    #[test]
    fn an_address_without_at_is_rejected() {
        assert!(matches!(Email::parse("ada.example.com"), Err(EmailError::Invalid(_))));
    }

    #[test]
    fn an_address_without_a_dotted_domain_is_rejected() {
        assert!(Email::parse("ada@localhost").is_err());
    }

    #[test]
    fn two_ats_are_rejected() {
        assert!(Email::parse("a@b@example.com").is_err());
    }

    #[test]
    fn spaces_inside_are_rejected() {
        assert!(Email::parse("ada lovelace@example.com").is_err());
    }

    #[test]
    fn addresses_over_254_characters_are_too_long() {
        let long = format!("{}@{}.com", "a".repeat(60), "b".repeat(200));
        assert_eq!(Email::parse(&long), Err(EmailError::TooLong));
        assert_eq!(Email::parse(&format!("a@{}.com", "\u{e9}".repeat(10_000))), Err(EmailError::TooLong));
    }

    #[test]
    fn exactly_254_characters_is_allowed() {
        let domain = format!("{}.{}.{}.{}", "b".repeat(63), "c".repeat(63), "d".repeat(63), "e".repeat(63 - 4 - 2));
        let email = format!("a@{domain}");
        assert!(email.len() <= 254);
        assert!(Email::parse(&email).is_ok());
    }

    #[test]
    fn plus_addressing_and_subdomains_are_accepted() {
        assert!(Email::parse("ada+crm@mail.example.co.uk").is_ok());
    }

    #[test]
    fn international_domains_are_accepted() {
        assert!(Email::parse("ada@exämple.de").is_ok());
    }

    #[test]
    fn composed_and_decomposed_spellings_are_one_address() {
        let composed = Email::parse("jos\u{e9}@example.com").unwrap();
        let decomposed = Email::parse("jose\u{301}@example.com").unwrap();
        assert_eq!(composed, decomposed);
        assert_eq!(decomposed.as_str(), "jos\u{e9}@example.com");
        assert_eq!(normalize_email("JOSE\u{301}@example.com"), composed.normalized());
    }

    #[test]
    fn invisible_characters_make_an_address_invalid() {
        for raw in [
            "x\u{200B}@example.com",
            "x@exa\u{200D}mple.com",
            "\u{202E}x@example.com",
            "x\u{FEFF}@example.com",
            "x\u{00AD}y@example.com",
        ] {
            assert!(matches!(Email::parse(raw), Err(EmailError::Invalid(_))), "{raw:?}");
        }
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,300}") {
            let _ = Email::parse(&s);
        }

        #[test]
        fn accepted_addresses_are_trimmed_and_bounded(s in "[ a-zA-Z0-9.@_+-]{0,80}") {
            if let Ok(e) = Email::parse(&s) {
                prop_assert_eq!(e.as_str(), e.as_str().trim());
                prop_assert!(e.as_str().chars().count() <= MAX_EMAIL_LEN);
                prop_assert!(e.as_str().contains('@'));
            }
        }
    }
}
