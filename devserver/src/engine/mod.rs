//! The YQL engine of the dev server: parses the YQL subset, checks it against YDB's type rules and runs it
//! on an embedded SQLite store.
//!
//! The engine knows nothing about gRPC or sessions. The services hand it query text, typed parameters and
//! a transaction selector; it answers with YDB result sets (`Ydb.ResultSet`, column types as YDB reports
//! them) or an [`EngineError`] carrying the YDB status and issues a real server would send.
//!
//! Contract used by the services (`crate::services`):
//! - [`Engine::open`] — `None` for an in-memory store, `Some(dir)` for a persistent one under `dir`.
//! - [`Engine::execute`] — data queries (DECLARE, SELECT, UPSERT, ...); may also run DDL. Query texts
//!   and table schemas are cached between calls (`cache.rs`); [`Engine::runs_quickly`] says whether a
//!   query is a read that last ran quickly enough to run in place on an async thread.
//! - [`Engine::execute_scheme`] — DDL only (CREATE TABLE, ...), outside any transaction.
//! - [`Engine::begin`], [`Engine::commit`], [`Engine::rollback`] — interactive transactions by id, any
//!   number open at once, optimistic as in YDB (`tx.rs`, `locks.rs`). Unknown transaction ids give
//!   `NOT_FOUND`; a commit whose locks another commit broke gives `ABORTED`.
//! - Structured scheme operations (`scheme.rs`): [`Engine::create_table`], [`Engine::alter_table`],
//!   [`Engine::drop_table`], [`Engine::describe_table`], [`Engine::copy_tables`], [`Engine::rename_tables`],
//!   [`Engine::bulk_upsert`], [`Engine::read_table`], [`Engine::read_rows`], [`Engine::explain`], and the
//!   directory tree:
//!   [`Engine::make_directory`], [`Engine::remove_directory`], [`Engine::list_directory`],
//!   [`Engine::describe_path`], [`Engine::modify_permissions`], [`Engine::set_owner`]. Paths are absolute
//!   or relative to the database; missing paths are `SCHEME_ERROR`.
//!
//! `Engine` is `Clone + Send + Sync`; clones share one store.

use std::collections::HashMap;

use crate::proto::ydb;
pub use ydb::status_ids::StatusCode;

/// How deep recursive descent may go, in the parser (expression nesting) and in the executor (subqueries,
/// named expressions inside one another): the one bound that keeps hostile input from overflowing the stack.
const MAX_DEPTH: u32 = 64;

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

mod ast;
mod buffer;
mod cache;
mod catalog;
mod datetime;
mod exec;
mod lexer;
mod locks;
mod math;
mod parser;
mod prepare;
mod scheme;
mod scratch;
mod text;
mod tx;
mod types;
mod values;

#[cfg(test)]
mod tests;

pub use ast::{IndexDef, IndexKind};
pub use scheme::{
    Alteration, ColumnSpec, EntryKind, KeyBound, PathEntry, PermissionAction, ReadTableRequest, TableDescription,
};
pub use tx::Engine;

/// Issue severity ERROR as YDB sends it.
pub const SEVERITY_ERROR: u32 = 1;
/// YDB's issue code KIKIMR_LOCKS_INVALIDATED.
const ISSUE_LOCKS_INVALIDATED: u32 = 2001;
/// YDB's issue code KIKIMR_CONSTRAINT_VIOLATION.
const ISSUE_CONSTRAINT_VIOLATION: u32 = 2012;

impl EngineError {
    /// An error with one issue.
    pub fn new(status: StatusCode, message: impl Into<String>) -> EngineError {
        EngineError {
            status,
            issues: vec![ydb::issue::IssueMessage {
                message: message.into(),
                severity: SEVERITY_ERROR,
                ..Default::default()
            }],
        }
    }
    pub fn generic(message: impl Into<String>) -> EngineError {
        EngineError::new(StatusCode::GenericError, message)
    }
    pub fn bad_request(message: impl Into<String>) -> EngineError {
        EngineError::new(StatusCode::BadRequest, message)
    }
    pub fn internal(message: impl Into<String>) -> EngineError {
        EngineError::new(StatusCode::InternalError, message)
    }
    /// The optimistic-lock failure YDB reports for conflicting transactions.
    pub fn locks_invalidated() -> EngineError {
        EngineError::new(StatusCode::Aborted, "Transaction locks invalidated.").with_code(ISSUE_LOCKS_INVALIDATED)
    }
    /// The optimistic-lock failure naming the table whose lock broke, as YDB words it.
    pub fn locks_invalidated_on(table: &str) -> EngineError {
        EngineError::new(StatusCode::Aborted, format!("Transaction locks invalidated. Table: `{table}`."))
            .with_code(ISSUE_LOCKS_INVALIDATED)
    }
    /// A write that would give two rows the same values of a unique index, as YDB reports it.
    pub fn unique_index_conflict(table: &str, index: &str) -> EngineError {
        EngineError::new(
            StatusCode::PreconditionFailed,
            format!("Conflict with existing key. Table: `{table}`, unique index: `{index}`."),
        )
        .with_code(ISSUE_CONSTRAINT_VIOLATION)
    }
    fn with_code(mut self, code: u32) -> EngineError {
        for issue in &mut self.issues {
            issue.issue_code = code;
        }
        self
    }
    /// The first issue's message (for logs and tests).
    pub fn message(&self) -> String {
        self.issues.iter().map(|i| i.message.clone()).collect::<Vec<_>>().join("; ")
    }
}

impl std::fmt::Display for EngineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.status, self.message())
    }
}

impl std::error::Error for EngineError {}

/// A syntax/compile error with a position, as YDB reports it (`GENERIC_ERROR`).
pub(crate) fn err_at(line: u32, col: u32, msg: &str) -> EngineError {
    EngineError {
        status: StatusCode::GenericError,
        issues: vec![ydb::issue::IssueMessage {
            message: msg.to_string(),
            severity: SEVERITY_ERROR,
            position: Some(ydb::issue::issue_message::Position { row: line, column: col, file: String::new() }),
            ..Default::default()
        }],
    }
}

/// Maps a SQLite failure: lock conflicts become YDB's `ABORTED`, the rest are internal errors.
pub(crate) fn sql_err(e: rusqlite::Error) -> EngineError {
    use rusqlite::ErrorCode;
    match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(f.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) =>
        {
            EngineError::locks_invalidated()
        }
        _ => EngineError::internal(format!("Storage error: {e}")),
    }
}
