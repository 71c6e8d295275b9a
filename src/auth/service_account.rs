//! Service-account key credentials: a JWT signed with the account's authorized key (PS256), exchanged
//! for an IAM token at Yandex Cloud's IAM REST endpoint (`POST …/iam/v1/tokens {"jwt"}` →
//! `{"iamToken", "expiresAt"}`), as the official SDKs do (Python `ydb.iam.ServiceAccountCredentials`).
//!
//! Each exchange signs a fresh JWT: `kid` the key id, `iss` the service account, `aud` the IAM token URL
//! (Yandex Cloud's even when the endpoint is another, as the Python SDK sends it; configurable), valid
//! for an hour, the longest IAM accepts.

use super::http::{json_answer, string_field, HttpClient, HttpRequest, REQUEST_TIMEOUT_MS};
use super::jwt::{self, Algorithm, Claims, Signer};
use super::key::ServiceAccountKey;
use super::{Token, TokenSource};
use crate::clock::now_ms;
use crate::error::{Error, Quoted, Result};
use futures_util::future::LocalBoxFuture;
use std::rc::Rc;

/// Yandex Cloud's IAM token endpoint, and the audience its JWTs name.
pub const DEFAULT_IAM_ENDPOINT: &str = "https://iam.api.cloud.yandex.net/iam/v1/tokens";

/// Makes the signer of a key: WebCrypto in wasm (`crate::bindings::webcrypto::signer`).
pub type SignerFactory = fn(Algorithm, Vec<u8>) -> Result<Rc<dyn Signer>>;

/// The IAM exchange of one service-account key.
pub struct IamTokenSource {
    key_id: String,
    account_id: String,
    signer: Rc<dyn Signer>,
    endpoint: String,
    audience: String,
    http: Rc<dyn HttpClient>,
    now: fn() -> f64,
}

/// Where the exchange goes: the IAM endpoint and the JWT's audience (both default to Yandex Cloud's).
#[derive(Debug, Clone, Default)]
pub struct IamSettings {
    pub endpoint: Option<String>,
    pub audience: Option<String>,
}

impl IamTokenSource {
    /// A source for the key JSON `key_text` (the file's content); a bad key is an argument error now.
    pub fn new(
        key_text: &str,
        settings: IamSettings,
        http: Rc<dyn HttpClient>,
        make_signer: SignerFactory,
    ) -> Result<IamTokenSource> {
        let key = ServiceAccountKey::parse(key_text)?;
        let endpoint = settings.endpoint.unwrap_or_else(|| DEFAULT_IAM_ENDPOINT.into());
        if !endpoint.starts_with("http://") && !endpoint.starts_with("https://") {
            return Err(Error::argument(format!("iamEndpoint must be an http(s):// URL, got {}", Quoted(&endpoint))));
        }
        Ok(IamTokenSource {
            signer: make_signer(Algorithm::Ps256, key.private_key_der)?,
            key_id: key.id,
            account_id: key.account_id,
            audience: settings.audience.unwrap_or_else(|| DEFAULT_IAM_ENDPOINT.into()),
            endpoint,
            http,
            now: now_ms,
        })
    }
}

impl TokenSource for IamTokenSource {
    fn describe(&self) -> String {
        format!("the IAM token endpoint {}", self.endpoint)
    }

    fn fetch(&self) -> LocalBoxFuture<'_, Result<Token>> {
        Box::pin(async move {
            let claims = Claims {
                key_id: Some(self.key_id.clone()),
                issuer: Some(self.account_id.clone()),
                audience: vec![self.audience.clone()],
                ttl_secs: jwt::MAX_IAM_JWT_SECS,
                ..Default::default()
            };
            let jwt = jwt::sign(&*self.signer, &claims, ((self.now)() / 1000.0) as u64).await?;
            let request = HttpRequest {
                method: "POST",
                url: self.endpoint.clone(),
                headers: vec![("content-type", "application/json".into())],
                body: Some(format!("{{\"jwt\":{}}}", super::json::quote(&jwt))),
                timeout_ms: REQUEST_TIMEOUT_MS,
            };
            let response = self.http.send(request).await.map_err(|e| named(e, &self.describe()))?;
            let what = self.describe();
            let doc = json_answer(&what, &response)?;
            let value = string_field(&what, &doc, "iamToken")?;
            let expires = string_field(&what, &doc, "expiresAt")?;
            let expires_at_ms = parse_rfc3339_ms(&expires)
                .ok_or_else(|| Error::protocol(format!("{what} answered an expiresAt that is not RFC 3339")))?;
            Ok(Token { value, expires_at_ms })
        })
    }
}

/// A network error of a token request, prefixed with the endpoint.
pub fn named(mut e: Error, what: &str) -> Error {
    e.message = format!("{what}: {}", e.message);
    e
}

/// Milliseconds since the epoch of an RFC 3339 timestamp (`2026-11-30T20:37:12.123456Z`, or with an
/// offset such as `+03:00`).
pub fn parse_rfc3339_ms(text: &str) -> Option<f64> {
    let b = text.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        crate::digits::decimal(text.get(from..from + len)?.as_bytes()).and_then(|n| i64::try_from(n).ok())
    };
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') || !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    if b.get(13) != Some(&b':') || b.get(16) != Some(&b':') || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut at = 19;
    let mut fraction_ms = 0.0;
    if b.get(at) == Some(&b'.') {
        let digits = text.get(at + 1..)?.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        // Milliseconds: the first three digits (nanoseconds are below what a token's expiry needs).
        let ms: String = text.get(at + 1..at + 1 + digits)?.chars().chain("00".chars()).take(3).collect();
        fraction_ms = crate::digits::decimal(ms.as_bytes())? as f64;
        at += 1 + digits;
    }
    let offset_min = match text.get(at..)? {
        "Z" | "z" => 0,
        zone if zone.len() == 6 && matches!(zone.as_bytes().first(), Some(b'+' | b'-')) => {
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            sign * (num(at + 1, 2)? * 60 + num(at + 4, 2)?)
        }
        _ => return None,
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_min * 60;
    Some(secs as f64 * 1000.0 + fraction_ms)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
pub(crate) mod tests {
    use super::super::http::HttpResponse;
    use super::super::json::{parse, Json};
    use super::*;
    use std::cell::RefCell;

    /// A request as sent: method, URL, headers, body.
    pub type Sent = (String, String, Vec<(&'static str, String)>, Option<String>);

    /// Records requests and answers from a script.
    #[derive(Default)]
    pub struct FakeHttp {
        pub requests: RefCell<Vec<Sent>>,
        pub answers: RefCell<Vec<Result<HttpResponse>>>,
    }

    impl HttpClient for FakeHttp {
        fn send(&self, r: HttpRequest) -> LocalBoxFuture<'_, Result<HttpResponse>> {
            self.requests.borrow_mut().push((r.method.into(), r.url, r.headers, r.body));
            let answer = if self.answers.borrow().is_empty() {
                Err(Error::protocol("no answer scripted"))
            } else {
                self.answers.borrow_mut().remove(0)
            };
            Box::pin(async move { answer })
        }
    }

    pub fn fake_signer(alg: Algorithm, key: Vec<u8>) -> Result<Rc<dyn Signer>> {
        struct Fake(Algorithm, usize);
        impl Signer for Fake {
            fn algorithm(&self) -> Algorithm {
                self.0
            }
            fn sign<'a>(&'a self, _data: &'a [u8]) -> LocalBoxFuture<'a, Result<Vec<u8>>> {
                Box::pin(async move { Ok(vec![self.1 as u8; 4]) })
            }
        }
        Ok(Rc::new(Fake(alg, key.len())))
    }

    #[test]
    fn rfc3339_timestamps_parse_to_epoch_milliseconds() {
        assert_eq!(parse_rfc3339_ms("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(parse_rfc3339_ms("2026-11-30T20:37:12.5Z"), Some(1_796_071_032_500.0));
        assert_eq!(parse_rfc3339_ms("2026-11-30T20:37:12.123456789Z"), Some(1_796_071_032_123.0));
        assert_eq!(parse_rfc3339_ms("2026-11-30T23:37:12+03:00"), Some(1_796_071_032_000.0));
        assert_eq!(parse_rfc3339_ms("2000-02-29T00:00:00-00:30"), Some(951_784_200_000.0));
        for bad in [
            "",
            "2026-11-30",
            "2026-13-01T00:00:00Z",
            "2026-11-30T20:37:12",
            "2026-11-30T20:37:12.Z",
            "x026-11-30T20:37:12Z",
        ] {
            assert_eq!(parse_rfc3339_ms(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_exchange_posts_a_signed_jwt_and_reads_the_token() {
        let http = Rc::new(FakeHttp::default());
        http.answers.borrow_mut().push(Ok(HttpResponse {
            status: 200,
            body: r#"{"iamToken":"t1.iam","expiresAt":"2026-11-30T20:37:12Z"}"#.into(),
        }));
        let key = super::super::key::tests::key_json(super::super::key::tests::PEM);
        let settings = IamSettings { endpoint: Some("http://127.0.0.1:1/iam/v1/tokens".into()), audience: None };
        let source = IamTokenSource::new(&key, settings, http.clone(), fake_signer).expect("source");
        let token = futures_executor::block_on(source.fetch()).expect("token");
        assert_eq!((token.value.as_str(), token.expires_at_ms), ("t1.iam", 1_796_071_032_000.0));
        let requests = http.requests.borrow();
        let (method, url, headers, body) = requests.first().expect("one request");
        assert_eq!((method.as_str(), url.as_str()), ("POST", "http://127.0.0.1:1/iam/v1/tokens"));
        assert!(headers.contains(&("content-type", "application/json".to_string())));
        let body = parse(body.as_deref().unwrap_or_default()).expect("JSON body");
        let jwt = body.get("jwt").and_then(Json::as_str).unwrap_or_default();
        let payload = jwt.split('.').nth(1).and_then(super::super::base64::decode).unwrap_or_default();
        let payload = parse(&String::from_utf8(payload).unwrap_or_default()).expect("payload");
        assert_eq!(payload.get("aud").and_then(Json::as_str), Some(DEFAULT_IAM_ENDPOINT), "audience stays Yandex's");
        assert_eq!(payload.get("iss").and_then(Json::as_str), Some("ajesa"));
    }

    #[test]
    fn answers_without_a_token_or_with_a_bad_expiry_are_errors() {
        let key = super::super::key::tests::key_json(super::super::key::tests::PEM);
        for (body, expected) in [
            (r#"{"expiresAt":"2026-11-30T20:37:12Z"}"#, "without iamToken"),
            (r#"{"iamToken":"t","expiresAt":"soon"}"#, "not RFC 3339"),
        ] {
            let http = Rc::new(FakeHttp::default());
            http.answers.borrow_mut().push(Ok(HttpResponse { status: 200, body: body.into() }));
            let source = IamTokenSource::new(&key, IamSettings::default(), http, fake_signer).expect("source");
            let e = futures_executor::block_on(source.fetch()).expect_err(expected);
            assert!(e.message().contains(expected) && e.message().contains(DEFAULT_IAM_ENDPOINT), "{}", e.message());
        }
        let bad_endpoint = IamSettings { endpoint: Some("iam.local".into()), audience: None };
        assert!(IamTokenSource::new(&key, bad_endpoint, Rc::new(FakeHttp::default()), fake_signer).is_err());
    }
}
