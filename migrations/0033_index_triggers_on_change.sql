-- Triggers "AFTER UPDATE OF <columns>" fire whenever an UPDATE's SET names one of the columns,
-- changed or not. A visit's upsert (storage::interactions) sets name, phone and handle to what
-- they were unless they were empty, so every visit of a customer already there rewrote the
-- customer's postings in the trigram index and in the name and email orders' indexes, and
-- computed its search signature again, though its text had not changed: three FTS5 deletes and
-- inserts a visit. Each now fires only when a value it indexes changes.
--
-- **An index's trigger rewrites a customer's postings exactly when a value they are made from,
-- or the key that places them, changes.**

DROP TRIGGER customers_search_update;
CREATE TRIGGER customers_search_update AFTER UPDATE OF name, email, phone, company, handle ON customers
WHEN OLD.name IS NOT NEW.name OR OLD.email IS NOT NEW.email OR OLD.phone IS NOT NEW.phone
    OR OLD.company IS NOT NEW.company OR OLD.handle IS NOT NEW.handle BEGIN
    INSERT INTO customers_search (customers_search, rowid, name, email, phone, company, handle)
    VALUES ('delete', old.seq, old.name, old.email, old.phone, old.company, old.handle);
    INSERT INTO customers_search (rowid, name, email, phone, company, handle)
    VALUES (new.seq, new.name, new.email, new.phone, new.company, new.handle);
END;

DROP TRIGGER customers_sign_update;
CREATE TRIGGER customers_sign_update AFTER UPDATE OF name, email_normalized, phone, company, handle ON customers
WHEN OLD.name IS NOT NEW.name OR OLD.email_normalized IS NOT NEW.email_normalized OR OLD.phone IS NOT NEW.phone
    OR OLD.company IS NOT NEW.company OR OLD.handle IS NOT NEW.handle BEGIN
    UPDATE customers SET search_sig_0 = NULL WHERE seq = NEW.seq;
END;

DROP TRIGGER customers_by_name_update;
CREATE TRIGGER customers_by_name_update AFTER UPDATE OF name, email, email_normalized, phone, company, handle ON customers
WHEN OLD.seq < (SELECT indexed_below FROM sorted_search) AND (OLD.name IS NOT NEW.name OR OLD.email IS NOT NEW.email OR OLD.email_normalized IS NOT NEW.email_normalized
    OR OLD.phone IS NOT NEW.phone OR OLD.company IS NOT NEW.company OR OLD.handle IS NOT NEW.handle) BEGIN
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

DROP TRIGGER customers_by_email_update;
CREATE TRIGGER customers_by_email_update AFTER UPDATE OF name, email, email_normalized, phone, company, handle ON customers
WHEN OLD.seq < (SELECT indexed_below FROM sorted_search) AND (OLD.name IS NOT NEW.name OR OLD.email IS NOT NEW.email OR OLD.email_normalized IS NOT NEW.email_normalized
    OR OLD.phone IS NOT NEW.phone OR OLD.company IS NOT NEW.company OR OLD.handle IS NOT NEW.handle) BEGIN
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
