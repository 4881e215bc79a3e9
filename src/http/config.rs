//! Every setting of the worker (`[vars]` in `wrangler.toml`, `.dev.vars`, the `ADMIN_TOKEN`
//! secret), read and checked once per isolate. Code reads `Config`, never the environment, so
//! each setting has one name, one parse and one default; `docs/operations.md` lists them.
//!
//! A setting that is set but malformed is not guessed at: it keeps its default, is named in the
//! log, and `/health` answers 503 `not_configured` naming it, so a typo shows at the first probe.
use std::cell::OnceCell;
use std::rc::Rc;

use worker::Env;

use crate::domain::activation::link_url;
use crate::domain::admin::owners_from;
use crate::domain::email::Email;
use crate::domain::webhook::{parse_schedule, RETRY_DELAYS_SECS};

/// The most rows one import may hold, unless `IMPORT_MAX_ROWS` says fewer or more.
pub const DEFAULT_IMPORT_MAX_ROWS: usize = 10_000;
/// The largest `IMPORT_MAX_ROWS` accepted: what one request can plan and write.
pub const MAX_IMPORT_ROWS: usize = 100_000;

/// Which requests get the JSON log line. Anything but `errors` logs every request: a misspelt
/// setting must not silence the logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestLog {
    All,
    Errors,
}

impl RequestLog {
    pub fn writes(self, status: u16) -> bool {
        self == RequestLog::All || status >= 400
    }
}

/// Cloudflare Access, on when its team domain is set.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessSettings {
    /// `ACCESS_TEAM_DOMAIN`, without a trailing `/`.
    pub team_domain: String,
    /// `ACCESS_AUD`: the application's audience tag.
    pub audience: String,
    /// `ACCESS_CERTS_REFETCH_SECS` (default 60), in ms: how soon an unknown key id may fetch the keys again.
    pub refetch_ms: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `ADMIN_TOKEN` (a secret): the bearer token with every permission; unset, none works.
    pub admin_token: Option<String>,
    /// Its SHA-256, what a request's bearer token is compared with (`auth::matches_digest`).
    pub admin_token_sha256: Option<[u8; 32]>,
    /// `ADMIN_OWNERS`: emails made owners at their first Access sign-in.
    pub admin_owners: Vec<String>,
    pub access: Option<AccessSettings>,
    /// `ACCESS_SERVICE_TOKENS`: `<client id>=<api key id>` pairs, comma-separated: what each Access
    /// service token may do is what that API key may.
    pub access_service_tokens: String,
    /// `PUBLIC_ALLOWED_ORIGINS`: comma-separated origins the public endpoints answer CORS for.
    pub public_allowed_origins: String,
    /// `PUBLIC_RATE_LIMIT_RETRY_AFTER` (default 60): seconds a rate-limited client is told to wait.
    pub public_rate_limit_retry_after: u32,
    /// `IMPORT_MAX_ROWS` (default 10,000).
    pub import_max_rows: usize,
    /// `ACTIVATION_URL_BASE`: where activation links point; unset, creating one is 503.
    pub activation_url_base: Option<String>,
    /// `EMAIL_FROM`: the sender of every email (with the `EMAIL` binding); unset, nothing is sent.
    pub email_from: Option<String>,
    /// `PORTAL_URL_BASE`: the portal's address (e.g. `https://crm.example/portal`); sign-in links
    /// are it with `#token=...`. Unset, sign-in links cannot be sent.
    pub portal_url_base: Option<String>,
    /// `ALLOW_LOCAL_WEBHOOKS=true`: webhook addresses on private hosts (development and tests only).
    pub allow_local_webhooks: bool,
    /// `WEBHOOK_RETRY_DELAYS` (default `RETRY_DELAYS_SECS`): seconds before each retry.
    pub webhook_retry_delays: Vec<u32>,
    /// `REQUEST_LOG` (default `all`).
    pub request_log: RequestLog,
    /// `ENABLE_TEST_ROUTES=true`: the `/__test/*` routes and the tests' request headers.
    pub test_routes: bool,
    /// The settings that are set but malformed, each with what it must be.
    pub invalid: Vec<(&'static str, String)>,
}

thread_local! {
    static CONFIG: OnceCell<Rc<Config>> = const { OnceCell::new() };
}

impl Config {
    /// This isolate's settings, read on first use.
    pub fn get(env: &Env) -> Rc<Config> {
        CONFIG.with(|c| {
            c.get_or_init(|| {
                let config = Config::read(|name| {
                    let value =
                        if name == "ADMIN_TOKEN" { env.secret(name).ok()?.to_string() } else { env.var(name).ok()?.to_string() };
                    Some(value).filter(|v| !v.trim().is_empty())
                });
                for (name, rule) in &config.invalid {
                    worker::console_error!("setting {name} is malformed ({rule}); its default is used");
                }
                Rc::new(config)
            })
            .clone()
        })
    }

    /// Reads every setting through `var` (`None`: unset or blank).
    pub fn read(var: impl Fn(&str) -> Option<String>) -> Config {
        let mut invalid = Vec::new();
        let mut check = |name: &'static str, ok: bool, rule: &str| {
            if !ok {
                invalid.push((name, rule.to_string()));
            }
        };
        let owners_raw = var("ADMIN_OWNERS").unwrap_or_default();
        let admin_owners = owners_from(&owners_raw);
        check(
            "ADMIN_OWNERS",
            owners_raw.split(',').filter(|e| !e.trim().is_empty()).all(|e| Email::parse(e).is_ok()),
            "comma-separated email addresses",
        );
        let number = |name: &str, max: u64| var(name).map(|v| v.trim().parse::<u64>().ok().filter(|n| (1..=max).contains(n)));
        let retry_after = number("PUBLIC_RATE_LIMIT_RETRY_AFTER", 3600);
        check("PUBLIC_RATE_LIMIT_RETRY_AFTER", retry_after != Some(None), "a whole number of seconds from 1 to 3600");
        let max_rows = number("IMPORT_MAX_ROWS", MAX_IMPORT_ROWS as u64);
        check("IMPORT_MAX_ROWS", max_rows != Some(None), "a whole number from 1 to 100000");
        let delays = var("WEBHOOK_RETRY_DELAYS").map(|v| parse_schedule(&v));
        check("WEBHOOK_RETRY_DELAYS", delays != Some(None), "comma-separated seconds, each at most 43200");
        let activation_url_base = var("ACTIVATION_URL_BASE");
        check(
            "ACTIVATION_URL_BASE",
            activation_url_base.as_deref().is_none_or(|b| link_url(b, "").is_some()),
            "an absolute http(s) address",
        );
        let email_from = var("EMAIL_FROM").map(|v| v.trim().to_string());
        check("EMAIL_FROM", email_from.as_deref().is_none_or(|e| Email::parse(e).is_ok()), "an email address");
        let portal_url_base = var("PORTAL_URL_BASE").map(|v| v.trim().trim_end_matches('/').to_string());
        check(
            "PORTAL_URL_BASE",
            portal_url_base.as_deref().is_none_or(|b| link_url(b, "").is_some()),
            "an absolute http(s) address",
        );
        let refetch = var("ACCESS_CERTS_REFETCH_SECS").map(|v| seconds(&v));
        check("ACCESS_CERTS_REFETCH_SECS", refetch != Some(None), "a number of seconds, 0 or more");
        let access = var("ACCESS_TEAM_DOMAIN").map(|domain| AccessSettings {
            team_domain: domain.trim().trim_end_matches('/').to_string(),
            audience: var("ACCESS_AUD").unwrap_or_default(),
            refetch_ms: refetch.flatten().unwrap_or(60.0) * 1000.0,
        });
        let flag = |name: &str| var(name).is_some_and(|v| v.trim() == "true");
        let admin_token = var("ADMIN_TOKEN");
        Config {
            admin_token_sha256: admin_token.as_deref().map(super::auth::sha256),
            admin_token,
            admin_owners,
            access,
            access_service_tokens: var("ACCESS_SERVICE_TOKENS").unwrap_or_default(),
            public_allowed_origins: var("PUBLIC_ALLOWED_ORIGINS").unwrap_or_default(),
            public_rate_limit_retry_after: retry_after.flatten().unwrap_or(60) as u32,
            import_max_rows: max_rows.flatten().map_or(DEFAULT_IMPORT_MAX_ROWS, |n| n as usize),
            activation_url_base,
            email_from: email_from.filter(|e| Email::parse(e).is_ok()),
            portal_url_base: portal_url_base.filter(|b| link_url(b, "").is_some()),
            allow_local_webhooks: flag("ALLOW_LOCAL_WEBHOOKS"),
            webhook_retry_delays: delays.flatten().unwrap_or_else(|| RETRY_DELAYS_SECS.to_vec()),
            request_log: match var("REQUEST_LOG") {
                Some(v) if v.trim().eq_ignore_ascii_case("errors") => RequestLog::Errors,
                _ => RequestLog::All,
            },
            test_routes: flag("ENABLE_TEST_ROUTES"),
            invalid,
        }
    }
}

/// A number of seconds. On wasm through the runtime's `Number()`, which spares the wasm Rust's
/// float parser (only this setting has a fractional number to read).
fn seconds(text: &str) -> Option<f64> {
    #[cfg(target_arch = "wasm32")]
    let number = text.trim().parse::<worker::js_sys::Number>().ok()?.value_of();
    #[cfg(not(target_arch = "wasm32"))]
    let number = text.trim().parse::<f64>().ok()?;
    Some(number).filter(|s| s.is_finite() && *s >= 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Config {
        Config::read(|name| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string()))
    }

    #[test]
    fn unset_settings_take_their_defaults() {
        let c = read(&[]);
        assert_eq!(c.import_max_rows, DEFAULT_IMPORT_MAX_ROWS);
        assert_eq!(c.public_rate_limit_retry_after, 60);
        assert_eq!(c.webhook_retry_delays, RETRY_DELAYS_SECS.to_vec());
        assert_eq!((c.request_log, c.test_routes, c.allow_local_webhooks), (RequestLog::All, false, false));
        assert_eq!((c.access, c.admin_token, c.activation_url_base), (None, None, None));
        assert!(c.access_service_tokens.is_empty());
        assert!(c.invalid.is_empty());
    }

    #[test]
    fn set_settings_are_read() {
        let c = read(&[
            ("IMPORT_MAX_ROWS", "500"),
            ("WEBHOOK_RETRY_DELAYS", "1, 2"),
            ("ACCESS_TEAM_DOMAIN", "https://team.cloudflareaccess.com/"),
            ("ACCESS_CERTS_REFETCH_SECS", "0.5"),
            ("ENABLE_TEST_ROUTES", "true"),
            ("REQUEST_LOG", "errors"),
            ("ADMIN_OWNERS", "Owner@Example.com, b@example.com"),
        ]);
        assert_eq!(c.import_max_rows, 500);
        assert_eq!(c.webhook_retry_delays, vec![1, 2]);
        let access = c.access.unwrap();
        assert_eq!((access.team_domain.as_str(), access.refetch_ms), ("https://team.cloudflareaccess.com", 500.0));
        assert!(c.test_routes);
        assert_eq!(c.request_log, RequestLog::Errors);
        assert_eq!(c.admin_owners, vec!["owner@example.com", "b@example.com"]);
    }

    #[test]
    fn a_malformed_setting_is_named_and_keeps_its_default() {
        let c = read(&[
            ("IMPORT_MAX_ROWS", "ten"),
            ("PUBLIC_RATE_LIMIT_RETRY_AFTER", "-1"),
            ("WEBHOOK_RETRY_DELAYS", "1,x"),
            ("ACTIVATION_URL_BASE", "portal.example/activate"),
            ("ADMIN_OWNERS", "owner@example.com, not an email"),
            ("ENABLE_TEST_ROUTES", "yes"),
        ]);
        let names: Vec<&str> = c.invalid.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            ["ADMIN_OWNERS", "PUBLIC_RATE_LIMIT_RETRY_AFTER", "IMPORT_MAX_ROWS", "WEBHOOK_RETRY_DELAYS", "ACTIVATION_URL_BASE"]
        );
        assert_eq!(c.import_max_rows, DEFAULT_IMPORT_MAX_ROWS);
        assert_eq!(c.admin_owners, vec!["owner@example.com"]);
        assert!(!c.test_routes, "only exactly `true` turns test routes on");
    }

    /// Every setting the worker reads has a row in the operators' table.
    #[test]
    fn docs_operations_lists_every_setting() {
        let asked = std::cell::RefCell::new(Vec::new());
        Config::read(|name| {
            asked.borrow_mut().push(name.to_string());
            None
        });
        let doc = include_str!("../../docs/operations.md");
        let asked = asked.into_inner();
        assert!(asked.len() >= 12, "{asked:?}");
        for name in asked {
            assert!(doc.contains(&format!("| `{name}`")), "docs/operations.md has no row for {name}");
        }
    }
}
