//! The contract's per-action permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    CustomersRead,
    CustomersCreate,
    CustomersUpdate,
    CustomersDelete,
    CustomersForceDelete,
    CustomersImport,
    CustomersExport,
    GroupsManage,
    KeysManage,
    AuditRead,
    AdminsManage,
    EventsRead,
    WebhooksManage,
}

impl Permission {
    pub const ALL: [Permission; 13] = [
        Permission::CustomersRead,
        Permission::CustomersCreate,
        Permission::CustomersUpdate,
        Permission::CustomersDelete,
        Permission::CustomersForceDelete,
        Permission::CustomersImport,
        Permission::CustomersExport,
        Permission::GroupsManage,
        Permission::KeysManage,
        Permission::AuditRead,
        Permission::AdminsManage,
        Permission::EventsRead,
        Permission::WebhooksManage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::CustomersRead => "customers:read",
            Permission::CustomersCreate => "customers:create",
            Permission::CustomersUpdate => "customers:update",
            Permission::CustomersDelete => "customers:delete",
            Permission::CustomersForceDelete => "customers:force_delete",
            Permission::CustomersImport => "customers:import",
            Permission::CustomersExport => "customers:export",
            Permission::GroupsManage => "groups:manage",
            Permission::KeysManage => "keys:manage",
            Permission::AuditRead => "audit:read",
            Permission::AdminsManage => "admins:manage",
            Permission::EventsRead => "events:read",
            Permission::WebhooksManage => "webhooks:manage",
        }
    }

    pub fn parse(s: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// A property of a request that calls for a permission beyond the ones its route always needs:
/// the route table pairs each with its permission, the handler says which hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// A delete that is permanent (`permanent=true` in the query, `"permanent": true` in a body).
    Permanent,
    /// A delete that is not (a soft delete).
    NotPermanent,
    /// An import that creates the groups its file names and that do not exist yet.
    CreateGroups,
}

impl Condition {
    /// How the OpenAPI document names it (`x-conditional-permissions`).
    pub fn as_str(self) -> &'static str {
        match self {
            Condition::Permanent => "permanent=true",
            Condition::NotPermanent => "permanent=false",
            Condition::CreateGroups => "create_groups=true",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_permission_round_trips_through_its_name() {
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.as_str()), Some(p));
        }
    }

    #[test]
    fn unknown_names_are_not_permissions() {
        assert_eq!(Permission::parse("customers:*"), None);
        assert_eq!(Permission::parse("CUSTOMERS:READ"), None);
    }
}
