-- Who minted each API key, and the admin a key's standing rests on; admins who were removed.

-- The actor that created the key, as the audit log names it (`admin:<email>`, `key:<id>`,
-- `admin-token`); null for keys older than this column.
ALTER TABLE api_keys ADD COLUMN created_by TEXT;
-- The admin whose access the key rests on: the one who created it, or, for a key minted by a key,
-- that key's admin. A key works only while this admin exists and is enabled, and holds no more
-- than the admin's role does now. Null for keys minted under the ADMIN_TOKEN.
ALTER TABLE api_keys ADD COLUMN admin_id TEXT;
CREATE INDEX api_keys_admin ON api_keys (admin_id) WHERE admin_id IS NOT NULL;

-- Every email whose admin row was removed. `ADMIN_OWNERS` bootstraps an owner only for an email
-- that never had an admin row: a removed owner stays removed even while the variable names them.
CREATE TABLE removed_admins (
    email_normalized TEXT PRIMARY KEY,
    removed_at       TEXT NOT NULL
);

-- Whatever path removes an admin leaves the tombstone and revokes the keys that rested on them,
-- in the same statement, so no key of a removed admin works for a single request more.
CREATE TRIGGER admins_removed AFTER DELETE ON admins
BEGIN
    INSERT INTO removed_admins (email_normalized, removed_at)
    VALUES (old.email_normalized, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    ON CONFLICT (email_normalized) DO UPDATE SET removed_at = excluded.removed_at;
    UPDATE api_keys SET revoked_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE admin_id = old.id AND revoked_at IS NULL;
END;
