//! What a channel asks of its credentials: a token for each request, and — when the server refuses one —
//! whether asking again may give another. The providers themselves (static, cloud, a caller's
//! `getAuthToken()`) live in [`crate::auth`] and the bindings; the channel knows only this trait, so the
//! transport does not depend on how tokens are made.

use crate::error::Result;
use futures_util::future::LocalBoxFuture;

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
}
