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
pub mod webcrypto;

use crate::error::{Error, ErrorKind};
use crate::plain::Plain;
use js_sys::{Array, Function, Object, Reflect};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

thread_local! {
    static ERROR_FACTORY: RefCell<Option<Function>> = const { RefCell::new(None) };
}

/// Installs the JS function that builds error objects from their fields (`Error::to_plain`):
/// `({ kind, status, code, message, issues, retryable, attempts }) => Error`.
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

/// The size of the instance's linear memory in bytes (it only grows). Not public API: the benchmark's
/// memory run reports it.
#[wasm_bindgen(js_name = __wasmMemoryBytes)]
pub fn wasm_memory_bytes() -> f64 {
    #[cfg(target_arch = "wasm32")]
    return core::arch::wasm32::memory_size(0) as f64 * 65_536.0;
    #[cfg(not(target_arch = "wasm32"))]
    0.0
}

/// A plain answer ([`crate::plain`]) as plain JS objects, arrays and primitives.
pub fn plain_to_js(p: &Plain) -> JsValue {
    match p {
        Plain::Bool(b) => JsValue::from_bool(*b),
        Plain::Number(n) => JsValue::from_f64(*n),
        Plain::Text(s) => JsValue::from_str(s),
        Plain::List(items) => items.iter().map(plain_to_js).collect::<Array>().into(),
        Plain::Object(fields) => {
            let o = Object::new();
            for (key, value) in fields {
                let _ = Reflect::set(&o, &JsValue::from_str(key), &plain_to_js(value));
            }
            o.into()
        }
    }
}

/// The `Ok` value, or an early return of a Promise rejected with the error. Used before
/// `future_to_promise` so that the checks made before a call starts stay out of its future's state (each
/// future is its own state machine in the wasm; an error carried into it costs bytes in every one).
macro_rules! or_reject {
    ($result:expr) => {
        match $result {
            Ok(value) => value,
            Err(e) => return $crate::bindings::rejected(e),
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
pub fn to_js(e: Error) -> JsValue {
    if e.kind == ErrorKind::Argument {
        return js_sys::TypeError::new(&e.message).into();
    }
    let made = ERROR_FACTORY.with(|f| f.borrow().as_ref()?.call1(&JsValue::NULL, &plain_to_js(&e.to_plain())).ok());
    made.unwrap_or_else(|| js_sys::Error::new(&e.message).into())
}

/// `undefined`, what a call that returns nothing resolves.
pub fn undefined(_: ()) -> JsValue {
    JsValue::UNDEFINED
}

/// The Promise of `call` on a checked-out session with the arguments `args` holds. A session given back
/// to its pool, or a bad argument, rejects it before anything is sent.
pub fn on_session<S, A, F>(
    session: &crate::pool::Checkout<S>,
    args: crate::error::Result<A>,
    call: impl FnOnce(S, A) -> F + 'static,
) -> js_sys::Promise
where
    S: crate::pool::PooledSession + Clone,
    A: 'static,
    F: std::future::Future<Output = crate::error::Result<JsValue>> + 'static,
{
    match (session.get(), args) {
        (Ok(session), Ok(args)) => promise(Box::pin(call(session, args))),
        (Err(e), _) | (_, Err(e)) => rejected(e),
    }
}

/// A Promise rejected with `e`. Out of line: each generic caller would have its own copy.
#[inline(never)]
pub fn rejected(e: Error) -> js_sys::Promise {
    js_sys::Promise::reject(&to_js(e))
}

/// The Promise of a boxed call. One copy of `future_to_promise`'s state machine serves every call that
/// goes through here (each copy costs the wasm a few hundred bytes).
#[inline(never)]
pub fn promise(call: futures_util::future::LocalBoxFuture<'static, crate::error::Result<JsValue>>) -> js_sys::Promise {
    let call = observe::in_callers_context(call);
    wasm_bindgen_futures::future_to_promise(async move { Ok(call.await?) })
}
