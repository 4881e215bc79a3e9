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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvRecord {
    /// The 1-based line of the file where the record starts; the header is line 1.
    pub line: usize,
    /// One value per column of `ParsedCsv::columns`, in the same order, as written in the file.
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedCsv {
    /// The header's non-empty columns; cells under an empty header are dropped.
    pub columns: Vec<Column>,
    /// The non-blank records after the header.
    pub records: Vec<CsvRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CsvError {
    InvalidEncoding {
        line: usize,
    },
    NoHeader,
    MissingColumns,
    DuplicateColumn(String),
    /// A quoted field that never closes: without this check the reader would take the rest of
    /// the file as that one cell.
    UnclosedQuote {
        line: usize,
    },
    /// More records than the caller takes; counted before any record's cells are copied.
    TooManyRows {
        limit: usize,
    },
    /// The reader gave up on a record. Not expected for in-memory UTF-8 input; kept so a reader
    /// failure becomes a client error instead of a panic.
    Malformed {
        line: usize,
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
            CsvError::TooManyRows { limit } => format!("the file has more than {limit} rows"),
            CsvError::Malformed { line } => format!("line {line} could not be read as CSV"),
            CsvError::UnclosedQuote { line } => {
                format!("line {line}: a quoted field begins here and its closing quote never comes (write a quote inside a field as \"\")")
            }
        }
    }
}

impl CsvRecord {
    /// Validates the record as a customer by the rules of a create body: the known columns are
    /// fields, the others attributes (as strings), and blank cells are absent.
    pub fn customer_fields(&self, columns: &[Column]) -> Result<CustomerFields, Vec<FieldError>> {
        let cells = || columns.iter().zip(&self.values);
        CustomerFields::from_row(
            cells()
                .filter(|(c, _)| !matches!(c, Column::Attribute(_) | Column::Groups | Column::ReadOnly(_)))
                .map(|(c, v)| (c.key(), v.as_str())),
            cells().filter_map(|(c, v)| match c {
                Column::Attribute(key) => Some((key.as_str(), v.as_str())),
                _ => None,
            }),
        )
    }

    /// The record's `groups` cell, if the file has that column.
    pub fn groups_cell<'a>(&'a self, columns: &[Column]) -> Option<&'a str> {
        let at = columns.iter().position(|c| *c == Column::Groups)?;
        self.values.get(at).map(String::as_str)
    }
}

/// Undoes the export's formula guard (`csv_export::neutralize`): a `'` before a character that
/// starts a formula is removed, so an exported cell reads back as the value it was.
pub fn unguard(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_TRIGGERS) => rest,
        _ => cell,
    }
}

pub fn parse_csv(bytes: &[u8]) -> Result<ParsedCsv, CsvError> {
    parse_csv_within(bytes, usize::MAX)
}

/// `parse_csv` for a file of at most `max_records` records: the records are counted first,
/// reading each into one reused buffer, and only a file within the limit has its cells copied
/// out (a 25 MiB file of short rows held 84.5 MiB of records before it was refused).
pub fn parse_csv_within(bytes: &[u8], max_records: usize) -> Result<ParsedCsv, CsvError> {
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    if let Err(e) = std::str::from_utf8(bytes) {
        return Err(CsvError::InvalidEncoding { line: LineCounter::new(bytes).line_at(e.valid_up_to()) });
    }
    let delimiter = detect_delimiter(bytes);
    if let Some(start) = unclosed_quote(bytes, delimiter) {
        return Err(CsvError::UnclosedQuote { line: LineCounter::new(bytes).line_at(start) });
    }
    let mut reader = Records {
        reader: csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(bytes),
        bytes,
        lines: LineCounter::new(bytes),
        record: csv::StringRecord::new(),
    };

    let header = reader.next_record()?.ok_or(CsvError::NoHeader)?;
    if is_blank(header) {
        return Err(CsvError::NoHeader);
    }
    // Remembers which cell feeds each column, so records can skip cells under empty headers.
    let mut cells = Vec::new();
    let mut columns = Vec::new();
    let mut seen = HashSet::new();
    for (i, raw) in header.iter().enumerate() {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            continue;
        }
        if !seen.insert(lowercase(trimmed)) {
            return Err(CsvError::DuplicateColumn(trimmed.to_string()));
        }
        cells.push(i);
        columns.push(Column::from_header(trimmed));
    }
    if !columns.iter().any(|c| matches!(c, Column::Name | Column::Email)) {
        return Err(CsvError::MissingColumns);
    }

    let count = count_records(bytes, delimiter, max_records.saturating_add(1));
    if count > max_records {
        return Err(CsvError::TooManyRows { limit: max_records });
    }
    let mut records = Vec::with_capacity(count);
    while let Some(line) = reader.next_line()? {
        let record = &reader.record;
        if is_blank(record) {
            continue;
        }
        let values = cells.iter().map(|&i| unguard(record.get(i).unwrap_or("")).to_string()).collect();
        records.push(CsvRecord { line, values });
    }
    Ok(ParsedCsv { columns, records })
}

/// The non-blank records after the header, counted up to `stop`. A record the reader gives up
/// on ends the count: the parse that follows reports it with its line.
fn count_records(bytes: &[u8], delimiter: u8, stop: usize) -> usize {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(bytes);
    let mut record = csv::ByteRecord::new();
    let blank = |r: &csv::ByteRecord| r.iter().all(|cell| std::str::from_utf8(cell).is_ok_and(|c| c.trim().is_empty()));
    let mut header_seen = false;
    let mut count = 0;
    while count < stop && matches!(reader.read_byte_record(&mut record), Ok(true)) {
        if !header_seen {
            // The header was read and checked already; it is the first record, blank or not.
            header_seen = true;
        } else if !blank(&record) {
            count += 1;
        }
    }
    count
}

fn is_blank(record: &csv::StringRecord) -> bool {
    record.iter().all(|cell| cell.trim().is_empty())
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

/// The offset of a quoted field that is still open at the end of the file, read the way the
/// `csv` reader reads (RFC 4180: a quote opens a field only as its first byte, `""` inside is
/// one quote, and bytes after a closing quote up to the delimiter are kept as written). That
/// reader accepts such a file silently, so the check is made before it runs.
fn unclosed_quote(bytes: &[u8], delimiter: u8) -> Option<usize> {
    enum State {
        FieldStart,
        Unquoted,
        Quoted(usize),
        QuoteInQuoted(usize),
    }
    let mut state = State::FieldStart;
    for (i, &b) in bytes.iter().enumerate() {
        let ends_field = b == delimiter || b == b'\r' || b == b'\n';
        state = match state {
            State::FieldStart | State::Unquoted if ends_field => State::FieldStart,
            State::FieldStart if b == b'"' => State::Quoted(i),
            State::FieldStart | State::Unquoted => State::Unquoted,
            State::Quoted(start) if b == b'"' => State::QuoteInQuoted(start),
            State::Quoted(start) => State::Quoted(start),
            State::QuoteInQuoted(start) if b == b'"' => State::Quoted(start),
            State::QuoteInQuoted(_) if ends_field => State::FieldStart,
            State::QuoteInQuoted(_) => State::Unquoted,
        };
    }
    match state {
        State::Quoted(start) => Some(start),
        _ => None,
    }
}

/// The reader plus what it takes to say on which line each record starts.
struct Records<'a> {
    reader: csv::Reader<&'a [u8]>,
    bytes: &'a [u8],
    lines: LineCounter<'a>,
    record: csv::StringRecord,
}

impl<'a> Records<'a> {
    fn next_record(&mut self) -> Result<Option<&csv::StringRecord>, CsvError> {
        Ok(self.next_line()?.map(|_| &self.record))
    }

    /// Reads the next record into `self.record` and returns its starting line.
    fn next_line(&mut self) -> Result<Option<usize>, CsvError> {
        // The reader's position is where the previous record ended; empty lines it will skip
        // (and the `\n` of a `\r\n` it may not have consumed yet) lie between there and the
        // record's first byte.
        let end_of_previous = (self.reader.position().byte() as usize).min(self.bytes.len());
        let skipped = self.bytes[end_of_previous..].iter().take_while(|b| matches!(b, b'\r' | b'\n')).count();
        let line = self.lines.line_at(end_of_previous + skipped);
        match self.reader.read_record(&mut self.record) {
            Ok(true) => Ok(Some(line)),
            Ok(false) => Ok(None),
            Err(_) => Err(CsvError::Malformed { line }),
        }
    }
}

/// Turns byte offsets into 1-based line numbers, counting `\r\n`, `\r` and `\n` each as one
/// break like the CSV reader does. `csv::Position::line` counts only `\n`, which would number
/// every record of a classic-Mac (`\r`) file as line 1.
struct LineCounter<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        LineCounter { bytes, offset: 0, line: 1 }
    }

    /// The line of the byte at `offset`. Offsets must not decrease between calls; counting
    /// resumes where the last call stopped, so a whole file costs one pass.
    fn line_at(&mut self, offset: usize) -> usize {
        for i in self.offset..offset {
            match self.bytes[i] {
                b'\r' => self.line += 1,
                b'\n' if i == 0 || self.bytes[i - 1] != b'\r' => self.line += 1,
                _ => {}
            }
        }
        self.offset = self.offset.max(offset);
        self.line
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
        assert_eq!(parsed.records[0].values, vec!["Ada", "+44 20"]);
    }

    #[test]
    fn the_export_s_read_only_columns_are_passed_over() {
        let parsed = parse_csv(b"id,name,Kind,created_at,handle,attributes.plan\r\nc1,Ada,visitor,2026,ada,pro\r\n").unwrap();
        assert_eq!(parsed.columns[0], Column::ReadOnly("id".into()));
        assert_eq!(parsed.columns[2], Column::ReadOnly("kind".into()));
        assert_eq!(parsed.columns[5], Column::Attribute("plan".into()));
        let fields = parsed.records[0].customer_fields(&parsed.columns).unwrap();
        assert_eq!(fields.name.as_deref(), Some("Ada"));
        assert_eq!(fields.attributes.len(), 1);
        assert_eq!(fields.attributes["plan"], "pro");
    }

    use super::*;
    use crate::domain::customer::NewCustomer;
    use proptest::prelude::*;
    use serde_json::{json, Value};

    fn parse(text: &str) -> ParsedCsv {
        parse_csv(text.as_bytes()).unwrap()
    }

    #[test]
    fn records_past_the_limit_are_refused_blank_lines_aside() {
        let file = b"name\nAda\n\n , \nBob\n";
        assert_eq!(parse_csv_within(file, 2).map(|p| p.records.len()), Ok(2));
        assert_eq!(parse_csv_within(file, 1), Err(CsvError::TooManyRows { limit: 1 }));
        assert_eq!(parse_csv_within(b"name\n", 0).map(|p| p.records.len()), Ok(0));
    }

    fn lines(parsed: &ParsedCsv) -> Vec<usize> {
        parsed.records.iter().map(|r| r.line).collect()
    }

    fn values(parsed: &ParsedCsv) -> Vec<Vec<&str>> {
        parsed.records.iter().map(|r| r.values.iter().map(String::as_str).collect()).collect()
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
        let record = &parsed.records[0];
        assert_eq!(record.groups_cell(&parsed.columns), Some("VIP;Partners"));
        assert!(record.customer_fields(&parsed.columns).unwrap().attributes.is_empty());
    }

    #[test]
    fn a_file_without_a_groups_column_has_no_groups_cell() {
        let parsed = parse("name\nAda\n");
        assert_eq!(parsed.records[0].groups_cell(&parsed.columns), None);
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
        parsed.records[0].customer_fields(&parsed.columns).unwrap()
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
        let record = CsvRecord { line: 2, values: vec!["Ada".into()] };
        let fields = record.customer_fields(&[Column::Name, Column::Email]).unwrap();
        assert_eq!(fields, CustomerFields { name: Some("Ada".into()), ..Default::default() });
    }

    #[test]
    fn a_row_is_checked_by_the_rules_of_a_create_body() {
        let parsed = parse("name,email,phone,plan\nAda,not-an-email,12,x\n");
        let errors = parsed.records[0].customer_fields(&parsed.columns).unwrap_err();
        let row: Vec<_> = errors.iter().map(|e| (e.field.as_str(), e.code.as_str())).collect();
        let body = json!({"name": "Ada", "email": "not-an-email", "phone": "12", "attributes": {"plan": "x"}});
        let create = NewCustomer::parse(&body).unwrap_err();
        assert_eq!(row, create.iter().map(|e| (e.field.as_str(), e.code.as_str())).collect::<Vec<_>>());
        assert_eq!(row, vec![("email", "invalid"), ("phone", "invalid")]);
    }

    #[test]
    fn a_row_with_neither_name_nor_email_fails_like_a_body_without_them() {
        let parsed = parse("name,email,plan\n, ,pro\n");
        let errors = parsed.records[0].customer_fields(&parsed.columns).unwrap_err();
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

    proptest! {
        #[test]
        fn parse_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
            let _ = parse_csv(&bytes);
        }

        #[test]
        fn every_record_has_one_value_per_column_and_increasing_lines(
            text in "name,email\n[a-z,;\"\r\n ]{0,200}"
        ) {
            // Random quotes may leave one open: that, and only that, is an error.
            let parsed = match parse_csv(text.as_bytes()) {
                Ok(parsed) => parsed,
                Err(e) => {
                    prop_assert!(matches!(e, CsvError::UnclosedQuote { .. }), "{:?}", e);
                    return Ok(());
                }
            };
            let mut previous = 1;
            for record in &parsed.records {
                prop_assert_eq!(record.values.len(), parsed.columns.len());
                prop_assert!(record.line > previous);
                previous = record.line;
            }
        }
    }
}
