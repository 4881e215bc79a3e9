//! Customers API: a Cloudflare Worker keeping a company's customers in D1.
//! This file holds the entry point and the route table; everything else hangs off `http`.
pub mod api;
pub mod domain;
// What the fuzz targets check (`fuzz/`), unit-tested over their inputs; not in the worker.
#[cfg(any(test, fuzzing))]
pub mod fuzzing;
pub mod http;
#[cfg(test)]
mod layers;
pub mod storage;

use domain::permission::Condition::{CreateGroups, NotPermanent, Permanent};
use domain::permission::Permission::*;
use http::routing::all;
use http::routing::Access::{Authenticated, Portal, Public, Requires};
use http::server::Routes;
use worker::{event, Context, Env, MessageBatch, Request, Response, Result, ScheduleContext, ScheduledEvent};

/// A delete needs `customers:delete`, or `customers:force_delete` when it is permanent.
const DELETES: http::routing::Access<domain::permission::Permission, domain::permission::Condition> =
    Requires { all: &[], when: &[(NotPermanent, CustomersDelete), (Permanent, CustomersForceDelete)] };

/// Literal paths come before placeholder paths that would also match them. Each route states
/// every permission it needs (`http::routing::Access`); merge both updates and deletes.
///
/// The last figure of each route is its budget of D1 statements per request, authentication
/// included (each statement of a batch counts). Cloudflare ends an invocation at 1,000 queries on
/// Workers Paid (50 on Free), so no route may grow with the data past that; the end-to-end tests
/// fail any request over its route's budget (tests/harness.mjs). The export's statements grow
/// with the rows it writes, a page at a time (`api::import_export::export_statements`), and its
/// budget is the platform's limit. An import's grow with its file, within its limits: a lookup
/// for each 500 rows (20), one for the group names, and for each chunk of rows (1.5 MB of JSON;
/// 36 for 25 MiB of notes that are all backslashes, each escaped in JSON) its staging and up to
/// three statements in the batch: 130 measured for that file, about 170 had its rows named groups.
pub static ROUTES: &Routes = &[
    route!(Get, "/health", Public, api::health::health, 0),
    route!(Get, "/openapi.json", Public, api::openapi::document, 0),
    route!(Get, "/admin", Public, api::console::page, 0),
    route!(Get, "/__test/panic", Public, api::test_support::panic, 0),
    route!(Get, "/__test/database-error", Public, api::test_support::database_error, 4),
    route!(Post, "/__test/query-plan", all(&[CustomersRead]), api::test_support::query_plan, 12, reads),
    route!(Get, "/v1/customers", all(&[CustomersRead]), api::customers::list, 8),
    route!(Post, "/v1/customers", all(&[CustomersCreate]), api::customers::create, 16),
    route!(Post, "/v1/customers/filter", all(&[CustomersRead]), api::customers::filter, 16, reads),
    route!(
        Post,
        "/v1/customers/import",
        Requires { all: &[CustomersImport], when: &[(CreateGroups, GroupsManage)] },
        api::import_export::import,
        200
    ),
    route!(Get, "/v1/customers/export", all(&[CustomersExport]), api::import_export::export_get, 1000),
    route!(Post, "/v1/customers/export", all(&[CustomersExport]), api::import_export::export_post, 1000),
    route!(Post, "/v1/customers/bulk-delete", DELETES, api::customers::bulk_delete, 40),
    route!(Get, "/v1/customers/{id}", all(&[CustomersRead]), api::customers::get, 8),
    route!(Patch, "/v1/customers/{id}", all(&[CustomersUpdate]), api::customers::update, 16),
    route!(Delete, "/v1/customers/{id}", DELETES, api::customers::delete, 16),
    route!(Post, "/v1/customers/{id}/restore", all(&[CustomersDelete]), api::customers::restore, 16),
    route!(Post, "/v1/customers/{id}/redact", all(&[CustomersUpdate]), api::customers::redact, 16),
    route!(Post, "/v1/customers/{id}/merge", all(&[CustomersUpdate, CustomersDelete]), api::merge::merge, 40),
    route!(Get, "/v1/customers/{id}/interactions", all(&[CustomersRead]), api::interactions::history, 8),
    route!(Get, "/v1/customers/{id}/contacts", all(&[CustomersRead]), api::contacts::list, 8),
    route!(Post, "/v1/customers/{id}/contacts", all(&[CustomersUpdate]), api::contacts::create, 16),
    route!(Patch, "/v1/customers/{id}/contacts/{contact_id}", all(&[CustomersUpdate]), api::contacts::update, 16),
    route!(Delete, "/v1/customers/{id}/contacts/{contact_id}", all(&[CustomersUpdate]), api::contacts::delete, 16),
    route!(Post, "/v1/customers/{id}/contacts/{contact_id}/activation-link", all(&[CustomersUpdate]), api::activation::issue, 16),
    route!(Get, "/v1/groups", all(&[CustomersRead]), api::groups::list, 8),
    route!(Post, "/v1/groups", all(&[GroupsManage]), api::groups::create, 16),
    route!(Get, "/v1/groups/{id}", all(&[CustomersRead]), api::groups::get, 8),
    route!(Patch, "/v1/groups/{id}", all(&[GroupsManage]), api::groups::update, 16),
    route!(Delete, "/v1/groups/{id}", all(&[GroupsManage]), api::groups::delete, 16),
    route!(Post, "/v1/groups/{id}/members", all(&[GroupsManage]), api::groups::add_members, 16),
    route!(Delete, "/v1/groups/{id}/members", all(&[GroupsManage]), api::groups::remove_members, 16),
    route!(Post, "/v1/public/interactions", Public, api::interactions::record, 40),
    route!(Post, "/v1/public/contacts/activate", Public, api::activation::activate, 16),
    route!(Get, "/v1/api-keys", all(&[KeysManage]), api::api_keys::list, 8),
    route!(Post, "/v1/api-keys", all(&[KeysManage]), api::api_keys::create, 16),
    route!(Delete, "/v1/api-keys/{id}", all(&[KeysManage]), api::api_keys::revoke, 16),
    route!(Get, "/v1/audit-log", all(&[AuditRead]), api::audit::list, 8),
    route!(Get, "/v1/events", all(&[EventsRead]), api::events::list, 8),
    route!(Get, "/v1/stats/daily", all(&[CustomersRead]), api::stats::daily, 12),
    route!(Get, "/v1/webhooks", all(&[WebhooksManage]), api::webhooks::list, 8),
    route!(Post, "/v1/webhooks", all(&[WebhooksManage]), api::webhooks::create, 16),
    route!(Get, "/v1/webhooks/{id}", all(&[WebhooksManage]), api::webhooks::get, 8),
    route!(Patch, "/v1/webhooks/{id}", all(&[WebhooksManage]), api::webhooks::update, 16),
    route!(Delete, "/v1/webhooks/{id}", all(&[WebhooksManage]), api::webhooks::delete, 16),
    route!(Post, "/v1/webhooks/{id}/rotate-secret", all(&[WebhooksManage]), api::webhooks::rotate_secret, 16),
    route!(Post, "/v1/webhooks/{id}/test", all(&[WebhooksManage]), api::webhooks::test, 16),
    route!(Get, "/v1/webhooks/{id}/deliveries", all(&[WebhooksManage]), api::webhooks::deliveries, 8),
    route!(Post, "/v1/webhooks/{id}/replay", all(&[WebhooksManage]), api::webhooks::replay, 16),
    route!(Get, "/v1/own-company", all(&[CustomersRead]), api::own_company::get, 8),
    route!(Put, "/v1/own-company", all(&[AdminsManage]), api::own_company::set, 16),
    route!(Delete, "/v1/own-company", all(&[AdminsManage]), api::own_company::unset, 16),
    route!(Get, "/v1/me", Authenticated, api::admins::me, 8),
    route!(Post, "/v1/portal/sign-in", Public, api::portal::sign_in, 40),
    route!(Post, "/v1/portal/session", Public, api::portal::start_session, 40),
    route!(Delete, "/v1/portal/session", Portal, api::portal::end_session, 40),
    route!(Get, "/v1/portal/me", Portal, api::portal::me, 16),
    route!(Get, "/v1/portal/customers", Portal, api::portal::list, 16),
    route!(Post, "/v1/portal/customers", Portal, api::portal::create, 40),
    route!(Get, "/v1/portal/customers/{id}", Portal, api::portal::get, 16),
    route!(Patch, "/v1/portal/customers/{id}", Portal, api::portal::update, 40),
    route!(Delete, "/v1/portal/customers/{id}", Portal, api::portal::delete, 40),
    route!(Get, "/v1/portal/customers/{id}/interactions", Portal, api::portal::interactions, 16),
    route!(Get, "/v1/portal/customers/{id}/contacts", Portal, api::portal::contacts, 16),
    route!(Post, "/v1/portal/customers/{id}/contacts", Portal, api::portal::create_contact_here, 40),
    route!(Patch, "/v1/portal/customers/{id}/contacts/{contact_id}", Portal, api::portal::update_contact, 40),
    route!(Delete, "/v1/portal/customers/{id}/contacts/{contact_id}", Portal, api::portal::delete_contact, 40),
    route!(Post, "/v1/portal/customers/{id}/contacts/{contact_id}/activation-link", Portal, api::portal::resend_activation, 40),
    route!(Get, "/v1/admins", all(&[AdminsManage]), api::admins::list, 8),
    route!(Post, "/v1/admins", all(&[AdminsManage]), api::admins::create, 16),
    route!(Patch, "/v1/admins/{id}", all(&[AdminsManage]), api::admins::update, 16),
    route!(Delete, "/v1/admins/{id}", all(&[AdminsManage]), api::admins::delete, 16),
];

#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    Ok(http::server::handle(req, env, &ctx, ROUTES).await)
}

/// The webhooks queue and its dead-letter queue: dispatch and delivery (`api::dispatch`).
#[event(queue)]
async fn queue(batch: MessageBatch<serde_json::Value>, env: Env, _ctx: Context) -> Result<()> {
    api::dispatch::consume(batch, env).await
}

/// The cron trigger: dispatch what no queue message announced, re-send what never went out,
/// purge what is older than 30 days; then sign a chunk of the customers not yet signed for search,
/// and keep the per-order search indexes (build a chunk, or split the buckets that grew).
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    // Deliveries first: signing a chunk can hold D1 for seconds while customers stored before
    // migration 0027 are signed.
    api::dispatch::cron(env.clone()).await;
    api::customers::sign_for_search(&env).await;
    api::customers::keep_sorted_search(&env).await
}

#[cfg(test)]
mod tests {
    use super::ROUTES;
    use std::collections::BTreeSet;

    /// Cloudflare ends an invocation at 1,000 D1 queries (Workers Paid): no budget may promise more,
    /// and the export's, the one that grows with the data, is exactly that.
    #[test]
    fn statement_budgets_stay_within_the_platforms_limit() {
        for route in ROUTES {
            assert!(route.statements <= 1_000, "{} {}", route.method.as_str(), route.pattern);
        }
        let export: Vec<u32> = ROUTES.iter().filter(|r| r.pattern == "/v1/customers/export").map(|r| r.statements).collect();
        assert_eq!(export, [1_000, 1_000]);
    }

    /// A read's D1 session starts at any replica, a write's at the primary (the contract): every
    /// GET reads, and of the other routes only the filter, a list query sent as a body.
    #[test]
    fn only_reads_start_their_session_at_any_replica() {
        use crate::http::routing::Method;
        for route in ROUTES.iter().filter(|r| r.method == Method::Get) {
            assert!(route.reads, "GET {}", route.pattern);
        }
        let other: Vec<&str> = ROUTES.iter().filter(|r| r.method != Method::Get && r.reads).map(|r| r.pattern).collect();
        assert_eq!(other, ["/__test/query-plan", "/v1/customers/filter"]);
    }

    /// Every route the router serves is documented, and every documented route is served.
    #[test]
    fn the_openapi_document_and_the_route_table_agree() {
        let doc: serde_json::Value = serde_json::from_str(crate::api::openapi::DOCUMENT).unwrap();
        let mut documented = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in ["get", "post", "patch", "delete", "put"] {
                if item.get(method).is_some() {
                    documented.insert(format!("{} {path}", method.to_uppercase()));
                }
            }
        }
        let routed: BTreeSet<String> = ROUTES
            .iter()
            .filter(|r| !r.pattern.starts_with("/__test"))
            .map(|r| format!("{} {}", r.method.as_str(), r.pattern))
            .collect();
        let undocumented: Vec<_> = routed.difference(&documented).collect();
        let unrouted: Vec<_> = documented.difference(&routed).collect();
        assert!(undocumented.is_empty(), "routes missing from openapi.json: {undocumented:?}");
        assert!(unrouted.is_empty(), "documented routes the router does not serve: {unrouted:?}");
    }
}
