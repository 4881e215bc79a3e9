//! SQL for CSV import: one lookup of the file's emails and few large writes. Rows travel as one
//! JSON parameter read with `json_each`, which sidesteps D1's 100-parameter limit.
use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use worker::{D1Database, D1PreparedStatement};

use super::query::SqlValue;
use super::{statement, DbError, DbResult};
use crate::domain::customer::CustomerFields;

/// D1 takes at most 2 MB per bound value; stay well under it.
const MAX_CHUNK_BYTES: usize = 1_500_000;

pub async fn live_ids_by_email(db: &D1Database, emails: &[String]) -> DbResult<HashMap<String, String>> {
    #[derive(Deserialize)]
    struct Row {
        id: String,
        email_normalized: String,
    }
    let mut out = HashMap::new();
    for chunk in emails.chunks(20_000) {
        let rows = statement(
            db,
            "SELECT id, email_normalized FROM customers \
             WHERE deleted_at IS NULL AND email_normalized IN (SELECT value FROM json_each(?1))",
            &[SqlValue::Text(serde_json::to_string(chunk).unwrap_or_else(|_| "[]".into()))],
        )?
        .all()
        .await?
        .results::<Row>()?;
        out.extend(rows.into_iter().map(|r| (r.email_normalized, r.id)));
    }
    Ok(out)
}

/// One row as `INSERT_MANY` and `UPDATE_MANY` read it: a JSON array, positions as in their
/// `value ->> n`. Arrays rather than objects: a third smaller, and no key to look up per cell.
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
);

fn row_json<'a>(id: &'a str, f: &'a CustomerFields) -> RowJson<'a> {
    RowJson(
        id,
        f.name.as_deref(),
        f.email.as_ref().map(|e| e.as_str()),
        f.email.as_ref().map(|e| e.normalized()),
        f.phone.as_deref(),
        f.company.as_deref(),
        f.notes.as_deref(),
        &f.attributes,
    )
}

/// Writes rows into JSON arrays each under the bound-value limit.
fn chunks<T: Serialize>(rows: impl Iterator<Item = T>) -> serde_json::Result<Vec<String>> {
    let mut out = Vec::new();
    let mut current = Vec::with_capacity(MAX_CHUNK_BYTES);
    let mut row = Vec::new();
    for r in rows {
        row.clear();
        serde_json::to_writer(&mut row, &r)?;
        if current.len() + row.len() + 2 > MAX_CHUNK_BYTES && !current.is_empty() {
            out.push(close(std::mem::take(&mut current)));
        }
        current.push(if current.is_empty() { b'[' } else { b',' });
        current.extend_from_slice(&row);
    }
    if !current.is_empty() {
        out.push(close(current));
    }
    Ok(out)
}

fn close(mut array: Vec<u8>) -> String {
    array.push(b']');
    // Only serde_json wrote these bytes, and it writes UTF-8.
    String::from_utf8(array).unwrap_or_default()
}

const INSERT_MANY: &str = "INSERT INTO customers (id, name, email, email_normalized, phone, company, notes, attributes, \
    kind, source, created_at, updated_at, version) \
    SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, value ->> 7, \
           'registered', 'import', ?2, ?2, 1 \
    FROM json_each(?1)";

/// Non-empty cells overwrite, empty ones keep what is stored; attributes are merged.
const UPDATE_MANY: &str = "UPDATE customers SET \
      name = coalesce(j.name, customers.name), email = coalesce(j.email, customers.email), \
      phone = coalesce(j.phone, customers.phone), company = coalesce(j.company, customers.company), \
      notes = coalesce(j.notes, customers.notes), attributes = json_patch(customers.attributes, j.attributes), \
      updated_at = ?2, version = customers.version + 1 \
    FROM (SELECT value ->> 0 AS id, value ->> 1 AS name, value ->> 2 AS email, value ->> 4 AS phone, \
                 value ->> 5 AS company, value ->> 6 AS notes, value ->> 7 AS attributes FROM json_each(?1)) AS j \
    WHERE customers.id = j.id AND customers.deleted_at IS NULL";

fn many<'a>(db: &D1Database, sql: &str, rows: impl Iterator<Item = (&'a str, &'a CustomerFields)>, now: &str) -> DbResult<Vec<D1PreparedStatement>> {
    let parts = chunks(rows.map(|(id, f)| row_json(id, f))).map_err(|e| DbError(format!("import rows: {e}")))?;
    parts.into_iter().map(|c| statement(db, sql, &[SqlValue::Text(c), SqlValue::Text(now.into())])).collect()
}

pub fn inserts<'a>(db: &D1Database, rows: impl Iterator<Item = (&'a str, &'a CustomerFields)>, now: &str) -> DbResult<Vec<D1PreparedStatement>> {
    many(db, INSERT_MANY, rows, now)
}

pub fn updates<'a>(db: &D1Database, rows: impl Iterator<Item = (&'a str, &'a CustomerFields)>, now: &str) -> DbResult<Vec<D1PreparedStatement>> {
    many(db, UPDATE_MANY, rows, now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rows_are_split_under_the_value_limit_and_stay_valid_json() {
        let big = "x".repeat(1000);
        let parts = chunks((0..3000).map(|i| json!({ "i": i, "pad": big }))).unwrap();
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
        let row = serde_json::to_value(row_json("id-1", &fields)).unwrap();
        assert_eq!(row, json!(["id-1", "Ada", "Ada@Example.com", "ada@example.com", null, null, null, {}]));
    }

    #[test]
    fn no_rows_make_no_statements() {
        assert!(chunks(std::iter::empty::<Value>()).unwrap().is_empty());
    }
}
