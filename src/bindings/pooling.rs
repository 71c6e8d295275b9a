//! What the two JS pool classes (`SessionPool`, `QuerySessionPool`) share: building a pool from a
//! driver's options (and stopping it with the driver), acquiring with a timeout, and stopping.

use super::driver::{on_stop, Driver};
use super::{options, to_js};
use crate::pool::{Pool, PooledSession};
use crate::transport::Channel;
use futures_util::future::LocalBoxFuture;
use js_sys::Promise;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::future_to_promise;

/// Waits for a free session on the runtime's timer.
pub fn acquire_sleep(ms: u32) -> LocalBoxFuture<'static, ()> {
    Box::pin(super::sleep_ms(f64::from(ms)))
}

/// A pool of `{ size? }` sessions on the driver's channel, stopped when the driver stops.
pub fn pool_for_driver<S: PooledSession<Factory = Channel>>(
    driver: &Driver,
    opts: &JsValue,
) -> Result<Pool<S>, JsValue> {
    driver.ensure_running()?;
    let o = options::object(opts, "pool options").map_err(to_js)?;
    let size = options::number(&o, "size").map_err(to_js)?.unwrap_or(100.0) as usize;
    let pool = Pool::<S>::new(driver.inner.channel().clone(), size).with_polling_waiters(super::pool_poll_ms());
    let stopper = pool.clone();
    on_stop(
        driver,
        Box::new(move || {
            let p = stopper.clone();
            Box::pin(async move { p.stop().await })
        }),
    );
    Ok(pool)
}

/// `acquire({ timeoutMs? })`: the session, wrapped for JS by `wrap`.
pub fn acquire_promise<S: PooledSession>(pool: &Pool<S>, opts: JsValue, wrap: fn(S) -> JsValue) -> Promise {
    let pool = pool.clone();
    future_to_promise(async move {
        let o = options::object(&opts, "acquire options").map_err(to_js)?;
        let timeout = options::millis(&o, "timeoutMs").map_err(to_js)?;
        let s = pool.acquire(timeout, acquire_sleep).await.map_err(to_js)?;
        Ok(wrap(s))
    })
}

/// `stop()`: closes idle sessions; later `acquire` calls fail.
pub fn stop_promise<S: PooledSession>(pool: &Pool<S>) -> Promise {
    let pool = pool.clone();
    future_to_promise(async move {
        pool.stop().await;
        Ok(JsValue::UNDEFINED)
    })
}
