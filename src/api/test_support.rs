//! Routes that exist only when `ENABLE_TEST_ROUTES=true` (the end-to-end tests set it; no
//! deployed configuration does). They let tests provoke failures that real input cannot, and
//! move the clock of the one rule that needs days to observe (activation links' expiry).
use serde_json::json;
use worker::Response;

use crate::domain::filter;
use crate::http::error::{ApiError, ApiResult};
use crate::http::{Answer, Ctx};
use crate::storage::customer_sql::PagePlan;
use crate::storage::customers::{self, Explained};

fn test_mode(cx: &Ctx) -> bool {
    cx.config().test_routes
}

fn enabled(cx: &Ctx) -> ApiResult<()> {
    if test_mode(cx) {
        Ok(())
    } else {
        Err(ApiError::NotFound("route"))
    }
}

/// The time a request acts at: the real clock, or in test mode the `X-Test-Now` header's
/// RFC 3339 time when one is sent, in milliseconds since the epoch. Outside test mode the header
/// is ignored.
pub fn now(cx: &Ctx) -> ApiResult<i64> {
    let Some(raw) = cx.header("x-test-now").filter(|_| test_mode(cx)) else { return Ok(crate::domain::time::now_ms()) };
    crate::domain::time::parse_ms(&raw)
        .ok_or(ApiError::InvalidHeader { name: "X-Test-Now", message: "must be an RFC 3339 time".into() })
}

pub async fn panic(cx: &mut Ctx) -> ApiResult<Response> {
    enabled(cx)?;
    panic!("test-only panic");
}

pub async fn database_error(cx: &mut Ctx) -> ApiResult<Response> {
    enabled(cx)?;
    let db = cx.db()?;
    crate::storage::d1::all(&db.prepare("SELECT * FROM no_such_table")).await?;
    Err(ApiError::Internal("unreachable".into()))
}

/// `POST /__test/query-plan?plan=planned|candidates|window|scan|stream|bucketed|count` with a filter body: the
/// steps of SQLite's EXPLAIN QUERY PLAN for the statement that plan runs, so the tests can see
/// which index each one walks (the planner's bounds from `X-Test-Probe-Cap`/`X-Test-Window`).
pub async fn query_plan(cx: &mut Ctx) -> ApiResult<Response> {
    enabled(cx)?;
    let body = cx.json_body().await?;
    let page = filter::from_filter_body(&body, true)?;
    let planner = super::customers::planner(cx);
    let which = match cx.query.get("plan").unwrap_or("planned") {
        "candidates" => Explained::Page(PagePlan::Candidates),
        "window" => Explained::Page(PagePlan::Window(planner.window)),
        "scan" => Explained::Page(PagePlan::Scan),
        "stream" => Explained::Page(PagePlan::Stream),
        "bucketed" => Explained::Page(PagePlan::Bucketed),
        "count" => Explained::Count,
        _ => Explained::Planned,
    };
    let steps = customers::explain(&cx.db()?, &page.query, page.after.as_ref(), page.limit, planner, which)
        .await?
        .ok_or(ApiError::NotFound("narrowing"))?;
    Answer::json(200, &json!({ "steps": steps }))?.into_response()
}
