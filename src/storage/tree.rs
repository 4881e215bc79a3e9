//! SQL for the customer tree (sub-customers) and the own company. Walks are recursive CTEs
//! bounded a few levels past `MAX_DEPTH`, so even a tree that broke the rules could not loop.
use worker::{D1Database, D1PreparedStatement};

use super::customer_sql::CUSTOMER_COLUMNS;
use super::customers::{customer, derived_handle};
use super::d1::{all, batch, first, read_each, read_one, Row};
use super::Scalar;
use super::{ids_json, statement, DbResult};
use crate::domain::customer::Customer;
use crate::domain::hierarchy::{Ancestor, Lineage, MAX_DEPTH};

/// Walks stop here: deeper than any valid tree.
const WALK_LIMIT: usize = MAX_DEPTH + 2;

fn ancestors_sql() -> String {
    format!(
        "WITH RECURSIVE up(id, parent_id, live, n) AS ( \
           SELECT id, parent_id, deleted_at IS NULL, 1 FROM customers WHERE id = ?1 \
           UNION ALL SELECT c.id, c.parent_id, c.deleted_at IS NULL, up.n + 1 \
           FROM customers c JOIN up ON c.id = up.parent_id WHERE up.n < {WALK_LIMIT}) \
         SELECT id, live FROM up ORDER BY n"
    )
}

fn height_sql() -> String {
    format!(
        "WITH RECURSIVE down(id, n) AS (SELECT ?1, 0 \
           UNION ALL SELECT c.id, down.n + 1 FROM customers c JOIN down ON c.parent_id = down.id WHERE down.n < {WALK_LIMIT}) \
         SELECT max(n) AS height FROM down"
    )
}

/// What the rules need to place `customer` (None: a new one) under `parent_id`: the parent's
/// chain upwards, and how many levels the customer's own subtree (deleted members too, which a
/// restore could bring back) goes down. One round trip.
pub async fn lineage(db: &D1Database, parent_id: &str, customer: Option<&str>) -> DbResult<Lineage> {
    let mut statements = vec![statement(db, &ancestors_sql(), &[Scalar::Text(parent_id.into())])?];
    if let Some(me) = customer {
        statements.push(statement(db, &height_sql(), &[Scalar::Text(me.into())])?);
    }
    let results = batch(db, statements).await?;
    let ancestors = match results.first() {
        Some(r) => read_each(r.rows(), |u| Ancestor { id: u.text("id"), live: u.flag("live") })?,
        None => vec![],
    };
    let height = read_one(results.get(1).and_then(|r| r.rows().pop()), |h| h.opt_number("height"))?.flatten();
    Ok(Lineage { ancestors, height: height.unwrap_or(0.0) as usize })
}

/// One customer of a subtree: how far below the root it is and whether it is soft-deleted.
#[derive(Debug, Clone)]
pub struct Member {
    pub id: String,
    pub parent_id: Option<String>,
    pub depth: f64,
    pub deleted_at: Option<String>,
    pub own_company: f64,
}

fn member(r: &Row) -> Member {
    Member {
        id: r.text("id"),
        parent_id: r.opt_text("parent_id"),
        depth: r.number("depth"),
        deleted_at: r.opt_text("deleted_at"),
        own_company: r.number("own_company"),
    }
}

/// The subtrees of `roots`, the roots included (depth 0), at most `limit` customers: the caller
/// asks for one more than it accepts, to know when a subtree is too large.
pub async fn subtree(db: &D1Database, roots: &[String], limit: usize) -> DbResult<Vec<Member>> {
    let sql = format!(
        "WITH RECURSIVE down(id, n) AS (SELECT value, 0 FROM json_each(?1) \
           UNION ALL SELECT c.id, down.n + 1 FROM customers c JOIN down ON c.parent_id = down.id WHERE down.n < {WALK_LIMIT}) \
         SELECT DISTINCT d.id, c.parent_id, d.n AS depth, c.deleted_at, c.own_company FROM down d JOIN customers c ON c.id = d.id ORDER BY d.n LIMIT ?2"
    );
    read_each(all(&statement(db, &sql, &[ids_json(roots), Scalar::Int(limit as i64)])?).await?, member)
}

/// The last statement of a batch that soft-deletes `ids`: fails the batch if any of them still
/// has a live sub-customer, one created after the caller read the tree (migrations/0017).
pub fn no_live_child_left_statement(db: &D1Database, ids: &[String]) -> DbResult<D1PreparedStatement> {
    statement(db, "INSERT INTO subtree_checks (ids) VALUES (?1)", &[ids_json(ids)])
}

/// Which of the live customers `ids` have a live sub-customer outside `ids`: deleting them alone
/// would leave that sub-customer under a deleted parent.
pub async fn with_children_outside(db: &D1Database, ids: &[String]) -> DbResult<Vec<String>> {
    let sql = "SELECT DISTINCT k.parent_id FROM customers k WHERE k.parent_id IN (SELECT value FROM json_each(?1)) \
         AND k.deleted_at IS NULL AND k.id NOT IN (SELECT value FROM json_each(?1))";
    read_each(all(&statement(db, sql, &[ids_json(ids)])?).await?, |r| r.text("parent_id"))
}

/// Restores the customers `ids` (one level of a subtree: run the levels parent first, so each
/// finds its parent live). A handle another live customer took meanwhile gets the next number.
pub fn restore_many_statement(db: &D1Database, ids: &[String], now: &str) -> DbResult<D1PreparedStatement> {
    let handle = derived_handle("customers.handle", "1", "customers.id");
    statement(
        db,
        &format!(
            "UPDATE customers SET deleted_at = NULL, handle = {handle}, updated_at = ?1, version = version + 1 \
             WHERE id IN (SELECT value FROM json_each(?2)) AND deleted_at IS NOT NULL"
        ),
        &[Scalar::Text(now.into()), ids_json(ids)],
    )
}

/// The own company, if one is marked.
pub async fn own_company(db: &D1Database) -> DbResult<Option<Customer>> {
    let sql = format!("SELECT {CUSTOMER_COLUMNS} FROM customers c WHERE c.own_company = 1");
    read_one(first(&statement(db, &sql, &[])?).await?, customer)
}

/// Unmarks the current own company other than `id` (if any); run before `mark_own_company`.
pub fn unmark_own_company_statement(db: &D1Database, except: Option<&str>, now: &str) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "UPDATE customers SET own_company = 0, updated_at = ?1, version = version + 1 WHERE own_company = 1 AND id IS NOT ?2",
        &[Scalar::Text(now.into()), except.map(|e| Scalar::Text(e.into())).unwrap_or(Scalar::Null)],
    )
}

/// Marks the live customer `id` as the own company; changes nothing if it already is one.
pub fn mark_own_company_statement(db: &D1Database, id: &str, now: &str) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "UPDATE customers SET own_company = 1, updated_at = ?1, version = version + 1 \
         WHERE id = ?2 AND deleted_at IS NULL AND own_company = 0",
        &[Scalar::Text(now.into()), Scalar::Text(id.into())],
    )
}

/// Orphans left by a subtree force-deleted while a sub-customer was being added under it move to
/// the top level rather than point at nothing.
pub fn detach_children_of_statement(db: &D1Database, ids: &[String]) -> DbResult<D1PreparedStatement> {
    statement(db, "UPDATE customers SET parent_id = NULL WHERE parent_id IN (SELECT value FROM json_each(?1))", &[ids_json(ids)])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The database's own check of every write (migration 0018) holds the same limit as the
    /// rules here: SQL cannot read the constant.
    #[test]
    fn the_tree_triggers_hold_max_depth() {
        let sql = include_str!("../../migrations/0018_tree_and_merge_guards.sql");
        assert_eq!(sql.matches(&format!("> {MAX_DEPTH};")).count(), 2, "{sql}");
        assert_eq!(sql.matches(&format!("at most {MAX_DEPTH} levels")).count(), 3);
        assert_eq!(sql.matches(&format!("up.n < {WALK_LIMIT})")).count(), 3);
        assert_eq!(sql.matches(&format!("down.n < {WALK_LIMIT})")).count(), 1);
    }

    #[test]
    fn walks_are_bounded() {
        assert!(ancestors_sql().contains(&format!("up.n < {WALK_LIMIT}")));
        assert!(height_sql().contains(&format!("down.n < {WALK_LIMIT}")));
    }
}
