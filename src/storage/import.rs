//! SQL for CSV import: lookups of the file's emails a window of rows at a time, and few large
//! writes. Rows travel as JSON chunks read with `json_each`, which sidesteps D1's 100-parameter
//! limit; each chunk is staged in `import_chunks` as soon as it is full (migration 0026), so the
//! worker holds one chunk at a time, and the import's one batch reads the chunks from there.
use std::collections::HashMap;

use serde::Serialize;
use serde_json::{Map, Value};
use worker::wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement};

use super::customers::derived_handle;
use super::d1::{all, run, StatementResult};
use super::Scalar;
use super::{ids_json, statement, DbError, DbResult};
use crate::domain::customer::CustomerFields;
use crate::domain::email::Email;
use crate::domain::handle::Handle;
use crate::domain::import::{Existing, RowGroups, Stored};
use crate::domain::json;

/// D1 takes at most 2 MB per bound value or row; stay well under it.
const MAX_CHUNK_BYTES: usize = 1_500_000;

/// The rows of the staged chunk `?1`, for `json_each`.
macro_rules! chunk {
    () => {
        "(SELECT rows FROM import_chunks WHERE id = ?1)"
    };
}

/// Stages one chunk: `?1` its id, `?2` its import's id, `?3` the time, `?4` its rows.
const STAGE: &str = "INSERT INTO import_chunks (id, import_id, created_at, rows) VALUES (?1, ?2, ?3, ?4)";

/// Deletes an import's chunks, and any an import an hour ago left behind (its isolate ended
/// before its batch): at the end of every import's batch, and after a batch that failed.
const UNSTAGE: &str = "DELETE FROM import_chunks \
    WHERE import_id = ?1 OR created_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 hour')";

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
                (r.text("email_normalized"), Existing { id: r.text("id"), stored: Stored::of(&fields), group_ids })
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

/// A chunk of rows being filled: a JSON array under the bound-value limit.
#[derive(Default)]
struct Chunk {
    json: Vec<u8>,
    /// Whether some row of the chunk names groups.
    grouped: bool,
}

impl Chunk {
    /// Appends `row` (one row's JSON). When the chunk has no room left for it, the chunk is
    /// closed first and its text handed to `close` (with `grouped`), whose answer is returned.
    fn push<T>(&mut self, row: &[u8], grouped: bool, close: impl FnOnce(&str, bool) -> T) -> Option<T> {
        let full = !self.json.is_empty() && self.json.len() + row.len() + 2 > MAX_CHUNK_BYTES;
        let closed = if full { self.close(close) } else { None };
        if self.json.is_empty() {
            // The whole chunk's room at once: growing by doubling would hold the old and the new
            // buffer together at each step.
            self.json.reserve_exact(MAX_CHUNK_BYTES.max(row.len() + 2));
            self.json.push(b'[');
        } else {
            self.json.push(b',');
        }
        self.json.extend_from_slice(row);
        self.grouped |= grouped;
        closed
    }

    /// Hands the chunk's text to `close` and empties it (keeping its room for the next one).
    fn close<T>(&mut self, close: impl FnOnce(&str, bool) -> T) -> Option<T> {
        if self.json.is_empty() {
            return None;
        }
        self.json.push(b']');
        // Only serde_json wrote these bytes, and it writes UTF-8.
        let closed = close(std::str::from_utf8(&self.json).unwrap_or("[]"), self.grouped);
        self.json.clear();
        self.grouped = false;
        Some(closed)
    }
}

/// The rows of one chunk, each with its place among the chunk's rows of the same handle stem, so
/// that rows named alike get different numbers (`customers::derived_handle`).
const CHUNK_ROWS: &str = concat!(
    "SELECT value, value ->> 0 AS id, value ->> 12 AS stem, \
     row_number() OVER (PARTITION BY value ->> 12 ORDER BY key) AS rank FROM json_each(",
    chunk!(),
    ")"
);

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
const MEMBERS_MANY: &str = concat!(
    "INSERT INTO group_members (group_id, customer_id, added_at) \
    SELECT m.group_id, m.customer_id, ?2 FROM ( \
      SELECT g.value AS group_id, r.value ->> 0 AS customer_id FROM json_each(",
    chunk!(),
    ") r, json_each(r.value -> 10) g \
      UNION ALL \
      SELECT (SELECT id FROM groups WHERE lower(name) = lower(n.value)), r.value ->> 0 \
      FROM json_each(",
    chunk!(),
    ") r, json_each(r.value -> 11) n) m \
    WHERE EXISTS (SELECT 1 FROM customers c WHERE c.id = m.customer_id AND c.deleted_at IS NULL) \
    ON CONFLICT (group_id, customer_id) DO NOTHING"
);

/// Each row's own audit entry, read from the same JSON as its write: `?2` time, `?3` actor,
/// `?4` action, `?5` request id, `?6` details. A row that named groups records the groups its
/// customer is in once the batch's memberships are written (ids, no names).
const AUDIT_MANY: &str = concat!(
    "INSERT INTO audit_log (id, at, actor, action, target_type, target_id, request_id, changed_fields, details) \
    SELECT value ->> 8, ?2, ?3, ?4, 'customer', value ->> 0, ?5, value -> 9, \
      CASE WHEN json_array_length(value -> 10) + json_array_length(value -> 11) > 0 \
        THEN json_object('via', 'import', 'group_ids', \
          json((SELECT json_group_array(gm.group_id) FROM group_members gm WHERE gm.customer_id = value ->> 0))) \
        ELSE ?6 END \
    FROM json_each(",
    chunk!(),
    ")"
);

/// The groups an import creates, from a JSON array of `[id, name, audit id]`: a name some group
/// took meanwhile (another request, in any case) is left to that group, which the rows then join.
/// Returns the names of the groups it created.
const GROUPS_MANY: &str = concat!(
    "INSERT OR IGNORE INTO groups (id, name, description, created_at, updated_at) \
    SELECT value ->> 0, value ->> 1, NULL, ?2, ?2 FROM json_each(",
    chunk!(),
    ") RETURNING name"
);

/// A `group.create` audit row for each group `GROUPS_MANY` did create: `?2` time, `?3` actor,
/// `?4` request id.
const GROUPS_AUDIT_MANY: &str = concat!(
    "INSERT INTO audit_log (id, at, actor, action, target_type, target_id, request_id, changed_fields, details) \
    SELECT j.value ->> 2, ?2, ?3, 'group.create', 'group', j.value ->> 0, ?4, '[\"name\"]', '{\"via\":\"import\"}' \
    FROM json_each(",
    chunk!(),
    ") j WHERE EXISTS (SELECT 1 FROM groups g WHERE g.id = j.value ->> 0)"
);

/// Who writes, for the audit rows of an import.
pub struct Writer<'a> {
    pub actor: &'a str,
    pub request_id: &'a str,
    pub now: &'a str,
}

/// What a staged chunk holds, in the order the batch writes them: the groups first (the rows
/// join them by name), then the created customers, then the updated ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Groups = 0,
    Creates = 1,
    Updates = 2,
}

/// The chunks staged so far, and what it takes to stage the next.
struct Staged<'a> {
    db: &'a D1Database,
    import_id: String,
    now: &'a str,
    /// Each staged chunk's kind and whether a row of it names groups; the chunk's id is
    /// `<import id>/<its place here>`.
    chunks: Vec<(Kind, bool)>,
}

impl Staged<'_> {
    fn chunk_id(&self, n: usize) -> String {
        format!("{}/{n}", self.import_id)
    }

    /// The statement that stages `rows` (bound at once: the text is copied to the host here).
    fn stage_statement(&mut self, kind: Kind, rows: &str, grouped: bool) -> DbResult<D1PreparedStatement> {
        let id = self.chunk_id(self.chunks.len());
        self.chunks.push((kind, grouped));
        let binds = [id.as_str(), &self.import_id, self.now, rows].map(JsValue::from_str);
        Ok(self.db.prepare(STAGE).bind(&binds)?)
    }
}

/// An import's writes on their way to D1: each row is added as it is planned, into a chunk of
/// its kind, and a full chunk is staged in `import_chunks` at once, so the worker holds no more
/// than one chunk of each kind; `batch_statements` then writes them all in the import's one batch.
pub struct Staging<'a> {
    staged: Staged<'a>,
    open: [Chunk; 3],
    row: Vec<u8>,
}

impl<'a> Staging<'a> {
    pub fn new(db: &'a D1Database, import_id: String, now: &'a str) -> Staging<'a> {
        Staging { staged: Staged { db, import_id, now, chunks: Vec::new() }, open: Default::default(), row: Vec::new() }
    }

    /// Adds a row to write: a created customer, or else an updated one.
    pub async fn add(&mut self, row: RowWrite<'_>, create: bool) -> DbResult<()> {
        self.row.clear();
        serde_json::to_writer(&mut self.row, &row_json(&row))?;
        self.push(if create { Kind::Creates } else { Kind::Updates }, !row.groups.is_empty()).await
    }

    /// Adds the groups the import creates.
    pub async fn add_groups(&mut self, groups: &[NewGroupRow<'_>]) -> DbResult<()> {
        for group in groups {
            self.row.clear();
            serde_json::to_writer(&mut self.row, group)?;
            self.push(Kind::Groups, false).await?;
        }
        Ok(())
    }

    async fn push(&mut self, kind: Kind, grouped: bool) -> DbResult<()> {
        let staged = &mut self.staged;
        if let Some(stage) = self.open[kind as usize].push(&self.row, grouped, |rows, g| staged.stage_statement(kind, rows, g)) {
            run(&stage?).await?;
        }
        Ok(())
    }

    /// Stages the chunks still open.
    pub async fn finish(&mut self) -> DbResult<()> {
        for kind in [Kind::Groups, Kind::Creates, Kind::Updates] {
            let staged = &mut self.staged;
            if let Some(stage) = self.open[kind as usize].close(|rows, g| staged.stage_statement(kind, rows, g)) {
                run(&stage?).await?;
            }
        }
        // The chunks' room is not needed any more.
        self.open = Default::default();
        Ok(())
    }

    /// The statements that write every staged chunk (groups, then created customers, then
    /// updated ones), each row with its audit row, and delete the chunks; meant for one batch,
    /// with the number of leading group statements.
    pub fn batch_statements(&self, by: &Writer<'_>) -> DbResult<(Vec<D1PreparedStatement>, usize)> {
        let s = &self.staged;
        let text = |t: &str| Scalar::Text(t.into());
        let (insert_sql, update_sql) = (insert_many_sql(), update_many_sql());
        let mut out = Vec::new();
        let mut group_statements = 0;
        for kind in [Kind::Groups, Kind::Creates, Kind::Updates] {
            for (n, &(_, grouped)) in s.chunks.iter().enumerate().filter(|(_, (k, _))| *k == kind) {
                let id = text(&s.chunk_id(n));
                if kind == Kind::Groups {
                    out.push(statement(s.db, GROUPS_MANY, &[id.clone(), text(by.now)])?);
                    let audit = [id, text(by.now), text(by.actor), text(by.request_id)];
                    out.push(statement(s.db, GROUPS_AUDIT_MANY, &audit)?);
                    group_statements += 2;
                    continue;
                }
                let (sql, action) =
                    if kind == Kind::Creates { (&insert_sql, "customer.create") } else { (&update_sql, "customer.update") };
                out.push(statement(s.db, sql, &[id.clone(), text(by.now)])?);
                if grouped {
                    out.push(statement(s.db, MEMBERS_MANY, &[id.clone(), text(by.now)])?);
                }
                let details = text(r#"{"via":"import"}"#);
                let audit = [id, text(by.now), text(by.actor), text(action), text(by.request_id), details];
                out.push(statement(s.db, AUDIT_MANY, &audit)?);
            }
        }
        out.push(statement(s.db, UNSTAGE, &[text(&s.import_id)])?);
        Ok((out, group_statements))
    }

    /// Deletes what was staged, for an import whose batch failed or never ran (nothing to do
    /// when nothing was staged). Best effort: what is left is deleted an hour later.
    pub async fn discard(&self) {
        if self.staged.chunks.is_empty() {
            return;
        }
        if let Ok(s) = statement(self.staged.db, UNSTAGE, &[Scalar::Text(self.staged.import_id.clone())]) {
            let _ = run(&s).await;
        }
    }
}

/// A group the import creates: its id, its name and its audit entry's id.
#[derive(Serialize)]
pub struct NewGroupRow<'a>(pub &'a str, pub &'a str, pub &'a str);

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
        let mut chunk = Chunk::default();
        let mut parts = Vec::new();
        for i in 0..3000 {
            let row = serde_json::to_vec(&json!({ "i": i, "pad": big })).unwrap();
            parts.extend(chunk.push(&row, i == 2500, |c, grouped| (c.to_string(), grouped)));
            // The room is taken once, for the whole chunk.
            assert_eq!(chunk.json.capacity(), MAX_CHUNK_BYTES);
        }
        parts.extend(chunk.close(|c, grouped| (c.to_string(), grouped)));
        assert!(parts.len() >= 2);
        let mut total = 0;
        for (p, _) in &parts {
            assert!(p.len() <= MAX_CHUNK_BYTES);
            total += serde_json::from_str::<Vec<Value>>(p).unwrap().len();
        }
        assert_eq!(total, 3000);
        // Only the chunk with the row that names groups says so.
        assert_eq!(parts.iter().filter(|(_, grouped)| *grouped).count(), 1);
        assert!(chunk.close(|_, _| ()).is_none());
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
    fn no_rows_make_no_chunk() {
        assert!(Chunk::default().close(|_, _| ()).is_none());
    }
}
