//! Credential providers: where the `x-ydb-auth-ticket` of each request comes from.
//!
//! A provider answers "which token now?"; it is asked before every call, so a provider may refresh
//! its token behind the scenes. Tokens never appear in `Debug` output or error messages.

use crate::error::Result;
use futures_util::future::LocalBoxFuture;
use std::fmt;

mod static_credentials;
pub use static_credentials::StaticCredentials;

/// Supplies the token sent with each request (`None`: anonymous).
pub trait Credentials {
    fn token(&self) -> LocalBoxFuture<'_, Result<Option<String>>>;
}

/// No token at all: for databases without authentication, such as the dev server by default.
#[derive(Debug, Clone, Copy, Default)]
pub struct AnonymousCredentials;

impl Credentials for AnonymousCredentials {
    fn token(&self) -> LocalBoxFuture<'_, Result<Option<String>>> {
        Box::pin(async { Ok(None) })
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_token() {
        let c = AccessTokenCredentials::new("s3cr3t");
        assert!(!format!("{c:?}").contains("s3cr3t"));
    }
}
