-- The trigram index once more for each order but creation (name, email, last seen), its rowids
-- numbered so that reading them in rowid order is reading that sort order a bucket at a time
-- (storage::customer_sql, `PagePlan::Bucketed`). A bucket is a range of the order's keys,
-- (key, id) from its lower bound up to the next bucket's; a customer's rowid in an order's
-- index is its bucket's number shifted past its seq (`bucket << 32 | seq`). So the index lists a
-- search's matches bucket by bucket in sort order, either way, and a page reads the matches of
-- the buckets up to the one that holds its last row, then sorts them: behind any block of
-- customers that do not match, a page costs its own buckets, where the walk of the sort order
-- costs every index entry in front of it (issue 27: 128 to 217 ms a page behind 1,100,000).
-- Measured as a prototype in SQLite at 1,200,000 customers: 46 bytes a customer each, 1 to 8 ms
-- for the first page at every position.
--
-- **Every customer indexed in an order sits in the bucket its key falls in, in every order**:
-- the triggers below move it when its key changes, and a split (storage::sorted_search) moves
-- the customers past the new bound in the same batch. Buckets are kept near
-- `sorted_search.bucket` customers by splits, which the cron makes (storage::bucket_sql); their
-- numbers leave room between them for splits, in proportion to their size.

-- Each order's buckets: the lower bound (key, id) of each, its number, and how many customers
-- it holds (for the cron's splits). The first bucket's bound is ('', ''), below every customer.
CREATE TABLE sort_buckets (
    sort_order TEXT NOT NULL,    -- 'name', 'email', 'last_seen'
    key        TEXT NOT NULL,
    id         TEXT NOT NULL,
    bucket     INTEGER NOT NULL, -- below 2^31: the rowid's high half
    size       INTEGER NOT NULL,
    PRIMARY KEY (sort_order, key, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX sort_buckets_number ON sort_buckets (sort_order, bucket);

-- How far the indexes are built: every customer with a smaller seq is in all three, and the
-- triggers keep exactly those. 0 to 2^62: the cron is building them a chunk at a time
-- (pages walk the sort order meanwhile); 2^62: built, every customer is in them; -1: to be
-- built from the start (the cron numbers the buckets from the customers here, then builds).
-- `bucket`: the customers the cron numbers a bucket with and splits one back to. A page reads
-- every candidate of the bucket its last row is in, so a page of matches found everywhere costs
-- about that many rows more than a walk would; fewer means more buckets and more splits. The
-- tests set it to a few, so their few customers fill many buckets.
CREATE TABLE sorted_search (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    indexed_below INTEGER NOT NULL,
    bucket        INTEGER NOT NULL DEFAULT 256 CHECK (bucket >= 1)
);
INSERT INTO sorted_search (id, indexed_below)
    SELECT 1, CASE WHEN EXISTS (SELECT 1 FROM customers) THEN -1 ELSE 1 << 62 END;
INSERT INTO sort_buckets (sort_order, key, id, bucket, size)
    SELECT o.column1, '', '', 0, 0 FROM (VALUES ('name'), ('email'), ('last_seen')) o
    WHERE NOT EXISTS (SELECT 1 FROM customers);

-- The same text as customers_search (migrations/0016), kept by the triggers (contentless: a
-- customer's postings are deleted with the values they were made from).
CREATE VIRTUAL TABLE customers_by_name USING fts5(
    name, email, phone, company, handle,
    content = '', tokenize = 'trigram', detail = 'none', columnsize = 0
);
CREATE VIRTUAL TABLE customers_by_email USING fts5(
    name, email, phone, company, handle,
    content = '', tokenize = 'trigram', detail = 'none', columnsize = 0
);
CREATE VIRTUAL TABLE customers_by_last_seen USING fts5(
    name, email, phone, company, handle,
    content = '', tokenize = 'trigram', detail = 'none', columnsize = 0
);

-- Each order's key is the sort index's (migrations/0027; storage::customer_sql, sort_key_sql);
-- a customer's bucket is the last whose bound is at or below (key, id): the last at or below
-- its id among the bounds on its key, else the last below its key (two seeks: as one row value,
-- SQLite seeks on the key alone and walks every bound tied with it; storage::customer_sql,
-- bucket_of, writes the same).

CREATE TRIGGER customers_by_name_insert AFTER INSERT ON customers
WHEN NEW.seq < (SELECT indexed_below FROM sorted_search) BEGIN
    INSERT INTO customers_by_name (rowid, name, email, phone, company, handle)
    VALUES (coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'name' AND b.key = lower(coalesce(NEW.name, NEW.email_normalized, '')) AND b.id <= NEW.id ORDER BY b.id DESC LIMIT 1),
             (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'name' AND b.key < lower(coalesce(NEW.name, NEW.email_normalized, '')) ORDER BY b.key DESC, b.id DESC LIMIT 1)) << 32 | NEW.seq,
            NEW.name, NEW.email, NEW.phone, NEW.company, NEW.handle);
    UPDATE sort_buckets SET size = size + 1 WHERE sort_order = 'name' AND bucket = coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'name' AND b.key = lower(coalesce(NEW.name, NEW.email_normalized, '')) AND b.id <= NEW.id ORDER BY b.id DESC LIMIT 1),
             (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'name' AND b.key < lower(coalesce(NEW.name, NEW.email_normalized, '')) ORDER BY b.key DESC, b.id DESC LIMIT 1));
END;

CREATE TRIGGER customers_by_name_delete AFTER DELETE ON customers
WHEN OLD.seq < (SELECT indexed_below FROM sorted_search) BEGIN
    UPDATE sort_buckets SET size = size - 1 WHERE sort_order = 'name' AND bucket = coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'name' AND b.key = lower(coalesce(OLD.name, OLD.email_normalized, '')) AND b.id <= OLD.id ORDER BY b.id DESC LIMIT 1),
             (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'name' AND b.key < lower(coalesce(OLD.name, OLD.email_normalized, '')) ORDER BY b.key DESC, b.id DESC LIMIT 1));
    INSERT INTO customers_by_name (customers_by_name, rowid, name, email, phone, company, handle)
    VALUES ('delete', coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'name' AND b.key = lower(coalesce(OLD.name, OLD.email_normalized, '')) AND b.id <= OLD.id ORDER BY b.id DESC LIMIT 1),
             (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'name' AND b.key < lower(coalesce(OLD.name, OLD.email_normalized, '')) ORDER BY b.key DESC, b.id DESC LIMIT 1)) << 32 | OLD.seq,
            OLD.name, OLD.email, OLD.phone, OLD.company, OLD.handle);
END;

CREATE TRIGGER customers_by_name_update AFTER UPDATE OF name, email, email_normalized, phone, company, handle ON customers
WHEN OLD.seq < (SELECT indexed_below FROM sorted_search) BEGIN
    UPDATE sort_buckets SET size = size - 1 WHERE sort_order = 'name' AND bucket = coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'name' AND b.key = lower(coalesce(OLD.name, OLD.email_normalized, '')) AND b.id <= OLD.id ORDER BY b.id DESC LIMIT 1),
             (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'name' AND b.key < lower(coalesce(OLD.name, OLD.email_normalized, '')) ORDER BY b.key DESC, b.id DESC LIMIT 1));
    INSERT INTO customers_by_name (customers_by_name, rowid, name, email, phone, company, handle)
    VALUES ('delete', coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'name' AND b.key = lower(coalesce(OLD.name, OLD.email_normalized, '')) AND b.id <= OLD.id ORDER BY b.id DESC LIMIT 1),
             (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'name' AND b.key < lower(coalesce(OLD.name, OLD.email_normalized, '')) ORDER BY b.key DESC, b.id DESC LIMIT 1)) << 32 | OLD.seq,
            OLD.name, OLD.email, OLD.phone, OLD.company, OLD.handle);
    INSERT INTO customers_by_name (rowid, name, email, phone, company, handle)
    VALUES (coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'name' AND b.key = lower(coalesce(NEW.name, NEW.email_normalized, '')) AND b.id <= NEW.id ORDER BY b.id DESC LIMIT 1),
             (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'name' AND b.key < lower(coalesce(NEW.name, NEW.email_normalized, '')) ORDER BY b.key DESC, b.id DESC LIMIT 1)) << 32 | NEW.seq,
            NEW.name, NEW.email, NEW.phone, NEW.company, NEW.handle);
    UPDATE sort_buckets SET size = size + 1 WHERE sort_order = 'name' AND bucket = coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'name' AND b.key = lower(coalesce(NEW.name, NEW.email_normalized, '')) AND b.id <= NEW.id ORDER BY b.id DESC LIMIT 1),
             (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'name' AND b.key < lower(coalesce(NEW.name, NEW.email_normalized, '')) ORDER BY b.key DESC, b.id DESC LIMIT 1));
END;

CREATE TRIGGER customers_by_email_insert AFTER INSERT ON customers
WHEN NEW.seq < (SELECT indexed_below FROM sorted_search) BEGIN
    INSERT INTO customers_by_email (rowid, name, email, phone, company, handle)
    VALUES (coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'email' AND b.key = coalesce(NEW.email_normalized, '') AND b.id <= NEW.id ORDER BY b.id DESC LIMIT 1),
             (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'email' AND b.key < coalesce(NEW.email_normalized, '') ORDER BY b.key DESC, b.id DESC LIMIT 1)) << 32 | NEW.seq,
            NEW.name, NEW.email, NEW.phone, NEW.company, NEW.handle);
    UPDATE sort_buckets SET size = size + 1 WHERE sort_order = 'email' AND bucket = coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'email' AND b.key = coalesce(NEW.email_normalized, '') AND b.id <= NEW.id ORDER BY b.id DESC LIMIT 1),
             (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'email' AND b.key < coalesce(NEW.email_normalized, '') ORDER BY b.key DESC, b.id DESC LIMIT 1));
END;

CREATE TRIGGER customers_by_email_delete AFTER DELETE ON customers
WHEN OLD.seq < (SELECT indexed_below FROM sorted_search) BEGIN
    UPDATE sort_buckets SET size = size - 1 WHERE sort_order = 'email' AND bucket = coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'email' AND b.key = coalesce(OLD.email_normalized, '') AND b.id <= OLD.id ORDER BY b.id DESC LIMIT 1),
             (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'email' AND b.key < coalesce(OLD.email_normalized, '') ORDER BY b.key DESC, b.id DESC LIMIT 1));
    INSERT INTO customers_by_email (customers_by_email, rowid, name, email, phone, company, handle)
    VALUES ('delete', coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'email' AND b.key = coalesce(OLD.email_normalized, '') AND b.id <= OLD.id ORDER BY b.id DESC LIMIT 1),
             (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'email' AND b.key < coalesce(OLD.email_normalized, '') ORDER BY b.key DESC, b.id DESC LIMIT 1)) << 32 | OLD.seq,
            OLD.name, OLD.email, OLD.phone, OLD.company, OLD.handle);
END;

CREATE TRIGGER customers_by_email_update AFTER UPDATE OF name, email, email_normalized, phone, company, handle ON customers
WHEN OLD.seq < (SELECT indexed_below FROM sorted_search) BEGIN
    UPDATE sort_buckets SET size = size - 1 WHERE sort_order = 'email' AND bucket = coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'email' AND b.key = coalesce(OLD.email_normalized, '') AND b.id <= OLD.id ORDER BY b.id DESC LIMIT 1),
             (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'email' AND b.key < coalesce(OLD.email_normalized, '') ORDER BY b.key DESC, b.id DESC LIMIT 1));
    INSERT INTO customers_by_email (customers_by_email, rowid, name, email, phone, company, handle)
    VALUES ('delete', coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'email' AND b.key = coalesce(OLD.email_normalized, '') AND b.id <= OLD.id ORDER BY b.id DESC LIMIT 1),
             (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'email' AND b.key < coalesce(OLD.email_normalized, '') ORDER BY b.key DESC, b.id DESC LIMIT 1)) << 32 | OLD.seq,
            OLD.name, OLD.email, OLD.phone, OLD.company, OLD.handle);
    INSERT INTO customers_by_email (rowid, name, email, phone, company, handle)
    VALUES (coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'email' AND b.key = coalesce(NEW.email_normalized, '') AND b.id <= NEW.id ORDER BY b.id DESC LIMIT 1),
             (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'email' AND b.key < coalesce(NEW.email_normalized, '') ORDER BY b.key DESC, b.id DESC LIMIT 1)) << 32 | NEW.seq,
            NEW.name, NEW.email, NEW.phone, NEW.company, NEW.handle);
    UPDATE sort_buckets SET size = size + 1 WHERE sort_order = 'email' AND bucket = coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'email' AND b.key = coalesce(NEW.email_normalized, '') AND b.id <= NEW.id ORDER BY b.id DESC LIMIT 1),
             (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'email' AND b.key < coalesce(NEW.email_normalized, '') ORDER BY b.key DESC, b.id DESC LIMIT 1));
END;

CREATE TRIGGER customers_by_last_seen_insert AFTER INSERT ON customers
WHEN NEW.seq < (SELECT indexed_below FROM sorted_search) BEGIN
    INSERT INTO customers_by_last_seen (rowid, name, email, phone, company, handle)
    VALUES (coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key = coalesce(NEW.last_seen_at, '') AND b.id <= NEW.id ORDER BY b.id DESC LIMIT 1),
             (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key < coalesce(NEW.last_seen_at, '') ORDER BY b.key DESC, b.id DESC LIMIT 1)) << 32 | NEW.seq,
            NEW.name, NEW.email, NEW.phone, NEW.company, NEW.handle);
    UPDATE sort_buckets SET size = size + 1 WHERE sort_order = 'last_seen' AND bucket = coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key = coalesce(NEW.last_seen_at, '') AND b.id <= NEW.id ORDER BY b.id DESC LIMIT 1),
             (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key < coalesce(NEW.last_seen_at, '') ORDER BY b.key DESC, b.id DESC LIMIT 1));
END;

CREATE TRIGGER customers_by_last_seen_delete AFTER DELETE ON customers
WHEN OLD.seq < (SELECT indexed_below FROM sorted_search) BEGIN
    UPDATE sort_buckets SET size = size - 1 WHERE sort_order = 'last_seen' AND bucket = coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key = coalesce(OLD.last_seen_at, '') AND b.id <= OLD.id ORDER BY b.id DESC LIMIT 1),
             (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key < coalesce(OLD.last_seen_at, '') ORDER BY b.key DESC, b.id DESC LIMIT 1));
    INSERT INTO customers_by_last_seen (customers_by_last_seen, rowid, name, email, phone, company, handle)
    VALUES ('delete', coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key = coalesce(OLD.last_seen_at, '') AND b.id <= OLD.id ORDER BY b.id DESC LIMIT 1),
             (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key < coalesce(OLD.last_seen_at, '') ORDER BY b.key DESC, b.id DESC LIMIT 1)) << 32 | OLD.seq,
            OLD.name, OLD.email, OLD.phone, OLD.company, OLD.handle);
END;

-- A visit moves last_seen_at on every interaction: the postings move only when the customer
-- changes bucket or its text changes (a visit of a customer already in the newest bucket,
-- which holds the recently seen, costs two lookups of sort_buckets).
CREATE TRIGGER customers_by_last_seen_update AFTER UPDATE OF name, email, email_normalized, phone, company, handle, last_seen_at ON customers
WHEN OLD.seq < (SELECT indexed_below FROM sorted_search) AND (
    OLD.name IS NOT NEW.name OR OLD.email IS NOT NEW.email OR OLD.phone IS NOT NEW.phone
    OR OLD.company IS NOT NEW.company OR OLD.handle IS NOT NEW.handle
    OR coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key = coalesce(OLD.last_seen_at, '') AND b.id <= OLD.id ORDER BY b.id DESC LIMIT 1),
             (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key < coalesce(OLD.last_seen_at, '') ORDER BY b.key DESC, b.id DESC LIMIT 1))
       IS NOT coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key = coalesce(NEW.last_seen_at, '') AND b.id <= NEW.id ORDER BY b.id DESC LIMIT 1),
             (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key < coalesce(NEW.last_seen_at, '') ORDER BY b.key DESC, b.id DESC LIMIT 1))
) BEGIN
    UPDATE sort_buckets SET size = size - 1 WHERE sort_order = 'last_seen' AND bucket = coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key = coalesce(OLD.last_seen_at, '') AND b.id <= OLD.id ORDER BY b.id DESC LIMIT 1),
             (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key < coalesce(OLD.last_seen_at, '') ORDER BY b.key DESC, b.id DESC LIMIT 1));
    INSERT INTO customers_by_last_seen (customers_by_last_seen, rowid, name, email, phone, company, handle)
    VALUES ('delete', coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key = coalesce(OLD.last_seen_at, '') AND b.id <= OLD.id ORDER BY b.id DESC LIMIT 1),
             (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key < coalesce(OLD.last_seen_at, '') ORDER BY b.key DESC, b.id DESC LIMIT 1)) << 32 | OLD.seq,
            OLD.name, OLD.email, OLD.phone, OLD.company, OLD.handle);
    INSERT INTO customers_by_last_seen (rowid, name, email, phone, company, handle)
    VALUES (coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key = coalesce(NEW.last_seen_at, '') AND b.id <= NEW.id ORDER BY b.id DESC LIMIT 1),
             (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key < coalesce(NEW.last_seen_at, '') ORDER BY b.key DESC, b.id DESC LIMIT 1)) << 32 | NEW.seq,
            NEW.name, NEW.email, NEW.phone, NEW.company, NEW.handle);
    UPDATE sort_buckets SET size = size + 1 WHERE sort_order = 'last_seen' AND bucket = coalesce((SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key = coalesce(NEW.last_seen_at, '') AND b.id <= NEW.id ORDER BY b.id DESC LIMIT 1),
             (SELECT b.bucket FROM sort_buckets b WHERE b.sort_order = 'last_seen' AND b.key < coalesce(NEW.last_seen_at, '') ORDER BY b.key DESC, b.id DESC LIMIT 1));
END;
