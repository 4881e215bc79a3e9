//! Compiles the domain's customer query (`domain::customer_query`) to SQL for listing, filtering,
//! exporting and bulk-deleting customers. Field and sort names map to fixed SQL fragments from
//! allow-lists; every value is a bound parameter (`?N`), never text in the SQL. Pure: no D1
//! here, so it is unit-tested.
use super::bucket_sql::UNINDEXED_MAX;
pub use crate::domain::customer_query::Scalar;
use crate::domain::customer_query::{After, Condition, CustomerQuery, Field, Match, Op, Operand, Sort, SortField, Status};
use crate::domain::group::is_builtin;
use crate::domain::search_signature::{self, Signature};

/// D1 refuses statements with more than 100 bound parameters.
pub const MAX_BINDS: usize = 100;

#[derive(Debug, Clone, PartialEq)]
pub struct Sql {
    pub text: String,
    pub binds: Vec<Scalar>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum BuildError {
    TooManyParameters { count: usize },
}

fn status_sql(status: Status) -> &'static str {
    match status {
        Status::Active => "c.deleted_at IS NULL",
        Status::Deleted => "c.deleted_at IS NOT NULL",
        Status::All => "1",
    }
}

/// The name order's key: the name, or the email for a customer without one, so those sit among
/// the names by their email. Its index (`customers_name_sort`, migrations/0025) holds the same
/// expression; name conditions walk it too, since a named customer's key is its name.
pub const NAME_ORDER: &str = "lower(coalesce(c.name, c.email_normalized, ''))";

/// The sort key expression; each has an index in migrations/0001 with the same expression (the
/// name order's, migrations/0025).
fn sort_key_sql(sort: Sort) -> &'static str {
    match sort.field {
        SortField::CreatedAt => "c.created_at",
        SortField::Name => NAME_ORDER,
        SortField::Email => "coalesce(c.email_normalized, '')",
        SortField::LastSeenAt => "coalesce(c.last_seen_at, '')",
    }
}

/// How a page finds its rows. Every plan returns the same rows in the same order; they differ
/// in cost, which depends on how many customers the query's narrowing matches
/// (`planned` chooses after a bounded probe of its index).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PagePlan {
    /// Test only the rows the narrowing's index matches, then sort them: cheap when they are few.
    Candidates,
    /// Walk at most this many customers in sort order and test each: cheap when matches are
    /// common, since the page fills early; if it does not fill, the caller walks a wider window,
    /// then asks `Candidates`.
    Window(usize),
    /// A query with a substring the trigram index can look up (`can_stream`: a search, or a
    /// condition on a text field) in creation order: read the index's
    /// matches for it in rowid order, which is creation order for every customer but the few in
    /// `customers_out_of_order` (migrations/0022), until a page's worth passes every test, and
    /// test those few beside them. Costs a page wherever the matches sit in creation order.
    Stream,
    /// Walk the sort order with no bound: a plain list, or a query with no narrowing.
    Scan,
    /// Walk the sort order with no bound, testing the search signature first as a window does:
    /// a narrowed query's last resort, whose cost is the walk's index entries up to the page.
    Walk,
    /// A query with a substring the trigram index can look up, sorted by name, email or last
    /// seen: read that order's own trigram index (migrations/0028) bucket by bucket, in sort
    /// order either way, up to the bucket holding the page's last row, and sort what it lists.
    /// Costs the page's buckets wherever the matches sit. Until the cron has built the index,
    /// it reads no row and says so (`ready`), and the caller walks (`Walk`).
    Bucketed,
}

/// What narrows a query to the rows an index finds, before they are tested and sorted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Narrowing<'a> {
    /// The search's trigram matches (searches of three characters or more).
    Search(&'a str),
    /// An equality, list or prefix condition every result meets, on a field with an index on
    /// its folded value, other than the sort key (a condition on the sort key narrows the walk
    /// of the sort index itself, which needs no plan).
    Condition(&'a Condition),
}

/// Which indexes a statement's conditions may lead SQLite to. Written out per plan, so SQLite
/// walks the index the plan means: without statistics it takes any index on an equality or a
/// range for selective and sorts what it finds (measured at 100,000 rows: a name prefix that
/// every row matches, 131 ms that way against 0.5 ms planned).
#[derive(Debug, Clone, Copy)]
enum RowSource<'a> {
    /// Every indexed condition and the trigram index (SQLite chooses: no plan).
    Any,
    /// The narrowing's index only.
    Narrowed(Narrowing<'a>),
    /// The sort index only: conditions on the sort key bound its walk, the rest are tests.
    SortOrder,
    /// The company's index for the sort order (`seeks`): the company's equality and the sort
    /// key's own conditions bound its range, the rest are tests. `written` stands in the
    /// statement for the query's `narrowing`: itself, or one value of a list (`merged_seek_sql`).
    Seek { narrowing: &'a Condition, written: &'a Condition },
}

impl RowSource<'_> {
    /// What the statement writes for the query's condition `c`.
    fn written<'c>(self, c: &'c Condition) -> &'c Condition
    where
        Self: 'c,
    {
        match self {
            RowSource::Seek { narrowing, written } if std::ptr::eq(c, narrowing) => written,
            _ => c,
        }
    }
}

/// Which rows `range_sql` keeps: those strictly after a row, or those up to and including it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    After,
    UpTo,
}

/// Collects bind values and hands back each one's `?N` placeholder. An equal value bound again
/// reuses its placeholder, so a statement that repeats its filter (a planned page's two ways)
/// binds it once and fits D1's 100 parameters as a single way does.
#[derive(Default)]
pub struct Builder {
    pub binds: Vec<Scalar>,
}

impl Builder {
    pub fn bind(&mut self, v: Scalar) -> String {
        let n = match self.binds.iter().position(|b| *b == v) {
            Some(i) => i + 1,
            None => {
                self.binds.push(v);
                self.binds.len()
            }
        };
        format!("?{n}")
    }
}

/// The most parts D1 takes in one compound SELECT (`a UNION ALL b ...`): a sixth is refused as
/// "too many terms in compound SELECT".
const MAX_COMPOUND_PARTS: usize = 5;

/// The key and the id of a window's bound row, read from the table `bound_sql` writes.
const BOUND_KEY: &str = "(SELECT k FROM bound)";
const BOUND_ID: &str = "(SELECT i FROM bound)";

/// The columns every customer read selects, in the shape `storage::customers::Row` expects.
pub const CUSTOMER_COLUMNS: &str = "c.id, c.name, c.email, c.phone, c.company, c.notes, c.attributes, c.kind, c.source, \
    c.parent_id, c.handle, c.own_company, c.merged_into, c.anonymous, c.created_at, c.updated_at, c.last_seen_at, c.deleted_at, c.version, \
    (SELECT json_group_array(gm.group_id) FROM group_members gm WHERE gm.customer_id = c.id) AS group_ids";

fn lower_text(s: &str) -> String {
    // SQLite's lower() folds ASCII only; fold the same way so both sides agree.
    s.to_ascii_lowercase()
}

fn text_of(v: &Scalar) -> Option<&str> {
    match v {
        Scalar::Text(s) => Some(s),
        _ => None,
    }
}

/// A value's text folded as the indexes' keys are (`lower_text`); empty for any other value. A
/// list's seeks are told apart by it (`merged_seek_sql`), so they fold as the seek writes them.
fn folded_text(v: &Scalar) -> String {
    lower_text(text_of(v).unwrap_or_default())
}

fn condition_sql(b: &mut Builder, c: &Condition, indexed: bool) -> String {
    // Group membership lives in another table: conditions on it are (NOT) EXISTS sub-queries.
    // The built-in All has no rows there: its members are the live customers.
    if c.field == Field::GroupId {
        let members = "SELECT 1 FROM group_members gm WHERE gm.customer_id = c.id";
        let all = |v: &Scalar| text_of(v).is_some_and(is_builtin);
        return match (&c.op, &c.operand) {
            (Op::Eq, Operand::One(v)) if all(v) => "c.deleted_at IS NULL".into(),
            (Op::Neq, Operand::One(v)) if all(v) => "c.deleted_at IS NOT NULL".into(),
            (Op::Eq, Operand::One(v)) => format!("EXISTS ({members} AND gm.group_id = {})", b.bind(v.clone())),
            (Op::Neq, Operand::One(v)) => format!("NOT EXISTS ({members} AND gm.group_id = {})", b.bind(v.clone())),
            (Op::In, Operand::Many(vs)) => {
                let list: Vec<String> = vs.iter().filter(|v| !all(v)).map(|v| b.bind(v.clone())).collect();
                let stored = format!("EXISTS ({members} AND gm.group_id IN ({}))", list.join(", "));
                match (vs.iter().any(all), list.is_empty()) {
                    (false, _) => stored,
                    (true, true) => "c.deleted_at IS NULL".into(),
                    (true, false) => format!("(c.deleted_at IS NULL OR {stored})"),
                }
            }
            (Op::IsNull, _) => format!("NOT EXISTS ({members})"),
            (Op::IsNotNull, _) => format!("EXISTS ({members})"),
            _ => "0".into(), // unreachable: the parser allows only the operators above
        };
    }
    if indexed {
        if let Some((_, exact)) = indexed_text_sql(b, c) {
            return exact;
        }
    }
    let (col, folded): (String, bool) = match &c.field {
        Field::Name => ("c.name".into(), true),
        Field::Email => ("c.email_normalized".into(), true),
        Field::Phone => ("c.phone".into(), true),
        Field::Company => ("c.company".into(), true),
        Field::Kind => ("c.kind".into(), false),
        Field::Source => ("c.source".into(), false),
        Field::ParentId => ("c.parent_id".into(), false),
        Field::Handle => ("c.handle".into(), false),
        Field::CreatedAt => ("c.created_at".into(), false),
        Field::UpdatedAt => ("c.updated_at".into(), false),
        Field::LastSeenAt => ("c.last_seen_at".into(), false),
        Field::Attribute(key) => {
            let path = b.bind(Scalar::Text(format!("$.\"{key}\"")));
            (format!("json_extract(c.attributes, {path})"), false)
        }
        Field::GroupId => unreachable!(),
    };
    // Text fields compare case-insensitively, like the search.
    let lhs = if folded { format!("lower({col})") } else { col.clone() };
    let fold = |v: &Scalar| match v {
        Scalar::Text(s) if folded => Scalar::Text(lower_text(s)),
        other => other.clone(),
    };
    let string_lhs = if folded { lhs.clone() } else { format!("lower(CAST({col} AS TEXT))") };
    match (&c.op, &c.operand) {
        (Op::IsNull, _) => format!("{col} IS NULL"),
        (Op::IsNotNull, _) => format!("{col} IS NOT NULL"),
        (Op::In, Operand::Many(vs)) => {
            let list: Vec<String> = vs.iter().map(|v| b.bind(fold(v))).collect();
            format!("{lhs} IN ({})", list.join(", "))
        }
        (op, Operand::One(v)) => {
            let sym = match op {
                Op::Eq => "=",
                Op::Neq => "IS NOT",
                Op::Gt => ">",
                Op::Gte => ">=",
                Op::Lt => "<",
                Op::Lte => "<=",
                Op::Contains | Op::StartsWith | Op::EndsWith => {
                    let needle = Scalar::Text(folded_text(v));
                    let p = b.bind(needle);
                    return match op {
                        Op::Contains => format!("instr({string_lhs}, {p}) > 0"),
                        Op::StartsWith => format!("instr({string_lhs}, {p}) = 1"),
                        _ => format!("substr({string_lhs}, -length({p})) = {p}"),
                    };
                }
                _ => "=",
            };
            let p = b.bind(fold(v));
            format!("{lhs} {sym} {p}")
        }
        _ => "0".into(),
    }
}

/// The expression an index holds for a text field's folded value, and the column: name and
/// email have their sort indexes (migrations/0001), company and phone their filter indexes
/// (0009).
fn index_key(field: &Field) -> Option<(&'static str, &'static str)> {
    match field {
        Field::Name => Some((NAME_ORDER, "c.name")),
        Field::Email => Some(("coalesce(c.email_normalized, '')", "c.email_normalized")),
        Field::Company => Some(("lower(coalesce(c.company, ''))", "c.company")),
        Field::Phone => Some(("lower(coalesce(c.phone, ''))", "c.phone")),
        _ => None,
    }
}

/// Whether an index can find a condition's rows: equality, a list or a prefix on a text field
/// with an index on its folded value.
fn is_indexed(c: &Condition) -> bool {
    index_key(&c.field).is_some()
        && matches!((c.op, &c.operand), (Op::Eq | Op::StartsWith, Operand::One(_)) | (Op::In, Operand::Many(_)))
}

/// Equality, list and prefix conditions written against the expressions the indexes hold, so
/// they walk the index instead of every customer (measured at 1,000,000 rows: a name prefix
/// 405 ms as `instr`, 1 ms as a range). Two forms: the index's part alone (for a probe, which
/// reads the index only), and the exact condition, with the same results as the general form
/// (a missing value never equals or starts with a value).
fn indexed_text_sql(b: &mut Builder, c: &Condition) -> Option<(String, String)> {
    let (key, column) = index_key(&c.field)?;
    // No stored email, phone or company is blank (migrations/0030), so none equals ''. Read
    // through the index, '' would be the key of every customer without the field, each read and
    // refused. (A name's key is '' only for a blank name: none to walk.)
    let never = |v: &str| v.is_empty() && c.field != Field::Name;
    let nothing = || Some(("0".to_string(), "0".to_string()));
    match (&c.op, &c.operand) {
        (Op::Eq, Operand::One(v)) => {
            let v = folded_text(v);
            if never(&v) {
                return nothing();
            }
            let index = format!("{key} = {}", b.bind(Scalar::Text(v)));
            Some((index.clone(), format!("({index} AND {column} IS NOT NULL)")))
        }
        (Op::In, Operand::Many(vs)) => {
            let list: Vec<String> = vs.iter().map(folded_text).filter(|v| !never(v)).map(|v| b.bind(Scalar::Text(v))).collect();
            if list.is_empty() {
                return nothing();
            }
            let index = format!("{key} IN ({})", list.join(", "));
            Some((index.clone(), format!("({index} AND {column} IS NOT NULL)")))
        }
        (Op::StartsWith, Operand::One(v)) => {
            // Keys that start with p sort from p up to p followed by the last code point; the
            // instr test keeps the result exact at that edge, and the column's test leaves out a
            // key that is not the field's own (a nameless customer's email).
            let p = b.bind(Scalar::Text(folded_text(v)));
            let index = format!("{key} >= {p} AND {key} < {p} || char(1114111)");
            Some((index.clone(), format!("({index} AND instr({key}, {p}) = 1 AND {column} IS NOT NULL)")))
        }
        _ => None,
    }
}

/// D1 refuses LIKE patterns longer than this many bytes.
const MAX_LIKE_PATTERN: usize = 50;

/// What a search means, in every plan: the text is a substring of name, email, phone or
/// company, ASCII letters compared case-insensitively. As a LIKE pattern with its wildcards
/// escaped, which folds ASCII case as it compares (measured in workerd's D1, a walk of 4,600
/// rows: 5.9 ms against 7.7 ms with `instr(lower(..))`, which copies each value to fold it);
/// `instr` where the pattern would pass D1's limit. Both match the same rows.
fn search_sql(b: &mut Builder, q: &str) -> String {
    let needle = lower_text(q);
    let mut pattern = String::from("%");
    for ch in needle.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(ch);
    }
    pattern.push('%');
    if pattern.len() <= MAX_LIKE_PATTERN {
        let p = b.bind(Scalar::Text(pattern));
        let like = |col: &str| format!("{col} LIKE {p} ESCAPE '\\'");
        return format!(
            "({} OR {} OR {} OR {} OR {})",
            like("c.name"),
            like("c.email_normalized"),
            like("c.phone"),
            like("c.company"),
            like("c.handle")
        );
    }
    let p = b.bind(Scalar::Text(needle));
    format!(
        "(instr(lower(coalesce(c.name, '')), {p}) > 0 OR instr(coalesce(c.email_normalized, ''), {p}) > 0 \
         OR instr(lower(coalesce(c.phone, '')), {p}) > 0 OR instr(lower(coalesce(c.company, '')), {p}) > 0 \
         OR instr(coalesce(c.handle, ''), {p}) > 0)"
    )
}

/// Trigrams a search asks the index for, at most: a long text's are taken evenly across it,
/// which still narrows to a superset of its rows.
const MAX_TRIGRAMS: usize = 16;

/// The FTS5 query for the customers whose indexed text holds every trigram of `q` (its runs of
/// three characters), each quoted as a string, where only `"` needs escaping (doubled). The
/// index keeps no positions (migrations/0016), so they are asked for together, not side by side:
/// a superset of the rows containing `q`, which `search_sql` then tests exactly. Every trigram,
/// not only a few that cover the text: fewer are cheaper to count (`company 42` at 1,000,000:
/// 0.32 ms for the 4 that cover it against 0.84 ms for all 8) but let in more rows than contain
/// the text, and past the probe's cap a few become "broad" (`user-4242`, 111 customers at
/// 1,000,000: `use`, `r-4` and `242` let in 320, all 7 trigrams 112; with the 3 its page cost
/// 3 times a list page, a window walked in vain and a second statement). The index folds case
/// itself. `q` has three characters or more (a shorter search does not use the index).
pub fn fts_trigrams(q: &str) -> String {
    fts_match(trigrams_of(q))
}

/// A text's runs of three characters, each once.
fn trigrams_of(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    each_once(chars.windows(3).map(|w| w.iter().collect()))
}

/// `texts` in their order, each once (a query names a few dozen trigrams at most).
fn each_once(texts: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut once: Vec<String> = Vec::new();
    for t in texts {
        if !once.contains(&t) {
            once.push(t);
        }
    }
    once
}

/// The FTS5 query for the customers holding every one of `trigrams`, each quoted (at most
/// `MAX_TRIGRAMS`, taken evenly across them).
fn fts_match(mut trigrams: Vec<String>) -> String {
    if trigrams.len() > MAX_TRIGRAMS {
        let end = trigrams.len() - 1;
        trigrams = (0..MAX_TRIGRAMS).map(|i| trigrams[i * end / (MAX_TRIGRAMS - 1)].clone()).collect();
    }
    let quoted: Vec<String> = trigrams.iter().map(|t| format!("\"{}\"", t.replace('"', "\"\""))).collect();
    quoted.join(" ")
}

/// Compiles one query: holds it so the steps below read its parts as `self.sort`, `self.search`.
/// The query, and whether its walks test the search signature (`signed`).
struct Compiler<'q>(&'q CustomerQuery, bool);

impl std::ops::Deref for Compiler<'_> {
    type Target = CustomerQuery;
    fn deref(&self) -> &CustomerQuery {
        self.0
    }
}

/// What a planned page narrows its rows by, if anything: the trigram index for a search long
/// enough, else an equality before a list before a prefix (the likelier to be few).
pub fn narrowing(query: &CustomerQuery) -> Option<Narrowing<'_>> {
    if let Some(q) = query.search.as_deref().filter(|q| q.chars().count() >= 3) {
        return Some(Narrowing::Search(q));
    }
    let candidates: Vec<&Condition> = anded(query).filter(|c| is_indexed(c) && !on_sort_key(query, c)).collect();
    [Op::Eq, Op::In, Op::StartsWith]
        .iter()
        .find_map(|op| candidates.iter().find(|c| c.op == *op))
        .map(|c| Narrowing::Condition(c))
}

/// The conditions every result meets: the list's parameters always, the filter body's when
/// they are AND-ed (or there is one).
fn anded(query: &CustomerQuery) -> impl Iterator<Item = &Condition> {
    let all = query.matching == Match::All || query.conditions.len() == 1;
    query.required.iter().chain(query.conditions.iter().filter(move |_| all))
}

fn on_sort_key(query: &CustomerQuery, c: &Condition) -> bool {
    index_key(&c.field).is_some_and(|(key, _)| key == sort_key_sql(query.sort))
}

/// Whether a page is one seek (`PagePlan::Candidates`): an equality on the company narrows it,
/// and the company's index for each order holds that order's key after the company
/// (migrations/0015, 0029), so the page is the first rows of one range after the cursor whatever
/// the company's size, with no count first. A list of companies is one seek per company, merged
/// (`merged_seek_sql`).
pub fn seeks(query: &CustomerQuery) -> bool {
    narrowing(query).is_some_and(is_seek)
}

/// Whether a query's narrowing makes its page one seek (`seeks`).
fn is_seek(narrowing: Narrowing) -> bool {
    matches!(narrowing, Narrowing::Condition(c) if c.field == Field::Company && matches!(c.op, Op::Eq | Op::In))
}

/// Whether a page can be read as `PagePlan::Stream`: a search the trigram index serves, in
/// creation order either way.
pub fn streams(query: &CustomerQuery) -> bool {
    matches!(narrowing(query), Some(Narrowing::Search(_))) && query.sort.field == SortField::CreatedAt
}

/// Whether a page in creation order can read its candidates from the trigram index in rowid
/// order (`PagePlan::Stream`): every result holds a trigram the query names
/// (`Compiler::streamed_trigrams`: a search, a filter's text of three characters or more, a
/// list whose values share one). Every customer the index lists for them passes their
/// signature too, so the stream reads no more rows than the signed walk does, without walking
/// the customers between. A list is asked for the trigrams all its values share, not for any one
/// value (an FTS5 `OR` of each value's trigrams): that way the index positions every alternative
/// at each step, and fifty companies cost 20 to 25 ms a page at 100,000 customers even where the
/// walk found its page in 10.
pub fn can_stream(query: &CustomerQuery) -> bool {
    query.sort.field == SortField::CreatedAt && !Compiler(query, true).streamed_trigrams().is_empty()
}

/// Whether a page sorted by name, email or last seen can read its candidates from that order's
/// trigram index bucket by bucket (`PagePlan::Bucketed`): as for `can_stream`.
pub fn can_read_by_buckets(query: &CustomerQuery) -> bool {
    bucketed_index(query.sort.field).is_some() && !Compiler(query, true).streamed_trigrams().is_empty()
}

/// An order's trigram index read bucket by bucket (migrations/0028): its name in `sort_buckets`
/// and its table. Creation order has none: the trigram index's rowids already follow it.
pub fn bucketed_index(field: SortField) -> Option<(&'static str, &'static str)> {
    match field {
        SortField::Name => Some(("name", "customers_by_name")),
        SortField::Email => Some(("email", "customers_by_email")),
        SortField::LastSeenAt => Some(("last_seen", "customers_by_last_seen")),
        SortField::CreatedAt => None,
    }
}

/// The key of an order, as its sort index holds it, for a customer row aliased `c`.
pub fn sort_key(field: SortField) -> &'static str {
    sort_key_sql(Sort { field, descending: false })
}

/// Whether the per-order indexes can answer a page, as SQL (a constant of the statement): they
/// are numbered, and every customer is in them but at most the newest `UNINDEXED_MAX` by seq,
/// which a page reads from the trigram index of creation order (`bucketed_sql`). Not while
/// the cron builds them from the start.
fn buckets_ready() -> String {
    format!(
        "((SELECT indexed_below FROM sorted_search) >= 0 AND NOT EXISTS (SELECT 1 FROM customers \
         WHERE seq >= (SELECT indexed_below FROM sorted_search) + {UNINDEXED_MAX}))"
    )
}

/// The bucket of the row with key `k` and id `i` (SQL expressions) in the order named `order`:
/// the last whose lower bound is at or below it, that is the last at or below `i` among the
/// bounds on `k` itself, else the last below `k`. Two seeks of `sort_buckets`: written as one
/// row value, `(key, id) <= (k, i)`, SQLite seeks on the key alone and walks every bound that
/// ties with it (a bucket lookup in last-seen order, where every key of customers never seen is
/// '', walked half of 4,700 bounds: 16 s for 20,000 customers).
pub fn bucket_of(order: &str, k: &str, i: &str) -> String {
    format!(
        "coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = '{order}' AND b.key = {k} AND b.id <= {i} \
         ORDER BY b.id DESC LIMIT 1), (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = '{order}' AND b.key < {k} \
         ORDER BY b.key DESC, b.id DESC LIMIT 1))"
    )
}

/// The fields the signature and the trigram index hold.
fn is_text_field(field: &Field) -> bool {
    matches!(field, Field::Name | Field::Email | Field::Phone | Field::Company | Field::Handle)
}

/// The bits of the search signature every customer `query` selects holds (empty: none to test).
pub fn signature(query: &CustomerQuery) -> Signature {
    Compiler(query, true).signature()
}

/// One page: `limit + 1` rows are fetched so the caller knows whether more follow.
/// The signature's parts are parameters too: a query they would take past the limit walks
/// without them (as fast as before signatures, never refused for them).
pub fn page(query: &CustomerQuery, after: Option<&After>, limit: usize, plan: PagePlan) -> Result<Sql, BuildError> {
    Compiler(query, true).page(after, limit, plan).or_else(|_| Compiler(query, false).page(after, limit, plan))
}

/// One page in one statement, for a query with a narrowing: the narrowing's matches are
/// counted up to `cap` (in its index), then one of two ways runs, the other's LIMIT being 0
/// (SQLite then skips it whole): fewer matches than `cap` are sorted (`Candidates`); more are
/// looked for on `walk`: a window of the sort order (`Window`), the walk on to the page
/// (`Walk`) or the order's buckets (`Bucketed`, whose rows also carry `ready`: whether the
/// buckets were built; if not, no row, and the caller walks; a search is not counted for it). Every row carries the count as `probe`, and a page with no row still
/// answers one, with `probe` alone (the others NULL): when the count reached `cap` and the
/// window held no more than `limit` rows, the caller asks `Candidates` after all. `narrowing`
/// is this query's (`narrowing()`); a query without one always takes `walk` (only `Bucketed`
/// is asked for that way, for its `ready`).
pub fn planned(
    query: &CustomerQuery,
    narrowing: Option<Narrowing>,
    after: Option<&After>,
    limit: usize,
    cap: usize,
    walk: PagePlan,
) -> Result<Sql, BuildError> {
    let signed = Compiler(query, true).planned(narrowing, after, limit, cap, walk);
    signed.or_else(|_| Compiler(query, false).planned(narrowing, after, limit, cap, walk))
}

/// How many customers the query selects.
pub fn count(query: &CustomerQuery) -> Result<Sql, BuildError> {
    let mut b = Builder::default();
    let filter = Compiler(query, true).where_sql(&mut b, None, RowSource::Any);
    checked(b, format!("SELECT count(*) AS total FROM customers c WHERE {filter}"))
}

/// The ids of matching customers in creation order, for bulk operations (at most `limit`).
pub fn ids(query: &CustomerQuery, limit: usize) -> Result<Sql, BuildError> {
    let mut b = Builder::default();
    let filter = Compiler(query, true).where_sql(&mut b, None, RowSource::Any);
    let lim = b.bind(Scalar::Int(limit as i64));
    checked(b, format!("SELECT c.id FROM customers c WHERE {filter} ORDER BY c.created_at, c.id LIMIT {lim}"))
}

fn checked(b: Builder, text: String) -> Result<Sql, BuildError> {
    if b.binds.len() > MAX_BINDS {
        return Err(BuildError::TooManyParameters { count: b.binds.len() });
    }
    Ok(Sql { text, binds: b.binds })
}

impl<'q> Compiler<'q> {
    /// How a plan reaches its rows: `Candidates` through the narrowing, the walks through the
    /// sort index. With no narrowing there is no plan to keep to and SQLite picks (conditions
    /// joined by `any` among them: an index for each, when they are few).
    fn access(&self, plan: PagePlan) -> RowSource<'q> {
        match (narrowing(self.0), plan) {
            (Some(n @ Narrowing::Condition(c)), PagePlan::Candidates) if is_seek(n) => {
                RowSource::Seek { narrowing: c, written: c }
            }
            (Some(n), PagePlan::Candidates) => RowSource::Narrowed(n),
            (Some(_), PagePlan::Window(_) | PagePlan::Walk | PagePlan::Scan | PagePlan::Stream | PagePlan::Bucketed) => {
                RowSource::SortOrder
            }
            (None, _) => RowSource::Any,
        }
    }

    fn where_sql(&self, b: &mut Builder, after: Option<&After>, access: RowSource) -> String {
        let mut parts = vec![status_sql(self.status).to_string()];
        if let Some(q) = &self.search {
            // What a search means, in every plan: the text is a substring of name, email, phone,
            // company or handle, ASCII letters compared case-insensitively.
            let trigrams = match access {
                RowSource::Any => q.chars().count() >= 3,
                RowSource::Narrowed(n) => matches!(n, Narrowing::Search(_)),
                RowSource::SortOrder | RowSource::Seek { .. } => false,
            };
            if trigrams {
                // The trigram index narrows the rows to test to those holding every trigram of
                // the text, a superset of the above (it folds all of Unicode's case); each
                // trigram travels quoted, so its characters are all literal.
                let trigrams = b.bind(Scalar::Text(fts_trigrams(q)));
                parts.push(format!("c.seq IN (SELECT rowid FROM customers_search WHERE customers_search MATCH {trigrams})"));
            }
            parts.push(search_sql(b, q));
        }
        let indexed = |c: &Condition| match access {
            RowSource::Any => true,
            RowSource::Narrowed(Narrowing::Condition(n)) => std::ptr::eq(c, n),
            RowSource::Narrowed(Narrowing::Search(_)) => false,
            RowSource::SortOrder => on_sort_key(self.0, c),
            RowSource::Seek { narrowing, .. } => std::ptr::eq(c, narrowing) || on_sort_key(self.0, c),
        };
        for c in &self.required {
            parts.push(condition_sql(b, access.written(c), indexed(c)));
        }
        if !self.conditions.is_empty() {
            let joiner = if self.matching == Match::All { " AND " } else { " OR " };
            let conds: Vec<String> = self.conditions.iter().map(|c| condition_sql(b, access.written(c), indexed(c))).collect();
            parts.push(format!("({})", conds.join(joiner)));
        }
        if let Some(after) = after {
            parts.push(self.after_sql(b, after));
        }
        parts.join(" AND ")
    }

    /// Rows after the cursor's row in sort order. Written out rather than as a row value
    /// (`(key, id) > (?, ?)`): SQLite uses a row value as a range only on plain columns, and the
    /// name, email and last-seen keys are expression indexes (measured at 1,000,000 rows: 104 ms
    /// a page by name as a row value, 1 ms written out).
    fn after_sql(&self, b: &mut Builder, after: &After) -> String {
        let k = b.bind(Scalar::Text(after.key.clone()));
        let i = b.bind(Scalar::Text(after.id.clone()));
        self.range_sql(&k, &i, Side::After)
    }

    /// The rows on one side of the row with sort key `k` and id `i` in sort order (`k` and `i`
    /// are SQL expressions).
    fn range_sql(&self, k: &str, i: &str, side: Side) -> String {
        let key = sort_key_sql(self.sort);
        if self.sort.field == SortField::CreatedAt {
            // A plain column: the row value is a range SQLite seeks to directly, where the
            // written-out form scans the rows that tie on the key (an import's rows share
            // `created_at`: 4 ms against 1 ms at row 50,000 of 100,000, measured).
            return format!("({key}, c.id) {} ({k}, {i})", self.created_cmp(side));
        }
        let (wide, strict, last) = match (self.sort.descending, side == Side::UpTo) {
            (true, false) => ("<=", "<", "<"),
            (false, false) => (">=", ">", ">"),
            (true, true) => (">=", ">", ">="),
            (false, true) => ("<=", "<", "<="),
        };
        format!("{key} {wide} {k} AND ({key} {strict} {k} OR c.id {last} {i})")
    }

    /// The comparison of `(created_at, id)` row values that keeps one side of a row.
    fn created_cmp(&self, side: Side) -> &'static str {
        match (self.sort.descending, side) {
            (true, Side::After) => "<",
            (false, Side::After) => ">",
            (true, Side::UpTo) => ">=",
            (false, Side::UpTo) => "<=",
        }
    }

    fn order_sql(&self) -> String {
        let dir = if self.sort.descending { "DESC" } else { "ASC" };
        format!("{} {dir}, c.id {dir}", sort_key_sql(self.sort))
    }

    /// A page's rows in sort order, at most `limit` (the SQL expression it writes, asked for
    /// once the rest is bound): the plan changes how the rows are found, never which (see
    /// `PagePlan`).
    fn select_sql(
        &self,
        b: &mut Builder,
        after: Option<&After>,
        plan: PagePlan,
        limit: &dyn Fn(&mut Builder) -> String,
    ) -> String {
        let access = self.access(plan);
        match (plan, access) {
            (PagePlan::Stream, _) => return self.stream_sql(b, after, limit),
            (PagePlan::Bucketed, _) => return self.bucketed_when_ready_sql(b, after, limit),
            (_, RowSource::Seek { narrowing, .. }) if narrowing.op == Op::In => {
                return self.merged_seek_sql(b, after, narrowing, limit)
            }
            _ => {}
        }
        let (key, order) = (sort_key_sql(self.sort), self.order_sql());
        let ties = self.sort.field != SortField::CreatedAt;
        let walks = matches!(plan, PagePlan::Window(_) | PagePlan::Walk | PagePlan::Scan);
        if ties && walks && (after.is_some() || matches!(plan, PagePlan::Window(_))) {
            let filter = self.where_sql(b, None, access);
            let filter = self.signed(b, plan, filter);
            let bound = match plan {
                PagePlan::Window(rows) => Some(self.bound_sql(b, after, rows)),
                _ => None,
            };
            return self.walk_sql(b, &filter, after, bound, limit);
        }
        let filter = self.where_sql(b, after, access);
        let filter = self.signed(b, plan, filter);
        let within = match plan {
            PagePlan::Window(rows) => {
                // Creation order: both columns of the bound row from one walk to it (a row-value
                // sub-query; the key and the id apart walk there twice: 0.2 of 2.9 ms at
                // 1,000,000), a range SQLite seeks on as far as it goes.
                let bound = self.bound_row_sql(b, after, rows, &format!("{key}, c.id"));
                format!(" AND ({key}, c.id) {} {bound}", self.created_cmp(Side::UpTo))
            }
            PagePlan::Candidates | PagePlan::Walk | PagePlan::Scan | PagePlan::Stream | PagePlan::Bucketed => String::new(),
        };
        let limit = limit(b);
        format!(
            "SELECT {CUSTOMER_COLUMNS}, {key} AS sort_key FROM customers c WHERE {filter}{within} ORDER BY {order} LIMIT {limit}"
        )
    }

    /// The bits of the search signature (migrations/0027) every row the query selects holds: the
    /// search's and those of each AND-ed equality, prefix, suffix or substring on a field the
    /// signature covers (each such value is a substring of the row's field, folded as the
    /// signature folds it). Empty when there are none.
    fn signature(&self) -> Signature {
        let lists = self.alternatives().into_iter().map(search_signature::of_any);
        lists.fold(search_signature::of_all(self.substrings()), Signature::union)
    }

    /// The texts every row the query selects holds as a substring of its name, email, phone,
    /// company or handle (as the signature and the trigram index read them): the search and the
    /// value of each AND-ed equality, prefix, suffix or substring condition on those fields.
    fn substrings(&self) -> Vec<&'q str> {
        let held =
            |c: &&Condition| is_text_field(&c.field) && matches!(c.op, Op::Eq | Op::StartsWith | Op::Contains | Op::EndsWith);
        let values = anded(self.0).filter(held).filter_map(|c| match &c.operand {
            Operand::One(v) => text_of(v),
            Operand::Many(_) | Operand::None => None,
        });
        self.0.search.as_deref().into_iter().chain(values).collect()
    }

    /// The lists of texts of which every row the query selects holds one, as the whole of one
    /// of those fields (each AND-ed `in` on them).
    fn alternatives(&self) -> Vec<Vec<&'q str>> {
        let lists = anded(self.0).filter(|c| is_text_field(&c.field) && c.op == Op::In);
        lists
            .filter_map(|c| match &c.operand {
                Operand::Many(vs) => vs.iter().map(text_of).collect::<Option<Vec<_>>>(),
                Operand::One(_) | Operand::None => None,
            })
            .collect()
    }

    /// The trigrams every row the query selects holds, which the trigram indexes are asked for:
    /// every trigram of each of its substrings (`substrings`), and those every value of an AND-ed
    /// list holds (its ASCII letters folded, as a list compares them and the index folds them).
    fn streamed_trigrams(&self) -> Vec<String> {
        let mut held: Vec<String> = self.substrings().into_iter().flat_map(trigrams_of).collect();
        for list in self.alternatives() {
            let each: Vec<Vec<String>> = list.iter().map(|v| trigrams_of(&v.to_ascii_lowercase())).collect();
            if let Some((first, rest)) = each.split_first() {
                held.extend(first.iter().filter(|t| rest.iter().all(|ts| ts.contains(t))).cloned());
            }
        }
        each_once(held)
    }

    /// `filter`, tested first on the signature when `plan` walks a window or the whole order
    /// (never the oracle, `Scan`): the sort indexes hold the signature beside the key, so a
    /// customer lacking one of its bits is passed over from its index entry, its row never read.
    /// A customer not signed yet (NULL) passes. Each part travels as text cast back to an
    /// integer (once per statement: a constant), since D1 binds numbers as doubles, which do not
    /// hold 63 bits.
    fn signed(&self, b: &mut Builder, plan: PagePlan, filter: String) -> String {
        let bits = self.signature();
        if !self.1 || !matches!(plan, PagePlan::Window(_) | PagePlan::Walk) || bits.is_empty() {
            return filter;
        }
        let tests: Vec<String> = (bits.0.iter().enumerate())
            .filter(|(_, part)| **part != 0)
            .map(|(i, part)| {
                let p = b.bind(Scalar::Text(part.to_string()));
                format!("(coalesce(c.search_sig_{i}, -1) & CAST({p} AS INTEGER)) = CAST({p} AS INTEGER)")
            })
            .collect();
        format!("{} AND {filter}", tests.join(" AND "))
    }

    /// The sub-query reading `columns` of the row `rows` customers from the start of the page in
    /// sort order: the end of a window, so the walk stops there whatever the query matches. It
    /// walks the sort index alone (OFFSET; the status is left out, since testing it would read
    /// every row: 56 ms against 6 ms at 1,000,000). With fewer customers left than `rows`, there
    /// is no bound row and the window holds no row at all: the caller then asks `Candidates`, as
    /// when the window holds too few.
    fn bound_row_sql(&self, b: &mut Builder, after: Option<&After>, rows: usize, columns: &str) -> String {
        let mut walk = vec!["1".to_string()];
        if let Some(after) = after {
            walk.push(self.after_sql(b, after));
        }
        let offset = b.bind(Scalar::Int(rows.saturating_sub(1) as i64));
        format!(
            "(SELECT {columns} FROM customers c WHERE {} ORDER BY {} LIMIT 1 OFFSET {offset})",
            walk.join(" AND "),
            self.order_sql()
        )
    }

    /// A window's bound row (`bound_row_sql`) as the one-row table `bound(k, i)`, walked to once
    /// however many of a walk's ranges read it (`BOUND_KEY`, `BOUND_ID`).
    fn bound_sql(&self, b: &mut Builder, after: Option<&After>, rows: usize) -> String {
        let row = self.bound_row_sql(b, after, rows, &format!("{} AS k, c.id AS i", sort_key_sql(self.sort)));
        format!("WITH bound(k, i) AS MATERIALIZED {row} ")
    }

    /// A walk of the sort order by name, email or last seen, from the cursor's row (or the start)
    /// up to the bound row (`bound`: the `WITH` clause `bound_sql` writes; or on), `filter` tested on each row. These keys tie (every
    /// customer never seen, every visitor without a name), and a range written over the key and
    /// the id as one condition is a range over the key alone: SQLite walks every customer that
    /// ties with the cursor's row or the bound row (measured at 1,200,000 customers never seen,
    /// sorted by last seen: 2.2 to 3.0 s a search page). So the walk is the rows of index ranges
    /// SQLite seeks to and stops within, each read in sort order and cut at the page: the rest of
    /// the cursor's tie by id, the keys strictly between, the bound's tie by id up to its row;
    /// the page is the first `limit` of them, sorted.
    fn walk_sql(
        &self,
        b: &mut Builder,
        filter: &str,
        after: Option<&After>,
        bound: Option<String>,
        limit: &dyn Fn(&mut Builder) -> String,
    ) -> String {
        let key = sort_key_sql(self.sort);
        let (bk, bi) = (BOUND_KEY, BOUND_ID);
        let (dir, beyond, before) = if self.sort.descending { ("DESC", "<", ">") } else { ("ASC", ">", "<") };
        let up_to = if self.sort.descending { ">=" } else { "<=" };
        // Beyond every id in sort order (ids are text; SQLite sorts every blob after text).
        let open_end = if self.sort.descending { "''" } else { "x'ff'" };
        let by_key = format!("{key} {dir}, c.id {dir}");
        let by_id = format!("c.id {dir}");
        let mut arms: Vec<(String, &str)> = Vec::new();
        let cursor = after.map(|a| (b.bind(Scalar::Text(a.key.clone())), b.bind(Scalar::Text(a.id.clone()))));
        match (&cursor, &bound) {
            (Some((k, i)), Some(_)) => {
                // The cursor's tie ends at the bound's row when both share a key, else it runs on;
                // with no bound row, no row at all (as in every arm).
                arms.push((
                    format!(
                        "{key} = {k} AND c.id {beyond} {i} AND c.id {up_to} CASE WHEN {bk} IS NULL THEN NULL WHEN {bk} = {k} THEN {bi} ELSE {open_end} END"
                    ),
                    &by_id,
                ));
                arms.push((format!("{key} {beyond} {k} AND {key} {before} {bk}"), &by_key));
                arms.push((format!("{key} = {bk} AND {key} {beyond} {k} AND c.id {up_to} {bi}"), &by_id));
            }
            (Some((k, i)), None) => {
                arms.push((format!("{key} = {k} AND c.id {beyond} {i}"), &by_id));
                arms.push((format!("{key} {beyond} {k}"), &by_key));
            }
            (None, Some(_)) => {
                arms.push((format!("{key} {before} {bk}"), &by_key));
                arms.push((format!("{key} = {bk} AND c.id {up_to} {bi}"), &by_id));
            }
            (None, None) => arms.push(("1".to_string(), &by_key)),
        }
        let limit = limit(b);
        let selects: Vec<String> = arms
            .iter()
            .map(|(range, order)| {
                format!(
                    "SELECT * FROM (SELECT {CUSTOMER_COLUMNS}, {key} AS sort_key FROM customers c \
                     WHERE {filter} AND {range} ORDER BY {order} LIMIT {limit})"
                )
            })
            .collect();
        let with = bound.unwrap_or_default();
        format!("{with}{} ORDER BY sort_key {dir}, id {dir} LIMIT {limit}", selects.join(" UNION ALL "))
    }

    /// `PagePlan::Stream`'s rows in sort order, at most `limit`. Every customer not in
    /// `customers_out_of_order` was created after every customer inserted before it (a smaller
    /// seq), so among them rowid order is creation order and the first `limit + 1` of them that
    /// pass every test, read from the trigram index in rowid order, are the first in creation
    /// order too; the page is the first `limit + 1` of those and of the out-of-order ones, each
    /// tested again and sorted. After a cursor, the index is read from the nearest in-order
    /// customer at or before the cursor's row (every in-order match after the cursor lies beyond
    /// it), so a later page costs what the first does.
    fn stream_sql(&self, b: &mut Builder, after: Option<&After>, limit: &dyn Fn(&mut Builder) -> String) -> String {
        let trigrams = b.bind(Scalar::Text(fts_match(self.streamed_trigrams())));
        let filter = self.where_sql(b, after, RowSource::SortOrder);
        let lim = limit(b);
        let (dir, beyond, open_end) = if self.sort.descending { ("DESC", "<", i64::MAX) } else { ("ASC", ">", 0) };
        let start = match after {
            None => open_end.to_string(),
            Some(after) => {
                let (k, i) = (b.bind(Scalar::Text(after.key.clone())), b.bind(Scalar::Text(after.id.clone())));
                let (side, toward) = if self.sort.descending { (">=", "ASC") } else { ("<=", "DESC") };
                format!(
                    "coalesce((SELECT o.seq FROM customers o WHERE (o.created_at, o.id) {side} ({k}, {i}) \
                     AND o.seq NOT IN (SELECT seq FROM customers_out_of_order) \
                     ORDER BY o.created_at {toward}, o.id {toward} LIMIT 1), {open_end})"
                )
            }
        };
        format!(
            "SELECT {CUSTOMER_COLUMNS}, c.created_at AS sort_key FROM customers c WHERE c.seq IN (\
             SELECT seq FROM (SELECT s.rowid AS seq FROM customers_search s CROSS JOIN customers c ON c.seq = s.rowid \
             WHERE customers_search MATCH {trigrams} AND s.rowid {beyond} {start} \
             AND s.rowid NOT IN (SELECT seq FROM customers_out_of_order) AND {filter} \
             ORDER BY s.rowid {dir} LIMIT {lim}) \
             UNION ALL SELECT seq FROM customers_out_of_order) AND {filter} ORDER BY {} LIMIT {lim}",
            self.order_sql()
        )
    }

    /// `PagePlan::Candidates` for a list of companies (`seeks`): one seek of the company's index
    /// for the sort order per company in the list, merged. SQLite reads a compound SELECT with
    /// an ORDER BY as a merge of its parts, each in its index's order, and stops at the LIMIT,
    /// so the page costs its rows and one more from each company, whatever the companies' sizes
    /// (at most `MAX_COMPOUND_PARTS` at a time: more are merged in groups, and the groups merged,
    /// each cut at the page). Values that fold alike are one seek, so no customer is listed
    /// twice. Only the page's rows are read whole.
    fn merged_seek_sql(
        &self,
        b: &mut Builder,
        after: Option<&After>,
        list: &'q Condition,
        limit: &dyn Fn(&mut Builder) -> String,
    ) -> String {
        let Operand::Many(values) = &list.operand else { unreachable!("a seek's list holds values") };
        let mut companies: Vec<String> = values.iter().map(folded_text).collect();
        companies.sort();
        companies.dedup();
        let key = sort_key_sql(self.sort);
        let seeks: Vec<String> = companies
            .into_iter()
            .map(|company| {
                let one = Condition { field: list.field.clone(), op: Op::Eq, operand: Operand::One(Scalar::Text(company)) };
                let filter = self.where_sql(b, after, RowSource::Seek { narrowing: list, written: &one });
                format!("SELECT c.seq, {key} AS k, c.id FROM customers c WHERE {filter}")
            })
            .collect();
        let dir = if self.sort.descending { "DESC" } else { "ASC" };
        let lim = limit(b);
        let merge = |parts: &[String]| format!("{} ORDER BY k {dir}, id {dir} LIMIT {lim}", parts.join(" UNION ALL "));
        let mut parts = seeks;
        while parts.len() > MAX_COMPOUND_PARTS {
            parts = parts.chunks(MAX_COMPOUND_PARTS).map(|group| format!("SELECT * FROM ({})", merge(group))).collect();
        }
        format!(
            "WITH page(seq) AS MATERIALIZED (SELECT seq FROM ({})) \
             SELECT {CUSTOMER_COLUMNS}, {key} AS sort_key FROM page p CROSS JOIN customers c ON c.seq = p.seq ORDER BY {}",
            merge(&parts),
            self.order_sql()
        )
    }

    /// `PagePlan::Bucketed`'s rows, none until the cron has built the order's index (the
    /// statement's `ready` says which: the caller then walks). The walk is not in the same
    /// statement: SQLite prepares every branch, taken or not, and preparing it cost more than
    /// reading the buckets (2 of 3 ms at 120,000 customers).
    fn bucketed_when_ready_sql(&self, b: &mut Builder, after: Option<&After>, limit: &dyn Fn(&mut Builder) -> String) -> String {
        self.bucketed_sql(b, after, &|b: &mut Builder| format!("CASE WHEN {} THEN {} ELSE 0 END", buckets_ready(), limit(b)))
    }

    /// The rows of `PagePlan::Bucketed` read from the order's own trigram index (migrations/0028),
    /// at most `limit`. Its rowids are `bucket << 32 | seq` and a bucket is a range of the
    /// order's keys, so reading them in rowid order (descending for a descending sort) reads the
    /// order a bucket at a time: the first `limit` customers read that way that pass every test
    /// (`firsts`) hold the page but for the rest of the last one's bucket (the edge), since every
    /// customer of a later bucket sorts after every one of it. So the page is the first `limit`
    /// of `firsts` and of the edge's first `limit` matches in sort order, walked on its part of
    /// the sort index by signature (`bucket_sql::bucket_ranges`: each range cut at `limit`, so
    /// a bucket grown large between two splits costs the walk to its matches, not its size; the
    /// trigram index's range for the bucket cost 7 ms at 120,000 customers). After a cursor, the
    /// index is read from the cursor's bucket on (the filter leaves that bucket's rows before the
    /// cursor). Fewer than `limit` in `firsts`: they are all there are, and there is no edge.
    /// The newest customers not yet in the order's index (`newest`: at most `UNINDEXED_MAX`,
    /// usually fewer than `bucket_sql::INDEX_EVERY`) are the matches of the trigram index of
    /// creation order past `sorted_search.indexed_below`, whose rowids are seqs: a page takes
    /// the first `limit` of them too, so it is the first `limit` of the three parts. In
    /// last-seen order the customers a visit moved (`last_seen_moved`, fewer than
    /// `bucket_sql::MOVE_EVERY`) are tested directly, their postings left out. Only the page's
    /// rows are read whole.
    fn bucketed_sql(&self, b: &mut Builder, after: Option<&After>, limit: &dyn Fn(&mut Builder) -> String) -> String {
        let (order, table) = bucketed_index(self.sort.field).expect("PagePlan::Bucketed is planned for an order with buckets");
        let trigrams = b.bind(Scalar::Text(fts_match(self.streamed_trigrams())));
        let filter = self.where_sql(b, after, RowSource::SortOrder);
        let lim = limit(b);
        let desc = self.sort.descending;
        let (dir, last) = if desc { ("DESC", "min") } else { ("ASC", "max") };
        let from = match after {
            None => "1".to_string(),
            Some(after) => {
                let (k, i) = (b.bind(Scalar::Text(after.key.clone())), b.bind(Scalar::Text(after.id.clone())));
                let start = bucket_of(order, &k, &i);
                if desc {
                    format!("s.rowid < ({start} + 1) << 32")
                } else {
                    format!("s.rowid >= {start} << 32")
                }
            }
        };
        let key = sort_key_sql(self.sort);
        let order_by = self.order_sql();
        let signed = self.signed(b, PagePlan::Walk, filter.clone());
        let edge: Vec<String> = super::bucket_sql::bucket_ranges(order, key, "(SELECT b FROM edge)")
            .iter()
            .map(|range| {
                format!("SELECT * FROM (SELECT c.seq, {key} AS k, c.id FROM customers c WHERE {range} AND {signed} ORDER BY {order_by} LIMIT {lim})")
            })
            .collect();
        let newest = format!(
            "SELECT * FROM (SELECT c.seq, {key} AS k, c.id FROM customers_search t CROSS JOIN customers c ON c.seq = t.rowid \
             WHERE customers_search MATCH {trigrams} AND t.rowid >= (SELECT indexed_below FROM sorted_search) AND {filter} \
             ORDER BY {order_by} LIMIT {lim})"
        );
        // In last-seen order, the customers a visit moved whose postings are still where they
        // were (migrations/0032): those postings left out, the customers tested beside the
        // newest, in one part of the page's compound SELECT (D1 allows five).
        let (posted, newest) = if order == super::bucket_sql::MOVED_ORDER {
            let moved = format!(
                "SELECT * FROM (SELECT c.seq, {key} AS k, c.id FROM last_seen_moved m \
                 CROSS JOIN customers c ON c.seq = m.seq WHERE {signed} ORDER BY {order_by} LIMIT {lim})"
            );
            (" AND s.rowid NOT IN (SELECT posted FROM last_seen_moved)", format!("SELECT * FROM ({newest} UNION {moved})"))
        } else {
            ("", newest)
        };
        format!(
            "WITH firsts(r) AS MATERIALIZED (SELECT s.rowid FROM {table} s CROSS JOIN customers c ON c.seq = s.rowid & 4294967295 \
             WHERE {table} MATCH {trigrams} AND {from}{posted} AND {filter} ORDER BY s.rowid {dir} LIMIT {lim}), \
             edge(b) AS MATERIALIZED (SELECT CASE WHEN count(*) = {lim} THEN {last}(r) >> 32 END FROM firsts), \
             page(seq) AS MATERIALIZED (SELECT seq FROM (SELECT c.seq, {key} AS k, c.id FROM firsts CROSS JOIN customers c \
             ON c.seq = firsts.r & 4294967295 UNION {} UNION {newest}) ORDER BY k {dir}, id {dir} LIMIT {lim}) \
             SELECT {CUSTOMER_COLUMNS}, {key} AS sort_key FROM page p CROSS JOIN customers c ON c.seq = p.seq ORDER BY {order_by}",
            edge.join(" UNION ")
        )
    }

    fn page(&self, after: Option<&After>, limit: usize, plan: PagePlan) -> Result<Sql, BuildError> {
        let mut b = Builder::default();
        let lim = |b: &mut Builder| b.bind(Scalar::Int(limit as i64 + 1));
        let select = self.select_sql(&mut b, after, plan, &lim);
        checked(b, select)
    }

    fn planned(
        &self,
        narrowing: Option<Narrowing>,
        after: Option<&After>,
        limit: usize,
        cap: usize,
        walk: PagePlan,
    ) -> Result<Sql, BuildError> {
        let mut b = Builder::default();
        // Counting a search's trigram matches costs what reading the buckets does (1 of 5 ms at
        // 120,000 customers), which are as cheap for few matches as for many: not counted then.
        let counted = narrowing.filter(|n| !(matches!(n, Narrowing::Search(_)) && walk == PagePlan::Bucketed));
        let probe = match counted {
            Some(Narrowing::Search(q)) => {
                let trigrams = b.bind(Scalar::Text(fts_trigrams(q)));
                format!("SELECT 1 FROM customers_search WHERE customers_search MATCH {trigrams}")
            }
            Some(Narrowing::Condition(c)) => {
                let (index, _) = indexed_text_sql(&mut b, c).unwrap_or_else(|| ("0".into(), String::new()));
                format!("SELECT 1 FROM customers c WHERE {index}")
            }
            None => String::new(),
        };
        let cap = b.bind(Scalar::Int(cap as i64));
        // Nothing counted: always the walk.
        let count = match counted {
            Some(_) => format!("SELECT count(*) FROM ({probe} LIMIT {cap})"),
            None => format!("SELECT {cap}"),
        };
        // The way not taken reads no row: its LIMIT is 0.
        let either = |b: &mut Builder, sorts: bool| {
            let (lim, zero) = (b.bind(Scalar::Int(limit as i64 + 1)), b.bind(Scalar::Int(0)));
            let (few, many) = if sorts { (lim, zero) } else { (zero, lim) };
            format!("CASE WHEN (SELECT n FROM probe) < {cap} THEN {few} ELSE {many} END")
        };
        let walked = self.select_sql(&mut b, after, walk, &|b: &mut Builder| either(b, false));
        let ways = match counted {
            Some(_) => {
                let sorted = self.select_sql(&mut b, after, PagePlan::Candidates, &|b: &mut Builder| either(b, true));
                format!("SELECT * FROM ({sorted}) UNION ALL SELECT * FROM ({walked})")
            }
            None => walked,
        };
        let dir = if self.sort.descending { "DESC" } else { "ASC" };
        // Whether the buckets were there to read, for the caller.
        let ready = if walk == PagePlan::Bucketed { format!("{} AS ready, ", buckets_ready()) } else { String::new() };
        let text = format!(
            "WITH probe(n) AS MATERIALIZED ({count}) \
             SELECT p.n AS probe, {ready}x.* FROM probe p LEFT JOIN ({ways}) x ON 1 ORDER BY x.sort_key {dir}, x.id {dir}"
        );
        checked(b, text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::customer_query::operand_for;
    use serde_json::json;

    /// The planned page of 10 rows with the default bounds (a probe of 200, a window of 5000).
    fn planned(q: &CustomerQuery, after: Option<&After>) -> Result<Sql, BuildError> {
        super::planned(q, Some(narrowing(q).expect("a query with a narrowing")), after, 10, 200, PagePlan::Window(5000))
    }

    fn cond(field: &str, op: &str, value: serde_json::Value) -> Condition {
        let field = Field::parse(field).unwrap();
        let op = Op::parse(op).unwrap();
        let operand = operand_for(&field, op, Some(&value)).unwrap();
        Condition { field, op, operand }
    }

    #[test]
    fn default_query_lists_live_customers_newest_first() {
        let sql = page(&CustomerQuery::default(), None, 25, PagePlan::Candidates).unwrap();
        assert!(sql.text.contains("c.deleted_at IS NULL"));
        assert!(sql.text.contains("ORDER BY c.created_at DESC, c.id DESC LIMIT ?1"));
        assert_eq!(sql.binds, vec![Scalar::Int(26)]);
    }

    #[test]
    fn a_cursor_continues_after_the_last_row_in_sort_direction() {
        let q = CustomerQuery { sort: Sort::parse("name").unwrap(), ..Default::default() };
        let after = After { key: "ada".into(), id: "x".into() };
        let sql = page(&q, Some(&after), 3, PagePlan::Candidates).unwrap();
        assert!(sql.text.contains(&format!("{NAME_ORDER} >= ?1 AND ({NAME_ORDER} > ?1 OR c.id > ?2)")), "{}", sql.text);
        assert_eq!(sql.binds[0], Scalar::Text("ada".into()));
    }

    #[test]
    fn search_text_is_bound_as_quoted_trigrams_and_never_inlined() {
        let q = CustomerQuery { search: Some("a'; \"x".into()), ..Default::default() };
        let sql = page(&q, None, 10, PagePlan::Candidates).unwrap();
        assert!(!sql.text.contains("a'"));
        assert!(sql.text.contains("customers_search MATCH ?1"));
        assert_eq!(sql.binds.len(), 3);
        assert_eq!(sql.binds[0], Scalar::Text("\"a';\" \"'; \" \"; \"\"\" \" \"\"x\"".into()));
    }

    #[test]
    fn a_search_asks_for_every_trigram_of_its_text() {
        assert_eq!(fts_trigrams("gamma"), "\"gam\" \"amm\" \"mma\"");
        assert_eq!(
            fts_trigrams("user-4242"),
            "\"use\" \"ser\" \"er-\" \"r-4\" \"-42\" \"424\" \"242\"",
            "not only the few that cover it, which many more rows hold apart"
        );
    }

    #[test]
    fn a_trigram_is_asked_for_once() {
        assert_eq!(fts_trigrams("aaaa"), "\"aaa\"");
    }

    #[test]
    fn trigrams_are_runs_of_characters_not_bytes() {
        assert_eq!(fts_trigrams("Zoë!"), "\"Zoë\" \"oë!\"");
    }

    #[test]
    fn a_long_search_asks_for_trigrams_spread_across_it() {
        let q: String = (0x100u32..0x164).filter_map(char::from_u32).collect();
        let query = fts_trigrams(&q);
        let asked: Vec<&str> = query.split(' ').collect();
        assert_eq!(asked.len(), MAX_TRIGRAMS);
        assert_eq!(asked.first().copied(), Some("\"\u{100}\u{101}\u{102}\""));
        assert_eq!(asked.last().copied(), Some("\"\u{161}\u{162}\u{163}\""), "the last trigram is asked for too");
    }

    #[test]
    fn a_search_is_a_like_pattern_with_its_wildcards_escaped() {
        let q = CustomerQuery { search: Some("50%_\\Ab".into()), ..Default::default() };
        let sql = page(&q, None, 10, PagePlan::Scan).unwrap();
        assert!(
            sql.text.contains(
                "(c.name LIKE ?1 ESCAPE '\\' OR c.email_normalized LIKE ?1 ESCAPE '\\' OR c.phone LIKE ?1 ESCAPE '\\' OR c.company LIKE ?1 ESCAPE '\\' \
                 OR c.handle LIKE ?1 ESCAPE '\\')"
            ),
            "{}",
            sql.text
        );
        assert_eq!(sql.binds[0], Scalar::Text("%50\\%\\_\\\\ab%".into()));
    }

    #[test]
    fn a_search_too_long_for_a_like_pattern_is_tested_with_instr() {
        let fits = "é".repeat(24); // 48 bytes and the two wildcards: D1's limit of 50
        let sql = page(&CustomerQuery { search: Some(fits.clone()), ..Default::default() }, None, 10, PagePlan::Scan).unwrap();
        assert!(sql.text.contains("c.name LIKE ?1"), "{}", sql.text);
        let long = format!("{fits}x");
        let sql = page(&CustomerQuery { search: Some(long.clone()), ..Default::default() }, None, 10, PagePlan::Scan).unwrap();
        assert!(sql.text.contains("instr(lower(coalesce(c.name, '')), ?1) > 0"), "{}", sql.text);
        assert_eq!(sql.binds[0], Scalar::Text(long));
    }

    #[test]
    fn searches_shorter_than_a_trigram_scan_instead() {
        let q = CustomerQuery { search: Some("Ab".into()), ..Default::default() };
        let sql = page(&q, None, 10, PagePlan::Candidates).unwrap();
        assert!(!sql.text.contains("customers_search"));
        assert!(sql.text.contains("c.name LIKE ?1 ESCAPE"));
        assert_eq!(sql.binds[0], Scalar::Text("%ab%".into()));
    }

    #[test]
    fn only_the_candidates_plan_asks_the_trigram_index() {
        let q = CustomerQuery { search: Some("Ada".into()), ..Default::default() };
        for plan in [PagePlan::Candidates, PagePlan::Window(100), PagePlan::Scan] {
            let sql = page(&q, None, 10, plan).unwrap();
            assert!(sql.binds.contains(&Scalar::Text("%ada%".into())), "{plan:?}: every plan tests the same predicate");
            assert_eq!(sql.text.contains("customers_search"), plan == PagePlan::Candidates, "{plan:?}");
        }
    }

    #[test]
    fn a_search_in_creation_order_reads_the_trigram_index_in_rowid_order() {
        let q = CustomerQuery { search: Some("acme".into()), ..Default::default() };
        assert!(streams(&q));
        let sql = page(&q, None, 10, PagePlan::Stream).unwrap();
        assert!(
            sql.text.contains("WHERE customers_search MATCH ?1 AND s.rowid < 9223372036854775807 AND s.rowid NOT IN (SELECT seq FROM customers_out_of_order)"),
            "{}",
            sql.text
        );
        assert!(
            sql.text.contains("ORDER BY s.rowid DESC LIMIT ?3) UNION ALL SELECT seq FROM customers_out_of_order)"),
            "{}",
            sql.text
        );
        assert!(sql.text.ends_with("ORDER BY c.created_at DESC, c.id DESC LIMIT ?3"), "{}", sql.text);
        assert_eq!(sql.binds, vec![Scalar::Text("\"acm\" \"cme\"".into()), Scalar::Text("%acme%".into()), Scalar::Int(11)]);
        let oldest = CustomerQuery { sort: Sort::parse("created_at").unwrap(), ..q };
        let sql = page(&oldest, None, 10, PagePlan::Stream).unwrap();
        assert!(sql.text.contains("s.rowid > 0 AND") && sql.text.contains("ORDER BY s.rowid ASC LIMIT"), "{}", sql.text);
    }

    #[test]
    fn a_streamed_page_after_a_cursor_reads_on_from_the_nearest_customer_in_creation_order() {
        let after = After { key: "2026-01-01T00:00:00.000Z".into(), id: "x".into() };
        let q = CustomerQuery { search: Some("acme".into()), ..Default::default() };
        let sql = page(&q, Some(&after), 10, PagePlan::Stream).unwrap();
        assert!(
            sql.text.contains(
                "s.rowid < coalesce((SELECT o.seq FROM customers o WHERE (o.created_at, o.id) >= (?3, ?4) \
                 AND o.seq NOT IN (SELECT seq FROM customers_out_of_order) ORDER BY o.created_at ASC, o.id ASC LIMIT 1), 9223372036854775807)"
            ),
            "{}",
            sql.text
        );
        assert_eq!(
            sql.text.matches("(c.created_at, c.id) < (?3, ?4)").count(),
            2,
            "the streamed rows and the out-of-order ones: {}",
            sql.text
        );
        let oldest = CustomerQuery { sort: Sort::parse("created_at").unwrap(), ..q };
        let sql = page(&oldest, Some(&after), 10, PagePlan::Stream).unwrap();
        assert!(
            sql.text.contains("s.rowid > coalesce((SELECT o.seq FROM customers o WHERE (o.created_at, o.id) <= ("),
            "{}",
            sql.text
        );
        assert!(sql.text.contains("ORDER BY o.created_at DESC, o.id DESC LIMIT 1), 0)"), "{}", sql.text);
    }

    #[test]
    fn only_a_search_the_index_serves_in_creation_order_streams() {
        let search = |q: &str, sort: &str| CustomerQuery {
            search: Some(q.into()),
            sort: Sort::parse(sort).unwrap(),
            ..Default::default()
        };
        assert!(streams(&search("acme", "created_at")));
        assert!(!streams(&search("acme", "name")));
        assert!(!streams(&search("acme", "-last_seen_at")));
        assert!(!streams(&search("ac", "-created_at")), "too short for a trigram");
        let filter = CustomerQuery { conditions: vec![cond("company", "eq", json!("ACME"))], ..Default::default() };
        assert!(!streams(&filter));
    }

    #[test]
    fn a_filter_with_a_substring_of_three_characters_streams_in_creation_order() {
        let filter = |conditions: Vec<Condition>, sort: &str| CustomerQuery {
            conditions,
            sort: Sort::parse(sort).unwrap(),
            ..Default::default()
        };
        for op in ["eq", "starts_with", "ends_with", "contains"] {
            for field in ["name", "email", "phone", "company", "handle"] {
                assert!(can_stream(&filter(vec![cond(field, op, json!("acme"))], "-created_at")), "{field} {op}");
                assert!(can_stream(&filter(vec![cond(field, op, json!("acme"))], "created_at")), "{field} {op}");
                assert!(!can_stream(&filter(vec![cond(field, op, json!("acme"))], "name")), "{field} {op}");
            }
        }
        assert!(!can_stream(&filter(vec![cond("company", "eq", json!("ac"))], "-created_at")), "too short");
        assert!(!can_stream(&filter(vec![cond("company", "neq", json!("acme"))], "-created_at")), "not held");
        assert!(!can_stream(&filter(vec![cond("kind", "eq", json!("visitor"))], "-created_at")), "not indexed");
        let list = cond("company", "in", json!(["acme", "zeta"]));
        assert!(!can_stream(&filter(vec![list], "-created_at")), "a list whose values share no trigram walks");
        let shared = cond("company", "in", json!(["Acme 1", "ACME 22"]));
        assert!(can_stream(&filter(vec![shared], "-created_at")), "a list whose values share one streams");
        let either = CustomerQuery {
            conditions: vec![cond("company", "eq", json!("acme")), cond("name", "eq", json!("zeta"))],
            matching: Match::Any,
            ..Default::default()
        };
        assert!(!can_stream(&either), "neither is held by every result");
        assert!(can_stream(&CustomerQuery { search: Some("acme".into()), ..Default::default() }));
    }

    #[test]
    fn a_stream_asks_the_index_for_every_substring_at_once() {
        let q = CustomerQuery {
            search: Some("acme".into()),
            conditions: vec![cond("company", "starts_with", json!("Zeta")), cond("name", "contains", json!("xy"))],
            ..Default::default()
        };
        let sql = page(&q, None, 10, PagePlan::Stream).unwrap();
        assert_eq!(sql.binds[0], Scalar::Text("\"acm\" \"cme\" \"Zet\" \"eta\"".into()), "{}", sql.text);
    }

    #[test]
    fn a_list_asks_the_walk_for_the_bits_its_values_share() {
        let q = CustomerQuery { conditions: vec![cond("company", "in", json!(["acme 1", "acme 22"]))], ..Default::default() };
        assert_eq!(signature(&q), search_signature::of_any(["acme 1", "acme 22"]));
        assert!(!signature(&q).is_empty());
        let sql = page(&q, None, 10, PagePlan::Walk).unwrap();
        assert!(sql.text.contains("coalesce(c.search_sig_"), "{}", sql.text);
        let short = CustomerQuery { conditions: vec![cond("company", "in", json!(["acme 1", "ac"]))], ..Default::default() };
        assert!(signature(&short).is_empty(), "a value with no trigram shares none");
    }

    #[test]
    fn a_list_is_asked_for_the_trigrams_all_its_values_share_its_letters_folded() {
        let q = CustomerQuery {
            conditions: vec![cond("company", "in", json!(["Acme 1", "ACME 22", "acme 3"]))],
            ..Default::default()
        };
        let sql = page(&q, None, 10, PagePlan::Stream).unwrap();
        assert_eq!(sql.binds[0], Scalar::Text("\"acm\" \"cme\" \"me \"".into()));
        for sort in ["name", "-email", "last_seen_at"] {
            assert!(can_read_by_buckets(&CustomerQuery { sort: Sort::parse(sort).unwrap(), ..q.clone() }), "{sort}");
        }
    }

    #[test]
    fn a_bucketed_page_reads_the_orders_index_then_the_rest_of_its_last_bucket_on_the_sort_index() {
        let q = CustomerQuery { search: Some("acme".into()), sort: Sort::parse("-email").unwrap(), ..Default::default() };
        assert!(can_read_by_buckets(&q));
        assert!(!can_stream(&q));
        let sql = page(&q, None, 10, PagePlan::Bucketed).unwrap();
        assert!(
            sql.text.contains("FROM customers_by_email s CROSS JOIN customers c ON c.seq = s.rowid & 4294967295"),
            "{}",
            sql.text
        );
        assert!(sql.text.contains("ORDER BY s.rowid DESC LIMIT"), "{}", sql.text);
        assert!(sql.text.contains("THEN min(r) >> 32 END FROM firsts"), "{}", sql.text);
        assert!(sql.text.contains("sort_order = 'email' AND bucket = (SELECT b FROM edge)"), "{}", sql.text);
        assert!(
            sql.text.contains("WHERE seq >= (SELECT indexed_below FROM sorted_search) + 1000"),
            "the walk while many customers are not in the index: {}",
            sql.text
        );
        assert!(
            sql.text.contains(
                "FROM customers_search t CROSS JOIN customers c ON c.seq = t.rowid WHERE customers_search MATCH ?1 \
                 AND t.rowid >= (SELECT indexed_below FROM sorted_search)"
            ),
            "the newest, not in the index yet, from creation order's: {}",
            sql.text
        );
        let created = CustomerQuery { sort: Sort::parse("created_at").unwrap(), ..q.clone() };
        assert!(!can_read_by_buckets(&created), "creation order streams instead");
    }

    #[test]
    fn a_bucketed_page_after_a_cursor_reads_from_the_cursors_bucket() {
        let q = CustomerQuery { search: Some("acme".into()), sort: Sort::parse("name").unwrap(), ..Default::default() };
        let after = After { key: "acme co".into(), id: "01".into() };
        let sql = page(&q, Some(&after), 10, PagePlan::Bucketed).unwrap();
        assert!(
            sql.text
                .contains("s.rowid >= coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'name' AND b.key = ?"),
            "{}",
            sql.text
        );
        assert!(sql.text.contains("ORDER BY s.rowid ASC LIMIT"), "{}", sql.text);
    }

    #[test]
    fn a_planned_filter_in_creation_order_streams_past_its_probe() {
        let q = CustomerQuery { conditions: vec![cond("company", "starts_with", json!("zeta"))], ..Default::default() };
        let Some(narrowing) = narrowing(&q) else { panic!("a prefix narrows") };
        let sql = super::planned(&q, Some(narrowing), None, 10, 50, PagePlan::Stream).unwrap();
        assert!(sql.text.contains("SELECT 1 FROM customers c WHERE lower(coalesce(c.company, '')) >= "), "{}", sql.text);
        assert!(sql.text.contains("WHERE customers_search MATCH ?"), "{}", sql.text);
        assert!(sql.binds.contains(&Scalar::Text("\"zet\" \"eta\"".into())), "{:?}", sql.binds);
    }

    #[test]
    fn a_window_bounds_the_walk_by_the_row_at_its_end() {
        let q = CustomerQuery { search: Some("ada".into()), sort: Sort::parse("name").unwrap(), ..Default::default() };
        let after = After { key: "m".into(), id: "x".into() };
        let sql = page(&q, Some(&after), 10, PagePlan::Window(500)).unwrap();
        let key = NAME_ORDER;
        // The bound row, walked to once; three ranges SQLite seeks to and stops within, each cut
        // at the page, then sorted.
        let with = format!(
            "WITH bound(k, i) AS MATERIALIZED (SELECT {key} AS k, c.id AS i FROM customers c \
             WHERE 1 AND {key} >= ?3 AND ({key} > ?3 OR c.id > ?4) ORDER BY {key} ASC, c.id ASC LIMIT 1 OFFSET ?5) SELECT * FROM ("
        );
        assert!(sql.text.starts_with(&with), "{}", sql.text);
        let (bk, bi) = ("(SELECT k FROM bound)", "(SELECT i FROM bound)");
        for range in [
            format!("{key} = ?3 AND c.id > ?4 AND c.id <= CASE WHEN {bk} IS NULL THEN NULL WHEN {bk} = ?3 THEN {bi} ELSE x'ff' END ORDER BY c.id ASC LIMIT ?6)"),
            format!("{key} > ?3 AND {key} < {bk} ORDER BY {key} ASC, c.id ASC LIMIT ?6)"),
            format!("{key} = {bk} AND {key} > ?3 AND c.id <= {bi} ORDER BY c.id ASC LIMIT ?6)"),
        ] {
            assert!(sql.text.contains(&range), "{range}\nin {}", sql.text);
        }
        assert_eq!(sql.text.matches("OFFSET").count(), 1, "one walk to the bound row: {}", sql.text);
        assert!(sql.text.ends_with(" ORDER BY sort_key ASC, id ASC LIMIT ?6"), "{}", sql.text);
        assert_eq!(sql.binds[4], Scalar::Int(499));
        assert_eq!(sql.binds[5], Scalar::Int(11));
    }

    #[test]
    fn a_window_tests_the_search_signature_before_the_row() {
        let bits = search_signature::of_text("ada").0;
        // "ada" is one trigram: one bit, in one part, bound as text.
        let (part, value) = bits.iter().enumerate().find(|(_, b)| **b != 0).unwrap();
        let test = format!("(coalesce(c.search_sig_{part}, -1) & CAST(?2 AS INTEGER)) = CAST(?2 AS INTEGER) AND ");
        for sort in ["name", "-email", "last_seen_at", "created_at"] {
            let q = CustomerQuery { search: Some("ada".into()), sort: Sort::parse(sort).unwrap(), ..Default::default() };
            for plan in [PagePlan::Window(500), PagePlan::Walk] {
                let walk = page(&q, None, 10, plan).unwrap();
                assert!(walk.text.contains(&test), "{sort} {plan:?}: {}", walk.text);
                assert_eq!(walk.binds[1], Scalar::Text(value.to_string()));
                for other in (0..4).filter(|o| *o != part) {
                    assert!(!walk.text.contains(&format!("search_sig_{other}")), "only the parts with bits: {}", walk.text);
                }
            }
            for plan in [PagePlan::Scan, PagePlan::Candidates] {
                let other = page(&q, None, 10, plan).unwrap();
                assert!(!other.text.contains("search_sig"), "{plan:?} is the oracle or reads the trigram index: {}", other.text);
            }
        }
        let long = CustomerQuery { search: Some("import.test".into()), ..Default::default() };
        let walk = page(&long, None, 10, PagePlan::Walk).unwrap();
        for part in [0, 1, 3] {
            assert!(walk.text.contains(&format!("c.search_sig_{part}, -1)")), "{}", walk.text);
        }
        assert!(!walk.text.contains("c.search_sig_2"), "no bit in part 2: {}", walk.text);
    }

    #[test]
    fn a_signature_holds_the_search_and_every_anded_text_condition() {
        let q = CustomerQuery {
            search: Some("ada".into()),
            conditions: vec![cond("company", "starts_with", json!("ACME")), cond("phone", "contains", json!("555"))],
            ..Default::default()
        };
        assert_eq!(Compiler(&q, true).signature(), search_signature::of_all(["ada", "ACME", "555"]));
        let either = CustomerQuery { matching: Match::Any, ..q.clone() };
        assert_eq!(
            Compiler(&either, true).signature(),
            search_signature::of_text("ada"),
            "a condition joined by any is not required"
        );
        let unsigned = CustomerQuery {
            conditions: vec![cond("company", "neq", json!("ACME")), cond("attributes.plan", "eq", json!("pro"))],
            ..Default::default()
        };
        assert!(Compiler(&unsigned, true).signature().is_empty());
        let page = page(&unsigned, None, 10, PagePlan::Window(500)).unwrap();
        assert!(!page.text.contains("search_sig"), "no bits, no test: {}", page.text);
    }

    #[test]
    fn a_walk_after_a_cursor_seeks_past_the_cursors_tie_by_id() {
        // Customers that tie on the key (never seen, no name) are many; the rest of the cursor's
        // tie is a range of the id, not a scan of the tie from its start.
        let q = CustomerQuery { sort: Sort::parse("-last_seen_at").unwrap(), ..Default::default() };
        let after = After { key: "".into(), id: "x".into() };
        let sql = page(&q, Some(&after), 10, PagePlan::Scan).unwrap();
        let key = "coalesce(c.last_seen_at, '')";
        assert!(sql.text.contains(&format!("AND {key} = ?1 AND c.id < ?2 ORDER BY c.id DESC LIMIT ?3)")), "{}", sql.text);
        assert!(sql.text.contains(&format!("AND {key} < ?1 ORDER BY {key} DESC, c.id DESC LIMIT ?3)")), "{}", sql.text);
        assert!(!sql.text.contains(" OR c.id"), "no range over the key and the id as one condition: {}", sql.text);
        let first = page(&q, None, 10, PagePlan::Scan).unwrap();
        assert!(!first.text.contains("UNION ALL"), "a first page is one walk: {}", first.text);
    }

    #[test]
    fn a_window_from_the_start_descending_stops_at_its_rows_tie_by_id() {
        let q = CustomerQuery { search: Some("ada".into()), sort: Sort::parse("-email").unwrap(), ..Default::default() };
        let sql = page(&q, None, 10, PagePlan::Window(500)).unwrap();
        let key = "coalesce(c.email_normalized, '')";
        let with = format!(
            "WITH bound(k, i) AS MATERIALIZED (SELECT {key} AS k, c.id AS i FROM customers c WHERE 1 \
             ORDER BY {key} DESC, c.id DESC LIMIT 1 OFFSET ?3) "
        );
        assert!(sql.text.starts_with(&with), "{}", sql.text);
        let (bk, bi) = ("(SELECT k FROM bound)", "(SELECT i FROM bound)");
        assert!(sql.text.contains(&format!("AND {key} > {bk} ORDER BY {key} DESC, c.id DESC LIMIT ?4)")), "{}", sql.text);
        assert!(sql.text.contains(&format!("AND {key} = {bk} AND c.id >= {bi} ORDER BY c.id DESC LIMIT ?4)")), "{}", sql.text);
    }

    #[test]
    fn a_window_in_creation_order_reads_its_bound_row_once() {
        let q = CustomerQuery { search: Some("ada".into()), ..Default::default() };
        let sql = page(&q, None, 10, PagePlan::Window(500)).unwrap();
        assert!(
            sql.text.contains(
                "(c.created_at, c.id) >= (SELECT c.created_at, c.id FROM customers c WHERE 1 \
                 ORDER BY c.created_at DESC, c.id DESC LIMIT 1 OFFSET ?3)"
            ),
            "{}",
            sql.text
        );
        assert_eq!(sql.text.matches("OFFSET").count(), 1, "{}", sql.text);
    }

    #[test]
    fn a_planned_page_counts_trigram_matches_up_to_the_cap() {
        let q = CustomerQuery { search: Some("acme".into()), ..Default::default() };
        let sql = planned(&q, None).unwrap();
        assert!(
            sql.text.starts_with(
                "WITH probe(n) AS MATERIALIZED (SELECT count(*) FROM (SELECT 1 FROM customers_search WHERE customers_search MATCH ?1 LIMIT ?2))"
            ),
            "{}",
            sql.text
        );
        assert_eq!(&sql.binds[..2], &[Scalar::Text("\"acm\" \"cme\"".into()), Scalar::Int(200)]);
        assert!(narrowing(&CustomerQuery { search: Some("ac".into()), ..Default::default() }).is_none());
    }

    #[test]
    fn a_planned_page_runs_one_way_and_gives_the_other_no_rows() {
        let q = CustomerQuery { search: Some("acme".into()), ..Default::default() };
        let sql = planned(&q, None).unwrap();
        let lim = format!("?{}", sql.binds.iter().position(|b| *b == Scalar::Int(11)).unwrap() + 1);
        let zero = format!("?{}", sql.binds.iter().position(|b| *b == Scalar::Int(0)).unwrap() + 1);
        assert!(
            sql.text.contains(&format!("LIMIT CASE WHEN (SELECT n FROM probe) < ?2 THEN {lim} ELSE {zero} END")),
            "{}",
            sql.text
        );
        assert!(
            sql.text.contains(&format!("LIMIT CASE WHEN (SELECT n FROM probe) < ?2 THEN {zero} ELSE {lim} END")),
            "{}",
            sql.text
        );
        assert!(
            sql.text.contains("SELECT p.n AS probe, x.* FROM probe p LEFT JOIN ("),
            "a page with no row still says its count"
        );
        assert!(sql.text.ends_with("x ON 1 ORDER BY x.sort_key DESC, x.id DESC"), "{}", sql.text);
    }

    #[test]
    fn both_ways_of_a_planned_page_share_their_binds() {
        let values: Vec<String> = (0..45).map(|i| format!("company {i}")).collect();
        let q = CustomerQuery {
            conditions: vec![cond("company", "in", json!(values)), cond("name", "contains", json!("ada"))],
            ..Default::default()
        };
        let after = After { key: "k".into(), id: "i".into() };
        let sql = planned(&q, Some(&after)).unwrap();
        // 52, and the parts of the signature the walk tests (`ada`'s bits and those the values
        // share), at most four.
        assert!(sql.binds.len() <= 56, "{}", sql.binds.len());
    }

    #[test]
    fn an_equal_value_bound_twice_is_one_parameter() {
        let mut b = Builder::default();
        assert_eq!(b.bind(Scalar::Text("a".into())), "?1");
        assert_eq!(b.bind(Scalar::Int(1)), "?2");
        assert_eq!(b.bind(Scalar::Text("a".into())), "?1");
        assert_eq!(b.bind(Scalar::Real(1.0)), "?3", "a real is not the integer");
        assert_eq!(b.binds.len(), 3);
    }

    #[test]
    fn an_indexed_condition_every_row_meets_narrows_the_query() {
        let q = |conditions: Vec<Condition>, matching: Match| CustomerQuery { conditions, matching, ..Default::default() };
        let company = cond("company", "eq", json!("ACME"));
        let sparse = q(vec![cond("name", "contains", json!("x")), company.clone()], Match::All);
        assert_eq!(narrowing(&sparse), Some(Narrowing::Condition(&sparse.conditions[1])));
        assert_eq!(
            narrowing(&q(vec![cond("name", "contains", json!("x")), company.clone()], Match::Any)),
            None,
            "or: no narrowing"
        );
        let alone = q(vec![company.clone()], Match::Any);
        assert_eq!(narrowing(&alone), Some(Narrowing::Condition(&alone.conditions[0])), "one condition is met by every row");
        assert_eq!(narrowing(&q(vec![cond("company", "contains", json!("ACME"))], Match::All)), None);
        assert_eq!(narrowing(&q(vec![cond("attributes.plan", "eq", json!("pro"))], Match::All)), None);
    }

    #[test]
    fn an_equality_narrows_before_a_prefix() {
        let q = CustomerQuery {
            conditions: vec![cond("phone", "starts_with", json!("555")), cond("company", "eq", json!("ACME"))],
            ..Default::default()
        };
        assert_eq!(narrowing(&q), Some(Narrowing::Condition(&q.conditions[1])));
    }

    #[test]
    fn a_condition_on_the_sort_key_narrows_the_walk_not_the_plan() {
        let q = CustomerQuery {
            conditions: vec![cond("name", "starts_with", json!("Ada"))],
            sort: Sort::parse("-name").unwrap(),
            ..Default::default()
        };
        assert_eq!(narrowing(&q), None);
        let sql = page(&q, None, 10, PagePlan::Scan).unwrap();
        assert!(sql.text.contains(&format!("{NAME_ORDER} >= ?1")), "{}", sql.text);
    }

    #[test]
    fn a_search_long_enough_narrows_before_any_condition() {
        let q = CustomerQuery {
            search: Some("acme".into()),
            conditions: vec![cond("company", "eq", json!("ACME"))],
            ..Default::default()
        };
        assert_eq!(narrowing(&q), Some(Narrowing::Search("acme")));
        let short = CustomerQuery { search: Some("ac".into()), ..q.clone() };
        assert_eq!(narrowing(&short), Some(Narrowing::Condition(&short.conditions[0])));
    }

    #[test]
    fn each_way_leaves_sqlite_only_the_index_it_means() {
        let q = CustomerQuery {
            conditions: vec![cond("company", "starts_with", json!("ACME")), cond("name", "starts_with", json!("Ada"))],
            sort: Sort::parse("name").unwrap(),
            ..Default::default()
        };
        let company_index = "lower(coalesce(c.company, '')) >= ?1";
        let name_index = format!("{NAME_ORDER} >= ?2");
        let sorted = page(&q, None, 10, PagePlan::Candidates).unwrap().text;
        assert!(sorted.contains(company_index) && !sorted.contains(&name_index), "{sorted}");
        assert!(sorted.contains("instr(lower(c.name), ?2) = 1"), "{sorted}");
        let walked = page(&q, None, 10, PagePlan::Window(100)).unwrap().text;
        assert!(!walked.contains(company_index) && walked.contains("instr(lower(c.company), ?1) = 1"), "{walked}");
        assert!(walked.contains(&name_index), "the sort key's own condition bounds the walk: {walked}");
    }

    #[test]
    fn an_equality_on_the_company_is_one_seek_bounded_by_the_sort_keys_own_conditions() {
        let q = CustomerQuery {
            conditions: vec![cond("company", "eq", json!("ACME")), cond("name", "starts_with", json!("Ada"))],
            sort: Sort::parse("-name").unwrap(),
            ..Default::default()
        };
        assert!(seeks(&q));
        let after = After { key: "ada l".into(), id: "01".into() };
        let sql = page(&q, Some(&after), 10, PagePlan::Candidates).unwrap().text;
        assert!(sql.contains("lower(coalesce(c.company, '')) = ?1"), "{sql}");
        assert!(sql.contains(&format!("{NAME_ORDER} >= ?2 AND {NAME_ORDER} < ?2 || char(1114111)")), "{sql}");
        assert!(sql.contains(&format!("{NAME_ORDER} <= ?3 AND ({NAME_ORDER} < ?3 OR c.id < ?4)")), "{sql}");
        assert!(sql.ends_with(&format!("ORDER BY {NAME_ORDER} DESC, c.id DESC LIMIT ?5")), "{sql}");
        let prefix = CustomerQuery { conditions: vec![cond("company", "starts_with", json!("ACME"))], ..q.clone() };
        let searched = CustomerQuery { search: Some("ada".into()), ..q.clone() };
        assert!(!seeks(&prefix) && !seeks(&searched), "their ranges are not in sort order");
    }

    #[test]
    fn a_list_of_companies_is_a_merge_of_one_seek_per_company() {
        let q = CustomerQuery {
            conditions: vec![
                cond("company", "in", json!(["Initech", "ACME", "acme", "Globex"])),
                cond("name", "starts_with", json!("Ada")),
            ],
            sort: Sort::parse("-name").unwrap(),
            ..Default::default()
        };
        assert!(seeks(&q));
        let after = After { key: "ada l".into(), id: "01".into() };
        let sql = page(&q, Some(&after), 10, PagePlan::Candidates).unwrap();
        let seeks: Vec<&str> = sql.text.split(" UNION ALL ").collect();
        assert_eq!(seeks.len(), 3, "ACME and acme are one company: {}", sql.text);
        for (i, company) in ["acme", "globex", "initech"].iter().enumerate() {
            let n = sql.binds.iter().position(|v| *v == Scalar::Text((*company).into())).unwrap() + 1;
            let seek = seeks[i];
            assert!(seek.contains(&format!("(lower(coalesce(c.company, '')) = ?{n} AND c.company IS NOT NULL)")), "{seek}");
            assert!(seek.contains(&format!("{NAME_ORDER} >= ?")), "the sort key's prefix bounds each seek: {seek}");
            assert!(seek.contains(&format!("({NAME_ORDER} < ?")), "each seek starts after the cursor: {seek}");
            assert!(!seek.contains(" IN ("), "{seek}");
        }
        assert!(sql.text.contains("ORDER BY k DESC, id DESC LIMIT ?"), "one merge in sort order, cut at the page: {}", sql.text);
        assert!(sql.text.ends_with(&format!("ORDER BY {NAME_ORDER} DESC, c.id DESC")), "{}", sql.text);
        let planned = planned(&q, Some(&after)).unwrap();
        assert!(
            planned.text.matches(" UNION ALL ").count() >= 3,
            "a planned page reads its sorted way the same: {}",
            planned.text
        );
    }

    #[test]
    fn an_equality_to_a_blank_email_phone_or_company_is_false_not_a_walk_of_those_without_one() {
        for field in ["company", "phone", "email"] {
            let q = CustomerQuery { conditions: vec![cond(field, "eq", json!(""))], ..Default::default() };
            let sql = page(&q, None, 10, PagePlan::Candidates).unwrap();
            assert!(sql.text.contains("(0)"), "{field}: {}", sql.text);
            assert!(!sql.binds.contains(&Scalar::Text(String::new())), "{field}: {:?}", sql.binds);
            assert!(
                planned(&q, None).unwrap().text.contains("SELECT 1 FROM customers c WHERE 0 LIMIT"),
                "{field}: nothing to count"
            );
        }
        let q = CustomerQuery { conditions: vec![cond("phone", "in", json!(["", "555"]))], ..Default::default() };
        let sql = page(&q, None, 10, PagePlan::Candidates).unwrap();
        assert!(sql.text.contains("lower(coalesce(c.phone, '')) IN (?1)"), "{}", sql.text);
        assert!(!sql.binds.contains(&Scalar::Text(String::new())), "{:?}", sql.binds);
    }

    #[test]
    fn a_long_list_of_companies_is_merged_in_groups_d1_takes() {
        let companies: Vec<String> = (0..12).map(|i| format!("Co {i}")).collect();
        let q = CustomerQuery { conditions: vec![cond("company", "in", json!(companies))], ..Default::default() };
        let sql = page(&q, None, 10, PagePlan::Candidates).unwrap().text;
        assert_eq!(sql.matches("FROM customers c WHERE").count(), 12, "a seek for each: {sql}");
        // Three groups of at most five, each merged and cut at the page, then merged.
        let groups: Vec<&str> = sql.split("SELECT * FROM (").skip(1).collect();
        assert_eq!(groups.len(), 3, "{sql}");
        for group in &groups {
            let parts = group.split(" ORDER BY k").next().unwrap().matches(" UNION ALL ").count() + 1;
            assert!(parts <= MAX_COMPOUND_PARTS, "{group}");
        }
        assert_eq!(sql.matches("ORDER BY k DESC, id DESC LIMIT ?").count(), 4, "{sql}");
    }

    #[test]
    fn a_probe_of_a_condition_reads_its_index_alone() {
        let q = CustomerQuery { conditions: vec![cond("phone", "starts_with", json!("555-01"))], ..Default::default() };
        let sql = planned(&q, None).unwrap();
        assert!(
            sql.text.contains(
                "(SELECT 1 FROM customers c WHERE lower(coalesce(c.phone, '')) >= ?1 AND lower(coalesce(c.phone, '')) < ?1 || char(1114111) LIMIT ?2)"
            ),
            "{}",
            sql.text
        );
    }

    #[test]
    fn name_and_email_equality_and_prefix_use_the_sort_index_expressions() {
        let q = CustomerQuery {
            conditions: vec![cond("name", "starts_with", json!("Bench User 42")), cond("email", "eq", json!("a@x.com"))],
            ..Default::default()
        };
        let sql = count(&q).unwrap();
        assert!(sql.text.contains(&format!("{NAME_ORDER} >= ?1 AND {NAME_ORDER} < ?1 || char(1114111)")), "{}", sql.text);
        assert!(sql.text.contains("(coalesce(c.email_normalized, '') = ?2 AND c.email_normalized IS NOT NULL)"), "{}", sql.text);
        assert_eq!(sql.binds[0], Scalar::Text("bench user 42".into()));
    }

    #[test]
    fn company_and_phone_equality_and_prefix_use_their_filter_indexes() {
        let q = CustomerQuery {
            conditions: vec![cond("company", "in", json!(["ACME", "Initech"])), cond("phone", "starts_with", json!("555"))],
            ..Default::default()
        };
        let sql = count(&q).unwrap();
        assert!(sql.text.contains("(lower(coalesce(c.company, '')) IN (?1, ?2) AND c.company IS NOT NULL)"), "{}", sql.text);
        assert!(
            sql.text.contains("lower(coalesce(c.phone, '')) >= ?3 AND lower(coalesce(c.phone, '')) < ?3 || char(1114111)"),
            "{}",
            sql.text
        );
        assert_eq!(sql.binds[..2], [Scalar::Text("acme".into()), Scalar::Text("initech".into())]);
    }

    #[test]
    fn filter_any_joins_conditions_with_or() {
        let q = CustomerQuery {
            conditions: vec![cond("name", "contains", json!("Ada")), cond("company", "eq", json!("ACME"))],
            matching: Match::Any,
            ..Default::default()
        };
        let sql = page(&q, None, 10, PagePlan::Candidates).unwrap();
        assert!(
            sql.text
                .contains("(instr(lower(c.name), ?1) > 0 OR (lower(coalesce(c.company, '')) = ?2 AND c.company IS NOT NULL))"),
            "{}",
            sql.text
        );
        assert_eq!(sql.binds[0], Scalar::Text("ada".into()));
        assert_eq!(sql.binds[1], Scalar::Text("acme".into()));
    }

    #[test]
    fn attribute_paths_are_bound_parameters() {
        let q = CustomerQuery { conditions: vec![cond("attributes.plan", "eq", json!("pro"))], ..Default::default() };
        let sql = count(&q).unwrap();
        assert!(sql.text.contains("json_extract(c.attributes, ?1) = ?2"), "{}", sql.text);
        assert_eq!(sql.binds, vec![Scalar::Text("$.\"plan\"".into()), Scalar::Text("pro".into())]);
    }

    #[test]
    fn attribute_keys_with_quotes_are_not_fields() {
        assert_eq!(Field::parse("attributes.a\"b"), None);
        assert_eq!(Field::parse("attributes."), None);
        assert_eq!(Field::parse("password"), None);
    }

    #[test]
    fn the_parameter_count_is_capped_at_one_hundred() {
        let conditions =
            (0..3).map(|n| cond("name", "in", json!((0..40).map(|i| format!("{n}-{i}")).collect::<Vec<_>>()))).collect();
        let q = CustomerQuery { conditions, ..Default::default() };
        assert_eq!(page(&q, None, 10, PagePlan::Candidates), Err(BuildError::TooManyParameters { count: 121 }));
    }

    #[test]
    fn a_filter_at_the_limit_builds_in_every_form() {
        let conditions = vec![
            cond("name", "in", json!((0..49).map(|i| format!("n{i}")).collect::<Vec<_>>())),
            cond("company", "in", json!((0..48).map(|i| format!("c{i}")).collect::<Vec<_>>())),
        ];
        let q = CustomerQuery { conditions, ..Default::default() };
        let after = After { key: "k".into(), id: "i".into() };
        let sql = page(&q, Some(&after), 10, PagePlan::Candidates).unwrap();
        assert_eq!(sql.binds.len(), 100);
        assert!(planned(&q, Some(&after)).is_err(), "the probe's cap, the window's offset and 0 add three");
    }

    #[test]
    fn a_walk_the_signature_would_take_past_the_limit_walks_without_it() {
        let conditions = vec![
            cond("name", "in", json!((0..49).map(|i| format!("n{i}")).collect::<Vec<_>>())),
            cond("company", "in", json!((0..46).map(|i| format!("c{i}")).collect::<Vec<_>>())),
        ];
        let q = CustomerQuery { search: Some("import.test".into()), conditions, ..Default::default() };
        let after = After { key: "k".into(), id: "i".into() };
        let sql = page(&q, Some(&after), 10, PagePlan::Walk).unwrap();
        assert_eq!(sql.binds.len(), 99, "the pattern, 95 values, the cursor and the limit");
        assert!(!sql.text.contains("search_sig"), "{}", sql.text);
        let fewer = CustomerQuery { conditions: q.conditions[..1].to_vec(), ..q.clone() };
        assert!(page(&fewer, Some(&after), 10, PagePlan::Walk).unwrap().text.contains("search_sig"));
    }

    #[test]
    fn group_conditions_use_the_membership_table() {
        let q = CustomerQuery { required: vec![cond("group_id", "eq", json!("g1"))], ..Default::default() };
        assert!(count(&q)
            .unwrap()
            .text
            .contains("EXISTS (SELECT 1 FROM group_members gm WHERE gm.customer_id = c.id AND gm.group_id = ?1)"));
    }

    #[test]
    fn group_all_selects_the_live_customers() {
        let q = CustomerQuery { status: Status::All, required: vec![cond("group_id", "eq", json!("all"))], ..Default::default() };
        let sql = count(&q).unwrap();
        assert!(sql.text.contains("c.deleted_at IS NULL"), "{}", sql.text);
        assert!(!sql.text.contains("group_members"), "{}", sql.text);
        assert!(sql.binds.is_empty());
    }

    #[test]
    fn not_in_group_all_selects_the_deleted_customers() {
        let q =
            CustomerQuery { status: Status::All, required: vec![cond("group_id", "neq", json!("all"))], ..Default::default() };
        assert!(count(&q).unwrap().text.contains("c.deleted_at IS NOT NULL"));
    }

    #[test]
    fn group_all_among_others_selects_the_live_customers_or_the_members() {
        let q = CustomerQuery { required: vec![cond("group_id", "in", json!(["g1", "all"]))], ..Default::default() };
        let sql = count(&q).unwrap();
        assert!(
            sql.text.contains("(c.deleted_at IS NULL OR EXISTS (SELECT 1 FROM group_members gm WHERE gm.customer_id = c.id AND gm.group_id IN (?1)))"),
            "{}",
            sql.text
        );
        assert_eq!(sql.binds, vec![Scalar::Text("g1".into())]);
    }

    #[test]
    fn times_are_normalised_before_binding() {
        let c = cond("created_at", "gte", json!("2026-01-01"));
        assert_eq!(c.operand, Operand::One(Scalar::Text("2026-01-01T00:00:00.000Z".into())));
    }

    #[test]
    fn status_deleted_selects_soft_deleted_rows() {
        let q = CustomerQuery { status: Status::Deleted, ..Default::default() };
        assert!(count(&q).unwrap().text.contains("c.deleted_at IS NOT NULL"));
    }

    #[test]
    fn every_sort_round_trips_through_its_name() {
        for s in ["created_at", "-created_at", "name", "-name", "email", "-email", "last_seen_at", "-last_seen_at"] {
            assert_eq!(Sort::parse(s).unwrap().name(), s);
        }
        assert_eq!(Sort::parse("id"), None);
    }

    mod properties {
        use super::*;
        use crate::domain::filter::{from_filter_body, tests::properties::any_json};
        use proptest::prelude::*;

        proptest! {
            /// Every query the filter parser accepts builds SQL within D1's parameter limit or
            /// says it cannot.
            #[test]
            fn any_accepted_filter_builds_within_the_parameter_limit(body in any_json()) {
                if let Ok(request) = from_filter_body(&body, true) {
                    if let Ok(sql) = super::page(&request.query, request.after.as_ref(), request.limit, PagePlan::Candidates) {
                        prop_assert!(sql.binds.len() <= MAX_BINDS);
                    }
                }
            }
        }
    }

    #[test]
    fn the_name_order_is_the_expression_its_index_holds() {
        let migration = include_str!("../../migrations/0025_name_order_by_email.sql");
        let indexed = NAME_ORDER.replace("c.", "");
        assert!(migration.contains(&format!("customers_name_sort ON customers ({indexed}, id)")), "{migration}");
    }
}
