//! The customer and the rules for creating and changing one.
use serde::Serialize;
use serde_json::{Map, Value};

use super::email::Email;
use super::fields::{phone, phone_str, refused_characters, text, text_str, Lines};
use super::handle::Handle;
use super::validation::{not_accepted, object, Errors, FieldError, MAX_ROW_ERRORS};

pub const MAX_NAME_LEN: usize = 200;
pub const MAX_COMPANY_LEN: usize = 200;
pub const MAX_NOTES_LEN: usize = 10_000;
pub const MAX_ATTRIBUTES: usize = 50;
pub const MAX_ATTRIBUTE_KEY_LEN: usize = 64;
pub const MAX_ATTRIBUTE_VALUE_LEN: usize = 1_000;
pub const REDACTED: &str = "[redacted]";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Registered,
    Visitor,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Admin,
    Import,
    MeetingLink,
    Form,
    Chat,
    ConferenceRoom,
}

/// What a value outside a closed set of names is told: the names it may be.
pub fn one_of(names: &[&str]) -> String {
    format!("must be one of {}", names.join(", "))
}

impl Kind {
    pub const ALL: [&'static str; 2] = ["registered", "visitor"];
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Registered => "registered",
            Kind::Visitor => "visitor",
        }
    }
    pub fn parse(s: &str) -> Option<Kind> {
        [Kind::Registered, Kind::Visitor].into_iter().find(|k| k.as_str() == s)
    }
    /// `parse`, or why not.
    pub fn parse_named(s: &str) -> Result<Kind, String> {
        Kind::parse(s).ok_or_else(|| one_of(&Kind::ALL))
    }
}

impl Source {
    pub const ALL: [&'static str; 6] = ["admin", "import", "meeting_link", "form", "chat", "conference_room"];
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Admin => "admin",
            Source::Import => "import",
            Source::MeetingLink => "meeting_link",
            Source::Form => "form",
            Source::Chat => "chat",
            Source::ConferenceRoom => "conference_room",
        }
    }
    pub fn parse(s: &str) -> Option<Source> {
        use Source::*;
        [Admin, Import, MeetingLink, Form, Chat, ConferenceRoom].into_iter().find(|v| v.as_str() == s)
    }
    /// `parse`, or why not.
    pub fn parse_named(s: &str) -> Result<Source, String> {
        Source::parse(s).ok_or_else(|| one_of(&Source::ALL))
    }
}

/// A customer as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Customer {
    pub id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub notes: Option<String>,
    pub attributes: Map<String, Value>,
    pub kind: Kind,
    pub source: Source,
    pub group_ids: Vec<String>,
    /// The customer this one belongs to (a sub-customer), if any.
    pub parent_id: Option<String>,
    pub handle: Option<String>,
    /// The one customer that is the company running this service: never deleted or redacted.
    pub own_company: bool,
    /// The customer a merge folded this one into (this one is then soft-deleted).
    pub merged_into: Option<String>,
    /// The name is a placeholder ("Visitor 3f2a9c1e") until the visitor gives theirs.
    pub anonymous: bool,
    /// Live sub-customers; only single-customer answers count them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub children_count: Option<u64>,
    pub created_at: String,
    pub updated_at: String,
    pub last_seen_at: Option<String>,
    pub deleted_at: Option<String>,
    pub version: i64,
}

impl Customer {
    /// A new customer built from validated fields: live, in no group, at version 1.
    pub fn new(id: String, fields: CustomerFields, kind: Kind, source: Source, now: &str) -> Customer {
        Customer {
            id,
            name: fields.name,
            email: fields.email.map(|e| e.as_str().to_string()),
            phone: fields.phone,
            company: fields.company,
            notes: fields.notes,
            attributes: fields.attributes,
            kind,
            source,
            group_ids: vec![],
            parent_id: None,
            handle: None,
            own_company: false,
            merged_into: None,
            anonymous: false,
            children_count: None,
            created_at: now.to_string(),
            updated_at: now.to_string(),
            last_seen_at: None,
            deleted_at: None,
            version: 1,
        }
    }

    /// A registered, admin-made customer with every optional field empty, for tests to fill in.
    #[cfg(test)]
    pub fn blank(id: &str) -> Customer {
        Customer::new(id.into(), CustomerFields::default(), Kind::Registered, Source::Admin, "2026-01-01T00:00:00.000Z")
    }
}

/// The personal and descriptive fields of a customer, validated: what create, import and patch
/// produce and what storage writes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CustomerFields {
    pub name: Option<String>,
    pub email: Option<Email>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub notes: Option<String>,
    pub attributes: Map<String, Value>,
}

/// A validated request to create a customer.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCustomer {
    pub fields: CustomerFields,
    pub kind: Kind,
    pub source: Source,
    pub parent_id: Option<String>,
    /// Given by the client; otherwise storage derives one from the name.
    pub handle: Option<Handle>,
    /// Stored groups to put the customer in (checked against the stored groups by the caller).
    pub group_ids: Vec<String>,
}

const READ_ONLY: [&str; 11] = [
    "id",
    "created_at",
    "updated_at",
    "last_seen_at",
    "deleted_at",
    "version",
    "group_ids",
    "own_company",
    "children_count",
    "merged_into",
    "anonymous",
];

/// A `parent_id` value: a customer id or null (top level). Whether that customer exists, is live
/// and keeps the tree within its rules is storage's and `hierarchy`'s to say.
fn parent_ref(errors: &mut Errors, value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) if super::id::is_uuid(s) => Some(s.to_ascii_lowercase()),
        Value::String(_) => {
            errors.push("parent_id", super::hierarchy::CODE, "parent_id must be a customer id or null");
            None
        }
        _ => {
            errors.push("parent_id", "invalid_type", "parent_id must be a string (a customer id) or null");
            None
        }
    }
}

fn handle(errors: &mut Errors, value: &Value) -> Option<Handle> {
    match value {
        Value::Null => None,
        Value::String(s) => match Handle::parse(s) {
            Ok(h) => Some(h),
            Err(e) => {
                errors.push("handle", "invalid", e.message());
                None
            }
        },
        _ => {
            errors.push("handle", "invalid_type", "handle must be a string or null");
            None
        }
    }
}

pub(super) fn email(errors: &mut Errors, value: &Value) -> Option<Email> {
    match value {
        Value::Null => None,
        Value::String(s) => email_str(errors, s),
        _ => {
            errors.push("email", "invalid_type", "email must be a string or null");
            None
        }
    }
}

fn email_str(errors: &mut Errors, s: &str) -> Option<Email> {
    if s.trim().is_empty() {
        return None;
    }
    match Email::parse(s) {
        Ok(e) => Some(e),
        Err(e) => {
            errors.push("email", e.code(), e.message());
            None
        }
    }
}

/// Checks one attribute value; `None` means the key is removed (merge-patch null).
fn attribute_value(errors: &mut Errors, key: &str, value: &Value) -> Option<Value> {
    match value {
        Value::String(s) => attribute_text(errors, key, s),
        Value::Number(_) | Value::Bool(_) => Some(value.clone()),
        _ => {
            errors.push(format!("attributes.{key}"), "invalid_type", "attribute values must be a string, number or boolean");
            None
        }
    }
}

fn attribute_text(errors: &mut Errors, key: &str, s: &str) -> Option<Value> {
    if s.chars().count() > MAX_ATTRIBUTE_VALUE_LEN {
        errors.push(
            format!("attributes.{key}"),
            "too_long",
            format!("attribute values are at most {MAX_ATTRIBUTE_VALUE_LEN} characters"),
        );
        return None;
    }
    if let Some(error) = refused_characters(&format!("attributes.{key}"), s, Lines::Single) {
        errors.0.push(error);
        return None;
    }
    Some(Value::String(s.to_string()))
}

/// Attribute keys are plain words so they are safe in JSON paths and CSV headers.
pub fn is_valid_attribute_key(key: &str) -> bool {
    !key.trim().is_empty()
        && key.chars().count() <= MAX_ATTRIBUTE_KEY_LEN
        && key.chars().all(|c| c.is_alphanumeric() || "_-. ".contains(c))
}

fn attribute_key_ok(errors: &mut Errors, key: &str) -> bool {
    let ok = is_valid_attribute_key(key);
    if !ok {
        errors.push(
            format!("attributes.{key}"),
            "invalid_key",
            format!("attribute keys are 1 to {MAX_ATTRIBUTE_KEY_LEN} letters, digits, spaces, `_`, `-` or `.`"),
        );
    }
    ok
}

fn attributes(errors: &mut Errors, value: &Value) -> Map<String, Value> {
    match value {
        Value::Null => Map::new(),
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                if attribute_key_ok(errors, k) {
                    if v.is_null() {
                        continue;
                    }
                    if let Some(v) = attribute_value(errors, k, v) {
                        out.insert(k.clone(), v);
                    }
                }
            }
            check_attribute_count(errors, &out);
            out
        }
        _ => {
            errors.push("attributes", "invalid_type", "attributes must be an object");
            Map::new()
        }
    }
}

fn check_attribute_count(errors: &mut Errors, attrs: &Map<String, Value>) {
    if attrs.len() > MAX_ATTRIBUTES {
        errors.push("attributes", "too_many", format!("at most {MAX_ATTRIBUTES} attributes"));
    }
}

fn require_name_or_email(errors: &mut Errors, fields: &CustomerFields) {
    if fields.name.is_none() && fields.email.is_none() && !errors.names("name") && !errors.names("email") {
        errors.push("name", "required", "a customer needs a name or an email");
    }
}

impl CustomerFields {
    /// Names (never values) of the fields that hold something, for the audit of a new customer.
    pub fn given(&self) -> Vec<&'static str> {
        let set = [
            ("name", self.name.is_some()),
            ("email", self.email.is_some()),
            ("phone", self.phone.is_some()),
            ("company", self.company.is_some()),
            ("notes", self.notes.is_some()),
            ("attributes", !self.attributes.is_empty()),
        ];
        set.into_iter().filter(|(_, s)| *s).map(|(n, _)| n).collect()
    }

    /// Validates one imported row by the rules of a create body, without building one: `cells`
    /// are (field, text) for the columns that are customer fields, `attributes` (key, text) for
    /// the others. Blank cells are absent, as if left out of a body.
    pub fn from_row<'a>(
        cells: impl IntoIterator<Item = (&'a str, &'a str)>,
        attributes: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<CustomerFields, Vec<FieldError>> {
        let mut errors = Errors::default();
        let mut fields = CustomerFields::default();
        for (key, raw) in cells {
            match key {
                "name" => fields.name = text_str(&mut errors.0, "name", raw, MAX_NAME_LEN, Lines::Single),
                "email" => fields.email = email_str(&mut errors, raw),
                "phone" => fields.phone = phone_str(&mut errors.0, raw),
                "company" => fields.company = text_str(&mut errors.0, "company", raw, MAX_COMPANY_LEN, Lines::Single),
                "notes" => fields.notes = text_str(&mut errors.0, "notes", raw, MAX_NOTES_LEN, Lines::Multi),
                k => errors.0.push(not_accepted(k, &[])),
            }
        }
        for (key, raw) in attributes {
            // A row lists no more errors than these (`import`); a file of a thousand bad cells a
            // row would otherwise make ten million of them to drop.
            if errors.0.len() > MAX_ROW_ERRORS {
                break;
            }
            let raw = raw.trim();
            if !raw.is_empty() && attribute_key_ok(&mut errors, key) {
                if let Some(v) = attribute_text(&mut errors, key, raw) {
                    fields.attributes.insert(key.to_string(), v);
                }
            }
        }
        check_attribute_count(&mut errors, &fields.attributes);
        require_name_or_email(&mut errors, &fields);
        errors.into_result(fields)
    }
}

impl NewCustomer {
    /// Validates a create body. Unknown and read-only fields are errors, so typos never pass silently.
    pub fn parse(body: &Value) -> Result<NewCustomer, Vec<FieldError>> {
        let map = object(body)?;
        let mut errors = Errors::default();
        let mut fields = CustomerFields::default();
        let mut kind = Kind::Registered;
        let mut source = Source::Admin;
        let mut parent_id = None;
        let mut given_handle = None;
        let mut group_ids = Vec::new();
        for (key, value) in map {
            match key.as_str() {
                "group_ids" => group_ids = super::group::member_of(&mut errors.0, value),
                "name" => fields.name = text(&mut errors.0, "name", value, MAX_NAME_LEN, Lines::Single),
                "email" => fields.email = email(&mut errors, value),
                "phone" => fields.phone = phone(&mut errors.0, value),
                "company" => fields.company = text(&mut errors.0, "company", value, MAX_COMPANY_LEN, Lines::Single),
                "notes" => fields.notes = text(&mut errors.0, "notes", value, MAX_NOTES_LEN, Lines::Multi),
                "attributes" => fields.attributes = attributes(&mut errors, value),
                "kind" => match Kind::parse_named(value.as_str().unwrap_or_default()) {
                    Ok(k) => kind = k,
                    Err(m) => errors.push("kind", "invalid", format!("kind {m}")),
                },
                "source" => match Source::parse_named(value.as_str().unwrap_or_default()) {
                    Ok(s) => source = s,
                    Err(m) => errors.push("source", "invalid", format!("source {m}")),
                },
                "parent_id" => parent_id = parent_ref(&mut errors, value),
                "handle" => given_handle = handle(&mut errors, value),
                k => errors.0.push(not_accepted(k, &READ_ONLY)),
            }
        }
        require_name_or_email(&mut errors, &fields);
        errors.into_result(NewCustomer { fields, kind, source, parent_id, handle: given_handle, group_ids })
    }
}

/// A validated JSON merge patch (RFC 7396) for a customer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CustomerPatch {
    pub name: Option<Option<String>>,
    pub email: Option<Option<Email>>,
    pub phone: Option<Option<String>>,
    pub company: Option<Option<String>>,
    pub notes: Option<Option<String>>,
    /// `None`: untouched; `Some(None)`: cleared; `Some(Some(map))`: keys merged, null values removed.
    pub attributes: Option<Option<Map<String, Value>>>,
    pub kind: Option<Kind>,
    /// `Some(None)`: back to the top level.
    pub parent_id: Option<Option<String>>,
    /// `Some(None)`: derived from the name again.
    pub handle: Option<Option<Handle>>,
}

/// The outcome of applying a patch: the new fields and which of them changed.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchedCustomer {
    pub fields: CustomerFields,
    pub kind: Kind,
    pub changed: Vec<&'static str>,
}

impl CustomerPatch {
    pub fn parse(body: &Value) -> Result<CustomerPatch, Vec<FieldError>> {
        let map = object(body)?;
        let mut errors = Errors::default();
        let mut patch = CustomerPatch::default();
        for (key, value) in map {
            match key.as_str() {
                "name" => patch.name = Some(text(&mut errors.0, "name", value, MAX_NAME_LEN, Lines::Single)),
                "email" => patch.email = Some(email(&mut errors, value)),
                "phone" => patch.phone = Some(phone(&mut errors.0, value)),
                "company" => patch.company = Some(text(&mut errors.0, "company", value, MAX_COMPANY_LEN, Lines::Single)),
                "notes" => patch.notes = Some(text(&mut errors.0, "notes", value, MAX_NOTES_LEN, Lines::Multi)),
                "attributes" => {
                    patch.attributes = Some(match value {
                        Value::Null => None,
                        Value::Object(m) => {
                            // Keep nulls: in a merge patch they remove a key.
                            let mut out = Map::new();
                            for (k, v) in m {
                                if attribute_key_ok(&mut errors, k) {
                                    if v.is_null() {
                                        out.insert(k.clone(), Value::Null);
                                    } else if let Some(v) = attribute_value(&mut errors, k, v) {
                                        out.insert(k.clone(), v);
                                    }
                                }
                            }
                            Some(out)
                        }
                        _ => {
                            errors.push("attributes", "invalid_type", "attributes must be an object or null");
                            None
                        }
                    })
                }
                "kind" => match Kind::parse_named(value.as_str().unwrap_or_default()) {
                    Ok(k) => patch.kind = Some(k),
                    Err(m) => errors.push("kind", "invalid", format!("kind {m}")),
                },
                "source" => errors.push("source", "read_only", "source records where the customer came from and cannot change"),
                "parent_id" => patch.parent_id = Some(parent_ref(&mut errors, value)),
                "handle" => patch.handle = Some(handle(&mut errors, value)),
                k => errors.0.push(not_accepted(k, &READ_ONLY)),
            }
        }
        errors.into_result(patch)
    }

    /// Applies the patch to a customer; fails when the result would have neither name nor email
    /// or too many attributes.
    pub fn apply(&self, current: &Customer) -> Result<PatchedCustomer, Vec<FieldError>> {
        let mut changed = Vec::new();
        let mut set = |name: &'static str, old: &Option<String>, new: &Option<Option<String>>| -> Option<String> {
            match new {
                Some(v) if v != old => {
                    changed.push(name);
                    v.clone()
                }
                _ => old.clone(),
            }
        };
        let name = set("name", &current.name, &self.name);
        let phone = set("phone", &current.phone, &self.phone);
        let company = set("company", &current.company, &self.company);
        let notes = set("notes", &current.notes, &self.notes);
        let current_email = current.email.as_deref().and_then(|e| Email::parse(e).ok());
        let email = match &self.email {
            Some(new) if new.as_ref().map(Email::as_str) != current.email.as_deref() => {
                changed.push("email");
                new.clone()
            }
            _ => current_email,
        };
        let attributes = match &self.attributes {
            None => current.attributes.clone(),
            Some(None) => Map::new(),
            Some(Some(merge)) => {
                let mut out = current.attributes.clone();
                for (k, v) in merge {
                    if v.is_null() {
                        out.remove(k);
                    } else {
                        out.insert(k.clone(), v.clone());
                    }
                }
                out
            }
        };
        if attributes != current.attributes {
            changed.push("attributes");
        }
        let kind = self.kind.unwrap_or(current.kind);
        if kind != current.kind {
            changed.push("kind");
        }
        if matches!(&self.parent_id, Some(p) if *p != current.parent_id) {
            changed.push("parent_id");
        }
        // A handle set to null is derived again, so it changes unless it was already absent and
        // no name is left to derive it from; storage writes what it derives.
        match &self.handle {
            Some(Some(h)) if Some(h.as_str()) != current.handle.as_deref() => changed.push("handle"),
            Some(None) => changed.push("handle"),
            _ => {}
        }
        let fields = CustomerFields { name, email, phone, company, notes, attributes };
        let mut errors = Errors::default();
        check_attribute_count(&mut errors, &fields.attributes);
        require_name_or_email(&mut errors, &fields);
        errors.into_result(PatchedCustomer { fields, kind, changed })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_kind_and_source_name_parses_to_the_variant_spelled_so() {
        for name in Kind::ALL {
            assert_eq!(Kind::parse(name).map(Kind::as_str), Some(name));
        }
        for name in Source::ALL {
            assert_eq!(Source::parse(name).map(Source::as_str), Some(name));
        }
        assert_eq!(Kind::parse("Visitor"), None);
        assert_eq!(Source::parse("web"), None);
    }

    fn fields_of(errors: Vec<FieldError>) -> Vec<(String, String)> {
        errors.into_iter().map(|e| (e.field, e.code)).collect()
    }

    fn customer() -> Customer {
        Customer {
            name: Some("Ada".into()),
            email: Some("ada@example.com".into()),
            attributes: json!({"plan": "pro", "seats": 3}).as_object().unwrap().clone(),
            ..Customer::blank("c1")
        }
    }

    #[test]
    fn a_name_alone_is_a_valid_customer() {
        let c = NewCustomer::parse(&json!({"name": "Ada"})).unwrap();
        assert_eq!(c.fields.name.as_deref(), Some("Ada"));
        assert_eq!(c.kind, Kind::Registered);
        assert_eq!(c.source, Source::Admin);
    }

    #[test]
    fn neither_name_nor_email_is_rejected() {
        let errs = NewCustomer::parse(&json!({"company": "ACME"})).unwrap_err();
        assert_eq!(fields_of(errs), vec![("name".into(), "required".into())]);
    }

    #[test]
    fn blank_strings_count_as_absent() {
        assert!(NewCustomer::parse(&json!({"name": "  ", "email": ""})).is_err());
    }

    #[test]
    fn an_invalid_email_names_the_field() {
        let errs = NewCustomer::parse(&json!({"email": "nope"})).unwrap_err();
        assert_eq!(fields_of(errs), vec![("email".into(), "invalid".into())]);
    }

    #[test]
    fn unknown_fields_are_rejected_by_name() {
        let errs = NewCustomer::parse(&json!({"name": "Ada", "emial": "x"})).unwrap_err();
        assert_eq!(fields_of(errs), vec![("emial".into(), "unknown_field".into())]);
    }

    #[test]
    fn server_fields_are_read_only() {
        let errs = NewCustomer::parse(&json!({"name": "Ada", "id": "x"})).unwrap_err();
        assert_eq!(fields_of(errs), vec![("id".into(), "read_only".into())]);
    }

    #[test]
    fn a_create_body_names_the_groups_of_the_new_customer() {
        let c = NewCustomer::parse(&json!({"name": "Ada", "group_ids": ["g2", "g1", "g2"]})).unwrap();
        assert_eq!(c.group_ids, vec!["g2", "g1"]);
    }

    #[test]
    fn a_patch_cannot_set_group_ids() {
        let errs = CustomerPatch::parse(&json!({"group_ids": ["g1"]})).unwrap_err();
        assert_eq!(fields_of(errs), vec![("group_ids".into(), "read_only".into())]);
    }

    #[test]
    fn all_errors_are_reported_together() {
        let errs = NewCustomer::parse(&json!({"email": 5, "phone": "abc", "kind": "vip"})).unwrap_err();
        assert_eq!(errs.len(), 3);
    }

    #[test]
    fn attributes_accept_scalars_only() {
        let errs = NewCustomer::parse(&json!({"name": "A", "attributes": {"a": [1]}})).unwrap_err();
        assert_eq!(fields_of(errs), vec![("attributes.a".into(), "invalid_type".into())]);
    }

    #[test]
    fn more_than_fifty_attributes_are_rejected() {
        let attrs: Map<String, Value> = (0..51).map(|i| (format!("k{i}"), json!(i))).collect();
        let errs = NewCustomer::parse(&json!({"name": "A", "attributes": attrs})).unwrap_err();
        assert_eq!(fields_of(errs), vec![("attributes".into(), "too_many".into())]);
    }

    #[test]
    fn names_and_companies_are_one_line_and_notes_may_break_lines() {
        let errs = NewCustomer::parse(&json!({"name": "Ada\nLovelace", "company": "A\tB", "notes": "one\n\ttwo"})).unwrap_err();
        assert_eq!(fields_of(errs), vec![("company".into(), "invalid".into()), ("name".into(), "invalid".into())]);
        let errs = CustomerPatch::parse(&json!({"name": "a\rb"})).unwrap_err();
        assert_eq!(fields_of(errs), vec![("name".into(), "invalid".into())]);
        let errs = CustomerFields::from_row([("name", "Ada\nL")], []).unwrap_err();
        assert_eq!(fields_of(errs), vec![("name".into(), "invalid".into())]);
    }

    #[test]
    fn control_characters_in_attribute_values_are_rejected() {
        let errs = NewCustomer::parse(&json!({"name": "A", "attributes": {"plan": "pro\u{0}"}})).unwrap_err();
        assert_eq!(fields_of(errs), vec![("attributes.plan".into(), "invalid".into())]);
        let errs = CustomerFields::from_row([("name", "A")], [("plan", "a\u{202E}b")]).unwrap_err();
        assert_eq!(fields_of(errs), vec![("attributes.plan".into(), "invalid".into())]);
    }

    #[test]
    fn given_fields_are_named_in_a_fixed_order() {
        let f = CustomerFields { notes: Some("n".into()), name: Some("A".into()), ..Default::default() };
        assert_eq!(f.given(), vec!["name", "notes"]);
    }

    #[test]
    fn a_body_that_is_not_an_object_is_rejected() {
        assert!(NewCustomer::parse(&json!([1])).is_err());
    }

    #[test]
    fn over_long_names_are_rejected() {
        let errs = NewCustomer::parse(&json!({"name": "x".repeat(201)})).unwrap_err();
        assert_eq!(fields_of(errs), vec![("name".into(), "too_long".into())]);
    }

    #[test]
    fn patch_sets_only_given_fields_and_reports_them() {
        let p = CustomerPatch::parse(&json!({"company": "ACME"})).unwrap();
        let out = p.apply(&customer()).unwrap();
        assert_eq!(out.fields.company.as_deref(), Some("ACME"));
        assert_eq!(out.fields.name.as_deref(), Some("Ada"));
        assert_eq!(out.changed, vec!["company"]);
    }

    #[test]
    fn patch_null_clears_a_field() {
        let p = CustomerPatch::parse(&json!({"name": null})).unwrap();
        let out = p.apply(&customer()).unwrap();
        assert_eq!(out.fields.name, None);
        assert_eq!(out.changed, vec!["name"]);
    }

    #[test]
    fn patch_cannot_remove_both_name_and_email() {
        let p = CustomerPatch::parse(&json!({"name": null, "email": null})).unwrap();
        assert!(p.apply(&customer()).is_err());
    }

    #[test]
    fn patch_merges_attributes_and_null_removes_a_key() {
        let p = CustomerPatch::parse(&json!({"attributes": {"plan": null, "region": "eu"}})).unwrap();
        let out = p.apply(&customer()).unwrap();
        assert_eq!(Value::Object(out.fields.attributes), json!({"seats": 3, "region": "eu"}));
        assert_eq!(out.changed, vec!["attributes"]);
    }

    #[test]
    fn patch_with_same_values_changes_nothing() {
        let p = CustomerPatch::parse(&json!({"name": "Ada", "email": "ada@example.com"})).unwrap();
        assert!(p.apply(&customer()).unwrap().changed.is_empty());
    }

    #[test]
    fn patch_rejects_source_and_unknown_fields() {
        let errs = CustomerPatch::parse(&json!({"source": "form", "foo": 1})).unwrap_err();
        assert_eq!(errs.len(), 2);
    }
}
