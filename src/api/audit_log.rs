//! `GET /v1/audit-log`: who changed what and when, newest first, cursor-paginated.
use serde_json::{json, Value};
use worker::Response;

use crate::domain::cursor;
use crate::domain::filter::{limit_param, DEFAULT_LIMIT};
use crate::domain::time::parse_time;
use crate::http::error::{ApiError, ApiResult};
use crate::http::{Answer, Ctx};
use crate::storage::audit;

pub async fn list(cx: &mut Ctx) -> ApiResult<Response> {
    let (mut action, mut target, mut since, mut until, mut after) = (None, None, None, None, None);
    let mut limit = DEFAULT_LIMIT;
    let bad = |name: &str, message: &str| ApiError::invalid_parameter(name, message);
    for (name, value) in cx.query_pairs() {
        match name.as_str() {
            "action" => action = Some(value),
            "target_id" => target = Some(value),
            "after" => since = Some(parse_time(&value).ok_or_else(|| bad("after", "must be an RFC 3339 time or a date"))?),
            "before" => until = Some(parse_time(&value).ok_or_else(|| bad("before", "must be an RFC 3339 time or a date"))?),
            "limit" => limit = limit_param(&value)?,
            "cursor" => after = Some(cursor::decode(&value, "audit").map_err(|m| bad("cursor", m))?),
            other => return Err(bad(other, "is not a known parameter")),
        }
    }
    let after_ref = after.as_ref().map(|(a, i)| (a.as_str(), i.as_str()));
    let mut rows = audit::page(&cx.db()?, action.as_deref(), target.as_deref(), since.as_deref(), until.as_deref(), after_ref, limit).await?;
    let has_more = cursor::split_page(&mut rows, limit);
    let next_cursor = match rows.last() {
        Some(r) if has_more => Some(cursor::encode("audit", &r.at, &r.id)),
        _ => None,
    };
    let data: Vec<Value> = rows
        .into_iter()
        .map(|r| json!({
            "id": r.id, "at": r.at, "actor": r.actor, "action": r.action, "target_type": r.target_type,
            "target_id": r.target_id, "request_id": r.request_id, "outcome": r.outcome,
            "changed_fields": serde_json::from_str::<Value>(&r.changed_fields).unwrap_or(json!([])),
            "details": serde_json::from_str::<Value>(&r.details).unwrap_or(json!({})),
        }))
        .collect();
    Answer::json(200, &json!({ "data": data, "has_more": has_more, "next_cursor": next_cursor }))?.into_response()
}
