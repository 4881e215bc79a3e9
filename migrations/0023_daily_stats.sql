-- The dashboard's daily figures (GET /v1/stats/daily), kept by triggers in the same statement as
-- the write that changes them, so the dashboard reads at most days x series small rows and never
-- the customers or interactions tables, however many rows those hold.
-- metric 'created': customers created that day, by source (key); 'registered': visitors who
-- became registered customers that day (their kind changed, or they were merged into a
-- registered customer; key ''); 'interaction': interactions that day, by type (key).
-- Days are UTC dates (the first ten characters of the RFC 3339 times).
CREATE TABLE daily_stats (
    day    TEXT NOT NULL,
    metric TEXT NOT NULL,
    key    TEXT NOT NULL,
    count  INTEGER NOT NULL,
    PRIMARY KEY (day, metric, key)
) WITHOUT ROWID;

INSERT INTO daily_stats (day, metric, key, count)
SELECT substr(created_at, 1, 10), 'created', source, count(*) FROM customers GROUP BY substr(created_at, 1, 10), source;

INSERT INTO daily_stats (day, metric, key, count)
SELECT substr(occurred_at, 1, 10), 'interaction', type, count(*) FROM interactions GROUP BY substr(occurred_at, 1, 10), type;

INSERT INTO daily_stats (day, metric, key, count)
SELECT substr(coalesce(deleted_at, updated_at), 1, 10), 'registered', '', count(*) FROM customers v
WHERE v.kind = 'visitor' AND v.merged_into IS NOT NULL
  AND (SELECT t.kind FROM customers t WHERE t.id = v.merged_into) = 'registered'
GROUP BY substr(coalesce(deleted_at, updated_at), 1, 10);

CREATE TRIGGER daily_stats_customer_created AFTER INSERT ON customers BEGIN
    INSERT OR IGNORE INTO daily_stats (day, metric, key, count) VALUES (substr(new.created_at, 1, 10), 'created', new.source, 0);
    UPDATE daily_stats SET count = count + 1 WHERE day = substr(new.created_at, 1, 10) AND metric = 'created' AND key = new.source;
END;

CREATE TRIGGER daily_stats_visitor_registered AFTER UPDATE OF kind ON customers
WHEN old.kind = 'visitor' AND new.kind = 'registered' BEGIN
    INSERT OR IGNORE INTO daily_stats (day, metric, key, count) VALUES (substr(new.updated_at, 1, 10), 'registered', '', 0);
    UPDATE daily_stats SET count = count + 1 WHERE day = substr(new.updated_at, 1, 10) AND metric = 'registered' AND key = '';
END;

CREATE TRIGGER daily_stats_visitor_merged AFTER UPDATE OF merged_into ON customers
WHEN old.merged_into IS NULL AND new.merged_into IS NOT NULL AND old.kind = 'visitor'
  AND (SELECT t.kind FROM customers t WHERE t.id = new.merged_into) = 'registered' BEGIN
    INSERT OR IGNORE INTO daily_stats (day, metric, key, count)
    VALUES (substr(coalesce(new.deleted_at, new.updated_at), 1, 10), 'registered', '', 0);
    UPDATE daily_stats SET count = count + 1
    WHERE day = substr(coalesce(new.deleted_at, new.updated_at), 1, 10) AND metric = 'registered' AND key = '';
END;

CREATE TRIGGER daily_stats_interaction AFTER INSERT ON interactions BEGIN
    INSERT OR IGNORE INTO daily_stats (day, metric, key, count) VALUES (substr(new.occurred_at, 1, 10), 'interaction', new.type, 0);
    UPDATE daily_stats SET count = count + 1 WHERE day = substr(new.occurred_at, 1, 10) AND metric = 'interaction' AND key = new.type;
END;
