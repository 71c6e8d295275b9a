//! The driver: where calls go (see [`crate::discovery`]), the readiness check, and shutdown.

use crate::auth::Credentials;
use crate::discovery::{DiscoverySettings, Endpoints};
use crate::error::{Error, Result};
use crate::proto::ydb::discovery;
use crate::transport::{CallOptions, Channel};
use futures_channel::oneshot;
use futures_util::future::{self, Either};
use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

/// A connection to one YDB database.
#[derive(Clone)]
pub struct Driver {
    endpoints: Endpoints,
}

impl Driver {
    /// A driver for `database` at `endpoint`; calls that set no deadline of their own get
    /// `request_timeout_ms`.
    pub fn new(
        endpoint: &str,
        database: &str,
        credentials: Rc<dyn Credentials>,
        discovery: DiscoverySettings,
        request_timeout_ms: Option<u32>,
    ) -> Result<Driver> {
        let seed = Channel::with_default_timeout(endpoint, database, credentials, request_timeout_ms)?;
        Ok(Driver { endpoints: Endpoints::new(seed, discovery) })
    }

    /// The channel to the configured endpoint.
    pub fn channel(&self) -> &Channel {
        self.endpoints.seed()
    }

    /// Where sessions and session-less calls go.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// Asks the database for its endpoints once (a balanced driver adopts them).
    pub async fn discover(&self, opts: &CallOptions) -> Result<discovery::ListEndpointsResult> {
        self.endpoints.refresh(opts).await
    }

    /// What the last discovery attempt saw, for diagnostics.
    pub fn discovery_debug_details(&self) -> String {
        self.endpoints.debug_details()
    }
}

/// The driver's stop, as something to wait on: retry loops sleeping in backoff wake up at once with
/// CANCELLED when the driver stops, instead of sleeping out a slow backoff (up to a minute) first.
#[derive(Clone, Default)]
pub struct Shutdown {
    state: Rc<RefCell<ShutdownState>>,
}

#[derive(Default)]
struct ShutdownState {
    triggered: bool,
    waiters: Vec<oneshot::Sender<()>>,
}

impl Shutdown {
    /// Stops: every pending and future [`Shutdown::sleep`] fails with CANCELLED.
    pub fn trigger(&self) {
        let waiters = {
            let mut st = self.state.borrow_mut();
            st.triggered = true;
            std::mem::take(&mut st.waiters)
        };
        for w in waiters {
            let _ = w.send(());
        }
    }

    pub fn is_triggered(&self) -> bool {
        self.state.borrow().triggered
    }

    /// Waits `ms` on `timer` unless the driver stops first (then CANCELLED). A zero wait returns at
    /// once, but still fails when the driver is already stopped.
    pub async fn sleep<F: Future<Output = ()>>(&self, ms: f64, timer: impl FnOnce(f64) -> F) -> Result<()> {
        let stopped = || Error::cancelled("the driver is stopped");
        let rx = {
            let mut st = self.state.borrow_mut();
            if st.triggered {
                return Err(stopped());
            }
            if ms <= 0.0 || ms.is_nan() {
                return Ok(());
            }
            // Forget the waiters of sleeps that already ended.
            st.waiters.retain(|w| !w.is_canceled());
            let (tx, rx) = oneshot::channel();
            st.waiters.push(tx);
            rx
        };
        match future::select(Box::pin(timer(ms)), rx).await {
            Either::Left(_) => Ok(()),
            Either::Right(_) => Err(stopped()),
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::error::Status;
    use futures_executor::block_on;

    #[test]
    fn a_sleep_pending_when_the_driver_stops_fails_with_cancelled() {
        let shutdown = Shutdown::default();
        let trigger = shutdown.clone();
        // The timer never fires by itself; the stop comes while the sleep waits.
        let r = block_on(async {
            let sleeping = shutdown.sleep(64_000.0, |_| future::pending::<()>());
            let stopping = async {
                trigger.trigger();
            };
            future::join(sleeping, stopping).await.0
        });
        assert_eq!(r.map_err(|e| e.status), Err(Status::Cancelled));
    }

    #[test]
    fn sleeps_after_the_stop_fail_and_before_it_complete() {
        let shutdown = Shutdown::default();
        assert!(block_on(shutdown.sleep(5.0, |_| future::ready(()))).is_ok());
        assert!(block_on(shutdown.sleep(0.0, |_| future::pending::<()>())).is_ok());
        assert_eq!(shutdown.state.borrow().waiters.len(), 1);
        assert!(block_on(shutdown.sleep(5.0, |_| future::ready(()))).is_ok());
        assert_eq!(shutdown.state.borrow().waiters.len(), 1, "ended sleeps are forgotten");
        shutdown.trigger();
        assert!(shutdown.is_triggered());
        assert_eq!(block_on(shutdown.sleep(0.0, |_| future::ready(()))).map_err(|e| e.status), Err(Status::Cancelled));
    }
}
