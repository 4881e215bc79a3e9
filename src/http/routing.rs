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
}

pub type Params = Vec<(&'static str, String)>;

/// Matches a path against a pattern, returning the placeholders' values.
pub fn match_path(pattern: &'static str, path: &str) -> Option<Params> {
    let mut params = Vec::new();
    let mut pat = pattern.trim_matches('/').split('/');
    let mut segs = path.trim_end_matches('/').trim_start_matches('/').split('/');
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
    let matching: Vec<(&Route<E, P, C>, Params)> =
        routes.iter().filter_map(|r| match_path(r.pattern, path).map(|p| (r, p))).collect();
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
            Route { method: Method::Get, pattern: "/v1/customers/export", access: Access::Public, endpoint: 1, statements: 0 },
            Route { method: Method::Get, pattern: "/v1/customers/{id}", access: Access::Public, endpoint: 2, statements: 0 },
            Route { method: Method::Patch, pattern: "/v1/customers/{id}", access: Access::Public, endpoint: 3, statements: 0 },
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
