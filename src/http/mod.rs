//! Everything HTTP: the request context, authentication, body reading with limits, JSON
//! answers and the conversion of every error into the contract's shape.
pub mod access;
pub mod auth;
pub mod config;
pub mod cors;
pub mod error;
pub mod jwt;
pub mod mail;
pub mod outbound;
pub mod query_string;
pub mod queue;
pub mod routing;
pub mod server;
pub mod wake;

use serde::Serialize;
use serde_json::Value;
use worker::{Env, Headers, Request, Response};

use crate::domain::admin::Role;
use crate::domain::permission::{Condition, Permission};
use crate::domain::portal::ContactRole;
use error::{ApiError, ApiResult};
use routing::Params;

pub const JSON_BODY_LIMIT: usize = 1024 * 1024;
pub const CSV_BODY_LIMIT: usize = 25 * 1024 * 1024;

/// Who is calling: a person signed in through Access, the `ADMIN_TOKEN` holder, an API key,
/// or nobody (public routes).
#[derive(Debug, Clone, PartialEq)]
pub enum Actor {
    Anonymous,
    AdminToken,
    /// `admin_id`: the admin the key rests on, whom a key it mints rests on too.
    ApiKey {
        id: String,
        permissions: Vec<Permission>,
        admin_id: Option<String>,
    },
    Admin {
        id: String,
        email: String,
        role: Role,
    },
    /// A customer user signed in to the portal: a person (their normalised email) with the
    /// session's token hash; `acting` is the contact (and its role) through which this request
    /// reaches the customer it names, once the handler has found it in the person's subtrees.
    Portal {
        email: String,
        session: String,
        acting: Option<(String, ContactRole)>,
    },
}

impl Actor {
    /// Who acted, as the audit log names them.
    pub fn label(&self) -> String {
        match self {
            Actor::Anonymous => "public".into(),
            Actor::AdminToken => "admin-token".into(),
            Actor::ApiKey { id, .. } => format!("key:{id}"),
            Actor::Admin { email, .. } => format!("admin:{email}"),
            Actor::Portal { acting: Some((contact, _)), .. } => format!("contact:{contact}"),
            Actor::Portal { acting: None, .. } => "contact".into(),
        }
    }

    /// What kind of caller, for the log: never who (an admin's email is personal data).
    pub fn kind(&self) -> &'static str {
        match self {
            Actor::Anonymous => "public",
            Actor::AdminToken => "admin_token",
            Actor::ApiKey { .. } => "api_key",
            Actor::Admin { .. } => "admin",
            Actor::Portal { .. } => "contact",
        }
    }

    pub fn permissions(&self) -> Vec<Permission> {
        match self {
            Actor::Anonymous => vec![],
            Actor::AdminToken => Permission::ALL.to_vec(),
            Actor::ApiKey { permissions, .. } => permissions.clone(),
            Actor::Admin { role, .. } => role.permissions(),
            Actor::Portal { acting, .. } => acting.as_ref().map(|(_, role)| role.permissions()).unwrap_or_default(),
        }
    }

    pub fn has(&self, p: Permission) -> bool {
        self.permissions().contains(&p)
    }

    /// The admin whose access a key this actor mints rests on: itself, or a key's own admin.
    pub fn minting_admin(&self) -> Option<String> {
        match self {
            Actor::Admin { id, .. } => Some(id.clone()),
            Actor::ApiKey { admin_id, .. } => admin_id.clone(),
            Actor::AdminToken | Actor::Anonymous | Actor::Portal { .. } => None,
        }
    }
}

pub struct Ctx {
    pub req: Request,
    pub env: Env,
    pub params: Params,
    pub request_id: String,
    pub actor: Actor,
    /// The route's conditional permissions (`Access::Requires::when`), for `require_when`.
    pub conditional: &'static [(Condition, Permission)],
    /// The URL's path, as the runtime serialised it (percent-encoded).
    pub path: String,
    /// The query string, already checked for repeats and control characters.
    pub query: query_string::Query,
    /// Where this request's D1 session starts: the client's bookmark, or by the kind of request.
    pub session_start: SessionStart,
    /// The D1 session, opened at the first query: every query of the request goes through it.
    pub session: std::cell::OnceCell<worker::D1DatabaseSession>,
    /// A JSON body already read and checked by a handler that hands the request on to another
    /// (the portal to the admin handlers it shares): `json_bytes` answers it again.
    pub read_body: Option<Vec<u8>>,
    /// Work that runs after the answer is sent (`waitUntil`), so its duration tells the caller
    /// nothing (the portal's sign-in email, sent only to people it knows).
    pub deferred: Vec<Deferred>,
    /// The D1 statements this request has sent so far; work that outlives the handler (a
    /// streamed body) counts into it with `StatementCount::counting`.
    pub statements: crate::storage::d1::StatementCount,
    /// How a customer page found its rows (`storage::customers::PageWay`), for the log line.
    pub page_way: Option<&'static str>,
}

pub type Deferred = std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>;

/// Where a request's D1 session starts (D1 read replication): after the bookmark the client
/// echoed (so it reads its own writes), else anywhere for a read and at the primary for a write.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionStart {
    Bookmark(String),
    AnyReplica,
    Primary,
}

impl SessionStart {
    /// Where the session started, for the request's log line (never the bookmark itself).
    pub fn kind(&self) -> &'static str {
        match self {
            SessionStart::Bookmark(_) => "bookmark",
            SessionStart::AnyReplica => "any_replica",
            SessionStart::Primary => "primary",
        }
    }

    fn as_str(&self) -> &str {
        match self {
            SessionStart::Bookmark(b) => b,
            SessionStart::AnyReplica => "first-unconstrained",
            SessionStart::Primary => "first-primary",
        }
    }
}

/// Hands a request's D1 session to the JS entry's counter of rows read and written, where the
/// entry provides one (the native unit tests run without it). With `fault`, every statement run
/// through the session fails with that message, as D1 itself would fail it.
fn count_rows(session: &worker::wasm_bindgen::JsValue, fault: Option<&str>) {
    use worker::js_sys::{global, Function, Reflect};
    use worker::wasm_bindgen::JsCast;
    if let Ok(f) = Reflect::get(&global(), &"__customersCountD1".into()) {
        if let Some(f) = f.dyn_ref::<Function>() {
            let fault = fault.map_or(worker::wasm_bindgen::JsValue::UNDEFINED, worker::wasm_bindgen::JsValue::from_str);
            let _ = f.call2(&worker::wasm_bindgen::JsValue::NULL, session, &fault);
        }
    }
}

/// A client's `X-D1-Bookmark`: D1 hands out four groups of hex digits (8-8-8-32); anything else
/// is a 400, never passed to D1.
pub fn parse_bookmark(raw: &str) -> ApiResult<String> {
    let b = raw.trim();
    let groups: Vec<&str> = b.split('-').collect();
    let shaped =
        groups.iter().map(|g| g.len()).eq([8, 8, 8, 32]) && groups.iter().all(|g| g.chars().all(|c| c.is_ascii_hexdigit()));
    if !shaped {
        return Err(ApiError::InvalidHeader { name: "X-D1-Bookmark", message: "must be a bookmark this API returned".into() });
    }
    Ok(b.to_string())
}

impl Ctx {
    pub fn param(&self, name: &str) -> &str {
        self.params.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str()).unwrap_or("")
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.req.headers().get(name).ok().flatten()
    }

    /// This isolate's settings (`config`).
    pub fn config(&self) -> std::rc::Rc<config::Config> {
        config::Config::get(&self.env)
    }

    /// The failure tests inject into every D1 call of this request with `X-Test-D1-Fail:
    /// overloaded` (only where `ENABLE_TEST_ROUTES` is on): D1's own message for an overloaded
    /// database, so the answer comes out of the same classification as a real one.
    fn d1_fault(&self) -> Option<&'static str> {
        let asked = self.header("x-test-d1-fail").is_some_and(|v| v == "overloaded");
        (asked && self.config().test_routes).then_some("D1_ERROR: D1 DB is overloaded. Requests queued for too long.")
    }

    /// The request's D1 session, presented as the database so storage needs no second type: a
    /// session answers the same `prepare` and `batch` as the database it belongs to.
    pub fn db(&self) -> ApiResult<worker::D1Database> {
        use worker::wasm_bindgen::{JsCast, JsValue};
        let session = match self.session.get() {
            Some(session) => session,
            None => {
                let session = database(&self.env)?
                    .with_session(Some(self.session_start.as_str()))
                    .map_err(|e| ApiError::Internal(format!("D1 session: {e}")))?;
                count_rows(session.as_ref(), self.d1_fault());
                self.session.get_or_init(|| session)
            }
        };
        Ok(AsRef::<JsValue>::as_ref(session).clone().unchecked_into::<worker::D1Database>())
    }

    /// Rows D1 read and wrote for this request so far (`src/entry.mjs` counts them).
    pub fn rows(&self) -> Option<(f64, f64)> {
        use worker::js_sys::Reflect;
        let usage = Reflect::get(self.session.get()?.as_ref(), &"__usage".into()).ok()?;
        let field = |name: &str| Reflect::get(&usage, &name.into()).ok().and_then(|v| v.as_f64());
        Some((field("rows_read")?, field("rows_written")?))
    }

    /// The latest bookmark of the request's session, for the `X-D1-Bookmark` answer header.
    pub fn bookmark(&self) -> Option<String> {
        self.session.get().and_then(|s| s.get_bookmark().ok().flatten())
    }

    /// Requires the permissions the route pairs with `condition`, which this request meets.
    pub fn require_when(&self, condition: Condition) -> ApiResult<()> {
        let mut paired = self.conditional.iter().filter(|(c, _)| *c == condition).peekable();
        if paired.peek().is_none() {
            return Err(ApiError::Internal(format!("the route declares no permission for {}", condition.as_str())));
        }
        match paired.map(|(_, p)| *p).find(|p| !self.actor.has(*p)) {
            Some(missing) => Err(ApiError::Forbidden { permission: missing.as_str() }),
            None => Ok(()),
        }
    }

    fn content_type(&self) -> String {
        self.header("content-type").unwrap_or_default().to_ascii_lowercase()
    }

    /// Reads the body up to `limit` bytes: the declared length is checked before reading.
    pub async fn body_bytes(&mut self, limit: usize) -> ApiResult<Vec<u8>> {
        if let Some(len) = self.header("content-length").and_then(|l| l.trim().parse::<usize>().ok()) {
            if len > limit {
                return Err(ApiError::PayloadTooLarge { limit_bytes: limit });
            }
        }
        let bytes = self.req.bytes().await.map_err(|e| ApiError::Internal(format!("reading body: {e}")))?;
        if bytes.len() > limit {
            return Err(ApiError::PayloadTooLarge { limit_bytes: limit });
        }
        Ok(bytes)
    }

    /// The raw bytes of a JSON body: `application/json` (or `+json`) only, at most 1 MiB.
    pub async fn json_bytes(&mut self) -> ApiResult<Vec<u8>> {
        if let Some(bytes) = &self.read_body {
            return Ok(bytes.clone());
        }
        let ct = self.content_type();
        let media = ct.split(';').next().unwrap_or("").trim();
        if media != "application/json" && !media.ends_with("+json") {
            return Err(ApiError::UnsupportedMediaType("application/json"));
        }
        let bytes = self.body_bytes(JSON_BODY_LIMIT).await?;
        self.read_body = Some(bytes.clone());
        Ok(bytes)
    }

    pub async fn json_body(&mut self) -> ApiResult<Value> {
        let bytes = self.json_bytes().await?;
        parse_json(&bytes)
    }
}

/// The `DB` binding: every handler's and the authentication's way to D1.
pub fn database(env: &Env) -> ApiResult<worker::D1Database> {
    env.d1("DB").map_err(|e| ApiError::Internal(format!("D1 binding: {e}")))
}

pub fn parse_json(bytes: &[u8]) -> ApiResult<Value> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ApiError::InvalidJson("the body is empty".into()));
    }
    serde_json::from_slice(bytes).map_err(|e| ApiError::InvalidJson(e.to_string()))
}

/// A JSON answer kept as data until the end, so it can also be stored (idempotent replays).
/// The body is serialised once, straight from the handler's value to text.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    /// The JSON text of the body.
    pub body: String,
    pub headers: Vec<(String, String)>,
}

impl Answer {
    pub fn json<T: Serialize>(status: u16, value: &T) -> ApiResult<Answer> {
        let body = serde_json::to_string(value).map_err(|e| ApiError::Internal(e.to_string()))?;
        Ok(Answer { status, body, headers: vec![] })
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Answer {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    pub fn into_response(self) -> ApiResult<Response> {
        let headers = Headers::new();
        headers.set("content-type", "application/json; charset=utf-8")?;
        let mut resp = respond(self.status, self.body.into_bytes(), headers);
        for (name, value) in &self.headers {
            set_header(&mut resp, name, value);
        }
        Ok(resp)
    }
}

fn respond(status: u16, body: Vec<u8>, headers: Headers) -> Response {
    Response::builder().with_status(status).with_headers(headers).fixed(body)
}

/// Where an answer's JSON goes: counted first, then written into a buffer of that size. One
/// writer for both, so each answer's serialiser is in the wasm once.
struct Out {
    len: usize,
    buf: Option<Vec<u8>>,
}

impl std::io::Write for Out {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        match &mut self.buf {
            Some(buf) => buf.extend_from_slice(bytes),
            None => self.len += bytes.len(),
        }
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The value's JSON in a buffer of its exact size, measured first: a large answer (an import's
/// report can be MiBs) would otherwise hold its old and new buffer at once each time the buffer
/// doubled.
pub fn json_response<T: Serialize>(status: u16, value: &T) -> ApiResult<Response> {
    let internal = |e: serde_json::Error| ApiError::Internal(e.to_string());
    let mut out = Out { len: 0, buf: None };
    serde_json::to_writer(&mut out, value).map_err(internal)?;
    out.buf = Some(Vec::with_capacity(out.len));
    serde_json::to_writer(&mut out, value).map_err(internal)?;
    let body = out.buf.unwrap_or_default();
    let headers = Headers::new();
    headers.set("content-type", "application/json; charset=utf-8")?;
    Ok(respond(status, body, headers))
}

pub fn error_response(err: &ApiError, request_id: &str) -> Response {
    if let Some(cause) = err.log_cause() {
        worker::console_error!("request {request_id}: {} {cause}", err.code());
    }
    let headers = Headers::new();
    let _ = headers.set("content-type", "application/json; charset=utf-8");
    for (name, value) in err.headers() {
        let _ = headers.set(name, &value);
    }
    respond(err.status(), err.body(request_id).to_string().into_bytes(), headers)
}

pub fn set_header(resp: &mut Response, name: &str, value: &str) {
    let _ = resp.headers_mut().set(name, value);
}
