-- Customer groups and the people who act for an organisation customer. Both go with the
-- customer on a force delete (ON DELETE CASCADE); deleting a group keeps its customers.
CREATE TABLE groups (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX groups_name ON groups (lower(name));

CREATE TABLE group_members (
    group_id    TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    added_at    TEXT NOT NULL,
    PRIMARY KEY (group_id, customer_id)
);
CREATE INDEX group_members_customer ON group_members (customer_id, group_id);

CREATE TABLE contacts (
    id               TEXT PRIMARY KEY,
    customer_id      TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    email            TEXT NOT NULL,
    email_normalized TEXT NOT NULL,
    first_name       TEXT,
    last_name        TEXT,
    phone            TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE UNIQUE INDEX contacts_email_per_customer ON contacts (customer_id, email_normalized);
