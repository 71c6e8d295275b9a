//! `SessionPool`, table `Session` and `TxContext`, as JS sees them.

use super::driver::Driver;
use super::pooling::{pool_for_driver, pool_methods, pool_options, session_methods};
use super::promise;
use super::schema::{self as convert, data_query_and_params};
use super::values::{result_set_to_js, result_sets_to_js, ResultShape};
use super::{on_session, options, or_reject, plain_to_js, undefined};
use crate::error::{Error, Result};
use crate::exclusive::{Exclusive, Parts};
use crate::pool::{Checkout, Pool};
use crate::table::schema::{bulk_upsert, description_plain, ReadTableStream as CoreReadStream};
use crate::table::{TableSession, TxContext as CoreTx};
use crate::transport::CallOptions;
use crate::tx_mode::TxMode;
use js_sys::{Array, Function, Promise, Reflect};
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// A transaction mode from JS: `new SerializableReadWrite()`, `new OnlineReadOnly({...})`, … (any
/// object with a `mode` name), or the name itself; none is serializable.
pub fn tx_mode_from_js(v: &JsValue) -> Result<TxMode> {
    if v.is_undefined() || v.is_null() {
        return Ok(TxMode::default());
    }
    let name = v.as_string().or_else(|| Reflect::get(v, &JsValue::from_str("mode")).ok()?.as_string());
    let o = options::object(v, "transaction mode").ok().flatten();
    TxMode::from_name(name.as_deref(), options::boolean(&o, "allowInconsistentReads")?.unwrap_or(false))
}

type TablePool = Pool<Rc<TableSession>>;

#[wasm_bindgen]
pub struct SessionPool {
    pool: TablePool,
    driver: crate::driver::Driver,
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
        let keep_alive_ms = options::number(&o, "keepAliveMs")?;
        let pool: TablePool = pool_for_driver(driver, &o)?;
        pool.keep_alive_in_background(keep_alive_ms, driver.inner.shutdown());
        Ok(SessionPool { pool, driver: driver.inner.clone(), allow_truncated })
    }
}

pool_methods!(SessionPool, Session, |p: &SessionPool| {
    let allow = p.allow_truncated;
    move |s| Session::of(s, allow)
});
session_methods!(Session);

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

/// The call options of a settings argument named `what`.
fn call_of(opts: &JsValue, what: &str) -> Result<CallOptions> {
    options::call_options(&options::object(opts, what)?)
}

fn bulk_upsert_promise(
    channel: Result<crate::transport::Channel>,
    path: JsValue,
    rows: JsValue,
    column_types: JsValue,
    opts: JsValue,
) -> Promise {
    let prepared = (|| {
        Ok((path_arg(&path)?, convert::rows_from_js(&rows, &column_types)?, call_of(&opts, "bulkUpsert settings")?))
    })();
    let channel = or_reject!(channel);
    let (path, rows, call) = or_reject!(prepared);
    promise(Box::pin(async move {
        bulk_upsert(&channel, &path, rows, &call).await?;
        Ok(JsValue::UNDEFINED)
    }))
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
        let stopped = self.driver.inner.ensure_running();
        promise(Box::pin(async move {
            stopped?;
            let s = TableSession::create(&channel, &call_of(&opts, "session options")?).await?;
            Ok(Session::of(Checkout::unpooled(Rc::new(s)), false).into())
        }))
    }

    /// `bulkUpsert(path, rows, columnTypes?, settings?)`
    #[wasm_bindgen(js_name = bulkUpsert)]
    pub fn bulk_upsert(&self, path: JsValue, rows: JsValue, column_types: JsValue, opts: JsValue) -> Promise {
        bulk_upsert_promise(Ok(self.driver.inner.endpoints().pick()), path, rows, column_types, opts)
    }
}

#[wasm_bindgen]
impl Driver {
    /// The Table service outside pools: `session()` and `bulkUpsert`.
    #[wasm_bindgen(js_name = tableClient)]
    pub fn table_client(&self) -> TableClient {
        TableClient { driver: self.clone() }
    }
}

/// The parts of one `readTable`, pulled with `next()` (the JS entry makes it async-iterable).
#[wasm_bindgen]
pub struct ReadTableStream {
    parts: Parts<CoreReadStream>,
    /// How its rows are given (`rowMode`, `timestamps`).
    shape: ResultShape,
}

#[wasm_bindgen]
impl ReadTableStream {
    /// Resolves the next part (`{ columns, rows, truncated }`), or `undefined` at the end.
    pub fn next(&self) -> Promise {
        let (parts, shape) = (self.parts.clone(), self.shape);
        promise(Box::pin(async move {
            match parts.next_rows().await? {
                Some(part) => Ok(result_set_to_js(&part, None, shape)?),
                None => Ok(JsValue::UNDEFINED),
            }
        }))
    }

    /// Stops reading; the request is aborted.
    pub fn cancel(&self) {
        self.parts.cancel();
    }
}

#[wasm_bindgen]
impl Session {
    /// Runs a query in one auto-committed serializable transaction.
    #[wasm_bindgen(js_name = executeQuery)]
    pub fn execute_query(&self, query: JsValue, params: JsValue, opts: JsValue) -> Promise {
        let args = (|| {
            let o = options::object(&opts, "executeQuery options")?;
            let (q, params) = data_query_and_params(&query, &params)?;
            let shape = ResultShape::from_options(&o)?;
            Ok((q, params, options::call_options(&o)?, allow_truncated(&o, self.allow_truncated)?, shape))
        })();
        on_session(&self.inner, args, |session, (q, params, call, allow, shape)| async move {
            result_sets_to_js(&CoreTx::execute_alone(session, &q, params, allow, &call).await?, shape)
        })
    }

    /// Runs DDL (`CREATE TABLE …`).
    #[wasm_bindgen(js_name = executeSchemeQuery)]
    pub fn execute_scheme_query(&self, yql: JsValue, opts: JsValue) -> Promise {
        let args = (|| Ok((query_text(&yql)?, call_of(&opts, "executeSchemeQuery options")?)))();
        on_session(&self.inner, args, |s, (text, call)| async move {
            s.execute_scheme_query(&text, &call).await.map(undefined)
        })
    }

    /// Prepares a query; resolves the `DataQuery` fields `{ yqlText, queryId, parameterTypes }`.
    #[wasm_bindgen(js_name = prepareQuery)]
    pub fn prepare_query(&self, query: JsValue, opts: JsValue) -> Promise {
        let args = (|| Ok((query_text(&query)?, call_of(&opts, "prepareQuery options")?)))();
        on_session(&self.inner, args, |s, (text, call)| async move {
            Ok(plain_to_js(&s.prepare(&text, &call).await?.to_plain()))
        })
    }

    /// `createTable(path, tableDescription, settings?)`
    #[wasm_bindgen(js_name = createTable)]
    pub fn create_table(&self, path: JsValue, description: JsValue, opts: JsValue) -> Promise {
        let args = (|| {
            Ok((path_arg(&path)?, convert::description_from_js(&description)?, call_of(&opts, "createTable settings")?))
        })();
        on_session(&self.inner, args, |s, (path, t, call)| async move {
            s.create_table(&path, t.columns, t.primary_key, t.indexes, &call).await.map(undefined)
        })
    }

    #[wasm_bindgen(js_name = dropTable)]
    pub fn drop_table(&self, path: JsValue, opts: JsValue) -> Promise {
        let args = (|| Ok((path_arg(&path)?, call_of(&opts, "dropTable settings")?)))();
        on_session(&self.inner, args, |s, (path, call)| async move { s.drop_table(&path, &call).await.map(undefined) })
    }

    /// `alterTable(path, { addColumns?, dropColumns?, addIndexes?, dropIndexes? }, settings?)`
    #[wasm_bindgen(js_name = alterTable)]
    pub fn alter_table(&self, path: JsValue, change: JsValue, opts: JsValue) -> Promise {
        let args =
            (|| Ok((path_arg(&path)?, convert::alter_from_js(&change)?, call_of(&opts, "alterTable settings")?)))();
        on_session(&self.inner, args, |s, (path, change, call)| async move {
            s.alter_table(&path, change, &call).await.map(undefined)
        })
    }

    #[wasm_bindgen(js_name = copyTable)]
    pub fn copy_table(&self, source: JsValue, destination: JsValue, opts: JsValue) -> Promise {
        let args = (|| Ok((path_arg(&source)?, path_arg(&destination)?, call_of(&opts, "copyTable settings")?)))();
        on_session(&self.inner, args, |s, (source, destination, call)| async move {
            s.copy_table(&source, &destination, &call).await.map(undefined)
        })
    }

    /// Resolves `{ name, columns: [{ name, type, notNull }], primaryKey, indexes }` (the JS entry wraps
    /// it in a `TableDescription`).
    #[wasm_bindgen(js_name = describeTable)]
    pub fn describe_table(&self, path: JsValue, opts: JsValue) -> Promise {
        let args = (|| Ok((path_arg(&path)?, call_of(&opts, "describeTable settings")?)))();
        on_session(&self.inner, args, |s, (path, call)| async move {
            Ok(plain_to_js(&description_plain(&s.describe_table(&path, &call).await?)))
        })
    }

    /// `readTable(path, { keyRange?, columns?, ordered?, rowLimit?, timeoutMs?, signal? })`: the
    /// table's rows streamed in parts (async-iterable in JS).
    #[wasm_bindgen(js_name = readTable)]
    pub fn read_table(&self, path: JsValue, opts: JsValue) -> std::result::Result<ReadTableStream, JsValue> {
        let (session, path) = (self.inner.get()?, path_arg(&path)?);
        let (read, call) = (convert::read_table_from_js(&opts)?, call_of(&opts, "readTable options")?);
        let shape = ResultShape::from_options(&options::object(&opts, "readTable options")?)?;
        Ok(ReadTableStream { parts: Parts::read_table(session, path, read, call), shape })
    }

    /// `bulkUpsert(path, rows, columnTypes?, settings?)`
    #[wasm_bindgen(js_name = bulkUpsert)]
    pub fn bulk_upsert(&self, path: JsValue, rows: JsValue, column_types: JsValue, opts: JsValue) -> Promise {
        let channel = self.inner.get().map(|s| s.channel().clone());
        bulk_upsert_promise(channel, path, rows, column_types, opts)
    }

    /// A transaction context; the transaction begins with its first statement.
    pub fn transaction(&self, mode: JsValue) -> std::result::Result<TxContext, JsValue> {
        let tx = CoreTx::new(self.inner.get()?, tx_mode_from_js(&mode)?);
        let busy = "the transaction is busy with another call; await each call before the next";
        Ok(TxContext { inner: Exclusive::new(tx, busy), allow_truncated: self.allow_truncated })
    }
}

/// An interactive transaction. Calls on it must not overlap (each awaits the previous one).
#[wasm_bindgen]
pub struct TxContext {
    inner: Exclusive<CoreTx>,
    /// Its session's `allowTruncated`; a statement's own option wins.
    allow_truncated: bool,
}

#[wasm_bindgen]
impl TxContext {
    #[wasm_bindgen(getter, js_name = txId)]
    pub fn tx_id(&self) -> Option<String> {
        self.inner.peek(|t| t.tx_id().map(str::to_string)).flatten()
    }

    #[wasm_bindgen(getter, js_name = isFinished)]
    pub fn is_finished(&self) -> bool {
        self.inner.peek(CoreTx::is_finished).unwrap_or(true)
    }

    /// `execute(query, params?, { commitTx? })` → `ResultSet[]`
    pub fn execute(&self, query: JsValue, params: JsValue, opts: JsValue) -> Promise {
        let tx = self.inner.clone();
        let prepared = (|| {
            let o = options::object(&opts, "execute options")?;
            let commit = options::boolean(&o, "commitTx")?.unwrap_or(false);
            let (q, params) = data_query_and_params(&query, &params)?;
            let shape = ResultShape::from_options(&o)?;
            Ok((q, params, commit, options::call_options(&o)?, allow_truncated(&o, self.allow_truncated)?, shape))
        })();
        let (q, params, commit, call, allow, shape) = or_reject!(prepared);
        promise(Box::pin(async move {
            let sets = tx.run(|mut tx| async move {
                tx.set_allow_truncated(allow);
                let sets = tx.execute(&q, params, commit, &call).await;
                (tx, sets)
            });
            result_sets_to_js(&sets.await?, shape)
        }))
    }

    pub fn commit(&self, opts: JsValue) -> Promise {
        self.end(opts, true)
    }

    pub fn rollback(&self, opts: JsValue) -> Promise {
        self.end(opts, false)
    }
}

impl TxContext {
    /// Commits, or rolls back.
    fn end(&self, opts: JsValue, commit: bool) -> Promise {
        let tx = self.inner.clone();
        promise(Box::pin(async move {
            let call = call_of(&opts, if commit { "commit options" } else { "rollback options" })?;
            tx.run(|mut tx| async move {
                let done = if commit { tx.commit(&call).await } else { tx.rollback(&call).await };
                (tx, done)
            })
            .await
            .map(undefined)
        }))
    }
}
