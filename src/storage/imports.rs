//! SQL for CSV import: one lookup of the file's emails and few large writes. Rows travel as one
//! JSON parameter read with `json_each`, which sidesteps D1's 100-parameter limit.
use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{json, Value};
use worker::{D1Database, D1PreparedStatement};

use super::query::SqlValue;
use super::{statement, DbResult};
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

fn row_json(id: &str, f: &CustomerFields) -> Value {
    json!({
        "id": id,
        "name": f.name,
        "email": f.email.as_ref().map(|e| e.as_str()),
        "email_normalized": f.email.as_ref().map(|e| e.normalized()),
        "phone": f.phone,
        "company": f.company,
        "notes": f.notes,
        "attributes": f.attributes,
    })
}

/// Splits rows into JSON arrays each under the bound-value limit.
fn chunks(rows: impl Iterator<Item = Value>) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::from("[");
    for row in rows {
        let text = row.to_string();
        if current.len() + text.len() + 2 > MAX_CHUNK_BYTES && current.len() > 1 {
            current.push(']');
            out.push(std::mem::replace(&mut current, String::from("[")));
        }
        if current.len() > 1 {
            current.push(',');
        }
        current.push_str(&text);
    }
    if current.len() > 1 {
        current.push(']');
        out.push(current);
    }
    out
}

const INSERT_MANY: &str = "INSERT INTO customers (id, name, email, email_normalized, phone, company, notes, attributes, \
    kind, source, created_at, updated_at, version) \
    SELECT json_extract(value, '$.id'), json_extract(value, '$.name'), json_extract(value, '$.email'), \
           json_extract(value, '$.email_normalized'), json_extract(value, '$.phone'), json_extract(value, '$.company'), \
           json_extract(value, '$.notes'), json_extract(value, '$.attributes'), 'registered', 'import', ?2, ?2, 1 \
    FROM json_each(?1)";

/// Non-empty cells overwrite, empty ones keep what is stored; attributes are merged.
const UPDATE_MANY: &str = "UPDATE customers SET \
      name = coalesce(j.name, customers.name), email = coalesce(j.email, customers.email), \
      phone = coalesce(j.phone, customers.phone), company = coalesce(j.company, customers.company), \
      notes = coalesce(j.notes, customers.notes), attributes = json_patch(customers.attributes, j.attributes), \
      updated_at = ?2, version = customers.version + 1 \
    FROM (SELECT json_extract(value, '$.id') AS id, json_extract(value, '$.name') AS name, \
                 json_extract(value, '$.email') AS email, json_extract(value, '$.phone') AS phone, \
                 json_extract(value, '$.company') AS company, json_extract(value, '$.notes') AS notes, \
                 json_extract(value, '$.attributes') AS attributes FROM json_each(?1)) AS j \
    WHERE customers.id = j.id AND customers.deleted_at IS NULL";

pub fn inserts<'a>(db: &D1Database, rows: impl Iterator<Item = (&'a str, &'a CustomerFields)>, now: &str) -> DbResult<Vec<D1PreparedStatement>> {
    chunks(rows.map(|(id, f)| row_json(id, f)))
        .into_iter()
        .map(|c| statement(db, INSERT_MANY, &[SqlValue::Text(c), SqlValue::Text(now.into())]))
        .collect()
}

pub fn updates<'a>(db: &D1Database, rows: impl Iterator<Item = (&'a str, &'a CustomerFields)>, now: &str) -> DbResult<Vec<D1PreparedStatement>> {
    chunks(rows.map(|(id, f)| row_json(id, f)))
        .into_iter()
        .map(|c| statement(db, UPDATE_MANY, &[SqlValue::Text(c), SqlValue::Text(now.into())]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_split_under_the_value_limit_and_stay_valid_json() {
        let big = "x".repeat(1000);
        let parts = chunks((0..3000).map(|i| json!({ "i": i, "pad": big })));
        assert!(parts.len() >= 2);
        let mut total = 0;
        for p in &parts {
            assert!(p.len() <= MAX_CHUNK_BYTES);
            total += serde_json::from_str::<Vec<Value>>(p).unwrap().len();
        }
        assert_eq!(total, 3000);
    }

    #[test]
    fn no_rows_make_no_statements() {
        assert!(chunks(std::iter::empty()).is_empty());
    }
}
