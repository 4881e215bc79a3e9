//! Reading a Cloudflare Access token (a JWT) and checking everything about it but the signature,
//! which `http::access` verifies with the runtime's WebCrypto. Pure, so every refusal is
//! unit-tested: only RS256 is accepted (never `none`, never an HMAC keyed with a public key).
use serde_json::Value;

use crate::domain::{base64url, json};

/// Seconds of clock difference tolerated on `exp` and `nbf`.
pub const LEEWAY_SECS: f64 = 60.0;

#[derive(Debug, Clone, PartialEq)]
pub struct Token<'a> {
    pub kid: String,
    pub claims: Claims,
    /// `header.payload` as sent: the bytes the signature covers.
    pub signed: &'a str,
    pub signature: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Claims {
    pub iss: String,
    pub aud: Vec<String>,
    pub exp: Option<f64>,
    pub nbf: Option<f64>,
    pub email: String,
    /// A service token's client id: Access signs machines in with it and no email.
    pub common_name: String,
}

impl Claims {
    /// The claims of a payload: a claim present with the wrong type makes the token malformed;
    /// `aud` is one audience or a list of them.
    fn read(payload: &Value) -> Result<Claims, Refusal> {
        let text = |name| match payload.get(name) {
            None => Ok(String::new()),
            Some(v) => v.as_str().map(str::to_string).ok_or(Refusal::Malformed),
        };
        let time = |name| match payload.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v.as_f64().map(Some).ok_or(Refusal::Malformed),
        };
        let aud = match payload.get("aud") {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(items)) => items.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
            _ => vec![],
        };
        Ok(Claims {
            iss: text("iss")?,
            aud,
            exp: time("exp")?,
            nbf: time("nbf")?,
            email: text("email")?,
            common_name: text("common_name")?,
        })
    }
}

/// Why a token is refused; the answer is always 401, the reason goes to the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Malformed,
    Algorithm(String),
    NoKeyId,
    Issuer,
    Audience,
    Expired,
    NotYetValid,
    NoEmail,
    UnknownKey,
    Signature,
    KeysUnavailable(String),
}

/// A part of the token: base64url of a JSON object.
fn part(b64: &str) -> Result<Value, Refusal> {
    let bytes = base64url::decode(b64).ok_or(Refusal::Malformed)?;
    let text = String::from_utf8(bytes).map_err(|_| Refusal::Malformed)?;
    json::parse(&text).filter(Value::is_object).ok_or(Refusal::Malformed)
}

/// Splits and decodes a token; refuses any algorithm but RS256 before anything else is read.
pub fn parse(token: &str) -> Result<Token<'_>, Refusal> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(Refusal::Malformed);
    };
    let header = part(h)?;
    let alg = header.get("alg").and_then(Value::as_str).ok_or(Refusal::Malformed)?;
    if alg != "RS256" {
        return Err(Refusal::Algorithm(alg.into()));
    }
    let kid = match header.get("kid") {
        None | Some(Value::Null) => None,
        Some(k) => Some(k.as_str().ok_or(Refusal::Malformed)?),
    };
    let kid = kid.filter(|k| !k.is_empty()).ok_or(Refusal::NoKeyId)?.to_string();
    let claims = Claims::read(&part(p)?)?;
    let signature = base64url::decode(s).ok_or(Refusal::Malformed)?;
    Ok(Token { kid, claims, signed: &token[..h.len() + 1 + p.len()], signature })
}

/// The claims Access promises: issued by the team, for this application, valid now, for a person.
pub fn check(claims: &Claims, team_domain: &str, audience: &str, now_secs: f64) -> Result<(), Refusal> {
    if claims.iss.trim_end_matches('/') != team_domain.trim_end_matches('/') {
        return Err(Refusal::Issuer);
    }
    if !claims.aud.iter().any(|a| a == audience) {
        return Err(Refusal::Audience);
    }
    match claims.exp {
        Some(exp) if now_secs <= exp + LEEWAY_SECS => {}
        _ => return Err(Refusal::Expired),
    }
    if claims.nbf.is_some_and(|nbf| now_secs + LEEWAY_SECS < nbf) {
        return Err(Refusal::NotYetValid);
    }
    if claims.email.trim().is_empty() && claims.common_name.trim().is_empty() {
        return Err(Refusal::NoEmail);
    }
    Ok(())
}

/// The token from the `Cf-Access-Jwt-Assertion` header, else the `CF_Authorization` cookie
/// (what a browser sends the console).
pub fn from_request<'a>(assertion: Option<&'a str>, cookie: Option<&'a str>) -> Option<&'a str> {
    if let Some(t) = assertion.map(str::trim).filter(|t| !t.is_empty()) {
        return Some(t);
    }
    cookie?.split(';').filter_map(|c| c.trim().split_once('=')).find(|(k, _)| *k == "CF_Authorization").map(|(_, v)| v.trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn b64(v: Value) -> String {
        base64url::encode(v.to_string().as_bytes())
    }

    fn token(header: Value, claims: Value) -> String {
        format!("{}.{}.{}", b64(header), b64(claims), base64url::encode(b"sig"))
    }

    fn claims(now: f64) -> Value {
        json!({"iss": "https://team.example", "aud": ["app-aud"], "exp": now + 300.0, "nbf": now - 10.0, "email": "ada@example.com"})
    }

    const NOW: f64 = 1_800_000_000.0;

    #[test]
    fn a_good_token_parses_and_passes_the_checks() {
        let t = token(json!({"alg": "RS256", "kid": "k1"}), claims(NOW));
        let parsed = parse(&t).unwrap();
        assert_eq!(parsed.kid, "k1");
        assert_eq!(parsed.signature, b"sig");
        assert!(t.starts_with(parsed.signed) && parsed.signed.matches('.').count() == 1);
        assert_eq!(check(&parsed.claims, "https://team.example/", "app-aud", NOW), Ok(()));
    }

    #[test]
    fn only_rs256_is_accepted() {
        for alg in ["none", "HS256", "RS512", "rs256"] {
            let t = token(json!({"alg": alg, "kid": "k1"}), claims(NOW));
            assert_eq!(parse(&t).unwrap_err(), Refusal::Algorithm(alg.into()));
        }
    }

    #[test]
    fn a_token_without_key_id_or_three_parts_is_refused() {
        assert_eq!(parse(&token(json!({"alg": "RS256"}), claims(NOW))).unwrap_err(), Refusal::NoKeyId);
        assert_eq!(parse("a.b").unwrap_err(), Refusal::Malformed);
        assert_eq!(parse("a.b.c.d").unwrap_err(), Refusal::Malformed);
        assert_eq!(parse("!!.!!.!!").unwrap_err(), Refusal::Malformed);
    }

    #[test]
    fn issuer_audience_and_times_are_checked_with_a_minute_of_leeway() {
        let check_with = |patch: Value| {
            let mut c = claims(NOW);
            c.as_object_mut().unwrap().extend(patch.as_object().unwrap().clone());
            check(&Claims::read(&c).unwrap(), "https://team.example", "app-aud", NOW)
        };
        assert_eq!(check_with(json!({"iss": "https://evil.example"})), Err(Refusal::Issuer));
        assert_eq!(check_with(json!({"aud": "other"})), Err(Refusal::Audience));
        assert_eq!(check_with(json!({"aud": "app-aud"})), Ok(()));
        assert_eq!(check_with(json!({"exp": NOW - 61.0})), Err(Refusal::Expired));
        assert_eq!(check_with(json!({"exp": NOW - 59.0})), Ok(()));
        assert_eq!(check_with(json!({"exp": null})), Err(Refusal::Expired));
        assert_eq!(check_with(json!({"nbf": NOW + 61.0})), Err(Refusal::NotYetValid));
        assert_eq!(check_with(json!({"email": ""})), Err(Refusal::NoEmail));
        assert_eq!(check_with(json!({"email": "", "common_name": "abc.access"})), Ok(()));
    }

    #[test]
    fn a_claim_of_the_wrong_type_makes_the_token_malformed() {
        let header = json!({"alg": "RS256", "kid": "k1"});
        for patch in [json!({"exp": "tomorrow"}), json!({"email": 7}), json!({"iss": ["a"]})] {
            let mut c = claims(NOW);
            c.as_object_mut().unwrap().extend(patch.as_object().unwrap().clone());
            assert_eq!(parse(&token(header.clone(), c)).unwrap_err(), Refusal::Malformed);
        }
        assert_eq!(parse(&token(json!({"alg": "RS256", "kid": 1}), claims(NOW))).unwrap_err(), Refusal::Malformed);
        assert_eq!(parse(&token(json!(["RS256"]), claims(NOW))).unwrap_err(), Refusal::Malformed);
    }

    #[test]
    fn the_header_wins_over_the_cookie() {
        assert_eq!(from_request(Some("h.t.s"), Some("CF_Authorization=c.t.s")), Some("h.t.s"));
        assert_eq!(from_request(None, Some("theme=dark; CF_Authorization=c.t.s")), Some("c.t.s"));
        assert_eq!(from_request(Some(" "), Some("other=1")), None);
    }
}
