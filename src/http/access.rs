//! Cloudflare Access: verifies the token Access puts on every request it lets through, with the
//! runtime's WebCrypto (RSASSA-PKCS1-v1_5, SHA-256). The team's public keys are fetched from
//! `<ACCESS_TEAM_DOMAIN>/cdn-cgi/access/certs`, kept in the isolate's memory, and fetched again
//! for a key id not seen yet, at most once a minute (`ACCESS_CERTS_REFETCH_SECS`), so a flood of
//! forged key ids cannot turn into a flood of fetches.
use std::cell::RefCell;

use serde_json::Value;
use worker::js_sys::{self, Array, Object, Reflect};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::web_sys::{CryptoKey, SubtleCrypto, WorkerGlobalScope};
use worker::{Fetch, Method, Request};

use super::jwt::{self, Refusal};

pub use super::config::AccessSettings as Settings;

#[derive(Default)]
struct Certs {
    keys: Vec<(String, CryptoKey)>,
    fetched_at_ms: Option<f64>,
}

thread_local! {
    static CERTS: RefCell<Certs> = RefCell::new(Certs::default());
}

fn cached(kid: &str) -> Option<CryptoKey> {
    CERTS.with(|c| c.borrow().keys.iter().find(|(k, _)| k == kid).map(|(_, key)| key.clone()))
}

fn js_err(e: JsValue) -> Refusal {
    Refusal::KeysUnavailable(e.as_string().unwrap_or_else(|| format!("{e:?}")))
}

fn subtle() -> Result<SubtleCrypto, Refusal> {
    let global: WorkerGlobalScope = js_sys::global().unchecked_into();
    Ok(global.crypto().map_err(js_err)?.subtle())
}

fn rs256() -> Object {
    let algorithm = Object::new();
    let _ = Reflect::set(&algorithm, &"name".into(), &"RSASSA-PKCS1-v1_5".into());
    let _ = Reflect::set(&algorithm, &"hash".into(), &"SHA-256".into());
    algorithm
}

async fn import(subtle: &SubtleCrypto, jwk: &Value) -> Result<CryptoKey, Refusal> {
    let data: Object = js_sys::JSON::parse(&jwk.to_string()).map_err(js_err)?.unchecked_into();
    let usages = Array::of1(&"verify".into());
    let key = JsFuture::from(subtle.import_key_with_object("jwk", &data, &rs256(), false, &usages).map_err(js_err)?).await;
    Ok(key.map_err(js_err)?.unchecked_into())
}

async fn fetch_keys(team_domain: &str) -> Result<Vec<(String, CryptoKey)>, Refusal> {
    // The runtime's `Request` parses the URL (and refuses a malformed team domain).
    let req = Request::new(&format!("{team_domain}/cdn-cgi/access/certs"), Method::Get)
        .map_err(|e| Refusal::KeysUnavailable(e.to_string()))?;
    let mut resp = Fetch::Request(req).send().await.map_err(|e| Refusal::KeysUnavailable(e.to_string()))?;
    if resp.status_code() != 200 {
        return Err(Refusal::KeysUnavailable(format!("certs answered {}", resp.status_code())));
    }
    let bytes = resp.bytes().await.map_err(|e| Refusal::KeysUnavailable(e.to_string()))?;
    let body: Value = serde_json::from_slice(&bytes).map_err(|e| Refusal::KeysUnavailable(e.to_string()))?;
    let subtle = subtle()?;
    let mut keys = Vec::new();
    for jwk in body["keys"].as_array().into_iter().flatten() {
        if let (Some(kid), Some("RSA")) = (jwk["kid"].as_str(), jwk["kty"].as_str()) {
            // A key WebCrypto refuses is skipped: the others still serve.
            if let Ok(key) = import(&subtle, jwk).await {
                keys.push((kid.to_string(), key));
            }
        }
    }
    Ok(keys)
}

async fn key_for(settings: &Settings, kid: &str) -> Result<CryptoKey, Refusal> {
    if let Some(key) = cached(kid) {
        return Ok(key);
    }
    let now = js_sys::Date::now();
    let may_fetch = CERTS.with(|c| c.borrow().fetched_at_ms.is_none_or(|t| now - t >= settings.refetch_ms));
    if !may_fetch {
        return Err(Refusal::UnknownKey);
    }
    // Marked before the fetch: requests arriving meanwhile with other unknown ids do not fetch too.
    CERTS.with(|c| c.borrow_mut().fetched_at_ms = Some(now));
    let keys = fetch_keys(&settings.team_domain).await?;
    CERTS.with(|c| c.borrow_mut().keys = keys);
    cached(kid).ok_or(Refusal::UnknownKey)
}

/// Who Access signed in: a person by email, or a machine by its service token's client id.
#[derive(Debug, Clone, PartialEq)]
pub enum Identity {
    Person(String),
    ServiceToken(String),
}

/// Who is behind `token`, verified: a person's normalised email, else a service token's client id
/// (Access's tokens for service tokens carry `common_name` and no email).
pub async fn verify(settings: &Settings, token: &str) -> Result<Identity, Refusal> {
    let parsed = jwt::parse(token)?;
    jwt::check(&parsed.claims, &settings.team_domain, &settings.audience, js_sys::Date::now() / 1000.0)?;
    let key = key_for(settings, &parsed.kid).await?;
    let promise = subtle()?
        .verify_with_object_and_u8_array_and_u8_array(&rs256(), &key, &parsed.signature, parsed.signed.as_bytes())
        .map_err(js_err)?;
    let valid = JsFuture::from(promise).await.map_err(js_err)?.as_bool() == Some(true);
    if !valid {
        return Err(Refusal::Signature);
    }
    if parsed.claims.email.trim().is_empty() {
        return Ok(Identity::ServiceToken(parsed.claims.common_name.trim().to_string()));
    }
    Ok(Identity::Person(crate::domain::email::normalize_email(&parsed.claims.email)))
}
