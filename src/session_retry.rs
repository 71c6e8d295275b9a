//! Retrying an operation on pooled sessions: what both pools' `retryOperation` and the query pool's
//! `executeWithRetries` are, with only the operation supplied by the caller.
//!
//! Each attempt checks a session out of the pool, runs the operation on it, and gives the session back —
//! or discards it when the error killed it (the classification says which). Between attempts the loop
//! waits the backoff that [`crate::retry`] computes on the runtime's timer, cut short with CANCELLED when
//! the driver stops or the caller cancels. Waiting for a session is bounded by the settings'
//! `max_session_acquire_timeout_ms` and ended by the same cancellation.
//!
//! The operation may fail with an error that is not ours: in JS, whatever the callback threw. An
//! [`AttemptError`] carries it through the loop untouched, retried as ours when it says which error of
//! ours it is (a `YdbError` carries its kind and status code) and never otherwise.

use crate::cancel::Cancel;
use crate::clock::sleep_for;
use crate::driver::Shutdown;
use crate::error::{policy_for, Error, ErrorKind, RetryPolicy, Status};
use crate::observe::trace::{AttemptTrace, Traced};
use crate::observe::CallTrace;
use crate::pool::{Checkout, Pool, PooledSession};
use crate::retry::{retry_traced, Classify, RetrySettings};
use futures_util::future::{self, Either};
use std::future::Future;

/// An error an attempt ended with: ours, or one the caller's own code raised.
#[derive(Debug)]
pub enum AttemptError<T: ForeignError> {
    Ours(Error),
    Foreign {
        error: T,
        /// Which error of ours it says it is, if any.
        as_ours: Option<(ErrorKind, Status)>,
    },
}

/// What the loop needs of an error the caller's code raised: a description for a failed span, and a
/// place to record how many attempts were made when it is a database error the loop gave up on.
pub trait ForeignError {
    fn describe(&self) -> String;
    /// Records `attempts` (called only for a foreign error that names an error of ours).
    fn set_attempts(&mut self, attempts: u32);
}

/// Test and doc errors: a plain string.
impl ForeignError for &'static str {
    fn describe(&self) -> String {
        (*self).to_string()
    }
    fn set_attempts(&mut self, _attempts: u32) {}
}

impl<T: ForeignError> AttemptError<T> {
    /// A foreign error that may name the kind (`"ydb"`, `"client"`, `"transport"`: the kinds whose
    /// failures can be retried) and the YDB status code of an error of ours.
    pub fn foreign(error: T, kind: Option<&str>, code: Option<f64>) -> Self {
        let kind = kind.and_then(ErrorKind::from_name);
        let as_ours = match (kind, code) {
            (Some(k @ (ErrorKind::Ydb | ErrorKind::Client | ErrorKind::Transport)), Some(code)) => {
                Some((k, Status::from_code(code as i32)))
            }
            _ => None,
        };
        AttemptError::Foreign { error, as_ours }
    }

    fn as_ours(&self) -> Option<(ErrorKind, Status)> {
        match self {
            AttemptError::Ours(e) => Some((e.kind, e.status)),
            AttemptError::Foreign { as_ours, .. } => *as_ours,
        }
    }
}

impl<T: ForeignError> From<Error> for AttemptError<T> {
    fn from(e: Error) -> Self {
        AttemptError::Ours(e)
    }
}

impl<T: ForeignError> Classify for AttemptError<T> {
    fn retry_policy(&self) -> Option<RetryPolicy> {
        self.as_ours().map(|(kind, status)| policy_for(kind, status))
    }
    fn is_not_found(&self) -> bool {
        matches!(self.as_ours(), Some((_, Status::NotFound)))
    }
    fn status_name(&self) -> Option<&'static str> {
        self.as_ours().map(|(_, s)| s.name())
    }
    fn describe(&self) -> String {
        match self {
            AttemptError::Ours(e) => e.message().to_string(),
            AttemptError::Foreign { error, .. } => error.describe(),
        }
    }
    /// Ours records it; a database error the caller's code threw records it in its own way.
    fn set_attempts(&mut self, attempts: u32) {
        match self {
            AttemptError::Ours(e) => e.set_attempts(attempts),
            AttemptError::Foreign { error, as_ours: Some(_) } => error.set_attempts(attempts),
            AttemptError::Foreign { as_ours: None, .. } => {}
        }
    }
}

/// Runs `operation` on a session of `pool` until it succeeds, fails in a way that must not be retried, or
/// runs out of retries; each attempt is a `ydb.Try` span of `trace` (see [`crate::observe::trace`]).
///
/// ```
/// # use futures_util::future::LocalBoxFuture;
/// # use ydb_wasm::pool::{Pool, PooledSession};
/// # #[derive(Clone)]
/// # struct Session;
/// # impl PooledSession for Session {
/// #     type Factory = ();
/// #     fn create(_: &()) -> LocalBoxFuture<'static, ydb_wasm::Result<Self>> { Box::pin(async { Ok(Session) }) }
/// #     fn is_alive(&self) -> bool { true }
/// #     fn close(self) -> LocalBoxFuture<'static, ()> { Box::pin(async {}) }
/// # }
/// use ydb_wasm::{driver::Shutdown, retry::RetrySettings, session_retry::retry_with_session};
/// let pool = Pool::<Session>::new((), 10);
/// # futures_executor::block_on(async {
/// use ydb_wasm::observe::CallTrace;
/// let answer = retry_with_session(&pool, &RetrySettings::default(), &Shutdown::default(), None, &CallTrace::default(), || 0.5, |checkout| async move {
///     let _session = checkout.get()?;
///     Ok::<_, ydb_wasm::Error>(42)
/// })
/// .await?;
/// assert_eq!((answer, pool.status().idle), (42, 1), "the session went back to the pool");
/// # Ok::<(), ydb_wasm::Error>(())
/// # }).unwrap();
/// ```
pub async fn retry_with_session<S, T, E, Op, Fut>(
    pool: &Pool<S>,
    settings: &RetrySettings,
    shutdown: &Shutdown,
    cancel: Option<&Cancel>,
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
        crate::cancel::check(cancel)?;
        // While the attempt holds its session, the calls the operation makes on it are spans under it.
        let attempt_trace = trace.lend(&span);
        let traced = |checkout: Checkout<S>| {
            let lent = attempt_trace.as_ref().and_then(|t| checkout.get().ok().map(|s| TraceLent::new(s, t.clone())));
            let running = operation(checkout);
            async move {
                let outcome = running.await;
                drop(lent);
                outcome
            }
        };
        attempt_with_session(pool, settings, cancel, traced).await
    };
    retry_traced(settings, trace, attempt, |ms| backoff_sleep(shutdown, cancel, ms), random).await
}

/// A session working for a traced attempt, which it stops doing when this is dropped (at the end of the
/// attempt, or when the attempt is abandoned).
struct TraceLent<S: PooledSession>(S);

impl<S: PooledSession> TraceLent<S> {
    fn new(session: S, attempt: AttemptTrace) -> Self {
        session.set_trace(Some(attempt));
        TraceLent(session)
    }
}

impl<S: PooledSession> Drop for TraceLent<S> {
    fn drop(&mut self) {
        self.0.set_trace(None);
    }
}

/// One attempt of such a loop: checks a session out (waiting at most the settings'
/// `max_session_acquire_timeout_ms`), runs `operation` on it, and gives it back — or discards it when the
/// error killed it.
pub async fn attempt_with_session<S: PooledSession + Clone, T, E: Classify + From<Error>, Fut>(
    pool: &Pool<S>,
    settings: &RetrySettings,
    cancel: Option<&Cancel>,
    operation: impl FnOnce(Checkout<S>) -> Fut,
) -> Result<T, E>
where
    Fut: Future<Output = Result<T, E>>,
{
    let checkout = pool.checkout(settings.max_session_acquire_timeout_ms, cancel).await?;
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
pub async fn backoff_sleep<E: From<Error>>(shutdown: &Shutdown, cancel: Option<&Cancel>, ms: f64) -> Result<(), E> {
    crate::cancel::check(cancel)?;
    let sleeping = shutdown.sleep(ms, sleep_for);
    let result = match cancel {
        None => sleeping.await,
        Some(cancel) => match future::select(Box::pin(sleeping), cancel.fired()).await {
            Either::Left((r, _)) => r,
            Either::Right(_) => Err(crate::cancel::cancelled()),
        },
    };
    result.map_err(E::from)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::error::Status;
    use futures_executor::block_on;
    use futures_util::future::LocalBoxFuture;
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;

    /// Sessions numbered in creation order; a closed one is recorded.
    #[derive(Clone)]
    struct Numbered {
        number: u32,
        alive: Rc<Cell<bool>>,
        closed: Rc<RefCell<Vec<u32>>>,
        trace: Rc<crate::observe::trace::SessionTrace>,
        observer: crate::observe::Observer,
    }

    #[derive(Clone, Default)]
    struct Factory {
        created: Rc<Cell<u32>>,
        closed: Rc<RefCell<Vec<u32>>>,
        observer: crate::observe::Observer,
    }

    impl PooledSession for Numbered {
        type Factory = Factory;
        fn create(f: &Factory) -> LocalBoxFuture<'static, crate::error::Result<Self>> {
            f.created.set(f.created.get() + 1);
            let s = Numbered {
                number: f.created.get(),
                alive: Rc::new(Cell::new(true)),
                closed: f.closed.clone(),
                trace: Rc::default(),
                observer: f.observer.clone(),
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
        fn set_trace(&self, attempt: Option<AttemptTrace>) {
            self.trace.set(attempt);
        }
        fn trace_by_hand(&self) {
            self.trace.set(AttemptTrace::held_by_hand(&self.observer, "http://h:1", "/local"));
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
            None,
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
        assert_eq!((pool.status().total(), pool.status().idle), (1, 1), "the good one is back in the pool");
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
        assert_eq!(pool.status().idle, 1);
    }

    #[test]
    fn a_cancelled_loop_runs_no_attempt() {
        let token = crate::cancel::CancelToken::default();
        token.cancel();
        let pool = Pool::<Numbered>::new(Factory::default(), 1);
        let ran = Cell::new(false);
        let result: Result<(), Error> = block_on(retry_with_session(
            &pool,
            &RetrySettings::default(),
            &Shutdown::default(),
            Some(&Cancel::from(token)),
            &CallTrace::default(),
            || 0.5,
            |_| {
                ran.set(true);
                async { Ok(()) }
            },
        ));
        assert_eq!(result.err().map(|e| e.status), Some(Status::Cancelled));
        assert!(!ran.get());
        assert_eq!(pool.status().total(), 0);
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
            None,
            &CallTrace::default(),
            || 0.5,
            |_| async { Err(error(Status::Overloaded)) },
        ));
        assert_eq!(result.err().map(|e| e.status), Some(Status::Cancelled));
    }

    #[test]
    fn a_foreign_error_is_retried_only_as_the_error_of_ours_it_names() {
        let pool = Pool::<Numbered>::new(Factory::default(), 1);
        let attempts = Cell::new(0);
        let thrown = |kind: Option<&str>, code: Option<f64>| {
            attempts.set(0);
            block_on(retry_with_session(
                &pool,
                &RetrySettings::default(),
                &Shutdown::default(),
                None,
                &CallTrace::default(),
                || 0.5,
                |_| {
                    attempts.set(attempts.get() + 1);
                    let first = attempts.get() == 1;
                    async move {
                        match first {
                            true => Err(AttemptError::foreign("thrown", kind, code)),
                            false => Ok(()),
                        }
                    }
                },
            ))
        };
        let overloaded = Some(f64::from(Status::Overloaded.code()));
        assert!(thrown(Some("ydb"), overloaded).is_ok(), "a YdbError saying OVERLOADED is retried");
        assert_eq!(attempts.get(), 2);
        for (kind, code) in
            [(None, overloaded), (Some("ydb"), None), (Some("argument"), overloaded), (Some("?"), overloaded)]
        {
            let e = thrown(kind, code);
            assert!(matches!(e, Err(AttemptError::Foreign { error: "thrown", .. })), "{kind:?} {code:?}: {e:?}");
            assert_eq!(attempts.get(), 1, "{kind:?} {code:?}: not retried, given back as thrown");
        }
        let bad_session = Some(f64::from(Status::BadSession.code()));
        let e: AttemptError<&str> = AttemptError::foreign("thrown", Some("ydb"), bad_session);
        assert!(e.retry_policy().is_some_and(|p| p.discards_session), "its session is discarded as ours would be");
    }

    #[test]
    fn the_calls_on_a_traced_attempts_session_are_client_spans_under_that_attempt() {
        use crate::observe::trace::testing::Spans;
        use crate::observe::trace::SpanKind;
        use crate::observe::Observer;
        let spans = Rc::new(Spans::default());
        let trace = CallTrace::start(&Observer::new(None, Some(spans.clone()), false), "http://h:1", "/local", None);
        let pool = Pool::<Numbered>::new(Factory::default(), 1);
        let kept = RefCell::new(None);
        let result: Result<(), Error> = block_on(retry_with_session(
            &pool,
            &RetrySettings::default(),
            &Shutdown::default(),
            None,
            &trace,
            || 0.5,
            |checkout| {
                let session = checkout.get().expect("a session");
                let request = session.trace.request("/Ydb.Query.V1.QueryService/ExecuteQuery", None);
                assert!(request.traceparent().is_some(), "the request sends its span's context");
                *kept.borrow_mut() = Some(session);
                let fail = spans.spans.borrow().iter().filter(|s| s.name == "ydb.Try").count() == 1;
                async move {
                    drop(request);
                    if fail {
                        Err(error(Status::Aborted))
                    } else {
                        Ok(())
                    }
                }
            },
        ));
        assert!(result.is_ok());
        let recorded = spans.spans.borrow().clone();
        let tries: Vec<usize> = (0..recorded.len()).filter(|&i| recorded[i].name == "ydb.Try").collect();
        let requests: Vec<_> = recorded.iter().filter(|s| s.name == "ydb.ExecuteQuery").collect();
        assert_eq!((tries.len(), requests.len()), (2, 2), "{recorded:?}");
        for (request, attempt) in requests.iter().zip(&tries) {
            assert_eq!((request.kind, request.parent), (Some(SpanKind::Client), Some(*attempt)), "{recorded:?}");
            assert!(request.ended);
        }
        let session = kept.into_inner().expect("kept");
        assert!(!session.trace.request("/S/Op", None).is_recording(), "back in the pool, no attempt's spans");
    }

    #[test]
    fn a_session_held_by_hand_traces_its_calls_under_the_callers_span_until_it_goes_back() {
        use crate::observe::trace::testing::Spans;
        use crate::observe::trace::SpanKind;
        use crate::observe::Observer;
        let spans = Rc::new(Spans::default());
        let observer = Observer::new(None, Some(spans.clone()), false);
        let pool = Pool::<Numbered>::new(Factory { observer, ..Factory::default() }, 1);
        let checkout = block_on(pool.checkout_by_hand(None, None)).expect("a session");
        let session = checkout.get().expect("checked out");
        let request = session.trace.request("/Ydb.Query.V1.QueryService/ExecuteQuery", None);
        assert!(request.traceparent().is_some(), "the request sends its span's context");
        drop(request);
        let recorded = spans.spans.borrow().clone();
        assert_eq!(recorded.len(), 1, "{recorded:?}");
        let span = &recorded[0];
        assert_eq!((span.name.as_str(), span.kind, span.parent), ("ydb.ExecuteQuery", Some(SpanKind::Client), None));
        assert!(span.ended);
        assert_eq!(spans.attribute(0, "db.namespace").as_deref(), Some("/local"));

        checkout.release();
        assert!(!session.trace.request("/S/KeepAlive", None).is_recording(), "idle: its keep-alive is nobody's");
        let by_a_retry_loop = block_on(pool.checkout(None, None)).expect("the same session");
        let session = by_a_retry_loop.get().expect("checked out");
        assert!(!session.trace.request("/S/Op", None).is_recording(), "a retry loop lends its attempt instead");
        assert_eq!(spans.spans.borrow().len(), 1);
    }
}
