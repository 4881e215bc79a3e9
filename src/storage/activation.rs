//! SQL for contacts' activation links. Only the token's hash is ever bound or stored. Every write
//! repeats its preconditions in its WHERE clause, so a batch that lost a race changes nothing.
use worker::{D1Database, D1PreparedStatement};

use super::d1::{first, read_one};
use super::Scalar;
use super::{statement, DbResult};
use crate::domain::activation::StoredLink;
use crate::domain::contact::ContactStatus;

/// A link found by its token's hash, with what activation needs to know about its contact.
#[derive(Debug)]
pub struct LinkRow {
    pub contact_id: String,
    pub customer_id: String,
    expires_at: String,
    used_at: Option<String>,
    revoked_at: Option<String>,
    status: ContactStatus,
    customer_deleted_at: Option<String>,
}

impl LinkRow {
    pub fn stored(&self) -> StoredLink {
        StoredLink {
            expires_at: self.expires_at.clone(),
            used_at: self.used_at.clone(),
            revoked_at: self.revoked_at.clone(),
            contact_status: self.status,
            customer_deleted: self.customer_deleted_at.is_some(),
        }
    }
}

pub async fn find(db: &D1Database, token_hash: &str) -> DbResult<Option<LinkRow>> {
    let sql = "SELECT l.contact_id, c.customer_id, l.expires_at, l.used_at, l.revoked_at, c.status, \
         cu.deleted_at AS customer_deleted_at \
         FROM contact_activation_links l JOIN contacts c ON c.id = l.contact_id JOIN customers cu ON cu.id = c.customer_id \
         WHERE l.token_hash = ?1";
    let row = first(&statement(db, sql, &[Scalar::Text(token_hash.into())])?).await?;
    read_one(row, |r| LinkRow {
        contact_id: r.text("contact_id"),
        customer_id: r.text("customer_id"),
        expires_at: r.text("expires_at"),
        used_at: r.opt_text("used_at"),
        revoked_at: r.opt_text("revoked_at"),
        status: r.parsed("status", ContactStatus::parse).unwrap_or(ContactStatus::Disabled),
        customer_deleted_at: r.opt_text("customer_deleted_at"),
    })
}

/// The contact may get a link: it is pending and its customer is live.
const PENDING_CONTACT: &str = "EXISTS (SELECT 1 FROM contacts c JOIN customers cu ON cu.id = c.customer_id \
     WHERE c.id = ?1 AND c.customer_id = ?2 AND c.status = 'pending' AND cu.deleted_at IS NULL)";

/// Revokes the contact's open link, if any, before a new one is inserted (same batch).
pub fn revoke_for_new_link_statement(
    db: &D1Database,
    customer_id: &str,
    contact_id: &str,
    now: &str,
) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        &format!(
            "UPDATE contact_activation_links SET revoked_at = ?3 \
             WHERE contact_id = ?1 AND used_at IS NULL AND revoked_at IS NULL AND {PENDING_CONTACT}"
        ),
        &[Scalar::Text(contact_id.into()), Scalar::Text(customer_id.into()), Scalar::Text(now.into())],
    )
}

/// Inserts a link while the contact is still pending and its customer live; changes() is 0
/// otherwise.
pub fn insert_statement(
    db: &D1Database,
    customer_id: &str,
    contact_id: &str,
    token_hash: &str,
    now: &str,
    expires_at: &str,
) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        &format!(
            "INSERT INTO contact_activation_links (token_hash, contact_id, created_at, expires_at) \
             SELECT ?3, ?1, ?4, ?5 WHERE {PENDING_CONTACT}"
        ),
        &[
            Scalar::Text(contact_id.into()),
            Scalar::Text(customer_id.into()),
            Scalar::Text(token_hash.into()),
            Scalar::Text(now.into()),
            Scalar::Text(expires_at.into()),
        ],
    )
}

/// Revokes the contact's open link when a change makes it stale (a new email, disabling), and
/// only if the contact is still its customer's and the customer live, as the change requires.
pub fn revoke_open_statement(db: &D1Database, customer_id: &str, contact_id: &str, now: &str) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "UPDATE contact_activation_links SET revoked_at = ?3 \
         WHERE contact_id = ?1 AND used_at IS NULL AND revoked_at IS NULL \
         AND EXISTS (SELECT 1 FROM contacts c JOIN customers cu ON cu.id = c.customer_id \
                     WHERE c.id = ?1 AND c.customer_id = ?2 AND cu.deleted_at IS NULL)",
        &[Scalar::Text(contact_id.into()), Scalar::Text(customer_id.into()), Scalar::Text(now.into())],
    )
}

/// Marks the link used, with every condition of a usable link in the WHERE clause: of many
/// simultaneous activations with one token, exactly one changes the row.
pub fn mark_used_statement(db: &D1Database, token_hash: &str, now: &str) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "UPDATE contact_activation_links SET used_at = ?2 \
         WHERE token_hash = ?1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?2 \
         AND EXISTS (SELECT 1 FROM contacts c JOIN customers cu ON cu.id = c.customer_id \
                     WHERE c.id = contact_activation_links.contact_id AND c.status = 'pending' AND cu.deleted_at IS NULL)",
        &[Scalar::Text(token_hash.into()), Scalar::Text(now.into())],
    )
}

/// Activates the link's contact, only if `mark_used` (the statement just before it in the batch)
/// changed the link.
pub fn activate_contact_statement(db: &D1Database, token_hash: &str, now: &str) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        &format!(
            "UPDATE contacts SET status = '{active}', activated_at = ?2, last_signed_in_at = ?2, updated_at = ?2 \
             WHERE changes() > 0 AND status = '{pending}' \
             AND id = (SELECT contact_id FROM contact_activation_links WHERE token_hash = ?1)",
            active = ContactStatus::Active.as_str(),
            pending = ContactStatus::Pending.as_str(),
        ),
        &[Scalar::Text(token_hash.into()), Scalar::Text(now.into())],
    )
}
