//! The Query service: sessions kept alive by an AttachSession stream, and streamed execution.
//!
//! A query session is created with CreateSession and then *attached*: the server keeps a stream open
//! for the session's life, and the session is alive exactly as long as that stream is. A watcher
//! task reads the stream; when it ends or says anything but SUCCESS, the session is marked dead and
//! the pool discards it. Dropping the session drops the stream, which tells the server to close it.
//! `execute` streams result-set parts as the server sends them: nothing is buffered here.
//!
//! A one-shot query needs none of that: [`implicit`] runs it with an empty session id, in a session the
//! server makes for the call (one request instead of three), and falls back to pooled sessions for a
//! server that refuses.

use crate::error::{Error, Result, Status};
use crate::exclusive::Parts;
use crate::observe::trace::{AttemptTrace, SessionTrace, Traced};
use crate::pool::{PooledSession, DEFAULT_CREATE_TIMEOUT_MS};
use crate::proto::ydb::query;
use crate::transport::channel::decode_answer;
use crate::transport::framing::encode_frame;
use crate::transport::methods::query_service as rpc;
use crate::transport::methods::Method;
use crate::transport::runtime::spawn;
use crate::transport::{BodyRead, CallOptions, Channel, MessageStream};
use crate::tx_mode::TxMode;
use crate::value::params::Params;
use crate::value::rows::ResultSet;
use futures_util::future::{self, AbortHandle, Abortable, Either, LocalBoxFuture};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

mod implicit;
pub use implicit::{execute_once, refuses_implicit_sessions, ImplicitSessions, OneShot};

fn check(status: i32, issues: &[crate::proto::ydb::issue::IssueMessage]) -> Result<()> {
    if Status::from_code(status) == Status::Success {
        Ok(())
    } else {
        Err(Error::from_ydb(status, issues))
    }
}

/// What a session's unary calls read of their answers, one decoder for all: every answer's status and
/// issues (fields 1 and 2 of each), and BeginTransaction's transaction (its field 3; the answers of
/// CommitTransaction and RollbackTransaction end at field 2).
#[derive(Clone, PartialEq, prost::Message)]
struct SessionAnswer {
    #[prost(int32, tag = "1")]
    status: i32,
    #[prost(message, repeated, tag = "2")]
    issues: Vec<crate::proto::ydb::issue::IssueMessage>,
    #[prost(message, optional, tag = "3")]
    tx_meta: Option<query::TransactionMeta>,
}

/// A query-service session.
pub struct QuerySession {
    id: String,
    channel: Channel,
    alive: Rc<Cell<bool>>,
    attach: AbortHandle,
    /// Whom the session's calls are traced for: the retry attempt or the caller holding it (nobody while
    /// it is idle in its pool); their spans' context is sent with the calls.
    trace: SessionTrace,
}

/// Which transaction a query runs in.
#[derive(Debug, Clone)]
pub enum TxControl {
    /// No transaction control: each statement commits by itself (DDL needs this).
    None,
    /// Begin a transaction in this mode; commit it at the end of the query if `commit`.
    Begin { mode: TxMode, commit: bool },
    /// Continue an open transaction; commit it at the end if `commit`.
    Existing { tx_id: String, commit: bool },
}

impl TxControl {
    /// Continues the transaction `tx_id` when there is one, else begins one in `mode`.
    pub fn of(tx_id: Option<String>, mode: TxMode, commit: bool) -> TxControl {
        match tx_id {
            Some(tx_id) => TxControl::Existing { tx_id, commit },
            None => TxControl::Begin { mode, commit },
        }
    }

    fn to_proto(&self) -> Option<query::TransactionControl> {
        use query::transaction_control::TxSelector;
        match self {
            TxControl::None => None,
            TxControl::Begin { mode, commit } => Some(query::TransactionControl {
                tx_selector: Some(TxSelector::BeginTx(mode.to_query())),
                commit_tx: *commit,
            }),
            TxControl::Existing { tx_id, commit } => Some(query::TransactionControl {
                tx_selector: Some(TxSelector::TxId(tx_id.clone())),
                commit_tx: *commit,
            }),
        }
    }
}

impl QuerySession {
    /// Creates a session and attaches it; fails if the server does not confirm the attachment. The
    /// whole of it — CreateSession and the AttachSession stream's first part — is bounded by
    /// `opts.timeout_ms`, else the driver's `requestTimeoutMs`, else 10 s: the stream itself must stay open for the session's life, so
    /// its deadline cannot be the request's, but a server (or a buffering proxy) that never sends the
    /// first part must not hold the caller forever.
    pub async fn create(channel: &Channel, opts: &CallOptions) -> Result<QuerySession> {
        let deadline_ms = opts.timeout_ms.or(channel.default_timeout_ms()).unwrap_or(DEFAULT_CREATE_TIMEOUT_MS);
        let opts = &CallOptions { timeout_ms: Some(deadline_ms), ..opts.clone() };
        let created = channel.unary(&rpc::CREATE_SESSION, &query::CreateSessionRequest {}, opts).await?;
        check(created.status, &created.issues)?;
        let id = created.session_id;
        let attach_req = query::AttachSessionRequest { session_id: id.clone() };
        let attached = async {
            let mut stream = channel
                .server_streaming(&rpc::ATTACH_SESSION, &attach_req, &CallOptions::long_lived(), BodyRead::Chunks)
                .await?;
            let first = stream
                .next()
                .await
                .unwrap_or_else(|| Err(Error::transport(Status::ConnectionLost, "AttachSession ended at once")))?;
            check(first.status, &first.issues)?;
            Ok::<_, Error>(stream)
        };
        let attached = async {
            match future::select(Box::pin(attached), crate::clock::sleep_ms(deadline_ms)).await {
                Either::Left((attached, _)) => attached,
                Either::Right(_) => Err(Error::transport(
                    Status::DeadlineExceeded,
                    format!("the session was not attached within {deadline_ms} ms (AttachSession sent nothing)"),
                )),
            }
        };
        let stream = match attached.await {
            Ok(s) => s,
            Err(e) => {
                let req = query::DeleteSessionRequest { session_id: id };
                let _ = channel.unary_bytes(rpc::DELETE_SESSION.path, encode_frame(&req), opts).await;
                return Err(e);
            }
        };
        let alive = Rc::new(Cell::new(true));
        let (attach, registration) = AbortHandle::new_pair();
        channel.observer().session_created("query", &id, channel.endpoint());
        spawn(Box::pin({
            let (alive, observer, id) = (alive.clone(), channel.observer().clone(), id.clone());
            async move {
                if let Ok(reason) = Abortable::new(watch(stream), registration).await {
                    if alive.replace(false) {
                        observer.session_discarded("query", &id, reason);
                    }
                }
                alive.set(false);
            }
        }));
        Ok(QuerySession { id, channel: channel.clone(), alive, attach, trace: SessionTrace::default() })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn is_alive(&self) -> bool {
        self.alive.get()
    }

    /// Marks the session unusable (after an error that kills sessions).
    pub fn mark_broken(&self) {
        self.alive.set(false);
    }

    /// Starts a query; its result-set parts arrive through the returned stream.
    pub async fn execute(
        &self,
        text: &str,
        parameters: Params,
        tx: &TxControl,
        opts: &CallOptions,
    ) -> Result<QueryResultStream> {
        let request = execute_request(self.id.clone(), text, parameters, tx);
        let span = self.trace.request(rpc::EXECUTE_QUERY.path, Some(text));
        let opts = opts.traced(span.traceparent());
        let started = start_query(&self.channel, &request, &opts, self.alive.clone(), BodyRead::Chunks)
            .await
            .map_err(|e| self.note(e));
        let mut stream = span.record(started)?;
        // The request's span lasts as long as its answer streams in.
        stream.span = span;
        Ok(stream)
    }

    pub async fn begin(&self, mode: TxMode, opts: &CallOptions) -> Result<String> {
        let req = query::BeginTransactionRequest { session_id: self.id.clone(), tx_settings: Some(mode.to_query()) };
        let answer = self.call(&rpc::BEGIN_TRANSACTION, &req, opts).await?;
        answer
            .tx_meta
            .map(|m| m.id)
            .ok_or_else(|| Error::protocol("BeginTransaction answered without a transaction id"))
    }

    pub async fn commit(&self, tx_id: &str, opts: &CallOptions) -> Result<()> {
        let req = query::CommitTransactionRequest { session_id: self.id.clone(), tx_id: tx_id.to_string() };
        self.call(&rpc::COMMIT_TRANSACTION, &req, opts).await.map(|_| ())
    }

    pub async fn rollback(&self, tx_id: &str, opts: &CallOptions) -> Result<()> {
        let req = query::RollbackTransactionRequest { session_id: self.id.clone(), tx_id: tx_id.to_string() };
        self.call(&rpc::ROLLBACK_TRANSACTION, &req, opts).await.map(|_| ())
    }

    /// A unary call on this session, traced: its answer's status checked, an error that kills sessions
    /// noted. Only the request's encoding is typed; the rest is [`QuerySession::call_bytes`].
    async fn call<Req: prost::Message, Resp>(
        &self,
        method: &Method<Req, Resp>,
        request: &Req,
        opts: &CallOptions,
    ) -> Result<SessionAnswer> {
        self.call_bytes(method.path, encode_frame(request), opts).await
    }

    async fn call_bytes(&self, path: &'static str, body: Vec<u8>, opts: &CallOptions) -> Result<SessionAnswer> {
        let span = self.trace.request(path, None);
        let answer = async {
            let (bytes, _session_close) =
                self.channel.unary_bytes(path, body, &opts.traced(span.traceparent())).await?;
            let answer: SessionAnswer = decode_answer(path, &bytes)?;
            check(answer.status, &answer.issues)?;
            Ok(answer)
        };
        span.record(answer.await.map_err(|e| self.note(e)))
    }

    /// Records an error that kills sessions, then hands it on.
    fn note(&self, e: Error) -> Error {
        if e.policy().discards_session && self.alive.replace(false) {
            self.channel.observer().session_discarded("query", &self.id, e.status.name());
        }
        e
    }

    /// Deletes the session on the server and stops watching it.
    pub async fn delete(&self) {
        self.alive.set(false);
        self.attach.abort();
        let req = query::DeleteSessionRequest { session_id: self.id.clone() };
        // The answer is not read: the server expires a session it failed to delete.
        let opts = CallOptions::with_timeout(Some(5_000));
        let _ = self.channel.unary_bytes(rpc::DELETE_SESSION.path, encode_frame(&req), &opts).await;
    }
}

impl Drop for QuerySession {
    fn drop(&mut self) {
        // Dropping the attach stream tells the server the session is gone.
        self.attach.abort();
    }
}

/// An ExecuteQuery request of `text` in session `session_id` (empty: an implicit session).
fn execute_request(session_id: String, text: &str, parameters: Params, tx: &TxControl) -> query::ExecuteQueryRequest {
    query::ExecuteQueryRequest {
        session_id,
        exec_mode: query::ExecMode::Execute as i32,
        tx_control: tx.to_proto(),
        query: Some(query::execute_query_request::Query::QueryContent(query::QueryContent {
            syntax: query::Syntax::YqlV1 as i32,
            text: text.to_string(),
        })),
        parameters,
        stats_mode: query::StatsMode::None as i32,
        ..Default::default()
    }
}

/// Sends an ExecuteQuery; its parts arrive through the returned stream (its body read as `read` says),
/// which marks `alive` false on an error that kills sessions.
async fn start_query(
    channel: &Channel,
    request: &query::ExecuteQueryRequest,
    opts: &CallOptions,
    alive: Rc<Cell<bool>>,
    read: BodyRead,
) -> Result<QueryResultStream> {
    let inner = channel.server_streaming(&rpc::EXECUTE_QUERY, request, opts, read).await?;
    // The session's id and observer, kept only while logging (an implicit session has no id to report).
    let observer = channel.observer();
    let logged = (observer.logs() && !request.session_id.is_empty())
        .then(|| Box::new((observer.clone(), request.session_id.clone())));
    Ok(QueryResultStream { inner, tx_id: None, alive, logged, span: Traced::default() })
}

/// Reads the session's AttachSession stream until the server ends the session; says why it ended.
async fn watch(mut stream: MessageStream<query::SessionState>) -> &'static str {
    while let Some(state) = stream.next().await {
        match state {
            Ok(s) if Status::from_code(s.status) == Status::Success && s.session_hint.is_none() => {}
            Ok(s) if s.session_hint.is_some() => return "session hint",
            Ok(s) => return Status::from_code(s.status).name(),
            Err(e) => return e.status.name(),
        }
    }
    "attach stream ended"
}

/// One part of a result set as the server streamed it.
pub struct ResultPart {
    pub index: usize,
    pub result_set: ResultSet,
}

/// More result sets than one query can return (YDB allows far fewer statements per query). A server's
/// index decides how many sets are allocated, so it is bounded: a hostile one could otherwise have us
/// allocate until wasm memory runs out.
pub const MAX_RESULT_SETS: usize = 4096;

/// Streamed parts gathered into whole result sets, in result-set order.
#[derive(Default)]
pub struct ResultSets {
    sets: Vec<ResultSet>,
}

impl ResultSets {
    /// Adds a part: a new set's first part brings its columns, later ones more rows.
    pub fn add(&mut self, part: ResultPart) -> Result<()> {
        if part.index >= MAX_RESULT_SETS {
            return Err(Error::protocol(format!("result set index {} is beyond any query's results", part.index)));
        }
        while self.sets.len() <= part.index {
            self.sets.push(ResultSet::default());
        }
        if let Some(set) = self.sets.get_mut(part.index) {
            if set.columns.is_empty() {
                set.columns = part.result_set.columns;
            }
            set.rows.extend(part.result_set.rows);
            set.truncated |= part.result_set.truncated;
        }
        Ok(())
    }

    pub fn into_sets(self) -> Vec<ResultSet> {
        self.sets
    }
}

/// The streamed answer of `execute`.
pub struct QueryResultStream {
    inner: MessageStream<query::ExecuteQueryResponsePart>,
    /// The transaction the query began and left open, once the server said so.
    pub tx_id: Option<String>,
    alive: Rc<Cell<bool>>,
    /// Where to report the session's end, when the driver logs.
    logged: Option<Box<(crate::observe::Observer, String)>>,
    /// The request's client span while a traced retry attempt holds the session; ends with the stream.
    span: Traced,
}

impl QueryResultStream {
    /// The next result-set part; `None` at the end of the query.
    pub async fn next(&mut self) -> Option<Result<ResultPart>> {
        loop {
            let part = match self.inner.next().await {
                Some(Ok(p)) => p,
                Some(Err(e)) => return Some(Err(self.note(e))),
                None => {
                    // The answer is complete: the request's span ends now, not when the stream is dropped.
                    self.span = Traced::default();
                    return None;
                }
            };
            if let Err(e) = check(part.status, &part.issues) {
                return Some(Err(self.note(e)));
            }
            if let Some(meta) = part.tx_meta.filter(|m| !m.id.is_empty()) {
                self.tx_id = Some(meta.id);
            }
            if let Some(rs) = part.result_set {
                let index = usize::try_from(part.result_set_index).unwrap_or_default();
                return Some(Ok(ResultPart { index, result_set: rs }));
            }
        }
    }

    /// Reads the rest of the stream into whole result sets.
    pub async fn collect(&mut self) -> Result<Vec<ResultSet>> {
        let mut sets = ResultSets::default();
        while let Some(part) = self.next().await {
            sets.add(part?)?;
        }
        Ok(sets.into_sets())
    }

    fn note(&mut self, e: Error) -> Error {
        if e.policy().discards_session && self.alive.replace(false) {
            if let Some((observer, id)) = self.logged.as_deref() {
                observer.session_discarded("query", id, e.status.name());
            }
        }
        // The request failed: its span ends now, marked so.
        std::mem::take(&mut self.span).fail_with(&e);
        e
    }
}

/// `execute`'s stream as a handle reads it piecemeal: opened on the first read, one read at a time (see
/// [`Parts`]), keeping the transaction the query began after the stream ended (a write-only query may
/// end without any result-set part). Clones share it.
#[derive(Clone)]
pub struct StreamedQuery {
    parts: Parts<QueryResultStream>,
    tx_id: Rc<RefCell<Option<String>>>,
}

impl StreamedQuery {
    /// The query, to be started on `session` by the first read.
    pub fn new(session: Rc<QuerySession>, text: String, params: Params, tx: TxControl, call: CallOptions) -> Self {
        let open = async move { session.execute(&text, params, &tx, &call).await };
        StreamedQuery { parts: Parts::new(open), tx_id: Rc::default() }
    }

    /// The next result-set part; `None` at the end.
    pub async fn next(&self) -> Result<Option<ResultPart>> {
        let tx_id = self.tx_id.clone();
        self.parts
            .read(|mut stream| async move {
                let part = stream.next().await.transpose();
                Self::note_tx(&tx_id, &stream);
                (stream, part)
            })
            .await
    }

    /// The rest of the stream gathered into whole result sets (none once it ended).
    pub async fn collect(&self) -> Result<Vec<ResultSet>> {
        let tx_id = self.tx_id.clone();
        let sets = self.parts.read(|mut stream| async move {
            let sets = stream.collect().await.map(Some);
            Self::note_tx(&tx_id, &stream);
            (stream, sets)
        });
        Ok(sets.await?.unwrap_or_default())
    }

    fn note_tx(tx_id: &RefCell<Option<String>>, stream: &QueryResultStream) {
        if stream.tx_id.is_some() {
            tx_id.borrow_mut().clone_from(&stream.tx_id);
        }
    }

    /// The transaction the query began and left open, once known.
    pub fn tx_id(&self) -> Option<String> {
        self.tx_id.borrow().clone()
    }

    /// Stops reading: the request is aborted and the server stops the query.
    pub fn cancel(&self) {
        self.parts.cancel();
    }
}

impl PooledSession for Rc<QuerySession> {
    type Factory = crate::discovery::Endpoints;
    fn create(endpoints: &crate::discovery::Endpoints) -> LocalBoxFuture<'static, Result<Self>> {
        let channel = endpoints.pick();
        Box::pin(async move { QuerySession::create(&channel, &CallOptions::default()).await.map(Rc::new) })
    }
    fn is_alive(&self) -> bool {
        self.alive.get()
    }
    fn close(self) -> LocalBoxFuture<'static, ()> {
        Box::pin(async move { self.delete().await })
    }
    fn set_trace(&self, attempt: Option<AttemptTrace>) {
        self.trace.set(attempt);
    }
    fn trace_by_hand(&self) {
        let channel = &self.channel;
        self.trace.set(AttemptTrace::held_by_hand(channel.observer(), channel.endpoint(), channel.database()));
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::proto::ydb::{Column, Value};

    #[test]
    fn a_transaction_id_is_continued_else_one_is_begun() {
        let existing = TxControl::of(Some("tx-1".into()), TxMode::StaleReadOnly, true);
        assert!(matches!(existing, TxControl::Existing { ref tx_id, commit: true } if tx_id == "tx-1"));
        let begun = TxControl::of(None, TxMode::StaleReadOnly, false);
        assert!(matches!(begun, TxControl::Begin { mode: TxMode::StaleReadOnly, commit: false }));
    }

    fn part(index: usize, column: &str, rows: usize, truncated: bool) -> ResultPart {
        ResultPart {
            index,
            result_set: ResultSet {
                columns: vec![Column { name: column.into(), ..Default::default() }],
                rows: vec![Value::default(); rows].into_iter().collect(),
                truncated,
            },
        }
    }

    #[test]
    fn parts_gather_into_whole_sets_in_index_order() {
        let mut sets = ResultSets::default();
        for p in [part(0, "a", 2, false), part(1, "b", 1, false), part(0, "again", 3, true), part(1, "x", 0, false)] {
            sets.add(p).expect("part");
        }
        let sets = sets.into_sets();
        assert_eq!(sets.len(), 2);
        let first = sets.first().expect("set 0");
        assert_eq!(
            (first.columns.first().map(|c| c.name.as_str()), first.rows.len(), first.truncated),
            (Some("a"), 5, true)
        );
        let second = sets.get(1).expect("set 1");
        assert_eq!(
            (second.columns.first().map(|c| c.name.as_str()), second.rows.len(), second.truncated),
            (Some("b"), 1, false)
        );
    }

    #[test]
    fn an_index_beyond_any_query_is_refused_not_allocated() {
        let mut sets = ResultSets::default();
        assert!(sets.add(part(MAX_RESULT_SETS, "a", 1, false)).is_err());
        assert!(sets.add(part(usize::MAX, "a", 1, false)).is_err());
        assert!(sets.into_sets().is_empty());
    }
}
