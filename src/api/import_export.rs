//! CSV import (`POST /v1/customers/import`) and export (`GET`/`POST /v1/customers/export`).
use std::collections::HashMap;

use futures_util::stream;
use serde::Serialize;
use serde_json::json;
use worker::js_sys;
use worker::wasm_bindgen::JsCast;
use worker::wasm_bindgen_futures::JsFuture;
use worker::{D1Database, Headers, Response};

use super::audit_entry;
use super::new_id;
use crate::domain::csv_export::{self, ExportColumn};
use crate::domain::csv_import::{parse_csv_within, CsvError, ParsedCsv};
use crate::domain::customer::Customer;
use crate::domain::customer_query::{After, CustomerQuery, Sort, SortField};
use crate::domain::filter::{self, PageRequest};
use crate::domain::import::{self, GroupNames, ImportPlan, Mode, Planner, RowReport, RowStatus, Write, MAX_FILE_GROUPS};
use crate::domain::permission::{Condition, Permission};
use crate::domain::time;
use crate::http::error::{ApiError, ApiResult};
use crate::http::{json_response, Ctx, CSV_BODY_LIMIT};
use crate::storage;
use crate::storage::audit;
use crate::storage::customers;
use crate::storage::d1::StatementCount;
use crate::storage::import::{NewGroupRow, RowWrite, Staging};

/// The uploaded file: a raw `text/csv` body or the `file` field of a multipart form. Either way
/// it is copied into the worker once, and the host's copy is left to be collected.
async fn uploaded_file(cx: &mut Ctx) -> ApiResult<Vec<u8>> {
    let ct = cx.header("content-type").unwrap_or_default().to_ascii_lowercase();
    let media = ct.split(';').next().unwrap_or("").trim().to_string();
    match media.as_str() {
        "text/csv" | "application/csv" => cx.body_bytes(CSV_BODY_LIMIT).await,
        "multipart/form-data" => {
            if let Some(len) = cx.header("content-length").and_then(|l| l.trim().parse::<usize>().ok()) {
                if len > CSV_BODY_LIMIT + 64 * 1024 {
                    return Err(ApiError::PayloadTooLarge { limit_bytes: CSV_BODY_LIMIT });
                }
            }
            let unreadable = || ApiError::InvalidCsv("the multipart body could not be read".into());
            let form = cx.req.inner().form_data().map_err(|_| unreadable())?;
            let form: web_sys::FormData = JsFuture::from(form).await.map_err(|_| unreadable())?.unchecked_into();
            let entry = form.get("file");
            // A form without the file is a malformed upload, like an unreadable one: the 422 of
            // an import is its report, which needs a file to exist.
            let file: web_sys::Blob = match entry.is_string() {
                // A plain field is text: the host encodes it as UTF-8, as a file's bytes are.
                // (Taken as a Rust string instead, text that is not ASCII is first given room
                // for three bytes a character.)
                true => web_sys::Blob::new_with_str_sequence(&js_sys::Array::of1(&entry)).map_err(|_| unreadable())?,
                false => {
                    entry.dyn_into().map_err(|_| ApiError::InvalidCsv("the form needs the CSV in a field named `file`".into()))?
                }
            };
            drop(form);
            if file.size() > CSV_BODY_LIMIT as f64 {
                return Err(ApiError::PayloadTooLarge { limit_bytes: CSV_BODY_LIMIT });
            }
            let buffer = JsFuture::from(file.array_buffer()).await.map_err(|_| unreadable())?;
            Ok(js_sys::Uint8Array::new(&buffer).to_vec())
        }
        _ => Err(ApiError::UnsupportedMediaType("text/csv or multipart/form-data")),
    }
}

struct ImportOptions {
    mode: Mode,
    dry_run: bool,
    atomic: bool,
    /// A group name no group has creates that group (else it fails its row).
    create_groups: bool,
}

fn import_options(cx: &Ctx) -> ApiResult<ImportOptions> {
    let q = &cx.query;
    q.allow_only(&["mode", "dry_run", "atomic", "create_groups"])?;
    let mode = match q.get("mode") {
        None => Mode::Create,
        Some(m) => Mode::parse(m).ok_or_else(|| ApiError::invalid_parameter("mode", "must be create, upsert or skip"))?,
    };
    // `atomic` defaults to true: only an explicit `atomic=false` writes a file's good rows alone.
    let atomic = q.get("atomic").is_none() || q.flag("atomic")?;
    let create_groups = q.flag("create_groups")?;
    if create_groups {
        cx.require_when(Condition::CreateGroups)?;
    }
    Ok(ImportOptions { mode, dry_run: q.flag("dry_run")?, atomic, create_groups })
}

/// Rows whose live customers are looked up together: a lookup's answer is held while its rows
/// are planned, and 500 stored customers of a few KB each are about one chunk of rows.
const WINDOW: usize = 500;

pub async fn import(cx: &mut Ctx) -> ApiResult<Response> {
    let opts = import_options(cx)?;
    let parsed = read_file(cx).await?;
    let db = cx.db()?;
    let names = import::group_names(&parsed).ok_or_else(|| {
        ApiError::InvalidCsv(format!("the file names more than {MAX_FILE_GROUPS} different groups; import it in parts"))
    })?;
    let known = if names.is_empty() { Default::default() } else { storage::groups::ids_by_name(&db, &names).await? };
    let groups = GroupNames { known, create_missing: opts.create_groups };
    let now = time::now();
    let mut staging = Staging::new(&db, new_id(), &now);
    let planned = plan_and_stage(&db, &parsed, &opts, &groups, &mut staging).await;
    // The upload is not needed from here on: the rows to write are staged, the report is small.
    drop(parsed);
    let mut plan = match planned {
        Ok(plan) => plan,
        Err(e) => {
            staging.discard().await;
            return Err(e);
        }
    };
    let failed = plan.failed();
    // An atomic import with a failed row writes nothing; a dry run never writes.
    if !opts.dry_run && (!opts.atomic || failed == 0) && !plan.written.is_empty() {
        let written = write(cx, &db, &mut staging, &plan, opts.mode, &now).await;
        if written.is_err() {
            staging.discard().await;
        }
        plan.new_groups = written?;
    } else {
        staging.discard().await;
        plan.mark_unwritten();
    }
    // Who is a customer is for callers who may read customers: an import-only key learns what is
    // wrong in its file and whether each row is written, not which emails exist.
    if !cx.actor.has(Permission::CustomersRead) {
        plan.withhold_stored_outcomes();
    }
    let mut report = ImportReport {
        created: plan.count(RowStatus::Created),
        updated: plan.count(RowStatus::Updated),
        skipped: plan.count(RowStatus::Skipped),
        failed,
        valid: plan.count(RowStatus::Valid),
        dry_run: opts.dry_run,
        atomic: opts.atomic,
        new_groups: &plan.new_groups,
        rows: &plan.rows,
        error: None,
    };
    if opts.atomic && failed > 0 && !opts.dry_run {
        // The contract's error shape, with the report beside it so every failing line is named.
        report.error = Some(json!({
            "code": ApiError::Validation(vec![]).code(), "request_id": cx.request_id,
            "message": format!("{failed} row(s) failed; nothing was written (atomic import)"),
        }));
        return json_response(422, &report);
    }
    json_response(200, &report)
}

/// The uploaded file read as CSV, its columns usable as attribute keys and its rows within
/// `IMPORT_MAX_ROWS`; nothing is looked up or written before all of that holds.
async fn read_file(cx: &mut Ctx) -> ApiResult<ParsedCsv> {
    let bytes = uploaded_file(cx).await?;
    let max_rows = cx.config().import_max_rows;
    let parsed = parse_csv_within(bytes, max_rows).map_err(|e| match e {
        CsvError::TooManyRows { limit } => ApiError::TooManyRows { limit },
        CsvError::InvalidEncoding { .. } => ApiError::InvalidEncoding(e.message()),
        _ => ApiError::InvalidCsv(e.message()),
    })?;
    let bad_columns = import::invalid_attribute_columns(&parsed);
    if !bad_columns.is_empty() {
        return Err(ApiError::InvalidCsv(format!(
            "column names {} cannot be attribute keys (letters, digits, spaces, `_`, `-`, `.`; at most 64)",
            bad_columns.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
        )));
    }
    Ok(parsed)
}

/// Plans the file's rows a window at a time (the window's live customers looked up first), and
/// unless nothing is to be written, stages each row's write as soon as it is planned: an atomic
/// import stops staging at its first failed row, as it will write nothing.
async fn plan_and_stage(
    db: &D1Database,
    parsed: &ParsedCsv,
    opts: &ImportOptions,
    groups: &GroupNames,
    staging: &mut Staging<'_>,
) -> ApiResult<ImportPlan> {
    let mut planner = Planner::new(opts.mode, parsed.len());
    for start in (0..parsed.len()).step_by(WINDOW) {
        let window = start..(start + WINDOW).min(parsed.len());
        let emails = import::emails(&parsed.columns, window.clone().map(|i| parsed.record(i)));
        let live = storage::import::live_by_email(db, &emails).await?;
        // A customer id and an audit entry id for every row at most, from one call to the host.
        let mut ids = super::new_ids(2 * window.len())?.into_iter();
        for i in window {
            let mut next_id = || ids.next().unwrap_or_else(new_id);
            let Some(write) = planner.plan(&parsed.columns, &parsed.record(i), &live, groups, &mut next_id) else {
                continue;
            };
            if opts.dry_run || (opts.atomic && planner.failed() > 0) {
                continue;
            }
            let audit_id = next_id();
            let (row, create) = match &write {
                Write::Create { id, fields, groups, changed, .. } => {
                    (RowWrite { id, fields, groups, audit_id: &audit_id, changed }, true)
                }
                Write::Update { id, fields, groups, changed, .. } => {
                    (RowWrite { id, fields, groups, audit_id: &audit_id, changed }, false)
                }
            };
            staging.add(row, create).await?;
        }
    }
    Ok(planner.finish())
}

/// Writes the groups the plan creates, the staged rows with their memberships, each with its
/// audit row, and the import's summary row, in one batch (one transaction): the file's good rows
/// land together or not at all. Returns the names of the groups it created.
async fn write(
    cx: &Ctx,
    db: &D1Database,
    staging: &mut Staging<'_>,
    plan: &ImportPlan,
    mode: Mode,
    now: &str,
) -> ApiResult<Vec<String>> {
    let actor = cx.actor.label();
    let by = storage::import::Writer { actor: &actor, request_id: &cx.request_id, now };
    // Two ids per new group (the group's and its audit row's), from one call to the host.
    let group_ids = super::new_ids(2 * plan.new_groups.len())?;
    let new_groups: Vec<NewGroupRow> =
        plan.new_groups.iter().zip(group_ids.chunks(2)).map(|(name, ids)| NewGroupRow(&ids[0], name, &ids[1])).collect();
    staging.add_groups(&new_groups).await?;
    staging.finish().await?;
    let (mut statements, group_statements) = staging.batch_statements(&by)?;
    let mut summary = audit_entry(cx, "customer.import", "customer", None, vec![]);
    summary.details = json!({
        "rows": plan.rows.len(), "created": plan.count(RowStatus::Created), "updated": plan.count(RowStatus::Updated),
        "skipped": plan.count(RowStatus::Skipped), "failed": plan.failed(), "mode": format!("{mode:?}").to_ascii_lowercase(),
    });
    statements.push(audit::insert_statement(db, &summary, now)?);
    match storage::batch(db, statements).await {
        Ok(results) => Ok(storage::import::created_group_names(&results, group_statements)),
        Err(e) if e.is_email_conflict() => Err(ApiError::Conflict {
            code: "customer_exists",
            message: "a customer with an email in this file was created meanwhile; nothing was written, retry the import".into(),
        }),
        Err(e) => Err(e.into()),
    }
}

/// The answer to an import: counts, then one entry per row. Serialised straight from the plan's
/// rows, which for a large file is most of the work of answering.
#[derive(Serialize)]
struct ImportReport<'a> {
    created: usize,
    updated: usize,
    skipped: usize,
    failed: usize,
    valid: usize,
    dry_run: bool,
    atomic: bool,
    /// The groups the import created (`create_groups=true`); on a dry run or an atomic import
    /// that failed, the ones it would create.
    new_groups: &'a [String],
    rows: &'a [RowReport],
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<serde_json::Value>,
}

pub async fn export_get(cx: &mut Ctx) -> ApiResult<Response> {
    let pairs: Vec<(String, String)> = cx.query.pairs().iter().filter(|(k, _)| k != "columns").cloned().collect();
    let page = filter::from_query_pairs(&pairs, false)?;
    export(cx, page).await
}

/// The body is the list's filter; the columns are chosen in the query string, as for `GET`.
pub async fn export_post(cx: &mut Ctx) -> ApiResult<Response> {
    let body = cx.json_body().await?;
    let page = filter::from_filter_body(&body, false)?;
    export(cx, page).await
}

/// `columns=`: the columns to write, in their order; the default ones without it.
fn export_columns(cx: &Ctx) -> ApiResult<Vec<ExportColumn>> {
    match cx.query.get("columns") {
        None => Ok(csv_export::default_columns()),
        Some(list) => csv_export::parse_columns(list).map_err(|m| ApiError::invalid_parameter("columns", &m)),
    }
}

struct ExportState {
    db: worker::D1Database,
    query: CustomerQuery,
    planner: customers::Planner,
    page_rows: usize,
    pause_ms: u64,
    /// The first page, read before answering so its failure can still be a JSON error.
    first: Option<Vec<(Customer, String)>>,
    columns: Vec<ExportColumn>,
    /// Names of the groups met so far, read page by page when `groups` is a column.
    group_names: HashMap<String, String>,
    after: Option<After>,
    done: bool,
    request_id: String,
    statements: StatementCount,
    /// Whether the stream's end reports its statements and memory (test mode only; deployed,
    /// the request's log line is the one line a request writes).
    report_end: bool,
}

/// Customers an export reads a statement. Cloudflare ends an invocation at 1,000 D1 queries
/// (Workers Paid): at 2,500 a page, an export of 1,000,000 customers sends 401 statements, and
/// one of about 2,400,000 reaches the limit (half that with a search, whose page may take two
/// statements). A page of 2,500 customers is about 1.5 MB of rows from D1 and a few MiB of wasm
/// memory while its CSV is written.
pub const EXPORT_PAGE: usize = 2_500;

/// D1 statements an export of `rows` customers sends, at `page_rows` a page, after
/// authentication: the audit entry, and a statement for each page (a page reads `page_rows` + 1
/// rows to know whether another follows, so a last full page needs no empty read after it; no
/// customer at all is still one page). A search's page may take a second statement
/// (`customers::page`): twice the pages at most.
pub fn export_statements(rows: usize, page_rows: usize, search: bool) -> usize {
    let pages = rows.div_ceil(page_rows).max(1);
    1 + if search { 2 * pages } else { pages }
}

/// The order an export walks in: creation (`created_at`, then id), oldest or newest first as
/// `sort` asks, newest first for any other sort. Name, email and last seen can change while an
/// export runs, and a walk of pages in their order would then repeat a customer renamed past
/// the page boundary and miss one renamed back; creation never changes, so every customer that
/// exists for the whole export is written exactly once.
pub fn export_order(sort: Sort) -> Sort {
    match sort.field {
        SortField::CreatedAt => sort,
        _ => Sort::default(),
    }
}

/// Appends a page's rows; returns whether more pages follow, and moves the cursor on.
async fn write_page(s: &mut ExportState, mut rows: Vec<(Customer, String)>, out: &mut String) -> ApiResult<()> {
    let more = crate::domain::cursor::split_page(&mut rows, s.page_rows);
    if let Some((c, key)) = rows.last() {
        s.after = Some(After { key: key.clone(), id: c.id.clone() });
    }
    if s.columns.contains(&ExportColumn::Groups) {
        let mut unknown: Vec<String> =
            rows.iter().flat_map(|(c, _)| &c.group_ids).filter(|g| !s.group_names.contains_key(*g)).cloned().collect();
        unknown.sort_unstable();
        unknown.dedup();
        if !unknown.is_empty() {
            s.group_names.extend(storage::groups::names_by_id(&s.db, &unknown).await?);
        }
    }
    for (c, _) in &rows {
        out.push_str(&csv_export::customer_cells(c, &s.columns, &s.group_names));
    }
    s.done = !more;
    if s.done && s.report_end {
        let line = json!({
            "request_id": s.request_id, "route": "export stream end",
            "d1_statements": s.statements.get(), "wasm_mib": crate::storage::d1::wasm_mib(),
        });
        worker::console_log!("{line}");
    }
    Ok(())
}

/// How the export pages: `EXPORT_PAGE` customers a page, one after the other; in test mode, what
/// `X-Test-Export-Page` asks (a few customers make many pages) and a pause of
/// `X-Test-Export-Pause-Ms` before each page after the first (changes made meanwhile land between
/// pages, as they do in a long export).
fn export_paging(cx: &Ctx) -> (usize, u64) {
    if !cx.config().test_routes {
        return (EXPORT_PAGE, 0);
    }
    let number = |name: &str| cx.header(name).and_then(|v| v.parse::<u64>().ok());
    (
        number("x-test-export-page").filter(|&n| n > 0).map_or(EXPORT_PAGE, |n| n as usize),
        number("x-test-export-pause-ms").unwrap_or(0),
    )
}

/// Streams every matching customer, one page of rows per chunk, so memory stays bounded
/// whatever the number of customers.
async fn export(cx: &Ctx, mut page: PageRequest) -> ApiResult<Response> {
    let columns = export_columns(cx)?;
    let db = cx.db()?;
    let planner = super::customers::planner(cx);
    let (page_rows, pause_ms) = export_paging(cx);
    page.query.sort = export_order(page.query.sort);
    let first = customers::page(&db, &page.query, None, page_rows, planner).await?.0;
    let now = time::now();
    let mut entry = audit_entry(cx, "customer.export", "customer", None, vec![]);
    let names: Vec<&str> = cx.query.pairs().iter().map(|(k, _)| k.as_str()).collect();
    // Parameter names only: a search term may be personal data.
    entry.details = json!({ "format": "csv", "parameters": names });
    storage::d1::run(&audit::insert_statement(&db, &entry, &now)?).await?;

    let state = ExportState {
        db,
        query: page.query,
        planner,
        page_rows,
        pause_ms,
        first: Some(first),
        columns,
        group_names: HashMap::new(),
        after: None,
        done: false,
        request_id: cx.request_id.clone(),
        statements: cx.statements.clone(),
        report_end: cx.config().test_routes,
    };
    let body = stream::unfold(state, |mut s| async move {
        if s.done {
            return None;
        }
        let mut chunk = String::new();
        let rows = match s.first.take() {
            Some(first) => {
                chunk.push_str(&csv_export::header_row(&s.columns));
                Ok(first)
            }
            None => {
                if s.pause_ms > 0 {
                    worker::Delay::from(std::time::Duration::from_millis(s.pause_ms)).await;
                }
                customers::page(&s.db, &s.query, s.after.as_ref(), s.page_rows, s.planner)
                    .await
                    .map(|(rows, _)| rows)
                    .map_err(ApiError::from)
            }
        };
        let written = match rows {
            Ok(rows) => write_page(&mut s, rows, &mut chunk).await,
            Err(e) => Err(e),
        };
        match written {
            Ok(()) => Some((Ok::<Vec<u8>, worker::Error>(chunk.into_bytes()), s)),
            Err(e) => {
                // Headers are gone already: the cut stream is the only signal left to the client.
                worker::console_error!("request {}: export page failed: {:?}", s.request_id, e);
                s.done = true;
                Some((Err(worker::Error::RustError("export interrupted".into())), s))
            }
        }
    });
    // The pages read while the body streams are this request's statements too.
    let body = cx.statements.counting(body);
    let headers = Headers::new();
    headers.set("content-type", "text/csv; charset=utf-8")?;
    let date = &now[..10];
    headers.set("content-disposition", &format!("attachment; filename=\"customers-{date}.csv\""))?;
    headers.set("cache-control", "no-store")?;
    Ok(Response::from_stream(body)?.with_headers(headers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_export_of_a_million_customers_stays_within_the_platforms_thousand_statements() {
        // Authentication adds at most two (an API key's lookup and its last use).
        assert_eq!(export_statements(1_000_000, EXPORT_PAGE, false), 401);
        assert!(export_statements(1_000_000, EXPORT_PAGE, false) + 2 <= 1_000);
        assert!(export_statements(1_000_000, EXPORT_PAGE, true) + 2 <= 1_000);
    }

    #[test]
    fn a_page_a_statement_and_one_for_no_customer_at_all() {
        assert_eq!(export_statements(0, 10, false), 2);
        assert_eq!(export_statements(9, 10, false), 2);
        assert_eq!(export_statements(10, 10, false), 2);
        assert_eq!(export_statements(11, 10, false), 3);
        assert_eq!(export_statements(25, 10, false), 4);
        assert_eq!(export_statements(25, 10, true), 7);
    }

    #[test]
    fn an_export_walks_in_creation_order_whatever_sort_is_asked() {
        let created = |descending| Sort { field: SortField::CreatedAt, descending };
        assert_eq!(export_order(created(false)), created(false));
        assert_eq!(export_order(created(true)), created(true));
        for field in [SortField::Name, SortField::Email, SortField::LastSeenAt] {
            for descending in [false, true] {
                assert_eq!(export_order(Sort { field, descending }), Sort::default());
            }
        }
    }
}
