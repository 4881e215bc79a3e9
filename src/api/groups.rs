//! `/v1/groups`: customer groups and their members. Deleting a group keeps its customers.
//! The built-in All (id `all`) lists first; its members are every live customer, so it cannot
//! be renamed, deleted or given members (409 `group_builtin`).
use serde_json::json;
use worker::{D1Database, D1PreparedStatement, Response};

use super::audit_entry;
use crate::domain::cursor::{self, Page};
use crate::domain::group::{self, Group, GroupPatch, ListStart, MemberIds, NewGroup, ALL_NAME, LIST_CURSOR_SORT};
use crate::domain::time;
use crate::http::error::{ApiError, ApiResult};
use crate::http::{Answer, Ctx};
use crate::storage::audit::{self, AuditEntry};
use crate::storage::customers::existing;
use crate::storage::groups;
use crate::storage::{run_with_audit, DbError, Violation};

async fn load(cx: &Ctx, id: &str) -> ApiResult<Group> {
    if group::is_builtin(id) {
        return Ok(Group::all(groups::live_customers(&cx.db()?).await?));
    }
    super::uuid_or_404(id, "group")?;
    groups::get(&cx.db()?, id).await?.ok_or(ApiError::NotFound("group"))
}

/// 409 for a change to All, whose name and members are not the caller's to choose.
fn refuse_builtin(id: &str, what: &str) -> ApiResult<()> {
    if group::is_builtin(id) {
        return Err(ApiError::Conflict {
            code: group::BUILTIN_CODE,
            message: format!("{ALL_NAME} is the built-in group of every live customer; it cannot be {what}"),
        });
    }
    Ok(())
}

/// One page of groups: All first, then the stored groups by name. A cursor names the last row
/// of the page before, All included, so every group is listed exactly once.
pub async fn list(cx: &mut Ctx) -> ApiResult<Response> {
    let q = &cx.query;
    q.allow_only(&["limit", "cursor"])?;
    let limit = q.limit(group::DEFAULT_LIST_LIMIT)?;
    let start = match q.cursor(LIST_CURSOR_SORT)? {
        None => ListStart::First,
        Some((key, id)) => ListStart::from_cursor(key, id),
    };
    let db = cx.db()?;
    let mut rows = Vec::with_capacity(limit + 1);
    if start.includes_all() {
        rows.push((Group::all(groups::live_customers(&db).await?), String::new()));
    }
    let wanted = limit + 1 - rows.len();
    rows.extend(groups::page(&db, &start, wanted).await?);
    let page = Page::cut(rows, limit, |(g, key)| cursor::encode(LIST_CURSOR_SORT, key, &g.id)).map(|(g, _)| g);
    Answer::json(200, &page)?.into_response()
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
        builtin: false,
        member_count: 0,
        created_at: Some(now.clone()),
        updated_at: Some(now.clone()),
    };
    let mut changed = vec!["name"];
    if group.description.is_some() {
        changed.push("description");
    }
    let entry = audit_entry(cx, "group.create", "group", Some(&group.id), changed);
    run_with_audit(&db, groups::insert_statement(&db, &group)?, audit::insert_statement(&db, &entry, &now)?).await?;
    Answer::json(201, &group)?.with_header("Location", format!("/v1/groups/{}", group.id)).into_response()
}

pub async fn update(cx: &mut Ctx) -> ApiResult<Response> {
    let id = cx.param("id").to_string();
    refuse_builtin(&id, "renamed or described")?;
    let patch = GroupPatch::parse(&cx.json_body().await?).map_err(ApiError::Validation)?;
    let current = load(cx, &id).await?;
    let (change, changed) = patch.changes_to(&current);
    if changed.is_empty() {
        return Answer::json(200, &current)?.into_response();
    }
    let db = cx.db()?;
    let now = time::now();
    let entry = audit_entry(cx, "group.update", "group", Some(&id), changed);
    let updated = run_with_audit(
        &db,
        groups::update_statement(&db, &id, &change, &now)?,
        audit::insert_if_changed_statement(&db, &entry, &now)?,
    )
    .await?;
    if updated == 0 {
        return Err(ApiError::NotFound("group"));
    }
    Answer::json(200, &load(cx, &id).await?)?.into_response()
}

pub async fn delete(cx: &mut Ctx) -> ApiResult<Response> {
    let id = cx.param("id").to_string();
    refuse_builtin(&id, "deleted")?;
    super::uuid_or_404(&id, "group")?;
    let db = cx.db()?;
    let now = time::now();
    let entry = audit_entry(cx, "group.delete", "group", Some(&id), vec![]);
    let deleted =
        run_with_audit(&db, groups::delete_statement(&db, &id)?, audit::insert_if_changed_statement(&db, &entry, &now)?).await?;
    if deleted == 0 {
        return Err(ApiError::NotFound("group"));
    }
    Ok(Response::empty()?.with_status(204))
}

/// Reads a members body and checks the group and every customer id: 404 for an unknown
/// group, 422 naming each unknown (or, when adding, soft-deleted) customer.
async fn members_request(cx: &mut Ctx, adding: bool) -> ApiResult<(String, MemberIds)> {
    let id = cx.param("id").to_string();
    refuse_builtin(&id, if adding { "given members" } else { "relieved of members" })?;
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
    let added = run_with_audit(
        &db,
        groups::add_members_statement(&db, &id, &ids.0, &now)?,
        audit::insert_if_changed_statement(&db, &entry, &now)?,
    )
    .await?;
    Answer::json(200, &json!({ "group_id": id, "added": added }))?.into_response()
}

pub async fn remove_members(cx: &mut Ctx) -> ApiResult<Response> {
    let (id, ids) = members_request(cx, false).await?;
    let db = cx.db()?;
    let now = time::now();
    let entry = members_entry(cx, "group.members_remove", &id, &ids);
    let removed = run_with_audit(
        &db,
        groups::remove_members_statement(&db, &id, &ids.0)?,
        audit::insert_if_changed_statement(&db, &entry, &now)?,
    )
    .await?;
    Answer::json(200, &json!({ "group_id": id, "removed": removed }))?.into_response()
}

/// 422 naming each of `ids` that no stored group has (none for an empty list): the check of a
/// new customer's `group_ids` before it is written.
pub async fn check_ids(db: &D1Database, ids: &[String]) -> ApiResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let problems = group::unknown_ids(ids, &groups::existing_ids(db, ids).await?);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(problems))
    }
}

/// The batch that creates a customer: its insert, its memberships of `group_ids` (named in
/// its audit row's changed fields and details) and its audit row, landing together or not at all.
pub fn insert_with_memberships(
    db: &D1Database,
    insert: D1PreparedStatement,
    mut entry: AuditEntry,
    group_ids: &[String],
    now: &str,
) -> ApiResult<Vec<D1PreparedStatement>> {
    let customer_id = entry.target_id.clone().unwrap_or_default();
    let mut batch = vec![insert];
    if let Some(join) = groups::join_new_customer_statement(db, &customer_id, group_ids, now)? {
        batch.push(join);
        entry.changed_fields.push("group_ids");
        entry.details = json!({ "group_ids": group_ids });
    }
    batch.push(audit::insert_statement(db, &entry, now)?);
    Ok(batch)
}

/// Group ids in the order a customer shows them (as read back from storage).
pub fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

/// A write that put a customer in `ids` failed: when a group was deleted meanwhile (its foreign
/// key failed), the same 422 as an unknown id; any other failure as it is.
pub async fn explain_failure(db: &D1Database, ids: &[String], e: DbError) -> ApiResult<DbError> {
    if !ids.is_empty() && e.violation() == Some(Violation::Raced) {
        check_ids(db, ids).await?;
    }
    Ok(e)
}
