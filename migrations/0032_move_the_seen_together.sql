-- A visit that takes a customer to another bucket of last-seen order (the first visit of an
-- imported contact: from the never-seen end to the newest bucket) no longer moves its postings in
-- the visit's own write. That move, an FTS5 delete and insert, cost such a visit 1.1 ms more of
-- D1 at 120,000 customers and 1.8 at 1,200,000: a third fewer through in a burst
-- (`make bench-visits`). The visit records the customer in `last_seen_moved` with the rowid its
-- postings still have; the record of the 64th (`bucket_sql::MOVE_EVERY`) moves them all, sorted
-- by rowid, one FTS5 segment for the lot, and so does the cron every minute
-- (`bucket_sql::move_the_seen`, a unit test holds this text to it).
--
-- **A customer in the per-order indexes has its postings in last-seen order at `posted` when it
-- is in `last_seen_moved`, else in the bucket its key falls in.** A bucketed page sorted by last
-- seen leaves those postings out and tests the customers of `last_seen_moved` directly
-- (storage::customer_sql, `bucketed_sql`); a split leaves them where they are
-- (storage::bucket_sql, `split`). A change of text, or a delete, takes the postings from where
-- they are, and a change of text puts them in the customer's bucket at once, as before.
CREATE TABLE last_seen_moved (
    seq    INTEGER PRIMARY KEY, -- the customer's
    posted INTEGER NOT NULL     -- the rowid of its postings in customers_by_last_seen
);

DROP TRIGGER customers_by_last_seen_update;
DROP TRIGGER customers_by_last_seen_delete;

CREATE TRIGGER customers_by_last_seen_delete AFTER DELETE ON customers
WHEN OLD.seq < (SELECT indexed_below FROM sorted_search) BEGIN
    UPDATE sort_buckets SET size = size - 1 WHERE sort_order = 'last_seen' AND bucket = coalesce((SELECT m.posted FROM last_seen_moved m WHERE m.seq = OLD.seq),
             coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key = coalesce(OLD.last_seen_at, '') AND b.id <= OLD.id ORDER BY b.id DESC LIMIT 1),
             (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key < coalesce(OLD.last_seen_at, '') ORDER BY b.key DESC, b.id DESC LIMIT 1)) << 32 | OLD.seq) >> 32;
    INSERT INTO customers_by_last_seen (customers_by_last_seen, rowid, name, email, phone, company, handle)
    VALUES ('delete', coalesce((SELECT m.posted FROM last_seen_moved m WHERE m.seq = OLD.seq),
             coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key = coalesce(OLD.last_seen_at, '') AND b.id <= OLD.id ORDER BY b.id DESC LIMIT 1),
             (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key < coalesce(OLD.last_seen_at, '') ORDER BY b.key DESC, b.id DESC LIMIT 1)) << 32 | OLD.seq),
            OLD.name, OLD.email, OLD.phone, OLD.company, OLD.handle);
    DELETE FROM last_seen_moved WHERE seq = OLD.seq;
END;

-- A change of text: the postings go from where they are to the customer's bucket, now.
CREATE TRIGGER customers_by_last_seen_update AFTER UPDATE OF name, email, email_normalized, phone, company, handle, last_seen_at ON customers
WHEN OLD.seq < (SELECT indexed_below FROM sorted_search) AND (OLD.name IS NOT NEW.name OR OLD.email IS NOT NEW.email OR OLD.phone IS NOT NEW.phone
    OR OLD.company IS NOT NEW.company OR OLD.handle IS NOT NEW.handle) BEGIN
    UPDATE sort_buckets SET size = size - 1 WHERE sort_order = 'last_seen' AND bucket = coalesce((SELECT m.posted FROM last_seen_moved m WHERE m.seq = OLD.seq),
             coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key = coalesce(OLD.last_seen_at, '') AND b.id <= OLD.id ORDER BY b.id DESC LIMIT 1),
             (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key < coalesce(OLD.last_seen_at, '') ORDER BY b.key DESC, b.id DESC LIMIT 1)) << 32 | OLD.seq) >> 32;
    INSERT INTO customers_by_last_seen (customers_by_last_seen, rowid, name, email, phone, company, handle)
    VALUES ('delete', coalesce((SELECT m.posted FROM last_seen_moved m WHERE m.seq = OLD.seq),
             coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key = coalesce(OLD.last_seen_at, '') AND b.id <= OLD.id ORDER BY b.id DESC LIMIT 1),
             (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key < coalesce(OLD.last_seen_at, '') ORDER BY b.key DESC, b.id DESC LIMIT 1)) << 32 | OLD.seq),
            OLD.name, OLD.email, OLD.phone, OLD.company, OLD.handle);
    DELETE FROM last_seen_moved WHERE seq = OLD.seq;
    INSERT INTO customers_by_last_seen (rowid, name, email, phone, company, handle)
    VALUES (coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key = coalesce(NEW.last_seen_at, '') AND b.id <= NEW.id ORDER BY b.id DESC LIMIT 1),
             (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key < coalesce(NEW.last_seen_at, '') ORDER BY b.key DESC, b.id DESC LIMIT 1)) << 32 | NEW.seq,
            NEW.name, NEW.email, NEW.phone, NEW.company, NEW.handle);
    UPDATE sort_buckets SET size = size + 1 WHERE sort_order = 'last_seen' AND bucket = coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key = coalesce(NEW.last_seen_at, '') AND b.id <= NEW.id ORDER BY b.id DESC LIMIT 1),
             (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key < coalesce(NEW.last_seen_at, '') ORDER BY b.key DESC, b.id DESC LIMIT 1));
END;

-- A visit alone (the text as it was) that changes the customer's bucket: recorded, the postings
-- left where they are. A customer recorded already keeps the rowid it was recorded with (a NOT
-- EXISTS rather than OR IGNORE, which an outer statement's own conflict policy would override).
CREATE TRIGGER customers_by_last_seen_visit AFTER UPDATE OF last_seen_at ON customers
WHEN OLD.seq < (SELECT indexed_below FROM sorted_search) AND NOT (OLD.name IS NOT NEW.name OR OLD.email IS NOT NEW.email OR OLD.phone IS NOT NEW.phone
    OR OLD.company IS NOT NEW.company OR OLD.handle IS NOT NEW.handle)
AND coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key = coalesce(OLD.last_seen_at, '') AND b.id <= OLD.id ORDER BY b.id DESC LIMIT 1),
             (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key < coalesce(OLD.last_seen_at, '') ORDER BY b.key DESC, b.id DESC LIMIT 1))
    IS NOT coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key = coalesce(NEW.last_seen_at, '') AND b.id <= NEW.id ORDER BY b.id DESC LIMIT 1),
             (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key < coalesce(NEW.last_seen_at, '') ORDER BY b.key DESC, b.id DESC LIMIT 1)) BEGIN
    INSERT INTO last_seen_moved (seq, posted) SELECT OLD.seq, coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key = coalesce(OLD.last_seen_at, '') AND b.id <= OLD.id ORDER BY b.id DESC LIMIT 1),
             (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key < coalesce(OLD.last_seen_at, '') ORDER BY b.key DESC, b.id DESC LIMIT 1)) << 32 | OLD.seq
    WHERE NOT EXISTS (SELECT 1 FROM last_seen_moved WHERE seq = OLD.seq);
END;

CREATE TRIGGER last_seen_moved_together AFTER INSERT ON last_seen_moved
WHEN (SELECT count(*) FROM last_seen_moved) >= 64 BEGIN
    UPDATE sort_buckets SET size = size - x.n
        FROM (SELECT m.posted >> 32 AS bucket, count(*) AS n FROM last_seen_moved m
        GROUP BY 1) x WHERE sort_buckets.sort_order = 'last_seen' AND sort_buckets.bucket = x.bucket;
    INSERT INTO customers_by_last_seen (customers_by_last_seen, rowid, name, email, phone, company, handle)
        SELECT 'delete', m.posted, c.name, c.email, c.phone, c.company, c.handle
        FROM last_seen_moved m CROSS JOIN customers c ON c.seq = m.seq
        ORDER BY m.posted;
    INSERT INTO customers_by_last_seen (rowid, name, email, phone, company, handle)
        SELECT coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key = coalesce(c.last_seen_at, '') AND b.id <= c.id ORDER BY b.id DESC LIMIT 1),
        (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key < coalesce(c.last_seen_at, '') ORDER BY b.key DESC, b.id DESC LIMIT 1))
        << 32 | c.seq AS r, c.name, c.email, c.phone, c.company, c.handle
        FROM last_seen_moved m CROSS JOIN customers c ON c.seq = m.seq
        ORDER BY r;
    UPDATE sort_buckets SET size = size + x.n
        FROM (SELECT coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key = coalesce(c.last_seen_at, '') AND b.id <= c.id ORDER BY b.id DESC LIMIT 1),
        (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key < coalesce(c.last_seen_at, '') ORDER BY b.key DESC, b.id DESC LIMIT 1)) AS bucket, count(*) AS n
        FROM last_seen_moved m CROSS JOIN customers c ON c.seq = m.seq
        GROUP BY 1) x WHERE sort_buckets.sort_order = 'last_seen' AND sort_buckets.bucket = x.bucket;
    DELETE FROM last_seen_moved;
END;
