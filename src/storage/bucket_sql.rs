//! Keeping the per-order trigram indexes (migrations/0028) that `PagePlan::Bucketed` reads: the
//! statements the cron runs to number an order's buckets, to build the indexes a chunk of
//! customers at a time, and to split a bucket grown too large, and the arithmetic of bucket
//! numbers. Pure: the SQL and its binds, run by `storage::customers`.
//!
//! **A customer in an order's index (a seq below `sorted_search.indexed_below`) has its
//! postings in the bucket its key falls in, but in last-seen order while `last_seen_moved`
//! records it, where its postings still are**: the triggers of migrations/0028, 0031 and 0032
//! keep that as customers are written, and a split moves the customers past its new bound in
//! the batch that makes it.
use super::customer_sql::{bucket_of, sort_key, Scalar};
use crate::domain::customer_query::SortField;

/// At most this many customers move in one split: a bucket grown by an import is split from its
/// end a piece at a time, so no batch holds D1 for long (each move deletes and adds the
/// customer's postings: about 12 microseconds in bulk, measured at 120,000 customers).
pub const MAX_MOVE: i64 = 2048;

/// Splits the cron makes a minute, at most: about 1 s of D1 at `MAX_MOVE` each, and 40 of the
/// 50 statements an invocation may send on Workers Free.
pub const SPLITS_A_MINUTE: usize = 8;

/// Customers the cron adds to the three indexes a minute while building them (1,200,000 took
/// 53 s of D1 in all: under a second a chunk).
pub const BUILD_CHUNK: i64 = 20_000;

/// The newest customers wait out of the per-order indexes until this many have come, then the
/// insert of the next adds them all at once (migrations/0031): a visit that creates a customer
/// pays for three trigram indexes less, and the indexes get one FTS5 segment for every few
/// dozen customers instead of one each.
pub const INDEX_EVERY: i64 = 64;

/// Pages read the per-order indexes while at most this many of the newest customers by seq are
/// not in them (`customer_sql`): those are read from creation order's trigram index and sorted
/// beside the buckets. More (the cron building the indexes from the start), and pages walk. The
/// trigger of migrations/0031 indexes no more than this at once; the cron takes a longer tail.
pub const UNINDEXED_MAX: i64 = 1_000;

/// A visit that takes a customer to another bucket of last-seen order leaves its postings where
/// they were and records it in `last_seen_moved` (migrations/0032); when this many are there, the
/// record of the next moves them all (`move_the_seen`): one FTS5 segment for 64 moves.
pub const MOVE_EVERY: i64 = 64;

/// The one order whose postings a visit leaves where they were (`last_seen_moved`): a visit
/// changes no other order's key.
pub const MOVED_ORDER: &str = "last_seen";

/// A bucket this many times `sorted_search.bucket` (migrations/0028: the size the cron numbers
/// buckets with and splits them back to) is not split but the indexes built again from the start
/// (the state a bulk load into an empty database leaves: every customer in the one bucket),
/// which costs less than splitting it down a piece at a time (each customer moved about five
/// times).
pub const REBUILD_ABOVE: i64 = 256;

/// Every bucket number is below this, so a rowid (`bucket << 32 | seq`) fits 63 bits.
pub const BUCKET_LIMIT: i64 = (1 << 31) - 1;

/// Room in the bucket numbers each customer of a bucket split off the end of an order gets
/// (recent visits, the newest names): enough for 30,000,000 customers appended that way.
const APPENDED_ROOM: i64 = 64;

/// The orders with buckets: each one's name in `sort_buckets`, its index and its key.
pub fn orders() -> [(&'static str, &'static str, &'static str); 3] {
    [SortField::Name, SortField::Email, SortField::LastSeenAt].map(|field| {
        let (order, table) = super::customer_sql::bucketed_index(field).expect("an order with buckets");
        (order, table, sort_key(field))
    })
}

/// The order, table and key of the order named `name` (one of `orders`).
fn order_named(name: &str) -> (&'static str, &'static str, &'static str) {
    orders().into_iter().find(|(o, _, _)| *o == name).expect("an order with buckets")
}

/// The columns of a customer row `c` that its postings in every order's index are made from.
const POSTED_COLUMNS: &str = "c.name, c.email, c.phone, c.company, c.handle";

/// A statement and its binds.
pub type Statement = (String, Vec<Scalar>);

/// The number of the bucket split off the end of `bucket` (numbered `bucket`, holding `size`,
/// the next bucket numbered `next`) when `moved` of its customers move: the room up to the next
/// bucket is shared in proportion to the customers on each side, so a bucket keeps room for
/// the splits its customers will need; the last bucket gives a bucket split off it room for
/// its customers only (`APPENDED_ROOM` each), keeping the rest for what comes after. `None`:
/// no number is left between them (the cron builds again once such a bucket is too large).
pub fn split_number(bucket: i64, next: Option<i64>, size: i64, moved: i64) -> Option<i64> {
    let end = next.unwrap_or(BUCKET_LIMIT);
    let room = (end - bucket) as i128;
    let kept = (size - moved).max(1) as i128;
    let new = match next {
        Some(_) => bucket as i128 + room * kept / size.max(1) as i128,
        None => bucket as i128 + (kept * APPENDED_ROOM as i128).min(room / 2),
    } as i64;
    (new > bucket && new < end).then_some(new)
}

/// How many of a bucket's `size` customers a split moves: half, at most `MAX_MOVE`.
pub fn moved(size: i64) -> i64 {
    (size / 2).min(MAX_MOVE)
}

/// The customers of one bucket of an order, as three conditions on a customer row `c`, in sort
/// order: ranges of the order's sort index SQLite seeks (or, joined by OR, a MULTI-INDEX OR),
/// none longer than the bucket, since keys tie in bulk (every customer never seen has the last-seen key '') and a
/// range over the key alone walks the whole tie: the bucket's part of its lower bound's tie
/// (up to the next bound when both are in one tie), the keys strictly between, the part of the
/// next bound's tie before it. Each id bound is a constant, so a range that is empty for these
/// bounds is empty in the index too rather than a tie walked and refused. `number` is SQL for
/// the bucket's number.
pub fn bucket_ranges(order: &str, key: &str, number: &str) -> [String; 3] {
    let bound = |column: &str| format!("(SELECT {column} FROM sort_buckets WHERE sort_order = '{order}' AND bucket = {number})");
    let next = |column: &str| {
        format!("(SELECT {column} FROM sort_buckets WHERE sort_order = '{order}' AND bucket > {number} ORDER BY bucket LIMIT 1)")
    };
    // The keys as values without the column's text affinity (`|| ''`), which the sort index's
    // expression lacks: compared with a column's value, SQLite cannot use the index for the range.
    let (lk, li, hk, hi) = (format!("({} || '')", bound("key")), bound("id"), format!("({} || '')", next("key")), next("id"));
    // '' is below every id and x'ff' beyond every one (ids are text; SQLite sorts blobs after text).
    let same = format!("{hk} = {lk}");
    [
        format!("{key} = {lk} AND c.id >= {li} AND c.id < CASE WHEN {same} THEN {hi} ELSE x'ff' END"),
        format!("{key} > {lk} AND {key} < coalesce({hk}, x'ff')"),
        format!("{key} = {hk} AND c.id >= CASE WHEN {same} THEN x'ff' ELSE '' END AND c.id < {hi}"),
    ]
}

/// `bucket_ranges` as one condition.
pub fn in_bucket(order: &str, key: &str, number: &str) -> String {
    let [low, between, high] = bucket_ranges(order, key, number);
    format!("(({low}) OR ({between}) OR ({high}))")
}

/// Numbering from the start, in one batch: the indexes emptied, each order's customers cut
/// into buckets of `bucket` (`sorted_search.bucket`) in sort order, spread evenly over the
/// numbers (room for splits everywhere), and the state set to build from the first customer.
/// `customers`: about how many there are.
pub fn number_buckets(customers: i64, bucket: i64) -> Vec<Statement> {
    let buckets = customers / bucket + 1;
    let spacing = BUCKET_LIMIT / (buckets + 1);
    let mut statements = vec![
        ("UPDATE sorted_search SET indexed_below = 0".to_string(), vec![]),
        ("DELETE FROM sort_buckets".to_string(), vec![]),
        ("DELETE FROM last_seen_moved".to_string(), vec![]),
    ];
    for (order, table, key) in orders() {
        statements.push((format!("INSERT INTO {table} ({table}) VALUES ('delete-all')"), vec![]));
        statements.push((
            format!(
                "INSERT INTO sort_buckets (sort_order, key, id, bucket, size) \
                 SELECT '{order}', CASE WHEN n = 0 THEN '' ELSE k END, CASE WHEN n = 0 THEN '' ELSE i END, n / ?1 * ?2, 0 \
                 FROM (SELECT {key} AS k, c.id AS i, row_number() OVER (ORDER BY {key}, c.id) - 1 AS n FROM customers c) \
                 WHERE n % ?1 = 0"
            ),
            vec![Scalar::Int(bucket), Scalar::Int(spacing)],
        ));
        // With no customer, the one bucket every customer will fall in.
        statements.push((
            format!("INSERT OR IGNORE INTO sort_buckets (sort_order, key, id, bucket, size) VALUES ('{order}', '', '', 0, 0)"),
            vec![],
        ));
    }
    statements
}

/// The statements that add the customers `chosen` selects (a condition on a customer row `c`)
/// to every order's index, in the bucket its key falls in, in rowid order (FTS5 writes out what it
/// holds whenever a rowid comes below the last one: in seq order, whose buckets are in no order,
/// 20,000 customers took 27 s at 1,000,000), and count them into their buckets' sizes. The
/// cron's build (`build_chunk`) and the trigger that indexes the newest customers a few dozen at
/// a time (migrations/0031) run the same statements.
pub fn add_customers(chosen: &str) -> Vec<String> {
    let mut statements = Vec::new();
    for (order, table, key) in orders() {
        let bucket = bucket_of(order, key, "c.id");
        statements.push(format!(
            "INSERT INTO {table} (rowid, name, email, phone, company, handle) \
             SELECT {bucket} << 32 | c.seq AS r, {POSTED_COLUMNS} FROM customers c WHERE {chosen} \
             ORDER BY r"
        ));
        statements.push(format!(
            "UPDATE sort_buckets SET size = size + x.n FROM (SELECT {bucket} AS bucket, count(*) AS n FROM customers c \
             WHERE {chosen} GROUP BY 1) x WHERE sort_buckets.sort_order = '{order}' AND sort_buckets.bucket = x.bucket"
        ));
    }
    statements
}

/// The statements that move every customer in `last_seen_moved` to the bucket of last-seen order
/// its last visit took it to: its postings deleted where they are (`posted`, made from the text
/// the customer still has, since a change of text moves the postings at once) and added in its
/// bucket in rowid order, the sizes counted, the record emptied. The trigger of
/// migrations/0032 runs them when `MOVE_EVERY` are waiting, and the cron every minute.
pub fn move_the_seen() -> Vec<String> {
    let (order, table, key) = order_named(MOVED_ORDER);
    let bucket = bucket_of(order, key, "c.id");
    let moved = "last_seen_moved m CROSS JOIN customers c ON c.seq = m.seq";
    vec![
        format!(
            "UPDATE sort_buckets SET size = size - x.n FROM (SELECT m.posted >> 32 AS bucket, count(*) AS n FROM last_seen_moved m \
             GROUP BY 1) x WHERE sort_buckets.sort_order = '{order}' AND sort_buckets.bucket = x.bucket"
        ),
        format!(
            "INSERT INTO {table} ({table}, rowid, name, email, phone, company, handle) \
             SELECT 'delete', m.posted, {POSTED_COLUMNS} FROM {moved} ORDER BY m.posted"
        ),
        format!(
            "INSERT INTO {table} (rowid, name, email, phone, company, handle) \
             SELECT {bucket} << 32 | c.seq AS r, {POSTED_COLUMNS} FROM {moved} ORDER BY r"
        ),
        format!(
            "UPDATE sort_buckets SET size = size + x.n FROM (SELECT {bucket} AS bucket, count(*) AS n FROM {moved} \
             GROUP BY 1) x WHERE sort_buckets.sort_order = '{order}' AND sort_buckets.bucket = x.bucket"
        ),
        "DELETE FROM last_seen_moved".to_string(),
    ]
}

/// The customers with a seq from `from` up to `to` added to every order's index
/// (`add_customers`) and the state moved on, in one batch: to `to`, or past the newest customer
/// when the chunk held them all. Each statement does nothing unless the state is still `from`:
/// a build the cron started twice adds no customer twice.
pub fn build_chunk(from: i64, to: i64) -> Vec<Statement> {
    let binds = vec![Scalar::Int(from), Scalar::Int(to)];
    let chunk = "c.seq >= ?1 AND c.seq < ?2 AND (SELECT indexed_below FROM sorted_search) = ?1";
    let mut statements: Vec<Statement> = add_customers(chunk).into_iter().map(|sql| (sql, binds.clone())).collect();
    statements.push((
        "UPDATE sorted_search SET indexed_below = CASE WHEN EXISTS (SELECT 1 FROM customers WHERE seq >= ?2) \
         THEN ?2 ELSE max(?1, (SELECT coalesce(max(seq), -1) + 1 FROM customers)) END WHERE indexed_below = ?1"
            .to_string(),
        binds,
    ));
    statements
}

/// The buckets to split (more than twice `bucket` customers), largest first, at most
/// `SPLITS_A_MINUTE`, each with the number of the bucket after it: `sort_order`, `bucket`,
/// `size`, `next`.
pub fn oversized(bucket: i64) -> Statement {
    (
        "SELECT b.sort_order, b.bucket, b.size, (SELECT min(n.bucket) FROM sort_buckets n \
         WHERE n.sort_order = b.sort_order AND n.bucket > b.bucket) AS next \
         FROM sort_buckets b WHERE b.size > ?1 ORDER BY b.size DESC LIMIT ?2"
            .to_string(),
        vec![Scalar::Int(2 * bucket), Scalar::Int(SPLITS_A_MINUTE as i64)],
    )
}

/// One split, in one batch: bucket `bucket` of `order` (holding about `size`) gets a new bucket
/// numbered `new` after it, bounded below by its customer at `size - moved` in sort order, and
/// the customers from there on move to it: their postings deleted from the old bucket and added
/// to the new, the sizes counted again. The new bucket is marked (size -1) until counted, and
/// each statement after the first does nothing without the mark: a split whose bucket changed
/// since it was read (another bucket in between, fewer customers than the offset) makes none.
pub fn split(order: &str, bucket: i64, new: i64, size: i64, moved: i64) -> Vec<Statement> {
    let (_, table, key) = order_named(order);
    // The first statement alone reads the offset (D1 wants a value for each parameter up to
    // the last a statement names, and no more).
    let offset = vec![Scalar::Int(bucket), Scalar::Int(new), Scalar::Int(size - moved)];
    let binds = vec![Scalar::Int(bucket), Scalar::Int(new)];
    let old_range = in_bucket(order, key, "?1");
    // Only the customers in the indexes move and are counted: the newest few may not be yet
    // (`INDEXED`), and deleting postings a contentless index does not hold corrupts it.
    // Nor the customers a visit moved whose postings are still where they were (migrations/0032):
    // a split finds customers by their key, not by where their postings are.
    let waiting = if order == MOVED_ORDER { " AND c.seq NOT IN (SELECT seq FROM last_seen_moved)" } else { "" };
    let new_range = format!("{} AND {INDEXED}{waiting}", in_bucket(order, key, "?2"));
    let marked = format!("(SELECT size FROM sort_buckets WHERE sort_order = '{order}' AND bucket = ?2) = -1");
    vec![
        (
            format!(
                "INSERT INTO sort_buckets (sort_order, key, id, bucket, size) \
                 SELECT '{order}', k, i, ?2, -1 FROM (SELECT {key} AS k, c.id AS i FROM customers c WHERE {old_range} \
                 ORDER BY {key}, c.id LIMIT 1 OFFSET ?3) \
                 WHERE NOT EXISTS (SELECT 1 FROM sort_buckets WHERE sort_order = '{order}' AND bucket > ?1 AND bucket <= ?2)"
            ),
            offset,
        ),
        (
            format!(
                "INSERT INTO {table} ({table}, rowid, name, email, phone, company, handle) \
                 SELECT 'delete', ?1 << 32 | c.seq, {POSTED_COLUMNS} FROM customers c WHERE {new_range} AND {marked} ORDER BY c.seq"
            ),
            binds.clone(),
        ),
        (
            format!(
                "INSERT INTO {table} (rowid, name, email, phone, company, handle) \
                 SELECT ?2 << 32 | c.seq, {POSTED_COLUMNS} FROM customers c WHERE {new_range} AND {marked} ORDER BY c.seq"
            ),
            binds.clone(),
        ),
        (
            format!(
                "UPDATE sort_buckets SET size = size - (SELECT count(*) FROM customers c WHERE {new_range}) \
                 WHERE sort_order = '{order}' AND bucket = ?1 AND {marked}"
            ),
            binds.clone(),
        ),
        (
            format!(
                "UPDATE sort_buckets SET size = (SELECT count(*) FROM customers c WHERE {new_range}) \
                 WHERE sort_order = '{order}' AND bucket = ?2 AND size = -1"
            ),
            binds,
        ),
    ]
}

/// Whether customer `c` is in the per-order indexes: **exactly the customers with a seq below
/// `sorted_search.indexed_below` are**, each in the bucket its key falls in.
pub const INDEXED: &str = "c.seq < (SELECT indexed_below FROM sorted_search)";

/// The customers the trigger of migrations/0031 adds when a customer is inserted: those past
/// `sorted_search.indexed_below`, up to the one inserted (which stays out, so the triggers of
/// migrations/0028, which add a customer below the mark, never add it twice whatever order
/// the triggers fire in).
pub const NEWEST_BEFORE_IT: &str = "c.seq >= (SELECT indexed_below FROM sorted_search) AND c.seq < NEW.seq";

/// Back to the start: the cron numbers the buckets again, then builds (`number_buckets`).
pub fn rebuild() -> Statement {
    ("UPDATE sorted_search SET indexed_below = -1".to_string(), vec![])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_split_shares_the_room_up_to_the_next_bucket_by_the_customers_on_each_side() {
        assert_eq!(split_number(1000, Some(2000), 600, 200), Some(1666));
        assert_eq!(split_number(1000, Some(2000), 512, 256), Some(1500));
    }

    #[test]
    fn a_split_off_the_last_bucket_keeps_the_rest_of_the_numbers_for_later() {
        assert_eq!(split_number(0, None, 512, 256), Some(256 * APPENDED_ROOM));
        // Near the end of the numbers, half of what is left.
        assert_eq!(split_number(BUCKET_LIMIT - 100, None, 512, 256), Some(BUCKET_LIMIT - 50));
    }

    #[test]
    fn no_split_where_no_number_is_left_between_two_buckets() {
        assert_eq!(split_number(1000, Some(1001), 600, 300), None);
        assert_eq!(split_number(BUCKET_LIMIT - 1, None, 600, 300), None);
    }

    #[test]
    fn numbers_stay_below_the_limit_for_any_size() {
        let n = split_number(0, Some(BUCKET_LIMIT), i64::from(u32::MAX), 2048).unwrap();
        assert!(n > 0 && n < BUCKET_LIMIT);
    }

    #[test]
    fn a_split_moves_half_a_bucket_but_never_more_than_max_move() {
        assert_eq!(moved(600), 300);
        assert_eq!(moved(100_000), MAX_MOVE);
    }

    #[test]
    fn every_statement_after_a_splits_first_needs_its_mark() {
        let statements = split("name", 0, 1500, 600, 300);
        assert!(statements[0].0.contains("-1 FROM"));
        for (sql, _) in &statements[1..] {
            assert!(sql.contains("= -1"), "{sql}");
        }
    }

    #[test]
    fn a_split_moves_the_customers_of_the_new_bucket_by_the_sort_indexs_key() {
        let statements = split("email", 0, 1500, 600, 300);
        assert!(statements[1].0.contains("customers_by_email"));
        assert!(statements[1].0.contains(
            "coalesce(c.email_normalized, '') > ((SELECT key FROM sort_buckets WHERE sort_order = 'email' AND bucket = ?2) || '')"
        ));
    }

    #[test]
    fn a_chunk_adds_nothing_once_the_state_moved_on() {
        for (sql, binds) in build_chunk(0, 20_000) {
            assert!(sql.contains("= ?1"), "{sql}");
            assert_eq!(binds, vec![Scalar::Int(0), Scalar::Int(20_000)]);
        }
    }

    /// The trigger that indexes the newest customers runs the build's own statements, and no
    /// more than pages read beside the indexes.
    #[test]
    fn the_newest_are_indexed_by_the_builds_statements() {
        if std::env::var("PRINT_TRIGGER").is_ok() {
            add_customers(NEWEST_BEFORE_IT)
                .iter()
                .for_each(|sql| println!("    {};", sql.split_whitespace().collect::<Vec<_>>().join(" ")));
        }
        let migration = include_str!("../../migrations/0031_index_the_newest_together.sql");
        let flat = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        let trigger = flat(migration);
        for sql in add_customers(NEWEST_BEFORE_IT) {
            assert!(trigger.contains(&flat(&sql)), "{sql}");
        }
        let when = format!("BETWEEN {INDEX_EVERY} AND {UNINDEXED_MAX}");
        assert!(trigger.contains(&when), "{when}");
    }

    /// The trigger that moves the customers visits moved runs the cron's own statements.
    #[test]
    fn the_seen_are_moved_by_the_crons_statements() {
        let migration = include_str!("../../migrations/0032_move_the_seen_together.sql");
        let flat = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        if std::env::var("PRINT_TRIGGER").is_ok() {
            move_the_seen().iter().for_each(|sql| println!("    {};", flat(sql)));
        }
        let trigger = flat(migration);
        for sql in move_the_seen() {
            assert!(trigger.contains(&flat(&sql)), "{sql}");
        }
        assert!(trigger.contains(&format!("(SELECT count(*) FROM last_seen_moved) >= {MOVE_EVERY}")));
    }

    #[test]
    fn a_split_of_last_seen_order_leaves_the_customers_whose_postings_wait() {
        for (n, (sql, _)) in split("last_seen", 0, 1500, 600, 300).iter().enumerate().skip(1) {
            assert!(sql.contains("c.seq NOT IN (SELECT seq FROM last_seen_moved)"), "statement {n}: {sql}");
        }
        assert!(!split("name", 0, 1500, 600, 300)[1].0.contains("last_seen_moved"));
    }

    #[test]
    fn numbering_spreads_the_buckets_over_the_numbers() {
        let statements = number_buckets(1_000_000, 256);
        let (_, binds) = statements.iter().find(|(sql, _)| sql.contains("row_number")).unwrap();
        let Scalar::Int(spacing) = binds[1] else { panic!() };
        assert!(spacing * (1_000_000 / 256 + 1) < BUCKET_LIMIT);
        assert!(spacing > 100_000);
    }
}
