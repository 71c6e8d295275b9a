//! What the two JS pool classes (`SessionPool`, `QuerySessionPool`) share, as JS sees it: their options,
//! `acquire`, `stop` and `status`. The pools themselves, and their life beside the driver, are
//! [`crate::pool`]'s.

use super::driver::Driver;
use super::promise;
use super::{options, to_js};
use crate::discovery::Endpoints;
use crate::pool::{Checkout, Pool, PoolStatus, PooledSession};
use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::JsValue;

/// The options object of a pool's constructor (`None` when absent).
pub fn pool_options(opts: &JsValue) -> Result<Option<JsValue>, JsValue> {
    options::object(opts, "pool options").map_err(to_js)
}

/// A pool of `{ size? }` sessions on the driver's endpoints, stopped when the driver stops.
pub fn pool_for_driver<S: PooledSession<Factory = Endpoints>>(
    driver: &Driver,
    o: &Option<JsValue>,
) -> crate::error::Result<Pool<S>> {
    let size = options::number(o, "size")?.map(|n| n as usize);
    Pool::for_driver(&driver.inner, size)
}

/// `acquire({ timeoutMs?, signal? })`: the session, wrapped for JS by `wrap`.
pub fn acquire_promise<S: PooledSession + Clone>(
    pool: &Pool<S>,
    opts: JsValue,
    wrap: impl Fn(Checkout<S>) -> JsValue + 'static,
) -> Promise {
    let pool = pool.clone();
    promise(Box::pin(async move {
        let o = options::object(&opts, "acquire options")?;
        let checkout = pool.checkout(options::millis(&o, "timeoutMs")?, options::signal(&o)?.as_ref()).await?;
        Ok(wrap(checkout))
    }))
}

/// `stop({ timeoutMs? })`: closes idle sessions and refuses new work; with `timeoutMs`, also waits that long
/// for the sessions still checked out to come back and be closed.
pub fn stop_promise<S: PooledSession>(pool: &Pool<S>, opts: JsValue) -> Promise {
    let pool = pool.clone();
    promise(Box::pin(async move {
        let o = options::object(&opts, "stop options")?;
        pool.stop_and_drain(options::millis(&o, "timeoutMs")?).await;
        Ok(JsValue::UNDEFINED)
    }))
}

/// A pool's `status`: `{ maxSize, idle, inUse, creating, waiters, stopped }`.
pub fn status_to_js(s: PoolStatus) -> JsValue {
    let o = Object::new();
    let fields = [
        ("maxSize", JsValue::from(s.max_size)),
        ("idle", JsValue::from(s.idle)),
        ("inUse", JsValue::from(s.in_use)),
        ("creating", JsValue::from(s.creating)),
        ("waiters", JsValue::from(s.waiters)),
        ("stopped", JsValue::from_bool(s.stopped)),
    ];
    for (key, value) in fields {
        let _ = Reflect::set(&o, &JsValue::from_str(key), &value);
    }
    o.into()
}
