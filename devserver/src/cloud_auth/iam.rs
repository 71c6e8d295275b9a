//! `POST /iam/v1/tokens`: Yandex Cloud IAM's exchange of a service account's signed JWT for an IAM token.
//!
//! The JWT must be PS256 (RSA-PSS, SHA-256, 32-byte salt), `typ` JWT when given, with a `kid` naming a
//! configured key, signed by that key, issued (`iss`) by the key's service account, for the configured
//! audience (`aud`), not expired, not issued in the future beyond the clock skew, and living at most an
//! hour (`exp - iat`). Then the answer is `{"iamToken", "expiresAt"}` (RFC 3339, UTC) and the token
//! authenticates calls as the service account. Errors take the shape of Yandex Cloud's REST gateway:
//! `{"code": <gRPC code>, "message", "details": []}` — 401/16 for a JWT not to trust, 400/3 for a body or
//! JWT that cannot be read.

use std::time::UNIX_EPOCH;

use http::{Response, StatusCode};
use serde_json::{json, Value};
use tonic::body::Body;

use super::jwt::{check_times, Alg, Jws, JwtError};
use super::Issuer;
use super::{Config, IamKey};

/// The longest lifetime (`exp - iat`) of a service-account JWT, as Yandex Cloud allows.
const MAX_JWT_LIFETIME_SECONDS: i64 = 60 * 60;

/// The gRPC code Yandex Cloud's REST gateway puts in `code` for an HTTP status.
fn grpc_code(status: StatusCode) -> u16 {
    match status.as_u16() {
        400 => 3,        // INVALID_ARGUMENT
        401 => 16,       // UNAUTHENTICATED
        403 => 7,        // PERMISSION_DENIED
        404 => 5,        // NOT_FOUND
        405 => 12,       // UNIMPLEMENTED
        409 => 10,       // ABORTED
        429 => 8,        // RESOURCE_EXHAUSTED
        499 => 1,        // CANCELLED
        501 => 12,       // UNIMPLEMENTED
        503 => 14,       // UNAVAILABLE
        504 => 4,        // DEADLINE_EXCEEDED
        500..=599 => 13, // INTERNAL
        _ => 2,          // UNKNOWN
    }
}

/// An error in the REST gateway's shape.
pub fn error(status: StatusCode, message: &str) -> Response<Body> {
    super::json(status, &json!({ "code": grpc_code(status), "message": message, "details": [] }))
}

/// `seconds` since the epoch as RFC 3339 in UTC (`2026-11-30T12:00:00Z`).
pub fn rfc3339(seconds: u64) -> String {
    let days = i64::try_from(seconds / 86_400).unwrap_or(i64::MAX / 2);
    let rest = seconds % 86_400;
    // Days to a civil date (Howard Hinnant's days_from_civil, inverted), proleptic Gregorian.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rest / 3600, rest % 3600 / 60, rest % 60)
}

/// Checks a service-account JWT against the configured keys; the key it names when it is to be trusted.
fn verify<'a>(jwt: &str, config: &'a Config, now: i64) -> Result<&'a IamKey, JwtError> {
    let jws = Jws::parse(jwt)?;
    if jws.alg != Alg::Ps256.name() {
        return Err(JwtError::Rejected(format!("the JWT's alg is {}; service-account JWTs are PS256", jws.alg)));
    }
    if let Some(typ) = jws.typ.as_deref().filter(|t| !t.eq_ignore_ascii_case("JWT")) {
        return Err(JwtError::Rejected(format!("the JWT's typ is {typ}, expected JWT")));
    }
    let kid = jws.kid.as_deref().ok_or_else(|| JwtError::Rejected("the JWT header has no kid".to_string()))?;
    let key = config
        .iam_keys
        .iter()
        .find(|k| k.key_id == kid)
        .ok_or_else(|| JwtError::Rejected(format!("unknown key id {kid}")))?;
    jws.verify(&key.key, &[Alg::Ps256])?;
    if jws.claims.iss.as_deref() != Some(key.service_account_id.as_str()) {
        return Err(JwtError::Rejected(format!(
            "the JWT's iss is {}, but key {kid} belongs to service account {}",
            jws.claims.iss.as_deref().unwrap_or("(none)"),
            key.service_account_id
        )));
    }
    if !jws.claims.aud.contains(&config.iam_audience) {
        return Err(JwtError::Rejected(format!(
            "the JWT's aud is {:?}, expected {}",
            jws.claims.aud, config.iam_audience
        )));
    }
    check_times(&jws.claims, now, true, Some(MAX_JWT_LIFETIME_SECONDS))?;
    Ok(key)
}

/// Serves `POST /iam/v1/tokens` with this body.
pub fn exchange(body: &[u8], config: &Config, auth: &dyn Issuer) -> Response<Body> {
    let jwt = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => match map.get("jwt") {
            Some(Value::String(jwt)) => jwt.clone(),
            _ => return error(StatusCode::BAD_REQUEST, "the body must be a JSON object with a string field jwt"),
        },
        _ => return error(StatusCode::BAD_REQUEST, "the body must be a JSON object with a string field jwt"),
    };
    match verify(&jwt, config, super::unix_now()) {
        Ok(key) => {
            let (token, expires) = auth.issue(&key.service_account_id, config.token_ttl);
            let expires = expires.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
            tracing::info!(kid = %key.key_id, service_account = %key.service_account_id, "IAM token issued");
            super::json(StatusCode::OK, &json!({ "iamToken": token, "expiresAt": rfc3339(expires) }))
        }
        Err(JwtError::Malformed(message)) => {
            tracing::info!(reason = %message, "IAM token refused: malformed JWT");
            error(StatusCode::BAD_REQUEST, &message)
        }
        Err(JwtError::Rejected(message)) => {
            tracing::info!(reason = %message, "IAM token refused");
            error(StatusCode::UNAUTHORIZED, &message)
        }
    }
}

/// When a token issued now expires, for tests.
#[cfg(test)]
fn now_plus(config: &Config) -> u64 {
    (std::time::SystemTime::now() + config.token_ttl).duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::super::jwt::tests::{keys, sign};
    use super::*;
    use crate::auth::Auth;

    fn config() -> Config {
        Config {
            iam_keys: vec![IamKey {
                key_id: "kid-1".into(),
                service_account_id: "sa-1".into(),
                key: keys().0.to_public_key().into(),
            }],
            ..Config::default()
        }
    }

    fn header() -> Value {
        json!({"alg": "PS256", "typ": "JWT", "kid": "kid-1"})
    }

    fn claims(now: i64) -> Value {
        json!({"iss": "sa-1", "aud": super::super::DEFAULT_IAM_AUDIENCE, "iat": now, "exp": now + 3600})
    }

    fn rejected(jwt: &str, now: i64) -> String {
        match verify(jwt, &config(), now) {
            Err(JwtError::Rejected(m)) => m,
            other => panic!("expected a rejection, got {other:?}"),
        }
    }

    #[test]
    fn a_service_account_jwt_is_trusted_as_its_account() {
        let now = 1_800_000_000;
        let jwt = sign(&keys().0, Alg::Ps256, &header(), &claims(now));
        assert_eq!(verify(&jwt, &config(), now).unwrap().service_account_id, "sa-1");
        // aud may be a list that names the audience.
        let mut c = claims(now);
        c["aud"] = json!(["other", super::super::DEFAULT_IAM_AUDIENCE]);
        assert!(verify(&sign(&keys().0, Alg::Ps256, &header(), &c), &config(), now).is_ok());
    }

    #[test]
    fn untrusted_jwts_are_rejected_with_the_reason() {
        let now = 1_800_000_000;
        let (key, other) = keys();
        let with = |f: &dyn Fn(&mut Value, &mut Value)| {
            let (mut h, mut c) = (header(), claims(now));
            f(&mut h, &mut c);
            sign(key, Alg::Ps256, &h, &c)
        };
        assert!(rejected(&sign(other, Alg::Ps256, &header(), &claims(now)), now).contains("signature"));
        assert!(rejected(&with(&|h, _| h["kid"] = json!("kid-2")), now).contains("unknown key id kid-2"));
        assert!(rejected(&with(&|h, _| h["kid"] = Value::Null), now).contains("no kid"));
        assert!(rejected(&with(&|_, c| c["iss"] = json!("sa-2")), now).contains("iss is sa-2"));
        assert!(rejected(&with(&|_, c| c["aud"] = json!("https://elsewhere")), now).contains("aud"));
        assert!(rejected(&with(&|_, c| c["exp"] = json!(now - 1)), now).contains("expired"));
        assert!(rejected(&with(&|_, c| c["exp"] = json!(now + 3601)), now).contains("longer than"));
        assert!(rejected(&with(&|_, c| c["iat"] = json!(now + 600)), now).contains("future"));
        assert!(rejected(&with(&|h, _| h["typ"] = json!("JWS")), now).contains("typ"));
        assert!(rejected(&sign(key, Alg::Rs256, &json!({"alg": "RS256", "kid": "kid-1"}), &claims(now)), now)
            .contains("PS256"));
        assert!(matches!(verify("not.a.jwt", &config(), now), Err(JwtError::Malformed(_))));
    }

    #[tokio::test]
    async fn the_endpoint_answers_a_token_the_auth_layer_accepts_and_errors_in_the_gateways_shape() {
        let auth = Auth::default();
        let config = config();
        let jwt = sign(&keys().0, Alg::Ps256, &header(), &claims(super::super::unix_now()));
        let response = exchange(json!({ "jwt": jwt }).to_string().as_bytes(), &config, &auth);
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = serde_json::from_slice(&read(response).await).unwrap();
        assert_eq!(auth.user_of(body["iamToken"].as_str().unwrap()).unwrap(), "sa-1");
        assert_eq!(body["expiresAt"], rfc3339(now_plus(&config)));

        let response = exchange(br#"{"jwt": 1}"#, &config, &auth);
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body: Value = serde_json::from_slice(&read(response).await).unwrap();
        assert_eq!((body["code"].as_u64(), body["details"].clone()), (Some(3), json!([])));
        let other = sign(&keys().1, Alg::Ps256, &header(), &claims(super::super::unix_now()));
        let response = exchange(json!({ "jwt": other }).to_string().as_bytes(), &config, &auth);
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let body: Value = serde_json::from_slice(&read(response).await).unwrap();
        assert_eq!(body["code"], 16);
    }

    async fn read(response: Response<Body>) -> bytes::Bytes {
        use http_body_util::BodyExt;
        response.into_body().collect().await.unwrap().to_bytes()
    }

    #[test]
    fn rfc3339_renders_utc_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_796_040_000), "2026-11-30T12:00:00Z");
        assert_eq!(rfc3339(4_102_444_799), "2099-12-31T23:59:59Z");
    }
}
