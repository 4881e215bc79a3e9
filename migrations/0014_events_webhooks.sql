-- Change events (an outbox) and webhooks that receive them (issue 17).

-- One row per committed change to a customer, written by the triggers below in the same
-- statement as the audit row (or interaction) it comes from: an event exists exactly when its
-- change committed. `seq` is the commit order (D1 runs one write at a time, and a rowid is one
-- more than the largest when the row is written), which the dispatcher's cursor and the pull API
-- follow: no event can later appear behind one already read. The newest row is never purged, so
-- `seq` never goes back. `data` holds ids, field names and counts, never personal values.
CREATE TABLE events (
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    type        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    customer_id TEXT,
    data        TEXT NOT NULL
);
CREATE INDEX events_customer ON events (customer_id, seq) WHERE customer_id IS NOT NULL;

-- The audit actions that are changes to a customer, as event types. Rows an import writes per
-- customer (their details start `{"via":"import"`, a plain prefix test that costs the import's
-- 10,000 rows next to nothing) are left out: an import is one `import.completed`, from its
-- summary row, so a 10,000-row file does not turn into 10,000 events and deliveries.
CREATE TRIGGER events_from_audit AFTER INSERT ON audit_log
WHEN NEW.action IN ('customer.create', 'customer.update', 'customer.delete', 'customer.restore',
                    'customer.force_delete', 'customer.redact', 'customer.merge',
                    'customer.own_company_set', 'customer.own_company_unset',
                    'contact.create', 'contact.update', 'contact.delete', 'contact.activate',
                    'customer.import')
  AND substr(NEW.details, 1, 15) IS NOT '{"via":"import"'
BEGIN
    INSERT INTO events (id, type, created_at, customer_id, data)
    SELECT NEW.id, e.type, NEW.at, e.customer_id,
           json_patch('{}', json_object(
               'customer_id', e.customer_id,
               'changed_fields', CASE WHEN e.type <> 'contact.activated' AND json_array_length(e.changed) > 0
                                      THEN json(e.changed) END,
               'contact_id', CASE WHEN NEW.target_type = 'contact' THEN NEW.target_id END,
               'cascade_from', e.d ->> 'cascade_from',
               'merged_into', e.d ->> 'merged_into',
               'merged_ids', e.d -> 'sources',
               'moved', e.d -> 'moved',
               'deleted', e.d -> 'deleted',
               'rows', e.d -> 'rows', 'created', e.d -> 'created', 'updated', e.d -> 'updated',
               'skipped', e.d -> 'skipped', 'failed', e.d -> 'failed', 'mode', e.d ->> 'mode'))
    FROM (SELECT
            CASE NEW.action
              WHEN 'customer.create' THEN 'customer.created'
              WHEN 'customer.delete' THEN 'customer.deleted'
              WHEN 'customer.restore' THEN 'customer.restored'
              WHEN 'customer.force_delete' THEN 'customer.force_deleted'
              WHEN 'customer.redact' THEN 'customer.redacted'
              WHEN 'customer.merge' THEN 'customer.merged'
              WHEN 'contact.activate' THEN 'contact.activated'
              WHEN 'customer.import' THEN 'import.completed'
              ELSE 'customer.updated' END AS type,
            CASE WHEN NEW.target_type = 'contact' THEN NEW.details ->> 'customer_id'
                 WHEN NEW.action = 'customer.import' THEN NULL
                 ELSE NEW.target_id END AS customer_id,
            CASE WHEN NEW.target_type = 'contact' THEN '["contacts"]'
                 WHEN json_valid(NEW.changed_fields) THEN NEW.changed_fields ELSE '[]' END AS changed,
            -- Malformed details (none are written) would fail the change itself: read as none.
            CASE WHEN json_valid(NEW.details) THEN NEW.details ELSE '{}' END AS d) AS e;
END;

-- A recorded interaction is an event of its own (its type is one of four names, not personal).
CREATE TRIGGER events_from_interactions AFTER INSERT ON interactions
BEGIN
    INSERT INTO events (id, type, created_at, customer_id, data)
    VALUES (NEW.id, 'interaction.recorded', NEW.occurred_at, NEW.customer_id,
            json_object('customer_id', NEW.customer_id, 'interaction_id', NEW.id, 'interaction_type', NEW.type));
END;

-- How far the dispatcher has fanned events out to webhooks: every event with a larger `seq`
-- is still to be dispatched (a queue message wakes the dispatcher after each write, the cron
-- trigger every minute in case that message was never sent).
CREATE TABLE outbox_cursor (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL
);
INSERT INTO outbox_cursor (id, seq) VALUES (1, 0);

-- Receivers of events. The signing secret is kept (it is needed to sign), shown only on create
-- and rotation; after a rotation the previous one also signs for 24 hours.
CREATE TABLE webhooks (
    id                  TEXT PRIMARY KEY,
    url                 TEXT NOT NULL,
    description         TEXT,
    event_types         TEXT NOT NULL,
    secret              TEXT NOT NULL,
    previous_secret     TEXT,
    previous_secret_until TEXT,
    enabled             INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    -- Deliveries given up in a row since the last success; 50 disable the webhook.
    failure_count       INTEGER NOT NULL DEFAULT 0,
    disabled_reason     TEXT,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);

-- One event for one webhook: its exact body (retries send the same bytes), and where it stands.
-- The primary key is what makes a fan-out happen once, however many dispatchers run at once.
CREATE TABLE webhook_deliveries (
    webhook_id      TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id        TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    payload         TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed', 'skipped')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    queued_at       TEXT NOT NULL,
    last_attempt_at TEXT,
    PRIMARY KEY (webhook_id, event_id)
) WITHOUT ROWID;
-- Deliveries whose queue message may never have been sent (the cron looks for them).
CREATE INDEX webhook_deliveries_unsent ON webhook_deliveries (queued_at) WHERE status = 'pending' AND attempts = 0;
CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at);

-- The deliveries log: one row per attempt. A receiver's answer is kept as a short excerpt only.
CREATE TABLE webhook_attempts (
    id               TEXT PRIMARY KEY,
    webhook_id       TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id         TEXT NOT NULL,
    attempt          INTEGER NOT NULL,
    at               TEXT NOT NULL,
    outcome          TEXT NOT NULL CHECK (outcome IN ('succeeded', 'failed')),
    response_status  INTEGER,
    duration_ms      INTEGER NOT NULL,
    error            TEXT,
    response_excerpt TEXT
);
CREATE INDEX webhook_attempts_webhook ON webhook_attempts (webhook_id, at, id);
CREATE INDEX webhook_attempts_at ON webhook_attempts (at);
