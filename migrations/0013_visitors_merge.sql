-- Anonymous visitors and merging duplicates (BeDesk's visitors, MeetBit's one customer per person).

-- The customer a merge folded this one into; a merged customer is soft-deleted and keeps its
-- history's ids, so old links still answer.
ALTER TABLE customers ADD COLUMN merged_into TEXT;
-- 1 while the name is a placeholder ("Visitor 3f2a9c1e") given to a visitor who has told nothing
-- about themselves yet: the table's rule wants a name or an email, and a merge or a later
-- request must never take the placeholder for a real name.
ALTER TABLE customers ADD COLUMN anonymous INTEGER NOT NULL DEFAULT 0 CHECK (anonymous IN (0, 1));

-- The browsers (ids a public page keeps for its visitor) a customer is known by. One person may
-- come from several; a merge moves them to the customer that remains.
CREATE TABLE visitors (
    visitor_id  TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL
);
CREATE INDEX visitors_customer ON visitors (customer_id);

-- A merged customer's page shows what it became; the reverse (what was merged into a customer)
-- is a lookup by this.
CREATE INDEX customers_merged_into ON customers (merged_into) WHERE merged_into IS NOT NULL;
