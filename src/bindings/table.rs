//! `SessionPool`, table `Session` and `TxContext`, as JS sees them.

use super::driver::Driver;
use super::or_reject;
use super::pooling::{
    acquire_promise, keep_alive_as_configured, pool_for_driver, pool_options, release_to, stop_promise,
};
use super::retry::{retry_operation_promise, RetryContext};
use super::schema::{self as convert, data_query_and_params};
use super::values::{result_set_to_js, result_sets_to_js, ResultShape};
use super::{options, to_js};
use crate::error::{Error, Result};
use crate::pool::{Checkout, Pool};
use crate::table::schema::{bulk_upsert, ReadTableStream as CoreReadStream};
use crate::table::{TableSession, TxContext as CoreTx};
use crate::transport::CallOptions;
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
    retry: RetryContext,
    /// The pool's `allowTruncated`: what its sessions do with a result cut at the row limit.
    allow_truncated: bool,
}

#[wasm_bindgen]
impl SessionPool {
    /// `new SessionPool(driver, { size?, keepAliveMs?, allowTruncated? })`
    #[wasm_bindgen(constructor)]
    pub fn new(driver: &Driver, opts: JsValue) -> std::result::Result<SessionPool, JsValue> {
        let o = pool_options(&opts)?;
        let allow_truncated = options::boolean(&o, "allowTruncated")?.unwrap_or(false);
        let pool = pool_for_driver(driver, &o)?;
        keep_alive_as_configured(&pool, driver, &o)?;
        Ok(SessionPool { pool, retry: RetryContext::of(driver), allow_truncated })
    }

    pub fn acquire(&self, opts: JsValue) -> Promise {
        let allow = self.allow_truncated;
        acquire_promise(&self.pool, opts, move |s| Session::of(s, allow).into())
    }

    /// Gives a session back. A second release is a no-op; a session of another pool is a `TypeError`.
    pub fn release(&self, session: &Session) -> std::result::Result<(), JsValue> {
        release_to(&self.pool, &session.inner)
    }

    /// `retryOperation(async (session, ...args) => …, retrySettings?, ...args)`
    #[wasm_bindgen(js_name = retryOperation)]
    pub fn retry_operation(&self, callee: Function, settings: JsValue, args: Array) -> Promise {
        let allow = self.allow_truncated;
        retry_operation_promise(&self.pool, &self.retry, settings, move |s| Session::of(s, allow).into(), callee, args)
    }

    pub fn stop(&self, opts: JsValue) -> Promise {
        stop_promise(&self.pool, opts)
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
    inner: Checkout<Rc<TableSession>>,
    /// Kept apart from the checkout so that a released handle still says which session it was.
    id: String,
    /// Its pool's `allowTruncated` (false outside pools); a call's own option wins.
    allow_truncated: bool,
}

impl Session {
    fn of(inner: Checkout<Rc<TableSession>>, allow_truncated: bool) -> Self {
        let id = inner.get().map(|s| s.id().to_string()).unwrap_or_default();
        Session { inner, id, allow_truncated }
    }
}

/// A call's `allowTruncated`, else the default it inherits.
fn allow_truncated(o: &Option<JsValue>, default: bool) -> Result<bool> {
    Ok(options::boolean(o, "allowTruncated")?.unwrap_or(default))
}

fn query_text(q: &JsValue) -> Result<String> {
    q.as_string().ok_or_else(|| Error::argument("query must be a string"))
}

fn path_arg(p: &JsValue) -> Result<String> {
    p.as_string().ok_or_else(|| Error::argument("a table path must be a string"))
}

fn bulk_upsert_promise(
    channel: crate::transport::Channel,
    path: JsValue,
    rows: JsValue,
    column_types: JsValue,
    opts: JsValue,
) -> Promise {
    let prepared = (|| -> Result<_> {
        let o = options::object(&opts, "bulkUpsert settings")?;
        Ok((path_arg(&path)?, convert::rows_from_js(&rows, &column_types)?, options::call_options(&o)?))
    })();
    let (path, rows, call) = or_reject!(prepared);
    future_to_promise(async move {
        bulk_upsert(&channel, &path, rows, &call).await?;
        Ok(JsValue::UNDEFINED)
    })
}

/// `driver.tableClient()`: sessions outside a pool, and bulk upserts (which need no session).
#[wasm_bindgen]
pub struct TableClient {
    driver: Driver,
}

#[wasm_bindgen]
impl TableClient {
    /// A new session (close it when done; pools are usually the better choice).
    pub fn session(&self, opts: JsValue) -> Promise {
        let channel = self.driver.inner.endpoints().pick();
        let stopped = self.driver.ensure_running();
        future_to_promise(async move {
            stopped?;
            let o = options::object(&opts, "session options")?;
            let call = options::call_options(&o)?;
            let s = TableSession::create(&channel, &call).await?;
            Ok(Session::of(Checkout::unpooled(Rc::new(s)), false).into())
        })
    }

    /// `bulkUpsert(path, rows, columnTypes?, settings?)`
    #[wasm_bindgen(js_name = bulkUpsert)]
    pub fn bulk_upsert(&self, path: JsValue, rows: JsValue, column_types: JsValue, opts: JsValue) -> Promise {
        bulk_upsert_promise(self.driver.inner.endpoints().pick(), path, rows, column_types, opts)
    }
}

impl TableClient {
    pub fn new(driver: &Driver) -> TableClient {
        TableClient { driver: driver.clone() }
    }
}

struct PendingRead {
    session: Rc<TableSession>,
    path: String,
    read: crate::table::schema::ReadTable,
    call: CallOptions,
}

enum ReadState {
    Pending(Box<PendingRead>),
    Running(CoreReadStream),
    Busy,
    Done,
}

/// The parts of one `readTable`, pulled with `next()` (the JS entry makes it async-iterable).
#[wasm_bindgen]
pub struct ReadTableStream {
    state: Rc<RefCell<ReadState>>,
    shape: ResultShape,
}

#[wasm_bindgen]
impl ReadTableStream {
    /// Resolves the next part (`{ columns, rows, truncated }`), or `undefined` at the end.
    pub fn next(&self) -> Promise {
        let state = self.state.clone();
        let shape = self.shape;
        future_to_promise(async move {
            let current = std::mem::replace(&mut *state.borrow_mut(), ReadState::Busy);
            let mut stream = match current {
                ReadState::Pending(p) => match p.session.read_table(&p.path, p.read, &p.call).await {
                    Ok(s) => s,
                    Err(e) => {
                        *state.borrow_mut() = ReadState::Done;
                        return Err(to_js(e));
                    }
                },
                ReadState::Running(s) => s,
                ReadState::Busy => {
                    *state.borrow_mut() = ReadState::Busy;
                    return Err(to_js(Error::argument("next() called before the previous next() settled")));
                }
                ReadState::Done => {
                    *state.borrow_mut() = ReadState::Done;
                    return Ok(JsValue::UNDEFINED);
                }
            };
            match stream.next().await {
                Some(Ok(part)) => {
                    *state.borrow_mut() = ReadState::Running(stream);
                    result_set_to_js(&part, None, shape).map_err(to_js)
                }
                Some(Err(e)) => {
                    *state.borrow_mut() = ReadState::Done;
                    Err(to_js(e))
                }
                None => {
                    *state.borrow_mut() = ReadState::Done;
                    Ok(JsValue::UNDEFINED)
                }
            }
        })
    }

    /// Stops reading; the request is aborted.
    pub fn cancel(&self) {
        *self.state.borrow_mut() = ReadState::Done;
    }
}

#[wasm_bindgen]
impl Session {
    #[wasm_bindgen(getter, js_name = sessionId)]
    pub fn session_id(&self) -> String {
        self.id.clone()
    }

    #[wasm_bindgen(getter, js_name = isAlive)]
    pub fn is_alive(&self) -> bool {
        self.inner.get().is_ok_and(|s| s.is_alive())
    }

    /// Runs a query in one auto-committed serializable transaction.
    #[wasm_bindgen(js_name = executeQuery)]
    pub fn execute_query(&self, query: JsValue, params: JsValue, opts: JsValue) -> Promise {
        let session = self.inner.get();
        let prepared = (|| -> Result<_> {
            let o = options::object(&opts, "executeQuery options")?;
            let (q, params) = data_query_and_params(&query, &params)?;
            let shape = ResultShape::from_options(&o)?;
            Ok((q, params, options::call_options(&o)?, allow_truncated(&o, self.allow_truncated)?, shape))
        })();
        let session = or_reject!(session);
        let (q, params, call, allow, shape) = or_reject!(prepared);
        future_to_promise(async move {
            let mut tx = CoreTx::new(session, TxMode::SerializableReadWrite);
            tx.set_allow_truncated(allow);
            let sets = tx.execute(&q, params, true, &call).await?;
            result_sets_to_js(&sets, shape).map_err(to_js)
        })
    }

    /// Runs DDL (`CREATE TABLE …`).
    #[wasm_bindgen(js_name = executeSchemeQuery)]
    pub fn execute_scheme_query(&self, yql: JsValue, opts: JsValue) -> Promise {
        let session = self.inner.get();
        let prepared = (|| -> Result<_> {
            let o = options::object(&opts, "executeSchemeQuery options")?;
            Ok((query_text(&yql)?, options::call_options(&o)?))
        })();
        let session = or_reject!(session);
        let (text, call) = or_reject!(prepared);
        future_to_promise(async move {
            session.execute_scheme_query(&text, &call).await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Prepares a query; resolves the `DataQuery` fields `{ yqlText, queryId, parameterTypes }`.
    #[wasm_bindgen(js_name = prepareQuery)]
    pub fn prepare_query(&self, query: JsValue, opts: JsValue) -> Promise {
        let session = self.inner.get();
        let prepared = (|| -> Result<_> {
            let o = options::object(&opts, "prepareQuery options")?;
            Ok((query_text(&query)?, options::call_options(&o)?))
        })();
        let session = or_reject!(session);
        let (text, call) = or_reject!(prepared);
        future_to_promise(async move {
            let p = session.prepare(&text, &call).await?;
            Ok(convert::prepared_to_js(&p))
        })
    }

    /// `createTable(path, tableDescription, settings?)`
    #[wasm_bindgen(js_name = createTable)]
    pub fn create_table(&self, path: JsValue, description: JsValue, opts: JsValue) -> Promise {
        let session = self.inner.get();
        let prepared = (|| -> Result<_> {
            let o = options::object(&opts, "createTable settings")?;
            Ok((path_arg(&path)?, convert::description_from_js(&description)?, options::call_options(&o)?))
        })();
        let session = or_reject!(session);
        let (path, (columns, key, indexes), call) = or_reject!(prepared);
        future_to_promise(async move {
            session.create_table(&path, columns, key, indexes, &call).await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    #[wasm_bindgen(js_name = dropTable)]
    pub fn drop_table(&self, path: JsValue, opts: JsValue) -> Promise {
        let session = self.inner.get();
        let prepared = (|| -> Result<_> {
            let o = options::object(&opts, "dropTable settings")?;
            Ok((path_arg(&path)?, options::call_options(&o)?))
        })();
        let session = or_reject!(session);
        let (path, call) = or_reject!(prepared);
        future_to_promise(async move {
            session.drop_table(&path, &call).await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// `alterTable(path, { addColumns?, dropColumns?, addIndexes?, dropIndexes? }, settings?)`
    #[wasm_bindgen(js_name = alterTable)]
    pub fn alter_table(&self, path: JsValue, change: JsValue, opts: JsValue) -> Promise {
        let session = self.inner.get();
        let prepared = (|| -> Result<_> {
            let o = options::object(&opts, "alterTable settings")?;
            Ok((path_arg(&path)?, convert::alter_from_js(&change)?, options::call_options(&o)?))
        })();
        let session = or_reject!(session);
        let (path, change, call) = or_reject!(prepared);
        future_to_promise(async move {
            session.alter_table(&path, change, &call).await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    #[wasm_bindgen(js_name = copyTable)]
    pub fn copy_table(&self, source: JsValue, destination: JsValue, opts: JsValue) -> Promise {
        let session = self.inner.get();
        let prepared = (|| -> Result<_> {
            let o = options::object(&opts, "copyTable settings")?;
            Ok((path_arg(&source)?, path_arg(&destination)?, options::call_options(&o)?))
        })();
        let session = or_reject!(session);
        let (source, destination, call) = or_reject!(prepared);
        future_to_promise(async move {
            session.copy_table(&source, &destination, &call).await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Resolves `{ name, columns: [{ name, type, notNull }], primaryKey, indexes }` (the JS entry wraps
    /// it in a `TableDescription`).
    #[wasm_bindgen(js_name = describeTable)]
    pub fn describe_table(&self, path: JsValue, opts: JsValue) -> Promise {
        let session = self.inner.get();
        let prepared = (|| -> Result<_> {
            let o = options::object(&opts, "describeTable settings")?;
            Ok((path_arg(&path)?, options::call_options(&o)?))
        })();
        let session = or_reject!(session);
        let (path, call) = or_reject!(prepared);
        future_to_promise(async move {
            let d = session.describe_table(&path, &call).await?;
            Ok(convert::description_to_js(&d))
        })
    }

    /// `readTable(path, { keyRange?, columns?, ordered?, rowLimit?, timeoutMs?, signal? })`: the
    /// table's rows streamed in parts (async-iterable in JS).
    #[wasm_bindgen(js_name = readTable)]
    pub fn read_table(&self, path: JsValue, opts: JsValue) -> std::result::Result<ReadTableStream, JsValue> {
        let build = || -> Result<_> {
            let o = options::object(&opts, "readTable options")?;
            let pending = PendingRead {
                session: self.inner.get()?,
                path: path_arg(&path)?,
                read: convert::read_table_from_js(&opts)?,
                call: options::call_options(&o)?,
            };
            Ok((pending, ResultShape::from_options(&o)?))
        };
        let (pending, shape) = build()?;
        Ok(ReadTableStream { state: Rc::new(RefCell::new(ReadState::Pending(Box::new(pending)))), shape })
    }

    /// `bulkUpsert(path, rows, columnTypes?, settings?)`
    #[wasm_bindgen(js_name = bulkUpsert)]
    pub fn bulk_upsert(&self, path: JsValue, rows: JsValue, column_types: JsValue, opts: JsValue) -> Promise {
        match self.inner.get() {
            Ok(s) => bulk_upsert_promise(s.channel().clone(), path, rows, column_types, opts),
            Err(e) => Promise::reject(&to_js(e)),
        }
    }

    /// A transaction context; the transaction begins with its first statement.
    pub fn transaction(&self, mode: JsValue) -> std::result::Result<TxContext, JsValue> {
        let mode = tx_mode_from_js(&mode)?;
        let tx = CoreTx::new(self.inner.get()?, mode);
        Ok(TxContext { inner: Rc::new(RefCell::new(Some(tx))), allow_truncated: self.allow_truncated })
    }

    pub fn close(&self) -> Promise {
        let s = self.inner.get();
        let s = or_reject!(s);
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
    /// Its session's `allowTruncated`; a statement's own option wins.
    allow_truncated: bool,
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
            let (q, params) = data_query_and_params(&query, &params)?;
            let shape = ResultShape::from_options(&o)?;
            Ok((q, params, commit, options::call_options(&o)?, allow_truncated(&o, self.allow_truncated)?, shape))
        })();
        let (q, params, commit, call, allow, shape) = or_reject!(prepared);
        future_to_promise(async move {
            let mut tx = cell.borrow_mut().take().ok_or_else(busy)?;
            tx.set_allow_truncated(allow);
            let r = tx.execute(&q, params, commit, &call).await;
            *cell.borrow_mut() = Some(tx);
            result_sets_to_js(&r?, shape).map_err(to_js)
        })
    }

    pub fn commit(&self, opts: JsValue) -> Promise {
        let cell = self.inner.clone();
        future_to_promise(async move {
            let o = options::object(&opts, "commit options")?;
            let call = options::call_options(&o)?;
            let mut tx = cell.borrow_mut().take().ok_or_else(busy)?;
            let r = tx.commit(&call).await;
            *cell.borrow_mut() = Some(tx);
            r?;
            Ok(JsValue::UNDEFINED)
        })
    }

    pub fn rollback(&self, opts: JsValue) -> Promise {
        let cell = self.inner.clone();
        future_to_promise(async move {
            let o = options::object(&opts, "rollback options")?;
            let call = options::call_options(&o)?;
            let mut tx = cell.borrow_mut().take().ok_or_else(busy)?;
            let r = tx.rollback(&call).await;
            *cell.borrow_mut() = Some(tx);
            r?;
            Ok(JsValue::UNDEFINED)
        })
    }
}
