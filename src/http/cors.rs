//! CORS for the public endpoint only: origins come from `PUBLIC_ALLOWED_ORIGINS`
//! (comma-separated; `*` only when configured). Other origins get no CORS headers at all.
use worker::{Env, Headers, Response};

use super::routing::{resolve, Resolution};
use super::server::Routes;
use super::set_header;

pub fn is_allowed(configured: &str, origin: &str) -> bool {
    configured.split(',').map(str::trim).any(|o| o == "*" || (!o.is_empty() && o.eq_ignore_ascii_case(origin)))
}

pub fn allowed_origin(env: &Env, origin: Option<&str>) -> Option<String> {
    let origin = origin?;
    is_allowed(&super::config::Config::get(env).public_allowed_origins, origin).then(|| origin.to_string())
}

pub fn preflight(routes: &Routes, path: &str, allowed: bool) -> Response {
    let methods = match resolve(routes, None, path) {
        Resolution::WrongMethod(m) => m.join(", "),
        _ => String::new(),
    };
    let headers = Headers::new();
    if allowed && !methods.is_empty() {
        let _ = headers.set("Access-Control-Allow-Methods", &format!("{methods}, OPTIONS"));
        let _ = headers.set("Access-Control-Allow-Headers", "Content-Type, X-D1-Bookmark");
        let _ = headers.set("Access-Control-Max-Age", "86400");
    }
    Response::builder().with_status(204).with_headers(headers).empty()
}

pub fn decorate(resp: &mut Response, origin: &str) {
    set_header(resp, "Access-Control-Allow-Origin", origin);
    set_header(resp, "Access-Control-Expose-Headers", "X-Request-Id, Retry-After, X-D1-Bookmark");
    set_header(resp, "Vary", "Origin");
}

#[cfg(test)]
mod tests {
    use super::is_allowed;

    #[test]
    fn listed_origins_are_allowed() {
        assert!(is_allowed("https://a.example, https://b.example", "https://b.example"));
    }

    #[test]
    fn unlisted_origins_are_refused() {
        assert!(!is_allowed("https://a.example", "https://evil.example"));
        assert!(!is_allowed("", "https://a.example"));
    }

    #[test]
    fn a_configured_star_allows_any_origin() {
        assert!(is_allowed("*", "https://anything.example"));
    }
}
