//! `GET /openapi.json`: the OpenAPI 3.1 document kept in `src/openapi.json` is not in the
//! worker. `console/build.mjs` (run by `scripts/build.sh`) copies it into `console/dist/`, served
//! as Workers Static Assets (`[assets]` in `wrangler.toml`) with its content type and cache
//! lifetime from `console/_headers`: 125 KB the wasm no longer carries. Static assets answer
//! before the worker runs, so this route is reached only by a deployment whose assets are
//! missing, or by a method other than GET and HEAD (which keeps its 405 this way).
use worker::Response;

use crate::http::error::{ApiError, ApiResult};
use crate::http::Ctx;

/// The document, for the unit tests that hold it against the code.
#[cfg(test)]
pub const DOCUMENT: &str = include_str!("../openapi.json");

pub async fn document(_cx: &mut Ctx) -> ApiResult<Response> {
    Err(ApiError::NotFound("the OpenAPI document's static asset (console/dist, see wrangler.toml [assets])"))
}

#[cfg(test)]
mod tests {
    //! The document's limits and enumerations are the code's: a constant changed in one place
    //! and not the other fails here.
    use serde_json::{json, Value};

    use super::DOCUMENT;
    use crate::domain::customer::{self, Kind, Source};
    use crate::domain::import::{Mode, RowStatus};
    use crate::domain::permission::Permission;
    use crate::domain::{activation, api_key, bulk, contact, customer_query as query, email, fields, filter, group, interaction};
    use crate::http::error::{CODES, MAX_LISTED_FIELDS};

    fn doc() -> Value {
        serde_json::from_str(DOCUMENT).unwrap()
    }

    fn at(doc: &Value, pointer: &str) -> Value {
        doc.pointer(pointer).cloned().unwrap_or_else(|| panic!("openapi.json has nothing at {pointer}"))
    }

    fn words(list: &str) -> Value {
        json!(list.split(", ").collect::<Vec<_>>())
    }

    #[test]
    fn audit_actions_are_the_code_s() {
        assert_eq!(at(&doc(), "/components/schemas/AuditAction/enum"), json!(crate::domain::audit::ACTIONS));
    }

    #[test]
    fn text_limits_match_the_domain_rules() {
        let d = doc();
        for schema in ["CustomerCreate", "CustomerPatch", "Customer"] {
            let p = format!("/components/schemas/{schema}/properties");
            assert_eq!(at(&d, &format!("{p}/name/maxLength")), json!(customer::MAX_NAME_LEN), "{schema}.name");
            assert_eq!(at(&d, &format!("{p}/email/maxLength")), json!(email::MAX_EMAIL_LEN), "{schema}.email");
            assert_eq!(at(&d, &format!("{p}/phone/maxLength")), json!(fields::MAX_PHONE_LEN), "{schema}.phone");
            assert_eq!(at(&d, &format!("{p}/company/maxLength")), json!(customer::MAX_COMPANY_LEN), "{schema}.company");
            assert_eq!(at(&d, &format!("{p}/notes/maxLength")), json!(customer::MAX_NOTES_LEN), "{schema}.notes");
        }
        for schema in ["GroupCreate", "GroupPatch"] {
            let p = format!("/components/schemas/{schema}/properties");
            assert_eq!(at(&d, &format!("{p}/name/maxLength")), json!(group::MAX_NAME_LEN), "{schema}.name");
            assert_eq!(at(&d, &format!("{p}/description/maxLength")), json!(group::MAX_DESCRIPTION_LEN), "{schema}.description");
        }
        for schema in ["ContactCreate", "ContactPatch"] {
            let p = format!("/components/schemas/{schema}/properties");
            assert_eq!(at(&d, &format!("{p}/first_name/maxLength")), json!(contact::MAX_NAME_LEN), "{schema}.first_name");
            assert_eq!(at(&d, &format!("{p}/last_name/maxLength")), json!(contact::MAX_NAME_LEN), "{schema}.last_name");
            assert_eq!(at(&d, &format!("{p}/email/maxLength")), json!(email::MAX_EMAIL_LEN), "{schema}.email");
        }
        assert_eq!(at(&d, "/components/schemas/ApiKeyCreate/properties/name/maxLength"), json!(api_key::MAX_NAME_LEN));
        let token = "/components/schemas/ContactActivation/properties/token";
        assert_eq!(at(&d, &format!("{token}/minLength")), json!(activation::TOKEN_LEN));
        assert_eq!(at(&d, &format!("{token}/maxLength")), json!(activation::TOKEN_LEN));
        let public = "/components/schemas/PublicInteraction/properties";
        assert_eq!(at(&d, &format!("{public}/resource_id/maxLength")), json!(interaction::MAX_RESOURCE_ID_LEN));
        assert_eq!(at(&d, &format!("{public}/name/maxLength")), json!(customer::MAX_NAME_LEN));
    }

    #[test]
    fn attribute_limits_match_the_domain_rules() {
        let d = doc();
        assert_eq!(at(&d, "/components/schemas/Attributes/maxProperties"), json!(customer::MAX_ATTRIBUTES));
        assert_eq!(at(&d, "/components/schemas/Attributes/propertyNames/maxLength"), json!(customer::MAX_ATTRIBUTE_KEY_LEN));
        assert_eq!(
            at(&d, "/components/schemas/Attributes/additionalProperties/maxLength"),
            json!(customer::MAX_ATTRIBUTE_VALUE_LEN)
        );
    }

    #[test]
    fn list_sizes_match_the_code() {
        let d = doc();
        assert_eq!(at(&d, "/components/parameters/Limit/schema/maximum"), json!(filter::MAX_LIMIT));
        assert_eq!(at(&d, "/components/parameters/Limit/schema/default"), json!(filter::DEFAULT_LIMIT));
        assert_eq!(at(&d, "/components/parameters/Q/schema/maxLength"), json!(filter::MAX_SEARCH_LEN));
        assert_eq!(at(&d, "/components/schemas/BulkDeleteBody/properties/ids/maxItems"), json!(bulk::MAX_IDS));
        assert_eq!(at(&d, "/components/schemas/GroupMembers/properties/customer_ids/maxItems"), json!(group::MAX_MEMBER_IDS));
        assert_eq!(
            at(&d, "/components/schemas/CustomerCreate/properties/group_ids/maxItems"),
            json!(group::MAX_GROUPS_PER_CUSTOMER)
        );
        assert_eq!(at(&d, "/components/parameters/GroupListLimit/schema/default"), json!(group::DEFAULT_LIST_LIMIT));
        assert_eq!(at(&d, "/components/parameters/GroupListLimit/schema/maximum"), json!(filter::MAX_LIMIT));
        assert_eq!(at(&d, "/components/schemas/FilterCriteria/properties/conditions/maxItems"), json!(filter::MAX_CONDITIONS));
        assert_eq!(at(&d, "/components/schemas/ErrorDetail/properties/fields/maxItems"), json!(MAX_LISTED_FIELDS));
    }

    #[test]
    fn enumerations_match_the_code() {
        let d = doc();
        assert_eq!(at(&d, "/components/schemas/CustomerKind/enum"), json!(Kind::ALL));
        assert_eq!(at(&d, "/components/schemas/CustomerSource/enum"), json!(Source::ALL));
        assert_eq!(at(&d, "/components/schemas/InteractionType/enum"), json!(interaction::InteractionType::ALL));
        assert_eq!(at(&d, "/components/schemas/Permission/enum"), json!(Permission::ALL.map(|p| p.as_str())));
        assert_eq!(at(&d, "/components/schemas/ContactStatus/enum"), json!(contact::ContactStatus::ALL));
        assert_eq!(at(&d, "/components/schemas/EventType/enum"), json!(crate::domain::event::TYPES));
        let subscribable = at(&d, "/components/schemas/WebhookEventType/enum");
        assert_eq!(subscribable[0], json!(crate::domain::webhook::ALL_TYPES));
        assert_eq!(subscribable.as_array().unwrap()[1..], json!(crate::domain::event::TYPES).as_array().unwrap()[..]);
        assert_eq!(at(&d, "/components/schemas/ListSort/enum"), words(query::Sort::ALLOWED));
        assert_eq!(at(&d, "/components/schemas/FilterOperator/enum"), words(query::Op::ALLOWED));
        assert_eq!(at(&d, "/components/schemas/ErrorCode/enum"), json!(CODES));
        let statuses = [RowStatus::Created, RowStatus::Updated, RowStatus::Skipped, RowStatus::Failed, RowStatus::Valid];
        assert_eq!(at(&d, "/components/schemas/ImportRowStatus/enum"), json!(statuses));
        for mode in at(&d, "/components/schemas/ImportMode/enum").as_array().unwrap() {
            assert!(Mode::parse(mode.as_str().unwrap()).is_some(), "{mode} is no import mode");
        }
    }

    /// The code lines (comments cut) of every Rust file under `src/<dirs>`.
    fn source_lines(dirs: &[&str]) -> Vec<(String, String)> {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut lines = vec![];
        for dir in dirs {
            for entry in std::fs::read_dir(src.join(dir)).unwrap() {
                let path = entry.unwrap().path();
                // These tests themselves name the markers they look for.
                if path.ends_with("api/openapi.rs") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                let name = format!("{dir}/{}", path.file_name().unwrap().to_string_lossy());
                for (i, line) in text.lines().enumerate() {
                    let code = line.split("//").next().unwrap_or("").to_string();
                    lines.push((format!("{name}:{}", i + 1), code));
                }
            }
        }
        lines
    }

    /// The string literals (quoted with `quote`) that follow each `marker` on `line`.
    fn literals_after(line: &str, marker: &str, quote: char) -> Vec<String> {
        line.match_indices(marker)
            .filter_map(|(at, _)| {
                let rest = line[at + marker.len()..].strip_prefix(quote)?;
                rest.find(quote).map(|end| rest[..end].to_string())
            })
            .collect()
    }

    #[test]
    fn every_error_code_the_handlers_give_is_in_the_document() {
        let mut missing = vec![];
        for (at, line) in source_lines(&["api", "http", "storage"]) {
            for marker in ["code: ", "conflict("] {
                for code in literals_after(&line, marker, '"') {
                    if !CODES.contains(&code.as_str()) {
                        missing.push(format!("{at}: {code}"));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "error codes missing from http::error::CODES (and ErrorCode): {missing:?}");
    }

    #[test]
    fn the_audit_actions_are_the_ones_the_code_writes() {
        let d = doc();
        let types = at(&d, "/components/schemas/AuditTargetType/enum");
        let types: Vec<&str> = types.as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
        let mut written = std::collections::BTreeSet::new();
        for (_, line) in source_lines(&["api", "storage"]) {
            for quote in ['"', '\''] {
                for (i, _) in line.match_indices(quote) {
                    let rest = &line[i + 1..];
                    let Some(end) = rest.find(quote) else { continue };
                    let literal = &rest[..end];
                    let action = literal.split_once('.').filter(|(kind, verb)| {
                        types.contains(kind) && !verb.is_empty() && verb.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                    });
                    if action.is_some() {
                        written.insert(literal.to_string());
                    }
                }
            }
        }
        let documented: std::collections::BTreeSet<String> = at(&d, "/components/schemas/AuditAction/enum")
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_string())
            .collect();
        assert_eq!(written, documented, "AuditAction in openapi.json and the actions the code writes");
    }

    /// The route table states what each route needs; the document says the same, operation by
    /// operation, and documents every route but the test-only ones.
    #[test]
    fn every_operation_names_the_permissions_its_route_needs() {
        use crate::http::routing::Access;
        let d = doc();
        for route in crate::ROUTES.iter().filter(|r| !r.pattern.starts_with("/__test/")) {
            let method = route.method.as_str().to_ascii_lowercase();
            let op = d
                .pointer(&format!("/paths/{}/{method}", route.pattern.replace('~', "~0").replace('/', "~1")))
                .unwrap_or_else(|| panic!("openapi.json has no {method} {}", route.pattern));
            let (all, when) = match route.access {
                Access::Requires { all, when } => (Some(all), when),
                Access::Public | Access::Authenticated | Access::Portal => (None, &[][..]),
            };
            let expected_all = all.map(|ps| json!(ps.iter().map(|p| p.as_str()).collect::<Vec<_>>()));
            assert_eq!(op.get("x-required-permissions").cloned(), expected_all, "{method} {}", route.pattern);
            let expected_when = (!when.is_empty())
                .then(|| Value::Object(when.iter().map(|(c, p)| (c.as_str().to_string(), json!(p.as_str()))).collect()));
            assert_eq!(op.get("x-conditional-permissions").cloned(), expected_when, "{method} {}", route.pattern);
        }
    }
}
