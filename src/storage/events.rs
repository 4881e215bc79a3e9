//! SQL for change events: the pull API's pages, the dispatcher's fan-out to webhooks and the
//! purge. Events themselves are written by migration 0014's triggers, beside their change.
use worker::D1Database;

use worker::D1PreparedStatement;

use super::d1::{all, batch, first, read_each, read_one, run, Row};
use super::Scalar;
use super::{statement, DbResult};
use crate::domain::time;
use crate::domain::webhook::ReplaySince;

pub struct EventRow {
    pub id: String,
    pub kind: String,
    pub created_at: String,
    /// JSON object text.
    pub data: String,
}

fn event(r: &Row) -> EventRow {
    EventRow { id: r.text("id"), kind: r.text("type"), created_at: r.text("created_at"), data: r.text("data") }
}

/// What selects events for the pull API.
#[derive(Debug, Default)]
pub struct EventFilter<'a> {
    /// Events after this one (its `seq`), oldest first.
    pub after_seq: Option<i64>,
    pub types: Vec<&'a str>,
    pub customer_id: Option<&'a str>,
}

/// Up to two numbers read by one query (as `a` and `b`), either of them NULL.
pub struct Numbers {
    pub a: Option<f64>,
    pub b: Option<f64>,
}

pub fn numbers_of(r: &Row) -> Numbers {
    Numbers { a: r.opt_number("a"), b: r.opt_number("b") }
}

pub async fn numbers(db: &D1Database, sql: &str, binds: &[Scalar]) -> DbResult<Option<Numbers>> {
    read_one(first(&statement(db, sql, binds)?).await?, numbers_of)
}

/// The commit position of an event, to page after it.
pub async fn seq_of(db: &D1Database, id: &str) -> DbResult<Option<i64>> {
    let row = numbers(db, "SELECT seq AS a FROM events WHERE id = ?1", &[Scalar::Text(id.into())]).await?;
    Ok(row.and_then(|r| r.a).map(|s| s as i64))
}

/// One page, oldest first, with one row more than `limit` when more follow.
pub async fn page(db: &D1Database, f: &EventFilter<'_>, limit: usize) -> DbResult<Vec<EventRow>> {
    let mut clauses = vec!["seq > ?1".to_string()];
    let mut b = vec![Scalar::Int(f.after_seq.unwrap_or(0))];
    if !f.types.is_empty() {
        b.push(Scalar::Text(serde_json::to_string(&f.types).unwrap_or_else(|_| "[]".into())));
        clauses.push(format!("type IN (SELECT value FROM json_each(?{}))", b.len()));
    }
    if let Some(c) = f.customer_id {
        b.push(Scalar::Text(c.into()));
        clauses.push(format!("customer_id = ?{}", b.len()));
    }
    b.push(Scalar::Int(limit as i64 + 1));
    let sql =
        format!("SELECT id, type, created_at, data FROM events WHERE {} ORDER BY seq LIMIT ?{}", clauses.join(" AND "), b.len());
    read_each(all(&statement(db, &sql, &b)?).await?, event)
}

/// Events the dispatcher has not fanned out yet: `(after, up_to]` in commit order, at most
/// `max` of them; `None` when there are none.
pub async fn undispatched(db: &D1Database, max: usize) -> DbResult<Option<(i64, i64)>> {
    let row = numbers(
        db,
        "SELECT c.seq AS a, (SELECT max(seq) FROM (SELECT seq FROM events WHERE seq > c.seq ORDER BY seq LIMIT ?1)) AS b \
         FROM outbox_cursor c WHERE c.id = 1",
        &[Scalar::Int(max as i64)],
    )
    .await?;
    Ok(row.and_then(|r| Some((r.a? as i64, r.b? as i64))))
}

/// With no webhook turned on there is nobody to dispatch to: the cursor moves past every event
/// in one statement (the check and the move together, so a webhook turned on meanwhile stops
/// it; events before its creation are not its anyway). Returns whether it moved.
pub async fn skip_without_webhooks(db: &D1Database) -> DbResult<bool> {
    let moved = statement(
        db,
        "UPDATE outbox_cursor SET seq = (SELECT max(seq) FROM events) \
         WHERE id = 1 AND NOT EXISTS (SELECT 1 FROM webhooks WHERE enabled = 1) \
           AND (SELECT max(seq) FROM events) > seq",
        &[],
    )?;
    Ok(run(&moved).await?.changes() > 0)
}

/// A delivery to make: one event for one webhook.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryKey {
    pub webhook_id: String,
    pub event_id: String,
}

fn delivery_key(r: &Row) -> DeliveryKey {
    DeliveryKey { webhook_id: r.text("webhook_id"), event_id: r.text("event_id") }
}

/// Whether webhook `w` subscribes to event `e`'s type.
const WANTS: &str = "EXISTS (SELECT 1 FROM json_each(w.event_types) t WHERE t.value IN ('*', e.type))";

/// An event (`e`, a row of `events`) as a delivery's body: the JSON the pull API shows. Every
/// send of an event, first or replayed, carries these bytes.
const PAYLOAD: &str = "json_object('id', e.id, 'type', e.type, 'created_at', e.created_at, 'data', json(e.data))";

/// Fans the events `(after, up_to]` out to the enabled webhooks that want them (created before
/// the event) and moves the cursor past them, in one batch. A delivery row is written once
/// (its primary key), so dispatchers running at once never both send it: each gets back only
/// the deliveries it created, to put on the queue.
pub async fn fan_out(db: &D1Database, after: i64, up_to: i64, now: &str) -> DbResult<Vec<DeliveryKey>> {
    let range = [Scalar::Int(after), Scalar::Int(up_to), Scalar::Text(now.into())];
    let results = batch(
        db,
        vec![
            statement(
                db,
                &format!(
                    "INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, payload, created_at, queued_at) \
                     SELECT w.id, e.id, e.type, {PAYLOAD}, ?3, ?3 \
                     FROM events e JOIN webhooks w ON w.enabled = 1 AND w.created_at <= e.created_at \
                       AND {WANTS} WHERE e.seq > ?1 AND e.seq <= ?2 \
                     ON CONFLICT DO NOTHING RETURNING webhook_id, event_id"
                ),
                &range,
            )?,
            statement(db, "UPDATE outbox_cursor SET seq = max(seq, ?1) WHERE id = 1", &[Scalar::Int(up_to)])?,
        ],
    )
    .await?;
    read_each(results.first().map(|r| r.rows()).unwrap_or_default(), delivery_key)
}

/// The first event a replay from `since` covers: the event itself, or the first one committed
/// at or after the time. `None` when there is none.
pub async fn replay_start(db: &D1Database, since: &ReplaySince) -> DbResult<Option<i64>> {
    match since {
        ReplaySince::Event(id) => seq_of(db, id).await,
        ReplaySince::Time(ms) => {
            let sql = "SELECT min(seq) AS a FROM events WHERE created_at >= ?1";
            let row = numbers(db, sql, &[Scalar::Text(time::format_ms(*ms))]).await?;
            Ok(row.and_then(|r| r.a).map(|s| s as i64))
        }
    }
}

/// Where a replay from `from_seq` stops when it may take `max` events: the `seq` and id of the
/// first event left for the next replay, if more follow.
pub async fn replay_end(db: &D1Database, from_seq: i64, max: usize) -> DbResult<Option<(i64, String)>> {
    let sql = "SELECT seq, id FROM events WHERE seq >= ?1 ORDER BY seq LIMIT 1 OFFSET ?2";
    let row = first(&statement(db, sql, &[Scalar::Int(from_seq), Scalar::Int(max as i64)])?).await?;
    read_one(row, |r| (r.number("seq") as i64, r.text("id")))
}

/// Puts the events `[from_seq, before_seq)` of the webhook's types up for delivery to it again,
/// with `audit` in the same batch: an event it never got (it was off: no delivery, or one
/// skipped) or gave up on is pending once more with a fresh schedule; one received or still
/// pending stays as it is, so a replay never sends an event a second time. Returns the
/// deliveries to queue.
pub async fn replay(
    db: &D1Database,
    webhook_id: &str,
    from_seq: i64,
    before_seq: i64,
    now: &str,
    audit: D1PreparedStatement,
) -> DbResult<Vec<DeliveryKey>> {
    let upsert = statement(
        db,
        &format!(
            "INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, payload, created_at, queued_at) \
             SELECT w.id, e.id, e.type, {PAYLOAD}, ?3, ?3 \
             FROM events e JOIN webhooks w ON w.id = ?1 AND {WANTS} \
             WHERE e.seq >= ?2 AND e.seq < ?4 \
             ON CONFLICT (webhook_id, event_id) DO UPDATE SET status = 'pending', attempts = 0, queued_at = excluded.queued_at \
               WHERE webhook_deliveries.status IN ('skipped', 'failed') \
             RETURNING webhook_id, event_id"
        ),
        &[Scalar::Text(webhook_id.into()), Scalar::Int(from_seq), Scalar::Text(now.into()), Scalar::Int(before_seq)],
    )?;
    let results = batch(db, vec![upsert, audit]).await?;
    read_each(results.first().map(|r| r.rows()).unwrap_or_default(), delivery_key)
}

/// Deliveries not finished whose queue message was due before `before` (`queued_at`: when the
/// first send or the next retry was due) and never came back: never sent (a crash after the
/// fan-out), or lost with the queue (a local queue is in memory; a purged or recreated queue
/// loses its messages too). Whatever their attempts so far; marked queued again now.
pub async fn overdue_deliveries(db: &D1Database, before: &str, now: &str, max: usize) -> DbResult<Vec<DeliveryKey>> {
    let requeue = statement(
        db,
        "UPDATE webhook_deliveries SET queued_at = ?2 \
         WHERE (webhook_id, event_id) IN (SELECT webhook_id, event_id FROM webhook_deliveries \
           WHERE status = 'pending' AND queued_at < ?1 ORDER BY queued_at LIMIT ?3) \
         RETURNING webhook_id, event_id",
        &[Scalar::Text(before.into()), Scalar::Text(now.into()), Scalar::Int(max as i64)],
    )?;
    read_each(all(&requeue).await?, delivery_key)
}

/// Removes events, deliveries and attempts older than `before`, at most `max` of each per call
/// (the cron calls it every minute). The newest event stays whatever its age, so `seq` never
/// starts over.
pub async fn purge(db: &D1Database, before: &str, max: usize) -> DbResult<()> {
    let b = [Scalar::Text(before.into()), Scalar::Int(max as i64)];
    batch(
        db,
        vec![
            statement(
                db,
                "DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE seq < (SELECT max(seq) FROM events) \
             ORDER BY seq LIMIT ?2) AND created_at < ?1",
                &b,
            )?,
            statement(
                db,
                "DELETE FROM webhook_deliveries WHERE (webhook_id, event_id) IN (SELECT webhook_id, event_id \
             FROM webhook_deliveries WHERE created_at < ?1 ORDER BY created_at LIMIT ?2)",
                &b,
            )?,
            statement(
                db,
                "DELETE FROM webhook_attempts WHERE id IN (SELECT id FROM webhook_attempts WHERE at < ?1 ORDER BY at LIMIT ?2)",
                &b,
            )?,
        ],
    )
    .await?;
    Ok(())
}
