//! Any bytes as an uploaded CSV file: `parse_csv` must answer Ok or a CsvError, never panic, and
//! what it returns must be consistent with what the import reports rely on.
#![no_main]
use customers::domain::csv_import::{parse_csv, Column};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(parsed) = parse_csv(data) else { return };
    // The header needs a name or an email column.
    assert!(parsed.columns.iter().any(|c| matches!(c, Column::Name | Column::Email)));
    let mut last_line = 1; // the header is line 1
    for record in parsed.records() {
        // One value per column, and line numbers that go forwards from after the header.
        assert_eq!(record.values().count(), parsed.columns.len());
        assert!(record.line > last_line, "record line {} after line {last_line}", record.line);
        last_line = record.line;
        // Validation as a customer answers a customer or the fields it refuses, never panics;
        // a refusal always says which fields.
        if let Err(errors) = record.customer_fields(&parsed.columns) {
            assert!(!errors.is_empty());
        }
        let _ = record.groups_cell(&parsed.columns);
    }
});
