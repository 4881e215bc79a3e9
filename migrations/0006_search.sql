-- Substring search over name, email, phone and company without a full scan: an FTS5 trigram
-- index (case-insensitive) kept in step with customers by triggers. Queries shorter than three
-- characters cannot use trigrams and fall back to a scan.
CREATE VIRTUAL TABLE customers_search USING fts5(
    name, email, phone, company,
    content = 'customers', content_rowid = 'seq', tokenize = 'trigram'
);

INSERT INTO customers_search (rowid, name, email, phone, company)
    SELECT seq, name, email, phone, company FROM customers;

CREATE TRIGGER customers_search_insert AFTER INSERT ON customers BEGIN
    INSERT INTO customers_search (rowid, name, email, phone, company)
    VALUES (new.seq, new.name, new.email, new.phone, new.company);
END;

CREATE TRIGGER customers_search_delete AFTER DELETE ON customers BEGIN
    INSERT INTO customers_search (customers_search, rowid, name, email, phone, company)
    VALUES ('delete', old.seq, old.name, old.email, old.phone, old.company);
END;

CREATE TRIGGER customers_search_update AFTER UPDATE OF name, email, phone, company ON customers BEGIN
    INSERT INTO customers_search (customers_search, rowid, name, email, phone, company)
    VALUES ('delete', old.seq, old.name, old.email, old.phone, old.company);
    INSERT INTO customers_search (rowid, name, email, phone, company)
    VALUES (new.seq, new.name, new.email, new.phone, new.company);
END;
