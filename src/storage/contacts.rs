//! SQL for a customer's contacts. Every statement is scoped by the customer id, so a contact is
//! only ever reached through its own customer; contacts go with the customer (ON DELETE CASCADE).
use worker::{D1Database, D1PreparedStatement};

use super::customers::text;
use super::d1::{all, first, read_each, read_one, Row};
use super::Scalar;
use super::{statement, DbResult};
use crate::domain::contact::{Contact, ContactPatch, ContactStatus};
use crate::domain::portal::ContactRole;

/// A contact from a row of `COLUMNS`.
fn contact(r: &Row) -> Contact {
    Contact {
        id: r.text("id"),
        customer_id: r.text("customer_id"),
        email: r.text("email"),
        first_name: r.opt_text("first_name"),
        last_name: r.opt_text("last_name"),
        phone: r.opt_text("phone"),
        status: r.parsed("status", ContactStatus::parse).unwrap_or(ContactStatus::Disabled),
        role: r.parsed("role", ContactRole::parse).unwrap_or(ContactRole::Member),
        activated_at: r.opt_text("activated_at"),
        last_signed_in_at: r.opt_text("last_signed_in_at"),
        created_at: r.text("created_at"),
        updated_at: r.text("updated_at"),
    }
}

const COLUMNS: &str =
    "id, customer_id, email, first_name, last_name, phone, status, role, activated_at, last_signed_in_at, created_at, updated_at";

fn flag(b: bool) -> Scalar {
    Scalar::Int(b as i64)
}

/// The customer's contacts, oldest first.
pub async fn list(db: &D1Database, customer_id: &str) -> DbResult<Vec<Contact>> {
    let sql = format!("SELECT {COLUMNS} FROM contacts WHERE customer_id = ?1 ORDER BY created_at, id");
    let rows = all(&statement(db, &sql, &[Scalar::Text(customer_id.into())])?).await?;
    read_each(rows, contact)
}

pub async fn get(db: &D1Database, customer_id: &str, id: &str) -> DbResult<Option<Contact>> {
    let sql = format!("SELECT {COLUMNS} FROM contacts WHERE id = ?1 AND customer_id = ?2");
    let row = first(&statement(db, &sql, &[Scalar::Text(id.into()), Scalar::Text(customer_id.into())])?).await?;
    read_one(row, contact)
}

/// Inserts the contact only while its customer exists and is not soft-deleted; changes() is 0
/// otherwise.
pub fn insert_statement(db: &D1Database, c: &Contact, email_normalized: &str) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "INSERT INTO contacts (id, customer_id, email, email_normalized, first_name, last_name, phone, created_at, updated_at, role) \
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10 \
         WHERE EXISTS (SELECT 1 FROM customers WHERE id = ?2 AND deleted_at IS NULL)",
        &[
            Scalar::Text(c.id.clone()),
            Scalar::Text(c.customer_id.clone()),
            Scalar::Text(c.email.clone()),
            Scalar::Text(email_normalized.into()),
            text(&c.first_name),
            text(&c.last_name),
            text(&c.phone),
            Scalar::Text(c.created_at.clone()),
            Scalar::Text(c.updated_at.clone()),
            Scalar::Text(c.role.as_str().into()),
        ],
    )
}

/// Writes only the fields the patch holds, while the customer is not soft-deleted. Enabling
/// writes what the contact returns to from its own row (active once activated, else pending), so
/// the status always agrees with `activated_at` whatever happened since it was read.
pub fn update_statement(
    db: &D1Database,
    customer_id: &str,
    id: &str,
    change: &ContactPatch,
    now: &str,
) -> DbResult<D1PreparedStatement> {
    let email = change.email.as_ref().map(|e| e.as_str().to_string());
    let normalized = change.email.as_ref().map(|e| e.normalized());
    statement(
        db,
        "UPDATE contacts SET \
         email = CASE WHEN ?1 THEN ?2 ELSE email END, \
         email_normalized = CASE WHEN ?1 THEN ?3 ELSE email_normalized END, \
         first_name = CASE WHEN ?4 THEN ?5 ELSE first_name END, \
         last_name = CASE WHEN ?6 THEN ?7 ELSE last_name END, \
         phone = CASE WHEN ?8 THEN ?9 ELSE phone END, \
         role = coalesce(?14, role), \
         status = CASE WHEN ?13 IS NULL THEN status WHEN ?13 = 'disabled' THEN 'disabled' \
                       WHEN activated_at IS NULL THEN 'pending' ELSE 'active' END, \
         updated_at = ?10 \
         WHERE id = ?11 AND customer_id = ?12 \
         AND EXISTS (SELECT 1 FROM customers WHERE id = ?12 AND deleted_at IS NULL)",
        &[
            flag(email.is_some()),
            text(&email),
            text(&normalized),
            flag(change.first_name.is_some()),
            text(&change.first_name.clone().flatten()),
            flag(change.last_name.is_some()),
            text(&change.last_name.clone().flatten()),
            flag(change.phone.is_some()),
            text(&change.phone.clone().flatten()),
            Scalar::Text(now.into()),
            Scalar::Text(id.into()),
            Scalar::Text(customer_id.into()),
            change.status.map(|s| Scalar::Text(s.as_str().into())).unwrap_or(Scalar::Null),
            change.role.map(|r| Scalar::Text(r.as_str().into())).unwrap_or(Scalar::Null),
        ],
    )
}

pub fn delete_statement(db: &D1Database, customer_id: &str, id: &str) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "DELETE FROM contacts WHERE id = ?1 AND customer_id = ?2",
        &[Scalar::Text(id.into()), Scalar::Text(customer_id.into())],
    )
}
