-- Idempotency-Key records: the first answer to a (credential, route, key), replayed for 24 h.
CREATE TABLE idempotency_keys (
    scope      TEXT PRIMARY KEY,                  -- actor + method + path + key
    body_hash  TEXT NOT NULL,                     -- SHA-256 of the request body
    status     INTEGER,                           -- NULL while the first request is running
    response   TEXT,
    headers    TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
