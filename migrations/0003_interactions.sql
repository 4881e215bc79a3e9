-- What a customer did on a public page. Goes with the customer on a force delete.
CREATE TABLE interactions (
    id          TEXT PRIMARY KEY,                -- UUID v7
    customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    type        TEXT NOT NULL CHECK (type IN ('meeting_booked', 'form_submitted', 'chat_started', 'conference_joined')),
    resource_id TEXT NOT NULL,
    details     TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details)),
    occurred_at TEXT NOT NULL
);
-- The history query: one customer's interactions, newest first, keyset-paged.
CREATE INDEX interactions_history ON interactions (customer_id, occurred_at, id);
