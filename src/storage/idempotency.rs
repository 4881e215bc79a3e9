//! Idempotency-Key bookkeeping. Claiming a key is one INSERT guarded by the primary key, so two
//! simultaneous requests with one key can never both run.
use serde::Deserialize;
use worker::D1Database;

use super::query::Scalar;
use super::{statement, DbResult};

#[derive(Debug, Deserialize)]
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

pub async fn claim(db: &D1Database, scope: &str, body_hash: &str, now: &str, expired_before: &str) -> DbResult<Claim> {
    // Expired keys are forgotten first, a bounded number at a time, so the table cannot grow forever.
    let sweep = statement(
        db,
        "DELETE FROM idempotency_keys WHERE scope IN (SELECT scope FROM idempotency_keys WHERE created_at < ?1 LIMIT 100)",
        &[Scalar::Text(expired_before.into())],
    )?;
    let insert = statement(
        db,
        "INSERT INTO idempotency_keys (scope, body_hash, created_at) VALUES (?1, ?2, ?3) ON CONFLICT (scope) DO NOTHING",
        &[Scalar::Text(scope.into()), Scalar::Text(body_hash.into()), Scalar::Text(now.into())],
    )?;
    let results = db.batch(vec![sweep, insert]).await?;
    if results.get(1).map(super::rows_changed) == Some(1) {
        return Ok(Claim::Claimed);
    }
    let stored: Option<Stored> = statement(
        db,
        "SELECT body_hash, status, response, headers FROM idempotency_keys WHERE scope = ?1",
        &[Scalar::Text(scope.into())],
    )?
    .first(None)
    .await?;
    match stored {
        Some(s) => Ok(Claim::Taken(s)),
        // Swept between the two statements: treat as free next time.
        None => Ok(Claim::Claimed),
    }
}

pub async fn complete(db: &D1Database, scope: &str, status: u16, response: &str, headers: &str) -> DbResult<()> {
    statement(
        db,
        "UPDATE idempotency_keys SET status = ?1, response = ?2, headers = ?3 WHERE scope = ?4",
        &[Scalar::Int(status as i64), Scalar::Text(response.into()), Scalar::Text(headers.into()), Scalar::Text(scope.into())],
    )?
    .run()
    .await?;
    Ok(())
}

/// Releases a key whose request failed on our side, so the client can retry it.
pub async fn release(db: &D1Database, scope: &str) -> DbResult<()> {
    statement(db, "DELETE FROM idempotency_keys WHERE scope = ?1", &[Scalar::Text(scope.into())])?.run().await?;
    Ok(())
}
