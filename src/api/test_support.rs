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

/// `POST /__test/sorted-search` with `{"bucket": n, "rebuild": bool, "rounds": r}`: what the
/// cron does to the per-order indexes (`customers::keep_sorted_search`), with buckets of `n`
/// customers (the cron's are `bucket_sql::BUCKET`, too many for the tests' few rows to split),
/// `r` times or until it has nothing left to do (at most 12); with `rebuild`, from the start.
/// Answers the steps, each order's buckets (bound key and id, number, size) in sort order, the
/// customers, and for each order how many customers are not exactly once in the bucket their
/// key falls in (`misplaced`, which must be 0): the postings of the customer's seq for the first
/// trigram of its email (an index without content lists no more than that).
pub async fn sorted_search(cx: &mut Ctx) -> ApiResult<Response> {
    use crate::storage::{bucket_sql, customer_sql, d1, statement};
    enabled(cx)?;
    let body = cx.json_body().await?;
    let bucket = body["bucket"].as_i64().filter(|n| *n >= 1).unwrap_or(bucket_sql::BUCKET);
    let rounds = body["rounds"].as_u64().map_or(12, |n| n.min(12));
    let db = cx.db()?;
    if body["rebuild"].as_bool() == Some(true) {
        let (text, binds) = bucket_sql::rebuild();
        d1::run(&statement(&db, &text, &binds)?).await?;
    }
    let mut steps = Vec::new();
    for _ in 0..rounds {
        let kept = customers::keep_sorted_search(&db, bucket).await?;
        steps.push(format!("{kept:?}"));
        if kept == customers::Kept::Split(0) {
            break;
        }
    }
    let sql = "SELECT sort_order, key, id, bucket, size FROM sort_buckets ORDER BY sort_order, key, id";
    let rows = d1::all(&statement(&db, sql, &[])?).await?;
    let buckets: Vec<_> = rows
        .iter()
        .map(|r| json!({ "order": r.text("sort_order"), "key": r.text("key"), "id": r.text("id"), "bucket": r.number("bucket"), "size": r.number("size") }))
        .collect();
    let mut misplaced = serde_json::Map::new();
    for (order, table, key) in bucket_sql::orders() {
        let at = customer_sql::bucket_of(order, key, "c.id");
        let sql = format!(
            "SELECT count(*) AS n FROM customers c WHERE length(c.email) >= 3 AND (SELECT group_concat(s.rowid) FROM {table} s \
             WHERE {table} MATCH '\"' || replace(substr(c.email, 1, 3), '\"', '\"\"') || '\"' AND s.rowid & 4294967295 = c.seq) \
             IS NOT CAST({at} << 32 | c.seq AS TEXT)"
        );
        let n = d1::first(&statement(&db, &sql, &[])?).await?.map_or(0.0, |r| r.number("n"));
        misplaced.insert(order.to_string(), json!(n));
    }
    let total = d1::first(&statement(&db, "SELECT count(*) AS n FROM customers", &[])?).await?.map_or(0.0, |r| r.number("n"));
    let state = d1::first(&statement(&db, "SELECT indexed_below FROM sorted_search", &[])?).await?;
    let built = state.is_some_and(|r| r.number("indexed_below") as i64 == customer_sql::INDEXED_ALL);
    let answer = json!({ "steps": steps, "buckets": buckets, "misplaced": misplaced, "customers": total, "built": built });
    Answer::json(200, &answer)?.into_response()
}
