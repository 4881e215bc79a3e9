//! `POST /v1/customers/{id}/merge`: folds duplicates into one customer (the path's), and the
//! public endpoint's automatic merge of an anonymous visitor into the customer whose email the
//! same browser then gives.
use serde_json::json;
use worker::{D1Database, Response};

use super::audit_entry;
use super::customers::load;
use crate::domain::customer::Customer;
use crate::domain::hierarchy::{self, MAX_DEPTH};
use crate::domain::merge::{plan, Fill, MergeRefusal, MergeRequest};
use crate::domain::validation::FieldError;
use crate::domain::{id, time};
use crate::http::error::{ApiError, ApiResult};
use crate::http::{Answer, Ctx};
use crate::storage::merge::{self, MergeCounts};
use crate::storage::{audit, customers, tree};

pub async fn merge(cx: &mut Ctx) -> ApiResult<Response> {
    let id = cx.param("id").to_string();
    let request = MergeRequest::parse(&cx.json_body().await?).map_err(ApiError::Validation)?;
    let target = load(cx, &id).await?;
    if target.deleted_at.is_some() {
        return Err(ApiError::CustomerDeleted);
    }
    let db = cx.db()?;
    let mut sources = Vec::with_capacity(request.source_ids.len());
    for source in &request.source_ids {
        let found = if id::is_uuid(source) { customers::get(&db, source).await? } else { None };
        sources.push((source.clone(), found));
    }
    let fill = plan(&target, &sources).map_err(|r| match r {
        MergeRefusal::Protected => ApiError::Protected,
        MergeRefusal::Invalid(fields) => ApiError::Validation(fields),
    })?;
    adoption_fits(&db, &target, &request.source_ids).await?;
    let counts = if request.dry_run {
        merge::count(&db, &target.id, &request.source_ids).await?
    } else {
        run(cx, &db, &target, &request.source_ids, &fill).await?
    };
    let merged = load(cx, &id).await?;
    let answer = json!({
        "customer": merged, "merged": request.source_ids, "dry_run": request.dry_run, "moved": counts, "filled": fill.changed,
    });
    Answer::json(200, &answer)?.into_response()
}

/// The sources' sub-customers move under the target: the target must not be inside a source's
/// subtree (a circle) and the deepest of them must stay within `MAX_DEPTH` levels.
async fn adoption_fits(db: &D1Database, target: &Customer, sources: &[String]) -> ApiResult<()> {
    for source in sources {
        let lineage = tree::lineage(db, &target.id, Some(source)).await?;
        let invalid = |message: String| ApiError::Unprocessable {
            code: hierarchy::CODE,
            fields: vec![FieldError::new("source_ids", hierarchy::CODE, message)],
        };
        if lineage.ancestors.iter().any(|a| a.id == *source) {
            return Err(invalid(format!("the target is a sub-customer of {source}; merge the other way round")));
        }
        // The source's children land one level below the target, their subtrees below them.
        let deepest = lineage.ancestors.len() + lineage.height;
        if lineage.height > 0 && deepest > MAX_DEPTH {
            return Err(invalid(format!(
                "{source}'s sub-customers would reach level {deepest} under the target; at most {MAX_DEPTH}"
            )));
        }
    }
    Ok(())
}

/// Runs a merge the caller checked (`plan`, `adoption_fits`): audit rows for each source and the
/// target, then the moves, in one batch.
pub async fn run(cx: &Ctx, db: &D1Database, target: &Customer, sources: &[String], fill: &Fill) -> ApiResult<MergeCounts> {
    let now = time::now();
    let expected = merge::count(db, &target.id, sources).await?;
    let mut each = audit_entry(cx, "customer.merge", "customer", None, vec!["deleted_at", "merged_into"]);
    each.details = json!({ "merged_into": target.id });
    let mut into = audit_entry(cx, "customer.merge", "customer", Some(&target.id), fill.changed.clone());
    into.details = json!({ "sources": sources, "moved": expected });
    let audit_rows = vec![
        audit::insert_per_customer_statement(db, &each, &super::audit_targets(sources)?, true, &now)?,
        audit::insert_statement(db, &into, &now)?,
    ];
    let by = merge::Actor { actor: &into.actor, request_id: into.request_id };
    merge::run(db, &target.id, sources, fill, audit_rows, &by, &now).await.map_err(|e| match ApiError::from(e) {
        // The tree's triggers refused a moved sub-customer's new place: the sources are what moves.
        ApiError::Unprocessable { code, mut fields } if code == hierarchy::CODE => {
            fields.iter_mut().for_each(|f| f.field = "source_ids".into());
            ApiError::Unprocessable { code, fields }
        }
        other => other,
    })
}

/// After a public request named an email and a browser id: if the browser id belongs to an
/// anonymous visitor's customer, that customer is merged into the email's (actor `public`), but
/// only while the email's customer has no browser of its own yet (`merge::visitor_to_merge`):
/// a `visitor_id` is a bearer secret, and whoever learns one must not be able to pull that
/// visitor's history into a customer they already use.
pub async fn visitor_into_email_customer(cx: &Ctx, db: &D1Database, visitor_id: &str, email_normalized: &str) -> ApiResult<()> {
    let Some((source, target)) = merge::visitor_to_merge(db, visitor_id, email_normalized).await? else {
        return Ok(());
    };
    let (Some(target), Some(found)) = (customers::get(db, &target).await?, customers::get(db, &source).await?) else {
        return Ok(());
    };
    // A race lost to another request merging the same visitor leaves nothing to do.
    let Ok(fill) = plan(&target, &[(source.clone(), Some(found))]) else { return Ok(()) };
    if adoption_fits(db, &target, std::slice::from_ref(&source)).await.is_err() {
        return Ok(());
    }
    match run(cx, db, &target, &[source], &fill).await {
        // Another request merged or deleted one of the two meanwhile: nothing was merged, and the
        // interaction this request recorded stands.
        Err(ApiError::Conflict { .. }) => Ok(()),
        other => other.map(|_| ()),
    }
}
