//! `/v1/webhooks`: subscriptions to change events, their signing secrets (shown on create and
//! rotation only), a test send, and the deliveries log.
use serde_json::{json, Value};
use worker::Response;

use super::{audit_entry, new_id, uuid_or_404};
use crate::domain::cursor::{self, Page};
use crate::domain::event::TEST_TYPE;
use crate::domain::filter::DEFAULT_LIMIT;
use crate::domain::json;
use crate::domain::time;
use crate::domain::webhook::{
    secret_from_bytes, NewWebhook, QueueMessage, ReplaySince, WebhookPatch, MAX_REPLAY_EVENTS, PREVIOUS_SECRET_HOURS,
    REPLAYS_PER_HOUR, SECRET_BYTES,
};
use crate::http::error::{ApiError, ApiResult};
use crate::http::wake::QUEUE_BINDING;
use crate::http::{Answer, Ctx};
use crate::storage::audit;
use crate::storage::events::{self, DeliveryKey};
use crate::storage::run_with_audit;
use crate::storage::webhooks::{self, AttemptRow, WebhookRow};

/// At most this many webhooks: each committed change is fanned out to every one of them.
pub const MAX_WEBHOOKS: u64 = 50;

fn view(w: &WebhookRow) -> Value {
    json!({
        "id": w.id, "url": w.url, "description": w.description,
        "event_types": json::parse(&w.event_types).unwrap_or(json!(["*"])),
        "enabled": w.enabled, "failure_count": w.failure_count, "disabled_reason": w.disabled_reason,
        "created_at": w.created_at, "updated_at": w.updated_at,
    })
}

fn new_secret() -> ApiResult<String> {
    let mut bytes = [0u8; SECRET_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::Internal(format!("random: {e}")))?;
    Ok(secret_from_bytes(&bytes))
}

async fn load(cx: &Ctx, id: &str) -> ApiResult<WebhookRow> {
    uuid_or_404(id, "webhook")?;
    webhooks::get(&cx.db()?, id).await?.ok_or(ApiError::NotFound("webhook"))
}

pub async fn list(cx: &mut Ctx) -> ApiResult<Response> {
    let rows = webhooks::list(&cx.db()?).await?;
    Answer::json(200, &json!({ "data": rows.iter().map(view).collect::<Vec<_>>() }))?.into_response()
}

pub async fn get(cx: &mut Ctx) -> ApiResult<Response> {
    let id = cx.param("id").to_string();
    Answer::json(200, &view(&load(cx, &id).await?))?.into_response()
}

pub async fn create(cx: &mut Ctx) -> ApiResult<Response> {
    let body = cx.json_body().await?;
    let new = NewWebhook::parse(&body, cx.config().allow_local_webhooks).map_err(ApiError::Validation)?;
    let db = cx.db()?;
    if webhooks::count(&db).await? >= MAX_WEBHOOKS {
        return Err(ApiError::Conflict {
            code: "webhook_limit",
            message: format!("at most {MAX_WEBHOOKS} webhooks; delete one first (one webhook can take every event type)"),
        });
    }
    let (id, secret, now) = (new_id(), new_secret()?, time::now());
    let mut entry = audit_entry(cx, "webhook.create", "webhook", Some(&id), vec!["url", "event_types", "enabled"]);
    entry.details = json!({ "event_types": new.event_types });
    run_with_audit(&db, webhooks::insert_statement(&db, &id, &new, &secret, &now)?, audit::insert_statement(&db, &entry, &now)?)
        .await?;
    if new.enabled {
        crate::http::wake::webhook_enabled();
    }
    let mut answer = view(&webhooks::get(&db, &id).await?.ok_or(ApiError::NotFound("webhook"))?);
    answer["secret"] = json!(secret);
    Answer::json(201, &answer)?.with_header("Location", format!("/v1/webhooks/{id}")).into_response()
}

pub async fn update(cx: &mut Ctx) -> ApiResult<Response> {
    let id = cx.param("id").to_string();
    let body = cx.json_body().await?;
    let patch = WebhookPatch::parse(&body, cx.config().allow_local_webhooks).map_err(ApiError::Validation)?;
    load(cx, &id).await?;
    let db = cx.db()?;
    let now = time::now();
    let entry = audit_entry(cx, "webhook.update", "webhook", Some(&id), patch.given());
    run_with_audit(
        &db,
        webhooks::update_statement(&db, &id, &patch, &now)?,
        audit::insert_if_changed_statement(&db, &entry, &now)?,
    )
    .await?;
    if patch.enabled == Some(true) {
        crate::http::wake::webhook_enabled();
    }
    Answer::json(200, &view(&load(cx, &id).await?))?.into_response()
}

pub async fn delete(cx: &mut Ctx) -> ApiResult<Response> {
    let id = cx.param("id").to_string();
    load(cx, &id).await?;
    let db = cx.db()?;
    let now = time::now();
    let entry = audit_entry(cx, "webhook.delete", "webhook", Some(&id), vec![]);
    run_with_audit(&db, webhooks::delete_statement(&db, &id)?, audit::insert_if_changed_statement(&db, &entry, &now)?).await?;
    Ok(Response::empty()?.with_status(204))
}

/// A new secret, shown this once; the previous one keeps signing for a day beside it, so
/// receivers can switch without losing an event.
pub async fn rotate_secret(cx: &mut Ctx) -> ApiResult<Response> {
    let id = cx.param("id").to_string();
    load(cx, &id).await?;
    let db = cx.db()?;
    let (secret, now) = (new_secret()?, time::now());
    let until = time::format_ms(time::now_ms() + PREVIOUS_SECRET_HOURS * 3_600_000);
    let entry = audit_entry(cx, "webhook.rotate_secret", "webhook", Some(&id), vec!["secret"]);
    run_with_audit(
        &db,
        webhooks::rotate_statement(&db, &id, &secret, &until, &now)?,
        audit::insert_if_changed_statement(&db, &entry, &now)?,
    )
    .await?;
    let mut answer = view(&load(cx, &id).await?);
    answer["secret"] = json!(secret);
    answer["previous_secret_expires_at"] = json!(until);
    Answer::json(200, &answer)?.into_response()
}

/// Sends a `webhook.test` event to this webhook alone, through the queue like any event
/// (also to a disabled one: that is how a fixed receiver is checked before turning it on).
pub async fn test(cx: &mut Ctx) -> ApiResult<Response> {
    let id = cx.param("id").to_string();
    load(cx, &id).await?;
    let queue = cx.env.queue(QUEUE_BINDING).map_err(|_| ApiError::NotConfigured(QUEUE_BINDING))?;
    let db = cx.db()?;
    let (event_id, now) = (new_id(), time::now());
    let payload = json!({ "id": event_id, "type": TEST_TYPE, "created_at": now, "data": { "webhook_id": id } }).to_string();
    let key = DeliveryKey { webhook_id: id.clone(), event_id: event_id.clone() };
    crate::storage::d1::run(&webhooks::insert_delivery_statement(&db, &key, TEST_TYPE, &payload, &now)?).await?;
    let message = QueueMessage::Deliver { webhook_id: id, event_id: event_id.clone() };
    crate::http::queue::send(&queue, &[message])
        .await
        .map_err(|e| ApiError::Unavailable(format!("the webhooks queue refused the message: {e}")))?;
    Answer::json(202, &json!({ "event_id": event_id, "type": TEST_TYPE, "status": "queued" }))?.into_response()
}

fn attempt_view(a: AttemptRow) -> Value {
    json!({
        "id": a.id, "event_id": a.event_id, "event_type": a.event_type, "attempt": a.attempt, "at": a.at,
        "status": a.outcome, "response_status": a.response_status.map(|s| s as u16), "duration_ms": a.duration_ms,
        "error": a.error, "response_excerpt": a.response_excerpt, "delivery_status": a.delivery_status,
    })
}

/// The deliveries log: every attempt, newest first, and the webhook's deliveries counted by
/// where they stand (`skipped`: sent while it was off, never attempted).
pub async fn deliveries(cx: &mut Ctx) -> ApiResult<Response> {
    cx.query.allow_only(&["limit", "cursor"])?;
    let id = cx.param("id").to_string();
    load(cx, &id).await?;
    let limit = cx.query.limit(DEFAULT_LIMIT)?;
    let after = cx.query.cursor("attempts")?;
    let rows = webhooks::attempts(&cx.db()?, &id, after.as_ref().map(|(a, i)| (a.as_str(), i.as_str())), limit).await?;
    let page = Page::cut(rows, limit, |r| cursor::encode("attempts", &r.at, &r.id)).map(attempt_view);
    let mut answer = serde_json::to_value(&page).map_err(|e| ApiError::Internal(format!("deliveries: {e}")))?;
    answer["counts"] = json!(webhooks::delivery_counts(&cx.db()?, &id).await?);
    Answer::json(200, &answer)?.into_response()
}

/// Sends the webhook again every event of its types from `since` (an event id: that event on;
/// a time: the events committed from then), within the 30 days kept, that it has not received:
/// the way back after it was off (nothing is delivered while it is) or gave deliveries up.
/// Events it received are not sent again. At most `MAX_REPLAY_EVENTS` events per replay
/// (`next_since` continues), `REPLAYS_PER_HOUR` per webhook; audited.
pub async fn replay(cx: &mut Ctx) -> ApiResult<Response> {
    let id = cx.param("id").to_string();
    let body = cx.json_body().await?;
    let now_ms = time::now_ms();
    let since = ReplaySince::parse(&body, now_ms).map_err(ApiError::Validation)?;
    let hook = load(cx, &id).await?;
    if !hook.enabled {
        return Err(ApiError::Conflict {
            code: "webhook_disabled",
            message: "the webhook is off, and nothing is delivered to it while it is: enable it, then replay".into(),
        });
    }
    let db = cx.db()?;
    let hour_ago = now_ms - 3_600_000;
    let (recent, first_at) = webhooks::replays_since(&db, &id, &time::format_ms(hour_ago)).await?;
    if recent >= REPLAYS_PER_HOUR {
        let frees_at = first_at.as_deref().and_then(time::parse_ms).unwrap_or(hour_ago) + 3_600_000;
        return Err(ApiError::RateLimited { retry_after_secs: ((frees_at - now_ms) / 1000 + 1).clamp(1, 3600) as u32 });
    }
    let from = events::replay_start(&db, &since).await?;
    if from.is_none() && matches!(since, ReplaySince::Event(_)) {
        return Err(ApiError::field("since", "not_found", "no event has this id (events are kept 30 days)"));
    }
    let now = time::format_ms(now_ms);
    let mut entry = audit_entry(cx, "webhook.replay", "webhook", Some(&id), vec![]);
    entry.details = json!({ "since": body["since"] });
    let audit = audit::insert_statement(&db, &entry, &now)?;
    let (keys, next_since) = match from {
        Some(from) => {
            let end = events::replay_end(&db, from, MAX_REPLAY_EVENTS).await?;
            let before = end.as_ref().map_or(i64::MAX, |(seq, _)| *seq);
            (events::replay(&db, &id, from, before, &now, audit).await?, end.map(|(_, next)| next))
        }
        // No event since then: nothing to send, but the replay was asked for (and counts).
        None => {
            crate::storage::d1::run(&audit).await?;
            (Vec::new(), None)
        }
    };
    // Left unsent (no queue, or it refused), the deliveries are pending: the cron sends them.
    if let Ok(queue) = cx.env.queue(QUEUE_BINDING) {
        if let Err(e) = super::dispatch::send(&queue, &keys).await {
            worker::console_error!("webhooks: a replay's deliveries were not queued (the cron will): {e}");
        }
    }
    let answer = json!({ "webhook_id": id, "since": body["since"], "queued": keys.len(), "next_since": next_since });
    Answer::json(202, &answer)?.into_response()
}
