//! The JS runtime's services other than `fetch`: the clock, timers, the task queue, randomness, and
//! whether I/O is bound to the request that started it. With `fetch.rs`, the only code below `bindings`
//! that calls JS — the core needs a timer and a clock on every runtime, and this is where they come from.
//!
//! Natively (unit tests) each has a stand-in: the system clock; sleeps that end at once (time does not
//! pass, so a backoff is no wait and a deadline has already passed); background tasks run as far as they
//! are ready; no request binding.

use futures_util::future::LocalBoxFuture;

/// Milliseconds since the epoch (`Date.now()`).
pub fn now_ms() -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::Date::now()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as f64).unwrap_or(0.0)
    }
}

/// Resolves after `ms` milliseconds (`setTimeout`).
pub fn sleep_ms(ms: u32) -> LocalBoxFuture<'static, ()> {
    #[cfg(target_arch = "wasm32")]
    {
        Box::pin(gloo_timers::future::TimeoutFuture::new(ms))
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = ms;
        Box::pin(futures_util::future::ready(()))
    }
}

/// A sleep whose timer does not hold the process open: `unref()` in Node.js, `Deno.unrefTimer` in Deno
/// (browsers have nothing to hold open). For background work (a pool's keep-alive).
pub fn sleep_unref(ms: f64) -> LocalBoxFuture<'static, ()> {
    #[cfg(target_arch = "wasm32")]
    {
        use js_sys::{Function, Promise, Reflect};
        use wasm_bindgen::{JsCast, JsValue};
        let promise = Promise::new(&mut |resolve, _reject| {
            let global = js_sys::global();
            let get = |o: &JsValue, k: &str| Reflect::get(o, &JsValue::from_str(k)).ok().filter(|v| !v.is_undefined());
            let Some(set_timeout) = get(&global, "setTimeout").and_then(|f| f.dyn_into::<Function>().ok()) else {
                return;
            };
            let Ok(handle) = set_timeout.call2(&global, &resolve, &JsValue::from_f64(ms)) else { return };
            if let Some(unref) = get(&handle, "unref").and_then(|f| f.dyn_into::<Function>().ok()) {
                let _ = unref.call0(&handle);
            } else if let Some(deno) = get(&global, "Deno") {
                if let Some(unref) = get(&deno, "unrefTimer").and_then(|f| f.dyn_into::<Function>().ok()) {
                    let _ = unref.call1(&deno, &handle);
                }
            }
        });
        Box::pin(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
        })
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        sleep_ms(ms as u32)
    }
}

/// Runs a future to completion in the background (the JS microtask queue).
pub fn spawn(f: LocalBoxFuture<'static, ()>) {
    #[cfg(target_arch = "wasm32")]
    wasm_bindgen_futures::spawn_local(f);
    // `block_on` would do too, but not from inside another `block_on`.
    #[cfg(not(target_arch = "wasm32"))]
    {
        use futures_util::FutureExt;
        let _ = f.now_or_never();
    }
}

/// A number in `[0, 1)` for backoff jitter (`Math.random()`).
pub fn random() -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::Math::random()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0.5
    }
}

/// Whether this runtime binds I/O to the request that started it, as Cloudflare Workers (workerd) do:
/// work woken by one request must not continue another's.
pub fn request_bound_io() -> bool {
    #[cfg(target_arch = "wasm32")]
    {
        use js_sys::Reflect;
        use wasm_bindgen::JsValue;
        Reflect::get(&js_sys::global(), &JsValue::from_str("navigator"))
            .ok()
            .filter(|n| n.is_object())
            .and_then(|n| Reflect::get(&n, &JsValue::from_str("userAgent")).ok())
            .and_then(|ua| ua.as_string())
            .is_some_and(|ua| ua == "Cloudflare-Workers")
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        false
    }
}
