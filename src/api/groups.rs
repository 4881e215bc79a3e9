//! `/v1/groups`: customer groups and their members. Deleting a group keeps its customers.
use serde_json::json;
use worker::Response;

use super::audit_entry;
use crate::domain::group::{Group, GroupPatch, MemberIds, NewGroup};
use crate::domain::time;
use crate::http::error::{ApiError, ApiResult};
use crate::http::{Answer, Ctx};
use crate::storage::audit;
use crate::storage::customers::existing;
use crate::storage::groups;
use crate::storage::run_with_audit;

async fn load(cx: &Ctx, id: &str) -> ApiResult<Group> {
    super::uuid_or_404(id, "group")?;
    groups::get(&cx.db()?, id).await?.ok_or(ApiError::NotFound("group"))
}

pub async fn list(cx: &mut Ctx) -> ApiResult<Response> {
    let data = groups::list(&cx.db()?).await?;
    Answer::json(200, &json!({ "data": data }))?.into_response()
}

pub async fn get(cx: &mut Ctx) -> ApiResult<Response> {
    let id = cx.param("id").to_string();
    Answer::json(200, &load(cx, &id).await?)?.into_response()
}

pub async fn create(cx: &mut Ctx) -> ApiResult<Response> {
    let new = NewGroup::parse(&cx.json_body().await?).map_err(ApiError::Validation)?;
    let db = cx.db()?;
    let now = time::now();
    let group = Group {
        id: super::new_id(),
        name: new.name,
        description: new.description,
        member_count: 0,
        created_at: now.clone(),
        updated_at: now.clone(),
    };
    let mut changed = vec!["name"];
    if group.description.is_some() {
        changed.push("description");
    }
    let entry = audit_entry(cx, "group.create", "group", Some(&group.id), changed);
    run_with_audit(&db, groups::insert(&db, &group)?, audit::insert(&db, &entry, &now)?).await?;
    Answer::json(201, &group)?.with_header("Location", format!("/v1/groups/{}", group.id)).into_response()
}

pub async fn update(cx: &mut Ctx) -> ApiResult<Response> {
    let id = cx.param("id").to_string();
    let patch = GroupPatch::parse(&cx.json_body().await?).map_err(ApiError::Validation)?;
    let current = load(cx, &id).await?;
    let (change, changed) = patch.changes_to(&current);
    if changed.is_empty() {
        return Answer::json(200, &current)?.into_response();
    }
    let db = cx.db()?;
    let now = time::now();
    let entry = audit_entry(cx, "group.update", "group", Some(&id), changed);
    let updated =
        run_with_audit(&db, groups::update(&db, &id, &change, &now)?, audit::insert_if_changed(&db, &entry, &now)?).await?;
    if updated == 0 {
        return Err(ApiError::NotFound("group"));
    }
    Answer::json(200, &load(cx, &id).await?)?.into_response()
}

pub async fn delete(cx: &mut Ctx) -> ApiResult<Response> {
    let id = cx.param("id").to_string();
    super::uuid_or_404(&id, "group")?;
    let db = cx.db()?;
    let now = time::now();
    let entry = audit_entry(cx, "group.delete", "group", Some(&id), vec![]);
    let deleted = run_with_audit(&db, groups::delete(&db, &id)?, audit::insert_if_changed(&db, &entry, &now)?).await?;
    if deleted == 0 {
        return Err(ApiError::NotFound("group"));
    }
    Ok(Response::empty()?.with_status(204))
}

/// Reads a members body and checks the group and every customer id: 404 for an unknown
/// group, 422 naming each unknown (or, when adding, soft-deleted) customer.
async fn members_request(cx: &mut Ctx, adding: bool) -> ApiResult<(String, MemberIds)> {
    let id = cx.param("id").to_string();
    let ids = MemberIds::parse(&cx.json_body().await?).map_err(ApiError::Validation)?;
    load(cx, &id).await?;
    let found = existing(&cx.db()?, &ids.0).await?;
    let problems = ids.problems(&found, adding);
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    Ok((id, ids))
}

/// The audit entry of a membership change: the group is the target; the customer ids (not
/// personal values) go in the details so each customer's history can be traced.
fn members_entry<'a>(cx: &'a Ctx, action: &'a str, group_id: &str, ids: &MemberIds) -> crate::storage::audit::AuditEntry<'a> {
    let mut entry = audit_entry(cx, action, "group", Some(group_id), vec!["members"]);
    entry.details = json!({ "customer_ids": ids.0 });
    entry
}

pub async fn add_members(cx: &mut Ctx) -> ApiResult<Response> {
    let (id, ids) = members_request(cx, true).await?;
    let db = cx.db()?;
    let now = time::now();
    let entry = members_entry(cx, "group.members_add", &id, &ids);
    let added =
        run_with_audit(&db, groups::add_members(&db, &id, &ids.0, &now)?, audit::insert_if_changed(&db, &entry, &now)?).await?;
    Answer::json(200, &json!({ "group_id": id, "added": added }))?.into_response()
}

pub async fn remove_members(cx: &mut Ctx) -> ApiResult<Response> {
    let (id, ids) = members_request(cx, false).await?;
    let db = cx.db()?;
    let now = time::now();
    let entry = members_entry(cx, "group.members_remove", &id, &ids);
    let removed =
        run_with_audit(&db, groups::remove_members(&db, &id, &ids.0)?, audit::insert_if_changed(&db, &entry, &now)?).await?;
    Answer::json(200, &json!({ "group_id": id, "removed": removed }))?.into_response()
}
