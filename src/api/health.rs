use serde_json::json;
use worker::Response;

use crate::http::{error::ApiResult, json_response, Ctx};

pub async fn health(_cx: &mut Ctx) -> ApiResult<Response> {
    json_response(200, &json!({"status": "ok"}))
}
