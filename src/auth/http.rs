//! The HTTP side of the token endpoints (IAM, the metadata service, OAuth 2.0 token exchange): the
//! request and answer they exchange and the [`HttpClient`] that carries them (defined in
//! `crate::transport::http`: the driver's `fetch` in wasm; a fake in the unit tests), and how an answer's HTTP status becomes an
//! [`Error`] the token cache knows whether to retry.
//!
//! An error names the endpoint and what the server said (its JSON `message` or `error_description`,
//! cut short), never the request: the request carries the JWT or the subject token.

use super::json::{self, Json};
use crate::error::{Error, Result, Status};

pub use crate::transport::http::{HttpClient, HttpRequest, HttpResponse, REQUEST_TIMEOUT_MS};

/// The answer's JSON document when its status is 2xx; else an error classified by status: 429 is
/// OVERLOADED and 5xx UNAVAILABLE (both retried), any other 4xx UNAUTHORIZED (the key, the JWT or the
/// subject token was refused: retrying cannot help).
pub fn json_answer(endpoint: &str, response: &HttpResponse) -> Result<Json> {
    let status = response.status;
    if !(200..300).contains(&status) {
        let said = server_message(&response.body).map(|m| format!(": {m}")).unwrap_or_default();
        let (s, what) = match status {
            429 => (Status::Overloaded, "is overloaded"),
            500..=599 => (Status::Unavailable, "is unavailable"),
            400..=499 => (Status::Unauthorized, "refused the credentials"),
            _ => (Status::ClientInternalError, "answered unexpectedly"),
        };
        return Err(Error::transport(s, format!("{endpoint} {what} (HTTP {status}){said}")));
    }
    json::parse(&response.body).map_err(|e| Error::protocol(format!("{endpoint} answered with bad JSON: {e}")))
}

/// The message of an error answer: IAM's `message`, OAuth's `error` and `error_description`.
fn server_message(body: &str) -> Option<String> {
    let doc = json::parse(body).ok()?;
    let text = |k: &str| doc.get(k).and_then(Json::as_str).filter(|s| !s.is_empty());
    let message = match (text("error"), text("error_description"), text("message")) {
        (Some(e), Some(d), _) => format!("{e}: {d}"),
        (Some(e), None, _) => e.to_string(),
        (None, _, Some(m)) => m.to_string(),
        _ => return None,
    };
    Some(message.chars().take(300).collect())
}

/// A required non-empty string field of an answer.
pub fn string_field(endpoint: &str, doc: &Json, name: &str) -> Result<String> {
    match doc.get(name).and_then(Json::as_str) {
        Some(s) if !s.is_empty() => Ok(s.to_string()),
        _ => Err(Error::protocol(format!("{endpoint} answered without {name}"))),
    }
}

/// `application/x-www-form-urlencoded` text of `pairs`.
pub fn form_encode(pairs: &[(&str, &str)]) -> String {
    let escape = |s: &str| {
        let mut out = String::with_capacity(s.len());
        for b in s.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => out.push(char::from(b)),
                b' ' => out.push('+'),
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
        out
    };
    pairs.iter().map(|(k, v)| format!("{}={}", escape(k), escape(v))).collect::<Vec<_>>().join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> HttpResponse {
        HttpResponse { status, body: body.into() }
    }

    #[test]
    fn statuses_become_errors_the_cache_can_classify() {
        let e = |status, body| json_answer("IAM https://iam", &answer(status, body)).expect_err("an error");
        let refused = e(401, r#"{"code":16,"message":"the JWT signature does not verify"}"#);
        assert_eq!(refused.status(), Status::Unauthorized);
        assert!(
            refused.message().contains("refused the credentials (HTTP 401): the JWT signature does not verify"),
            "{}",
            refused.message()
        );
        assert!(refused.policy().backoff.is_none(), "a refusal is not retried");
        let oauth = e(400, r#"{"error":"invalid_grant","error_description":"bad subject"}"#);
        assert!(oauth.message().ends_with("invalid_grant: bad subject"));
        assert_eq!(e(503, "<html>").status(), Status::Unavailable);
        assert!(e(503, "").policy().backoff.is_some());
        assert_eq!(e(429, "").status(), Status::Overloaded);
        assert_eq!(e(302, "").status(), Status::ClientInternalError);
        let bad = json_answer("x", &answer(200, "{")).expect_err("bad JSON");
        assert_eq!(bad.status(), Status::ClientInternalError);
        assert!(json_answer("x", &answer(200, "{\"a\":1}")).is_ok());
    }

    #[test]
    fn forms_are_escaped() {
        assert_eq!(form_encode(&[("a b", "x&y=z/é"), ("k", "")]), "a+b=x%26y%3Dz%2F%C3%A9&k=");
    }
}
