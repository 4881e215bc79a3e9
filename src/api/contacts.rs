//! `/v1/customers/{id}/contacts`: the people who act for an organisation customer (customer
//! users). A soft-deleted customer's contacts can be read and removed, not added or changed.
//! Activation links are in `api::activation`.
use serde_json::json;
use worker::Response;

use super::audit_entry;
use crate::domain::contact::{Contact, ContactPatch, ContactStatus, NewContact};
use crate::domain::customer::Customer;
use crate::domain::time;
use crate::http::error::{ApiError, ApiResult};
use crate::http::{Answer, Ctx};
use crate::storage::audit;
use crate::storage::contacts;
use crate::storage::{activation, batch, run_with_audit, StatementResult};

async fn load_customer(cx: &Ctx) -> ApiResult<Customer> {
    super::customers::load(cx, cx.param("id")).await
}

/// The customer, refused with 409 `customer_deleted` when it is soft-deleted.
pub(super) async fn load_live_customer(cx: &Ctx) -> ApiResult<Customer> {
    let customer = load_customer(cx).await?;
    if customer.deleted_at.is_some() {
        return Err(ApiError::CustomerDeleted);
    }
    Ok(customer)
}

pub(super) async fn load_contact(cx: &Ctx, customer_id: &str) -> ApiResult<Contact> {
    let id = cx.param("contact_id");
    super::uuid_or_404(id, "contact")?;
    contacts::get(&cx.db()?, customer_id, id).await?.ok_or(ApiError::NotFound("contact"))
}

/// Why a guarded write touched no row: the customer or contact went away, or the customer was
/// soft-deleted meanwhile.
async fn explain_no_change(cx: &Ctx, contact: bool) -> ApiError {
    let customer = match load_live_customer(cx).await {
        Ok(c) => c,
        Err(e) => return e,
    };
    if contact {
        if let Err(e) = load_contact(cx, &customer.id).await {
            return e;
        }
    }
    ApiError::Internal("contact write changed no row".into())
}

/// Names (never values) of the fields a new contact was given, for the audit log.
fn changed_on_create(c: &Contact) -> Vec<&'static str> {
    let mut f = vec!["email"];
    for (name, set) in [
        ("first_name", c.first_name.is_some()),
        ("last_name", c.last_name.is_some()),
        ("phone", c.phone.is_some()),
        ("role", c.role != crate::domain::portal::ContactRole::Member),
    ] {
        if set {
            f.push(name);
        }
    }
    f
}

pub async fn list(cx: &mut Ctx) -> ApiResult<Response> {
    let customer = load_customer(cx).await?;
    let data = contacts::list(&cx.db()?, &customer.id).await?;
    Answer::json(200, &json!({ "data": data }))?.into_response()
}

pub async fn create(cx: &mut Ctx) -> ApiResult<Response> {
    let contact = create_contact(cx).await?;
    let location = format!("/v1/customers/{}/contacts/{}", contact.customer_id, contact.id);
    Answer::json(201, &contact)?.with_header("Location", location).into_response()
}

/// Adds the contact the body describes to the path's customer.
pub(super) async fn create_contact(cx: &mut Ctx) -> ApiResult<Contact> {
    let body = cx.json_body().await?;
    let customer = load_live_customer(cx).await?;
    let new = NewContact::parse(&body).map_err(ApiError::Validation)?;
    let db = cx.db()?;
    let now = time::now();
    let contact = Contact {
        id: super::new_id(),
        customer_id: customer.id.clone(),
        email: new.email.as_str().to_string(),
        first_name: new.first_name,
        last_name: new.last_name,
        phone: new.phone,
        status: ContactStatus::Pending,
        role: new.role,
        activated_at: None,
        last_signed_in_at: None,
        created_at: now.clone(),
        updated_at: now.clone(),
    };
    let mut entry = audit_entry(cx, "contact.create", "contact", Some(&contact.id), changed_on_create(&contact));
    entry.details = json!({ "customer_id": customer.id });
    let inserted = run_with_audit(
        &db,
        contacts::insert_statement(&db, &contact, &new.email.normalized())?,
        audit::insert_if_changed_statement(&db, &entry, &now)?,
    )
    .await?;
    if inserted == 0 {
        return Err(explain_no_change(cx, false).await);
    }
    Ok(contact)
}

pub async fn update(cx: &mut Ctx) -> ApiResult<Response> {
    let body = cx.json_body().await?;
    let customer = load_live_customer(cx).await?;
    let current = load_contact(cx, &customer.id).await?;
    let patch = ContactPatch::parse(&body).map_err(ApiError::Validation)?;
    let (change, changed) = patch.changes_to(&current).map_err(|e| ApiError::Validation(vec![e]))?;
    if changed.is_empty() {
        return Answer::json(200, &current)?.into_response();
    }
    let db = cx.db()?;
    let now = time::now();
    let mut entry = audit_entry(cx, "contact.update", "contact", Some(&current.id), changed);
    entry.details = json!({ "customer_id": customer.id });
    let mut statements = vec![
        contacts::update_statement(&db, &customer.id, &current.id, &change, &now)?,
        audit::insert_if_changed_statement(&db, &entry, &now)?,
    ];
    // A link sent to the old address, or to someone being turned off, must not work any more.
    if change.revokes_links() {
        statements.push(activation::revoke_open_statement(&db, &customer.id, &current.id, &now)?);
    }
    let updated = batch(&db, statements).await?.first().map_or(0, StatementResult::changes);
    if updated == 0 {
        return Err(explain_no_change(cx, true).await);
    }
    Answer::json(200, &load_contact(cx, &customer.id).await?)?.into_response()
}

pub async fn delete(cx: &mut Ctx) -> ApiResult<Response> {
    let customer = load_customer(cx).await?;
    let contact = load_contact(cx, &customer.id).await?;
    let db = cx.db()?;
    let now = time::now();
    let mut entry = audit_entry(cx, "contact.delete", "contact", Some(&contact.id), vec![]);
    entry.details = json!({ "customer_id": customer.id });
    let deleted = run_with_audit(
        &db,
        contacts::delete_statement(&db, &customer.id, &contact.id)?,
        audit::insert_if_changed_statement(&db, &entry, &now)?,
    )
    .await?;
    if deleted == 0 {
        return Err(ApiError::NotFound("contact"));
    }
    Ok(Response::empty()?.with_status(204))
}
