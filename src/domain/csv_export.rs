//! Writing customers as CSV for download.
//!
//! Every cell is neutralised against formula injection: spreadsheets run a cell that begins
//! with `=`, `+`, `-` or `@` (and some strip a leading tab or CR first), so such cells get a `'`
//! prefix, which spreadsheets show as text.
use std::borrow::Cow;

use super::customer::Customer;

pub const EXPORT_HEADER: &str = "id,name,email,phone,company,kind,source,created_at,updated_at,last_seen_at,deleted_at";

const FORMULA_TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

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

/// One customer as a row under `EXPORT_HEADER`.
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
    use crate::domain::csv_import::{parse_csv, Column};
    use crate::domain::customer::{Kind, Source};
    use proptest::prelude::*;

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
        let parsed = parse_csv(csv.as_bytes()).unwrap();
        assert_eq!(parsed.columns.len(), 11);
        assert_eq!(parsed.records[0].values.len(), 11);
        assert_eq!(parsed.records[0].values[10], "");
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
        fn a_written_row_reads_back_as_its_neutralized_cells(
            name in cell(), email in cell(), company in cell(), notes in cell()
        ) {
            let cells = [name.as_str(), email.as_str(), company.as_str(), notes.as_str()];
            let mut csv = String::from("name,email,company,notes\r\n");
            write_row(&mut csv, &cells.map(Some));

            let parsed = parse_csv(csv.as_bytes()).unwrap();
            prop_assert_eq!(&parsed.columns, &vec![Column::Name, Column::Email, Column::Company, Column::Notes]);
            let expected: Vec<String> = cells.iter().map(|c| neutralize(c).into_owned()).collect();
            if expected.iter().all(|c| c.trim().is_empty()) {
                // The importer skips rows with nothing in them.
                prop_assert!(parsed.records.is_empty());
            } else {
                prop_assert_eq!(parsed.records.len(), 1);
                prop_assert_eq!(&parsed.records[0].values, &expected);
                prop_assert_eq!(parsed.records[0].line, 2);
            }
        }
    }
}
