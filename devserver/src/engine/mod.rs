//! The YQL engine of the dev server: parses the YQL subset, checks it against YDB's type rules and runs it
//! on an embedded SQLite store.
//!
//! The engine knows nothing about gRPC or sessions. The services hand it query text, typed parameters and
//! a transaction selector; it answers with YDB result sets (`Ydb.ResultSet`, column types as YDB reports
//! them) or an [`EngineError`] carrying the YDB status and issues a real server would send.
//!
//! Contract used by the services (`crate::services`):
//! - [`Engine::open`] — `None` for an in-memory store, `Some(dir)` for a persistent one under `dir`.
//! - [`Engine::execute`] — data queries (DECLARE, SELECT, UPSERT, ...); may also run DDL.
//! - [`Engine::execute_scheme`] — DDL only (CREATE TABLE, ...), outside any transaction.
//! - [`Engine::begin`], [`Engine::commit`], [`Engine::rollback`] — interactive transactions by id.
//!   Unknown transaction ids give `NOT_FOUND`.
//! `Engine` is `Clone + Send + Sync`; clones share one store.

use std::collections::HashMap;

use crate::proto::ydb;
pub use ydb::status_ids::StatusCode;

/// How a query relates to transactions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxSelector {
    /// No transaction: the statement(s) run in an implicit transaction committed at the end.
    None,
    /// Begin a new transaction in this mode; its id is returned in [`ExecuteOutcome::tx_id`] unless
    /// `commit` is also set.
    Begin(TxMode),
    /// Continue the interactive transaction with this id.
    Existing(String),
}

/// YDB transaction modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxMode {
    SerializableReadWrite,
    OnlineReadOnly,
    StaleReadOnly,
    SnapshotReadOnly,
}

/// One query to run.
#[derive(Debug, Clone)]
pub struct ExecuteRequest<'a> {
    /// The database the client named (`/local`); table paths are relative to it.
    pub database: &'a str,
    pub yql: &'a str,
    /// Parameters by name, with the `$` (YDB clients send `$name`).
    pub params: &'a HashMap<String, ydb::TypedValue>,
    pub tx: TxSelector,
    /// Commit the transaction after this query.
    pub commit: bool,
}

/// What a query produced.
#[derive(Debug, Clone, Default)]
pub struct ExecuteOutcome {
    /// One result set per SELECT, in statement order.
    pub result_sets: Vec<ydb::ResultSet>,
    /// The transaction still open after the query (none when committed or when there was none).
    pub tx_id: Option<String>,
}

/// A failure as YDB reports it: a status and issues.
#[derive(Debug, Clone)]
pub struct EngineError {
    pub status: StatusCode,
    pub issues: Vec<ydb::issue::IssueMessage>,
}
