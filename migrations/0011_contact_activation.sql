-- Customer users (contacts) sign up through a single-use activation link.
--
-- status: pending (never activated), active (activated through a link), disabled (an admin
-- turned the contact off; it keeps activated_at, so enabling it again restores what it was).
-- Existing contacts become pending: none of them ever proved they receive mail at their address,
-- and `active` would claim an activation (with an activated_at) that never happened. An admin
-- sends them a link like any new contact.
ALTER TABLE contacts ADD COLUMN activated_at TEXT;
ALTER TABLE contacts ADD COLUMN status TEXT NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'active', 'disabled')
           AND (status = 'disabled' OR (status = 'active') = (activated_at IS NOT NULL)));

-- One row per link ever issued, so a used, revoked or expired token is told apart from one that
-- never existed (410 against 404). The token itself is never stored: only its SHA-256.
CREATE TABLE contact_activation_links (
    token_hash TEXT PRIMARY KEY,                  -- SHA-256 hex of the token in the link
    contact_id TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT,
    revoked_at TEXT                               -- a newer link, a disabling or an email change
);
CREATE INDEX contact_activation_links_contact ON contact_activation_links (contact_id);
-- At most one open link per contact: issuing a new one revokes the old in the same batch.
CREATE UNIQUE INDEX contact_activation_links_open ON contact_activation_links (contact_id)
    WHERE used_at IS NULL AND revoked_at IS NULL;
