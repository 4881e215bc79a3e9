//! Merging duplicates: one person, one customer. The sources' history moves to the target, the
//! target's empty fields are filled from the sources (its own values win), and the sources are
//! soft-deleted, pointing at the target. The rules and what the target gains are decided here;
//! storage moves the rows.
use serde_json::{Map, Value};

use super::customer::{Customer, Kind, MAX_ATTRIBUTES};
use super::validation::{finish, id_list, not_accepted, object, FieldError};

/// Sources one merge takes at most.
pub const MAX_SOURCES: usize = 20;

#[derive(Debug, Clone, PartialEq)]
pub struct MergeRequest {
    pub source_ids: Vec<String>,
    pub dry_run: bool,
}

impl MergeRequest {
    pub fn parse(body: &Value) -> Result<MergeRequest, Vec<FieldError>> {
        let map = object(body)?;
        let mut errors = Vec::new();
        let mut source_ids = None;
        let mut dry_run = false;
        for (key, value) in map {
            match (key.as_str(), value) {
                ("source_ids", list) => source_ids = Some(id_list(&mut errors, "source_ids", list, MAX_SOURCES)),
                ("dry_run", Value::Bool(b)) => dry_run = *b,
                ("dry_run", _) => errors.push(FieldError::new("dry_run", "invalid_type", "dry_run must be a boolean")),
                (other, _) => errors.push(not_accepted(other, &[])),
            }
        }
        if source_ids.is_none() {
            errors.push(FieldError::new("source_ids", "required", "source_ids is required"));
        }
        finish(errors, MergeRequest { source_ids: source_ids.unwrap_or_default(), dry_run })
    }
}

/// Why a merge cannot go ahead.
#[derive(Debug, Clone, PartialEq)]
pub enum MergeRefusal {
    /// A source is the own company.
    Protected,
    Invalid(Vec<FieldError>),
}

/// What the target takes from its sources: for each field it lacks, the first source's value
/// (in the order given); attributes it lacks the same way. `None`: nothing to take.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Fill {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub notes: Option<String>,
    pub handle: Option<String>,
    /// The sources' attributes the target does not have.
    pub attributes: Map<String, Value>,
    /// A registered source makes the person registered.
    pub registered: bool,
    /// Names of the target's fields that change, for its audit row.
    pub changed: Vec<&'static str>,
}

/// Checks the sources against the target and works out the target's fill. `sources` are in the
/// order the request gave them; `None` where an id names no customer.
pub fn plan(target: &Customer, sources: &[(String, Option<Customer>)]) -> Result<Fill, MergeRefusal> {
    let mut errors = Vec::new();
    for (i, (id, found)) in sources.iter().enumerate() {
        let field = format!("source_ids[{i}]");
        match found {
            _ if *id == target.id => errors.push(FieldError::new(field, "invalid", "a customer cannot be merged into itself")),
            None => errors.push(FieldError::new(field, "not_found", format!("no customer has the id {id}"))),
            Some(c) if c.own_company => return Err(MergeRefusal::Protected),
            Some(c) if c.deleted_at.is_some() => {
                errors.push(FieldError::new(field, "deleted", "a deleted customer cannot be merged; restore it first"))
            }
            Some(_) => {}
        }
    }
    if !errors.is_empty() {
        return Err(MergeRefusal::Invalid(errors));
    }
    let sources: Vec<&Customer> = sources.iter().filter_map(|(_, c)| c.as_ref()).collect();
    let mut fill = Fill::default();
    let first = |get: &dyn Fn(&Customer) -> Option<String>| sources.iter().find_map(|c| get(c));
    let mut take = |name: &'static str, mine: &Option<String>, theirs: Option<String>| -> Option<String> {
        match (mine, theirs) {
            (None, Some(v)) => {
                fill.changed.push(name);
                Some(v)
            }
            _ => None,
        }
    };
    // A visitor's placeholder is no name: neither taken from a source nor kept over a real one.
    let my_name = if target.anonymous { None } else { target.name.clone() };
    fill.name = take("name", &my_name, first(&|c| c.name.clone().filter(|_| !c.anonymous)));
    fill.email = take("email", &target.email, first(&|c| c.email.clone()));
    fill.phone = take("phone", &target.phone, first(&|c| c.phone.clone()));
    fill.company = take("company", &target.company, first(&|c| c.company.clone()));
    fill.notes = take("notes", &target.notes, first(&|c| c.notes.clone()));
    fill.handle = take("handle", &target.handle, first(&|c| c.handle.clone()));
    for source in &sources {
        for (k, v) in &source.attributes {
            if !target.attributes.contains_key(k) && !fill.attributes.contains_key(k) {
                fill.attributes.insert(k.clone(), v.clone());
            }
        }
    }
    if !fill.attributes.is_empty() {
        fill.changed.push("attributes");
    }
    let total = target.attributes.len() + fill.attributes.len();
    if total > MAX_ATTRIBUTES {
        return Err(MergeRefusal::Invalid(vec![FieldError::new(
            "attributes",
            "too_many",
            format!("the merged customer would have {total} attributes, more than {MAX_ATTRIBUTES}; remove some first"),
        )]));
    }
    fill.registered = target.kind == Kind::Visitor && sources.iter().any(|c| c.kind == Kind::Registered);
    if fill.registered {
        fill.changed.push("kind");
    }
    Ok(fill)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn customer(id: &str, name: Option<&str>, email: Option<&str>) -> Customer {
        Customer { name: name.map(Into::into), email: email.map(Into::into), ..Customer::blank(id) }
    }

    fn found(c: Customer) -> (String, Option<Customer>) {
        (c.id.clone(), Some(c))
    }

    fn invalid(r: Result<Fill, MergeRefusal>) -> Vec<(String, String)> {
        match r {
            Err(MergeRefusal::Invalid(e)) => e.into_iter().map(|e| (e.field, e.code)).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_targets_values_win_and_its_empty_fields_are_filled_by_the_first_source() {
        let mut target = customer("t", Some("Ada"), None);
        target.company = Some("Mine".into());
        let mut a = customer("a", Some("Other"), Some("ada@example.com"));
        a.company = Some("Theirs".into());
        let mut b = customer("b", None, Some("b@example.com"));
        b.phone = Some("+1 555 0100".into());
        let fill = plan(&target, &[found(a), found(b)]).unwrap();
        assert_eq!(fill.name, None);
        assert_eq!(fill.company, None);
        assert_eq!(fill.email.as_deref(), Some("ada@example.com"));
        assert_eq!(fill.phone.as_deref(), Some("+1 555 0100"));
        assert_eq!(fill.changed, vec!["email", "phone"]);
    }

    #[test]
    fn attributes_are_united_the_target_then_earlier_sources_winning() {
        let mut target = customer("t", Some("T"), None);
        target.attributes = json!({"plan": "pro"}).as_object().unwrap().clone();
        let mut a = customer("a", Some("A"), None);
        a.attributes = json!({"plan": "free", "seats": 3}).as_object().unwrap().clone();
        let mut b = customer("b", Some("B"), None);
        b.attributes = json!({"seats": 9, "region": "eu"}).as_object().unwrap().clone();
        let fill = plan(&target, &[found(a), found(b)]).unwrap();
        assert_eq!(Value::Object(fill.attributes), json!({"seats": 3, "region": "eu"}));
    }

    #[test]
    fn more_than_50_attributes_after_the_union_are_refused() {
        let mut target = customer("t", Some("T"), None);
        target.attributes = (0..30).map(|i| (format!("t{i}"), json!(i))).collect();
        let mut a = customer("a", Some("A"), None);
        a.attributes = (0..21).map(|i| (format!("a{i}"), json!(i))).collect();
        assert_eq!(invalid(plan(&target, &[found(a)])), vec![("attributes".into(), "too_many".into())]);
    }

    #[test]
    fn a_placeholder_name_is_never_taken_and_never_kept_over_a_real_one() {
        let mut visitor = customer("v", Some("Visitor 3f2a9c1e"), None);
        visitor.anonymous = true;
        let target = customer("t", None, Some("t@example.com"));
        assert_eq!(plan(&target, &[found(visitor.clone())]).unwrap().name, None);
        let named = customer("n", Some("Ada"), None);
        assert_eq!(plan(&visitor, &[found(named)]).unwrap().name.as_deref(), Some("Ada"));
    }

    #[test]
    fn a_registered_source_makes_a_visitor_target_registered() {
        let mut target = customer("t", Some("T"), None);
        target.kind = Kind::Visitor;
        let fill = plan(&target, &[found(customer("a", Some("A"), None))]).unwrap();
        assert!(fill.registered);
    }

    #[test]
    fn the_target_itself_an_unknown_or_a_deleted_source_is_refused_by_position() {
        let target = customer("t", Some("T"), None);
        let mut gone = customer("g", Some("G"), None);
        gone.deleted_at = Some("2026-01-02T00:00:00.000Z".into());
        let r = plan(&target, &[found(target.clone()), ("x".into(), None), found(gone)]);
        assert_eq!(
            invalid(r),
            vec![
                ("source_ids[0]".into(), "invalid".into()),
                ("source_ids[1]".into(), "not_found".into()),
                ("source_ids[2]".into(), "deleted".into())
            ]
        );
    }

    #[test]
    fn the_own_company_is_never_merged_away() {
        let target = customer("t", Some("T"), None);
        let mut own = customer("o", Some("Us"), None);
        own.own_company = true;
        assert_eq!(plan(&target, &[found(own)]), Err(MergeRefusal::Protected));
    }

    #[test]
    fn a_request_names_1_to_20_sources() {
        assert!(MergeRequest::parse(&json!({"source_ids": ["a"], "dry_run": true})).unwrap().dry_run);
        assert!(MergeRequest::parse(&json!({"source_ids": []})).is_err());
        assert!(MergeRequest::parse(&json!({"source_ids": (0..21).map(|i| i.to_string()).collect::<Vec<_>>()})).is_err());
        assert!(MergeRequest::parse(&json!({})).is_err());
        assert!(MergeRequest::parse(&json!({"source_ids": ["a"], "into": "b"})).is_err());
    }
}
