//! The Table service: table sessions, data and scheme queries, and interactive transactions.
//!
//! A table session is a server-side handle created by CreateSession. Every call that fails with an
//! error that kills sessions (BAD_SESSION, SESSION_EXPIRED, a lost connection…) marks the session
//! dead so that its pool discards it. A [`TxContext`] begins its transaction lazily with its first
//! statement (one round trip, as the official SDKs do) and can commit with the last one.

use crate::error::{Error, Result, Status};
use crate::observe::trace::{AttemptTrace, SessionTrace};
use crate::pool::{PooledSession, DEFAULT_CREATE_TIMEOUT_MS};
use crate::proto::ydb::operations::Operation;
use crate::proto::ydb::table;
use crate::transport::channel::decode_answer;
use crate::transport::framing::encode_frame;
use crate::transport::methods::table_service as rpc;
use crate::transport::methods::Method;
use crate::transport::operation::{check, operation_params, result_in, OperationAnswer};
use crate::transport::{CallOptions, Channel};
use crate::tx_mode::TxMode;
use crate::value::params::Params;
use crate::value::rows::ResultSet;
use futures_util::future::LocalBoxFuture;
use schema::DataQuery;
use std::cell::Cell;
use std::rc::Rc;

pub mod schema;

/// A table-service session.
pub struct TableSession {
    id: String,
    channel: Channel,
    alive: Rc<Cell<bool>>,
    /// Whom the session's calls are traced for: the retry attempt or the caller holding it (nobody while
    /// it is idle in its pool); their spans' context is sent with the calls.
    trace: SessionTrace,
}

/// The answer of a data query.
pub struct DataQueryResult {
    pub result_sets: Vec<ResultSet>,
    /// The transaction left open by the query, if it began one without committing.
    pub tx_id: Option<String>,
}

impl TableSession {
    pub async fn create(channel: &Channel, opts: &CallOptions) -> Result<TableSession> {
        let req = table::CreateSessionRequest { operation_params: operation_params(opts.timeout_ms) };
        let created: table::CreateSessionResult =
            result_in(channel.operation(&rpc::CREATE_SESSION, &req, opts).await?)?;
        if created.session_id.is_empty() {
            return Err(Error::protocol("CreateSession answered without a session id"));
        }
        channel.observer().session_created("table", &created.session_id, channel.endpoint());
        Ok(TableSession {
            id: created.session_id,
            channel: channel.clone(),
            alive: Rc::new(Cell::new(true)),
            trace: SessionTrace::default(),
        })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn is_alive(&self) -> bool {
        self.alive.get()
    }

    pub fn channel(&self) -> &Channel {
        &self.channel
    }

    fn note(&self, e: Error) -> Error {
        if e.policy().discards_session && self.alive.replace(false) {
            self.channel.observer().session_discarded("table", &self.id, e.status.name());
        }
        e
    }

    /// A unary call on this session; its answer's `Operation` (every Table service answer is one), checked.
    /// An error that kills sessions marks the session dead, and so does the server's session-close hint on
    /// an answer (the answer itself stands; the pool closes the session on release).
    fn call<'a, Req: prost::Message>(
        &'a self,
        method: &Method<Req, OperationAnswer>,
        request: &Req,
        opts: &'a CallOptions,
    ) -> LocalBoxFuture<'a, Result<Operation>> {
        self.operation(method.path, encode_frame(request), opts)
    }

    /// The untyped part of [`TableSession::call`], boxed so that each typed call site does not inline
    /// its own copy of the state machine, the answer's decoding and the status check.
    fn operation<'a>(
        &'a self,
        path: &'static str,
        body: Vec<u8>,
        opts: &'a CallOptions,
    ) -> LocalBoxFuture<'a, Result<Operation>> {
        Box::pin(async move {
            let span = self.trace.request(path, None);
            let opts = opts.traced(span.traceparent());
            let answer = self.channel.unary_bytes(path, body, &opts).await.map_err(|e| self.note(e));
            let (bytes, session_close) = span.record(answer)?;
            if session_close && self.alive.replace(false) {
                self.channel.observer().session_discarded("table", &self.id, "session-close hint");
            }
            let answer: OperationAnswer = decode_answer(path, &bytes)?;
            check(answer.operation).map_err(|e| {
                span.fail_with(&e);
                self.note(e)
            })
        })
    }

    /// Runs a data query (YQL text or a prepared query's id) under the given transaction control.
    pub async fn execute_data_query(
        &self,
        query: table::query::Query,
        parameters: Params,
        tx_control: table::TransactionControl,
        opts: &CallOptions,
    ) -> Result<DataQueryResult> {
        let req = data_query_request(&self.id, query, parameters, tx_control, opts);
        let outcome =
            async { result_in::<table::ExecuteQueryResult>(self.call(&rpc::EXECUTE_DATA_QUERY, &req, opts).await?) };
        let result = outcome.await.map_err(|e| self.note(e))?;
        Ok(DataQueryResult {
            result_sets: result.result_sets,
            tx_id: result.tx_meta.map(|m| m.id).filter(|id| !id.is_empty()),
        })
    }

    /// Runs DDL text (CREATE TABLE, DROP TABLE, ALTER TABLE …).
    pub async fn execute_scheme_query(&self, yql: &str, opts: &CallOptions) -> Result<()> {
        let req = table::ExecuteSchemeQueryRequest {
            session_id: self.id.clone(),
            yql_text: yql.to_string(),
            operation_params: operation_params(opts.timeout_ms),
        };
        self.call(&rpc::EXECUTE_SCHEME_QUERY, &req, opts).await.map(|_| ())
    }

    pub async fn commit(&self, tx_id: &str, opts: &CallOptions) -> Result<()> {
        let req = table::CommitTransactionRequest {
            session_id: self.id.clone(),
            tx_id: tx_id.to_string(),
            operation_params: operation_params(opts.timeout_ms),
            ..Default::default()
        };
        self.call(&rpc::COMMIT_TRANSACTION, &req, opts).await.map(|_| ())
    }

    pub async fn rollback(&self, tx_id: &str, opts: &CallOptions) -> Result<()> {
        let req = table::RollbackTransactionRequest {
            session_id: self.id.clone(),
            tx_id: tx_id.to_string(),
            operation_params: operation_params(opts.timeout_ms),
        };
        self.call(&rpc::ROLLBACK_TRANSACTION, &req, opts).await.map(|_| ())
    }

    /// Tells the server the session is still wanted (it expires sessions left idle too long). A session
    /// the server no longer knows fails with BAD_SESSION and is marked dead.
    pub async fn keep_alive(&self, opts: &CallOptions) -> Result<()> {
        let req = table::KeepAliveRequest {
            session_id: self.id.clone(),
            operation_params: operation_params(opts.timeout_ms),
        };
        // The result (the session's state) is not read: the status says whether the session lives.
        self.call(&rpc::KEEP_ALIVE, &req, opts).await.map(|_| ())
    }

    /// Deletes the session on the server.
    pub async fn delete(&self) {
        self.alive.set(false);
        let req = table::DeleteSessionRequest { session_id: self.id.clone(), ..Default::default() };
        let _ = self.channel.operation(&rpc::DELETE_SESSION, &req, &CallOptions::with_timeout(Some(5_000))).await;
    }
}

/// The ExecuteDataQuery request, with the call's deadline as the operation's timeout.
pub fn data_query_request(
    session_id: &str,
    query: table::query::Query,
    parameters: Params,
    tx_control: table::TransactionControl,
    opts: &CallOptions,
) -> table::ExecuteDataQueryRequest {
    table::ExecuteDataQueryRequest {
        session_id: session_id.to_string(),
        tx_control: Some(tx_control),
        query: Some(table::Query { query: Some(query) }),
        parameters,
        query_cache_policy: Some(table::QueryCachePolicy { keep_in_cache: true }),
        operation_params: operation_params(opts.timeout_ms),
        ..Default::default()
    }
}

impl PooledSession for Rc<TableSession> {
    type Factory = crate::discovery::Endpoints;
    fn create(endpoints: &crate::discovery::Endpoints) -> LocalBoxFuture<'static, Result<Self>> {
        let channel = endpoints.pick();
        Box::pin(async move {
            let deadline = channel.default_timeout_ms().unwrap_or(DEFAULT_CREATE_TIMEOUT_MS);
            TableSession::create(&channel, &CallOptions::with_timeout(Some(deadline))).await.map(Rc::new)
        })
    }
    fn is_alive(&self) -> bool {
        self.alive.get()
    }
    fn close(self) -> LocalBoxFuture<'static, ()> {
        Box::pin(async move { self.delete().await })
    }
    fn keep_alive(&self) -> Option<LocalBoxFuture<'static, Result<()>>> {
        let session = self.clone();
        Some(Box::pin(async move { TableSession::keep_alive(&session, &CallOptions::with_timeout(Some(5_000))).await }))
    }
    fn set_trace(&self, attempt: Option<AttemptTrace>) {
        self.trace.set(attempt);
    }
    fn trace_by_hand(&self) {
        let channel = &self.channel;
        self.trace.set(AttemptTrace::held_by_hand(channel.observer(), channel.endpoint(), channel.database()));
    }
}

/// Result sets as they are, or TRUNCATED_RESULT when one was cut at the server's row limit: YDB's table
/// service returns at most 1,000 rows per result set by default, and a program that reads the first
/// 1,000 of 1,500 rows as if they were all is wrong without knowing it. (The statement itself ran.)
pub fn refuse_truncated(sets: Vec<ResultSet>, committed: bool) -> Result<Vec<ResultSet>> {
    let Some((index, set)) = sets.iter().enumerate().find(|(_, s)| s.truncated) else {
        return Ok(sets);
    };
    let ran = if committed { "the statement ran and its transaction committed" } else { "the statement ran" };
    Err(Error::client(
        Status::TruncatedResult,
        format!(
            "result set {index} was cut at {} rows by the server's row limit ({ran}); read every row with \
             session.readTable, through the query service (QuerySessionPool.executeWithRetries), or in pages \
             (LIMIT with a key range) — or pass {{ allowTruncated: true }} to take the first rows",
            set.rows.len()
        ),
    ))
}

/// An interactive transaction on a table session.
pub struct TxContext {
    session: Rc<TableSession>,
    mode: TxMode,
    tx_id: Option<String>,
    finished: bool,
    allow_truncated: bool,
}

impl TxContext {
    pub fn new(session: Rc<TableSession>, mode: TxMode) -> Self {
        TxContext { session, mode, tx_id: None, finished: false, allow_truncated: false }
    }

    /// Runs `query` in a serializable transaction of its own, committed with it (`session.executeQuery`).
    pub async fn execute_alone(
        session: Rc<TableSession>,
        query: &DataQuery,
        parameters: Params,
        allow_truncated: bool,
        opts: &CallOptions,
    ) -> Result<Vec<ResultSet>> {
        let mut tx = TxContext::new(session, TxMode::SerializableReadWrite);
        tx.set_allow_truncated(allow_truncated);
        tx.execute(query, parameters, true, opts).await
    }

    /// Whether a result cut at the server's row limit is returned as it is (`true`) or refused with
    /// TRUNCATED_RESULT (the default: rows must not go missing without an error).
    pub fn set_allow_truncated(&mut self, allow: bool) {
        self.allow_truncated = allow;
    }

    pub fn tx_id(&self) -> Option<&str> {
        self.tx_id.as_deref()
    }

    pub fn is_finished(&self) -> bool {
        self.finished
    }

    fn control(&self, commit: bool) -> Result<table::TransactionControl> {
        use table::transaction_control::TxSelector;
        if self.finished {
            return Err(Error::argument("the transaction is already committed or rolled back"));
        }
        let selector = match &self.tx_id {
            Some(id) => TxSelector::TxId(id.clone()),
            None => TxSelector::BeginTx(self.mode.to_table()),
        };
        Ok(table::TransactionControl { tx_selector: Some(selector), commit_tx: commit })
    }

    /// Runs a statement in the transaction, beginning it on the first call. A prepared query the server
    /// no longer knows runs once more from its text (see [`DataQuery::fallback_after`]).
    pub async fn execute(
        &mut self,
        query: &DataQuery,
        parameters: Params,
        commit: bool,
        opts: &CallOptions,
    ) -> Result<Vec<ResultSet>> {
        let began_before = self.tx_id.is_some();
        // Only a prepared query may need its parameters a second time.
        let again = matches!(query, DataQuery::Prepared(_)).then(|| parameters.clone());
        let sets = match self.execute_once(query.to_proto(), parameters, commit, opts).await {
            Err(e) => match (query.fallback_after(&e, began_before), again) {
                (Some(text), Some(parameters)) => {
                    // The failed statement ended nothing on the server: the transaction never began.
                    self.finished = false;
                    self.execute_once(text, parameters, commit, opts).await
                }
                _ => Err(e),
            },
            ok => ok,
        }?;
        if self.allow_truncated {
            Ok(sets)
        } else {
            refuse_truncated(sets, commit)
        }
    }

    async fn execute_once(
        &mut self,
        query: table::query::Query,
        parameters: Params,
        commit: bool,
        opts: &CallOptions,
    ) -> Result<Vec<ResultSet>> {
        let control = self.control(commit)?;
        let result = self.session.execute_data_query(query, parameters, control, opts).await;
        match result {
            Ok(r) => {
                if commit {
                    self.finished = true;
                } else if self.tx_id.is_none() {
                    self.tx_id = r.tx_id;
                }
                Ok(r.result_sets)
            }
            Err(e) => {
                // A failed statement ends the transaction on the server side.
                self.finished = true;
                Err(e)
            }
        }
    }

    /// Commits; a transaction that never ran a statement has nothing to commit.
    pub async fn commit(&mut self, opts: &CallOptions) -> Result<()> {
        if self.finished {
            return Ok(());
        }
        self.finished = true;
        match &self.tx_id {
            Some(id) => self.session.commit(id, opts).await,
            None => Ok(()),
        }
    }

    pub async fn rollback(&mut self, opts: &CallOptions) -> Result<()> {
        if self.finished {
            return Ok(());
        }
        self.finished = true;
        match &self.tx_id {
            Some(id) => self.session.rollback(id, opts).await,
            None => Ok(()),
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    fn request(timeout_ms: Option<u32>) -> table::ExecuteDataQueryRequest {
        let control = table::TransactionControl { tx_selector: None, commit_tx: true };
        let q = table::query::Query::YqlText("SELECT 1".into());
        data_query_request("s1", q, Params::new(), control, &CallOptions::with_timeout(timeout_ms))
    }

    #[test]
    fn a_truncated_result_is_refused_with_the_ways_to_read_the_rest() {
        let set = |rows: usize, truncated| ResultSet {
            rows: vec![crate::proto::ydb::Value::default(); rows].into_iter().collect(),
            truncated,
            ..Default::default()
        };
        assert_eq!(refuse_truncated(vec![set(3, false)], false).map(|s| s.len()).ok(), Some(1));
        let e = refuse_truncated(vec![set(2, false), set(1000, true)], true).expect_err("refused");
        assert_eq!((e.status(), e.kind()), (Status::TruncatedResult, crate::ErrorKind::Client));
        assert!(e.message().contains("result set 1 was cut at 1000 rows"), "{}", e.message());
        assert!(e.message().contains("committed") && e.message().contains("readTable"), "{}", e.message());
        assert!(!e.is_retryable(true), "running it again gives the same cut");
    }

    #[test]
    fn the_call_timeout_is_sent_as_the_operation_timeout_and_cancel_after() {
        let params = request(Some(2_500)).operation_params.expect("operation params");
        let expected = prost_types::Duration { seconds: 2, nanos: 500_000_000 };
        assert_eq!(params.operation_timeout, Some(expected));
        assert_eq!(params.cancel_after, Some(expected));
        assert_eq!(
            request(Some(999)).operation_params.and_then(|p| p.operation_timeout).map(|d| (d.seconds, d.nanos)),
            Some((0, 999_000_000))
        );
    }

    #[test]
    fn without_a_timeout_no_operation_params_are_sent() {
        let r = request(None);
        assert_eq!(r.operation_params, None);
        assert_eq!(r.session_id, "s1");
    }
}
