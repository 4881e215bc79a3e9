//! Scoped API keys: what a create request may ask for, and the secret's format.
use serde_json::Value;

use super::permission::Permission;
use super::validation::{not_accepted, object, FieldError};

/// Secrets start with this, so a leaked one is recognisable (and greppable by secret scanners).
pub const SECRET_PREFIX: &str = "cmk_";
/// How much of the secret is stored in clear to let humans tell keys apart.
pub const SHOWN_PREFIX_LEN: usize = 12;
pub const MAX_NAME_LEN: usize = 100;

#[derive(Debug, Clone, PartialEq)]
pub struct NewApiKey {
    pub name: String,
    pub permissions: Vec<Permission>,
}

impl NewApiKey {
    pub fn parse(body: &Value) -> Result<NewApiKey, Vec<FieldError>> {
        let map = object(body)?;
        let mut errors = Vec::new();
        let name = match map.get("name").and_then(Value::as_str) {
            Some(n) => super::fields::identifier_str(&mut errors, "name", n, MAX_NAME_LEN),
            None => {
                errors.push(FieldError::new(
                    "name",
                    "invalid",
                    format!("name must be a string of 1 to {MAX_NAME_LEN} characters"),
                ));
                None
            }
        };
        let mut permissions = Vec::new();
        match map.get("permissions").and_then(Value::as_array) {
            Some(list) if !list.is_empty() => {
                for (i, p) in list.iter().enumerate() {
                    match p.as_str().and_then(Permission::parse) {
                        Some(p) if !permissions.contains(&p) => permissions.push(p),
                        Some(_) => {}
                        None => errors.push(FieldError::new(
                            format!("permissions[{i}]"),
                            "unknown_permission",
                            format!("unknown permission {p}; known: {}", Permission::ALL.map(|p| p.as_str()).join(", ")),
                        )),
                    }
                }
            }
            _ => {
                errors.push(FieldError::new("permissions", "invalid", "permissions must be a non-empty list of permission names"))
            }
        }
        for key in map.keys().filter(|k| !["name", "permissions"].contains(&k.as_str())) {
            errors.push(not_accepted(key, &[]));
        }
        match name {
            Some(name) if errors.is_empty() => Ok(NewApiKey { name, permissions }),
            _ => Err(errors),
        }
    }
}

impl NewApiKey {
    /// The first permission the new key asks for that its creator does not hold: a key can
    /// hand on only what it has, so `keys:manage` alone never mints a `force_delete` key.
    pub fn first_not_held_by(&self, held: impl Fn(Permission) -> bool) -> Option<Permission> {
        self.permissions.iter().copied().find(|p| !held(*p))
    }
}

/// Whether a caller holding `held` may see and revoke a key holding `permissions`: only a key that
/// holds nothing the caller lacks, so `keys:manage` never reaches a stronger key. The admin
/// token and owners hold every permission and so reach every key.
pub fn within_reach(permissions: &[Permission], held: impl Fn(Permission) -> bool) -> bool {
    permissions.iter().all(|p| held(*p))
}

/// Builds a secret from 32 random bytes: the prefix, then lower-case hex.
pub fn secret_from_bytes(bytes: &[u8; 32]) -> String {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{SECRET_PREFIX}{hex}")
}

pub fn shown_prefix(secret: &str) -> String {
    secret.chars().take(SHOWN_PREFIX_LEN).collect()
}

/// Whether a bearer token is shaped like one of our secrets (saves a lookup for junk).
pub fn looks_like_secret(token: &str) -> bool {
    token.len() == SECRET_PREFIX.len() + 64
        && token.starts_with(SECRET_PREFIX)
        && token[SECRET_PREFIX.len()..].chars().all(|c| c.is_ascii_hexdigit())
}

/// The setting that maps Access service tokens to API keys: `client-id=key-id` pairs separated by
/// commas. A machine behind Access cannot send a bearer token (Access answers it first), so its
/// service token's client id stands for the key, with the key's permissions.
pub const SERVICE_TOKENS: &str = "ACCESS_SERVICE_TOKENS";

/// The API key id `setting` (`SERVICE_TOKENS`) maps this client id to; spaces around names are
/// ignored, an empty client id matches nothing.
pub fn service_token_key<'a>(setting: &'a str, client_id: &str) -> Option<&'a str> {
    if client_id.is_empty() {
        return None;
    }
    setting
        .split(',')
        .filter_map(|pair| pair.split_once('='))
        .find_map(|(client, key)| (client.trim() == client_id && !key.trim().is_empty()).then(|| key.trim()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn service_tokens_map_client_ids_to_key_ids() {
        let setting = " a1.access = key-1 ,b2.access=key-2,broken, c3.access= ";
        assert_eq!(super::service_token_key(setting, "a1.access"), Some("key-1"));
        assert_eq!(super::service_token_key(setting, "b2.access"), Some("key-2"));
        assert_eq!(super::service_token_key(setting, "c3.access"), None);
        assert_eq!(super::service_token_key(setting, "broken"), None);
        assert_eq!(super::service_token_key(setting, ""), None);
        assert_eq!(super::service_token_key("", "a1.access"), None);
    }

    use super::*;
    use serde_json::json;

    #[test]
    fn a_named_key_with_known_permissions_is_accepted() {
        let k = NewApiKey::parse(&json!({"name": "reader", "permissions": ["customers:read", "customers:read"]})).unwrap();
        assert_eq!(k.permissions, vec![Permission::CustomersRead]);
    }

    #[test]
    fn unknown_permissions_are_named() {
        let e = NewApiKey::parse(&json!({"name": "x", "permissions": ["customers:read", "customers:*"]})).unwrap_err();
        assert_eq!(e[0].field, "permissions[1]");
        assert_eq!(e[0].code, "unknown_permission");
    }

    #[test]
    fn an_empty_permission_list_is_refused() {
        assert!(NewApiKey::parse(&json!({"name": "x", "permissions": []})).is_err());
    }

    #[test]
    fn a_missing_name_and_unknown_fields_are_refused() {
        let e = NewApiKey::parse(&json!({"permissions": ["audit:read"], "secret": "mine"})).unwrap_err();
        assert_eq!(e.len(), 2);
    }

    #[test]
    fn key_names_with_control_or_bidi_characters_are_refused() {
        for bad in ["ci\u{0}", "ci\r\nAdmin: yes", "ci\u{202E}nimda"] {
            let e = NewApiKey::parse(&json!({"name": bad, "permissions": ["audit:read"]})).unwrap_err();
            assert_eq!((e[0].field.as_str(), e[0].code.as_str()), ("name", "invalid"), "{bad:?}");
        }
    }

    #[test]
    fn a_key_may_ask_only_for_what_its_creator_holds() {
        let new = NewApiKey::parse(&json!({"name": "x", "permissions": ["keys:manage", "customers:force_delete"]})).unwrap();
        let only_keys = |p: Permission| p == Permission::KeysManage;
        assert_eq!(new.first_not_held_by(only_keys), Some(Permission::CustomersForceDelete));
        assert_eq!(new.first_not_held_by(|_| true), None);
    }

    #[test]
    fn a_caller_reaches_only_keys_within_its_own_permissions() {
        use Permission::*;
        let caller = [KeysManage, CustomersRead];
        let held = |p: Permission| caller.contains(&p);
        assert!(within_reach(&[CustomersRead], held));
        assert!(within_reach(&[KeysManage, CustomersRead], held));
        assert!(!within_reach(&[CustomersRead, CustomersForceDelete], held));
        assert!(!within_reach(&[AdminsManage], held));
        assert!(within_reach(&Permission::ALL, |_| true));
    }

    #[test]
    fn secrets_have_the_prefix_and_256_bits_of_hex() {
        let s = secret_from_bytes(&[0xab; 32]);
        assert!(s.starts_with("cmk_abab"));
        assert_eq!(s.len(), 4 + 64);
        assert!(looks_like_secret(&s));
    }

    #[test]
    fn the_shown_prefix_is_short() {
        assert_eq!(shown_prefix(&secret_from_bytes(&[1; 32])), "cmk_01010101");
    }

    #[test]
    fn junk_does_not_look_like_a_secret() {
        assert!(!looks_like_secret("cmk_xyz"));
        assert!(!looks_like_secret(&format!("abc_{}", "0".repeat(64))));
    }
}
