//! Retrying an operation on pooled sessions: what both pools' `retryOperation` and the query pool's
//! `executeWithRetries` are, with only the operation supplied by the caller.
//!
//! Each attempt checks a session out of the pool, runs the operation on it, and gives the session back —
//! or discards it when the error killed it (the classification says which). Between attempts the loop
//! waits the backoff that [`crate::retry`] computes on the runtime's timer, cut short with CANCELLED when
//! the driver stops or the caller cancels. Waiting for a session is bounded by the settings'
//! `max_session_acquire_timeout_ms` and ended by the same cancellation.

use crate::clock::{sleep_for, sleep_ms};
use crate::driver::Shutdown;
use crate::error::Error;
use crate::observe::trace::Traced;
use crate::observe::CallTrace;
use crate::pool::{Checkout, Pool, PooledSession};
use crate::retry::{retry_traced, Classify, RetrySettings};
use futures_util::future::{self, Either, LocalBoxFuture};
use std::future::Future;

/// How a caller cancels a whole loop (in JS, the settings' `AbortSignal`).
pub trait Cancellation {
    /// CANCELLED once cancelled.
    fn check(&self) -> Result<(), Error>;
    /// Resolves when cancelled; `None` when nothing can cancel.
    fn cancelled(&self) -> Option<LocalBoxFuture<'static, ()>>;
}

/// A loop nobody cancels (its driver's stop still ends it).
pub struct NotCancellable;

impl Cancellation for NotCancellable {
    fn check(&self) -> Result<(), Error> {
        Ok(())
    }
    fn cancelled(&self) -> Option<LocalBoxFuture<'static, ()>> {
        None
    }
}

/// Runs `operation` on a session of `pool` until it succeeds, fails in a way that must not be retried, or
/// runs out of retries; each attempt is a `ydb.Try` span of `trace` (see [`crate::observe::trace`]).
///
/// ```ignore
/// let trace = CallTrace::default();
/// let sets = retry_with_session(&pool, &settings, &shutdown, &NotCancellable, &trace, random, |checkout| async move {
///     let session = checkout.get()?;
///     collect(session.execute(text, params, &TxControl::None, &call).await?).await
/// })
/// .await?;
/// ```
pub async fn retry_with_session<S, T, E, Op, Fut>(
    pool: &Pool<S>,
    settings: &RetrySettings,
    shutdown: &Shutdown,
    cancellation: &dyn Cancellation,
    trace: &CallTrace,
    random: impl FnMut() -> f64,
    operation: Op,
) -> Result<T, E>
where
    S: PooledSession + Clone,
    E: Classify + From<Error> + 'static,
    Op: Fn(Checkout<S>) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let operation = &operation;
    let attempt = |_, span: Traced| async move {
        cancellation.check()?;
        // While the attempt holds its session, the calls the operation makes on it join the attempt's span.
        let traceparent = span.traceparent();
        let traced = |checkout: Checkout<S>| {
            let lent = traceparent.as_ref().and_then(|t| checkout.get().ok().map(|s| TraceLent::new(s, t.clone())));
            let running = operation(checkout);
            async move {
                let outcome = running.await;
                drop(lent);
                outcome
            }
        };
        attempt_with_session(pool, settings, cancellation, traced).await
    };
    retry_traced(settings, trace, attempt, |ms| backoff_sleep(shutdown, cancellation, ms), random).await
}

/// A session carrying an attempt's trace context, which it gives back when this is dropped (at the end of
/// the attempt, or when the attempt is abandoned).
struct TraceLent<S: PooledSession>(S);

impl<S: PooledSession> TraceLent<S> {
    fn new(session: S, traceparent: std::rc::Rc<str>) -> Self {
        session.set_traceparent(Some(traceparent));
        TraceLent(session)
    }
}

impl<S: PooledSession> Drop for TraceLent<S> {
    fn drop(&mut self) {
        self.0.set_traceparent(None);
    }
}

/// One attempt of such a loop: checks a session out (waiting at most the settings'
/// `max_session_acquire_timeout_ms`), runs `operation` on it, and gives it back — or discards it when the
/// error killed it.
pub async fn attempt_with_session<S: PooledSession + Clone, T, E: Classify + From<Error>, Fut>(
    pool: &Pool<S>,
    settings: &RetrySettings,
    cancellation: &dyn Cancellation,
    operation: impl FnOnce(Checkout<S>) -> Fut,
) -> Result<T, E>
where
    Fut: Future<Output = Result<T, E>>,
{
    let session = pool.acquire(settings.max_session_acquire_timeout_ms, sleep_ms, cancellation.cancelled()).await?;
    let checkout = Checkout::pooled(pool, session);
    let outcome = operation(checkout.clone()).await;
    if matches!(&outcome, Err(e) if e.retry_policy().is_some_and(|p| p.discards_session)) {
        checkout.discard();
    } else {
        checkout.release();
    }
    outcome
}

/// The wait between attempts: `ms` on the runtime's timer, failing with CANCELLED as soon as the driver
/// stops or the caller cancels.
pub async fn backoff_sleep<E: From<Error>>(
    shutdown: &Shutdown,
    cancellation: &dyn Cancellation,
    ms: f64,
) -> Result<(), E> {
    cancellation.check()?;
    let sleeping = shutdown.sleep(ms, sleep_for);
    let result = match cancellation.cancelled() {
        None => sleeping.await,
        Some(cancelled) => match future::select(Box::pin(sleeping), cancelled).await {
            Either::Left((r, _)) => r,
            Either::Right(_) => Err(Error::cancelled("the operation was cancelled (its signal aborted)")),
        },
    };
    result.map_err(E::from)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::error::Status;
    use futures_executor::block_on;
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;

    /// Sessions numbered in creation order; a closed one is recorded.
    #[derive(Clone)]
    struct Numbered {
        number: u32,
        alive: Rc<Cell<bool>>,
        closed: Rc<RefCell<Vec<u32>>>,
        traced: Rc<RefCell<Option<Rc<str>>>>,
    }

    #[derive(Clone, Default)]
    struct Factory {
        created: Rc<Cell<u32>>,
        closed: Rc<RefCell<Vec<u32>>>,
    }

    impl PooledSession for Numbered {
        type Factory = Factory;
        fn create(f: &Factory) -> LocalBoxFuture<'static, crate::error::Result<Self>> {
            f.created.set(f.created.get() + 1);
            let s = Numbered {
                number: f.created.get(),
                alive: Rc::new(Cell::new(true)),
                closed: f.closed.clone(),
                traced: Rc::default(),
            };
            Box::pin(async move { Ok(s) })
        }
        fn is_alive(&self) -> bool {
            self.alive.get()
        }
        fn close(self) -> LocalBoxFuture<'static, ()> {
            self.closed.borrow_mut().push(self.number);
            Box::pin(async {})
        }
        fn set_traceparent(&self, traceparent: Option<Rc<str>>) {
            *self.traced.borrow_mut() = traceparent;
        }
    }

    fn error(status: Status) -> Error {
        Error::new(crate::ErrorKind::Ydb, status, "injected")
    }

    /// Runs the loop with `outcomes` as the attempts' results in turn; returns (result, sessions used).
    fn run(pool: &Pool<Numbered>, outcomes: Vec<Result<u32, Error>>) -> (Result<u32, Error>, Vec<u32>) {
        let outcomes = RefCell::new(outcomes.into_iter());
        let used = RefCell::new(Vec::new());
        let result = block_on(retry_with_session(
            pool,
            &RetrySettings::default(),
            &Shutdown::default(),
            &NotCancellable,
            &CallTrace::default(),
            || 0.5,
            |checkout| {
                let next = outcomes.borrow_mut().next().unwrap_or(Ok(0));
                let number = checkout.get().map(|s| s.number);
                used.borrow_mut().extend(number.as_ref().ok().copied());
                async move { next }
            },
        ));
        (result, used.into_inner())
    }

    #[test]
    fn a_session_the_error_killed_is_discarded_and_the_retry_runs_on_another() {
        let factory = Factory::default();
        let pool = Pool::<Numbered>::new(factory.clone(), 2);
        let (result, used) = run(&pool, vec![Err(error(Status::BadSession)), Ok(7)]);
        assert_eq!(result.ok(), Some(7));
        assert_eq!(used, vec![1, 2]);
        assert_eq!(*factory.closed.borrow(), vec![1], "the killed session was closed");
        assert_eq!((pool.total(), pool.idle()), (1, 1), "the good one is back in the pool");
    }

    #[test]
    fn a_session_an_error_left_alive_goes_back_and_is_reused() {
        let factory = Factory::default();
        let pool = Pool::<Numbered>::new(factory.clone(), 2);
        let (result, used) = run(&pool, vec![Err(error(Status::Overloaded)), Err(error(Status::Aborted)), Ok(1)]);
        assert_eq!(result.ok(), Some(1));
        assert_eq!(used, vec![1, 1, 1]);
        assert!(factory.closed.borrow().is_empty());
    }

    #[test]
    fn an_error_that_must_not_be_retried_ends_the_loop_with_the_session_back() {
        let pool = Pool::<Numbered>::new(Factory::default(), 1);
        let (result, used) = run(&pool, vec![Err(error(Status::SchemeError)), Ok(1)]);
        assert_eq!(result.err().map(|e| e.status), Some(Status::SchemeError));
        assert_eq!(used, vec![1]);
        assert_eq!(pool.idle(), 1);
    }

    #[test]
    fn a_cancelled_loop_runs_no_attempt() {
        struct Cancelled;
        impl Cancellation for Cancelled {
            fn check(&self) -> Result<(), Error> {
                Err(Error::cancelled("cancelled"))
            }
            fn cancelled(&self) -> Option<LocalBoxFuture<'static, ()>> {
                Some(Box::pin(async {}))
            }
        }
        let pool = Pool::<Numbered>::new(Factory::default(), 1);
        let ran = Cell::new(false);
        let result: Result<(), Error> = block_on(retry_with_session(
            &pool,
            &RetrySettings::default(),
            &Shutdown::default(),
            &Cancelled,
            &CallTrace::default(),
            || 0.5,
            |_| {
                ran.set(true);
                async { Ok(()) }
            },
        ));
        assert_eq!(result.err().map(|e| e.status), Some(Status::Cancelled));
        assert!(!ran.get());
        assert_eq!(pool.total(), 0);
    }

    #[test]
    fn a_stopped_driver_ends_the_backoff_with_cancelled() {
        let pool = Pool::<Numbered>::new(Factory::default(), 1);
        let shutdown = Shutdown::default();
        shutdown.trigger();
        let result: Result<(), Error> = block_on(retry_with_session(
            &pool,
            &RetrySettings::default(),
            &shutdown,
            &NotCancellable,
            &CallTrace::default(),
            || 0.5,
            |_| async { Err(error(Status::Overloaded)) },
        ));
        assert_eq!(result.err().map(|e| e.status), Some(Status::Cancelled));
    }

    #[test]
    fn a_traced_attempt_lends_its_trace_context_to_its_session_and_takes_it_back() {
        use crate::observe::trace::testing::Spans;
        use crate::observe::Observer;
        let spans = Rc::new(Spans::default());
        let trace = CallTrace::start(&Observer::new(None, Some(spans), false), "http://h:1", "/local", None);
        let pool = Pool::<Numbered>::new(Factory::default(), 1);
        let seen = RefCell::new(Vec::new());
        let kept = RefCell::new(None);
        let result: Result<(), Error> = block_on(retry_with_session(
            &pool,
            &RetrySettings::default(),
            &Shutdown::default(),
            &NotCancellable,
            &trace,
            || 0.5,
            |checkout| {
                let session = checkout.get().expect("a session");
                seen.borrow_mut().push(session.traced.borrow().clone());
                *kept.borrow_mut() = Some(session);
                let fail = seen.borrow().len() == 1;
                async move {
                    if fail {
                        Err(error(Status::Aborted))
                    } else {
                        Ok(())
                    }
                }
            },
        ));
        assert!(result.is_ok());
        let seen = seen.into_inner();
        assert_eq!(seen.len(), 2);
        assert!(seen.iter().all(Option::is_some), "each attempt's calls carry a traceparent: {seen:?}");
        assert_ne!(seen[0], seen[1], "each attempt its own");
        let session = kept.into_inner().expect("kept");
        assert_eq!(*session.traced.borrow(), None, "back in the pool without it");
    }
}
