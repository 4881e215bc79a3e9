//! Audit rows are built as statements so each can ride in the same D1 batch as its change.
use serde::Serialize;
use serde_json::Value;
use worker::{D1Database, D1PreparedStatement};

use super::d1::{all, read_each};
use super::Scalar;
use super::{statement, DbResult};
use crate::domain::json;

pub struct AuditEntry<'a> {
    pub actor: String,
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: Option<String>,
    pub request_id: &'a str,
    pub changed_fields: Vec<&'a str>,
    /// Counts and flags only, never personal values.
    pub details: Value,
}

fn binds(e: &AuditEntry, now: &str) -> Vec<Scalar> {
    vec![
        Scalar::Text(uuid::Uuid::now_v7().to_string()),
        Scalar::Text(now.into()),
        Scalar::Text(e.actor.clone()),
        Scalar::Text(e.action.into()),
        Scalar::Text(e.target_type.into()),
        e.target_id.clone().map(Scalar::Text).unwrap_or(Scalar::Null),
        Scalar::Text(e.request_id.into()),
        Scalar::Text(serde_json::to_string(&e.changed_fields).unwrap_or_else(|_| "[]".into())),
        Scalar::Text(e.details.to_string()),
    ]
}

const INSERT: &str =
    "INSERT INTO audit_log (id, at, actor, action, target_type, target_id, request_id, changed_fields, details) \
    SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9";

/// An audit row written unconditionally.
pub fn insert_statement(db: &D1Database, e: &AuditEntry, now: &str) -> DbResult<D1PreparedStatement> {
    statement(db, INSERT, &binds(e, now))
}

/// An audit row written only if the statement just before it in the batch changed a row,
/// so a conditional update that did nothing leaves no trace.
pub fn insert_if_changed_statement(db: &D1Database, e: &AuditEntry, now: &str) -> DbResult<D1PreparedStatement> {
    statement(db, &format!("{INSERT} WHERE changes() > 0"), &binds(e, now))
}

/// An audit row written only if the customer it names exists once the statements before it in
/// the batch have run: for an upsert that was handed a fresh id, only if it created the customer.
pub fn insert_if_customer_exists_statement(db: &D1Database, e: &AuditEntry, now: &str) -> DbResult<D1PreparedStatement> {
    statement(db, &format!("{INSERT} WHERE EXISTS (SELECT 1 FROM customers WHERE id = ?6)"), &binds(e, now))
}

/// One audit row per customer of a bulk action, each with its own id from `targets`
/// (`(customer id, audit id)` pairs), for the customers that exist (`live_only`: and are not
/// soft-deleted) when it runs. Put it before the change in the batch: it reads the state the
/// change is about to alter. `target_id` of `e` is not used (`?6` stays unread).
pub fn insert_per_customer_statement(
    db: &D1Database,
    e: &AuditEntry,
    targets: &[(String, String)],
    live_only: bool,
    now: &str,
) -> DbResult<D1PreparedStatement> {
    let mut b = binds(e, now);
    b[0] = Scalar::Text(serde_json::to_string(targets).unwrap_or_else(|_| "[]".into()));
    let live = if live_only { " AND c.deleted_at IS NULL" } else { "" };
    statement(
        db,
        &format!(
            "INSERT INTO audit_log (id, at, actor, action, target_type, target_id, request_id, changed_fields, details) \
             SELECT t.value ->> 1, ?2, ?3, ?4, ?5, c.id, ?7, ?8, ?9 \
             FROM json_each(?1) t JOIN customers c ON c.id = t.value ->> 0 WHERE 1{live}"
        ),
        &b,
    )
}

/// A SQL expression that makes a fresh UUID v7 for each row a statement writes: the time part of
/// an id made now, and random bits SQLite draws row by row. For audit rows written by an
/// `INSERT ... SELECT` over rows that are only known as the batch runs.
pub fn uuid_v7_per_row() -> String {
    // `xxxxxxxx-xxxx`: 48 bits of milliseconds, hex digits and a dash only.
    let time = &uuid::Uuid::now_v7().to_string()[..13];
    format!(
        "('{time}-7' || substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + abs(random() % 4), 1) \
         || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6))))"
    )
}

/// An audit row as the log answers it: its JSON columns read into JSON.
#[derive(Debug, Serialize)]
pub struct AuditRow {
    pub id: String,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<String>,
    pub request_id: String,
    pub changed_fields: Value,
    pub outcome: String,
    pub details: Value,
}

/// What selects audit rows: each given field narrows the page.
#[derive(Debug, Default)]
pub struct AuditFilter<'a> {
    pub action: Option<&'a str>,
    pub actor: Option<&'a str>,
    pub target_id: Option<&'a str>,
    pub since: Option<&'a str>,
    pub until: Option<&'a str>,
    /// The cursor: the (time, id) of the last row of the previous page.
    pub after: Option<(&'a str, &'a str)>,
}

/// One page of the audit log, newest first.
pub async fn page(db: &D1Database, f: &AuditFilter<'_>, limit: usize) -> DbResult<Vec<AuditRow>> {
    let mut clauses = vec!["1".to_string()];
    let mut b: Vec<Scalar> = Vec::new();
    let mut bind = |v: &str, clause: &str, b: &mut Vec<Scalar>| {
        b.push(Scalar::Text(v.into()));
        clauses.push(clause.replace('?', &format!("?{}", b.len())));
    };
    for (value, clause) in [
        (f.action, "action = ?"),
        (f.actor, "actor = ?"),
        (f.target_id, "target_id = ?"),
        (f.since, "at >= ?"),
        (f.until, "at < ?"),
    ] {
        if let Some(v) = value {
            bind(v, clause, &mut b);
        }
    }
    if let Some((at, id)) = f.after {
        b.push(Scalar::Text(at.into()));
        b.push(Scalar::Text(id.into()));
        clauses.push(format!("(at, id) < (?{}, ?{})", b.len() - 1, b.len()));
    }
    b.push(Scalar::Int(limit as i64 + 1));
    let sql = format!(
        "SELECT id, at, actor, action, target_type, target_id, request_id, changed_fields, outcome, details \
         FROM audit_log WHERE {} ORDER BY at DESC, id DESC LIMIT ?{}",
        clauses.join(" AND "),
        b.len()
    );
    let rows = all(&statement(db, &sql, &b)?).await?;
    read_each(rows, |r| AuditRow {
        id: r.text("id"),
        at: r.text("at"),
        actor: r.text("actor"),
        action: r.text("action"),
        target_type: r.text("target_type"),
        target_id: r.opt_text("target_id"),
        request_id: r.text("request_id"),
        changed_fields: json::parse(&r.text("changed_fields")).unwrap_or(Value::Array(vec![])),
        outcome: r.text("outcome"),
        details: json::parse(&r.text("details")).unwrap_or(Value::Object(Default::default())),
    })
}
