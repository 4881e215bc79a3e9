//! One module per endpoint group. Handlers parse input with domain types, call storage and
//! shape the answer; HTTP plumbing lives in `crate::http`.
pub mod activation;
pub mod admins;
pub mod api_keys;
pub mod audit;
pub mod console;
pub mod contacts;
pub mod customers;
pub mod dispatch;
pub mod events;
pub mod groups;
pub mod health;
pub mod idempotency;
pub mod import_export;
pub mod interactions;
pub mod merge;
pub mod openapi;
pub mod own_company;
pub mod portal;
pub mod stats;
pub mod test_support;
pub mod webhooks;

use serde_json::Value;

use crate::domain::{id, time};
use crate::http::error::{ApiError, ApiResult};
use crate::http::Ctx;
use crate::storage::audit::AuditEntry;

/// The audit row for an action on `target_id` by this request's caller.
pub fn audit_entry<'a>(
    cx: &'a Ctx,
    action: &'a str,
    target_type: &'a str,
    target_id: Option<&str>,
    changed: Vec<&'a str>,
) -> AuditEntry<'a> {
    AuditEntry {
        actor: cx.actor.label(),
        action,
        target_type,
        target_id: target_id.map(str::to_string),
        request_id: &cx.request_id,
        changed_fields: changed,
        details: Value::Object(Default::default()),
    }
}

/// `id` if it can name a row, else 404 naming `what`: a path segment that is no uuid names
/// nothing, so D1 is not asked.
pub fn uuid_or_404(id: &str, what: &'static str) -> ApiResult<()> {
    if id::is_uuid(id) {
        Ok(())
    } else {
        Err(ApiError::NotFound(what))
    }
}

/// A fresh UUID v7: time-ordered, so new rows sort after older ones.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Pairs each customer id with a fresh id for its own audit row (`audit::insert_per_customer_statement`).
pub fn audit_targets(ids: &[String]) -> ApiResult<Vec<(String, String)>> {
    Ok(ids.iter().cloned().zip(new_ids(ids.len())?).collect())
}

/// `n` fresh UUID v7 ids from one clock reading and one fetch of random bytes, in order.
pub fn new_ids(n: usize) -> ApiResult<Vec<String>> {
    let mut random = vec![0u8; n * id::RANDOM_BYTES_PER_ID];
    getrandom::fill(&mut random).map_err(|e| ApiError::Internal(format!("random: {e}")))?;
    Ok(id::v7_ids(time::now_ms().max(0) as u64, &random).collect())
}
