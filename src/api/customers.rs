//! `/v1/customers`: create, list, filter, read, update, delete, restore, redact, bulk delete.
use std::collections::HashMap;

use serde_json::{json, Value};
use worker::{D1Database, Response};

use super::{audit_entry, audit_targets, groups, idempotency, new_id};
use crate::domain::bulk::{BulkDelete, Selection, MAX_FILTER_MATCHES};
use crate::domain::cursor::Page;
use crate::domain::customer::{Customer, CustomerPatch, NewCustomer};
use crate::domain::filter::{self, PageRequest};
use crate::domain::handle::Handle;
use crate::domain::hierarchy::{self, MAX_SUBTREE};
use crate::domain::permission::Condition;
use crate::domain::time;
use crate::http::error::{ApiError, ApiResult};
use crate::http::{parse_json, Answer, Ctx};
use crate::storage::audit;
use crate::storage::customers;
use crate::storage::tree::{self, Member};
use crate::storage::{batch, run_with_audit};

/// A single-customer answer always carries its version as the ETag.
pub fn customer_answer(status: u16, c: &Customer) -> ApiResult<Answer> {
    Ok(Answer::json(status, c)?.with_header("ETag", format!("\"{}\"", c.version)))
}

/// The cron's share of search: signs a chunk of the customers migration 0027 found unsigned
/// (`customers::sign_unsigned`), so walks skip their rows without reading them; nothing once all are.
pub async fn sign_for_search(env: &worker::Env) {
    let Ok(db) = crate::http::database(env) else { return worker::console_error!("search signatures: no D1 binding") };
    match customers::sign_unsigned(&db, customers::SIGN_CHUNK).await {
        Ok(0) => {}
        Ok(n) => worker::console_log!("search signatures: signed {n} customers"),
        Err(e) => worker::console_error!("search signatures: the chunk failed: {e:?}"),
    }
}

/// The cron's share of the per-order indexes pages sorted by name, email or last seen read
/// (`customers::keep_sorted_search`): builds them a chunk at a time, then splits the buckets
/// that grew.
pub async fn keep_sorted_search(env: &worker::Env) {
    let Ok(db) = crate::http::database(env) else { return worker::console_error!("sorted search: no D1 binding") };
    match customers::keep_sorted_search(&db).await {
        Ok(customers::Kept::Split { added: 0, split: 0 }) => {}
        Ok(kept) => worker::console_log!("sorted search: {kept:?}"),
        Err(e) => worker::console_error!("sorted search: {e:?}"),
    }
}

pub async fn create(cx: &mut Ctx) -> ApiResult<Response> {
    let bytes = cx.json_bytes().await?;
    let start = idempotency::start(cx, &bytes).await?;
    if let idempotency::Start::Replay(answer) = start {
        return answer.into_response();
    }
    let result = create_customer(cx, &bytes).await;
    idempotency::finish(cx, &start, result).await?.into_response()
}

pub(super) async fn create_customer(cx: &Ctx, bytes: &[u8]) -> ApiResult<Answer> {
    let new = NewCustomer::parse(&parse_json(bytes)?).map_err(ApiError::Validation)?;
    let db = cx.db()?;
    groups::check_ids(&db, &new.group_ids).await?;
    if let Some(parent) = &new.parent_id {
        placed_under(&db, None, parent).await?;
    }
    let now = time::now();
    let mut given = new.fields.given();
    given.extend(new.parent_id.as_ref().map(|_| "parent_id"));
    given.extend(new.handle.as_ref().map(|_| "handle"));
    let group_ids = new.group_ids.clone();
    let mut customer = customers::from_request(new_id(), new, &now);
    let entry = audit_entry(cx, "customer.create", "customer", Some(&customer.id), given);
    let batch = groups::insert_with_memberships(&db, customers::insert_statement(&db, &customer)?, entry, &group_ids, &now)?;
    match customers::create(&db, batch).await {
        Ok(handle) => customer.handle = handle,
        Err(e) => {
            let e = groups::explain_failure(&db, &group_ids, e).await?;
            return Err(exists_or(&db, customers::normalized_email(&customer).as_deref(), e).await);
        }
    }
    customer.group_ids = groups::sorted(group_ids);
    customer.children_count = Some(0);
    Ok(customer_answer(201, &customer)?.with_header("Location", format!("/v1/customers/{}", customer.id)))
}

/// Whether the tree's rules (live parent, no circle, at most five levels) accept `customer`
/// (None: a new one) under `parent` as the tree stands, to explain a refusal by name. The write
/// itself is checked again by the database (migration 0018), against the tree as it is then.
async fn placed_under(db: &D1Database, customer: Option<&str>, parent: &str) -> ApiResult<()> {
    let lineage = tree::lineage(db, parent, customer).await?;
    hierarchy::check_parent(customer, parent, &lineage)
        .map_err(|f| ApiError::Unprocessable { code: hierarchy::CODE, fields: vec![f] })
}

/// The subtrees of `roots` (the roots included), refused when larger than one request handles.
async fn subtrees(db: &D1Database, roots: &[String]) -> ApiResult<Vec<Member>> {
    let members = tree::subtree(db, roots, MAX_SUBTREE + 1).await?;
    if members.len() > MAX_SUBTREE {
        return Err(ApiError::Conflict {
            code: "subtree_too_large",
            message: format!(
                "this would touch more than {MAX_SUBTREE} customers at once; delete the sub-customers in parts first"
            ),
        });
    }
    if let Some(own) = members.iter().find(|m| m.own_company != 0.0) {
        if roots.contains(&own.id) {
            return Err(ApiError::Protected);
        }
        return Err(ApiError::Conflict {
            code: "customer_protected",
            message: format!("the own company ({}) is a sub-customer here and cannot be deleted; move it out first", own.id),
        });
    }
    Ok(members)
}

fn ids_of<'a>(members: impl IntoIterator<Item = &'a Member>) -> Vec<String> {
    members.into_iter().map(|m| m.id.clone()).collect()
}

/// A database failure as the client sees it, with the live customer named when the failure was
/// that a live customer has the email already (409 `customer_exists` with `existing_id`).
pub async fn exists_or(db: &D1Database, email_normalized: Option<&str>, e: crate::storage::DbError) -> ApiError {
    if let (true, Some(email)) = (e.is_email_conflict(), email_normalized) {
        if let Ok(Some(existing_id)) = customers::live_id_by_email(db, email).await {
            return ApiError::CustomerExists { existing_id };
        }
    }
    e.into()
}

pub async fn load(cx: &Ctx, id: &str) -> ApiResult<Customer> {
    super::uuid_or_404(id, "customer")?;
    customers::get(&cx.db()?, id).await?.ok_or(ApiError::NotFound("customer"))
}

pub async fn get(cx: &mut Ctx) -> ApiResult<Response> {
    let id = cx.param("id").to_string();
    customer_answer(200, &load(cx, &id).await?)?.into_response()
}

/// One page of customers in the list answer's shape.
async fn page_answer(cx: &mut Ctx, page: &PageRequest) -> ApiResult<Response> {
    let db = cx.db()?;
    let (rows, way) = customers::page(&db, &page.query, page.after.as_ref(), page.limit, planner(cx)).await?;
    cx.page_way = Some(way.as_str());
    let mut answer = Page::cut(rows, page.limit, |(c, key)| filter::next_cursor(page.query.sort, key, &c.id)).map(|(c, _)| c);
    if page.include_total {
        answer.total = Some(customers::count(&db, &page.query).await?);
    }
    Answer::json(200, &answer)?.into_response()
}

/// The planner's settings: the defaults, which the end-to-end tests (and only they, with
/// `ENABLE_TEST_ROUTES`) shrink per request with `X-Test-Probe-Cap`, `X-Test-Window` and
/// `X-Test-Far`, to drive every plan over the same rows and compare the pages, or replace with
/// the plain walk of the sort order with `X-Test-Plan: scan`, the oracle they compare them to,
/// or keep pages sorted by name, email or last seen off their buckets with `X-Test-Plan: walk`.
pub fn planner(cx: &Ctx) -> customers::Planner {
    let d = customers::Planner::default();
    if !cx.config().test_routes {
        return d;
    }
    let header = |name: &str| cx.header(name).and_then(|v| v.parse::<usize>().ok()).filter(|n| *n > 0);
    customers::Planner {
        probe_cap: header("x-test-probe-cap").or(d.probe_cap),
        window: header("x-test-window").unwrap_or(d.window),
        far: header("x-test-far").unwrap_or(d.far),
        scan_only: cx.header("x-test-plan").as_deref() == Some("scan"),
        buckets: cx.header("x-test-plan").as_deref() != Some("walk"),
    }
}

pub async fn list(cx: &mut Ctx) -> ApiResult<Response> {
    let page = filter::from_query_pairs(cx.query.pairs(), true)?;
    page_answer(cx, &page).await
}

pub async fn filter(cx: &mut Ctx) -> ApiResult<Response> {
    let body = cx.json_body().await?;
    let page = filter::from_filter_body(&body, true)?;
    page_answer(cx, &page).await
}

/// `If-Match: "3"` (or `W/"3"`, or `3`) names the version the client last saw.
fn if_match(cx: &Ctx) -> ApiResult<Option<i64>> {
    let Some(raw) = cx.header("if-match") else { return Ok(None) };
    let v = raw.trim().trim_start_matches("W/").trim_matches('"');
    if v == "*" {
        return Ok(None);
    }
    v.parse::<i64>()
        .map(Some)
        .map_err(|_| ApiError::InvalidHeader { name: "If-Match", message: "must be the ETag of the customer, e.g. \"3\"".into() })
}

pub async fn update(cx: &mut Ctx) -> ApiResult<Response> {
    let id = cx.param("id").to_string();
    let expected = if_match(cx)?;
    let body = cx.json_body().await?;
    let patch = CustomerPatch::parse(&body).map_err(ApiError::Validation)?;
    let db = cx.db()?;
    // The first read answers 404/409/412 and the field rules, and names the changed fields for
    // the audit. The write applies the patch to the row as it is then, in one statement, so a
    // patch without If-Match never loses to a concurrent one. It changes nothing only when the
    // row moved on in a way that matters (deleted, another version under If-Match, or the
    // merged result now breaks a rule); the next read then says which, and in the rare case
    // that a third change made the patch valid again, it is applied to that.
    let mut current = load(cx, &id).await?;
    // Bounded only so a disagreement between the SQL guards and the domain rules could never
    // spin; each round needs another writer to change the verdict on this patch twice.
    for _ in 0..5 {
        if current.deleted_at.is_some() {
            return Err(ApiError::CustomerDeleted);
        }
        if let Some(v) = expected {
            if v != current.version {
                return Err(ApiError::VersionMismatch { current: current.version });
            }
        }
        let patched = patch.apply(&current).map_err(ApiError::Validation)?;
        if patched.changed.is_empty() {
            return customer_answer(200, &current)?.into_response();
        }
        if let Some(Some(parent)) = &patch.parent_id {
            if current.parent_id.as_ref() != Some(parent) {
                placed_under(&db, Some(&id), parent).await?;
            }
        }
        let stem = patched.fields.name.as_deref().and_then(Handle::stem).map(|h| h.as_str().to_string());
        let context = customers::PatchContext { stem };
        let now = time::now();
        let change = customers::apply_patch_statement(&db, &id, &patch, expected, &now, &context)?;
        let entry = audit_entry(cx, "customer.update", "customer", Some(&id), patched.changed.clone());
        let normalized = patched.fields.email.as_ref().map(|e| e.normalized());
        match customers::patch_and_read(&db, &id, change, audit::insert_if_changed_statement(&db, &entry, &now)?).await {
            Ok(Some(written)) => return customer_answer(200, &written)?.into_response(),
            Ok(None) => current = load(cx, &id).await?,
            Err(e) => return Err(exists_or(&db, normalized.as_deref(), e).await),
        }
    }
    Err(ApiError::Conflict {
        code: "conflict",
        message: "the customer kept changing while this patch was applied; retry it".into(),
    })
}

pub async fn delete(cx: &mut Ctx) -> ApiResult<Response> {
    cx.query.allow_only(&["permanent", "dry_run", "cascade"])?;
    let id = cx.param("id").to_string();
    let permanent = cx.query.flag("permanent")?;
    let dry_run = cx.query.flag("dry_run")?;
    let cascade = cx.query.flag("cascade")?;
    cx.require_when(if permanent { Condition::Permanent } else { Condition::NotPermanent })?;
    if permanent {
        return force_delete(cx, &id, dry_run).await;
    }
    if dry_run {
        return Err(ApiError::invalid_parameter("dry_run", "applies to permanent deletes only"));
    }
    let current = load(cx, &id).await?;
    if current.own_company {
        return Err(ApiError::Protected);
    }
    if current.deleted_at.is_some() {
        return customer_answer(200, &current)?.into_response();
    }
    let db = cx.db()?;
    if cascade {
        let live: Vec<String> = ids_of(subtrees(&db, std::slice::from_ref(&id)).await?.iter().filter(|m| m.deleted_at.is_none()));
        let mut each = audit_entry(cx, "customer.delete", "customer", None, vec!["deleted_at"]);
        each.details = json!({ "cascade_from": id });
        soft_delete_all(&db, &live, &each, None).await?;
    } else {
        let now = time::now();
        let entry = audit_entry(cx, "customer.delete", "customer", Some(&id), vec!["deleted_at"]);
        let changed = run_with_audit(
            &db,
            customers::soft_delete_statement(&db, &id, &now)?,
            audit::insert_if_changed_statement(&db, &entry, &now)?,
        )
        .await?;
        if changed == 0 {
            let current = load(cx, &id).await?;
            if current.deleted_at.is_none() && current.children_count.unwrap_or(0) > 0 {
                return Err(has_children(current.children_count.unwrap_or(0)));
            }
        }
    }
    customer_answer(200, &load(cx, &id).await?)?.into_response()
}

fn has_children(n: u64) -> ApiError {
    ApiError::Conflict {
        code: "has_children",
        message: format!(
            "the customer has {n} live sub-customer{}; delete with cascade=true to delete them too, or move them first",
            if n == 1 { "" } else { "s" }
        ),
    }
}

/// Soft-deletes `live` in one batch: an audit row per customer (`each`), the change, the
/// action's own row (`summary`, for a bulk delete) and the check that no sub-customer was added
/// under them meanwhile.
async fn soft_delete_all(
    db: &D1Database,
    live: &[String],
    each: &audit::AuditEntry<'_>,
    summary: Option<&audit::AuditEntry<'_>>,
) -> ApiResult<()> {
    if live.is_empty() {
        return Ok(());
    }
    let now = time::now();
    let mut statements = vec![
        audit::insert_per_customer_statement(db, each, &audit_targets(live)?, true, &now)?,
        customers::soft_delete_many_statement(db, live, &now)?,
    ];
    if let Some(summary) = summary {
        statements.push(audit::insert_statement(db, summary, &now)?);
    }
    statements.push(tree::no_live_child_left_statement(db, live)?);
    batch(db, statements).await?;
    Ok(())
}

/// Removes `ids` and all that cascades from them in one batch with `own` (the action's own audit
/// row) and an audit row (`each`) for every one of `others`.
async fn force_delete_all(
    db: &D1Database,
    ids: &[String],
    own: &audit::AuditEntry<'_>,
    each: &audit::AuditEntry<'_>,
    others: &[String],
) -> ApiResult<customers::CascadeCounts> {
    let now = time::now();
    let mut audit_rows = vec![audit::insert_statement(db, own, &now)?];
    if !others.is_empty() {
        audit_rows.push(audit::insert_per_customer_statement(db, each, &audit_targets(others)?, false, &now)?);
    }
    Ok(customers::force_delete(db, ids, audit_rows).await?)
}

/// Removes the customer and its whole subtree, with everything that cascades from them.
async fn force_delete(cx: &Ctx, id: &str, dry_run: bool) -> ApiResult<Response> {
    if load(cx, id).await?.own_company {
        return Err(ApiError::Protected);
    }
    let db = cx.db()?;
    let ids = ids_of(&subtrees(&db, &[id.to_string()]).await?);
    let counts = if dry_run {
        customers::count_cascade(&db, &ids).await?
    } else {
        let mut entry = audit_entry(cx, "customer.force_delete", "customer", Some(id), vec![]);
        entry.details = json!({ "deleted": customers::count_cascade(&db, &ids).await? });
        let mut each = audit_entry(cx, "customer.force_delete", "customer", None, vec![]);
        each.details = json!({ "cascade_from": id });
        let below: Vec<String> = ids.iter().filter(|d| d.as_str() != id).cloned().collect();
        force_delete_all(&db, &ids, &entry, &each, &below).await?
    };
    Answer::json(200, &json!({ "id": id, "dry_run": dry_run, "deleted": counts }))?.into_response()
}

/// Undoes a soft delete, with the sub-customers that were deleted with it (by a cascade: the
/// same moment), parents first. A handle taken meanwhile gets the next number; an email taken
/// meanwhile refuses the restore (409 `customer_exists`).
pub async fn restore(cx: &mut Ctx) -> ApiResult<Response> {
    let id = cx.param("id").to_string();
    let current = load(cx, &id).await?;
    let Some(deleted_at) = current.deleted_at.clone() else {
        return customer_answer(200, &current)?.into_response();
    };
    // Its history moved to the customer it was merged into: bringing back the empty record
    // would make two customers of one person again.
    if let Some(target) = &current.merged_into {
        return Err(ApiError::Conflict {
            code: "customer_merged",
            message: format!("this customer was merged into {target}, which holds its history; it cannot be restored"),
        });
    }
    let db = cx.db()?;
    if let Some(parent) = &current.parent_id {
        if customers::get(&db, parent).await?.is_none_or(|p| p.deleted_at.is_some()) {
            return Err(ApiError::Conflict {
                code: "parent_deleted",
                message: "the customer's parent is deleted; restore the parent first (it brings this one back too)".into(),
            });
        }
    }
    let members = tree::subtree(&db, std::slice::from_ref(&id), MAX_SUBTREE + 1).await?;
    let levels = deleted_together(&members, &id, &deleted_at);
    let now = time::now();
    let each = audit_entry(cx, "customer.restore", "customer", None, vec!["deleted_at"]);
    let everyone: Vec<String> = levels.iter().flatten().cloned().collect();
    let mut statements = Vec::with_capacity(levels.len() + 1);
    for level in &levels {
        statements.push(tree::restore_many_statement(&db, level, &now)?);
    }
    statements.push(audit::insert_per_customer_statement(&db, &each, &audit_targets(&everyone)?, true, &now)?);
    if let Err(e) = batch(&db, statements).await {
        let normalized = current.email.as_deref().map(crate::domain::email::normalize_email);
        return Err(exists_or(&db, normalized.as_deref(), e).await);
    }
    customer_answer(200, &load(cx, &id).await?)?.into_response()
}

/// The customers a restore of `root` brings back, level by level from the root: those deleted
/// at the same moment as the root whose parent comes back too (at most `MAX_SUBTREE`).
fn deleted_together(members: &[Member], root: &str, deleted_at: &str) -> Vec<Vec<String>> {
    let mut levels: Vec<Vec<String>> = vec![vec![root.to_string()]];
    let mut count = 1;
    loop {
        let above = levels.last().cloned().unwrap_or_default();
        let next: Vec<String> = members
            .iter()
            .filter(|m| m.deleted_at.as_deref() == Some(deleted_at))
            .filter(|m| m.parent_id.as_ref().is_some_and(|p| above.contains(p)))
            .map(|m| m.id.clone())
            .take(MAX_SUBTREE.saturating_sub(count))
            .collect();
        if next.is_empty() {
            return levels;
        }
        count += next.len();
        levels.push(next);
    }
}

pub async fn redact(cx: &mut Ctx) -> ApiResult<Response> {
    let id = cx.param("id").to_string();
    if load(cx, &id).await?.own_company {
        return Err(ApiError::Protected);
    }
    let db = cx.db()?;
    let now = time::now();
    let entry = audit_entry(
        cx,
        "customer.redact",
        "customer",
        Some(&id),
        vec!["name", "email", "phone", "company", "notes", "attributes"],
    );
    let mut statements = customers::redact_statement(&db, &id, &now)?;
    statements.push(audit::insert_statement(&db, &entry, &now)?);
    batch(&db, statements).await?;
    customer_answer(200, &load(cx, &id).await?)?.into_response()
}

pub async fn bulk_delete(cx: &mut Ctx) -> ApiResult<Response> {
    let request = BulkDelete::parse(&cx.json_body().await?).map_err(ApiError::Validation)?;
    cx.require_when(if request.permanent { Condition::Permanent } else { Condition::NotPermanent })?;
    let db = cx.db()?;
    let ids = selected_ids(&db, request.selection).await?;
    let existing = customers::existing(&db, &ids).await?;
    let state: HashMap<&str, bool> = existing.iter().map(|(id, deleted)| (id.as_str(), *deleted)).collect();
    let mut blocked: Vec<String> = vec![];
    let (deleted, counts) = if request.permanent {
        // Each customer goes with its whole subtree, as a single force delete does.
        let found: Vec<String> = ids.iter().filter(|id| state.contains_key(id.as_str())).cloned().collect();
        let everyone = if found.is_empty() { vec![] } else { ids_of(&subtrees(&db, &found).await?) };
        (everyone.len(), Some(bulk_force_delete(cx, &db, &everyone, request.dry_run).await?))
    } else {
        let mut live: Vec<String> = ids.iter().filter(|id| state.get(id.as_str()) == Some(&false)).cloned().collect();
        if !live.is_empty() {
            if request.cascade {
                live = ids_of(subtrees(&db, &live).await?.iter().filter(|m| m.deleted_at.is_none()));
            } else {
                if customers::any_own_company(&db, &live).await? {
                    return Err(ApiError::Protected);
                }
                // Deleting a parent alone would leave its live sub-customers under a deleted one.
                blocked = tree::with_children_outside(&db, &live).await?;
                live.retain(|id| !blocked.contains(id));
            }
        }
        if !request.dry_run {
            bulk_soft_delete(cx, &db, &live).await?;
        }
        (live.len(), None)
    };
    // A permanent delete takes soft-deleted customers too; a soft one leaves them as they are.
    let status = |id: &str| match state.get(id) {
        None => "not_found",
        Some(true) if !request.permanent => "already_deleted",
        Some(_) if blocked.iter().any(|b| b == id) => "has_children",
        Some(_) if request.dry_run => "would_delete",
        Some(_) => "deleted",
    };
    let results: Vec<Value> = ids.iter().map(|id| json!({ "id": id, "status": status(id) })).collect();
    let mut body = json!({
        "matched": existing.len(), "deleted": if request.dry_run { 0 } else { deleted },
        "dry_run": request.dry_run, "permanent": request.permanent, "results": results,
    });
    if let Some(c) = counts {
        body["counts"] = json!(c);
    }
    Answer::json(200, &body)?.into_response()
}

/// The ids a bulk action names, or that its filter selects (at most `MAX_FILTER_MATCHES`).
async fn selected_ids(db: &D1Database, selection: Selection) -> ApiResult<Vec<String>> {
    match selection {
        Selection::Ids(ids) => Ok(ids),
        Selection::Filter(page) => {
            let ids = customers::ids(db, &page.query, MAX_FILTER_MATCHES + 1).await?;
            if ids.len() > MAX_FILTER_MATCHES {
                return Err(ApiError::field(
                    "filter",
                    "too_many_matches",
                    format!("the filter matches more than {MAX_FILTER_MATCHES} customers; narrow it"),
                ));
            }
            Ok(ids)
        }
    }
}

/// Soft-deletes the live customers among `live`: an audit row each, the change, a summary row.
async fn bulk_soft_delete(cx: &Ctx, db: &D1Database, live: &[String]) -> ApiResult<()> {
    let each = audit_entry(cx, "customer.delete", "customer", None, vec!["deleted_at"]);
    let mut summary = audit_entry(cx, "customer.bulk_delete", "customer", None, vec![]);
    summary.details = json!({ "ids": live.len() });
    soft_delete_all(db, live, &each, Some(&summary)).await
}

/// Removes `found` and all that cascades from them (only counts them on a dry run).
async fn bulk_force_delete(cx: &Ctx, db: &D1Database, found: &[String], dry_run: bool) -> ApiResult<customers::CascadeCounts> {
    if dry_run || found.is_empty() {
        return Ok(customers::count_cascade(db, found).await?);
    }
    let each = audit_entry(cx, "customer.force_delete", "customer", None, vec![]);
    let mut summary = audit_entry(cx, "customer.bulk_force_delete", "customer", None, vec![]);
    summary.details = json!({ "ids": found.len() });
    force_delete_all(db, found, &summary, &each, found).await
}
