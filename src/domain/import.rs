//! Decides, row by row, what a CSV import does: create, update, skip or fail. Pure: the caller
//! supplies which emails already belong to live customers, and writes the plan.
use std::collections::HashMap;

use serde::Serialize;

use super::csv_import::{Column, ParsedCsv};
use super::customer::{is_valid_attribute_key, CustomerFields};
use super::validation::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A live email is a row error.
    Create,
    /// A live email updates that customer with the row's non-empty cells.
    Upsert,
    /// A live email leaves that customer alone.
    Skip,
}

impl Mode {
    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "create" => Some(Mode::Create),
            "upsert" => Some(Mode::Upsert),
            "skip" => Some(Mode::Skip),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowStatus {
    Created,
    Updated,
    Skipped,
    Failed,
    Valid,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowReport {
    pub row: usize,
    pub status: RowStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

/// A live customer whose email is in the file, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Existing {
    pub id: String,
    pub fields: CustomerFields,
}

/// What one good row will write. `fields` are the row's own cells (an update lays them over the
/// stored row when it runs); `changed` names the fields it changes, for the row's audit entry.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    Create { index: usize, id: String, fields: CustomerFields, changed: Vec<&'static str> },
    Update { index: usize, id: String, fields: CustomerFields, changed: Vec<&'static str> },
}

impl Write {
    pub fn index(&self) -> usize {
        match self {
            Write::Create { index, .. } | Write::Update { index, .. } => *index,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub rows: Vec<RowReport>,
    pub writes: Vec<Write>,
}

impl Plan {
    pub fn failed(&self) -> usize {
        self.rows.iter().filter(|r| r.status == RowStatus::Failed).count()
    }
    pub fn count(&self, status: RowStatus) -> usize {
        self.rows.iter().filter(|r| r.status == status).count()
    }

    /// For a plan that was not written (a dry run, or an atomic file with a failed row): the rows
    /// that would have been written are only `valid`, and ids that were never created are gone.
    pub fn mark_unwritten(&mut self) {
        for w in &self.writes {
            let row = &mut self.rows[w.index()];
            row.status = RowStatus::Valid;
            if matches!(w, Write::Create { .. }) {
                row.id = None;
            }
        }
    }

    /// Drops every customer id from the report, for a caller who may not read customers.
    pub fn forget_ids(&mut self) {
        for row in &mut self.rows {
            row.id = None;
        }
    }
}

/// Attribute columns whose names could never be stored: reported once for the file instead of
/// failing every row.
pub fn invalid_attribute_columns(parsed: &ParsedCsv) -> Vec<String> {
    parsed
        .columns
        .iter()
        .filter_map(|c| match c {
            Column::Attribute(k) if !is_valid_attribute_key(k) => Some(k.clone()),
            _ => None,
        })
        .collect()
}

/// The normalised emails of the file, for looking up live customers in one query.
pub fn emails(parsed: &ParsedCsv) -> Vec<String> {
    let Some(col) = parsed.columns.iter().position(|c| *c == Column::Email) else { return vec![] };
    parsed
        .records
        .iter()
        .filter_map(|r| r.values.get(col))
        .map(|e| super::email::normalize_email(e))
        .filter(|e| !e.is_empty())
        .collect()
}

/// `new_id` gives ids for created rows; `live` maps normalised emails to the live customers.
/// An upserted row must leave its customer valid by the update rules (e.g. at most 50
/// attributes once merged); one that would change nothing writes nothing.
pub fn plan(parsed: &ParsedCsv, mode: Mode, live: &HashMap<String, Existing>, mut new_id: impl FnMut() -> String) -> Plan {
    let mut rows = Vec::with_capacity(parsed.records.len());
    let mut writes = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for record in &parsed.records {
        let line = record.line;
        let fail = |errors: Vec<FieldError>| RowReport { row: line, status: RowStatus::Failed, id: None, errors: Some(errors) };
        let fields = match record.customer_fields(&parsed.columns) {
            Ok(fields) => fields,
            Err(errors) => {
                rows.push(fail(errors));
                continue;
            }
        };
        let email = fields.email.as_ref().map(|e| e.normalized());
        if let Some(email) = &email {
            if let Some(first) = seen.get(email) {
                rows.push(fail(vec![FieldError::new("email", "duplicate_in_file", format!("the same email is on row {first}"))]));
                continue;
            }
            seen.insert(email.clone(), line);
        }
        let existing = email.as_ref().and_then(|e| live.get(e));
        let index = rows.len();
        let report = match (existing, mode) {
            (None, _) => {
                let id = new_id();
                let changed = fields.given();
                writes.push(Write::Create { index, id: id.clone(), fields, changed });
                RowReport { row: line, status: RowStatus::Created, id: Some(id), errors: None }
            }
            (Some(c), Mode::Create) => RowReport {
                id: Some(c.id.clone()),
                ..fail(vec![FieldError::new("email", "customer_exists", "a customer with this email exists")])
            },
            (Some(c), Mode::Skip) => RowReport { row: line, status: RowStatus::Skipped, id: Some(c.id.clone()), errors: None },
            (Some(c), Mode::Upsert) => match c.fields.upserted_with(&fields) {
                Err(errors) => RowReport { id: Some(c.id.clone()), ..fail(errors) },
                Ok((_, changed)) => {
                    if !changed.is_empty() {
                        writes.push(Write::Update { index, id: c.id.clone(), fields, changed });
                    }
                    RowReport { row: line, status: RowStatus::Updated, id: Some(c.id.clone()), errors: None }
                }
            },
        };
        rows.push(report);
    }
    Plan { rows, writes }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::csv_import::parse_csv;

    fn live(email: &str, id: &str) -> HashMap<String, Existing> {
        let fields = CustomerFields { email: Some(crate::domain::email::Email::parse(email).unwrap()), ..Default::default() };
        HashMap::from([(email.to_string(), Existing { id: id.to_string(), fields })])
    }

    fn ids() -> impl FnMut() -> String {
        let mut n = 0;
        move || {
            n += 1;
            format!("new-{n}")
        }
    }

    fn statuses(p: &Plan) -> Vec<RowStatus> {
        p.rows.iter().map(|r| r.status).collect()
    }

    #[test]
    fn new_rows_are_created_with_their_line_numbers() {
        let parsed = parse_csv(b"name,email\nAda,ada@example.com\nBob,\n").unwrap();
        let p = plan(&parsed, Mode::Create, &HashMap::new(), ids());
        assert_eq!(statuses(&p), vec![RowStatus::Created, RowStatus::Created]);
        assert_eq!(p.rows[1].row, 3);
        assert_eq!(p.writes.len(), 2);
    }

    #[test]
    fn the_same_email_twice_fails_the_later_row() {
        let parsed = parse_csv(b"email\nada@example.com\nADA@example.com\n").unwrap();
        let p = plan(&parsed, Mode::Create, &HashMap::new(), ids());
        assert_eq!(statuses(&p), vec![RowStatus::Created, RowStatus::Failed]);
        assert_eq!(p.rows[1].errors.as_ref().unwrap()[0].code, "duplicate_in_file");
    }

    #[test]
    fn live_emails_fail_in_create_mode() {
        let parsed = parse_csv(b"email\nada@example.com\n").unwrap();
        let p = plan(&parsed, Mode::Create, &live("ada@example.com", "c1"), ids());
        assert_eq!(p.rows[0].errors.as_ref().unwrap()[0].code, "customer_exists");
        assert!(!p.rows[0].errors.as_ref().unwrap()[0].message.contains("c1"), "ids travel in `id`, never in messages");
        assert!(p.writes.is_empty());
    }

    #[test]
    fn live_emails_are_updated_in_upsert_mode() {
        let parsed = parse_csv(b"email,company\nada@example.com,ACME\n").unwrap();
        let p = plan(&parsed, Mode::Upsert, &live("ada@example.com", "c1"), ids());
        assert_eq!(p.rows[0].id.as_deref(), Some("c1"));
        assert!(matches!(&p.writes[0], Write::Update { id, changed, .. } if id == "c1" && changed == &vec!["company"]));
    }

    #[test]
    fn an_upsert_past_fifty_attributes_fails_its_row() {
        let header: Vec<String> = (0..50).map(|i| format!("n{i}")).collect();
        let text = format!("email,{}\nada@example.com,{}\n", header.join(","), vec!["x"; 50].join(","));
        let parsed = parse_csv(text.as_bytes()).unwrap();
        let mut stored = live("ada@example.com", "c1");
        stored.get_mut("ada@example.com").unwrap().fields.attributes =
            (0..50).map(|i| (format!("o{i}"), serde_json::json!(i))).collect();
        let p = plan(&parsed, Mode::Upsert, &stored, ids());
        assert_eq!(statuses(&p), vec![RowStatus::Failed]);
        assert_eq!(p.rows[0].errors.as_ref().unwrap()[0].code, "too_many");
        assert!(p.writes.is_empty());
    }

    #[test]
    fn an_upsert_that_changes_nothing_writes_nothing() {
        let parsed = parse_csv(b"email\nada@example.com\n").unwrap();
        let p = plan(&parsed, Mode::Upsert, &live("ada@example.com", "c1"), ids());
        assert_eq!(statuses(&p), vec![RowStatus::Updated]);
        assert!(p.writes.is_empty());
    }

    #[test]
    fn live_emails_are_left_alone_in_skip_mode() {
        let parsed = parse_csv(b"email\nada@example.com\n").unwrap();
        let p = plan(&parsed, Mode::Skip, &live("ada@example.com", "c1"), ids());
        assert_eq!(statuses(&p), vec![RowStatus::Skipped]);
        assert!(p.writes.is_empty());
    }

    #[test]
    fn invalid_rows_carry_field_errors() {
        let parsed = parse_csv(b"name,email\n,not-an-email\n").unwrap();
        let p = plan(&parsed, Mode::Create, &HashMap::new(), ids());
        assert_eq!(p.rows[0].errors.as_ref().unwrap()[0].field, "email");
    }

    #[test]
    fn unusable_attribute_headers_are_reported_once() {
        let parsed = parse_csv(b"name,Plan (monthly)\nAda,pro\n").unwrap();
        assert_eq!(invalid_attribute_columns(&parsed), vec!["Plan (monthly)".to_string()]);
    }

    #[test]
    fn an_unwritten_plan_reports_valid_rows_without_new_ids() {
        let parsed = parse_csv(b"email\nnew@example.com\nada@example.com\n").unwrap();
        let mut p = plan(&parsed, Mode::Upsert, &live("ada@example.com", "c1"), ids());
        p.writes.push(Write::Update { index: 1, id: "c1".into(), fields: CustomerFields::default(), changed: vec!["name"] });
        p.mark_unwritten();
        assert_eq!(statuses(&p), vec![RowStatus::Valid, RowStatus::Valid]);
        assert_eq!((p.rows[0].id.as_deref(), p.rows[1].id.as_deref()), (None, Some("c1")));
        p.forget_ids();
        assert_eq!(p.rows[1].id, None);
    }

    #[test]
    fn modes_parse_from_their_names() {
        assert_eq!(Mode::parse("upsert"), Some(Mode::Upsert));
        assert_eq!(Mode::parse("merge"), None);
    }
}
