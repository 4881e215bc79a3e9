-- Each customer's search signature (`domain::search_signature`): 63 bits, one for each class of
-- trigram in its name, email, phone, company and handle (ASCII letters folded), beside the key
-- in every sort index. A walk of a sort order looking for a search's or a text filter's matches
-- (storage::customer_sql, `PagePlan::Window`) tests the signature first, from the index entry,
-- and reads the row only when every bit of the searched text is there: a block of customers that
-- cannot match costs index entries, not rows. Measured in SQLite at 120,000 customers, a walk
-- through 110,000 that do not match `import.test`, sorted by name: 99 ms reading each row,
-- 27 to 38 ms with the searched columns in the index, 8 to 11 ms with the signature (22 of the
-- 110,000 rows read). 8 bytes more in each of four indexes.
--
-- NULL: not computed yet, which every test lets through. New and changed customers are signed by
-- the triggers below as they are written (about 80 microseconds each); the customers already
-- here are signed by the cron, a chunk at a time (storage::customers::sign_unsigned), since
-- signing a million in this migration's one statement would run past D1's statement limits.

ALTER TABLE customers ADD COLUMN search_sig INTEGER;

-- Positions in a customer's searchable text (at most 254 + 200 + 200 + 50 + 64 characters and
-- four separators: 772); a longer text, which validation never lets in, gets every bit.
CREATE TABLE search_signature_positions (n INTEGER PRIMARY KEY);
INSERT INTO search_signature_positions (n)
    WITH RECURSIVE p(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM p WHERE n < 1000) SELECT n FROM p;

-- The one home of the signature's arithmetic in SQL (domain::search_signature computes a
-- search's the same way): each trigram's three code points as digits base 31, modulo 63, one bit
-- each; the sum of distinct powers of two is their OR. The fields are joined by char(1), so a few
-- trigrams span two of them: extra bits, which only let more rows through to the exact test. A
-- text too long for the positions (never, within validation's limits) gets every bit (-1).
CREATE VIEW customer_search_signatures (seq, signature) AS
SELECT c.seq, (
    SELECT CASE WHEN length(t.text) > 1000 THEN -1 ELSE coalesce(sum(DISTINCT 1 << ((unicode(substr(t.text, p.n, 1)) * 961
        + unicode(substr(t.text, p.n + 1, 1)) * 31 + unicode(substr(t.text, p.n + 2, 1))) % 63)), 0) END
    -- LIMIT 1 keeps the text a value computed once, not an expression SQLite would inline into
    -- each of the three uses for every position (272 against 75 microseconds a customer in SQLite).
    FROM (SELECT lower(coalesce(c.name, '') || char(1) || coalesce(c.email_normalized, '') || char(1)
              || coalesce(c.phone, '') || char(1) || coalesce(c.company, '') || char(1) || coalesce(c.handle, '')) AS text
          LIMIT 1) t,
         search_signature_positions p
    WHERE p.n <= length(t.text) - 2
)
FROM customers c;

CREATE TRIGGER customers_search_signature_insert AFTER INSERT ON customers BEGIN
    UPDATE customers SET search_sig = (SELECT signature FROM customer_search_signatures WHERE seq = NEW.seq)
    WHERE seq = NEW.seq;
END;

CREATE TRIGGER customers_search_signature_update AFTER UPDATE OF name, email_normalized, phone, company, handle ON customers BEGIN
    UPDATE customers SET search_sig = (SELECT signature FROM customer_search_signatures WHERE seq = NEW.seq)
    WHERE seq = NEW.seq;
END;

-- The customers the cron has still to sign, found without a walk of the table; empty once it has.
CREATE INDEX customers_unsigned ON customers (seq) WHERE search_sig IS NULL;

-- The sort indexes of 0001, 0022 and 0025 with the signature after the key.
DROP INDEX customers_created;
CREATE INDEX customers_created ON customers (created_at, id, search_sig);
DROP INDEX customers_name_sort;
CREATE INDEX customers_name_sort ON customers (lower(coalesce(name, email_normalized, '')), id, search_sig);
DROP INDEX customers_email_sort;
CREATE INDEX customers_email_sort ON customers (coalesce(email_normalized, ''), id, search_sig);
DROP INDEX customers_last_seen_sort;
CREATE INDEX customers_last_seen_sort ON customers (coalesce(last_seen_at, ''), id, search_sig);
