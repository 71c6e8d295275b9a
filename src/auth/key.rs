//! Key material as Yandex Cloud and the official SDKs hand it out: the service-account authorized key
//! (`yc iam key create --output key.json`: `id`, `service_account_id`, `private_key`, plus `created_at`,
//! `key_algorithm`, `public_key`) and PEM private keys.
//!
//! A PEM private key must be PKCS#8 (`BEGIN PRIVATE KEY`), the one form WebCrypto imports; Yandex Cloud
//! writes its keys that way, after a first line `PLEASE DO NOT REMOVE THIS LINE! Yandex.Cloud SA Key ID
//! <…>` that is skipped here. Errors name the missing field or the wrong form, never the key.

use super::base64;
use super::json::{self, Json};
use crate::error::{Error, Quoted, Result};
use crate::substring;
use std::fmt;

/// A service account's authorized key, parsed and checked.
#[derive(Clone)]
pub struct ServiceAccountKey {
    /// The key id: the JWT's `kid`.
    pub id: String,
    /// The account the key belongs to: the JWT's `iss` (`service_account_id`, or `user_account_id`
    /// in a user's key, as the Python SDK reads it).
    pub account_id: String,
    /// The private key, PKCS#8 DER.
    pub private_key_der: Vec<u8>,
}

impl fmt::Debug for ServiceAccountKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ServiceAccountKey {{ id: {}, account_id: {}, private_key: <redacted> }}",
            Quoted(&self.id),
            Quoted(&self.account_id)
        )
    }
}

impl ServiceAccountKey {
    /// Parses the key file's JSON text.
    pub fn parse(text: &str) -> Result<ServiceAccountKey> {
        let doc =
            json::parse(text).map_err(|e| Error::argument(format!("the service account key is not JSON: {e}")))?;
        let field = |name: &str| match doc.get(name) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
            Some(other) => Err(Error::argument(format!(
                "the service account key's {name} must be a non-empty string, not {}",
                other.kind()
            ))),
        };
        if !matches!(doc, Json::Object(_)) {
            return Err(Error::argument(format!("the service account key must be a JSON object, not {}", doc.kind())));
        }
        let missing = |name: &str| Error::argument(format!("the service account key has no {name}"));
        let id = field("id")?.ok_or_else(|| missing("id"))?;
        let account_id = match field("service_account_id")? {
            Some(a) => a,
            None => field("user_account_id")?.ok_or_else(|| missing("service_account_id"))?,
        };
        let pem = field("private_key")?.ok_or_else(|| missing("private_key"))?;
        if let Some(alg) = field("key_algorithm")? {
            if !alg.starts_with("RSA") {
                return Err(Error::argument(format!(
                    "the service account key's key_algorithm is {}; IAM signs with RSA (PS256)",
                    Quoted(&alg)
                )));
            }
        }
        let private_key_der = pkcs8_der(&pem).map_err(|e| Error::argument(format!("the service account key's {e}")))?;
        Ok(ServiceAccountKey { id, account_id, private_key_der })
    }
}

/// The DER bytes of a PKCS#8 PEM private key; text before the `BEGIN` line (Yandex Cloud's warning line)
/// is ignored, and a key whose line breaks arrived as the two characters `\n` (an environment variable) is
/// read too. The error says which form was found instead.
pub fn pkcs8_der(pem: &str) -> Result<Vec<u8>, String> {
    let pem = substring::replace(pem, "\\n", "\n");
    const BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
    const END: &str = "-----END PRIVATE KEY-----";
    let Some(start) = substring::find(&pem, BEGIN) else {
        return Err(match ["RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY"].iter().find(|k| substring::contains(&pem, k)) {
            Some(kind) => format!(
                "private_key is a {kind} PEM; WebCrypto imports PKCS#8 only (convert it with `openssl pkcs8 -topk8 -nocrypt`)"
            ),
            None => "private_key is not a PEM private key (-----BEGIN PRIVATE KEY-----)".into(),
        });
    };
    let body = pem.get(start + BEGIN.len()..).unwrap_or_default();
    let Some(end) = substring::find(body, END) else {
        return Err("private_key PEM has no END line".into());
    };
    let b64: String = body.get(..end).unwrap_or_default().chars().filter(|c| !c.is_whitespace()).collect();
    match base64::decode(&b64) {
        Some(der) if !der.is_empty() => Ok(der),
        _ => Err("private_key PEM body is not base64".into()),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub const PEM: &str = "PLEASE DO NOT REMOVE THIS LINE! Yandex.Cloud SA Key ID <ajekey>\n-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEA\nq83s\n-----END PRIVATE KEY-----\n";

    pub fn key_json(pem: &str) -> String {
        format!(
            "{{\"id\":\"ajekey\",\"service_account_id\":\"ajesa\",\"created_at\":\"2024-01-01T00:00:00Z\",\"key_algorithm\":\"RSA_2048\",\"public_key\":\"-----BEGIN PUBLIC KEY-----\\nx\\n-----END PUBLIC KEY-----\\n\",\"private_key\":{}}}",
            json::quote(pem)
        )
    }

    #[test]
    fn reads_a_key_file_as_yandex_cloud_writes_it() {
        let key = ServiceAccountKey::parse(&key_json(PEM)).expect("valid key");
        assert_eq!((key.id.as_str(), key.account_id.as_str()), ("ajekey", "ajesa"));
        assert_eq!(key.private_key_der.first(), Some(&0x30), "DER starts with a SEQUENCE");
        let shown = format!("{key:?}");
        assert!(shown.contains("ajekey") && !shown.contains("MIIB") && !shown.contains("48"));
        let user = key_json(PEM).replace("service_account_id", "user_account_id");
        assert_eq!(ServiceAccountKey::parse(&user).map(|k| k.account_id).ok().as_deref(), Some("ajesa"));
        let escaped = PEM.replace('\n', "\\n");
        assert!(ServiceAccountKey::parse(&key_json(&escaped)).is_ok(), "\\n as two characters");
    }

    #[test]
    fn a_bad_key_says_what_is_wrong_without_showing_the_key() {
        let cases = [
            ("not json".to_string(), "not JSON"),
            ("[]".to_string(), "JSON object"),
            (key_json(PEM).replace("\"id\"", "\"kid\""), "has no id"),
            (key_json(PEM).replace("service_account_id", "sa"), "has no service_account_id"),
            (key_json(PEM).replace("private_key", "pk"), "has no private_key"),
            (key_json(&PEM.replace("PRIVATE KEY", "RSA PRIVATE KEY")), "openssl pkcs8"),
            (key_json("MIIBVQIBADANBg"), "not a PEM"),
            (key_json(&PEM.replace("q83s", "q8!s")), "not base64"),
            (key_json(PEM).replace("RSA_2048", "EC_P256"), "key_algorithm"),
            (key_json(PEM).replace("\"ajekey\"", "7"), "non-empty string, not a number"),
        ];
        for (text, expected) in cases {
            let e = ServiceAccountKey::parse(&text).expect_err(expected);
            assert!(e.message().contains(expected), "{expected}: {}", e.message());
            assert!(!e.message().contains("MIIB") && !e.message().contains("q83s"), "{}", e.message());
            assert_eq!(e.kind(), crate::ErrorKind::Argument);
        }
    }
}
