//! Webhook deliveries leaving the worker: one signed POST within `TIMEOUT_MS`, redirects followed
//! only to addresses the same rules allow, and no more of the answer read than an excerpt.
use std::pin::pin;
use std::time::Duration;

use futures_util::future::{select, Either};
use futures_util::StreamExt;
use worker::js_sys::{global, Function, Object, Promise, Reflect};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::web_sys::{AbortController, AbortSignal};
use worker::{Delay, Headers};

use crate::domain::webhook::{check, check_url, excerpt, EXCERPT_CHARS, MAX_REDIRECTS, TIMEOUT_MS};
use crate::domain::weburl::{self, WebUrl};

/// How one attempt went.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The receiver's status (the last one, after redirects); `None` when none arrived.
    pub status: Option<u16>,
    pub duration_ms: u64,
    pub error: Option<String>,
    pub excerpt: Option<String>,
}

/// POSTs `body` with `headers` to `url` (checked again here: the rules may have changed since it
/// was stored, and a redirect is checked the same way).
pub async fn post(url: &str, headers: &[(&str, String)], body: &str, allow_local: bool) -> Outcome {
    let started = worker::js_sys::Date::now();
    let Ok(controller) = AbortController::new() else { return failed("no AbortController") };
    let signal = controller.signal();
    let deadline = Delay::from(Duration::from_millis(TIMEOUT_MS as u64));
    let mut outcome = match select(pin!(send(url, headers, body, allow_local, &signal)), pin!(deadline)).await {
        Either::Left((Ok(mut resp), _)) => {
            let status = Some(resp.status_code());
            // The status decides; the answer's start is read for the log, briefly.
            let text =
                match select(pin!(read_excerpt(&mut resp)), pin!(Delay::from(Duration::from_millis(EXCERPT_WAIT_MS)))).await {
                    Either::Left((text, _)) => text,
                    Either::Right(_) => None,
                };
            Outcome { status, excerpt: text, ..Default::default() }
        }
        Either::Left((Err(outcome), _)) => outcome,
        Either::Right(_) => {
            controller.abort();
            Outcome { error: Some(format!("no answer within {} s", TIMEOUT_MS / 1000)), ..Default::default() }
        }
    };
    outcome.duration_ms = (worker::js_sys::Date::now() - started).max(0.0) as u64;
    outcome
}

/// How long the start of an answer may take to arrive once its status has.
const EXCERPT_WAIT_MS: u64 = 1000;

fn failed(error: impl Into<String>) -> Outcome {
    Outcome { error: Some(error.into()), ..Default::default() }
}

/// The receiver's answer (after the redirects allowed), or why there is none.
async fn send(
    url: &str,
    headers: &[(&str, String)],
    body: &str,
    allow_local: bool,
    signal: &AbortSignal,
) -> Result<worker::Response, Outcome> {
    let mut target = check_url(url, allow_local).map_err(|m| failed(format!("refused: {m}")))?;
    for _ in 0..=MAX_REDIRECTS {
        let resp = fetch(&target, headers, body, signal).await.map_err(|e| failed(format!("request failed: {e}")))?;
        let status = resp.status_code();
        let location = resp.headers().get("location").ok().flatten();
        match location {
            Some(loc) if (300..400).contains(&status) => {
                let Some(next) = weburl::join(&target.href, &loc) else {
                    return Err(Outcome { status: Some(status), ..failed("redirect to an address that does not parse") });
                };
                match check(next, allow_local) {
                    Ok(next) => target = next,
                    Err(m) => return Err(Outcome { status: Some(status), ..failed(format!("redirect refused: {m}")) }),
                }
            }
            _ => return Ok(resp),
        }
    }
    Err(failed(format!("more than {MAX_REDIRECTS} redirects")))
}

fn js_text(e: JsValue) -> String {
    Reflect::get(&e, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "unknown".into())
}

/// The host's `fetch`, called with a plain init object (no redirects followed, the deadline's
/// signal); worker's `RequestInit` would also bring its `cf` options' serialisers into the wasm.
async fn fetch(url: &WebUrl, headers: &[(&str, String)], body: &str, signal: &AbortSignal) -> Result<worker::Response, String> {
    let h = Headers::new();
    let set = |name: &str, value: &str| h.set(name, value).map_err(|e| e.to_string());
    set("content-type", "application/json")?;
    set("user-agent", "customers-webhooks/1")?;
    for (name, value) in headers {
        set(name, value)?;
    }
    let init = Object::new();
    for (key, value) in [
        ("method", JsValue::from_str("POST")),
        ("headers", h.0.into()),
        ("body", JsValue::from_str(body)),
        ("redirect", JsValue::from_str("manual")),
        ("signal", signal.clone().into()),
    ] {
        Reflect::set(&init, &key.into(), &value).map_err(js_text)?;
    }
    let fetch: Function = Reflect::get(&global(), &"fetch".into()).map_err(js_text)?.dyn_into().map_err(js_text)?;
    let promise = fetch.call2(&global(), &JsValue::from_str(&url.href), &init).map_err(js_text)?;
    let resp = JsFuture::from(Promise::from(promise)).await.map_err(js_text)?;
    Ok(worker::Response::from(resp.unchecked_into::<worker::web_sys::Response>()))
}

/// The start of the answer, at most a few chunks: the rest is never read (nor stored).
async fn read_excerpt(resp: &mut worker::Response) -> Option<String> {
    let mut stream = resp.stream().ok()?;
    let mut bytes = Vec::new();
    while bytes.len() < EXCERPT_CHARS * 4 {
        match stream.next().await {
            Some(Ok(chunk)) => bytes.extend_from_slice(&chunk),
            _ => break,
        }
    }
    let text = excerpt(&bytes);
    (!text.is_empty()).then_some(text)
}
