//! The store, its connections and transactions: the public [`Engine`].
//!
//! Exists to give YDB's transaction semantics on top of SQLite. Design:
//! - One SQLite database file in WAL mode. A persistent store lives in `<data_dir>/ydb.sqlite`; an
//!   in-memory store (`Engine::open(None)`) uses a private file in the OS temp directory that is removed
//!   when the last `Engine` clone is dropped, so both modes behave identically (WAL needs a file).
//! - **One writer at a time**: every write to the store (an implicit transaction that writes, a scheme
//!   operation, an interactive statement replaying its buffer, a commit) holds the engine's writer mutex,
//!   which also guards the commit log (`locks.rs`). Writes are short: no lock is ever held across round
//!   trips, so any number of interactive transactions may be open at once.
//! - **Serializable read-write transactions are optimistic**, as in YDB. Each statement's reads take
//!   locks on the key prefixes they read (whole tables when no key prefix is pushed down) and its writes
//!   lock the rows they write. Writes are **buffered** (`buffer.rs`: the image of each written row): a
//!   statement that writes, or that runs after the transaction wrote, runs under the writer mutex in a
//!   SQLite transaction that first replays the buffer, runs the statement, captures the images of the
//!   rows it wrote and rolls everything back — so later statements see the transaction's own writes and
//!   nobody else does. Until its first write a transaction reads one snapshot, taken by its first read
//!   and kept on a private connection (a SQLite read transaction; WAL readers never block writers), as
//!   YDB's MVCC reads do. At commit, under the writer mutex, the locks are checked against the commit
//!   log: if a transaction committed after a lock was taken and touched a row under it, the commit fails
//!   with ABORTED "Transaction locks invalidated." and nothing is applied; otherwise the buffered rows
//!   are written and committed in one SQLite transaction. A transaction that only read from its snapshot
//!   commits without a check (it is serializable as of its snapshot). Cost: a connection per open
//!   transaction that read; each statement after the first write replays the buffered writes
//!   (proportional to their size); commits are serialized.
//! - **Read-only modes** hold no locks: `onlineReadOnly` and `staleReadOnly` read the latest committed
//!   state at each statement (every read is consistent on its own; with `allow_inconsistent_reads` too);
//!   `snapshotReadOnly` keeps a private connection whose SQLite read transaction is opened by the
//!   transaction's first read, so every later read sees that snapshot (WAL readers never block writers).
//! - Implicit transactions (no tx, or begin + commit in one call) run under the writer mutex when they
//!   write, so they are atomic and serializable, and publish what they wrote to the commit log.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rusqlite::Connection;

use super::buffer::Buffer;
use super::cache::{ParseCache, Parsed, SchemaCache};
use super::exec::{self, Ctx};
use super::locks::{CommitLog, Footprint, Touch, TxLocks};
use super::parser::parse;
use super::{catalog, sql_err, EngineError, ExecuteOutcome, ExecuteRequest, StatusCode, TxMode, TxSelector};
use crate::proto::ydb;

/// How long a connection waits for SQLite's own locks (checkpoints; writers are serialized above it).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Idle connections kept for reuse.
const POOL_SIZE: usize = 8;

/// What an open transaction keeps between its calls.
enum TxKind {
    /// Serializable read-write: optimistic locks and the buffered writes. Until its first write, it
    /// reads one snapshot (taken by its first read; the connection and the commit sequence number loaded
    /// before it) — `snapshot`; `left_snapshot` once a statement ran over the latest state instead.
    Serializable { locks: TxLocks, buffer: Buffer, snapshot: Option<(Connection, u64)>, left_snapshot: bool },
    /// Snapshot read-only: a private connection inside a read transaction (the snapshot).
    Snapshot(Connection),
    /// Online or stale read-only: every statement reads the latest committed state.
    Fresh,
    /// Committed or rolled back while a call still held it.
    Done,
}

struct TxState {
    mode: TxMode,
    kind: TxKind,
}

struct Inner {
    db_path: PathBuf,
    /// Directory to remove on drop (in-memory stores).
    temp_dir: Option<PathBuf>,
    pool: Mutex<Vec<Connection>>,
    txs: Mutex<HashMap<String, Arc<Mutex<TxState>>>>,
    /// The writer mutex and the commit log it guards.
    writer: Mutex<CommitLog>,
    /// The commit log's sequence number, readable without the writer mutex (stored under it, after the
    /// SQLite commit, so a reader that loads it sees at least that state).
    committed: AtomicU64,
    /// Parsed query texts and table schemas kept between queries (`cache.rs`).
    parsed: ParseCache,
    schemas: SchemaCache,
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
                let dir = super::scratch::create()
                    .map_err(|e| EngineError::internal(format!("Cannot create a scratch directory: {e}")))?;
                (dir.join("ydb.sqlite"), Some(dir))
            }
        };
        let engine = Engine {
            inner: Arc::new(Inner {
                db_path,
                temp_dir,
                pool: Mutex::new(Vec::new()),
                txs: Mutex::new(HashMap::new()),
                writer: Mutex::new(CommitLog::default()),
                committed: AtomicU64::new(0),
                parsed: ParseCache::default(),
                schemas: SchemaCache::default(),
            }),
        };
        let conn = engine.new_conn()?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(sql_err)?;
        catalog::init(&conn)?;
        engine.put_conn(conn);
        Ok(engine)
    }

    fn new_conn(&self) -> Result<Connection, EngineError> {
        let conn = Connection::open(&self.inner.db_path).map_err(sql_err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(sql_err)?;
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
            let _ = control(&conn, "ROLLBACK");
        }
        let mut pool = self.inner.pool.lock();
        if pool.len() < POOL_SIZE {
            pool.push(conn);
        }
    }

    /// The statements of a query text, through the parse cache (`cache.rs`).
    pub(super) fn parsed(&self, yql: &str) -> Result<Arc<Parsed>, EngineError> {
        self.inner.parsed.parse(yql)
    }

    /// Whether this query may run in place on the caller's thread rather than on a blocking one: a read
    /// in a transaction of its own (it takes no lock another call may hold) whose text last ran quickly
    /// (`cache.rs`). Everything else may block for long and goes to a blocking thread.
    pub fn runs_quickly(&self, yql: &str, tx: &TxSelector, commit: bool) -> bool {
        let implicit = matches!(tx, TxSelector::None) || (matches!(tx, TxSelector::Begin(_)) && commit);
        implicit && self.inner.parsed.get(yql).is_some_and(|p| p.runs_quickly())
    }

    /// Runs a data query (DECLARE, SELECT, UPSERT, ...; DDL too outside interactive transactions).
    pub fn execute(&self, req: ExecuteRequest<'_>) -> Result<ExecuteOutcome, EngineError> {
        let parsed = self.parsed(req.yql)?;
        let started = Instant::now();
        let outcome = self.execute_parsed(req, &parsed.stmts);
        parsed.record(started.elapsed());
        outcome
    }

    fn execute_parsed(
        &self,
        req: ExecuteRequest<'_>,
        stmts: &[super::ast::Stmt],
    ) -> Result<ExecuteOutcome, EngineError> {
        let params = exec::check_params(stmts, req.params)?;
        let has_write = stmts.iter().any(|s| s.is_write());
        let has_ddl = stmts.iter().any(|s| s.is_ddl());
        match req.tx {
            TxSelector::None => self.run_implicit(req.database, stmts, params, has_write || has_ddl),
            TxSelector::Begin(mode) if req.commit => {
                if is_read_only(mode) && has_write {
                    return Err(read_only_error());
                }
                self.run_implicit(req.database, stmts, params, has_write || has_ddl)
            }
            TxSelector::Begin(mode) => {
                if has_ddl {
                    return Err(ddl_in_tx_error());
                }
                if is_read_only(mode) && has_write {
                    return Err(read_only_error());
                }
                let id = self.begin(mode)?;
                match self.run_in_tx(&id, req.database, stmts, params, has_write) {
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
                let result_sets = match self.run_in_tx(&id, req.database, stmts, params, has_write) {
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

    /// Runs statements in a transaction of their own: under the writer mutex when they write (the
    /// commit is published to the commit log), on a fresh snapshot when they only read.
    pub(super) fn run_implicit(
        &self,
        database: &str,
        stmts: &[super::ast::Stmt],
        params: exec::Params,
        writes: bool,
    ) -> Result<ExecuteOutcome, EngineError> {
        if !writes {
            return self
                .run_read(database, stmts, params)
                .map(|(result_sets, _)| ExecuteOutcome { result_sets, tx_id: None });
        }
        let mut log = self.inner.writer.lock();
        let conn = self.take_conn()?;
        let result = (|| {
            control(&conn, "BEGIN IMMEDIATE").map_err(sql_err)?;
            let mut ctx = Ctx::new(&conn, database, params);
            if !stmts.iter().any(|s| s.is_ddl()) {
                ctx = ctx.with_schemas(&self.inner.schemas);
            }
            let sets = ctx.run(stmts)?;
            control(&conn, "COMMIT").map_err(sql_err)?;
            Ok((sets, std::mem::take(&mut ctx.footprint.writes)))
        })();
        self.put_conn(conn);
        let (result_sets, touches) = result?;
        self.publish(&mut log, touches);
        Ok(ExecuteOutcome { result_sets, tx_id: None })
    }

    /// Records a commit in the log and makes its sequence number visible to lock-free readers.
    fn publish(&self, log: &mut CommitLog, touches: Vec<Touch>) {
        let seq = log.publish(touches);
        self.inner.committed.store(seq, Ordering::SeqCst);
    }

    /// Runs reading statements on one fresh snapshot of the committed state.
    fn run_read(
        &self,
        database: &str,
        stmts: &[super::ast::Stmt],
        params: exec::Params,
    ) -> Result<(Vec<ydb::ResultSet>, Footprint), EngineError> {
        self.with_read(|conn| {
            let mut ctx = Ctx::new(conn, database, params).with_schemas(&self.inner.schemas);
            let sets = ctx.run(stmts)?;
            Ok((sets, std::mem::take(&mut ctx.footprint)))
        })
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
    ) -> Result<Vec<ydb::ResultSet>, EngineError> {
        let state = self.tx_state(tx_id)?;
        let mut guard = state.lock();
        if is_read_only(guard.mode) && has_write {
            return Err(read_only_error());
        }
        match &mut guard.kind {
            TxKind::Done => Err(not_found(tx_id)),
            TxKind::Fresh => self.run_read(database, stmts, params).map(|(sets, _)| sets),
            TxKind::Snapshot(conn) => Ctx::new(conn, database, params).with_schemas(&self.inner.schemas).run(stmts),
            TxKind::Serializable { locks, buffer, snapshot, left_snapshot } => {
                if buffer.is_empty() && !has_write && !*left_snapshot {
                    // Only reads so far: read the transaction's snapshot, as YDB's MVCC reads do, so a
                    // transaction that only reads sees one consistent state and commits. The sequence
                    // number is loaded before the snapshot is taken, so its locks are stamped no later
                    // than the state read.
                    if snapshot.is_none() {
                        let seq = self.inner.committed.load(Ordering::SeqCst);
                        let conn = self.take_conn()?;
                        if let Err(e) = control(&conn, "BEGIN") {
                            self.put_conn(conn);
                            return Err(sql_err(e));
                        }
                        *snapshot = Some((conn, seq));
                    }
                    let Some((conn, seq)) = snapshot.as_ref() else {
                        return Err(EngineError::internal("transaction snapshot missing"));
                    };
                    let mut ctx = Ctx::new(conn, database, params).with_schemas(&self.inner.schemas);
                    let sets = ctx.run(stmts)?;
                    locks.add(std::mem::take(&mut ctx.footprint), *seq);
                    return Ok(sets);
                }
                // From now on statements see the latest state (plus the transaction's own writes).
                *left_snapshot = true;
                if let Some((conn, _)) = snapshot.take() {
                    self.put_conn(conn);
                }
                if buffer.is_empty() && !has_write {
                    // Nothing buffered: read the committed state without the writer mutex.
                    let seq = self.inner.committed.load(Ordering::SeqCst);
                    let (sets, footprint) = self.run_read(database, stmts, params)?;
                    locks.add(footprint, seq);
                    return Ok(sets);
                }
                let log = self.inner.writer.lock();
                let seq = log.seq();
                let conn = self.take_conn()?;
                let result = run_buffered(&conn, &self.inner.schemas, buffer, database, stmts, params);
                self.put_conn(conn);
                drop(log);
                let (sets, footprint, new_buffer) = result?;
                locks.add(footprint, seq);
                *buffer = new_buffer;
                Ok(sets)
            }
        }
    }

    /// Runs DDL (CREATE/DROP TABLE) outside any transaction.
    pub fn execute_scheme(&self, database: &str, yql: &str) -> Result<(), EngineError> {
        let stmts = parse(yql)?;
        if stmts.iter().any(|s| !s.is_ddl() && !matches!(s, super::ast::Stmt::Pragma { .. })) {
            return Err(EngineError::generic(
                "Only scheme operations (CREATE TABLE, ALTER TABLE, DROP TABLE) are allowed here",
            ));
        }
        self.run_implicit(database, &stmts, exec::Params::default(), true).map(|_| ())
    }

    /// Begins an interactive transaction and returns its id. Holds nothing but its bookkeeping: a
    /// snapshot transaction's snapshot is taken by its first read.
    pub fn begin(&self, mode: TxMode) -> Result<String, EngineError> {
        let kind = match mode {
            TxMode::SerializableReadWrite => {
                let mut log = self.inner.writer.lock();
                let start = log.seq();
                log.open(start);
                TxKind::Serializable {
                    locks: TxLocks::new(start),
                    buffer: Buffer::default(),
                    snapshot: None,
                    left_snapshot: false,
                }
            }
            TxMode::SnapshotReadOnly => {
                let conn = self.take_conn()?;
                control(&conn, "BEGIN").map_err(sql_err)?;
                TxKind::Snapshot(conn)
            }
            TxMode::OnlineReadOnly | TxMode::StaleReadOnly => TxKind::Fresh,
        };
        let id = format!("ydbdev-tx-{}", uuid::Uuid::new_v4());
        self.inner.txs.lock().insert(id.clone(), Arc::new(Mutex::new(TxState { mode, kind })));
        Ok(id)
    }

    /// Takes a transaction out of the registry: nothing can run in it afterwards.
    fn finish(&self, tx_id: &str) -> Result<TxKind, EngineError> {
        let state = self.inner.txs.lock().remove(tx_id).ok_or_else(|| not_found(tx_id))?;
        let kind = std::mem::replace(&mut state.lock().kind, TxKind::Done);
        Ok(kind)
    }

    /// Commits an interactive transaction: checks its locks and applies its buffered writes atomically,
    /// or fails with ABORTED "Transaction locks invalidated." and applies nothing.
    pub fn commit(&self, tx_id: &str) -> Result<(), EngineError> {
        match self.finish(tx_id)? {
            TxKind::Done => Err(not_found(tx_id)),
            TxKind::Fresh => Ok(()),
            TxKind::Snapshot(conn) => {
                self.put_conn(conn);
                Ok(())
            }
            TxKind::Serializable { locks, buffer, snapshot, left_snapshot } => {
                if let Some((conn, _)) = snapshot {
                    self.put_conn(conn);
                }
                let mut log = self.inner.writer.lock();
                let result = match log.broken(&locks.locks) {
                    // It only read, from one snapshot: serializable as of that snapshot, nothing to check.
                    _ if !left_snapshot => Ok(()),
                    Some(table) => Err(EngineError::locks_invalidated_on(&table)),
                    None if buffer.is_empty() => Ok(()),
                    None => {
                        let conn = self.take_conn()?;
                        let applied = (|| {
                            control(&conn, "BEGIN IMMEDIATE").map_err(sql_err)?;
                            buffer.replay(&conn)?;
                            control(&conn, "COMMIT").map_err(sql_err)
                        })();
                        self.put_conn(conn);
                        if applied.is_ok() {
                            self.publish(&mut log, locks.writes);
                        }
                        applied
                    }
                };
                log.close(locks.start);
                result
            }
        }
    }

    /// Rolls an interactive transaction back: its buffered writes and locks are dropped.
    pub fn rollback(&self, tx_id: &str) -> Result<(), EngineError> {
        match self.finish(tx_id)? {
            TxKind::Snapshot(conn) => self.put_conn(conn),
            TxKind::Serializable { locks, snapshot, .. } => {
                if let Some((conn, _)) = snapshot {
                    self.put_conn(conn);
                }
                self.inner.writer.lock().close(locks.start);
            }
            TxKind::Fresh | TxKind::Done => {}
        }
        Ok(())
    }

    /// Runs `work` in an implicit writing transaction under the writer mutex, committed when it
    /// succeeds; `touches` (the tables it changes) are then published to the commit log.
    pub(super) fn with_write<T>(
        &self,
        touches: Vec<Touch>,
        work: impl FnOnce(&Connection) -> Result<T, EngineError>,
    ) -> Result<T, EngineError> {
        let mut log = self.inner.writer.lock();
        let conn = self.take_conn()?;
        let result = (|| {
            control(&conn, "BEGIN IMMEDIATE").map_err(sql_err)?;
            let out = work(&conn)?;
            control(&conn, "COMMIT").map_err(sql_err)?;
            Ok(out)
        })();
        self.put_conn(conn);
        if result.is_ok() {
            self.publish(&mut log, touches);
        }
        result
    }

    /// Runs `work` on one consistent snapshot.
    pub(super) fn with_read<T>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, EngineError>,
    ) -> Result<T, EngineError> {
        let conn = self.take_conn()?;
        let result = (|| {
            control(&conn, "BEGIN").map_err(sql_err)?;
            let out = work(&conn)?;
            control(&conn, "COMMIT").map_err(sql_err)?;
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

/// Runs statements of a serializable transaction over its buffered writes: replays `buffer`, runs the
/// statements, captures the images of the rows they wrote, and rolls the SQLite transaction back.
/// Returns the results, the footprint and the new buffer. The caller holds the writer mutex.
fn run_buffered(
    conn: &Connection,
    schemas: &SchemaCache,
    buffer: &Buffer,
    database: &str,
    stmts: &[super::ast::Stmt],
    params: exec::Params,
) -> Result<(Vec<ydb::ResultSet>, Footprint, Buffer), EngineError> {
    control(conn, "BEGIN IMMEDIATE").map_err(sql_err)?;
    let result = (|| {
        buffer.replay(conn)?;
        let mut ctx = Ctx::new(conn, database, params).with_schemas(schemas);
        let sets = ctx.run(stmts)?;
        let mut next = buffer.clone();
        next.capture(conn, &ctx.footprint.writes)?;
        Ok((sets, std::mem::take(&mut ctx.footprint), next))
    })();
    let _ = control(conn, "ROLLBACK");
    result
}

/// Runs a transaction-control statement (`BEGIN`, `COMMIT`, ...) through the connection's statement
/// cache: preparing it anew on every query cost as much as the point read's own statement.
fn control(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}
