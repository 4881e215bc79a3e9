//! Routes that exist only when `ENABLE_TEST_ROUTES=true` (the end-to-end tests set it; no
//! deployed configuration does). They let tests provoke failures that real input cannot.
use worker::Response;

use crate::http::error::{ApiError, ApiResult};
use crate::http::Ctx;

fn enabled(cx: &Ctx) -> ApiResult<()> {
    if cx.var("ENABLE_TEST_ROUTES").as_deref() == Some("true") {
        Ok(())
    } else {
        Err(ApiError::NotFound("route"))
    }
}

pub async fn panic(cx: &mut Ctx) -> ApiResult<Response> {
    enabled(cx)?;
    panic!("test-only panic");
}

pub async fn database_error(cx: &mut Ctx) -> ApiResult<Response> {
    enabled(cx)?;
    let db = cx.db()?;
    db.prepare("SELECT * FROM no_such_table").all().await?;
    Err(ApiError::Internal("unreachable".into()))
}
