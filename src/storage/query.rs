//! Compiles the domain's customer query (`domain::query`) to SQL for listing, filtering,
//! exporting and bulk-deleting customers. Field and sort names map to fixed SQL fragments from
//! allow-lists; every value is a bound parameter (`?N`), never text in the SQL. Pure: no D1
//! here, so it is unit-tested.
use crate::domain::group::is_builtin;
pub use crate::domain::query::Scalar;
use crate::domain::query::{After, Condition, CustomerQuery, Field, Match, Op, Operand, Sort, SortField, Status};

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

impl Status {
    fn sql(self) -> &'static str {
        match self {
            Status::Active => "c.deleted_at IS NULL",
            Status::Deleted => "c.deleted_at IS NOT NULL",
            Status::All => "1",
        }
    }
}

impl Sort {
    /// The sort key expression; each has an index in migrations/0001 with the same expression.
    fn key_sql(self) -> &'static str {
        match self.field {
            SortField::CreatedAt => "c.created_at",
            SortField::Name => "lower(coalesce(c.name, ''))",
            SortField::Email => "coalesce(c.email_normalized, '')",
            SortField::LastSeenAt => "coalesce(c.last_seen_at, '')",
        }
    }
}

/// How a page finds its rows. Every plan returns the same rows in the same order; they differ
/// in cost, which depends on how many customers the search matches (`storage::customers::page`
/// chooses after a bounded probe of the trigram index).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// Test only the rows the trigram index matches, then sort them: cheap when they are few.
    Candidates,
    /// Walk at most this many customers in sort order and test each: cheap when matches are
    /// common, since the page fills early; if it does not fill, the caller asks `Candidates`.
    Window(usize),
    /// Walk the sort order with no bound: for searches too short for the index.
    Scan,
}

/// Which rows `range_sql` keeps: those strictly after a row, or those up to and including it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    After,
    UpTo,
}

/// Collects bind values and hands back each one's `?N` placeholder.
#[derive(Default)]
pub struct Builder {
    pub binds: Vec<Scalar>,
}

impl Builder {
    pub fn bind(&mut self, v: Scalar) -> String {
        self.binds.push(v);
        format!("?{}", self.binds.len())
    }
}

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

fn condition_sql(b: &mut Builder, c: &Condition) -> String {
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
    if let Some(sql) = indexed_text_sql(b, c) {
        return sql;
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
                    let needle = Scalar::Text(lower_text(text_of(v).unwrap_or_default()));
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

/// Equality and prefix conditions on name and email, written against the expressions their
/// sort indexes hold (migrations/0001), so they walk the index instead of every customer
/// (measured at 1,000,000 rows: a name prefix 405 ms as `instr`, 1 ms as a range). Same
/// results as the general form: a missing name or email never equals or starts with a value.
fn indexed_text_sql(b: &mut Builder, c: &Condition) -> Option<String> {
    let (key, column) = match c.field {
        Field::Name => ("lower(coalesce(c.name, ''))", "c.name"),
        Field::Email => ("coalesce(c.email_normalized, '')", "c.email_normalized"),
        _ => return None,
    };
    let text = |v: &Scalar| Scalar::Text(lower_text(text_of(v).unwrap_or_default()));
    match (&c.op, &c.operand) {
        (Op::Eq, Operand::One(v)) => Some(format!("({key} = {} AND {column} IS NOT NULL)", b.bind(text(v)))),
        (Op::In, Operand::Many(vs)) => {
            let list: Vec<String> = vs.iter().map(|v| b.bind(text(v))).collect();
            Some(format!("({key} IN ({}) AND {column} IS NOT NULL)", list.join(", ")))
        }
        (Op::StartsWith, Operand::One(v)) => {
            // Keys that start with p sort from p up to p followed by the last code point; the
            // instr test keeps the result exact at that edge.
            let p = b.bind(text(v));
            Some(format!("({key} >= {p} AND {key} < {p} || char(1114111) AND instr({key}, {p}) = 1)"))
        }
        _ => None,
    }
}

/// Quotes text as a single FTS5 phrase: inside double quotes only `"` needs escaping (doubled).
pub fn fts_phrase(q: &str) -> String {
    format!("\"{}\"", q.replace('"', "\"\""))
}

impl CustomerQuery {
    fn where_sql(&self, b: &mut Builder, after: Option<&After>, plan: Plan) -> String {
        let mut parts = vec![self.status.sql().to_string()];
        if let Some(q) = &self.search {
            // What a search means, in every plan: the text is a substring of name, email, phone,
            // company or handle, ASCII letters compared case-insensitively (SQLite's `lower`).
            let p = b.bind(Scalar::Text(lower_text(q)));
            if plan == Plan::Candidates && q.chars().count() >= 3 {
                // The trigram index narrows the rows to test to those it matches, a superset of
                // the above (it folds all of Unicode's case); the query travels as one quoted
                // FTS5 phrase, so its characters are all literal.
                let phrase = b.bind(Scalar::Text(fts_phrase(q)));
                parts.push(format!("c.seq IN (SELECT rowid FROM customers_search WHERE customers_search MATCH {phrase})"));
            }
            parts.push(format!(
                "(instr(lower(coalesce(c.name, '')), {p}) > 0 OR instr(coalesce(c.email_normalized, ''), {p}) > 0 \
                 OR instr(lower(coalesce(c.phone, '')), {p}) > 0 OR instr(lower(coalesce(c.company, '')), {p}) > 0 \
                 OR instr(coalesce(c.handle, ''), {p}) > 0)"
            ));
        }
        for c in &self.required {
            parts.push(condition_sql(b, c));
        }
        if !self.conditions.is_empty() {
            let joiner = if self.matching == Match::All { " AND " } else { " OR " };
            let conds: Vec<String> = self.conditions.iter().map(|c| condition_sql(b, c)).collect();
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
        let key = self.sort.key_sql();
        if self.sort.field == SortField::CreatedAt {
            // A plain column: the row value is a range SQLite seeks to directly, where the
            // written-out form scans the rows that tie on the key (an import's rows share
            // `created_at`: 4 ms against 1 ms at row 50,000 of 100,000, measured).
            let cmp = match (self.sort.descending, side) {
                (true, Side::After) => "<",
                (false, Side::After) => ">",
                (true, Side::UpTo) => ">=",
                (false, Side::UpTo) => "<=",
            };
            return format!("({key}, c.id) {cmp} ({k}, {i})");
        }
        let (wide, strict, last) = match (self.sort.descending, side == Side::UpTo) {
            (true, false) => ("<=", "<", "<"),
            (false, false) => (">=", ">", ">"),
            (true, true) => (">=", ">", ">="),
            (false, true) => ("<=", "<", "<="),
        };
        format!("{key} {wide} {k} AND ({key} {strict} {k} OR c.id {last} {i})")
    }

    fn checked(b: Builder, text: String) -> Result<Sql, BuildError> {
        if b.binds.len() > MAX_BINDS {
            return Err(BuildError::TooManyParameters { count: b.binds.len() });
        }
        Ok(Sql { text, binds: b.binds })
    }

    /// One page: `limit + 1` rows are fetched so the caller knows whether more follow. The
    /// plan changes how the rows are found, never which: see `Plan`.
    pub fn page_sql(&self, after: Option<&After>, limit: usize, plan: Plan) -> Result<Sql, BuildError> {
        let mut b = Builder { binds: vec![] };
        let filter = self.where_sql(&mut b, after, plan);
        let dir = if self.sort.descending { "DESC" } else { "ASC" };
        let key = self.sort.key_sql();
        let text = match plan {
            Plan::Window(rows) => {
                // Only rows up to the `rows`-th customer from the start of the page in sort order:
                // the walk stops there whatever the search matches. That row is found by a walk
                // of the sort index alone (OFFSET; the status is left out, since testing it would
                // read every row: 56 ms against 6 ms at 1,000,000), and bounds the page's walk as
                // a range. With fewer customers left than `rows`, there is no bound row and no
                // row at all: the caller then asks `Candidates`, as when the window holds too few.
                let mut walk = vec!["1".to_string()];
                if let Some(after) = after {
                    walk.push(self.after_sql(&mut b, after));
                }
                let offset = b.bind(Scalar::Int(rows.saturating_sub(1) as i64));
                let lim = b.bind(Scalar::Int(limit as i64 + 1));
                let bound = |column: &str| {
                    format!(
                        "(SELECT {column} FROM customers c WHERE {} ORDER BY {key} {dir}, c.id {dir} LIMIT 1 OFFSET {offset})",
                        walk.join(" AND ")
                    )
                };
                let within = self.range_sql(&bound(key), &bound("c.id"), Side::UpTo);
                format!(
                    "SELECT {CUSTOMER_COLUMNS}, {key} AS sort_key FROM customers c WHERE {filter} AND {within} \
                     ORDER BY {key} {dir}, c.id {dir} LIMIT {lim}"
                )
            }
            Plan::Candidates | Plan::Scan => {
                let lim = b.bind(Scalar::Int(limit as i64 + 1));
                format!(
                    "SELECT {CUSTOMER_COLUMNS}, {key} AS sort_key FROM customers c WHERE {filter} \
                     ORDER BY {key} {dir}, c.id {dir} LIMIT {lim}"
                )
            }
        };
        Self::checked(b, text)
    }

    /// Whether the search is broad enough to walk the sort order: the trigram index's matches,
    /// counted up to `cap` (`probe` in the answer's one row). Only for searches of three
    /// characters or more; others have no index to ask.
    pub fn probe_sql(&self, cap: usize) -> Option<Sql> {
        let q = self.search.as_deref().filter(|q| q.chars().count() >= 3)?;
        Some(Sql {
            text: "SELECT count(*) AS probe FROM (SELECT 1 FROM customers_search WHERE customers_search MATCH ?1 LIMIT ?2)"
                .into(),
            binds: vec![Scalar::Text(fts_phrase(q)), Scalar::Int(cap as i64)],
        })
    }

    pub fn count_sql(&self) -> Result<Sql, BuildError> {
        let mut b = Builder { binds: vec![] };
        let filter = self.where_sql(&mut b, None, Plan::Candidates);
        Self::checked(b, format!("SELECT count(*) AS total FROM customers c WHERE {filter}"))
    }

    /// The ids of matching customers, for bulk operations (at most `limit`).
    pub fn ids_sql(&self, limit: usize) -> Result<Sql, BuildError> {
        let mut b = Builder { binds: vec![] };
        let filter = self.where_sql(&mut b, None, Plan::Candidates);
        let lim = b.bind(Scalar::Int(limit as i64));
        Self::checked(b, format!("SELECT c.id FROM customers c WHERE {filter} ORDER BY c.created_at, c.id LIMIT {lim}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::query::operand_for;
    use serde_json::json;

    fn cond(field: &str, op: &str, value: serde_json::Value) -> Condition {
        let field = Field::parse(field).unwrap();
        let op = Op::parse(op).unwrap();
        let operand = operand_for(&field, op, Some(&value)).unwrap();
        Condition { field, op, operand }
    }

    #[test]
    fn default_query_lists_live_customers_newest_first() {
        let sql = CustomerQuery::default().page_sql(None, 25, Plan::Candidates).unwrap();
        assert!(sql.text.contains("c.deleted_at IS NULL"));
        assert!(sql.text.contains("ORDER BY c.created_at DESC, c.id DESC LIMIT ?1"));
        assert_eq!(sql.binds, vec![Scalar::Int(26)]);
    }

    #[test]
    fn a_cursor_continues_after_the_last_row_in_sort_direction() {
        let q = CustomerQuery { sort: Sort::parse("name").unwrap(), ..Default::default() };
        let after = After { key: "ada".into(), id: "x".into() };
        let sql = q.page_sql(Some(&after), 3, Plan::Candidates).unwrap();
        assert!(
            sql.text.contains("lower(coalesce(c.name, '')) >= ?1 AND (lower(coalesce(c.name, '')) > ?1 OR c.id > ?2)"),
            "{}",
            sql.text
        );
        assert_eq!(sql.binds[0], Scalar::Text("ada".into()));
    }

    #[test]
    fn search_text_is_bound_as_one_phrase_and_never_inlined() {
        let q = CustomerQuery { search: Some("50%_'; DROP \"x\"".into()), ..Default::default() };
        let sql = q.page_sql(None, 10, Plan::Candidates).unwrap();
        assert!(!sql.text.contains("DROP"));
        assert!(sql.text.contains("customers_search MATCH ?2"));
        assert_eq!(sql.binds.len(), 3);
        assert_eq!(sql.binds[1], Scalar::Text("\"50%_'; DROP \"\"x\"\"\"".into()));
    }

    #[test]
    fn searches_shorter_than_a_trigram_scan_instead() {
        let q = CustomerQuery { search: Some("Ab".into()), ..Default::default() };
        let sql = q.page_sql(None, 10, Plan::Candidates).unwrap();
        assert!(!sql.text.contains("customers_search"));
        assert!(sql.text.contains("instr(lower(coalesce(c.name, '')), ?1) > 0"));
        assert_eq!(sql.binds[0], Scalar::Text("ab".into()));
    }

    #[test]
    fn only_the_candidates_plan_asks_the_trigram_index() {
        let q = CustomerQuery { search: Some("Ada".into()), ..Default::default() };
        let instr = "instr(lower(coalesce(c.name, '')), ?1) > 0";
        for plan in [Plan::Candidates, Plan::Window(100), Plan::Scan] {
            let sql = q.page_sql(None, 10, plan).unwrap();
            assert!(sql.text.contains(instr), "{plan:?}: every plan tests the same predicate");
            assert_eq!(sql.text.contains("customers_search"), plan == Plan::Candidates, "{plan:?}");
        }
    }

    #[test]
    fn a_window_bounds_the_walk_by_the_row_at_its_end() {
        let q = CustomerQuery { search: Some("ada".into()), sort: Sort::parse("name").unwrap(), ..Default::default() };
        let after = After { key: "m".into(), id: "x".into() };
        let sql = q.page_sql(Some(&after), 10, Plan::Window(500)).unwrap();
        let key = "lower(coalesce(c.name, ''))";
        assert!(sql.text.contains(&format!("{key} <= (SELECT {key} FROM customers c WHERE")), "{}", sql.text);
        assert!(sql.text.contains("LIMIT 1 OFFSET ?6"), "{}", sql.text);
        assert_eq!(sql.binds[5], Scalar::Int(499));
        assert_eq!(sql.binds[6], Scalar::Int(11));
    }

    #[test]
    fn a_probe_counts_trigram_matches_up_to_the_cap() {
        let q = CustomerQuery { search: Some("acme".into()), ..Default::default() };
        let probe = q.probe_sql(1000).unwrap();
        assert!(probe.text.contains("MATCH ?1 LIMIT ?2"));
        assert_eq!(probe.binds, vec![Scalar::Text("\"acme\"".into()), Scalar::Int(1000)]);
        assert!(CustomerQuery { search: Some("ac".into()), ..Default::default() }.probe_sql(1000).is_none());
    }

    #[test]
    fn name_and_email_equality_and_prefix_use_the_sort_index_expressions() {
        let q = CustomerQuery {
            conditions: vec![cond("name", "starts_with", json!("Bench User 42")), cond("email", "eq", json!("a@x.com"))],
            ..Default::default()
        };
        let sql = q.page_sql(None, 10, Plan::Scan).unwrap();
        assert!(
            sql.text.contains("lower(coalesce(c.name, '')) >= ?1 AND lower(coalesce(c.name, '')) < ?1 || char(1114111)"),
            "{}",
            sql.text
        );
        assert!(sql.text.contains("(coalesce(c.email_normalized, '') = ?2 AND c.email_normalized IS NOT NULL)"), "{}", sql.text);
        assert_eq!(sql.binds[0], Scalar::Text("bench user 42".into()));
    }

    #[test]
    fn filter_any_joins_conditions_with_or() {
        let q = CustomerQuery {
            conditions: vec![cond("name", "contains", json!("Ada")), cond("company", "eq", json!("ACME"))],
            matching: Match::Any,
            ..Default::default()
        };
        let sql = q.page_sql(None, 10, Plan::Candidates).unwrap();
        assert!(sql.text.contains("(instr(lower(c.name), ?1) > 0 OR lower(c.company) = ?2)"), "{}", sql.text);
        assert_eq!(sql.binds[0], Scalar::Text("ada".into()));
        assert_eq!(sql.binds[1], Scalar::Text("acme".into()));
    }

    #[test]
    fn attribute_paths_are_bound_parameters() {
        let q = CustomerQuery { conditions: vec![cond("attributes.plan", "eq", json!("pro"))], ..Default::default() };
        let sql = q.count_sql().unwrap();
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
        let conditions = (0..3).map(|_| cond("name", "in", json!((0..40).map(|i| i.to_string()).collect::<Vec<_>>()))).collect();
        let q = CustomerQuery { conditions, ..Default::default() };
        assert_eq!(q.page_sql(None, 10, Plan::Candidates), Err(BuildError::TooManyParameters { count: 121 }));
    }

    #[test]
    fn a_filter_at_the_limit_builds() {
        let conditions = vec![
            cond("name", "in", json!((0..49).map(|i| i.to_string()).collect::<Vec<_>>())),
            cond("company", "in", json!((0..48).map(|i| i.to_string()).collect::<Vec<_>>())),
        ];
        let q = CustomerQuery { conditions, ..Default::default() };
        let sql = q.page_sql(Some(&After { key: "k".into(), id: "i".into() }), 10, Plan::Candidates).unwrap();
        assert_eq!(sql.binds.len(), 100);
    }

    #[test]
    fn group_conditions_use_the_membership_table() {
        let q = CustomerQuery { required: vec![cond("group_id", "eq", json!("g1"))], ..Default::default() };
        assert!(q
            .count_sql()
            .unwrap()
            .text
            .contains("EXISTS (SELECT 1 FROM group_members gm WHERE gm.customer_id = c.id AND gm.group_id = ?1)"));
    }

    #[test]
    fn group_all_selects_the_live_customers() {
        let q = CustomerQuery { status: Status::All, required: vec![cond("group_id", "eq", json!("all"))], ..Default::default() };
        let sql = q.count_sql().unwrap();
        assert!(sql.text.contains("c.deleted_at IS NULL"), "{}", sql.text);
        assert!(!sql.text.contains("group_members"), "{}", sql.text);
        assert!(sql.binds.is_empty());
    }

    #[test]
    fn not_in_group_all_selects_the_deleted_customers() {
        let q =
            CustomerQuery { status: Status::All, required: vec![cond("group_id", "neq", json!("all"))], ..Default::default() };
        assert!(q.count_sql().unwrap().text.contains("c.deleted_at IS NOT NULL"));
    }

    #[test]
    fn group_all_among_others_selects_the_live_customers_or_the_members() {
        let q = CustomerQuery { required: vec![cond("group_id", "in", json!(["g1", "all"]))], ..Default::default() };
        let sql = q.count_sql().unwrap();
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
        assert!(q.count_sql().unwrap().text.contains("c.deleted_at IS NOT NULL"));
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
                if let Ok(page) = from_filter_body(&body, true) {
                    if let Ok(sql) = page.query.page_sql(page.after.as_ref(), page.limit, Plan::Candidates) {
                        prop_assert!(sql.binds.len() <= MAX_BINDS);
                    }
                }
            }
        }
    }
}
