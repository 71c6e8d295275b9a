//! `POST /oauth/token`: OAuth 2.0 token exchange (RFC 8693) for deployments with their own identity
//! provider, as the YDB SDKs' `Oauth2TokenExchangeCredentials` use it.
//!
//! What the Python SDK (`ydb/oauth2_token_exchange`) sends, form-urlencoded: `grant_type`
//! (`urn:ietf:params:oauth:grant-type:token-exchange`), `requested_token_type` (`…:token-type:access_token`),
//! optional `resource`, `audience` (repeated for a list) and `scope` (space-joined), `subject_token` with
//! `subject_token_type` — `…:token-type:jwt` for a JWT it signs, whatever the configuration names for a
//! fixed token — and optionally `actor_token`/`actor_token_type`. It reads `access_token`, `expires_in`
//! (must be > 0), `token_type` (must be `Bearer`, any case) and `scope` (must equal the requested one
//! when present, so it is not sent back), and then sends `Bearer <access_token>` as its ticket. Status 403
//! is its "unauthenticated", 5xx "unavailable", other 4xx "bad request".
//!
//! Accepted subjects (`--oauth-subject`): a fixed token (`token:VALUE`) with type access_token, id_token or
//! jwt, or a JWT (`jwt:KEY_ID:PATH`) of type jwt or id_token signed with that key (RS256 or PS256 for an
//! RSA key, ES256 for a P-256 one; its `kid`, when present, must be KEY_ID), not expired. The issued token
//! authenticates as the JWT's `sub` (else its `iss`, else the key id), or as `oauth-subject` for a fixed
//! token. Audience, scope, resource and actor tokens are accepted and not checked. Errors follow RFC 6749
//! §5.2: 400 with `error` one of `invalid_request`, `invalid_grant`, `unsupported_grant_type`, and an
//! `error_description`.

use std::collections::HashMap;

use http::{Response, StatusCode};
use serde_json::json;
use tonic::body::Body;

use super::jwt::{check_times, Alg, Jws, JwtError, PublicKey};
use super::Issuer;
use super::{Config, OauthSubject};

pub const GRANT_TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
pub const TOKEN_TYPE_ACCESS_TOKEN: &str = "urn:ietf:params:oauth:token-type:access_token";
pub const TOKEN_TYPE_ID_TOKEN: &str = "urn:ietf:params:oauth:token-type:id_token";
pub const TOKEN_TYPE_JWT: &str = "urn:ietf:params:oauth:token-type:jwt";

/// Who a fixed subject token authenticates as.
pub const FIXED_SUBJECT: &str = "oauth-subject";

/// The RFC 6749 §5.2 `error` for an HTTP status this route answers with outside the exchange itself
/// (a fault, a disabled route, a wrong method).
pub fn error_code_for(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 | 403 => "invalid_client",
        503 => "temporarily_unavailable",
        500..=599 => "server_error",
        _ => "invalid_request",
    }
}

/// An RFC 6749 §5.2 error answer.
pub fn error(status: StatusCode, code: &str, description: &str) -> Response<Body> {
    super::json(status, &json!({ "error": code, "error_description": description }))
}

fn bad_request(code: &str, description: &str) -> Response<Body> {
    tracing::info!(error = code, reason = description, "OAuth token exchange refused");
    error(StatusCode::BAD_REQUEST, code, description)
}

/// Decodes one `application/x-www-form-urlencoded` name or value.
fn form_decode(raw: &str) -> Result<String, String> {
    let spaced = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| "the form is not UTF-8 after percent-decoding".to_string())
}

/// The form's parameters, each name with all its values in order.
fn parse_form(body: &[u8]) -> Result<HashMap<String, Vec<String>>, String> {
    let text = std::str::from_utf8(body).map_err(|_| "the body is not UTF-8".to_string())?;
    let mut params: HashMap<String, Vec<String>> = HashMap::new();
    for pair in text.trim().split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        params.entry(form_decode(name)?).or_default().push(form_decode(value)?);
    }
    Ok(params)
}

/// A parameter that may appear at most once (RFC 6749 §3.2); `None` when absent or empty.
fn single<'a>(params: &'a HashMap<String, Vec<String>>, name: &str) -> Result<Option<&'a str>, String> {
    match params.get(name).map(Vec::as_slice) {
        None | Some([]) => Ok(None),
        Some([value]) => Ok(Some(value.as_str()).filter(|v| !v.is_empty())),
        Some(_) => Err(format!("{name} is given more than once")),
    }
}

/// Compares without stopping at the first difference, so timing tells nothing about a secret's prefix.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// Who a subject token authenticates as, or why it is not accepted.
fn subject_of(token: &str, token_type: &str, config: &Config, now: i64) -> Result<String, String> {
    let fixed_type = [TOKEN_TYPE_ACCESS_TOKEN, TOKEN_TYPE_ID_TOKEN, TOKEN_TYPE_JWT].contains(&token_type);
    let fixed = config.oauth_subjects.iter().any(|s| matches!(s, OauthSubject::Token(t) if same_secret(t, token)));
    if fixed && fixed_type {
        return Ok(FIXED_SUBJECT.to_string());
    }
    let keys: Vec<(&str, &PublicKey)> = config
        .oauth_subjects
        .iter()
        .filter_map(|s| match s {
            OauthSubject::Jwt { key_id, key } => Some((key_id.as_str(), key)),
            OauthSubject::Token(_) => None,
        })
        .collect();
    if keys.is_empty() || ![TOKEN_TYPE_JWT, TOKEN_TYPE_ID_TOKEN].contains(&token_type) {
        return Err("the subject token is not one this server accepts".to_string());
    }
    let jws = Jws::parse(token).map_err(|e| format!("the subject token is not a JWT: {}", e.message()))?;
    let candidates: Vec<&(&str, &PublicKey)> = match jws.kid.as_deref() {
        Some(kid) => keys.iter().filter(|(id, _)| *id == kid).collect(),
        None => keys.iter().collect(),
    };
    if candidates.is_empty() {
        return Err(format!("the subject JWT's kid {} names no configured key", jws.kid.as_deref().unwrap_or("")));
    }
    let mut last = JwtError::Rejected("no key".to_string());
    for (key_id, key) in candidates {
        match jws.verify(key, &[Alg::Rs256, Alg::Ps256, Alg::Es256]) {
            Ok(()) => {
                check_times(&jws.claims, now, false, None).map_err(|e| e.message().to_string())?;
                let claims = &jws.claims;
                return Ok(claims.sub.clone().or_else(|| claims.iss.clone()).unwrap_or_else(|| (*key_id).to_string()));
            }
            Err(e) => last = e,
        }
    }
    Err(last.message().to_string())
}

/// Serves `POST /oauth/token` with this form body.
pub fn exchange(body: &[u8], config: &Config, auth: &dyn Issuer) -> Response<Body> {
    let params = match parse_form(body) {
        Ok(params) => params,
        Err(e) => return bad_request("invalid_request", &e),
    };
    let fields = (|| {
        Ok::<_, String>((
            single(&params, "grant_type")?,
            single(&params, "requested_token_type")?,
            single(&params, "subject_token")?,
            single(&params, "subject_token_type")?,
        ))
    })();
    let (grant_type, requested, subject_token, subject_token_type) = match fields {
        Ok(fields) => fields,
        Err(e) => return bad_request("invalid_request", &e),
    };
    match grant_type {
        None => return bad_request("invalid_request", "grant_type is required"),
        Some(GRANT_TOKEN_EXCHANGE) => {}
        Some(other) => {
            return bad_request(
                "unsupported_grant_type",
                &format!("grant_type {other} is not supported; this endpoint does {GRANT_TOKEN_EXCHANGE}"),
            )
        }
    }
    if let Some(other) = requested.filter(|r| *r != TOKEN_TYPE_ACCESS_TOKEN) {
        return bad_request(
            "invalid_request",
            &format!("requested_token_type {other} is not issued; this endpoint issues {TOKEN_TYPE_ACCESS_TOKEN}"),
        );
    }
    let (Some(token), Some(token_type)) = (subject_token, subject_token_type) else {
        return bad_request("invalid_request", "subject_token and subject_token_type are required");
    };
    match subject_of(token, token_type, config, super::unix_now()) {
        Ok(subject) => {
            let (access_token, _) = auth.issue(&subject, config.token_ttl);
            tracing::info!(subject = %subject, "OAuth token exchanged");
            super::json(
                StatusCode::OK,
                &json!({
                    "access_token": access_token,
                    "issued_token_type": TOKEN_TYPE_ACCESS_TOKEN,
                    "token_type": "Bearer",
                    "expires_in": config.token_ttl_seconds(),
                }),
            )
        }
        Err(reason) => bad_request("invalid_grant", &reason),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::super::jwt::tests::{keys, sign};
    use super::*;
    use crate::auth::Auth;
    use http_body_util::BodyExt;
    use serde_json::Value;

    fn config() -> Config {
        Config {
            oauth_subjects: vec![
                OauthSubject::Token("fixed secret".into()),
                OauthSubject::Jwt { key_id: "idp-1".into(), key: keys().0.to_public_key().into() },
            ],
            ..Config::default()
        }
    }

    fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
        let encode = |s: &str| percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string();
        pairs.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&").into_bytes()
    }

    async fn call(pairs: &[(&str, &str)], auth: &Auth) -> (StatusCode, Value) {
        let response = exchange(&form(pairs), &config(), auth);
        let status = response.status();
        (status, serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap())
    }

    fn request<'a>(token: &'a str, token_type: &'a str) -> Vec<(&'a str, &'a str)> {
        vec![
            ("grant_type", GRANT_TOKEN_EXCHANGE),
            ("requested_token_type", TOKEN_TYPE_ACCESS_TOKEN),
            ("subject_token", token),
            ("subject_token_type", token_type),
        ]
    }

    #[tokio::test]
    async fn a_fixed_subject_token_is_exchanged_for_an_access_token() {
        let auth = Auth::default();
        let (status, body) = call(&request("fixed secret", TOKEN_TYPE_ACCESS_TOKEN), &auth).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["issued_token_type"], TOKEN_TYPE_ACCESS_TOKEN);
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], config().token_ttl_seconds());
        let access = body["access_token"].as_str().unwrap();
        assert_eq!(auth.user_of(&format!("Bearer {access}")).unwrap(), FIXED_SUBJECT);
        let (status, body) = call(&request("fixed secreT", TOKEN_TYPE_ACCESS_TOKEN), &auth).await;
        assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
        assert!(!body.to_string().contains("secreT"), "the token is not echoed: {body}");
    }

    #[tokio::test]
    async fn a_subject_jwt_signed_by_the_configured_key_authenticates_as_its_sub() {
        let auth = Auth::default();
        let now = super::super::unix_now();
        let claims = json!({"iss": "idp", "sub": "alice@idp", "aud": "ydb", "iat": now, "exp": now + 600});
        for (alg, header) in [
            (Alg::Rs256, json!({"alg": "RS256", "typ": "JWT", "kid": "idp-1"})),
            (Alg::Ps256, json!({"alg": "PS256", "typ": "JWT"})),
        ] {
            let jwt = sign(&keys().0, alg, &header, &claims);
            let mut pairs = request(&jwt, TOKEN_TYPE_JWT);
            pairs.extend([("audience", "a"), ("audience", "b"), ("scope", "x y")]);
            let (status, body) = call(&pairs, &auth).await;
            assert_eq!(status, StatusCode::OK, "{alg:?}: {body}");
            assert_eq!(auth.user_of(body["access_token"].as_str().unwrap()).unwrap(), "alice@idp");
        }
        let bad = [
            sign(&keys().1, Alg::Rs256, &json!({"alg": "RS256", "kid": "idp-1"}), &claims),
            sign(&keys().0, Alg::Rs256, &json!({"alg": "RS256", "kid": "idp-2"}), &claims),
            sign(&keys().0, Alg::Rs256, &json!({"alg": "RS256"}), &json!({"sub": "a", "exp": now - 10})),
            "not a jwt".to_string(),
        ];
        for jwt in bad {
            let (status, body) = call(&request(&jwt, TOKEN_TYPE_JWT), &auth).await;
            assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "{body}");
        }
    }

    #[tokio::test]
    async fn requests_that_break_the_protocol_get_its_error_codes() {
        let auth = Auth::default();
        let error_of = |pairs: Vec<(&'static str, &'static str)>| {
            let auth = &auth;
            async move { call(&pairs, auth).await.1["error"].as_str().unwrap().to_string() }
        };
        let mut pairs = request("fixed secret", TOKEN_TYPE_ACCESS_TOKEN);
        pairs[0] = ("grant_type", "client_credentials");
        assert_eq!(error_of(pairs).await, "unsupported_grant_type");
        assert_eq!(error_of(request("fixed secret", TOKEN_TYPE_ACCESS_TOKEN)[1..].to_vec()).await, "invalid_request");
        let mut pairs = request("fixed secret", TOKEN_TYPE_ACCESS_TOKEN);
        pairs[1] = ("requested_token_type", "urn:ietf:params:oauth:token-type:refresh_token");
        assert_eq!(error_of(pairs).await, "invalid_request");
        assert_eq!(error_of(request("fixed secret", TOKEN_TYPE_ACCESS_TOKEN)[..3].to_vec()).await, "invalid_request");
        let mut pairs = request("fixed secret", TOKEN_TYPE_ACCESS_TOKEN);
        pairs.push(("subject_token", "again"));
        assert_eq!(error_of(pairs).await, "invalid_request");
        let response = exchange(b"grant_type=%ff", &config(), &auth);
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn forms_decode_plus_and_percent_escapes() {
        let params = parse_form(b"a=x+y%2Bz&b=&c&a=%C3%A9").unwrap();
        assert_eq!(params["a"], vec!["x y+z".to_string(), "\u{e9}".to_string()]);
        assert_eq!(params["b"], vec![String::new()]);
        assert_eq!(params["c"], vec![String::new()]);
        assert!(same_secret("abc", "abc") && !same_secret("abc", "abd") && !same_secret("abc", "ab"));
    }
}
