use serde_json::json;
use worker::Response;

use crate::http::error::{ApiError, ApiResult};
use crate::http::{json_response, Ctx};

/// 200 while every setting is well formed; 503 `not_configured` naming the first malformed one
/// (`http::config`), so a deploy's first probe shows a typo.
pub async fn health(cx: &mut Ctx) -> ApiResult<Response> {
    if let Some((name, _)) = cx.config().invalid.first() {
        return Err(ApiError::NotConfigured(name));
    }
    json_response(200, &json!({"status": "ok"}))
}
