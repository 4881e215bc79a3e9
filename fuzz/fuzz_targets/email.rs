//! Any string as an email address: `Email::parse` must not panic, and an accepted address must
//! have the properties the contract and the uniqueness rule rely on.
#![no_main]
use customers::domain::email::{normalize_email, Email, MAX_EMAIL_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else { return };
    let Ok(email) = Email::parse(raw) else { return };
    let s = email.as_str();
    assert_eq!(s, raw.trim(), "an accepted address is the input, trimmed");
    assert!(!s.is_empty() && s.chars().count() <= MAX_EMAIL_LEN);
    let (local, domain) = s.rsplit_once('@').expect("an accepted address has an @");
    assert!(!local.is_empty() && local.len() <= 64 && !local.contains('@'));
    assert!(domain.contains('.'));
    assert!(!s.chars().any(|c| c.is_whitespace() || c.is_control()));
    // Parsing is idempotent, and the matching key is the lower-cased address.
    assert_eq!(Email::parse(s), Ok(email.clone()));
    assert_eq!(email.normalized(), normalize_email(raw));
    assert_eq!(email.normalized(), s.to_lowercase());
});
