//! `GET /admin`: the admin console, one self-contained HTML page (inline CSS and script, no
//! external resources) compiled into the worker. Loading it needs no token: the page asks for
//! one, keeps it in the tab's sessionStorage and sends it as `Authorization: Bearer` itself.
use std::sync::OnceLock;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha256};
use worker::{Headers, Response};

use crate::http::error::ApiResult;
use crate::http::Ctx;

pub const PAGE: &str = include_str!("../admin.html");

/// The text of the page's one inline `<script>`, exactly as the browser hashes it.
fn inline_script(html: &str) -> &str {
    let Some(start) = html.find("<script>").map(|i| i + "<script>".len()) else { return "" };
    let end = html[start..].find("</script>").map_or(html.len(), |i| start + i);
    &html[start..end]
}

/// Scripts: only the page's own inline script, pinned by its hash (no `unsafe-inline`, no
/// `eval`); styles inline; requests to this origin only; never framed.
pub fn content_security_policy() -> &'static str {
    static CSP: OnceLock<String> = OnceLock::new();
    CSP.get_or_init(|| {
        let hash = STANDARD.encode(Sha256::digest(inline_script(PAGE).as_bytes()));
        format!(
            "default-src 'self'; script-src 'sha256-{hash}'; style-src 'unsafe-inline'; connect-src 'self'; \
             img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        )
    })
}

pub async fn page(_cx: &mut Ctx) -> ApiResult<Response> {
    let headers = Headers::new();
    headers.set("content-type", "text/html; charset=utf-8")?;
    headers.set("content-security-policy", content_security_policy())?;
    headers.set("x-frame-options", "DENY")?;
    headers.set("x-content-type-options", "nosniff")?;
    headers.set("referrer-policy", "no-referrer")?;
    headers.set("cache-control", "no-store")?;
    Ok(Response::from_bytes(PAGE.as_bytes().to_vec())?.with_headers(headers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_is_small_and_self_contained() {
        assert!(PAGE.len() < 40 * 1024, "src/admin.html is {} bytes", PAGE.len());
        assert_eq!(PAGE.matches("<script").count(), 1, "exactly one inline script (its hash is in the CSP)");
        assert!(!PAGE.contains("<script src"), "no external script");
        for banned in
            ["http://", "https://", "<link", "@import", "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("]
        {
            assert!(!PAGE.contains(banned), "the page must not contain `{banned}`");
        }
        // Inline handlers would be blocked by the hash-only script-src.
        assert!(!PAGE.contains(" onclick=") && !PAGE.contains(" onload=") && !PAGE.contains(" onsubmit="));
    }

    #[test]
    fn the_policy_pins_the_inline_script() {
        let csp = content_security_policy();
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("connect-src 'self'"));
        assert!(!csp.contains("script-src 'unsafe-inline'"));
        assert!(inline_script(PAGE).contains("sessionStorage"));
        assert!(inline_script(PAGE).is_ascii(), "keep the script ASCII so its hash cannot depend on encoding");
    }
}
