//! `RetrySettings` from JS, and the retry loop around a JS callback that gets a pooled session.
//!
//! The callback may throw anything. A `YdbError` carries its status code, so the loop classifies it
//! with the same table as our own errors; any other exception is the caller's and is rethrown at
//! once. The session goes back to the pool after every attempt — or is discarded when the error
//! killed it.

use super::{js_read, options};
use crate::driver::Shutdown;
use crate::error::{policy_for, Error, ErrorKind, RetryPolicy, Status};
use crate::observe::CallTrace;
use crate::pool::{Checkout, Pool, PooledSession};
use crate::retry::{BackoffSettings, Classify, RetryBudget, RetryHook, RetrySettings};
use crate::session_retry::Cancellation;
use js_sys::{Array, Function, Promise, Reflect};
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortSignal;

fn backoff(v: &JsValue, default: BackoffSettings, key: &str) -> Result<BackoffSettings, Error> {
    let o = options::object(v, key)?;
    Ok(BackoffSettings {
        ceiling: options::number(&o, "ceiling")?.map(|n| n as u32).unwrap_or(default.ceiling),
        slot_duration_ms: options::number(&o, "slotDurationMs")?.unwrap_or(default.slot_duration_ms),
        uncertain_ratio: options::number(&o, "uncertainRatio")?.unwrap_or(default.uncertain_ratio),
    })
}

/// `new RetrySettings({ maxRetries, idempotent, … })` or a plain object with the same fields.
pub fn settings_from_js(v: &JsValue) -> Result<RetrySettings, Error> {
    let o = options::object(v, "retrySettings")?;
    let d = RetrySettings::default();
    Ok(RetrySettings {
        max_retries: options::number(&o, "maxRetries")?.map(|n| n as u32).unwrap_or(d.max_retries),
        idempotent: options::boolean(&o, "idempotent")?.unwrap_or(d.idempotent),
        retry_not_found: options::boolean(&o, "retryNotFound")?.unwrap_or(d.retry_not_found),
        fast_backoff: backoff(&options::raw(&o, "fastBackoff"), d.fast_backoff, "fastBackoff")?,
        slow_backoff: backoff(&options::raw(&o, "slowBackoff"), d.slow_backoff, "slowBackoff")?,
        max_session_acquire_timeout_ms: options::millis(&o, "maxSessionAcquireTimeoutMs")?,
        budget: None,
        on_retry: hook_from_js(&options::raw(&o, "onRetry"))?,
    })
}

/// `onRetry(error, delayMs, attempt)`: called with the error as JS sees it; what it throws or rejects
/// with is ignored.
fn hook_from_js(v: &JsValue) -> Result<Option<RetryHook>, Error> {
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    let f: Function = v.clone().dyn_into().map_err(|_| Error::argument("option onRetry must be a function"))?;
    Ok(Some(RetryHook(Rc::new(move |error: &dyn std::any::Any, delay: f64, attempt: u32| {
        let error = match (error.downcast_ref::<AttemptError>(), error.downcast_ref::<Error>()) {
            (Some(AttemptError::Thrown(v)), _) => v.clone(),
            (Some(AttemptError::Ours(e)), _) | (None, Some(e)) => super::to_js(e.clone()),
            (None, None) => JsValue::UNDEFINED,
        };
        if let Ok(r) = f.call3(&JsValue::NULL, &error, &JsValue::from_f64(delay), &JsValue::from(attempt)) {
            crate::transport::fetch::ignore_rejection(&r);
        }
    }))))
}

/// The driver's `retryBudget: { ratio, minPerSecond? }` option (`minPerSecond` defaults to 10).
pub fn budget_from_js(v: &JsValue) -> Result<Option<RetryBudget>, Error> {
    let o = options::object(v, "retryBudget")?;
    if o.is_none() {
        return Ok(None);
    }
    let ratio = options::number(&o, "ratio")?.ok_or_else(|| Error::argument("retryBudget needs a ratio"))?;
    let min_per_second = options::number(&o, "minPerSecond")?.map(|n| n.min(f64::from(u32::MAX)) as u32).unwrap_or(10);
    Ok(Some(RetryBudget::new(ratio, min_per_second, Rc::new(js_sys::Date::now))))
}

fn cancelled() -> Error {
    Error::cancelled("the operation was cancelled (its signal aborted)")
}

/// CANCELLED once the signal aborted.
pub fn check_signal(signal: Option<&AbortSignal>) -> Result<(), Error> {
    match signal {
        Some(s) if s.aborted() => Err(cancelled()),
        _ => Ok(()),
    }
}

/// What a pool's `acquire` waits on besides its timeout: the signal's abort, if there is a signal.
pub fn abort_future(signal: Option<&AbortSignal>) -> Option<futures_util::future::LocalBoxFuture<'static, ()>> {
    let signal = signal?.clone();
    Some(Box::pin(async move { abort_of(&signal).await }))
}

/// Resolves when the signal aborts (`addEventListener('abort', …, { once: true })`).
async fn abort_of(signal: &AbortSignal) {
    let target: JsValue = signal.clone().into();
    let promise = Promise::new(&mut |resolve, _reject| {
        let add = Reflect::get(&target, &JsValue::from_str("addEventListener"))
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok());
        if let Some(add) = add {
            let once = js_sys::Object::new();
            let _ = Reflect::set(&once, &JsValue::from_str("once"), &JsValue::TRUE);
            let _ = add.call3(&target, &JsValue::from_str("abort"), &resolve, &once);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// What a pool brings to its retry loops: the driver's stop and its retry budget.
#[derive(Clone)]
pub struct RetryContext {
    pub shutdown: Shutdown,
    pub budget: Option<RetryBudget>,
    /// The driver's channel: its observer, endpoint and database, for the loop's spans.
    pub channel: crate::transport::Channel,
}

impl RetryContext {
    pub fn of(driver: &super::driver::Driver) -> Self {
        let d = &driver.inner;
        RetryContext { shutdown: d.shutdown().clone(), budget: d.retry_budget().cloned(), channel: d.channel().clone() }
    }

    /// The call's settings, with the driver's budget unless the settings bring their own, and the
    /// settings' `signal` (an AbortSignal that cancels the whole loop).
    pub fn settings(&self, js: &JsValue) -> Result<(RetrySettings, Option<AbortSignal>), Error> {
        let mut s = settings_from_js(js)?;
        if s.budget.is_none() {
            s.budget.clone_from(&self.budget);
        }
        let signal = options::signal(&options::object(js, "retrySettings")?)?;
        Ok((s, signal))
    }
}

/// An error seen by the loop: ours, or whatever the JS callback threw.
pub enum AttemptError {
    Ours(Error),
    Thrown(JsValue),
}

impl AttemptError {
    fn status(&self) -> Option<(ErrorKind, Status)> {
        match self {
            AttemptError::Ours(e) => Some((e.kind, e.status)),
            AttemptError::Thrown(v) => {
                let code = Reflect::get(v, &JsValue::from_str("code")).ok()?.as_f64()?;
                let kind = Reflect::get(v, &JsValue::from_str("kind")).ok()?.as_string()?;
                let kind = match kind.as_str() {
                    "ydb" => ErrorKind::Ydb,
                    "client" => ErrorKind::Client,
                    "transport" => ErrorKind::Transport,
                    _ => return None,
                };
                Some((kind, Status::from_code(code as i32)))
            }
        }
    }

    pub fn into_js(self) -> JsValue {
        match self {
            AttemptError::Ours(e) => super::to_js(e),
            AttemptError::Thrown(v) => v,
        }
    }
}

impl From<Error> for AttemptError {
    fn from(e: Error) -> Self {
        AttemptError::Ours(e)
    }
}

impl Classify for AttemptError {
    fn retry_policy(&self) -> Option<RetryPolicy> {
        self.status().map(|(k, s)| policy_for(k, s))
    }
    fn is_not_found(&self) -> bool {
        matches!(self.status(), Some((_, Status::NotFound)))
    }
    fn status_name(&self) -> Option<&'static str> {
        self.status().map(|(_, s)| s.name())
    }
    fn describe(&self) -> String {
        match self {
            AttemptError::Ours(e) => e.message().to_string(),
            AttemptError::Thrown(v) => crate::transport::fetch::describe(v),
        }
    }
    /// Our error records it; a database error the callback threw gets `attempts` and its message says so.
    fn set_attempts(&mut self, attempts: u32) {
        let from_database = self.status().is_some();
        match self {
            AttemptError::Ours(e) => e.set_attempts(attempts),
            AttemptError::Thrown(v) if from_database => {
                let _ = Reflect::set(v, &JsValue::from_str("attempts"), &JsValue::from(attempts));
                let message = js_read::get(v, "message").ok().and_then(|m| m.as_string()).unwrap_or_default();
                // Said once: an error from an inner loop already says its own count.
                if attempts > 1 && !message.ends_with(" attempts)") {
                    let message = format!("{message} (after {attempts} attempts)");
                    let _ = Reflect::set(v, &JsValue::from_str("message"), &JsValue::from_str(&message));
                }
            }
            AttemptError::Thrown(_) => {}
        }
    }
}

/// Calls `callee(session, ...args)` and awaits it if it returned a Promise.
pub async fn call_js(callee: &Function, session: JsValue, args: &Array) -> Result<JsValue, JsValue> {
    let all = Array::of1(&session);
    for a in args.iter() {
        all.push(&a);
    }
    let result = callee.apply(&JsValue::NULL, &all)?;
    match result.dyn_into::<Promise>() {
        Ok(p) => JsFuture::from(p).await,
        Err(v) => Ok(v),
    }
}

/// `pool.retryOperation(callee, retrySettings?, ...args)` of either pool class, as a Promise; `wrap` makes
/// the JS object of a pooled session.
pub fn retry_operation_promise<S: PooledSession + Clone>(
    pool: &Pool<S>,
    context: &RetryContext,
    settings: JsValue,
    wrap: impl Fn(Checkout<S>) -> JsValue + 'static,
    callee: Function,
    args: Array,
) -> js_sys::Promise {
    let (pool, context) = (pool.clone(), context.clone());
    wasm_bindgen_futures::future_to_promise(async move {
        let (settings, signal) = context.settings(&settings).map_err(super::to_js)?;
        retry_with_session(&pool, &context, (&settings, signal), wrap, &callee, &args).await
    })
}

/// The retry loop of `retryOperation` (see [`crate::session_retry`]): each attempt hands the callback a
/// checked-out session.
async fn retry_with_session<S: PooledSession + Clone>(
    pool: &Pool<S>,
    context: &RetryContext,
    (settings, signal): (&RetrySettings, Option<AbortSignal>),
    wrap: impl Fn(Checkout<S>) -> JsValue,
    callee: &Function,
    args: &Array,
) -> Result<JsValue, JsValue> {
    let cancellation = SignalCancellation(signal);
    let c = &context.channel;
    let trace = CallTrace::start(c.observer(), c.endpoint(), c.database(), None);
    let result = crate::session_retry::retry_with_session(
        pool,
        settings,
        &context.shutdown,
        &cancellation,
        &trace,
        super::random,
        |checkout| {
            let session = wrap(checkout);
            async move { call_js(callee, session, args).await.map_err(AttemptError::Thrown) }
        },
    )
    .await;
    result.map_err(AttemptError::into_js)
}

/// A retry loop cancelled by the settings' `AbortSignal`.
pub struct SignalCancellation(pub Option<AbortSignal>);

impl Cancellation for SignalCancellation {
    fn check(&self) -> Result<(), Error> {
        check_signal(self.0.as_ref())
    }
    fn cancelled(&self) -> Option<futures_util::future::LocalBoxFuture<'static, ()>> {
        abort_future(self.0.as_ref())
    }
}
