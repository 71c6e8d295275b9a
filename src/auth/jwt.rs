//! JSON Web Tokens as the credentials send them: a service-account JWT for Yandex Cloud's IAM
//! (`PS256`, `kid` = the key id, `iss` = the service account, `aud` = the IAM token URL, at most an hour
//! long) and the subject/actor tokens of an OAuth 2.0 token exchange.
//!
//! The signature itself comes from a [`Signer`]: WebCrypto in wasm (`crate::bindings::webcrypto`), a
//! fake in the unit tests. Nothing here sees a private key.

use super::base64::encode_url;
use super::json::quote;
use crate::error::{Error, Quoted, Result};
use futures_util::future::LocalBoxFuture;

/// The JWS algorithms (RFC 7518) a credentials JWT may be signed with: those WebCrypto implements in
/// every runtime (Node, Deno, Bun, workerd, browsers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Ps256,
    Ps384,
    Ps512,
    Rs256,
    Rs384,
    Rs512,
    Es256,
    Es384,
    Hs256,
    Hs384,
    Hs512,
}

/// How an algorithm signs, as WebCrypto groups them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// RSASSA-PSS, salt as long as the hash (RFC 7518 §3.5).
    RsaPss,
    /// RSASSA-PKCS1-v1_5.
    RsaPkcs1,
    /// ECDSA; WebCrypto's signature is already JWS's `r || s`.
    Ecdsa,
    /// HMAC with a shared secret.
    Hmac,
}

const ALGORITHMS: [(Algorithm, &str); 11] = [
    (Algorithm::Ps256, "PS256"),
    (Algorithm::Ps384, "PS384"),
    (Algorithm::Ps512, "PS512"),
    (Algorithm::Rs256, "RS256"),
    (Algorithm::Rs384, "RS384"),
    (Algorithm::Rs512, "RS512"),
    (Algorithm::Es256, "ES256"),
    (Algorithm::Es384, "ES384"),
    (Algorithm::Hs256, "HS256"),
    (Algorithm::Hs384, "HS384"),
    (Algorithm::Hs512, "HS512"),
];

impl Algorithm {
    /// The algorithm of a JWS name, in any letter case (as the Python SDK accepts them).
    pub fn from_name(name: &str) -> Result<Algorithm> {
        ALGORITHMS.iter().find(|(_, n)| n.eq_ignore_ascii_case(name)).map(|(a, _)| *a).ok_or_else(|| {
            let known: Vec<String> = ALGORITHMS.iter().map(|(_, n)| n.to_string()).collect();
            Error::argument(format!("unsupported JWT algorithm {}; supported: {}", Quoted(name), known.join(", ")))
        })
    }

    pub fn name(self) -> &'static str {
        ALGORITHMS.iter().find(|(a, _)| *a == self).map_or("PS256", |(_, n)| n)
    }

    pub fn family(self) -> Family {
        match self {
            Algorithm::Ps256 | Algorithm::Ps384 | Algorithm::Ps512 => Family::RsaPss,
            Algorithm::Rs256 | Algorithm::Rs384 | Algorithm::Rs512 => Family::RsaPkcs1,
            Algorithm::Es256 | Algorithm::Es384 => Family::Ecdsa,
            Algorithm::Hs256 | Algorithm::Hs384 | Algorithm::Hs512 => Family::Hmac,
        }
    }

    /// The SHA-2 variant's output size in bits: 256, 384 or 512.
    pub fn hash_bits(self) -> u16 {
        match self {
            Algorithm::Ps256 | Algorithm::Rs256 | Algorithm::Es256 | Algorithm::Hs256 => 256,
            Algorithm::Ps384 | Algorithm::Rs384 | Algorithm::Es384 | Algorithm::Hs384 => 384,
            Algorithm::Ps512 | Algorithm::Rs512 | Algorithm::Hs512 => 512,
        }
    }
}

/// Signs the JWS signing input (`header.payload`) with a key it holds.
pub trait Signer {
    fn algorithm(&self) -> Algorithm;
    fn sign<'a>(&'a self, data: &'a [u8]) -> LocalBoxFuture<'a, Result<Vec<u8>>>;
}

/// The longest lifetime of a service-account JWT that Yandex Cloud's IAM accepts.
pub const MAX_IAM_JWT_SECS: u64 = 3600;

/// What a JWT says: its registered claims and its key id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Claims {
    pub key_id: Option<String>,
    pub issuer: Option<String>,
    pub subject: Option<String>,
    /// One audience is written as a string, several as an array.
    pub audience: Vec<String>,
    pub id: Option<String>,
    pub ttl_secs: u64,
}

/// The unsigned `header.payload` of a JWT issued at `now_secs`.
pub fn signing_input(alg: Algorithm, claims: &Claims, now_secs: u64) -> String {
    let mut header = format!("{{\"alg\":{},\"typ\":\"JWT\"", quote(alg.name()));
    if let Some(kid) = &claims.key_id {
        header.push_str(&format!(",\"kid\":{}", quote(kid)));
    }
    header.push('}');
    let mut payload = String::from("{");
    let mut field = |name: &str, value: String| {
        if payload.len() > 1 {
            payload.push(',');
        }
        payload.push_str(&format!("{}:{value}", quote(name)));
    };
    if let Some(iss) = &claims.issuer {
        field("iss", quote(iss));
    }
    if let Some(sub) = &claims.subject {
        field("sub", quote(sub));
    }
    match claims.audience.as_slice() {
        [] => {}
        [one] => field("aud", quote(one)),
        many => field("aud", format!("[{}]", many.iter().map(|a| quote(a)).collect::<Vec<_>>().join(","))),
    }
    if let Some(jti) = &claims.id {
        field("jti", quote(jti));
    }
    field("iat", now_secs.to_string());
    field("exp", now_secs.saturating_add(claims.ttl_secs).to_string());
    payload.push('}');
    format!("{}.{}", encode_url(header.as_bytes()), encode_url(payload.as_bytes()))
}

/// A signed JWT (compact serialization) issued at `now_secs`.
pub async fn sign(signer: &dyn Signer, claims: &Claims, now_secs: u64) -> Result<String> {
    let input = signing_input(signer.algorithm(), claims, now_secs);
    let signature = signer.sign(input.as_bytes()).await?;
    Ok(format!("{input}.{}", encode_url(&signature)))
}

#[cfg(test)]
mod tests {
    use super::super::base64::decode;
    use super::super::json::{parse, Json};
    use super::*;

    /// "Signs" by reversing the input: enough to see what was signed.
    pub struct ReverseSigner(pub Algorithm);

    impl Signer for ReverseSigner {
        fn algorithm(&self) -> Algorithm {
            self.0
        }
        fn sign<'a>(&'a self, data: &'a [u8]) -> LocalBoxFuture<'a, Result<Vec<u8>>> {
            Box::pin(async move { Ok(data.iter().rev().copied().collect()) })
        }
    }

    fn part(jwt: &str, i: usize) -> Json {
        let text = jwt.split('.').nth(i).and_then(decode).and_then(|b| String::from_utf8(b).ok()).expect("part");
        parse(&text).expect("json part")
    }

    #[test]
    fn a_service_account_jwt_has_the_shape_iam_checks() {
        let claims = Claims {
            key_id: Some("ajekey".into()),
            issuer: Some("ajesa".into()),
            audience: vec!["https://iam.api.cloud.yandex.net/iam/v1/tokens".into()],
            ttl_secs: MAX_IAM_JWT_SECS,
            ..Default::default()
        };
        use futures_util::FutureExt;
        let signed = sign(&ReverseSigner(Algorithm::Ps256), &claims, 1_700_000_000).now_or_never();
        let jwt = signed.and_then(Result::ok).expect("signed");
        let header = part(&jwt, 0);
        assert_eq!(header.get("alg").and_then(Json::as_str), Some("PS256"));
        assert_eq!(header.get("typ").and_then(Json::as_str), Some("JWT"));
        assert_eq!(header.get("kid").and_then(Json::as_str), Some("ajekey"));
        let payload = part(&jwt, 1);
        assert_eq!(payload.get("iss").and_then(Json::as_str), Some("ajesa"));
        assert_eq!(payload.get("aud").and_then(Json::as_str), Some("https://iam.api.cloud.yandex.net/iam/v1/tokens"));
        assert_eq!(payload.get("iat").and_then(Json::as_f64), Some(1_700_000_000.0));
        assert_eq!(payload.get("exp").and_then(Json::as_f64), Some(1_700_003_600.0));
        assert!(payload.get("sub").is_none());
        let (input, signature) = jwt.rsplit_once('.').expect("three parts");
        let reversed: Vec<u8> = input.bytes().rev().collect();
        assert_eq!(decode(signature), Some(reversed), "the signature covers header.payload");
    }

    #[test]
    fn several_audiences_are_an_array_and_names_are_case_blind() {
        let claims =
            Claims { audience: vec!["a".into(), "b\"".into()], subject: Some("s".into()), ..Default::default() };
        let input = signing_input(Algorithm::Rs256, &claims, 5);
        let payload = part(&format!("{input}."), 1);
        assert_eq!(payload.get("aud").map(Json::kind), Some("an array"));
        assert_eq!(payload.get("exp").and_then(Json::as_f64), Some(5.0));
        assert!(part(&format!("{input}."), 0).get("kid").is_none());
        assert_eq!(Algorithm::from_name("es256").ok(), Some(Algorithm::Es256));
        assert!(Algorithm::from_name("none").is_err());
        for (a, n) in ALGORITHMS {
            assert_eq!(a.name(), n);
            assert!(matches!(a.hash_bits(), 256 | 384 | 512));
        }
    }
}
