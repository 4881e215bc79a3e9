//! Waking the webhook dispatcher after a write: one queue message, sent after the answer and
//! only while some webhook is on (as this isolate last read it). The dispatcher itself, the
//! deliveries and the cron's catch-up are `api::dispatch`.
use worker::{Env, Request};

use super::config::Config;

/// The webhooks queue (`[[queues.producers]]`); a deployment without it has no webhooks.
pub const QUEUE_BINDING: &str = "WEBHOOKS";
/// The queue for deliveries to receivers that failed or were slow at their last attempt
/// (`api::dispatch`); without it they stay on the first.
pub const SLOW_QUEUE_BINDING: &str = "WEBHOOKS_SLOW";

thread_local! {
    /// Whether an enabled webhook exists, as this isolate last read it, and until when
    /// (`Date.now()` ms) that reading holds. Without one there is nothing to dispatch now: the
    /// cron moves the dispatcher past such events every minute, and a change pays no queue
    /// message for an event nobody receives.
    static WEBHOOKS_KNOWN: std::cell::Cell<Option<(bool, f64)>> = const { std::cell::Cell::new(None) };
}
const WEBHOOKS_KNOWN_MS: f64 = 30_000.0;

/// Tells this isolate that a webhook was just created or turned on, so its next writes wake the
/// dispatcher at once (other isolates learn within `WEBHOOKS_KNOWN_MS`, the cron within a minute).
pub fn webhook_enabled() {
    WEBHOOKS_KNOWN.with(|k| k.set(Some((true, worker::js_sys::Date::now() + WEBHOOKS_KNOWN_MS))));
}

/// Whether some webhook may want this request's events: the isolate's reading while it holds,
/// else D1's answer (read after the response, in `waitUntil`).
async fn webhooks_exist(env: &Env) -> bool {
    let now = worker::js_sys::Date::now();
    if let Some((known, until)) = WEBHOOKS_KNOWN.with(|k| k.get()) {
        if now < until {
            return known;
        }
    }
    let Ok(db) = super::database(env) else { return false };
    let known = crate::storage::webhooks::any_enabled(&db).await.unwrap_or(true);
    WEBHOOKS_KNOWN.with(|k| k.set(Some((known, now + WEBHOOKS_KNOWN_MS))));
    known
}

/// Wakes the dispatcher after a request that wrote: its events (if it made any) go out now
/// rather than at the next cron run, which is only the safety net. Sent after the answer, so
/// the change does not wait for the queue.
pub fn dispatcher_after(ctx: &worker::Context, env: &Env) {
    let Ok(queue) = env.queue(QUEUE_BINDING) else { return };
    let env = env.clone();
    ctx.wait_until(async move {
        if !webhooks_exist(&env).await {
            return;
        }
        if let Err(e) = super::queue::send(&queue, &[crate::domain::webhook::QueueMessage::Dispatch]).await {
            worker::console_error!("webhooks: the dispatch message was not sent (the cron will dispatch): {e}");
        }
    });
}

/// Whether the request changed something, as far as D1's counts tell (else: a write that
/// succeeded).
pub fn wrote(method: &str, status: u16, rows: Option<(f64, f64)>) -> bool {
    rows.map_or(method != "GET" && status < 400, |(_, written)| written > 0.0)
}

/// Tests simulate a crash between a commit and its queue send with `X-Test-Skip-Dispatch`
/// (only where `ENABLE_TEST_ROUTES` is on).
pub fn skipped_by_test(req: &Request, env: &Env) -> bool {
    Config::get(env).test_routes && req.headers().has("x-test-skip-dispatch").unwrap_or(false)
}
