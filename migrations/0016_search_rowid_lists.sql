-- The trigram index keeps which customers hold each trigram, not where (detail = none), and no
-- per-row token counts (columnsize = 0: nothing ranks by relevance). A search asks for every
-- trigram of its text (storage::query::fts_trigrams), together rather than side by side: a
-- superset of the rows that contain the text, which every plan then tests exactly with LIKE as
-- it already did. Measured at 1,060,000 customers: the index 296 MB -> 48 MB (279 -> 45 bytes a
-- customer), files of 10,000 rows imported into it 13% faster (median 15,400 -> 17,400 rows/s),
-- and counting a search's matches costs what it did.
DROP TRIGGER customers_search_insert;
DROP TRIGGER customers_search_delete;
DROP TRIGGER customers_search_update;
DROP TABLE customers_search;

CREATE VIRTUAL TABLE customers_search USING fts5(
    name, email, phone, company, handle,
    content = 'customers', content_rowid = 'seq', tokenize = 'trigram',
    detail = 'none', columnsize = 0
);

INSERT INTO customers_search (customers_search) VALUES ('rebuild');

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
