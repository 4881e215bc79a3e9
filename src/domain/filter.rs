//! Reads the list query string and the filter body into one `CustomerQuery`, so list, filter,
//! bulk delete and export select customers the same way.
use serde_json::{Map, Value};

use super::cursor;
use super::customer_query::{operand_for, After, Condition, CustomerQuery, Field, Match, Op, Operand, Scalar, Sort, Status};
use super::email::normalize_email;
use super::validation::{Errors, FieldError};

pub const DEFAULT_LIMIT: usize = 25;
pub const MAX_LIMIT: usize = 100;
pub const MAX_CONDITIONS: usize = 20;
pub const MAX_SEARCH_LEN: usize = 200;

/// A query plus where its page starts and how long it is.
#[derive(Debug, Clone, PartialEq)]
pub struct PageRequest {
    pub query: CustomerQuery,
    pub limit: usize,
    pub after: Option<After>,
    pub include_total: bool,
}

/// Why a request could not be read as a customer query.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterError {
    /// A query-string parameter, named (400 `invalid_parameter`).
    Parameter { name: String, message: String },
    /// Fields of a filter body, each named by its path (422 `validation_failed`).
    Fields(Vec<FieldError>),
}

fn bad(name: &str, message: impl Into<String>) -> FilterError {
    FilterError::Parameter { name: name.to_string(), message: message.into() }
}

/// A boolean flag's text: exactly `true` or `false`, so a destructive action is never the
/// reading of an odd input (`?permanent`, `?permanent=`, `?permanent=1`).
pub fn parse_flag(value: &str) -> Option<bool> {
    match value {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// The `limit` query parameter of every paged list: 1 to 100.
pub fn limit_param(raw: &str) -> Result<usize, FilterError> {
    integer_param(raw)
        .filter(|n| (1..=MAX_LIMIT as u64).contains(n))
        .map(|n| n as usize)
        .ok_or_else(|| bad("limit", format!("must be an integer from 1 to {MAX_LIMIT}")))
}

/// An integer in a query string: ASCII digits and nothing else. Rust's parser also takes a
/// leading `+`, and a trim would take spaces: ` 5`, `+5` and `5 ` are spellings no client means
/// to send, so they are refused rather than read.
pub fn integer_param(raw: &str) -> Option<u64> {
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    raw.parse().ok()
}

fn time_condition(field: Field, op: Op, name: &str, raw: &str) -> Result<Condition, FilterError> {
    let t = super::time::parse_time(raw).ok_or_else(|| bad(name, "must be an RFC 3339 time or a date (YYYY-MM-DD)"))?;
    Ok(Condition { field, op, operand: Operand::One(Scalar::Text(t)) })
}

fn eq(field: Field, value: String) -> Condition {
    Condition { field, op: Op::Eq, operand: Operand::One(Scalar::Text(value)) }
}

/// A list parameter that narrows the list to one value of a field (always AND-ed): one parse
/// each, read by the query string and, for those `in_body`, by the filter body.
struct Scope {
    name: &'static str,
    in_body: bool,
    parse: fn(&str) -> Result<Condition, String>,
}

fn not_empty(value: &str) -> Result<&str, String> {
    Some(value.trim()).filter(|v| !v.is_empty()).ok_or_else(|| "must not be empty".to_string())
}

const SCOPES: &[Scope] = &[
    Scope { name: "email", in_body: false, parse: |v| Ok(eq(Field::Email, normalize_email(v))) },
    Scope {
        name: "kind",
        in_body: true,
        parse: |v| super::customer::Kind::parse_named(v).map(|k| eq(Field::Kind, k.as_str().into())),
    },
    Scope {
        name: "source",
        in_body: false,
        parse: |v| super::customer::Source::parse_named(v).map(|s| eq(Field::Source, s.as_str().into())),
    },
    Scope { name: "group_id", in_body: false, parse: |v| Ok(eq(Field::GroupId, not_empty(v)?.to_string())) },
    // Direct sub-customers of one customer, or `none`: the top level.
    Scope {
        name: "parent_id",
        in_body: true,
        parse: |v| match v.trim() {
            "none" => Ok(Condition { field: Field::ParentId, op: Op::IsNull, operand: Operand::None }),
            id if super::id::is_uuid(id) => Ok(eq(Field::ParentId, id.to_ascii_lowercase())),
            _ => Err("must be a customer id or none".into()),
        },
    },
    Scope { name: "handle", in_body: false, parse: |v| Ok(eq(Field::Handle, not_empty(v)?.to_ascii_lowercase())) },
];

fn scope(name: &str) -> Option<&'static Scope> {
    SCOPES.iter().find(|s| s.name == name)
}

/// `GET /v1/customers` (and the export's GET). Unknown parameters are refused so a typo
/// never silently widens a list or an export.
pub fn from_query_pairs(pairs: &[(String, String)], paging: bool) -> Result<PageRequest, FilterError> {
    let mut query = CustomerQuery::default();
    let mut limit = DEFAULT_LIMIT;
    let mut cursor_raw: Option<&str> = None;
    let mut include_total = false;
    // Repeats and control characters were refused with the rest of the query (`http::query_string`).
    for (name, value) in pairs {
        if let Some(scope) = scope(name) {
            query.required.push((scope.parse)(value).map_err(|m| bad(name, m))?);
            continue;
        }
        match name.as_str() {
            "q" => {
                let q = value.trim();
                if q.chars().count() > MAX_SEARCH_LEN {
                    return Err(bad("q", format!("is longer than {MAX_SEARCH_LEN} characters")));
                }
                if !q.is_empty() {
                    query.search = Some(q.to_string());
                }
            }
            "status" => query.status = Status::parse(value).ok_or_else(|| bad("status", "must be active, deleted or all"))?,
            "created_after" => query.required.push(time_condition(Field::CreatedAt, Op::Gt, "created_after", value)?),
            "created_before" => query.required.push(time_condition(Field::CreatedAt, Op::Lt, "created_before", value)?),
            "sort" => query.sort = Sort::parse(value).ok_or_else(|| bad("sort", format!("must be one of {}", Sort::ALLOWED)))?,
            "limit" if paging => limit = limit_param(value)?,
            "cursor" if paging => cursor_raw = Some(value),
            "include_total" if paging => {
                include_total = parse_flag(value).ok_or_else(|| bad("include_total", "must be true or false"))?
            }
            other => return Err(bad(other, "is not a known parameter")),
        }
    }
    let after = match cursor_raw {
        Some(c) => Some(decode_cursor(c, query.sort).map_err(|m| bad("cursor", m))?),
        None => None,
    };
    Ok(PageRequest { query, limit, after, include_total })
}

fn decode_cursor(raw: &str, sort: Sort) -> Result<After, &'static str> {
    let (key, id) = cursor::decode(raw, &sort.name())?;
    Ok(After { key, id })
}

pub fn next_cursor(sort: Sort, key: &str, id: &str) -> String {
    cursor::encode(&sort.name(), key, id)
}

/// The filter body of `POST /v1/customers/filter`, bulk delete and the export's POST.
/// Problems are field errors (422) naming the offending path, e.g. `conditions[2].op`.
pub fn from_filter_body(body: &Value, paging: bool) -> Result<PageRequest, FilterError> {
    let map = body
        .as_object()
        .ok_or_else(|| FilterError::Fields(vec![FieldError::new("body", "invalid_type", "the filter must be a JSON object")]))?;
    from_filter_map(map, paging, "")
}

pub fn from_filter_map(map: &Map<String, Value>, paging: bool, prefix: &str) -> Result<PageRequest, FilterError> {
    let mut errors = Errors(Vec::new());
    let mut query = CustomerQuery::default();
    let mut limit = DEFAULT_LIMIT;
    let mut cursor_raw = None;
    let mut include_total = false;
    let path = |k: &str| format!("{prefix}{k}");
    for (key, value) in map {
        // Like `q`, always AND-ed, whatever `match` says: scopes, not more conditions.
        if let Some(scope) = scope(key).filter(|s| s.in_body) {
            match value.as_str().ok_or_else(|| "must be a string".to_string()).and_then(scope.parse) {
                Ok(c) => query.required.push(c),
                Err(m) => errors.push(path(key), "invalid", format!("{key} {m}")),
            }
            continue;
        }
        match key.as_str() {
            "match" => match value.as_str() {
                Some("all") => query.matching = Match::All,
                Some("any") => query.matching = Match::Any,
                _ => errors.push(path("match"), "invalid", "match must be all or any"),
            },
            "status" => match value.as_str().and_then(Status::parse) {
                Some(s) => query.status = s,
                None => errors.push(path("status"), "invalid", "status must be active, deleted or all"),
            },
            "sort" => match value.as_str().and_then(Sort::parse) {
                Some(s) => query.sort = s,
                None => errors.push(path("sort"), "invalid", format!("sort must be one of {}", Sort::ALLOWED)),
            },
            "q" => match value {
                Value::String(q) if q.chars().any(char::is_control) => {
                    errors.push(path("q"), "invalid", "q contains control characters")
                }
                Value::String(q) if q.chars().count() <= MAX_SEARCH_LEN => {
                    if !q.trim().is_empty() {
                        query.search = Some(q.trim().to_string())
                    }
                }
                _ => errors.push(path("q"), "invalid", format!("q must be a string of at most {MAX_SEARCH_LEN} characters")),
            },
            "limit" if paging => match value.as_u64().filter(|n| (1..=MAX_LIMIT as u64).contains(n)) {
                Some(n) => limit = n as usize,
                None => errors.push(path("limit"), "invalid", format!("limit must be an integer from 1 to {MAX_LIMIT}")),
            },
            "cursor" if paging => match value {
                Value::String(c) => cursor_raw = Some(c.clone()),
                Value::Null => {}
                _ => errors.push(path("cursor"), "invalid", "cursor must be a string"),
            },
            "include_total" if paging => match value.as_bool() {
                Some(b) => include_total = b,
                None => errors.push(path("include_total"), "invalid", "include_total must be a boolean"),
            },
            "conditions" => match value.as_array() {
                Some(list) if list.len() > MAX_CONDITIONS => {
                    errors.push(path("conditions"), "too_many", format!("at most {MAX_CONDITIONS} conditions"))
                }
                Some(list) => {
                    for (i, item) in list.iter().enumerate() {
                        if let Some(c) = parse_condition(&mut errors, &format!("{prefix}conditions[{i}]"), item) {
                            query.conditions.push(c);
                        }
                    }
                }
                None => errors.push(path("conditions"), "invalid_type", "conditions must be a list"),
            },
            other => errors.push(path(other), "unknown_field", format!("unknown field `{other}`")),
        }
    }
    let mut after = None;
    if let Some(c) = cursor_raw {
        match decode_cursor(&c, query.sort) {
            Ok(a) => after = Some(a),
            Err(m) => errors.push(path("cursor"), "invalid", format!("cursor {m}")),
        }
    }
    if !errors.0.is_empty() {
        return Err(FilterError::Fields(errors.0));
    }
    Ok(PageRequest { query, limit, after, include_total })
}

fn parse_condition(errors: &mut Errors, at: &str, item: &Value) -> Option<Condition> {
    let Some(obj) = item.as_object() else {
        errors.push(at, "invalid_type", "a condition is an object {field, op, value}");
        return None;
    };
    if let Some(k) = obj.keys().find(|k| !["field", "op", "value"].contains(&k.as_str())) {
        errors.push(format!("{at}.{k}"), "unknown_field", format!("unknown field `{k}`"));
        return None;
    }
    let field = match obj.get("field").and_then(Value::as_str).and_then(Field::parse) {
        Some(f) => f,
        None => {
            errors.push(format!("{at}.field"), "invalid", format!("field must be one of {}", Field::ALLOWED));
            return None;
        }
    };
    let op = match obj.get("op").and_then(Value::as_str).and_then(Op::parse) {
        Some(op) => op,
        None => {
            errors.push(format!("{at}.op"), "invalid", format!("op must be one of {}", Op::ALLOWED));
            return None;
        }
    };
    let strings = match obj.get("value") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if strings.iter().any(|s| s.chars().any(char::is_control)) {
        errors.push(format!("{at}.value"), "invalid", "the value contains control characters");
        return None;
    }
    // Emails are stored lower-cased, so compare against the lower-cased value.
    let value = match (&field, obj.get("value")) {
        (Field::Email, Some(Value::String(s))) => Some(Value::String(normalize_email(s))),
        (_, v) => v.cloned(),
    };
    match operand_for(&field, op, value.as_ref()) {
        Ok(operand) => Some(Condition { field, op, operand }),
        Err(m) => {
            errors.push(format!("{at}.value"), "invalid", m);
            None
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn a_scope_reads_the_same_from_the_query_string_and_the_body() {
        for (name, value) in [("kind", "visitor"), ("parent_id", "none"), ("parent_id", "0193AAAA-0000-7000-8000-000000000001")] {
            let from_query = from_query_pairs(&[(name.into(), value.into())], true).unwrap();
            let from_body = from_filter_body(&serde_json::json!({ name: value }), true).unwrap();
            assert_eq!(from_query.query.required, from_body.query.required, "{name}={value}");
        }
        let Err(FilterError::Parameter { message, .. }) = from_query_pairs(&[("kind".into(), "vip".into())], true) else {
            panic!("vip is no kind")
        };
        let Err(FilterError::Fields(fields)) = from_filter_body(&serde_json::json!({"kind": "vip"}), true) else {
            panic!("vip is no kind")
        };
        assert_eq!(message, "must be one of registered, visitor");
        assert_eq!(fields[0].message, format!("kind {message}"));
    }
    use serde_json::json;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn param_of(e: FilterError) -> String {
        match e {
            FilterError::Parameter { name, .. } => name,
            other => panic!("expected invalid_parameter, got {other:?}"),
        }
    }

    #[test]
    fn no_parameters_mean_live_customers_newest_first_25_a_page() {
        let p = from_query_pairs(&[], true).unwrap();
        assert_eq!(p.query, CustomerQuery::default());
        assert_eq!(p.limit, 25);
        assert!(!p.include_total);
    }

    #[test]
    fn integers_in_a_query_are_digits_only() {
        assert_eq!(integer_param("5"), Some(5));
        assert_eq!(integer_param("007"), Some(7));
        for odd in ["", " 5", "5 ", "+5", "-5", "5.0", "1e2", "0x5", "\u{665}", "99999999999999999999999"] {
            assert_eq!(integer_param(odd), None, "{odd:?}");
        }
    }

    #[test]
    fn each_bad_parameter_is_named() {
        for (k, v) in [
            ("limit", "0"),
            ("limit", "101"),
            ("limit", "x"),
            ("limit", " 5"),
            ("limit", "+5"),
            ("limit", "5 "),
            ("limit", "٥"),
            ("sort", "id"),
            ("status", "gone"),
            ("kind", "vip"),
            ("source", "web"),
            ("created_after", "soon"),
            ("cursor", "junk"),
            ("include_total", "yes"),
            ("colour", "red"),
        ] {
            assert_eq!(param_of(from_query_pairs(&pairs(&[(k, v)]), true).unwrap_err()), k);
        }
    }

    #[test]
    fn control_characters_in_a_filter_body_are_field_errors() {
        let fields = |body: Value| match from_filter_body(&body, true).unwrap_err() {
            FilterError::Fields(f) => f.into_iter().map(|e| e.field).collect::<Vec<_>>(),
            other => panic!("expected validation_failed, got {other:?}"),
        };
        assert_eq!(fields(json!({"q": "a\u{0}b"})), vec!["q"]);
        assert_eq!(
            fields(json!({"conditions": [{"field": "name", "op": "contains", "value": "a\u{0}"}]})),
            vec!["conditions[0].value"]
        );
        assert_eq!(
            fields(json!({"conditions": [{"field": "name", "op": "in", "value": ["ok", "\u{7}"]}]})),
            vec!["conditions[0].value"]
        );
    }

    #[test]
    fn an_over_long_search_is_refused() {
        let q = "x".repeat(201);
        assert_eq!(param_of(from_query_pairs(&pairs(&[("q", &q)]), true).unwrap_err()), "q");
    }

    #[test]
    fn email_filter_is_exact_and_case_insensitive() {
        let p = from_query_pairs(&pairs(&[("email", " Ada@Example.com ")]), true).unwrap();
        assert_eq!(p.query.required, vec![eq(Field::Email, "ada@example.com".into())]);
    }

    #[test]
    fn a_cursor_from_one_sort_is_refused_under_another() {
        let c = next_cursor(Sort::parse("name").unwrap(), "ada", "id");
        assert_eq!(param_of(from_query_pairs(&pairs(&[("cursor", &c)]), true).unwrap_err()), "cursor");
        assert!(from_query_pairs(&pairs(&[("cursor", &c), ("sort", "name")]), true).is_ok());
    }

    #[test]
    fn paging_parameters_are_unknown_to_export() {
        assert_eq!(param_of(from_query_pairs(&pairs(&[("limit", "5")]), false).unwrap_err()), "limit");
    }

    #[test]
    fn a_filter_body_builds_conditions() {
        let p = from_filter_body(
            &json!({"match": "any", "conditions": [
            {"field": "attributes.plan", "op": "eq", "value": "pro"},
            {"field": "last_seen_at", "op": "is_null"}
        ], "limit": 10, "status": "all", "sort": "email"}),
            true,
        )
        .unwrap();
        assert_eq!(p.query.matching, Match::Any);
        assert_eq!(p.query.conditions.len(), 2);
        assert_eq!(p.limit, 10);
        assert_eq!(p.query.status, Status::All);
    }

    #[test]
    fn filter_errors_name_the_condition_path() {
        let e = from_filter_body(&json!({"conditions": [{"field": "name", "op": "eq", "value": "a"}, {"field": "password", "op": "eq", "value": "x"}]}), true).unwrap_err();
        match e {
            FilterError::Fields(f) => assert_eq!(f[0].field, "conditions[1].field"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_parent_scope_in_a_filter_body_is_anded_even_under_match_any() {
        let id = "0193aaaa-0000-7000-8000-000000000001";
        let p = from_filter_body(
            &json!({"match": "any", "parent_id": id, "conditions": [{"field": "name", "op": "eq", "value": "a"}, {"field": "company", "op": "eq", "value": "b"}]}),
            true,
        )
        .unwrap();
        assert_eq!(p.query.required, vec![eq(Field::ParentId, id.into())]);
        assert_eq!(p.query.conditions.len(), 2);
        let visitors = from_filter_body(&json!({"kind": "visitor", "match": "any"}), true).unwrap();
        assert_eq!(visitors.query.required, vec![eq(Field::Kind, "visitor".into())]);
        assert!(from_filter_body(&json!({"kind": "vip"}), true).is_err());
        let top = from_filter_body(&json!({"parent_id": "none"}), true).unwrap();
        assert_eq!(top.query.required[0].op, Op::IsNull);
        assert!(from_filter_body(&json!({"parent_id": "x"}), true).is_err());
    }

    #[test]
    fn unknown_filter_keys_and_ops_are_refused() {
        assert!(from_filter_body(&json!({"where": 1}), true).is_err());
        assert!(from_filter_body(&json!({"conditions": [{"field": "name", "op": "like", "value": "%"}]}), true).is_err());
        assert!(from_filter_body(&json!({"conditions": [{"field": "name", "op": "eq", "value": "a", "x": 1}]}), true).is_err());
    }

    #[test]
    fn more_than_twenty_conditions_are_refused() {
        let conds: Vec<Value> = (0..21).map(|i| json!({"field": "name", "op": "eq", "value": i.to_string()})).collect();
        assert!(from_filter_body(&json!({"conditions": conds}), true).is_err());
    }

    #[test]
    fn email_conditions_compare_lower_cased() {
        let p = from_filter_body(&json!({"conditions": [{"field": "email", "op": "eq", "value": "ADA@X.COM"}]}), true).unwrap();
        assert_eq!(p.query.conditions[0].operand, Operand::One(Scalar::Text("ada@x.com".into())));
    }

    pub(crate) mod properties {
        use super::*;
        use proptest::prelude::*;

        pub(crate) fn any_json() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::Bool),
                any::<i64>().prop_map(|n| json!(n)),
                "\\PC{0,20}".prop_map(Value::String),
                prop_oneof![
                    Just("name"),
                    Just("email"),
                    Just("attributes.plan"),
                    Just("created_at"),
                    Just("group_id"),
                    Just("eq"),
                    Just("in"),
                    Just("contains"),
                    Just("is_null"),
                    Just("any"),
                    Just("all")
                ]
                .prop_map(|s| Value::String(s.to_string())),
            ];
            leaf.prop_recursive(4, 64, 8, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                    prop::collection::btree_map(
                        prop_oneof![
                            Just("match"),
                            Just("conditions"),
                            Just("field"),
                            Just("op"),
                            Just("value"),
                            Just("status"),
                            Just("sort"),
                            Just("limit"),
                            Just("cursor"),
                            Just("q")
                        ]
                        .prop_map(str::to_string),
                        inner,
                        0..6,
                    )
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
                ]
            })
        }

        proptest! {
            /// Whatever the body, the parser answers with a query or field errors (the SQL it
            /// builds is checked in `storage::customer_sql`).
            #[test]
            fn any_filter_body_parses_or_is_refused_without_panicking(body in any_json()) {
                if let Err(e) = from_filter_body(&body, true) {
                    let is_field_errors = matches!(e, FilterError::Fields(_));
                    prop_assert!(is_field_errors);
                }
            }

            #[test]
            fn any_query_string_parses_or_names_a_parameter(pairs in prop::collection::vec(("[a-z_]{1,14}", "\\PC{0,30}"), 0..6)) {
                if let Err(e) = from_query_pairs(&pairs, true) {
                    let names_a_parameter = matches!(e, FilterError::Parameter { .. });
                    prop_assert!(names_a_parameter);
                }
            }
        }
    }
}
