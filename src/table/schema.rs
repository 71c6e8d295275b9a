//! Table-service operations on tables themselves: create, drop, alter, copy, describe, prepare, read
//! (streamed) and bulk upsert.
//!
//! Paths may be absolute (`/local/dir/t`) or relative to the driver's database (`dir/t`), as with the
//! official SDKs' helpers; the server always receives absolute paths.

use super::TableSession;
use crate::error::{Error, Result};
use crate::proto::ydb::{table, ResultSet, Type, TypedValue};
use crate::transport::methods::table_service as rpc;
use crate::transport::operation::{check, result_of};
use crate::transport::{CallOptions, Channel, MessageStream};
use std::collections::HashMap;

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
}
