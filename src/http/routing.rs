//! Path matching for the route table in `lib.rs`. Patterns are literal segments and `{name}`
//! placeholders; the table is searched in order, so literal routes are listed before
//! placeholder ones that would also match (`/v1/customers/export` before `/v1/customers/{id}`).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Patch,
    Put,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }
    pub fn parse(s: &str) -> Option<Method> {
        match s {
            "GET" | "HEAD" => Some(Method::Get),
            "POST" => Some(Method::Post),
            "PATCH" => Some(Method::Patch),
            "PUT" => Some(Method::Put),
            "DELETE" => Some(Method::Delete),
            _ => None,
        }
    }
}

/// Who may call a route: anyone, any credential, or a credential holding permissions. The one
/// place that says what a route needs; the OpenAPI document is held to it by a unit test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access<P: 'static, C: 'static> {
    Public,
    /// Any valid credential, whatever it may do (`/v1/me`).
    Authenticated,
    /// A customer user's portal session (the cookie only; admin credentials are not read). A
    /// request that changes anything must come from the worker's own origin. The handler finds
    /// what the person may do where (`api::portal`).
    Portal,
    /// Every permission of `all`, checked before the handler runs; and, for each
    /// `(condition, permission)` of `when`, that permission too when the request meets the
    /// condition: the handler says which conditions hold (`Ctx::require_when`), so a 403 names
    /// what this request needed (force delete, not delete, for `permanent=true`).
    Requires {
        all: &'static [P],
        when: &'static [(C, P)],
    },
}

/// A route that needs every one of `all`, whatever the request.
pub const fn all<P, C>(all: &'static [P]) -> Access<P, C> {
    Access::Requires { all, when: &[] }
}

pub struct Route<E, P: 'static, C: 'static> {
    pub method: Method,
    pub pattern: &'static str,
    pub access: Access<P, C>,
    pub endpoint: E,
    /// D1 statements one request may send (see `lib.rs`, above the route table).
    pub statements: u32,
    /// Whether a request only reads, so its D1 session may start at any replica when the
    /// client sends no bookmark (`http::SessionStart`): every GET, and a POST whose body is a
    /// query (a filter too long for a URL). Any other request starts at the primary.
    pub reads: bool,
}

pub type Params = Vec<(&'static str, String)>;

/// Matches a path against a pattern, returning the placeholders' values.
pub fn match_path(pattern: &'static str, path: &str) -> Option<Params> {
    match_trimmed(trim_slashes(pattern), trim_slashes(path))
}

/// The text without its leading and trailing slashes: what `match_trimmed` compares. (A byte
/// scan: `trim_matches('/')` goes through the generic pattern machinery, slow in the wasm.)
fn trim_slashes(text: &str) -> &str {
    let bytes = text.as_bytes();
    let start = bytes.iter().position(|b| *b != b'/').unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|b| *b != b'/').map_or(start, |i| i + 1);
    &text[start..end]
}

/// `match_path` for a pattern and a path already trimmed of their outer slashes. Every request
/// tries every route, so a route is ruled out first by its text before the first placeholder,
/// which the path must start with (a pattern without placeholders: equal to), a comparison of
/// bytes; only the few left are split into segments. Splitting every pattern was about 100 µs
/// of each request in the wasm (docs/performance.md, "Fixed cost of a request").
fn match_trimmed(pattern: &'static str, path: &str) -> Option<Params> {
    match pattern.find('{') {
        None => return (pattern == path).then(Vec::new),
        Some(at) if !path.starts_with(&pattern[..at]) => return None,
        Some(_) => {}
    }
    match_segments(pattern, path)
}

/// A trimmed pattern and path compared segment by segment: each placeholder takes one non-empty
/// segment, every other segment must be equal.
fn match_segments(pattern: &'static str, path: &str) -> Option<Params> {
    let mut params = Vec::new();
    let mut pat = pattern.split('/');
    let mut segs = path.split('/');
    loop {
        match (pat.next(), segs.next()) {
            (None, None) => return Some(params),
            (Some(p), Some(s)) => {
                if let Some(name) = p.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                    if s.is_empty() {
                        return None;
                    }
                    params.push((name, s.to_string()));
                } else if p != s {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

pub enum Resolution<'a, E, P: 'static, C: 'static> {
    Found(&'a Route<E, P, C>, Params),
    /// The path exists but not for this method: these methods would be allowed.
    WrongMethod(Vec<&'static str>),
    NotFound,
}

fn placeholders(pattern: &str) -> usize {
    pattern.matches('{').count()
}

/// Finds the route for a method and path. When several patterns match the path, the one with
/// the fewest placeholders owns it (`/v1/customers/filter` over `/v1/customers/{id}`), so a
/// wrong method on a literal path is a 405, not a lookup of a customer named "filter".
pub fn resolve<'a, E, P, C>(routes: &'a [Route<E, P, C>], method: Option<Method>, path: &str) -> Resolution<'a, E, P, C> {
    let path = trim_slashes(path);
    let matching: Vec<(&Route<E, P, C>, Params)> =
        routes.iter().filter_map(|r| match_trimmed(trim_slashes(r.pattern), path).map(|p| (r, p))).collect();
    let Some(fewest) = matching.iter().map(|(r, _)| placeholders(r.pattern)).min() else {
        return Resolution::NotFound;
    };
    let mut allowed: Vec<&'static str> = Vec::new();
    for (route, params) in matching.into_iter().filter(|(r, _)| placeholders(r.pattern) == fewest) {
        if Some(route.method) == method {
            return Resolution::Found(route, params);
        }
        if !allowed.contains(&route.method.as_str()) {
            allowed.push(route.method.as_str());
        }
    }
    Resolution::WrongMethod(allowed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routes() -> Vec<Route<u8, (), ()>> {
        vec![
            Route {
                method: Method::Get,
                pattern: "/v1/customers/export",
                access: Access::Public,
                endpoint: 1,
                statements: 0,
                reads: true,
            },
            Route {
                method: Method::Get,
                pattern: "/v1/customers/{id}",
                access: Access::Public,
                endpoint: 2,
                statements: 0,
                reads: true,
            },
            Route {
                method: Method::Patch,
                pattern: "/v1/customers/{id}",
                access: Access::Public,
                endpoint: 3,
                statements: 0,
                reads: false,
            },
        ]
    }

    #[test]
    fn placeholders_capture_their_segment() {
        assert_eq!(match_path("/v1/customers/{id}", "/v1/customers/abc"), Some(vec![("id", "abc".to_string())]));
    }

    #[test]
    fn extra_or_missing_segments_do_not_match() {
        assert_eq!(match_path("/v1/customers/{id}", "/v1/customers/abc/x"), None);
        assert_eq!(match_path("/v1/customers/{id}", "/v1/customers"), None);
    }

    #[test]
    fn a_trailing_slash_is_tolerated() {
        assert!(match_path("/health", "/health/").is_some());
        assert!(match_path("/v1/customers/{id}", "/v1/customers/abc/").is_some());
    }

    #[test]
    fn the_literal_text_before_a_placeholder_must_match() {
        assert_eq!(match_path("/v1/customers/{id}", "/v1/customer/abc"), None);
        assert_eq!(match_path("/v1/customers/{id}", "/v1/customersx/abc"), None);
        assert_eq!(match_path("/v1/customers/{id}", "/v1/customers/"), None);
        assert_eq!(match_path("/health", "/healthy"), None);
        assert_eq!(match_path("/health", "/"), None);
        assert_eq!(
            match_path("/v1/customers/{id}/contacts/{contact_id}", "//v1/customers/a/contacts/b//"),
            Some(vec![("id", "a".to_string()), ("contact_id", "b".to_string())])
        );
    }

    /// The fast path agrees with matching segment by segment, whatever the path.
    #[test]
    fn the_fast_path_agrees_with_segment_matching() {
        // Matching as it was before the fast path: the standard library's trims, then every
        // segment compared.
        fn by_segments(pattern: &'static str, path: &str) -> Option<Params> {
            match_segments(pattern.trim_matches('/'), path.trim_end_matches('/').trim_start_matches('/'))
        }
        let patterns: Vec<&'static str> = crate::ROUTES.iter().map(|r| r.pattern).collect();
        let mut paths: Vec<String> = vec!["/".into(), "".into(), "//".into(), "/v1".into(), "/v1/".into()];
        for p in &patterns {
            let filled = p.replace("{id}", "abc").replace("{contact_id}", "c1");
            paths.extend([filled.clone(), format!("{filled}/"), format!("/{filled}"), format!("{filled}/x"), p.to_string()]);
            paths.push(filled.rsplit_once('/').map_or(String::new(), |(head, _)| format!("{head}/")));
            paths.push(filled.replace("/abc", "//"));
        }
        for pattern in &patterns {
            for path in &paths {
                assert_eq!(match_path(pattern, path), by_segments(pattern, path), "{pattern} {path}");
            }
        }
    }

    #[test]
    fn literal_routes_listed_first_win() {
        match resolve(&routes(), Some(Method::Get), "/v1/customers/export") {
            Resolution::Found(r, _) => assert_eq!(r.endpoint, 1),
            _ => panic!("not found"),
        }
    }

    #[test]
    fn a_known_path_with_another_method_lists_the_allowed_ones() {
        match resolve(&routes(), Some(Method::Delete), "/v1/customers/abc") {
            Resolution::WrongMethod(allowed) => assert_eq!(allowed, vec!["GET", "PATCH"]),
            _ => panic!("expected wrong method"),
        }
    }

    #[test]
    fn a_literal_path_is_not_taken_for_a_placeholder() {
        match resolve(&routes(), Some(Method::Delete), "/v1/customers/export") {
            Resolution::WrongMethod(allowed) => assert_eq!(allowed, vec!["GET"]),
            _ => panic!("expected wrong method"),
        }
    }

    #[test]
    fn an_unknown_method_is_never_a_match() {
        assert_eq!(Method::parse("QUERY"), None);
        assert!(matches!(resolve(&routes(), None, "/v1/customers/abc"), Resolution::WrongMethod(_)));
    }

    #[test]
    fn an_unknown_path_is_not_found() {
        assert!(matches!(resolve(&routes(), Some(Method::Get), "/nope"), Resolution::NotFound));
    }
}
