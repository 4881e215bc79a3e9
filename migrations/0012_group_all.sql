-- The built-in group All holds every live customer; it is no row of `groups`. Its member count
-- is kept here by triggers instead of counted on each read: counting live customers reads the
-- whole table (there is deliberately no index on deleted_at, see 0001), and the group list
-- that shows the count is read on nearly every screen of the console.
CREATE TABLE customer_counts (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    live INTEGER NOT NULL
);

INSERT INTO customer_counts (id, live) SELECT 1, count(*) FROM customers WHERE deleted_at IS NULL;

CREATE TRIGGER customer_counts_insert AFTER INSERT ON customers WHEN new.deleted_at IS NULL BEGIN
    UPDATE customer_counts SET live = live + 1 WHERE id = 1;
END;

CREATE TRIGGER customer_counts_delete AFTER DELETE ON customers WHEN old.deleted_at IS NULL BEGIN
    UPDATE customer_counts SET live = live - 1 WHERE id = 1;
END;

-- A soft delete, a restore, a merge: only a change between live and deleted counts.
CREATE TRIGGER customer_counts_update AFTER UPDATE OF deleted_at ON customers
WHEN (old.deleted_at IS NULL) <> (new.deleted_at IS NULL) BEGIN
    UPDATE customer_counts SET live = live + (CASE WHEN new.deleted_at IS NULL THEN 1 ELSE -1 END) WHERE id = 1;
END;
