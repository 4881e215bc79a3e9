//! `/v1/admins` (owners: `admins:manage`) and `/v1/me` (anyone signed in): the people who sign
//! in through Cloudflare Access and their roles.
use serde_json::json;
use worker::Response;

use super::{audit_entry, new_id, uuid_or_404};
use crate::domain::admin::{Admin, AdminPatch, NewAdmin};
use crate::domain::time;
use crate::http::error::{ApiError, ApiResult};
use crate::http::{Actor, Answer, Ctx};
use crate::storage::{admins, audit, run_with_audit};

fn last_owner() -> ApiError {
    ApiError::Conflict { code: "last_owner", message: "this is the last enabled owner; make another owner first".into() }
}

async fn load(cx: &Ctx, id: &str) -> ApiResult<Admin> {
    uuid_or_404(id, "admin")?;
    admins::get(&cx.db()?, id).await?.ok_or(ApiError::NotFound("admin"))
}

pub async fn list(cx: &mut Ctx) -> ApiResult<Response> {
    cx.query.allow_only(&[])?;
    Answer::json(200, &json!({ "data": admins::list(&cx.db()?).await? }))?.into_response()
}

pub async fn create(cx: &mut Ctx) -> ApiResult<Response> {
    let new = NewAdmin::parse(&cx.json_body().await?).map_err(ApiError::Validation)?;
    let now = time::now();
    let admin = Admin {
        id: new_id(),
        email: new.email.to_string(),
        role: new.role,
        disabled: false,
        created_at: now.clone(),
        last_seen_at: None,
    };
    let mut entry = audit_entry(cx, "admin.create", "admin", Some(&admin.id), vec!["email", "role"]);
    entry.details = json!({ "role": admin.role.as_str() });
    let db = cx.db()?;
    run_with_audit(&db, admins::insert_statement(&db, &admin)?, audit::insert_statement(&db, &entry, &now)?).await?;
    Answer::json(201, &admin)?.with_header("Location", format!("/v1/admins/{}", admin.id)).into_response()
}

pub async fn update(cx: &mut Ctx) -> ApiResult<Response> {
    let id = cx.param("id").to_string();
    let patch = AdminPatch::parse(&cx.json_body().await?).map_err(ApiError::Validation)?;
    let current = load(cx, &id).await?;
    let mut changed = vec![];
    if patch.role.is_some_and(|r| r != current.role) {
        changed.push("role");
    }
    if patch.disabled.is_some_and(|d| d != current.disabled) {
        changed.push("disabled");
    }
    if changed.is_empty() {
        return Answer::json(200, &current)?.into_response();
    }
    let now = time::now();
    let mut entry = audit_entry(cx, "admin.update", "admin", Some(&id), changed);
    entry.details = json!({ "role": patch.role.unwrap_or(current.role).as_str() });
    let db = cx.db()?;
    let written =
        run_with_audit(&db, admins::update_statement(&db, &id, &patch)?, audit::insert_if_changed_statement(&db, &entry, &now)?)
            .await?;
    if written == 0 && patch.removes_owner(&current) {
        return Err(last_owner());
    }
    Answer::json(200, &load(cx, &id).await?)?.into_response()
}

pub async fn delete(cx: &mut Ctx) -> ApiResult<Response> {
    let id = cx.param("id").to_string();
    let current = load(cx, &id).await?;
    let now = time::now();
    let entry = audit_entry(cx, "admin.delete", "admin", Some(&id), vec![]);
    let db = cx.db()?;
    let removed =
        run_with_audit(&db, admins::delete_statement(&db, &id)?, audit::insert_if_changed_statement(&db, &entry, &now)?).await?;
    if removed == 0 && current.is_enabled_owner() {
        return Err(last_owner());
    }
    Ok(Response::empty()?.with_status(204))
}

/// Who the caller is, and what they may do: for the console to show the person and hide the
/// actions their role lacks.
pub async fn me(cx: &mut Ctx) -> ApiResult<Response> {
    cx.query.allow_only(&[])?;
    let permissions: Vec<&str> = cx.actor.permissions().iter().map(|p| p.as_str()).collect();
    let who = match &cx.actor {
        Actor::Admin { id, email, role } => json!({ "kind": "admin", "id": id, "email": email, "role": role.as_str() }),
        Actor::ApiKey { id, .. } => json!({ "kind": "api_key", "id": id }),
        Actor::AdminToken => json!({ "kind": "admin_token" }),
        Actor::Anonymous | Actor::Portal { .. } => json!({ "kind": "anonymous" }),
    };
    Answer::json(200, &json!({ "actor": cx.actor.label(), "who": who, "permissions": permissions }))?.into_response()
}
