//! `GET /admin`: the admin console is not in the worker. It is built from `console/` into
//! `console/dist/` (`console/build.mjs`, run by `scripts/build.sh`) and served as Workers Static
//! Assets (`[assets]` in `wrangler.toml`), with its CSP and other headers from `console/_headers`.
//! Static assets answer before the worker runs, so this route is reached only by a deployment
//! whose assets are missing: it says so instead of serving an empty page. (The route stays in
//! the table so other methods on `/admin` keep their 405 and the OpenAPI document its entry.)
use worker::Response;

use crate::http::error::{ApiError, ApiResult};
use crate::http::Ctx;

pub async fn page(_cx: &mut Ctx) -> ApiResult<Response> {
    Err(ApiError::NotFound("the admin console's static assets (console/dist, see wrangler.toml [assets])"))
}
