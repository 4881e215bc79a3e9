//! `/v1/api-keys`: scoped credentials. The secret is shown once, at creation.
use serde_json::{json, Value};
use worker::Response;

use super::audit_entry;
use crate::domain::api_key::{secret_from_bytes, shown_prefix, within_reach, NewApiKey};
use crate::domain::permission::Permission;
use crate::domain::{json, time};
use crate::http::auth::sha256_hex;
use crate::http::error::{ApiError, ApiResult};
use crate::http::{Answer, Ctx};
use crate::storage::api_keys::{self, KeyRow};
use crate::storage::audit;
use crate::storage::run_with_audit;

fn public_view(row: &KeyRow) -> Value {
    json!({
        "id": row.id, "name": row.name, "prefix": row.prefix,
        "permissions": json::parse(&row.permissions).unwrap_or(json!([])),
        "created_at": row.created_at, "last_used_at": row.last_used_at, "revoked_at": row.revoked_at,
        "created_by": row.created_by,
    })
}

pub async fn create(cx: &mut Ctx) -> ApiResult<Response> {
    let body = cx.json_body().await?;
    let new = NewApiKey::parse(&body).map_err(ApiError::Validation)?;
    if let Some(missing) = new.first_not_held_by(|p| cx.actor.has(p)) {
        return Err(ApiError::Forbidden { permission: missing.as_str() });
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::Internal(format!("random: {e}")))?;
    let secret = secret_from_bytes(&bytes);
    let now = time::now();
    let names: Vec<&str> = new.permissions.iter().map(|p| p.as_str()).collect();
    let row = KeyRow {
        id: super::new_id(),
        name: new.name,
        prefix: shown_prefix(&secret),
        permissions: serde_json::to_string(&names).unwrap_or_default(),
        created_at: now.clone(),
        last_used_at: None,
        revoked_at: None,
        created_by: Some(cx.actor.label()),
        admin_id: cx.actor.minting_admin(),
    };
    let db = cx.db()?;
    let mut entry = audit_entry(cx, "api_key.create", "api_key", Some(&row.id), vec!["name", "permissions"]);
    entry.details = json!({ "permissions": names });
    run_with_audit(
        &db,
        api_keys::insert_statement(&db, &row, &sha256_hex(&secret))?,
        audit::insert_statement(&db, &entry, &now)?,
    )
    .await?;
    let mut view = public_view(&row);
    view["secret"] = json!(secret);
    Answer::json(201, &view)?.into_response()
}

/// Whether a caller holding `held` may see and revoke this key (`api_key::within_reach`).
fn reachable(held: &[Permission], row: &KeyRow) -> bool {
    within_reach(&row.permissions(), |p| held.contains(&p))
}

pub async fn list(cx: &mut Ctx) -> ApiResult<Response> {
    let rows = api_keys::list(&cx.db()?).await?;
    let held = cx.actor.permissions();
    let shown: Vec<Value> = rows.iter().filter(|r| reachable(&held, r)).map(public_view).collect();
    Answer::json(200, &json!({ "data": shown }))?.into_response()
}

pub async fn revoke(cx: &mut Ctx) -> ApiResult<Response> {
    let id = cx.param("id").to_string();
    let db = cx.db()?;
    // A key beyond the caller's reach is as unknown to it as one that does not exist.
    api_keys::get(&db, &id).await?.filter(|r| reachable(&cx.actor.permissions(), r)).ok_or(ApiError::NotFound("API key"))?;
    let now = time::now();
    let entry = audit_entry(cx, "api_key.revoke", "api_key", Some(&id), vec!["revoked_at"]);
    run_with_audit(&db, api_keys::revoke_statement(&db, &id, &now)?, audit::insert_if_changed_statement(&db, &entry, &now)?)
        .await?;
    Ok(Response::empty()?.with_status(204))
}
