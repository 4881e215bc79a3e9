//! Contacts: the people who act for an organisation customer, and the rules for adding and
//! changing one. A contact's email is required and unique per customer, case-insensitively.
use serde::Serialize;
use serde_json::{Map, Value};

use super::email::Email;
use super::fields::{phone, text, Lines};
use super::validation::{finish, not_accepted, object, FieldError};

pub const MAX_NAME_LEN: usize = 200;

const READ_ONLY: [&str; 4] = ["id", "customer_id", "created_at", "updated_at"];

/// A contact as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contact {
    pub id: String,
    pub customer_id: String,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// A validated request to add a contact.
#[derive(Debug, Clone, PartialEq)]
pub struct NewContact {
    pub email: Email,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
}

/// A validated merge patch for a contact: `None` leaves a field alone, `Some(None)` clears it.
/// The email cannot be cleared. After `changes_to`, it holds only what differs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ContactPatch {
    pub email: Option<Email>,
    pub first_name: Option<Option<String>>,
    pub last_name: Option<Option<String>>,
    pub phone: Option<Option<String>>,
}

/// The email wherever it is given: null or blank is `required`, not a clearing.
fn email(errors: &mut Vec<FieldError>, value: &Value) -> Option<Email> {
    match value {
        Value::Null => {
            errors.push(FieldError::new("email", "required", "a contact needs an email"));
            None
        }
        Value::String(s) => match Email::parse(s) {
            Ok(e) => Some(e),
            Err(e) => {
                errors.push(FieldError::new("email", e.code(), e.message()));
                None
            }
        },
        _ => {
            errors.push(FieldError::new("email", "invalid_type", "email must be a string"));
            None
        }
    }
}

/// Parses every field of a body into a patch, collecting all errors at once.
fn fields(map: &Map<String, Value>) -> Result<ContactPatch, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut patch = ContactPatch::default();
    for (key, value) in map {
        match key.as_str() {
            "email" => patch.email = email(&mut errors, value),
            "first_name" => patch.first_name = Some(text(&mut errors, "first_name", value, MAX_NAME_LEN, Lines::Single)),
            "last_name" => patch.last_name = Some(text(&mut errors, "last_name", value, MAX_NAME_LEN, Lines::Single)),
            "phone" => patch.phone = Some(phone(&mut errors, value)),
            k => errors.push(not_accepted(k, &READ_ONLY)),
        }
    }
    finish(errors, patch)
}

impl NewContact {
    /// Validates a create body; unknown and read-only fields are errors.
    pub fn parse(body: &Value) -> Result<NewContact, Vec<FieldError>> {
        let map = object(body)?;
        let parsed = fields(map);
        let missing_email = !map.contains_key("email");
        match parsed {
            Ok(p) if !missing_email => Ok(NewContact {
                email: p.email.expect("a present email either parsed or failed"),
                first_name: p.first_name.flatten(),
                last_name: p.last_name.flatten(),
                phone: p.phone.flatten(),
            }),
            Ok(_) => Err(vec![FieldError::new("email", "required", "a contact needs an email")]),
            Err(mut errors) => {
                if missing_email {
                    errors.push(FieldError::new("email", "required", "a contact needs an email"));
                }
                Err(errors)
            }
        }
    }
}

impl ContactPatch {
    pub fn parse(body: &Value) -> Result<ContactPatch, Vec<FieldError>> {
        fields(object(body)?)
    }

    /// The part of this patch that differs from `current`, and the names of those fields.
    /// An email that differs only in case is a change (it is shown as entered).
    pub fn changes_to(&self, current: &Contact) -> (ContactPatch, Vec<&'static str>) {
        let mut changed = Vec::new();
        let email = self.email.clone().filter(|e| e.as_str() != current.email);
        if email.is_some() {
            changed.push("email");
        }
        let mut differs = |name: &'static str, new: &Option<Option<String>>, old: &Option<String>| {
            let d = new.clone().filter(|n| n != old);
            if d.is_some() {
                changed.push(name);
            }
            d
        };
        let first_name = differs("first_name", &self.first_name, &current.first_name);
        let last_name = differs("last_name", &self.last_name, &current.last_name);
        let phone = differs("phone", &self.phone, &current.phone);
        (ContactPatch { email, first_name, last_name, phone }, changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn codes(errors: Vec<FieldError>) -> Vec<(String, String)> {
        errors.into_iter().map(|e| (e.field, e.code)).collect()
    }

    fn contact() -> Contact {
        Contact {
            id: "k1".into(),
            customer_id: "c1".into(),
            email: "grace@example.com".into(),
            first_name: Some("Grace".into()),
            last_name: None,
            phone: None,
            created_at: "2026-01-01T00:00:00.000Z".into(),
            updated_at: "2026-01-01T00:00:00.000Z".into(),
        }
    }

    #[test]
    fn an_email_alone_makes_a_contact() {
        let c = NewContact::parse(&json!({"email": "grace@example.com"})).unwrap();
        assert_eq!(c.email.as_str(), "grace@example.com");
        assert_eq!((c.first_name, c.last_name, c.phone), (None, None, None));
    }

    #[test]
    fn every_field_is_trimmed() {
        let c = NewContact::parse(
            &json!({"email": " g@example.com ", "first_name": " Grace ", "last_name": " Hopper ", "phone": " +1 555 0100 "}),
        )
        .unwrap();
        assert_eq!(c.email.as_str(), "g@example.com");
        assert_eq!(c.first_name.as_deref(), Some("Grace"));
        assert_eq!(c.last_name.as_deref(), Some("Hopper"));
        assert_eq!(c.phone.as_deref(), Some("+1 555 0100"));
    }

    #[test]
    fn a_missing_email_is_required() {
        assert_eq!(
            codes(NewContact::parse(&json!({"first_name": "Grace"})).unwrap_err()),
            vec![("email".into(), "required".into())]
        );
    }

    #[test]
    fn a_null_email_is_required() {
        assert_eq!(codes(NewContact::parse(&json!({"email": null})).unwrap_err()), vec![("email".into(), "required".into())]);
    }

    #[test]
    fn a_blank_email_is_required() {
        assert_eq!(codes(NewContact::parse(&json!({"email": "  "})).unwrap_err()), vec![("email".into(), "required".into())]);
    }

    #[test]
    fn an_invalid_email_is_rejected_with_the_email_rules() {
        assert_eq!(codes(NewContact::parse(&json!({"email": "grace"})).unwrap_err()), vec![("email".into(), "invalid".into())]);
    }

    #[test]
    fn an_email_that_is_not_a_string_is_an_invalid_type() {
        assert_eq!(codes(NewContact::parse(&json!({"email": 1})).unwrap_err()), vec![("email".into(), "invalid_type".into())]);
    }

    #[test]
    fn a_first_name_over_200_characters_is_too_long() {
        let errs = NewContact::parse(&json!({"email": "g@example.com", "first_name": "x".repeat(201)})).unwrap_err();
        assert_eq!(codes(errs), vec![("first_name".into(), "too_long".into())]);
    }

    #[test]
    fn a_phone_without_enough_digits_is_invalid() {
        let errs = NewContact::parse(&json!({"email": "g@example.com", "phone": "call me"})).unwrap_err();
        assert_eq!(codes(errs), vec![("phone".into(), "invalid".into())]);
    }

    #[test]
    fn unknown_fields_are_rejected_by_name() {
        let errs = NewContact::parse(&json!({"email": "g@example.com", "title": "CTO"})).unwrap_err();
        assert_eq!(codes(errs), vec![("title".into(), "unknown_field".into())]);
    }

    #[test]
    fn server_fields_are_read_only() {
        let errs = NewContact::parse(&json!({"email": "g@example.com", "customer_id": "c2"})).unwrap_err();
        assert_eq!(codes(errs), vec![("customer_id".into(), "read_only".into())]);
    }

    #[test]
    fn all_errors_are_reported_together() {
        let errs = NewContact::parse(&json!({"phone": "x", "title": "CTO"})).unwrap_err();
        assert_eq!(errs.len(), 3, "{errs:?}");
    }

    #[test]
    fn a_body_that_is_not_an_object_is_rejected() {
        assert_eq!(codes(NewContact::parse(&json!("g@example.com")).unwrap_err()), vec![("body".into(), "invalid_type".into())]);
    }

    #[test]
    fn patch_cannot_clear_the_email() {
        assert_eq!(codes(ContactPatch::parse(&json!({"email": null})).unwrap_err()), vec![("email".into(), "required".into())]);
    }

    #[test]
    fn patch_null_clears_a_name() {
        let (change, changed) = ContactPatch::parse(&json!({"first_name": null})).unwrap().changes_to(&contact());
        assert_eq!(change.first_name, Some(None));
        assert_eq!(changed, vec!["first_name"]);
    }

    #[test]
    fn patch_reports_only_fields_that_differ() {
        let (change, changed) =
            ContactPatch::parse(&json!({"email": "grace@example.com", "first_name": "Grace", "phone": "555 0100"}))
                .unwrap()
                .changes_to(&contact());
        assert_eq!(change, ContactPatch { phone: Some(Some("555 0100".into())), ..Default::default() });
        assert_eq!(changed, vec!["phone"]);
    }

    #[test]
    fn patch_with_an_email_in_another_case_is_a_change() {
        let (change, changed) = ContactPatch::parse(&json!({"email": "Grace@Example.com"})).unwrap().changes_to(&contact());
        assert_eq!(change.email.map(|e| e.as_str().to_string()).as_deref(), Some("Grace@Example.com"));
        assert_eq!(changed, vec!["email"]);
    }

    #[test]
    fn patch_rejects_unknown_fields() {
        assert_eq!(
            codes(ContactPatch::parse(&json!({"nickname": "G"})).unwrap_err()),
            vec![("nickname".into(), "unknown_field".into())]
        );
    }
}
