//! Idempotency-Key bookkeeping. Claiming a key is one INSERT guarded by the primary key, so two
//! simultaneous requests with one key can never both run.
use worker::D1Database;

use super::d1::{batch, first, read_one, run};
use super::Scalar;
use super::{statement, DbResult};

#[derive(Debug)]
pub struct Stored {
    pub body_hash: String,
    pub status: Option<f64>,
    pub response: Option<String>,
    pub headers: Option<String>,
}

pub enum Claim {
    /// This request owns the key and must run.
    Claimed,
    /// Another request got there first.
    Taken(Stored),
}

/// Claims `scope` for this request. A claim whose request never answered (it died between the
/// claim and its answer) is taken over once it is older than `lease_before`: the client's retry
/// runs instead of being refused as "in progress" until the key expires.
pub async fn claim(
    db: &D1Database,
    scope: &str,
    body_hash: &str,
    now: &str,
    expired_before: &str,
    lease_before: &str,
) -> DbResult<Claim> {
    // Expired keys are forgotten first, a bounded number at a time, so the table cannot grow forever.
    let sweep = statement(
        db,
        "DELETE FROM idempotency_keys WHERE scope IN (SELECT scope FROM idempotency_keys WHERE created_at < ?1 LIMIT 100)",
        &[Scalar::Text(expired_before.into())],
    )?;
    let insert = statement(
        db,
        "INSERT INTO idempotency_keys (scope, body_hash, created_at) VALUES (?1, ?2, ?3) \
         ON CONFLICT (scope) DO UPDATE SET body_hash = excluded.body_hash, created_at = excluded.created_at \
         WHERE idempotency_keys.status IS NULL AND idempotency_keys.created_at < ?4",
        &[
            Scalar::Text(scope.into()),
            Scalar::Text(body_hash.into()),
            Scalar::Text(now.into()),
            Scalar::Text(lease_before.into()),
        ],
    )?;
    let results = batch(db, vec![sweep, insert]).await?;
    if results.get(1).map(|r| r.changes()) == Some(1) {
        return Ok(Claim::Claimed);
    }
    let sql = "SELECT body_hash, status, response, headers FROM idempotency_keys WHERE scope = ?1";
    let stored = read_one(first(&statement(db, sql, &[Scalar::Text(scope.into())])?).await?, |r| Stored {
        body_hash: r.text("body_hash"),
        status: r.opt_number("status"),
        response: r.opt_text("response"),
        headers: r.opt_text("headers"),
    })?;
    match stored {
        Some(s) => Ok(Claim::Taken(s)),
        // Swept between the two statements: treat as free next time.
        None => Ok(Claim::Claimed),
    }
}

pub async fn complete(db: &D1Database, scope: &str, status: u16, response: &str, headers: &str) -> DbResult<()> {
    run(&statement(
        db,
        "UPDATE idempotency_keys SET status = ?1, response = ?2, headers = ?3 WHERE scope = ?4",
        &[Scalar::Int(status as i64), Scalar::Text(response.into()), Scalar::Text(headers.into()), Scalar::Text(scope.into())],
    )?)
    .await?;
    Ok(())
}

/// Releases a key whose request failed on our side, so the client can retry it.
pub async fn release(db: &D1Database, scope: &str) -> DbResult<()> {
    run(&statement(db, "DELETE FROM idempotency_keys WHERE scope = ?1", &[Scalar::Text(scope.into())])?).await?;
    Ok(())
}
