//! Reading an uploaded customer CSV into records that `NewCustomer::parse` can validate.
//!
//! Only the file's shape is checked here (encoding, header, quoting); the values themselves are
//! validated row by row by the customer rules, so one bad row never hides the others.
use std::collections::HashSet;

use super::csv_export::{FIELD_COLUMNS, FORMULA_TRIGGERS};
use super::customer::CustomerFields;
use super::unicode::lowercase;
use super::validation::FieldError;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The header's non-empty columns at most: the five fields, `groups`, the export's read-only
/// columns and attributes, of which a customer has at most 50 (a file may spread more over its
/// rows). Each column is a name held for the whole import and a cell checked in every row.
pub const MAX_COLUMNS: usize = 1_000;

/// The delimiters spreadsheets commonly export with; the first wins ties.
const DELIMITERS: [u8; 3] = [b',', b';', b'\t'];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    Name,
    Email,
    Phone,
    Company,
    Notes,
    /// Names of groups to put the customer in, separated by `;` (`group::names_in_cell`).
    Groups,
    /// `attributes.<key>` (as the export writes it) or any other header, kept as written
    /// (trimmed) so the attribute key matches the file.
    Attribute(String),
    /// A column the export writes that an import does not set (`id`, `kind`, `created_at`, ...):
    /// passed over, so an exported file imports again as it was.
    ReadOnly(String),
}

impl Column {
    fn from_header(trimmed: &str) -> Column {
        match trimmed.to_ascii_lowercase().as_str() {
            "name" => Column::Name,
            "email" => Column::Email,
            "phone" => Column::Phone,
            "company" => Column::Company,
            "notes" => Column::Notes,
            "groups" => Column::Groups,
            // Every other field an export writes is one an import does not set.
            lower if FIELD_COLUMNS.contains(&lower) => Column::ReadOnly(lower.to_string()),
            _ => match trimmed.strip_prefix("attributes.").filter(|k| !k.is_empty()) {
                Some(key) => Column::Attribute(key.to_string()),
                None => Column::Attribute(trimmed.to_string()),
            },
        }
    }

    /// The key this column has in a customer body (or in its `attributes`).
    pub fn key(&self) -> &str {
        match self {
            Column::Name => "name",
            Column::Email => "email",
            Column::Phone => "phone",
            Column::Company => "company",
            Column::Notes => "notes",
            Column::Groups => "groups",
            Column::Attribute(key) | Column::ReadOnly(key) => key,
        }
    }
}

/// One record of the file: its cells, borrowed from the file as `ParsedCsv` rewrote them.
#[derive(Debug, Clone, Copy)]
pub struct CsvRecord<'a> {
    /// The 1-based line of the file where the record starts; the header is line 1.
    pub line: usize,
    /// The record's cells, separated by `SEP`.
    cells: &'a [u8],
    /// For each column of `ParsedCsv::columns`, the position of its cell in the record.
    wanted: &'a [usize],
}

/// Where a record lies in the rewritten file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    line: usize,
    start: usize,
    end: usize,
}

/// An uploaded file, read. It holds the file itself: each record's cells are written back over
/// the record's own bytes, unquoted and separated by `SEP`, so a record is read again by
/// borrowing its cells, never by copying them (the upload is the largest thing an import holds;
/// a copy of its cells, or of its rows as values, doubled the memory it needs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedCsv {
    /// The header's non-empty columns; cells under an empty header are dropped.
    pub columns: Vec<Column>,
    /// For each column, the position of its cell in a record.
    wanted: Vec<usize>,
    bytes: Vec<u8>,
    /// The non-blank records after the header.
    records: Vec<Span>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CsvError {
    InvalidEncoding {
        line: usize,
    },
    NoHeader,
    MissingColumns,
    DuplicateColumn(String),
    TooManyColumns,
    /// A quoted field that never closes: without this check the reader would take the rest of
    /// the file as that one cell.
    UnclosedQuote {
        line: usize,
    },
    /// More records than the caller takes.
    TooManyRows {
        limit: usize,
    },
}

impl CsvError {
    /// The contract's error code for this failure.
    pub fn code(&self) -> &'static str {
        match self {
            CsvError::InvalidEncoding { .. } => "invalid_encoding",
            CsvError::TooManyRows { .. } => "too_many_rows",
            _ => "invalid_csv",
        }
    }

    pub fn message(&self) -> String {
        match self {
            CsvError::InvalidEncoding { line } => format!("line {line} is not valid UTF-8"),
            CsvError::NoHeader => "the file has no header row".into(),
            CsvError::MissingColumns => "the header needs a `name` or an `email` column".into(),
            CsvError::DuplicateColumn(column) => format!("the column `{column}` appears more than once in the header"),
            CsvError::TooManyColumns => format!("the header has more than {MAX_COLUMNS} columns"),
            CsvError::TooManyRows { limit } => format!("the file has more than {limit} rows"),
            CsvError::UnclosedQuote { line } => {
                format!("line {line}: a quoted field begins here and its closing quote never comes (write a quote inside a field as \"\")")
            }
        }
    }
}

impl<'a> CsvRecord<'a> {
    /// One value per column, in the order of `ParsedCsv::columns`, as written in the file (the
    /// export's formula guard undone); a record shorter than the header has empty cells.
    pub fn values(&self) -> impl Iterator<Item = &'a str> + 'a {
        let mut cells = self.cells.split(|&b| b == SEP).enumerate();
        // The wanted positions increase, so the cells are walked once.
        self.wanted.iter().map(move |&want| cells.find(|(i, _)| *i == want).map_or("", |(_, c)| unguard(as_text(c))))
    }

    /// Validates the record as a customer by the rules of a create body: the known columns are
    /// fields, the others attributes (as strings), and blank cells are absent.
    pub fn customer_fields(&self, columns: &[Column]) -> Result<CustomerFields, Vec<FieldError>> {
        let cells = || columns.iter().zip(self.values());
        CustomerFields::from_row(
            cells()
                .filter(|(c, _)| !matches!(c, Column::Attribute(_) | Column::Groups | Column::ReadOnly(_)))
                .map(|(c, v)| (c.key(), v)),
            cells().filter_map(|(c, v)| match c {
                Column::Attribute(key) => Some((key.as_str(), v)),
                _ => None,
            }),
        )
    }

    /// The record's cell in the column of `column`, if the file has that column.
    pub fn cell(&self, columns: &[Column], column: &Column) -> Option<&'a str> {
        let at = columns.iter().position(|c| c == column)?;
        self.values().nth(at)
    }

    /// The record's `groups` cell, if the file has that column.
    pub fn groups_cell(&self, columns: &[Column]) -> Option<&'a str> {
        self.cell(columns, &Column::Groups)
    }
}

impl ParsedCsv {
    /// How many records the file has after its header (blank ones aside).
    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The `index`th record after the header.
    pub fn record(&self, index: usize) -> CsvRecord<'_> {
        let span = self.records[index];
        CsvRecord { line: span.line, cells: &self.bytes[span.start..span.end], wanted: &self.wanted }
    }

    pub fn records(&self) -> impl Iterator<Item = CsvRecord<'_>> {
        (0..self.len()).map(|i| self.record(i))
    }
}

/// Separates the cells of a record once the file is read: a byte that UTF-8 never uses, so no
/// cell can hold it.
const SEP: u8 = 0xFF;

/// A cell as text. The file was checked to be UTF-8, and a cell only lost ASCII quotes and
/// ended at an ASCII delimiter or line break, so this never falls back.
fn as_text(cell: &[u8]) -> &str {
    std::str::from_utf8(cell).unwrap_or_default()
}

/// Undoes the export's formula guard (`csv_export::neutralize`): a `'` before a character that
/// starts a formula is removed, so an exported cell reads back as the value it was.
pub fn unguard(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_TRIGGERS) => rest,
        _ => cell,
    }
}

pub fn parse_csv(bytes: impl Into<Vec<u8>>) -> Result<ParsedCsv, CsvError> {
    parse_csv_within(bytes, usize::MAX)
}

/// `parse_csv` for a file of at most `max_records` records. The file is read once, in place
/// (nothing is allocated per record or per cell); a file over the limit is refused after that
/// read, before anything else is done with it.
pub fn parse_csv_within(bytes: impl Into<Vec<u8>>, max_records: usize) -> Result<ParsedCsv, CsvError> {
    let mut bytes = bytes.into();
    let mut start = if bytes.starts_with(BOM) { BOM.len() } else { 0 };
    if let Err(e) = std::str::from_utf8(&bytes[start..]) {
        return Err(CsvError::InvalidEncoding { line: 1 + line_breaks(&bytes[start..start + e.valid_up_to()]) });
    }
    let delimiter = detect_delimiter(&bytes[start..]);
    // A second BOM is taken off the first cell too, as the `csv` reader does.
    if bytes[start..].starts_with(BOM) {
        start += BOM.len();
    }
    let mut reader = Reader { bytes: &mut bytes, pos: start, line: 1, delimiter };
    let header = reader.next()?.ok_or(CsvError::NoHeader)?;
    let mut records = Vec::new();
    let mut count = 0usize;
    while let Some(span) = reader.next()? {
        if !is_blank(&reader.bytes[span.start..span.end]) {
            count += 1;
            // Past the limit only the count goes on: the whole file is read, so that a quote
            // left open anywhere is reported as it always was.
            if records.len() <= max_records {
                records.push(span);
            }
        }
    }

    let header_cells = &bytes[header.start..header.end];
    if is_blank(header_cells) {
        return Err(CsvError::NoHeader);
    }
    // Remembers which cell feeds each column, so records can skip cells under empty headers.
    let mut wanted = Vec::new();
    let mut columns = Vec::new();
    let mut seen = HashSet::new();
    for (i, raw) in header_cells.split(|&b| b == SEP).enumerate() {
        let trimmed = as_text(raw).trim();
        if trimmed.is_empty() {
            continue;
        }
        if !seen.insert(lowercase(trimmed)) {
            return Err(CsvError::DuplicateColumn(trimmed.to_string()));
        }
        if columns.len() == MAX_COLUMNS {
            return Err(CsvError::TooManyColumns);
        }
        wanted.push(i);
        columns.push(Column::from_header(trimmed));
    }
    if !columns.iter().any(|c| matches!(c, Column::Name | Column::Email)) {
        return Err(CsvError::MissingColumns);
    }
    if count > max_records {
        return Err(CsvError::TooManyRows { limit: max_records });
    }
    Ok(ParsedCsv { columns, wanted, bytes, records })
}

fn is_blank(cells: &[u8]) -> bool {
    cells.split(|&b| b == SEP).all(|cell| as_text(cell).trim().is_empty())
}

/// Picks the delimiter that occurs most often in the first line, outside quotes.
fn detect_delimiter(bytes: &[u8]) -> u8 {
    let mut counts = [0usize; DELIMITERS.len()];
    let mut quoted = false;
    // The reader skips empty lines, so the header is the first line with anything on it.
    let start = bytes.iter().position(|b| !matches!(b, b'\r' | b'\n')).unwrap_or(bytes.len());
    for &b in &bytes[start..] {
        match b {
            // An escaped quote (`""`) toggles twice, leaving the state unchanged.
            b'"' => quoted = !quoted,
            b'\r' | b'\n' if !quoted => break,
            _ if !quoted => {
                if let Some(i) = DELIMITERS.iter().position(|&d| d == b) {
                    counts[i] += 1;
                }
            }
            _ => {}
        }
    }
    let mut best = 0;
    for i in 1..DELIMITERS.len() {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    DELIMITERS[best]
}

/// Line breaks in `bytes`: `\r\n`, `\r` and `\n` each count once, as the reader reads them.
fn line_breaks(bytes: &[u8]) -> usize {
    bytes.iter().enumerate().filter(|&(i, &b)| b == b'\r' || (b == b'\n' && (i == 0 || bytes[i - 1] != b'\r'))).count()
}

/// Reads records the way RFC 4180 and the `csv` crate read them (the crate is the oracle of the
/// property tests below): a quote opens a field only as its first byte, `""` inside it is one
/// quote, bytes after its closing quote up to the delimiter are kept as written, and any run of
/// `\r` and `\n` outside quotes ends a record (so empty lines are skipped). Each record is
/// rewritten in place as its cells separated by `SEP`: taking quotes off never makes a cell
/// longer, so the writing stays behind the reading.
struct Reader<'a> {
    bytes: &'a mut [u8],
    pos: usize,
    /// The line of the byte at `pos`.
    line: usize,
    delimiter: u8,
}

impl Reader<'_> {
    /// Counts the line break at `at`; a `\n` right after a `\r` is the same break. The byte
    /// before `at` is still as the file had it: within quotes the writing is at least one byte
    /// (the opening quote) behind, and before a record's first line break it wrote at most a
    /// `SEP` over a delimiter, which is no `\r` either.
    fn count_break(&mut self, at: usize) {
        if self.bytes[at] == b'\r' || at == 0 || self.bytes[at - 1] != b'\r' {
            self.line += 1;
        }
    }

    /// The next record, rewritten; `None` at the end of the file.
    fn next(&mut self) -> Result<Option<Span>, CsvError> {
        let len = self.bytes.len();
        while self.pos < len && matches!(self.bytes[self.pos], b'\r' | b'\n') {
            self.count_break(self.pos);
            self.pos += 1;
        }
        if self.pos == len {
            return Ok(None);
        }
        let (start, line, d) = (self.pos, self.line, self.delimiter);
        let (mut read, mut write) = (start, start);
        loop {
            if self.bytes.get(read) == Some(&b'"') {
                let open = self.line;
                read += 1;
                loop {
                    match self.bytes.get(read) {
                        None => return Err(CsvError::UnclosedQuote { line: open }),
                        Some(b'"') if self.bytes.get(read + 1) == Some(&b'"') => read += 1,
                        Some(b'"') => break,
                        Some(b'\r' | b'\n') => self.count_break(read),
                        Some(_) => {}
                    }
                    self.bytes[write] = self.bytes[read];
                    write += 1;
                    read += 1;
                }
                read += 1;
            }
            while read < len && !matches!(self.bytes[read], b'\r' | b'\n') && self.bytes[read] != d {
                self.bytes[write] = self.bytes[read];
                write += 1;
                read += 1;
            }
            if read < len && self.bytes[read] == d {
                self.bytes[write] = SEP;
                write += 1;
                read += 1;
                continue;
            }
            break;
        }
        self.pos = read;
        Ok(Some(Span { line, start, end: write }))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_export_guard_is_removed_before_formula_characters_only() {
        assert_eq!(unguard("'+44 20 7946 0000"), "+44 20 7946 0000");
        assert_eq!(unguard("'=1+1"), "=1+1");
        assert_eq!(unguard("'-2"), "-2");
        assert_eq!(unguard("'@x"), "@x");
        assert_eq!(unguard("'\tx"), "\tx");
        assert_eq!(unguard("'\rx"), "\rx");
        assert_eq!(unguard("'quoted'"), "'quoted'");
        assert_eq!(unguard("O'Brien"), "O'Brien");
        assert_eq!(unguard("'"), "'");
    }

    #[test]
    fn exported_cells_read_back_without_their_guard() {
        let parsed = parse_csv(b"name,phone\r\nAda,'+44 20\r\n").unwrap();
        assert_eq!(values(&parsed), vec![vec!["Ada", "+44 20"]]);
    }

    #[test]
    fn the_export_s_read_only_columns_are_passed_over() {
        let parsed = parse_csv(b"id,name,Kind,created_at,handle,attributes.plan\r\nc1,Ada,visitor,2026,ada,pro\r\n").unwrap();
        assert_eq!(parsed.columns[0], Column::ReadOnly("id".into()));
        assert_eq!(parsed.columns[2], Column::ReadOnly("kind".into()));
        assert_eq!(parsed.columns[5], Column::Attribute("plan".into()));
        let fields = parsed.record(0).customer_fields(&parsed.columns).unwrap();
        assert_eq!(fields.name.as_deref(), Some("Ada"));
        assert_eq!(fields.attributes.len(), 1);
        assert_eq!(fields.attributes["plan"], "pro");
    }

    use super::*;
    use crate::domain::customer::NewCustomer;
    use proptest::prelude::*;
    use serde_json::{json, Value};

    fn parse(text: &str) -> ParsedCsv {
        parse_csv(text).unwrap()
    }

    #[test]
    fn records_past_the_limit_are_refused_blank_lines_aside() {
        let file = b"name\nAda\n\n , \nBob\n";
        assert_eq!(parse_csv_within(file, 2).map(|p| p.len()), Ok(2));
        assert_eq!(parse_csv_within(file, 1), Err(CsvError::TooManyRows { limit: 1 }));
        assert_eq!(parse_csv_within(b"name\n", 0).map(|p| p.len()), Ok(0));
    }

    fn lines(parsed: &ParsedCsv) -> Vec<usize> {
        parsed.records().map(|r| r.line).collect()
    }

    fn values(parsed: &ParsedCsv) -> Vec<Vec<&str>> {
        parsed.records().map(|r| r.values().collect()).collect()
    }

    fn attr(key: &str) -> Column {
        Column::Attribute(key.into())
    }

    #[test]
    fn a_header_and_records_are_parsed_in_order() {
        let parsed = parse("name,email\nAda,ada@example.com\nGrace,grace@example.com\n");
        assert_eq!(parsed.columns, vec![Column::Name, Column::Email]);
        assert_eq!(values(&parsed), vec![vec!["Ada", "ada@example.com"], vec!["Grace", "grace@example.com"]]);
    }

    #[test]
    fn the_first_record_is_on_line_2() {
        assert_eq!(lines(&parse("name\nAda\nGrace")), vec![2, 3]);
    }

    #[test]
    fn known_headers_are_matched_case_insensitively_after_trimming() {
        let parsed = parse(" Name ,EMAIL,Phone,  company,NoTeS\n");
        assert_eq!(parsed.columns, vec![Column::Name, Column::Email, Column::Phone, Column::Company, Column::Notes]);
    }

    #[test]
    fn a_groups_column_is_matched_case_insensitively_and_is_no_attribute() {
        let parsed = parse("name, Groups \nAda,VIP;Partners\n");
        assert_eq!(parsed.columns, vec![Column::Name, Column::Groups]);
        let record = parsed.record(0);
        assert_eq!(record.groups_cell(&parsed.columns), Some("VIP;Partners"));
        assert!(record.customer_fields(&parsed.columns).unwrap().attributes.is_empty());
    }

    #[test]
    fn a_file_without_a_groups_column_has_no_groups_cell() {
        let parsed = parse("name\nAda\n");
        assert_eq!(parsed.record(0).groups_cell(&parsed.columns), None);
    }

    #[test]
    fn a_file_with_only_a_name_column_is_valid() {
        let parsed = parse("Name\nAda\n");
        assert_eq!(parsed.columns, vec![Column::Name]);
        assert_eq!(values(&parsed), vec![vec!["Ada"]]);
    }

    #[test]
    fn a_file_with_only_an_email_column_is_valid() {
        assert_eq!(parse("email\n").columns, vec![Column::Email]);
    }

    #[test]
    fn other_headers_become_attributes_keeping_their_trimmed_text() {
        let parsed = parse("name, Plan Tier ,Seats\n");
        assert_eq!(parsed.columns, vec![Column::Name, attr("Plan Tier"), attr("Seats")]);
    }

    #[test]
    fn cells_under_empty_headers_are_dropped() {
        let parsed = parse("name,,email,\nAda,x,ada@example.com,y\n");
        assert_eq!(parsed.columns, vec![Column::Name, Column::Email]);
        assert_eq!(values(&parsed), vec![vec!["Ada", "ada@example.com"]]);
    }

    #[test]
    fn a_utf8_bom_is_stripped() {
        let parsed = parse_csv(b"\xEF\xBB\xBFname\nAda\n").unwrap();
        assert_eq!(parsed.columns, vec![Column::Name]);
    }

    #[test]
    fn invalid_utf8_names_the_line_of_the_first_bad_byte() {
        assert_eq!(parse_csv(b"name\nAda\nJos\xE9\nZo\xEB\n"), Err(CsvError::InvalidEncoding { line: 3 }));
    }

    #[test]
    fn invalid_utf8_in_the_header_is_line_1() {
        assert_eq!(parse_csv(b"n\xFFme\nAda\n"), Err(CsvError::InvalidEncoding { line: 1 }));
    }

    #[test]
    fn invalid_utf8_lines_count_crlf_as_one_break() {
        assert_eq!(parse_csv(b"name\r\nAda\r\n\xFF\r\n"), Err(CsvError::InvalidEncoding { line: 3 }));
    }

    #[test]
    fn an_empty_file_has_no_header() {
        assert_eq!(parse_csv(b""), Err(CsvError::NoHeader));
    }

    #[test]
    fn a_file_with_only_a_bom_has_no_header() {
        assert_eq!(parse_csv(BOM), Err(CsvError::NoHeader));
    }

    #[test]
    fn a_file_of_blank_lines_has_no_header() {
        assert_eq!(parse_csv(b"\n\r\n\n"), Err(CsvError::NoHeader));
    }

    #[test]
    fn a_first_row_of_empty_cells_is_not_a_header() {
        assert_eq!(parse_csv(b" , ,\nAda,x,y\n"), Err(CsvError::NoHeader));
    }

    #[test]
    fn a_header_without_name_or_email_is_missing_columns() {
        assert_eq!(parse_csv(b"phone,company\n123,ACME\n"), Err(CsvError::MissingColumns));
    }

    #[test]
    fn duplicate_headers_are_rejected_case_insensitively() {
        assert_eq!(parse_csv(b"name,email,Plan, NAME\n"), Err(CsvError::DuplicateColumn("NAME".into())));
    }

    #[test]
    fn a_header_of_more_than_a_thousand_columns_is_refused_empty_ones_aside() {
        let names = |n: usize| (0..n).map(|i| format!("c{i}")).collect::<Vec<_>>().join(",");
        assert_eq!(parse_csv(format!("name,{}", names(MAX_COLUMNS - 1))).unwrap().columns.len(), MAX_COLUMNS);
        assert_eq!(parse_csv(format!("name,{}", names(MAX_COLUMNS))), Err(CsvError::TooManyColumns));
        assert_eq!(parse_csv(format!("name,{}{}", names(MAX_COLUMNS - 1), ",".repeat(5000))).unwrap().columns.len(), MAX_COLUMNS);
        assert_eq!(CsvError::TooManyColumns.code(), "invalid_csv");
    }

    #[test]
    fn duplicate_attribute_headers_are_rejected() {
        assert_eq!(parse_csv(b"name,plan,PLAN\n"), Err(CsvError::DuplicateColumn("PLAN".into())));
    }

    #[test]
    fn a_semicolon_delimiter_is_detected() {
        let parsed = parse("name;email\nAda;ada@example.com\n");
        assert_eq!(values(&parsed), vec![vec!["Ada", "ada@example.com"]]);
    }

    #[test]
    fn a_tab_delimiter_is_detected() {
        let parsed = parse("name\temail\nAda\tada@example.com\n");
        assert_eq!(values(&parsed), vec![vec!["Ada", "ada@example.com"]]);
    }

    #[test]
    fn delimiters_inside_quoted_header_cells_are_not_counted() {
        let parsed = parse("\"a,b,c\";name;email\n1;Ada;ada@example.com\n");
        assert_eq!(parsed.columns, vec![attr("a,b,c"), Column::Name, Column::Email]);
    }

    #[test]
    fn only_the_header_line_decides_the_delimiter() {
        let parsed = parse("name,notes\nAda,a;b;c;d\n");
        assert_eq!(values(&parsed), vec![vec!["Ada", "a;b;c;d"]]);
    }

    #[test]
    fn comma_wins_a_tie() {
        let parsed = parse("name,email;phone\n");
        assert_eq!(parsed.columns, vec![Column::Name, attr("email;phone")]);
    }

    #[test]
    fn an_unclosed_quote_names_the_line_where_the_field_began() {
        let err = parse_csv(b"name,email\n\"Ada,ada@example.com\nBob,bob@example.com\n").unwrap_err();
        assert_eq!(err, CsvError::UnclosedQuote { line: 2 });
        assert_eq!(err.code(), "invalid_csv");
        assert!(err.message().starts_with("line 2:"));
    }

    #[test]
    fn an_unclosed_quote_in_the_header_is_line_1() {
        assert_eq!(parse_csv(b"\"name,email\nAda,a@example.com\n").unwrap_err(), CsvError::UnclosedQuote { line: 1 });
    }

    #[test]
    fn an_unclosed_quote_after_a_multi_line_field_counts_its_lines() {
        let err = parse_csv(b"name,notes\nAda,\"two\nlines\"\nBob,\"open\n").unwrap_err();
        assert_eq!(err, CsvError::UnclosedQuote { line: 4 });
    }

    #[test]
    fn quotes_inside_unquoted_fields_and_after_closing_quotes_are_literal() {
        let parsed = parse("name,notes\nA\"da,\"x\"y\n");
        assert_eq!(values(&parsed), vec![vec!["A\"da", "xy"]]);
    }

    #[test]
    fn doubled_quotes_do_not_close_a_field() {
        assert_eq!(parse_csv(b"name\n\"say \"\"hi\"\"\n").unwrap_err(), CsvError::UnclosedQuote { line: 2 });
        assert_eq!(values(&parse("name\n\"say \"\"hi\"\"\"\n")), vec![vec!["say \"hi\""]]);
    }

    #[test]
    fn quoted_fields_keep_delimiters_quotes_and_newlines() {
        let parsed = parse("name,notes\n\"Lovelace, Ada\",\"said \"\"hi\"\"\nand left\"\n");
        assert_eq!(values(&parsed), vec![vec!["Lovelace, Ada", "said \"hi\"\nand left"]]);
    }

    #[test]
    fn lines_count_newlines_inside_earlier_quoted_fields() {
        let parsed = parse("name,notes\nAda,\"one\ntwo\nthree\"\nGrace,x\n");
        assert_eq!(lines(&parsed), vec![2, 5]);
    }

    #[test]
    fn blank_lines_are_ignored_but_still_counted() {
        let parsed = parse("name\n\nAda\n\n\nGrace\n\n");
        assert_eq!(values(&parsed), vec![vec!["Ada"], vec!["Grace"]]);
        assert_eq!(lines(&parsed), vec![3, 6]);
    }

    #[test]
    fn rows_of_empty_cells_are_ignored() {
        let parsed = parse("name,email\n,\n , \nAda,\n");
        assert_eq!(lines(&parsed), vec![4]);
    }

    #[test]
    fn blank_lines_before_the_header_are_skipped() {
        let parsed = parse("\n\nname;email\nAda;a@example.com\n");
        assert_eq!(parsed.columns, vec![Column::Name, Column::Email]);
        assert_eq!(lines(&parsed), vec![4]);
    }

    #[test]
    fn crlf_line_endings_give_the_same_lines_as_lf() {
        let parsed = parse("name,notes\r\nAda,\"a\r\nb\"\r\n\r\nGrace,x\r\n");
        assert_eq!(values(&parsed), vec![vec!["Ada", "a\r\nb"], vec!["Grace", "x"]]);
        assert_eq!(lines(&parsed), vec![2, 5]);
    }

    #[test]
    fn lone_cr_line_endings_count_as_line_breaks() {
        assert_eq!(lines(&parse("name\rAda\r\rGrace\r")), vec![2, 4]);
    }

    #[test]
    fn missing_trailing_cells_are_empty() {
        let parsed = parse("name,email,phone\nAda\n");
        assert_eq!(values(&parsed), vec![vec!["Ada", "", ""]]);
    }

    #[test]
    fn extra_cells_beyond_the_header_are_ignored() {
        let parsed = parse("name\nAda,extra,more\n");
        assert_eq!(values(&parsed), vec![vec!["Ada"]]);
    }

    fn fields_of(text: &str) -> CustomerFields {
        let parsed = parse(text);
        parsed.record(0).customer_fields(&parsed.columns).unwrap()
    }

    #[test]
    fn known_columns_become_customer_fields() {
        let fields = fields_of("Name,Email,Phone,Company,Notes\nAda,ada@example.com,+1 555 0100,ACME,hi\n");
        assert_eq!(fields.name.as_deref(), Some("Ada"));
        assert_eq!(fields.email.unwrap().as_str(), "ada@example.com");
        assert_eq!(fields.phone.as_deref(), Some("+1 555 0100"));
        assert_eq!(fields.company.as_deref(), Some("ACME"));
        assert_eq!(fields.notes.as_deref(), Some("hi"));
    }

    #[test]
    fn blank_cells_are_absent_rather_than_invalid() {
        let fields = fields_of("name,email,phone,plan\nAda, ,,  \n");
        assert_eq!(fields, CustomerFields { name: Some("Ada".into()), ..Default::default() });
    }

    #[test]
    fn other_columns_become_string_attributes() {
        let fields = fields_of("name,Plan,seats\nAda,pro,3\n");
        assert_eq!(Value::Object(fields.attributes), json!({"Plan": "pro", "seats": "3"}));
    }

    #[test]
    fn values_shorter_than_the_columns_are_blank() {
        let parsed = parse("name,email\nAda\n");
        let fields = parsed.record(0).customer_fields(&parsed.columns).unwrap();
        assert_eq!(fields, CustomerFields { name: Some("Ada".into()), ..Default::default() });
    }

    #[test]
    fn a_row_is_checked_by_the_rules_of_a_create_body() {
        let parsed = parse("name,email,phone,plan\nAda,not-an-email,12,x\n");
        let errors = parsed.record(0).customer_fields(&parsed.columns).unwrap_err();
        let row: Vec<_> = errors.iter().map(|e| (e.field.as_str(), e.code.as_str())).collect();
        let body = json!({"name": "Ada", "email": "not-an-email", "phone": "12", "attributes": {"plan": "x"}});
        let create = NewCustomer::parse(&body).unwrap_err();
        assert_eq!(row, create.iter().map(|e| (e.field.as_str(), e.code.as_str())).collect::<Vec<_>>());
        assert_eq!(row, vec![("email", "invalid"), ("phone", "invalid")]);
    }

    #[test]
    fn a_row_with_neither_name_nor_email_fails_like_a_body_without_them() {
        let parsed = parse("name,email,plan\n, ,pro\n");
        let errors = parsed.record(0).customer_fields(&parsed.columns).unwrap_err();
        assert_eq!((errors[0].field.as_str(), errors[0].code.as_str()), ("name", "required"));
    }

    #[test]
    fn invalid_encoding_has_its_own_code_and_names_the_line() {
        let e = CsvError::InvalidEncoding { line: 3 };
        assert_eq!(e.code(), "invalid_encoding");
        assert_eq!(e.message(), "line 3 is not valid UTF-8");
    }

    #[test]
    fn header_problems_are_invalid_csv() {
        for e in [CsvError::NoHeader, CsvError::MissingColumns, CsvError::DuplicateColumn("x".into())] {
            assert_eq!(e.code(), "invalid_csv", "{e:?}");
        }
    }

    #[test]
    fn a_duplicate_column_message_names_the_column() {
        assert!(CsvError::DuplicateColumn("Plan".into()).message().contains("`Plan`"));
    }

    /// Every record of `text` (header and blank ones too) as this reader reads it: its line and
    /// its cells.
    fn read_all(text: &[u8], delimiter: u8) -> Result<Vec<(usize, Vec<String>)>, CsvError> {
        let mut bytes = text.to_vec();
        // Two BOMs off the start, as `parse_csv_within` takes them.
        let mut pos = 0;
        for _ in 0..2 {
            if bytes[pos..].starts_with(BOM) {
                pos += BOM.len();
            }
        }
        let mut reader = Reader { bytes: &mut bytes, pos, line: 1, delimiter };
        let mut out = Vec::new();
        while let Some(span) = reader.next()? {
            let cells = &reader.bytes[span.start..span.end];
            out.push((span.line, cells.split(|&b| b == SEP).map(|c| as_text(c).to_string()).collect()));
        }
        Ok(out)
    }

    /// The same records as the `csv` crate reads them, with the settings the import used it
    /// with; each record's line counted on the original text from where the crate says the
    /// record starts (after the line breaks it skips).
    fn oracle(text: &[u8], delimiter: u8) -> Vec<(usize, Vec<String>)> {
        // Without the BOMs the import takes off itself (the crate would take off one, and count
        // its bytes in the positions the lines are counted from).
        let mut text = text;
        for _ in 0..2 {
            text = text.strip_prefix(BOM).unwrap_or(text);
        }
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(text);
        let mut record = csv::ByteRecord::new();
        let mut out = Vec::new();
        loop {
            let previous_end = reader.position().byte() as usize;
            let start = previous_end + text[previous_end..].iter().take_while(|b| matches!(b, b'\r' | b'\n')).count();
            if !reader.read_byte_record(&mut record).unwrap() {
                return out;
            }
            let cells = record.iter().map(|c| String::from_utf8(c.to_vec()).unwrap()).collect();
            out.push((1 + line_breaks(&text[..start]), cells));
        }
    }

    #[test]
    fn quoted_cells_are_read_in_place_whatever_their_length() {
        let notes = format!("\"{}\"\"{}\"", " ".repeat(5000), "x".repeat(3000));
        let text = format!("name,notes\nAda,{notes}\n\"B,\"\"o\"\"\"b,{}\n", "y".repeat(10));
        let parsed = parse(&text);
        assert_eq!(values(&parsed)[0][1], format!("{}\"{}", " ".repeat(5000), "x".repeat(3000)));
        assert_eq!(values(&parsed)[1], vec!["B,\"o\"b", "yyyyyyyyyy"]);
        assert_eq!(lines(&parsed), vec![2, 3]);
    }

    #[test]
    fn a_record_can_be_read_any_number_of_times() {
        let parsed = parse("name,notes\n\"A \"\"1\"\"\",\"x\ny\"\nB,z\n");
        for _ in 0..3 {
            assert_eq!(values(&parsed), vec![vec!["A \"1\"", "x\ny"], vec!["B", "z"]]);
        }
        assert_eq!(parsed.record(1).line, 4);
    }

    #[test]
    fn a_bom_is_taken_off_the_file_only_not_off_a_later_row() {
        let parsed = parse_csv(b"\xEF\xBB\xBF\xEF\xBB\xBFname\n\xEF\xBB\xBFAda\n").unwrap();
        assert_eq!(parsed.columns, vec![Column::Name]);
        assert_eq!(values(&parsed), vec![vec!["\u{FEFF}Ada"]]);
    }

    #[test]
    fn the_reader_agrees_with_the_csv_crate_on_known_corners() {
        for text in ["a,\"b\"c\"d\",e\r\n\r\n,", "\"\"\n\"\"\"\"", "a\rb\r\n\nc,\"\r\",\"\"", " , \n\"x\" \"y\","] {
            assert_eq!(read_all(text.as_bytes(), b',').unwrap(), oracle(text.as_bytes(), b','), "{text:?}");
        }
    }

    proptest! {
        #[test]
        fn parse_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
            let _ = parse_csv(bytes);
        }

        #[test]
        fn the_reader_reads_what_the_csv_crate_reads(
            text in "[ab,;\"\r\n \u{e9}\u{feff}]{0,80}", semicolon in any::<bool>()
        ) {
            let delimiter = if semicolon { b';' } else { b',' };
            // A third BOM at the start is the crate's to take off, and no file's.
            prop_assume!(text.len() - text.trim_start_matches('\u{feff}').len() < 3 * BOM.len());
            match read_all(text.as_bytes(), delimiter) {
                Ok(records) => prop_assert_eq!(records, oracle(text.as_bytes(), delimiter)),
                // The crate takes the rest of the file into a quote left open; this reader says so.
                Err(e) => prop_assert!(matches!(e, CsvError::UnclosedQuote { .. }), "{:?}", e),
            }
        }

        #[test]
        fn every_record_has_one_value_per_column_and_increasing_lines(
            text in "name,email\n[a-z,;\"\r\n ]{0,200}"
        ) {
            // Random quotes may leave one open: that, and only that, is an error.
            let parsed = match parse_csv(text.as_str()) {
                Ok(parsed) => parsed,
                Err(e) => {
                    prop_assert!(matches!(e, CsvError::UnclosedQuote { .. }), "{:?}", e);
                    return Ok(());
                }
            };
            let mut previous = 1;
            for record in parsed.records() {
                prop_assert_eq!(record.values().count(), parsed.columns.len());
                prop_assert!(record.line > previous);
                previous = record.line;
            }
        }
    }
}
