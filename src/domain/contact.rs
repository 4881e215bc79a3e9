//! Contacts: the people who act for an organisation customer (its customer users), and the rules
//! for adding and changing one. A contact's email is required and unique per customer,
//! case-insensitively. A contact starts `pending` and becomes `active` only through its activation
//! link (`domain::activation`); an admin can disable it and enable it again.
use serde::Serialize;
use serde_json::{Map, Value};

use super::email::Email;
use super::fields::{phone, text, Lines};
use super::portal::ContactRole;
use super::validation::{finish, not_accepted, object, FieldError};

pub const MAX_NAME_LEN: usize = 200;

const READ_ONLY: [&str; 6] = ["id", "customer_id", "created_at", "updated_at", "activated_at", "last_signed_in_at"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactStatus {
    /// Never activated: waiting for the person to open an activation link.
    Pending,
    /// Activated through a link (`activated_at` says when).
    Active,
    /// Turned off by an admin; keeps `activated_at`, so enabling restores what it was.
    Disabled,
}

/// Why a contact cannot get an activation link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoLink {
    AlreadyActive,
    Disabled,
}

impl ContactStatus {
    pub const ALL: [&'static str; 3] = ["pending", "active", "disabled"];

    pub fn parse(s: &str) -> Option<ContactStatus> {
        use ContactStatus::*;
        [Pending, Active, Disabled].into_iter().find(|v| v.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ContactStatus::Pending => "pending",
            ContactStatus::Active => "active",
            ContactStatus::Disabled => "disabled",
        }
    }

    /// The status an enabled contact has: active once it has activated, else pending.
    pub fn enabled(activated: bool) -> ContactStatus {
        if activated {
            ContactStatus::Active
        } else {
            ContactStatus::Pending
        }
    }

    /// Whether an activation link may be issued: only a pending contact has anything to activate.
    pub fn may_get_link(self) -> Result<(), NoLink> {
        match self {
            ContactStatus::Pending => Ok(()),
            ContactStatus::Active => Err(NoLink::AlreadyActive),
            ContactStatus::Disabled => Err(NoLink::Disabled),
        }
    }

    /// What a PATCH asking for `to` does to a contact now `self` (`activated`: it has activated
    /// once): `None` when it is that already. `disabled` is always allowed; enabling names the
    /// status the contact returns to, since activation itself is by link only.
    pub fn patched_to(self, activated: bool, to: ContactStatus) -> Result<Option<ContactStatus>, FieldError> {
        let enabled = ContactStatus::enabled(activated);
        if to != ContactStatus::Disabled && to != enabled {
            return Err(if activated {
                FieldError::new(
                    "status",
                    "already_activated",
                    "this contact has activated: it is `active` or `disabled`, never `pending` again",
                )
            } else {
                FieldError::new(
                    "status",
                    "activation_required",
                    "a contact becomes active only through its activation link; send `pending` to enable one that has not activated",
                )
            });
        }
        Ok((to != self).then_some(to))
    }
}

/// A contact as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contact {
    pub id: String,
    pub customer_id: String,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub status: ContactStatus,
    /// What the person may do in the portal for this customer and its sub-customers.
    pub role: ContactRole,
    pub activated_at: Option<String>,
    /// When the person last signed in to the portal (activation or an emailed link).
    pub last_signed_in_at: Option<String>,
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
    pub role: ContactRole,
}

/// A validated merge patch for a contact: `None` leaves a field alone, `Some(None)` clears it.
/// The email and the status cannot be cleared. After `changes_to`, it holds only what differs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ContactPatch {
    pub email: Option<Email>,
    pub first_name: Option<Option<String>>,
    pub last_name: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub status: Option<ContactStatus>,
    pub role: Option<ContactRole>,
}

fn role(errors: &mut Vec<FieldError>, value: &Value) -> Option<ContactRole> {
    let parsed = value.as_str().and_then(ContactRole::parse);
    if parsed.is_none() {
        errors.push(FieldError::new("role", "invalid", format!("role is one of {}", ContactRole::ALL.join(", "))));
    }
    parsed
}

fn status(errors: &mut Vec<FieldError>, value: &Value) -> Option<ContactStatus> {
    let parsed = value.as_str().and_then(ContactStatus::parse);
    if parsed.is_none() {
        errors.push(FieldError::new("status", "invalid", format!("status is one of {}", ContactStatus::ALL.join(", "))));
    }
    parsed
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

#[derive(Clone, Copy, PartialEq)]
enum Body {
    Create,
    Patch,
}

/// Parses every field of a body into a patch, collecting all errors at once.
fn fields(map: &Map<String, Value>, body: Body) -> Result<ContactPatch, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut patch = ContactPatch::default();
    for (key, value) in map {
        match key.as_str() {
            "email" => patch.email = email(&mut errors, value),
            "first_name" => patch.first_name = Some(text(&mut errors, "first_name", value, MAX_NAME_LEN, Lines::Single)),
            "last_name" => patch.last_name = Some(text(&mut errors, "last_name", value, MAX_NAME_LEN, Lines::Single)),
            "phone" => patch.phone = Some(phone(&mut errors, value)),
            // A new contact is always pending: it activates through its link, not by an admin's word.
            "status" if body == Body::Create => errors.push(FieldError::new(
                "status",
                "read_only",
                "a new contact starts pending and activates through its activation link",
            )),
            "status" => patch.status = status(&mut errors, value),
            "role" => patch.role = role(&mut errors, value),
            k => errors.push(not_accepted(k, &READ_ONLY)),
        }
    }
    finish(errors, patch)
}

impl NewContact {
    /// Validates a create body; unknown and read-only fields are errors.
    pub fn parse(body: &Value) -> Result<NewContact, Vec<FieldError>> {
        let map = object(body)?;
        let parsed = fields(map, Body::Create);
        let missing_email = !map.contains_key("email");
        match parsed {
            Ok(p) if !missing_email => Ok(NewContact {
                email: p.email.expect("a present email either parsed or failed"),
                first_name: p.first_name.flatten(),
                last_name: p.last_name.flatten(),
                phone: p.phone.flatten(),
                role: p.role.unwrap_or(ContactRole::Member),
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
        fields(object(body)?, Body::Patch)
    }

    /// The part of this patch that differs from `current`, and the names of those fields; a status
    /// the contact cannot move to is the error. An email that differs only in case is a change
    /// (it is shown as entered).
    pub fn changes_to(&self, current: &Contact) -> Result<(ContactPatch, Vec<&'static str>), FieldError> {
        let status = match self.status {
            Some(to) => current.status.patched_to(current.activated_at.is_some(), to)?,
            None => None,
        };
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
        if status.is_some() {
            changed.push("status");
        }
        let role = self.role.filter(|r| *r != current.role);
        if role.is_some() {
            changed.push("role");
        }
        Ok((ContactPatch { email, first_name, last_name, phone, status, role }, changed))
    }

    /// Whether an open activation link must stop working: it was handed out for another address,
    /// or the contact is being turned off.
    pub fn revokes_links(&self) -> bool {
        self.email.is_some() || self.status == Some(ContactStatus::Disabled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_status_name_parses_to_the_status_spelled_so() {
        for name in ContactStatus::ALL {
            assert_eq!(ContactStatus::parse(name).map(ContactStatus::as_str), Some(name));
        }
        assert_eq!(ContactStatus::parse("enabled"), None);
    }

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
            status: ContactStatus::Pending,
            role: ContactRole::Member,
            activated_at: None,
            last_signed_in_at: None,
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
        let (change, changed) = ContactPatch::parse(&json!({"first_name": null})).unwrap().changes_to(&contact()).unwrap();
        assert_eq!(change.first_name, Some(None));
        assert_eq!(changed, vec!["first_name"]);
    }

    #[test]
    fn patch_reports_only_fields_that_differ() {
        let (change, changed) =
            ContactPatch::parse(&json!({"email": "grace@example.com", "first_name": "Grace", "phone": "555 0100"}))
                .unwrap()
                .changes_to(&contact())
                .unwrap();
        assert_eq!(change, ContactPatch { phone: Some(Some("555 0100".into())), ..Default::default() });
        assert_eq!(changed, vec!["phone"]);
    }

    #[test]
    fn patch_with_an_email_in_another_case_is_a_change() {
        let (change, changed) =
            ContactPatch::parse(&json!({"email": "Grace@Example.com"})).unwrap().changes_to(&contact()).unwrap();
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

    fn activated(status: ContactStatus) -> Contact {
        Contact { status, activated_at: Some("2026-01-02T00:00:00.000Z".into()), ..contact() }
    }

    fn patch_status(current: &Contact, to: &str) -> Result<Option<ContactStatus>, FieldError> {
        ContactPatch::parse(&json!({ "status": to })).unwrap().changes_to(current).map(|(change, _)| change.status)
    }

    #[test]
    fn a_new_contact_cannot_be_given_a_status() {
        let errs = NewContact::parse(&json!({"email": "g@example.com", "status": "active"})).unwrap_err();
        assert_eq!(codes(errs), vec![("status".into(), "read_only".into())]);
    }

    #[test]
    fn activated_at_is_read_only() {
        let errs = ContactPatch::parse(&json!({"activated_at": "2026-01-01T00:00:00.000Z"})).unwrap_err();
        assert_eq!(codes(errs), vec![("activated_at".into(), "read_only".into())]);
    }

    #[test]
    fn an_unknown_status_is_invalid() {
        for bad in [json!("enabled"), json!(null), json!(1)] {
            let errs = ContactPatch::parse(&json!({ "status": bad })).unwrap_err();
            assert_eq!(codes(errs), vec![("status".into(), "invalid".into())], "{bad}");
        }
    }

    #[test]
    fn any_contact_can_be_disabled() {
        assert_eq!(patch_status(&contact(), "disabled"), Ok(Some(ContactStatus::Disabled)));
        assert_eq!(patch_status(&activated(ContactStatus::Active), "disabled"), Ok(Some(ContactStatus::Disabled)));
    }

    #[test]
    fn disabling_a_disabled_contact_changes_nothing() {
        let c = Contact { status: ContactStatus::Disabled, ..contact() };
        assert_eq!(patch_status(&c, "disabled"), Ok(None));
    }

    #[test]
    fn a_disabled_contact_that_never_activated_is_enabled_back_to_pending() {
        let c = Contact { status: ContactStatus::Disabled, ..contact() };
        assert_eq!(patch_status(&c, "pending"), Ok(Some(ContactStatus::Pending)));
    }

    #[test]
    fn a_disabled_contact_that_activated_is_enabled_back_to_active() {
        assert_eq!(patch_status(&activated(ContactStatus::Disabled), "active"), Ok(Some(ContactStatus::Active)));
    }

    #[test]
    fn a_patch_cannot_activate_a_contact() {
        assert_eq!(patch_status(&contact(), "active").unwrap_err().code, "activation_required");
        let disabled = Contact { status: ContactStatus::Disabled, ..contact() };
        assert_eq!(patch_status(&disabled, "active").unwrap_err().code, "activation_required");
    }

    #[test]
    fn an_activated_contact_never_returns_to_pending() {
        assert_eq!(patch_status(&activated(ContactStatus::Active), "pending").unwrap_err().code, "already_activated");
        assert_eq!(patch_status(&activated(ContactStatus::Disabled), "pending").unwrap_err().code, "already_activated");
    }

    #[test]
    fn asking_for_the_status_a_contact_has_changes_nothing() {
        assert_eq!(patch_status(&contact(), "pending"), Ok(None));
        assert_eq!(patch_status(&activated(ContactStatus::Active), "active"), Ok(None));
    }

    #[test]
    fn a_status_change_is_named_among_the_changed_fields() {
        let (_, changed) = ContactPatch::parse(&json!({"status": "disabled"})).unwrap().changes_to(&contact()).unwrap();
        assert_eq!(changed, vec!["status"]);
    }

    #[test]
    fn only_a_pending_contact_may_get_an_activation_link() {
        assert_eq!(ContactStatus::Pending.may_get_link(), Ok(()));
        assert_eq!(ContactStatus::Active.may_get_link(), Err(NoLink::AlreadyActive));
        assert_eq!(ContactStatus::Disabled.may_get_link(), Err(NoLink::Disabled));
    }

    #[test]
    fn a_new_email_or_disabling_revokes_open_links_and_other_changes_do_not() {
        let c = contact();
        let change = |body| ContactPatch::parse(&body).unwrap().changes_to(&c).unwrap().0;
        assert!(change(json!({"email": "other@example.com"})).revokes_links());
        assert!(change(json!({"status": "disabled"})).revokes_links());
        assert!(!change(json!({"first_name": "G", "phone": "555 0100"})).revokes_links());
        assert!(!change(json!({"email": "grace@example.com"})).revokes_links(), "the same email is no change");
    }
}
