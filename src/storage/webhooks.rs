//! SQL for webhooks: subscriptions (with their signing secrets), deliveries and the attempts log.
use worker::{D1Database, D1PreparedStatement};

use super::d1::{all, batch, first, read_each, read_one, Row};
use super::events::{numbers, numbers_of, DeliveryKey};
use super::Scalar;
use super::{statement, DbResult};
use crate::domain::webhook::{NewWebhook, WebhookPatch, FAILURE_LIMIT};

/// A subscription as the API shows it: never its secrets.
pub struct WebhookRow {
    pub id: String,
    pub url: String,
    pub description: Option<String>,
    /// JSON array text.
    pub event_types: String,
    pub enabled: bool,
    pub failure_count: u64,
    pub disabled_reason: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

fn webhook(r: &Row) -> WebhookRow {
    WebhookRow {
        id: r.text("id"),
        url: r.text("url"),
        description: r.opt_text("description"),
        event_types: r.text("event_types"),
        enabled: r.flag("enabled"),
        failure_count: r.count("failure_count"),
        disabled_reason: r.opt_text("disabled_reason"),
        created_at: r.text("created_at"),
        updated_at: r.text("updated_at"),
    }
}

const COLUMNS: &str = "id, url, description, event_types, enabled, failure_count, disabled_reason, created_at, updated_at";

fn text(v: &Option<String>) -> Scalar {
    v.clone().map(Scalar::Text).unwrap_or(Scalar::Null)
}

fn types(list: &[String]) -> Scalar {
    Scalar::Text(serde_json::to_string(list).unwrap_or_else(|_| "[\"*\"]".into()))
}

pub fn insert_statement(db: &D1Database, id: &str, new: &NewWebhook, secret: &str, now: &str) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "INSERT INTO webhooks (id, url, description, event_types, secret, enabled, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        &[
            Scalar::Text(id.into()),
            Scalar::Text(new.url.clone()),
            text(&new.description),
            types(&new.event_types),
            Scalar::Text(secret.into()),
            Scalar::Int(new.enabled as i64),
            Scalar::Text(now.into()),
        ],
    )
}

pub async fn count(db: &D1Database) -> DbResult<u64> {
    let row = numbers(db, "SELECT count(*) AS a FROM webhooks", &[]).await?;
    Ok(row.and_then(|r| r.a).unwrap_or(0.0) as u64)
}

/// Whether any webhook is turned on (wants events dispatched).
pub async fn any_enabled(db: &D1Database) -> DbResult<bool> {
    let row = numbers(db, "SELECT EXISTS (SELECT 1 FROM webhooks WHERE enabled = 1) AS a", &[]).await?;
    Ok(row.and_then(|r| r.a) == Some(1.0))
}

pub async fn list(db: &D1Database) -> DbResult<Vec<WebhookRow>> {
    read_each(all(&statement(db, &format!("SELECT {COLUMNS} FROM webhooks ORDER BY created_at, id"), &[])?).await?, webhook)
}

pub async fn get(db: &D1Database, id: &str) -> DbResult<Option<WebhookRow>> {
    let sql = format!("SELECT {COLUMNS} FROM webhooks WHERE id = ?1");
    read_one(first(&statement(db, &sql, &[Scalar::Text(id.into())])?).await?, webhook)
}

/// Applies a patch. Turning a webhook on again starts its failure count afresh; any change of
/// `enabled` by a person clears the reason it was turned off automatically.
pub fn update_statement(db: &D1Database, id: &str, p: &WebhookPatch, now: &str) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "UPDATE webhooks SET url = coalesce(?2, url), \
           description = CASE WHEN ?3 THEN ?4 ELSE description END, \
           event_types = coalesce(?5, event_types), \
           failure_count = CASE WHEN ?6 = 1 AND enabled = 0 THEN 0 ELSE failure_count END, \
           disabled_reason = CASE WHEN ?6 IS NOT NULL THEN NULL ELSE disabled_reason END, \
           enabled = coalesce(?6, enabled), updated_at = ?7 \
         WHERE id = ?1",
        &[
            Scalar::Text(id.into()),
            text(&p.url),
            Scalar::Int(p.description.is_some() as i64),
            text(&p.description.clone().flatten()),
            p.event_types.as_deref().map(types).unwrap_or(Scalar::Null),
            p.enabled.map(|e| Scalar::Int(e as i64)).unwrap_or(Scalar::Null),
            Scalar::Text(now.into()),
        ],
    )
}

pub fn delete_statement(db: &D1Database, id: &str) -> DbResult<D1PreparedStatement> {
    statement(db, "DELETE FROM webhooks WHERE id = ?1", &[Scalar::Text(id.into())])
}

/// A new secret; the one it replaces keeps signing until `until`.
pub fn rotate_statement(db: &D1Database, id: &str, secret: &str, until: &str, now: &str) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "UPDATE webhooks SET previous_secret = secret, previous_secret_until = ?3, secret = ?2, updated_at = ?4 WHERE id = ?1",
        &[Scalar::Text(id.into()), Scalar::Text(secret.into()), Scalar::Text(until.into()), Scalar::Text(now.into())],
    )
}

/// What one delivery attempt needs: the body, where it stands, and the webhook's address and secrets.
pub struct Job {
    pub payload: String,
    pub event_type: String,
    pub status: String,
    pub attempts: u64,
    pub url: String,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<String>,
    pub enabled: bool,
    /// The webhook's receiver failed or was slow at its last attempt: its deliveries go through
    /// the slow queue, away from the healthy receivers'.
    pub slow: bool,
}

fn job_of(r: &Row) -> Job {
    Job {
        payload: r.text("payload"),
        event_type: r.text("event_type"),
        status: r.text("status"),
        attempts: r.count("attempts"),
        url: r.text("url"),
        secret: r.text("secret"),
        previous_secret: r.opt_text("previous_secret"),
        previous_secret_until: r.opt_text("previous_secret_until"),
        enabled: r.flag("enabled"),
        slow: r.flag("slow"),
    }
}

/// What the attempts of a batch of deliveries need, read in one query; a delivery gone (with
/// its webhook, or purged) is missing from the answer.
pub async fn jobs(db: &D1Database, keys: &[DeliveryKey]) -> DbResult<Vec<(DeliveryKey, Job)>> {
    let pairs: Vec<[&str; 2]> = keys.iter().map(|k| [k.webhook_id.as_str(), k.event_id.as_str()]).collect();
    let read = statement(
        db,
        "SELECT d.webhook_id, d.event_id, d.payload, d.event_type, d.status, d.attempts, w.url, w.secret, w.previous_secret, \
           w.previous_secret_until, w.enabled, w.slow_since IS NOT NULL AS slow \
         FROM json_each(?1) k JOIN webhook_deliveries d ON d.webhook_id = k.value ->> 0 AND d.event_id = k.value ->> 1 \
           JOIN webhooks w ON w.id = d.webhook_id",
        &[Scalar::Text(serde_json::to_string(&pairs).unwrap_or_else(|_| "[]".into()))],
    )?;
    read_each(all(&read).await?, |r| (DeliveryKey { webhook_id: r.text("webhook_id"), event_id: r.text("event_id") }, job_of(r)))
}

/// One attempt as the log keeps it.
pub struct Attempt<'a> {
    pub id: &'a str,
    pub attempt: u64,
    pub at: &'a str,
    pub succeeded: bool,
    pub response_status: Option<u16>,
    pub duration_ms: u64,
    pub error: Option<String>,
    pub excerpt: Option<String>,
    /// When the retry of a failed attempt is due: the cron re-drives the delivery if no retry
    /// came some time after it.
    pub retry_at: Option<String>,
    /// Whether the attempt failed or took long (`domain::webhook::is_slow`): the webhook's
    /// deliveries go through the slow queue until an attempt is neither.
    pub slow: bool,
}

/// Logs an attempt and moves the delivery on: received, or still pending for the retry due at
/// `retry_at`. A success starts the webhook's count of failures afresh.
pub async fn record_attempt(db: &D1Database, key: &DeliveryKey, a: &Attempt<'_>) -> DbResult<()> {
    batch(db, attempt_statements(db, key, a)?).await?;
    Ok(())
}

/// `record_attempt`'s statements, for a batch that records many attempts at once.
pub fn attempt_statements(db: &D1Database, key: &DeliveryKey, a: &Attempt<'_>) -> DbResult<Vec<D1PreparedStatement>> {
    let (w, e) = (Scalar::Text(key.webhook_id.clone()), Scalar::Text(key.event_id.clone()));
    let mut statements = vec![
        statement(
            db,
            // Nothing when the webhook was deleted meanwhile: the other attempts of the batch
            // that records this one must not fail with it.
            "INSERT INTO webhook_attempts (id, webhook_id, event_id, attempt, at, outcome, response_status, duration_ms, error, response_excerpt) \
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10 WHERE EXISTS (SELECT 1 FROM webhooks WHERE id = ?2)",
            &[
                Scalar::Text(a.id.into()),
                w.clone(),
                e.clone(),
                Scalar::Int(a.attempt as i64),
                Scalar::Text(a.at.into()),
                Scalar::Text(if a.succeeded { "succeeded" } else { "failed" }.into()),
                a.response_status.map(|s| Scalar::Int(s as i64)).unwrap_or(Scalar::Null),
                Scalar::Int(a.duration_ms as i64),
                text(&a.error),
                text(&a.excerpt),
            ],
        )?,
        statement(
            db,
            "UPDATE webhook_deliveries SET attempts = attempts + 1, last_attempt_at = ?3, \
               status = CASE WHEN ?4 THEN 'succeeded' ELSE status END, queued_at = coalesce(?5, queued_at) \
             WHERE webhook_id = ?1 AND event_id = ?2",
            &[w.clone(), e, Scalar::Text(a.at.into()), Scalar::Int(a.succeeded as i64), text(&a.retry_at)],
        )?,
    ];
    if a.succeeded {
        let sql = "UPDATE webhooks SET failure_count = 0 WHERE id = ?1 AND failure_count > 0";
        statements.push(statement(db, sql, std::slice::from_ref(&w))?);
    }
    // Written only when it changes: most attempts leave the class as it was.
    statements.push(if a.slow {
        statement(
            db,
            "UPDATE webhooks SET slow_since = ?2 WHERE id = ?1 AND slow_since IS NULL",
            &[w, Scalar::Text(a.at.into())],
        )?
    } else {
        statement(db, "UPDATE webhooks SET slow_since = NULL WHERE id = ?1 AND slow_since IS NOT NULL", &[w])?
    });
    Ok(statements)
}

/// A delivery that will not be attempted: its webhook was turned off or the event is gone.
pub fn skip_statement(db: &D1Database, key: &DeliveryKey) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "UPDATE webhook_deliveries SET status = 'skipped' WHERE webhook_id = ?1 AND event_id = ?2 AND status = 'pending'",
        &[Scalar::Text(key.webhook_id.clone()), Scalar::Text(key.event_id.clone())],
    )
}

/// Gives a delivery up (its retries are spent: the dead-letter queue) and counts it against
/// the webhook, which is turned off at the `FAILURE_LIMIT`-th in a row. Returns whether this
/// call turned it off.
pub async fn give_up(db: &D1Database, key: &DeliveryKey, now: &str) -> DbResult<bool> {
    let (w, e) = (Scalar::Text(key.webhook_id.clone()), Scalar::Text(key.event_id.clone()));
    let results = batch(
        db,
        vec![
            statement(
                db,
                "UPDATE webhook_deliveries SET status = 'failed' WHERE webhook_id = ?1 AND event_id = ?2 AND status = 'pending'",
                &[w.clone(), e],
            )?,
            // Only when the statement before changed the delivery: a dead letter handed over twice counts once.
            statement(
                db,
                &format!(
                    "UPDATE webhooks SET failure_count = failure_count + 1, \
                       enabled = CASE WHEN failure_count + 1 >= {FAILURE_LIMIT} THEN 0 ELSE enabled END, \
                       disabled_reason = CASE WHEN enabled = 1 AND failure_count + 1 >= {FAILURE_LIMIT} THEN 'failures' ELSE disabled_reason END, \
                       updated_at = ?2 \
                     WHERE id = ?1 AND changes() > 0 RETURNING enabled AS a, disabled_reason = 'failures' AS b"
                ),
                &[w, Scalar::Text(now.into())],
            )?,
        ],
    )
    .await?;
    let after = read_each(results.get(1).map(|r| r.rows()).unwrap_or_default(), numbers_of)?;
    Ok(after.first().is_some_and(|n| n.a == Some(0.0) && n.b == Some(1.0)))
}

/// A delivery of an event that is no change (a `webhook.test`), made for one webhook.
pub fn insert_delivery_statement(
    db: &D1Database,
    key: &DeliveryKey,
    event_type: &str,
    payload: &str,
    now: &str,
) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, payload, created_at, queued_at) \
         SELECT ?1, ?2, ?3, ?4, ?5, ?5 WHERE EXISTS (SELECT 1 FROM webhooks WHERE id = ?1)",
        &[
            Scalar::Text(key.webhook_id.clone()),
            Scalar::Text(key.event_id.clone()),
            Scalar::Text(event_type.into()),
            Scalar::Text(payload.into()),
            Scalar::Text(now.into()),
        ],
    )
}

/// A webhook's deliveries (of the 30 days kept) by where they stand.
#[derive(Debug, Default, serde::Serialize)]
pub struct DeliveryCounts {
    pub pending: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub skipped: u64,
}

pub async fn delivery_counts(db: &D1Database, webhook_id: &str) -> DbResult<DeliveryCounts> {
    let sql = "SELECT coalesce(sum(status = 'pending'), 0) AS pending, coalesce(sum(status = 'succeeded'), 0) AS succeeded, \
               coalesce(sum(status = 'failed'), 0) AS failed, coalesce(sum(status = 'skipped'), 0) AS skipped \
               FROM webhook_deliveries WHERE webhook_id = ?1";
    let row = first(&statement(db, sql, &[Scalar::Text(webhook_id.into())])?).await?;
    let counts = read_one(row, |r| DeliveryCounts {
        pending: r.count("pending"),
        succeeded: r.count("succeeded"),
        failed: r.count("failed"),
        skipped: r.count("skipped"),
    })?;
    Ok(counts.unwrap_or_default())
}

/// The replays of a webhook audited since `since`: how many, and when the first of them was.
pub async fn replays_since(db: &D1Database, webhook_id: &str, since: &str) -> DbResult<(u64, Option<String>)> {
    let sql = "SELECT count(*) AS n, min(at) AS first_at FROM audit_log \
               WHERE target_id = ?1 AND action = 'webhook.replay' AND at >= ?2";
    let row = first(&statement(db, sql, &[Scalar::Text(webhook_id.into()), Scalar::Text(since.into())])?).await?;
    Ok(read_one(row, |r| (r.count("n"), r.opt_text("first_at")))?.unwrap_or((0, None)))
}

/// One line of the deliveries log: an attempt, with where its delivery stands now.
pub struct AttemptRow {
    pub id: String,
    pub event_id: String,
    pub event_type: Option<String>,
    pub attempt: u64,
    pub at: String,
    pub outcome: String,
    pub response_status: Option<f64>,
    pub duration_ms: u64,
    pub error: Option<String>,
    pub response_excerpt: Option<String>,
    pub delivery_status: Option<String>,
}

fn attempt_of(r: &Row) -> AttemptRow {
    AttemptRow {
        id: r.text("id"),
        event_id: r.text("event_id"),
        event_type: r.opt_text("event_type"),
        attempt: r.count("attempt"),
        at: r.text("at"),
        outcome: r.text("outcome"),
        response_status: r.opt_number("response_status"),
        duration_ms: r.count("duration_ms"),
        error: r.opt_text("error"),
        response_excerpt: r.opt_text("response_excerpt"),
        delivery_status: r.opt_text("delivery_status"),
    }
}

/// A page of a webhook's attempts, newest first; `after` is the (time, id) of the last row of
/// the page before.
pub async fn attempts(db: &D1Database, webhook_id: &str, after: Option<(&str, &str)>, limit: usize) -> DbResult<Vec<AttemptRow>> {
    let mut b = vec![Scalar::Text(webhook_id.into()), Scalar::Int(limit as i64 + 1)];
    let mut cursor = String::new();
    if let Some((at, id)) = after {
        b.push(Scalar::Text(at.into()));
        b.push(Scalar::Text(id.into()));
        cursor = " AND (a.at, a.id) < (?3, ?4)".into();
    }
    let page = statement(
        db,
        &format!(
            "SELECT a.id, a.event_id, d.event_type, a.attempt, a.at, a.outcome, a.response_status, a.duration_ms, a.error, \
               a.response_excerpt, d.status AS delivery_status \
             FROM webhook_attempts a LEFT JOIN webhook_deliveries d ON d.webhook_id = a.webhook_id AND d.event_id = a.event_id \
             WHERE a.webhook_id = ?1{cursor} ORDER BY a.at DESC, a.id DESC LIMIT ?2"
        ),
        &b,
    )?;
    read_each(all(&page).await?, attempt_of)
}
