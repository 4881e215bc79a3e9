//! The one error type every endpoint returns. It knows its status code, its contract error code
//! and its JSON body; 5xx causes are kept for the log and never shown to the client.
use serde_json::{json, Value};

use crate::domain::hierarchy;
use crate::storage::customer_sql::{BuildError, MAX_BINDS};
use crate::storage::customers::QueryError;
use crate::storage::{DbError, Violation};

pub use crate::domain::validation::FieldError;

/// An error lists at most this many field errors, and says how many more there were: a body of
/// a million unknown keys must not earn an answer of a million errors.
pub const MAX_LISTED_FIELDS: usize = 100;
/// How much of a client-chosen name (a field path, a parameter) an error repeats back.
pub const MAX_ECHO_CHARS: usize = 200;

/// `s` cut to `max` characters, marked with `…` where it was cut.
pub fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_string(),
    }
}

impl FieldError {
    /// The error as an answer shows it: names and messages that echo a client's key are cut,
    /// so an answer is never much larger than the request behind it.
    fn clipped(&self) -> FieldError {
        FieldError {
            field: clip(&self.field, MAX_ECHO_CHARS),
            code: self.code.clone(),
            message: clip(&self.message, 2 * MAX_ECHO_CHARS + 100),
        }
    }
}

/// Every `error.code` an answer can carry: the fixed codes of the variants below and the codes
/// handlers give `Conflict` and `Unprocessable`. The OpenAPI document's `ErrorCode` enum is this
/// list (checked in `api::openapi`), so a generated client can branch on it: a code added to the
/// code and not here fails `make unit`.
pub const CODES: &[&str] = &[
    "not_found",
    "method_not_allowed",
    "invalid_json",
    "invalid_parameter",
    "invalid_header",
    "invalid_csv",
    "invalid_encoding",
    "unauthorized",
    "forbidden",
    "not_an_admin",
    "last_owner",
    "admin_exists",
    "customer_exists",
    "customer_deleted",
    "customer_protected",
    "customer_merged",
    "handle_taken",
    "has_children",
    "parent_deleted",
    "subtree_too_large",
    "contact_exists",
    "contact_already_active",
    "contact_disabled",
    "group_exists",
    crate::domain::group::BUILTIN_CODE,
    "conflict",
    "version_mismatch",
    "payload_too_large",
    "too_many_rows",
    "unsupported_media_type",
    "validation_failed",
    hierarchy::CODE,
    "idempotency_key_reused",
    "idempotency_key_in_use",
    "rate_limited",
    "link_expired",
    "not_configured",
    "service_unavailable",
    "internal_error",
    "webhook_limit",
    "webhook_disabled",
    "own_contact",
];

#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    NotFound(&'static str),
    MethodNotAllowed {
        allow: Vec<&'static str>,
    },
    InvalidJson(String),
    UnsupportedMediaType(&'static str),
    PayloadTooLarge {
        limit_bytes: usize,
    },
    Validation(Vec<FieldError>),
    InvalidParameter {
        name: String,
        message: String,
    },
    /// A request header the route reads is malformed (e.g. `If-Match`).
    InvalidHeader {
        name: &'static str,
        message: String,
    },
    Unauthorized,
    Forbidden {
        permission: &'static str,
    },
    /// A verified Access identity that is not an enabled admin.
    NotAnAdmin,
    /// A portal action the caller's role in that organisation does not allow.
    RoleRequired {
        role: &'static str,
        have: &'static str,
    },
    /// A state-changing portal request from another origin than the worker's own (CSRF).
    CrossOrigin,
    CustomerExists {
        existing_id: String,
    },
    CustomerDeleted,
    VersionMismatch {
        current: i64,
    },
    IdempotencyKeyReused,
    IdempotencyInProgress,
    RateLimited {
        retry_after_secs: u32,
    },
    InvalidCsv(String),
    InvalidEncoding(String),
    TooManyRows {
        limit: usize,
    },
    /// The own company: it cannot be deleted, merged away or redacted.
    Protected,
    /// Invalid input whose rule has a code of its own (e.g. `invalid_parent`), with its fields.
    Unprocessable {
        code: &'static str,
        fields: Vec<FieldError>,
    },
    /// A client error with a code of its own (e.g. a conflict on a contact's email).
    Conflict {
        code: &'static str,
        message: String,
    },
    /// A single-use link that was used, revoked or has expired.
    LinkExpired,
    /// A feature that needs a setting the deployment lacks (the variable's name).
    NotConfigured(&'static str),
    /// A D1 hiccup the client may retry.
    Unavailable(String),
    /// Anything else: the cause is logged, never shown.
    Internal(String),
}

impl ApiError {
    pub fn invalid_parameter(name: &str, message: impl Into<String>) -> Self {
        ApiError::InvalidParameter { name: name.to_string(), message: message.into() }
    }

    pub fn field(field: &str, code: &str, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError::new(field, code, message)])
    }

    pub fn status(&self) -> u16 {
        use ApiError::*;
        match self {
            NotFound(_) => 404,
            MethodNotAllowed { .. } => 405,
            InvalidJson(_) | InvalidParameter { .. } | InvalidHeader { .. } | InvalidCsv(_) | InvalidEncoding(_) => 400,
            UnsupportedMediaType(_) => 415,
            PayloadTooLarge { .. } | TooManyRows { .. } => 413,
            Validation(_) | IdempotencyKeyReused | Unprocessable { .. } => 422,
            Unauthorized => 401,
            Forbidden { .. } | NotAnAdmin | RoleRequired { .. } | CrossOrigin => 403,
            CustomerExists { .. } | CustomerDeleted | IdempotencyInProgress | Conflict { .. } | Protected => 409,
            VersionMismatch { .. } => 412,
            RateLimited { .. } => 429,
            LinkExpired => 410,
            Unavailable(_) | NotConfigured(_) => 503,
            Internal(_) => 500,
        }
    }

    pub fn code(&self) -> &'static str {
        use ApiError::*;
        match self {
            NotFound(_) => "not_found",
            MethodNotAllowed { .. } => "method_not_allowed",
            InvalidJson(_) => "invalid_json",
            UnsupportedMediaType(_) => "unsupported_media_type",
            PayloadTooLarge { .. } => "payload_too_large",
            Validation(_) => "validation_failed",
            InvalidParameter { .. } => "invalid_parameter",
            InvalidHeader { .. } => "invalid_header",
            Unauthorized => "unauthorized",
            Forbidden { .. } | RoleRequired { .. } | CrossOrigin => "forbidden",
            NotAnAdmin => "not_an_admin",
            CustomerExists { .. } => "customer_exists",
            CustomerDeleted => "customer_deleted",
            VersionMismatch { .. } => "version_mismatch",
            IdempotencyKeyReused => "idempotency_key_reused",
            IdempotencyInProgress => "idempotency_key_in_use",
            RateLimited { .. } => "rate_limited",
            InvalidCsv(_) => "invalid_csv",
            InvalidEncoding(_) => "invalid_encoding",
            TooManyRows { .. } => "too_many_rows",
            Conflict { code, .. } | Unprocessable { code, .. } => code,
            Protected => "customer_protected",
            LinkExpired => "link_expired",
            NotConfigured(_) => "not_configured",
            Unavailable(_) => "service_unavailable",
            Internal(_) => "internal_error",
        }
    }

    pub fn message(&self) -> String {
        use ApiError::*;
        match self {
            NotFound(what) => format!("{what} not found"),
            MethodNotAllowed { allow } => format!("method not allowed; allowed: {}", allow.join(", ")),
            InvalidJson(detail) => format!("request body is not valid JSON: {detail}"),
            UnsupportedMediaType(expected) => format!("content type must be {expected}"),
            PayloadTooLarge { limit_bytes } => format!("request body is larger than {limit_bytes} bytes"),
            Validation(fields) if fields.len() == 1 => {
                let f = fields[0].clipped();
                format!("{}: {}", f.field, f.message)
            }
            Validation(fields) if fields.len() > MAX_LISTED_FIELDS => format!(
                "{} fields are invalid; the first {MAX_LISTED_FIELDS} are listed, {} more are not",
                fields.len(),
                fields.len() - MAX_LISTED_FIELDS
            ),
            Validation(fields) => format!("{} fields are invalid", fields.len()),
            InvalidParameter { name, message } => format!("query parameter `{}`: {message}", clip(name, MAX_ECHO_CHARS)),
            InvalidHeader { name, message } => format!("header `{name}`: {message}"),
            Unauthorized => "missing or invalid credentials".into(),
            Forbidden { permission } => format!("this credential lacks the `{permission}` permission"),
            RoleRequired { role, have } => {
                format!("this needs the `{role}` role in this organisation; yours is `{have}`")
            }
            CrossOrigin => "a change to the portal must come from the portal's own pages (Origin)".into(),
            NotAnAdmin => "you are signed in, but not as an admin of this service; ask an owner to add you".into(),
            CustomerExists { .. } => "a customer with this email already exists".into(),
            CustomerDeleted => "the customer is deleted; restore it first".into(),
            VersionMismatch { current } => format!("the customer has changed; its version is now {current}"),
            IdempotencyKeyReused => "this Idempotency-Key was used with another request body".into(),
            IdempotencyInProgress => "a request with this Idempotency-Key is still in progress".into(),
            RateLimited { retry_after_secs } => format!("too many requests; retry in {retry_after_secs} s"),
            InvalidCsv(m) | InvalidEncoding(m) => m.clone(),
            TooManyRows { limit } => format!("the file has more than {limit} rows"),
            Conflict { message, .. } => message.clone(),
            Protected => "this is the own company: it cannot be deleted, merged away or redacted".into(),
            Unprocessable { fields, .. } => fields.first().map(|f| f.message.clone()).unwrap_or_default(),
            LinkExpired => "this link was used already, replaced by a newer one or has expired; ask for a new one".into(),
            NotConfigured(var) => format!("this needs a valid `{var}` setting, which this deployment lacks; ask its operator"),
            Unavailable(_) => "the database is busy; retry shortly".into(),
            Internal(_) => "internal error".into(),
        }
    }

    /// Extra response headers the contract requires for some errors.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        match self {
            ApiError::MethodNotAllowed { allow } => vec![("Allow", allow.join(", "))],
            ApiError::Unauthorized => vec![("WWW-Authenticate", "Bearer".into())],
            ApiError::RateLimited { retry_after_secs } => vec![("Retry-After", retry_after_secs.to_string())],
            ApiError::Unavailable(_) => vec![("Retry-After", "1".into())],
            _ => vec![],
        }
    }

    /// The cause worth logging: only server-side failures have one.
    pub fn log_cause(&self) -> Option<&str> {
        match self {
            ApiError::Internal(cause) | ApiError::Unavailable(cause) => Some(cause),
            ApiError::NotConfigured(var) => Some(var),
            _ => None,
        }
    }

    pub fn body(&self, request_id: &str) -> Value {
        let mut error = json!({
            "code": self.code(),
            "message": self.message(),
            "request_id": request_id,
        });
        match self {
            ApiError::Validation(fields) | ApiError::Unprocessable { fields, .. } => {
                error["fields"] = json!(fields.iter().take(MAX_LISTED_FIELDS).map(FieldError::clipped).collect::<Vec<_>>())
            }
            ApiError::CustomerExists { existing_id } => error["existing_id"] = json!(existing_id),
            ApiError::InvalidParameter { name, .. } => error["parameter"] = json!(clip(name, MAX_ECHO_CHARS)),
            ApiError::InvalidHeader { name, .. } => error["header"] = json!(name),
            ApiError::VersionMismatch { current } => error["current_version"] = json!(current),
            _ => {}
        }
        json!({ "error": error })
    }
}

/// A database failure as the client sees it: the schema's named rules become client errors,
/// anything unforeseen a 500 whose cause is logged. `customer_exists` carries no `existing_id`
/// here; handlers that can name the live customer add it (`api::customers::exists_or`).
impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        let conflict = |code, message: &str| ApiError::Conflict { code, message: message.into() };
        match e.violation() {
            Some(Violation::CustomerEmail) => conflict("customer_exists", "a customer with this email already exists"),
            Some(Violation::ContactEmail) => conflict("contact_exists", "this customer already has a contact with this email"),
            Some(Violation::GroupName) => conflict("group_exists", "a group with this name already exists"),
            Some(Violation::AdminEmail) => conflict("admin_exists", "an admin with this email exists already"),
            Some(Violation::Handle) => conflict("handle_taken", "another live customer has this handle"),
            Some(Violation::Protected) => ApiError::Protected,
            Some(Violation::Parent) => ApiError::Unprocessable {
                code: hierarchy::CODE,
                fields: vec![FieldError::new(
                    "parent_id",
                    hierarchy::CODE,
                    e.reason(hierarchy::CODE).unwrap_or("the parent must be a live customer"),
                )],
            },
            Some(Violation::MergeRaced) => conflict(
                "conflict",
                "another merge or delete changed these customers while this merge ran; nothing was merged: reload them and retry",
            ),
            Some(Violation::AttributeLimit) => {
                ApiError::field("attributes", "too_many", "a customer has at most 50 attributes; this change would make more")
            }
            // A race the handler did not foresee: another request changed the same records.
            Some(Violation::Raced) => conflict("conflict", "the records changed while this request ran; retry it"),
            Some(Violation::Check) => ApiError::field("body", "constraint", "the change breaks a rule of the stored data"),
            Some(Violation::TooComplex) => {
                ApiError::field("conditions", "too_complex", "the filter is too large; use fewer conditions or values")
            }
            Some(Violation::Busy) => ApiError::Unavailable(e.0),
            Some(Violation::Bookmark) => {
                ApiError::InvalidHeader { name: "X-D1-Bookmark", message: "the database does not know this bookmark".into() }
            }
            None => ApiError::Internal(e.0),
        }
    }
}

impl From<BuildError> for ApiError {
    fn from(e: BuildError) -> Self {
        let BuildError::TooManyParameters { count } = e;
        ApiError::field(
            "conditions",
            "too_many_values",
            format!("the filter needs {count} values; at most {MAX_BINDS} fit in one query"),
        )
    }
}

impl From<QueryError> for ApiError {
    fn from(e: QueryError) -> Self {
        match e {
            QueryError::TooComplex(e) => e.into(),
            QueryError::Db(e) => e.into(),
        }
    }
}

impl From<worker::Error> for ApiError {
    fn from(e: worker::Error) -> Self {
        DbError::from(e).into()
    }
}

impl From<crate::domain::filter::FilterError> for ApiError {
    fn from(e: crate::domain::filter::FilterError) -> Self {
        use crate::domain::filter::FilterError;
        match e {
            FilterError::Parameter { name, message } => ApiError::InvalidParameter { name, message },
            FilterError::Fields(fields) => ApiError::Validation(fields),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    fn db(message: &str) -> ApiError {
        DbError(message.into()).into()
    }

    #[test]
    fn every_error_body_has_code_message_and_request_id() {
        let body = ApiError::NotFound("route").body("req-1");
        assert_eq!(body["error"]["code"], "not_found");
        assert_eq!(body["error"]["request_id"], "req-1");
        assert!(body["error"]["message"].as_str().unwrap().contains("route"));
    }

    #[test]
    fn validation_errors_list_their_fields() {
        let body = ApiError::field("email", "invalid", "not an email").body("r");
        assert_eq!(body["error"]["fields"][0]["field"], "email");
        assert_eq!(body["error"]["fields"][0]["code"], "invalid");
    }

    #[test]
    fn customer_exists_carries_the_existing_id() {
        let e = ApiError::CustomerExists { existing_id: "abc".into() };
        assert_eq!(e.status(), 409);
        assert_eq!(e.body("r")["error"]["existing_id"], "abc");
    }

    #[test]
    fn internal_errors_never_show_their_cause() {
        let e = ApiError::Internal("SELECT secret FROM x: syntax error".into());
        let text = e.body("r").to_string();
        assert!(!text.contains("SELECT"));
        assert_eq!(e.status(), 500);
        assert_eq!(e.log_cause(), Some("SELECT secret FROM x: syntax error"));
    }

    #[test]
    fn at_most_one_hundred_field_errors_are_listed_and_the_rest_counted() {
        let e = ApiError::Validation((0..250).map(|i| FieldError::new(format!("k{i}"), "unknown_field", "unknown")).collect());
        let body = e.body("r");
        assert_eq!(body["error"]["fields"].as_array().unwrap().len(), MAX_LISTED_FIELDS);
        assert!(body["error"]["message"].as_str().unwrap().contains("150 more"));
    }

    #[test]
    fn long_client_chosen_names_are_cut_in_the_answer() {
        let key = "k".repeat(100_000);
        let e = ApiError::field(&key, "unknown_field", format!("unknown field `{key}`"));
        assert!(e.body("r").to_string().len() < 2_000);
        let p = ApiError::invalid_parameter(&key, "is not a known parameter");
        assert!(p.body("r").to_string().len() < 2_000);
    }

    #[test]
    fn a_bad_header_is_called_a_header() {
        let e = ApiError::InvalidHeader { name: "If-Match", message: "must be an ETag".into() };
        assert_eq!((e.status(), e.code()), (400, "invalid_header"));
        assert!(e.message().starts_with("header `If-Match`"));
    }

    #[test]
    fn unauthorized_asks_for_a_bearer_token() {
        assert_eq!(ApiError::Unauthorized.headers(), vec![("WWW-Authenticate", "Bearer".to_string())]);
    }

    #[test]
    fn method_not_allowed_lists_allowed_methods() {
        let e = ApiError::MethodNotAllowed { allow: vec!["GET", "POST"] };
        assert_eq!(e.headers(), vec![("Allow", "GET, POST".to_string())]);
    }

    #[test]
    fn forbidden_names_the_permission() {
        assert!(ApiError::Forbidden { permission: "customers:create" }.message().contains("customers:create"));
    }

    #[test]
    fn too_many_variables_is_a_client_error() {
        let e = db("D1_ERROR: too many SQL variables at offset 10: SQLITE_ERROR");
        assert_eq!(e.status(), 422);
        assert!(!e.body("r").to_string().contains("SQLITE"));
    }

    #[test]
    fn unforeseen_constraint_failures_are_client_errors_without_sql() {
        let unique = db("D1_ERROR: UNIQUE constraint failed: groups.name: SQLITE_CONSTRAINT");
        assert_eq!((unique.status(), unique.code()), (409, "conflict"));
        let fk = db("D1_ERROR: FOREIGN KEY constraint failed: SQLITE_CONSTRAINT");
        assert_eq!(fk.status(), 409);
        let check = db("D1_ERROR: CHECK constraint failed: kind IN ('registered'): SQLITE_CONSTRAINT");
        assert_eq!(check.status(), 422);
        for e in [unique, fk, check] {
            assert!(!e.body("r").to_string().contains("SQLITE"));
        }
    }

    #[test]
    fn the_attribute_limit_trigger_is_a_field_error() {
        let e = db("D1_ERROR: customer_attributes_limit: at most 50 attributes: SQLITE_CONSTRAINT");
        assert_eq!((e.status(), e.code()), (422, "validation_failed"));
        assert!(!e.body("r").to_string().contains("SQLITE"));
    }

    #[test]
    fn overload_is_retryable() {
        let e = db("D1 DB is overloaded. Requests queued for too long.");
        assert_eq!(e.status(), 503);
        assert_eq!(e.headers()[0].0, "Retry-After");
    }

    #[test]
    fn named_constraints_become_their_own_conflicts() {
        assert_eq!(db("D1_ERROR: UNIQUE constraint failed: index 'groups_name': SQLITE_CONSTRAINT").code(), "group_exists");
        assert_eq!(
            db("D1_ERROR: UNIQUE constraint failed: contacts.customer_id, contacts.email_normalized").code(),
            "contact_exists"
        );
        assert_eq!(db("D1_ERROR: UNIQUE constraint failed: customers.email_normalized").code(), "customer_exists");
    }

    #[test]
    fn a_sub_customer_added_during_a_delete_is_a_conflict_to_retry() {
        let raced =
            db("D1_ERROR: subtree_changed: a sub-customer was added while its parent was being deleted: SQLITE_CONSTRAINT");
        assert_eq!((raced.status(), raced.code()), (409, "conflict"));
    }

    #[test]
    fn a_tree_trigger_names_its_reason_on_the_parent() {
        let e = db("D1_ERROR: invalid_parent: customers nest at most 5 levels deep; deeper: SQLITE_CONSTRAINT");
        assert_eq!((e.status(), e.code()), (422, "invalid_parent"));
        let ApiError::Unprocessable { fields, .. } = e else { panic!("not a field error") };
        assert_eq!(fields[0].field, "parent_id");
        assert_eq!(fields[0].message, "customers nest at most 5 levels deep; deeper");
    }

    #[test]
    fn a_merge_that_lost_a_race_is_a_conflict_to_retry() {
        let raced = db("D1_ERROR: merge_raced: the target or a source was merged or deleted meanwhile: SQLITE_CONSTRAINT");
        assert_eq!((raced.status(), raced.code()), (409, "conflict"));
        assert!(raced.message().contains("nothing was merged"));
    }

    #[test]
    fn a_spent_link_is_gone() {
        assert_eq!((ApiError::LinkExpired.status(), ApiError::LinkExpired.code()), (410, "link_expired"));
    }

    #[test]
    fn a_missing_setting_is_named_and_not_worth_retrying() {
        let e = ApiError::NotConfigured("ACTIVATION_URL_BASE");
        assert_eq!((e.status(), e.code()), (503, "not_configured"));
        assert!(e.message().contains("ACTIVATION_URL_BASE"));
        assert!(e.headers().is_empty(), "no Retry-After: waiting does not configure it");
    }

    #[test]
    fn every_fixed_code_is_in_the_list_of_codes() {
        let variants = [
            ApiError::NotFound("x"),
            ApiError::MethodNotAllowed { allow: vec![] },
            ApiError::InvalidJson(String::new()),
            ApiError::UnsupportedMediaType("x"),
            ApiError::PayloadTooLarge { limit_bytes: 1 },
            ApiError::Validation(vec![]),
            ApiError::invalid_parameter("x", "y"),
            ApiError::InvalidHeader { name: "x", message: String::new() },
            ApiError::Unauthorized,
            ApiError::Forbidden { permission: "x" },
            ApiError::NotAnAdmin,
            ApiError::RoleRequired { role: "manager", have: "member" },
            ApiError::CrossOrigin,
            ApiError::CustomerExists { existing_id: String::new() },
            ApiError::CustomerDeleted,
            ApiError::VersionMismatch { current: 1 },
            ApiError::IdempotencyKeyReused,
            ApiError::IdempotencyInProgress,
            ApiError::RateLimited { retry_after_secs: 1 },
            ApiError::InvalidCsv(String::new()),
            ApiError::InvalidEncoding(String::new()),
            ApiError::TooManyRows { limit: 1 },
            ApiError::Protected,
            ApiError::LinkExpired,
            ApiError::NotConfigured("x"),
            ApiError::Unavailable(String::new()),
            ApiError::Internal(String::new()),
        ];
        for e in variants {
            assert!(CODES.contains(&e.code()), "{} is missing from CODES", e.code());
        }
        let mut seen = std::collections::BTreeSet::new();
        assert!(CODES.iter().all(|c| seen.insert(*c)), "CODES lists a code twice");
    }

    #[test]
    fn database_rules_answer_listed_codes() {
        let messages = [
            "D1_ERROR: UNIQUE constraint failed: customers.email_normalized",
            "D1_ERROR: UNIQUE constraint failed: contacts.customer_id, contacts.email_normalized",
            "D1_ERROR: UNIQUE constraint failed: index 'groups_name': SQLITE_CONSTRAINT",
            "D1_ERROR: UNIQUE constraint failed: admins.email_normalized",
            "D1_ERROR: UNIQUE constraint failed: customers.handle",
            "D1_ERROR: FOREIGN KEY constraint failed: SQLITE_CONSTRAINT",
        ];
        for m in messages {
            let code = db(m).code();
            assert!(CODES.contains(&code), "{code} is missing from CODES");
        }
    }

    #[test]
    fn unclassified_database_failures_are_internal() {
        assert_eq!(db("D1_ERROR: no such column: x").status(), 500);
    }
}
