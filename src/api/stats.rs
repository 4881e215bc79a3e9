//! `GET /v1/stats/daily`: the dashboard's figures for the last `days` days, read from the daily
//! rollup (migration 0023) and the latest import summaries, never by counting customers.
use serde_json::json;
use worker::Response;

use crate::domain::stats::{self, DEFAULT_DAYS, RECENT_IMPORTS};
use crate::domain::time;
use crate::http::error::{ApiError, ApiResult};
use crate::http::{Answer, Ctx};
use crate::storage::audit::{self, AuditFilter};
use crate::storage::{groups, stats as rollup};

pub async fn daily(cx: &mut Ctx) -> ApiResult<Response> {
    let q = &cx.query;
    q.allow_only(&["days"])?;
    let days = q
        .get("days")
        .map(stats::parse_days)
        .transpose()
        .map_err(|m| ApiError::invalid_parameter("days", m))?
        .unwrap_or(DEFAULT_DAYS);
    let (from, to) = stats::window(time::now_ms(), days);
    let db = cx.db()?;
    let rows = rollup::daily(&db, &from).await?;
    let live = groups::live_customers(&db).await?;
    // The import's summary rows: counts only (who ran it is for the audit log's readers).
    let imports =
        audit::page(&db, &AuditFilter { action: Some("customer.import"), ..Default::default() }, RECENT_IMPORTS).await?;
    let imports = imports
        .into_iter()
        .take(RECENT_IMPORTS)
        .map(|r| {
            let d = &r.details;
            json!({ "at": r.at, "rows": d["rows"], "created": d["created"], "updated": d["updated"],
                    "skipped": d["skipped"], "failed": d["failed"], "mode": d["mode"] })
        })
        .collect();
    Answer::json(200, &stats::answer(&from, &to, live, &rows, imports))?.into_response()
}
