//! Activation links for customer users: an admin (or a portal manager) issues one for a pending
//! contact (`POST /v1/customers/{id}/contacts/{contact_id}/activation-link`, shown and, with
//! `{"send": true}`, emailed), the person opens it and their page calls
//! `POST /v1/public/contacts/activate` (no token; CORS and rate limit as the public interactions
//! endpoint), which makes the contact `active` and signs them in to the portal.
use serde_json::json;
use worker::Response;

use super::audit_entry;
use super::contacts::{load_contact, load_live_customer};
use super::interactions::check_rate_limit;
use super::test_support;
use crate::domain::activation::{
    expires_at, link_url, parse_issue_request, parse_request, token_from_bytes, token_hash, LIFETIME_HOURS, TOKEN_BYTES,
};
use crate::domain::contact::{Contact, ContactStatus, NoLink};
use crate::domain::customer::Customer;
use crate::domain::mail;
use crate::domain::portal::{session_cookie, session_expires_at};
use crate::domain::time::format_ms;
use crate::http::error::{ApiError, ApiResult};
use crate::http::{parse_json, Answer, Ctx};
use crate::storage::{activation, audit, batch, portal, StatementResult};

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

/// A fresh 256-bit token from the platform's CSPRNG.
pub(super) fn new_token() -> ApiResult<String> {
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::Internal(format!("random: {e}")))?;
    Ok(token_from_bytes(&bytes))
}

/// Whether the request asks to email the link: an empty body does not.
async fn wants_sending(cx: &mut Ctx) -> ApiResult<bool> {
    let has_body = cx.header("content-length").is_some_and(|l| l.trim() != "0") || cx.header("content-type").is_some();
    if !has_body {
        return Ok(false);
    }
    let bytes = cx.json_bytes().await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(false);
    }
    parse_issue_request(&parse_json(&bytes)?).map_err(ApiError::Validation)
}

pub async fn issue(cx: &mut Ctx) -> ApiResult<Response> {
    let send = wants_sending(cx).await?;
    let customer = load_live_customer(cx).await?;
    let contact = load_contact(cx, &customer.id).await?;
    let answer = issue_link(cx, &customer, &contact, send).await?;
    Answer::json(201, &answer)?.into_response()
}

/// Issues a new link for `contact` (revoking its open one), emails it when `send`, and answers
/// `{"url", "expires_at", "sent"}`.
pub(super) async fn issue_link(cx: &Ctx, customer: &Customer, contact: &Contact, send: bool) -> ApiResult<serde_json::Value> {
    contact.status.may_get_link().map_err(refused)?;
    let token = new_token()?;
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
            activation::revoke_for_new_link_statement(&db, &customer.id, &contact.id, &now)?,
            activation::insert_statement(&db, &customer.id, &contact.id, &token_hash(&token), &now, &expires)?,
            audit::insert_if_changed_statement(&db, &entry, &now)?,
        ],
    )
    .await?;
    if results.get(1).map_or(0, StatementResult::changes) == 0 {
        // The contact or its customer changed since they were read: say what they are now.
        let customer = load_live_customer(cx).await?;
        load_contact(cx, &customer.id).await?.status.may_get_link().map_err(refused)?;
        return Err(ApiError::Internal("activation link insert changed no row".into()));
    }
    let sent = if send {
        let organisation = customer.name.as_deref().or(customer.email.as_deref()).unwrap_or("your organisation");
        let message = mail::activation(&contact.email, organisation, &url, LIFETIME_HOURS);
        emailed(cx, &message, Some(&contact.id), &customer.id).await?
    } else {
        false
    };
    Ok(json!({ "url": url, "expires_at": expires, "sent": sent }))
}

/// Sends `message` and, when it went out, audits that it did (its kind, never its body or link).
pub(super) async fn emailed(cx: &Ctx, message: &mail::Message, contact_id: Option<&str>, customer_id: &str) -> ApiResult<bool> {
    let sent = Outgoing {
        env: cx.env.clone(),
        db: cx.db()?,
        actor: cx.actor.label(),
        request_id: cx.request_id.clone(),
        contact_id: contact_id.map(str::to_string),
        customer_id: customer_id.to_string(),
    };
    sent.send(message).await
}

/// What sending an email and auditing it needs, owned, so it can also run after the answer.
pub(super) struct Outgoing {
    pub env: worker::Env,
    pub db: worker::D1Database,
    pub actor: String,
    pub request_id: String,
    pub contact_id: Option<String>,
    pub customer_id: String,
}

impl Outgoing {
    pub async fn send(&self, message: &mail::Message) -> ApiResult<bool> {
        if !crate::http::mail::send(&self.env, message).await {
            return Ok(false);
        }
        let entry = audit::AuditEntry {
            actor: self.actor.clone(),
            action: "contact.email_sent",
            target_type: "contact",
            target_id: self.contact_id.clone(),
            request_id: &self.request_id,
            changed_fields: vec![],
            details: json!({ "customer_id": self.customer_id, "kind": message.kind }),
        };
        let now = crate::domain::time::now();
        crate::storage::d1::run(&audit::insert_statement(&self.db, &entry, &now)?).await?;
        Ok(true)
    }
}

/// Answers only what the page needs: no contact, customer or email, so a token holder learns
/// nothing they did not know. Unknown tokens are 404, spent ones 410, as the contract says; the
/// 256-bit tokens and the rate limit keep that from telling anyone anything by guessing. The
/// activation also signs the person in to the portal (the session cookie).
pub async fn activate(cx: &mut Ctx) -> ApiResult<Response> {
    check_rate_limit(cx).await?;
    let body = cx.json_body().await?;
    let token = parse_request(&body).map_err(ApiError::Validation)?;
    let hash = token_hash(&token);
    let now_ms = test_support::now(cx)?;
    let now = format_ms(now_ms);
    let db = cx.db()?;
    let link = activation::find(&db, &hash).await?.ok_or(ApiError::NotFound("activation link"))?;
    link.stored().check(&now).map_err(|_| ApiError::LinkExpired)?;
    let mut entry = audit_entry(cx, "contact.activate", "contact", Some(&link.contact_id), vec!["status", "activated_at"]);
    entry.details = json!({ "customer_id": link.customer_id });
    let session = new_token()?;
    let results = batch(
        &db,
        vec![
            activation::mark_used_statement(&db, &hash, &now)?,
            // Each of these runs only if the statement before it changed a row.
            portal::insert_session_for_activation_statement(
                &db,
                &token_hash(&session),
                &hash,
                &now,
                &session_expires_at(now_ms),
            )?,
            activation::activate_contact_statement(&db, &hash, &now)?,
            audit::insert_if_changed_statement(&db, &entry, &now)?,
        ],
    )
    .await?;
    // Another request with the same token (or a disabling) got there first.
    if results.first().map_or(0, StatementResult::changes) == 0 {
        return Err(ApiError::LinkExpired);
    }
    Answer::json(200, &json!({ "status": ContactStatus::Active.as_str() }))?
        .with_header("Set-Cookie", session_cookie(&session))
        .into_response()
}
