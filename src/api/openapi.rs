//! `GET /openapi.json`: the OpenAPI 3.1 document kept in `openapi/openapi.json`, served as is.
use worker::{Headers, Response};

use crate::http::error::ApiResult;
use crate::http::Ctx;

pub const DOCUMENT: &str = include_str!("../openapi.json");

pub async fn document(_cx: &mut Ctx) -> ApiResult<Response> {
    let headers = Headers::new();
    headers.set("content-type", "application/json; charset=utf-8")?;
    headers.set("cache-control", "public, max-age=300")?;
    Ok(Response::from_bytes(DOCUMENT.as_bytes().to_vec())?.with_headers(headers))
}
