//! The storage layer: every SQL string of the service lives below this module, next to its binds.
pub mod api_keys;
pub mod audit;
pub mod contacts;
pub mod customers;
pub mod groups;
pub mod idempotency;
pub mod imports;
pub mod interactions;
pub mod query;

use worker::wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement};

use crate::http::error::ApiError;
use query::Scalar;

/// A D1 failure, kept as text because that is all D1 reports.
#[derive(Debug)]
pub struct DbError(pub String);

impl DbError {
    pub fn is_email_conflict(&self) -> bool {
        crate::http::error::is_email_conflict(&self.0)
    }
}

impl From<worker::Error> for DbError {
    fn from(e: worker::Error) -> Self {
        DbError(crate::http::db_message(&e))
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        ApiError::from_database(&e.0)
    }
}

pub type DbResult<T> = Result<T, DbError>;

/// D1 hands every number over as a JS double; a count is read through this so the answers
/// show it as the whole number it is (`1`, never `1.0`).
pub fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let n = <f64 as serde::Deserialize>::deserialize(d)?;
    Ok(if n.is_finite() && n > 0.0 { n as u64 } else { 0 })
}

fn to_js(v: &Scalar) -> JsValue {
    match v {
        Scalar::Null => JsValue::NULL,
        Scalar::Text(s) => JsValue::from_str(s),
        // Numbers travel as f64: D1 has no BigInt binds and our integers fit in 53 bits.
        Scalar::Int(i) => JsValue::from_f64(*i as f64),
        Scalar::Real(f) => JsValue::from_f64(*f),
    }
}

pub fn statement(db: &D1Database, sql: &str, binds: &[Scalar]) -> DbResult<D1PreparedStatement> {
    let values: Vec<JsValue> = binds.iter().map(to_js).collect();
    Ok(db.prepare(sql).bind(&values)?)
}
