//! The wall clock, in milliseconds since the epoch: `Date.now()` in wasm, the system clock in native
//! unit tests.

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

/// [`sleep_ms`] for a duration computed as a float (a backoff): negative and NaN are no wait, beyond
/// u32 milliseconds is capped (`as` saturates).
pub fn sleep_for(ms: f64) -> futures_util::future::LocalBoxFuture<'static, ()> {
    sleep_ms(ms as u32)
}

/// Resolves after `ms` milliseconds on the runtime's timer (`setTimeout`). Natively (unit tests) time
/// does not pass: every sleep ends at once, so a backoff is no wait and a deadline has already passed.
pub fn sleep_ms(ms: u32) -> futures_util::future::LocalBoxFuture<'static, ()> {
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
