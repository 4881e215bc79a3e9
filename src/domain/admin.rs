//! People who sign in through Cloudflare Access, and what each role may do.
use serde::Serialize;
use serde_json::Value;

use super::email::Email;
use super::permission::Permission::{self, *};
use super::validation::{finish, not_accepted, object, FieldError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Admin,
    Editor,
    Viewer,
    Auditor,
}

impl Role {
    pub const ALL: [&'static str; 5] = ["owner", "admin", "editor", "viewer", "auditor"];

    pub fn parse(s: &str) -> Option<Role> {
        [Role::Owner, Role::Admin, Role::Editor, Role::Viewer, Role::Auditor].into_iter().find(|r| r.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Viewer => "viewer",
            Role::Auditor => "auditor",
        }
    }

    /// The contract's role table: owners hold everything, admins all but managing admins. The
    /// table predates events and webhooks: owners and admins hold both, auditors read events.
    pub fn permissions(self) -> Vec<Permission> {
        match self {
            Role::Owner => Permission::ALL.to_vec(),
            Role::Admin => Permission::ALL.into_iter().filter(|p| *p != AdminsManage).collect(),
            Role::Editor => vec![
                CustomersRead,
                CustomersCreate,
                CustomersUpdate,
                CustomersDelete,
                CustomersImport,
                CustomersExport,
                GroupsManage,
            ],
            Role::Viewer => vec![CustomersRead, CustomersExport],
            Role::Auditor => vec![CustomersRead, AuditRead, EventsRead],
        }
    }
}

/// An admin as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Admin {
    pub id: String,
    pub email: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: String,
    pub last_seen_at: Option<String>,
}

impl Admin {
    /// Whether this admin counts towards the enabled owners, of which one must always remain.
    pub fn is_enabled_owner(&self) -> bool {
        self.role == Role::Owner && !self.disabled
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewAdmin {
    pub email: Email,
    pub role: Role,
}

/// A change to an admin: its role, or whether it may sign in.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AdminPatch {
    pub role: Option<Role>,
    pub disabled: Option<bool>,
}

fn role(errors: &mut Vec<FieldError>, value: &Value) -> Option<Role> {
    let r = value.as_str().and_then(Role::parse);
    if r.is_none() {
        errors.push(FieldError::new("role", "invalid", format!("role must be one of {}", Role::ALL.join(", "))));
    }
    r
}

const READ_ONLY: [&str; 3] = ["id", "created_at", "last_seen_at"];

impl NewAdmin {
    pub fn parse(body: &Value) -> Result<NewAdmin, Vec<FieldError>> {
        let map = object(body)?;
        let mut errors = Vec::new();
        let (mut email, mut new_role) = (None, None);
        for (key, value) in map {
            match key.as_str() {
                "email" => match value.as_str().map(Email::parse) {
                    Some(Ok(e)) => email = Some(e),
                    Some(Err(e)) => errors.push(FieldError::new("email", e.code(), e.message())),
                    None => errors.push(FieldError::new("email", "invalid_type", "email must be a string")),
                },
                "role" => new_role = role(&mut errors, value),
                k => errors.push(not_accepted(k, &READ_ONLY)),
            }
        }
        if !map.contains_key("email") {
            errors.push(FieldError::new("email", "required", "an admin needs the email they sign in with"));
        }
        if !map.contains_key("role") {
            errors.push(FieldError::new("role", "required", format!("role is one of {}", Role::ALL.join(", "))));
        }
        match (email, new_role) {
            (Some(email), Some(role)) if errors.is_empty() => Ok(NewAdmin { email, role }),
            _ => Err(errors),
        }
    }
}

impl AdminPatch {
    pub fn parse(body: &Value) -> Result<AdminPatch, Vec<FieldError>> {
        let map = object(body)?;
        let mut errors = Vec::new();
        let mut patch = AdminPatch::default();
        for (key, value) in map {
            match (key.as_str(), value) {
                ("role", v) => patch.role = role(&mut errors, v),
                ("disabled", Value::Bool(b)) => patch.disabled = Some(*b),
                ("disabled", _) => errors.push(FieldError::new("disabled", "invalid_type", "disabled must be a boolean")),
                ("email", _) => {
                    errors.push(FieldError::new("email", "read_only", "an admin's email cannot change; add another admin"))
                }
                (k, _) => errors.push(not_accepted(k, &READ_ONLY)),
            }
        }
        finish(errors, patch)
    }

    /// Whether the change takes owner rights away from `current` (demoted or disabled): the
    /// storage refuses it when that owner is the last enabled one.
    pub fn removes_owner(&self, current: &Admin) -> bool {
        current.is_enabled_owner() && (self.role.is_some_and(|r| r != Role::Owner) || self.disabled == Some(true))
    }
}

/// The emails `ADMIN_OWNERS` names (comma-separated), normalised as sign-in emails are.
pub fn owners_from(var: &str) -> Vec<String> {
    var.split(',').filter_map(|e| Email::parse(e).ok()).map(|e| e.normalized()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_role_name_parses_to_the_role_spelled_so() {
        for name in Role::ALL {
            assert_eq!(Role::parse(name).map(Role::as_str), Some(name));
        }
        assert_eq!(Role::parse("Owner"), None);
    }

    fn admin(role: Role, disabled: bool) -> Admin {
        Admin { id: "a".into(), email: "o@x.com".into(), role, disabled, created_at: "t".into(), last_seen_at: None }
    }

    #[test]
    fn each_role_holds_exactly_the_contracts_permissions() {
        let names = |r: Role| r.permissions().iter().map(|p| p.as_str()).collect::<Vec<_>>();
        assert_eq!(names(Role::Owner).len(), Permission::ALL.len());
        assert!(!names(Role::Admin).contains(&"admins:manage"));
        assert_eq!(names(Role::Admin).len(), Permission::ALL.len() - 1);
        assert_eq!(
            names(Role::Editor),
            vec![
                "customers:read",
                "customers:create",
                "customers:update",
                "customers:delete",
                "customers:import",
                "customers:export",
                "groups:manage"
            ]
        );
        assert_eq!(names(Role::Viewer), vec!["customers:read", "customers:export"]);
        assert_eq!(names(Role::Auditor), vec!["customers:read", "audit:read", "events:read"]);
    }

    #[test]
    fn a_new_admin_needs_an_email_and_a_known_role() {
        let a = NewAdmin::parse(&json!({"email": "Ada@Example.com", "role": "editor"})).unwrap();
        assert_eq!((a.email.normalized(), a.role), ("ada@example.com".into(), Role::Editor));
        let errs = NewAdmin::parse(&json!({"email": "nope", "role": "boss", "x": 1})).unwrap_err();
        let got: Vec<_> = errs.iter().map(|e| (e.field.as_str(), e.code.as_str())).collect();
        assert_eq!(got, vec![("email", "invalid"), ("role", "invalid"), ("x", "unknown_field")]);
    }

    #[test]
    fn demoting_or_disabling_an_enabled_owner_removes_an_owner() {
        let owner = admin(Role::Owner, false);
        assert!(AdminPatch { role: Some(Role::Viewer), disabled: None }.removes_owner(&owner));
        assert!(AdminPatch { role: None, disabled: Some(true) }.removes_owner(&owner));
        assert!(!AdminPatch { role: Some(Role::Owner), disabled: Some(false) }.removes_owner(&owner));
        assert!(!AdminPatch { role: Some(Role::Viewer), disabled: None }.removes_owner(&admin(Role::Admin, false)));
    }

    #[test]
    fn an_admins_email_cannot_change() {
        assert_eq!(AdminPatch::parse(&json!({"email": "b@x.com"})).unwrap_err()[0].code, "read_only");
    }

    #[test]
    fn owners_are_read_from_a_comma_separated_list() {
        assert_eq!(owners_from(" Ada@Example.com, ,bad, bo@x.io"), vec!["ada@example.com", "bo@x.io"]);
    }
}
