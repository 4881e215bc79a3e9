//! Any bytes as the body of POST /v1/customers/filter: parse as JSON, then the filter model must
//! accept or refuse it without panicking, and an accepted filter must build SQL in which every
//! value from the body is a bind parameter (never spliced into the text).
#![no_main]
use customers::domain::filter::from_filter_body;
use customers::storage::query::{Plan, Sql};
use libfuzzer_sys::fuzz_target;

/// Every `?N` in the text is 1..=binds.len(), each bind is used, and the text is ASCII (the SQL
/// templates are; a body value spliced into the text would very likely not be).
fn check(sql: &Sql) {
    assert!(sql.text.is_ascii(), "non-ASCII in SQL text: {}", sql.text);
    let mut used = vec![false; sql.binds.len()];
    let bytes = sql.text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'?' {
            let digits: String = sql.text[i + 1..].chars().take_while(|c| c.is_ascii_digit()).collect();
            let n: usize = digits.parse().unwrap_or_else(|_| panic!("bare `?` in SQL: {}", sql.text));
            assert!(n >= 1 && n <= sql.binds.len(), "?{n} with {} binds: {}", sql.binds.len(), sql.text);
            used[n - 1] = true;
            i += 1 + digits.len();
        } else {
            i += 1;
        }
    }
    assert!(used.iter().all(|u| *u), "a bind is never used: {}", sql.text);
}

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    let Ok(page) = from_filter_body(&value, true) else { return };
    assert!((1..=100).contains(&page.limit));
    // TooManyParameters is a client error the handlers report; only a built Sql is checked.
    // Every plan the planner may pick, and the one statement that probes and then picks.
    for plan in [Plan::Candidates, Plan::Window(5_000), Plan::Scan, Plan::Stream] {
        if let Ok(sql) = page.query.page_sql(page.after.as_ref(), page.limit, plan) {
            check(&sql);
        }
    }
    if let Some(narrowing) = page.query.narrowing() {
        if let Ok(sql) = page.query.planned_sql(narrowing, page.after.as_ref(), page.limit, 200, 5_000) {
            check(&sql);
        }
    }
    if let Ok(sql) = page.query.count_sql() {
        check(&sql);
    }
    if let Ok(sql) = page.query.ids_sql(100) {
        check(&sql);
    }
});
