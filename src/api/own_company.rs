//! `/v1/own-company`: the one customer that is the company running this service (the MSP
//! portal's "your own company"). It is listed like any customer, but nothing deletes, merges away
//! or redacts it: the handlers refuse first, and migration 0010's triggers refuse whatever path a
//! write takes. Marking one is for owners (the permission only they and the admin token hold).
use serde_json::{json, Value};
use worker::Response;

use super::audit_entry;
use super::customers::{customer_answer, load};
use crate::domain::validation::{object, Errors};
use crate::domain::{id, time};
use crate::http::error::{ApiError, ApiResult};
use crate::http::Ctx;
use crate::storage::{audit, batch, tree};

pub async fn get(cx: &mut Ctx) -> ApiResult<Response> {
    let own = tree::own_company(&cx.db()?).await?.ok_or(ApiError::NotFound("own company"))?;
    customer_answer(200, &own)?.into_response()
}

/// `PUT {"customer_id"}`: marks that live customer, and unmarks the one before it, in one batch.
pub async fn set(cx: &mut Ctx) -> ApiResult<Response> {
    let body = cx.json_body().await?;
    let id = customer_id(&body).map_err(ApiError::Validation)?;
    let chosen = load(cx, &id).await?;
    if chosen.deleted_at.is_some() {
        return Err(ApiError::CustomerDeleted);
    }
    if chosen.own_company {
        return customer_answer(200, &chosen)?.into_response();
    }
    let db = cx.db()?;
    let now = time::now();
    let mut statements = vec![];
    if let Some(before) = tree::own_company(&db).await? {
        let mut entry = audit_entry(cx, "customer.own_company_unset", "customer", Some(&before.id), vec!["own_company"]);
        entry.details = json!({ "replaced_by": id });
        statements.push(audit::insert_statement(&db, &entry, &now)?);
    }
    statements.push(tree::unmark_own_company_statement(&db, Some(&id), &now)?);
    statements.push(tree::mark_own_company_statement(&db, &id, &now)?);
    statements.push(audit::insert_statement(
        &db,
        &audit_entry(cx, "customer.own_company_set", "customer", Some(&id), vec!["own_company"]),
        &now,
    )?);
    batch(&db, statements).await?;
    customer_answer(200, &load(cx, &id).await?)?.into_response()
}

/// `DELETE`: no customer is the own company any more (the customer itself stays).
pub async fn unset(cx: &mut Ctx) -> ApiResult<Response> {
    let db = cx.db()?;
    let Some(before) = tree::own_company(&db).await? else {
        return Err(ApiError::NotFound("own company"));
    };
    let now = time::now();
    let entry = audit_entry(cx, "customer.own_company_unset", "customer", Some(&before.id), vec!["own_company"]);
    batch(&db, vec![audit::insert_statement(&db, &entry, &now)?, tree::unmark_own_company_statement(&db, None, &now)?]).await?;
    customer_answer(200, &load(cx, &before.id).await?)?.into_response()
}

fn customer_id(body: &Value) -> Result<String, Vec<crate::domain::validation::FieldError>> {
    let map = object(body)?;
    let mut errors = Errors::default();
    let mut id = None;
    for (key, value) in map {
        match (key.as_str(), value) {
            ("customer_id", Value::String(s)) if id::is_uuid(s) => id = Some(s.to_ascii_lowercase()),
            ("customer_id", _) => errors.push("customer_id", "invalid", "customer_id must be a customer id"),
            (other, _) => errors.0.push(crate::domain::validation::not_accepted(other, &[])),
        }
    }
    if id.is_none() && !errors.names("customer_id") {
        errors.push("customer_id", "required", "customer_id is required");
    }
    errors.into_result(id.unwrap_or_default())
}
