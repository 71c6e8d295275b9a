//! OAuth 2.0 token exchange (RFC 8693) credentials, as the Python SDK's `Oauth2TokenExchangeCredentials`:
//! a subject token — fixed, or a JWT signed here — and optionally an actor token, exchanged at a token
//! endpoint for an access token, which is sent as `Bearer <token>`.
//!
//! The configuration is the Python SDK's config file (`YDB_OAUTH2_KEY_FILE`): `token-endpoint`,
//! `grant-type`, `requested-token-type`, `aud`, `scope`, `res`, and `subject-credentials` /
//! `actor-credentials` that are `{"type": "FIXED", "token", "token-type"}` or `{"type": "JWT", "alg",
//! "private-key", "kid", "iss", "sub", "aud", "jti", "ttl"}`. The JS constructor's options are turned
//! into the same document, so one parser serves both.

use super::http::{form_encode, json_answer, string_field, HttpClient, HttpRequest, REQUEST_TIMEOUT_MS};
use super::json::{self, Json};
use super::jwt::{self, Algorithm, Claims, Family, Signer};
use super::service_account::{named, SignerFactory};
use super::{Token, TokenSource};
use crate::clock::now_ms;
use crate::error::{Error, Quoted, Result};
use crate::substring;
use futures_util::future::LocalBoxFuture;
use std::rc::Rc;

pub const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
pub const JWT_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:jwt";

/// A subject or actor token: given, or signed for each exchange.
enum PartyToken {
    Fixed { token: String, token_type: String },
    Jwt { signer: Rc<dyn Signer>, claims: Claims },
}

impl PartyToken {
    async fn issue(&self) -> Result<(String, &str)> {
        match self {
            PartyToken::Fixed { token, token_type } => Ok((token.clone(), token_type)),
            PartyToken::Jwt { signer, claims } => {
                Ok((jwt::sign(&**signer, claims, (now_ms() / 1000.0) as u64).await?, JWT_TOKEN_TYPE))
            }
        }
    }
}

pub struct OAuthTokenSource {
    endpoint: String,
    grant_type: String,
    requested_token_type: String,
    audience: Vec<String>,
    scope: Option<String>,
    resource: Vec<String>,
    subject: Option<PartyToken>,
    actor: Option<PartyToken>,
    http: Rc<dyn HttpClient>,
}

fn bad(what: String) -> Error {
    Error::argument(format!("OAuth 2.0 token exchange config: {what}"))
}

/// A string field: `None` when absent, an error when not a non-empty string.
fn string(doc: &Json, key: &str) -> Result<Option<String>> {
    match doc.get(key) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
        Some(other) => Err(bad(format!("{key} must be a non-empty string, not {}", other.kind()))),
    }
}

/// One string or a list of non-empty strings.
fn strings(doc: &Json, key: &str) -> Result<Vec<String>> {
    let wrong = || bad(format!("{key} must be a string or a list of non-empty strings"));
    match doc.get(key) {
        None | Some(Json::Null) => Ok(Vec::new()),
        Some(Json::String(s)) => Ok(if s.is_empty() { Vec::new() } else { vec![s.clone()] }),
        Some(Json::Array(items)) => {
            items.iter().map(|i| i.as_str().filter(|s| !s.is_empty()).map(str::to_string).ok_or_else(wrong)).collect()
        }
        Some(_) => Err(wrong()),
    }
}

/// A duration such as `"3600"`, `"90s"`, `"30m"`, `"1h"`, `"1d"`, `"1500ms"`, in whole seconds.
pub fn duration_secs(text: &str) -> Option<u64> {
    let units = [("ms", 0.001), ("us", 1e-6), ("ns", 1e-9), ("s", 1.0), ("m", 60.0), ("h", 3600.0), ("d", 86_400.0)];
    let (number, scale) =
        units.iter().find_map(|(suffix, scale)| text.strip_suffix(suffix).map(|n| (n, *scale))).unwrap_or((text, 1.0));
    let value = json::number(number.trim()).filter(|v| v.is_finite() && *v >= 0.0)?;
    Some((value * scale) as u64)
}

fn party(doc: &Json, key: &str, make_signer: SignerFactory) -> Result<Option<PartyToken>> {
    let Some(spec) = doc.get(key).filter(|v| !matches!(v, Json::Null)) else { return Ok(None) };
    if !matches!(spec, Json::Object(_)) {
        return Err(bad(format!("{key} must be an object")));
    }
    let field =
        |name: &str| string(spec, name).map_err(|e| bad(format!("{key}.{}", substring::after_last(e.message(), ": "))));
    let required = |name: &str| field(name)?.ok_or_else(|| bad(format!("{key} needs {name}")));
    let kind = required("type")?;
    if kind.eq_ignore_ascii_case("FIXED") {
        return Ok(Some(PartyToken::Fixed { token: required("token")?, token_type: required("token-type")? }));
    }
    if !kind.eq_ignore_ascii_case("JWT") {
        return Err(bad(format!("{key} has an unknown type {} (FIXED or JWT)", Quoted(&kind))));
    }
    let alg = Algorithm::from_name(&required("alg")?)?;
    let private_key = required("private-key")?;
    let key_bytes = if alg.family() == Family::Hmac {
        super::base64::decode(private_key.trim()).ok_or_else(|| bad(format!("{key}.private-key is not base64")))?
    } else {
        super::key::pkcs8_der(&private_key)
            .map_err(|e| bad(format!("{key}.{}", substring::replace(&e, "private_key", "private-key"))))?
    };
    let ttl_secs = match field("ttl")? {
        None => 3600,
        Some(t) => duration_secs(&t)
            .filter(|s| *s > 0)
            .ok_or_else(|| bad(format!("{key}.ttl {} is not a positive duration", Quoted(&t))))?,
    };
    let claims = Claims {
        key_id: field("kid")?,
        issuer: field("iss")?,
        subject: field("sub")?,
        audience: strings(spec, "aud")?,
        id: field("jti")?,
        ttl_secs,
    };
    Ok(Some(PartyToken::Jwt { signer: make_signer(alg, key_bytes)?, claims }))
}

impl OAuthTokenSource {
    /// A source for the config document `config_text`; `endpoint` overrides its `token-endpoint`.
    pub fn new(
        config_text: &str,
        endpoint: Option<String>,
        http: Rc<dyn HttpClient>,
        make_signer: SignerFactory,
    ) -> Result<OAuthTokenSource> {
        let doc = json::parse(config_text).map_err(|e| bad(format!("not JSON: {e}")))?;
        if !matches!(doc, Json::Object(_)) {
            return Err(bad("must be a JSON object".into()));
        }
        let endpoint = match endpoint {
            Some(e) => e,
            None => string(&doc, "token-endpoint")?.ok_or_else(|| bad("no token endpoint (token-endpoint)".into()))?,
        };
        if !endpoint.starts_with("http://") && !endpoint.starts_with("https://") {
            return Err(bad(format!("the token endpoint must be an http(s):// URL, got {}", Quoted(&endpoint))));
        }
        let scope = strings(&doc, "scope")?;
        Ok(OAuthTokenSource {
            endpoint,
            grant_type: string(&doc, "grant-type")?.unwrap_or_else(|| TOKEN_EXCHANGE_GRANT.into()),
            requested_token_type: string(&doc, "requested-token-type")?.unwrap_or_else(|| ACCESS_TOKEN_TYPE.into()),
            audience: strings(&doc, "aud")?,
            scope: (!scope.is_empty()).then(|| scope.join(" ")),
            resource: strings(&doc, "res")?,
            subject: party(&doc, "subject-credentials", make_signer)?,
            actor: party(&doc, "actor-credentials", make_signer)?,
            http,
        })
    }
}

impl TokenSource for OAuthTokenSource {
    fn describe(&self) -> String {
        format!("the OAuth 2.0 token endpoint {}", self.endpoint)
    }

    fn fetch(&self) -> LocalBoxFuture<'_, Result<Token>> {
        Box::pin(async move {
            let what = self.describe();
            let mut form: Vec<(&str, &str)> =
                vec![("grant_type", &self.grant_type), ("requested_token_type", &self.requested_token_type)];
            form.extend(self.resource.iter().map(|r| ("resource", r.as_str())));
            form.extend(self.audience.iter().map(|a| ("audience", a.as_str())));
            if let Some(scope) = &self.scope {
                form.push(("scope", scope));
            }
            let subject = match &self.subject {
                Some(s) => Some(s.issue().await?),
                None => None,
            };
            let actor = match &self.actor {
                Some(a) => Some(a.issue().await?),
                None => None,
            };
            if let Some((token, token_type)) = &subject {
                form.extend([("subject_token", token.as_str()), ("subject_token_type", *token_type)]);
            }
            if let Some((token, token_type)) = &actor {
                form.extend([("actor_token", token.as_str()), ("actor_token_type", *token_type)]);
            }
            let request = HttpRequest {
                method: "POST",
                url: self.endpoint.clone(),
                headers: vec![("content-type", "application/x-www-form-urlencoded".into())],
                body: Some(form_encode(&form)),
                timeout_ms: REQUEST_TIMEOUT_MS,
            };
            let asked_at = now_ms();
            let response = self.http.send(request).await.map_err(|e| named(e, &what))?;
            let doc = json_answer(&what, &response)?;
            let value = string_field(&what, &doc, "access_token")?;
            let token_type = string_field(&what, &doc, "token_type")?;
            if !token_type.eq_ignore_ascii_case("bearer") {
                return Err(Error::protocol(format!(
                    "{what} issued a token of type {}, not Bearer",
                    Quoted(&token_type)
                )));
            }
            let expires_in = doc
                .get("expires_in")
                .and_then(Json::as_f64)
                .filter(|s| *s > 0.0 && s.is_finite())
                .ok_or_else(|| Error::protocol(format!("{what} answered without a positive expires_in")))?;
            if let (Some(granted), Some(asked)) = (doc.get("scope").and_then(Json::as_str), &self.scope) {
                if !granted.is_empty() && granted != asked {
                    return Err(Error::protocol(format!(
                        "{what} granted scope {}, not the {} asked for",
                        Quoted(granted),
                        Quoted(asked)
                    )));
                }
            }
            Ok(Token { value: format!("Bearer {value}"), expires_at_ms: asked_at + expires_in * 1000.0 })
        })
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::super::http::HttpResponse;
    use super::super::key::tests::PEM;
    use super::super::service_account::tests::{fake_signer, FakeHttp};
    use super::*;

    fn form_of(body: &str) -> Vec<(String, String)> {
        body.split('&')
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                let v = v.replace('+', " ").replace("%3A", ":").replace("%2F", "/").replace("%2B", "+");
                (k.to_string(), v)
            })
            .collect()
    }

    fn exchange(config: &str, answer: &str) -> (Result<Token>, Vec<(String, String)>) {
        let http = Rc::new(FakeHttp::default());
        http.answers.borrow_mut().push(Ok(HttpResponse { status: 200, body: answer.into() }));
        let source = match OAuthTokenSource::new(config, None, http.clone(), fake_signer) {
            Ok(source) => source,
            Err(e) => return (Err(e), Vec::new()),
        };
        let token = futures_executor::block_on(source.fetch());
        let body = http.requests.borrow().first().and_then(|r| r.3.clone()).unwrap_or_default();
        (token, form_of(&body))
    }

    const OK: &str = r#"{"access_token":"a1","issued_token_type":"urn:ietf:params:oauth:token-type:access_token","token_type":"bearer","expires_in":3600}"#;

    #[test]
    fn a_fixed_subject_is_exchanged_with_the_rfc_8693_form() {
        let config = r#"{"token-endpoint":"http://127.0.0.1:1/oauth/token","aud":["a1","a2"],"scope":["s1","s2"],
            "subject-credentials":{"type":"fixed","token":"subj","token-type":"urn:ietf:params:oauth:token-type:access_token"}}"#;
        let (token, form) = exchange(config, OK);
        assert_eq!(token.map(|t| t.value).ok().as_deref(), Some("Bearer a1"));
        let has = |k: &str, v: &str| form.contains(&(k.to_string(), v.to_string()));
        assert!(has("grant_type", TOKEN_EXCHANGE_GRANT) && has("requested_token_type", ACCESS_TOKEN_TYPE), "{form:?}");
        assert!(has("audience", "a1") && has("audience", "a2") && has("scope", "s1 s2"), "{form:?}");
        assert!(has("subject_token", "subj") && has("subject_token_type", ACCESS_TOKEN_TYPE));
        assert!(!form.iter().any(|(k, _)| k == "actor_token"));
    }

    #[test]
    fn a_jwt_subject_is_signed_for_each_exchange() {
        let config = format!(
            r#"{{"token-endpoint":"http://x/oauth/token","subject-credentials":{{"type":"JWT","alg":"ps256","private-key":{},"kid":"k1","iss":"me","ttl":"90s"}}}}"#,
            json::quote(PEM)
        );
        let (token, form) = exchange(&config, OK);
        assert!(token.is_ok());
        let jwt = form.iter().find(|(k, _)| k == "subject_token").map(|(_, v)| v.clone()).unwrap_or_default();
        assert_eq!(jwt.split('.').count(), 3);
        assert!(form.contains(&("subject_token_type".into(), JWT_TOKEN_TYPE.into())));
    }

    #[test]
    fn bad_answers_and_configs_are_clear_errors() {
        let fixed = r#"{"token-endpoint":"http://x/t","scope":"s","subject-credentials":{"type":"FIXED","token":"t","token-type":"x"}}"#;
        for (answer, expected) in [
            (r#"{"access_token":"a","token_type":"mac","expires_in":1}"#, "not Bearer"),
            (r#"{"access_token":"a","token_type":"Bearer","expires_in":0}"#, "expires_in"),
            (r#"{"access_token":"a","token_type":"Bearer","expires_in":5,"scope":"other"}"#, "granted scope"),
        ] {
            let e = exchange(fixed, answer).0.expect_err(expected);
            assert!(e.message().contains(expected), "{}", e.message());
        }
        let http: Rc<dyn HttpClient> = Rc::new(FakeHttp::default());
        for (config, expected) in [
            ("{}", "no token endpoint"),
            (r#"{"token-endpoint":"x"}"#, "http(s)://"),
            (r#"{"token-endpoint":"http://x","aud":[1]}"#, "list of non-empty strings"),
            (r#"{"token-endpoint":"http://x","subject-credentials":{"type":"FIXED","token":"t"}}"#, "needs token-type"),
            (r#"{"token-endpoint":"http://x","subject-credentials":{"type":"magic"}}"#, "unknown type"),
            (
                r#"{"token-endpoint":"http://x","subject-credentials":{"type":"JWT","alg":"none","private-key":"k"}}"#,
                "unsupported JWT algorithm",
            ),
            (
                r#"{"token-endpoint":"http://x","subject-credentials":{"type":"JWT","alg":"RS256","private-key":"s3cret"}}"#,
                "not a PEM",
            ),
            (
                r#"{"token-endpoint":"http://x","subject-credentials":{"type":"JWT","alg":"HS256","private-key":"c2VjcmV0","ttl":"-1s"}}"#,
                "ttl",
            ),
        ] {
            let e = OAuthTokenSource::new(config, None, http.clone(), fake_signer).err().expect(expected);
            assert!(e.message().contains(expected), "{expected}: {}", e.message());
            assert!(!e.message().contains("s3cret"));
        }
    }

    #[test]
    fn durations_read_like_the_python_sdk() {
        assert_eq!(duration_secs("3600"), Some(3600));
        assert_eq!(duration_secs("90s"), Some(90));
        assert_eq!(duration_secs("30m"), Some(1800));
        assert_eq!(duration_secs("1h"), Some(3600));
        assert_eq!(duration_secs("2d"), Some(172_800));
        assert_eq!(duration_secs("1500ms"), Some(1));
        assert_eq!(duration_secs("-1s"), None);
        assert_eq!(duration_secs("soon"), None);
    }
}
