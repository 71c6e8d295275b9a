//! What the two JS pool classes (`SessionPool`, `QuerySessionPool`) and their session classes share, as JS
//! sees it: the pool's options and methods, and the session's id, liveness and close. The pools themselves, and their life beside the driver, are
//! [`crate::pool`]'s.

use super::driver::Driver;
use super::promise;
use super::{options, to_js};
use crate::discovery::Endpoints;
use crate::pool::{Checkout, Pool, PooledSession};
use js_sys::Promise;
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
        let checkout = pool.checkout_by_hand(options::millis(&o, "timeoutMs")?, options::signal(&o)?.as_ref()).await?;
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

/// The methods of a JS pool class `$pool` (with `pool` and `driver` fields) whose sessions are `$session`
/// objects, made from a checkout by `$wrap(&pool)(checkout)`.
macro_rules! pool_methods {
    ($pool:ident, $session:ident, $wrap:expr) => {
        #[wasm_bindgen]
        impl $pool {
            /// A session for exclusive use; give it back with `release`.
            pub fn acquire(&self, opts: JsValue) -> Promise {
                let wrap = ($wrap)(self);
                super::pooling::acquire_promise(&self.pool, opts, move |s| wrap(s).into())
            }

            /// Gives a session back. A second release is a no-op; a session of another pool is a `TypeError`.
            pub fn release(&self, session: &$session) -> std::result::Result<(), JsValue> {
                session.inner.release_to(&self.pool).map_err(super::to_js)
            }

            /// `retryOperation(async (session, ...args) => …, retrySettings?, ...args)`
            #[wasm_bindgen(js_name = retryOperation)]
            pub fn retry_operation(&self, callee: Function, settings: JsValue, args: Array) -> Promise {
                let wrap = ($wrap)(self);
                let wrap = move |s| wrap(s).into();
                super::retry::retry_operation_promise(&self.pool, &self.driver, settings, wrap, callee, args)
            }

            /// Closes every idle session and refuses new work (see `stop_promise`).
            pub fn stop(&self, opts: JsValue) -> Promise {
                super::pooling::stop_promise(&self.pool, opts)
            }

            /// `{ maxSize, idle, inUse, creating, total, waiters, stopped }` (`size`, `totalSessions` and
            /// `idleSessions` read it: js/api.js)
            #[wasm_bindgen(getter)]
            pub fn status(&self) -> JsValue {
                super::plain_to_js(&self.pool.status().to_plain())
            }
        }
    };
}
pub(crate) use pool_methods;

/// The methods of a JS session class `$session` (with `inner`, its checkout, and `id` fields).
macro_rules! session_methods {
    ($session:ident) => {
        #[wasm_bindgen]
        impl $session {
            #[wasm_bindgen(getter, js_name = sessionId)]
            pub fn session_id(&self) -> String {
                self.id.clone()
            }

            #[wasm_bindgen(getter, js_name = isAlive)]
            pub fn is_alive(&self) -> bool {
                self.inner.get().is_ok_and(|s| s.is_alive())
            }

            /// Deletes the session (a session from a pool goes back with `pool.release` instead).
            pub fn close(&self) -> Promise {
                super::on_session(&self.inner, Ok(()), |s, ()| async move {
                    s.delete().await;
                    Ok(JsValue::UNDEFINED)
                })
            }
        }
    };
}
pub(crate) use session_methods;
