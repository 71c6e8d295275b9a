//! Retries: `RetrySettings`, `BackoffSettings`, the backoff arithmetic and the retry loop.
//!
//! The numbers are the official Python SDK's (`ydb/retries.py`): fast backoff (5 ms slots, ceiling
//! 10) for quick-recovery statuses, slow backoff (1 s slots, ceiling 6) for overload and transport
//! failures, immediate retry for ABORTED and BAD_SESSION, at most 10 retries. Which error gets which
//! treatment is `error::policy_for`'s decision. The backoff is a pure function of the attempt and a
//! random number, and the loop takes its timer and random source as arguments, so all of it is
//! tested without time passing.

use crate::error::{Backoff, RetryPolicy};
use std::future::Future;

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
        }
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
}

impl Classify for crate::error::Error {
    fn retry_policy(&self) -> Option<RetryPolicy> {
        Some(self.policy())
    }
    fn is_not_found(&self) -> bool {
        self.status == crate::error::Status::NotFound
    }
}

impl RetrySettings {
    /// The wait before retry `attempt`, or `None` when the error must not be retried (any more).
    pub fn next_delay_ms<E: Classify>(&self, error: &E, attempt: u32, random: f64) -> Option<f64> {
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

/// Runs `operation` until it succeeds, fails for good, or runs out of retries.
/// `operation` gets the attempt number (0 for the first); `sleep` waits the given milliseconds;
/// `random` yields numbers in `[0, 1)` for the jitter.
pub async fn retry<T, E, Op, Fut, Sleep, SleepFut>(
    settings: &RetrySettings,
    mut operation: Op,
    sleep: Sleep,
    mut random: impl FnMut() -> f64,
) -> Result<T, E>
where
    E: Classify,
    Op: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, E>>,
    Sleep: Fn(f64) -> SleepFut,
    SleepFut: Future<Output = ()>,
{
    let mut attempt = 0;
    loop {
        match operation(attempt).await {
            Ok(v) => return Ok(v),
            Err(e) => match settings.next_delay_ms(&e, attempt, random()) {
                None => return Err(e),
                Some(delay) => {
                    if delay > 0.0 {
                        sleep(delay).await;
                    }
                    attempt += 1;
                }
            },
        }
    }
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
        assert_eq!(s.next_delay_ms(&err(Status::Aborted), 0, 0.5), Some(0.0));
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
                async {}
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
            |_| async {},
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
            |_| async {},
            || 0.5,
        ));
        assert!(result.is_err());
        assert_eq!(*calls.borrow(), 1);
    }
}
