//! The `#[wasm_bindgen]` surface: argument checks, JS <-> Rust conversion, Promises. Nothing else.
//!
//! Each exported class wraps a core type and forwards to it. Errors leave through [`to_js`]: a bad
//! argument becomes a `TypeError`, everything else a `YdbError` (or subclass) built by the factory
//! that the JS entry point installs with `__setErrorFactory`, so that `instanceof` works against the
//! classes the package exports.

pub mod credentials;
pub mod driver;
pub mod js_read;
pub mod observe;
pub mod options;
pub mod pooling;
pub mod query;
pub mod results;
pub mod retry;
pub mod schema;
pub mod scheme;
pub mod sql;
pub mod table;
pub mod values;

use crate::error::{Error, ErrorKind};
use js_sys::{Array, Function, Object, Reflect};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

thread_local! {
    static ERROR_FACTORY: RefCell<Option<Function>> = const { RefCell::new(None) };
}

/// Installs the JS function that builds error objects:
/// `(kind, status, code, message, issues, retryable, attempts) => Error`.
#[wasm_bindgen(js_name = __setErrorFactory)]
pub fn set_error_factory(factory: Function) {
    ERROR_FACTORY.with(|f| *f.borrow_mut() = Some(factory));
}

/// Traps the instance on purpose — at once, or (`inBackground`) in a task on the microtask queue, as a
/// fault while decoding an answer would (that one reaches no caller: the runtime reports it). Not public API: the package's crash containment is tested
/// with it (`tests/node/robustness.test.mjs`). Nothing else in the crate may trap; this is the one place
/// that does so deliberately.
#[wasm_bindgen(js_name = __testTrap)]
pub fn test_trap(in_background: bool) {
    fn trap() {
        #[cfg(target_arch = "wasm32")]
        core::arch::wasm32::unreachable();
    }
    if in_background {
        wasm_bindgen_futures::spawn_local(async { trap() });
    } else {
        trap();
    }
}

fn issues_to_js(issues: &[crate::error::Issue]) -> Array {
    let arr = Array::new();
    for i in issues {
        let o = Object::new();
        let _ = Reflect::set(&o, &"message".into(), &JsValue::from_str(&i.message));
        let _ = Reflect::set(&o, &"issueCode".into(), &JsValue::from(i.issue_code));
        let _ = Reflect::set(&o, &"severity".into(), &JsValue::from(i.severity));
        let _ = Reflect::set(&o, &"issues".into(), &issues_to_js(&i.issues));
        arr.push(&o);
    }
    arr
}

/// The `Ok` value, or an early return of a Promise rejected with the error. Used before
/// `future_to_promise` so that the checks made before a call starts stay out of its future's state (each
/// future is its own state machine in the wasm; an error carried into it costs bytes in every one).
macro_rules! or_reject {
    ($result:expr) => {
        match $result {
            Ok(value) => value,
            Err(e) => return js_sys::Promise::reject(&$crate::bindings::to_js(e)),
        }
    };
}
pub(crate) use or_reject;

/// `?` turns an error into the JS value it is thrown as.
impl From<Error> for JsValue {
    #[inline(never)]
    fn from(e: Error) -> JsValue {
        to_js(e)
    }
}

/// The JS value a Rust error is thrown as. Never inlined: every `?` of the bindings reaches it, and one
/// copy keeps the wasm small.
#[inline(never)]
pub fn to_js(mut e: Error) -> JsValue {
    if e.attempts() > 1 {
        e.message = e.to_string();
    }
    if e.kind == ErrorKind::Argument {
        return js_sys::TypeError::new(&e.message).into();
    }
    let kind = match e.kind {
        ErrorKind::Ydb => "ydb",
        ErrorKind::Client => "client",
        ErrorKind::Transport => "transport",
        ErrorKind::Cancelled => "cancelled",
        ErrorKind::Argument => "argument",
    };
    let made = ERROR_FACTORY.with(|f| {
        let f = f.borrow();
        let f = f.as_ref()?;
        let args = Array::new();
        args.push(&JsValue::from_str(kind));
        args.push(&JsValue::from_str(e.status.name()));
        args.push(&JsValue::from(e.status.code()));
        args.push(&JsValue::from_str(&e.message));
        args.push(&issues_to_js(&e.issues));
        args.push(&JsValue::from_bool(e.policy().backoff.is_some()));
        args.push(&JsValue::from(e.attempts()));
        f.apply(&JsValue::NULL, &args).ok()
    });
    made.unwrap_or_else(|| js_sys::Error::new(&e.message).into())
}

pub fn random() -> f64 {
    js_sys::Math::random()
}

/// Whether this runtime binds I/O to the request that started it, as Cloudflare Workers (workerd) do:
/// work woken by one request must not continue another's, so pool waiters poll on their own timers.
pub fn request_bound_io() -> bool {
    let global = js_sys::global();
    js_sys::Reflect::get(&global, &JsValue::from_str("navigator"))
        .ok()
        .filter(|n| n.is_object())
        .and_then(|n| js_sys::Reflect::get(&n, &JsValue::from_str("userAgent")).ok())
        .and_then(|ua| ua.as_string())
        .is_some_and(|ua| ua == "Cloudflare-Workers")
}

/// How often a pool waiter looks for a free session in request-bound runtimes (0: woken directly).
pub fn pool_poll_ms() -> u32 {
    if request_bound_io() {
        2
    } else {
        0
    }
}
