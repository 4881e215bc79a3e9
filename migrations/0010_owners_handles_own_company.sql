-- Sub-customers (ThingsBoard's owner), handles and the own company (the MSP portal).

-- The customer that owns this one. No REFERENCES clause: a force delete removes a whole subtree
-- in one statement, and the rules that matter (the parent is live, no cycle, at most 5 levels)
-- are checked by the API and guarded in each write's WHERE; the triggers below keep a live
-- customer from ever pointing at a missing or deleted parent.
ALTER TABLE customers ADD COLUMN parent_id TEXT;
-- Lower-case letters, digits and single hyphens, derived from the name when not given.
ALTER TABLE customers ADD COLUMN handle TEXT;
ALTER TABLE customers ADD COLUMN own_company INTEGER NOT NULL DEFAULT 0 CHECK (own_company IN (0, 1));

-- Children of a customer (the children listing, children_count, subtree walks). Partial: most
-- customers have no parent, and `parent_id = ?` implies the index's condition.
CREATE INDEX customers_parent ON customers (parent_id, id) WHERE parent_id IS NOT NULL;

-- A handle names one live customer; soft-deleted ones keep theirs for history.
CREATE UNIQUE INDEX customers_handle_live ON customers (handle) WHERE deleted_at IS NULL;

-- At most one own company.
CREATE UNIQUE INDEX customers_own_company ON customers (own_company) WHERE own_company = 1;

-- The own company cannot be deleted (soft or force, single or bulk) or redacted, whatever path a
-- write takes: the API checks first and explains; these refuse under a name `storage` maps to
-- 409 `customer_protected`, and abort the whole batch so nothing around it is half-done.
CREATE TRIGGER customers_protect_delete BEFORE DELETE ON customers
WHEN old.own_company = 1
BEGIN
    SELECT RAISE(ABORT, 'customer_protected: the own company cannot be deleted');
END;

CREATE TRIGGER customers_protect_soft_delete BEFORE UPDATE OF deleted_at ON customers
WHEN old.own_company = 1 AND new.deleted_at IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'customer_protected: the own company cannot be deleted');
END;

CREATE TRIGGER customers_protect_redact BEFORE UPDATE OF name ON customers
WHEN old.own_company = 1 AND new.name = '[redacted]'
BEGIN
    SELECT RAISE(ABORT, 'customer_protected: the own company cannot be redacted');
END;

-- A live customer's parent is a live customer: attaching to a deleted or missing parent fails
-- even when the parent was deleted between the API's check and the write.
CREATE TRIGGER customers_parent_live_insert BEFORE INSERT ON customers
WHEN new.parent_id IS NOT NULL AND new.deleted_at IS NULL
 AND NOT EXISTS (SELECT 1 FROM customers p WHERE p.id = new.parent_id AND p.deleted_at IS NULL)
BEGIN
    SELECT RAISE(ABORT, 'invalid_parent: the parent must be a live customer');
END;

CREATE TRIGGER customers_parent_live_update BEFORE UPDATE OF parent_id, deleted_at ON customers
WHEN new.parent_id IS NOT NULL AND new.deleted_at IS NULL
 AND NOT EXISTS (SELECT 1 FROM customers p WHERE p.id = new.parent_id AND p.deleted_at IS NULL)
BEGIN
    SELECT RAISE(ABORT, 'invalid_parent: the parent must be a live customer');
END;

-- The search covers the handle too: rebuilt with the new column (the same trigram index as
-- migrations/0006, one more column).
DROP TRIGGER customers_search_insert;
DROP TRIGGER customers_search_delete;
DROP TRIGGER customers_search_update;
DROP TABLE customers_search;

CREATE VIRTUAL TABLE customers_search USING fts5(
    name, email, phone, company, handle,
    content = 'customers', content_rowid = 'seq', tokenize = 'trigram'
);

INSERT INTO customers_search (rowid, name, email, phone, company, handle)
    SELECT seq, name, email, phone, company, handle FROM customers;

CREATE TRIGGER customers_search_insert AFTER INSERT ON customers BEGIN
    INSERT INTO customers_search (rowid, name, email, phone, company, handle)
    VALUES (new.seq, new.name, new.email, new.phone, new.company, new.handle);
END;

CREATE TRIGGER customers_search_delete AFTER DELETE ON customers BEGIN
    INSERT INTO customers_search (customers_search, rowid, name, email, phone, company, handle)
    VALUES ('delete', old.seq, old.name, old.email, old.phone, old.company, old.handle);
END;

CREATE TRIGGER customers_search_update AFTER UPDATE OF name, email, phone, company, handle ON customers BEGIN
    INSERT INTO customers_search (customers_search, rowid, name, email, phone, company, handle)
    VALUES ('delete', old.seq, old.name, old.email, old.phone, old.company, old.handle);
    INSERT INTO customers_search (rowid, name, email, phone, company, handle)
    VALUES (new.seq, new.name, new.email, new.phone, new.company, new.handle);
END;
