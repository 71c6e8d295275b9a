//! Retries: `RetrySettings`, `BackoffSettings`, the backoff arithmetic and the retry loop.
//!
//! The numbers are the official Python SDK's (`ydb/retries.py`): fast backoff (5 ms slots, ceiling
//! 10) for quick-recovery statuses, slow backoff (1 s slots, ceiling 6) for overload and transport
//! failures, immediate retry for BAD_SESSION, at most 10 retries. Which error gets which
//! treatment is `error::policy_for`'s decision. The backoff is a pure function of the attempt and a
//! random number, and the loop takes its timer and random source as arguments, so all of it is
//! tested without time passing.

use crate::error::{Backoff, RetryPolicy};
use crate::observe::trace::{CallTrace, Traced};
use crate::observe::Level;
use std::any::Any;
use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::rc::Rc;

/// How long to wait before retry number `n`: `2^min(n, ceiling)` slots, of which the last
/// `uncertain_ratio` share is random (jitter, so that a fleet of clients does not retry in step).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BackoffSettings {
    pub ceiling: u32,
    pub slot_duration_ms: f64,
    pub uncertain_ratio: f64,
}

impl BackoffSettings {
    pub const FAST: BackoffSettings = BackoffSettings { ceiling: 10, slot_duration_ms: 5.0, uncertain_ratio: 0.5 };
    pub const SLOW: BackoffSettings = BackoffSettings { ceiling: 6, slot_duration_ms: 1000.0, uncertain_ratio: 0.5 };

    /// The wait before retry `attempt` (0-based), given `random` in `[0, 1)`.
    pub fn delay_ms(&self, attempt: u32, random: f64) -> f64 {
        let slots = f64::from(1u32 << attempt.min(self.ceiling).min(30));
        let max = slots * self.slot_duration_ms;
        let ratio = self.uncertain_ratio.clamp(0.0, 1.0);
        max * (1.0 - ratio + ratio * random.clamp(0.0, 1.0))
    }
}

/// What a retry loop may do.
#[derive(Debug, Clone, PartialEq)]
pub struct RetrySettings {
    /// Retries after the first attempt (so at most `max_retries + 1` attempts).
    pub max_retries: u32,
    /// The operation may run twice without harm: errors whose outcome is unknown are retried too.
    pub idempotent: bool,
    /// Retry NOT_FOUND (a transaction or prepared query the server forgot) — on by default, as in
    /// the official SDKs; it is still retried only when `idempotent`.
    pub retry_not_found: bool,
    pub fast_backoff: BackoffSettings,
    pub slow_backoff: BackoffSettings,
    /// How long one attempt may wait for a session from the pool.
    pub max_session_acquire_timeout_ms: Option<u32>,
    /// A cap on retries shared by every call that uses it (see [`RetryBudget`]); `None`: no cap.
    pub budget: Option<RetryBudget>,
    /// Called before each backoff wait (see [`RetryHook`]).
    pub on_retry: Option<RetryHook>,
}

/// The caller's `onRetry(error, delayMs, attempt)`: called before each backoff wait with the error of the
/// attempt that failed (as `&dyn Any`: the loop's own error type, which the caller knows), the wait, and
/// that attempt's number (1 for the first). It cannot stop or change the loop.
#[derive(Clone)]
pub struct RetryHook(pub Rc<OnRetry>);

/// The function of a [`RetryHook`]: `(error, delay_ms, attempt)`.
pub type OnRetry = dyn Fn(&dyn Any, f64, u32);

impl fmt::Debug for RetryHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RetryHook")
    }
}

impl PartialEq for RetryHook {
    /// Two hooks are equal when they are the same function.
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl Default for RetrySettings {
    fn default() -> Self {
        RetrySettings {
            max_retries: 10,
            idempotent: false,
            retry_not_found: true,
            fast_backoff: BackoffSettings::FAST,
            slow_backoff: BackoffSettings::SLOW,
            max_session_acquire_timeout_ms: None,
            budget: None,
            on_retry: None,
        }
    }
}

/// A cap on retries as a share of calls, shared by every retry loop that holds a clone of it.
///
/// Each call (first attempt) deposits `ratio` tokens; each retry takes one token, or — when the
/// balance is short — one of `min_per_second` retries that are always allowed in each second. When
/// neither is left the loop gives up and returns the error it saw, so that a struggling cluster gets
/// at most `ratio` extra load from retries (plus a small floor), not up to `max_retries` times the
/// load. Deposits are capped at the share of 1,000 calls so that a quiet past does not buy a storm.
/// The idea is Finagle's `RetryBudget` and gRPC's retry throttling.
#[derive(Clone)]
pub struct RetryBudget {
    pub ratio: f64,
    pub min_per_second: u32,
    state: Rc<BudgetState>,
    clock: Rc<dyn Fn() -> f64>,
}

#[derive(Default)]
struct BudgetState {
    balance: Cell<f64>,
    second: Cell<i64>,
    used_this_second: Cell<u32>,
}

impl RetryBudget {
    /// `clock` gives the time in milliseconds (`Date.now` in JS; injected in tests).
    pub fn new(ratio: f64, min_per_second: u32, clock: Rc<dyn Fn() -> f64>) -> Self {
        let ratio = if ratio.is_finite() { ratio.clamp(0.0, 1000.0) } else { 0.0 };
        RetryBudget { ratio, min_per_second, state: Rc::default(), clock }
    }

    /// Records a call (its first attempt).
    pub fn deposit(&self) {
        let cap = self.ratio * 1000.0;
        let b = &self.state.balance;
        b.set((b.get() + self.ratio).min(cap));
    }

    /// Takes the allowance for one retry; `false` when the budget is spent.
    pub fn try_withdraw(&self) -> bool {
        let s = &self.state;
        let second = ((self.clock)() / 1000.0).floor() as i64;
        if s.second.get() != second {
            s.second.set(second);
            s.used_this_second.set(0);
        }
        if s.used_this_second.get() < self.min_per_second {
            s.used_this_second.set(s.used_this_second.get() + 1);
            return true;
        }
        if s.balance.get() >= 1.0 {
            s.balance.set(s.balance.get() - 1.0);
            return true;
        }
        false
    }
}

impl fmt::Debug for RetryBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryBudget")
            .field("ratio", &self.ratio)
            .field("min_per_second", &self.min_per_second)
            .field("balance", &self.state.balance.get())
            .finish()
    }
}

impl PartialEq for RetryBudget {
    /// Two budgets are equal when they are the same shared budget.
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.state, &other.state)
    }
}

/// Anything the loop can classify: our `Error`, or an error thrown by a JS callback.
pub trait Classify {
    /// `None`: not a database error at all (a bug in the callback, say) — never retried.
    fn retry_policy(&self) -> Option<RetryPolicy>;
    /// True for NOT_FOUND, which `retry_not_found` may switch off.
    fn is_not_found(&self) -> bool {
        false
    }
    /// The YDB status name, for logs and spans; `None` for an error that is not a database error.
    fn status_name(&self) -> Option<&'static str> {
        None
    }
    /// What went wrong, for a failed span (asked for only while tracing).
    fn describe(&self) -> String {
        String::new()
    }
    /// Records that the loop gave up with this error after `attempts` attempts.
    fn set_attempts(&mut self, _attempts: u32) {}
}

impl Classify for crate::error::Error {
    fn retry_policy(&self) -> Option<RetryPolicy> {
        Some(self.policy())
    }
    fn is_not_found(&self) -> bool {
        self.status == crate::error::Status::NotFound
    }
    fn status_name(&self) -> Option<&'static str> {
        Some(self.status.name())
    }
    fn describe(&self) -> String {
        self.message.clone()
    }
    fn set_attempts(&mut self, attempts: u32) {
        self.set_attempts(attempts);
    }
}

impl RetrySettings {
    /// The wait before retry `attempt`, or `None` when the error must not be retried (any more).
    pub fn next_delay_ms<E: Classify + ?Sized>(&self, error: &E, attempt: u32, random: f64) -> Option<f64> {
        if attempt >= self.max_retries {
            return None;
        }
        let policy = error.retry_policy()?;
        let backoff = policy.backoff?;
        if policy.idempotent_only && !self.idempotent {
            return None;
        }
        if error.is_not_found() && !self.retry_not_found {
            return None;
        }
        Some(match backoff {
            Backoff::Immediate => 0.0,
            Backoff::Fast => self.fast_backoff.delay_ms(attempt, random),
            Backoff::Slow => self.slow_backoff.delay_ms(attempt, random),
        })
    }
}

/// Runs `operation` until it succeeds, fails for good, or runs out of retries (or of budget).
/// `operation` gets the attempt number (0 for the first); `sleep` waits the given milliseconds and
/// may fail instead (the driver stopped, the caller aborted), which ends the loop with its error;
/// `random` yields numbers in `[0, 1)` for the jitter.
///
/// ```
/// use ydb_wasm::retry::{retry, RetrySettings};
/// use ydb_wasm::{Error, Status};
/// # futures_executor::block_on(async {
/// let mut calls = 0;
/// let answer: Result<&str, Error> = retry(
///     &RetrySettings::default(),
///     |attempt| {
///         calls += 1;
///         async move {
///             // The first attempt meets an overloaded server; OVERLOADED is retried after the slow backoff.
///             if attempt == 0 { Err(ydb_wasm::error::test_error(Status::Overloaded)) } else { Ok("done") }
///         }
///     },
///     |_ms| async { Ok(()) }, // a test's timer: no waiting
///     || 0.5,
/// )
/// .await;
/// assert_eq!(answer.ok(), Some("done"));
/// assert_eq!(calls, 2);
/// # });
/// ```
pub async fn retry<T, E, Op, Fut, Sleep, SleepFut>(
    settings: &RetrySettings,
    mut operation: Op,
    sleep: Sleep,
    random: impl FnMut() -> f64,
) -> Result<T, E>
where
    E: Classify + 'static,
    Op: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, E>>,
    Sleep: Fn(f64) -> SleepFut,
    SleepFut: Future<Output = Result<(), E>>,
{
    retry_traced(settings, &CallTrace::default(), |attempt, _| operation(attempt), sleep, random).await
}

/// [`retry`] that reports to `trace`: a `ydb.Try` span per attempt (handed to `operation`, whose requests
/// become its children), a log event per retry, the call's outcome on its `ydb.RunWithRetry` span. Before
/// each wait it calls the settings' `on_retry`; the error it gives up with records how many attempts were made.
pub async fn retry_traced<T, E, Op, Fut, Sleep, SleepFut>(
    settings: &RetrySettings,
    trace: &CallTrace,
    mut operation: Op,
    sleep: Sleep,
    mut random: impl FnMut() -> f64,
) -> Result<T, E>
where
    E: Classify + 'static,
    Op: FnMut(u32, Traced) -> Fut,
    Fut: Future<Output = Result<T, E>>,
    Sleep: Fn(f64) -> SleepFut,
    SleepFut: Future<Output = Result<(), E>>,
{
    if let Some(budget) = &settings.budget {
        budget.deposit();
    }
    let mut attempt = 0;
    let mut waited = 0.0;
    loop {
        let span = trace.attempt(attempt + 1, waited);
        let mut e = match operation(attempt, span.clone()).await {
            Ok(v) => {
                trace.succeeded(attempt + 1);
                return Ok(v);
            }
            Err(e) => e,
        };
        let Some(delay) = after_failure(settings, trace, span, (&e, &e), attempt, random()) else {
            give_up(trace, &mut e, attempt + 1);
            return Err(e);
        };
        // A zero delay still yields to the timer: a cancelled loop stops here too.
        if let Err(mut stop) = sleep(delay).await {
            give_up(trace, &mut stop, attempt + 1);
            return Err(stop);
        }
        attempt += 1;
        waited = delay;
    }
}

/// After attempt `attempt` (0-based) failed with `error`: ends its span as failed, and returns the wait
/// before the next attempt — having logged the retry and called the settings' hook — or `None` when the
/// loop must give up. Not generic, so that every loop shares one copy.
fn after_failure(
    settings: &RetrySettings,
    trace: &CallTrace,
    span: Traced,
    (error, any): (&dyn Classify, &dyn Any),
    attempt: u32,
    random: f64,
) -> Option<f64> {
    span.fail(error.status_name(), || error.describe());
    drop(span);
    let delay = settings.next_delay_ms(error, attempt, random)?;
    if settings.budget.as_ref().is_some_and(|b| !b.try_withdraw()) {
        return None;
    }
    let made = attempt + 1;
    let status = error.status_name().unwrap_or("_OTHER");
    let fields = [("status", status.into()), ("delayMs", delay.into()), ("attempt", made.into())];
    trace.observer().log(Level::Info, "retrying", &fields);
    if let Some(hook) = &settings.on_retry {
        (hook.0)(any, delay, made);
    }
    Some(delay)
}

/// Marks the error a loop ends with with its attempts, and records it on the call's span.
fn give_up(trace: &CallTrace, e: &mut dyn Classify, attempts: u32) {
    e.set_attempts(attempts);
    trace.failed(attempts, e.status_name(), || e.describe());
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::error::{Error, ErrorKind, Status};
    use futures_executor::block_on;
    use std::cell::RefCell;

    fn err(status: Status) -> Error {
        Error::new(ErrorKind::Ydb, status, "x")
    }

    #[test]
    fn backoff_doubles_up_to_its_ceiling_with_bounded_jitter() {
        let fast = BackoffSettings::FAST;
        assert_eq!(fast.delay_ms(0, 1.0), 5.0);
        assert_eq!(fast.delay_ms(0, 0.0), 2.5);
        assert_eq!(fast.delay_ms(3, 1.0), 40.0);
        assert_eq!(fast.delay_ms(10, 1.0), fast.delay_ms(50, 1.0));
        let slow = BackoffSettings::SLOW;
        assert_eq!(slow.delay_ms(6, 1.0), 64_000.0);
        assert_eq!(slow.delay_ms(100, 0.5), 48_000.0);
    }

    #[test]
    fn each_status_gets_its_backoff() {
        let s = RetrySettings::default();
        assert_eq!(s.next_delay_ms(&err(Status::Aborted), 0, 1.0), Some(5.0));
        assert_eq!(s.next_delay_ms(&err(Status::BadSession), 0, 0.5), Some(0.0));
        assert_eq!(s.next_delay_ms(&err(Status::Unavailable), 1, 1.0), Some(10.0));
        assert_eq!(s.next_delay_ms(&err(Status::Overloaded), 0, 1.0), Some(1000.0));
        assert_eq!(s.next_delay_ms(&err(Status::SchemeError), 0, 0.5), None);
        assert_eq!(s.next_delay_ms(&err(Status::Undetermined), 0, 0.5), None);
        let idempotent = RetrySettings { idempotent: true, ..RetrySettings::default() };
        assert!(idempotent.next_delay_ms(&err(Status::Undetermined), 0, 0.5).is_some());
        let no_not_found = RetrySettings { idempotent: true, retry_not_found: false, ..RetrySettings::default() };
        assert_eq!(no_not_found.next_delay_ms(&err(Status::NotFound), 0, 0.5), None);
    }

    #[test]
    fn the_loop_stops_after_max_retries_and_sleeps_between_attempts() {
        let slept = RefCell::new(Vec::new());
        let settings = RetrySettings { max_retries: 3, ..RetrySettings::default() };
        let result: Result<(), Error> = block_on(retry(
            &settings,
            |_| async { Err(err(Status::Unavailable)) },
            |ms| {
                slept.borrow_mut().push(ms);
                async { Ok(()) }
            },
            || 1.0,
        ));
        assert_eq!(result.map_err(|e| e.status), Err(Status::Unavailable));
        assert_eq!(*slept.borrow(), vec![5.0, 10.0, 20.0]);
    }

    #[test]
    fn the_loop_returns_the_first_success() {
        let result: Result<u32, Error> = block_on(retry(
            &RetrySettings::default(),
            |attempt| async move {
                if attempt < 2 {
                    Err(err(Status::Aborted))
                } else {
                    Ok(attempt)
                }
            },
            |_| async { Ok(()) },
            || 0.5,
        ));
        assert_eq!(result.ok(), Some(2));
    }

    #[test]
    fn a_non_retryable_error_is_returned_at_once() {
        let calls = RefCell::new(0);
        let result: Result<(), Error> = block_on(retry(
            &RetrySettings::default(),
            |_| {
                *calls.borrow_mut() += 1;
                async { Err(err(Status::GenericError)) }
            },
            |_| async { Ok(()) },
            || 0.5,
        ));
        assert!(result.is_err());
        assert_eq!(*calls.borrow(), 1);
    }

    /// A seeded linear congruential generator: the same jitter on every run.
    fn seeded(mut state: u64) -> impl FnMut() -> f64 {
        move || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    #[test]
    fn jitter_from_a_seeded_source_stays_within_the_uncertain_share_of_each_step() {
        let mut random = seeded(42);
        for (settings, slot) in [(BackoffSettings::FAST, 5.0), (BackoffSettings::SLOW, 1000.0)] {
            for attempt in 0..20u32 {
                let max = slot * f64::from(1u32 << attempt.min(settings.ceiling));
                for _ in 0..50 {
                    let d = settings.delay_ms(attempt, random());
                    assert!(d >= max * 0.5 && d <= max, "attempt {attempt}: {d} outside [{}, {max}]", max * 0.5);
                }
            }
        }
        // The same seed gives the same delays.
        let (mut a, mut b) = (seeded(7), seeded(7));
        let s = BackoffSettings::FAST;
        assert!((0..10).all(|n| s.delay_ms(n, a()) == s.delay_ms(n, b())));
        // No jitter at ratio 0; all jitter at ratio 1; out-of-range inputs are clamped.
        let fixed = BackoffSettings { uncertain_ratio: 0.0, ..BackoffSettings::FAST };
        assert_eq!(fixed.delay_ms(2, 0.123), 20.0);
        let full = BackoffSettings { uncertain_ratio: 1.0, ..BackoffSettings::FAST };
        assert_eq!(full.delay_ms(2, 0.25), 5.0);
        assert_eq!(BackoffSettings::FAST.delay_ms(0, 7.0), 5.0);
        assert_eq!(BackoffSettings::FAST.delay_ms(u32::MAX, 1.0), 5120.0);
    }

    #[test]
    fn the_loop_sleeps_the_seeded_delays_of_its_settings() {
        let slept = RefCell::new(Vec::new());
        let settings = RetrySettings { max_retries: 4, ..RetrySettings::default() };
        let _: Result<(), Error> = block_on(retry(
            &settings,
            |_| async { Err(err(Status::Overloaded)) },
            |ms| {
                slept.borrow_mut().push(ms);
                async { Ok(()) }
            },
            seeded(1),
        ));
        let mut random = seeded(1);
        let expected: Vec<f64> = (0..4).map(|n| BackoffSettings::SLOW.delay_ms(n, random())).collect();
        assert_eq!(*slept.borrow(), expected);
    }

    #[test]
    fn a_failing_sleep_ends_the_loop_with_its_error() {
        let calls = RefCell::new(0);
        let result: Result<(), Error> = block_on(retry(
            &RetrySettings::default(),
            |_| {
                *calls.borrow_mut() += 1;
                async { Err(err(Status::Unavailable)) }
            },
            |_| async { Err(Error::cancelled("the driver is stopped")) },
            || 0.5,
        ));
        assert_eq!(result.map_err(|e| e.status), Err(Status::Cancelled));
        assert_eq!(*calls.borrow(), 1);
    }

    fn budget(ratio: f64, min_per_second: u32, now: Rc<Cell<f64>>) -> RetryBudget {
        RetryBudget::new(ratio, min_per_second, Rc::new(move || now.get()))
    }

    #[test]
    fn the_budget_allows_min_per_second_then_ratio_of_calls() {
        let now = Rc::new(Cell::new(0.0));
        let b = budget(0.1, 2, now.clone());
        assert!(b.try_withdraw() && b.try_withdraw(), "the floor: 2 retries in this second");
        assert!(!b.try_withdraw(), "no calls deposited yet");
        for _ in 0..20 {
            b.deposit();
        }
        assert!(b.try_withdraw() && b.try_withdraw(), "20 calls at 0.1 buy 2 retries");
        assert!(!b.try_withdraw());
        now.set(1000.0);
        assert!(b.try_withdraw() && b.try_withdraw() && !b.try_withdraw(), "the floor refills each second");
        // Deposits are capped at the share of 1,000 calls.
        for _ in 0..100_000 {
            b.deposit();
        }
        assert!((0..100).all(|_| b.try_withdraw()));
        assert!(!b.try_withdraw());
    }

    #[test]
    fn a_spent_budget_stops_the_loop_and_it_is_shared_between_loops() {
        let now = Rc::new(Cell::new(0.0));
        let settings = RetrySettings { budget: Some(budget(0.0, 3, now)), ..RetrySettings::default() };
        let run = |settings: &RetrySettings| {
            let calls = RefCell::new(0);
            let r: Result<(), Error> = block_on(retry(
                settings,
                |_| {
                    *calls.borrow_mut() += 1;
                    async { Err(err(Status::Aborted)) }
                },
                |_| async { Ok(()) },
                || 0.5,
            ));
            assert_eq!(r.map_err(|e| e.status), Err(Status::Aborted));
            calls.into_inner()
        };
        assert_eq!(run(&settings), 4, "the first attempt and the 3 retries of this second");
        assert_eq!(run(&settings.clone()), 1, "a clone shares the spent budget: no retry left");
    }

    #[test]
    fn a_traced_loop_reports_each_attempt_calls_the_hook_and_counts_attempts() {
        use crate::observe::testing::Recorded;
        use crate::observe::trace::testing::Spans;
        use crate::observe::Observer;
        let spans = Rc::new(Spans::default());
        let logger = Rc::new(Recorded::default());
        let observer = Observer::new(Some(logger.clone()), Some(spans.clone()), false);
        let trace = CallTrace::start(&observer, "http://127.0.0.1:2136", "/local", Some("ExecuteQuery"));
        let hooked = Rc::new(RefCell::new(Vec::new()));
        let seen = hooked.clone();
        let hook = RetryHook(Rc::new(move |e: &dyn Any, delay, attempt| {
            let status = e.downcast_ref::<Error>().map(|e| e.status);
            seen.borrow_mut().push((status, delay, attempt));
        }));
        let settings = RetrySettings { max_retries: 2, on_retry: Some(hook), ..RetrySettings::default() };
        let result: Result<(), Error> = block_on(retry_traced(
            &settings,
            &trace,
            |_, span| {
                assert!(span.traceparent().is_some(), "each attempt has a span of its own");
                async { Err(err(Status::Unavailable)) }
            },
            |_| async { Ok(()) },
            || 1.0,
        ));
        drop(trace);
        let e = result.expect_err("the loop gives up");
        assert_eq!(e.attempts(), 3);
        assert_eq!(e.to_string(), "x (after 3 attempts)");
        assert_eq!(*hooked.borrow(), vec![(Some(Status::Unavailable), 5.0, 1), (Some(Status::Unavailable), 10.0, 2)]);
        let recorded = spans.spans.borrow().clone();
        let shape: Vec<_> = recorded.iter().map(|s| (s.name.as_str(), s.parent, s.failed.is_some(), s.ended)).collect();
        assert_eq!(
            shape,
            vec![
                ("ydb.RunWithRetry", None, true, true),
                ("ydb.Try", Some(0), true, true),
                ("ydb.Try", Some(0), true, true),
                ("ydb.Try", Some(0), true, true),
            ]
        );
        assert_eq!(spans.attribute(3, "ydb.retry.attempt").as_deref(), Some("3"));
        assert_eq!(spans.attribute(3, "ydb.retry.backoff_ms").as_deref(), Some("10"));
        assert_eq!(spans.attribute(0, "ydb.retry.attempts").as_deref(), Some("3"));
        assert_eq!(spans.attribute(0, "db.response.status_code").as_deref(), Some("UNAVAILABLE"));
        assert_eq!(spans.attribute(0, "db.namespace").as_deref(), Some("/local"));
        assert_eq!(logger.messages(), vec!["retrying", "retrying"]);
    }

    #[test]
    fn an_untraced_loop_still_counts_attempts_and_a_first_try_success_records_one() {
        let result: Result<(), Error> = block_on(retry(
            &RetrySettings::default(),
            |_| async { Err(err(Status::SchemeError)) },
            |_| async { Ok(()) },
            || 0.5,
        ));
        let e = result.expect_err("not retried");
        assert_eq!((e.attempts(), e.to_string()), (1, "x".to_string()));
    }
}
