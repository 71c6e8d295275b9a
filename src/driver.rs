//! The driver: where calls go (see [`crate::discovery`]), the readiness check (`wait`, a use of
//! [`crate::retry`]), and its stop: the state, the things stopped with it, and the wake-up of the retry
//! loops sleeping in backoff.

use crate::auth::Credentials;
use crate::cancel::{CancelSource, CancelToken};
use crate::clock::{now_ms, sleep_for};
use crate::discovery::{DiscoverySettings, Endpoints};
use crate::error::{Backoff, Error, Result, RetryPolicy, Status};
use crate::proto::ydb::discovery;
use crate::retry::{retry, Classify, RetryBudget, RetrySettings};
use crate::transport::fetch::FetchSettings;
use crate::transport::{CallOptions, Channel};
use futures_util::future::{self, Either, LocalBoxFuture};
use futures_util::TryFutureExt;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;

/// How long [`Driver::wait`] waits when its caller does not say.
pub const DEFAULT_WAIT_TIMEOUT_MS: f64 = 10_000.0;

/// Something the driver stops when it stops (the pools made from it), called with how long to wait for
/// sessions still checked out.
pub type StopHook = Box<dyn Fn(Option<u32>) -> LocalBoxFuture<'static, ()>>;

/// A connection to one YDB database. Clones share one driver: its endpoints, its stop, and the retry
/// budget of every pool made from it.
#[derive(Clone)]
pub struct Driver {
    endpoints: Endpoints,
    stopped: Rc<Cell<bool>>,
    hooks: Rc<RefCell<Vec<StopHook>>>,
    /// Wakes the retry loops sleeping in backoff when the driver stops.
    shutdown: Shutdown,
    /// One cap on retries shared by every pool of this driver.
    retry_budget: Option<RetryBudget>,
    /// Whether the server runs one-shot queries in implicit sessions (learnt on first refusal).
    /// Set once the server refused a one-shot query in an implicit session (what
    /// [`crate::query::ImplicitSessions`] learns; kept here because it is the driver's server's).
    implicit_sessions_refused: Rc<Cell<bool>>,
}

impl Driver {
    /// A driver for `database` at `endpoint`; calls that set no deadline of their own get
    /// `request_timeout_ms`, and every request goes through `fetch`. Sends nothing: the first request is
    /// the first call's (or `wait()`'s).
    pub fn new(
        endpoint: &str,
        database: &str,
        credentials: Rc<dyn Credentials>,
        discovery: DiscoverySettings,
        request_timeout_ms: Option<u32>,
        retry_budget: Option<RetryBudget>,
        fetch: FetchSettings,
    ) -> Result<Driver> {
        let seed = Channel::with_default_timeout(endpoint, database, credentials, request_timeout_ms, fetch)?;
        Ok(Driver {
            endpoints: Endpoints::new(seed, discovery),
            stopped: Rc::default(),
            hooks: Rc::default(),
            shutdown: Shutdown::default(),
            retry_budget,
            implicit_sessions_refused: Rc::default(),
        })
    }

    /// CANCELLED once the driver is stopped.
    pub fn ensure_running(&self) -> Result<()> {
        if self.stopped.get() {
            return Err(Error::cancelled("the driver is stopped"));
        }
        Ok(())
    }

    /// What wakes this driver's retry loops when it stops.
    pub fn shutdown(&self) -> &Shutdown {
        &self.shutdown
    }

    /// Whether the server refused implicit sessions (see [`crate::query::ImplicitSessions`]).
    pub fn implicit_sessions_refused(&self) -> &Rc<Cell<bool>> {
        &self.implicit_sessions_refused
    }

    /// A retry loop's `settings`, capped by the driver's retry budget unless they bring their own.
    pub fn retry_settings(&self, mut settings: RetrySettings) -> RetrySettings {
        if settings.budget.is_none() {
            settings.budget.clone_from(&self.retry_budget);
        }
        settings
    }

    /// Registers something to stop with the driver (a pool made from it).
    pub fn on_stop(&self, hook: StopHook) {
        self.hooks.borrow_mut().push(hook);
    }

    /// Stops: refuses new work, wakes retry loops waiting in backoff with CANCELLED, and stops what was
    /// registered with [`Driver::on_stop`], each waiting up to `wait_ms` for sessions still checked out.
    pub async fn stop(&self, wait_ms: Option<u32>) {
        if !self.stopped.replace(true) {
            self.channel().observer().log(crate::observe::Level::Info, "driver stopped", &[]);
        }
        self.shutdown.trigger();
        let hooks: Vec<StopHook> = std::mem::take(&mut *self.hooks.borrow_mut());
        future::join_all(hooks.iter().map(|h| h(wait_ms))).await;
    }

    /// True once the database answered discovery, false when `timeout_ms` (default
    /// [`DEFAULT_WAIT_TIMEOUT_MS`]) passed first. Failures are retried with the fast backoff (at least
    /// 50 ms apart); with `fail_fast` the first failure other than a deadline is returned instead.
    pub async fn wait(&self, timeout_ms: Option<f64>, fail_fast: bool, random: impl FnMut() -> f64) -> Result<bool> {
        let timeout_ms = timeout_ms.unwrap_or(DEFAULT_WAIT_TIMEOUT_MS);
        /// Why an attempt to reach the database ended.
        enum Waited {
            Failed(Error, bool),
            TimedOut,
        }
        impl Classify for Waited {
            fn retry_policy(&self) -> Option<RetryPolicy> {
                let retried = matches!(self, Waited::Failed(_, true));
                retried.then_some(RetryPolicy {
                    backoff: Some(Backoff::Fast),
                    idempotent_only: false,
                    discards_session: false,
                })
            }
        }
        impl From<Error> for Waited {
            fn from(e: Error) -> Self {
                Waited::Failed(e, false)
            }
        }
        let start = now_ms();
        let settings = RetrySettings { max_retries: u32::MAX, budget: None, ..RetrySettings::default() };
        let attempt = |_| async move {
            self.ensure_running()?;
            let left = timeout_ms - (now_ms() - start);
            if left <= 0.0 {
                return Err(Waited::TimedOut);
            }
            match self.discover(&CallOptions::with_timeout(Some(left as u32))).await {
                Ok(_) => Ok(()),
                Err(e) => {
                    let retried = !fail_fast || e.status == Status::DeadlineExceeded;
                    Err(Waited::Failed(e, retried))
                }
            }
        };
        let pause = |ms: f64| self.shutdown.sleep(ms.max(50.0), sleep_for).map_err(Waited::from);
        match retry(&settings, attempt, pause, random).await {
            Ok(()) => Ok(true),
            Err(Waited::TimedOut) => Ok(false),
            Err(Waited::Failed(e, _)) => Err(e),
        }
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
    token: CancelToken,
}

impl Shutdown {
    /// Stops: every pending and future [`Shutdown::sleep`] fails with CANCELLED.
    pub fn trigger(&self) {
        self.token.cancel();
    }

    pub fn is_triggered(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Waits `ms` on `timer` unless the driver stops first (then CANCELLED). A zero wait returns at
    /// once, but still fails when the driver is already stopped.
    pub async fn sleep<F: Future<Output = ()>>(&self, ms: f64, timer: impl FnOnce(f64) -> F) -> Result<()> {
        let stopped = || Error::cancelled("the driver is stopped");
        if self.is_triggered() {
            return Err(stopped());
        }
        if ms <= 0.0 || ms.is_nan() {
            return Ok(());
        }
        match future::select(Box::pin(timer(ms)), self.token.fired()).await {
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
    fn stop_refuses_new_work_wakes_sleepers_and_stops_what_was_registered_once() {
        let driver = Driver::new(
            "http://127.0.0.1:1",
            "/local",
            Rc::new(crate::auth::AnonymousCredentials),
            DiscoverySettings::default(),
            None,
            None,
            FetchSettings::default(),
        )
        .expect("driver");
        let stopped_with = Rc::new(RefCell::new(Vec::new()));
        for _ in 0..2 {
            let seen = stopped_with.clone();
            driver.on_stop(Box::new(move |wait_ms| {
                seen.borrow_mut().push(wait_ms);
                Box::pin(async {})
            }));
        }
        assert!(driver.ensure_running().is_ok());
        let clone = driver.clone();
        block_on(clone.stop(Some(250)));
        assert_eq!(*stopped_with.borrow(), vec![Some(250), Some(250)]);
        assert_eq!(driver.ensure_running().map_err(|e| e.status), Err(Status::Cancelled), "clones share the stop");
        assert!(driver.shutdown().is_triggered());
        block_on(driver.stop(None));
        assert_eq!(stopped_with.borrow().len(), 2, "hooks run once");
        let waited = block_on(driver.wait(None, false, || 0.5));
        assert_eq!(waited.map_err(|e| e.status), Err(Status::Cancelled), "a stopped driver does not wait");
    }

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
        assert_eq!(shutdown.token.waiting(), 1);
        assert!(block_on(shutdown.sleep(5.0, |_| future::ready(()))).is_ok());
        assert_eq!(shutdown.token.waiting(), 1, "ended sleeps are forgotten");
        shutdown.trigger();
        assert!(shutdown.is_triggered());
        assert_eq!(block_on(shutdown.sleep(0.0, |_| future::ready(()))).map_err(|e| e.status), Err(Status::Cancelled));
    }
}
