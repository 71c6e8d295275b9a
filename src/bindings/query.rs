//! `QuerySessionPool`, `QuerySession` and the streamed `executeQuery` result, as JS sees them.

use super::driver::Driver;
use super::pooling::{pool_for_driver, pool_methods, pool_options, session_methods};
use super::promise;
use super::retry::settings_and_cancel;
use super::sql::text_and_params;
use super::values::{result_set_to_js, result_sets_to_js, ResultShape};
use super::{on_session, options, undefined};
use crate::error::{Error, Result};
use crate::pool::{Checkout, Pool};
use crate::query::{execute_once, OneShot, QuerySession as CoreSession, StreamedQuery, TxControl};
use crate::retry::RetrySettings;
use crate::transport::CallOptions;
use js_sys::{Array, Function, Promise};
use std::rc::Rc;
use wasm_bindgen::prelude::*;

pub(crate) type SessionPool = Pool<Rc<CoreSession>>;

#[wasm_bindgen]
pub struct QuerySessionPool {
    pool: SessionPool,
    driver: crate::driver::Driver,
}

#[wasm_bindgen]
impl QuerySessionPool {
    /// `new QuerySessionPool(driver, { size? })`
    #[wasm_bindgen(constructor)]
    pub fn new(driver: &Driver, opts: JsValue) -> std::result::Result<QuerySessionPool, JsValue> {
        let pool = pool_for_driver(driver, &pool_options(&opts)?)?;
        Ok(QuerySessionPool { pool, driver: driver.inner.clone() })
    }

    /// Runs a query with retries and returns all its result sets: one request per attempt, in an
    /// implicit session (pooled sessions only for a server that refuses those).
    #[wasm_bindgen(js_name = executeWithRetries)]
    pub fn execute_with_retries(&self, query: JsValue, params: JsValue, settings: JsValue) -> Promise {
        let pool = self.pool.clone();
        let prepared = (|| {
            let shape = ResultShape::from_options(&options::object(&settings, "retry settings")?)?;
            let (settings, cancel) = settings_and_cancel(&settings)?;
            Ok((one_shot(&query, &params, CallOptions { cancel, ..Default::default() })?, settings, shape))
        })();
        one_shot_promise(self.driver.clone(), Box::new(move || Ok(pool.clone())), prepared)
    }
}

pool_methods!(QuerySessionPool, QuerySession, |_: &QuerySessionPool| QuerySession::of);
session_methods!(QuerySession);

#[wasm_bindgen]
impl Driver {
    /// `query(text, params?, { retrySettings?, idempotent?, timeoutMs?, signal? })` → `ResultSet[]`: one
    /// request per attempt in an implicit session, retried as `retrySettings` (and `idempotent`) allow;
    /// `timeoutMs` bounds each attempt, `signal` cancels the request and the whole loop.
    pub fn query(&self, text: JsValue, params: JsValue, opts: JsValue) -> Promise {
        let prepared = (|| -> Result<_> {
            let o = options::object(&opts, "query options")?;
            let (mut settings, loop_cancel) = super::retry::settings_and_cancel(&options::raw(&o, "retrySettings"))?;
            if let Some(idempotent) = options::boolean(&o, "idempotent")? {
                settings.idempotent = idempotent;
            }
            let mut call = options::call_options(&o)?;
            call.cancel = call.cancel.or(loop_cancel);
            Ok((one_shot(&text, &params, call)?, settings, ResultShape::from_options(&o)?))
        })();
        let (driver, fallback) = (self.inner.clone(), self.fallback_pool.clone());
        one_shot_promise(self.inner.clone(), Box::new(move || fallback.get(&driver)), prepared)
    }

    /// A query-service session pool bound to this driver (stopped with it).
    #[wasm_bindgen(js_name = querySessionPool)]
    pub fn query_session_pool(&self, opts: JsValue) -> std::result::Result<QuerySessionPool, JsValue> {
        QuerySessionPool::new(self, opts)
    }
}

/// A one-shot query from its JS arguments.
pub(crate) fn one_shot(query: &JsValue, params: &JsValue, call: CallOptions) -> Result<OneShot> {
    let (text, parameters) = text_and_params(query, params)?;
    Ok(OneShot { text, parameters, call })
}

/// The promise of a one-shot query's result sets (see [`crate::query::execute_once`]); `fallback` gives the
/// pool used when the server refuses implicit sessions. Not generic on purpose: one copy of this state
/// machine serves both the driver's `query` and the pool's `executeWithRetries`.
pub(crate) fn one_shot_promise(
    driver: crate::driver::Driver,
    fallback: Box<dyn Fn() -> Result<SessionPool>>,
    prepared: Result<(OneShot, RetrySettings, ResultShape)>,
) -> Promise {
    promise(Box::pin(async move {
        let (query, settings, shape) = prepared?;
        let random = crate::transport::runtime::random;
        result_sets_to_js(&execute_once(&driver, &*fallback, &settings, random, &query).await?, shape)
    }))
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
    let (tx_id, mode) = (options::string(&t, "txId")?, super::table::tx_mode_from_js(&options::raw(&t, "beginTx"))?);
    Ok(TxControl::of(tx_id, mode, options::boolean(&t, "commitTx")?.unwrap_or(false)))
}

/// A transaction id argument. Exported functions take `JsValue`, never `String`: wasm-bindgen's glue
/// would pass a non-string (a number, an object) to wasm as a string with a bogus length, which traps.
fn tx_id_arg(v: &JsValue) -> Result<String> {
    v.as_string().ok_or_else(|| Error::argument("a transaction id must be a string"))
}

#[wasm_bindgen]
impl QuerySession {
    /// Streams the query's result-set parts: `for await (const part of session.executeQuery(q))`.
    #[wasm_bindgen(js_name = executeQuery)]
    pub fn execute_query(
        &self,
        query: JsValue,
        params: JsValue,
        opts: JsValue,
    ) -> std::result::Result<QueryResultStream, JsValue> {
        let (text, params) = text_and_params(&query, &params)?;
        let o = options::object(&opts, "executeQuery options")?;
        let (tx, call, shape) = (tx_control_from_js(&o)?, options::call_options(&o)?, ResultShape::from_options(&o)?);
        Ok(QueryResultStream { inner: StreamedQuery::new(self.inner.get()?, text, params, tx, call), shape })
    }

    /// Begins a transaction explicitly and returns its id.
    #[wasm_bindgen(js_name = beginTransaction)]
    pub fn begin_transaction(&self, mode: JsValue) -> Promise {
        on_session(&self.inner, super::table::tx_mode_from_js(&mode), |s, mode| async move {
            Ok(JsValue::from_str(&s.begin(mode, &CallOptions::default()).await?))
        })
    }

    #[wasm_bindgen(js_name = commitTransaction)]
    pub fn commit_transaction(&self, tx_id: JsValue) -> Promise {
        on_session(&self.inner, tx_id_arg(&tx_id), |s, id| async move {
            s.commit(&id, &CallOptions::default()).await.map(undefined)
        })
    }

    #[wasm_bindgen(js_name = rollbackTransaction)]
    pub fn rollback_transaction(&self, tx_id: JsValue) -> Promise {
        on_session(&self.inner, tx_id_arg(&tx_id), |s, id| async move {
            s.rollback(&id, &CallOptions::default()).await.map(undefined)
        })
    }
}

/// The parts of one `executeQuery`, pulled with `next()` (the JS entry makes it async-iterable).
#[wasm_bindgen]
pub struct QueryResultStream {
    inner: StreamedQuery,
    /// How its result sets are given (`rowMode`, `timestamps`).
    shape: ResultShape,
}

#[wasm_bindgen]
impl QueryResultStream {
    /// Resolves the next result-set part (`{ index, columns, rows, truncated }`), or `undefined`.
    pub fn next(&self) -> Promise {
        let (stream, shape) = (self.inner.clone(), self.shape);
        promise(Box::pin(async move {
            match stream.next().await? {
                Some(part) => Ok(result_set_to_js(&part.result_set, Some(part.index), shape)?),
                None => Ok(JsValue::UNDEFINED),
            }
        }))
    }

    /// Resolves the rest of the stream gathered into whole result sets (what awaiting a query gives).
    pub fn collect(&self) -> Promise {
        let (stream, shape) = (self.inner.clone(), self.shape);
        promise(Box::pin(async move { result_sets_to_js(&stream.collect().await?, shape) }))
    }

    /// The transaction the query began and left open, once known.
    #[wasm_bindgen(getter, js_name = txId)]
    pub fn tx_id(&self) -> Option<String> {
        self.inner.tx_id()
    }

    /// Stops reading: the request is aborted and the server stops the query.
    pub fn cancel(&self) {
        self.inner.cancel();
    }
}
