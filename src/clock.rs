//! Time for the core: the wall clock in milliseconds since the epoch, and sleeps on the runtime's timer
//! (both from [`crate::transport::runtime`], the one place that asks JS for them).

pub use crate::transport::runtime::{now_ms, sleep_ms};

/// [`sleep_ms`] for a duration computed as a float (a backoff): negative and NaN are no wait, beyond
/// u32 milliseconds is capped (`as` saturates).
pub fn sleep_for(ms: f64) -> futures_util::future::LocalBoxFuture<'static, ()> {
    sleep_ms(ms as u32)
}
