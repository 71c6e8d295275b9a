//! `SessionPool`, table `Session` and `TxContext`, as JS sees them.

use super::driver::{on_stop, Driver};
use super::retry::{retry_with_session, settings_from_js};
use super::values::{params_from_js, result_sets_to_js};
use super::{options, to_js};
use crate::error::{Error, Result};
use crate::pool::Pool;
use crate::table::{TableSession, TxContext as CoreTx};
use crate::tx_mode::TxMode;
use js_sys::{Array, Function, Promise, Reflect};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

/// A transaction mode from JS: `new SerializableReadWrite()`, `new OnlineReadOnly({...})`, … (any
/// object with a `mode` name), or the name itself.
pub fn tx_mode_from_js(v: &JsValue) -> Result<TxMode> {
    if v.is_undefined() || v.is_null() {
        return Ok(TxMode::SerializableReadWrite);
    }
    let name = if let Some(s) = v.as_string() {
        s
    } else {
        Reflect::get(v, &JsValue::from_str("mode")).ok().and_then(|m| m.as_string()).ok_or_else(|| {
            Error::argument(
                "a transaction mode must be SerializableReadWrite, OnlineReadOnly, StaleReadOnly or SnapshotReadOnly",
            )
        })?
    };
    let o = options::object(v, "transaction mode").ok().flatten();
    Ok(match name.as_str() {
        "serializableReadWrite" => TxMode::SerializableReadWrite,
        "onlineReadOnly" => TxMode::OnlineReadOnly {
            allow_inconsistent_reads: options::boolean(&o, "allowInconsistentReads")?.unwrap_or(false),
        },
        "staleReadOnly" => TxMode::StaleReadOnly,
        "snapshotReadOnly" => TxMode::SnapshotReadOnly,
        other => return Err(Error::argument(format!("unknown transaction mode {other:?}"))),
    })
}

type TablePool = Pool<Rc<TableSession>>;

#[wasm_bindgen]
pub struct SessionPool {
    pool: TablePool,
}

#[wasm_bindgen]
impl SessionPool {
    /// `new SessionPool(driver, { size? })`
    #[wasm_bindgen(constructor)]
    pub fn new(driver: &Driver, opts: JsValue) -> std::result::Result<SessionPool, JsValue> {
        driver.ensure_running()?;
        let o = options::object(&opts, "pool options").map_err(to_js)?;
        let size = options::number(&o, "size").map_err(to_js)?.unwrap_or(100.0) as usize;
        let pool = TablePool::new(driver.inner.channel().clone(), size).with_polling_waiters(super::pool_poll_ms());
        let stopper = pool.clone();
        on_stop(
            driver,
            Box::new(move || {
                let p = stopper.clone();
                Box::pin(async move { p.stop().await })
            }),
        );
        Ok(SessionPool { pool })
    }

    pub fn acquire(&self, opts: JsValue) -> Promise {
        let pool = self.pool.clone();
        future_to_promise(async move {
            let o = options::object(&opts, "acquire options").map_err(to_js)?;
            let timeout = options::millis(&o, "timeoutMs").map_err(to_js)?;
            let s = pool.acquire(timeout, |ms| Box::pin(super::sleep_ms(f64::from(ms)))).await.map_err(to_js)?;
            Ok(Session { inner: s }.into())
        })
    }

    pub fn release(&self, session: &Session) {
        self.pool.release(session.inner.clone());
    }

    /// `retryOperation(async (session, ...args) => …, retrySettings?, ...args)`
    #[wasm_bindgen(js_name = retryOperation)]
    pub fn retry_operation(&self, callee: Function, settings: JsValue, args: Array) -> Promise {
        let pool = self.pool.clone();
        future_to_promise(async move {
            let settings = settings_from_js(&settings).map_err(to_js)?;
            retry_with_session(&pool, &settings, |s| Session { inner: s }.into(), &callee, &args).await
        })
    }

    pub fn stop(&self) -> Promise {
        let pool = self.pool.clone();
        future_to_promise(async move {
            pool.stop().await;
            Ok(JsValue::UNDEFINED)
        })
    }

    #[wasm_bindgen(getter)]
    pub fn size(&self) -> usize {
        self.pool.size()
    }

    #[wasm_bindgen(getter, js_name = totalSessions)]
    pub fn total_sessions(&self) -> usize {
        self.pool.total()
    }

    #[wasm_bindgen(getter, js_name = idleSessions)]
    pub fn idle_sessions(&self) -> usize {
        self.pool.idle()
    }
}

#[wasm_bindgen]
pub struct Session {
    inner: Rc<TableSession>,
}

fn query_text(q: &JsValue) -> Result<String> {
    q.as_string().ok_or_else(|| Error::argument("query must be a string"))
}

#[wasm_bindgen]
impl Session {
    #[wasm_bindgen(getter, js_name = sessionId)]
    pub fn session_id(&self) -> String {
        self.inner.id().to_string()
    }

    #[wasm_bindgen(getter, js_name = isAlive)]
    pub fn is_alive(&self) -> bool {
        self.inner.is_alive()
    }

    /// Runs a query in one auto-committed serializable transaction.
    #[wasm_bindgen(js_name = executeQuery)]
    pub fn execute_query(&self, query: JsValue, params: JsValue, opts: JsValue) -> Promise {
        let session = self.inner.clone();
        let prepared = (|| -> Result<_> {
            let o = options::object(&opts, "executeQuery options")?;
            Ok((query_text(&query)?, params_from_js(&params)?, options::call_options(&o)?))
        })();
        future_to_promise(async move {
            let (text, params, call) = prepared.map_err(to_js)?;
            let mut tx = CoreTx::new(session, TxMode::SerializableReadWrite);
            let sets = tx.execute(&text, params, true, &call).await.map_err(to_js)?;
            result_sets_to_js(&sets).map_err(to_js)
        })
    }

    /// Runs DDL (`CREATE TABLE …`).
    #[wasm_bindgen(js_name = executeSchemeQuery)]
    pub fn execute_scheme_query(&self, yql: JsValue, opts: JsValue) -> Promise {
        let session = self.inner.clone();
        let prepared = (|| -> Result<_> {
            let o = options::object(&opts, "executeSchemeQuery options")?;
            Ok((query_text(&yql)?, options::call_options(&o)?))
        })();
        future_to_promise(async move {
            let (text, call) = prepared.map_err(to_js)?;
            session.execute_scheme_query(&text, &call).await.map_err(to_js)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// A transaction context; the transaction begins with its first statement.
    pub fn transaction(&self, mode: JsValue) -> std::result::Result<TxContext, JsValue> {
        let mode = tx_mode_from_js(&mode).map_err(to_js)?;
        Ok(TxContext { inner: Rc::new(RefCell::new(Some(CoreTx::new(self.inner.clone(), mode)))) })
    }

    pub fn close(&self) -> Promise {
        let s = self.inner.clone();
        future_to_promise(async move {
            s.delete().await;
            Ok(JsValue::UNDEFINED)
        })
    }
}

/// An interactive transaction. Calls on it must not overlap (each awaits the previous one).
#[wasm_bindgen]
pub struct TxContext {
    inner: Rc<RefCell<Option<CoreTx>>>,
}

fn busy() -> JsValue {
    to_js(Error::argument("the transaction is busy with another call; await each call before the next"))
}

#[wasm_bindgen]
impl TxContext {
    #[wasm_bindgen(getter, js_name = txId)]
    pub fn tx_id(&self) -> Option<String> {
        self.inner.borrow().as_ref().and_then(|t| t.tx_id().map(str::to_string))
    }

    #[wasm_bindgen(getter, js_name = isFinished)]
    pub fn is_finished(&self) -> bool {
        self.inner.borrow().as_ref().is_none_or(|t| t.is_finished())
    }

    /// `execute(query, params?, { commitTx? })` → `ResultSet[]`
    pub fn execute(&self, query: JsValue, params: JsValue, opts: JsValue) -> Promise {
        let cell = self.inner.clone();
        let prepared = (|| -> Result<_> {
            let o = options::object(&opts, "execute options")?;
            let commit = options::boolean(&o, "commitTx")?.unwrap_or(false);
            Ok((query_text(&query)?, params_from_js(&params)?, commit, options::call_options(&o)?))
        })();
        future_to_promise(async move {
            let (text, params, commit, call) = prepared.map_err(to_js)?;
            let mut tx = cell.borrow_mut().take().ok_or_else(busy)?;
            let r = tx.execute(&text, params, commit, &call).await;
            *cell.borrow_mut() = Some(tx);
            result_sets_to_js(&r.map_err(to_js)?).map_err(to_js)
        })
    }

    pub fn commit(&self, opts: JsValue) -> Promise {
        let cell = self.inner.clone();
        future_to_promise(async move {
            let o = options::object(&opts, "commit options").map_err(to_js)?;
            let call = options::call_options(&o).map_err(to_js)?;
            let mut tx = cell.borrow_mut().take().ok_or_else(busy)?;
            let r = tx.commit(&call).await;
            *cell.borrow_mut() = Some(tx);
            r.map_err(to_js)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    pub fn rollback(&self, opts: JsValue) -> Promise {
        let cell = self.inner.clone();
        future_to_promise(async move {
            let o = options::object(&opts, "rollback options").map_err(to_js)?;
            let call = options::call_options(&o).map_err(to_js)?;
            let mut tx = cell.borrow_mut().take().ok_or_else(busy)?;
            let r = tx.rollback(&call).await;
            *cell.borrow_mut() = Some(tx);
            r.map_err(to_js)?;
            Ok(JsValue::UNDEFINED)
        })
    }
}
