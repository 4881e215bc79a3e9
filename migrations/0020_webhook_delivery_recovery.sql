-- Webhook deliveries that catch up after any fault.

-- `queued_at` is when a pending delivery's queue message is due: its first send, or the retry
-- after a failed attempt. The cron re-drives every pending delivery well past that time,
-- whatever its attempts (a retry lost with the queue strands one that was tried before).
DROP INDEX webhook_deliveries_unsent;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (queued_at) WHERE status = 'pending';

-- A replay from a time finds its first event by the time it was committed.
CREATE INDEX events_created ON events (created_at);

-- Set while the webhook's receiver failed or was slow at its last attempt: its deliveries go
-- through the slow queue (customers-webhooks-slow), so its timeouts hold up no batch of the
-- other webhooks' deliveries. A quick success clears it.
ALTER TABLE webhooks ADD COLUMN slow_since TEXT;
