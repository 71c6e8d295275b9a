//! The gRPC services of the dev server, one module per YDB service.
//!
//! Services own the protocol shapes (Operation wrappers, Any-packed results, streamed parts) and the
//! session rules; the YQL work is the engine's. Engine calls are blocking (SQLite) and run on tokio's
//! blocking pool so that a long query never stalls the other connections — except reads the engine has
//! seen finish quickly (`Engine::runs_quickly`: under half a millisecond last time, in a transaction of
//! their own), which run in place: for them the hop to a blocking thread and back (two thread wake-ups,
//! a third of the server's CPU per point read) costs more than the read.

pub mod auth;
pub mod discovery;
mod parts;
pub mod query;
pub mod scheme;
pub mod table;

use prost::Message;

use crate::engine::{EngineError, StatusCode, TxMode, SEVERITY_ERROR};
use crate::proto::ydb;

/// An issue with just a message, as YDB sends for most errors.
pub fn issue(message: impl Into<String>) -> ydb::issue::IssueMessage {
    ydb::issue::IssueMessage { message: message.into(), severity: SEVERITY_ERROR, ..Default::default() }
}

/// A finished, successful operation whose result is packed in `google.protobuf.Any` under YDB's type name.
pub fn operation_ok<M: Message>(type_name: &str, result: &M) -> ydb::operations::Operation {
    ydb::operations::Operation {
        ready: true,
        status: StatusCode::Success as i32,
        result: Some(prost_types::Any {
            type_url: format!("type.googleapis.com/{type_name}"),
            value: result.encode_to_vec(),
        }),
        ..Default::default()
    }
}

/// A finished, successful operation without a result (DeleteSession, CommitTransaction, ...).
pub fn operation_done() -> ydb::operations::Operation {
    ydb::operations::Operation { ready: true, status: StatusCode::Success as i32, ..Default::default() }
}

/// A finished, failed operation.
pub fn operation_failed(err: &EngineError) -> ydb::operations::Operation {
    ydb::operations::Operation {
        ready: true,
        status: err.status as i32,
        issues: err.issues.clone(),
        ..Default::default()
    }
}

/// Runs blocking engine work off the async threads.
pub async fn blocking<T, F>(work: F) -> Result<T, EngineError>
where
    F: FnOnce() -> Result<T, EngineError> + Send + 'static,
    T: Send + 'static,
{
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result,
        Err(e) => Err(EngineError::new(StatusCode::InternalError, format!("query worker failed: {e}"))),
    }
}

/// Ends sessions already taken out of the registry: rolls back every transaction they left open (some
/// may already be gone, which is fine). The one teardown path for a deleted, killed, expired, faulted or
/// shut-down session.
pub async fn end_sessions(
    state: &crate::state::State,
    sessions: impl IntoIterator<Item = std::sync::Arc<crate::sessions::Session>>,
) {
    for session in sessions {
        for tx in session.open_transactions() {
            let engine = state.engine.clone();
            let _ = blocking(move || engine.rollback(&tx)).await;
        }
    }
}

/// Runs a query in a session under its transaction control and keeps the session's list of open
/// transactions true: a transaction the query committed (or that failed) is forgotten, one it began
/// and left open is tracked, so it is rolled back if the session dies. Shared by both services.
pub async fn execute_in_session(
    state: &crate::state::State,
    session: &crate::sessions::Session,
    database: String,
    yql: String,
    params: std::collections::HashMap<String, ydb::TypedValue>,
    tx: crate::engine::TxSelector,
    commit: bool,
) -> Result<crate::engine::ExecuteOutcome, EngineError> {
    let existing = match &tx {
        crate::engine::TxSelector::Existing(id) => Some(id.clone()),
        _ => None,
    };
    let quick = state.engine.runs_quickly(&yql, &tx, commit);
    let engine = state.engine.clone();
    let run = move || {
        engine.execute(crate::engine::ExecuteRequest { database: &database, yql: &yql, params: &params, tx, commit })
    };
    let outcome = if quick { run() } else { blocking(run).await };
    if let Some(id) = &existing {
        if commit || outcome.is_err() {
            session.forget_transaction(id);
        }
    }
    let outcome = outcome?;
    if let Some(id) = &outcome.tx_id {
        session.track_transaction(id);
    }
    Ok(outcome)
}

/// The engine mode of a transaction-settings message: both services' `TransactionSettings` carry the same
/// `tx_mode` oneof, generated as two Rust types (serializable when unset).
macro_rules! tx_mode_of {
    ($settings:expr, $oneof:path) => {{
        use $oneof as M;
        match $settings.and_then(|s| s.tx_mode.as_ref()) {
            Some(M::OnlineReadOnly(_)) => TxMode::OnlineReadOnly,
            Some(M::StaleReadOnly(_)) => TxMode::StaleReadOnly,
            Some(M::SnapshotReadOnly(_)) => TxMode::SnapshotReadOnly,
            _ => TxMode::SerializableReadWrite,
        }
    }};
}

/// Maps the table service's transaction settings to an engine mode (serializable when unset).
pub fn table_tx_mode(settings: Option<&ydb::table::TransactionSettings>) -> TxMode {
    tx_mode_of!(settings, ydb::table::transaction_settings::TxMode)
}

/// Maps the query service's transaction settings to an engine mode (serializable when unset).
pub fn query_tx_mode(settings: Option<&ydb::query::TransactionSettings>) -> TxMode {
    tx_mode_of!(settings, ydb::query::transaction_settings::TxMode)
}
