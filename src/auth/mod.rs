//! Credential providers: where the `x-ydb-auth-ticket` of each request comes from.
//!
//! A provider answers "which token now?"; it is asked before every call, so a provider may refresh
//! its token behind the scenes. The expiring kinds — a service-account key exchanged at Yandex Cloud's
//! IAM ([`service_account`]), the instance metadata service ([`metadata`]), an OAuth 2.0 token exchange
//! ([`oauth`]) and a user with a password ([`StaticCredentials`]) — are each a [`TokenSource`] behind the
//! one [`TokenCache`], which decides when to refresh and how to retry. Tokens, keys, JWTs and passwords
//! never appear in `Debug` output or error messages.

use crate::error::Result;
use futures_util::future::LocalBoxFuture;
use std::fmt;

pub mod base64;
pub mod cloud;
pub mod http;
pub mod json;
pub mod jwt;
pub mod key;
pub mod metadata;
pub mod oauth;
pub mod service_account;
mod static_credentials;
pub mod token_cache;

pub use static_credentials::{jwt_expiry_secs, StaticCredentials};
pub use token_cache::{LazySource, Token, TokenCache, TokenSource};

pub use crate::transport::credentials::{refused, with_refresh, AnonymousCredentials, Credentials};

/// A fixed token (an IAM or OAuth token obtained elsewhere).
#[derive(Clone)]
pub struct AccessTokenCredentials {
    token: String,
}

impl AccessTokenCredentials {
    pub fn new(token: impl Into<String>) -> Self {
        AccessTokenCredentials { token: token.into() }
    }
}

impl fmt::Debug for AccessTokenCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessTokenCredentials { token: <redacted> }")
    }
}

impl Credentials for AccessTokenCredentials {
    fn token(&self) -> LocalBoxFuture<'_, Result<Option<String>>> {
        let token = self.token.clone();
        Box::pin(async move { Ok(Some(token)) })
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_token() {
        let c = AccessTokenCredentials::new("s3cr3t");
        assert!(!format!("{c:?}").contains("s3cr3t"));
        assert!(!c.invalidate("s3cr3t"), "a fixed token cannot be refreshed");
    }
}
