//! SQL for interactions and for finding or creating the customer behind one.
use serde::{Deserialize, Serialize};
use worker::D1Database;

use super::audit::{self, AuditEntry};
use super::customers;
use super::query::Scalar;
use super::{statement, DbResult};
use crate::domain::handle::Handle;
use crate::domain::interaction::PublicInteraction;

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

/// `created` is the audit row of a customer this interaction creates; it is written only if the
/// upsert did create one (it is handed `customer_id` as the new customer's id). A customer that
/// existed and had an empty name or phone filled gets a `customer.update` row instead, with the
/// same actor and request id and the id `fill_in_audit_id`.
pub async fn record(
    db: &D1Database,
    i: &PublicInteraction,
    customer_id: &str,
    interaction_id: &str,
    created: &AuditEntry<'_>,
    fill_in_audit_id: &str,
    now: &str,
) -> DbResult<()> {
    let text = |s: &Option<String>| s.clone().map(Scalar::Text).unwrap_or(Scalar::Null);
    let normalized = i.email.normalized();
    let fill_in = statement(
        db,
        AUDIT_FILL_IN,
        &[
            Scalar::Text(fill_in_audit_id.into()),
            Scalar::Text(now.into()),
            Scalar::Text(created.actor.clone()),
            Scalar::Text(created.request_id.into()),
            Scalar::Text(i.kind.source().as_str().into()),
            Scalar::Text(normalized.clone()),
            Scalar::Text(customer_id.into()),
            text(&i.name),
            text(&i.phone),
        ],
    )?;
    let stem = i.name.as_deref().and_then(Handle::stem).map(|h| Scalar::Text(h.as_str().into()));
    let upsert = statement(
        db,
        &upsert_visitor_sql(),
        &[
            Scalar::Text(customer_id.into()),
            text(&i.name),
            Scalar::Text(i.email.as_str().into()),
            Scalar::Text(normalized.clone()),
            text(&i.phone),
            Scalar::Text(i.kind.source().as_str().into()),
            Scalar::Text(now.into()),
            stem.unwrap_or(Scalar::Null),
        ],
    )?;
    let insert = statement(
        db,
        INSERT_INTERACTION,
        &[
            Scalar::Text(interaction_id.into()),
            Scalar::Text(i.kind.as_str().into()),
            Scalar::Text(i.resource_id.clone()),
            Scalar::Text(serde_json::Value::Object(i.details.clone()).to_string()),
            Scalar::Text(now.into()),
            Scalar::Text(normalized),
        ],
    )?;
    let audit = audit::insert_if_customer_exists(db, created, now)?;
    // One batch: the audit of a fill-in, the customer, the interaction and the audit of a
    // creation land together or not at all.
    db.batch(vec![fill_in, upsert, insert, audit]).await?;
    Ok(())
}

#[derive(Debug, Serialize, Deserialize)]
pub struct InteractionRow {
    pub id: String,
    pub customer_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub resource_id: String,
    pub details: serde_json::Value,
    pub occurred_at: String,
}

#[derive(Deserialize)]
struct RawRow {
    id: String,
    customer_id: String,
    #[serde(rename = "type")]
    kind: String,
    resource_id: String,
    details: String,
    occurred_at: String,
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
    let rows = statement(db, &sql, &binds)?.all().await?.results::<RawRow>()?;
    Ok(rows
        .into_iter()
        .map(|r| InteractionRow {
            id: r.id,
            customer_id: r.customer_id,
            kind: r.kind,
            resource_id: r.resource_id,
            details: serde_json::from_str(&r.details).unwrap_or_default(),
            occurred_at: r.occurred_at,
        })
        .collect())
}
