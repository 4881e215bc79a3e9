//! URLs read the WHATWG way. In the worker the runtime's own `URL` parses (the `url` crate's
//! parser and its IDNA tables would add about 74 KiB gzipped to the wasm, measured); natively,
//! for the unit tests, the `url` crate, which implements the same standard. Both normalise what
//! matters here: the scheme, the host (IPv4 in any spelling becomes dotted decimal, IPv6 is
//! bracketed and compressed, names are lower-cased and punycoded) and credentials.

/// The parts of an absolute URL the webhook rules look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebUrl {
    /// The whole URL, serialised.
    pub href: String,
    /// Without the colon: `https`.
    pub scheme: String,
    /// The host as serialised: `example.com`, `10.0.0.1`, `[::1]`; empty when there is none.
    pub host: String,
    pub has_credentials: bool,
}

/// `raw` as an absolute URL, or `None`.
pub fn parse(raw: &str) -> Option<WebUrl> {
    imp::parse(raw, None)
}

/// `reference` (e.g. a redirect's `Location`) resolved against `base`.
pub fn join(base: &str, reference: &str) -> Option<WebUrl> {
    imp::parse(reference, Some(base))
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use super::WebUrl;

    pub fn parse(raw: &str, base: Option<&str>) -> Option<WebUrl> {
        let url = match base {
            Some(b) => web_sys::Url::new_with_base(raw, b).ok()?,
            None => web_sys::Url::new(raw).ok()?,
        };
        Some(WebUrl {
            href: url.href(),
            scheme: url.protocol().trim_end_matches(':').to_string(),
            host: url.hostname(),
            has_credentials: !url.username().is_empty() || !url.password().is_empty(),
        })
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use super::WebUrl;

    pub fn parse(raw: &str, base: Option<&str>) -> Option<WebUrl> {
        let url = match base {
            Some(b) => url::Url::parse(b).ok()?.join(raw).ok()?,
            None => url::Url::parse(raw).ok()?,
        };
        Some(WebUrl {
            href: url.as_str().to_string(),
            scheme: url.scheme().to_string(),
            host: url.host_str().unwrap_or_default().to_string(),
            has_credentials: !url.username().is_empty() || url.password().is_some(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_come_out_normalised() {
        assert_eq!(parse("https://0x7f.1/x").unwrap().host, "127.0.0.1");
        assert_eq!(parse("https://[0:0::1]/").unwrap().host, "[::1]");
        assert_eq!(parse("HTTPS://Hooks.Example.COM/in").unwrap().host, "hooks.example.com");
    }

    #[test]
    fn credentials_are_seen() {
        assert!(parse("https://u:p@example.com/").unwrap().has_credentials);
        assert!(!parse("https://example.com/").unwrap().has_credentials);
    }

    #[test]
    fn a_redirect_resolves_against_its_base() {
        assert_eq!(join("https://a.example.com/x/y", "/z").unwrap().href, "https://a.example.com/z");
        assert_eq!(join("https://a.example.com/", "http://10.0.0.1/").unwrap().host, "10.0.0.1");
    }

    #[test]
    fn a_relative_address_alone_does_not_parse() {
        assert!(parse("/hook").is_none());
    }
}
