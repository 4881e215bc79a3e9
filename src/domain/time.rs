//! Timestamps are RFC 3339 UTC strings with milliseconds, so they sort as text in SQL.
//! Written out here rather than taken from chrono: the service needs only the clock, one output
//! format and one input grammar, and chrono weighed 37 KiB in the wasm (15 KiB gzipped, measured)
//! against about 2 KiB for this. The unit tests hold it to chrono's answers (a dev-dependency).

const MS_PER_DAY: i64 = 86_400_000;

/// Milliseconds since the Unix epoch: the runtime's clock in the worker, the system's natively.
pub fn now_ms() -> i64 {
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::Date::now() as i64
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        since.map_or(0, |d| d.as_millis() as i64)
    }
}

pub fn now() -> String {
    format_ms(now_ms())
}

/// Whether a recorded instant is missing or earlier than `before` (both as `format_ms` writes
/// them, which sort as text): what tells that a credential's last use is worth writing again.
pub fn missing_or_before(at: Option<&str>, before: &str) -> bool {
    at.is_none_or(|at| at < before)
}

/// The instant `ms` milliseconds after the epoch, as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn format_ms(ms: i64) -> String {
    format(ms, false)
}

/// `leap`: the instant is a leap second, written `:60`, one second after the `:59` that `ms` is.
fn format(ms: i64, leap: bool) -> String {
    let (y, m, d) = civil_from_days(ms.div_euclid(MS_PER_DAY));
    let t = ms.rem_euclid(MS_PER_DAY);
    let (h, min, s, milli) = (t / 3_600_000, t / 60_000 % 60, t / 1000 % 60 + i64::from(leap), t % 1000);
    // Years outside four digits (only reachable through an offset at either end of 0000-9999)
    // carry their sign, as chrono writes them.
    let year = if (0..=9999).contains(&y) { format!("{y:04}") } else { format!("{y:+05}") };
    format!("{year}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}.{milli:03}Z")
}

/// Accepts an RFC 3339 time (or a bare `YYYY-MM-DD`, meaning its midnight UTC) and returns it in
/// the stored format, so comparisons in SQL are plain text comparisons.
pub fn parse_time(raw: &str) -> Option<String> {
    let raw = raw.trim();
    parse_rfc3339(raw).or_else(|| parse_date(raw))
}

fn parse_date(s: &str) -> Option<String> {
    let b = s.as_bytes();
    (b.len() == 10).then_some(())?;
    Some(format(date(b)? * MS_PER_DAY, false))
}

/// RFC 3339 as chrono reads it: `T`, `t` or a space between date and time; seconds up to a leap
/// `60`; any number of fraction digits, of which milliseconds are kept (truncated); `Z`, `z` or
/// `±HH:MM` under a day (the minus also as U+2212); nothing after.
/// Milliseconds since the Unix epoch of an RFC 3339 time (a leap second reads as :59.999's
/// successor, the next second), for arithmetic such as an expiry.
pub fn parse_ms(raw: &str) -> Option<i64> {
    rfc3339_ms(raw.trim()).map(|(ms, leap)| ms + if leap { 1000 } else { 0 })
}

fn parse_rfc3339(s: &str) -> Option<String> {
    rfc3339_ms(s).map(|(ms, leap)| format(ms, leap))
}

/// The time's milliseconds (a second of 60 counted as 59) and whether it was a leap second.
fn rfc3339_ms(s: &str) -> Option<(i64, bool)> {
    let b = s.as_bytes();
    if b.len() < 19 || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let days = date(b)?;
    let (h, min, sec) = (digits(b, 11, 2)?, digits(b, 14, 2)?, digits(b, 17, 2)?);
    if h > 23 || min > 59 || sec > 60 {
        return None;
    }
    // The first 19 bytes are ASCII (checked above), so byte 19 starts a character.
    let mut rest = &s[19..];
    let mut milli = 0;
    if let Some(fraction) = rest.strip_prefix('.') {
        let n = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        milli = fraction.bytes().take(n.min(3)).chain(*b"00").take(3).fold(0, |acc, c| acc * 10 + i64::from(c - b'0'));
        rest = &fraction[n..];
    }
    let east = offset_minutes(rest)?;
    let ms = days * MS_PER_DAY + ((h * 60 + min - east) * 60 + sec.min(59)) * 1000 + milli;
    Some((ms, sec == 60))
}

/// Minutes east of UTC of `Z`, `z` or `±HH:MM`, the whole of `s`.
fn offset_minutes(s: &str) -> Option<i64> {
    if s == "Z" || s == "z" {
        return Some(0);
    }
    let (sign, hm) = match s.strip_prefix('+') {
        Some(hm) => (1, hm),
        None => (-1, s.strip_prefix('-').or_else(|| s.strip_prefix('\u{2212}'))?),
    };
    let b = hm.as_bytes();
    if b.len() != 5 || b[2] != b':' {
        return None;
    }
    let (h, m) = (digits(b, 0, 2)?, digits(b, 3, 2)?);
    (h <= 23 && m <= 59).then_some(sign * (h * 60 + m))
}

/// `YYYY-MM-DD` at the start of `b`, a real day of the proleptic Gregorian calendar, as days
/// since 1970-01-01.
fn date(b: &[u8]) -> Option<i64> {
    let (y, m, d) = (digits(b, 0, 4)?, digits(b, 5, 2)?, digits(b, 8, 2)?);
    let valid = b[4] == b'-' && b[7] == b'-' && (1..=12).contains(&m) && (1..=days_in_month(y, m)).contains(&d);
    valid.then(|| days_from_civil(y, m, d))
}

/// The `n` ASCII digits at `at` as a number.
fn digits(b: &[u8], at: usize, n: usize) -> Option<i64> {
    b.get(at..at + n)?.iter().try_fold(0, |acc, &c| c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0')))
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's `days_from_civil` and `civil_from_days` (chrono-compatible algorithms,
// http://howardhinnant.github.io/date_algorithms.html): eras of 400 years, years from March.

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let (era, yoe) = (y.div_euclid(400), y.rem_euclid(400));
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let (era, doe) = (z.div_euclid(146_097), z.rem_euclid(146_097));
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn a_use_never_recorded_or_recorded_before_the_bound_is_stale() {
        let bound = "2026-11-25T21:59:00.000Z";
        assert!(missing_or_before(None, bound));
        assert!(missing_or_before(Some("2026-11-25T21:58:59.999Z"), bound));
    }

    #[test]
    fn a_use_recorded_at_or_after_the_bound_is_fresh() {
        let bound = "2026-11-25T21:59:00.000Z";
        assert!(!missing_or_before(Some(bound), bound));
        assert!(!missing_or_before(Some("2026-11-25T22:00:00.000Z"), bound));
    }

    /// What the service did with chrono: its RFC 3339 reader, then a strict `%Y-%m-%d`.
    fn chrono_parse(raw: &str) -> Option<String> {
        let raw = raw.trim();
        let millis = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Millis, true);
        if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
            return Some(millis(t.with_timezone(&Utc)));
        }
        let d = NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()?;
        Some(millis(d.and_hms_opt(0, 0, 0)?.and_utc()))
    }

    #[test]
    fn parse_ms_counts_milliseconds_since_the_epoch_in_any_offset() {
        assert_eq!(parse_ms("1970-01-01T00:00:01.500Z"), Some(1500));
        assert_eq!(parse_ms("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(parse_ms("1970-01-01"), None, "a bare date is no instant");
    }

    #[test]
    fn times_have_milliseconds_and_z() {
        let t = now();
        assert_eq!(t.len(), 24, "{t}");
        assert!(t.ends_with('Z'));
    }

    #[test]
    fn the_clock_reads_the_present() {
        assert!(now_ms() > 1_767_225_600_000, "after 2026-01-01");
    }

    #[test]
    fn an_instant_is_written_with_milliseconds_in_utc() {
        assert_eq!(format_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_ms(1_767_323_045_678), "2026-01-02T03:04:05.678Z");
        assert_eq!(format_ms(-1), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn offsets_are_converted_to_utc() {
        assert_eq!(parse_time("2026-01-02T03:04:05+02:00").unwrap(), "2026-01-02T01:04:05.000Z");
        assert_eq!(parse_time("2026-01-01T23:30:00-01:00").unwrap(), "2026-01-02T00:30:00.000Z");
    }

    #[test]
    fn a_bare_date_means_midnight_utc() {
        assert_eq!(parse_time("2026-01-02").unwrap(), "2026-01-02T00:00:00.000Z");
    }

    #[test]
    fn fractions_keep_their_milliseconds() {
        assert_eq!(parse_time("2026-01-02T03:04:05.1Z").unwrap(), "2026-01-02T03:04:05.100Z");
        assert_eq!(parse_time("2026-01-02T03:04:05.123456789123Z").unwrap(), "2026-01-02T03:04:05.123Z");
    }

    #[test]
    fn a_leap_second_stays_the_sixtieth() {
        assert_eq!(parse_time("2016-12-31T23:59:60.5Z").unwrap(), "2016-12-31T23:59:60.500Z");
        assert_eq!(parse_time("2017-01-01T00:59:60+01:00").unwrap(), "2016-12-31T23:59:60.000Z");
    }

    #[test]
    fn days_that_do_not_exist_are_not_times() {
        assert_eq!(parse_time("2026-02-29"), None);
        assert_eq!(parse_time("2024-02-29").unwrap(), "2024-02-29T00:00:00.000Z");
        assert_eq!(parse_time("2100-02-29T00:00:00Z"), None);
        assert_eq!(parse_time("2026-04-31"), None);
        assert_eq!(parse_time("2026-13-01"), None);
    }

    #[test]
    fn a_date_is_exactly_four_two_and_two_digits() {
        for raw in ["2026-1-2", "26-01-02", "+12026-01-02", "2026-01- 2", "20260102"] {
            assert_eq!(parse_time(raw), None, "{raw}");
        }
    }

    #[test]
    fn garbage_is_not_a_time() {
        for raw in [
            "yesterday",
            "",
            "2026-01-02T03:04:05",
            "2026-01-02T03:04:05+0200",
            "2026-01-02T03:04:05.Z",
            "2026-01-02T24:00:00Z",
            "2026-01-02T03:04:05+24:00",
            "2026-01-02T03:04:05Zx",
            "２０２６-01-02",
        ] {
            assert_eq!(parse_time(raw), None, "{raw}");
        }
    }

    #[test]
    fn offsets_at_the_ends_of_the_calendar_write_signed_years() {
        assert_eq!(parse_time("0000-01-01T00:00:00+01:00").unwrap(), "-0001-12-31T23:00:00.000Z");
        assert_eq!(parse_time("9999-12-31T23:59:59-01:00").unwrap(), "+10000-01-01T00:59:59.000Z");
    }

    fn rfc3339_like() -> impl Strategy<Value = String> {
        let sep = prop_oneof![Just("T"), Just("t"), Just(" "), Just("x")];
        let frac = prop_oneof![Just(String::new()), Just(".".to_string()), "\\.[0-9]{1,12}"];
        let zone = prop_oneof![
            Just("Z".to_string()),
            Just("z".to_string()),
            "[+\u{2212}-][0-2][0-9]:[0-6][0-9]",
            "[+-][0-9]{4}",
            Just(String::new())
        ];
        ("[0-9]{4}", 0u32..14, 0u32..33, sep, 0u32..26, 0u32..62, 0u32..62, frac, zone)
            .prop_map(|(y, mo, d, sep, h, mi, s, frac, zone)| format!("{y}-{mo:02}-{d:02}{sep}{h:02}:{mi:02}:{s:02}{frac}{zone}"))
    }

    proptest! {
        #[test]
        fn instants_are_written_as_chrono_writes_them(ms in -62_167_219_200_000i64..253_402_300_800_000) {
            let expected = DateTime::<Utc>::from_timestamp_millis(ms).unwrap().to_rfc3339_opts(SecondsFormat::Millis, true);
            prop_assert_eq!(format_ms(ms), expected);
        }

        #[test]
        fn times_are_read_as_chrono_reads_them(raw in rfc3339_like()) {
            prop_assert_eq!(parse_time(&raw), chrono_parse(&raw), "{}", raw);
        }

        #[test]
        fn dates_in_the_strict_form_are_read_as_chrono_reads_them(y in 0u32..10000, m in 0u32..14, d in 0u32..33) {
            let raw = format!("{y:04}-{m:02}-{d:02}");
            prop_assert_eq!(parse_time(&raw), chrono_parse(&raw), "{}", raw);
        }

        #[test]
        fn any_text_is_refused_or_read_as_chrono_reads_it(raw in "\\PC{0,30}") {
            if let Some(t) = parse_time(&raw) {
                prop_assert_eq!(Some(t), chrono_parse(&raw), "{}", raw);
            }
        }
    }
}
