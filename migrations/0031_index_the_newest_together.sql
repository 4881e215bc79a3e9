-- The newest customers wait out of the per-order trigram indexes (migrations/0028) and go in a
-- few dozen at a time. Each customer a visit created went into three more trigram indexes in the
-- visit's own write, one FTS5 segment each: at 1,200,000 customers a burst of first visits got
-- a third fewer through, its slowest 5% waiting 2.7 times as long (`make bench-visits`). Added
-- together, sorted by rowid, 64 customers make one segment in each.
--
-- **Exactly the customers with a seq below `sorted_search.indexed_below` are in the per-order
-- indexes** (storage::bucket_sql, `INDEXED`). The triggers of 0028 add a customer inserted below
-- the mark; one inserted past it waits. When 64 wait (`bucket_sql::INDEX_EVERY`), the insert of
-- the next adds them all, with the build's own statements (`bucket_sql::add_customers`; a unit
-- test holds this text to them), and moves the mark up to itself: it stays out, so no trigger
-- adds it twice, whichever fires first. Pages read the customers past the mark from creation
-- order's trigram index (storage::customer_sql, `bucketed_sql`). More than 1,000 past it
-- (`UNINDEXED_MAX`: the cron building the indexes from the start) is the cron's to add, a chunk
-- a minute, and pages walk meanwhile.
--
-- `indexed_below` was 2^62 once the indexes held everyone: the mark is now just past the newest
-- customer.
UPDATE sorted_search SET indexed_below = (SELECT coalesce(max(seq), -1) + 1 FROM customers)
WHERE indexed_below = 4611686018427387904;

CREATE TRIGGER customers_index_the_newest AFTER INSERT ON customers
WHEN (SELECT indexed_below FROM sorted_search) >= 0
 AND NEW.seq - (SELECT indexed_below FROM sorted_search) BETWEEN 64 AND 1000 BEGIN
    INSERT INTO customers_by_name (rowid, name, email, phone, company, handle)
        SELECT coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'name' AND b.key = lower(coalesce(c.name, c.email_normalized, '')) AND b.id <= c.id ORDER BY b.id DESC LIMIT 1),
        (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'name' AND b.key < lower(coalesce(c.name, c.email_normalized, '')) ORDER BY b.key DESC, b.id DESC LIMIT 1))
        << 32 | c.seq AS r, c.name, c.email, c.phone, c.company, c.handle
        FROM customers c WHERE c.seq >= (SELECT indexed_below FROM sorted_search) AND c.seq < NEW.seq
        ORDER BY r;
    UPDATE sort_buckets SET size = size + x.n
        FROM (SELECT coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'name' AND b.key = lower(coalesce(c.name, c.email_normalized, '')) AND b.id <= c.id ORDER BY b.id DESC LIMIT 1),
        (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'name' AND b.key < lower(coalesce(c.name, c.email_normalized, '')) ORDER BY b.key DESC, b.id DESC LIMIT 1))
        AS bucket, count(*) AS n
        FROM customers c WHERE c.seq >= (SELECT indexed_below FROM sorted_search) AND c.seq < NEW.seq
        GROUP BY 1) x WHERE sort_buckets.sort_order = 'name' AND sort_buckets.bucket = x.bucket;
    INSERT INTO customers_by_email (rowid, name, email, phone, company, handle)
        SELECT coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'email' AND b.key = coalesce(c.email_normalized, '') AND b.id <= c.id ORDER BY b.id DESC LIMIT 1),
        (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'email' AND b.key < coalesce(c.email_normalized, '') ORDER BY b.key DESC, b.id DESC LIMIT 1))
        << 32 | c.seq AS r, c.name, c.email, c.phone, c.company, c.handle
        FROM customers c WHERE c.seq >= (SELECT indexed_below FROM sorted_search) AND c.seq < NEW.seq
        ORDER BY r;
    UPDATE sort_buckets SET size = size + x.n
        FROM (SELECT coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'email' AND b.key = coalesce(c.email_normalized, '') AND b.id <= c.id ORDER BY b.id DESC LIMIT 1),
        (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'email' AND b.key < coalesce(c.email_normalized, '') ORDER BY b.key DESC, b.id DESC LIMIT 1))
        AS bucket, count(*) AS n
        FROM customers c WHERE c.seq >= (SELECT indexed_below FROM sorted_search) AND c.seq < NEW.seq
        GROUP BY 1) x WHERE sort_buckets.sort_order = 'email' AND sort_buckets.bucket = x.bucket;
    INSERT INTO customers_by_last_seen (rowid, name, email, phone, company, handle)
        SELECT coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key = coalesce(c.last_seen_at, '') AND b.id <= c.id ORDER BY b.id DESC LIMIT 1),
        (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key < coalesce(c.last_seen_at, '') ORDER BY b.key DESC, b.id DESC LIMIT 1))
        << 32 | c.seq AS r, c.name, c.email, c.phone, c.company, c.handle
        FROM customers c WHERE c.seq >= (SELECT indexed_below FROM sorted_search) AND c.seq < NEW.seq
        ORDER BY r;
    UPDATE sort_buckets SET size = size + x.n
        FROM (SELECT coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key = coalesce(c.last_seen_at, '') AND b.id <= c.id ORDER BY b.id DESC LIMIT 1),
        (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key < coalesce(c.last_seen_at, '') ORDER BY b.key DESC, b.id DESC LIMIT 1))
        AS bucket, count(*) AS n
        FROM customers c WHERE c.seq >= (SELECT indexed_below FROM sorted_search) AND c.seq < NEW.seq
        GROUP BY 1) x WHERE sort_buckets.sort_order = 'last_seen' AND sort_buckets.bucket = x.bucket;
    UPDATE sorted_search SET indexed_below = NEW.seq;
END;
