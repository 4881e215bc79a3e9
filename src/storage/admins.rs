//! SQL for admins. The last enabled owner is protected in the statements themselves, so two
//! owners demoting each other at the same moment cannot leave none.
use worker::{D1Database, D1PreparedStatement};

use super::d1::{all, first, read_each, read_one, run, Row};
use super::Scalar;
use super::{statement, DbResult};
use crate::domain::admin::{Admin, AdminPatch, Role};

/// An admin from a row of `COLUMNS`.
fn admin(r: &Row) -> Admin {
    Admin {
        id: r.text("id"),
        email: r.text("email"),
        role: r.parsed("role", Role::parse).unwrap_or(Role::Viewer),
        disabled: r.flag("disabled"),
        created_at: r.text("created_at"),
        last_seen_at: r.opt_text("last_seen_at"),
    }
}

const COLUMNS: &str = "id, email, role, disabled, created_at, last_seen_at";

/// True while another enabled owner than `?id` exists: the guard of every change that could
/// take away the last one.
const ANOTHER_OWNER: &str = "EXISTS (SELECT 1 FROM admins o WHERE o.role = 'owner' AND o.disabled = 0 AND o.id <> admins.id)";

pub async fn list(db: &D1Database) -> DbResult<Vec<Admin>> {
    let rows = all(&statement(db, &format!("SELECT {COLUMNS} FROM admins ORDER BY email_normalized"), &[])?).await?;
    read_each(rows, admin)
}

pub async fn get(db: &D1Database, id: &str) -> DbResult<Option<Admin>> {
    let sql = format!("SELECT {COLUMNS} FROM admins WHERE id = ?1");
    read_one(first(&statement(db, &sql, &[Scalar::Text(id.into())])?).await?, admin)
}

pub async fn by_email(db: &D1Database, email_normalized: &str) -> DbResult<Option<Admin>> {
    let sql = format!("SELECT {COLUMNS} FROM admins WHERE email_normalized = ?1");
    read_one(first(&statement(db, &sql, &[Scalar::Text(email_normalized.into())])?).await?, admin)
}

pub fn insert_statement(db: &D1Database, a: &Admin) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "INSERT INTO admins (id, email, email_normalized, role, disabled, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        &[
            Scalar::Text(a.id.clone()),
            Scalar::Text(a.email.clone()),
            Scalar::Text(crate::domain::email::normalize_email(&a.email)),
            Scalar::Text(a.role.as_str().into()),
            Scalar::Int(a.disabled as i64),
            Scalar::Text(a.created_at.clone()),
        ],
    )
}

/// An owner named by `ADMIN_OWNERS` signing in for the first time: created only when no admin row
/// exists for the email and none ever did (`removed_admins`), so a removed owner stays removed.
pub fn insert_owner_if_missing_statement(db: &D1Database, id: &str, email: &str, now: &str) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "INSERT INTO admins (id, email, email_normalized, role, disabled, created_at) \
         SELECT ?1, ?2, ?2, 'owner', 0, ?3 \
         WHERE NOT EXISTS (SELECT 1 FROM removed_admins WHERE email_normalized = ?2) \
         ON CONFLICT (email_normalized) DO NOTHING",
        &[Scalar::Text(id.into()), Scalar::Text(email.into()), Scalar::Text(now.into())],
    )
}

/// Changes role and/or disabled; when that removes an enabled owner, only if another remains.
pub fn update_statement(db: &D1Database, id: &str, patch: &AdminPatch) -> DbResult<D1PreparedStatement> {
    let role = patch.role.map(|r| Scalar::Text(r.as_str().into())).unwrap_or(Scalar::Null);
    let disabled = patch.disabled.map(|d| Scalar::Int(d as i64)).unwrap_or(Scalar::Null);
    statement(
        db,
        &format!(
            "UPDATE admins SET role = coalesce(?1, role), disabled = coalesce(?2, disabled) WHERE id = ?3 \
             AND (NOT (role = 'owner' AND disabled = 0 AND (coalesce(?1, role) <> 'owner' OR coalesce(?2, disabled) = 1)) \
                  OR {ANOTHER_OWNER})"
        ),
        &[role, disabled, Scalar::Text(id.into())],
    )
}

/// Removes an admin, unless it is the last enabled owner.
pub fn delete_statement(db: &D1Database, id: &str) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        &format!("DELETE FROM admins WHERE id = ?1 AND (NOT (role = 'owner' AND disabled = 0) OR {ANOTHER_OWNER})"),
        &[Scalar::Text(id.into())],
    )
}

/// Marks a sign-in, at most once a minute per admin, so requests do not all write.
pub async fn touch(db: &D1Database, id: &str, now: &str, stale_before: &str) -> DbResult<()> {
    run(&statement(
        db,
        "UPDATE admins SET last_seen_at = ?1 WHERE id = ?2 AND (last_seen_at IS NULL OR last_seen_at < ?3)",
        &[Scalar::Text(now.into()), Scalar::Text(id.into()), Scalar::Text(stale_before.into())],
    )?)
    .await?;
    Ok(())
}
