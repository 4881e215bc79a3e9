//! `GET /v1/events`: the change events, oldest first, for clients that pull instead of
//! receiving webhooks.
use serde_json::{json, Value};
use worker::Response;

use crate::domain::cursor::Page;
use crate::domain::event::{parse_types, RETENTION_DAYS};
use crate::domain::filter::DEFAULT_LIMIT;
use crate::domain::id;
use crate::domain::json;
use crate::http::error::{ApiError, ApiResult};
use crate::http::{Answer, Ctx};
use crate::storage::events::{self, EventFilter, EventRow};

/// An event as the API and the webhooks show it.
pub fn view(row: EventRow) -> Value {
    json!({
        "id": row.id, "type": row.kind, "created_at": row.created_at,
        "data": json::parse(&row.data).unwrap_or(json!({})),
    })
}

pub async fn list(cx: &mut Ctx) -> ApiResult<Response> {
    let q = &cx.query;
    q.allow_only(&["after", "type", "customer_id", "limit"])?;
    let limit = q.limit(DEFAULT_LIMIT)?;
    let types =
        q.get("type").map(parse_types).transpose().map_err(|m| ApiError::invalid_parameter("type", m))?.unwrap_or_default();
    let customer_id = q.get("customer_id");
    if customer_id.is_some_and(|c| !id::is_uuid(c)) {
        return Err(ApiError::invalid_parameter("customer_id", "must be a customer id"));
    }
    let db = cx.db()?;
    let after_seq = match q.get("after") {
        None => None,
        Some(after) => {
            let unknown = || {
                ApiError::invalid_parameter(
                    "after",
                    format!("no event has this id (events are kept {RETENTION_DAYS} days); start again without `after`"),
                )
            };
            if !id::is_uuid(after) {
                return Err(unknown());
            }
            Some(events::seq_of(&db, after).await?.ok_or_else(unknown)?)
        }
    };
    let filter = EventFilter { after_seq, types, customer_id };
    let rows = events::page(&db, &filter, limit).await?;
    // The cursor of the next page is the last event's id, as `after` takes it.
    let page = Page::cut(rows, limit, |r| r.id.clone()).map(view);
    Answer::json(200, &page)?.into_response()
}
