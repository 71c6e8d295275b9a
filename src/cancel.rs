//! Cancellation without the runtime: what a caller hands a call or a retry loop to stop it early.
//!
//! The core asks a [`Cancel`] two things — has it fired ([`Cancel::check`]), and a future that resolves
//! when it does ([`Cancel::fired`]) — and never what is behind it. In JS it is an `AbortSignal`
//! (`transport::fetch::SignalCancel`, made by the bindings, which `fetch` also hands to the request so
//! that an abort stops the request itself); in Rust, and in the native tests, it is a [`CancelToken`] — which
//! is also what the driver's stop is made of (`driver::Shutdown`).

use crate::error::{Error, Result};
use futures_channel::oneshot;
use futures_util::future::LocalBoxFuture;
use std::any::Any;
use std::cell::RefCell;
use std::rc::Rc;

/// Something that can fire once and stays fired.
pub trait CancelSource {
    fn is_cancelled(&self) -> bool;
    /// Resolves when it fires (at once when it has).
    fn fired(&self) -> LocalBoxFuture<'static, ()>;
    /// The source itself, for the runtime that can use it more directly (fetch takes an `AbortSignal`).
    fn as_any(&self) -> &dyn Any;
}

/// A caller's cancellation; clones share it.
///
/// ```
/// use ydb_wasm::cancel::{Cancel, CancelToken};
/// let token = CancelToken::default();
/// let cancel = Cancel::from(token.clone());
/// assert!(cancel.check().is_ok());
/// token.cancel();
/// assert_eq!(cancel.check().map_err(|e| e.status()), Err(ydb_wasm::Status::Cancelled));
/// ```
#[derive(Clone)]
pub struct Cancel(Rc<dyn CancelSource>);

impl Cancel {
    pub fn new(source: Rc<dyn CancelSource>) -> Self {
        Cancel(source)
    }

    /// CANCELLED once fired.
    pub fn check(&self) -> Result<()> {
        if self.0.is_cancelled() {
            return Err(cancelled());
        }
        Ok(())
    }

    /// Resolves when fired.
    pub fn fired(&self) -> LocalBoxFuture<'static, ()> {
        self.0.fired()
    }

    /// The source, when it is a `T`.
    pub fn source<T: 'static>(&self) -> Option<&T> {
        self.0.as_any().downcast_ref()
    }
}

impl<T: CancelSource + 'static> From<T> for Cancel {
    fn from(source: T) -> Self {
        Cancel(Rc::new(source))
    }
}

/// [`Cancel::check`] of an optional cancellation.
pub fn check(cancel: Option<&Cancel>) -> Result<()> {
    cancel.map_or(Ok(()), Cancel::check)
}

/// The error of an operation its caller cancelled.
pub fn cancelled() -> Error {
    Error::cancelled("the operation was cancelled (its signal aborted)")
}

/// A cancellation fired by hand ([`CancelToken::cancel`]); clones share it.
#[derive(Clone, Default)]
pub struct CancelToken {
    state: Rc<RefCell<TokenState>>,
}

#[derive(Default)]
struct TokenState {
    cancelled: bool,
    waiters: Vec<oneshot::Sender<()>>,
}

impl CancelToken {
    /// Fires: every pending and later [`Cancel::fired`] resolves.
    pub fn cancel(&self) {
        let waiters = {
            let mut st = self.state.borrow_mut();
            st.cancelled = true;
            std::mem::take(&mut st.waiters)
        };
        for w in waiters {
            let _ = w.send(());
        }
    }

    /// How many waits are registered (tests).
    #[cfg(all(test, not(target_arch = "wasm32")))]
    pub(crate) fn waiting(&self) -> usize {
        self.state.borrow().waiters.len()
    }
}

impl CancelSource for CancelToken {
    fn is_cancelled(&self) -> bool {
        self.state.borrow().cancelled
    }

    fn fired(&self) -> LocalBoxFuture<'static, ()> {
        let mut st = self.state.borrow_mut();
        if st.cancelled {
            return Box::pin(async {});
        }
        st.waiters.retain(|w| !w.is_canceled());
        let (tx, rx) = oneshot::channel();
        st.waiters.push(tx);
        Box::pin(async move {
            let _ = rx.await;
        })
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use futures_util::future;

    #[test]
    fn a_token_fires_pending_and_later_waits_and_forgets_dropped_ones() {
        let token = CancelToken::default();
        let cancel = Cancel::from(token.clone());
        drop(cancel.fired());
        let pending = cancel.fired();
        assert_eq!(token.state.borrow().waiters.len(), 1, "the dropped wait is forgotten");
        let woken = futures_executor::block_on(future::join(pending, async { token.cancel() }));
        assert_eq!(woken, ((), ()));
        futures_executor::block_on(cancel.fired());
        assert!(check(Some(&cancel)).is_err());
        assert!(check(None).is_ok());
        assert!(cancel.source::<CancelToken>().is_some());
        assert!(cancel.source::<u8>().is_none());
    }
}
