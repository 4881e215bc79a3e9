//! `GET /v1/audit-log`: who changed what and when, newest first, cursor-paginated.
use worker::Response;

use crate::domain::cursor::{self, Page};
use crate::domain::filter::DEFAULT_LIMIT;
use crate::domain::time::parse_time;
use crate::http::error::{ApiError, ApiResult};
use crate::http::{Answer, Ctx};
use crate::storage::audit;

pub async fn list(cx: &mut Ctx) -> ApiResult<Response> {
    let q = &cx.query;
    q.allow_only(&["action", "actor", "target_id", "after", "before", "limit", "cursor"])?;
    let time = |name: &str| {
        q.get(name)
            .map(|v| parse_time(v).ok_or_else(|| ApiError::invalid_parameter(name, "must be an RFC 3339 time or a date")))
            .transpose()
    };
    let (since, until) = (time("after")?, time("before")?);
    let limit = q.limit(DEFAULT_LIMIT)?;
    let after = q.cursor("audit")?;
    let filter = audit::AuditFilter {
        action: q.get("action"),
        actor: q.get("actor"),
        target_id: q.get("target_id"),
        since: since.as_deref(),
        until: until.as_deref(),
        after: after.as_ref().map(|(a, i)| (a.as_str(), i.as_str())),
    };
    let rows = audit::page(&cx.db()?, &filter, limit).await?;
    let page = Page::cut(rows, limit, |r| cursor::encode("audit", &r.at, &r.id));
    Answer::json(200, &page)?.into_response()
}
