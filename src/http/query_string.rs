//! The query string, checked once for the rules that hold on every route: no parameter twice,
//! no control characters, and boolean flags that are exactly `true` or `false`. Handlers read
//! parameters only through `Query`, so no route can forget a rule.
use super::error::{ApiError, ApiResult};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query(Vec<(String, String)>);

impl Query {
    /// Takes the decoded pairs in the order of the URL.
    pub fn parse(pairs: impl IntoIterator<Item = (String, String)>) -> ApiResult<Query> {
        let mut out: Vec<(String, String)> = Vec::new();
        for (name, value) in pairs {
            if name.chars().any(char::is_control) {
                return Err(ApiError::invalid_parameter(
                    &name.replace(char::is_control, "\u{fffd}"),
                    "the name contains control characters",
                ));
            }
            if out.iter().any(|(n, _)| *n == name) {
                // A repeated parameter has no single reading: `?permanent=false&permanent=true`
                // must not depend on which copy a handler happens to look at.
                return Err(ApiError::invalid_parameter(&name, "is given more than once"));
            }
            if value.chars().any(char::is_control) {
                return Err(ApiError::invalid_parameter(&name, "contains control characters"));
            }
            out.push((name, value));
        }
        Ok(Query(out))
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// A boolean flag: absent is false, otherwise exactly `true` or `false`.
    pub fn flag(&self, name: &str) -> ApiResult<bool> {
        match self.get(name) {
            None => Ok(false),
            Some(v) => parse_flag(name, v),
        }
    }

    /// `limit` of a paged list: 1 to 100, `default` when left out.
    pub fn limit(&self, default: usize) -> ApiResult<usize> {
        Ok(self.get("limit").map(crate::domain::filter::limit_param).transpose()?.unwrap_or(default))
    }

    /// `cursor` of a paged list whose cursors are made for `sort` (`domain::cursor`): the
    /// `(key, id)` of the last row of the previous page.
    pub fn cursor(&self, sort: &str) -> ApiResult<Option<(String, String)>> {
        self.get("cursor")
            .map(|c| crate::domain::cursor::decode(c, sort).map_err(|m| ApiError::invalid_parameter("cursor", m)))
            .transpose()
    }

    /// Refuses any parameter the route does not read, so a typo never changes what it does.
    pub fn allow_only(&self, allowed: &[&str]) -> ApiResult<()> {
        match self.0.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
            Some((k, _)) => Err(ApiError::invalid_parameter(k, "is not a known parameter")),
            None => Ok(()),
        }
    }
}

/// `true` or `false` and nothing else: an empty or bare flag (`?permanent`) is an error, so a
/// destructive action is never the reading of an odd input.
pub fn parse_flag(name: &str, value: &str) -> ApiResult<bool> {
    crate::domain::filter::parse_flag(value).ok_or_else(|| ApiError::invalid_parameter(name, "must be true or false"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(list: &[(&str, &str)]) -> ApiResult<Query> {
        Query::parse(list.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn paging_reads_limit_and_cursor_once_for_every_list() {
        let q = query(&[("limit", "7")]).unwrap();
        assert_eq!((q.limit(25).unwrap(), q.cursor("audit").unwrap()), (7, None));
        assert_eq!(query(&[]).unwrap().limit(25).unwrap(), 25);
        assert!(query(&[("limit", "101")]).unwrap().limit(25).is_err());
        let c = crate::domain::cursor::encode("audit", "2026-01-01T00:00:00.000Z", "id-1");
        assert_eq!(
            query(&[("cursor", c.as_str())]).unwrap().cursor("audit").unwrap(),
            Some(("2026-01-01T00:00:00.000Z".to_string(), "id-1".to_string()))
        );
        assert!(query(&[("cursor", c.as_str())]).unwrap().cursor("attempts").is_err(), "a cursor of another list");
    }

    fn parameter(e: ApiError) -> String {
        match e {
            ApiError::InvalidParameter { name, .. } => name,
            other => panic!("expected invalid_parameter, got {other:?}"),
        }
    }

    #[test]
    fn a_repeated_parameter_is_refused_by_name() {
        assert_eq!(parameter(query(&[("permanent", "false"), ("permanent", "true")]).unwrap_err()), "permanent");
    }

    #[test]
    fn control_characters_in_a_value_are_refused() {
        assert_eq!(parameter(query(&[("q", "a\0b")]).unwrap_err()), "q");
        assert_eq!(parameter(query(&[("q", "line\nbreak")]).unwrap_err()), "q");
    }

    #[test]
    fn control_characters_in_a_name_are_refused() {
        assert!(query(&[("q\0", "x")]).is_err());
    }

    #[test]
    fn flags_take_exactly_true_or_false() {
        assert!(parse_flag("permanent", "true").unwrap());
        assert!(!parse_flag("permanent", "false").unwrap());
        for odd in ["", "1", "0", "yes", "TRUE", " true"] {
            assert_eq!(parameter(parse_flag("permanent", odd).unwrap_err()), "permanent", "{odd:?}");
        }
    }

    #[test]
    fn an_absent_flag_is_false_and_a_bare_one_is_an_error() {
        let q = query(&[("permanent", "")]).unwrap();
        assert!(!q.flag("dry_run").unwrap());
        assert!(q.flag("permanent").is_err());
    }

    #[test]
    fn unknown_parameters_are_named() {
        let q = query(&[("permanent", "true"), ("dryrun", "true")]).unwrap();
        assert_eq!(parameter(q.allow_only(&["permanent", "dry_run"]).unwrap_err()), "dryrun");
    }
}
