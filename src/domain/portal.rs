//! The customer portal's rules: what a contact's role lets them do, the session cookie, the
//! sign-in link's lifetime, and which requests count as coming from the portal itself (CSRF).
use serde::Serialize;
use serde_json::Value;

use super::email::Email;
use super::permission::Permission;
use super::time::format_ms;
use super::validation::{not_accepted, object, FieldError};

/// The cookie holding the session's token.
pub const COOKIE: &str = "portal_session";
/// A session lasts this long after its last use (sliding).
pub const SESSION_DAYS: i64 = 7;
/// A sign-in link works this long.
pub const LINK_MINUTES: i64 = 15;
/// A session's expiry is moved on at most this often, so a busy person does not write on every
/// request.
pub const SLIDE_EVERY_MS: i64 = 60 * 60 * 1000;

/// What a contact may do for its organisation and the organisation's sub-customers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum ContactRole {
    /// Reads the organisation, its sub-customers, their interactions and contacts.
    Member,
    /// Also creates, edits and soft-deletes sub-customers and manages contacts.
    Manager,
}

impl ContactRole {
    pub const ALL: [&'static str; 2] = ["member", "manager"];

    pub fn parse(s: &str) -> Option<ContactRole> {
        [ContactRole::Member, ContactRole::Manager].into_iter().find(|r| r.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ContactRole::Member => "member",
            ContactRole::Manager => "manager",
        }
    }

    /// The admin permissions the role stands for inside the person's subtree: the admin handlers
    /// the portal reuses check these. Never force delete, import, export, groups or keys.
    pub fn permissions(self) -> Vec<Permission> {
        match self {
            ContactRole::Member => vec![Permission::CustomersRead],
            ContactRole::Manager => vec![
                Permission::CustomersRead,
                Permission::CustomersCreate,
                Permission::CustomersUpdate,
                Permission::CustomersDelete,
            ],
        }
    }
}

/// The `Set-Cookie` value that starts a session.
pub fn session_cookie(token: &str) -> String {
    format!("{COOKIE}={token}; HttpOnly; Secure; SameSite=Lax; Path=/; Max-Age={}", SESSION_DAYS * 86_400)
}

/// The `Set-Cookie` value that ends one in the browser.
pub fn cleared_cookie() -> String {
    format!("{COOKIE}=; HttpOnly; Secure; SameSite=Lax; Path=/; Max-Age=0")
}

/// The session token in a `Cookie` header, if any.
pub fn token_from_cookie(header: Option<&str>) -> Option<&str> {
    header?.split(';').filter_map(|pair| pair.trim().split_once('=')).find(|(name, _)| *name == COOKIE).map(|(_, v)| v.trim())
}

/// When a session used at `now_ms` expires.
pub fn session_expires_at(now_ms: i64) -> String {
    format_ms(now_ms + SESSION_DAYS * 86_400_000)
}

/// When a sign-in link sent at `now_ms` stops working.
pub fn link_expires_at(now_ms: i64) -> String {
    format_ms(now_ms + LINK_MINUTES * 60_000)
}

/// Whether a state-changing request comes from the worker's own pages: a browser names the
/// page's origin (`Origin`) or how it relates (`Sec-Fetch-Site`) on every such request, and a
/// request from another site names another. A request with neither is not a browser's (no
/// cookie of this site rides on it unasked).
pub fn same_origin(own: &str, origin: Option<&str>, fetch_site: Option<&str>) -> bool {
    let origin_ok = origin.is_none_or(|o| o.trim_end_matches('/').eq_ignore_ascii_case(own.trim_end_matches('/')));
    let site_ok = fetch_site.is_none_or(|s| matches!(s.trim(), "same-origin" | "none"));
    origin_ok && site_ok
}

/// The origin (`scheme://host[:port]`) of an absolute URL.
pub fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let end = url[after_scheme..].find(['/', '?', '#']).map_or(url.len(), |i| after_scheme + i);
    &url[..end]
}

/// The body of `POST /v1/portal/sign-in`: the email, and nothing else.
pub fn parse_sign_in(body: &Value) -> Result<Email, Vec<FieldError>> {
    let map = object(body)?;
    let mut errors: Vec<FieldError> = map.keys().filter(|k| *k != "email").map(|k| not_accepted(k, &[])).collect();
    let email = match map.get("email") {
        Some(Value::String(s)) => match Email::parse(s) {
            Ok(e) => Some(e),
            Err(e) => {
                errors.push(FieldError::new("email", e.code(), e.message()));
                None
            }
        },
        Some(_) => {
            errors.push(FieldError::new("email", "invalid_type", "email must be a string"));
            None
        }
        None => {
            errors.push(FieldError::new("email", "required", "the body needs the email to send the link to"));
            None
        }
    };
    match email {
        Some(e) if errors.is_empty() => Ok(e),
        _ => Err(errors),
    }
}

/// A sign-in link as stored. `check` says whether it still signs in at `now`.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSignInLink {
    pub expires_at: String,
    pub used_at: Option<String>,
    pub revoked_at: Option<String>,
}

impl StoredSignInLink {
    pub fn usable(&self, now: &str) -> bool {
        self.used_at.is_none() && self.revoked_at.is_none() && now < self.expires_at.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn roles_parse_by_name() {
        for name in ContactRole::ALL {
            assert_eq!(ContactRole::parse(name).map(ContactRole::as_str), Some(name));
        }
        assert_eq!(ContactRole::parse("owner"), None);
    }

    #[test]
    fn a_member_only_reads_and_no_role_force_deletes() {
        assert_eq!(ContactRole::Member.permissions(), vec![Permission::CustomersRead]);
        assert!(ContactRole::Manager.permissions().contains(&Permission::CustomersDelete));
        assert!(!ContactRole::Manager.permissions().contains(&Permission::CustomersForceDelete));
        assert!(!ContactRole::Manager.permissions().contains(&Permission::GroupsManage));
    }

    #[test]
    fn the_cookie_is_http_only_secure_and_lax() {
        let c = session_cookie("abc");
        assert!(c.starts_with("portal_session=abc;"));
        for part in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/", "Max-Age=604800"] {
            assert!(c.contains(part), "{c}");
        }
        assert!(cleared_cookie().contains("Max-Age=0"));
    }

    #[test]
    fn the_token_is_found_among_other_cookies() {
        assert_eq!(token_from_cookie(Some("a=1; portal_session=tok; b=2")), Some("tok"));
        assert_eq!(token_from_cookie(Some("xportal_session=tok")), None);
        assert_eq!(token_from_cookie(None), None);
    }

    #[test]
    fn only_the_own_origin_may_change_anything() {
        let own = "https://crm.example";
        assert!(same_origin(own, Some("https://crm.example"), Some("same-origin")));
        assert!(same_origin(own, None, None), "not a browser");
        assert!(!same_origin(own, Some("https://evil.example"), None));
        assert!(!same_origin(own, Some("null"), None));
        assert!(!same_origin(own, None, Some("cross-site")));
        assert!(!same_origin(own, None, Some("same-site")));
    }

    #[test]
    fn the_origin_is_scheme_host_and_port() {
        assert_eq!(origin_of("https://crm.example:8443/v1/portal/me?x=1"), "https://crm.example:8443");
        assert_eq!(origin_of("http://localhost"), "http://localhost");
        assert_eq!(origin_of("http://localhost#a"), "http://localhost");
    }

    #[test]
    fn a_sign_in_body_is_an_email_alone() {
        assert_eq!(parse_sign_in(&json!({"email": " Ada@Example.com "})).unwrap().as_str(), "Ada@Example.com");
        assert!(parse_sign_in(&json!({"email": "ada@example.com", "x": 1})).is_err());
        assert!(parse_sign_in(&json!({"email": "not an email"})).is_err());
        assert!(parse_sign_in(&json!({})).is_err());
    }

    #[test]
    fn a_link_works_once_and_for_fifteen_minutes() {
        let issued = crate::domain::time::parse_ms("2026-01-01T12:00:00.000Z").unwrap();
        let link = StoredSignInLink { expires_at: link_expires_at(issued), used_at: None, revoked_at: None };
        assert_eq!(link.expires_at, "2026-01-01T12:15:00.000Z");
        assert!(link.usable("2026-01-01T12:14:59.999Z"));
        assert!(!link.usable("2026-01-01T12:15:00.000Z"));
        assert!(!StoredSignInLink { used_at: Some("x".into()), ..link.clone() }.usable("2026-01-01T12:00:00.000Z"));
        assert!(!StoredSignInLink { revoked_at: Some("x".into()), ..link }.usable("2026-01-01T12:00:00.000Z"));
    }
}
