//! Customer groups: the rules for creating and renaming one, for the member lists that add
//! customers to it or remove them, and for naming groups where a customer is created (the
//! `group_ids` of a create body, the `groups` cell of an import row). Beside the stored groups
//! there is one built-in group, All, whose members are every live customer.
use std::collections::HashSet;

use serde::Serialize;
use serde_json::Value;

use super::fields::{text, text_str, Lines};
use super::validation::{finish, id_list, not_accepted, object, FieldError, MAX_ROW_ERRORS};

pub const MAX_NAME_LEN: usize = 100;
pub const MAX_DESCRIPTION_LEN: usize = 1_000;
/// Customer ids one members request may carry.
pub const MAX_MEMBER_IDS: usize = 100;
/// Groups one new customer may be put in (`group_ids` on create, the `groups` cell of an import).
pub const MAX_GROUPS_PER_CUSTOMER: usize = 100;
/// `GET /v1/groups` answers this many groups unless `limit` says otherwise: most accounts have
/// fewer, so one page holds them all.
pub const DEFAULT_LIST_LIMIT: usize = 100;

/// The built-in group of every live customer. Its id is not a uuid, so no stored group has it.
pub const ALL_ID: &str = "all";
pub const ALL_NAME: &str = "All";
const ALL_DESCRIPTION: &str = "Every customer that is not deleted";
/// The error code of an attempt to rename, delete or give members to All.
pub const BUILTIN_CODE: &str = "group_builtin";
/// Separates group names in an import's `groups` cell.
pub const NAME_SEPARATOR: char = ';';

const READ_ONLY: [&str; 5] = ["id", "member_count", "created_at", "updated_at", "builtin"];

/// A group as the API shows it. `member_count` counts members that are not soft-deleted,
/// the customers `GET /v1/customers?group_id=` lists by default. The built-in All has no
/// creation time (`created_at` and `updated_at` are null).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub builtin: bool,
    pub member_count: u64,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

impl Group {
    /// The built-in All, with `live` customers as its members.
    pub fn all(live: u64) -> Group {
        Group {
            id: ALL_ID.into(),
            name: ALL_NAME.into(),
            description: Some(ALL_DESCRIPTION.into()),
            builtin: true,
            member_count: live,
            created_at: None,
            updated_at: None,
        }
    }
}

/// Whether `id` names the built-in All.
pub fn is_builtin(id: &str) -> bool {
    id == ALL_ID
}

/// The key two group names share when they name the same group: stored names are unique by
/// SQLite's `lower()`, which folds ASCII letters only.
pub fn name_key(name: &str) -> String {
    name.trim().to_ascii_lowercase()
}

/// Whether `name` is All's: no stored group may take it, so a name always means one group.
pub fn is_builtin_name(name: &str) -> bool {
    name_key(name) == ALL_NAME.to_ascii_lowercase()
}

fn builtin_member_error(field: &str) -> FieldError {
    FieldError::new(field, BUILTIN_CODE, format!("{ALL_NAME} holds every live customer already; it takes no members"))
}

/// Where a page of `GET /v1/groups` starts. All comes first, then the stored groups by name; a
/// cursor names the last row of the page before, which may be All.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListStart {
    /// The first page: All, then the stored groups from the start.
    First,
    /// After All: the stored groups from the start.
    AfterAll,
    /// After the stored group with this sort key (its lowered name) and id.
    After { key: String, id: String },
}

/// The sort name in the list's cursors.
pub const LIST_CURSOR_SORT: &str = "groups";

impl ListStart {
    /// Reads a decoded cursor's key and id; All's cursor carries its id and no key.
    pub fn from_cursor(key: String, id: String) -> ListStart {
        if id == ALL_ID {
            ListStart::AfterAll
        } else {
            ListStart::After { key, id }
        }
    }

    /// Whether a page read from here begins with All.
    pub fn includes_all(&self) -> bool {
        *self == ListStart::First
    }
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

/// A name is required wherever it is given: null or blank is an error, not a clearing. All's
/// name is taken by the built-in group.
fn name(errors: &mut Vec<FieldError>, value: &Value) -> Option<String> {
    let before = errors.len();
    let name = text(errors, "name", value, MAX_NAME_LEN, Lines::Single);
    if name.is_none() && errors.len() == before {
        errors.push(FieldError::new("name", "required", "a group needs a name"));
    }
    if name.as_deref().is_some_and(is_builtin_name) {
        errors.push(FieldError::new("name", "reserved", format!("{ALL_NAME} is the built-in group of every customer")));
        return None;
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

/// The `group_ids` of a create body: a list of at most `MAX_GROUPS_PER_CUSTOMER` ids (empty
/// is fine), duplicates dropped and first-seen order kept. All cannot be named: its members
/// are every live customer already.
pub fn member_of(errors: &mut Vec<FieldError>, value: &Value) -> Vec<String> {
    let Value::Array(list) = value else {
        errors.push(FieldError::new("group_ids", "invalid_type", "group_ids must be a list of group ids"));
        return vec![];
    };
    if list.len() > MAX_GROUPS_PER_CUSTOMER {
        errors.push(FieldError::new(
            "group_ids",
            "invalid",
            format!("a customer is put in at most {MAX_GROUPS_PER_CUSTOMER} groups at once"),
        ));
        return vec![];
    }
    let mut ids: Vec<String> = Vec::with_capacity(list.len());
    for (i, v) in list.iter().enumerate() {
        match v.as_str() {
            Some(id) if is_builtin(id) => errors.push(builtin_member_error(&format!("group_ids[{i}]"))),
            Some(id) if !ids.iter().any(|seen| seen == id) => ids.push(id.to_string()),
            Some(_) => {}
            None => errors.push(FieldError::new(format!("group_ids[{i}]"), "invalid_type", "group ids are strings")),
        }
    }
    ids
}

/// One `group_ids` error per id that no stored group has, each message naming the id.
pub fn unknown_ids(ids: &[String], found: &[String]) -> Vec<FieldError> {
    ids.iter()
        .filter(|id| !found.contains(id))
        .map(|id| FieldError::new("group_ids", "not_found", format!("no group has the id {id}")))
        .collect()
}

/// The group names of an import's `groups` cell: separated by `;`, each trimmed, empty parts
/// ignored, the same name twice (in any case) kept once in its first spelling. Each name
/// follows the rules of a group's name; All cannot be named. Errors are under `groups`.
pub fn names_in_cell(cell: &str) -> Result<Vec<String>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    for part in cell.split(NAME_SEPARATOR) {
        // Past either bound the cell fails whatever follows, and a row reports no more errors:
        // reading on would only hold more of a cell that may be megabytes long.
        if names.len() > MAX_GROUPS_PER_CUSTOMER || errors.len() > MAX_ROW_ERRORS {
            break;
        }
        let Some(name) = text_str(&mut errors, "groups", part, MAX_NAME_LEN, Lines::Single) else { continue };
        if is_builtin_name(&name) {
            errors.push(builtin_member_error("groups"));
        } else if seen.insert(name_key(&name)) {
            names.push(name);
        }
    }
    if names.len() > MAX_GROUPS_PER_CUSTOMER {
        errors.push(FieldError::new(
            "groups",
            "invalid",
            format!("a customer is put in at most {MAX_GROUPS_PER_CUSTOMER} groups at once"),
        ));
    }
    finish(errors, names)
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
            builtin: false,
            member_count: 0,
            created_at: Some("2026-01-01T00:00:00.000Z".into()),
            updated_at: Some("2026-01-01T00:00:00.000Z".into()),
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

    #[test]
    fn all_is_builtin_with_the_live_customers_as_members() {
        let all = Group::all(7);
        assert_eq!((all.id.as_str(), all.name.as_str(), all.builtin, all.member_count), ("all", "All", true, 7));
        assert_eq!((all.created_at, all.updated_at), (None, None));
    }

    #[test]
    fn only_the_id_all_is_builtin() {
        assert!(is_builtin("all"));
        assert!(!is_builtin("ALL"));
        assert!(!is_builtin("0193a0e0-0000-7000-8000-000000000000"));
    }

    #[test]
    fn a_stored_group_cannot_be_named_all_in_any_case() {
        assert_eq!(codes(NewGroup::parse(&json!({"name": " aLL "})).unwrap_err()), vec![("name".into(), "reserved".into())]);
        assert_eq!(codes(GroupPatch::parse(&json!({"name": "All"})).unwrap_err()), vec![("name".into(), "reserved".into())]);
        assert!(NewGroup::parse(&json!({"name": "All customers"})).is_ok());
    }

    #[test]
    fn the_first_page_of_the_list_begins_with_all() {
        assert!(ListStart::First.includes_all());
        assert!(!ListStart::AfterAll.includes_all());
    }

    #[test]
    fn a_cursor_on_all_continues_with_the_first_stored_group() {
        assert_eq!(ListStart::from_cursor(String::new(), "all".into()), ListStart::AfterAll);
    }

    #[test]
    fn a_cursor_on_a_stored_group_continues_after_it() {
        assert_eq!(ListStart::from_cursor("vip".into(), "g1".into()), ListStart::After { key: "vip".into(), id: "g1".into() });
    }

    #[test]
    fn group_ids_may_be_empty() {
        let mut errors = Vec::new();
        assert!(member_of(&mut errors, &json!([])).is_empty());
        assert!(errors.is_empty());
    }

    #[test]
    fn duplicate_group_ids_collapse_in_first_seen_order() {
        let mut errors = Vec::new();
        assert_eq!(member_of(&mut errors, &json!(["b", "a", "b"])), vec!["b", "a"]);
        assert!(errors.is_empty());
    }

    #[test]
    fn group_ids_must_be_a_list_of_strings() {
        let mut errors = Vec::new();
        member_of(&mut errors, &json!("g1"));
        member_of(&mut errors, &json!(["g1", 2]));
        assert_eq!(
            codes(errors),
            vec![("group_ids".into(), "invalid_type".into()), ("group_ids[1]".into(), "invalid_type".into())]
        );
    }

    #[test]
    fn group_ids_cannot_name_all() {
        let mut errors = Vec::new();
        assert_eq!(member_of(&mut errors, &json!(["g1", "all"])), vec!["g1"]);
        assert_eq!(codes(errors), vec![("group_ids[1]".into(), "group_builtin".into())]);
    }

    #[test]
    fn at_most_100_group_ids_are_accepted() {
        let ids: Vec<String> = (0..101).map(|i| format!("g{i}")).collect();
        let mut errors = Vec::new();
        member_of(&mut errors, &json!(ids));
        assert_eq!(codes(errors), vec![("group_ids".into(), "invalid".into())]);
    }

    #[test]
    fn unknown_group_ids_are_named_one_by_one() {
        let errs = unknown_ids(&["a".into(), "x".into(), "y".into()], &["a".into()]);
        assert_eq!(codes(errs.clone()), vec![("group_ids".into(), "not_found".into()), ("group_ids".into(), "not_found".into())]);
        assert!(errs[0].message.contains('x') && errs[1].message.contains('y'));
    }

    #[test]
    fn a_groups_cell_splits_on_semicolons_and_trims() {
        assert_eq!(names_in_cell(" VIP ;Partners").unwrap(), vec!["VIP", "Partners"]);
    }

    #[test]
    fn empty_parts_of_a_groups_cell_are_ignored() {
        assert_eq!(names_in_cell(";VIP;; ;").unwrap(), vec!["VIP"]);
        assert!(names_in_cell("  ").unwrap().is_empty());
    }

    #[test]
    fn a_name_twice_in_a_cell_is_kept_once_in_its_first_spelling() {
        assert_eq!(names_in_cell("VIP;vip;Vip").unwrap(), vec!["VIP"]);
    }

    #[test]
    fn names_that_differ_beyond_ascii_case_are_two_groups() {
        assert_eq!(names_in_cell("Äpfel;äpfel").unwrap(), vec!["Äpfel", "äpfel"]);
    }

    #[test]
    fn a_name_in_a_cell_follows_the_group_name_rules() {
        let long = format!("ok;{}", "x".repeat(101));
        assert_eq!(codes(names_in_cell(&long).unwrap_err()), vec![("groups".into(), "too_long".into())]);
        assert_eq!(codes(names_in_cell("a\u{7}b").unwrap_err()), vec![("groups".into(), "invalid".into())]);
    }

    #[test]
    fn a_groups_cell_cannot_name_all() {
        assert_eq!(codes(names_in_cell("VIP; all").unwrap_err()), vec![("groups".into(), "group_builtin".into())]);
    }

    #[test]
    fn a_groups_cell_names_at_most_100_groups() {
        let cell: Vec<String> = (0..101).map(|i| format!("g{i}")).collect();
        assert_eq!(codes(names_in_cell(&cell.join(";")).unwrap_err()), vec![("groups".into(), "invalid".into())]);
        // A cell of a million names is refused without reading it all.
        let huge = (0..1_000_000).map(|i| format!("g{i}")).collect::<Vec<_>>().join(";");
        assert_eq!(codes(names_in_cell(&huge).unwrap_err()), vec![("groups".into(), "invalid".into())]);
        let bad = vec!["a\u{7}"; 1_000_000].join(";");
        assert_eq!(names_in_cell(&bad).unwrap_err().len(), MAX_ROW_ERRORS + 1);
    }

    #[test]
    fn name_keys_fold_ascii_case_only() {
        assert_eq!(name_key(" VIP "), "vip");
        assert_eq!(name_key("Äpfel"), "Äpfel");
    }
}
