//! One module per endpoint group. Handlers parse input with domain types, call storage and
//! shape the answer; HTTP plumbing lives in `crate::http`.
pub mod admin;
pub mod audit_log;
pub mod contacts;
pub mod customers;
pub mod groups;
pub mod health;
pub mod idempotency;
pub mod import_export;
pub mod interactions;
pub mod keys;
pub mod openapi;
pub mod test_support;

use serde_json::Value;

use crate::http::Ctx;
use crate::storage::audit::AuditEntry;

/// The audit row for an action on `target_id` by this request's caller.
pub fn audit<'a>(cx: &'a Ctx, action: &'a str, target_type: &'a str, target_id: Option<&str>, changed: Vec<&'a str>) -> AuditEntry<'a> {
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
