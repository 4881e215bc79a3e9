//! SQL for single customers: insert, read, update, delete, redact (restore is with the tree, in
//! `tree.rs`).
use serde_json::{Map, Value};
use worker::{D1Database, D1PreparedStatement};

use super::bucket_sql;
use super::customer_sql::{self as sql, BuildError, Builder, Narrowing, PagePlan, Sql, CUSTOMER_COLUMNS};
use super::d1::{all, batch, first, read_each, read_one, run, Row};
use super::Scalar;
use super::{ids_json, statement, DbError, DbResult};
use crate::domain::customer::{Customer, CustomerPatch, Kind, NewCustomer, Source, MAX_ATTRIBUTES};
use crate::domain::customer_query::{After, CustomerQuery};
use crate::domain::handle::Handle;
use crate::domain::json;

/// A customer from a row of `CUSTOMER_COLUMNS` (with `children_count` where the query counts
/// them): JSON columns arrive as text.
pub fn customer(r: &Row) -> Customer {
    let attributes = json::object(&r.text("attributes"));
    let mut group_ids = r.opt_text("group_ids").map(|g| json::strings(&g)).unwrap_or_default();
    group_ids.sort();
    Customer {
        id: r.text("id"),
        name: r.opt_text("name"),
        email: r.opt_text("email"),
        phone: r.opt_text("phone"),
        company: r.opt_text("company"),
        notes: r.opt_text("notes"),
        attributes,
        kind: r.parsed("kind", Kind::parse).unwrap_or(Kind::Registered),
        source: r.parsed("source", Source::parse).unwrap_or(Source::Admin),
        group_ids,
        parent_id: r.opt_text("parent_id"),
        handle: r.opt_text("handle"),
        own_company: r.flag("own_company"),
        merged_into: r.opt_text("merged_into"),
        anonymous: r.flag("anonymous"),
        children_count: r.opt_number("children_count").map(|n| n as u64),
        created_at: r.text("created_at"),
        updated_at: r.text("updated_at"),
        last_seen_at: r.opt_text("last_seen_at"),
        deleted_at: r.opt_text("deleted_at"),
        version: r.number("version") as i64,
    }
}

pub fn text(v: &Option<String>) -> Scalar {
    v.as_ref().map(|s| Scalar::Text(s.clone())).unwrap_or(Scalar::Null)
}

pub fn attributes_json(attrs: &Map<String, Value>) -> Scalar {
    Scalar::Text(Value::Object(attrs.clone()).to_string())
}

/// A handle derived inside the statement that writes it, so two customers named alike at the
/// same moment never get the same one (D1 runs one statement at a time). `stem`, `rank` and
/// `own_id` are SQL expressions: the stem (`domain::handle`), the row's place among the rows of
/// this statement with the same stem (1 for a single write) and the customer's own id, which is
/// never counted as a clash. The stem itself when no other live customer has it and this is the
/// first row with it; else the stem and the next free number: one past the largest taken,
/// `acme-2` when only `acme` is. One range read of `customers_handle_live` per stem.
pub fn derived_handle(stem: &str, rank: &str, own_id: &str) -> String {
    let others = format!("FROM customers h WHERE h.deleted_at IS NULL AND h.id <> {own_id}");
    let free = format!("NOT EXISTS (SELECT 1 {others} AND h.handle = {stem})");
    let top = format!(
        "coalesce((SELECT max(CAST(substr(h.handle, length({stem}) + 2) AS INTEGER)) {others} \
         AND h.handle > {stem} || '-' AND h.handle < {stem} || '-:' \
         AND substr(h.handle, length({stem}) + 2) NOT GLOB '*[^0-9]*'), 1)"
    );
    format!(
        "CASE WHEN {stem} IS NULL THEN NULL WHEN {rank} = 1 AND {free} THEN {stem} \
         ELSE {stem} || '-' || (max({top}, 1) + {rank} - {free}) END"
    )
}

/// The bind values of the fields an insert writes, in the column order of `insert_sql()`.
pub fn insert_binds(c: &Customer, email_normalized: Option<String>) -> Vec<Scalar> {
    vec![
        Scalar::Text(c.id.clone()),
        text(&c.name),
        text(&c.email),
        text(&email_normalized),
        text(&c.phone),
        text(&c.company),
        text(&c.notes),
        attributes_json(&c.attributes),
        Scalar::Text(c.kind.as_str().into()),
        Scalar::Text(c.source.as_str().into()),
        Scalar::Text(c.created_at.clone()),
        Scalar::Text(c.updated_at.clone()),
        text(&c.last_seen_at),
        text(&c.parent_id),
        text(&c.handle),
        text(&c.name.as_deref().and_then(Handle::stem).map(|h| h.as_str().to_string())),
    ]
}

/// `?15` a handle the client chose, else one derived from the stem `?16`. SELECT rather than
/// VALUES so the handle can be derived from the table as it is when the row goes in.
pub fn insert_sql() -> String {
    format!(
        "INSERT INTO customers (id, name, email, email_normalized, phone, company, notes, attributes, \
         kind, source, created_at, updated_at, last_seen_at, parent_id, handle, version) \
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, coalesce(?15, {}), 1 RETURNING handle",
        derived_handle("?16", "1", "?1")
    )
}

/// A new customer from a create body: its fields, where it sits and the handle it asked for.
pub fn from_request(id: String, new: NewCustomer, now: &str) -> Customer {
    let mut c = Customer::new(id, new.fields, new.kind, new.source, now);
    c.parent_id = new.parent_id;
    c.handle = new.handle.map(|h| h.as_str().to_string());
    c
}

pub fn normalized_email(c: &Customer) -> Option<String> {
    c.email.as_deref().map(crate::domain::email::normalize_email)
}

/// The insert; it returns the handle the row got (run in a batch: its first result).
pub fn insert_statement(db: &D1Database, c: &Customer) -> DbResult<D1PreparedStatement> {
    statement(db, &insert_sql(), &insert_binds(c, normalized_email(c)))
}

/// Runs a batch whose first statement is `insert` (with the customer's audit row and whatever
/// else belongs with it); returns the handle the customer got (the one it asked for, or the one
/// derived as it was written).
pub async fn create(db: &D1Database, statements: Vec<D1PreparedStatement>) -> DbResult<Option<String>> {
    let results = batch(db, statements).await?;
    let written = results.first().and_then(|r| r.rows().pop());
    Ok(read_one(written, |w| w.opt_text("handle"))?.flatten())
}

/// One customer with the count of its live sub-customers, which only single answers carry.
fn get_statement(db: &D1Database, id: &str) -> DbResult<D1PreparedStatement> {
    let sql = format!(
        "SELECT {CUSTOMER_COLUMNS}, \
         (SELECT count(*) FROM customers k WHERE k.parent_id = c.id AND k.deleted_at IS NULL) AS children_count \
         FROM customers c WHERE c.id = ?1"
    );
    statement(db, &sql, &[Scalar::Text(id.into())])
}

pub async fn get(db: &D1Database, id: &str) -> DbResult<Option<Customer>> {
    read_one(first(&get_statement(db, id)?).await?, customer)
}

/// Runs a patch (`apply_patch`) with its audit row and reads the customer back in the same
/// batch, one transaction: the row exactly as this patch wrote it, never as a writer after it
/// left it. `None` when the patch changed nothing (its guards refused the row as it is now).
pub async fn patch_and_read(
    db: &D1Database,
    id: &str,
    change: D1PreparedStatement,
    audit: D1PreparedStatement,
) -> DbResult<Option<Customer>> {
    let results = batch(db, vec![change, audit, get_statement(db, id)?]).await?;
    // D1 counts rows the search-index triggers touch too, so any count means it wrote.
    if results.first().map_or(0, |r| r.changes()) == 0 {
        return Ok(None);
    }
    read_one(results.get(2).and_then(|r| r.rows().into_iter().next()), customer)
}

/// How the planner decides. The defaults suit 100,000 to 1,000,000 customers (measured at
/// 1,000,000: a probe that stops at a page's worth of trigram matches 2 to 4 ms, at 1,000 matches
/// 8 to 11 ms; a window of 5,000 rows about 6 ms); the tests make both tiny to drive every branch
/// with a few rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Planner {
    /// Matches of the narrowing (the trigram index, or a filter's index) counted before a query
    /// is called broad; `None`: a page's worth (the page's rows plus one) but at least
    /// `MIN_PROBE`, so a few hundred matches clustered away from the page's start are sorted
    /// rather than looked for on a window in vain.
    pub probe_cap: Option<usize>,
    /// Customers a broad query walks in sort order first (then, without a search signature,
    /// `WIDER` times as many).
    pub window: usize,
    /// When both windows of a query without a search signature held too few: the matches are
    /// counted up to this many, and sorted if fewer, else looked for on a walk of this many
    /// customers (`page`).
    pub far: usize,
    /// Every page a plain walk of the sort order (`PagePlan::Scan`): the oracle the tests hold every
    /// plan to.
    pub scan_only: bool,
    /// Pages sorted by name, email or last seen may read that order's buckets
    /// (`PagePlan::Bucketed`); without, they walk as they do until the cron has built them.
    pub buckets: bool,
}

/// How many times `Planner::window` customers the second walk of a broad query covers, from the
/// same start, when the first held too few matches: a block of non-matching customers at the
/// start of the sort order (an import after the matching ones) is walked through rather than
/// every match read and sorted (measured in SQLite at 120,000 customers sorted by name, 20,000
/// that do not match before 100,000 that do: this walk 14 to 18 ms, sorting the matches 90 to
/// 100 ms). Further still, the far step counts up to `WIDER` times this walk's length, then sorts
/// or walks that far (`page`).
pub const WIDER: usize = 8;

/// The least a default probe counts of a search's trigram matches (measured at 1,000,000:
/// counting 51 trigram matches 2 to 4 ms, 1,000 matches 8 to 11 ms).
pub const MIN_PROBE: usize = 200;

/// What a default probe counts of a filter's index matches. An index counts cheaply (1,000
/// matches in 0.4 ms at 1,000,000) and sorting that many costs what a window walk does, so
/// thousands are sorted rather than looked for on a window, which holds too few of them: a
/// company equality matching 0.1% of 1,000,000 took the probe to 200, a window of 5,000 walked
/// in vain (3.4 ms) and a second statement sorting the 1,000 (4.3 ms, 2.4 times a list page in
/// all); with this cap, one statement of 4.4 ms.
pub const INDEX_PROBE: usize = 5_000;

impl Default for Planner {
    fn default() -> Self {
        Planner { probe_cap: None, window: 5_000, far: 5_000 * WIDER * WIDER, scan_only: false, buckets: true }
    }
}

impl Planner {
    /// Matches of the narrowing counted before the query is called broad (see `probe_cap`).
    pub fn cap(&self, narrowing: Narrowing, limit: usize) -> usize {
        let least = match narrowing {
            Narrowing::Search(_) => MIN_PROBE,
            Narrowing::Condition(_) => INDEX_PROBE,
        };
        self.probe_cap.unwrap_or((limit + 1).max(least))
    }
}

/// A query over customers could not run: it does not fit in one statement, or D1 failed.
#[derive(Debug)]
pub enum QueryError {
    TooComplex(BuildError),
    Db(DbError),
}

impl From<DbError> for QueryError {
    fn from(e: DbError) -> Self {
        QueryError::Db(e)
    }
}

impl From<worker::Error> for QueryError {
    fn from(e: worker::Error) -> Self {
        QueryError::Db(e.into())
    }
}

impl From<BuildError> for QueryError {
    fn from(e: BuildError) -> Self {
        QueryError::TooComplex(e)
    }
}

/// Which way a page's rows were found, in the order `page` tries them (logged per request, so
/// an operator sees which searches fall back to sorting).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageWay {
    /// The plain walk of the sort order.
    Scan,
    /// Creation order, read from the trigram index in that order (a search, or a filter with a
    /// substring the index can look up).
    Stream,
    /// The narrowing's matches, few enough to sort.
    Sorted,
    /// The first window of the sort order.
    Window,
    /// The window `WIDER` times as long.
    WiderWindow,
    /// Counted up to the far bound: fewer matches than it, sorted.
    FarSorted,
    /// More matches than the far bound: the walk of that many customers.
    FarWindow,
    /// Every window held too few, and the query has a search signature: the walk of the sort
    /// order on to the page, passing over non-matches by their index entries.
    WalkedToPage,
    /// Every window held too few, and the query has no signature: every match, sorted.
    SortedAfterWalks,
    /// Sorted by name, email or last seen: read bucket by bucket from that order's trigram
    /// index (`PagePlan::Bucketed`).
    Buckets,
    /// An equality on the company: one range of its index for the order (`customer_sql::seeks`).
    Seek,
}

impl PageWay {
    pub fn as_str(self) -> &'static str {
        match self {
            PageWay::Scan => "scan",
            PageWay::Stream => "stream",
            PageWay::Sorted => "sorted",
            PageWay::Window => "window",
            PageWay::WiderWindow => "wider_window",
            PageWay::FarSorted => "far_sorted",
            PageWay::FarWindow => "far_window",
            PageWay::WalkedToPage => "walked_to_page",
            PageWay::SortedAfterWalks => "sorted_after_walks",
            PageWay::Buckets => "buckets",
            PageWay::Seek => "seek",
        }
    }
}

type Keyed = Vec<(Customer, String)>;

/// One page of customers (`limit + 1` rows at most) with each row's sort key, for the next
/// cursor, and the way it was found. A search in creation order reads its matches in that order
/// from the trigram index (`PagePlan::Stream`), and an equality on the company is one range of
/// the company's index for the order (`customer_sql::seeks`): a page's cost wherever the matches
/// sit and however many they are. Any other query
/// with a narrowing (a search, an indexed filter: `customer_sql::narrowing`) is planned in the
/// statement that reads the page: few matches (`Planner::cap`) are sorted; more are looked for
/// on a walk of the sort order from the cursor:
/// - in creation order, a query with a substring the trigram index can look up
///   (`customer_sql::can_stream`: an indexed filter on a text field) reads the index's matches
///   for it in that order instead (`PagePlan::Stream`), on to the page;
/// - in name, email or last-seen order, the same query reads that order's own trigram index
///   bucket by bucket (`PagePlan::Bucketed`, not counted first if a search), on to the page's
///   last bucket; until the cron has built those indexes, it walks as below;
/// - a query with a search signature (`customer_sql::signature`) walks on to the page
///   (`PagePlan::Walk`), passing over each customer that cannot match by its index entry (about
///   0.15 microseconds, where reading a row and sorting it costs 2.8): one statement, whose cost
///   past the probe is the walk to the page's last row. It counts no further than the probe: the
///   trigram index counts by intersecting the lists of every trigram, and those of common ones
///   are long (more than the walk costs), and a window before the walk only walked part of it
///   twice;
/// - one without (its walk would read every row) walks a window of `Planner::window`, then one
///   `WIDER` times as long, then counts up to `Planner::far`: fewer are sorted, more are looked
///   for on a walk of that length, and only if that too holds too few are they all sorted: about
///   the lesser of the walk to its rows and the sort of every match, within a constant.
///
/// A query no index narrows streams in creation order or reads the buckets as above, walks on to
/// the page with its signature if it has one, or walks the sort order.
///
/// Every way gives the same rows.
pub async fn page(
    db: &D1Database,
    query: &CustomerQuery,
    after: Option<&After>,
    limit: usize,
    planner: Planner,
) -> Result<(Keyed, PageWay), QueryError> {
    let plain = |plan: PagePlan| sql::page(query, after, limit, plan);
    if planner.scan_only {
        return Ok((rows(db, &plain(PagePlan::Scan)?).await?, PageWay::Scan));
    }
    if sql::streams(query) {
        return Ok((rows(db, &plain(PagePlan::Stream)?).await?, PageWay::Stream));
    }
    if sql::seeks(query) {
        return Ok((rows(db, &plain(PagePlan::Candidates)?).await?, PageWay::Seek));
    }
    // The way on to the page that passes over customers that cannot match without reading
    // them: the trigram index in creation order, else the walk testing the signature.
    let skipping = if sql::can_stream(query) {
        Some((PagePlan::Stream, PageWay::Stream))
    } else if planner.buckets && sql::can_read_by_buckets(query) {
        Some((PagePlan::Bucketed, PageWay::Buckets))
    } else if !sql::signature(query).is_empty() {
        Some((PagePlan::Walk, PageWay::WalkedToPage))
    } else {
        None
    };
    if let Some(narrowing) = sql::narrowing(query) {
        let planned = |cap: usize, walk: PagePlan| planned_page(db, query, Some(narrowing), after, limit, cap, walk);
        let cap = planner.cap(narrowing, limit);
        if let Some((walk, way)) = skipping {
            match planned(cap, walk).await? {
                (Planned::Sorted(page), _) => return Ok((page, PageWay::Sorted)),
                (Planned::Walked(page) | Planned::TooFew(page), ready) if walk != PagePlan::Bucketed || ready => {
                    return Ok((page, way))
                }
                // The buckets are not built yet: the walk, as before them.
                _ => {}
            }
            return Ok(match planned(cap, PagePlan::Walk).await? {
                (Planned::Sorted(page), _) => (page, PageWay::Sorted),
                (Planned::Walked(page) | Planned::TooFew(page), _) => (page, PageWay::WalkedToPage),
            });
        }
        match planned(cap, PagePlan::Window(planner.window)).await?.0 {
            Planned::Sorted(page) => return Ok((page, PageWay::Sorted)),
            Planned::Walked(page) => return Ok((page, PageWay::Window)),
            Planned::TooFew(_) => {}
        }
        let wider = rows(db, &plain(PagePlan::Window(planner.window * WIDER))?).await?;
        if wider.len() > limit {
            return Ok((wider, PageWay::WiderWindow));
        }
        match planned(planner.far, PagePlan::Window(planner.far)).await?.0 {
            Planned::Sorted(page) => return Ok((page, PageWay::FarSorted)),
            Planned::Walked(page) => return Ok((page, PageWay::FarWindow)),
            Planned::TooFew(_) => {}
        }
        return Ok((rows(db, &plain(PagePlan::Candidates)?).await?, PageWay::SortedAfterWalks));
    }
    // No index narrows it, but a substring every result holds still finds or passes over
    // customers without reading each row.
    if let Some((walk, way)) = skipping {
        if walk == PagePlan::Bucketed {
            // The planned statement, with nothing to count, says whether it read the buckets.
            let (Planned::Sorted(page) | Planned::Walked(page) | Planned::TooFew(page), ready) =
                planned_page(db, query, None, after, limit, 0, walk).await?;
            if ready {
                return Ok((page, way));
            }
            return Ok((rows(db, &plain(PagePlan::Walk)?).await?, PageWay::WalkedToPage));
        }
        return Ok((rows(db, &plain(walk)?).await?, way));
    }
    if query.search.is_none() {
        return Ok((rows(db, &plain(PagePlan::Scan)?).await?, PageWay::Scan));
    }
    // A search too short for the trigram index: the window, then the unbounded walk.
    let walked = rows(db, &plain(PagePlan::Window(planner.window))?).await?;
    if walked.len() > limit {
        return Ok((walked, PageWay::Window));
    }
    Ok((rows(db, &plain(PagePlan::Scan)?).await?, PageWay::Scan))
}

/// What a planned page's statement found.
enum Planned {
    /// Fewer matches than its cap: all of them, sorted (the page).
    Sorted(Keyed),
    /// At least the cap: its window walked, holding more than a page (the page).
    Walked(Keyed),
    /// Its walk held no more than `limit` rows (them): after a window, look further; after the
    /// walk on to the page, they are the page.
    TooFew(Keyed),
}

/// Runs a planned page (`customer_sql::planned`) and says which way it went, and whether a
/// bucketed walk read the buckets (`ready`).
async fn planned_page(
    db: &D1Database,
    query: &CustomerQuery,
    narrowing: Option<Narrowing<'_>>,
    after: Option<&After>,
    limit: usize,
    cap: usize,
    walk: PagePlan,
) -> Result<(Planned, bool), QueryError> {
    let planned = sql::planned(query, narrowing, after, limit, cap, walk)?;
    // What tells which way ran: the count, and whether a row is a customer at all.
    let answer = all(&statement(db, &planned.text, &planned.binds)?).await?;
    let found = answer.iter().filter(|r| r.opt_text("id").is_some()).count();
    let walked = answer.first().is_some_and(|r| r.number("probe") >= cap as f64);
    let ready = answer.first().is_some_and(|r| r.opt_number("ready") == Some(1.0));
    let page = if found == 0 { vec![] } else { keyed(answer)? };
    let planned = match (walked, found > limit) {
        (false, _) => Planned::Sorted(page),
        (true, true) => Planned::Walked(page),
        (true, false) => Planned::TooFew(page),
    };
    Ok((planned, ready))
}

async fn rows(db: &D1Database, sql: &Sql) -> DbResult<Keyed> {
    keyed(all(&statement(db, &sql.text, &sql.binds)?).await?)
}

fn keyed(rows: Vec<Row>) -> DbResult<Keyed> {
    read_each(rows, |r| (customer(r), r.opt_text("sort_key").unwrap_or_default()))
}

/// Which of a page's statements `explain` shows.
pub enum Explained {
    /// The page as one plan reads it.
    Page(PagePlan),
    /// The planned page (`customer_sql::planned`), with `planner`'s bounds.
    Planned,
    /// The count of the query's customers.
    Count,
}

/// The steps of SQLite's plan (EXPLAIN QUERY PLAN) for one of the statements a page may run, for
/// the tests that check which index each walks; `None` for a planned page of a query with no
/// narrowing, which has none.
pub async fn explain(
    db: &D1Database,
    query: &CustomerQuery,
    after: Option<&After>,
    limit: usize,
    planner: Planner,
    which: Explained,
) -> Result<Option<Vec<String>>, QueryError> {
    let statement_sql = match which {
        Explained::Page(plan) => sql::page(query, after, limit, plan)?,
        Explained::Count => sql::count(query)?,
        Explained::Planned => {
            let Some(narrowing) = sql::narrowing(query) else { return Ok(None) };
            sql::planned(query, Some(narrowing), after, limit, planner.cap(narrowing, limit), PagePlan::Window(planner.window))?
        }
    };
    let text = format!("EXPLAIN QUERY PLAN {}", statement_sql.text);
    let steps = all(&statement(db, &text, &statement_sql.binds)?).await?;
    Ok(Some(read_each(steps, |r| r.text("detail"))?))
}

/// How many customers `query` selects.
pub async fn count(db: &D1Database, query: &CustomerQuery) -> Result<u64, QueryError> {
    let sql = sql::count(query)?;
    let total = read_one(first(&statement(db, &sql.text, &sql.binds)?).await?, |r| r.count("total"))?;
    Ok(total.unwrap_or(0))
}

/// The ids of the customers `query` selects, in its order, at most `limit`.
pub async fn ids(db: &D1Database, query: &CustomerQuery, limit: usize) -> Result<Vec<String>, QueryError> {
    let sql = sql::ids(query, limit)?;
    Ok(read_each(all(&statement(db, &sql.text, &sql.binds)?).await?, |r| r.text("id"))?)
}

/// Customers the cron signs a minute (migrations/0027): about 200 microseconds each in SQLite,
/// so one statement of about 4 s, well within D1's limits; a million signed within the hour.
pub const SIGN_CHUNK: usize = 20_000;

/// Signs up to `chunk` customers not signed yet (those already here when migration 0027 ran;
/// every customer written since is signed by its trigger) and says how many it signed.
pub async fn sign_unsigned(db: &D1Database, chunk: usize) -> DbResult<usize> {
    // Setting the first part to NULL is what signs a customer (the trigger `customers_sign`).
    let sql = "UPDATE customers SET search_sig_0 = NULL \
               WHERE seq IN (SELECT seq FROM customers WHERE search_sig_0 IS NULL LIMIT ?1)";
    Ok(run(&statement(db, sql, &[Scalar::Int(chunk as i64)])?).await?.changes())
}

/// What the cron did to the per-order indexes (migrations/0028; `keep_sorted_search`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    /// Numbered every order's buckets from the customers there are, to build from the start.
    Numbered,
    /// Added a chunk of customers, with more left for the next minute.
    Built,
    /// Added the customers not yet in (how many at most: the seqs past the mark), then split
    /// this many buckets.
    Split { added: i64, split: usize },
    /// Found a bucket too large to split (`bucket_sql::REBUILD_ABOVE`), and set the indexes to be
    /// built again.
    Rebuilding,
}

/// The cron's share of the per-order indexes (`bucket_sql`): number the buckets; or move the
/// customers visits moved in last-seen order, add a chunk of the customers not yet in the
/// indexes (from the start, a chunk a minute; else the newest few the trigger has not added),
/// then split the buckets grown past twice `sorted_search.bucket` customers, at most
/// `SPLITS_A_MINUTE`.
pub async fn keep_sorted_search(db: &D1Database) -> DbResult<Kept> {
    let run_all = |statements: Vec<bucket_sql::Statement>| async move {
        let prepared = statements.iter().map(|(sql, binds)| statement(db, sql, binds)).collect::<DbResult<Vec<_>>>()?;
        batch(db, prepared).await
    };
    let state_sql = "SELECT indexed_below, bucket, (SELECT coalesce(max(seq), -1) + 1 FROM customers) AS end, \
                     EXISTS (SELECT 1 FROM last_seen_moved) AS moved FROM sorted_search";
    let Some(state) = first(&statement(db, state_sql, &[])?).await? else {
        return Ok(Kept::Split { added: 0, split: 0 });
    };
    let (indexed_below, bucket) = (state.number("indexed_below") as i64, state.number("bucket") as i64);
    if indexed_below < 0 {
        let count = first(&statement(db, "SELECT count(*) AS n FROM customers", &[])?).await?;
        run_all(bucket_sql::number_buckets(count.map_or(0, |r| r.number("n") as i64), bucket)).await?;
        return Ok(Kept::Numbered);
    }
    if state.number("moved") > 0.0 {
        run_all(bucket_sql::move_the_seen().into_iter().map(|sql| (sql, Vec::new())).collect()).await?;
    }
    let added = (state.number("end") as i64 - indexed_below).max(0);
    if added > 0 {
        let to = indexed_below + bucket_sql::BUILD_CHUNK;
        run_all(bucket_sql::build_chunk(indexed_below, to)).await?;
        if added > bucket_sql::BUILD_CHUNK {
            return Ok(Kept::Built);
        }
    }
    let (text, binds) = bucket_sql::oversized(bucket);
    let oversized = all(&statement(db, &text, &binds)?).await?;
    let size = |row: &Row| row.number("size") as i64;
    if oversized.first().is_some_and(|row| size(row) > bucket_sql::REBUILD_ABOVE * bucket) {
        let (text, binds) = bucket_sql::rebuild();
        run(&statement(db, &text, &binds)?).await?;
        return Ok(Kept::Rebuilding);
    }
    let mut split = 0;
    for row in oversized {
        let (order, number, size) = (row.text("sort_order"), row.number("bucket") as i64, size(&row));
        let moved = bucket_sql::moved(size);
        // No number left between two buckets: this one stays large until it passes
        // `REBUILD_ABOVE` and the indexes are built again.
        if let Some(new) = bucket_sql::split_number(number, row.opt_number("next").map(|n| n as i64), size, moved) {
            run_all(bucket_sql::split(&order, number, new, size, moved)).await?;
            split += 1;
        }
    }
    Ok(Kept::Split { added, split })
}

/// The id of the live customer with this normalised email, if any.
pub async fn live_id_by_email(db: &D1Database, email_normalized: &str) -> DbResult<Option<String>> {
    let sql = "SELECT id FROM customers WHERE email_normalized = ?1 AND deleted_at IS NULL";
    read_one(first(&statement(db, sql, &[Scalar::Text(email_normalized.into())])?).await?, |r| r.text("id"))
}

/// The statement of a merge patch, applied to whatever the row holds when it runs: only the
/// patch's fields are set and attributes are merged by `json_patch` (RFC 7396, as the API's
/// patch), so two patches at the same moment both land and neither is lost. The rules that
/// depend on the whole row (a name or an email, at most `MAX_ATTRIBUTES` attributes) are in the
/// WHERE clause: a patch that the latest row makes invalid changes nothing (0 rows), and the
/// caller explains why. `expected_version` (from `If-Match`) adds the version check. A new parent
/// is checked against circles and depth as the row is written, by migration 0018's trigger.
pub fn patch_sql(id: &str, patch: &CustomerPatch, expected_version: Option<i64>, now: &str, context: &PatchContext) -> Sql {
    let mut b = Builder::default();
    let mut sets: Vec<String> = Vec::new();
    let mut guards: Vec<String> = Vec::new();
    let mut new_name = "name".to_string();
    let mut new_email = "email".to_string();
    for (column, value) in [("name", &patch.name), ("phone", &patch.phone), ("company", &patch.company), ("notes", &patch.notes)]
    {
        if let Some(v) = value {
            let p = b.bind(text(v));
            sets.push(format!("{column} = {p}"));
            if column == "name" {
                // A name someone chose replaces a visitor's placeholder for good.
                sets.push("anonymous = 0".into());
                new_name = p;
            }
        }
    }
    if let Some(email) = &patch.email {
        let p = b.bind(text(&email.as_ref().map(|e| e.as_str().to_string())));
        let n = b.bind(text(&email.as_ref().map(|e| e.normalized())));
        sets.push(format!("email = {p}, email_normalized = {n}"));
        new_email = p;
    }
    if patch.name.is_some() || patch.email.is_some() {
        guards.push(format!("({new_name} IS NOT NULL OR {new_email} IS NOT NULL)"));
    }
    match &patch.attributes {
        None => {}
        Some(None) => sets.push("attributes = '{}'".into()),
        Some(Some(merge)) => {
            let p = b.bind(attributes_json(merge));
            sets.push(format!("attributes = json_patch(attributes, {p})"));
            guards.push(format!("(SELECT count(*) FROM json_each(json_patch(attributes, {p}))) <= {MAX_ATTRIBUTES}"));
        }
    }
    if let Some(kind) = patch.kind {
        let p = b.bind(Scalar::Text(kind.as_str().into()));
        sets.push(format!("kind = {p}"));
    }
    let id = b.bind(Scalar::Text(id.into()));
    match &patch.parent_id {
        None => {}
        Some(None) => sets.push("parent_id = NULL".into()),
        Some(Some(parent)) => {
            let p = b.bind(Scalar::Text(parent.clone()));
            sets.push(format!("parent_id = {p}"));
        }
    }
    // A handle given is set as is; null derives it again; a first name brings one.
    let stem = || context.stem.clone().map(Scalar::Text).unwrap_or(Scalar::Null);
    match &patch.handle {
        Some(Some(h)) => {
            let p = b.bind(Scalar::Text(h.as_str().into()));
            sets.push(format!("handle = {p}"));
        }
        Some(None) => {
            let s = b.bind(stem());
            sets.push(format!("handle = {}", derived_handle(&s, "1", &id)));
        }
        None if patch.name.is_some() => {
            let s = b.bind(stem());
            sets.push(format!("handle = coalesce(handle, {})", derived_handle(&s, "1", &id)));
        }
        None => {}
    }
    let now = b.bind(Scalar::Text(now.into()));
    sets.push(format!("updated_at = {now}, version = version + 1"));
    if let Some(v) = expected_version {
        let p = b.bind(Scalar::Int(v));
        guards.push(format!("version = {p}"));
    }
    let guards: String = guards.iter().map(|g| format!(" AND {g}")).collect();
    Sql {
        text: format!("UPDATE customers SET {} WHERE id = {id} AND deleted_at IS NULL{guards}", sets.join(", ")),
        binds: b.binds,
    }
}

/// What a patch needs to know beyond its own fields: the handle stem of the name it will have
/// (for a derived handle).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PatchContext {
    pub stem: Option<String>,
}

pub fn apply_patch_statement(
    db: &D1Database,
    id: &str,
    patch: &CustomerPatch,
    expected_version: Option<i64>,
    now: &str,
    context: &PatchContext,
) -> DbResult<D1PreparedStatement> {
    let sql = patch_sql(id, patch, expected_version, now, context);
    statement(db, &sql.text, &sql.binds)
}

/// Soft-deletes one customer that has no live sub-customers (0 rows when it has: the caller
/// says why, or cascades with `soft_delete_many`).
pub fn soft_delete_statement(db: &D1Database, id: &str, now: &str) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "UPDATE customers SET deleted_at = ?1, updated_at = ?1, version = version + 1 WHERE id = ?2 AND deleted_at IS NULL \
         AND NOT EXISTS (SELECT 1 FROM customers k WHERE k.parent_id = ?2 AND k.deleted_at IS NULL)",
        &[Scalar::Text(now.into()), Scalar::Text(id.into())],
    )
}

/// Replaces every personal field with the redaction marker: the customer's own fields, the
/// people recorded as its contacts, and what public pages sent with its interactions. Ids,
/// timestamps and associations stay. Run these statements in one batch.
pub fn redact_statement(db: &D1Database, id: &str, now: &str) -> DbResult<Vec<D1PreparedStatement>> {
    let marker = Scalar::Text(crate::domain::customer::REDACTED.into());
    let (now, id) = (Scalar::Text(now.into()), Scalar::Text(id.into()));
    Ok(vec![
        statement(
            db,
            "UPDATE customers SET name = ?1, email = NULL, email_normalized = NULL, phone = NULL, company = NULL, \
             notes = NULL, attributes = '{}', handle = NULL, updated_at = ?2, version = version + 1 WHERE id = ?3",
            &[marker.clone(), now.clone(), id.clone()],
        )?,
        // A contact's email is required and unique per customer, so each gets its own
        // undeliverable placeholder (.invalid is reserved, RFC 2606).
        statement(
            db,
            "UPDATE contacts SET first_name = ?1, last_name = ?1, phone = NULL, \
             email = 'redacted-' || id || '@redacted.invalid', email_normalized = 'redacted-' || id || '@redacted.invalid', \
             updated_at = ?2 WHERE customer_id = ?3",
            &[marker, now.clone(), id.clone()],
        )?,
        statement(db, "UPDATE interactions SET details = '{}' WHERE customer_id = ?1", std::slice::from_ref(&id))?,
        // A link sent to an address that no longer exists here must not activate anyone.
        statement(
            db,
            "UPDATE contact_activation_links SET revoked_at = ?2 WHERE used_at IS NULL AND revoked_at IS NULL \
             AND contact_id IN (SELECT c.id FROM contacts c WHERE c.customer_id = ?1)",
            &[id, now],
        )?,
    ])
}

/// What a force delete removes, counted: the customer and everything that cascades from it.
#[derive(Debug, serde::Serialize, Default, Clone, Copy)]
pub struct CascadeCounts {
    pub customers: u64,
    pub interactions: u64,
    pub group_memberships: u64,
    pub contacts: u64,
}

fn cascade_counts(r: &Row) -> CascadeCounts {
    CascadeCounts {
        customers: r.count("customers"),
        interactions: r.count("interactions"),
        group_memberships: r.count("group_memberships"),
        contacts: r.count("contacts"),
    }
}

const COUNT_CASCADE_SQL: &str = "SELECT \
    (SELECT count(*) FROM customers WHERE id IN (SELECT value FROM json_each(?1))) AS customers, \
    (SELECT count(*) FROM interactions WHERE customer_id IN (SELECT value FROM json_each(?1))) AS interactions, \
    (SELECT count(*) FROM group_members WHERE customer_id IN (SELECT value FROM json_each(?1))) AS group_memberships, \
    (SELECT count(*) FROM contacts WHERE customer_id IN (SELECT value FROM json_each(?1))) AS contacts";

pub async fn count_cascade(db: &D1Database, ids: &[String]) -> DbResult<CascadeCounts> {
    let counts = first(&statement(db, COUNT_CASCADE_SQL, &[ids_json(ids)])?).await?;
    Ok(read_one(counts, cascade_counts)?.unwrap_or_default())
}

/// Counts and removes in one batch (one transaction); the counts are read inside it, so they
/// are exactly what was removed. Related rows go through ON DELETE CASCADE.
/// `audit` runs first in the same batch, while the customers still exist.
pub async fn force_delete(db: &D1Database, ids: &[String], audit: Vec<D1PreparedStatement>) -> DbResult<CascadeCounts> {
    let mut statements = vec![statement(db, COUNT_CASCADE_SQL, &[ids_json(ids)])?];
    statements.extend(audit);
    statements.push(statement(db, "DELETE FROM customers WHERE id IN (SELECT value FROM json_each(?1))", &[ids_json(ids)])?);
    statements.push(super::tree::detach_children_of_statement(db, ids)?);
    let results = batch(db, statements).await?;
    let counts = results.first().and_then(|r| r.rows().pop()).ok_or_else(|| DbError("force delete returned no counts".into()))?;
    counts.read(cascade_counts)
}

/// Soft-deletes the live customers among `ids`.
pub fn soft_delete_many_statement(db: &D1Database, ids: &[String], now: &str) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "UPDATE customers SET deleted_at = ?1, updated_at = ?1, version = version + 1 \
         WHERE id IN (SELECT value FROM json_each(?2)) AND deleted_at IS NULL",
        &[Scalar::Text(now.into()), ids_json(ids)],
    )
}

/// Whether the own company is among `ids`.
pub async fn any_own_company(db: &D1Database, ids: &[String]) -> DbResult<bool> {
    let sql =
        "SELECT EXISTS (SELECT 1 FROM customers WHERE own_company = 1 AND id IN (SELECT value FROM json_each(?1))) AS found";
    let found = first(&statement(db, sql, &[ids_json(ids)])?).await?;
    Ok(read_one(found, |r| r.flag("found"))?.unwrap_or(false))
}

/// Which of `ids` exist, and whether each is soft-deleted.
pub async fn existing(db: &D1Database, ids: &[String]) -> DbResult<Vec<(String, bool)>> {
    let sql = "SELECT id, deleted_at IS NOT NULL AS deleted FROM customers WHERE id IN (SELECT value FROM json_each(?1))";
    let rows = all(&statement(db, sql, &[ids_json(ids)])?).await?;
    read_each(rows, |r| (r.text("id"), r.flag("deleted")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patch(body: serde_json::Value) -> CustomerPatch {
        CustomerPatch::parse(&body).unwrap()
    }

    fn query(body: serde_json::Value) -> CustomerQuery {
        crate::domain::filter::from_filter_body(&body, true).unwrap().query
    }

    #[test]
    fn a_search_is_called_broad_at_200_trigram_matches() {
        let q = query(json!({"q": "acme"}));
        assert_eq!(Planner::default().cap(sql::narrowing(&q).unwrap(), 50), MIN_PROBE);
    }

    #[test]
    fn a_filter_is_called_broad_at_5000_index_matches() {
        let q = query(json!({"conditions": [{"field": "company", "op": "eq", "value": "Acme"}]}));
        assert_eq!(Planner::default().cap(sql::narrowing(&q).unwrap(), 50), INDEX_PROBE);
    }

    #[test]
    fn the_probe_counts_at_least_a_page() {
        let q = query(json!({"q": "acme"}));
        assert_eq!(Planner { probe_cap: None, window: 10, ..Planner::default() }.cap(sql::narrowing(&q).unwrap(), 500), 501);
    }

    #[test]
    fn a_given_cap_holds_for_every_narrowing() {
        let planner = Planner { probe_cap: Some(3), window: 10, ..Planner::default() };
        let filter = query(json!({"conditions": [{"field": "company", "op": "eq", "value": "Acme"}]}));
        assert_eq!(planner.cap(sql::narrowing(&query(json!({"q": "acme"}))).unwrap(), 50), 3);
        assert_eq!(planner.cap(sql::narrowing(&filter).unwrap(), 50), 3);
    }

    #[test]
    fn a_patch_sets_only_its_own_fields() {
        let sql = patch_sql("c1", &patch(json!({"company": "ACME"})), None, "now", &PatchContext::default());
        assert_eq!(
            sql.text,
            "UPDATE customers SET company = ?1, updated_at = ?3, version = version + 1 WHERE id = ?2 AND deleted_at IS NULL"
        );
        assert_eq!(sql.binds, vec![Scalar::Text("ACME".into()), Scalar::Text("c1".into()), Scalar::Text("now".into())]);
    }

    #[test]
    fn attributes_are_merged_in_the_statement_and_their_count_guarded() {
        let sql =
            patch_sql("c1", &patch(json!({"attributes": {"plan": "pro", "old": null}})), None, "now", &PatchContext::default());
        assert!(sql.text.contains("attributes = json_patch(attributes, ?1)"));
        assert!(sql.text.contains(&format!("(SELECT count(*) FROM json_each(json_patch(attributes, ?1))) <= {MAX_ATTRIBUTES}")));
        assert_eq!(sql.binds[0], Scalar::Text(r#"{"old":null,"plan":"pro"}"#.into()));
    }

    #[test]
    fn clearing_the_name_keeps_the_rule_of_a_name_or_an_email() {
        let sql = patch_sql("c1", &patch(json!({"name": null})), None, "now", &PatchContext::default());
        assert!(sql.text.contains("AND (?1 IS NOT NULL OR email IS NOT NULL)"), "{}", sql.text);
    }

    #[test]
    fn a_new_email_sets_its_normalised_form_too() {
        let sql = patch_sql("c1", &patch(json!({"email": "Ada@Example.com"})), None, "now", &PatchContext::default());
        assert!(sql.text.starts_with("UPDATE customers SET email = ?1, email_normalized = ?2,"));
        assert_eq!(sql.binds[1], Scalar::Text("ada@example.com".into()));
    }

    #[test]
    fn a_new_parent_is_set_as_given() {
        let sql = patch_sql(
            "c1",
            &patch(json!({"parent_id": "0193aaaa-0000-7000-8000-000000000001"})),
            None,
            "now",
            &PatchContext::default(),
        );
        assert!(sql.text.contains("parent_id = ?2"), "{}", sql.text);
    }

    #[test]
    fn a_first_name_brings_a_derived_handle_and_keeps_one_that_exists() {
        let context = PatchContext { stem: Some("ada".into()) };
        let sql = patch_sql("c1", &patch(json!({"name": "Ada"})), None, "now", &context);
        assert!(sql.text.contains("handle = coalesce(handle, CASE WHEN ?3 IS NULL"), "{}", sql.text);
        assert_eq!(sql.binds[2], Scalar::Text("ada".into()));
    }

    #[test]
    fn a_handle_given_is_set_as_is() {
        let sql = patch_sql("c1", &patch(json!({"handle": "acme"})), None, "now", &PatchContext::default());
        assert!(sql.text.contains("handle = ?2"), "{}", sql.text);
    }

    #[test]
    fn if_match_adds_the_version_check() {
        let sql = patch_sql("c1", &patch(json!({"notes": "x"})), Some(4), "now", &PatchContext::default());
        assert!(sql.text.ends_with("AND version = ?4"));
        assert_eq!(sql.binds[3], Scalar::Int(4));
    }

    #[test]
    fn cascade_counts_serialise_as_integers() {
        let counts = CascadeCounts { customers: 1, interactions: 3, group_memberships: 0, contacts: 2 };
        assert_eq!(
            serde_json::to_string(&counts).unwrap(),
            r#"{"customers":1,"interactions":3,"group_memberships":0,"contacts":2}"#
        );
    }
}
