//! Customer groups: the rules for creating and renaming one and for the member lists that
//! add customers to it or remove them.
use serde::Serialize;
use serde_json::Value;

use super::fields::{text, Lines};
use super::validation::{finish, id_list, not_accepted, object, FieldError};

pub const MAX_NAME_LEN: usize = 100;
pub const MAX_DESCRIPTION_LEN: usize = 1_000;
/// Customer ids one members request may carry.
pub const MAX_MEMBER_IDS: usize = 100;

const READ_ONLY: [&str; 4] = ["id", "member_count", "created_at", "updated_at"];

/// A group as the API shows it. `member_count` counts members that are not soft-deleted,
/// the customers `GET /v1/customers?group_id=` lists by default.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub member_count: u64,
    pub created_at: String,
    pub updated_at: String,
}

/// A validated request to create a group.
#[derive(Debug, Clone, PartialEq)]
pub struct NewGroup {
    pub name: String,
    pub description: Option<String>,
}

/// A validated merge patch for a group: `None` leaves a field alone; `description: Some(None)`
/// clears it. After `changes_to`, it holds only what differs from the stored group.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GroupPatch {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
}

/// A name is required wherever it is given: null or blank is an error, not a clearing.
fn name(errors: &mut Vec<FieldError>, value: &Value) -> Option<String> {
    let before = errors.len();
    let name = text(errors, "name", value, MAX_NAME_LEN, Lines::Single);
    if name.is_none() && errors.len() == before {
        errors.push(FieldError::new("name", "required", "a group needs a name"));
    }
    name
}

impl NewGroup {
    /// Validates a create body; unknown and read-only fields are errors.
    pub fn parse(body: &Value) -> Result<NewGroup, Vec<FieldError>> {
        let map = object(body)?;
        let mut errors = Vec::new();
        let mut group_name = None;
        let mut description = None;
        for (key, value) in map {
            match key.as_str() {
                "name" => group_name = name(&mut errors, value),
                "description" => description = text(&mut errors, "description", value, MAX_DESCRIPTION_LEN, Lines::Multi),
                other => errors.push(not_accepted(other, &READ_ONLY)),
            }
        }
        if !map.contains_key("name") {
            errors.push(FieldError::new("name", "required", "a group needs a name"));
        }
        finish(errors, NewGroup { name: group_name.unwrap_or_default(), description })
    }
}

impl GroupPatch {
    pub fn parse(body: &Value) -> Result<GroupPatch, Vec<FieldError>> {
        let map = object(body)?;
        let mut errors = Vec::new();
        let mut patch = GroupPatch::default();
        for (key, value) in map {
            match key.as_str() {
                "name" => patch.name = name(&mut errors, value),
                "description" => {
                    patch.description = Some(text(&mut errors, "description", value, MAX_DESCRIPTION_LEN, Lines::Multi))
                }
                other => errors.push(not_accepted(other, &READ_ONLY)),
            }
        }
        finish(errors, patch)
    }

    /// The part of this patch that differs from `current`, and the names of those fields.
    pub fn changes_to(&self, current: &Group) -> (GroupPatch, Vec<&'static str>) {
        let mut changed = Vec::new();
        let name = self.name.clone().filter(|n| *n != current.name);
        if name.is_some() {
            changed.push("name");
        }
        let description = self.description.clone().filter(|d| *d != current.description);
        if description.is_some() {
            changed.push("description");
        }
        (GroupPatch { name, description }, changed)
    }
}

/// The body of `POST/DELETE /v1/groups/{id}/members`: 1 to 100 customer ids, duplicates
/// dropped, first-seen order kept.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberIds(pub Vec<String>);

impl MemberIds {
    pub fn parse(body: &Value) -> Result<MemberIds, Vec<FieldError>> {
        let map = object(body)?;
        let mut errors = Vec::new();
        let mut ids = Vec::new();
        for (key, value) in map {
            match (key.as_str(), value) {
                ("customer_ids", list) => ids = id_list(&mut errors, "customer_ids", list, MAX_MEMBER_IDS),
                (other, _) => errors.push(not_accepted(other, &[])),
            }
        }
        if !map.contains_key("customer_ids") {
            errors.push(FieldError::new("customer_ids", "required", "give the customer ids in customer_ids"));
        }
        finish(errors, MemberIds(ids))
    }

    /// One `customer_ids` error per id no customer has, and (when adding) per soft-deleted
    /// customer, each message naming the id. `existing` is every (id, is_soft_deleted) that was found.
    pub fn problems(&self, existing: &[(String, bool)], refuse_deleted: bool) -> Vec<FieldError> {
        let mut errors = Vec::new();
        for id in &self.0 {
            match existing.iter().find(|(e, _)| e == id).map(|(_, deleted)| *deleted) {
                None => errors.push(FieldError::new("customer_ids", "not_found", format!("no customer has the id {id}"))),
                Some(true) if refuse_deleted => errors.push(FieldError::new(
                    "customer_ids",
                    "customer_deleted",
                    format!("customer {id} is deleted; restore it first"),
                )),
                Some(_) => {}
            }
        }
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn codes(errors: Vec<FieldError>) -> Vec<(String, String)> {
        errors.into_iter().map(|e| (e.field, e.code)).collect()
    }

    fn group() -> Group {
        Group {
            id: "g1".into(),
            name: "VIP".into(),
            description: Some("big spenders".into()),
            member_count: 0,
            created_at: "2026-01-01T00:00:00.000Z".into(),
            updated_at: "2026-01-01T00:00:00.000Z".into(),
        }
    }

    #[test]
    fn a_name_alone_makes_a_group() {
        let g = NewGroup::parse(&json!({"name": "VIP"})).unwrap();
        assert_eq!(g, NewGroup { name: "VIP".into(), description: None });
    }

    #[test]
    fn the_name_and_description_are_trimmed() {
        let g = NewGroup::parse(&json!({"name": "  VIP ", "description": " top "})).unwrap();
        assert_eq!((g.name.as_str(), g.description.as_deref()), ("VIP", Some("top")));
    }

    #[test]
    fn a_missing_name_is_required() {
        assert_eq!(codes(NewGroup::parse(&json!({"description": "x"})).unwrap_err()), vec![("name".into(), "required".into())]);
    }

    #[test]
    fn a_blank_name_is_required() {
        assert_eq!(codes(NewGroup::parse(&json!({"name": "   "})).unwrap_err()), vec![("name".into(), "required".into())]);
    }

    #[test]
    fn a_name_of_100_characters_is_accepted() {
        assert!(NewGroup::parse(&json!({"name": "é".repeat(100)})).is_ok());
    }

    #[test]
    fn a_name_over_100_characters_is_too_long() {
        assert_eq!(
            codes(NewGroup::parse(&json!({"name": "x".repeat(101)})).unwrap_err()),
            vec![("name".into(), "too_long".into())]
        );
    }

    #[test]
    fn a_description_over_1000_characters_is_too_long() {
        let errs = NewGroup::parse(&json!({"name": "VIP", "description": "x".repeat(1001)})).unwrap_err();
        assert_eq!(codes(errs), vec![("description".into(), "too_long".into())]);
    }

    #[test]
    fn a_name_that_is_not_a_string_is_an_invalid_type() {
        assert_eq!(codes(NewGroup::parse(&json!({"name": 5})).unwrap_err()), vec![("name".into(), "invalid_type".into())]);
    }

    #[test]
    fn control_characters_in_a_name_are_invalid() {
        assert_eq!(codes(NewGroup::parse(&json!({"name": "a\u{0}b"})).unwrap_err()), vec![("name".into(), "invalid".into())]);
    }

    #[test]
    fn unknown_fields_are_rejected_by_name() {
        let errs = NewGroup::parse(&json!({"name": "VIP", "colour": "red"})).unwrap_err();
        assert_eq!(codes(errs), vec![("colour".into(), "unknown_field".into())]);
    }

    #[test]
    fn server_fields_are_read_only() {
        let errs = NewGroup::parse(&json!({"name": "VIP", "member_count": 3})).unwrap_err();
        assert_eq!(codes(errs), vec![("member_count".into(), "read_only".into())]);
    }

    #[test]
    fn a_body_that_is_not_an_object_is_rejected() {
        assert_eq!(codes(NewGroup::parse(&json!(["VIP"])).unwrap_err()), vec![("body".into(), "invalid_type".into())]);
    }

    #[test]
    fn patch_null_name_is_required() {
        assert_eq!(codes(GroupPatch::parse(&json!({"name": null})).unwrap_err()), vec![("name".into(), "required".into())]);
    }

    #[test]
    fn patch_null_description_clears_it() {
        let (change, changed) = GroupPatch::parse(&json!({"description": null})).unwrap().changes_to(&group());
        assert_eq!(change.description, Some(None));
        assert_eq!(changed, vec!["description"]);
    }

    #[test]
    fn patch_reports_only_fields_that_differ() {
        let (change, changed) = GroupPatch::parse(&json!({"name": "VIP", "description": "new"})).unwrap().changes_to(&group());
        assert_eq!(change, GroupPatch { name: None, description: Some(Some("new".into())) });
        assert_eq!(changed, vec!["description"]);
    }

    #[test]
    fn patch_with_a_new_case_is_a_rename() {
        let (change, changed) = GroupPatch::parse(&json!({"name": "vip"})).unwrap().changes_to(&group());
        assert_eq!(change.name.as_deref(), Some("vip"));
        assert_eq!(changed, vec!["name"]);
    }

    #[test]
    fn an_empty_patch_changes_nothing() {
        let (change, changed) = GroupPatch::parse(&json!({})).unwrap().changes_to(&group());
        assert_eq!(change, GroupPatch::default());
        assert!(changed.is_empty());
    }

    #[test]
    fn member_ids_keep_their_order_without_duplicates() {
        let ids = MemberIds::parse(&json!({"customer_ids": ["b", "a", "b"]})).unwrap();
        assert_eq!(ids.0, vec!["b", "a"]);
    }

    #[test]
    fn member_ids_are_required() {
        assert_eq!(codes(MemberIds::parse(&json!({})).unwrap_err()), vec![("customer_ids".into(), "required".into())]);
    }

    #[test]
    fn an_empty_member_list_is_invalid() {
        assert_eq!(
            codes(MemberIds::parse(&json!({"customer_ids": []})).unwrap_err()),
            vec![("customer_ids".into(), "invalid".into())]
        );
    }

    #[test]
    fn at_most_100_member_ids_are_accepted() {
        let ids: Vec<String> = (0..100).map(|i| format!("c{i}")).collect();
        assert_eq!(MemberIds::parse(&json!({ "customer_ids": ids })).unwrap().0.len(), 100);
    }

    #[test]
    fn more_than_100_member_ids_are_invalid() {
        let ids: Vec<String> = (0..101).map(|i| format!("c{i}")).collect();
        assert_eq!(
            codes(MemberIds::parse(&json!({ "customer_ids": ids })).unwrap_err()),
            vec![("customer_ids".into(), "invalid".into())]
        );
    }

    #[test]
    fn a_member_id_that_is_not_a_string_names_its_position() {
        let errs = MemberIds::parse(&json!({"customer_ids": ["a", 7]})).unwrap_err();
        assert_eq!(codes(errs), vec![("customer_ids[1]".into(), "invalid_type".into())]);
    }

    #[test]
    fn unknown_fields_beside_member_ids_are_rejected() {
        let errs = MemberIds::parse(&json!({"customer_ids": ["a"], "ids": ["b"]})).unwrap_err();
        assert_eq!(codes(errs), vec![("ids".into(), "unknown_field".into())]);
    }

    #[test]
    fn problems_name_each_unknown_id() {
        let ids = MemberIds(vec!["a".into(), "x".into()]);
        let errs = ids.problems(&[("a".into(), false)], true);
        assert_eq!(codes(errs.clone()), vec![("customer_ids".into(), "not_found".into())]);
        assert!(errs[0].message.contains('x'));
    }

    #[test]
    fn problems_name_deleted_customers_when_adding() {
        let ids = MemberIds(vec!["a".into()]);
        assert_eq!(codes(ids.problems(&[("a".into(), true)], true)), vec![("customer_ids".into(), "customer_deleted".into())]);
    }

    #[test]
    fn deleted_customers_may_be_removed() {
        let ids = MemberIds(vec!["a".into()]);
        assert!(ids.problems(&[("a".into(), true)], false).is_empty());
    }
}
