//! SQL for the customer portal: who a person is a contact of, their sessions and sign-in links,
//! and whether a customer lies inside one of their organisations' subtrees. Only tokens' hashes
//! are bound or stored. A person is an email (normalised); an organisation counts only through an
//! active contact of a live customer, read again on every request.
use worker::{D1Database, D1PreparedStatement};

use super::customer_sql::CUSTOMER_COLUMNS;
use super::customers::customer;
use super::d1::{all, first, read_each, read_one};
use super::Scalar;
use super::{statement, DbResult};
use crate::domain::customer::Customer;
use crate::domain::hierarchy::MAX_DEPTH;
use crate::domain::portal::{ContactRole, StoredSignInLink};

/// An organisation the person acts for, through one of their contacts.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Organisation {
    pub customer_id: String,
    pub name: Option<String>,
    pub role: ContactRole,
    #[serde(skip)]
    pub contact_id: String,
}

/// The person holds an active contact of a live customer (`?1`: their normalised email).
const HAS_ORGANISATION: &str = "EXISTS (SELECT 1 FROM contacts k JOIN customers cu ON cu.id = k.customer_id \
     WHERE k.email_normalized = ?1 AND k.status = 'active' AND cu.deleted_at IS NULL)";

fn role(s: &str) -> Option<ContactRole> {
    ContactRole::parse(s)
}

/// The organisations the person acts for, by name.
pub async fn organisations(db: &D1Database, email_normalized: &str) -> DbResult<Vec<Organisation>> {
    let sql = "SELECT k.id AS contact_id, cu.id AS customer_id, cu.name, k.role FROM contacts k \
         JOIN customers cu ON cu.id = k.customer_id \
         WHERE k.email_normalized = ?1 AND k.status = 'active' AND cu.deleted_at IS NULL ORDER BY cu.name, cu.id";
    let rows = all(&statement(db, sql, &[Scalar::Text(email_normalized.into())])?).await?;
    read_each(rows, |r| Organisation {
        customer_id: r.text("customer_id"),
        name: r.opt_text("name"),
        role: r.parsed("role", role).unwrap_or(ContactRole::Member),
        contact_id: r.text("contact_id"),
    })
}

/// The person behind a session token's hash: a session not signed out, not expired at `now`,
/// whose person still acts for some organisation. With when it was last used (for the slide).
pub async fn session(db: &D1Database, token_hash: &str, now: &str) -> DbResult<Option<(String, String)>> {
    let sql = "SELECT s.email_normalized, s.last_used_at FROM portal_sessions s \
         WHERE s.token_hash = ?1 AND s.revoked_at IS NULL AND s.expires_at > ?2 \
         AND EXISTS (SELECT 1 FROM contacts k JOIN customers cu ON cu.id = k.customer_id \
                     WHERE k.email_normalized = s.email_normalized AND k.status = 'active' AND cu.deleted_at IS NULL)";
    let binds = [Scalar::Text(token_hash.into()), Scalar::Text(now.into())];
    let row = first(&statement(db, sql, &binds)?).await?;
    read_one(row, |r| (r.text("email_normalized"), r.text("last_used_at")))
}

/// Moves a session's expiry on, once it was last used before `stale_before`.
pub fn slide_statement(
    db: &D1Database,
    token_hash: &str,
    now: &str,
    expires_at: &str,
    stale_before: &str,
) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "UPDATE portal_sessions SET last_used_at = ?2, expires_at = ?3 \
         WHERE token_hash = ?1 AND revoked_at IS NULL AND last_used_at < ?4",
        &[
            Scalar::Text(token_hash.into()),
            Scalar::Text(now.into()),
            Scalar::Text(expires_at.into()),
            Scalar::Text(stale_before.into()),
        ],
    )
}

pub fn sign_out_statement(db: &D1Database, token_hash: &str, now: &str) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "UPDATE portal_sessions SET revoked_at = ?2 WHERE token_hash = ?1 AND revoked_at IS NULL",
        &[Scalar::Text(token_hash.into()), Scalar::Text(now.into())],
    )
}

/// A session for the contact behind an activation link, only if the statement just before it in
/// the batch (the link's `mark_used`) changed a row.
pub fn insert_session_for_activation_statement(
    db: &D1Database,
    session_hash: &str,
    link_hash: &str,
    now: &str,
    expires_at: &str,
) -> DbResult<D1PreparedStatement> {
    let person = "SELECT c.email_normalized FROM contact_activation_links l JOIN contacts c ON c.id = l.contact_id \
                  WHERE l.token_hash = ?2";
    insert_session_statement(db, person, session_hash, link_hash, now, expires_at)
}

/// Revokes the person's open sign-in link before a new one is sent (same batch).
pub fn revoke_open_links_statement(db: &D1Database, email_normalized: &str, now: &str) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        &format!(
            "UPDATE portal_sign_in_links SET revoked_at = ?2 \
             WHERE email_normalized = ?1 AND used_at IS NULL AND revoked_at IS NULL AND {HAS_ORGANISATION}"
        ),
        &[Scalar::Text(email_normalized.into()), Scalar::Text(now.into())],
    )
}

/// Stores a sign-in link, only for a person who acts for some organisation; changes() is 0
/// otherwise (and nothing is sent).
pub fn insert_link_statement(
    db: &D1Database,
    email_normalized: &str,
    token_hash: &str,
    now: &str,
    expires_at: &str,
) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        &format!(
            "INSERT INTO portal_sign_in_links (token_hash, email_normalized, created_at, expires_at) \
             SELECT ?2, ?1, ?3, ?4 WHERE {HAS_ORGANISATION}"
        ),
        &[
            Scalar::Text(email_normalized.into()),
            Scalar::Text(token_hash.into()),
            Scalar::Text(now.into()),
            Scalar::Text(expires_at.into()),
        ],
    )
}

pub async fn find_link(db: &D1Database, token_hash: &str) -> DbResult<Option<(String, StoredSignInLink)>> {
    let sql = "SELECT email_normalized, expires_at, used_at, revoked_at FROM portal_sign_in_links WHERE token_hash = ?1";
    let row = first(&statement(db, sql, &[Scalar::Text(token_hash.into())])?).await?;
    read_one(row, |r| {
        (
            r.text("email_normalized"),
            StoredSignInLink {
                expires_at: r.text("expires_at"),
                used_at: r.opt_text("used_at"),
                revoked_at: r.opt_text("revoked_at"),
            },
        )
    })
}

/// Marks a sign-in link used with every condition of a usable link in its WHERE clause: of many
/// simultaneous uses of one link, exactly one changes the row.
pub fn use_link_statement(db: &D1Database, token_hash: &str, now: &str) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "UPDATE portal_sign_in_links SET used_at = ?2 \
         WHERE token_hash = ?1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?2 \
         AND EXISTS (SELECT 1 FROM contacts k JOIN customers cu ON cu.id = k.customer_id \
                     WHERE k.email_normalized = portal_sign_in_links.email_normalized AND k.status = 'active' \
                     AND cu.deleted_at IS NULL)",
        &[Scalar::Text(token_hash.into()), Scalar::Text(now.into())],
    )
}

/// A session for the person of a sign-in link, only if the statement just before it in the
/// batch (`use_link`) changed a row.
pub fn insert_session_for_link_statement(
    db: &D1Database,
    session_hash: &str,
    link_hash: &str,
    now: &str,
    expires_at: &str,
) -> DbResult<D1PreparedStatement> {
    let person = "SELECT email_normalized FROM portal_sign_in_links WHERE token_hash = ?2";
    insert_session_statement(db, person, session_hash, link_hash, now, expires_at)
}

/// A session `?1` for the person `person` selects from the link `?2`, only if the statement just
/// before it in the batch (the link's use) changed a row.
fn insert_session_statement(
    db: &D1Database,
    person: &str,
    session_hash: &str,
    link_hash: &str,
    now: &str,
    expires_at: &str,
) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        &format!(
            "INSERT INTO portal_sessions (token_hash, email_normalized, created_at, expires_at, last_used_at) \
             SELECT ?1, p.email_normalized, ?3, ?4, ?3 FROM ({person}) p WHERE changes() > 0"
        ),
        &[
            Scalar::Text(session_hash.into()),
            Scalar::Text(link_hash.into()),
            Scalar::Text(now.into()),
            Scalar::Text(expires_at.into()),
        ],
    )
}

/// Records the sign-in on the person's active contacts, if the session `session_hash` exists.
pub fn record_sign_in_statement(db: &D1Database, session_hash: &str, now: &str) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "UPDATE contacts SET last_signed_in_at = ?2 WHERE status = 'active' \
         AND email_normalized = (SELECT email_normalized FROM portal_sessions WHERE token_hash = ?1)",
        &[Scalar::Text(session_hash.into()), Scalar::Text(now.into())],
    )
}

/// How the person reaches `customer_id`: the contact and role of the nearest organisation above
/// it (itself included) where they are an active contact, a manager's role first, with every
/// customer from that organisation down to `customer_id` live. `None`: outside all their subtrees.
pub async fn scope(db: &D1Database, customer_id: &str, email_normalized: &str) -> DbResult<Option<Organisation>> {
    let sql = format!(
        "WITH RECURSIVE up(id, parent_id, deleted_at, n) AS ( \
           SELECT id, parent_id, deleted_at, 0 FROM customers WHERE id = ?1 \
           UNION ALL SELECT c.id, c.parent_id, c.deleted_at, up.n + 1 FROM customers c JOIN up ON c.id = up.parent_id \
           WHERE up.n < {limit}) \
         SELECT k.id AS contact_id, up.id AS customer_id, cu.name, k.role FROM up \
         JOIN contacts k ON k.customer_id = up.id JOIN customers cu ON cu.id = up.id \
         WHERE k.email_normalized = ?2 AND k.status = 'active' \
         AND NOT EXISTS (SELECT 1 FROM up d WHERE d.n <= up.n AND d.deleted_at IS NOT NULL) \
         ORDER BY k.role = 'manager' DESC, up.n LIMIT 1",
        limit = MAX_DEPTH + 2
    );
    let row = first(&statement(db, &sql, &[Scalar::Text(customer_id.into()), Scalar::Text(email_normalized.into())])?).await?;
    read_one(row, |r| Organisation {
        customer_id: r.text("customer_id"),
        name: r.opt_text("name"),
        role: r.parsed("role", role).unwrap_or(ContactRole::Member),
        contact_id: r.text("contact_id"),
    })
}

/// The live subtree of `root` (the root included), one page: `q` a case-insensitive substring of
/// name, email, phone or company; ordered by name (then id) after `after` (`(name, id)`). Each
/// customer with its sort key.
pub async fn subtree_page(
    db: &D1Database,
    root: &str,
    q: Option<&str>,
    after: Option<(&str, &str)>,
    limit: usize,
) -> DbResult<Vec<(Customer, String)>> {
    let sql = format!(
        "WITH RECURSIVE down(id, n) AS (SELECT id, 0 FROM customers WHERE id = ?1 AND deleted_at IS NULL \
           UNION ALL SELECT c.id, down.n + 1 FROM customers c JOIN down ON c.parent_id = down.id \
           WHERE c.deleted_at IS NULL AND down.n < {limit_depth}) \
         SELECT {CUSTOMER_COLUMNS}, coalesce(c.name, '') AS sort_key, \
         (SELECT count(*) FROM customers k WHERE k.parent_id = c.id AND k.deleted_at IS NULL) AS children_count \
         FROM down JOIN customers c ON c.id = down.id \
         WHERE (?2 IS NULL OR instr(lower(coalesce(c.name, '') || ' ' || coalesce(c.email, '') || ' ' || \
                coalesce(c.phone, '') || ' ' || coalesce(c.company, '')), lower(?2)) > 0) \
         AND (?3 IS NULL OR coalesce(c.name, '') > ?3 OR (coalesce(c.name, '') = ?3 AND c.id > ?4)) \
         ORDER BY sort_key, c.id LIMIT ?5",
        limit_depth = MAX_DEPTH + 2
    );
    let binds = [
        Scalar::Text(root.into()),
        q.map_or(Scalar::Null, |q| Scalar::Text(q.into())),
        after.map_or(Scalar::Null, |(k, _)| Scalar::Text(k.into())),
        after.map_or(Scalar::Null, |(_, i)| Scalar::Text(i.into())),
        Scalar::Int(limit as i64),
    ];
    read_each(all(&statement(db, &sql, &binds)?).await?, |r| (customer(r), r.text("sort_key")))
}

/// Whether `id` is `root` or a live customer below it.
pub async fn within(db: &D1Database, root: &str, id: &str) -> DbResult<bool> {
    let sql = format!(
        "WITH RECURSIVE up(id, parent_id, n) AS (SELECT id, parent_id, 0 FROM customers WHERE id = ?2 AND deleted_at IS NULL \
           UNION ALL SELECT c.id, c.parent_id, up.n + 1 FROM customers c JOIN up ON c.id = up.parent_id WHERE up.n < {limit}) \
         SELECT 1 AS found FROM up WHERE id = ?1 LIMIT 1",
        limit = MAX_DEPTH + 2
    );
    let row = first(&statement(db, &sql, &[Scalar::Text(root.into()), Scalar::Text(id.into())])?).await?;
    Ok(row.is_some())
}
