//! Activation links for customer users (contacts): the secret token, what is stored of it, how
//! long a link lives and when a stored link still activates its contact.
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::base64url;
use super::contact::ContactStatus;
use super::time::format_ms;
use super::validation::{not_accepted, object, FieldError};

/// 256 bits from the platform's CSPRNG: far past guessing, even at the public rate limit.
pub const TOKEN_BYTES: usize = 32;
/// Unpadded base64url of `TOKEN_BYTES`: URL-safe as is, in a path, a query or a fragment.
pub const TOKEN_LEN: usize = 43;
pub const LIFETIME_HOURS: i64 = 72;

/// The token as the link carries it.
pub fn token_from_bytes(bytes: &[u8; TOKEN_BYTES]) -> String {
    base64url::encode(bytes)
}

/// What is stored of a token: its SHA-256 in lower-case hex. A database reader cannot turn it
/// back into a working link; the token's 256 random bits need no salt or slow hash.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `s` is shaped like a token this service hands out.
pub fn is_token(s: &str) -> bool {
    s.len() == TOKEN_LEN && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// When a link issued at `issued_ms` (milliseconds since the epoch) stops working.
pub fn expires_at(issued_ms: i64) -> String {
    format_ms(issued_ms + LIFETIME_HOURS * 3_600_000)
}

/// The link handed to the person: the configured base with the token appended, so the operator
/// picks where it goes (`https://portal.example/activate?token=` or `...#token=`). A base that is
/// not an absolute http(s) address builds nothing.
pub fn link_url(base: &str, token: &str) -> Option<String> {
    let base = base.trim();
    let scheme_ok = base.starts_with("https://") || base.starts_with("http://");
    let has_host = base.split("://").nth(1).is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'));
    (scheme_ok && has_host && !base.chars().any(char::is_whitespace)).then(|| format!("{base}{token}"))
}

/// The body of `POST /v1/public/contacts/activate`: the token, and nothing else.
pub fn parse_request(body: &Value) -> Result<String, Vec<FieldError>> {
    let map = object(body)?;
    let mut errors: Vec<FieldError> = map.keys().filter(|k| *k != "token").map(|k| not_accepted(k, &[])).collect();
    match map.get("token") {
        Some(Value::String(t)) if is_token(t) => {
            if errors.is_empty() {
                return Ok(t.clone());
            }
        }
        Some(Value::String(_)) => errors.push(FieldError::new(
            "token",
            "invalid",
            format!("token is the {TOKEN_LEN} characters after the link's address"),
        )),
        Some(_) => errors.push(FieldError::new("token", "invalid_type", "token must be a string")),
        None => errors.push(FieldError::new("token", "required", "the body needs the link's token")),
    }
    Err(errors)
}

/// The optional body of `POST .../activation-link`: `{"send": true}` emails the link as well.
pub fn parse_issue_request(body: &Value) -> Result<bool, Vec<FieldError>> {
    let map = object(body)?;
    let mut errors: Vec<FieldError> = map.keys().filter(|k| *k != "send").map(|k| not_accepted(k, &[])).collect();
    let send = match map.get("send") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            errors.push(FieldError::new("send", "invalid_type", "send is true or false"));
            false
        }
    };
    if errors.is_empty() {
        Ok(send)
    } else {
        Err(errors)
    }
}

/// A stored link as activation finds it, with the state of its contact and customer.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredLink {
    pub expires_at: String,
    pub used_at: Option<String>,
    pub revoked_at: Option<String>,
    pub contact_status: ContactStatus,
    pub customer_deleted: bool,
}

/// Why a known link no longer activates anything. The public answer is the same for all of them
/// (410 `link_expired`); the reason is for tests and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Used,
    Revoked,
    Expired,
    /// The contact is no longer pending (disabled meanwhile) or its customer is soft-deleted.
    ContactUnavailable,
}

impl StoredLink {
    /// Whether the link activates its contact at `now` (a stored-format time): unused, not
    /// revoked, strictly before its expiry, for a pending contact of a live customer.
    pub fn check(&self, now: &str) -> Result<(), Refusal> {
        if self.used_at.is_some() {
            Err(Refusal::Used)
        } else if self.revoked_at.is_some() {
            Err(Refusal::Revoked)
        } else if now >= self.expires_at.as_str() {
            Err(Refusal::Expired)
        } else if self.contact_status != ContactStatus::Pending || self.customer_deleted {
            Err(Refusal::ContactUnavailable)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(s: &str) -> i64 {
        crate::domain::time::parse_ms(s).unwrap()
    }

    fn link() -> StoredLink {
        StoredLink {
            expires_at: "2026-01-04T12:00:00.000Z".into(),
            used_at: None,
            revoked_at: None,
            contact_status: ContactStatus::Pending,
            customer_deleted: false,
        }
    }

    #[test]
    fn an_issue_body_may_ask_to_send_the_link() {
        assert_eq!(parse_issue_request(&json!({})), Ok(false));
        assert_eq!(parse_issue_request(&json!({"send": true})), Ok(true));
        assert!(parse_issue_request(&json!({"send": "yes"})).is_err());
        assert!(parse_issue_request(&json!({"send": true, "to": "x"})).is_err());
    }

    #[test]
    fn a_token_is_43_url_safe_characters_carrying_256_bits() {
        let t = token_from_bytes(&[0xfb; TOKEN_BYTES]);
        assert_eq!(t.len(), TOKEN_LEN);
        assert!(t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{t}");
        assert!(!t.contains('='), "no padding");
        assert_eq!(base64url::decode(&t).unwrap(), vec![0xfb; TOKEN_BYTES]);
    }

    #[test]
    fn different_bytes_make_different_tokens() {
        assert_ne!(token_from_bytes(&[1; TOKEN_BYTES]), token_from_bytes(&[2; TOKEN_BYTES]));
    }

    #[test]
    fn tokens_are_recognised_by_shape() {
        assert!(is_token(&token_from_bytes(&[7; TOKEN_BYTES])));
        assert!(!is_token(""));
        assert!(!is_token(&"a".repeat(TOKEN_LEN - 1)));
        assert!(!is_token(&"a".repeat(TOKEN_LEN + 1)));
        assert!(!is_token(&format!("{}+", "a".repeat(TOKEN_LEN - 1))), "standard base64 is not ours");
        assert!(!is_token(&format!("{}=", "a".repeat(TOKEN_LEN - 1))));
    }

    #[test]
    fn the_stored_hash_is_the_sha256_of_the_token_in_hex() {
        assert_eq!(token_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        let t = token_from_bytes(&[9; TOKEN_BYTES]);
        assert_eq!(token_hash(&t).len(), 64);
        assert!(!token_hash(&t).contains(&t));
    }

    #[test]
    fn a_link_lives_72_hours() {
        assert_eq!(expires_at(at("2026-01-01T12:00:00.250Z")), "2026-01-04T12:00:00.250Z");
    }

    #[test]
    fn a_fresh_link_activates() {
        assert_eq!(link().check("2026-01-01T12:00:00.000Z"), Ok(()));
    }

    #[test]
    fn a_link_works_until_the_last_millisecond_before_its_expiry() {
        assert_eq!(link().check("2026-01-04T11:59:59.999Z"), Ok(()));
    }

    #[test]
    fn a_link_is_expired_from_its_expiry_on() {
        assert_eq!(link().check("2026-01-04T12:00:00.000Z"), Err(Refusal::Expired));
        assert_eq!(link().check("2026-02-01T00:00:00.000Z"), Err(Refusal::Expired));
    }

    #[test]
    fn a_used_link_is_refused() {
        let l = StoredLink { used_at: Some("2026-01-02T00:00:00.000Z".into()), ..link() };
        assert_eq!(l.check("2026-01-02T00:00:01.000Z"), Err(Refusal::Used));
    }

    #[test]
    fn a_revoked_link_is_refused() {
        let l = StoredLink { revoked_at: Some("2026-01-02T00:00:00.000Z".into()), ..link() };
        assert_eq!(l.check("2026-01-02T00:00:01.000Z"), Err(Refusal::Revoked));
    }

    #[test]
    fn a_link_of_a_contact_that_is_not_pending_is_refused() {
        for status in [ContactStatus::Active, ContactStatus::Disabled] {
            let l = StoredLink { contact_status: status, ..link() };
            assert_eq!(l.check("2026-01-02T00:00:00.000Z"), Err(Refusal::ContactUnavailable));
        }
    }

    #[test]
    fn a_link_of_a_soft_deleted_customer_is_refused() {
        let l = StoredLink { customer_deleted: true, ..link() };
        assert_eq!(l.check("2026-01-02T00:00:00.000Z"), Err(Refusal::ContactUnavailable));
    }

    #[test]
    fn the_url_is_the_base_with_the_token_appended() {
        assert_eq!(
            link_url("https://portal.example/activate#token=", "T0k3n").as_deref(),
            Some("https://portal.example/activate#token=T0k3n")
        );
        assert_eq!(link_url(" http://localhost:3000/activate/ ", "t").as_deref(), Some("http://localhost:3000/activate/t"));
    }

    #[test]
    fn a_base_that_is_no_absolute_web_address_builds_no_url() {
        for bad in ["", "portal.example/activate?token=", "javascript:alert(1)//", "https://", "https:///x", "https://a b/"] {
            assert_eq!(link_url(bad, "t"), None, "{bad:?}");
        }
    }

    #[test]
    fn an_activation_request_carries_only_a_token() {
        let t = token_from_bytes(&[3; TOKEN_BYTES]);
        assert_eq!(parse_request(&json!({ "token": t })), Ok(t.clone()));
        let errs = parse_request(&json!({ "token": t, "email": "x@example.com" })).unwrap_err();
        assert_eq!(
            errs.iter().map(|e| (e.field.as_str(), e.code.as_str())).collect::<Vec<_>>(),
            vec![("email", "unknown_field")]
        );
    }

    #[test]
    fn a_malformed_activation_request_names_the_token() {
        for (body, code) in [
            (json!({}), "required"),
            (json!({ "token": 7 }), "invalid_type"),
            (json!({ "token": null }), "invalid_type"),
            (json!({ "token": "short" }), "invalid"),
            (json!({ "token": format!("{}\u{0}", "a".repeat(TOKEN_LEN - 1)) }), "invalid"),
        ] {
            let errs = parse_request(&body).unwrap_err();
            assert_eq!((errs[0].field.as_str(), errs[0].code.as_str()), ("token", code), "{body}");
        }
        assert_eq!(parse_request(&json!("token")).unwrap_err()[0].field, "body");
    }
}
