-- An import's rows on their way to its one batch. The batch that writes an import is one
-- transaction, so every row it writes must be in it; bound as parameters, all of them would be
-- held by the worker's JavaScript at once (and again as the batch's request text), beside the
-- upload. Staged here a chunk (at most 1.5 MB of JSON) at a time instead, the batch's statements
-- name their chunk by id and read it with json_each, and the batch deletes what it read.
-- A row left by an import that never reached its batch (its isolate ended) is deleted by the
-- next import's batch an hour later; nothing else reads this table.
CREATE TABLE import_chunks (
    id         TEXT PRIMARY KEY,
    import_id  TEXT NOT NULL,
    created_at TEXT NOT NULL,
    -- Last: a scan for the columns above never reads the chunk's pages.
    rows       TEXT NOT NULL
);
