//! The Table service: sessions, data and scheme queries, interactive transactions.
//!
//! Every answer is an `Operation`; results travel packed in `google.protobuf.Any` under YDB's type names,
//! failures as the operation's status and issues (the gRPC status stays OK, as with YDB).

use std::collections::HashMap;
use std::pin::Pin;

use futures_util::Stream;
use parking_lot::Mutex;
use tonic::{Request, Response, Status};

use super::{blocking, failure, operation_done, operation_failed, operation_ok, table_tx_mode};
use crate::engine::{EngineError, ExecuteRequest, StatusCode, TxSelector};
use crate::proto::ydb::operations::Operation;
use crate::proto::ydb::table::v1::table_service_server::TableService;
use crate::proto::ydb::table::*;
use crate::sessions::{Ended, Kind};
use crate::state::{database_of, State};

pub struct Table {
    pub state: State,
    /// Texts of prepared queries by id (PrepareDataQuery).
    prepared: Mutex<HashMap<String, String>>,
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
        let yql = match req.query.and_then(|q| q.query) {
            Some(query::Query::YqlText(text)) => text,
            Some(query::Query::Id(id)) => self
                .prepared
                .lock()
                .get(&id)
                .cloned()
                .ok_or_else(|| failure(StatusCode::NotFound, format!("Query not found: {id}")))?,
            None => return Err(failure(StatusCode::BadRequest, "Empty query text")),
        };
        let control = req.tx_control.unwrap_or_default();
        let (tx, existing) = match control.tx_selector {
            Some(transaction_control::TxSelector::TxId(id)) => (TxSelector::Existing(id.clone()), Some(id)),
            Some(transaction_control::TxSelector::BeginTx(settings)) => {
                (TxSelector::Begin(table_tx_mode(Some(&settings))), None)
            }
            None => (TxSelector::None, None),
        };
        let commit = control.commit_tx;
        let engine = self.state.engine.clone();
        let params = req.parameters;
        let outcome = blocking(move || {
            engine.execute(ExecuteRequest { database: &database, yql: &yql, params: &params, tx, commit })
        })
        .await;
        let session = busy.session();
        if let Some(id) = &existing {
            if commit || outcome.is_err() {
                session.forget_transaction(id);
            }
        }
        let outcome = outcome?;
        if let Some(id) = &outcome.tx_id {
            session.track_transaction(id);
        }
        Ok(ExecuteQueryResult {
            result_sets: outcome.result_sets,
            tx_meta: Some(TransactionMeta { id: outcome.tx_id.unwrap_or_default() }),
            query_meta: None,
            query_stats: None,
        })
    }

    /// Deletes a session and rolls back what it left open.
    async fn drop_session(&self, id: &str) -> Result<(), EngineError> {
        let session = self
            .state
            .sessions
            .remove(id, Ended::Closed)
            .ok_or_else(|| failure(StatusCode::BadSession, format!("Session not found: {id}")))?;
        rollback_all(&self.state, session.open_transactions()).await;
        Ok(())
    }
}

/// Rolls back transactions a dead session left open; they may already be gone, which is fine.
pub async fn rollback_all(state: &State, transactions: Vec<String>) {
    for tx in transactions {
        let engine = state.engine.clone();
        let _ = blocking(move || engine.rollback(&tx)).await;
    }
}

fn answer(result: Result<Operation, EngineError>) -> Option<Operation> {
    Some(match result {
        Ok(op) => op,
        Err(e) => operation_failed(&e),
    })
}

fn unsupported(what: &str) -> Option<Operation> {
    answer(Err(failure(StatusCode::Unsupported, format!("{what} is not supported by ydb-devserver yet"))))
}

type ReadTableStream = Pin<Box<dyn Stream<Item = Result<ReadTableResponse, Status>> + Send>>;

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

    async fn create_table(&self, _r: Request<CreateTableRequest>) -> Result<Response<CreateTableResponse>, Status> {
        Ok(Response::new(CreateTableResponse { operation: unsupported("CreateTable") }))
    }

    async fn drop_table(&self, _r: Request<DropTableRequest>) -> Result<Response<DropTableResponse>, Status> {
        Ok(Response::new(DropTableResponse { operation: unsupported("DropTable") }))
    }

    async fn alter_table(&self, _r: Request<AlterTableRequest>) -> Result<Response<AlterTableResponse>, Status> {
        Ok(Response::new(AlterTableResponse { operation: unsupported("AlterTable") }))
    }

    async fn copy_table(&self, _r: Request<CopyTableRequest>) -> Result<Response<CopyTableResponse>, Status> {
        Ok(Response::new(CopyTableResponse { operation: unsupported("CopyTable") }))
    }

    async fn copy_tables(&self, _r: Request<CopyTablesRequest>) -> Result<Response<CopyTablesResponse>, Status> {
        Ok(Response::new(CopyTablesResponse { operation: unsupported("CopyTables") }))
    }

    async fn rename_tables(&self, _r: Request<RenameTablesRequest>) -> Result<Response<RenameTablesResponse>, Status> {
        Ok(Response::new(RenameTablesResponse { operation: unsupported("RenameTables") }))
    }

    async fn describe_table(
        &self,
        _r: Request<DescribeTableRequest>,
    ) -> Result<Response<DescribeTableResponse>, Status> {
        Ok(Response::new(DescribeTableResponse { operation: unsupported("DescribeTable") }))
    }

    async fn explain_data_query(
        &self,
        _r: Request<ExplainDataQueryRequest>,
    ) -> Result<Response<ExplainDataQueryResponse>, Status> {
        Ok(Response::new(ExplainDataQueryResponse { operation: unsupported("ExplainDataQuery") }))
    }

    async fn prepare_data_query(
        &self,
        r: Request<PrepareDataQueryRequest>,
    ) -> Result<Response<PrepareDataQueryResponse>, Status> {
        let req = r.into_inner();
        let result = match self.state.sessions.occupy(&req.session_id, Kind::Table) {
            Ok(busy) => {
                let engine = self.state.engine.clone();
                let text = req.yql_text.clone();
                let types = blocking(move || engine.prepare(&text)).await;
                drop(busy);
                types.map(|parameters_types| {
                    let query_id = uuid::Uuid::new_v4().simple().to_string();
                    self.prepared.lock().insert(query_id.clone(), req.yql_text);
                    operation_ok("Ydb.Table.PrepareQueryResult", &PrepareQueryResult { query_id, parameters_types })
                })
            }
            Err(e) => Err(e),
        };
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
        let result = match self.state.sessions.occupy(&req.session_id, Kind::Table) {
            Ok(busy) => {
                let engine = self.state.engine.clone();
                let outcome = blocking(move || engine.execute_scheme(&database, &req.yql_text)).await;
                drop(busy);
                outcome.map(|()| operation_done())
            }
            Err(e) => Err(e),
        };
        Ok(Response::new(ExecuteSchemeQueryResponse { operation: answer(result) }))
    }

    async fn begin_transaction(
        &self,
        r: Request<BeginTransactionRequest>,
    ) -> Result<Response<BeginTransactionResponse>, Status> {
        let req = r.into_inner();
        let result = match self.state.sessions.occupy(&req.session_id, Kind::Table) {
            Ok(busy) => {
                let engine = self.state.engine.clone();
                let mode = table_tx_mode(req.tx_settings.as_ref());
                let begun = blocking(move || engine.begin(mode)).await;
                if let Ok(id) = &begun {
                    busy.session().track_transaction(id);
                }
                begun.map(|id| {
                    operation_ok(
                        "Ydb.Table.BeginTransactionResult",
                        &BeginTransactionResult { tx_meta: Some(TransactionMeta { id }) },
                    )
                })
            }
            Err(e) => Err(e),
        };
        Ok(Response::new(BeginTransactionResponse { operation: answer(result) }))
    }

    async fn commit_transaction(
        &self,
        r: Request<CommitTransactionRequest>,
    ) -> Result<Response<CommitTransactionResponse>, Status> {
        let req = r.into_inner();
        let result = match self.state.sessions.occupy(&req.session_id, Kind::Table) {
            Ok(busy) => {
                let engine = self.state.engine.clone();
                let tx = req.tx_id.clone();
                let done = blocking(move || engine.commit(&tx)).await;
                busy.session().forget_transaction(&req.tx_id);
                done.map(|()| {
                    operation_ok("Ydb.Table.CommitTransactionResult", &CommitTransactionResult { query_stats: None })
                })
            }
            Err(e) => Err(e),
        };
        Ok(Response::new(CommitTransactionResponse { operation: answer(result) }))
    }

    async fn rollback_transaction(
        &self,
        r: Request<RollbackTransactionRequest>,
    ) -> Result<Response<RollbackTransactionResponse>, Status> {
        let req = r.into_inner();
        let result = match self.state.sessions.occupy(&req.session_id, Kind::Table) {
            Ok(busy) => {
                let engine = self.state.engine.clone();
                let tx = req.tx_id.clone();
                let done = blocking(move || engine.rollback(&tx)).await;
                busy.session().forget_transaction(&req.tx_id);
                done.map(|()| operation_done())
            }
            Err(e) => Err(e),
        };
        Ok(Response::new(RollbackTransactionResponse { operation: answer(result) }))
    }

    type StreamReadTableStream = ReadTableStream;

    async fn stream_read_table(&self, _r: Request<ReadTableRequest>) -> Result<Response<ReadTableStream>, Status> {
        let part = ReadTableResponse {
            status: StatusCode::Unsupported as i32,
            issues: vec![super::issue("StreamReadTable is not supported by ydb-devserver yet")],
            ..Default::default()
        };
        Ok(Response::new(Box::pin(futures_util::stream::iter([Ok(part)]))))
    }

    async fn bulk_upsert(&self, _r: Request<BulkUpsertRequest>) -> Result<Response<BulkUpsertResponse>, Status> {
        Ok(Response::new(BulkUpsertResponse { operation: unsupported("BulkUpsert") }))
    }
}
