-- People who sign in through Cloudflare Access, each with a role (domain::admin::Role).
CREATE TABLE admins (
    id               TEXT PRIMARY KEY,
    email            TEXT NOT NULL,
    email_normalized TEXT NOT NULL UNIQUE,       -- what a verified Access identity is matched on
    role             TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'editor', 'viewer', 'auditor')),
    disabled         INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at       TEXT NOT NULL,
    last_seen_at     TEXT
);

-- The audit log is filtered by who acted (`?actor=admin:<email>`).
CREATE INDEX audit_log_actor ON audit_log (actor, at);
