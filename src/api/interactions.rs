//! `POST /v1/public/interactions` (no token; rate-limited per client address) and a customer's
//! history, `GET /v1/customers/{id}/interactions`.
use serde_json::json;
use worker::Response;

use super::audit_entry;
use super::customers::load;
use super::new_id;
use crate::domain::cursor::{self, Page};
use crate::domain::filter::DEFAULT_LIMIT;
use crate::domain::interaction::PublicInteraction;
use crate::domain::time;
use crate::http::error::{ApiError, ApiResult};
use crate::http::{Answer, Ctx};
use crate::storage::interactions;

const RATE_LIMITER: &str = "PUBLIC_RATE_LIMITER";

/// Counts the request against the caller's address; fails open (and logs) if the limiter
/// itself is unavailable, so a limiter outage never takes the public pages down. Every public
/// endpoint shares it (one budget per address).
pub async fn check_rate_limit(cx: &Ctx) -> ApiResult<()> {
    check_limit(cx, RATE_LIMITER, None).await
}

/// Counts the request against `key` (default: the caller's address) in the limiter `binding`;
/// fails open (and logs) when the limiter itself is unavailable.
pub async fn check_limit(cx: &Ctx, binding: &str, key: Option<&str>) -> ApiResult<()> {
    // Cloudflare's edge sets this from the connection, replacing any the client sent; under
    // `wrangler dev` a client's own header is kept, so only a deployed limit holds (SECURITY.md).
    let client = cx.header("cf-connecting-ip").unwrap_or_else(|| "unknown".into());
    let key = key.map_or_else(|| format!("ip:{client}"), str::to_string);
    let limiter = match cx.env.rate_limiter(binding) {
        Ok(l) => l,
        Err(e) => {
            worker::console_warn!("rate limiter unavailable: {e}");
            return Ok(());
        }
    };
    match allowed(&limiter, &key).await {
        Ok(false) => {
            let retry = cx.config().public_rate_limit_retry_after;
            Err(ApiError::RateLimited { retry_after_secs: retry })
        }
        Ok(true) => Ok(()),
        Err(e) => {
            worker::console_warn!("rate limiter failed: {e}");
            Ok(())
        }
    }
}

/// A limiter key for a personal value: its digest, so the limiter never holds the value itself.
pub fn limit_key(kind: &str, value: &str) -> String {
    format!("{kind}:{}", crate::http::auth::sha256_hex(value))
}

/// Whether the binding lets `key` go on: its JS API as it stands (`limit({ key })` answers
/// `{ success }`), since worker-rs's wrapper brings serde_wasm_bindgen into the wasm for this
/// one call.
async fn allowed(limiter: &worker::RateLimiter, key: &str) -> worker::Result<bool> {
    use worker::js_sys::{Object, Reflect};
    use worker::wasm_bindgen::{JsCast, JsValue};
    let options = Object::new();
    Reflect::set(&options, &"key".into(), &key.into())?;
    let sys: &worker::worker_sys::RateLimiter = AsRef::<JsValue>::as_ref(limiter).unchecked_ref();
    let outcome = worker::wasm_bindgen_futures::JsFuture::from(sys.limit(options)?).await?;
    let success = Reflect::get(&outcome, &"success".into())?.as_bool();
    success.ok_or_else(|| worker::Error::RustError("the limiter answered without `success`".into()))
}

pub async fn record(cx: &mut Ctx) -> ApiResult<Response> {
    check_rate_limit(cx).await?;
    let body = cx.json_body().await?;
    let interaction = PublicInteraction::parse(&body).map_err(ApiError::Validation)?;
    let customer_id = new_id();
    // Audited only when this request creates the customer (the row then has this id): who made a
    // customer is always answerable, while the interaction itself is the history's own record.
    let mut created = audit_entry(cx, "customer.create", "customer", Some(&customer_id), interaction.given_fields());
    created.details = json!({ "source": interaction.kind.source().as_str() });
    let interaction_id = new_id();
    let ids = interactions::NewIds { customer: &customer_id, interaction: &interaction_id, fill_in_audit: &new_id() };
    let db = cx.db()?;
    interactions::record(&db, &interaction, &ids, &created, &time::now()).await?;
    if let (Some(email), Some(visitor)) = (&interaction.email, &interaction.visitor_id) {
        super::merge::visitor_into_email_customer(cx, &db, visitor.as_str(), &email.normalized()).await?;
    }
    // The same answer, from the same statements, for a new and a known customer: no customer id
    // (a time-ordered uuid would tell since when the email is known), nothing about who exists.
    Answer::json(201, &json!({ "interaction_id": interaction_id }))?.into_response()
}

pub async fn history(cx: &mut Ctx) -> ApiResult<Response> {
    let id = cx.param("id").to_string();
    cx.query.allow_only(&["limit", "cursor"])?;
    let limit = cx.query.limit(DEFAULT_LIMIT)?;
    let after = cx.query.cursor("interactions")?;
    load(cx, &id).await?;
    let rows = interactions::history(&cx.db()?, &id, after, limit).await?;
    Answer::json(200, &Page::cut(rows, limit, |r| cursor::encode("interactions", &r.occurred_at, &r.id)))?.into_response()
}
