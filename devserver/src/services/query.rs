//! The Query service: sessions watched through AttachSession, streamed ExecuteQuery, transactions.
//!
//! Unlike the Table service, answers carry status and issues directly (no Operation wrapper), and
//! results arrive as a stream of parts: every result set is cut into parts of bounded size, each tagged
//! with its result set index, so a big result never has to fit one message.

use std::pin::Pin;

use futures_util::Stream;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use super::parts::split_result_set;
use super::{blocking, end_sessions, execute_in_session, query_tx_mode};
use crate::engine::{EngineError, StatusCode, TxSelector};
use crate::proto::ydb;
use crate::proto::ydb::query::v1::query_service_server::QueryService;
use crate::proto::ydb::query::*;
use crate::sessions::{Ended, Kind};
use crate::state::{database_of, State};

/// Rows go into a part until it holds this many bytes (or the client's smaller limit).
const PART_BYTES: usize = 256 * 1024;

pub struct Query {
    pub state: State,
}

type PartStream = Pin<Box<dyn Stream<Item = Result<ExecuteQueryResponsePart, Status>> + Send>>;
type StateStream = Pin<Box<dyn Stream<Item = Result<SessionState, Status>> + Send>>;

fn codes(err: &EngineError) -> (i32, Vec<ydb::issue::IssueMessage>) {
    (err.status as i32, err.issues.clone())
}

#[tonic::async_trait]
impl QueryService for Query {
    async fn create_session(
        &self,
        _r: Request<CreateSessionRequest>,
    ) -> Result<Response<CreateSessionResponse>, Status> {
        let session_id = self.state.sessions.create(Kind::Query);
        Ok(Response::new(CreateSessionResponse {
            status: StatusCode::Success as i32,
            issues: Vec::new(),
            session_id,
            node_id: i64::from(self.state.node_id),
        }))
    }

    async fn delete_session(
        &self,
        r: Request<DeleteSessionRequest>,
    ) -> Result<Response<DeleteSessionResponse>, Status> {
        let id = r.into_inner().session_id;
        let (status, issues) = match self.state.sessions.remove(&id, Ended::Closed) {
            Some(session) => {
                end_sessions(&self.state, [session]).await;
                (StatusCode::Success as i32, Vec::new())
            }
            None => codes(&EngineError::new(StatusCode::BadSession, format!("Session not found: {id}"))),
        };
        Ok(Response::new(DeleteSessionResponse { status, issues }))
    }

    type AttachSessionStream = StateStream;

    async fn attach_session(&self, r: Request<AttachSessionRequest>) -> Result<Response<StateStream>, Status> {
        let id = r.into_inner().session_id;
        let session = match self.state.sessions.get(&id, Kind::Query) {
            Ok(s) => s,
            Err(e) => {
                let (status, issues) = codes(&e);
                let state = SessionState { status, issues, ..Default::default() };
                return Ok(Response::new(Box::pin(futures_util::stream::iter([Ok(state)]))));
            }
        };
        session.set_attached(true);
        let mut ended = session.watch_end();
        let (sender, receiver) = mpsc::channel(2);
        let state = self.state.clone();
        tokio::spawn(async move {
            let ready = SessionState { status: StatusCode::Success as i32, ..Default::default() };
            if sender.send(Ok(ready)).await.is_err() {
                return close_detached(&state, &id).await;
            }
            let why = tokio::select! {
                r = ended.wait_for(|e| *e != Ended::No) => Some(r.map(|e| *e).unwrap_or(Ended::Closed)),
                _ = sender.closed() => None,
            };
            let Some(why) = why else {
                return close_detached(&state, &id).await;
            };
            let hint = match why {
                Ended::Shutdown => Some(session_state::SessionHint::NodeShutdown(NodeShutdownHint {})),
                _ => Some(session_state::SessionHint::SessionShutdown(SessionShutdownHint {})),
            };
            let last = SessionState {
                status: StatusCode::BadSession as i32,
                issues: vec![super::issue("Session closed")],
                session_hint: hint,
            };
            let _ = sender.send(Ok(last)).await;
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(receiver))))
    }

    async fn begin_transaction(
        &self,
        r: Request<BeginTransactionRequest>,
    ) -> Result<Response<BeginTransactionResponse>, Status> {
        let req = r.into_inner();
        let begun = match self.state.sessions.occupy(&req.session_id, Kind::Query) {
            Ok(busy) => {
                let engine = self.state.engine.clone();
                let mode = query_tx_mode(req.tx_settings.as_ref());
                let begun = blocking(move || engine.begin(mode)).await;
                if let Ok(id) = &begun {
                    busy.session().track_transaction(id);
                }
                begun
            }
            Err(e) => Err(e),
        };
        Ok(Response::new(match begun {
            Ok(id) => BeginTransactionResponse {
                status: StatusCode::Success as i32,
                issues: Vec::new(),
                tx_meta: Some(TransactionMeta { id }),
            },
            Err(e) => BeginTransactionResponse { status: e.status as i32, issues: e.issues, tx_meta: None },
        }))
    }

    async fn commit_transaction(
        &self,
        r: Request<CommitTransactionRequest>,
    ) -> Result<Response<CommitTransactionResponse>, Status> {
        let req = r.into_inner();
        let done = self.finish_transaction(&req.session_id, req.tx_id, true).await;
        let (status, issues) = done.map_or_else(|e| codes(&e), |()| (StatusCode::Success as i32, Vec::new()));
        Ok(Response::new(CommitTransactionResponse { status, issues }))
    }

    async fn rollback_transaction(
        &self,
        r: Request<RollbackTransactionRequest>,
    ) -> Result<Response<RollbackTransactionResponse>, Status> {
        let req = r.into_inner();
        let done = self.finish_transaction(&req.session_id, req.tx_id, false).await;
        let (status, issues) = done.map_or_else(|e| codes(&e), |()| (StatusCode::Success as i32, Vec::new()));
        Ok(Response::new(RollbackTransactionResponse { status, issues }))
    }

    type ExecuteQueryStream = PartStream;

    async fn execute_query(&self, r: Request<ExecuteQueryRequest>) -> Result<Response<PartStream>, Status> {
        let database = database_of(&r);
        let req = r.into_inner();
        let state = self.state.clone();
        // The query runs to its end in a task of its own, so that a client going away mid-query cannot
        // cut the session bookkeeping short; the answer waits for it, so the response head, its parts
        // and the trailers leave together (one write for a small answer, not one per part).
        let ran = tokio::spawn(async move { run_query(&state, database, req).await }).await;
        let parts = match ran {
            Ok(Ok(parts)) => parts,
            Ok(Err(e)) => Parts::failed(&e),
            Err(e) => Parts::failed(&EngineError::new(StatusCode::InternalError, format!("query task failed: {e}"))),
        };
        Ok(Response::new(Box::pin(parts)))
    }
}

impl Query {
    async fn finish_transaction(&self, session_id: &str, tx_id: String, commit: bool) -> Result<(), EngineError> {
        let busy = self.state.sessions.occupy(session_id, Kind::Query)?;
        let engine = self.state.engine.clone();
        let tx = tx_id.clone();
        let done = blocking(move || if commit { engine.commit(&tx) } else { engine.rollback(&tx) }).await;
        busy.session().forget_transaction(&tx_id);
        done
    }
}

/// The client closed the AttachSession stream: in YDB that kills the session.
async fn close_detached(state: &State, id: &str) {
    end_sessions(state, state.sessions.remove(id, Ended::Closed)).await;
}

/// The parts of one ExecuteQuery answer, streamed; the session stays busy until the last part is handed
/// over (a client may send its next query on the session as soon as it has the answer).
struct Parts {
    parts: std::vec::IntoIter<ExecuteQueryResponsePart>,
    busy: Option<crate::sessions::Busy>,
}

impl Parts {
    /// The one part of a failed query: its status and issues, as YDB streams errors.
    fn failed(err: &EngineError) -> Parts {
        let (status, issues) = codes(err);
        Parts { parts: vec![ExecuteQueryResponsePart { status, issues, ..Default::default() }].into_iter(), busy: None }
    }
}

impl Stream for Parts {
    type Item = Result<ExecuteQueryResponsePart, Status>;

    fn poll_next(mut self: Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<Option<Self::Item>> {
        let next = self.parts.next();
        if next.is_none() {
            self.busy = None;
        }
        std::task::Poll::Ready(next.map(Ok))
    }
}

/// Runs one ExecuteQuery and cuts its answer into parts.
async fn run_query(state: &State, database: String, req: ExecuteQueryRequest) -> Result<Parts, EngineError> {
    // An empty session id asks for an implicit session, as in YDB: one that lives for this call only.
    let implicit = req.session_id.is_empty();
    let busy = if implicit {
        check_implicit_tx_control(req.tx_control.as_ref())?;
        state.sessions.implicit(Kind::Query)
    } else {
        state.sessions.occupy(&req.session_id, Kind::Query)?
    };
    let yql = match req.query {
        Some(execute_query_request::Query::QueryContent(content)) => content.text,
        None => return Err(EngineError::new(StatusCode::BadRequest, "Empty query text")),
    };
    if req.result_set_format == ydb::result_set::Format::Arrow as i32 {
        // Answering rows in the value format instead would hand the client something it did not ask for.
        if implicit {
            end_sessions(state, [busy.session().clone()]).await;
        }
        return Err(EngineError::new(
            StatusCode::Unsupported,
            "ydb-devserver does not produce Arrow result sets: ask for FORMAT_VALUE (the default)",
        ));
    }
    let control = req.tx_control.unwrap_or_default();
    let tx = match control.tx_selector {
        Some(transaction_control::TxSelector::TxId(id)) => TxSelector::Existing(id),
        Some(transaction_control::TxSelector::BeginTx(settings)) => TxSelector::Begin(query_tx_mode(Some(&settings))),
        None => TxSelector::None,
    };
    let started = std::time::Instant::now();
    if req.exec_mode == ExecMode::Explain as i32 {
        // EXPLAIN plans the query without running it: no result sets, the plan and AST in the statistics.
        let engine = state.engine.clone();
        let planned = blocking(move || engine.explain(&database, &yql)).await;
        if implicit {
            end_sessions(state, [busy.session().clone()]).await;
        }
        let (query_ast, query_plan) = planned?;
        let exec_stats = ydb::table_stats::QueryStats { query_plan, query_ast, ..query_stats(started.elapsed(), 0) };
        let msg = ExecuteQueryResponsePart {
            status: StatusCode::Success as i32,
            exec_stats: Some(exec_stats),
            ..Default::default()
        };
        return Ok(Parts { parts: vec![msg].into_iter(), busy: Some(busy) });
    }
    // FULL and PROFILE statistics carry the plan too, as YDB's do.
    let plan_text = wants_plan(req.stats_mode).then(|| yql.clone());
    let outcome =
        execute_in_session(state, busy.session(), database.clone(), yql, req.parameters, tx, control.commit_tx).await;
    if implicit {
        // Nothing outlives an implicit session: a transaction a failed query left open is rolled back.
        end_sessions(state, [busy.session().clone()]).await;
    }
    let outcome = outcome?;
    let plan = match plan_text {
        Some(yql) => {
            let engine = state.engine.clone();
            Some(blocking(move || engine.explain(&database, &yql)).await?)
        }
        None => None,
    };
    let stats = wants_stats(req.stats_mode).then(|| {
        let rows: u64 = outcome.result_sets.iter().map(|s| s.rows.len() as u64).sum();
        let (query_ast, query_plan) = plan.unwrap_or_default();
        ydb::table_stats::QueryStats { query_plan, query_ast, ..query_stats(started.elapsed(), rows) }
    });
    let limit = match usize::try_from(req.response_part_limit_bytes) {
        Ok(n) if n > 0 => n.min(PART_BYTES),
        _ => PART_BYTES,
    };
    let mut tx_meta = outcome.tx_id.map(|id| TransactionMeta { id });
    let mut parts = Vec::new();
    for (index, set) in outcome.result_sets.into_iter().enumerate() {
        for part in split_result_set(set, limit) {
            parts.push(ExecuteQueryResponsePart {
                status: StatusCode::Success as i32,
                result_set_index: i64::try_from(index).unwrap_or(i64::MAX),
                result_set: Some(part),
                tx_meta: tx_meta.take(),
                ..Default::default()
            });
        }
    }
    if parts.is_empty() || tx_meta.is_some() || stats.is_some() {
        // YDB sends the statistics in the last part, after the rows.
        parts.push(ExecuteQueryResponsePart {
            status: StatusCode::Success as i32,
            tx_meta,
            exec_stats: stats,
            ..Default::default()
        });
    }
    Ok(Parts { parts: parts.into_iter(), busy: Some(busy) })
}

/// YDB's rule for an implicit session: no transaction control, or a transaction begun and committed by
/// this very query. Anything else would leave a transaction in a session that ends with the call.
fn check_implicit_tx_control(control: Option<&TransactionControl>) -> Result<(), EngineError> {
    let Some(control) = control else { return Ok(()) };
    match (&control.tx_selector, control.commit_tx) {
        (None, _) | (Some(transaction_control::TxSelector::BeginTx(_)), true) => Ok(()),
        (Some(transaction_control::TxSelector::BeginTx(_)), false) => Err(EngineError::new(
            StatusCode::BadRequest,
            "Implicit session (empty session_id): a transaction begun here must be committed by the same query \
             (commit_tx: true); an interactive transaction needs a session",
        )),
        (Some(transaction_control::TxSelector::TxId(_)), _) => Err(EngineError::new(
            StatusCode::BadRequest,
            "Implicit session (empty session_id): tx_id is not allowed; a transaction lives in the session that began it",
        )),
    }
}

/// Whether the request asked for statistics (BASIC or more).
fn wants_stats(mode: i32) -> bool {
    matches!(StatsMode::try_from(mode), Ok(StatsMode::Basic | StatsMode::Full | StatsMode::Profile))
}

/// Whether the statistics asked for carry the query's plan (FULL and PROFILE).
fn wants_plan(mode: i32) -> bool {
    matches!(StatsMode::try_from(mode), Ok(StatsMode::Full | StatsMode::Profile))
}

/// Statistics of one query: its wall time (the dev server does not measure CPU apart from it) and the rows
/// it returned, as one phase.
pub(super) fn query_stats(elapsed: std::time::Duration, rows_returned: u64) -> ydb::table_stats::QueryStats {
    let us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
    ydb::table_stats::QueryStats {
        query_phases: vec![ydb::table_stats::QueryPhaseStats {
            duration_us: us,
            cpu_time_us: us,
            affected_shards: 1,
            table_access: vec![ydb::table_stats::TableAccessStats {
                name: "(result)".to_string(),
                reads: Some(ydb::table_stats::OperationStats { rows: rows_returned, bytes: 0 }),
                ..Default::default()
            }],
            literal_phase: false,
        }],
        total_duration_us: us,
        total_cpu_time_us: us,
        process_cpu_time_us: us,
        ..Default::default()
    }
}
