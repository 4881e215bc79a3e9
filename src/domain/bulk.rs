//! The body of `POST /v1/customers/bulk-delete`: which customers (ids, or a filter) and how.
use serde_json::Value;

use super::filter::{from_filter_map, FilterError, PageRequest};
use super::validation::{finish, id_list, not_accepted, object, FieldError};

pub const MAX_IDS: usize = 100;
/// A filter may select at most this many customers for one bulk action.
pub const MAX_FILTER_MATCHES: usize = 10_000;

#[derive(Debug, Clone, PartialEq)]
pub enum Selection {
    Ids(Vec<String>),
    Filter(PageRequest),
}

#[derive(Debug, Clone, PartialEq)]
pub struct BulkDelete {
    pub selection: Selection,
    pub permanent: bool,
    pub dry_run: bool,
    /// A soft delete takes each selected customer's sub-customers too (a permanent one always does).
    pub cascade: bool,
}

impl BulkDelete {
    pub fn parse(body: &Value) -> Result<BulkDelete, Vec<FieldError>> {
        let map = object(body)?;
        let mut errors = Vec::new();
        let (mut permanent, mut dry_run, mut cascade) = (false, false, false);
        let (mut ids, mut filter) = (None, None);
        for (key, value) in map {
            match (key.as_str(), value) {
                ("permanent", Value::Bool(b)) => permanent = *b,
                ("dry_run", Value::Bool(b)) => dry_run = *b,
                ("cascade", Value::Bool(b)) => cascade = *b,
                ("permanent" | "dry_run" | "cascade", _) => {
                    errors.push(FieldError::new(key, "invalid_type", format!("{key} must be a boolean")))
                }
                ("ids", list) => ids = Some(id_list(&mut errors, "ids", list, MAX_IDS)),
                ("filter", Value::Object(f)) => match from_filter_map(f, false, "filter.") {
                    Ok(page) => filter = Some(page),
                    Err(FilterError::Fields(fields)) => errors.extend(fields),
                    Err(FilterError::Parameter { name, message }) => errors.push(FieldError::new(name, "invalid", message)),
                },
                ("filter", _) => errors.push(FieldError::new("filter", "invalid_type", "filter must be an object")),
                (other, _) => errors.push(not_accepted(other, &[])),
            }
        }
        if map.contains_key("ids") == map.contains_key("filter") {
            errors.push(FieldError::new("ids", "required", "give either ids or filter"));
        }
        let selection = match (ids, filter) {
            (_, Some(page)) => Some(Selection::Filter(page)),
            (ids, None) => ids.map(Selection::Ids),
        };
        finish(errors, ()).map(|_| BulkDelete {
            selection: selection.unwrap_or(Selection::Ids(vec![])),
            permanent,
            dry_run,
            cascade,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(body: Value) -> Vec<(String, String)> {
        BulkDelete::parse(&body).unwrap_err().into_iter().map(|e| (e.field, e.code)).collect()
    }

    #[test]
    fn ids_are_read_once_each_and_flags_default_to_false() {
        let b = BulkDelete::parse(&json!({"ids": ["a", "b", "a"]})).unwrap();
        assert_eq!(b.selection, Selection::Ids(vec!["a".into(), "b".into()]));
        assert!(!b.permanent && !b.dry_run && !b.cascade);
    }

    #[test]
    fn cascade_is_a_boolean() {
        assert!(BulkDelete::parse(&json!({"ids": ["a"], "cascade": true})).unwrap().cascade);
        assert_eq!(fields(json!({"ids": ["a"], "cascade": "yes"})), vec![("cascade".into(), "invalid_type".into())]);
    }

    #[test]
    fn a_filter_selects_by_the_filter_rules() {
        let b = BulkDelete::parse(&json!({"filter": {"q": "acme"}, "permanent": true})).unwrap();
        assert!(matches!(b.selection, Selection::Filter(ref p) if p.query.search.as_deref() == Some("acme")));
        assert_eq!(fields(json!({"filter": {"q": 5}})), vec![("filter.q".into(), "invalid".into())]);
    }

    #[test]
    fn exactly_one_of_ids_and_filter_is_required() {
        assert_eq!(fields(json!({})), vec![("ids".into(), "required".into())]);
        assert_eq!(fields(json!({"ids": ["a"], "filter": {}})), vec![("ids".into(), "required".into())]);
    }

    #[test]
    fn flags_are_booleans_and_unknown_fields_are_named() {
        assert_eq!(
            fields(json!({"ids": ["a"], "permanent": "true", "x": 1})),
            vec![("permanent".into(), "invalid_type".into()), ("x".into(), "unknown_field".into()),]
        );
    }
}
