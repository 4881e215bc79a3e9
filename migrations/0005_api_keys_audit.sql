-- Scoped API keys (only a hash of the secret is stored) and the audit log.
CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,                   -- shown to humans to recognise a key
    secret_hash  TEXT NOT NULL UNIQUE,            -- SHA-256 hex of the whole secret
    permissions  TEXT NOT NULL CHECK (json_valid(permissions)),
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);

-- Who changed what and when. Never personal values: only names of changed fields.
CREATE TABLE audit_log (
    id             TEXT PRIMARY KEY,              -- UUID v7: time-ordered
    at             TEXT NOT NULL,
    actor          TEXT NOT NULL,                 -- API key id, or 'admin-token', or 'public'
    action         TEXT NOT NULL,
    target_type    TEXT NOT NULL,
    target_id      TEXT,
    request_id     TEXT NOT NULL,
    changed_fields TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(changed_fields)),
    outcome        TEXT NOT NULL DEFAULT 'success',
    details        TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details))
);
CREATE INDEX audit_log_at ON audit_log (at, id);
CREATE INDEX audit_log_target ON audit_log (target_id, at);
CREATE INDEX audit_log_action ON audit_log (action, at);
