//! `RetrySettings` from JS, and `retryOperation`: the core's retry loop ([`crate::session_retry`]) around
//! a JS callback. What the callback throws goes through the loop as a foreign error with the kind and
//! status code a `YdbError` carries, and comes out as it was thrown.

use super::{js_read, options};
use crate::cancel::Cancel;
use crate::error::Error;
use crate::observe::CallTrace;
use crate::pool::{Checkout, Pool, PooledSession};
use crate::retry::{BackoffSettings, RetryBudget, RetryHook, RetrySettings};
use crate::session_retry::{retry_with_session, AttemptError, ForeignError};
use crate::transport::runtime::random;
use js_sys::{Array, Function, Promise, Reflect};
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

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
    match options::object(v, "retrySettings")? {
        None => Ok(RetrySettings::default()),
        o => settings_from_options(&o),
    }
}

/// Out of line, as the other option readers whose options are usually absent: V8 compiles a wasm
/// function at its first call, so a call without options then compiles none of the reading.
#[inline(never)]
fn settings_from_options(o: &Option<JsValue>) -> Result<RetrySettings, Error> {
    let d = RetrySettings::default();
    Ok(RetrySettings {
        max_retries: options::number(o, "maxRetries")?.map(|n| n as u32).unwrap_or(d.max_retries),
        idempotent: options::boolean(o, "idempotent")?.unwrap_or(d.idempotent),
        retry_not_found: options::boolean(o, "retryNotFound")?.unwrap_or(d.retry_not_found),
        fast_backoff: backoff(&options::raw(o, "fastBackoff"), d.fast_backoff, "fastBackoff")?,
        slow_backoff: backoff(&options::raw(o, "slowBackoff"), d.slow_backoff, "slowBackoff")?,
        max_session_acquire_timeout_ms: options::millis(o, "maxSessionAcquireTimeoutMs")?,
        budget: None,
        on_retry: hook_from_js(&options::raw(o, "onRetry"))?,
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
        let error = match (error.downcast_ref::<AttemptError<JsValue>>(), error.downcast_ref::<Error>()) {
            (Some(AttemptError::Foreign { error, .. }), _) => error.clone(),
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
    match options::object(v, "retryBudget")? {
        None => Ok(None),
        o => budget_from_options(&o).map(Some),
    }
}

/// Out of line, as `settings_from_options`.
#[inline(never)]
fn budget_from_options(o: &Option<JsValue>) -> Result<RetryBudget, Error> {
    let ratio = options::number(o, "ratio")?.ok_or_else(|| Error::argument("retryBudget needs a ratio"))?;
    let min_per_second = options::number(o, "minPerSecond")?.map(|n| n.min(f64::from(u32::MAX)) as u32).unwrap_or(10);
    Ok(RetryBudget::new(ratio, min_per_second, Rc::new(crate::clock::now_ms)))
}

/// The settings of a retry loop, and their `signal`, which cancels the whole loop.
pub fn settings_and_cancel(js: &JsValue) -> Result<(RetrySettings, Option<Cancel>), Error> {
    let settings = settings_from_js(js)?;
    Ok((settings, options::signal(&options::object(js, "retrySettings")?)?))
}

/// What the callback threw, for the loop: a `YdbError` says which error of ours it is.
fn thrown(v: JsValue) -> AttemptError<JsValue> {
    let get = |key: &str| Reflect::get(&v, &JsValue::from_str(key)).ok();
    let kind = get("kind").and_then(|k| k.as_string());
    let code = get("code").and_then(|c| c.as_f64());
    AttemptError::foreign(v, kind.as_deref(), code)
}

/// Whatever a callback threw: described for a failed span; a `YdbError` the loop gave up on gets
/// `attempts`, and its message says how many.
impl ForeignError for JsValue {
    fn describe(&self) -> String {
        crate::transport::fetch::describe(self)
    }
    fn set_attempts(&mut self, attempts: u32) {
        let _ = Reflect::set(self, &JsValue::from_str("attempts"), &JsValue::from(attempts));
        let message = js_read::get(self, "message").ok().and_then(|m| m.as_string()).unwrap_or_default();
        // Said once: an error from an inner loop already says its own count.
        if attempts > 1 && !message.ends_with(" attempts)") {
            let message = format!("{message} (after {attempts} attempts)");
            let _ = Reflect::set(self, &JsValue::from_str("message"), &JsValue::from_str(&message));
        }
    }
}

fn attempt_error_to_js(e: AttemptError<JsValue>) -> JsValue {
    match e {
        AttemptError::Ours(e) => super::to_js(e),
        AttemptError::Foreign { error, .. } => error,
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
    driver: &crate::driver::Driver,
    settings: JsValue,
    wrap: impl Fn(Checkout<S>) -> JsValue + 'static,
    callee: Function,
    args: Array,
) -> js_sys::Promise {
    let (pool, driver) = (pool.clone(), driver.clone());
    wasm_bindgen_futures::future_to_promise(super::observe::in_callers_context(Box::pin(async move {
        let (settings, cancel) = settings_and_cancel(&settings)?;
        let settings = driver.retry_settings(settings);
        let (callee, args) = (&callee, &args);
        let c = driver.channel();
        let trace = CallTrace::start(c.observer(), c.endpoint(), c.database(), None);
        let result =
            retry_with_session(&pool, &settings, driver.shutdown(), cancel.as_ref(), &trace, random, |checkout| {
                let session = wrap(checkout);
                async move { call_js(callee, session, args).await.map_err(thrown) }
            });
        result.await.map_err(attempt_error_to_js)
    })))
}
