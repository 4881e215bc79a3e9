//! Webhooks: which addresses may receive events (public https only), what a subscription may
//! say, the signing of Standard Webhooks, and the retry schedule.
use std::net::{Ipv4Addr, Ipv6Addr};

use super::weburl::{self, WebUrl};
use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::Sha256;

use super::fields::{text, Lines};
use super::validation::{not_accepted, object, Errors, FieldError};
use super::{base64url, event, ip};

/// Secrets look like Standard Webhooks' (`whsec_` + base64 of the key), so its libraries take them as they are.
pub const SECRET_PREFIX: &str = "whsec_";
/// Random bytes in a secret (the specification asks for 24 to 64).
pub const SECRET_BYTES: usize = 32;
/// After a rotation the previous secret also signs for this long, so receivers can switch over.
pub const PREVIOUS_SECRET_HOURS: i64 = 24;
/// A receiver has this long to answer 2xx, redirects included.
pub const TIMEOUT_MS: u32 = 10_000;
/// Redirects followed, each to an address the same rules allow.
pub const MAX_REDIRECTS: usize = 3;
/// Of a receiver's answer, at most this many characters are kept.
pub const EXCERPT_CHARS: usize = 200;
/// Deliveries given up in a row that disable a webhook.
pub const FAILURE_LIMIT: i64 = 50;
/// Seconds before each retry (Standard Webhooks' suggested schedule): 8 attempts over about 27
/// hours; then the delivery is given up. The queue's `max_retries` is this list's length.
pub const RETRY_DELAYS_SECS: [u32; 7] = [5, 300, 1800, 7200, 18000, 36000, 36000];
/// Attempts a delivery gets before it is given up, however its retries reached the consumer
/// (the queue's own retries, or the cron's re-drive of a retry the queue lost).
pub const MAX_ATTEMPTS: u64 = RETRY_DELAYS_SECS.len() as u64 + 1;
pub const MAX_URL_LEN: usize = 2000;
pub const MAX_DESCRIPTION_LEN: usize = 500;
/// `event_types` may name every type at once with this.
pub const ALL_TYPES: &str = "*";

/// What travels on the webhooks queue.
#[derive(Debug, Clone, PartialEq)]
pub enum QueueMessage {
    /// Events were committed: fan the undispatched ones out to their webhooks.
    Dispatch,
    /// One event for one webhook: an attempt (the queue retries it with growing delays).
    Deliver { webhook_id: String, event_id: String },
}

/// A queue message as JSON: `{"kind": "dispatch"}` or `{"kind": "deliver", "webhook_id", "event_id"}`.
/// Flat rather than serde's tagged enum, whose buffering costs the wasm a few KiB.
#[derive(Serialize)]
struct Wire {
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    webhook_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    event_id: Option<String>,
}

impl QueueMessage {
    pub fn to_json(&self) -> String {
        let wire = match self {
            QueueMessage::Dispatch => Wire { kind: "dispatch".into(), webhook_id: None, event_id: None },
            QueueMessage::Deliver { webhook_id, event_id } => {
                Wire { kind: "deliver".into(), webhook_id: Some(webhook_id.clone()), event_id: Some(event_id.clone()) }
            }
        };
        serde_json::to_string(&wire).unwrap_or_default()
    }

    pub fn from_json(text: &str) -> Option<QueueMessage> {
        let mut wire = super::json::parse(text)?;
        let mut field = |name: &str| super::json::take_string(&mut wire, name);
        match (field("kind")?.as_str(), field("webhook_id"), field("event_id")) {
            ("dispatch", _, _) => Some(QueueMessage::Dispatch),
            ("deliver", Some(webhook_id), Some(event_id)) => Some(QueueMessage::Deliver { webhook_id, event_id }),
            _ => None,
        }
    }
}

/// Why an address may not receive events.
pub fn check_url(raw: &str, allow_local: bool) -> Result<WebUrl, String> {
    if raw.len() > MAX_URL_LEN {
        return Err(format!("url is at most {MAX_URL_LEN} characters"));
    }
    let url = weburl::parse(raw.trim()).ok_or("url is not an absolute URL")?;
    check(url, allow_local)
}

/// The rules for an address already parsed (a stored one, or a redirect's target).
pub fn check(url: WebUrl, allow_local: bool) -> Result<WebUrl, String> {
    match url.scheme.as_str() {
        "https" => {}
        "http" if allow_local => {}
        _ => return Err("url must be https".into()),
    }
    if url.has_credentials {
        return Err("url may not carry credentials; receivers verify the signature instead".into());
    }
    if allow_local {
        return Ok(url);
    }
    let host = url.host.as_str();
    if host.is_empty() {
        return Err("url needs a host".into());
    }
    // The parser wrote IP hosts in their one canonical form, so std's strict parsers read them.
    let special = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => Some(v6.parse::<Ipv6Addr>().map_or(Some("unreadable"), ip::special_v6)),
        None => host.parse::<Ipv4Addr>().ok().map(ip::special_v4),
    };
    match special {
        Some(Some(range)) => return Err(format!("url may not point at a special-purpose address ({range})")),
        Some(None) => return Ok(url),
        None => {}
    }
    let d = host.trim_end_matches('.').to_ascii_lowercase();
    if d == "localhost" || d.ends_with(".localhost") || !d.contains('.') {
        return Err("url must name a public host (not localhost or a single-label name)".into());
    }
    Ok(url)
}

/// A subscription as a create request gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewWebhook {
    pub url: String,
    pub description: Option<String>,
    pub event_types: Vec<String>,
    pub enabled: bool,
}

/// A change to a subscription; `None` leaves a field as it is.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WebhookPatch {
    pub url: Option<String>,
    pub description: Option<Option<String>>,
    pub event_types: Option<Vec<String>>,
    pub enabled: Option<bool>,
}

const READ_ONLY: [&str; 5] = ["id", "created_at", "failure_count", "secret", "disabled_reason"];

fn url_field(errors: &mut Errors, value: &Value, allow_local: bool) -> Option<String> {
    match value.as_str().map(|u| check_url(u, allow_local)) {
        Some(Ok(u)) => Some(u.href),
        Some(Err(m)) => {
            errors.push("url", "invalid_url", m);
            None
        }
        None => {
            errors.push("url", "invalid_type", "url must be a string");
            None
        }
    }
}

fn types_field(errors: &mut Errors, value: &Value) -> Option<Vec<String>> {
    let Some(list) = value.as_array().filter(|l| !l.is_empty()) else {
        errors.push("event_types", "invalid", format!("event_types is a non-empty list of event types, or [\"{ALL_TYPES}\"]"));
        return None;
    };
    let mut out: Vec<String> = Vec::new();
    for (i, v) in list.iter().enumerate() {
        match v.as_str() {
            Some(t) if t == ALL_TYPES || event::TYPES.contains(&t) => {
                if !out.iter().any(|o| o == t) {
                    out.push(t.to_string());
                }
            }
            _ => errors.push(
                format!("event_types[{i}]"),
                "unknown_event_type",
                format!("{v} is not an event type; one of {}, or \"{ALL_TYPES}\"", event::TYPES.join(", ")),
            ),
        }
    }
    if out.iter().any(|t| t == ALL_TYPES) {
        out = vec![ALL_TYPES.to_string()];
    }
    Some(out)
}

fn description_field(errors: &mut Errors, value: &Value) -> Option<Option<String>> {
    let before = errors.0.len();
    let description = text(&mut errors.0, "description", value, MAX_DESCRIPTION_LEN, Lines::Multi);
    (errors.0.len() == before).then_some(description)
}

fn enabled_field(errors: &mut Errors, value: &Value) -> Option<bool> {
    let b = value.as_bool();
    if b.is_none() {
        errors.push("enabled", "invalid_type", "enabled must be true or false");
    }
    b
}

impl NewWebhook {
    pub fn parse(body: &Value, allow_local: bool) -> Result<NewWebhook, Vec<FieldError>> {
        let map = object(body)?;
        let mut errors = Errors::default();
        let url = match map.get("url") {
            Some(v) => url_field(&mut errors, v, allow_local),
            None => {
                errors.push("url", "required", "a webhook needs the https address that receives events");
                None
            }
        };
        let event_types = map.get("event_types").map_or(Some(vec![ALL_TYPES.to_string()]), |v| types_field(&mut errors, v));
        let description = map.get("description").map_or(Some(None), |v| description_field(&mut errors, v));
        let enabled = map.get("enabled").map_or(Some(true), |v| enabled_field(&mut errors, v));
        unknown_keys(&mut errors, map);
        match (url, event_types, description, enabled) {
            (Some(url), Some(event_types), Some(description), Some(enabled)) if errors.0.is_empty() => {
                Ok(NewWebhook { url, description, event_types, enabled })
            }
            _ => Err(errors.0),
        }
    }
}

impl WebhookPatch {
    pub fn parse(body: &Value, allow_local: bool) -> Result<WebhookPatch, Vec<FieldError>> {
        let map = object(body)?;
        let mut errors = Errors::default();
        let patch = WebhookPatch {
            url: map.get("url").and_then(|v| url_field(&mut errors, v, allow_local)),
            description: map.get("description").and_then(|v| description_field(&mut errors, v)),
            event_types: map.get("event_types").and_then(|v| types_field(&mut errors, v)),
            enabled: map.get("enabled").and_then(|v| enabled_field(&mut errors, v)),
        };
        unknown_keys(&mut errors, map);
        errors.into_result(patch)
    }

    /// The names of the fields this patch gives, for the audit row.
    pub fn given(&self) -> Vec<&'static str> {
        [
            ("url", self.url.is_some()),
            ("description", self.description.is_some()),
            ("event_types", self.event_types.is_some()),
            ("enabled", self.enabled.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, given)| given.then_some(name))
        .collect()
    }
}

fn unknown_keys(errors: &mut Errors, map: &Map<String, Value>) {
    for key in map.keys().filter(|k| !["url", "description", "event_types", "enabled"].contains(&k.as_str())) {
        errors.0.push(not_accepted(key, &READ_ONLY));
    }
}

/// Where a replay starts: an event (it and every later one) or a time (every event committed at
/// or after it).
#[derive(Debug, Clone, PartialEq)]
pub enum ReplaySince {
    Event(String),
    /// Milliseconds since the epoch.
    Time(i64),
}

/// Events one replay puts on the queue at most; `next_since` in its answer continues after them.
pub const MAX_REPLAY_EVENTS: usize = 5000;
/// Replays of one webhook per hour: each may queue thousands of deliveries.
pub const REPLAYS_PER_HOUR: u64 = 5;

impl ReplaySince {
    /// `{"since": "<event id or RFC 3339 time>"}`; a time must be within the `RETENTION_DAYS`
    /// the events are kept (before `now_ms`, at most that many days back).
    pub fn parse(body: &Value, now_ms: i64) -> Result<ReplaySince, Vec<FieldError>> {
        let map = object(body)?;
        let mut errors = Errors::default();
        for key in map.keys().filter(|k| k.as_str() != "since") {
            errors.0.push(not_accepted(key, &[]));
        }
        let since = match map.get("since").map(|v| v.as_str().map(str::trim)) {
            None => {
                errors.push("since", "required", "since is the event id or the RFC 3339 time to replay from");
                None
            }
            Some(Some(s)) if super::id::is_uuid(s) => Some(ReplaySince::Event(s.to_ascii_lowercase())),
            Some(Some(s)) => match super::time::parse_ms(s) {
                Some(ms) if ms < now_ms - event::RETENTION_DAYS * 86_400_000 => {
                    errors.push(
                        "since",
                        "out_of_range",
                        format!("events are kept {} days: since must be within them", event::RETENTION_DAYS),
                    );
                    None
                }
                Some(ms) if ms > now_ms => {
                    errors.push("since", "out_of_range", "since is in the future");
                    None
                }
                Some(ms) => Some(ReplaySince::Time(ms)),
                None => {
                    errors.push("since", "invalid", "since is an event id or an RFC 3339 time");
                    None
                }
            },
            Some(None) => {
                errors.push("since", "invalid_type", "since is a string: an event id or an RFC 3339 time");
                None
            }
        };
        match since {
            Some(since) if errors.0.is_empty() => Ok(since),
            _ => Err(errors.0),
        }
    }
}

/// A new signing secret from `SECRET_BYTES` random bytes.
pub fn secret_from_bytes(bytes: &[u8]) -> String {
    format!("{SECRET_PREFIX}{}", base64url::encode_standard(bytes))
}

/// Standard Webhooks' signature of one attempt: `v1,` and the base64 HMAC-SHA256, keyed by the
/// secret's bytes, of `id.timestamp.body`. `None` for a secret that is not one of ours.
pub fn signature(secret: &str, msg_id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = base64url::decode_standard(secret.strip_prefix(SECRET_PREFIX)?)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{msg_id}.{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    Some(format!("v1,{}", base64url::encode_standard(&mac.finalize().into_bytes())))
}

/// The `webhook-signature` header: one signature per secret in use, space-separated.
pub fn signature_header(secrets: &[&str], msg_id: &str, timestamp: i64, body: &str) -> String {
    secrets.iter().filter_map(|s| signature(s, msg_id, timestamp, body)).collect::<Vec<_>>().join(" ")
}

/// Seconds to wait after the `attempts`-th failed attempt (1-based) of `schedule`; past its end,
/// its last delay.
pub fn retry_delay(schedule: &[u32], attempts: u32) -> u32 {
    let i = (attempts.max(1) as usize - 1).min(schedule.len().saturating_sub(1));
    schedule.get(i).copied().unwrap_or(0)
}

/// A schedule from its configuration (`5,300,1800`: seconds), for development and tests.
pub fn parse_schedule(raw: &str) -> Option<Vec<u32>> {
    let list: Option<Vec<u32>> = raw.split(',').map(|s| s.trim().parse::<u32>().ok().filter(|d| *d <= 43_200)).collect();
    list.filter(|l| !l.is_empty())
}

/// An attempt that took longer than this marks its receiver slow, as a failed one does: its
/// deliveries leave the main queue (where a batch waits for its slowest member) until an
/// attempt is received quickly again.
pub const SLOW_ATTEMPT_MS: u64 = 2_000;

/// Whether an attempt marks its receiver slow.
pub fn is_slow(succeeded: bool, duration_ms: u64) -> bool {
    !succeeded || duration_ms > SLOW_ATTEMPT_MS
}

/// Whether a receiver's answer status counts as received.
pub fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

/// The first `EXCERPT_CHARS` characters of a receiver's answer, control characters dropped.
pub fn excerpt(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).chars().filter(|c| !c.is_control() || *c == ' ').take(EXCERPT_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn refused(url: &str) -> bool {
        check_url(url, false).is_err()
    }

    #[test]
    fn a_public_https_address_is_accepted() {
        assert_eq!(check_url("https://hooks.example.com/in?x=1", false).unwrap().href, "https://hooks.example.com/in?x=1");
        assert!(!refused("https://8.8.8.8/hook"));
        assert!(!refused("https://[2606:4700::1111]/hook"));
    }

    #[test]
    fn plain_http_is_refused() {
        assert!(refused("http://hooks.example.com/"));
        assert!(refused("ftp://hooks.example.com/"));
    }

    #[test]
    fn loopback_private_and_link_local_addresses_are_refused() {
        for url in [
            "http://127.0.0.1/",
            "https://127.0.0.1/",
            "https://10.0.0.1/",
            "https://172.16.5.4/",
            "https://192.168.1.1/",
            "https://169.254.169.254/latest/meta-data",
            "https://0.0.0.0/",
            "https://100.64.0.1/",
            "https://[::1]/",
            "https://[::]/",
            "https://[fd00::1]/",
            "https://[fe80::1]/",
            "https://[::ffff:10.0.0.1]/",
            "https://[::ffff:127.0.0.1]/",
        ] {
            assert!(refused(url), "{url} should be refused");
        }
    }

    #[test]
    fn ipv6_forms_that_embed_or_stand_for_other_addresses_are_refused_in_any_spelling() {
        for url in [
            "https://[2002:7f00:1::]/h",
            "https://[2002:7F00:0001:0000::]/h",
            "https://[2002:a9fe:a9fe::]/",
            "https://[2001::1]/",
            "https://[2001:0:0a00:0001::]/",
            "https://[::ffff:0:7f00:1]/",
            "https://[0:0:0:0:ffff:0:127.0.0.1]/",
            "https://[0:0:0:0:0:ffff:7f00:1]/",
            "https://[100::1]/",
            "https://[fec0::1]/",
            "https://[64:ff9b::10.0.0.1]/",
            "https://[64:ff9b:1::1]/",
            "https://[2001:db8::1]/",
            "https://[ff02::1]/",
        ] {
            assert!(refused(url), "{url} should be refused");
        }
        assert!(check_url("https://[2002:7f00:1::]/h", false).unwrap_err().contains("6to4"));
    }

    #[test]
    fn numeric_spellings_of_loopback_are_refused() {
        assert!(refused("https://2130706433/"));
        assert!(refused("https://0x7f.1/"));
        assert!(refused("https://017700000001/"));
    }

    #[test]
    fn localhost_and_single_label_hosts_are_refused() {
        assert!(refused("https://localhost/"));
        assert!(refused("https://LOCALHOST./"));
        assert!(refused("https://api.localhost/"));
        assert!(refused("https://intranet/"));
    }

    #[test]
    fn credentials_in_the_address_are_refused() {
        assert!(refused("https://user:pass@hooks.example.com/"));
    }

    #[test]
    fn local_addresses_are_allowed_when_configured() {
        assert!(check_url("http://127.0.0.1:8080/hook", true).is_ok());
        assert!(check_url("ftp://127.0.0.1/", true).is_err());
    }

    #[test]
    fn a_failed_or_long_attempt_marks_its_receiver_slow() {
        assert!(!is_slow(true, 120));
        assert!(!is_slow(true, SLOW_ATTEMPT_MS));
        assert!(is_slow(true, SLOW_ATTEMPT_MS + 1));
        assert!(is_slow(false, 3));
    }

    #[test]
    fn a_replay_starts_at_an_event_or_a_time_within_the_days_kept() {
        let now = 1_767_323_045_678;
        let id = "0193AAAA-0000-7000-8000-000000000001";
        assert_eq!(ReplaySince::parse(&json!({"since": id}), now), Ok(ReplaySince::Event(id.to_ascii_lowercase())));
        let hour_ago = crate::domain::time::format_ms(now - 3_600_000);
        assert_eq!(ReplaySince::parse(&json!({"since": hour_ago}), now), Ok(ReplaySince::Time(now - 3_600_000)));
        let code = |body: Value| ReplaySince::parse(&body, now).unwrap_err()[0].code.clone();
        let too_old = crate::domain::time::format_ms(now - 31 * 86_400_000);
        assert_eq!(code(json!({"since": too_old})), "out_of_range");
        assert_eq!(code(json!({"since": crate::domain::time::format_ms(now + 60_000)})), "out_of_range");
        assert_eq!(code(json!({"since": "yesterday"})), "invalid");
        assert_eq!(code(json!({"since": 5})), "invalid_type");
        assert_eq!(code(json!({})), "required");
        assert_eq!(code(json!({"since": id, "until": id})), "unknown_field");
    }

    #[test]
    fn a_new_webhook_defaults_to_every_type_and_enabled() {
        let w = NewWebhook::parse(&json!({"url": "https://hooks.example.com/"}), false).unwrap();
        assert_eq!((w.event_types, w.enabled, w.description), (vec!["*".to_string()], true, None));
    }

    #[test]
    fn a_new_webhook_names_every_problem() {
        let errs = NewWebhook::parse(
            &json!({"url": "http://x.example/", "event_types": ["customer.created", "nope"], "secret": "s", "x": 1}),
            false,
        )
        .unwrap_err();
        let got: Vec<_> = errs.iter().map(|e| (e.field.as_str(), e.code.as_str())).collect();
        assert_eq!(
            got,
            vec![
                ("url", "invalid_url"),
                ("event_types[1]", "unknown_event_type"),
                ("secret", "read_only"),
                ("x", "unknown_field")
            ]
        );
    }

    #[test]
    fn a_star_among_types_means_every_type() {
        let w =
            NewWebhook::parse(&json!({"url": "https://h.example/", "event_types": ["customer.created", "*"]}), false).unwrap();
        assert_eq!(w.event_types, vec!["*"]);
    }

    #[test]
    fn a_patch_names_the_fields_it_gives() {
        let p = WebhookPatch::parse(&json!({"enabled": false, "description": null}), false).unwrap();
        assert_eq!(p.given(), vec!["description", "enabled"]);
        assert_eq!(p.description, Some(None));
    }

    /// The example of the Standard Webhooks specification's reference libraries.
    #[test]
    fn the_signature_matches_the_specifications_example() {
        let sig = signature(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(sig.as_deref(), Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="));
    }

    #[test]
    fn every_secret_in_use_signs() {
        let a = secret_from_bytes(&[1; SECRET_BYTES]);
        let b = secret_from_bytes(&[2; SECRET_BYTES]);
        let header = signature_header(&[&a, &b], "id", 1, "{}");
        assert_eq!(header.split(' ').count(), 2);
        assert!(header.split(' ').all(|s| s.starts_with("v1,")));
    }

    #[test]
    fn a_secret_is_prefixed_base64_of_its_bytes() {
        let s = secret_from_bytes(&[0; SECRET_BYTES]);
        assert!(s.starts_with("whsec_"));
        assert_eq!(base64url::decode_standard(&s[6..]).unwrap().len(), SECRET_BYTES);
        assert_eq!(signature("not-a-secret", "id", 1, "{}"), None);
    }

    #[test]
    fn retries_wait_longer_each_time_for_about_a_day() {
        assert!(RETRY_DELAYS_SECS.windows(2).all(|w| w[0] <= w[1]));
        let total: u32 = RETRY_DELAYS_SECS.iter().sum();
        assert!((20 * 3600..30 * 3600).contains(&total), "{total}");
        assert_eq!(retry_delay(&RETRY_DELAYS_SECS, 1), 5);
        assert_eq!(retry_delay(&RETRY_DELAYS_SECS, 99), 36000);
    }

    #[test]
    fn a_configured_schedule_is_seconds_within_the_queues_limit() {
        assert_eq!(parse_schedule("1, 2,3"), Some(vec![1, 2, 3]));
        assert_eq!(parse_schedule("1,x"), None);
        assert_eq!(parse_schedule("50000"), None);
    }

    #[test]
    fn queue_messages_say_what_they_are() {
        assert_eq!(QueueMessage::Dispatch.to_json(), r#"{"kind":"dispatch"}"#);
        let deliver = QueueMessage::Deliver { webhook_id: "w".into(), event_id: "e".into() };
        assert_eq!(deliver.to_json(), r#"{"kind":"deliver","webhook_id":"w","event_id":"e"}"#);
        assert_eq!(QueueMessage::from_json(&deliver.to_json()), Some(deliver));
        assert_eq!(QueueMessage::from_json(r#"{"kind":"dispatch"}"#), Some(QueueMessage::Dispatch));
    }

    #[test]
    fn a_queue_message_of_another_shape_is_none() {
        assert_eq!(QueueMessage::from_json(r#"{"kind":"deliver","webhook_id":"w"}"#), None);
        assert_eq!(QueueMessage::from_json(r#"{"kind":"explode"}"#), None);
        assert_eq!(QueueMessage::from_json("[]"), None);
    }

    #[test]
    fn only_2xx_is_success() {
        assert!(is_success(200) && is_success(204));
        assert!(!is_success(301) && !is_success(500) && !is_success(199));
    }

    #[test]
    fn an_excerpt_is_short_and_printable() {
        let long = "a\u{0}b".repeat(500);
        let e = excerpt(long.as_bytes());
        assert_eq!(e.chars().count(), EXCERPT_CHARS);
        assert!(!e.contains('\u{0}'));
    }
}
