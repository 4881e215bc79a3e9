//! The storage layer: every SQL string of the service lives below this module, next to its binds.
pub mod activation;
pub mod admins;
pub mod api_keys;
pub mod audit;
pub mod bucket_sql;
pub mod contacts;
pub mod customer_sql;
pub mod customers;
pub mod d1;
pub mod events;
pub mod groups;
pub mod idempotency;
pub mod import;
pub mod interactions;
pub mod merge;
pub mod portal;
pub mod stats;
pub mod tree;
pub mod webhooks;

use worker::wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement};

pub use crate::domain::customer_query::Scalar;
pub use d1::{batch, StatementResult};

/// A D1 failure, kept as text because that is all D1 reports.
#[derive(Debug)]
pub struct DbError(pub String);

/// A rule of the schema that a write broke, recognised by the name D1's message gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Violation {
    /// `customers_email_live`: a live customer has this email already.
    CustomerEmail,
    /// `contacts_email_per_customer`: the customer has a contact with this email already.
    ContactEmail,
    /// `groups_name`: a group has this name already (in any case).
    GroupName,
    /// `admins.email_normalized`: an admin signs in with this email already.
    AdminEmail,
    /// Migration 0007's triggers: more than 50 attributes.
    AttributeLimit,
    /// `customers_handle_live`: a live customer has this handle already.
    Handle,
    /// Migration 0010's triggers: the own company cannot be deleted or redacted.
    Protected,
    /// Migrations 0010's and 0018's triggers: a parent must be a live customer, the tree has no
    /// circle and at most `MAX_DEPTH` levels.
    Parent,
    /// Migration 0018's checks: a merge's target or source was merged or deleted meanwhile.
    MergeRaced,
    /// Another unique or foreign-key failure, or migration 0017's check that a soft-deleted
    /// parent kept no live sub-customer: a race with another request's change.
    Raced,
    /// A CHECK or NOT NULL constraint.
    Check,
    /// More bound values or terms than SQLite takes in one statement.
    TooComplex,
    /// D1 is overloaded or the connection dropped: worth retrying.
    Busy,
    /// D1 refused the session's bookmark (one the client sent).
    Bookmark,
}

impl DbError {
    /// What the failure means for the client; `None` is a fault of ours.
    pub fn violation(&self) -> Option<Violation> {
        let m = self.0.to_ascii_lowercase();
        let unique = m.contains("unique constraint failed");
        Some(if unique && m.contains("customers.email_normalized") {
            Violation::CustomerEmail
        } else if unique && m.contains("contacts.email_normalized") {
            Violation::ContactEmail
        } else if unique && m.contains("groups_name") {
            Violation::GroupName
        } else if unique && m.contains("admins.email_normalized") {
            Violation::AdminEmail
        } else if m.contains("bookmark") {
            Violation::Bookmark
        } else if m.contains("customer_attributes_limit") {
            Violation::AttributeLimit
        } else if unique && m.contains("customers.handle") {
            Violation::Handle
        } else if m.contains("customer_protected") {
            Violation::Protected
        } else if m.contains("invalid_parent") {
            Violation::Parent
        } else if m.contains("merge_raced") {
            Violation::MergeRaced
        } else if unique || m.contains("foreign key constraint failed") || m.contains("subtree_changed") {
            Violation::Raced
        } else if m.contains("check constraint failed") || m.contains("not null constraint failed") {
            Violation::Check
        } else if m.contains("too many sql variables")
            || m.contains("too many terms")
            || m.contains("expression tree is too large")
        {
            Violation::TooComplex
        } else if m.contains("overloaded")
            || m.contains("network connection lost")
            || m.contains("timed out")
            || m.contains("too many requests queued")
            || m.contains("database is locked")
        {
            Violation::Busy
        } else {
            return None;
        })
    }

    /// The text a trigger raised after its `code: ` prefix, without D1's wrapping
    /// (`D1_ERROR: invalid_parent: <reason>: SQLITE_CONSTRAINT`).
    pub fn reason(&self, code: &str) -> Option<&str> {
        let start = self.0.find(&format!("{code}: "))? + code.len() + 2;
        let rest = &self.0[start..];
        Some(rest.find(": SQLITE_").map_or(rest, |end| &rest[..end]).trim())
    }

    pub fn is_email_conflict(&self) -> bool {
        self.violation() == Some(Violation::CustomerEmail)
    }
}

impl From<worker::Error> for DbError {
    fn from(e: worker::Error) -> Self {
        // `first/run/batch` wrap D1's message as `D1`, `all` as an unknown JS error.
        DbError(match e {
            worker::Error::D1(d1) => d1.cause(),
            worker::Error::UnknownJsError { message, .. } => message,
            other => other.to_string(),
        })
    }
}

pub type DbResult<T> = Result<T, DbError>;

/// Runs a change and its audit row in one batch (one transaction); returns the rows the
/// change touched.
pub async fn run_with_audit(db: &D1Database, change: D1PreparedStatement, audit: D1PreparedStatement) -> DbResult<usize> {
    let results = batch(db, vec![change, audit]).await?;
    Ok(results.first().map_or(0, StatementResult::changes))
}

fn to_js(v: &Scalar) -> JsValue {
    match v {
        Scalar::Null => JsValue::NULL,
        Scalar::Text(s) => JsValue::from_str(s),
        // Numbers travel as f64: D1 has no BigInt binds and our integers fit in 53 bits.
        Scalar::Int(i) => JsValue::from_f64(*i as f64),
        Scalar::Real(f) => JsValue::from_f64(*f),
    }
}

/// A list of ids as one bound JSON value, read in SQL with `json_each`: any number of ids in one
/// parameter, past D1's 100-parameter limit.
pub fn ids_json(ids: &[String]) -> Scalar {
    Scalar::Text(serde_json::to_string(ids).unwrap_or_else(|_| "[]".into()))
}

pub fn statement(db: &D1Database, sql: &str, binds: &[Scalar]) -> DbResult<D1PreparedStatement> {
    let values: Vec<JsValue> = binds.iter().map(to_js).collect();
    Ok(db.prepare(sql).bind(&values)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn violation(message: &str) -> Option<Violation> {
        DbError(message.into()).violation()
    }

    #[test]
    fn named_unique_indexes_are_told_apart() {
        assert_eq!(
            violation("D1_ERROR: UNIQUE constraint failed: customers.email_normalized: SQLITE_CONSTRAINT"),
            Some(Violation::CustomerEmail)
        );
        assert_eq!(
            violation("D1_ERROR: UNIQUE constraint failed: contacts.customer_id, contacts.email_normalized: SQLITE_CONSTRAINT"),
            Some(Violation::ContactEmail)
        );
        assert_eq!(
            violation("D1_ERROR: UNIQUE constraint failed: index 'groups_name': SQLITE_CONSTRAINT"),
            Some(Violation::GroupName)
        );
        assert_eq!(
            violation("D1_ERROR: UNIQUE constraint failed: admins.email_normalized: SQLITE_CONSTRAINT"),
            Some(Violation::AdminEmail)
        );
        assert_eq!(violation("D1_ERROR: UNIQUE constraint failed: customers.id: SQLITE_CONSTRAINT"), Some(Violation::Raced));
    }

    #[test]
    fn the_attribute_limit_trigger_is_recognised() {
        assert_eq!(
            violation("D1_ERROR: customer_attributes_limit: at most 50 attributes: SQLITE_CONSTRAINT"),
            Some(Violation::AttributeLimit)
        );
    }

    #[test]
    fn other_failures_are_classified_or_ours() {
        assert_eq!(violation("D1_ERROR: FOREIGN KEY constraint failed: SQLITE_CONSTRAINT"), Some(Violation::Raced));
        assert_eq!(
            violation("D1_ERROR: CHECK constraint failed: kind IN ('registered'): SQLITE_CONSTRAINT"),
            Some(Violation::Check)
        );
        assert_eq!(violation("D1_ERROR: too many SQL variables at offset 10: SQLITE_ERROR"), Some(Violation::TooComplex));
        assert_eq!(violation("D1 DB is overloaded. Requests queued for too long."), Some(Violation::Busy));
        assert_eq!(violation("D1_ERROR: no such column: x"), None);
    }
}
