-- Each customer's search signature (`domain::search_signature`): 252 bits in four columns of 63,
-- one bit for each class of trigram in its name, email, phone, company and handle (ASCII letters
-- folded), beside the key in every sort index. A walk of a sort order looking for a search's or a
-- text filter's matches (storage::customer_sql, `PagePlan::Window` and `Walk`) tests the
-- signature first, from the index entry, and reads the row only when every bit of the searched
-- text is there: a block of customers that cannot match costs index entries, not rows. Measured
-- in SQLite at 120,000 customers, a walk through 110,000 that do not match `import.test`, sorted
-- by name: 99 ms reading each row, 27 to 38 ms with the searched columns in the index, 8 to 21
-- ms with a signature. 252 bits rather than 63: a customer sets about 40 (35 of 63), so with 63
-- a short text's few bits were mostly set anyway (a company prefix `zeta` let 37,790 customers
-- through to find 10,000; with 252, 10,448; `company 42` 100,019 for 1,100, now 1,332).
--
-- NULL: not computed yet, which every test lets through. New and changed customers are signed by
-- the triggers below as they are written; the customers already here are signed by the cron, a
-- chunk at a time (storage::customers::sign_unsigned), since signing a million in this
-- migration's one statement would run past D1's statement limits.

ALTER TABLE customers ADD COLUMN search_sig_0 INTEGER;
ALTER TABLE customers ADD COLUMN search_sig_1 INTEGER;
ALTER TABLE customers ADD COLUMN search_sig_2 INTEGER;
ALTER TABLE customers ADD COLUMN search_sig_3 INTEGER;

-- Positions in a customer's searchable text (at most 254 + 200 + 200 + 50 + 64 characters and
-- four separators: 772).
CREATE TABLE search_signature_positions (n INTEGER PRIMARY KEY);
INSERT INTO search_signature_positions (n)
    WITH RECURSIVE p(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM p WHERE n < 1000) SELECT n FROM p;

-- Signing: the one home of the signature's arithmetic in SQL (domain::search_signature computes
-- a search's the same way), run for a customer whenever its first part is set to NULL: by the
-- triggers below as a customer is written, and by the cron for those not yet signed. Each
-- trigram's three code points as digits base 31, modulo 252, is its class; class c is bit c % 63
-- of part c / 63, and a part's sum of the powers of two of its distinct classes is their OR. The
-- fields are joined by char(1), so a few trigrams span two of them: extra bits, which only let
-- more rows through to the exact test. A text too long for the positions (never, within validation's limits) gets
-- every bit (-1). The LIMIT keeps the text a value computed once, not an expression SQLite would
-- inline into every use (272 against 75 microseconds a customer, with one part). About 200
-- microseconds a customer written (5,000 inserts: 120 ms unsigned, 1.05 s signed), nearly all of
-- it reading characters: SQLite's substr walks a text from its start.
CREATE TRIGGER customers_sign AFTER UPDATE OF search_sig_0 ON customers WHEN NEW.search_sig_0 IS NULL BEGIN
    UPDATE customers SET (search_sig_0, search_sig_1, search_sig_2, search_sig_3) = (
        SELECT CASE WHEN max(long) THEN -1 ELSE coalesce(sum(CASE WHEN class / 63 = 0 THEN 1 << (class % 63) END), 0) END,
               CASE WHEN max(long) THEN -1 ELSE coalesce(sum(CASE WHEN class / 63 = 1 THEN 1 << (class % 63) END), 0) END,
               CASE WHEN max(long) THEN -1 ELSE coalesce(sum(CASE WHEN class / 63 = 2 THEN 1 << (class % 63) END), 0) END,
               CASE WHEN max(long) THEN -1 ELSE coalesce(sum(CASE WHEN class / 63 = 3 THEN 1 << (class % 63) END), 0) END
        FROM (
            SELECT DISTINCT length(t.text) > 1000 AS long, (unicode(substr(t.text, p.n, 1)) * 961
                + unicode(substr(t.text, p.n + 1, 1)) * 31 + unicode(substr(t.text, p.n + 2, 1))) % 252 AS class
            FROM (SELECT lower(coalesce(NEW.name, '') || char(1) || coalesce(NEW.email_normalized, '') || char(1)
                      || coalesce(NEW.phone, '') || char(1) || coalesce(NEW.company, '') || char(1) || coalesce(NEW.handle, '')) AS text
                  LIMIT 1) t,
                 search_signature_positions p
            WHERE p.n <= length(t.text) - 2
        )
    )
    WHERE seq = NEW.seq;
END;

CREATE TRIGGER customers_sign_insert AFTER INSERT ON customers BEGIN
    UPDATE customers SET search_sig_0 = NULL WHERE seq = NEW.seq;
END;

CREATE TRIGGER customers_sign_update AFTER UPDATE OF name, email_normalized, phone, company, handle ON customers BEGIN
    UPDATE customers SET search_sig_0 = NULL WHERE seq = NEW.seq;
END;

-- The customers the cron has still to sign, found without a walk of the table; empty once it has.
CREATE INDEX customers_unsigned ON customers (seq) WHERE search_sig_0 IS NULL;

-- The sort indexes of 0001, 0022 and 0025 with the signature after the key.
DROP INDEX customers_created;
CREATE INDEX customers_created ON customers (created_at, id, search_sig_0, search_sig_1, search_sig_2, search_sig_3);
DROP INDEX customers_name_sort;
CREATE INDEX customers_name_sort ON customers (
    lower(coalesce(name, email_normalized, '')), id, search_sig_0, search_sig_1, search_sig_2, search_sig_3
);
DROP INDEX customers_email_sort;
CREATE INDEX customers_email_sort ON customers (
    coalesce(email_normalized, ''), id, search_sig_0, search_sig_1, search_sig_2, search_sig_3
);
DROP INDEX customers_last_seen_sort;
CREATE INDEX customers_last_seen_sort ON customers (
    coalesce(last_seen_at, ''), id, search_sig_0, search_sig_1, search_sig_2, search_sig_3
);
