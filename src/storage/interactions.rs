//! SQL for interactions and for finding or creating the customer behind one.
use serde::Serialize;
use worker::{D1Database, D1PreparedStatement};

use super::audit::{self, AuditEntry};
use super::customers;
use super::d1::{all, read_each};
use super::Scalar;
use super::{statement, DbError, DbResult};
use crate::domain::email::Email;
use crate::domain::handle::Handle;
use crate::domain::interaction::{PublicInteraction, VisitorId};
use crate::domain::json;

/// Finds the live customer with the email or creates a visitor, in one statement guarded by the
/// live-email unique index, so simultaneous first requests create exactly one customer. Only
/// empty name and phone are filled; `last_seen_at` always moves forward. A name, new or filled
/// in, brings a handle derived from its stem `?8`.
fn upsert_visitor_sql() -> String {
    format!(
        "INSERT INTO customers (id, name, email, email_normalized, phone, attributes, kind, source, \
    created_at, updated_at, last_seen_at, handle, version) \
    VALUES (?1, ?2, ?3, ?4, ?5, '{{}}', 'visitor', ?6, ?7, ?7, ?7, {new_handle}, 1) \
    ON CONFLICT (email_normalized) WHERE deleted_at IS NULL DO UPDATE SET \
      handle = CASE WHEN customers.handle IS NULL AND customers.name IS NULL THEN {filled_handle} ELSE customers.handle END, \
      name = coalesce(customers.name, excluded.name), \
      phone = coalesce(customers.phone, excluded.phone), \
      last_seen_at = max(coalesce(customers.last_seen_at, ''), excluded.last_seen_at), \
      version = customers.version + ((customers.name IS NULL AND excluded.name IS NOT NULL) OR (customers.phone IS NULL AND excluded.phone IS NOT NULL)), \
      updated_at = CASE WHEN (customers.name IS NULL AND excluded.name IS NOT NULL) OR (customers.phone IS NULL AND excluded.phone IS NOT NULL) \
                   THEN excluded.updated_at ELSE customers.updated_at END",
        new_handle = customers::derived_handle("?8", "1", "?1"),
        filled_handle = customers::derived_handle("?8", "1", "customers.id"),
    )
}

/// The audit row of a fill-in, written before the upsert in the same batch: it reads the state the
/// upsert is about to change, so it names exactly the empty fields this request fills (`?8`
/// name, `?9` phone). No row when nothing is filled, or when the customer does not exist yet.
const AUDIT_FILL_IN: &str =
    "INSERT INTO audit_log (id, at, actor, action, target_type, target_id, request_id, changed_fields, details) \
    SELECT ?1, ?2, ?3, 'customer.update', 'customer', c.id, ?4, \
           (SELECT json_group_array(f) FROM (SELECT 'name' AS f WHERE c.name IS NULL AND ?8 IS NOT NULL \
                                             UNION ALL SELECT 'phone' WHERE c.phone IS NULL AND ?9 IS NOT NULL)), \
           json_object('source', ?5, 'fill_in', json('true')) \
    FROM customers c WHERE c.email_normalized = ?6 AND c.deleted_at IS NULL AND c.id <> ?7 \
      AND ((c.name IS NULL AND ?8 IS NOT NULL) OR (c.phone IS NULL AND ?9 IS NOT NULL))";

const INSERT_INTERACTION: &str = "INSERT INTO interactions (id, customer_id, type, resource_id, details, occurred_at) \
    SELECT ?1, id, ?2, ?3, ?4, ?5 FROM customers WHERE email_normalized = ?6 AND deleted_at IS NULL";

/// The ids a public request hands out; only what it creates uses them.
pub struct NewIds<'a> {
    pub customer: &'a str,
    pub interaction: &'a str,
    pub fill_in_audit: &'a str,
}

/// Records a public interaction for the person it names: by email (found or created), else by
/// the page's visitor id (found or created as an anonymous visitor). `created` is the audit row
/// of a customer this request creates; it is written only if the customer was created (it is
/// handed `ids.customer` as the new customer's id). A customer that existed and had an empty
/// name or phone filled gets a `customer.update` row instead, with the same actor and request id
/// and the id `ids.fill_in_audit`. Each path is one batch: audits, customer, interaction land
/// together or not at all, and D1 runs batches one at a time, so simultaneous first requests
/// create one customer.
pub async fn record(
    db: &D1Database,
    i: &PublicInteraction,
    ids: &NewIds<'_>,
    created: &AuditEntry<'_>,
    now: &str,
) -> DbResult<()> {
    let batch = match (&i.email, &i.visitor_id) {
        (Some(email), visitor) => by_email_statements(db, i, email, visitor.as_ref(), ids, created, now)?,
        (None, Some(visitor)) => by_visitor_statements(db, i, visitor, ids, created, now)?,
        (None, None) => return Err(DbError("a public interaction names no one".into())),
    };
    super::batch(db, batch).await?;
    Ok(())
}

fn text(s: &Option<String>) -> Scalar {
    s.clone().map(Scalar::Text).unwrap_or(Scalar::Null)
}

fn stem_of(i: &PublicInteraction) -> Scalar {
    text(&i.name.as_deref().and_then(Handle::stem).map(|h| h.as_str().to_string()))
}

/// The audit binds both fill-in statements share; `person` (`?6`) is the email or visitor id.
fn fill_in_binds(i: &PublicInteraction, person: &str, ids: &NewIds, created: &AuditEntry, now: &str) -> Vec<Scalar> {
    vec![
        Scalar::Text(ids.fill_in_audit.into()),
        Scalar::Text(now.into()),
        Scalar::Text(created.actor.clone()),
        Scalar::Text(created.request_id.into()),
        Scalar::Text(i.kind.source().as_str().into()),
        Scalar::Text(person.into()),
        Scalar::Text(ids.customer.into()),
        text(&i.name),
        text(&i.phone),
    ]
}

fn interaction_binds(i: &PublicInteraction, ids: &NewIds, now: &str, person: &str) -> Vec<Scalar> {
    vec![
        Scalar::Text(ids.interaction.into()),
        Scalar::Text(i.kind.as_str().into()),
        Scalar::Text(i.resource_id.clone()),
        Scalar::Text(serde_json::Value::Object(i.details.clone()).to_string()),
        Scalar::Text(now.into()),
        Scalar::Text(person.into()),
    ]
}

fn by_email_statements(
    db: &D1Database,
    i: &PublicInteraction,
    email: &Email,
    visitor: Option<&VisitorId>,
    ids: &NewIds,
    created: &AuditEntry,
    now: &str,
) -> DbResult<Vec<D1PreparedStatement>> {
    let normalized = email.normalized();
    let upsert = statement(
        db,
        &upsert_visitor_sql(),
        &[
            Scalar::Text(ids.customer.into()),
            text(&i.name),
            Scalar::Text(email.as_str().into()),
            Scalar::Text(normalized.clone()),
            text(&i.phone),
            Scalar::Text(i.kind.source().as_str().into()),
            Scalar::Text(now.into()),
            stem_of(i),
        ],
    )?;
    let mut batch = vec![statement(db, AUDIT_FILL_IN, &fill_in_binds(i, &normalized, ids, created, now))?, upsert];
    if let Some(v) = visitor {
        batch.push(statement(
            db,
            LINK_EMAIL_VISITOR,
            &[Scalar::Text(v.as_str().into()), Scalar::Text(normalized.clone()), Scalar::Text(now.into())],
        )?);
    }
    // The creation's audit row (and so its event) before the interaction's: a receiver hears of
    // the customer before what they did.
    batch.push(audit::insert_if_customer_exists_statement(db, created, now)?);
    batch.push(statement(db, INSERT_INTERACTION, &interaction_binds(i, ids, now, &normalized))?);
    Ok(batch)
}

fn by_visitor_statements(
    db: &D1Database,
    i: &PublicInteraction,
    visitor: &VisitorId,
    ids: &NewIds,
    created: &AuditEntry,
    now: &str,
) -> DbResult<Vec<D1PreparedStatement>> {
    let (vid, id, at) = (Scalar::Text(visitor.as_str().into()), Scalar::Text(ids.customer.into()), Scalar::Text(now.into()));
    Ok(vec![
        statement(db, AUDIT_FILL_IN_VISITOR, &fill_in_binds(i, visitor.as_str(), ids, created, now))?,
        statement(
            db,
            &insert_visitor_customer_sql(),
            &[
                id.clone(),
                text(&i.name),
                Scalar::Text(visitor.placeholder_name()),
                text(&i.phone),
                Scalar::Text(i.kind.source().as_str().into()),
                at.clone(),
                stem_of(i),
                vid.clone(),
            ],
        )?,
        statement(db, LINK_NEW_VISITOR, &[vid.clone(), id.clone(), at.clone()])?,
        statement(db, &fill_visitor_sql(), &[id, text(&i.name), text(&i.phone), at, stem_of(i), vid])?,
        audit::insert_if_customer_exists_statement(db, created, now)?,
        statement(db, INSERT_VISITOR_INTERACTION, &interaction_binds(i, ids, now, visitor.as_str()))?,
    ])
}

/// Links a browser to the email's customer, unless it already belongs to a live customer: an
/// anonymous visitor's customer is then merged into the email's by the caller.
const LINK_EMAIL_VISITOR: &str = "INSERT INTO visitors (visitor_id, customer_id, created_at) \
    SELECT ?1, c.id, ?3 FROM customers c WHERE c.email_normalized = ?2 AND c.deleted_at IS NULL \
    ON CONFLICT (visitor_id) DO UPDATE SET customer_id = excluded.customer_id \
    WHERE NOT EXISTS (SELECT 1 FROM customers c2 WHERE c2.id = visitors.customer_id AND c2.deleted_at IS NULL)";

/// `AUDIT_FILL_IN` for a customer found by visitor id (`?6`): a placeholder name counts as empty.
const AUDIT_FILL_IN_VISITOR: &str =
    "INSERT INTO audit_log (id, at, actor, action, target_type, target_id, request_id, changed_fields, details) \
    SELECT ?1, ?2, ?3, 'customer.update', 'customer', c.id, ?4, \
           (SELECT json_group_array(f) FROM (SELECT 'name' AS f WHERE (c.name IS NULL OR c.anonymous = 1) AND ?8 IS NOT NULL \
                                             UNION ALL SELECT 'phone' WHERE c.phone IS NULL AND ?9 IS NOT NULL)), \
           json_object('source', ?5, 'fill_in', json('true')) \
    FROM visitors v JOIN customers c ON c.id = v.customer_id \
    WHERE v.visitor_id = ?6 AND c.deleted_at IS NULL AND c.id <> ?7 \
      AND (((c.name IS NULL OR c.anonymous = 1) AND ?8 IS NOT NULL) OR (c.phone IS NULL AND ?9 IS NOT NULL))";

/// A visitor seen for the first time (no live customer has the browser id `?8`): named if the
/// page sent a name, else anonymous under the placeholder `?3`.
fn insert_visitor_customer_sql() -> String {
    format!(
        "INSERT INTO customers (id, name, anonymous, phone, attributes, kind, source, created_at, updated_at, last_seen_at, \
         handle, version) \
         SELECT ?1, coalesce(?2, ?3), ?2 IS NULL, ?4, '{{}}', 'visitor', ?5, ?6, ?6, ?6, {}, 1 \
         WHERE NOT EXISTS (SELECT 1 FROM visitors v JOIN customers c ON c.id = v.customer_id \
                           WHERE v.visitor_id = ?8 AND c.deleted_at IS NULL)",
        customers::derived_handle("?7", "1", "?1")
    )
}

/// Points the browser id at the customer just created (if it was: the statement before did
/// nothing when a live customer had the id), also away from a deleted one.
const LINK_NEW_VISITOR: &str = "INSERT INTO visitors (visitor_id, customer_id, created_at) \
    SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM customers WHERE id = ?2) \
    ON CONFLICT (visitor_id) DO UPDATE SET customer_id = excluded.customer_id";

/// A known visitor: its empty fields (a placeholder name counts as empty) filled, last seen now.
fn fill_visitor_sql() -> String {
    let fills = "((name IS NULL OR anonymous = 1) AND ?2 IS NOT NULL) OR (phone IS NULL AND ?3 IS NOT NULL)";
    format!(
        "UPDATE customers SET \
           name = CASE WHEN (name IS NULL OR anonymous = 1) AND ?2 IS NOT NULL THEN ?2 ELSE name END, \
           handle = CASE WHEN handle IS NULL AND ?2 IS NOT NULL THEN {handle} ELSE handle END, \
           anonymous = CASE WHEN ?2 IS NOT NULL THEN 0 ELSE anonymous END, \
           phone = coalesce(phone, ?3), \
           last_seen_at = max(coalesce(last_seen_at, ''), ?4), \
           version = version + ({fills}), \
           updated_at = CASE WHEN {fills} THEN ?4 ELSE updated_at END \
         WHERE id = (SELECT customer_id FROM visitors WHERE visitor_id = ?6) AND deleted_at IS NULL AND id <> ?1",
        handle = customers::derived_handle("?5", "1", "customers.id"),
    )
}

const INSERT_VISITOR_INTERACTION: &str = "INSERT INTO interactions (id, customer_id, type, resource_id, details, occurred_at) \
    SELECT ?1, v.customer_id, ?2, ?3, ?4, ?5 FROM visitors v JOIN customers c ON c.id = v.customer_id \
    WHERE v.visitor_id = ?6 AND c.deleted_at IS NULL";

#[derive(Debug, Serialize)]
pub struct InteractionRow {
    pub id: String,
    pub customer_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub resource_id: String,
    pub details: serde_json::Value,
    pub occurred_at: String,
}

/// One page of a customer's history, newest first; `limit + 1` rows to tell if more follow.
pub async fn history(
    db: &D1Database,
    customer_id: &str,
    after: Option<(String, String)>,
    limit: usize,
) -> DbResult<Vec<InteractionRow>> {
    let mut binds = vec![Scalar::Text(customer_id.into())];
    let mut keyset = "";
    if let Some((at, id)) = after {
        binds.push(Scalar::Text(at));
        binds.push(Scalar::Text(id));
        keyset = "AND (occurred_at, id) < (?2, ?3)";
    }
    binds.push(Scalar::Int(limit as i64 + 1));
    let sql = format!(
        "SELECT id, customer_id, type, resource_id, details, occurred_at FROM interactions \
         WHERE customer_id = ?1 {keyset} ORDER BY occurred_at DESC, id DESC LIMIT ?{}",
        binds.len()
    );
    let rows = all(&statement(db, &sql, &binds)?).await?;
    read_each(rows, |r| InteractionRow {
        id: r.text("id"),
        customer_id: r.text("customer_id"),
        kind: r.text("type"),
        resource_id: r.text("resource_id"),
        details: json::parse(&r.text("details")).unwrap_or_default(),
        occurred_at: r.text("occurred_at"),
    })
}
