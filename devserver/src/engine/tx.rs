//! The store, its connections and transactions: the public [`Engine`].
//!
//! Exists to give YDB transaction semantics on top of SQLite. Design:
//! - One SQLite database file in WAL mode. A persistent store lives in `<data_dir>/ydb.sqlite`; an
//!   in-memory store (`Engine::open(None)`) uses a private file in the OS temp directory that is removed
//!   when the last `Engine` clone is dropped, so both modes behave identically (WAL needs a file).
//! - Every open interactive transaction owns one connection with a deferred `BEGIN`. Readers never
//!   block (WAL snapshots). SQLite serializes writers: a write that finds the write lock taken waits a
//!   short time, and a write from a transaction whose snapshot is no longer the latest fails with
//!   `SQLITE_BUSY_SNAPSHOT`. Both outcomes become YDB's `ABORTED` "Transaction locks invalidated.",
//!   which is YDB's optimistic-lock result, and the failed transaction is rolled back and forgotten.
//!   The result is serializable: the later of two conflicting transactions fails.
//! - Implicit transactions (no tx, or begin+commit) use a pooled connection; writing queries start with
//!   `BEGIN IMMEDIATE` and wait (busy timeout) for the write lock, so concurrent autocommit clients
//!   queue up instead of failing or deadlocking.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use rusqlite::Connection;

use super::exec::{self, Ctx};
use super::parser::parse;
use super::{catalog, sql_err, EngineError, ExecuteOutcome, ExecuteRequest, StatusCode, TxMode, TxSelector};

/// How long an implicit writing transaction waits for the write lock.
const IMPLICIT_BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a statement of an interactive transaction waits for the write lock.
const INTERACTIVE_BUSY_TIMEOUT: Duration = Duration::from_millis(500);
/// Idle connections kept for reuse.
const POOL_SIZE: usize = 8;

struct TxState {
    conn: Option<Connection>,
    mode: TxMode,
}

struct Inner {
    db_path: PathBuf,
    /// Directory to remove on drop (in-memory stores).
    temp_dir: Option<PathBuf>,
    pool: Mutex<Vec<Connection>>,
    txs: Mutex<HashMap<String, Arc<Mutex<TxState>>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.pool.lock().clear();
        self.txs.lock().clear();
        if let Some(dir) = &self.temp_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// The YQL engine: a shared store plus open transactions. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("db_path", &self.inner.db_path).finish()
    }
}

fn not_found(tx_id: &str) -> EngineError {
    EngineError::new(StatusCode::NotFound, format!("Transaction not found: {tx_id}"))
}

fn is_read_only(mode: TxMode) -> bool {
    !matches!(mode, TxMode::SerializableReadWrite)
}

impl Engine {
    /// Opens a store: `None` for an in-memory one, `Some(dir)` for a persistent one under `dir`.
    pub fn open(data_dir: Option<&Path>) -> Result<Engine, EngineError> {
        let (db_path, temp_dir) = match data_dir {
            Some(dir) => {
                std::fs::create_dir_all(dir)
                    .map_err(|e| EngineError::internal(format!("Cannot create {}: {e}", dir.display())))?;
                (dir.join("ydb.sqlite"), None)
            }
            None => {
                let dir = std::env::temp_dir().join(format!("ydb-devserver-{}", uuid::Uuid::new_v4()));
                std::fs::create_dir_all(&dir)
                    .map_err(|e| EngineError::internal(format!("Cannot create {}: {e}", dir.display())))?;
                (dir.join("ydb.sqlite"), Some(dir))
            }
        };
        let engine = Engine {
            inner: Arc::new(Inner { db_path, temp_dir, pool: Mutex::new(Vec::new()), txs: Mutex::new(HashMap::new()) }),
        };
        let conn = engine.new_conn()?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(sql_err)?;
        catalog::init(&conn)?;
        engine.put_conn(conn);
        Ok(engine)
    }

    fn new_conn(&self) -> Result<Connection, EngineError> {
        let conn = Connection::open(&self.inner.db_path).map_err(sql_err)?;
        conn.busy_timeout(IMPLICIT_BUSY_TIMEOUT).map_err(sql_err)?;
        let sync = if self.inner.temp_dir.is_some() { "OFF" } else { "NORMAL" };
        conn.pragma_update(None, "synchronous", sync).map_err(sql_err)?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(conn)
    }

    fn take_conn(&self) -> Result<Connection, EngineError> {
        let pooled = self.inner.pool.lock().pop();
        match pooled {
            Some(c) => Ok(c),
            None => self.new_conn(),
        }
    }

    fn put_conn(&self, conn: Connection) {
        if !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        let _ = conn.busy_timeout(IMPLICIT_BUSY_TIMEOUT);
        let mut pool = self.inner.pool.lock();
        if pool.len() < POOL_SIZE {
            pool.push(conn);
        }
    }

    /// Runs a data query (DECLARE, SELECT, UPSERT, ...; DDL too outside interactive transactions).
    pub fn execute(&self, req: ExecuteRequest<'_>) -> Result<ExecuteOutcome, EngineError> {
        let stmts = parse(req.yql)?;
        let params = exec::check_params(&stmts, req.params)?;
        let has_write = stmts.iter().any(|s| s.is_write());
        let has_ddl = stmts.iter().any(|s| s.is_ddl());
        match req.tx {
            TxSelector::None => self.run_implicit(req.database, &stmts, params, has_write || has_ddl),
            TxSelector::Begin(mode) if req.commit => {
                if is_read_only(mode) && has_write {
                    return Err(read_only_error());
                }
                self.run_implicit(req.database, &stmts, params, has_write || has_ddl)
            }
            TxSelector::Begin(mode) => {
                if has_ddl {
                    return Err(ddl_in_tx_error());
                }
                if is_read_only(mode) && has_write {
                    return Err(read_only_error());
                }
                let id = self.begin(mode)?;
                match self.run_in_tx(&id, req.database, &stmts, params, has_write) {
                    Ok(result_sets) => Ok(ExecuteOutcome { result_sets, tx_id: Some(id) }),
                    Err(e) => {
                        let _ = self.rollback(&id);
                        Err(e)
                    }
                }
            }
            TxSelector::Existing(id) => {
                if has_ddl {
                    let _ = self.rollback(&id);
                    return Err(ddl_in_tx_error());
                }
                let result_sets = match self.run_in_tx(&id, req.database, &stmts, params, has_write) {
                    Ok(r) => r,
                    Err(e) => {
                        if e.status != StatusCode::NotFound {
                            let _ = self.rollback(&id);
                        }
                        return Err(e);
                    }
                };
                if req.commit {
                    self.commit(&id)?;
                    Ok(ExecuteOutcome { result_sets, tx_id: None })
                } else {
                    Ok(ExecuteOutcome { result_sets, tx_id: Some(id) })
                }
            }
        }
    }

    pub(super) fn run_implicit(
        &self,
        database: &str,
        stmts: &[super::ast::Stmt],
        params: exec::Params,
        writes: bool,
    ) -> Result<ExecuteOutcome, EngineError> {
        let conn = self.take_conn()?;
        let result = (|| {
            conn.execute_batch(if writes { "BEGIN IMMEDIATE" } else { "BEGIN" }).map_err(sql_err)?;
            let mut ctx = Ctx::new(&conn, database, params);
            let sets = ctx.run(stmts)?;
            conn.execute_batch("COMMIT").map_err(sql_err)?;
            Ok(sets)
        })();
        if result.is_err() && !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        self.put_conn(conn);
        result.map(|result_sets| ExecuteOutcome { result_sets, tx_id: None })
    }

    fn tx_state(&self, tx_id: &str) -> Result<Arc<Mutex<TxState>>, EngineError> {
        self.inner.txs.lock().get(tx_id).cloned().ok_or_else(|| not_found(tx_id))
    }

    fn run_in_tx(
        &self,
        tx_id: &str,
        database: &str,
        stmts: &[super::ast::Stmt],
        params: exec::Params,
        has_write: bool,
    ) -> Result<Vec<crate::proto::ydb::ResultSet>, EngineError> {
        let state = self.tx_state(tx_id)?;
        let guard = state.lock();
        if is_read_only(guard.mode) && has_write {
            return Err(read_only_error());
        }
        let conn = guard.conn.as_ref().ok_or_else(|| not_found(tx_id))?;
        let mut ctx = Ctx::new(conn, database, params);
        ctx.run(stmts)
    }

    /// Runs DDL (CREATE/DROP TABLE) outside any transaction.
    pub fn execute_scheme(&self, database: &str, yql: &str) -> Result<(), EngineError> {
        let stmts = parse(yql)?;
        if let Some(bad) = stmts.iter().find(|s| !s.is_ddl() && !matches!(s, super::ast::Stmt::Pragma { .. })) {
            let _ = bad;
            return Err(EngineError::generic(
                "Only scheme operations (CREATE TABLE, ALTER TABLE, DROP TABLE) are allowed here",
            ));
        }
        self.run_implicit(database, &stmts, exec::Params::default(), true).map(|_| ())
    }

    /// Begins an interactive transaction and returns its id.
    pub fn begin(&self, mode: TxMode) -> Result<String, EngineError> {
        let conn = self.take_conn()?;
        conn.busy_timeout(INTERACTIVE_BUSY_TIMEOUT).map_err(sql_err)?;
        conn.execute_batch("BEGIN").map_err(sql_err)?;
        if mode == TxMode::SnapshotReadOnly {
            // Take the read snapshot now.
            conn.query_row("SELECT count(*) FROM __ydb_tables", [], |_| Ok(())).map_err(sql_err)?;
        }
        let id = format!("ydbdev-tx-{}", uuid::Uuid::new_v4());
        self.inner.txs.lock().insert(id.clone(), Arc::new(Mutex::new(TxState { conn: Some(conn), mode })));
        Ok(id)
    }

    /// Commits an interactive transaction.
    pub fn commit(&self, tx_id: &str) -> Result<(), EngineError> {
        let state = self.inner.txs.lock().remove(tx_id).ok_or_else(|| not_found(tx_id))?;
        let conn = state.lock().conn.take().ok_or_else(|| not_found(tx_id))?;
        let res = conn.execute_batch("COMMIT").map_err(|e| match sql_err(e) {
            err if err.status == StatusCode::Aborted => err,
            err => err,
        });
        self.put_conn(conn);
        res
    }

    /// Rolls an interactive transaction back.
    pub fn rollback(&self, tx_id: &str) -> Result<(), EngineError> {
        let state = self.inner.txs.lock().remove(tx_id).ok_or_else(|| not_found(tx_id))?;
        let conn = state.lock().conn.take().ok_or_else(|| not_found(tx_id))?;
        self.put_conn(conn);
        Ok(())
    }

    /// Runs `work` in an implicit writing transaction (waits for the write lock), committed when it succeeds.
    pub(super) fn with_write<T>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, EngineError>,
    ) -> Result<T, EngineError> {
        let conn = self.take_conn()?;
        let result = (|| {
            conn.execute_batch("BEGIN IMMEDIATE").map_err(sql_err)?;
            let out = work(&conn)?;
            conn.execute_batch("COMMIT").map_err(sql_err)?;
            Ok(out)
        })();
        if result.is_err() && !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        self.put_conn(conn);
        result
    }

    /// Runs `work` on one consistent snapshot.
    pub(super) fn with_read<T>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, EngineError>,
    ) -> Result<T, EngineError> {
        let conn = self.take_conn()?;
        let result = (|| {
            conn.execute_batch("BEGIN").map_err(sql_err)?;
            let out = work(&conn)?;
            conn.execute_batch("COMMIT").map_err(sql_err)?;
            Ok(out)
        })();
        self.put_conn(conn);
        result
    }

    /// Table paths currently in the store (for scheme listing).
    pub fn list_tables(&self) -> Result<Vec<String>, EngineError> {
        let conn = self.take_conn()?;
        let res = catalog::list(&conn);
        self.put_conn(conn);
        res
    }
}

fn read_only_error() -> EngineError {
    EngineError::generic("Data modifications are not allowed in a read only transaction")
}

fn ddl_in_tx_error() -> EngineError {
    EngineError::generic("Scheme operations cannot be executed inside a transaction")
}
