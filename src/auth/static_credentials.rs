//! Static credentials: a user name and password exchanged for a token through `AuthService/Login`,
//! logged in again before the token expires.
//!
//! The token's expiry comes from its JWT payload (`exp`); a token that is not a JWT is kept for
//! [`FALLBACK_LIFETIME_MS`]. The token is refreshed when 90 % of its lifetime has passed. The password
//! and the token never appear in `Debug` output.

use super::{AnonymousCredentials, Credentials};
use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::proto::ydb::auth;
use crate::transport::methods::auth_service as rpc;
use crate::transport::operation::result_of;
use crate::transport::{CallOptions, Channel};
use futures_util::future::LocalBoxFuture;
use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

/// How long a token without a readable expiry is used.
pub const FALLBACK_LIFETIME_MS: f64 = 5.0 * 60.0 * 1000.0;

pub struct StaticCredentials {
    user: String,
    password: String,
    /// Login goes through its own anonymous channel (Login itself needs no token).
    login_channel: Channel,
    cached: RefCell<Option<(String, f64)>>,
}

impl fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StaticCredentials {{ user: {:?}, password: <redacted> }}", self.user)
    }
}

impl StaticCredentials {
    /// Logs in through `endpoint`, over `fetch` like every other request of its driver.
    pub fn new(
        endpoint: &str,
        database: &str,
        user: String,
        password: String,
        fetch: crate::transport::fetch::FetchSettings,
    ) -> Result<StaticCredentials> {
        if user.is_empty() {
            return Err(Error::argument("StaticCredentials needs a user"));
        }
        Ok(StaticCredentials {
            user,
            password,
            login_channel: Channel::with_default_timeout(
                endpoint,
                database,
                Rc::new(AnonymousCredentials),
                None,
                fetch,
            )?,
            cached: RefCell::new(None),
        })
    }

    async fn login(&self) -> Result<String> {
        let req = auth::LoginRequest { user: self.user.clone(), password: self.password.clone(), ..Default::default() };
        let r = self.login_channel.unary(&rpc::LOGIN, &req, &CallOptions::with_timeout(Some(10_000))).await?;
        let result: auth::LoginResult = result_of(r.operation)?;
        if result.token.is_empty() {
            return Err(Error::protocol("Login answered without a token"));
        }
        let now = now_ms();
        let lifetime = jwt_expiry_secs(&result.token)
            .map(|exp| exp as f64 * 1000.0 - now)
            .filter(|ms| *ms > 0.0)
            .unwrap_or(FALLBACK_LIFETIME_MS);
        *self.cached.borrow_mut() = Some((result.token.clone(), now + lifetime * 0.9));
        // Never the token: only that there is a new one, and for how long.
        let fields = [("credentials", "static".into()), ("expiresInMs", lifetime.into())];
        self.login_channel.observer().log(crate::observe::Level::Info, "token refreshed", &fields);
        Ok(result.token)
    }
}

impl Credentials for StaticCredentials {
    fn token(&self) -> LocalBoxFuture<'_, Result<Option<String>>> {
        Box::pin(async move {
            let fresh =
                self.cached.borrow().as_ref().filter(|(_, refresh_at)| now_ms() < *refresh_at).map(|(t, _)| t.clone());
            match fresh {
                Some(t) => Ok(Some(t)),
                None => self.login().await.map(Some),
            }
        })
    }
}

/// The `exp` claim (seconds since the epoch) of a JWT, if the token is one.
pub fn jwt_expiry_secs(token: &str) -> Option<u64> {
    let payload = token.split('.').nth(1)?;
    let json = String::from_utf8(base64url_decode(payload)?).ok()?;
    let at = json.find("\"exp\"")?;
    let rest = json.get(at + 5..)?.trim_start().strip_prefix(':')?.trim_start();
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in text.bytes().filter(|c| *c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_expiry_of_a_jwt() {
        // {"alg":"none"} . {"sub":"root","exp":1900000000} . (no signature)
        let token = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJyb290IiwiZXhwIjoxOTAwMDAwMDAwfQ.";
        assert_eq!(jwt_expiry_secs(token), Some(1_900_000_000));
        assert_eq!(jwt_expiry_secs("not-a-jwt"), None);
        assert_eq!(jwt_expiry_secs("a.!!!.c"), None);
    }

    #[test]
    fn debug_output_never_shows_the_password() {
        let c =
            StaticCredentials::new("http://127.0.0.1:1", "/local", "root".into(), "hunter2".into(), Default::default())
                .unwrap();
        let shown = format!("{c:?}");
        assert!(shown.contains("root") && !shown.contains("hunter2"));
    }
}
