//! `QuerySessionPool`, `QuerySession` and the streamed `executeQuery` result, as JS sees them.

use super::driver::Driver;
use super::or_reject;
use super::pooling::{acquire_promise, pool_for_driver, pool_options, release_to, stop_promise};
use super::retry::{retry_operation_promise, RetryContext, SignalCancellation};
use super::sql::text_and_params;
use super::values::{result_set_to_js, result_sets_to_js, ResultShape};
use super::{options, to_js};
use crate::error::{Error, Result};
use crate::pool::{Checkout, Pool};
use crate::proto::ydb::TypedValue;
use crate::query::{execute_once, OneShot, QueryResultStream as CoreStream, QuerySession as CoreSession, TxControl};
use crate::retry::RetrySettings;
use crate::transport::CallOptions;
use js_sys::{Array, Function, Promise};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;
use web_sys::AbortSignal;

pub(crate) type SessionPool = Pool<Rc<CoreSession>>;

#[wasm_bindgen]
pub struct QuerySessionPool {
    pool: SessionPool,
    retry: RetryContext,
    driver: crate::driver::Driver,
}

#[wasm_bindgen]
impl QuerySessionPool {
    /// `new QuerySessionPool(driver, { size? })`
    #[wasm_bindgen(constructor)]
    pub fn new(driver: &Driver, opts: JsValue) -> std::result::Result<QuerySessionPool, JsValue> {
        let pool = pool_for_driver(driver, &pool_options(&opts)?)?;
        Ok(QuerySessionPool { pool, retry: RetryContext::of(driver), driver: driver.inner.clone() })
    }

    /// A session for exclusive use; give it back with `release`.
    pub fn acquire(&self, opts: JsValue) -> Promise {
        acquire_promise(&self.pool, opts, |s| QuerySession::of(s).into())
    }

    /// Gives a session back. A second release is a no-op; a session of another pool is a `TypeError`.
    pub fn release(&self, session: &QuerySession) -> std::result::Result<(), JsValue> {
        release_to(&self.pool, &session.inner)
    }

    /// `retryOperation(async (session) => …, retrySettings?)`
    #[wasm_bindgen(js_name = retryOperation)]
    pub fn retry_operation(&self, callee: Function, settings: JsValue, args: Array) -> Promise {
        retry_operation_promise(&self.pool, &self.retry, settings, |s| QuerySession::of(s).into(), callee, args)
    }

    /// Runs a query with retries and returns all its result sets: one request per attempt, in an
    /// implicit session (pooled sessions only for a server that refuses those).
    #[wasm_bindgen(js_name = executeWithRetries)]
    pub fn execute_with_retries(&self, query: JsValue, params: JsValue, settings: JsValue) -> Promise {
        let pool = self.pool.clone();
        let settings_arg = settings;
        let prepared = (|| -> Result<_> {
            let (settings, signal) = self.retry.settings(&settings_arg)?;
            let call = CallOptions { signal: signal.clone(), ..Default::default() };
            let shape = ResultShape::from_options(&options::object(&settings_arg, "retry settings")?)?;
            Ok((one_shot(&query, &params, call)?, settings, signal, shape))
        })();
        one_shot_promise(self.driver.clone(), Box::new(move || Ok(pool.clone())), prepared)
    }
    /// Closes every idle session; later `acquire` calls fail.
    pub fn stop(&self, opts: JsValue) -> Promise {
        stop_promise(&self.pool, opts)
    }

    #[wasm_bindgen(getter)]
    pub fn size(&self) -> usize {
        self.pool.size()
    }

    /// Sessions open now (idle and checked out).
    #[wasm_bindgen(getter, js_name = totalSessions)]
    pub fn total_sessions(&self) -> usize {
        self.pool.total()
    }

    #[wasm_bindgen(getter, js_name = idleSessions)]
    pub fn idle_sessions(&self) -> usize {
        self.pool.idle()
    }
}

/// A one-shot query from its JS arguments.
pub(crate) fn one_shot(query: &JsValue, params: &JsValue, call: CallOptions) -> Result<OneShot> {
    let (text, parameters) = super::sql::text_and_params(query, params)?;
    Ok(OneShot { text, parameters, call })
}

/// The promise of a one-shot query's result sets (see [`crate::query::execute_once`]); `fallback` gives the
/// pool used when the server refuses implicit sessions. Not generic on purpose: one copy of this state
/// machine serves both the driver's `query` and the pool's `executeWithRetries`.
pub(crate) fn one_shot_promise(
    driver: crate::driver::Driver,
    fallback: Box<dyn Fn() -> Result<SessionPool>>,
    prepared: Result<(OneShot, RetrySettings, Option<AbortSignal>, ResultShape)>,
) -> Promise {
    future_to_promise(async move {
        let (query, settings, signal, shape) = prepared?;
        let cancellation = SignalCancellation(signal);
        let sets = execute_once(&driver, &*fallback, &settings, &cancellation, super::random, &query).await?;
        result_sets_to_js(&sets, shape).map_err(to_js)
    })
}

#[wasm_bindgen]
pub struct QuerySession {
    inner: Checkout<Rc<CoreSession>>,
    /// Kept apart from the checkout so that a released handle still says which session it was.
    id: String,
}

impl QuerySession {
    fn of(inner: Checkout<Rc<CoreSession>>) -> Self {
        let id = inner.get().map(|s| s.id().to_string()).unwrap_or_default();
        QuerySession { inner, id }
    }
}

fn tx_control_from_js(o: &Option<JsValue>) -> Result<TxControl> {
    let tx = options::raw(o, "txControl");
    if tx.is_undefined() || tx.is_null() {
        return Ok(TxControl::None);
    }
    let t = options::object(&tx, "txControl")?;
    let commit = options::boolean(&t, "commitTx")?.unwrap_or(false);
    if let Some(id) = options::string(&t, "txId")? {
        return Ok(TxControl::Existing { tx_id: id, commit });
    }
    let mode = super::table::tx_mode_from_js(&options::raw(&t, "beginTx"))?;
    Ok(TxControl::Begin { mode, commit })
}

#[wasm_bindgen]
impl QuerySession {
    #[wasm_bindgen(getter, js_name = sessionId)]
    pub fn session_id(&self) -> String {
        self.id.clone()
    }

    #[wasm_bindgen(getter, js_name = isAlive)]
    pub fn is_alive(&self) -> bool {
        self.inner.get().is_ok_and(|s| s.is_alive())
    }

    /// Streams the query's result-set parts: `for await (const part of session.executeQuery(q))`.
    #[wasm_bindgen(js_name = executeQuery)]
    pub fn execute_query(
        &self,
        query: JsValue,
        params: JsValue,
        opts: JsValue,
    ) -> std::result::Result<QueryResultStream, JsValue> {
        let start = (|| -> Result<(Pending, ResultShape)> {
            let (text, params) = text_and_params(&query, &params)?;
            let o = options::object(&opts, "executeQuery options")?;
            let pending = Pending {
                session: self.inner.get()?,
                text,
                params,
                tx: tx_control_from_js(&o)?,
                call: options::call_options(&o)?,
            };
            Ok((pending, ResultShape::from_options(&o)?))
        })();
        let (start, shape) = start?;
        Ok(QueryResultStream {
            state: Rc::new(RefCell::new(StreamState::Pending(Box::new(start)))),
            tx_id: Rc::default(),
            shape,
        })
    }

    /// Begins a transaction explicitly and returns its id.
    #[wasm_bindgen(js_name = beginTransaction)]
    pub fn begin_transaction(&self, mode: JsValue) -> Promise {
        let s = self.inner.get();
        let s = or_reject!(s);
        future_to_promise(async move {
            let mode = super::table::tx_mode_from_js(&mode)?;
            let id = s.begin(mode, &CallOptions::default()).await?;
            Ok(JsValue::from_str(&id))
        })
    }

    #[wasm_bindgen(js_name = commitTransaction)]
    pub fn commit_transaction(&self, tx_id: JsValue) -> Promise {
        let s = self.inner.get();
        let s = or_reject!(s);
        future_to_promise(async move {
            let tx_id = tx_id_arg(&tx_id)?;
            s.commit(&tx_id, &CallOptions::default()).await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    #[wasm_bindgen(js_name = rollbackTransaction)]
    pub fn rollback_transaction(&self, tx_id: JsValue) -> Promise {
        let s = self.inner.get();
        let s = or_reject!(s);
        future_to_promise(async move {
            let tx_id = tx_id_arg(&tx_id)?;
            s.rollback(&tx_id, &CallOptions::default()).await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Deletes the session (a session from a pool goes back with `pool.release` instead).
    pub fn close(&self) -> Promise {
        let s = self.inner.get();
        let s = or_reject!(s);
        future_to_promise(async move {
            s.delete().await;
            Ok(JsValue::UNDEFINED)
        })
    }
}

/// A transaction id argument. Exported functions take `JsValue`, never `String`: wasm-bindgen's glue
/// would pass a non-string (a number, an object) to wasm as a string with a bogus length, which traps.
fn tx_id_arg(v: &JsValue) -> Result<String> {
    v.as_string().ok_or_else(|| Error::argument("a transaction id must be a string"))
}

struct Pending {
    session: Rc<CoreSession>,
    text: String,
    params: HashMap<String, TypedValue>,
    tx: TxControl,
    call: CallOptions,
}

enum StreamState {
    Pending(Box<Pending>),
    Running(CoreStream),
    /// A `next()` is in flight.
    Busy,
    Done,
}

/// The running stream of `state`, started on first use (`None` once done). While the caller reads it,
/// `state` is Busy: a second reader is refused instead of interleaving.
async fn take_stream(state: &RefCell<StreamState>) -> Result<Option<CoreStream>> {
    let current = std::mem::replace(&mut *state.borrow_mut(), StreamState::Busy);
    match current {
        StreamState::Pending(p) => match p.session.execute(&p.text, p.params, &p.tx, &p.call).await {
            Ok(s) => Ok(Some(s)),
            Err(e) => {
                *state.borrow_mut() = StreamState::Done;
                Err(e)
            }
        },
        StreamState::Running(s) => Ok(Some(s)),
        StreamState::Busy => Err(Error::argument("next() called before the previous next() settled")),
        StreamState::Done => {
            *state.borrow_mut() = StreamState::Done;
            Ok(None)
        }
    }
}

/// The parts of one `executeQuery`, pulled with `next()` (the JS entry makes it async-iterable).
#[wasm_bindgen]
pub struct QueryResultStream {
    state: Rc<RefCell<StreamState>>,
    /// The transaction the query began, kept after the stream ends (a write-only query may end
    /// without any result-set part).
    tx_id: Rc<RefCell<Option<String>>>,
    /// How its result sets are given (`rowMode`, `timestamps`).
    shape: ResultShape,
}

#[wasm_bindgen]
impl QueryResultStream {
    /// Resolves the next result-set part (`{ index, columns, rows, truncated }`), or `undefined`.
    pub fn next(&self) -> Promise {
        let state = self.state.clone();
        let shape = self.shape;
        let tx_id = self.tx_id.clone();
        future_to_promise(async move {
            let Some(mut stream) = take_stream(&state).await? else {
                return Ok(JsValue::UNDEFINED);
            };
            let next = stream.next().await;
            if stream.tx_id.is_some() {
                tx_id.borrow_mut().clone_from(&stream.tx_id);
            }
            match next {
                Some(Ok(part)) => {
                    let js = result_set_to_js(&part.result_set, Some(part.index), shape);
                    *state.borrow_mut() = StreamState::Running(stream);
                    js.map_err(to_js)
                }
                Some(Err(e)) => {
                    *state.borrow_mut() = StreamState::Done;
                    Err(to_js(e))
                }
                None => {
                    *state.borrow_mut() = StreamState::Done;
                    Ok(JsValue::UNDEFINED)
                }
            }
        })
    }

    /// Resolves the rest of the stream gathered into whole result sets (what awaiting a query gives).
    pub fn collect(&self) -> Promise {
        let state = self.state.clone();
        let shape = self.shape;
        let tx_id = self.tx_id.clone();
        future_to_promise(async move {
            let Some(mut stream) = take_stream(&state).await? else {
                return result_sets_to_js(&[], shape).map_err(to_js);
            };
            let sets = stream.collect().await;
            if stream.tx_id.is_some() {
                tx_id.borrow_mut().clone_from(&stream.tx_id);
            }
            *state.borrow_mut() = StreamState::Done;
            result_sets_to_js(&sets?, shape).map_err(to_js)
        })
    }

    /// The transaction the query began and left open, once known.
    #[wasm_bindgen(getter, js_name = txId)]
    pub fn tx_id(&self) -> Option<String> {
        self.tx_id.borrow().clone()
    }

    /// Stops reading: the request is aborted and the server stops the query.
    pub fn cancel(&self) {
        *self.state.borrow_mut() = StreamState::Done;
    }
}
