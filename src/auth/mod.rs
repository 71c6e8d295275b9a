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

/// Supplies the token sent with each request (`None`: anonymous).
pub trait Credentials {
    fn token(&self) -> LocalBoxFuture<'_, Result<Option<String>>>;

    /// Called when the server refused `token` (UNAUTHENTICATED): forget it if it is cached. Returns
    /// whether asking again may give another token, so that the refused call is worth one retry.
    fn invalidate(&self, _token: &str) -> bool {
        false
    }
}

/// Runs `call` with a token from `credentials`; when the server refuses that token (gRPC UNAUTHENTICATED,
/// or an HTTP 401/403 from a proxy: a transport error with status UNAUTHORIZED) and the credentials may
/// give another, runs it once more with a fresh token. A refused call was not executed, so sending it
/// again is safe whatever it does. YDB's own UNAUTHORIZED status in an answer means access denied to a
/// path, not a stale token, and is not retried here.
pub async fn with_refresh<T, F, Fut>(credentials: &dyn Credentials, mut call: F) -> Result<T>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let token = credentials.token().await?;
    match call(token.clone()).await {
        Err(e) if refused(&e) && token.as_deref().is_some_and(|t| credentials.invalidate(t)) => {
            call(credentials.token().await?).await
        }
        outcome => outcome,
    }
}

/// Whether the server (or a proxy) refused the call's token.
pub fn refused(e: &crate::Error) -> bool {
    e.kind() == crate::ErrorKind::Transport && e.status() == crate::Status::Unauthorized
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

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::error::{Error, Status};
    use futures_executor::block_on;
    use std::cell::{Cell, RefCell};

    /// Hands out t1, t2, … and records invalidations.
    #[derive(Default)]
    struct Counting {
        issued: Cell<u32>,
        invalidated: RefCell<Vec<String>>,
        refreshable: bool,
    }

    impl Credentials for Counting {
        fn token(&self) -> LocalBoxFuture<'_, Result<Option<String>>> {
            self.issued.set(self.issued.get() + 1);
            let t = format!("t{}", self.issued.get());
            Box::pin(async move { Ok(Some(t)) })
        }
        fn invalidate(&self, token: &str) -> bool {
            self.invalidated.borrow_mut().push(token.into());
            self.refreshable
        }
    }

    fn unauthenticated() -> Error {
        Error::transport(Status::from_grpc(16), "gRPC status 16: unauthenticated, Token is expired")
    }

    #[test]
    fn a_refused_token_is_refreshed_and_the_call_sent_once_more() {
        let creds = Counting { refreshable: true, ..Default::default() };
        let sent = RefCell::new(Vec::new());
        let outcome = block_on(with_refresh(&creds, |token| {
            sent.borrow_mut().push(token.clone());
            let first = sent.borrow().len() == 1;
            async move {
                if first {
                    Err(unauthenticated())
                } else {
                    Ok(token)
                }
            }
        }));
        assert_eq!(outcome.ok().flatten().as_deref(), Some("t2"));
        assert_eq!(*creds.invalidated.borrow(), vec!["t1".to_string()]);
        assert_eq!(sent.borrow().len(), 2);
    }

    #[test]
    fn only_once_and_only_for_refusals_of_refreshable_credentials() {
        let creds = Counting { refreshable: true, ..Default::default() };
        let calls = Cell::new(0);
        let e = block_on(with_refresh(&creds, |_| {
            calls.set(calls.get() + 1);
            async { Err::<(), _>(unauthenticated()) }
        }));
        assert_eq!((e.map_err(|e| e.status()), calls.get()), (Err(Status::Unauthorized), 2), "one retry, not a loop");
        let fixed = Counting::default();
        let calls = Cell::new(0);
        let _ = block_on(with_refresh(&fixed, |_| {
            calls.set(calls.get() + 1);
            async { Err::<(), _>(unauthenticated()) }
        }));
        assert_eq!(calls.get(), 1, "a token that cannot change is not retried");
        let calls = Cell::new(0);
        let _ = block_on(with_refresh(&creds, |_| {
            calls.set(calls.get() + 1);
            async { Err::<(), _>(Error::test_error_of(Status::Unauthorized)) }
        }));
        assert_eq!(calls.get(), 1, "YDB's UNAUTHORIZED (access denied) is not a stale token");
    }

    #[test]
    fn debug_output_never_shows_the_token() {
        let c = AccessTokenCredentials::new("s3cr3t");
        assert!(!format!("{c:?}").contains("s3cr3t"));
        assert!(!c.invalidate("s3cr3t"), "a fixed token cannot be refreshed");
    }
}
