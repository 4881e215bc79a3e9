//! SQL for API keys. Only the SHA-256 of a secret is stored; lookups go by that hash.
use serde::Serialize;
use worker::{D1Database, D1PreparedStatement};

use super::d1::{all, first, read_each, read_one, run, Row};
use super::Scalar;
use super::{statement, DbResult};
use crate::domain::admin::Role;
use crate::domain::json;
use crate::domain::permission::Permission;

#[derive(Debug, Serialize)]
pub struct KeyRow {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub permissions: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
    /// Who minted the key, as the audit log names actors; `None` for keys older than the column.
    pub created_by: Option<String>,
    /// The admin whose access the key rests on (see `migrations/0019`).
    pub admin_id: Option<String>,
}

impl KeyRow {
    /// The permissions the key holds; names no longer known are dropped rather than guessed.
    pub fn permissions(&self) -> Vec<Permission> {
        json::strings(&self.permissions).iter().filter_map(|n| Permission::parse(n)).collect()
    }
}

const COLUMNS: &str = "id, name, prefix, permissions, created_at, last_used_at, revoked_at, created_by, admin_id";

fn key(r: &Row) -> KeyRow {
    KeyRow {
        id: r.text("id"),
        name: r.text("name"),
        prefix: r.text("prefix"),
        permissions: r.text("permissions"),
        created_at: r.text("created_at"),
        last_used_at: r.opt_text("last_used_at"),
        revoked_at: r.opt_text("revoked_at"),
        created_by: r.opt_text("created_by"),
        admin_id: r.opt_text("admin_id"),
    }
}

pub fn insert_statement(db: &D1Database, row: &KeyRow, secret_hash: &str) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "INSERT INTO api_keys (id, name, prefix, secret_hash, permissions, created_at, created_by, admin_id) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        &[
            Scalar::Text(row.id.clone()),
            Scalar::Text(row.name.clone()),
            Scalar::Text(row.prefix.clone()),
            Scalar::Text(secret_hash.into()),
            Scalar::Text(row.permissions.clone()),
            Scalar::Text(row.created_at.clone()),
            row.created_by.clone().map_or(Scalar::Null, Scalar::Text),
            row.admin_id.clone().map_or(Scalar::Null, Scalar::Text),
        ],
    )
}

pub async fn list(db: &D1Database) -> DbResult<Vec<KeyRow>> {
    let rows = all(&statement(db, &format!("SELECT {COLUMNS} FROM api_keys ORDER BY created_at DESC, id DESC"), &[])?).await?;
    read_each(rows, key)
}

pub async fn get(db: &D1Database, id: &str) -> DbResult<Option<KeyRow>> {
    let sql = format!("SELECT {COLUMNS} FROM api_keys WHERE id = ?1");
    read_one(first(&statement(db, &sql, &[Scalar::Text(id.into())])?).await?, key)
}

/// How a key is named: by its secret's hash (a bearer token), or by its id (an Access service
/// token mapped to it).
#[derive(Debug, Clone, Copy)]
pub enum KeyLookup<'a> {
    SecretHash(&'a str),
    Id(&'a str),
}

/// The live key named so: not revoked, and, when it rests on an admin, that admin exists and is
/// enabled (a disabled admin's keys are suspended until they are enabled again). Beside it, that
/// admin's role now, which bounds what the key may do.
pub async fn find_live(db: &D1Database, lookup: KeyLookup<'_>) -> DbResult<Option<(KeyRow, Option<Role>)>> {
    let columns = COLUMNS.split(", ").map(|c| format!("k.{c}")).collect::<Vec<_>>().join(", ");
    let (column, value) = match lookup {
        KeyLookup::SecretHash(hash) => ("secret_hash", hash),
        KeyLookup::Id(id) => ("id", id),
    };
    let sql = format!(
        "SELECT {columns}, a.role AS admin_role FROM api_keys k LEFT JOIN admins a ON a.id = k.admin_id \
         WHERE k.{column} = ?1 AND k.revoked_at IS NULL AND (k.admin_id IS NULL OR a.disabled = 0)"
    );
    read_one(first(&statement(db, &sql, &[Scalar::Text(value.into())])?).await?, |r| {
        (key(r), r.opt_text("admin_role").and_then(|role| Role::parse(&role)))
    })
}

/// Records use at most once a minute per key, so reads do not each cost a write.
pub async fn touch(db: &D1Database, id: &str, now: &str, stale_before: &str) -> DbResult<()> {
    run(&statement(
        db,
        "UPDATE api_keys SET last_used_at = ?1 WHERE id = ?2 AND (last_used_at IS NULL OR last_used_at < ?3)",
        &[Scalar::Text(now.into()), Scalar::Text(id.into()), Scalar::Text(stale_before.into())],
    )?)
    .await?;
    Ok(())
}

pub fn revoke_statement(db: &D1Database, id: &str, now: &str) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "UPDATE api_keys SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL",
        &[Scalar::Text(now.into()), Scalar::Text(id.into())],
    )
}
