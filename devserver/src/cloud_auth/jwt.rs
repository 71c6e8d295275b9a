//! Compact JWS (JWT) parsing and signature verification for the token endpoints: the service-account JWTs
//! the IAM endpoint exchanges (PS256) and the subject JWTs of the OAuth token exchange (RS256, PS256 or
//! ES256).
//!
//! Only what the endpoints need: the three base64url parts, the header's `alg`/`typ`/`kid`, the registered
//! claims (`iss`, `sub`, `aud`, `iat`, `exp`) and a signature check against a configured public key.
//! Nothing here logs or echoes a token: errors describe what is wrong, never the value.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::DecodePublicKey;
use rsa::sha2::Sha256;
use rsa::signature::Verifier;
use rsa::RsaPublicKey;
use serde_json::Value;

/// How far in the future a JWT's `iat` may be (clocks differ).
pub const CLOCK_SKEW_SECONDS: i64 = 5 * 60;

/// Why a JWT was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwtError {
    /// It is not a compact JWS with a JSON header and claims (a client bug: 400).
    Malformed(String),
    /// It is a JWT, but not one to trust: signature, key, audience, issuer or time (401).
    Rejected(String),
}

impl JwtError {
    pub fn message(&self) -> &str {
        match self {
            JwtError::Malformed(m) | JwtError::Rejected(m) => m,
        }
    }
}

fn malformed(message: impl Into<String>) -> JwtError {
    JwtError::Malformed(message.into())
}

fn rejected(message: impl Into<String>) -> JwtError {
    JwtError::Rejected(message.into())
}

/// The signature algorithms the endpoints verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// RSASSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt.
    Ps256,
    /// ECDSA on P-256 with SHA-256, the signature as `r || s` (64 bytes).
    Es256,
}

impl Alg {
    pub fn from_name(name: &str) -> Option<Alg> {
        match name {
            "RS256" => Some(Alg::Rs256),
            "PS256" => Some(Alg::Ps256),
            "ES256" => Some(Alg::Es256),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Alg::Rs256 => "RS256",
            Alg::Ps256 => "PS256",
            Alg::Es256 => "ES256",
        }
    }
}

/// A public key to verify JWTs with.
#[derive(Clone, PartialEq, Eq)]
pub enum PublicKey {
    Rsa(RsaPublicKey),
    P256(p256::ecdsa::VerifyingKey),
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PublicKey::Rsa(key) => write!(f, "PublicKey::Rsa({} bits)", rsa::traits::PublicKeyParts::size(key) * 8),
            PublicKey::P256(_) => f.write_str("PublicKey::P256"),
        }
    }
}

impl From<RsaPublicKey> for PublicKey {
    fn from(key: RsaPublicKey) -> PublicKey {
        PublicKey::Rsa(key)
    }
}

impl PublicKey {
    fn kind(&self) -> &'static str {
        match self {
            PublicKey::Rsa(_) => "an RSA key",
            PublicKey::P256(_) => "a P-256 key",
        }
    }
}

/// Reads a public key from PEM: SPKI (`BEGIN PUBLIC KEY`, RSA or P-256) or PKCS#1 (`BEGIN RSA PUBLIC KEY`).
pub fn public_key_from_pem(pem: &str) -> Result<PublicKey, String> {
    let pem = pem.trim();
    if pem.contains("-----BEGIN RSA PUBLIC KEY-----") {
        return RsaPublicKey::from_pkcs1_pem(pem)
            .map(PublicKey::Rsa)
            .map_err(|e| format!("not a PKCS#1 RSA public key: {e}"));
    }
    if pem.contains("-----BEGIN PUBLIC KEY-----") {
        if let Ok(key) = RsaPublicKey::from_public_key_pem(pem) {
            return Ok(PublicKey::Rsa(key));
        }
        return p256::ecdsa::VerifyingKey::from_public_key_pem(pem)
            .map(PublicKey::P256)
            .map_err(|e| format!("not an RSA or P-256 public key (SPKI): {e}"));
    }
    Err("expected a PEM public key (-----BEGIN PUBLIC KEY----- or -----BEGIN RSA PUBLIC KEY-----)".to_string())
}

/// A parsed compact JWS whose signature is not checked yet.
#[derive(Debug)]
pub struct Jws {
    pub alg: String,
    pub typ: Option<String>,
    pub kid: Option<String>,
    pub claims: Claims,
    signing_input: String,
    signature: Vec<u8>,
}

/// The registered claims the endpoints look at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Claims {
    pub iss: Option<String>,
    pub sub: Option<String>,
    /// `aud` as a list (a single string becomes one entry).
    pub aud: Vec<String>,
    pub iat: Option<i64>,
    pub exp: Option<i64>,
}

/// JWTs longer than this are refused before any decoding.
const MAX_JWT_BYTES: usize = 16 * 1024;

fn decode_part(part: &str, name: &str) -> Result<Vec<u8>, JwtError> {
    URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|_| malformed(format!("the JWT's {name} is not base64url")))
}

fn json_part(part: &str, name: &str) -> Result<serde_json::Map<String, Value>, JwtError> {
    match serde_json::from_slice(&decode_part(part, name)?) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(malformed(format!("the JWT's {name} is not a JSON object"))),
    }
}

fn string_field(map: &serde_json::Map<String, Value>, field: &str, part: &str) -> Result<Option<String>, JwtError> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(malformed(format!("the JWT {part}'s {field} is not a string"))),
    }
}

/// A NumericDate: seconds since the epoch, possibly with a fraction (truncated).
fn time_field(map: &serde_json::Map<String, Value>, field: &str) -> Result<Option<i64>, JwtError> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(n) => Ok(Some(n)),
            None => n
                .as_f64()
                .filter(|f| f.is_finite() && f.abs() < 1e15)
                .map(|f| Some(f.trunc() as i64))
                .ok_or_else(|| malformed(format!("the JWT's {field} is not a time in seconds"))),
        },
        Some(_) => Err(malformed(format!("the JWT's {field} is not a number"))),
    }
}

impl Jws {
    /// Splits and decodes a compact JWS (`header.payload.signature`, base64url without padding).
    pub fn parse(compact: &str) -> Result<Jws, JwtError> {
        let compact = compact.trim();
        if compact.len() > MAX_JWT_BYTES {
            return Err(malformed(format!("the JWT is longer than {MAX_JWT_BYTES} bytes")));
        }
        let mut parts = compact.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed("a JWT has three dot-separated parts"));
        };
        let header_map = json_part(header, "header")?;
        let claims_map = json_part(payload, "payload")?;
        let signature = decode_part(signature, "signature")?;
        let Some(alg) = string_field(&header_map, "alg", "header")? else {
            return Err(malformed("the JWT header has no alg"));
        };
        let aud = match claims_map.get("aud") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| malformed("the JWT's aud is not a string or a list of strings"))?,
            Some(_) => return Err(malformed("the JWT's aud is not a string or a list of strings")),
        };
        let claims = Claims {
            iss: string_field(&claims_map, "iss", "payload")?,
            sub: string_field(&claims_map, "sub", "payload")?,
            aud,
            iat: time_field(&claims_map, "iat")?,
            exp: time_field(&claims_map, "exp")?,
        };
        Ok(Jws {
            typ: string_field(&header_map, "typ", "header")?,
            kid: string_field(&header_map, "kid", "header")?,
            alg,
            claims,
            signing_input: format!("{header}.{payload}"),
            signature,
        })
    }

    /// Checks the signature with `key` under the header's `alg`, which must be one of `allowed` and fit the
    /// key's kind.
    pub fn verify(&self, key: &PublicKey, allowed: &[Alg]) -> Result<(), JwtError> {
        let alg = Alg::from_name(&self.alg).filter(|a| allowed.contains(a)).ok_or_else(|| {
            let names: Vec<&str> = allowed.iter().map(|a| a.name()).collect();
            rejected(format!("the JWT is signed with {}, expected {}", self.alg, names.join(" or ")))
        })?;
        let input = self.signing_input.as_bytes();
        let signature = self.signature.as_slice();
        let verified = match (alg, key) {
            (Alg::Rs256, PublicKey::Rsa(key)) => rsa::pkcs1v15::Signature::try_from(signature)
                .is_ok_and(|s| rsa::pkcs1v15::VerifyingKey::<Sha256>::new(key.clone()).verify(input, &s).is_ok()),
            // `new` takes the digest's size (32 bytes) as the salt length, as PS256 (RFC 7518 §3.5) says.
            (Alg::Ps256, PublicKey::Rsa(key)) => rsa::pss::Signature::try_from(signature)
                .is_ok_and(|s| rsa::pss::VerifyingKey::<Sha256>::new(key.clone()).verify(input, &s).is_ok()),
            (Alg::Es256, PublicKey::P256(key)) => {
                p256::ecdsa::Signature::from_slice(signature).is_ok_and(|s| key.verify(input, &s).is_ok())
            }
            (alg, key) => {
                return Err(rejected(format!("the JWT is signed with {}, but its key is {}", alg.name(), key.kind())))
            }
        };
        if verified {
            Ok(())
        } else {
            Err(rejected("the JWT's signature does not verify with the key its kid names"))
        }
    }
}

/// The time rules for a JWT at `now` (seconds since the epoch): `exp` is required and in the future;
/// `iat`, when present (or `require_iat`), is not in the future beyond [`CLOCK_SKEW_SECONDS`]; with
/// `max_lifetime`, `exp - iat` is at most that.
pub fn check_times(claims: &Claims, now: i64, require_iat: bool, max_lifetime: Option<i64>) -> Result<(), JwtError> {
    let exp = claims.exp.ok_or_else(|| rejected("the JWT has no exp"))?;
    if exp <= now {
        return Err(rejected(format!("the JWT expired {} s ago", now.saturating_sub(exp))));
    }
    let iat = match claims.iat {
        Some(iat) => iat,
        None if require_iat => return Err(rejected("the JWT has no iat")),
        None => return Ok(()),
    };
    if iat > now.saturating_add(CLOCK_SKEW_SECONDS) {
        return Err(rejected(format!("the JWT's iat is {} s in the future", iat.saturating_sub(now))));
    }
    if exp <= iat {
        return Err(rejected("the JWT's exp is not after its iat"));
    }
    if let Some(max) = max_lifetime.filter(|max| exp.saturating_sub(iat) > *max) {
        return Err(rejected(format!(
            "the JWT lives {} s (exp - iat), longer than the {max} s allowed",
            exp.saturating_sub(iat)
        )));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
pub(crate) mod tests {
    use super::*;
    use rsa::pkcs8::EncodePublicKey;
    use rsa::signature::{RandomizedSigner, SignatureEncoding, Signer};
    use rsa::RsaPrivateKey;
    use std::sync::OnceLock;

    /// Two RSA keys made once per test run. 1024 bits: the checks do not depend on the size, and making
    /// 2048-bit keys takes seconds in a debug build.
    pub fn keys() -> &'static (RsaPrivateKey, RsaPrivateKey) {
        static KEYS: OnceLock<(RsaPrivateKey, RsaPrivateKey)> = OnceLock::new();
        KEYS.get_or_init(|| {
            let mut rng = rsa::rand_core::OsRng;
            (RsaPrivateKey::new(&mut rng, 1024).unwrap(), RsaPrivateKey::new(&mut rng, 1024).unwrap())
        })
    }

    /// A compact JWS of `header` and `claims` signed with `key` under `alg` (RS256 or PS256).
    pub fn sign(key: &RsaPrivateKey, alg: Alg, header: &Value, claims: &Value) -> String {
        sign_with(header, claims, |input| match alg {
            Alg::Rs256 => rsa::pkcs1v15::SigningKey::<Sha256>::new(key.clone()).sign(input).to_vec(),
            Alg::Ps256 | Alg::Es256 => rsa::pss::SigningKey::<Sha256>::new(key.clone())
                .sign_with_rng(&mut rsa::rand_core::OsRng, input)
                .to_vec(),
        })
    }

    /// A compact JWS of `header` and `claims` whose signature `signer` makes from the signing input.
    pub fn sign_with(header: &Value, claims: &Value, signer: impl FnOnce(&[u8]) -> Vec<u8>) -> String {
        let input =
            format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
        let signature = signer(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    /// A JWS signed ES256 with a P-256 key.
    pub fn sign_es256(key: &p256::ecdsa::SigningKey, header: &Value, claims: &Value) -> String {
        sign_with(header, claims, |input| {
            let signature: p256::ecdsa::Signature = key.sign(input);
            signature.to_bytes().to_vec()
        })
    }

    fn claims(now: i64) -> Value {
        serde_json::json!({"iss": "sa-1", "aud": "https://aud", "iat": now, "exp": now + 3600})
    }

    #[test]
    fn a_well_signed_jwt_verifies_and_its_claims_are_read() {
        let (key, _) = keys();
        let jwt = sign(key, Alg::Ps256, &serde_json::json!({"alg": "PS256", "typ": "JWT", "kid": "k1"}), &claims(100));
        let jws = Jws::parse(&jwt).unwrap();
        assert_eq!((jws.alg.as_str(), jws.typ.as_deref(), jws.kid.as_deref()), ("PS256", Some("JWT"), Some("k1")));
        assert_eq!(
            jws.claims,
            Claims {
                iss: Some("sa-1".into()),
                sub: None,
                aud: vec!["https://aud".into()],
                iat: Some(100),
                exp: Some(3700)
            }
        );
        jws.verify(&key.to_public_key().into(), &[Alg::Ps256]).unwrap();
        let jwt = sign(key, Alg::Rs256, &serde_json::json!({"alg": "RS256"}), &claims(100));
        Jws::parse(&jwt).unwrap().verify(&key.to_public_key().into(), &[Alg::Rs256, Alg::Ps256]).unwrap();
    }

    #[test]
    fn another_keys_signature_a_changed_payload_or_a_wrong_alg_is_rejected() {
        let (key, other) = keys();
        let header = serde_json::json!({"alg": "PS256", "typ": "JWT", "kid": "k1"});
        let jwt = sign(other, Alg::Ps256, &header, &claims(100));
        let err = Jws::parse(&jwt).unwrap().verify(&key.to_public_key().into(), &[Alg::Ps256]).unwrap_err();
        assert!(matches!(err, JwtError::Rejected(_)), "{err:?}");

        let jwt = sign(key, Alg::Ps256, &header, &claims(100));
        let mut parts: Vec<&str> = jwt.split('.').collect();
        let forged =
            URL_SAFE_NO_PAD.encode(serde_json::json!({"iss": "sa-2", "aud": "https://aud", "exp": 9999}).to_string());
        parts[1] = &forged;
        let err = Jws::parse(&parts.join(".")).unwrap().verify(&key.to_public_key().into(), &[Alg::Ps256]).unwrap_err();
        assert!(matches!(err, JwtError::Rejected(_)), "{err:?}");

        // An RS256 signature under a PS256-only rule, and alg "none", are refused whatever the signature.
        let jwt = sign(key, Alg::Rs256, &serde_json::json!({"alg": "RS256"}), &claims(100));
        let err = Jws::parse(&jwt).unwrap().verify(&key.to_public_key().into(), &[Alg::Ps256]).unwrap_err();
        assert_eq!(err, JwtError::Rejected("the JWT is signed with RS256, expected PS256".into()));
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
            URL_SAFE_NO_PAD.encode(claims(100).to_string())
        );
        assert!(matches!(
            Jws::parse(&none).unwrap().verify(&key.to_public_key().into(), &[Alg::Ps256]),
            Err(JwtError::Rejected(_))
        ));
        // A PS256 signature with a salt other than 32 bytes is not PS256.
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims(100).to_string())
        );
        let salted = rsa::pss::SigningKey::<Sha256>::new_with_salt_len(key.clone(), 20)
            .sign_with_rng(&mut rsa::rand_core::OsRng, input.as_bytes())
            .to_vec();
        let jwt = format!("{input}.{}", URL_SAFE_NO_PAD.encode(salted));
        assert!(Jws::parse(&jwt).unwrap().verify(&key.to_public_key().into(), &[Alg::Ps256]).is_err());
    }

    #[test]
    fn es256_verifies_with_a_p256_key_and_algorithms_do_not_cross_key_kinds() {
        let ec = p256::ecdsa::SigningKey::random(&mut rsa::rand_core::OsRng);
        let ec_public = PublicKey::P256(*ec.verifying_key());
        let header = serde_json::json!({"alg": "ES256", "typ": "JWT"});
        let jwt = sign_es256(&ec, &header, &claims(100));
        let all = [Alg::Rs256, Alg::Ps256, Alg::Es256];
        Jws::parse(&jwt).unwrap().verify(&ec_public, &all).unwrap();
        let other = p256::ecdsa::SigningKey::random(&mut rsa::rand_core::OsRng);
        let err = Jws::parse(&jwt).unwrap().verify(&PublicKey::P256(*other.verifying_key()), &all).unwrap_err();
        assert!(err.message().contains("does not verify"), "{err:?}");
        let rsa_public = PublicKey::Rsa(keys().0.to_public_key());
        let err = Jws::parse(&jwt).unwrap().verify(&rsa_public, &all).unwrap_err();
        assert_eq!(err.message(), "the JWT is signed with ES256, but its key is an RSA key");
        let jwt = sign(&keys().0, Alg::Rs256, &serde_json::json!({"alg": "RS256"}), &claims(100));
        let err = Jws::parse(&jwt).unwrap().verify(&ec_public, &all).unwrap_err();
        assert_eq!(err.message(), "the JWT is signed with RS256, but its key is a P-256 key");
    }

    #[test]
    fn what_is_not_a_jwt_is_malformed() {
        for bad in ["", "abc", "a.b", "a.b.c.d", "!!.e30.", "e30.!!.", "e30.e30.!!", "WzFd.e30.", "e30.WzFd."] {
            assert!(matches!(Jws::parse(bad), Err(JwtError::Malformed(_))), "{bad:?}");
        }
        // A header without alg, a non-string kid, a numeric aud, a string exp.
        for (header, claims) in [
            (r#"{"typ":"JWT"}"#, "{}"),
            (r#"{"alg":"PS256","kid":1}"#, "{}"),
            (r#"{"alg":"PS256"}"#, r#"{"aud":1}"#),
            (r#"{"alg":"PS256"}"#, r#"{"exp":"soon"}"#),
        ] {
            let jwt = format!("{}.{}.", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(claims));
            assert!(matches!(Jws::parse(&jwt), Err(JwtError::Malformed(_))), "{header} {claims}");
        }
        assert!(matches!(Jws::parse(&"a".repeat(MAX_JWT_BYTES + 1)), Err(JwtError::Malformed(_))));
    }

    #[test]
    fn time_rules() {
        let c = |iat: Option<i64>, exp: Option<i64>| Claims { iat, exp, ..Claims::default() };
        assert!(check_times(&c(Some(1000), Some(4600)), 1000, true, Some(3600)).is_ok());
        assert!(check_times(&c(Some(1000), Some(4601)), 1000, true, Some(3600)).is_err(), "longer than an hour");
        assert!(check_times(&c(Some(1000), Some(1999)), 2000, true, None).is_err(), "expired");
        assert!(check_times(&c(Some(1000), Some(2000)), 2000, true, None).is_err(), "exp is now");
        assert!(check_times(&c(Some(1300), Some(2000)), 1000, true, None).is_ok(), "iat within the skew");
        assert!(check_times(&c(Some(1301), Some(2000)), 1000, true, None).is_err(), "iat beyond the skew");
        assert!(check_times(&c(None, Some(2000)), 1000, true, None).is_err(), "no iat");
        assert!(check_times(&c(None, Some(2000)), 1000, false, None).is_ok());
        assert!(check_times(&c(Some(1000), None), 1000, false, None).is_err(), "no exp");
    }

    #[test]
    fn public_keys_read_from_spki_and_pkcs1_pem() {
        use rsa::pkcs1::EncodeRsaPublicKey;
        let public = keys().0.to_public_key();
        let spki = public.to_public_key_pem(rsa::pkcs8::LineEnding::LF).unwrap();
        assert_eq!(public_key_from_pem(&spki).unwrap(), PublicKey::Rsa(public.clone()));
        let pkcs1 = public.to_pkcs1_pem(rsa::pkcs8::LineEnding::LF).unwrap();
        assert_eq!(public_key_from_pem(&pkcs1).unwrap(), PublicKey::Rsa(public));
        let ec = p256::ecdsa::SigningKey::random(&mut rsa::rand_core::OsRng);
        let ec_public = *ec.verifying_key();
        let spki = p256::pkcs8::EncodePublicKey::to_public_key_pem(&ec_public, rsa::pkcs8::LineEnding::LF).unwrap();
        assert_eq!(public_key_from_pem(&spki).unwrap(), PublicKey::P256(ec_public));
        assert!(public_key_from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----").is_err());
        assert!(public_key_from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----").is_err());
    }
}
