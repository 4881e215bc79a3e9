//! `Idempotency-Key` for POST endpoints: the same key and body within 24 h replays the first
//! answer; the same key with another body is refused; a key still running is refused (409), for
//! at most `CLAIM_LEASE_MS`.

use crate::domain::{json, time};
use crate::http::auth::sha256_hex;
use crate::http::error::{ApiError, ApiResult};
use crate::http::{Answer, Ctx};
use crate::storage::idempotency::{self, Claim};

pub const HEADER: &str = "Idempotency-Key";
/// A request holds its key this long without answering; after that its claim is taken to be
/// from a request that died, and a retry with the key runs.
pub const CLAIM_LEASE_MS: i64 = 60_000;

pub enum Start {
    /// No key was sent: just run.
    NoKey,
    /// The key is ours: run, then `finish`.
    Run { scope: String },
    /// The first answer, replayed.
    Replay(Answer),
}

pub async fn start(cx: &Ctx, body: &[u8]) -> ApiResult<Start> {
    let Some(key) = cx.header(HEADER) else { return Ok(Start::NoKey) };
    let key = key.trim();
    if key.is_empty() || key.len() > 255 || !key.chars().all(|c| c.is_ascii_graphic()) {
        return Err(ApiError::field(HEADER, "invalid", "Idempotency-Key must be 1 to 255 visible ASCII characters"));
    }
    let scope = format!("{}|{}|{}", cx.actor.label(), cx.path, key);
    let hash = sha256_hex(&String::from_utf8_lossy(body));
    let now = time::now_ms();
    let expired_before = time::format_ms(now - 24 * 3_600_000);
    let lease_before = time::format_ms(now - CLAIM_LEASE_MS);
    match idempotency::claim(&cx.db()?, &scope, &hash, &time::format_ms(now), &expired_before, &lease_before).await? {
        Claim::Claimed => Ok(Start::Run { scope }),
        Claim::Taken(stored) if stored.body_hash != hash => Err(ApiError::IdempotencyKeyReused),
        Claim::Taken(stored) => match (stored.status, stored.response) {
            (Some(status), Some(response)) => {
                let mut headers: Vec<(String, String)> = stored.headers.as_deref().map(json::pairs).unwrap_or_default();
                headers.push(("Idempotent-Replayed".into(), "true".into()));
                Ok(Start::Replay(Answer { status: status as u16, body: response, headers }))
            }
            _ => Err(ApiError::IdempotencyInProgress),
        },
    }
}

/// Stores the answer for replay; a server-side failure releases the key so a retry can run.
pub async fn finish(cx: &Ctx, start: &Start, result: ApiResult<Answer>) -> ApiResult<Answer> {
    let Start::Run { scope } = start else { return result };
    let db = cx.db()?;
    let stored = match &result {
        Ok(answer) => Some((answer.status, answer.body.clone(), answer.headers.clone())),
        Err(e) if e.status() < 500 => Some((
            e.status(),
            e.body(&cx.request_id).to_string(),
            e.headers().into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        )),
        Err(_) => None,
    };
    match stored {
        Some((status, body, headers)) => {
            let headers = serde_json::to_string(&headers).unwrap_or_else(|_| "[]".into());
            idempotency::complete(&db, scope, status, &body, &headers).await?;
        }
        None => idempotency::release(&db, scope).await?,
    }
    result
}
