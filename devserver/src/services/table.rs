//! The Table service: sessions, data and scheme queries, interactive transactions.
//!
//! Every answer is an `Operation`; results travel packed in `google.protobuf.Any` under YDB's type names,
//! failures as the operation's status and issues (the gRPC status stays OK, as with YDB). StreamReadTable
//! and StreamExecuteScanQuery are the exceptions: server streams whose parts carry status and issues
//! themselves; ReadRows answers status, issues and rows directly. Scheme RPCs (CreateTable, AlterTable,
//! DescribeTable, ...) run in a session like queries do and hand structured requests to the engine's scheme
//! operations; BulkUpsert, ReadRows and scan queries need no session.

use std::collections::HashMap;
use std::pin::Pin;

use futures_util::Stream;
use parking_lot::Mutex;
use tonic::{Request, Response, Status};

use super::parts::{split_result_set, split_rows};
use super::scheme::entry_proto;
use super::{
    blocking, end_sessions, execute_in_session, operation_done, operation_failed, operation_ok, table_tx_mode,
};
use crate::engine::{self, EngineError, StatusCode, TxSelector};
use crate::proto::ydb::operations::Operation;
use crate::proto::ydb::table::v1::table_service_server::TableService;
use crate::proto::ydb::table::*;
use crate::sessions::{Ended, Kind, Session};
use crate::state::{database_of, State};

pub struct Table {
    pub state: State,
    /// Prepared queries by id (PrepareDataQuery, ExecuteDataQuery with `keep_in_cache`): the text and its
    /// parameters' types.
    prepared: Mutex<HashMap<String, (String, ParameterTypes)>>,
}

impl Table {
    pub fn new(state: State) -> Table {
        Table { state, prepared: Mutex::new(HashMap::new()) }
    }

    async fn execute_data(
        &self,
        database: String,
        req: ExecuteDataQueryRequest,
    ) -> Result<ExecuteQueryResult, EngineError> {
        let busy = self.state.sessions.occupy(&req.session_id, Kind::Table)?;
        let keep_in_cache = req.query_cache_policy.is_some_and(|p| p.keep_in_cache);
        let mut query_meta = None;
        let yql = match req.query.and_then(|q| q.query) {
            Some(query::Query::YqlText(text)) if keep_in_cache => {
                // Kept as PrepareDataQuery keeps it: the id in `query_meta` runs it again without its text.
                // A text seen before is not parsed again here.
                query_meta = match self.find_prepared(&text) {
                    Some((id, parameters_types)) => Some(QueryMeta { id, parameters_types }),
                    None => {
                        let parameters_types = self.state.engine.prepare(&text)?;
                        let id = self.keep_prepared(&text, &parameters_types);
                        id.map(|id| QueryMeta { id, parameters_types })
                    }
                };
                text
            }
            Some(query::Query::YqlText(text)) => text,
            Some(query::Query::Id(id)) => self
                .prepared
                .lock()
                .get(&id)
                .map(|(text, _)| text.clone())
                .ok_or_else(|| EngineError::new(StatusCode::NotFound, format!("Query not found: {id}")))?,
            None => return Err(EngineError::new(StatusCode::BadRequest, "Empty query text")),
        };
        let control = req.tx_control.unwrap_or_default();
        let tx = match control.tx_selector {
            Some(transaction_control::TxSelector::TxId(id)) => TxSelector::Existing(id),
            Some(transaction_control::TxSelector::BeginTx(settings)) => {
                TxSelector::Begin(table_tx_mode(Some(&settings)))
            }
            None => TxSelector::None,
        };
        let outcome =
            execute_in_session(&self.state, busy.session(), database, yql, req.parameters, tx, control.commit_tx)
                .await?;
        Ok(ExecuteQueryResult {
            result_sets: outcome.result_sets.into_iter().map(|set| cap_rows(set, DATA_QUERY_ROW_LIMIT)).collect(),
            tx_meta: Some(TransactionMeta { id: outcome.tx_id.unwrap_or_default() }),
            query_meta,
            query_stats: None,
        })
    }

    /// The id of a prepared query: one per distinct text (so preparing a text again reuses its id and the
    /// table stays bounded by the texts an application uses), at most [`MAX_PREPARED`] texts; `None` past
    /// that bound.
    fn keep_prepared(&self, text: &str, parameters_types: &ParameterTypes) -> Option<String> {
        let mut prepared = self.prepared.lock();
        // Linear probing on the rare hash collision.
        for id in prepared_ids(text) {
            match prepared.get(&id) {
                Some((kept, _)) if kept == text => return Some(id),
                Some(_) => continue,
                None if prepared.len() >= MAX_PREPARED => return None,
                None => {
                    prepared.insert(id.clone(), (text.to_string(), parameters_types.clone()));
                    return Some(id);
                }
            }
        }
        None
    }

    /// A text kept before: its id and parameters' types.
    fn find_prepared(&self, text: &str) -> Option<(String, ParameterTypes)> {
        let prepared = self.prepared.lock();
        for id in prepared_ids(text) {
            match prepared.get(&id) {
                Some((kept, types)) if kept == text => return Some((id, types.clone())),
                Some(_) => continue,
                None => return None,
            }
        }
        None
    }

    /// Deletes a session and rolls back what it left open.
    async fn drop_session(&self, id: &str) -> Result<(), EngineError> {
        let session = self
            .state
            .sessions
            .remove(id, Ended::Closed)
            .ok_or_else(|| EngineError::new(StatusCode::BadSession, format!("Session not found: {id}")))?;
        end_sessions(&self.state, [session]).await;
        Ok(())
    }
}

fn answer(result: Result<Operation, EngineError>) -> Option<Operation> {
    Some(match result {
        Ok(op) => op,
        Err(e) => operation_failed(&e),
    })
}

type ReadTableStream = Pin<Box<dyn Stream<Item = Result<ReadTableResponse, Status>> + Send>>;
type ScanQueryStream = Pin<Box<dyn Stream<Item = Result<ExecuteScanQueryPartialResponse, Status>> + Send>>;

#[tonic::async_trait]
impl TableService for Table {
    async fn create_session(
        &self,
        _r: Request<CreateSessionRequest>,
    ) -> Result<Response<CreateSessionResponse>, Status> {
        let session_id = self.state.sessions.create(Kind::Table);
        let op = operation_ok("Ydb.Table.CreateSessionResult", &CreateSessionResult { session_id });
        Ok(Response::new(CreateSessionResponse { operation: Some(op) }))
    }

    async fn delete_session(
        &self,
        r: Request<DeleteSessionRequest>,
    ) -> Result<Response<DeleteSessionResponse>, Status> {
        let id = r.into_inner().session_id;
        let result = self.drop_session(&id).await.map(|()| operation_done());
        Ok(Response::new(DeleteSessionResponse { operation: answer(result) }))
    }

    async fn keep_alive(&self, r: Request<KeepAliveRequest>) -> Result<Response<KeepAliveResponse>, Status> {
        let id = r.into_inner().session_id;
        let result = match self.state.sessions.occupy(&id, Kind::Table) {
            Ok(_busy) => Ok(keep_alive_result::SessionStatus::Ready),
            Err(e) if e.status == StatusCode::SessionBusy => Ok(keep_alive_result::SessionStatus::Busy),
            Err(e) => Err(e),
        };
        let result = result.map(|status| {
            operation_ok("Ydb.Table.KeepAliveResult", &KeepAliveResult { session_status: status as i32 })
        });
        Ok(Response::new(KeepAliveResponse { operation: answer(result) }))
    }

    async fn create_table(&self, r: Request<CreateTableRequest>) -> Result<Response<CreateTableResponse>, Status> {
        let database = database_of(&r);
        let owner = crate::auth::caller(&self.state.auth, &r);
        let req = r.into_inner();
        let columns = req.columns.iter().map(column_spec).collect::<Vec<_>>();
        let indexes = req.indexes.iter().map(index_def).collect::<Vec<_>>();
        let (path, key) = (req.path, req.primary_key);
        let result = self
            .in_session(&req.session_id, move |engine| {
                engine.create_table(&database, &path, &columns, &key, &indexes)?;
                owner.map_or(Ok(()), |owner| engine.set_owner(&database, &path, &owner))
            })
            .await
            .map(|()| operation_done());
        Ok(Response::new(CreateTableResponse { operation: answer(result) }))
    }

    async fn drop_table(&self, r: Request<DropTableRequest>) -> Result<Response<DropTableResponse>, Status> {
        let database = database_of(&r);
        let req = r.into_inner();
        let path = req.path;
        let result = self
            .in_session(&req.session_id, move |engine| engine.drop_table(&database, &path))
            .await
            .map(|()| operation_done());
        Ok(Response::new(DropTableResponse { operation: answer(result) }))
    }

    async fn alter_table(&self, r: Request<AlterTableRequest>) -> Result<Response<AlterTableResponse>, Status> {
        let database = database_of(&r);
        let req = r.into_inner();
        if !req.alter_columns.is_empty() || req.ttl_action.is_some() {
            let e = EngineError::new(
                StatusCode::Unsupported,
                "ydb-devserver alters columns and indexes only (add/drop columns, add/drop/rename indexes)",
            );
            return Ok(Response::new(AlterTableResponse { operation: answer(Err(e)) }));
        }
        let change = engine::Alteration {
            add_columns: req.add_columns.iter().map(column_spec).collect(),
            drop_columns: req.drop_columns,
            add_indexes: req.add_indexes.iter().map(index_def).collect(),
            drop_indexes: req.drop_indexes,
            rename_indexes: req
                .rename_indexes
                .into_iter()
                .map(|r| (r.source_name, r.destination_name, r.replace_destination))
                .collect(),
        };
        let path = req.path;
        let result = self
            .in_session(&req.session_id, move |engine| engine.alter_table(&database, &path, &change))
            .await
            .map(|()| operation_done());
        Ok(Response::new(AlterTableResponse { operation: answer(result) }))
    }

    async fn copy_table(&self, r: Request<CopyTableRequest>) -> Result<Response<CopyTableResponse>, Status> {
        let database = database_of(&r);
        let req = r.into_inner();
        let items = vec![(req.source_path, req.destination_path, false)];
        let result = self
            .in_session(&req.session_id, move |engine| engine.copy_tables(&database, &items))
            .await
            .map(|()| operation_done());
        Ok(Response::new(CopyTableResponse { operation: answer(result) }))
    }

    async fn copy_tables(&self, r: Request<CopyTablesRequest>) -> Result<Response<CopyTablesResponse>, Status> {
        let database = database_of(&r);
        let req = r.into_inner();
        let items =
            req.tables.into_iter().map(|t| (t.source_path, t.destination_path, t.omit_indexes)).collect::<Vec<_>>();
        let result = self
            .in_session(&req.session_id, move |engine| engine.copy_tables(&database, &items))
            .await
            .map(|()| operation_done());
        Ok(Response::new(CopyTablesResponse { operation: answer(result) }))
    }

    async fn rename_tables(&self, r: Request<RenameTablesRequest>) -> Result<Response<RenameTablesResponse>, Status> {
        let database = database_of(&r);
        let req = r.into_inner();
        let items = req
            .tables
            .into_iter()
            .map(|t| (t.source_path, t.destination_path, t.replace_destination))
            .collect::<Vec<_>>();
        let result = self
            .in_session(&req.session_id, move |engine| engine.rename_tables(&database, &items))
            .await
            .map(|()| operation_done());
        Ok(Response::new(RenameTablesResponse { operation: answer(result) }))
    }

    async fn describe_table(
        &self,
        r: Request<DescribeTableRequest>,
    ) -> Result<Response<DescribeTableResponse>, Status> {
        let database = database_of(&r);
        let req = r.into_inner();
        let (path, with_stats) = (req.path, req.include_table_stats);
        let result = self
            .in_session(&req.session_id, move |engine| engine.describe_table(&database, &path))
            .await
            .map(|d| operation_ok("Ydb.Table.DescribeTableResult", &describe_result(&d, with_stats)));
        Ok(Response::new(DescribeTableResponse { operation: answer(result) }))
    }

    async fn explain_data_query(
        &self,
        r: Request<ExplainDataQueryRequest>,
    ) -> Result<Response<ExplainDataQueryResponse>, Status> {
        let database = database_of(&r);
        let req = r.into_inner();
        let yql = req.yql_text;
        let result = self.in_session(&req.session_id, move |engine| engine.explain(&database, &yql)).await.map(
            |(query_ast, query_plan)| {
                let result = ExplainQueryResult { query_ast, query_plan, query_full_diagnostics: String::new() };
                operation_ok("Ydb.Table.ExplainQueryResult", &result)
            },
        );
        Ok(Response::new(ExplainDataQueryResponse { operation: answer(result) }))
    }

    async fn prepare_data_query(
        &self,
        r: Request<PrepareDataQueryRequest>,
    ) -> Result<Response<PrepareDataQueryResponse>, Status> {
        let req = r.into_inner();
        let text = req.yql_text.clone();
        let result =
            self.in_session(&req.session_id, move |engine| engine.prepare(&text)).await.and_then(|parameters_types| {
                let query_id = self.keep_prepared(&req.yql_text, &parameters_types).ok_or_else(|| {
                    EngineError::new(StatusCode::Overloaded, "Too many prepared queries in the dev server")
                })?;
                Ok(operation_ok("Ydb.Table.PrepareQueryResult", &PrepareQueryResult { query_id, parameters_types }))
            });
        Ok(Response::new(PrepareDataQueryResponse { operation: answer(result) }))
    }

    async fn execute_data_query(
        &self,
        r: Request<ExecuteDataQueryRequest>,
    ) -> Result<Response<ExecuteDataQueryResponse>, Status> {
        let database = database_of(&r);
        let result = self
            .execute_data(database, r.into_inner())
            .await
            .map(|res| operation_ok("Ydb.Table.ExecuteQueryResult", &res));
        Ok(Response::new(ExecuteDataQueryResponse { operation: answer(result) }))
    }

    async fn execute_scheme_query(
        &self,
        r: Request<ExecuteSchemeQueryRequest>,
    ) -> Result<Response<ExecuteSchemeQueryResponse>, Status> {
        let database = database_of(&r);
        let req = r.into_inner();
        let yql = req.yql_text;
        let result = self
            .in_session(&req.session_id, move |engine| engine.execute_scheme(&database, &yql))
            .await
            .map(|()| operation_done());
        Ok(Response::new(ExecuteSchemeQueryResponse { operation: answer(result) }))
    }

    async fn begin_transaction(
        &self,
        r: Request<BeginTransactionRequest>,
    ) -> Result<Response<BeginTransactionResponse>, Status> {
        let req = r.into_inner();
        let mode = table_tx_mode(req.tx_settings.as_ref());
        let track = |session: &Session, begun: &Result<String, EngineError>| {
            if let Ok(id) = begun {
                session.track_transaction(id);
            }
        };
        let result = self.in_session_then(&req.session_id, move |engine| engine.begin(mode), track).await.map(|id| {
            operation_ok(
                "Ydb.Table.BeginTransactionResult",
                &BeginTransactionResult { tx_meta: Some(TransactionMeta { id }) },
            )
        });
        Ok(Response::new(BeginTransactionResponse { operation: answer(result) }))
    }

    async fn commit_transaction(
        &self,
        r: Request<CommitTransactionRequest>,
    ) -> Result<Response<CommitTransactionResponse>, Status> {
        let req = r.into_inner();
        let tx = req.tx_id.clone();
        let forget = |session: &Session, _: &Result<(), EngineError>| session.forget_transaction(&req.tx_id);
        let result = self.in_session_then(&req.session_id, move |engine| engine.commit(&tx), forget).await.map(|()| {
            operation_ok("Ydb.Table.CommitTransactionResult", &CommitTransactionResult { query_stats: None })
        });
        Ok(Response::new(CommitTransactionResponse { operation: answer(result) }))
    }

    async fn rollback_transaction(
        &self,
        r: Request<RollbackTransactionRequest>,
    ) -> Result<Response<RollbackTransactionResponse>, Status> {
        let req = r.into_inner();
        let tx = req.tx_id.clone();
        let forget = |session: &Session, _: &Result<(), EngineError>| session.forget_transaction(&req.tx_id);
        let result = self
            .in_session_then(&req.session_id, move |engine| engine.rollback(&tx), forget)
            .await
            .map(|()| operation_done());
        Ok(Response::new(RollbackTransactionResponse { operation: answer(result) }))
    }

    type StreamReadTableStream = ReadTableStream;

    async fn stream_read_table(&self, r: Request<ReadTableRequest>) -> Result<Response<ReadTableStream>, Status> {
        let database = database_of(&r);
        let req = r.into_inner();
        let parts = match self.read_table(database, req).await {
            Ok(parts) => parts,
            Err(e) => vec![ReadTableResponse { status: e.status as i32, issues: e.issues, ..Default::default() }],
        };
        Ok(Response::new(Box::pin(futures_util::stream::iter(parts.into_iter().map(Ok)))))
    }

    async fn read_rows(&self, r: Request<ReadRowsRequest>) -> Result<Response<ReadRowsResponse>, Status> {
        // Sessionless in YDB too: the rows are read outside any transaction, from one snapshot.
        let database = database_of(&r);
        let req = r.into_inner();
        let engine = self.state.engine.clone();
        let keys = req.keys.unwrap_or_default();
        let read = blocking(move || engine.read_rows(&database, &req.path, &keys, &req.columns)).await;
        Ok(Response::new(match read {
            Ok(set) => {
                ReadRowsResponse { status: StatusCode::Success as i32, issues: Vec::new(), result_set: Some(set) }
            }
            Err(e) => ReadRowsResponse { status: e.status as i32, issues: e.issues, result_set: None },
        }))
    }

    type StreamExecuteScanQueryStream = ScanQueryStream;

    async fn stream_execute_scan_query(
        &self,
        r: Request<ExecuteScanQueryRequest>,
    ) -> Result<Response<ScanQueryStream>, Status> {
        let database = database_of(&r);
        let req = r.into_inner();
        let parts = match scan_query(&self.state, database, req).await {
            Ok(parts) => parts,
            Err(e) => vec![ExecuteScanQueryPartialResponse { status: e.status as i32, issues: e.issues, result: None }],
        };
        Ok(Response::new(Box::pin(futures_util::stream::iter(parts.into_iter().map(Ok)))))
    }

    async fn bulk_upsert(&self, r: Request<BulkUpsertRequest>) -> Result<Response<BulkUpsertResponse>, Status> {
        let database = database_of(&r);
        let req = r.into_inner();
        let result = match (req.rows, req.data_format) {
            (_, Some(_)) => {
                Err(EngineError::new(StatusCode::Unsupported, "Arrow and CSV bulk upserts are not supported"))
            }
            (None, None) => Err(EngineError::new(StatusCode::BadRequest, "No rows to upsert")),
            (Some(rows), None) => {
                let engine = self.state.engine.clone();
                let table = req.table;
                blocking(move || engine.bulk_upsert(&database, &table, &rows))
                    .await
                    .map(|()| operation_ok("Ydb.Table.BulkUpsertResult", &BulkUpsertResult {}))
            }
        };
        Ok(Response::new(BulkUpsertResponse { operation: answer(result) }))
    }
}

/// A prepared query's parameters and their types, by name with the `$`.
type ParameterTypes = HashMap<String, crate::proto::ydb::Type>;

/// The ids a prepared text may get: its hash, then a few probes past it for the rare collision.
fn prepared_ids(text: &str) -> impl Iterator<Item = String> {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut hasher);
    let hash = hasher.finish();
    (0..8u64).map(move |probe| format!("{hash:016x}{probe:x}"))
}

/// A scan query (the table service's streamed, read-only queries): one snapshot, at most one result set,
/// cut into parts of at most 1 MB; statistics (with the plan for FULL and PROFILE) in a last part; in
/// EXPLAIN mode only the plan.
async fn scan_query(
    state: &State,
    database: String,
    req: ExecuteScanQueryRequest,
) -> Result<Vec<ExecuteScanQueryPartialResponse>, EngineError> {
    use query_stats_collection::Mode as Stats;
    let yql = match req.query.and_then(|q| q.query) {
        Some(query::Query::YqlText(text)) => text,
        Some(query::Query::Id(_)) => {
            return Err(EngineError::new(StatusCode::BadRequest, "Scan queries take query text, not a prepared id"))
        }
        None => return Err(EngineError::new(StatusCode::BadRequest, "Empty query text")),
    };
    let part = |result: ExecuteScanQueryPartialResult| ExecuteScanQueryPartialResponse {
        status: StatusCode::Success as i32,
        issues: Vec::new(),
        result: Some(result),
    };
    let started = std::time::Instant::now();
    let engine = state.engine.clone();
    let text = yql.clone();
    let db = database.clone();
    let planned = move || engine.explain(&db, &text);
    if req.mode == execute_scan_query_request::Mode::Explain as i32 {
        let (query_ast, query_plan) = blocking(planned).await?;
        let query_stats = QueryStatsOf { query_ast, query_plan, ..super::query::query_stats(started.elapsed(), 0) };
        return Ok(vec![part(ExecuteScanQueryPartialResult { query_stats: Some(query_stats), ..Default::default() })]);
    }
    let engine = state.engine.clone();
    let params = req.parameters;
    let outcome = blocking(move || {
        engine.execute(engine::ExecuteRequest {
            database: &database,
            yql: &yql,
            params: &params,
            tx: TxSelector::Begin(engine::TxMode::SnapshotReadOnly),
            commit: true,
        })
    })
    .await?;
    if outcome.result_sets.len() > 1 {
        return Err(EngineError::new(StatusCode::GenericError, "Scan query should have a single result set"));
    }
    let rows: u64 = outcome.result_sets.iter().map(|s| s.rows.len() as u64).sum();
    let mut parts: Vec<ExecuteScanQueryPartialResponse> = outcome
        .result_sets
        .into_iter()
        .flat_map(|set| split_result_set(set, READ_PART_BYTES))
        .map(|set| part(ExecuteScanQueryPartialResult { result_set: Some(set), ..Default::default() }))
        .collect();
    let stats = Stats::try_from(req.collect_stats).unwrap_or(Stats::StatsCollectionUnspecified);
    if matches!(stats, Stats::StatsCollectionBasic | Stats::StatsCollectionFull | Stats::StatsCollectionProfile) {
        let mut query_stats = super::query::query_stats(started.elapsed(), rows);
        if matches!(stats, Stats::StatsCollectionFull | Stats::StatsCollectionProfile) {
            (query_stats.query_ast, query_stats.query_plan) = blocking(planned).await?;
        }
        parts.push(part(ExecuteScanQueryPartialResult { query_stats: Some(query_stats), ..Default::default() }));
    }
    Ok(parts)
}

type QueryStatsOf = crate::proto::ydb::table_stats::QueryStats;

/// A column of a CreateTable/AlterTable request.
fn column_spec(c: &ColumnMeta) -> engine::ColumnSpec {
    engine::ColumnSpec {
        name: c.name.clone(),
        ty: c.r#type.clone().unwrap_or_default(),
        not_null: c.not_null == Some(true),
    }
}

/// An index of a CreateTable request.
fn index_def(ix: &TableIndex) -> engine::IndexDef {
    let kind = match ix.r#type {
        Some(table_index::Type::GlobalAsyncIndex(_)) => engine::IndexKind::GlobalAsync,
        Some(table_index::Type::GlobalUniqueIndex(_)) => engine::IndexKind::GlobalUnique,
        _ => engine::IndexKind::Global,
    };
    engine::IndexDef {
        name: ix.name.clone(),
        kind,
        columns: ix.index_columns.clone(),
        data_columns: ix.data_columns.clone(),
    }
}

fn describe_result(d: &engine::TableDescription, with_stats: bool) -> DescribeTableResult {
    let columns = d
        .columns
        .iter()
        .map(|c| ColumnMeta {
            name: c.name.clone(),
            r#type: Some(c.ty.clone()),
            not_null: Some(c.not_null),
            ..Default::default()
        })
        .collect();
    let indexes = d
        .indexes
        .iter()
        .map(|ix| TableIndexDescription {
            name: ix.name.clone(),
            index_columns: ix.columns.clone(),
            r#type: Some(match ix.kind {
                engine::IndexKind::Global => table_index_description::Type::GlobalIndex(GlobalIndex {}),
                engine::IndexKind::GlobalAsync => table_index_description::Type::GlobalAsyncIndex(GlobalAsyncIndex {}),
                engine::IndexKind::GlobalUnique => {
                    table_index_description::Type::GlobalUniqueIndex(GlobalUniqueIndex {})
                }
            }),
            status: table_index_description::Status::Ready as i32,
            data_columns: ix.data_columns.clone(),
            size_bytes: 0,
        })
        .collect();
    DescribeTableResult {
        self_: Some(entry_proto(&d.entry)),
        columns,
        primary_key: d.primary_key.clone(),
        indexes,
        table_stats: with_stats.then(|| TableStats {
            partition_stats: vec![PartitionStats { rows_estimate: d.rows, store_size: 0, leader_node_id: 1 }],
            rows_estimate: d.rows,
            store_size: 0,
            partitions: 1,
            creation_time: None,
            modification_time: None,
        }),
        ..Default::default()
    }
}

/// A ReadTable bound from the request's key range.
fn bound(from: Option<&key_range::FromBound>, to: Option<&key_range::ToBound>) -> Option<engine::KeyBound> {
    match (from, to) {
        (Some(key_range::FromBound::Greater(v)), _) | (_, Some(key_range::ToBound::Less(v))) => {
            Some(engine::KeyBound { value: v.clone(), inclusive: false })
        }
        (Some(key_range::FromBound::GreaterOrEqual(v)), _) | (_, Some(key_range::ToBound::LessOrEqual(v))) => {
            Some(engine::KeyBound { value: v.clone(), inclusive: true })
        }
        (None, None) => None,
    }
}

impl Table {
    /// Runs engine work in a session: BAD_SESSION / SESSION_BUSY as for queries.
    async fn in_session<T, F>(&self, session_id: &str, work: F) -> Result<T, EngineError>
    where
        F: FnOnce(&engine::Engine) -> Result<T, EngineError> + Send + 'static,
        T: Send + 'static,
    {
        self.in_session_then(session_id, work, |_, _| {}).await
    }

    /// [`in_session`](Self::in_session), then `after` sees the session and the outcome while the session is
    /// still occupied: where a call keeps the session's list of open transactions true.
    async fn in_session_then<T, F, A>(&self, session_id: &str, work: F, after: A) -> Result<T, EngineError>
    where
        F: FnOnce(&engine::Engine) -> Result<T, EngineError> + Send + 'static,
        T: Send + 'static,
        A: FnOnce(&Session, &Result<T, EngineError>),
    {
        let busy = self.state.sessions.occupy(session_id, Kind::Table)?;
        let engine = self.state.engine.clone();
        let out = blocking(move || work(&engine)).await;
        after(busy.session(), &out);
        drop(busy);
        out
    }

    /// Reads a range and cuts it into stream parts: first an empty part with the snapshot (as YDB does),
    /// then the rows in parts of bounded size.
    async fn read_table(&self, database: String, req: ReadTableRequest) -> Result<Vec<ReadTableResponse>, EngineError> {
        let range = req.key_range.unwrap_or_default();
        let from = bound(range.from_bound.as_ref(), None);
        let to = bound(None, range.to_bound.as_ref());
        let (path, columns, row_limit) = (req.path, req.columns, req.row_limit);
        let max_rows = usize::try_from(req.batch_limit_rows).unwrap_or(usize::MAX);
        let limit = match usize::try_from(req.batch_limit_bytes) {
            Ok(n) if n > 0 => n.min(READ_PART_BYTES),
            _ => READ_PART_BYTES,
        };
        let set = self
            .in_session(&req.session_id, move |engine| {
                engine.read_table(&engine::ReadTableRequest {
                    database: &database,
                    path: &path,
                    columns: &columns,
                    from,
                    to,
                    row_limit,
                })
            })
            .await?;
        // As YDB's ReadTable answers: every part carries the status, the snapshot and rows (an empty table
        // still gets one part, so the client learns the columns); no part without rows.
        let snapshot = snapshot_now();
        let cut = split_result_set(set, limit).into_iter().flat_map(|part| split_rows(part, max_rows));
        Ok(cut
            .map(|part| ReadTableResponse {
                status: StatusCode::Success as i32,
                snapshot: Some(snapshot),
                issues: Vec::new(),
                result: Some(ReadTableResult { result_set: Some(part) }),
            })
            .collect())
    }
}

/// YDB's default cap on each result set of ExecuteDataQuery (the query service streams every row).
/// How many distinct query texts PrepareDataQuery and `keep_in_cache` keep (YDB keeps a bounded cache too).
const MAX_PREPARED: usize = 10_000;

const DATA_QUERY_ROW_LIMIT: usize = 1000;

/// Keeps the first `limit` rows of a result set and marks it `truncated` when rows were dropped, as YDB
/// does for ExecuteDataQuery: an application that reads more must page or use the query service.
fn cap_rows(mut set: crate::proto::ydb::ResultSet, limit: usize) -> crate::proto::ydb::ResultSet {
    if set.rows.len() > limit {
        set.rows.truncate(limit);
        set.truncated = true;
    }
    set
}

/// Rows of a ReadTable part are cut at this many bytes.
const READ_PART_BYTES: usize = 1024 * 1024;

/// A snapshot stamp shaped like YDB's (plan step in milliseconds).
fn snapshot_now() -> crate::proto::ydb::VirtualTimestamp {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or_default();
    crate::proto::ydb::VirtualTimestamp { plan_step: ms, tx_id: u64::MAX }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::proto::ydb;

    fn set(n: usize) -> ydb::ResultSet {
        ydb::ResultSet { rows: vec![ydb::Value::default(); n], ..Default::default() }
    }

    #[test]
    fn data_query_results_keep_a_thousand_rows_and_say_they_were_cut() {
        let cut = cap_rows(set(1500), DATA_QUERY_ROW_LIMIT);
        assert_eq!((cut.rows.len(), cut.truncated), (1000, true));
        let whole = cap_rows(set(1000), DATA_QUERY_ROW_LIMIT);
        assert_eq!((whole.rows.len(), whole.truncated), (1000, false));
    }
}
