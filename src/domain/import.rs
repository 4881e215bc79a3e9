//! Decides, row by row, what a CSV import does: create, update, skip or fail. Pure: the caller
//! supplies which emails already belong to live customers, and writes the plan.
use std::collections::{HashMap, HashSet};

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::csv_import::{Column, CsvRecord, ParsedCsv};
use super::customer::{is_valid_attribute_key, CustomerFields, MAX_ATTRIBUTES};
use super::email::Email;
use super::group::{self, name_key};
use super::validation::{FieldError, MAX_ROW_ERRORS};

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
    /// Whether the row's email belongs to a live customer, which decided its outcome; never
    /// shown, only used to withhold that outcome from a caller who may not read customers.
    #[serde(skip)]
    pub existing: bool,
}

/// A live customer whose email is in the file, as an upsert needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Existing {
    pub id: String,
    pub stored: Stored,
    /// The stored groups it is in.
    pub group_ids: Vec<String>,
}

/// A stored customer's values as hashes: what an upsert compares its row with. A stored
/// customer may hold 60 KB of notes and attributes; a window of them as values could outweigh
/// the upload itself. SHA-256 (the worker has it already), cut to 128 bits: no two values of
/// a customer's share one by chance.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Stored {
    /// Name, phone, company, notes and email (as written), in the order `changed` names them.
    fields: [Option<u128>; 5],
    /// Each attribute's key, and its value's hash if it is text: a row's values are all text, so
    /// one that is not (a number set through the API) differs from any.
    attributes: Vec<(String, Option<u128>)>,
}

fn digest(text: &str) -> u128 {
    let mut first = [0u8; 16];
    first.copy_from_slice(&Sha256::digest(text.as_bytes())[..16]);
    u128::from_le_bytes(first)
}

fn value_digest(value: &Value) -> Option<u128> {
    value.as_str().map(digest)
}

/// The fields `Stored::fields` holds, each with its name.
fn hashed_fields(f: &CustomerFields) -> [(&'static str, Option<&str>); 5] {
    [
        ("name", f.name.as_deref()),
        ("phone", f.phone.as_deref()),
        ("company", f.company.as_deref()),
        ("notes", f.notes.as_deref()),
        ("email", f.email.as_ref().map(|e| e.as_str())),
    ]
}

impl Stored {
    pub fn of(fields: &CustomerFields) -> Stored {
        Stored {
            fields: hashed_fields(fields).map(|(_, v)| v.map(digest)),
            attributes: fields.attributes.iter().map(|(k, v)| (k.clone(), value_digest(v))).collect(),
        }
    }

    /// An imported row laid over the stored customer (upsert): the row's non-empty cells replace
    /// what is stored, its attributes are merged in. The result must pass the rules of an update,
    /// so an upsert can never store what a PATCH would refuse. Returns the names of the fields
    /// that change.
    pub fn upserted_with(&self, row: &CustomerFields) -> Result<Vec<&'static str>, Vec<FieldError>> {
        let mut changed: Vec<&'static str> = hashed_fields(row)
            .into_iter()
            .zip(self.fields)
            .filter(|((_, given), stored)| given.is_some_and(|v| Some(digest(v)) != *stored))
            .map(|((name, _), _)| name)
            .collect();
        let stored = |key: &String| self.attributes.iter().find(|(k, _)| k == key).map(|(_, v)| *v);
        let new_keys = row.attributes.keys().filter(|k| stored(k).is_none()).count();
        if row.attributes.iter().any(|(k, v)| stored(k).flatten() != value_digest(v)) {
            changed.push("attributes");
        }
        let merged = self.attributes.len() + new_keys;
        if merged > MAX_ATTRIBUTES {
            let message = format!(
                "the customer has {} attributes; with this row's it would have {merged}, more than {MAX_ATTRIBUTES}",
                self.attributes.len()
            );
            return Err(vec![FieldError::new("attributes", "too_many", message)]);
        }
        Ok(changed)
    }
}

/// How the names of a file's `groups` column resolve: the stored groups found by name (keyed by
/// `group::name_key`), and whether a name no group has creates that group (`create_groups`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GroupNames {
    pub known: HashMap<String, String>,
    pub create_missing: bool,
}

/// The groups one row puts its customer in: stored groups by id, and groups the import creates,
/// by name (the write finds them by name, whoever created them first).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RowGroups {
    pub ids: Vec<String>,
    pub new: Vec<String>,
}

impl RowGroups {
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty() && self.new.is_empty()
    }
}

/// What one good row will write. `fields` are the row's own cells (an update lays them over the
/// stored row when it runs); `changed` names the fields it changes, for the row's audit entry.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    Create { index: usize, id: String, fields: CustomerFields, groups: RowGroups, changed: Vec<&'static str> },
    Update { index: usize, id: String, fields: CustomerFields, groups: RowGroups, changed: Vec<&'static str> },
}

impl Write {
    pub fn index(&self) -> usize {
        match self {
            Write::Create { index, .. } | Write::Update { index, .. } => *index,
        }
    }

    pub fn groups(&self) -> &RowGroups {
        match self {
            Write::Create { groups, .. } | Write::Update { groups, .. } => groups,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImportPlan {
    pub rows: Vec<RowReport>,
    /// The rows that write (indexes into `rows`), in the file's order. Their writes were handed
    /// out as they were planned (`Planner::plan`) and are not kept.
    pub written: Vec<usize>,
    /// The groups the written rows name that no group has yet, each once in its first
    /// spelling: what `create_groups=true` creates.
    pub new_groups: Vec<String>,
}

impl ImportPlan {
    pub fn failed(&self) -> usize {
        self.count(RowStatus::Failed)
    }
    pub fn count(&self, status: RowStatus) -> usize {
        self.rows.iter().filter(|r| r.status == status).count()
    }

    /// For a plan that was not written (a dry run, or an atomic file with a failed row): the rows
    /// that would have been written are only `valid`, and ids that were never created are gone.
    pub fn mark_unwritten(&mut self) {
        for &i in &self.written {
            let row = &mut self.rows[i];
            if row.status == RowStatus::Created {
                row.id = None;
            }
            row.status = RowStatus::Valid;
        }
    }

    /// The report for a caller who may not read customers: only what the file itself decides,
    /// and whether a row is written. A row that is (or in a dry run would be) written is `valid`,
    /// whether it creates a customer or updates one; a row a live customer keeps from being
    /// written fails with the one error `not_written`, not why (`customer_exists`, or the stored
    /// customer's limits); skip mode's `skipped` stays, as that is all it says. No ids.
    pub fn withhold_stored_outcomes(&mut self) {
        for row in &mut self.rows {
            row.id = None;
            match row.status {
                RowStatus::Created | RowStatus::Updated => row.status = RowStatus::Valid,
                RowStatus::Failed if row.existing => {
                    row.errors = Some(vec![FieldError::new(
                        "row",
                        "not_written",
                        "this row is not written; a caller with customers:read is told why",
                    )])
                }
                _ => {}
            }
        }
    }
}

/// The errors one report lists at most. Past them, each failed row has the one error
/// `too_many_errors`: a file whose rows fail by the thousand is fixed from its first errors, and
/// the report stays a few MiB, held beside the upload while the rows are planned.
pub const MAX_REPORT_ERRORS: usize = 20_000;

/// At most `MAX_ROW_ERRORS`, the last of them saying that more are not listed.
fn capped(mut errors: Vec<FieldError>) -> Vec<FieldError> {
    if errors.len() > MAX_ROW_ERRORS {
        errors.truncate(MAX_ROW_ERRORS - 1);
        errors.push(FieldError::new("row", "too_many_errors", "this row has more errors, not listed"));
    }
    // Kept for the whole import: no room beyond the errors themselves.
    errors.shrink_to_fit();
    errors
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

/// The most different group names one file may name: they are all looked up in one statement,
/// and one import creates at most as many groups.
pub const MAX_FILE_GROUPS: usize = 1_000;

/// Every group name of the file's `groups` column, once each (by `group::name_key`), for looking
/// up the stored groups in one query; `None` past `MAX_FILE_GROUPS`. Cells that break the name
/// rules are left to the row.
pub fn group_names(parsed: &ParsedCsv) -> Option<Vec<String>> {
    let mut seen = HashSet::new();
    let mut names = Vec::new();
    let cells = parsed.records().filter_map(|r| r.groups_cell(&parsed.columns));
    for name in cells.filter_map(|cell| group::names_in_cell(cell).ok()).flatten() {
        if seen.insert(name_key(&name)) {
            if names.len() == MAX_FILE_GROUPS {
                return None;
            }
            names.push(name);
        }
    }
    Some(names)
}

/// The groups a row's names resolve to; a name no group has is the row's error unless missing
/// groups are created.
fn resolve(names: Vec<String>, lookup: &GroupNames) -> Result<RowGroups, Vec<FieldError>> {
    let mut groups = RowGroups::default();
    let mut errors = Vec::new();
    for name in names {
        match lookup.known.get(&name_key(&name)) {
            Some(id) => groups.ids.push(id.clone()),
            None if lookup.create_missing => groups.new.push(name),
            None => errors.push(FieldError::new(
                "groups",
                "not_found",
                format!("no group is named \"{name}\"; create it first, or import with create_groups=true"),
            )),
        }
    }
    super::validation::finish(errors, groups)
}

/// A row's customer fields and groups, or every error of both.
fn row_content(
    columns: &[Column],
    record: &CsvRecord,
    lookup: &GroupNames,
) -> Result<(CustomerFields, RowGroups), Vec<FieldError>> {
    let fields = record.customer_fields(columns);
    let groups = match record.groups_cell(columns) {
        None => Ok(RowGroups::default()),
        Some(cell) => group::names_in_cell(cell).and_then(|names| resolve(names, lookup)),
    };
    match (fields, groups) {
        (Ok(fields), Ok(groups)) => Ok((fields, groups)),
        (fields, groups) => Err(fields.err().into_iter().chain(groups.err()).flatten().collect()),
    }
}

/// The normalised emails of `records` that could belong to a customer, for looking up the live
/// customers among them in one query.
pub fn emails<'a>(columns: &[Column], records: impl Iterator<Item = CsvRecord<'a>>) -> Vec<String> {
    let Some(col) = columns.iter().position(|c| *c == Column::Email) else { return vec![] };
    records.filter_map(|r| Email::parse(r.values().nth(col)?).ok()).map(|e| e.normalized()).collect()
}

/// Plans an import a record at a time, in the file's order, so that the caller can look up the
/// live customers of a window of records, plan them, and write each row as it is planned:
/// nothing of a row but its report outlives its planning. `new_id` gives ids for created rows;
/// `live` maps normalised emails to the live customers (of the record's window at least);
/// `groups` resolves the names of the `groups` column. An upserted row must leave its customer
/// valid by the update rules (e.g. at most 50 attributes once merged); one that would change
/// nothing (fields or groups) writes nothing. An upsert only adds groups, never removes any.
pub struct Planner {
    mode: Mode,
    plan: ImportPlan,
    /// The normalised emails of the rows so far, with their line.
    seen: HashMap<String, usize>,
    new_group_keys: HashSet<String>,
    failed: usize,
    /// The errors the report lists so far.
    errors: usize,
}

impl Planner {
    pub fn new(mode: Mode, rows: usize) -> Planner {
        let plan = ImportPlan { rows: Vec::with_capacity(rows), ..Default::default() };
        Planner { mode, plan, seen: HashMap::new(), new_group_keys: HashSet::new(), failed: 0, errors: 0 }
    }

    /// The rows failed so far.
    pub fn failed(&self) -> usize {
        self.failed
    }

    /// Plans the next record: its report is kept, the write it makes (if any) returned.
    pub fn plan(
        &mut self,
        columns: &[Column],
        record: &CsvRecord,
        live: &HashMap<String, Existing>,
        groups: &GroupNames,
        new_id: impl FnOnce() -> String,
    ) -> Option<Write> {
        let line = record.line;
        let index = self.plan.rows.len();
        let (report, write) = match self.outcome(columns, record, live, groups, index, new_id) {
            Ok(planned) => planned,
            Err((errors, existing)) => {
                self.failed += 1;
                let errors = if self.errors < MAX_REPORT_ERRORS {
                    capped(errors)
                } else {
                    let message = format!("this row failed; a report lists at most {MAX_REPORT_ERRORS} errors");
                    vec![FieldError::new("row", "too_many_errors", message)]
                };
                self.errors += errors.len();
                let id = existing.map(|c| c.id.clone());
                let report =
                    RowReport { row: line, status: RowStatus::Failed, id, errors: Some(errors), existing: existing.is_some() };
                (report, None)
            }
        };
        self.plan.rows.push(report);
        if let Some(w) = &write {
            self.plan.written.push(index);
            for name in &w.groups().new {
                if self.new_group_keys.insert(name_key(name)) {
                    self.plan.new_groups.push(name.clone());
                }
            }
        }
        write
    }

    /// The row's report and write, or its errors with the live customer that decided them.
    #[allow(clippy::type_complexity)]
    fn outcome<'l>(
        &mut self,
        columns: &[Column],
        record: &CsvRecord,
        live: &'l HashMap<String, Existing>,
        groups: &GroupNames,
        index: usize,
        new_id: impl FnOnce() -> String,
    ) -> Result<(RowReport, Option<Write>), (Vec<FieldError>, Option<&'l Existing>)> {
        let line = record.line;
        let (fields, row_groups) = row_content(columns, record, groups).map_err(|e| (e, None))?;
        let email = fields.email.as_ref().map(|e| e.normalized());
        if let Some(email) = &email {
            if let Some(first) = self.seen.get(email) {
                let message = format!("the same email is on row {first}");
                return Err((vec![FieldError::new("email", "duplicate_in_file", message)], None));
            }
            self.seen.insert(email.clone(), line);
        }
        let existing = email.as_ref().and_then(|e| live.get(e));
        let row = |status, id: &str| RowReport {
            row: line,
            status,
            id: Some(id.to_string()),
            errors: None,
            existing: existing.is_some(),
        };
        Ok(match (existing, self.mode) {
            (None, _) => {
                let id = new_id();
                let mut changed = fields.given();
                if !row_groups.is_empty() {
                    changed.push("group_ids");
                }
                let report = row(RowStatus::Created, &id);
                (report, Some(Write::Create { index, id, fields, groups: row_groups, changed }))
            }
            (Some(c), Mode::Create) => {
                let errors = vec![FieldError::new("email", "customer_exists", "a customer with this email exists")];
                return Err((errors, Some(c)));
            }
            (Some(c), Mode::Skip) => (row(RowStatus::Skipped, &c.id), None),
            (Some(c), Mode::Upsert) => {
                let mut changed = c.stored.upserted_with(&fields).map_err(|e| (e, Some(c)))?;
                if !row_groups.new.is_empty() || row_groups.ids.iter().any(|g| !c.group_ids.contains(g)) {
                    changed.push("group_ids");
                }
                let write =
                    (!changed.is_empty()).then(|| Write::Update { index, id: c.id.clone(), fields, groups: row_groups, changed });
                (row(RowStatus::Updated, &c.id), write)
            }
        })
    }

    pub fn finish(self) -> ImportPlan {
        self.plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::csv_import::parse_csv;

    /// Every record of the file planned against one map of live customers: the plan, and the
    /// writes it handed out.
    fn plan(
        parsed: &ParsedCsv,
        mode: Mode,
        live: &HashMap<String, Existing>,
        groups: &GroupNames,
        mut new_id: impl FnMut() -> String,
    ) -> (ImportPlan, Vec<Write>) {
        let mut planner = Planner::new(mode, parsed.len());
        let writes = parsed.records().filter_map(|r| planner.plan(&parsed.columns, &r, live, groups, &mut new_id)).collect();
        (planner.finish(), writes)
    }

    fn live(email: &str, id: &str) -> HashMap<String, Existing> {
        let fields = CustomerFields { email: Some(crate::domain::email::Email::parse(email).unwrap()), ..Default::default() };
        HashMap::from([(email.to_string(), Existing { id: id.to_string(), stored: Stored::of(&fields), group_ids: vec![] })])
    }

    fn ids() -> impl FnMut() -> String {
        let mut n = 0;
        move || {
            n += 1;
            format!("new-{n}")
        }
    }

    fn statuses(p: &ImportPlan) -> Vec<RowStatus> {
        p.rows.iter().map(|r| r.status).collect()
    }

    #[test]
    fn new_rows_are_created_with_their_line_numbers() {
        let parsed = parse_csv(b"name,email\nAda,ada@example.com\nBob,\n").unwrap();
        let (p, writes) = plan(&parsed, Mode::Create, &HashMap::new(), &GroupNames::default(), ids());
        assert_eq!(statuses(&p), vec![RowStatus::Created, RowStatus::Created]);
        assert_eq!(p.rows[1].row, 3);
        assert_eq!(writes.len(), 2);
    }

    #[test]
    fn the_same_email_twice_fails_the_later_row() {
        let parsed = parse_csv(b"email\nada@example.com\nADA@example.com\n").unwrap();
        let (p, _) = plan(&parsed, Mode::Create, &HashMap::new(), &GroupNames::default(), ids());
        assert_eq!(statuses(&p), vec![RowStatus::Created, RowStatus::Failed]);
        assert_eq!(p.rows[1].errors.as_ref().unwrap()[0].code, "duplicate_in_file");
    }

    #[test]
    fn live_emails_fail_in_create_mode() {
        let parsed = parse_csv(b"email\nada@example.com\n").unwrap();
        let (p, writes) = plan(&parsed, Mode::Create, &live("ada@example.com", "c1"), &GroupNames::default(), ids());
        assert_eq!(p.rows[0].errors.as_ref().unwrap()[0].code, "customer_exists");
        assert!(!p.rows[0].errors.as_ref().unwrap()[0].message.contains("c1"), "ids travel in `id`, never in messages");
        assert!(writes.is_empty());
    }

    #[test]
    fn live_emails_are_updated_in_upsert_mode() {
        let parsed = parse_csv(b"email,company\nada@example.com,ACME\n").unwrap();
        let (p, writes) = plan(&parsed, Mode::Upsert, &live("ada@example.com", "c1"), &GroupNames::default(), ids());
        assert_eq!(p.rows[0].id.as_deref(), Some("c1"));
        assert!(matches!(&writes[0], Write::Update { id, changed, .. } if id == "c1" && changed == &vec!["company"]));
    }

    #[test]
    fn an_upsert_past_fifty_attributes_fails_its_row() {
        let header: Vec<String> = (0..50).map(|i| format!("n{i}")).collect();
        let text = format!("email,{}\nada@example.com,{}\n", header.join(","), vec!["x"; 50].join(","));
        let parsed = parse_csv(text).unwrap();
        let mut stored = live("ada@example.com", "c1");
        stored.get_mut("ada@example.com").unwrap().stored = Stored::of(&stored_with_attributes(50));
        let (p, writes) = plan(&parsed, Mode::Upsert, &stored, &GroupNames::default(), ids());
        assert_eq!(statuses(&p), vec![RowStatus::Failed]);
        assert_eq!(p.rows[0].errors.as_ref().unwrap()[0].code, "too_many");
        assert!(writes.is_empty());
    }

    fn stored_with_attributes(n: usize) -> CustomerFields {
        CustomerFields {
            name: Some("Ada".into()),
            attributes: (0..n).map(|i| (format!("k{i}"), serde_json::json!(i))).collect(),
            ..Default::default()
        }
    }

    fn fields_of(errors: Vec<FieldError>) -> Vec<(String, String)> {
        errors.into_iter().map(|e| (e.field, e.code)).collect()
    }

    #[test]
    fn an_upsert_that_would_exceed_fifty_attributes_is_refused() {
        let stored = Stored::of(&stored_with_attributes(50));
        let row = CustomerFields {
            attributes: (0..50).map(|i| (format!("new{i}"), serde_json::json!("x"))).collect(),
            ..Default::default()
        };
        let errors = stored.upserted_with(&row).unwrap_err();
        assert!(errors[0].message.starts_with("the customer has 50 attributes; with this row's it would have 100"));
        assert_eq!(fields_of(errors), vec![("attributes".into(), "too_many".into())]);
        // Keys it has already are no more.
        let row = CustomerFields {
            attributes: (0..50).map(|i| (format!("k{i}"), serde_json::json!("x"))).collect(),
            ..Default::default()
        };
        assert_eq!(stored.upserted_with(&row).unwrap(), vec!["attributes"]);
    }

    #[test]
    fn an_upsert_names_the_fields_its_cells_change_in_a_fixed_order() {
        let stored = Stored::of(&stored_with_attributes(2));
        let row = CustomerFields {
            company: Some("ACME".into()),
            name: Some("Ada".into()),
            email: Some(crate::domain::email::Email::parse("ada@example.com").unwrap()),
            notes: Some("n".into()),
            attributes: serde_json::json!({"k0": "new"}).as_object().unwrap().clone(),
            ..Default::default()
        };
        assert_eq!(stored.upserted_with(&row).unwrap(), vec!["company", "notes", "email", "attributes"]);
    }

    #[test]
    fn an_upsert_of_the_same_values_changes_nothing() {
        let fields = stored_with_attributes(3);
        assert!(Stored::of(&fields).upserted_with(&fields).unwrap().is_empty());
        // A stored number is not the text of that number.
        let text =
            CustomerFields { attributes: serde_json::json!({"k1": "1"}).as_object().unwrap().clone(), ..Default::default() };
        assert_eq!(Stored::of(&fields).upserted_with(&text).unwrap(), vec!["attributes"]);
    }

    #[test]
    fn an_upsert_that_changes_nothing_writes_nothing() {
        let parsed = parse_csv(b"email\nada@example.com\n").unwrap();
        let (p, writes) = plan(&parsed, Mode::Upsert, &live("ada@example.com", "c1"), &GroupNames::default(), ids());
        assert_eq!(statuses(&p), vec![RowStatus::Updated]);
        assert!(writes.is_empty());
    }

    #[test]
    fn live_emails_are_left_alone_in_skip_mode() {
        let parsed = parse_csv(b"email\nada@example.com\n").unwrap();
        let (p, writes) = plan(&parsed, Mode::Skip, &live("ada@example.com", "c1"), &GroupNames::default(), ids());
        assert_eq!(statuses(&p), vec![RowStatus::Skipped]);
        assert!(writes.is_empty());
    }

    #[test]
    fn invalid_rows_carry_field_errors() {
        let parsed = parse_csv(b"name,email\n,not-an-email\n").unwrap();
        let (p, _) = plan(&parsed, Mode::Create, &HashMap::new(), &GroupNames::default(), ids());
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
        let (mut p, _) = plan(&parsed, Mode::Upsert, &live("ada@example.com", "c1"), &GroupNames::default(), ids());
        // As if the stored row differed: the update is written.
        p.written.push(1);
        p.mark_unwritten();
        assert_eq!(statuses(&p), vec![RowStatus::Valid, RowStatus::Valid]);
        assert_eq!((p.rows[0].id.as_deref(), p.rows[1].id.as_deref()), (None, Some("c1")));
        p.withhold_stored_outcomes();
        assert_eq!(p.rows[1].id, None);
    }

    /// What a caller without customers:read is told, for a file of a known email and a new one.
    fn withheld(mode: Mode, dry_run: bool) -> Vec<(RowStatus, Vec<(String, String)>)> {
        let parsed = parse_csv(b"email,name\nada@example.com,Ada\nnew@example.com,New\nbad,Bad\n").unwrap();
        let (mut p, _) = plan(&parsed, mode, &live("ada@example.com", "c1"), &GroupNames::default(), ids());
        if dry_run {
            p.mark_unwritten();
        }
        p.withhold_stored_outcomes();
        assert!(p.rows.iter().all(|r| r.id.is_none()));
        (0..p.rows.len()).map(|i| (p.rows[i].status, errors_of(&p, i))).collect()
    }

    #[test]
    fn a_caller_who_may_not_read_customers_is_not_told_who_exists() {
        let format = (RowStatus::Failed, vec![("email".to_string(), "invalid".to_string())]);
        let accepted = (RowStatus::Valid, vec![]);
        // Upsert: a known and a new email read the same, written or not.
        for dry_run in [true, false] {
            assert_eq!(withheld(Mode::Upsert, dry_run), vec![accepted.clone(), accepted.clone(), format.clone()]);
        }
        // Create: a known email is not written, without `customer_exists`.
        let not_written = (RowStatus::Failed, vec![("row".to_string(), "not_written".to_string())]);
        assert_eq!(withheld(Mode::Create, false), vec![not_written, accepted.clone(), format.clone()]);
        assert_eq!(withheld(Mode::Skip, true), vec![(RowStatus::Skipped, vec![]), accepted, format]);
    }

    fn known(pairs: &[(&str, &str)], create_missing: bool) -> GroupNames {
        GroupNames { known: pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), create_missing }
    }

    fn errors_of(p: &ImportPlan, row: usize) -> Vec<(String, String)> {
        p.rows[row].errors.clone().unwrap_or_default().into_iter().map(|e| (e.field, e.code)).collect()
    }

    #[test]
    fn the_file_s_group_names_are_listed_once_each() {
        let parsed = parse_csv(b"name,groups\nA,VIP;Partners\nB,vip; New \nC,\n").unwrap();
        assert_eq!(group_names(&parsed), Some(vec!["VIP".to_string(), "Partners".into(), "New".into()]));
    }

    #[test]
    fn a_file_naming_more_groups_than_one_import_takes_has_no_group_names() {
        let cells = |n: usize| (0..n).map(|i| format!("A,G{i};g{i}\n")).collect::<String>();
        let within = parse_csv(format!("name,groups\n{}", cells(MAX_FILE_GROUPS))).unwrap();
        assert_eq!(group_names(&within).map(|n| n.len()), Some(MAX_FILE_GROUPS));
        let over = parse_csv(format!("name,groups\n{}", cells(MAX_FILE_GROUPS + 1))).unwrap();
        assert_eq!(group_names(&over), None);
    }

    #[test]
    fn a_row_reports_at_most_ten_errors_the_last_counting_the_rest() {
        let header: Vec<String> = (0..30).map(|i| format!("a{i}")).collect();
        let text = format!("name,{}\nAda,{}\nBob,{}\n", header.join(","), ["x\u{1}"; 30].join(","), ["x\u{1}"; 3].join(","));
        let parsed = parse_csv(text).unwrap();
        let (p, _) = plan(&parsed, Mode::Create, &HashMap::new(), &GroupNames::default(), ids());
        let errors = p.rows[0].errors.as_ref().unwrap();
        assert_eq!(errors.len(), MAX_ROW_ERRORS);
        assert_eq!(errors[..9].iter().filter(|e| e.field.starts_with("attributes.")).count(), 9);
        assert_eq!((errors[9].field.as_str(), errors[9].code.as_str()), ("row", "too_many_errors"));
        assert_eq!(p.rows[1].errors.as_ref().unwrap().len(), 3);
    }

    #[test]
    fn past_the_report_s_errors_a_failed_row_says_only_that() {
        let rows = MAX_REPORT_ERRORS + 2;
        let parsed = parse_csv(format!("name,email\n{}", "Ada,bad-email\n".repeat(rows))).unwrap();
        let (p, _) = plan(&parsed, Mode::Create, &HashMap::new(), &GroupNames::default(), ids());
        let listed: usize = p.rows.iter().map(|r| r.errors.as_ref().unwrap().len()).sum();
        assert_eq!(listed, rows);
        assert_eq!(p.failed(), rows);
        assert_eq!(errors_of(&p, rows - 3), vec![("email".into(), "invalid".into())]);
        assert_eq!(errors_of(&p, rows - 2), vec![("row".into(), "too_many_errors".into())]);
    }

    #[test]
    fn only_emails_that_could_be_a_customer_s_are_looked_up() {
        let parsed = parse_csv("name,email\nA,Ada@Example.com\nB,not-an-email\nC,\nD, bob@example.com \n").unwrap();
        assert_eq!(emails(&parsed.columns, parsed.records()), vec!["ada@example.com", "bob@example.com"]);
        let without = parse_csv("name\nA\n").unwrap();
        assert!(emails(&without.columns, without.records()).is_empty());
    }

    #[test]
    fn rows_planned_a_window_at_a_time_see_duplicates_across_windows() {
        let parsed = parse_csv("email\na@example.com\nb@example.com\nA@example.com\n").unwrap();
        let mut planner = Planner::new(Mode::Upsert, parsed.len());
        let mut ids = ids();
        // Each record planned against the live customers of its own window only.
        let windows = [HashMap::new(), live("b@example.com", "c1"), HashMap::new()];
        for (i, live) in windows.iter().enumerate() {
            planner.plan(&parsed.columns, &parsed.record(i), live, &GroupNames::default(), &mut ids);
        }
        assert_eq!(planner.failed(), 1);
        let p = planner.finish();
        assert_eq!(statuses(&p), vec![RowStatus::Created, RowStatus::Updated, RowStatus::Failed]);
        assert_eq!(p.written, vec![0]);
        assert_eq!(errors_of(&p, 2), vec![("email".into(), "duplicate_in_file".into())]);
    }

    #[test]
    fn a_created_row_joins_the_stored_groups_it_names() {
        let parsed = parse_csv(b"name,groups\nAda,vip;Partners\n").unwrap();
        let (p, writes) =
            plan(&parsed, Mode::Create, &HashMap::new(), &known(&[("vip", "g1"), ("partners", "g2")], false), ids());
        assert!(matches!(&writes[0], Write::Create { groups, changed, .. }
            if groups.ids == vec!["g1", "g2"] && groups.new.is_empty() && changed == &vec!["name", "group_ids"]));
        assert!(p.new_groups.is_empty());
    }

    #[test]
    fn an_unknown_group_name_fails_the_row_without_create_groups() {
        let parsed = parse_csv(b"name,groups\nAda,Nowhere\n").unwrap();
        let (p, writes) = plan(&parsed, Mode::Create, &HashMap::new(), &GroupNames::default(), ids());
        assert_eq!(errors_of(&p, 0), vec![("groups".into(), "not_found".into())]);
        assert!(p.rows[0].errors.as_ref().unwrap()[0].message.contains("Nowhere"));
        assert!(writes.is_empty());
    }

    #[test]
    fn an_unknown_group_name_is_created_once_for_every_row_naming_it() {
        let parsed = parse_csv(b"name,groups\nAda,New\nBob,NEW;new\nCy,new\n").unwrap();
        let (p, writes) = plan(&parsed, Mode::Create, &HashMap::new(), &known(&[], true), ids());
        assert_eq!(statuses(&p), vec![RowStatus::Created; 3]);
        assert_eq!(p.new_groups, vec!["New"]);
        assert!(writes.iter().all(|w| w.groups().new.len() == 1));
    }

    #[test]
    fn groups_named_only_by_failed_rows_are_not_created() {
        let parsed = parse_csv(b"name,email,groups\nAda,bad-email,Lonely\nBob,,Shared\n").unwrap();
        let (p, _) = plan(&parsed, Mode::Create, &HashMap::new(), &known(&[], true), ids());
        assert_eq!(p.new_groups, vec!["Shared"]);
    }

    #[test]
    fn a_row_reports_its_field_and_group_errors_together() {
        let parsed = parse_csv(b"name,email,groups\nAda,bad-email,Nowhere\n").unwrap();
        let (p, _) = plan(&parsed, Mode::Create, &HashMap::new(), &GroupNames::default(), ids());
        assert_eq!(errors_of(&p, 0), vec![("email".into(), "invalid".into()), ("groups".into(), "not_found".into())]);
    }

    #[test]
    fn a_groups_cell_naming_all_fails_the_row() {
        let parsed = parse_csv(b"name,groups\nAda,All\n").unwrap();
        let (p, _) = plan(&parsed, Mode::Create, &HashMap::new(), &known(&[], true), ids());
        assert_eq!(errors_of(&p, 0), vec![("groups".into(), "group_builtin".into())]);
        assert!(p.new_groups.is_empty());
    }

    #[test]
    fn an_upsert_that_only_adds_a_group_is_a_change_of_group_ids() {
        let parsed = parse_csv(b"email,groups\nada@example.com,VIP\n").unwrap();
        let (_, writes) = plan(&parsed, Mode::Upsert, &live("ada@example.com", "c1"), &known(&[("vip", "g1")], false), ids());
        assert!(matches!(&writes[0], Write::Update { changed, .. } if changed == &vec!["group_ids"]));
    }

    #[test]
    fn an_upsert_naming_groups_the_customer_is_in_changes_nothing() {
        let parsed = parse_csv(b"email,groups\nada@example.com,VIP\n").unwrap();
        let mut stored = live("ada@example.com", "c1");
        stored.get_mut("ada@example.com").unwrap().group_ids = vec!["g1".into()];
        let (p, writes) = plan(&parsed, Mode::Upsert, &stored, &known(&[("vip", "g1")], false), ids());
        assert_eq!(statuses(&p), vec![RowStatus::Updated]);
        assert!(writes.is_empty());
    }

    #[test]
    fn a_skipped_row_joins_no_group() {
        let parsed = parse_csv(b"email,groups\nada@example.com,New\n").unwrap();
        let (p, writes) = plan(&parsed, Mode::Skip, &live("ada@example.com", "c1"), &known(&[], true), ids());
        assert!(writes.is_empty());
        assert!(p.new_groups.is_empty());
    }

    #[test]
    fn modes_parse_from_their_names() {
        assert_eq!(Mode::parse("upsert"), Some(Mode::Upsert));
        assert_eq!(Mode::parse("merge"), None);
    }
}
