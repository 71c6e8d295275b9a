//! What the two JS pool classes (`SessionPool`, `QuerySessionPool`) share: building a pool from a
//! driver's options (and stopping it with the driver), acquiring with a timeout, and stopping.

use super::driver::Driver;
use super::{options, to_js};
use crate::discovery::Endpoints;
use crate::pool::{Checkout, Pool, PooledSession};
use futures_util::future::LocalBoxFuture;
use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::future_to_promise;
use wasm_bindgen_futures::JsFuture;

/// How long a table session may sit idle in its pool before it gets a KeepAlive, by default. YDB closes
/// sessions idle for 10 minutes; checked every quarter of this, a session is pinged after 5 to 6.25
/// minutes idle (the Python SDK pings after 6).
pub const DEFAULT_KEEP_ALIVE_MS: f64 = 300_000.0;

/// The options object of a pool's constructor (`None` when absent).
pub fn pool_options(opts: &JsValue) -> Result<Option<JsValue>, JsValue> {
    options::object(opts, "pool options").map_err(to_js)
}

/// A pool of `{ size? }` sessions on the driver's endpoints, stopped when the driver stops.
pub fn pool_for_driver<S: PooledSession<Factory = Endpoints>>(
    driver: &Driver,
    o: &Option<JsValue>,
) -> crate::error::Result<Pool<S>> {
    driver.inner.ensure_running()?;
    let size = options::number(o, "size")?.unwrap_or(100.0) as usize;
    let pool = Pool::<S>::new(driver.inner.endpoints().clone(), size).with_polling_waiters(super::pool_poll_ms());
    let stopper = pool.clone();
    driver.inner.on_stop(Box::new(move |wait_ms| {
        let p = stopper.clone();
        Box::pin(async move { stop_and_drain(&p, wait_ms).await })
    }));
    Ok(pool)
}

/// Starts keeping a pool's idle sessions alive as its `{ keepAliveMs? }` option says (0: never).
pub fn keep_alive_as_configured<S: PooledSession>(
    pool: &Pool<S>,
    driver: &Driver,
    o: &Option<JsValue>,
) -> Result<(), JsValue> {
    let idle_ms = options::number(o, "keepAliveMs")?.unwrap_or(DEFAULT_KEEP_ALIVE_MS);
    if idle_ms > 0.0 && !super::request_bound_io() {
        wasm_bindgen_futures::spawn_local(keep_alive_loop(pool.clone(), driver.inner.shutdown().clone(), idle_ms));
    }
    Ok(())
}

/// Every quarter of `idle_ms`, pings the sessions idle for `idle_ms` or longer, until the pool or the
/// driver stops. Its timer does not keep a Node.js or Deno process alive. Request-bound runtimes (Workers)
/// cannot run it between requests; there a session the server expired fails its next call with
/// BAD_SESSION, and the retry loop replaces it.
async fn keep_alive_loop<S: PooledSession>(pool: Pool<S>, shutdown: crate::driver::Shutdown, idle_ms: f64) {
    let period = (idle_ms / 4.0).max(10.0);
    while shutdown.sleep(period, background_sleep).await.is_ok() && !pool.is_stopped() {
        pool.keep_alive_idle(idle_ms).await;
    }
}

/// `setTimeout` whose timer does not hold the process open: `unref()` in Node.js, `Deno.unrefTimer` in
/// Deno (browsers have nothing to hold open).
fn background_sleep(ms: f64) -> LocalBoxFuture<'static, ()> {
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
        let _ = JsFuture::from(promise).await;
    })
}

/// `acquire({ timeoutMs?, signal? })`: the session, wrapped for JS by `wrap`.
pub fn acquire_promise<S: PooledSession + Clone>(
    pool: &Pool<S>,
    opts: JsValue,
    wrap: impl Fn(Checkout<S>) -> JsValue + 'static,
) -> Promise {
    let pool = pool.clone();
    future_to_promise(async move {
        let o = options::object(&opts, "acquire options")?;
        let timeout = options::millis(&o, "timeoutMs")?;
        let signal = options::signal(&o)?;
        super::retry::check_signal(signal.as_ref())?;
        let abort = super::retry::abort_future(signal.as_ref());
        let s = pool.acquire(timeout, crate::clock::sleep_ms, abort).await?;
        Ok(wrap(Checkout::pooled(&pool, s)))
    })
}

/// `pool.release(session)`: back to its pool once (a second release does nothing); a session from
/// another pool, or from `tableClient().session()`, is a `TypeError` and changes nothing.
pub fn release_to<S: PooledSession + Clone>(pool: &Pool<S>, session: &Checkout<S>) -> Result<(), JsValue> {
    if !session.is_from(pool) {
        return Err(to_js(crate::error::Error::argument(
            "release: this session does not belong to this pool (release it to the pool it came from)",
        )));
    }
    session.release();
    Ok(())
}

/// `stop({ timeoutMs? })`: closes idle sessions and refuses new work; with `timeoutMs`, also waits that long
/// for the sessions still checked out to come back and be closed.
pub fn stop_promise<S: PooledSession>(pool: &Pool<S>, opts: JsValue) -> Promise {
    let pool = pool.clone();
    future_to_promise(async move {
        let o = options::object(&opts, "stop options")?;
        let wait_ms = options::millis(&o, "timeoutMs")?;
        stop_and_drain(&pool, wait_ms).await;
        Ok(JsValue::UNDEFINED)
    })
}

async fn stop_and_drain<S: PooledSession>(pool: &Pool<S>, wait_ms: Option<u32>) {
    pool.stop().await;
    if let Some(ms) = wait_ms {
        pool.drain(ms, crate::clock::sleep_ms).await;
    }
}
