//! Bearer-token authentication. Secrets are compared through their SHA-256 digests in constant
//! time, so neither content nor length leaks through timing.
use sha2::{Digest, Sha256};
use worker::D1Database;

use super::error::{ApiError, ApiResult};
use super::Actor;
use crate::domain::admin::Role;
use crate::domain::api_key::looks_like_secret;
use crate::domain::permission::Permission;
use crate::domain::portal;
use crate::domain::time;
use crate::storage::d1::run;
use crate::storage::portal as portal_store;
use crate::storage::{admins, api_keys};

pub fn bearer_token(authorization: Option<&str>) -> Option<&str> {
    let value = authorization?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// A credential's last use (`last`, as read with it) is written again at most once a minute, so a
/// busy key or admin does not write on every request, nor even send the guarded write: `Some`
/// bound (a minute ago) when it is due, which the write's WHERE checks again to settle a race;
/// `None` when the use read is fresh.
fn use_to_record(last: Option<&str>) -> Option<String> {
    let before = time::format_ms(time::now_ms() - 60_000);
    time::missing_or_before(last, &before).then_some(before)
}

/// The actor of the live API key with this id: what an Access service token mapped to the key
/// (`ACCESS_SERVICE_TOKENS`) may do. Revoking the key shuts the service token out too.
pub async fn actor_for_key_id(db: &D1Database, id: &str) -> ApiResult<Option<Actor>> {
    live_key(db, api_keys::KeyLookup::Id(id)).await
}

/// The actor of a live key (its admin enabled), bounded by that admin's role now; its use is
/// recorded at most once a minute.
async fn live_key(db: &D1Database, lookup: api_keys::KeyLookup<'_>) -> ApiResult<Option<Actor>> {
    let Some((row, admin_role)) = api_keys::find_live(db, lookup).await? else { return Ok(None) };
    if let Some(stale_before) = use_to_record(row.last_used_at.as_deref()) {
        api_keys::touch(db, &row.id, &time::now(), &stale_before).await?;
    }
    let permissions = bounded_by_minter(row.permissions(), admin_role);
    Ok(Some(Actor::ApiKey { permissions, id: row.id, admin_id: row.admin_id }))
}

/// The actor behind an API key secret, if it is a live key. Marks the key used, at most once a
/// minute, so a busy key does not write (or even ask to) on every request.
pub async fn actor_for_key(db: &D1Database, secret: &str) -> ApiResult<Option<Actor>> {
    if !looks_like_secret(secret) {
        return Ok(None);
    }
    live_key(db, api_keys::KeyLookup::SecretHash(&sha256_hex(secret))).await
}

/// The admin behind a verified Access email: an enabled admin, or an owner named in
/// `ADMIN_OWNERS` whose email never had an admin row (created then; a removed one stays removed);
/// anyone else is `not_an_admin`.
pub async fn actor_for_admin(db: &D1Database, owners: &[String], email: &str) -> ApiResult<Actor> {
    let mut admin = admins::by_email(db, email).await?;
    if admin.is_none() && owners.iter().any(|o| o == email) {
        run(&admins::insert_owner_if_missing_statement(db, &uuid::Uuid::now_v7().to_string(), email, &time::now())?).await?;
        admin = admins::by_email(db, email).await?;
    }
    match admin {
        Some(a) if !a.disabled => {
            if let Some(stale_before) = use_to_record(a.last_seen_at.as_deref()) {
                admins::touch(db, &a.id, &time::now(), &stale_before).await?;
            }
            Ok(Actor::Admin { id: a.id, email: a.email, role: a.role })
        }
        _ => Err(ApiError::NotAnAdmin),
    }
}

/// A key holds no more than the admin it rests on holds now: demoting that admin narrows their
/// keys at once. Keys minted under the admin token rest on no admin.
fn bounded_by_minter(permissions: Vec<Permission>, admin_role: Option<Role>) -> Vec<Permission> {
    match admin_role {
        Some(role) => {
            let held = role.permissions();
            permissions.into_iter().filter(|p| held.contains(p)).collect()
        }
        None => permissions,
    }
}

/// The person behind a portal session cookie, or 401. The session's expiry slides on, written
/// at most once an hour.
pub async fn actor_for_portal(db: &D1Database, cookie: Option<&str>) -> ApiResult<Actor> {
    let token =
        portal::token_from_cookie(cookie).filter(|t| crate::domain::activation::is_token(t)).ok_or(ApiError::Unauthorized)?;
    let hash = sha256_hex(token);
    let now_ms = time::now_ms();
    let now = time::format_ms(now_ms);
    let (email, last_used) = portal_store::session(db, &hash, &now).await?.ok_or(ApiError::Unauthorized)?;
    let stale_before = time::format_ms(now_ms - portal::SLIDE_EVERY_MS);
    if last_used < stale_before {
        run(&portal_store::slide_statement(db, &hash, &now, &portal::session_expires_at(now_ms), &stale_before)?).await?;
    }
    Ok(Actor::Portal { email, session: hash, acting: None })
}

pub fn sha256_hex(data: &str) -> String {
    Sha256::digest(data.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

pub fn sha256(data: &str) -> [u8; 32] {
    Sha256::digest(data.as_bytes()).into()
}

/// Whether `secret`'s SHA-256 is `digest`, compared in constant time whatever the lengths: the
/// admin token's digest is taken once per isolate (`Config::admin_token_sha256`), so a request
/// hashes only what it sent.
pub fn matches_digest(secret: &str, digest: &[u8; 32]) -> bool {
    sha256(secret).iter().zip(digest.iter()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        assert_eq!(bearer_token(Some("bearer abc")), Some("abc"));
        assert_eq!(bearer_token(Some("Bearer  abc ")), Some("abc"));
    }

    #[test]
    fn other_schemes_and_empty_tokens_are_refused() {
        assert_eq!(bearer_token(Some("Basic abc")), None);
        assert_eq!(bearer_token(Some("Bearer ")), None);
        assert_eq!(bearer_token(None), None);
    }

    #[test]
    fn equal_secrets_compare_equal_and_others_do_not() {
        assert!(matches_digest("s3cret", &sha256("s3cret")));
        assert!(!matches_digest("s3cret", &sha256("s3cret2")));
        assert!(!matches_digest("", &sha256("x")));
    }

    #[test]
    fn a_key_holds_no_more_than_its_admins_role_now() {
        use Permission::*;
        let key = vec![CustomersRead, CustomersForceDelete, KeysManage];
        assert_eq!(bounded_by_minter(key.clone(), Some(Role::Viewer)), vec![CustomersRead]);
        assert_eq!(bounded_by_minter(key.clone(), Some(Role::Owner)), key);
        assert_eq!(bounded_by_minter(key.clone(), None), key);
    }

    #[test]
    fn sha256_is_lower_hex() {
        assert_eq!(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
