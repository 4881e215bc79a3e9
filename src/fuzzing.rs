//! What each fuzz target (`fuzz/`) checks of one input, beyond "no panic". The targets call
//! these, and the unit tests below run them over every seed and every input a fuzz run has
//! found (`fuzz/seeds/<target>/`, `fuzz/found/<target>/`), so `make test` compiles the checks
//! against today's code and keeps what the fuzzer found fixed. Built for the unit tests and for
//! cargo-fuzz (which sets `--cfg fuzzing`), never into the worker.
use crate::domain::csv_import::{parse_csv, Column};
use crate::domain::cursor::{decode, encode};
use crate::domain::customer::MAX_NAME_LEN;
use crate::domain::email::{normalize_email, Email, MAX_EMAIL_LEN};
use crate::domain::filter::{from_filter_body, from_query_pairs, PageRequest};
use crate::domain::interaction::{PublicInteraction, MAX_DETAILS_BYTES, MAX_RESOURCE_ID_LEN};
use crate::domain::unicode::nfc;
use crate::http::jwt;
use crate::storage::customer_sql::{self, PagePlan, Sql};

/// Any bytes as an uploaded CSV file: `parse_csv` answers Ok or a CsvError, and what it returns
/// is consistent with what the import reports rely on.
pub fn csv_import(data: &[u8]) {
    let Ok(parsed) = parse_csv(data) else { return };
    // The header needs a name or an email column.
    assert!(parsed.columns.iter().any(|c| matches!(c, Column::Name | Column::Email)));
    let mut last_line = 1; // the header is line 1
    for record in parsed.records() {
        // One value per column, and line numbers that go forwards from after the header.
        assert_eq!(record.values().count(), parsed.columns.len());
        assert!(record.line > last_line, "record line {} after line {last_line}", record.line);
        last_line = record.line;
        // Validation as a customer answers a customer or the fields it refuses; a refusal
        // always says which fields.
        if let Err(errors) = record.customer_fields(&parsed.columns) {
            assert!(!errors.is_empty());
        }
        let _ = record.groups_cell(&parsed.columns);
    }
}

/// Any bytes as the body of `POST /v1/customers/filter`: an accepted filter builds, for every
/// plan, SQL in which every value from the body is a bind parameter.
pub fn filter_body(data: &[u8]) {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    let Ok(page) = from_filter_body(&value, true) else { return };
    statements(&page);
}

/// Any text as the query string of `GET /v1/customers` (`&`-separated `name=value` pairs, taken
/// as already decoded): an accepted list builds every statement with the body's values bound,
/// as `filter_body` checks.
pub fn query_pairs(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(page) = from_query_pairs(&pairs(text), true) else { return };
    statements(&page);
}

/// A query string's `name=value` pairs, taken as decoded (a pair without `=` has an empty value).
fn pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
}

/// The checks of an accepted page request: its limit, and every statement it may send.
fn statements(page: &PageRequest) {
    assert!((1..=100).contains(&page.limit));
    let (query, after) = (&page.query, page.after.as_ref());
    // Every statement `storage::customers::page` may send for this query, each plan where it
    // would be asked (some plans assume what the planner checked first).
    let narrowing = customer_sql::narrowing(query);
    let buckets = customer_sql::can_read_by_buckets(query);
    let skipping = if customer_sql::can_stream(query) {
        Some(PagePlan::Stream)
    } else if buckets {
        Some(PagePlan::Bucketed)
    } else if !customer_sql::signature(query).is_empty() {
        Some(PagePlan::Walk)
    } else {
        None
    };
    let mut plain = vec![PagePlan::Scan, PagePlan::Walk];
    plain.extend(skipping);
    let mut planned = vec![];
    if narrowing.is_some() {
        plain.extend([PagePlan::Candidates, PagePlan::Window(5_000 * 8)]);
        planned.extend([PagePlan::Window(5_000), PagePlan::Walk]);
        planned.extend(skipping);
    } else if buckets {
        planned.push(PagePlan::Bucketed);
    }
    // TooManyParameters is a client error the handlers report; only a built Sql is checked.
    for plan in plain {
        if let Ok(sql) = customer_sql::page(query, after, page.limit, plan) {
            binds_only(&sql);
        }
    }
    for walk in planned {
        if let Ok(sql) = customer_sql::planned(query, narrowing, after, page.limit, 5_000, walk) {
            binds_only(&sql);
        }
    }
    for sql in [customer_sql::count(query), customer_sql::ids(query, 100)].into_iter().flatten() {
        binds_only(&sql);
    }
}

/// Every `?N` in the text is 1..=binds.len(), each bind is used, and the text is ASCII (the SQL
/// templates are; a body value spliced into the text would very likely not be).
fn binds_only(sql: &Sql) {
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

const SORTS: [&str; 8] = ["created_at", "-created_at", "name", "-name", "email", "-email", "last_seen_at", "-last_seen_at"];

/// A sort order (the first byte) and any text: `decode` of the text as a cursor, and `encode`
/// of the text split in two as a key and an id, which must decode to the same two.
pub fn cursor(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else { return };
    let sort = SORTS[selector as usize % SORTS.len()];
    let Ok(text) = std::str::from_utf8(rest) else { return };

    if let Ok((key, id)) = decode(text, sort) {
        // A cursor is bound to its sort: never accepted for another one.
        let other = SORTS[(selector as usize + 1) % SORTS.len()];
        assert!(decode(text, other).is_err(), "cursor accepted for {sort} and {other}");
        let again = encode(sort, &key, &id);
        if again.len() <= 2048 {
            assert_eq!(decode(&again, sort), Ok((key, id)));
        }
    }

    let mid = text.char_indices().nth(text.chars().count() / 2).map_or(text.len(), |(i, _)| i);
    let (key, id) = text.split_at(mid);
    let cursor = encode(sort, key, id);
    if cursor.len() <= 2048 {
        assert_eq!(decode(&cursor, sort), Ok((key.to_string(), id.to_string())));
    } else {
        assert!(decode(&cursor, sort).is_err());
    }
}

/// Any text as an email address: an accepted address has the properties the contract and the
/// uniqueness rule rely on.
pub fn email(data: &[u8]) {
    let Ok(raw) = std::str::from_utf8(data) else { return };
    let Ok(email) = Email::parse(raw) else { return };
    let s = email.as_str();
    // Stored composed (NFC), so an address typed decomposed is the same customer.
    assert_eq!(s, nfc(raw.trim()), "an accepted address is the input, trimmed and composed");
    assert!(!s.is_empty() && s.chars().count() <= MAX_EMAIL_LEN);
    let (local, domain) = s.rsplit_once('@').expect("an accepted address has an @");
    assert!(!local.is_empty() && local.len() <= 64 && !local.contains('@'));
    assert!(domain.contains('.'));
    assert!(!s.chars().any(|c| c.is_whitespace() || c.is_control()));
    // Parsing is idempotent, and the matching key is the lower-cased address.
    assert_eq!(Email::parse(s), Ok(email.clone()));
    assert_eq!(email.normalized(), normalize_email(raw));
    assert_eq!(email.normalized(), s.to_lowercase());
}

/// Any bytes as the body of `POST /v1/public/interactions`, the endpoint that faces the
/// internet: an accepted body names a person and keeps to the contract's bounds; a refused one
/// says what it refuses and why.
pub fn public_interaction(data: &[u8]) {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    match PublicInteraction::parse(&value) {
        Ok(visit) => {
            assert!(visit.email.is_some() || visit.visitor_id.is_some(), "a visit names a person");
            let id = visit.resource_id.chars().count();
            assert!((1..=MAX_RESOURCE_ID_LEN).contains(&id), "resource_id of {id} characters");
            assert!(serde_json::Value::Object(visit.details.clone()).to_string().len() <= MAX_DETAILS_BYTES);
            if let Some(name) = &visit.name {
                assert!(name.chars().count() <= MAX_NAME_LEN && !name.chars().any(char::is_control));
            }
            if let Some(phone) = &visit.phone {
                assert!(!phone.chars().any(char::is_control));
            }
        }
        Err(errors) => {
            assert!(!errors.is_empty(), "a refusal names what it refuses");
            // The field is the body's own key for an unknown one, which may be "" (found).
            for e in &errors {
                assert!(!e.code.is_empty() && !e.message.is_empty(), "{e:?}");
            }
        }
    }
}

/// Any text as a Cloudflare Access token (the `Cf-Access-Jwt-Assertion` header or the
/// `CF_Authorization` cookie, which anyone can send): a parsed token is RS256 with a key id, and
/// what its signature covers is the token's first two parts as sent; checking its claims at any
/// time answers a refusal or Ok.
pub fn access_jwt(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(token) = jwt::parse(text) else { return };
    assert!(!token.kid.is_empty());
    let (signed, _) = text.rsplit_once('.').expect("a parsed token has three parts");
    assert_eq!(token.signed, signed);
    for now in [0.0, 1.8e9, f64::MAX] {
        let _ = jwt::check(&token.claims, "https://team.cloudflareaccess.com", "aud", now);
    }
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::Path;

    fn fuzz_dir() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
    }

    /// Every file of `fuzz/seeds/<target>/` and `fuzz/found/<target>/` through `check`.
    fn run_inputs(target: &str, check: fn(&[u8])) -> usize {
        let fuzz = fuzz_dir();
        let mut ran = 0;
        for dir in [fuzz.join("seeds").join(target), fuzz.join("found").join(target)] {
            let Ok(entries) = fs::read_dir(&dir) else { continue };
            for entry in entries {
                let path = entry.expect("an input").path();
                let data = fs::read(&path).expect("an input's bytes");
                let outcome = std::panic::catch_unwind(|| check(&data));
                assert!(outcome.is_ok(), "{target}: {} fails its check", path.display());
                ran += 1;
            }
        }
        ran
    }

    #[test]
    fn every_seed_and_found_input_passes_its_check() {
        for (target, check) in [
            ("csv_import", super::csv_import as fn(&[u8])),
            ("filter_body", super::filter_body),
            ("cursor", super::cursor),
            ("email", super::email),
            ("query_pairs", super::query_pairs),
            ("public_interaction", super::public_interaction),
            ("access_jwt", super::access_jwt),
        ] {
            assert!(run_inputs(target, check) >= 3, "{target}: its seeds are missing");
        }
    }

    fn seed(target: &str, name: &str) -> Vec<u8> {
        fs::read(fuzz_dir().join("seeds").join(target).join(name)).expect("a seed")
    }

    /// The seeds start the fuzzer past the parsers' refusals, where the checks have most to say.
    #[test]
    fn the_seeds_reach_what_is_accepted() {
        use serde_json::Value;
        for name in ["search", "scopes", "kind_dates"] {
            let text = String::from_utf8(seed("query_pairs", name)).unwrap();
            assert!(super::from_query_pairs(&super::pairs(&text), true).is_ok(), "{name}");
        }
        for name in ["email", "visitor"] {
            let body: Value = serde_json::from_slice(&seed("public_interaction", name)).unwrap();
            assert!(super::PublicInteraction::parse(&body).is_ok(), "{name}");
        }
        for name in ["person", "service"] {
            let token = String::from_utf8(seed("access_jwt", name)).unwrap();
            let parsed = super::jwt::parse(&token).expect(name);
            assert_eq!(super::jwt::check(&parsed.claims, "https://team.cloudflareaccess.com", "aud", 1.8e9), Ok(()), "{name}");
        }
    }

    #[test]
    fn an_address_typed_decomposed_is_accepted_composed() {
        // Found by the email target: U+0374 GREEK NUMERAL SIGN composes to U+02B9.
        super::email("\u{374}@r.e  ".as_bytes());
        super::email("jose\u{301}@example.com".as_bytes());
    }
}
