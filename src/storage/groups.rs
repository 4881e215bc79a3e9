//! SQL for groups and their members. Memberships go with a deleted group or customer through
//! ON DELETE CASCADE. The built-in All is no row: its member count is kept by migration 0012.
use std::collections::HashMap;

use worker::{D1Database, D1PreparedStatement};

use super::customers::text;
use super::d1::{all, first, read_each, read_one, Row};
use super::Scalar;
use super::{ids_json, statement, DbResult};
use crate::domain::group::{name_key, Group, GroupPatch, ListStart};

/// A stored group from a row of `COLUMNS`.
fn group(r: &Row) -> Group {
    Group {
        id: r.text("id"),
        name: r.text("name"),
        description: r.opt_text("description"),
        builtin: false,
        member_count: r.count("member_count"),
        created_at: Some(r.text("created_at")),
        updated_at: Some(r.text("updated_at")),
    }
}

/// `member_count` counts members that are not soft-deleted, like the default customer list.
const COLUMNS: &str = "g.id, g.name, g.description, g.created_at, g.updated_at, \
    (SELECT count(*) FROM group_members gm JOIN customers c ON c.id = gm.customer_id \
     WHERE gm.group_id = g.id AND c.deleted_at IS NULL) AS member_count";

fn flag(b: bool) -> Scalar {
    Scalar::Int(b as i64)
}

/// Up to `limit` stored groups by name from `start`, each with its sort key for the next
/// cursor. `lower(name)` is unique (the `groups_name` index), so it alone orders the groups and
/// a page walks that index from the cursor on.
pub async fn page(db: &D1Database, start: &ListStart, limit: usize) -> DbResult<Vec<(Group, String)>> {
    let (after, key) = match start {
        ListStart::After { key, .. } => ("WHERE lower(g.name) > ?1", Scalar::Text(key.clone())),
        _ => ("", Scalar::Null),
    };
    let sql = format!("SELECT {COLUMNS}, lower(g.name) AS sort_key FROM groups g {after} ORDER BY lower(g.name) LIMIT ?2");
    let rows = all(&statement(db, &sql, &[key, Scalar::Int(limit as i64)])?).await?;
    read_each(rows, |r| (group(r), r.opt_text("sort_key").unwrap_or_default()))
}

/// How many customers are live: the members of All, counted by migration 0012's triggers.
pub async fn live_customers(db: &D1Database) -> DbResult<u64> {
    let row = first(&statement(db, "SELECT live FROM customer_counts WHERE id = 1", &[])?).await?;
    Ok(read_one(row, |r| r.count("live"))?.unwrap_or(0))
}

pub async fn get(db: &D1Database, id: &str) -> DbResult<Option<Group>> {
    let sql = format!("SELECT {COLUMNS} FROM groups g WHERE g.id = ?1");
    read_one(first(&statement(db, &sql, &[Scalar::Text(id.into())])?).await?, group)
}

pub fn insert_statement(db: &D1Database, g: &Group) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "INSERT INTO groups (id, name, description, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        &[
            Scalar::Text(g.id.clone()),
            Scalar::Text(g.name.clone()),
            text(&g.description),
            text(&g.created_at),
            text(&g.updated_at),
        ],
    )
}

/// Writes only the fields the patch holds, so concurrent changes to other fields survive.
pub fn update_statement(db: &D1Database, id: &str, change: &GroupPatch, now: &str) -> DbResult<D1PreparedStatement> {
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
pub fn delete_statement(db: &D1Database, id: &str) -> DbResult<D1PreparedStatement> {
    statement(db, "DELETE FROM groups WHERE id = ?1", &[Scalar::Text(id.into())])
}

/// Adds the live customers among `ids` that are not members yet; changes() is the number added.
/// Guarded on the group still existing, so a concurrent delete adds nothing.
pub fn add_members_statement(db: &D1Database, group_id: &str, ids: &[String], now: &str) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "INSERT OR IGNORE INTO group_members (group_id, customer_id, added_at) \
         SELECT ?1, c.id, ?2 FROM customers c \
         WHERE c.id IN (SELECT value FROM json_each(?3)) AND c.deleted_at IS NULL \
         AND EXISTS (SELECT 1 FROM groups WHERE id = ?1)",
        &[Scalar::Text(group_id.into()), Scalar::Text(now.into()), ids_json(ids)],
    )
}

/// Which of `ids` stored groups have.
pub async fn existing_ids(db: &D1Database, ids: &[String]) -> DbResult<Vec<String>> {
    let rows =
        all(&statement(db, "SELECT id FROM groups WHERE id IN (SELECT value FROM json_each(?1))", &[ids_json(ids)])?).await?;
    read_each(rows, |r| r.text("id"))
}

/// The names of the stored groups among `ids`, by id (a CSV export's `groups` column).
pub async fn names_by_id(db: &D1Database, ids: &[String]) -> DbResult<HashMap<String, String>> {
    let sql = "SELECT id, name FROM groups WHERE id IN (SELECT value FROM json_each(?1))";
    let rows = all(&statement(db, sql, &[ids_json(ids)])?).await?;
    Ok(read_each(rows, |r| (r.text("id"), r.text("name")))?.into_iter().collect())
}

/// The stored groups `names` name, as `group::name_key` of the name -> the group's id. Matched
/// by the `groups_name` index's own `lower()`, so a name finds the group its uniqueness guards.
pub async fn ids_by_name(db: &D1Database, names: &[String]) -> DbResult<HashMap<String, String>> {
    let mut out = HashMap::new();
    // Names are at most 100 characters: a chunk stays far under D1's 2 MB per bound value.
    for chunk in names.chunks(2_000) {
        let sql = "SELECT j.value AS asked, g.id FROM json_each(?1) j JOIN groups g ON lower(g.name) = lower(j.value)";
        for row in all(&statement(db, sql, &[ids_json(chunk)])?).await? {
            let (asked, id) = row.read(|r| (r.text("asked"), r.text("id")))?;
            out.insert(name_key(&asked), id);
        }
    }
    Ok(out)
}

/// The memberships of a customer being created, for the batch that inserts it (after the
/// insert): none when `group_ids` is empty. A group deleted meanwhile fails the batch on its
/// foreign key, so the customer is never created without a group it was promised.
pub fn join_new_customer_statement(
    db: &D1Database,
    customer_id: &str,
    group_ids: &[String],
    now: &str,
) -> DbResult<Option<D1PreparedStatement>> {
    if group_ids.is_empty() {
        return Ok(None);
    }
    statement(
        db,
        "INSERT INTO group_members (group_id, customer_id, added_at) SELECT value, ?1, ?2 FROM json_each(?3)",
        &[Scalar::Text(customer_id.into()), Scalar::Text(now.into()), ids_json(group_ids)],
    )
    .map(Some)
}

/// Removes the memberships of `ids` in the group; changes() is the number removed.
pub fn remove_members_statement(db: &D1Database, group_id: &str, ids: &[String]) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "DELETE FROM group_members WHERE group_id = ?1 AND customer_id IN (SELECT value FROM json_each(?2))",
        &[Scalar::Text(group_id.into()), ids_json(ids)],
    )
}
