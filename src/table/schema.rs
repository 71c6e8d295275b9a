//! Table-service operations on tables themselves: create, drop, alter, copy, describe, prepare, read
//! (streamed) and bulk upsert.
//!
//! Paths may be absolute (`/local/dir/t`) or relative to the driver's database (`dir/t`), as with the
//! official SDKs' helpers; the server always receives absolute paths.

use super::TableSession;
use crate::error::{Error, Result};
use crate::exclusive::Parts;
use crate::proto::ydb::{table, ResultSet, Type, TypedValue};
use crate::transport::methods::table_service as rpc;
use crate::transport::operation::{check, result_of};
use crate::transport::{CallOptions, Channel, MessageStream};
use std::collections::HashMap;
use std::rc::Rc;

/// An absolute path for `path` in `database`.
pub fn full_path(database: &str, path: &str) -> Result<String> {
    let path = path.trim();
    if path.is_empty() {
        return Err(Error::argument("a table path must not be empty"));
    }
    Ok(if path.starts_with('/') { path.to_string() } else { format!("{}/{}", database.trim_end_matches('/'), path) })
}

/// A query prepared on the server: run it by id, with parameters typed by its DECLAREs.
#[derive(Debug, Clone)]
pub struct PreparedQuery {
    pub id: String,
    pub text: String,
    pub parameter_types: HashMap<String, Type>,
}

/// What a data query runs: YQL text, or a prepared query — sent by its id, with its text to fall back to
/// when the server no longer knows the id (NOT_FOUND after a restart or a cache eviction).
#[derive(Debug, Clone)]
pub enum DataQuery {
    Text(String),
    Prepared(PreparedQuery),
}

impl DataQuery {
    /// What to send first.
    pub fn to_proto(&self) -> table::query::Query {
        match self {
            DataQuery::Text(t) => table::query::Query::YqlText(t.clone()),
            DataQuery::Prepared(p) => table::query::Query::Id(p.id.clone()),
        }
    }

    /// What to send instead after `error`, when the statement may run again: a prepared query the server
    /// no longer knows runs from its text — but only if it was to begin its transaction, since the
    /// failed statement ended a transaction already under way.
    pub fn fallback_after(&self, error: &crate::error::Error, began_before: bool) -> Option<table::query::Query> {
        match self {
            DataQuery::Prepared(p) if error.status == crate::error::Status::NotFound && !began_before => {
                Some(table::query::Query::YqlText(p.text.clone()))
            }
            _ => None,
        }
    }

    /// The prepared query's declared parameter types (none for text).
    pub fn parameter_types(&self) -> Option<&HashMap<String, Type>> {
        match self {
            DataQuery::Text(_) => None,
            DataQuery::Prepared(p) => Some(&p.parameter_types),
        }
    }
}

/// What `alterTable` changes.
#[derive(Debug, Clone, Default)]
pub struct AlterTable {
    pub add_columns: Vec<table::ColumnMeta>,
    pub drop_columns: Vec<String>,
    pub add_indexes: Vec<table::TableIndex>,
    pub drop_indexes: Vec<String>,
}

/// Which rows `readTable` streams.
#[derive(Debug, Clone, Default)]
pub struct ReadTable {
    pub key_range: Option<table::KeyRange>,
    pub columns: Vec<String>,
    pub ordered: bool,
    pub row_limit: u64,
}

impl TableSession {
    fn path(&self, path: &str) -> Result<String> {
        full_path(self.channel.database(), path)
    }

    pub async fn create_table(
        &self,
        path: &str,
        columns: Vec<table::ColumnMeta>,
        primary_key: Vec<String>,
        indexes: Vec<table::TableIndex>,
        opts: &CallOptions,
    ) -> Result<()> {
        let req = table::CreateTableRequest {
            session_id: self.id.clone(),
            path: self.path(path)?,
            columns,
            primary_key,
            indexes,
            operation_params: crate::transport::operation::operation_params(opts.timeout_ms),
            ..Default::default()
        };
        let r = self.call(&rpc::CREATE_TABLE, &req, opts).await?;
        check(r.operation).map(|_| ()).map_err(|e| self.note(e))
    }

    pub async fn drop_table(&self, path: &str, opts: &CallOptions) -> Result<()> {
        let req = table::DropTableRequest {
            session_id: self.id.clone(),
            path: self.path(path)?,
            operation_params: crate::transport::operation::operation_params(opts.timeout_ms),
        };
        let r = self.call(&rpc::DROP_TABLE, &req, opts).await?;
        check(r.operation).map(|_| ()).map_err(|e| self.note(e))
    }

    pub async fn alter_table(&self, path: &str, change: AlterTable, opts: &CallOptions) -> Result<()> {
        let req = table::AlterTableRequest {
            session_id: self.id.clone(),
            path: self.path(path)?,
            add_columns: change.add_columns,
            drop_columns: change.drop_columns,
            add_indexes: change.add_indexes,
            drop_indexes: change.drop_indexes,
            operation_params: crate::transport::operation::operation_params(opts.timeout_ms),
            ..Default::default()
        };
        let r = self.call(&rpc::ALTER_TABLE, &req, opts).await?;
        check(r.operation).map(|_| ()).map_err(|e| self.note(e))
    }

    pub async fn copy_table(&self, source: &str, destination: &str, opts: &CallOptions) -> Result<()> {
        let req = table::CopyTableRequest {
            session_id: self.id.clone(),
            source_path: self.path(source)?,
            destination_path: self.path(destination)?,
            operation_params: crate::transport::operation::operation_params(opts.timeout_ms),
        };
        let r = self.call(&rpc::COPY_TABLE, &req, opts).await?;
        check(r.operation).map(|_| ()).map_err(|e| self.note(e))
    }

    pub async fn describe_table(&self, path: &str, opts: &CallOptions) -> Result<table::DescribeTableResult> {
        let req = table::DescribeTableRequest {
            session_id: self.id.clone(),
            path: self.path(path)?,
            operation_params: crate::transport::operation::operation_params(opts.timeout_ms),
            ..Default::default()
        };
        let r = self.call(&rpc::DESCRIBE_TABLE, &req, opts).await?;
        result_of(r.operation).map_err(|e| self.note(e))
    }

    /// Prepares a data query; the answer names its parameters' declared types.
    pub async fn prepare(&self, yql: &str, opts: &CallOptions) -> Result<PreparedQuery> {
        let req = table::PrepareDataQueryRequest {
            session_id: self.id.clone(),
            yql_text: yql.to_string(),
            operation_params: crate::transport::operation::operation_params(opts.timeout_ms),
        };
        let r = self.call(&rpc::PREPARE_DATA_QUERY, &req, opts).await?;
        let prepared: table::PrepareQueryResult = result_of(r.operation).map_err(|e| self.note(e))?;
        Ok(PreparedQuery { id: prepared.query_id, text: yql.to_string(), parameter_types: prepared.parameters_types })
    }

    /// Streams a table's rows (StreamReadTable) in parts.
    pub async fn read_table(&self, path: &str, read: ReadTable, opts: &CallOptions) -> Result<ReadTableStream> {
        let req = table::ReadTableRequest {
            session_id: self.id.clone(),
            path: self.path(path)?,
            key_range: read.key_range,
            columns: read.columns,
            ordered: read.ordered,
            row_limit: read.row_limit,
            ..Default::default()
        };
        let inner =
            self.channel.server_streaming(&rpc::STREAM_READ_TABLE, &req, opts).await.map_err(|e| self.note(e))?;
        Ok(ReadTableStream { inner })
    }
}

impl Parts<ReadTableStream> {
    /// A `read_table` of `session`, started by the first [`Parts::next_rows`].
    pub fn read_table(session: Rc<TableSession>, path: String, read: ReadTable, call: CallOptions) -> Self {
        Parts::new(async move { session.read_table(&path, read, &call).await })
    }

    /// The next part with rows, one read at a time; `None` at the end.
    pub async fn next_rows(&self) -> Result<Option<ResultSet>> {
        self.read(|mut stream| async move {
            let part = stream.next().await.transpose();
            (stream, part)
        })
        .await
    }
}

/// The parts of a `read_table`.
pub struct ReadTableStream {
    inner: MessageStream<table::ReadTableResponse>,
}

impl ReadTableStream {
    /// The next part with rows; `None` at the end.
    pub async fn next(&mut self) -> Option<Result<ResultSet>> {
        loop {
            let part = match self.inner.next().await? {
                Ok(p) => p,
                Err(e) => return Some(Err(e)),
            };
            if crate::Status::from_code(part.status) != crate::Status::Success {
                return Some(Err(Error::from_ydb(part.status, &part.issues)));
            }
            if let Some(rs) = part.result.and_then(|r| r.result_set) {
                return Some(Ok(rs));
            }
        }
    }
}

/// Writes rows (a `List<Struct<…>>` value) into a table without a transaction (BulkUpsert).
pub async fn bulk_upsert(channel: &Channel, path: &str, rows: TypedValue, opts: &CallOptions) -> Result<()> {
    let req = table::BulkUpsertRequest {
        table: full_path(channel.database(), path)?,
        rows: Some(rows),
        operation_params: crate::transport::operation::operation_params(opts.timeout_ms),
        ..Default::default()
    };
    let r = channel.unary(&rpc::BULK_UPSERT, &req, opts).await?;
    check(r.operation).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_resolve_in_the_database_and_absolute_ones_stay() {
        assert_eq!(full_path("/local", "t").unwrap(), "/local/t");
        assert_eq!(full_path("/local/", "dir/t").unwrap(), "/local/dir/t");
        assert_eq!(full_path("/local", "/other/t").unwrap(), "/other/t");
        assert!(full_path("/local", "  ").is_err());
    }

    #[test]
    fn a_prepared_query_the_server_forgot_falls_back_to_its_text_only_before_its_transaction_began() {
        let prepared = DataQuery::Prepared(PreparedQuery {
            id: "q1".into(),
            text: "SELECT 1".into(),
            parameter_types: HashMap::new(),
        });
        let not_found = Error::new(crate::ErrorKind::Ydb, crate::Status::NotFound, "unknown query");
        let aborted = Error::new(crate::ErrorKind::Ydb, crate::Status::Aborted, "conflict");
        assert!(matches!(prepared.to_proto(), table::query::Query::Id(id) if id == "q1"));
        assert!(matches!(
            prepared.fallback_after(&not_found, false),
            Some(table::query::Query::YqlText(t)) if t == "SELECT 1"
        ));
        assert!(prepared.fallback_after(&not_found, true).is_none(), "a transaction under way ended with it");
        assert!(prepared.fallback_after(&aborted, false).is_none());
        assert!(DataQuery::Text("SELECT 1".into()).fallback_after(&not_found, false).is_none());
    }
}
