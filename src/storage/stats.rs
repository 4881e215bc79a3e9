//! The dashboard's reads: the daily rollup of migration 0023, by its primary key.
use worker::D1Database;

use super::d1::{all, read_each};
use super::Scalar;
use super::{statement, DbResult};
use crate::domain::stats::StatRow;

/// Every rollup row from `from` (a UTC date) on: at most days x series rows.
pub async fn daily(db: &D1Database, from: &str) -> DbResult<Vec<StatRow>> {
    let sql = "SELECT day, metric, key, count FROM daily_stats WHERE day >= ?1 ORDER BY day, metric, key";
    let rows = all(&statement(db, sql, &[Scalar::Text(from.into())])?).await?;
    read_each(rows, |r| StatRow {
        day: r.text("day"),
        metric: r.text("metric"),
        key: r.text("key"),
        count: r.count("count") as i64,
    })
}
