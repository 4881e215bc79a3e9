//! The path every request takes: request id, route resolution, CORS, authentication and
//! permission check, the handler, and the conversion of any error into the contract's shape.
use std::future::Future;
use std::pin::Pin;

use worker::{Env, Request, Response};

use super::auth::{actor_for_admin, actor_for_key, actor_for_key_id, bearer_token, constant_time_eq};
use super::cors;
use super::error::{ApiError, ApiResult};
use super::query::Query;
use super::routing::{resolve, Access, Method, Resolution, Route};
use super::{access, jwt};
use super::{error_response, parse_bookmark, set_header, Actor, Ctx, SessionStart};
use crate::domain::api_key::{service_token_key, SERVICE_TOKENS};
use crate::domain::permission::Permission;
use crate::storage::d1::{wasm_mib, StatementCount};

pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = ApiResult<Response>> + 'a>>;
pub type Handler = for<'a> fn(&'a mut Ctx) -> HandlerFuture<'a>;
pub type Routes = [Route<Handler, Permission>];

/// Wraps an `async fn(&mut Ctx) -> ApiResult<Response>` as a route-table entry.
#[macro_export]
macro_rules! route {
    ($method:ident, $pattern:literal, $access:expr, $handler:path, $statements:expr) => {{
        fn handler(cx: &mut $crate::http::Ctx) -> $crate::http::server::HandlerFuture<'_> {
            Box::pin($handler(cx))
        }
        $crate::http::routing::Route {
            method: $crate::http::routing::Method::$method,
            pattern: $pattern,
            access: $access,
            endpoint: handler as $crate::http::server::Handler,
            statements: $statements,
        }
    }};
}

/// The query string of a serialised URL: after the first `?` (a path serialises its own `?` as
/// `%3F`), before any fragment.
fn query_of(url: &str) -> &str {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    query.split_once('#').map_or(query, |(q, _)| q)
}

fn request_id(req: &Request) -> String {
    req.headers()
        .get("cf-ray")
        .ok()
        .flatten()
        .filter(|v| !v.is_empty() && v.len() <= 64)
        .unwrap_or_else(|| uuid::Uuid::now_v7().simple().to_string())
}

/// A bearer credential (the admin token or an API key) when one is sent, else the person Access
/// signed in, when Access is configured.
async fn authenticate(req: &Request, env: &Env) -> ApiResult<Actor> {
    let header = req.headers().get("authorization").ok().flatten();
    if let Some(token) = bearer_token(header.as_deref()) {
        if let Ok(admin) = env.secret("ADMIN_TOKEN").map(|s| s.to_string()) {
            if !admin.is_empty() && constant_time_eq(token, &admin) {
                return Ok(Actor::AdminToken);
            }
        }
        return actor_for_key(&super::database(env)?, token).await?.ok_or(ApiError::Unauthorized);
    }
    let settings = access::Settings::from_env(env).ok_or(ApiError::Unauthorized)?;
    let header = |name: &str| req.headers().get(name).ok().flatten();
    let (assertion, cookie) = (header("cf-access-jwt-assertion"), header("cookie"));
    let token = jwt::from_request(assertion.as_deref(), cookie.as_deref()).ok_or(ApiError::Unauthorized)?;
    let identity = access::verify(&settings, token).await.map_err(|refusal| {
        worker::console_warn!("access token refused: {refusal:?}");
        ApiError::Unauthorized
    })?;
    match identity {
        access::Identity::Person(email) => actor_for_admin(&super::database(env)?, env, &email).await,
        access::Identity::ServiceToken(client_id) => {
            let setting = env.var(SERVICE_TOKENS).ok().map(|v| v.to_string()).unwrap_or_default();
            let Some(key_id) = service_token_key(&setting, &client_id) else {
                worker::console_warn!("access service token {client_id} is not in {SERVICE_TOKENS}");
                return Err(ApiError::Unauthorized);
            };
            actor_for_key_id(&super::database(env)?, key_id).await?.ok_or(ApiError::Unauthorized)
        }
    }
}

/// What the request's log line says beside its status and duration.
struct Outcome {
    route: &'static str,
    actor: &'static str,
    bookmark: Option<String>,
    /// Rows D1 read and wrote for the request.
    rows: Option<(f64, f64)>,
    /// The route's statement budget (`Route::statements`).
    budget: Option<u32>,
}

/// Which requests get the JSON log line (`REQUEST_LOG`). Deployed, every one (`all`, the default):
/// it is what Workers Logs searches. `make dev` serves with `errors`: `wrangler dev` already prints
/// a line for every request, and each `console.log` there crosses from workerd to wrangler's
/// process (measured at a third of a single read's CPU time in the worker, issue 13).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RequestLog {
    All,
    /// Only answers of 400 and above.
    Errors,
}

impl RequestLog {
    /// Anything but `errors` logs every request: a misspelt setting must not silence the logs.
    fn parse(setting: Option<&str>) -> RequestLog {
        match setting.map(str::trim) {
            Some(s) if s.eq_ignore_ascii_case("errors") => RequestLog::Errors,
            _ => RequestLog::All,
        }
    }

    fn from_env(env: &Env) -> RequestLog {
        RequestLog::parse(env.var("REQUEST_LOG").ok().map(|v| v.to_string()).as_deref())
    }

    fn writes(self, status: u16) -> bool {
        self == RequestLog::All || status >= 400
    }
}

/// The webhooks queue (`[[queues.producers]]`); a deployment without it has no webhooks.
pub const QUEUE_BINDING: &str = "WEBHOOKS";

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
fn dispatch_after(ctx: &worker::Context, env: &Env) {
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
fn wrote(method: &str, status: u16, rows: Option<(f64, f64)>) -> bool {
    rows.map_or(method != "GET" && status < 400, |(_, written)| written > 0.0)
}

/// Whether the test-only switches and answers are on (`ENABLE_TEST_ROUTES`; never deployed).
pub fn test_mode(env: &Env) -> bool {
    env.var("ENABLE_TEST_ROUTES").is_ok_and(|v| v.to_string() == "true")
}

/// Tests simulate a crash between a commit and its queue send with `X-Test-Skip-Dispatch`
/// (only where `ENABLE_TEST_ROUTES` is on).
fn skips_dispatch(req: &Request, env: &Env) -> bool {
    test_mode(env) && req.headers().has("x-test-skip-dispatch").unwrap_or(false)
}

pub async fn handle(req: Request, env: Env, ctx: &worker::Context, routes: &Routes) -> Response {
    let started = worker::js_sys::Date::now();
    let request_id = request_id(&req);
    let path = req.path();
    let method = req.inner().method();
    let origin = req.headers().get("origin").ok().flatten();
    let is_public_api = path.starts_with("/v1/public/");
    let allowed_origin = if is_public_api { cors::allowed_origin(&env, origin.as_deref()) } else { None };

    let mut outcome = Outcome { route: "unmatched", actor: "none", bookmark: None, rows: None, budget: None };
    let statements = StatementCount::default();
    let mut resp = if req.method() == worker::Method::Options && is_public_api {
        cors::preflight(routes, &path, allowed_origin.is_some())
    } else {
        let skip_dispatch = skips_dispatch(&req, &env);
        let work = route(req, env.clone(), routes, &request_id, &mut outcome, statements.clone());
        let resp = match statements.counting(work).await {
            Ok(resp) => resp,
            Err(err) => error_response(&err, &request_id),
        };
        if !skip_dispatch && wrote(&method, resp.status_code(), outcome.rows) {
            dispatch_after(ctx, &env);
        }
        resp
    };
    set_header(&mut resp, "X-Request-Id", &request_id);
    if let Some(bookmark) = &outcome.bookmark {
        set_header(&mut resp, "X-D1-Bookmark", bookmark);
    }
    // Answers hold customers' personal data: no shared or browser cache keeps them, unless a
    // handler chose otherwise (the static documents).
    if !resp.headers().has("cache-control").unwrap_or(false) {
        set_header(&mut resp, "Cache-Control", "no-store");
    }
    if let Some(origin) = allowed_origin {
        cors::decorate(&mut resp, &origin);
    }
    // The tests hold every request to its route's budget (tests/harness.mjs).
    if test_mode(&env) {
        set_header(&mut resp, "X-Test-D1-Statements", &statements.get().to_string());
        if let Some(budget) = outcome.budget {
            set_header(&mut resp, "X-Test-D1-Budget", &budget.to_string());
        }
    }
    // One line per request, for Workers Logs: what ran and how it went, never a personal value
    // (no path parameters, query, body, email or key).
    if !RequestLog::from_env(&env).writes(resp.status_code()) {
        return resp;
    }
    let line = serde_json::json!({
        "request_id": request_id, "method": method, "route": outcome.route, "status": resp.status_code(),
        "ms": worker::js_sys::Date::now() - started, "actor": outcome.actor,
        "session": if outcome.bookmark.is_some() { "d1" } else { "none" },
        "rows_read": outcome.rows.map_or(0.0, |r| r.0), "rows_written": outcome.rows.map_or(0.0, |r| r.1),
        "d1_statements": statements.get(), "wasm_mib": wasm_mib(),
    });
    worker::console_log!("{line}");
    resp
}

async fn route(
    req: Request,
    env: Env,
    routes: &Routes,
    request_id: &str,
    outcome: &mut Outcome,
    statements: StatementCount,
) -> ApiResult<Response> {
    // The runtime hands the URL over already parsed and serialised (WHATWG): the path and the
    // query are read off it as they stand, without a second URL parser in the wasm.
    let path = req.path();
    let raw_url = req.inner().url();
    // The raw method: worker's `Method` maps any method it does not know to GET.
    let method = Method::parse(&req.inner().method());
    let (route, params) = match resolve(routes, method, &path) {
        Resolution::Found(route, params) => {
            outcome.route = route.pattern;
            outcome.budget = Some(route.statements);
            (route, params)
        }
        Resolution::WrongMethod(allow) => return Err(ApiError::MethodNotAllowed { allow }),
        Resolution::NotFound => return Err(ApiError::NotFound("route")),
    };
    let actor = match route.access {
        Access::Public => Actor::Anonymous,
        Access::Requires(permission) => {
            let actor = authenticate(&req, &env).await?;
            if !actor.has(permission) {
                return Err(ApiError::Forbidden { permission: permission.as_str() });
            }
            actor
        }
        // The handler requires the one its parameters call for, so a 403 names the permission
        // this request needed (force delete, not delete, for `permanent=true`).
        Access::RequiresOneOf(..) | Access::Authenticated => authenticate(&req, &env).await?,
    };
    outcome.actor = actor.kind();
    let pairs = form_urlencoded::parse(query_of(&raw_url).as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned()));
    let query = Query::parse(pairs)?;
    let session_start = match req.headers().get("x-d1-bookmark").ok().flatten() {
        Some(raw) => SessionStart::Bookmark(parse_bookmark(&raw)?),
        None if route.method == Method::Get => SessionStart::AnyReplica,
        None => SessionStart::Primary,
    };
    let mut cx = Ctx {
        req,
        env,
        params,
        request_id: request_id.to_string(),
        actor,
        path,
        query,
        session_start,
        session: Default::default(),
        statements,
    };
    let result = (route.endpoint)(&mut cx).await;
    outcome.bookmark = cx.bookmark();
    outcome.rows = cx.rows();
    result
}

#[cfg(test)]
mod tests {
    use super::{query_of, RequestLog};

    #[test]
    fn every_request_is_logged_unless_told_errors_only() {
        for setting in [None, Some(""), Some("all"), Some("eror"), Some("none")] {
            assert_eq!(RequestLog::parse(setting), RequestLog::All, "{setting:?}");
        }
        assert_eq!(RequestLog::parse(Some(" Errors ")), RequestLog::Errors);
    }

    #[test]
    fn errors_only_logs_answers_of_400_and_above() {
        assert!(!RequestLog::Errors.writes(200) && !RequestLog::Errors.writes(304));
        assert!(RequestLog::Errors.writes(400) && RequestLog::Errors.writes(404) && RequestLog::Errors.writes(500));
        assert!(RequestLog::All.writes(200));
    }

    #[test]
    fn the_query_is_what_follows_the_first_question_mark() {
        assert_eq!(query_of("https://h.example/v1/customers?q=a%3Fb&limit=5"), "q=a%3Fb&limit=5");
        assert_eq!(query_of("https://h.example/v1/customers?q=a?b"), "q=a?b");
    }

    #[test]
    fn no_question_mark_is_an_empty_query() {
        assert_eq!(query_of("https://h.example/v1/customers"), "");
        assert_eq!(query_of("https://h.example/v1/customers?"), "");
    }

    #[test]
    fn a_fragment_is_not_part_of_the_query() {
        assert_eq!(query_of("https://h.example/x?a=1#top"), "a=1");
    }
}
