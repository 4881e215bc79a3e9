//! The webhooks queue's messages to and from JS: as JSON text through the host's own `JSON`,
//! which keeps the generic (de)serialisers of `serde_wasm_bindgen` out of the wasm.
use worker::js_sys::{Array, Function, Object, Reflect, JSON};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{Queue, RawMessage};

use crate::domain::webhook::QueueMessage;

fn js_text(e: JsValue) -> String {
    e.as_string().or_else(|| JSON::stringify(&e).ok().and_then(|s| s.as_string())).unwrap_or_else(|| "unknown".into())
}

/// Sends `messages` in one call (`sendBatch` takes at most 100: callers chunk).
pub async fn send(queue: &Queue, messages: &[QueueMessage]) -> Result<(), String> {
    let batch = Array::new();
    for m in messages {
        let body = JSON::parse(&m.to_json()).map_err(js_text)?;
        let item = Object::new();
        Reflect::set(&item, &"body".into(), &body).map_err(js_text)?;
        Reflect::set(&item, &"contentType".into(), &"json".into()).map_err(js_text)?;
        batch.push(&item);
    }
    let target: &JsValue = queue.as_ref();
    let send: Function = Reflect::get(target, &"sendBatch".into()).map_err(js_text)?.dyn_into().map_err(js_text)?;
    let promise = send.call1(target, &batch).map_err(js_text)?;
    JsFuture::from(worker::js_sys::Promise::from(promise)).await.map_err(js_text)?;
    Ok(())
}

/// A message's body, or `None` for one of another shape.
pub fn parse(m: &RawMessage) -> Option<QueueMessage> {
    QueueMessage::from_json(&JSON::stringify(&m.body()).ok()?.as_string()?)
}
