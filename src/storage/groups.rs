//! SQL for groups and their members. Memberships go with a deleted group or customer through
//! ON DELETE CASCADE.
use serde::Deserialize;
use worker::{D1Database, D1PreparedStatement};

use super::customers::text;
use super::query::Scalar;
use super::{statement, DbResult};
use crate::domain::group::{Group, GroupPatch};

#[derive(Debug, Deserialize)]
struct Row {
    id: String,
    name: String,
    description: Option<String>,
    member_count: f64,
    created_at: String,
    updated_at: String,
}

impl Row {
    fn into_group(self) -> Group {
        Group {
            id: self.id,
            name: self.name,
            description: self.description,
            member_count: self.member_count as u64,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// `member_count` counts members that are not soft-deleted, like the default customer list.
const COLUMNS: &str = "g.id, g.name, g.description, g.created_at, g.updated_at, \
    (SELECT count(*) FROM group_members gm JOIN customers c ON c.id = gm.customer_id \
     WHERE gm.group_id = g.id AND c.deleted_at IS NULL) AS member_count";

fn ids_json(ids: &[String]) -> Scalar {
    Scalar::Text(serde_json::to_string(ids).unwrap_or_else(|_| "[]".into()))
}

fn flag(b: bool) -> Scalar {
    Scalar::Int(b as i64)
}

/// Every group, by name.
pub async fn list(db: &D1Database) -> DbResult<Vec<Group>> {
    let sql = format!("SELECT {COLUMNS} FROM groups g ORDER BY lower(g.name), g.id");
    let rows = statement(db, &sql, &[])?.all().await?.results::<Row>()?;
    Ok(rows.into_iter().map(Row::into_group).collect())
}

pub async fn get(db: &D1Database, id: &str) -> DbResult<Option<Group>> {
    let sql = format!("SELECT {COLUMNS} FROM groups g WHERE g.id = ?1");
    let row: Option<Row> = statement(db, &sql, &[Scalar::Text(id.into())])?.first(None).await?;
    Ok(row.map(Row::into_group))
}

pub fn insert(db: &D1Database, g: &Group) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "INSERT INTO groups (id, name, description, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        &[
            Scalar::Text(g.id.clone()),
            Scalar::Text(g.name.clone()),
            text(&g.description),
            Scalar::Text(g.created_at.clone()),
            Scalar::Text(g.updated_at.clone()),
        ],
    )
}

/// Writes only the fields the patch holds, so concurrent changes to other fields survive.
pub fn update(db: &D1Database, id: &str, change: &GroupPatch, now: &str) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "UPDATE groups SET name = CASE WHEN ?1 THEN ?2 ELSE name END, \
         description = CASE WHEN ?3 THEN ?4 ELSE description END, updated_at = ?5 WHERE id = ?6",
        &[
            flag(change.name.is_some()),
            text(&change.name),
            flag(change.description.is_some()),
            text(&change.description.clone().flatten()),
            Scalar::Text(now.into()),
            Scalar::Text(id.into()),
        ],
    )
}

/// Deletes the group; its memberships cascade, its customers stay.
pub fn delete(db: &D1Database, id: &str) -> DbResult<D1PreparedStatement> {
    statement(db, "DELETE FROM groups WHERE id = ?1", &[Scalar::Text(id.into())])
}

/// Adds the live customers among `ids` that are not members yet; changes() is the number added.
/// Guarded on the group still existing, so a concurrent delete adds nothing.
pub fn add_members(db: &D1Database, group_id: &str, ids: &[String], now: &str) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "INSERT OR IGNORE INTO group_members (group_id, customer_id, added_at) \
         SELECT ?1, c.id, ?2 FROM customers c \
         WHERE c.id IN (SELECT value FROM json_each(?3)) AND c.deleted_at IS NULL \
         AND EXISTS (SELECT 1 FROM groups WHERE id = ?1)",
        &[Scalar::Text(group_id.into()), Scalar::Text(now.into()), ids_json(ids)],
    )
}

/// Removes the memberships of `ids` in the group; changes() is the number removed.
pub fn remove_members(db: &D1Database, group_id: &str, ids: &[String]) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "DELETE FROM group_members WHERE group_id = ?1 AND customer_id IN (SELECT value FROM json_each(?2))",
        &[Scalar::Text(group_id.into()), ids_json(ids)],
    )
}
