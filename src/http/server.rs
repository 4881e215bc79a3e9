//! The path every request takes: request id, route resolution, CORS, authentication and
//! permission check, the handler, and the conversion of any error into the contract's shape.
use std::future::Future;
use std::pin::Pin;

use worker::{Env, Request, Response};

use super::auth::{actor_for_admin, actor_for_key, actor_for_key_id, actor_for_portal, bearer_token, matches_digest};
use super::config::Config;
use super::error::{ApiError, ApiResult};
use super::query_string::Query;
use super::routing::{resolve, Access, Method, Resolution, Route};
use super::{access, jwt};
use super::{cors, wake};
use super::{error_response, parse_bookmark, set_header, Actor, Ctx, SessionStart};
use crate::domain::api_key::service_token_key;
use crate::domain::permission::{Condition, Permission};
use crate::storage::d1::{wasm_mib, StatementCount};

pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = ApiResult<Response>> + 'a>>;
pub type Handler = for<'a> fn(&'a mut Ctx) -> HandlerFuture<'a>;
pub type Routes = [Route<Handler, Permission, Condition>];

/// Wraps an `async fn(&mut Ctx) -> ApiResult<Response>` as a route-table entry. A GET only
/// reads; `reads` after the budget says a route of another method does too (`Route::reads`).
#[macro_export]
macro_rules! route {
    ($method:ident, $pattern:literal, $access:expr, $handler:path, $statements:expr) => {
        $crate::route!(@ $method, $pattern, $access, $handler, $statements,
            matches!($crate::http::routing::Method::$method, $crate::http::routing::Method::Get))
    };
    ($method:ident, $pattern:literal, $access:expr, $handler:path, $statements:expr, reads) => {
        $crate::route!(@ $method, $pattern, $access, $handler, $statements, true)
    };
    (@ $method:ident, $pattern:literal, $access:expr, $handler:path, $statements:expr, $reads:expr) => {{
        fn handler(cx: &mut $crate::http::Ctx) -> $crate::http::server::HandlerFuture<'_> {
            Box::pin($handler(cx))
        }
        $crate::http::routing::Route {
            method: $crate::http::routing::Method::$method,
            pattern: $pattern,
            access: $access,
            endpoint: handler as $crate::http::server::Handler,
            statements: $statements,
            reads: $reads,
        }
    }};
}

/// The query string of a serialised URL: after the first `?` (a path serialises its own `?` as
/// `%3F`), before any fragment.
fn query_of(url: &str) -> &str {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    query.split_once('#').map_or(query, |(q, _)| q)
}

/// Cloudflare's ray id, else a UUID v7 of the request's start and 10 random bytes.
fn request_id(req: &Request, started_ms: f64) -> String {
    req.headers().get("cf-ray").ok().flatten().filter(|v| !v.is_empty() && v.len() <= 64).unwrap_or_else(|| {
        match random_bytes::<10>() {
            Some(random) => {
                uuid::Builder::from_unix_timestamp_millis(started_ms as u64, &random).into_uuid().simple().to_string()
            }
            None => uuid::Uuid::now_v7().simple().to_string(),
        }
    })
}

thread_local! {
    /// Random bytes for request ids, asked of the host 4 KiB at a time: `Uuid::now_v7` asks for
    /// 10 bytes (and the time) on every call, a crossing out of wasm into `getRandomValues` that
    /// was about 20 µs of each request (docs/performance.md, "Fixed cost of a request").
    static RANDOM: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// `N` bytes from the host's random source (through the pool above); `None` if it fails.
fn random_bytes<const N: usize>() -> Option<[u8; N]> {
    RANDOM.with(|pool| {
        let mut pool = pool.borrow_mut();
        if pool.len() < N {
            let mut fresh = vec![0u8; 4096];
            getrandom::fill(&mut fresh).ok()?;
            *pool = fresh;
        }
        let at = pool.len() - N;
        let bytes: [u8; N] = pool[at..].try_into().ok()?;
        pool.truncate(at);
        Some(bytes)
    })
}

/// A bearer credential (the admin token or an API key) when one is sent, else the person Access
/// signed in, when Access is configured.
async fn authenticate(req: &Request, env: &Env) -> ApiResult<Actor> {
    let config = Config::get(env);
    let header = req.headers().get("authorization").ok().flatten();
    if let Some(token) = bearer_token(header.as_deref()) {
        if config.admin_token_sha256.as_ref().is_some_and(|admin| matches_digest(token, admin)) {
            return Ok(Actor::AdminToken);
        }
        return actor_for_key(&super::database(env)?, token).await?.ok_or(ApiError::Unauthorized);
    }
    let settings = config.access.as_ref().ok_or(ApiError::Unauthorized)?;
    let header = |name: &str| req.headers().get(name).ok().flatten();
    let (assertion, cookie) = (header("cf-access-jwt-assertion"), header("cookie"));
    let token = jwt::from_request(assertion.as_deref(), cookie.as_deref()).ok_or(ApiError::Unauthorized)?;
    let identity = access::verify(settings, token).await.map_err(|refusal| {
        worker::console_warn!("access token refused: {refusal:?}");
        ApiError::Unauthorized
    })?;
    match identity {
        access::Identity::Person(email) => actor_for_admin(&super::database(env)?, &config.admin_owners, &email).await,
        access::Identity::ServiceToken(client_id) => {
            let Some(key_id) = service_token_key(&config.access_service_tokens, &client_id) else {
                worker::console_warn!("access service token {client_id} is not in ACCESS_SERVICE_TOKENS");
                return Err(ApiError::Unauthorized);
            };
            actor_for_key_id(&super::database(env)?, key_id).await?.ok_or(ApiError::Unauthorized)
        }
    }
}

/// Refuses a request another site's page made (CSRF): the portal's changes come from its own
/// pages, whose browser names the worker's origin.
pub fn same_origin(req: &Request) -> ApiResult<()> {
    let header = |name: &str| req.headers().get(name).ok().flatten();
    let url = req.inner().url();
    let own = crate::domain::portal::origin_of(&url);
    if crate::domain::portal::same_origin(own, header("origin").as_deref(), header("sec-fetch-site").as_deref()) {
        Ok(())
    } else {
        Err(ApiError::CrossOrigin)
    }
}

/// What the request's log line says beside its status and duration.
struct Outcome {
    route: &'static str,
    actor: &'static str,
    bookmark: Option<String>,
    /// Where the request's D1 session started (`SessionStart::kind`), if it opened one.
    session: Option<&'static str>,
    /// Rows D1 read and wrote for the request.
    rows: Option<(f64, f64)>,
    /// What the handler left to run after the answer.
    deferred: Vec<super::Deferred>,
    /// The route's statement budget (`Route::statements`).
    budget: Option<u32>,
    /// How a customer page found its rows, when the request read one.
    page_way: Option<&'static str>,
}

pub async fn handle(req: Request, env: Env, ctx: &worker::Context, routes: &Routes) -> Response {
    let started = worker::js_sys::Date::now();
    let request_id = request_id(&req, started);
    let path = req.path();
    // The raw method, read once: worker's `Method` maps any method it does not know to GET.
    let method = req.inner().method();
    let is_public_api = path.starts_with("/v1/public/");
    let allowed_origin =
        if is_public_api { cors::allowed_origin(&env, req.headers().get("origin").ok().flatten().as_deref()) } else { None };

    let mut outcome = Outcome {
        route: "unmatched",
        actor: "none",
        bookmark: None,
        session: None,
        rows: None,
        deferred: Vec::new(),
        budget: None,
        page_way: None,
    };
    let statements = StatementCount::default();
    let mut resp = if req.method() == worker::Method::Options && is_public_api {
        cors::preflight(routes, &path, allowed_origin.is_some())
    } else {
        let skip_dispatch = wake::skipped_by_test(&req, &env);
        let work = route(req, env.clone(), routes, Method::parse(&method), &request_id, &mut outcome, statements.clone());
        let resp = match statements.counting(work).await {
            Ok(resp) => resp,
            Err(err) => error_response(&err, &request_id),
        };
        if !skip_dispatch && wake::wrote(&method, resp.status_code(), outcome.rows) {
            wake::dispatcher_after(ctx, &env);
        }
        for work in outcome.deferred.drain(..) {
            ctx.wait_until(work);
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
    if Config::get(&env).test_routes {
        set_header(&mut resp, "X-Test-D1-Statements", &statements.get().to_string());
        if let Some(budget) = outcome.budget {
            set_header(&mut resp, "X-Test-D1-Budget", &budget.to_string());
        }
    }
    // One line per request, for Workers Logs: what ran and how it went, never a personal value
    // (no path parameters, query, body, email or key).
    if !Config::get(&env).request_log.writes(resp.status_code()) {
        return resp;
    }
    let mut line = serde_json::json!({
        "request_id": request_id, "method": method, "route": outcome.route, "status": resp.status_code(),
        "ms": worker::js_sys::Date::now() - started, "actor": outcome.actor,
        "session": outcome.session.unwrap_or("none"),
        "rows_read": outcome.rows.map_or(0.0, |r| r.0), "rows_written": outcome.rows.map_or(0.0, |r| r.1),
        "d1_statements": statements.get(), "wasm_mib": wasm_mib(),
    });
    if let Some(way) = outcome.page_way {
        line["page_way"] = way.into();
    }
    worker::console_log!("{line}");
    resp
}

async fn route(
    req: Request,
    env: Env,
    routes: &Routes,
    method: Option<Method>,
    request_id: &str,
    outcome: &mut Outcome,
    statements: StatementCount,
) -> ApiResult<Response> {
    // The runtime hands the URL over already parsed and serialised (WHATWG): the path and the
    // query are read off it as they stand, without a second URL parser in the wasm.
    let path = req.path();
    let raw_url = req.inner().url();
    let (route, params) = match resolve(routes, method, &path) {
        Resolution::Found(route, params) => {
            outcome.route = route.pattern;
            outcome.budget = Some(route.statements);
            (route, params)
        }
        Resolution::WrongMethod(allow) => return Err(ApiError::MethodNotAllowed { allow }),
        Resolution::NotFound => return Err(ApiError::NotFound("route")),
    };
    let (actor, conditional) = match route.access {
        Access::Public => (Actor::Anonymous, &[][..]),
        Access::Authenticated => (authenticate(&req, &env).await?, &[][..]),
        Access::Portal => {
            if route.method != Method::Get {
                same_origin(&req)?;
            }
            let cookie = req.headers().get("cookie").ok().flatten();
            (actor_for_portal(&super::database(&env)?, cookie.as_deref()).await?, &[][..])
        }
        Access::Requires { all, when } => {
            let actor = authenticate(&req, &env).await?;
            if let Some(missing) = all.iter().find(|p| !actor.has(**p)) {
                return Err(ApiError::Forbidden { permission: missing.as_str() });
            }
            (actor, when)
        }
    };
    outcome.actor = actor.kind();
    let pairs = form_urlencoded::parse(query_of(&raw_url).as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned()));
    let query = Query::parse(pairs)?;
    let session_start = match req.headers().get("x-d1-bookmark").ok().flatten() {
        Some(raw) => SessionStart::Bookmark(parse_bookmark(&raw)?),
        None if route.reads => SessionStart::AnyReplica,
        None => SessionStart::Primary,
    };
    let mut cx = Ctx {
        req,
        env,
        params,
        request_id: request_id.to_string(),
        actor,
        conditional,
        path,
        query,
        session_start,
        session: Default::default(),
        read_body: None,
        deferred: Vec::new(),
        statements,
        page_way: None,
    };
    let result = (route.endpoint)(&mut cx).await;
    outcome.bookmark = cx.bookmark();
    outcome.session = cx.session.get().map(|_| cx.session_start.kind());
    outcome.rows = cx.rows();
    outcome.deferred = std::mem::take(&mut cx.deferred);
    outcome.page_way = cx.page_way;
    result
}

#[cfg(test)]
mod tests {
    use super::query_of;
    use crate::http::config::{Config, RequestLog};

    #[test]
    fn every_request_is_logged_unless_told_errors_only() {
        for setting in [None, Some("all"), Some("eror"), Some("none")] {
            let c = Config::read(|name| (name == "REQUEST_LOG").then(|| setting.map(String::from)).flatten());
            assert_eq!(c.request_log, RequestLog::All, "{setting:?}");
        }
        let c = Config::read(|name| (name == "REQUEST_LOG").then(|| " Errors ".to_string()));
        assert_eq!(c.request_log, RequestLog::Errors);
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
