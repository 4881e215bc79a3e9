//! SQL for merging customers: everything the sources have moves to the target in one batch (one
//! transaction), then the sources are soft-deleted pointing at the target, then the target takes
//! the fields it lacked. The order matters: a source's email and handle are free for the target
//! only once the source is no longer live.
use serde::Serialize;
use worker::{D1Database, D1PreparedStatement};

use super::audit;
use super::d1::{batch, first, read_one, Row};
use super::Scalar;
use super::{ids_json, statement, DbError, DbResult};
use crate::domain::email::normalize_email;
use crate::domain::merge::Fill;

/// What a merge moves to the target, counted.
#[derive(Debug, Serialize, Default, Clone, Copy, PartialEq)]
pub struct MergeCounts {
    pub interactions: u64,
    /// Contacts moved; one whose email the target already has as a contact stays with its source.
    pub contacts: u64,
    /// Group memberships the target gains.
    pub group_memberships: u64,
    /// Sub-customers that move under the target.
    pub children: u64,
    /// Browser ids (visitor ids) the target is known by from now on.
    pub visitors: u64,
}

fn merge_counts(r: &Row) -> MergeCounts {
    MergeCounts {
        interactions: r.count("interactions"),
        contacts: r.count("contacts"),
        group_memberships: r.count("group_memberships"),
        children: r.count("children"),
        visitors: r.count("visitors"),
    }
}

const SOURCES: &str = "SELECT value FROM json_each(?1)";

fn count_sql() -> String {
    format!(
        "SELECT \
         (SELECT count(*) FROM interactions WHERE customer_id IN ({SOURCES})) AS interactions, \
         (SELECT count(DISTINCT s.email_normalized) FROM contacts s WHERE s.customer_id IN ({SOURCES}) \
            AND NOT EXISTS (SELECT 1 FROM contacts t WHERE t.customer_id = ?2 AND t.email_normalized = s.email_normalized)) AS contacts, \
         (SELECT count(DISTINCT gm.group_id) FROM group_members gm WHERE gm.customer_id IN ({SOURCES}) \
            AND NOT EXISTS (SELECT 1 FROM group_members t WHERE t.customer_id = ?2 AND t.group_id = gm.group_id)) AS group_memberships, \
         (SELECT count(*) FROM customers k WHERE k.parent_id IN ({SOURCES})) AS children, \
         (SELECT count(*) FROM visitors v WHERE v.customer_id IN ({SOURCES})) AS visitors"
    )
}

fn text(v: &Option<String>) -> Scalar {
    v.clone().map(Scalar::Text).unwrap_or(Scalar::Null)
}

/// What merging `sources` into `target` would move, as the merge itself counts it.
pub async fn count(db: &D1Database, target: &str, sources: &[String]) -> DbResult<MergeCounts> {
    let counts = first(&statement(db, &count_sql(), &[ids_json(sources), Scalar::Text(target.into())])?).await?;
    Ok(read_one(counts, merge_counts)?.unwrap_or_default())
}

/// A contact of a source that moves to the target (`s`, as the batch runs): the target has no
/// contact with its email, and of the sources' contacts with that email it is the first by id.
/// The others stay with their source, as the merge's count says.
const CONTACT_MOVES: &str = "s.customer_id IN ({SOURCES}) \
    AND NOT EXISTS (SELECT 1 FROM contacts t WHERE t.customer_id = ?2 AND t.email_normalized = s.email_normalized) \
    AND s.id = (SELECT min(o.id) FROM contacts o WHERE o.customer_id IN ({SOURCES}) AND o.email_normalized = s.email_normalized)";

/// Who a merge's own audit rows name: the actor and request of the merge.
pub struct Actor<'a> {
    pub actor: &'a str,
    pub request_id: &'a str,
}

/// Runs the merge: `audit` (rows naming the sources and the target, written first while the
/// sources are still live), the moves, the sources' soft delete and the target's fill, in one
/// batch. Returns the counts read inside the batch, before anything moved.
///
/// The batch starts with migration 0018's check that the target and every source are still
/// live: a merge that met another merge or delete of the same customers changes nothing (409).
/// Each sub-customer and contact that moves gets an audit row (so an event) of its own, written
/// from the rows as the batch finds them. A moved sub-customer's new place is checked by the
/// tree's triggers (no circle, at most five levels) as it is written.
pub async fn run(
    db: &D1Database,
    target: &str,
    sources: &[String],
    fill: &Fill,
    audit: Vec<D1PreparedStatement>,
    by: &Actor<'_>,
    now: &str,
) -> DbResult<MergeCounts> {
    let (s, t, at) = (ids_json(sources), Scalar::Text(target.into()), Scalar::Text(now.into()));
    // `?1` the sources (JSON), then the target and the time where a statement needs them.
    let with = |sql: &str, rest: &[&Scalar]| {
        let mut binds = vec![s.clone()];
        binds.extend(rest.iter().map(|b| (*b).clone()));
        statement(db, &sql.replace("{CONTACT_MOVES}", CONTACT_MOVES).replace("{SOURCES}", SOURCES), &binds)
    };
    let (actor, request) = (Scalar::Text(by.actor.into()), Scalar::Text(by.request_id.into()));
    let id = audit::uuid_v7_per_row();
    let mut statements = vec![
        statement(db, "INSERT INTO merge_checks (target, sources) VALUES (?1, ?2)", &[t.clone(), s.clone()])?,
        statement(db, &count_sql(), &[s.clone(), t.clone()])?,
    ];
    statements.extend(audit);
    statements.extend([
        with(
            &format!(
                "INSERT INTO audit_log (id, at, actor, action, target_type, target_id, request_id, changed_fields, details) \
                 SELECT {id}, ?3, ?4, 'customer.update', 'customer', k.id, ?5, '[\"parent_id\"]', \
                        json_object('via', 'merge', 'merged_into', ?2, 'moved_from', k.parent_id) \
                 FROM customers k WHERE k.parent_id IN ({{SOURCES}})"
            ),
            &[&t, &at, &actor, &request],
        )?,
        with(
            &format!(
                "INSERT INTO audit_log (id, at, actor, action, target_type, target_id, request_id, changed_fields, details) \
                 SELECT {id}, ?3, ?4, 'contact.update', 'contact', s.id, ?5, '[\"customer_id\"]', \
                        json_object('customer_id', ?2, 'via', 'merge', 'moved_from', s.customer_id) \
                 FROM contacts s WHERE {{CONTACT_MOVES}}"
            ),
            &[&t, &at, &actor, &request],
        )?,
        with("UPDATE interactions SET customer_id = ?2 WHERE customer_id IN ({SOURCES})", &[&t])?,
        with("UPDATE contacts AS s SET customer_id = ?2, updated_at = ?3 WHERE {CONTACT_MOVES}", &[&t, &at])?,
        with(
            "INSERT OR IGNORE INTO group_members (group_id, customer_id, added_at) \
             SELECT group_id, ?2, ?3 FROM group_members WHERE customer_id IN ({SOURCES})",
            &[&t, &at],
        )?,
        with("DELETE FROM group_members WHERE customer_id IN ({SOURCES})", &[])?,
        with(
            "UPDATE customers SET parent_id = ?2, updated_at = ?3, version = version + 1 WHERE parent_id IN ({SOURCES})",
            &[&t, &at],
        )?,
        with("UPDATE visitors SET customer_id = ?2 WHERE customer_id IN ({SOURCES})", &[&t])?,
        // Customers merged into a source earlier now point at where their history went.
        with("UPDATE customers SET merged_into = ?2 WHERE merged_into IN ({SOURCES})", &[&t])?,
        with(
            "UPDATE customers SET deleted_at = ?3, merged_into = ?2, updated_at = ?3, version = version + 1 \
             WHERE id IN ({SOURCES}) AND deleted_at IS NULL",
            &[&t, &at],
        )?,
        fill_target_statement(db, target, fill, now)?,
    ]);
    let results = batch(db, statements).await?;
    let counts = results.get(1).and_then(|r| r.rows().pop()).ok_or_else(|| DbError("merge returned no counts".into()))?;
    counts.read(merge_counts)
}

/// The target takes what it lacked; a placeholder name gives way to a real one.
fn fill_target_statement(db: &D1Database, target: &str, fill: &Fill, now: &str) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "UPDATE customers SET \
           name = CASE WHEN (name IS NULL OR anonymous = 1) AND ?2 IS NOT NULL THEN ?2 ELSE name END, \
           anonymous = CASE WHEN ?2 IS NOT NULL THEN 0 ELSE anonymous END, \
           email = coalesce(email, ?3), email_normalized = coalesce(email_normalized, ?4), \
           phone = coalesce(phone, ?5), company = coalesce(company, ?6), notes = coalesce(notes, ?7), \
           handle = coalesce(handle, ?8), attributes = json_patch(?9, attributes), \
           kind = CASE WHEN ?10 THEN 'registered' ELSE kind END, \
           last_seen_at = (SELECT max(s.last_seen_at) FROM customers s WHERE s.id = ?1 OR s.merged_into = ?1), \
           updated_at = ?11, version = version + 1 \
         WHERE id = ?1 AND deleted_at IS NULL",
        &[
            Scalar::Text(target.into()),
            text(&fill.name),
            text(&fill.email),
            text(&fill.email.as_deref().map(normalize_email)),
            text(&fill.phone),
            text(&fill.company),
            text(&fill.notes),
            text(&fill.handle),
            Scalar::Text(serde_json::Value::Object(fill.attributes.clone()).to_string()),
            Scalar::Int(fill.registered as i64),
            Scalar::Text(now.into()),
        ],
    )
}

/// The anonymous visitor customer to fold into the email's customer when a public request names
/// both: the live customer the browser id belongs to, if it has no email of its own (one with
/// another email is another person as far as anyone can tell), is not the email's customer, and
/// the email's customer has no browser linked yet (the email arrives with a browser id for the
/// first time). A visitor merged once belongs to the email's customer and is not found here.
pub async fn visitor_to_merge(db: &D1Database, visitor_id: &str, email_normalized: &str) -> DbResult<Option<(String, String)>> {
    let sql = "SELECT s.id AS source, e.id AS target FROM visitors v JOIN customers s ON s.id = v.customer_id \
         JOIN customers e ON e.email_normalized = ?2 AND e.deleted_at IS NULL \
         WHERE v.visitor_id = ?1 AND s.deleted_at IS NULL AND s.email IS NULL AND s.own_company = 0 AND s.id <> e.id \
           AND NOT EXISTS (SELECT 1 FROM visitors w WHERE w.customer_id = e.id)";
    let pair = first(&statement(db, sql, &[Scalar::Text(visitor_id.into()), Scalar::Text(email_normalized.into())])?).await?;
    read_one(pair, |r| (r.text("source"), r.text("target")))
}
