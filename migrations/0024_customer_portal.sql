-- Customer users sign in to the portal (/portal) and act for their organisations.
--
-- role: what a contact may do for its organisation and the organisation's sub-customers:
-- `member` reads, `manager` also creates, edits and soft-deletes sub-customers and manages
-- contacts. last_signed_in_at: when the person last started a portal session through this
-- contact's organisation (activation or an emailed sign-in link), for the admin console.
ALTER TABLE contacts ADD COLUMN role TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'manager'));
ALTER TABLE contacts ADD COLUMN last_signed_in_at TEXT;
-- A session belongs to a person (an email): every request finds their active contacts by it.
CREATE INDEX contacts_email_normalized ON contacts (email_normalized, status);

-- Single-use sign-in links sent by email. Only the token's SHA-256 is stored; one row per link
-- ever sent, so a used, revoked or expired link is told apart from an unknown one (410 against 404).
CREATE TABLE portal_sign_in_links (
    token_hash       TEXT PRIMARY KEY,
    email_normalized TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    expires_at       TEXT NOT NULL,
    used_at          TEXT,
    revoked_at       TEXT
);
-- At most one open link per person: sending a new one revokes the old in the same batch.
CREATE UNIQUE INDEX portal_sign_in_links_open ON portal_sign_in_links (email_normalized)
    WHERE used_at IS NULL AND revoked_at IS NULL;

-- Portal sessions: the cookie's random token is never stored, only its SHA-256. A session grants
-- nothing by itself: each request finds the person's active contacts of live customers again, so
-- disabling or removing a contact, or soft-deleting its customer, ends that access at once.
CREATE TABLE portal_sessions (
    token_hash       TEXT PRIMARY KEY,
    email_normalized TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    expires_at       TEXT NOT NULL,              -- sliding: moved on as the session is used
    last_used_at     TEXT NOT NULL,
    revoked_at       TEXT                        -- signed out
);
CREATE INDEX portal_sessions_email ON portal_sessions (email_normalized);
