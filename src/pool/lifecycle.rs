//! A pool's life beside its driver: made on the driver's endpoints and stopped with it, its idle sessions
//! pinged in the background so that the server does not expire them, and its stop, which can wait for the
//! sessions still checked out.

use super::{Pool, PooledSession};
use crate::discovery::Endpoints;
use crate::driver::{Driver, Shutdown};
use crate::error::Result;
use crate::transport::runtime;
use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

/// How many sessions a pool holds at most when its caller does not say.
pub const DEFAULT_POOL_SIZE: usize = 100;

/// How long a table session may sit idle in its pool before it gets a KeepAlive, by default. YDB closes
/// sessions idle for 10 minutes; checked every quarter of this, a session is pinged after 5 to 6.25
/// minutes idle (the Python SDK pings after 6).
pub const DEFAULT_KEEP_ALIVE_MS: f64 = 300_000.0;

/// How often a pool waiter looks for a free session in request-bound runtimes (see `Pool::poll_ms`).
const REQUEST_BOUND_POLL_MS: u32 = 2;

impl<S: PooledSession<Factory = Endpoints>> Pool<S> {
    /// A pool of `size` sessions (default [`DEFAULT_POOL_SIZE`]) on the driver's endpoints, stopped when the
    /// driver stops. In a runtime that binds I/O to requests its waiters poll.
    pub fn for_driver(driver: &Driver, size: Option<usize>) -> Result<Self> {
        driver.ensure_running()?;
        let poll_ms = if runtime::request_bound_io() { REQUEST_BOUND_POLL_MS } else { 0 };
        let pool =
            Pool::new(driver.endpoints().clone(), size.unwrap_or(DEFAULT_POOL_SIZE)).with_polling_waiters(poll_ms);
        let stopper = pool.clone();
        driver.on_stop(Box::new(move |wait_ms| {
            let pool = stopper.clone();
            Box::pin(async move { pool.stop_and_drain(wait_ms).await })
        }));
        Ok(pool)
    }
}

/// A pool made on first use, for the driver's `query()`, which needs one only for a server that refuses
/// implicit sessions. Clones share it.
pub struct PoolOnDemand<S: PooledSession>(Rc<RefCell<Option<Pool<S>>>>);

impl<S: PooledSession> Clone for PoolOnDemand<S> {
    fn clone(&self) -> Self {
        PoolOnDemand(self.0.clone())
    }
}

impl<S: PooledSession> Default for PoolOnDemand<S> {
    fn default() -> Self {
        PoolOnDemand(Rc::default())
    }
}

impl<S: PooledSession<Factory = Endpoints>> PoolOnDemand<S> {
    /// The pool, made for `driver` by the first call.
    pub fn get(&self, driver: &Driver) -> Result<Pool<S>> {
        if let Some(pool) = self.0.borrow().as_ref() {
            return Ok(pool.clone());
        }
        let pool = Pool::for_driver(driver, None)?;
        *self.0.borrow_mut() = Some(pool.clone());
        Ok(pool)
    }
}

impl<S: PooledSession> Pool<S> {
    /// [`Pool::stop`], then with `wait_ms` a [`Pool::drain`] of that long.
    pub async fn stop_and_drain(&self, wait_ms: Option<u32>) {
        self.stop().await;
        if let Some(ms) = wait_ms {
            self.drain(ms, crate::clock::sleep_ms).await;
        }
    }

    /// Pings, in the background, the sessions idle for `idle_ms` (default [`DEFAULT_KEEP_ALIVE_MS`]; 0:
    /// never) until the pool or `shutdown` stops. Its timer does not keep a Node.js or Deno process
    /// alive. Request-bound runtimes (Workers) cannot run it between requests; there a session the
    /// server expired fails its next call with BAD_SESSION, and the retry loop replaces it.
    pub fn keep_alive_in_background(&self, idle_ms: Option<f64>, shutdown: &Shutdown) {
        let idle_ms = idle_ms.unwrap_or(DEFAULT_KEEP_ALIVE_MS);
        if idle_ms > 0.0 && !runtime::request_bound_io() {
            runtime::spawn(Box::pin(keep_alive_loop(self.clone(), shutdown.clone(), idle_ms, runtime::sleep_unref)));
        }
    }

    /// Pings every session idle for `idle_ms` or longer; returns how many the server no longer knew
    /// (they are discarded). While a session is being pinged it is neither idle nor free: `acquire`
    /// does not hand it out.
    pub async fn keep_alive_idle(&self, idle_ms: f64) -> usize {
        let now = (self.now)();
        let stale: Vec<S> = {
            let mut st = self.state.borrow_mut();
            if st.stopped {
                return 0;
            }
            // The idle list is in release order: the stale ones are a prefix.
            let n = st.idle.iter().take_while(|i| now - i.since >= idle_ms).count();
            st.idle.drain(..n).map(|i| i.session).collect()
        };
        // One at a time: this runs in the background, and a pool has few stale sessions at once.
        let mut gone = 0;
        for session in stale {
            let outcome = match session.keep_alive() {
                Some(ping) => ping.await,
                None => Ok(()),
            };
            match outcome {
                Ok(()) if session.is_alive() => self.release(session),
                _ => {
                    gone += 1;
                    self.discard(session);
                }
            }
        }
        gone
    }
}

/// Every quarter of `idle_ms` (at least 10 ms) on `sleep`, pings the sessions idle for `idle_ms` or
/// longer, until the pool or the driver stops.
async fn keep_alive_loop<S: PooledSession, F: Future<Output = ()>>(
    pool: Pool<S>,
    shutdown: Shutdown,
    idle_ms: f64,
    sleep: impl Fn(f64) -> F,
) {
    let period = (idle_ms / 4.0).max(10.0);
    while shutdown.sleep(period, &sleep).await.is_ok() && !pool.is_stopped() {
        pool.keep_alive_idle(idle_ms).await;
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::pool::tests::{Counter, FakeSession};
    use futures_executor::block_on;
    use std::cell::Cell;

    /// A driver whose endpoint is never called.
    fn driver() -> Result<Driver> {
        let none = Rc::new(crate::auth::AnonymousCredentials);
        let fetch = crate::transport::fetch::FetchSettings::default();
        Driver::new("http://127.0.0.1:1", "/local", none, Default::default(), None, None, fetch)
    }

    #[test]
    fn a_driver_pool_has_the_default_size_stops_with_its_driver_and_none_is_made_after() {
        let driver = driver().expect("driver");
        let pool = Pool::<Rc<crate::query::QuerySession>>::for_driver(&driver, None).expect("pool");
        assert_eq!(pool.status().max_size, DEFAULT_POOL_SIZE);
        block_on(driver.stop(Some(0)));
        assert!(pool.status().stopped, "stopped with the driver");
        let again = Pool::<Rc<crate::query::QuerySession>>::for_driver(&driver, Some(1));
        assert_eq!(again.err().map(|e| e.status()), Some(crate::Status::Cancelled));
    }

    #[test]
    fn a_pool_on_demand_is_made_once_by_the_first_call() {
        let driver = driver().expect("driver");
        let on_demand = PoolOnDemand::<Rc<crate::query::QuerySession>>::default();
        assert!(on_demand.0.borrow().is_none(), "nothing before the first call");
        let (first, second) = (on_demand.get(&driver).expect("first"), on_demand.clone().get(&driver).expect("again"));
        assert!(Rc::ptr_eq(&first.state, &second.state), "one pool, shared by clones");
    }

    #[test]
    fn the_keep_alive_loop_pings_each_period_until_the_pool_stops() {
        let pool = Pool::<FakeSession>::new(Counter::default(), 1);
        let rounds = Rc::new(Cell::new(0));
        let sleep = {
            let (pool, rounds) = (pool.clone(), rounds.clone());
            move |ms: f64| {
                assert_eq!(ms, 250.0, "a quarter of the idle time");
                rounds.set(rounds.get() + 1);
                if rounds.get() == 3 {
                    futures_util::FutureExt::now_or_never(pool.stop());
                }
                async {}
            }
        };
        block_on(keep_alive_loop(pool, Shutdown::default(), 1000.0, sleep));
        assert_eq!(rounds.get(), 3, "two rounds ran; the third sleep saw the stop");
    }

    #[test]
    fn the_keep_alive_loop_ends_when_the_driver_stops() {
        let shutdown = Shutdown::default();
        shutdown.trigger();
        let slept = Cell::new(false);
        let sleep = |_| {
            slept.set(true);
            async {}
        };
        block_on(keep_alive_loop(Pool::<FakeSession>::new(Counter::default(), 1), shutdown, 1.0, sleep));
        assert!(!slept.get());
    }
}
