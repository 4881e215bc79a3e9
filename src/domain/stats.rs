//! The dashboard's figures (`GET /v1/stats/daily`): the window asked for and the answer's shape,
//! built from the daily rollup's rows (migration 0023).
use serde::Serialize;
use serde_json::{json, Value};

use super::time::format_ms;

pub const DEFAULT_DAYS: i64 = 30;
pub const MAX_DAYS: i64 = 366;
/// How many of the latest imports the dashboard lists.
pub const RECENT_IMPORTS: usize = 5;
const DAY_MS: i64 = 86_400_000;

/// `days`: a whole number from 1 to `MAX_DAYS`.
pub fn parse_days(raw: &str) -> Result<i64, String> {
    match raw.parse::<i64>() {
        Ok(d) if (1..=MAX_DAYS).contains(&d) => Ok(d),
        _ => Err(format!("must be a whole number from 1 to {MAX_DAYS}")),
    }
}

/// The first and last UTC dates of a window of `days` days ending today.
pub fn window(now_ms: i64, days: i64) -> (String, String) {
    let to = format_ms(now_ms)[..10].to_string();
    let from = format_ms(now_ms - (days - 1) * DAY_MS)[..10].to_string();
    (from, to)
}

/// One row of the rollup: `count` of `metric` (split by `key`) on `day`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatRow {
    pub day: String,
    pub metric: String,
    pub key: String,
    pub count: i64,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Point {
    pub date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    pub count: i64,
}

/// The answer: days with nothing are left out (the console draws them as zero).
pub fn answer(from: &str, to: &str, live: u64, rows: &[StatRow], recent_imports: Vec<Value>) -> Value {
    let series = |metric: &str| -> Vec<Point> {
        rows.iter()
            .filter(|r| r.metric == metric && r.count > 0)
            .map(|r| Point {
                date: r.day.clone(),
                source: (metric == "created").then(|| r.key.clone()),
                kind: (metric == "interaction").then(|| r.key.clone()),
                count: r.count,
            })
            .collect()
    };
    let total = |metric: &str| rows.iter().filter(|r| r.metric == metric).map(|r| r.count).sum::<i64>();
    json!({
        "from": from, "to": to,
        "totals": {
            "live_customers": live, "created": total("created"), "registered": total("registered"),
            "interactions": total("interaction"),
        },
        "created": series("created"),
        "registered": series("registered"),
        "interactions": series("interaction"),
        "recent_imports": recent_imports,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(day: &str, metric: &str, key: &str, count: i64) -> StatRow {
        StatRow { day: day.into(), metric: metric.into(), key: key.into(), count }
    }

    #[test]
    fn days_are_one_to_a_year() {
        assert_eq!(parse_days("30"), Ok(30));
        assert_eq!(parse_days("366"), Ok(366));
        for bad in ["0", "367", "-1", "7.5", "", "x"] {
            assert!(parse_days(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_window_ends_today_and_counts_today() {
        let now = 1_764_979_200_000; // 2025-12-06T00:00:00Z
        assert_eq!(window(now, 1), ("2025-12-06".into(), "2025-12-06".into()));
        assert_eq!(window(now + 3_600_000, 30), ("2025-11-07".into(), "2025-12-06".into()));
    }

    #[test]
    fn rows_become_series_and_totals() {
        let rows = [
            row("2025-12-01", "created", "admin", 2),
            row("2025-12-01", "created", "chat", 1),
            row("2025-12-02", "interaction", "chat_started", 4),
            row("2025-12-02", "registered", "", 1),
            row("2025-12-03", "created", "form", 0),
        ];
        let a = answer("2025-11-07", "2025-12-06", 10, &rows, vec![]);
        assert_eq!(a["totals"], json!({"live_customers": 10, "created": 3, "registered": 1, "interactions": 4}));
        assert_eq!(
            a["created"],
            json!([{"date": "2025-12-01", "source": "admin", "count": 2}, {"date": "2025-12-01", "source": "chat", "count": 1}])
        );
        assert_eq!(a["interactions"], json!([{"date": "2025-12-02", "type": "chat_started", "count": 4}]));
        assert_eq!(a["registered"], json!([{"date": "2025-12-02", "count": 1}]));
    }
}
