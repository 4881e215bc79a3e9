//! SQL for CSV import: one lookup of the file's emails and few large writes. Rows travel as one
//! JSON parameter read with `json_each`, which sidesteps D1's 100-parameter limit.
use std::collections::HashMap;

use serde::Serialize;
use serde_json::{Map, Value};
use worker::{D1Database, D1PreparedStatement};

use super::customers::derived_handle;
use super::d1::{all, StatementResult};
use super::Scalar;
use super::{ids_json, statement, DbError, DbResult};
use crate::domain::customer::CustomerFields;
use crate::domain::email::Email;
use crate::domain::handle::Handle;
use crate::domain::import::{Existing, RowGroups};
use crate::domain::json;

/// D1 takes at most 2 MB per bound value; stay well under it.
const MAX_CHUNK_BYTES: usize = 1_500_000;

/// The live customers whose normalised email is in `emails`, as the import plan needs them.
pub async fn live_by_email(db: &D1Database, emails: &[String]) -> DbResult<HashMap<String, Existing>> {
    let mut out = HashMap::new();
    for chunk in emails.chunks(20_000) {
        let rows = all(&statement(
            db,
            "SELECT id, email_normalized, name, email, phone, company, notes, attributes, \
             (SELECT json_group_array(gm.group_id) FROM group_members gm WHERE gm.customer_id = customers.id) AS group_ids \
             FROM customers WHERE deleted_at IS NULL AND email_normalized IN (SELECT value FROM json_each(?1))",
            &[ids_json(chunk)],
        )?)
        .await?;
        for row in rows {
            let (email_normalized, existing) = row.read(|r| {
                let fields = CustomerFields {
                    name: r.opt_text("name"),
                    email: r.opt_text("email").and_then(|e| Email::parse(&e).ok()),
                    phone: r.opt_text("phone"),
                    company: r.opt_text("company"),
                    notes: r.opt_text("notes"),
                    attributes: json::object(&r.text("attributes")),
                };
                let group_ids = json::strings(&r.text("group_ids"));
                (r.text("email_normalized"), Existing { id: r.text("id"), fields, group_ids })
            })?;
            out.insert(email_normalized, existing);
        }
    }
    Ok(out)
}

/// One row as `INSERT_MANY`, `UPDATE_MANY`, `MEMBERS_MANY` and `AUDIT_MANY` read it: a JSON
/// array, positions as in their `value ->> n`. Arrays rather than objects: a third smaller, and
/// no key to look up per cell. Positions 8 and 9 are the row's audit entry (its id and the names
/// of changed fields), 10 and 11 its groups (stored ones by id, created ones by name), 12 the
/// stem of the handle its name gives.
#[derive(Serialize)]
struct RowJson<'a>(
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    Option<String>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    &'a Map<String, Value>,
    &'a str,
    &'a [&'a str],
    &'a [String],
    &'a [String],
    Option<Handle>,
);

/// A row to write: the customer's id, its cells, its groups, its audit entry's id and changed
/// fields.
pub struct RowWrite<'a> {
    pub id: &'a str,
    pub fields: &'a CustomerFields,
    pub groups: &'a RowGroups,
    pub audit_id: &'a str,
    pub changed: &'a [&'static str],
}

fn row_json<'a>(w: &RowWrite<'a>) -> RowJson<'a> {
    let f = w.fields;
    RowJson(
        w.id,
        f.name.as_deref(),
        f.email.as_ref().map(|e| e.as_str()),
        f.email.as_ref().map(|e| e.normalized()),
        f.phone.as_deref(),
        f.company.as_deref(),
        f.notes.as_deref(),
        &f.attributes,
        w.audit_id,
        w.changed,
        &w.groups.ids,
        &w.groups.new,
        f.name.as_deref().and_then(Handle::stem),
    )
}

impl From<serde_json::Error> for DbError {
    fn from(e: serde_json::Error) -> Self {
        DbError(format!("import rows: {e}"))
    }
}

/// Writes rows into JSON arrays each under the bound-value limit, handing each to `each` as soon
/// as it is closed, so only one chunk's text is held at a time.
fn chunks<T: Serialize, E: From<serde_json::Error>>(
    rows: impl Iterator<Item = T>,
    mut each: impl FnMut(String) -> Result<(), E>,
) -> Result<(), E> {
    let mut current = Vec::new();
    let mut row = Vec::new();
    for r in rows {
        row.clear();
        serde_json::to_writer(&mut row, &r)?;
        if current.len() + row.len() + 2 > MAX_CHUNK_BYTES && !current.is_empty() {
            each(close(std::mem::take(&mut current)))?;
        }
        current.push(if current.is_empty() { b'[' } else { b',' });
        current.extend_from_slice(&row);
    }
    if !current.is_empty() {
        each(close(current))?;
    }
    Ok(())
}

fn close(mut array: Vec<u8>) -> String {
    array.push(b']');
    // Only serde_json wrote these bytes, and it writes UTF-8.
    String::from_utf8(array).unwrap_or_default()
}

/// The rows of one chunk, each with its place among the chunk's rows of the same handle stem, so
/// that rows named alike get different numbers (`customers::derived_handle`).
const CHUNK_ROWS: &str = "SELECT value, value ->> 0 AS id, value ->> 12 AS stem, \
    row_number() OVER (PARTITION BY value ->> 12 ORDER BY key) AS rank FROM json_each(?1)";

fn insert_many_sql() -> String {
    format!(
        "INSERT INTO customers (id, name, email, email_normalized, phone, company, notes, attributes, \
         kind, source, created_at, updated_at, handle, version) \
         SELECT j.id, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, value ->> 7, \
                'registered', 'import', ?2, ?2, {}, 1 \
         FROM ({CHUNK_ROWS}) AS j",
        derived_handle("j.stem", "j.rank", "j.id")
    )
}

/// Non-empty cells overwrite, empty ones keep what is stored; attributes are merged. A customer
/// without a handle gets one when the row gives it a name. A row that only adds groups leaves
/// the customer's row (and its version) alone, as the members endpoint does.
fn update_many_sql() -> String {
    format!(
        "UPDATE customers SET \
      name = coalesce(j.name, customers.name), email = coalesce(j.email, customers.email), \
      phone = coalesce(j.phone, customers.phone), company = coalesce(j.company, customers.company), \
      notes = coalesce(j.notes, customers.notes), attributes = json_patch(customers.attributes, j.attributes), \
      handle = coalesce(customers.handle, {}), \
      updated_at = ?2, version = customers.version + 1 \
    FROM (SELECT id, stem, rank, value ->> 1 AS name, value ->> 2 AS email, value ->> 4 AS phone, \
                 value ->> 5 AS company, value ->> 6 AS notes, value ->> 7 AS attributes, value -> 9 AS changed \
          FROM ({CHUNK_ROWS})) AS j \
    WHERE customers.id = j.id AND customers.deleted_at IS NULL \
      AND EXISTS (SELECT 1 FROM json_each(j.changed) WHERE value <> 'group_ids')",
        derived_handle("j.stem", "j.rank", "customers.id")
    )
}

/// Each row's memberships, after its write: stored groups by id (one deleted meanwhile fails the
/// batch on its foreign key), created ones by name, found whoever created them (`groups_many`
/// ran first in the batch, so every name has its group). Only live customers join; a membership
/// that exists already stays as it is (an upsert only adds).
const MEMBERS_MANY: &str = "INSERT INTO group_members (group_id, customer_id, added_at) \
    SELECT m.group_id, m.customer_id, ?2 FROM ( \
      SELECT g.value AS group_id, r.value ->> 0 AS customer_id FROM json_each(?1) r, json_each(r.value -> 10) g \
      UNION ALL \
      SELECT (SELECT id FROM groups WHERE lower(name) = lower(n.value)), r.value ->> 0 \
      FROM json_each(?1) r, json_each(r.value -> 11) n) m \
    WHERE EXISTS (SELECT 1 FROM customers c WHERE c.id = m.customer_id AND c.deleted_at IS NULL) \
    ON CONFLICT (group_id, customer_id) DO NOTHING";

/// Each row's own audit entry, read from the same JSON as its write: `?2` time, `?3` actor,
/// `?4` action, `?5` request id, `?6` details. A row that named groups records the groups its
/// customer is in once the batch's memberships are written (ids, no names).
const AUDIT_MANY: &str =
    "INSERT INTO audit_log (id, at, actor, action, target_type, target_id, request_id, changed_fields, details) \
    SELECT value ->> 8, ?2, ?3, ?4, 'customer', value ->> 0, ?5, value -> 9, \
      CASE WHEN json_array_length(value -> 10) + json_array_length(value -> 11) > 0 \
        THEN json_object('via', 'import', 'group_ids', \
          json((SELECT json_group_array(gm.group_id) FROM group_members gm WHERE gm.customer_id = value ->> 0))) \
        ELSE ?6 END \
    FROM json_each(?1)";

/// The groups an import creates, from a JSON array of `[id, name, audit id]`: a name some group
/// took meanwhile (another request, in any case) is left to that group, which the rows then join.
/// Returns the names of the groups it created.
const GROUPS_MANY: &str = "INSERT OR IGNORE INTO groups (id, name, description, created_at, updated_at) \
    SELECT value ->> 0, value ->> 1, NULL, ?2, ?2 FROM json_each(?1) RETURNING name";

/// A `group.create` audit row for each group `GROUPS_MANY` did create: `?2` time, `?3` actor,
/// `?4` request id.
const GROUPS_AUDIT_MANY: &str =
    "INSERT INTO audit_log (id, at, actor, action, target_type, target_id, request_id, changed_fields, details) \
    SELECT j.value ->> 2, ?2, ?3, 'group.create', 'group', j.value ->> 0, ?4, '[\"name\"]', '{\"via\":\"import\"}' \
    FROM json_each(?1) j WHERE EXISTS (SELECT 1 FROM groups g WHERE g.id = j.value ->> 0)";

/// Who writes, for the audit rows of an import.
pub struct Writer<'a> {
    pub actor: &'a str,
    pub request_id: &'a str,
    pub now: &'a str,
}

/// The statements that write `rows` with `sql` and audit each of them as `action`: per chunk of
/// rows, the write, the memberships (when some row names groups) and then its audit rows, all
/// meant for one batch.
fn many_statements<'a>(
    db: &D1Database,
    sql: &str,
    action: &str,
    rows: impl Iterator<Item = RowWrite<'a>>,
    by: &Writer,
) -> DbResult<Vec<D1PreparedStatement>> {
    let rows: Vec<RowWrite> = rows.collect();
    let grouped = rows.iter().any(|r| !r.groups.is_empty());
    let details = Scalar::Text(r#"{"via":"import"}"#.into());
    let mut out = Vec::new();
    // Each chunk is bound (copied to the JS side) as soon as it is written, then dropped here.
    chunks(rows.iter().map(row_json), |c| {
        let rows = Scalar::Text(c);
        out.push(statement(db, sql, &[rows.clone(), Scalar::Text(by.now.into())])?);
        if grouped {
            out.push(statement(db, MEMBERS_MANY, &[rows.clone(), Scalar::Text(by.now.into())])?);
        }
        out.push(statement(
            db,
            AUDIT_MANY,
            &[
                rows,
                Scalar::Text(by.now.into()),
                Scalar::Text(by.actor.into()),
                Scalar::Text(action.into()),
                Scalar::Text(by.request_id.into()),
                details.clone(),
            ],
        )?);
        Ok::<(), DbError>(())
    })?;
    Ok(out)
}

pub fn insert_statements<'a>(
    db: &D1Database,
    rows: impl Iterator<Item = RowWrite<'a>>,
    by: &Writer,
) -> DbResult<Vec<D1PreparedStatement>> {
    many_statements(db, &insert_many_sql(), "customer.create", rows, by)
}

pub fn update_statements<'a>(
    db: &D1Database,
    rows: impl Iterator<Item = RowWrite<'a>>,
    by: &Writer,
) -> DbResult<Vec<D1PreparedStatement>> {
    many_statements(db, &update_many_sql(), "customer.update", rows, by)
}

/// A group the import creates: its id, its name and its audit entry's id.
#[derive(Serialize)]
pub struct NewGroupRow<'a>(pub &'a str, pub &'a str, pub &'a str);

/// The statements that create `groups` and audit each created one, to run first in the
/// import's batch; the first answers the names it created (see `created_group_names`).
pub fn create_groups_statement(db: &D1Database, groups: &[NewGroupRow], by: &Writer) -> DbResult<Vec<D1PreparedStatement>> {
    let mut out = Vec::new();
    chunks(groups.iter(), |c| {
        let rows = Scalar::Text(c);
        out.push(statement(db, GROUPS_MANY, &[rows.clone(), Scalar::Text(by.now.into())])?);
        out.push(statement(
            db,
            GROUPS_AUDIT_MANY,
            &[rows, Scalar::Text(by.now.into()), Scalar::Text(by.actor.into()), Scalar::Text(by.request_id.into())],
        )?);
        Ok::<(), DbError>(())
    })?;
    Ok(out)
}

/// The names the `create_groups` statements created, from their results in the batch (the
/// first `2 * chunks` results, every other one).
pub fn created_group_names(results: &[StatementResult], statements: usize) -> Vec<String> {
    let rows = results.iter().take(statements).step_by(2).flat_map(StatementResult::rows);
    rows.filter_map(|r| r.read(|r| r.text("name")).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rows_are_split_under_the_value_limit_and_stay_valid_json() {
        let big = "x".repeat(1000);
        let mut parts = Vec::new();
        chunks((0..3000).map(|i| json!({ "i": i, "pad": big })), |c| {
            parts.push(c);
            Ok::<(), serde_json::Error>(())
        })
        .unwrap();
        assert!(parts.len() >= 2);
        let mut total = 0;
        for p in &parts {
            assert!(p.len() <= MAX_CHUNK_BYTES);
            total += serde_json::from_str::<Vec<Value>>(p).unwrap().len();
        }
        assert_eq!(total, 3000);
    }

    #[test]
    fn a_row_is_an_array_in_the_order_the_statements_read_it() {
        let fields = CustomerFields {
            name: Some("Ada".into()),
            email: Some(crate::domain::email::Email::parse("Ada@Example.com").unwrap()),
            ..Default::default()
        };
        let changed = ["name", "email", "group_ids"];
        let groups = RowGroups { ids: vec!["g1".into()], new: vec!["New".into()] };
        let row = serde_json::to_value(row_json(&RowWrite {
            id: "id-1",
            fields: &fields,
            groups: &groups,
            audit_id: "a-1",
            changed: &changed,
        }))
        .unwrap();
        assert_eq!(
            row,
            json!([
                "id-1",
                "Ada",
                "Ada@Example.com",
                "ada@example.com",
                null,
                null,
                null,
                {},
                "a-1",
                ["name", "email", "group_ids"],
                ["g1"],
                ["New"],
                "ada"
            ])
        );
    }

    #[test]
    fn no_rows_make_no_statements() {
        let mut parts = 0;
        chunks(std::iter::empty::<Value>(), |_| {
            parts += 1;
            Ok::<(), serde_json::Error>(())
        })
        .unwrap();
        assert_eq!(parts, 0);
    }
}
