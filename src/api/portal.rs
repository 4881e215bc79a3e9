//! `/v1/portal/*`: customer users signed in to the portal. A person acts for every organisation
//! where they are an active contact, over that organisation and its sub-customers only. Every id
//! a request names (a path id, `parent_id`, a cursor) is looked up inside the person's subtrees
//! first: outside them it is 404, as if it did not exist. What happens next is the admin API's
//! own handler, with the rules it enforces (fields, parent, depth, email uniqueness, limits) and
//! the audit actor `contact:<id>`; the person's role stands in for permissions
//! (`ContactRole::permissions`).
use serde_json::{json, Map, Value};
use worker::Response;

use super::activation::{issue_link, new_token, Outgoing};
use super::contacts::{create_contact, load_contact};
use super::interactions::{check_limit, limit_key};
use super::test_support;
use crate::domain::activation::{parse_request, token_hash};
use crate::domain::contact::Contact;
use crate::domain::cursor::{self, Page};
use crate::domain::email::Email;
use crate::domain::filter::DEFAULT_LIMIT;
use crate::domain::hierarchy;
use crate::domain::mail;
use crate::domain::permission::{Condition, Permission};
use crate::domain::portal::{
    cleared_cookie, link_expires_at, parse_sign_in, session_cookie, session_expires_at, ContactRole, LINK_MINUTES,
};
use crate::domain::time::{self, format_ms};
use crate::domain::validation::{not_accepted, object, FieldError};
use crate::http::error::{ApiError, ApiResult};
use crate::http::server::same_origin;
use crate::http::{parse_json, Actor, Answer, Ctx};
use crate::storage::portal::{self as store, Organisation};
use crate::storage::{batch, d1::run, StatementResult};

/// The rate limiter of sign-in attempts (per client address and per email).
const SIGN_IN_LIMITER: &str = "PORTAL_RATE_LIMITER";
/// The list's one order: by name, then id.
const SORT: &str = "name";
const CURSOR_SORT: &str = "portal:name";
const SOFT_DELETE: &[(Condition, Permission)] = &[(Condition::NotPermanent, Permission::CustomersDelete)];
/// The customer fields a portal user may give; everything else (groups, handle, kind, source,
/// own company) is the admins'.
const CUSTOMER_FIELDS: [&str; 7] = ["name", "email", "phone", "company", "notes", "attributes", "parent_id"];

/// The person of this request's session.
fn person(cx: &Ctx) -> ApiResult<String> {
    match &cx.actor {
        Actor::Portal { email, .. } => Ok(email.clone()),
        _ => Err(ApiError::Unauthorized),
    }
}

/// How the person reaches customer `id`, or 404: outside their subtrees nothing exists. The
/// request then acts as that contact (`contact:<id>` in the audit log) with its role.
async fn reach(cx: &mut Ctx, id: &str) -> ApiResult<Organisation> {
    super::uuid_or_404(id, "customer")?;
    let email = person(cx)?;
    let org = store::scope(&cx.db()?, id, &email).await?.ok_or(ApiError::NotFound("customer"))?;
    if let Actor::Portal { acting, .. } = &mut cx.actor {
        *acting = Some((org.contact_id.clone(), org.role));
    }
    Ok(org)
}

/// The customer in the path, reached as `reach` says.
async fn reach_path(cx: &mut Ctx) -> ApiResult<Organisation> {
    let id = cx.param("id").to_string();
    reach(cx, &id).await
}

/// 403 naming the role unless the person manages where they reached.
fn manager(org: &Organisation) -> ApiResult<()> {
    match org.role {
        ContactRole::Manager => Ok(()),
        have => Err(ApiError::RoleRequired { role: ContactRole::Manager.as_str(), have: have.as_str() }),
    }
}

/// The body as an object holding only fields a portal user may give, read once and kept for the
/// admin handler that runs next.
async fn customer_body(cx: &mut Ctx) -> ApiResult<Map<String, Value>> {
    let bytes = cx.json_bytes().await?;
    let body = parse_json(&bytes)?;
    let map = object(&body).map_err(ApiError::Validation)?.clone();
    let refused: Vec<FieldError> =
        map.keys().filter(|k| !CUSTOMER_FIELDS.contains(&k.as_str())).map(|k| not_accepted(k, &[])).collect();
    if !refused.is_empty() {
        return Err(ApiError::Validation(refused));
    }
    Ok(map)
}

/// A customer as a portal user sees it: the admins' groups are not theirs to see, and an
/// organisation's own parent lies outside everything they may know of.
fn for_portal(customer: &mut Value, organisation: Option<&str>) {
    customer["group_ids"] = json!([]);
    if organisation.is_some_and(|org| customer["id"].as_str() == Some(org)) {
        customer["parent_id"] = Value::Null;
    }
}

/// An admin handler's single-customer answer, shown as `for_portal` says (headers kept).
async fn portal_answer(mut resp: Response, organisation: &str) -> ApiResult<Response> {
    if resp.status_code() >= 300 {
        return Ok(resp);
    }
    let text = resp.text().await?;
    let mut customer: Value = serde_json::from_str(&text).map_err(|e| ApiError::Internal(e.to_string()))?;
    for_portal(&mut customer, Some(organisation));
    let body = serde_json::to_vec(&customer).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Response::builder().with_status(resp.status_code()).with_headers(resp.headers().clone()).fixed(body))
}

fn parent_error(message: &str) -> ApiError {
    ApiError::Unprocessable { code: hierarchy::CODE, fields: vec![FieldError::new("parent_id", hierarchy::CODE, message)] }
}

// ---- Signing in and out ----

/// `POST /v1/portal/sign-in {"email"}`: always 202 `{}`; an active contact's person gets an
/// emailed single-use link (15 minutes), which revokes the one before it.
pub async fn sign_in(cx: &mut Ctx) -> ApiResult<Response> {
    same_origin(&cx.req)?;
    check_limit(cx, SIGN_IN_LIMITER, None).await?;
    let body = cx.json_body().await?;
    let email = parse_sign_in(&body).map_err(ApiError::Validation)?;
    let normalized = email.normalized();
    check_limit(cx, SIGN_IN_LIMITER, Some(&limit_key("email", &normalized))).await?;
    if let Some(base) = cx.config().portal_url_base.clone() {
        let token = new_token()?;
        let now_ms = test_support::now(cx)?;
        let now = format_ms(now_ms);
        let db = cx.db()?;
        let results = batch(
            &db,
            vec![
                store::revoke_open_links_statement(&db, &normalized, &now)?,
                store::insert_link_statement(&db, &normalized, &token_hash(&token), &now, &link_expires_at(now_ms))?,
            ],
        )
        .await?;
        if results.get(1).map_or(0, StatementResult::changes) > 0 {
            // Sent after the answer: a known email answers as fast as an unknown one.
            let message = mail::sign_in(email.as_str(), &format!("{base}#token={token}"), LINK_MINUTES);
            let (env, actor, request_id) = (cx.env.clone(), cx.actor.label(), cx.request_id.clone());
            cx.deferred.push(Box::pin(async move {
                let Ok(Some(org)) = store::organisations(&db, &normalized).await.map(|o| o.into_iter().next()) else { return };
                let outgoing =
                    Outgoing { env, db, actor, request_id, contact_id: Some(org.contact_id), customer_id: org.customer_id };
                if let Err(e) = outgoing.send(&message).await {
                    worker::console_error!("sign-in email: {}", e.code());
                }
            }));
        }
    }
    Answer::json(202, &json!({}))?.into_response()
}

/// What `/me` answers: the person and the organisations they act for.
async fn me_answer(cx: &Ctx, email: &str) -> ApiResult<Value> {
    let organisations = store::organisations(&cx.db()?, email).await?;
    Ok(json!({ "email": email, "organisations": organisations }))
}

/// `POST /v1/portal/session {"token"}`: the emailed link's token for a session (the cookie).
/// Unknown: 404; used, revoked or expired: 410. Of many uses of one link, exactly one signs in.
pub async fn start_session(cx: &mut Ctx) -> ApiResult<Response> {
    same_origin(&cx.req)?;
    check_limit(cx, SIGN_IN_LIMITER, None).await?;
    let body = cx.json_body().await?;
    let token = parse_request(&body).map_err(ApiError::Validation)?;
    let hash = token_hash(&token);
    let now_ms = test_support::now(cx)?;
    let now = format_ms(now_ms);
    let db = cx.db()?;
    let (email, link) = store::find_link(&db, &hash).await?.ok_or(ApiError::NotFound("sign-in link"))?;
    if !link.usable(&now) {
        return Err(ApiError::LinkExpired);
    }
    let session = new_token()?;
    let session_hash = token_hash(&session);
    let results = batch(
        &db,
        vec![
            store::use_link_statement(&db, &hash, &now)?,
            store::insert_session_for_link_statement(&db, &session_hash, &hash, &now, &session_expires_at(now_ms))?,
            store::record_sign_in_statement(&db, &session_hash, &now)?,
        ],
    )
    .await?;
    if results.first().map_or(0, StatementResult::changes) == 0 {
        return Err(ApiError::LinkExpired);
    }
    Answer::json(200, &me_answer(cx, &email).await?)?.with_header("Set-Cookie", session_cookie(&session)).into_response()
}

/// `DELETE /v1/portal/session`: signs out (the session stops working everywhere).
pub async fn end_session(cx: &mut Ctx) -> ApiResult<Response> {
    if let Actor::Portal { session, .. } = &cx.actor {
        run(&store::sign_out_statement(&cx.db()?, session, &time::now())?).await?;
    }
    let mut resp = Response::empty()?.with_status(204);
    crate::http::set_header(&mut resp, "Set-Cookie", &cleared_cookie());
    Ok(resp)
}

/// `GET /v1/portal/me`.
pub async fn me(cx: &mut Ctx) -> ApiResult<Response> {
    let email = person(cx)?;
    Answer::json(200, &me_answer(cx, &email).await?)?.into_response()
}

// ---- Customers ----

/// `GET /v1/portal/customers?under=<organisation id>`: the organisation and its live
/// sub-customers by name; `q` (substring of name, email, phone, company), `limit`, `cursor`.
pub async fn list(cx: &mut Ctx) -> ApiResult<Response> {
    cx.query.allow_only(&["under", "q", "sort", "limit", "cursor"])?;
    if let Some(sort) = cx.query.get("sort") {
        if sort != SORT {
            return Err(ApiError::invalid_parameter("sort", "the portal lists by `name`"));
        }
    }
    let under =
        cx.query.get("under").ok_or_else(|| ApiError::invalid_parameter("under", "names the organisation to list"))?.to_string();
    let q = cx.query.get("q").map(str::trim).filter(|q| !q.is_empty()).map(str::to_string);
    let limit = cx.query.limit(DEFAULT_LIMIT)?;
    let after = cx.query.cursor(CURSOR_SORT)?;
    let org = reach(cx, &under).await?;
    if let Some((_, id)) = &after {
        // A cursor names a customer too: one outside the list's subtree is not there.
        if !store::within(&cx.db()?, &under, id).await? {
            return Err(ApiError::NotFound("customer"));
        }
    }
    let after_ref = after.as_ref().map(|(k, i)| (k.as_str(), i.as_str()));
    let rows = store::subtree_page(&cx.db()?, &under, q.as_deref(), after_ref, limit + 1).await?;
    let page = Page::cut(rows, limit, |(c, key)| cursor::encode(CURSOR_SORT, key, &c.id)).map(|(c, _)| {
        let mut c = serde_json::to_value(c).unwrap_or(Value::Null);
        for_portal(&mut c, Some(&org.customer_id));
        c
    });
    Answer::json(200, &page)?.into_response()
}

/// `GET /v1/portal/customers/{id}`, with the person's role there in `X-Portal-Role`, so the
/// portal offers only what they may do.
pub async fn get(cx: &mut Ctx) -> ApiResult<Response> {
    let org = reach_path(cx).await?;
    let mut resp = portal_answer(super::customers::get(cx).await?, &org.customer_id).await?;
    crate::http::set_header(&mut resp, "X-Portal-Role", org.role.as_str());
    Ok(resp)
}

/// `GET /v1/portal/customers/{id}/interactions`.
pub async fn interactions(cx: &mut Ctx) -> ApiResult<Response> {
    reach_path(cx).await?;
    super::interactions::history(cx).await
}

/// `POST /v1/portal/customers` (manager): a sub-customer under `parent_id`, inside the person's
/// subtrees, by the admin create's rules.
pub async fn create(cx: &mut Ctx) -> ApiResult<Response> {
    let body = customer_body(cx).await?;
    let parent = match body.get("parent_id") {
        Some(Value::String(p)) => p.clone(),
        _ => return Err(parent_error("a portal user's new customer needs the `parent_id` of one of their customers")),
    };
    let org = reach(cx, &parent).await?;
    manager(&org)?;
    let bytes = cx.json_bytes().await?;
    let mut answer = super::customers::create_customer(cx, &bytes).await?;
    let mut customer: Value = serde_json::from_str(&answer.body).map_err(|e| ApiError::Internal(e.to_string()))?;
    for_portal(&mut customer, None);
    answer.body = customer.to_string();
    let id = customer["id"].as_str().unwrap_or_default();
    answer.headers.retain(|(name, _)| name != "Location");
    answer.with_header("Location", format!("/v1/portal/customers/{id}")).into_response()
}

/// `PATCH /v1/portal/customers/{id}` (manager): name, email, phone, company, notes, attributes;
/// `parent_id` only to another customer inside the same person's subtrees, and never for an
/// organisation itself.
pub async fn update(cx: &mut Ctx) -> ApiResult<Response> {
    let body = customer_body(cx).await?;
    let org = reach_path(cx).await?;
    manager(&org)?;
    if let Some(parent) = body.get("parent_id") {
        let id = cx.param("id").to_string();
        if org.customer_id == id {
            return Err(parent_error("your organisation itself stays where the admins put it"));
        }
        let Value::String(parent) = parent else {
            return Err(parent_error("a sub-customer stays inside your organisation: give a parent_id"));
        };
        let acting = cx.actor.clone();
        let target = reach(cx, parent).await?;
        cx.actor = acting;
        manager(&target)?;
    }
    portal_answer(super::customers::update(cx).await?, &org.customer_id).await
}

/// `DELETE /v1/portal/customers/{id}` (manager): soft delete of a sub-customer (`cascade=true`
/// for one with sub-customers); never an organisation the person is a contact of.
pub async fn delete(cx: &mut Ctx) -> ApiResult<Response> {
    cx.query.allow_only(&["cascade"])?;
    let org = reach_path(cx).await?;
    manager(&org)?;
    if org.customer_id == cx.param("id") {
        return Err(ApiError::Conflict {
            code: "customer_protected",
            message: "your organisation itself cannot be deleted from the portal; ask its admins".into(),
        });
    }
    // The admin handler asks for the permission of the delete it does: a soft one only here.
    cx.conditional = SOFT_DELETE;
    portal_answer(super::customers::delete(cx).await?, &org.customer_id).await
}

// ---- Contacts (customer users) ----

/// The person may not change or remove their own contact: a manager cannot lock themselves out
/// or promote themselves elsewhere by accident.
fn not_self(cx: &Ctx, contact: &Contact) -> ApiResult<()> {
    let me = person(cx)?;
    let theirs = Email::parse(&contact.email).map(|e| e.normalized()).unwrap_or_default();
    if me == theirs {
        return Err(ApiError::Conflict {
            code: "own_contact",
            message: "you cannot change or remove your own access; ask another manager".into(),
        });
    }
    Ok(())
}

/// `GET /v1/portal/customers/{id}/contacts`.
pub async fn contacts(cx: &mut Ctx) -> ApiResult<Response> {
    reach_path(cx).await?;
    super::contacts::list(cx).await
}

/// `POST /v1/portal/customers/{id}/contacts` (manager): a new contact, emailed its activation
/// link. Answers the contact with `activation: {"sent", "expires_at"}`.
pub async fn create_contact_here(cx: &mut Ctx) -> ApiResult<Response> {
    let org = reach_path(cx).await?;
    manager(&org)?;
    let contact = create_contact(cx).await?;
    let customer = super::contacts::load_live_customer(cx).await?;
    let link = issue_link(cx, &customer, &contact, true).await?;
    let mut answer = serde_json::to_value(&contact).map_err(|e| ApiError::Internal(e.to_string()))?;
    answer["activation"] = json!({ "sent": link["sent"], "expires_at": link["expires_at"] });
    let location = format!("/v1/portal/customers/{}/contacts/{}", contact.customer_id, contact.id);
    Answer::json(201, &answer)?.with_header("Location", location).into_response()
}

/// `PATCH /v1/portal/customers/{id}/contacts/{contact_id}` (manager): names, phone, email,
/// `role`, `status` (disable or enable) of another person's contact.
pub async fn update_contact(cx: &mut Ctx) -> ApiResult<Response> {
    let org = reach_path(cx).await?;
    manager(&org)?;
    let contact = load_contact(cx, cx.param("id")).await?;
    not_self(cx, &contact)?;
    super::contacts::update(cx).await
}

/// `DELETE /v1/portal/customers/{id}/contacts/{contact_id}` (manager).
pub async fn delete_contact(cx: &mut Ctx) -> ApiResult<Response> {
    let org = reach_path(cx).await?;
    manager(&org)?;
    let contact = load_contact(cx, cx.param("id")).await?;
    not_self(cx, &contact)?;
    super::contacts::delete(cx).await
}

/// `POST /v1/portal/customers/{id}/contacts/{contact_id}/activation-link` (manager): a new link
/// for a pending contact, always emailed. Answers `{"sent", "expires_at"}` (never the link: it is
/// the invited person's).
pub async fn resend_activation(cx: &mut Ctx) -> ApiResult<Response> {
    let org = reach_path(cx).await?;
    manager(&org)?;
    let customer = super::contacts::load_live_customer(cx).await?;
    let contact = load_contact(cx, &customer.id).await?;
    let link = issue_link(cx, &customer, &contact, true).await?;
    Answer::json(201, &json!({ "sent": link["sent"], "expires_at": link["expires_at"] }))?.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_portal_user_sees_no_groups_and_no_parent_above_the_organisation() {
        let mut org = json!({"id": "o", "parent_id": "admins-parent", "group_ids": ["g"]});
        for_portal(&mut org, Some("o"));
        assert_eq!(org, json!({"id": "o", "parent_id": null, "group_ids": []}));
        let mut sub = json!({"id": "s", "parent_id": "o", "group_ids": ["g"]});
        for_portal(&mut sub, Some("o"));
        assert_eq!(sub["parent_id"], "o");
    }

    #[test]
    fn a_portal_user_gives_only_a_customers_own_fields() {
        for admin_only in ["group_ids", "handle", "kind", "source", "own_company"] {
            assert!(!CUSTOMER_FIELDS.contains(&admin_only), "{admin_only}");
        }
    }
}
