//! Static credentials: a user name and password exchanged for a token through `AuthService/Login`,
//! logged in again ahead of the token's expiry by the shared [`TokenCache`].
//!
//! The token's expiry comes from its JWT payload (`exp`); a token that is not a JWT is kept for
//! [`FALLBACK_LIFETIME_MS`]. The password and the token never appear in `Debug` output.

use super::{AnonymousCredentials, Credentials, Token, TokenCache, TokenSource};
use crate::clock::now_ms;
use crate::error::{Error, Quoted, Result};
use crate::proto::ydb::auth;
use crate::substring;
use crate::transport::methods::auth_service as rpc;
use crate::transport::operation::result_in;
use crate::transport::{CallOptions, Channel};
use futures_util::future::LocalBoxFuture;
use std::fmt;
use std::rc::Rc;

/// How long a token without a readable expiry is used.
pub const FALLBACK_LIFETIME_MS: f64 = 5.0 * 60.0 * 1000.0;

/// A user and password behind the token cache.
pub struct StaticCredentials {
    user: String,
    cache: TokenCache,
}

impl fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StaticCredentials {{ user: {}, password: <redacted> }}", Quoted(&self.user))
    }
}

/// One Login: the token source behind [`StaticCredentials`].
struct Login {
    user: String,
    password: String,
    /// Login goes through its own anonymous channel (Login itself needs no token).
    channel: Channel,
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
        let observer = fetch.observer.clone();
        let channel = Channel::with_default_timeout(endpoint, database, Rc::new(AnonymousCredentials), None, fetch)?;
        let login = Login { user: user.clone(), password, channel };
        let cache = TokenCache::new(Rc::new(login)).with_observer(observer, "static");
        Ok(StaticCredentials { user, cache })
    }
}

impl TokenSource for Login {
    fn describe(&self) -> String {
        format!("Login of user {} at {}", Quoted(&self.user), self.channel.endpoint())
    }

    fn fetch(&self) -> LocalBoxFuture<'_, Result<Token>> {
        Box::pin(async move {
            let req =
                auth::LoginRequest { user: self.user.clone(), password: self.password.clone(), ..Default::default() };
            let opts = CallOptions::with_timeout(Some(10_000));
            let result: auth::LoginResult = result_in(self.channel.operation(&rpc::LOGIN, &req, &opts).await?)?;
            if result.token.is_empty() {
                return Err(Error::protocol("Login answered without a token"));
            }
            let now = now_ms();
            let expires_at_ms = jwt_expiry_secs(&result.token)
                .map(|exp| exp as f64 * 1000.0)
                .filter(|at| *at > now)
                .unwrap_or(now + FALLBACK_LIFETIME_MS);
            Ok(Token { value: result.token, expires_at_ms })
        })
    }
}

impl Credentials for StaticCredentials {
    fn token(&self) -> LocalBoxFuture<'_, Result<Option<String>>> {
        self.cache.token()
    }

    fn invalidate(&self, token: &str) -> bool {
        Credentials::invalidate(&self.cache, token)
    }
}

/// The `exp` claim (seconds since the epoch) of a JWT, if the token is one.
pub fn jwt_expiry_secs(token: &str) -> Option<u64> {
    let payload = token.split('.').nth(1)?;
    let json = String::from_utf8(super::base64::decode(payload)?).ok()?;
    let at = substring::find(&json, "\"exp\"")?;
    let rest = json.get(at + 5..)?.trim_start().strip_prefix(':')?.trim_start();
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
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
