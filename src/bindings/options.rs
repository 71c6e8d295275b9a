//! Reading options objects passed from JS (`{ timeoutMs: 5000 }`), with a `TypeError` for a wrong
//! type that names the option.

use crate::error::{Error, Result};
use crate::transport::fetch::SignalCancel;
use js_sys::Reflect;
use wasm_bindgen::JsValue;

/// An options argument: `undefined`/`null` means "no options"; anything else must be an object.
pub fn object(v: &JsValue, what: &str) -> Result<Option<JsValue>> {
    if v.is_undefined() || v.is_null() {
        Ok(None)
    } else if v.is_object() {
        Ok(Some(v.clone()))
    } else {
        Err(Error::argument(format!("{what} must be an object")))
    }
}

fn get(obj: &Option<JsValue>, key: &str) -> JsValue {
    obj.as_ref().and_then(|o| Reflect::get(o, &JsValue::from_str(key)).ok()).unwrap_or(JsValue::UNDEFINED)
}

/// The option `key` unless it is missing, `undefined` or `null`. Without options nothing crosses into JS
/// (a call with no options reads a dozen of them).
fn present(obj: &Option<JsValue>, key: &str) -> Option<JsValue> {
    let v = Reflect::get(obj.as_ref()?, &JsValue::from_str(key)).ok()?;
    (!(v.is_undefined() || v.is_null())).then_some(v)
}

pub fn string(obj: &Option<JsValue>, key: &str) -> Result<Option<String>> {
    let Some(v) = present(obj, key) else { return Ok(None) };
    v.as_string().map(Some).ok_or_else(|| Error::argument(format!("option {key} must be a string")))
}

pub fn boolean(obj: &Option<JsValue>, key: &str) -> Result<Option<bool>> {
    let Some(v) = present(obj, key) else { return Ok(None) };
    v.as_bool().map(Some).ok_or_else(|| Error::argument(format!("option {key} must be a boolean")))
}

pub fn number(obj: &Option<JsValue>, key: &str) -> Result<Option<f64>> {
    let Some(v) = present(obj, key) else { return Ok(None) };
    match v.as_f64() {
        Some(n) if n.is_finite() && n >= 0.0 => Ok(Some(n)),
        _ => Err(Error::argument(format!("option {key} must be a non-negative number"))),
    }
}

/// A duration in milliseconds that fits the timers (u32).
pub fn millis(obj: &Option<JsValue>, key: &str) -> Result<Option<u32>> {
    Ok(number(obj, key)?.map(|n| n.min(f64::from(u32::MAX)) as u32))
}

pub fn raw(obj: &Option<JsValue>, key: &str) -> JsValue {
    get(obj, key)
}

/// The `signal` option: an AbortSignal, as the cancellation of what the options are for.
pub fn signal(obj: &Option<JsValue>) -> Result<Option<crate::cancel::Cancel>> {
    let Some(v) = present(obj, "signal") else { return Ok(None) };
    SignalCancel::of(v).map(Some).ok_or_else(|| Error::argument("option signal must be an AbortSignal"))
}

/// `{ timeoutMs, signal }` as call options.
pub fn call_options(obj: &Option<JsValue>) -> Result<crate::transport::CallOptions> {
    Ok(crate::transport::CallOptions {
        timeout_ms: millis(obj, "timeoutMs")?,
        cancel: signal(obj)?,
        ..Default::default()
    })
}
