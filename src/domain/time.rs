//! Timestamps are RFC 3339 UTC strings with milliseconds, so they sort as text in SQL.
use chrono::{DateTime, SecondsFormat, Utc};

pub fn now() -> String {
    format_time(Utc::now())
}

pub fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Accepts any RFC 3339 time (or a bare date, meaning its midnight UTC) and returns it in the
/// stored format, so comparisons in SQL are plain text comparisons.
pub fn parse_time(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some(format_time(t.with_timezone(&Utc)));
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return Some(format_time(d.and_hms_opt(0, 0, 0)?.and_utc()));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_have_milliseconds_and_z() {
        let t = now();
        assert_eq!(t.len(), 24, "{t}");
        assert!(t.ends_with('Z'));
    }

    #[test]
    fn offsets_are_converted_to_utc() {
        assert_eq!(parse_time("2026-01-02T03:04:05+02:00").unwrap(), "2026-01-02T01:04:05.000Z");
    }

    #[test]
    fn a_bare_date_means_midnight_utc() {
        assert_eq!(parse_time("2026-01-02").unwrap(), "2026-01-02T00:00:00.000Z");
    }

    #[test]
    fn garbage_is_not_a_time() {
        assert_eq!(parse_time("yesterday"), None);
    }
}
