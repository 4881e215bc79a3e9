//! The webhooks queues' consumer and the cron trigger: events are fanned out to the webhooks
//! that want them, each delivery is a queue message attempted (and retried with growing delays
//! by the queue) until a 2xx, and given up through the dead-letter queue. Deliveries to a
//! receiver that failed or was slow at its last attempt move to a queue of their own (`-slow`),
//! so its 10 s timeouts hold up no batch of the healthy receivers' deliveries.
use serde_json::Value;
use std::cell::RefCell;
use std::rc::Rc;
use worker::js_sys::{Array, Promise};
use worker::wasm_bindgen::JsValue;
use worker::wasm_bindgen_futures::{future_to_promise, JsFuture};
use worker::{D1Database, D1PreparedStatement, Env, MessageBatch, MessageExt, Queue, QueueRetryOptionsBuilder, RawMessage};

use crate::domain::event::{RETENTION_DAYS, TEST_TYPE};
use crate::domain::time;
use crate::domain::webhook::{is_slow, is_success, retry_delay, signature_header, QueueMessage, MAX_ATTEMPTS};
use crate::http::config::Config;
use crate::http::wake::{QUEUE_BINDING, SLOW_QUEUE_BINDING};
use crate::http::{outbound, queue};
use crate::storage::events::{self, DeliveryKey};
use crate::storage::webhooks::{self, Attempt, Job};
use crate::storage::DbError;

/// Events fanned out per round, and rounds per wake-up (the rest waits for the next one).
const DISPATCH_CHUNK: usize = 500;
const DISPATCH_ROUNDS: usize = 20;
/// A pending delivery whose queue message has not come this long after it was due (`queued_at`)
/// is queued again by the cron: long enough for a backlog to drain, so a message merely late is
/// rarely sent twice (receivers deduplicate on `webhook-id` anyway).
const OVERDUE_AFTER_MINUTES: i64 = 10;
/// Rows of each kind the cron purges per run.
const PURGE_CHUNK: usize = 5000;

fn log(what: &str, e: impl std::fmt::Debug) {
    worker::console_error!("webhooks: {what}: {e:?}");
}

fn database(env: &Env) -> worker::Result<D1Database> {
    env.d1("DB")
}

/// One batch from the webhooks queue, its slow queue (named `...-slow`) or its dead-letter queue
/// (named `...-dlq`).
pub async fn consume(batch: MessageBatch<Value>, env: Env) -> worker::Result<()> {
    let dead_letters = batch.queue().ends_with("-dlq");
    let slow_lane = batch.queue().ends_with("-slow");
    let db = database(&env)?;
    let mut deliveries = Vec::new();
    let mut dispatches = Vec::new();
    for m in batch.raw_iter() {
        match queue::parse(&m) {
            Some(QueueMessage::Deliver { webhook_id, event_id }) => deliveries.push((m, DeliveryKey { webhook_id, event_id })),
            Some(QueueMessage::Dispatch) => dispatches.push(m),
            None => {
                log("a message of an unknown shape was dropped", m.id());
                m.ack();
            }
        }
    }
    if dead_letters {
        // A dispatch that kept failing is left to the cron; a delivery is given up and counted.
        dispatches.iter().for_each(|m| m.ack());
        for (m, key) in deliveries {
            settle_given_up(&db, &m, &key).await;
        }
        return Ok(());
    }
    if !dispatches.is_empty() {
        // One run dispatches everything pending, whatever the number of wake-ups in the batch.
        match dispatch(&env, &db).await {
            Ok(_) => dispatches.iter().for_each(|m| m.ack()),
            Err(e) => {
                log("dispatch failed (retried)", e);
                dispatches.iter().for_each(|m| m.retry());
            }
        }
    }
    let config = Config::get(&env);
    let (schedule, local) = (config.webhook_retry_delays.clone(), config.allow_local_webhooks);
    // Without the slow queue (a deployment that has not created it), every delivery stays here.
    let slow_queue = if slow_lane { None } else { env.queue(SLOW_QUEUE_BINDING).ok() };
    // The batch's deliveries at once, through the host's promises rather than a Rust executor
    // (past six open connections the runtime queues a Worker's fetches: quick answers keep them
    // flowing, and slow receivers are in the other queue).
    // One D1 read for the batch's deliveries and one write for its attempts, not two per delivery.
    let keys: Vec<DeliveryKey> = deliveries.iter().map(|(_, k)| k.clone()).collect();
    let mut jobs = match webhooks::jobs(&db, &keys).await {
        Ok(jobs) => jobs,
        Err(e) => {
            log("deliveries could not be read (retried)", e);
            let later = QueueRetryOptionsBuilder::new().with_delay_seconds(retry_delay(&schedule, 1)).build();
            deliveries.iter().for_each(|(m, _)| m.retry_with_options(&later));
            return Ok(());
        }
    };
    let records: Rc<RefCell<Vec<D1PreparedStatement>>> = Rc::default();
    let all = Array::new();
    for (m, key) in deliveries {
        let job = jobs.iter().position(|(k, _)| *k == key).map(|i| jobs.swap_remove(i).1);
        let (env, schedule, slow_queue, records) = (env.clone(), schedule.clone(), slow_queue.clone(), records.clone());
        all.push(&future_to_promise(async move {
            match database(&env) {
                Ok(db) => {
                    let attempt = deliver(&db, &m, &key, job, &schedule, local, slow_queue.as_ref()).await;
                    records.borrow_mut().extend(attempt);
                }
                Err(e) => {
                    log("no D1 binding", e);
                    m.retry();
                }
            }
            Ok(JsValue::UNDEFINED)
        }));
    }
    let _ = JsFuture::from(Promise::all(&all)).await;
    let records = records.take();
    // Unrecorded, a received delivery stays pending: the cron sends it again once overdue.
    if !records.is_empty() {
        if let Err(e) = crate::storage::batch(&db, records).await {
            log("attempts were not recorded", e);
        }
    }
    Ok(())
}

/// Fans out every event not dispatched yet and puts its deliveries on the queue. Returns how
/// many deliveries it queued.
pub async fn dispatch(env: &Env, db: &D1Database) -> Result<usize, String> {
    let Ok(queue) = env.queue(QUEUE_BINDING) else { return Ok(0) };
    if events::skip_without_webhooks(db).await.map_err(|e| e.0)? {
        return Ok(0);
    }
    let mut queued = 0;
    for _ in 0..DISPATCH_ROUNDS {
        let Some((after, up_to)) = events::undispatched(db, DISPATCH_CHUNK).await.map_err(|e| e.0)? else { break };
        let keys = events::fan_out(db, after, up_to, &time::now()).await.map_err(|e| e.0)?;
        // Deliveries stored but not sent (a failure here) are sent again by the cron.
        send(&queue, &keys).await?;
        queued += keys.len();
    }
    Ok(queued)
}

/// Puts deliveries on the queue, a message each.
pub async fn send(queue: &Queue, keys: &[DeliveryKey]) -> Result<(), String> {
    for chunk in keys.chunks(100) {
        let messages: Vec<QueueMessage> = chunk
            .iter()
            .map(|k| QueueMessage::Deliver { webhook_id: k.webhook_id.clone(), event_id: k.event_id.clone() })
            .collect();
        queue::send(queue, &messages).await.map_err(|e| format!("queue send: {e}"))?;
    }
    Ok(())
}

/// One attempt of one delivery (`job`: what it needs, `None` when the delivery is gone). A
/// message for a delivery that is settled (received, given up, or gone with its webhook) is
/// acknowledged without sending: receivers get a delivery again only when it failed (at least
/// once; `webhook-id` tells repeats apart). With `slow_queue` (this is the main queue), a
/// delivery to a receiver marked slow is moved there unsent. Returns the statements recording
/// the attempt, for the caller to run with the rest of its batch's.
async fn deliver(
    db: &D1Database,
    m: &RawMessage,
    key: &DeliveryKey,
    job: Option<Job>,
    schedule: &[u32],
    local: bool,
    slow_queue: Option<&Queue>,
) -> Vec<D1PreparedStatement> {
    let Some(job) = job.filter(|j| j.status == "pending") else {
        m.ack();
        return Vec::new();
    };
    if !job.enabled && job.event_type != TEST_TYPE {
        m.ack();
        return webhooks::skip_statement(db, key).into_iter().collect();
    }
    if job.attempts >= MAX_ATTEMPTS {
        // A re-driven message of a delivery whose give-up was lost: given up now, not sent.
        settle_given_up(db, m, key).await;
        return Vec::new();
    }
    if let Some(slow) = slow_queue.filter(|_| job.slow) {
        let moved = QueueMessage::Deliver { webhook_id: key.webhook_id.clone(), event_id: key.event_id.clone() };
        match queue::send(slow, &[moved]).await {
            Ok(()) => {
                m.ack();
                return Vec::new();
            }
            Err(e) => log("a delivery was not moved to the slow queue (attempted here)", e),
        }
    }
    let now = time::now();
    let timestamp = time::now_ms() / 1000;
    let mut secrets = vec![job.secret.as_str()];
    if let (Some(previous), Some(until)) = (&job.previous_secret, &job.previous_secret_until) {
        if until.as_str() > now.as_str() {
            secrets.push(previous);
        }
    }
    let headers = [
        ("webhook-id", key.event_id.clone()),
        ("webhook-timestamp", timestamp.to_string()),
        ("webhook-signature", signature_header(&secrets, &key.event_id, timestamp, &job.payload)),
    ];
    let outcome = outbound::post(&job.url, &headers, &job.payload, local).await;
    let succeeded = outcome.status.is_some_and(is_success);
    let attempt = job.attempts + 1;
    let delay = retry_delay(schedule, attempt as u32);
    let retries = !succeeded && attempt < MAX_ATTEMPTS;
    let error = match (succeeded, outcome.error, outcome.status) {
        (true, _, _) => None,
        (false, Some(e), _) => Some(e),
        (false, None, Some(status)) => Some(format!("answered {status}")),
        (false, None, None) => Some("no answer".into()),
    };
    let record = Attempt {
        id: &super::new_id(),
        attempt,
        at: &now,
        succeeded,
        response_status: outcome.status,
        duration_ms: outcome.duration_ms,
        error,
        excerpt: outcome.excerpt,
        retry_at: retries.then(|| time::format_ms(time::now_ms() + delay as i64 * 1000)),
        slow: is_slow(succeeded, outcome.duration_ms),
    };
    if succeeded {
        m.ack();
    } else if retries {
        // Should the queue drop the retry, the cron sends it some time after `retry_at`.
        m.retry_with_options(&QueueRetryOptionsBuilder::new().with_delay_seconds(delay).build());
    } else {
        // The last attempt is recorded before its give-up, which reads its count.
        if let Err(e) = webhooks::record_attempt(db, key, &record).await {
            log("an attempt was not recorded", e);
        }
        settle_given_up(db, m, key).await;
        return Vec::new();
    }
    webhooks::attempt_statements(db, key, &record).unwrap_or_else(|e| {
        log("an attempt's record could not be prepared", e);
        Vec::new()
    })
}

/// Records the give-up of a delivery whose attempts are spent; the dead-letter queue gets the
/// message only if that record fails (its consumer records it again).
async fn settle_given_up(db: &D1Database, m: &RawMessage, key: &DeliveryKey) {
    match webhooks::give_up(db, key, &time::now()).await {
        Ok(disabled) => {
            if disabled {
                worker::console_warn!("webhooks: webhook {} turned off after repeated failures", key.webhook_id);
            }
            m.ack();
        }
        Err(e) => {
            log("a give-up was not recorded (left to the dead-letter queue)", e);
            m.retry();
        }
    }
}

/// Every minute: dispatch events no queue message announced (a crash between a commit and its
/// send), queue again pending deliveries whose message is long overdue (never sent, or a retry
/// the queue lost), purge what is past its days.
pub async fn cron(env: Env) {
    let Ok(db) = database(&env) else { return log("no D1 binding", "DB") };
    match dispatch(&env, &db).await {
        Ok(0) => {}
        Ok(n) => worker::console_log!("webhooks: the cron dispatched {n} deliveries"),
        Err(e) => log("the cron's dispatch failed", e),
    }
    let now = time::now_ms();
    let before = time::format_ms(now - OVERDUE_AFTER_MINUTES * 60_000);
    match events::overdue_deliveries(&db, &before, &time::format_ms(now), 500).await {
        Ok(keys) if !keys.is_empty() => match env.queue(QUEUE_BINDING) {
            Ok(queue) => {
                if let Err(e) = send(&queue, &keys).await {
                    log("overdue deliveries were not queued again", e);
                }
            }
            Err(e) => log("no queue binding", e),
        },
        Ok(_) => {}
        Err(e) => log("overdue deliveries were not read", e),
    }
    let cutoff = time::format_ms(now - RETENTION_DAYS * 86_400_000);
    if let Err(DbError(e)) = events::purge(&db, &cutoff, PURGE_CHUNK).await {
        log("the purge failed", e);
    }
}
