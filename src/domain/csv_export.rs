//! Writing customers as CSV for download.
//!
//! Every cell is neutralised against formula injection: spreadsheets run a cell that begins
//! with `=`, `+`, `-` or `@` (and some strip a leading tab or CR first), so such cells get a `'`
//! prefix, which spreadsheets show as text.
use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::Value;

use super::customer::{Customer, MAX_ATTRIBUTE_KEY_LEN};

pub const EXPORT_HEADER: &str = "id,name,email,phone,company,kind,source,created_at,updated_at,last_seen_at,deleted_at";

/// The columns written when the request names none: the header above, then the fields an import
/// needs to rebuild the customer as it was.
pub const DEFAULT_COLUMNS: &str =
    "id,name,email,phone,company,kind,source,created_at,updated_at,last_seen_at,deleted_at,notes,handle,parent_id,groups";

/// The customer's own fields a `columns=` list may name, besides `groups` and `attributes.<key>`.
pub const FIELD_COLUMNS: [&str; 17] = [
    "id",
    "name",
    "email",
    "phone",
    "company",
    "notes",
    "kind",
    "source",
    "handle",
    "parent_id",
    "merged_into",
    "own_company",
    "created_at",
    "updated_at",
    "last_seen_at",
    "deleted_at",
    "version",
];

/// At most this many columns: a header longer than any customer has fields is a mistake.
pub const MAX_COLUMNS: usize = 100;

/// One column of an export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportColumn {
    /// One of `FIELD_COLUMNS`.
    Field(&'static str),
    /// The names of the customer's groups, joined by `;` as the import reads them.
    Groups,
    /// `attributes.<key>`: the attribute's value, a number or boolean written as JSON writes it.
    Attribute(String),
}

impl ExportColumn {
    pub fn header(&self) -> Cow<'_, str> {
        match self {
            ExportColumn::Field(f) => Cow::Borrowed(f),
            ExportColumn::Groups => Cow::Borrowed("groups"),
            ExportColumn::Attribute(k) => Cow::Owned(format!("attributes.{k}")),
        }
    }
}

/// Reads a `columns=` list (comma-separated names); unknown, empty or repeated names are refused
/// with a message naming them.
pub fn parse_columns(list: &str) -> Result<Vec<ExportColumn>, String> {
    let mut out: Vec<ExportColumn> = Vec::new();
    for name in list.split(',').map(str::trim) {
        let column = if name == "groups" {
            ExportColumn::Groups
        } else if let Some(key) = name.strip_prefix("attributes.") {
            if key.is_empty() || key.chars().count() > MAX_ATTRIBUTE_KEY_LEN {
                return Err(format!("`{name}`: an attribute key has 1 to {MAX_ATTRIBUTE_KEY_LEN} characters"));
            }
            ExportColumn::Attribute(key.to_string())
        } else if let Some(f) = FIELD_COLUMNS.iter().find(|f| **f == name) {
            ExportColumn::Field(f)
        } else if name.is_empty() {
            return Err("names an empty column".into());
        } else {
            return Err(format!("`{name}` is not a column: use {}, groups or attributes.<key>", FIELD_COLUMNS.join(", ")));
        };
        if out.contains(&column) {
            return Err(format!("names `{name}` twice"));
        }
        out.push(column);
    }
    if out.len() > MAX_COLUMNS {
        return Err(format!("names {} columns; at most {MAX_COLUMNS}", out.len()));
    }
    Ok(out)
}

/// The columns of an export that names none.
pub fn default_columns() -> Vec<ExportColumn> {
    parse_columns(DEFAULT_COLUMNS).unwrap_or_default()
}

/// The header row of `columns`.
pub fn header_row(columns: &[ExportColumn]) -> String {
    let mut out = String::new();
    let headers: Vec<Cow<'_, str>> = columns.iter().map(ExportColumn::header).collect();
    write_row(&mut out, &headers.iter().map(|h| Some(h.as_ref())).collect::<Vec<_>>());
    out
}

fn attribute_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// One customer as a row under `header_row(columns)`; `group_names` names the groups by id (a
/// group missing from it is left out).
pub fn customer_cells(c: &Customer, columns: &[ExportColumn], group_names: &HashMap<String, String>) -> String {
    let cells: Vec<Option<Cow<'_, str>>> = columns
        .iter()
        .map(|col| match col {
            ExportColumn::Field(f) => field_cell(c, f),
            ExportColumn::Groups => {
                let mut names: Vec<&str> = c.group_ids.iter().filter_map(|g| group_names.get(g)).map(String::as_str).collect();
                names.sort_unstable();
                (!names.is_empty()).then(|| Cow::Owned(names.join(";")))
            }
            ExportColumn::Attribute(k) => c.attributes.get(k).and_then(attribute_text).map(Cow::Owned),
        })
        .collect();
    let mut out = String::new();
    write_row(&mut out, &cells.iter().map(|c| c.as_deref()).collect::<Vec<_>>());
    out
}

fn field_cell<'a>(c: &'a Customer, field: &str) -> Option<Cow<'a, str>> {
    let text = |v: &'a Option<String>| v.as_deref().map(Cow::Borrowed);
    match field {
        "id" => Some(Cow::Borrowed(&c.id)),
        "name" => text(&c.name),
        "email" => text(&c.email),
        "phone" => text(&c.phone),
        "company" => text(&c.company),
        "notes" => text(&c.notes),
        "kind" => Some(Cow::Borrowed(c.kind.as_str())),
        "source" => Some(Cow::Borrowed(c.source.as_str())),
        "handle" => text(&c.handle),
        "parent_id" => text(&c.parent_id),
        "merged_into" => text(&c.merged_into),
        "own_company" => Some(Cow::Borrowed(if c.own_company { "true" } else { "false" })),
        "created_at" => Some(Cow::Borrowed(&c.created_at)),
        "updated_at" => Some(Cow::Borrowed(&c.updated_at)),
        "last_seen_at" => text(&c.last_seen_at),
        "deleted_at" => text(&c.deleted_at),
        "version" => Some(Cow::Owned(c.version.to_string())),
        _ => None,
    }
}

pub const FORMULA_TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

pub fn neutralize(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(FORMULA_TRIGGERS) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// Appends one RFC 4180 row, `None` being an empty cell.
pub fn write_row(out: &mut String, cells: &[Option<&str>]) {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let cell = neutralize(cell.unwrap_or(""));
        // Edge spaces are quoted too, since some readers trim unquoted cells.
        let needs_quotes = cell.contains([',', '"', '\r', '\n']) || cell.starts_with(' ') || cell.ends_with(' ');
        if needs_quotes {
            out.push('"');
            out.push_str(&cell.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&cell);
        }
    }
    out.push_str("\r\n");
}

/// One customer as a row under `EXPORT_HEADER`: the fixed row the tests hold `customer_cells` to.
#[cfg(test)]
pub fn customer_row(c: &Customer) -> String {
    let mut out = String::new();
    write_row(
        &mut out,
        &[
            Some(&c.id),
            c.name.as_deref(),
            c.email.as_deref(),
            c.phone.as_deref(),
            c.company.as_deref(),
            Some(c.kind.as_str()),
            Some(c.source.as_str()),
            Some(&c.created_at),
            Some(&c.updated_at),
            c.last_seen_at.as_deref(),
            c.deleted_at.as_deref(),
        ],
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::csv_import::{parse_csv, unguard, Column};
    use crate::domain::customer::{Kind, Source};
    use proptest::prelude::*;
    use serde_json::json;

    fn row(cells: &[Option<&str>]) -> String {
        let mut out = String::new();
        write_row(&mut out, cells);
        out
    }

    fn customer() -> Customer {
        Customer {
            name: Some("Ada".into()),
            email: Some("ada@example.com".into()),
            phone: Some("+1 555 0100".into()),
            company: Some("ACME, Inc.".into()),
            notes: Some("not exported".into()),
            kind: Kind::Visitor,
            source: Source::MeetingLink,
            updated_at: "2026-01-02T00:00:00.000Z".into(),
            ..Customer::blank("c1")
        }
    }

    #[test]
    fn an_equals_sign_is_neutralized() {
        assert_eq!(neutralize("=1+1"), "'=1+1");
    }

    #[test]
    fn a_plus_sign_is_neutralized() {
        assert_eq!(neutralize("+49 30 1234"), "'+49 30 1234");
    }

    #[test]
    fn a_minus_sign_is_neutralized() {
        assert_eq!(neutralize("-2"), "'-2");
    }

    #[test]
    fn an_at_sign_is_neutralized() {
        assert_eq!(neutralize("@SUM(A1)"), "'@SUM(A1)");
    }

    #[test]
    fn a_leading_tab_is_neutralized() {
        assert_eq!(neutralize("\t=1"), "'\t=1");
    }

    #[test]
    fn a_leading_carriage_return_is_neutralized() {
        assert_eq!(neutralize("\r=1"), "'\r=1");
    }

    #[test]
    fn safe_cells_are_borrowed_unchanged() {
        assert!(matches!(neutralize("Ada = Lovelace"), Cow::Borrowed("Ada = Lovelace")));
    }

    #[test]
    fn empty_cells_stay_empty() {
        assert_eq!(neutralize(""), "");
    }

    #[test]
    fn plain_cells_are_joined_by_commas_and_end_with_crlf() {
        assert_eq!(row(&[Some("a"), Some("b c")]), "a,b c\r\n");
    }

    #[test]
    fn none_is_an_empty_cell() {
        assert_eq!(row(&[None, Some("b"), None]), ",b,\r\n");
    }

    #[test]
    fn cells_with_commas_are_quoted() {
        assert_eq!(row(&[Some("Lovelace, Ada")]), "\"Lovelace, Ada\"\r\n");
    }

    #[test]
    fn inner_quotes_are_doubled() {
        assert_eq!(row(&[Some("say \"hi\"")]), "\"say \"\"hi\"\"\"\r\n");
    }

    #[test]
    fn cells_with_line_breaks_are_quoted() {
        assert_eq!(row(&[Some("a\nb"), Some("c\rd")]), "\"a\nb\",\"c\rd\"\r\n");
    }

    #[test]
    fn cells_with_edge_spaces_are_quoted() {
        assert_eq!(row(&[Some(" a"), Some("b "), Some("c d")]), "\" a\",\"b \",c d\r\n");
    }

    #[test]
    fn cells_are_neutralized_before_quoting() {
        assert_eq!(row(&[Some("=HYPERLINK(\"x\",\"y\")")]), "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\"\r\n");
    }

    #[test]
    fn a_customer_row_follows_the_header_order() {
        assert_eq!(
            customer_row(&customer()),
            "c1,Ada,ada@example.com,'+1 555 0100,\"ACME, Inc.\",visitor,meeting_link,\
             2026-01-01T00:00:00.000Z,2026-01-02T00:00:00.000Z,,\r\n"
        );
    }

    #[test]
    fn a_customer_row_has_as_many_cells_as_the_header() {
        let csv = format!("{EXPORT_HEADER}\r\n{}", customer_row(&customer()));
        let parsed = parse_csv(csv).unwrap();
        assert_eq!(parsed.columns.len(), 11);
        assert_eq!(parsed.record(0).values().count(), 11);
        assert_eq!(parsed.record(0).values().nth(10), Some(""));
    }

    fn names(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_default_columns_are_the_header_then_notes_handle_parent_and_groups() {
        let header = header_row(&default_columns());
        assert_eq!(header, format!("{EXPORT_HEADER},notes,handle,parent_id,groups\r\n"));
    }

    #[test]
    fn chosen_columns_are_written_in_their_order() {
        let mut c = customer();
        c.group_ids = vec!["g2".into(), "g1".into(), "gone".into()];
        c.attributes.insert("plan".into(), json!("pro"));
        c.attributes.insert("seats".into(), json!(12));
        let cols = parse_columns("email, groups,attributes.plan,attributes.seats,attributes.none,notes").unwrap();
        assert_eq!(header_row(&cols), "email,groups,attributes.plan,attributes.seats,attributes.none,notes\r\n");
        assert_eq!(
            customer_cells(&c, &cols, &names(&[("g1", "VIP"), ("g2", "Berlin")])),
            "ada@example.com,Berlin;VIP,pro,12,,not exported\r\n"
        );
    }

    #[test]
    fn the_default_row_matches_the_fixed_row_for_the_shared_columns() {
        let row = customer_cells(&customer(), &default_columns(), &HashMap::new());
        let fixed = customer_row(&customer());
        assert!(row.starts_with(fixed.trim_end()), "{row}");
    }

    #[test]
    fn unknown_repeated_and_empty_columns_are_refused() {
        assert!(parse_columns("name,secret").unwrap_err().contains("`secret`"));
        assert!(parse_columns("name,name").unwrap_err().contains("twice"));
        assert!(parse_columns("name,,email").is_err());
        assert!(parse_columns("attributes.").is_err());
    }

    #[test]
    fn a_customer_row_writes_deletion_and_last_seen_times() {
        let mut c = customer();
        c.last_seen_at = Some("2026-01-03T00:00:00.000Z".into());
        c.deleted_at = Some("2026-01-04T00:00:00.000Z".into());
        assert!(customer_row(&c).ends_with(",2026-01-03T00:00:00.000Z,2026-01-04T00:00:00.000Z\r\n"));
    }

    fn cell() -> impl Strategy<Value = String> {
        "[\\PC\\n\\t\\r\"', ]{0,30}"
    }

    proptest! {
        #[test]
        fn a_written_row_reads_back_as_its_cells(
            name in cell(), email in cell(), company in cell(), notes in cell()
        ) {
            let cells = [name.as_str(), email.as_str(), company.as_str(), notes.as_str()];
            let mut csv = String::from("name,email,company,notes\r\n");
            write_row(&mut csv, &cells.map(Some));

            let parsed = parse_csv(csv).unwrap();
            prop_assert_eq!(&parsed.columns, &vec![Column::Name, Column::Email, Column::Company, Column::Notes]);
            // The import undoes the guard: each cell reads back as written, but for a `'` that
            // itself stood before a formula character, which the import takes for the guard.
            let expected: Vec<String> = cells.iter().map(|c| unguard(c).to_string()).collect();
            if expected.iter().all(|c| c.trim().is_empty()) {
                // The importer skips rows with nothing in them.
                prop_assert!(parsed.is_empty());
            } else {
                prop_assert_eq!(parsed.len(), 1);
                prop_assert_eq!(parsed.record(0).values().collect::<Vec<_>>(), expected);
                prop_assert_eq!(parsed.record(0).line, 2);
            }
        }
    }
}
