//! Activation links for customer users: an admin issues one for a pending contact
//! (`POST /v1/customers/{id}/contacts/{contact_id}/activation-link`), the person opens it and
//! their page calls `POST /v1/public/contacts/activate` (no token; CORS and rate limit as the
//! public interactions endpoint), which makes the contact `active`.
use serde_json::json;
use worker::Response;

use super::audit_entry;
use super::contacts::{load_contact, load_live_customer};
use super::interactions::check_rate_limit;
use super::test_support;
use crate::domain::activation::{expires_at, link_url, parse_request, token_from_bytes, token_hash, TOKEN_BYTES};
use crate::domain::contact::{ContactStatus, NoLink};
use crate::domain::time::format_ms;
use crate::http::error::{ApiError, ApiResult};
use crate::http::{Answer, Ctx};
use crate::storage::{activation, audit, batch, StatementResult};

/// The address the token is appended to, e.g. `https://portal.example/activate#token=`.
const URL_BASE: &str = "ACTIVATION_URL_BASE";

fn refused(reason: NoLink) -> ApiError {
    match reason {
        NoLink::AlreadyActive => ApiError::Conflict {
            code: "contact_already_active",
            message: "this contact has activated already; it needs no link".into(),
        },
        NoLink::Disabled => ApiError::Conflict {
            code: "contact_disabled",
            message: "this contact is disabled; enable it before sending it a link".into(),
        },
    }
}

pub async fn issue(cx: &mut Ctx) -> ApiResult<Response> {
    let customer = load_live_customer(cx).await?;
    let contact = load_contact(cx, &customer.id).await?;
    contact.status.may_get_link().map_err(refused)?;
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::Internal(format!("random: {e}")))?;
    let token = token_from_bytes(&bytes);
    // Checked before anything is written: a link nobody can be sent is no use.
    let base = cx.config().activation_url_base.clone();
    let url = base.and_then(|base| link_url(&base, &token)).ok_or(ApiError::NotConfigured(URL_BASE))?;
    let issued = test_support::now(cx)?;
    let (now, expires) = (format_ms(issued), expires_at(issued));
    let db = cx.db()?;
    let mut entry = audit_entry(cx, "contact.issue_activation_link", "contact", Some(&contact.id), vec![]);
    entry.details = json!({ "customer_id": customer.id, "expires_at": expires });
    let results = batch(
        &db,
        vec![
            activation::revoke_for_new_link(&db, &customer.id, &contact.id, &now)?,
            activation::insert(&db, &customer.id, &contact.id, &token_hash(&token), &now, &expires)?,
            audit::insert_if_changed(&db, &entry, &now)?,
        ],
    )
    .await?;
    if results.get(1).map_or(0, StatementResult::changes) == 0 {
        // The contact or its customer changed since they were read: say what they are now.
        let customer = load_live_customer(cx).await?;
        load_contact(cx, &customer.id).await?.status.may_get_link().map_err(refused)?;
        return Err(ApiError::Internal("activation link insert changed no row".into()));
    }
    Answer::json(201, &json!({ "url": url, "expires_at": expires }))?.into_response()
}

/// Answers only what the page needs: no contact, customer or email, so a token holder learns
/// nothing they did not know. Unknown tokens are 404, spent ones 410, as the contract says; the
/// 256-bit tokens and the rate limit keep that from telling anyone anything by guessing.
pub async fn activate(cx: &mut Ctx) -> ApiResult<Response> {
    check_rate_limit(cx).await?;
    let body = cx.json_body().await?;
    let token = parse_request(&body).map_err(ApiError::Validation)?;
    let hash = token_hash(&token);
    let now = format_ms(test_support::now(cx)?);
    let db = cx.db()?;
    let link = activation::find(&db, &hash).await?.ok_or(ApiError::NotFound("activation link"))?;
    link.stored().check(&now).map_err(|_| ApiError::LinkExpired)?;
    let mut entry = audit_entry(cx, "contact.activate", "contact", Some(&link.contact_id), vec!["status", "activated_at"]);
    entry.details = json!({ "customer_id": link.customer_id });
    let results = batch(
        &db,
        vec![
            activation::mark_used(&db, &hash, &now)?,
            activation::activate_contact(&db, &hash, &now)?,
            audit::insert_if_changed(&db, &entry, &now)?,
        ],
    )
    .await?;
    // Another request with the same token (or a disabling) got there first.
    if results.first().map_or(0, StatementResult::changes) == 0 {
        return Err(ApiError::LinkExpired);
    }
    Answer::json(200, &json!({ "status": ContactStatus::Active.as_str() }))?.into_response()
}
