//! Table-service operations on tables themselves: create, drop, alter, copy, describe, prepare, read
//! (streamed) and bulk upsert.
//!
//! Paths may be absolute (`/local/dir/t`) or relative to the driver's database (`dir/t`), as with the
//! official SDKs' helpers; the server always receives absolute paths.

use super::TableSession;
use crate::error::{Error, Result};
use crate::exclusive::Parts;
use crate::plain::{list, object, Plain};
use crate::proto::ydb::{table, Type, TypedValue};
use crate::transport::methods::table_service as rpc;
use crate::transport::operation::result_in;
use crate::transport::{BodyRead, CallOptions, Channel, MessageStream};
use crate::value::rows::ResultSet;
use crate::value::YdbType;
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
    /// Each parameter's name and declared type.
    pub parameter_types: Vec<(String, Type)>,
}

/// What a data query runs: YQL text, or a prepared query — sent by its id, with its text to fall back to
/// when the server no longer knows the id (NOT_FOUND after a restart or a cache eviction).
#[derive(Debug, Clone)]
pub enum DataQuery {
    Text(String),
    Prepared(PreparedQuery),
}

impl DataQuery {
    /// A prepared query from `prepareQuery`'s fields, its parameter types as their texts.
    pub fn prepared(id: String, text: String, types: Vec<(String, String)>) -> Result<DataQuery> {
        let mut parameter_types = Vec::new();
        for (name, t) in types {
            let t = YdbType::parse(&t)
                .map_err(|e| Error::argument(format!("DataQuery parameter {name}: {}", e.message)))?;
            parameter_types.push((name, t.to_proto()));
        }
        Ok(DataQuery::Prepared(PreparedQuery { id, text, parameter_types }))
    }

    /// The types its parameters are declared with: a prepared query's, or the DECLAREs of its text.
    pub fn declared_types(&self) -> crate::sql::DeclaredTypes {
        match self {
            DataQuery::Text(text) => crate::sql::declared_types(text),
            DataQuery::Prepared(p) => p
                .parameter_types
                .iter()
                .filter_map(|(name, t)| YdbType::from_proto(t).ok().map(|t| (name.clone(), t)))
                .collect(),
        }
    }

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
    pub fn parameter_types(&self) -> Option<&[(String, Type)]> {
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

/// A column of a new table. Nullable columns travel as `Optional<T>`, as YDB describes them.
pub fn column(name: String, t: YdbType, not_null: bool) -> table::ColumnMeta {
    let t = match t {
        YdbType::Optional(_) => t,
        other if !not_null => YdbType::Optional(Box::new(other)),
        other => other,
    };
    table::ColumnMeta { name, r#type: Some(t.to_proto()), not_null: not_null.then_some(true), ..Default::default() }
}

/// A global secondary index on `index_columns` (at least one), carrying `data_columns`.
pub fn global_index(name: String, index_columns: Vec<String>, data_columns: Vec<String>) -> Result<table::TableIndex> {
    if index_columns.is_empty() {
        return Err(Error::argument(format!("index {name} needs index columns")));
    }
    let r#type = Some(table::table_index::Type::GlobalIndex(table::GlobalIndex::default()));
    Ok(table::TableIndex { name, index_columns, data_columns, r#type })
}

/// What CreateTable makes: columns, a primary key and indexes.
pub struct NewTable {
    pub columns: Vec<table::ColumnMeta>,
    pub primary_key: Vec<String>,
    pub indexes: Vec<table::TableIndex>,
}

impl NewTable {
    /// A table needs at least one column and a primary key.
    pub fn new(
        columns: Vec<table::ColumnMeta>,
        primary_key: Vec<String>,
        indexes: Vec<table::TableIndex>,
    ) -> Result<Self> {
        if columns.is_empty() {
            return Err(Error::argument("a TableDescription needs at least one column"));
        }
        if primary_key.is_empty() {
            return Err(Error::argument("a TableDescription needs a primary key"));
        }
        Ok(NewTable { columns, primary_key, indexes })
    }
}

/// A key bound as ReadTable takes it: a tuple (a value of any other type is a one-element tuple).
fn key_bound(typed: TypedValue) -> TypedValue {
    use crate::proto::ydb::{r#type::Type as T, TupleType, Value};
    if matches!(typed.r#type.as_ref().and_then(|t| t.r#type.as_ref()), Some(T::TupleType(_))) {
        return typed;
    }
    let elements = vec![typed.r#type.unwrap_or_default()];
    TypedValue {
        r#type: Some(Type { r#type: Some(T::TupleType(TupleType { elements })) }),
        value: Some(Value { items: vec![typed.value.unwrap_or_default()], ..Default::default() }),
    }
}

/// The rows between `[greater, greater_or_equal]` (one of them at most) and `[less, less_or_equal]` (one
/// of them at most); each bound a key prefix.
pub fn key_range(
    [greater, greater_or_equal]: [Option<TypedValue>; 2],
    [less, less_or_equal]: [Option<TypedValue>; 2],
) -> Result<table::KeyRange> {
    use table::key_range::{FromBound, ToBound};
    let from_bound = match (greater.map(key_bound), greater_or_equal.map(key_bound)) {
        (Some(_), Some(_)) => return Err(Error::argument("keyRange takes greater or greaterOrEqual, not both")),
        (Some(b), None) => Some(FromBound::Greater(b)),
        (None, b) => b.map(FromBound::GreaterOrEqual),
    };
    let to_bound = match (less.map(key_bound), less_or_equal.map(key_bound)) {
        (Some(_), Some(_)) => return Err(Error::argument("keyRange takes less or lessOrEqual, not both")),
        (Some(b), None) => Some(ToBound::Less(b)),
        (None, b) => b.map(ToBound::LessOrEqual),
    };
    Ok(table::KeyRange { from_bound, to_bound })
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
        self.call(&rpc::CREATE_TABLE, &req, opts).await.map(|_| ())
    }

    pub async fn drop_table(&self, path: &str, opts: &CallOptions) -> Result<()> {
        let req = table::DropTableRequest {
            session_id: self.id.clone(),
            path: self.path(path)?,
            operation_params: crate::transport::operation::operation_params(opts.timeout_ms),
        };
        self.call(&rpc::DROP_TABLE, &req, opts).await.map(|_| ())
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
        self.call(&rpc::ALTER_TABLE, &req, opts).await.map(|_| ())
    }

    pub async fn copy_table(&self, source: &str, destination: &str, opts: &CallOptions) -> Result<()> {
        let req = table::CopyTableRequest {
            session_id: self.id.clone(),
            source_path: self.path(source)?,
            destination_path: self.path(destination)?,
            operation_params: crate::transport::operation::operation_params(opts.timeout_ms),
        };
        self.call(&rpc::COPY_TABLE, &req, opts).await.map(|_| ())
    }

    pub async fn describe_table(&self, path: &str, opts: &CallOptions) -> Result<table::DescribeTableResult> {
        let req = table::DescribeTableRequest {
            session_id: self.id.clone(),
            path: self.path(path)?,
            operation_params: crate::transport::operation::operation_params(opts.timeout_ms),
            ..Default::default()
        };
        result_in(self.call(&rpc::DESCRIBE_TABLE, &req, opts).await?).map_err(|e| self.note(e))
    }

    /// Prepares a data query; the answer names its parameters' declared types.
    pub async fn prepare(&self, yql: &str, opts: &CallOptions) -> Result<PreparedQuery> {
        let req = table::PrepareDataQueryRequest {
            session_id: self.id.clone(),
            yql_text: yql.to_string(),
            operation_params: crate::transport::operation::operation_params(opts.timeout_ms),
        };
        let op = self.call(&rpc::PREPARE_DATA_QUERY, &req, opts).await?;
        let prepared: table::PrepareQueryResult = result_in(op).map_err(|e| self.note(e))?;
        let parameter_types = prepared.parameters_types.into_iter().filter_map(|e| Some((e.key, e.value?))).collect();
        Ok(PreparedQuery { id: prepared.query_id, text: yql.to_string(), parameter_types })
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
        let inner = self
            .channel
            .server_streaming(&rpc::STREAM_READ_TABLE, &req, opts, BodyRead::Chunks)
            .await
            .map_err(|e| self.note(e))?;
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
    channel.operation(&rpc::BULK_UPSERT, &req, opts).await.map(|_| ())
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
            parameter_types: Vec::new(),
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

/// A type as its text (`Optional<Uint64>`); `Unknown` for one we cannot read.
fn type_text(t: Option<&Type>) -> String {
    t.and_then(|t| YdbType::from_proto(t).ok()).map(|t| t.to_string()).unwrap_or_else(|| "Unknown".into())
}

/// DescribeTable's answer as `{ name, columns: [{ name, type, notNull }], primaryKey, indexes }`.
pub fn description_plain(d: &table::DescribeTableResult) -> Plain {
    let column = |c: &table::ColumnMeta| -> Plain {
        let not_null = c.not_null.unwrap_or(false);
        object(vec![
            ("name", (&c.name).into()),
            ("type", type_text(c.r#type.as_ref()).as_str().into()),
            ("notNull", not_null.into()),
        ])
    };
    let index = |i: &table::TableIndexDescription| -> Plain {
        object(vec![
            ("name", (&i.name).into()),
            ("indexColumns", (&i.index_columns).into()),
            ("dataColumns", (&i.data_columns).into()),
        ])
    };
    object(vec![
        ("name", d.self_.as_ref().map_or("", |e| e.name.as_str()).into()),
        ("columns", list(&d.columns, column)),
        ("primaryKey", (&d.primary_key).into()),
        ("indexes", list(&d.indexes, index)),
    ])
}

impl PreparedQuery {
    /// `{ yqlText, queryId, parameterTypes: { $name: 'Type' } }`, what the JS `DataQuery` wraps.
    pub fn to_plain(&self) -> Plain {
        let types = self.parameter_types.iter().map(|(name, t)| (name.clone().into(), Plain::Text(type_text(Some(t)))));
        let types = types.collect();
        object(vec![
            ("yqlText", (&self.text).into()),
            ("queryId", (&self.id).into()),
            ("parameterTypes", Plain::Object(types)),
        ])
    }
}

#[cfg(test)]
mod plain_tests {
    use super::*;

    fn typed(t: &str, v: crate::proto::ydb::Value) -> TypedValue {
        TypedValue { r#type: YdbType::parse(t).map(|t| t.to_proto()).ok(), value: Some(v) }
    }

    #[test]
    fn a_key_range_takes_one_bound_a_side_each_as_a_tuple() {
        use table::key_range::{FromBound, ToBound};
        let one = || Some(typed("Uint64", Default::default()));
        let range = key_range([one(), None], [None, one()]).expect("range");
        let Some(FromBound::Greater(from)) = range.from_bound else { panic!("{range:?}") };
        let tuple = from.r#type.and_then(|t| t.r#type);
        assert!(
            matches!(tuple, Some(crate::proto::ydb::r#type::Type::TupleType(ref t)) if t.elements.len() == 1),
            "{tuple:?}"
        );
        assert!(matches!(range.to_bound, Some(ToBound::LessOrEqual(_))));
        let already = typed("Tuple<Uint64, Utf8>", Default::default());
        assert_eq!(key_bound(already.clone()), already, "a tuple stays as it is");
        assert!(key_range([one(), one()], [None, None]).is_err());
        assert!(key_range([None, None], [one(), one()]).is_err());
        let open = key_range([None, None], [None, None]).expect("open");
        assert!(open.from_bound.is_none() && open.to_bound.is_none());
    }

    #[test]
    fn a_new_table_needs_columns_and_a_key_and_nullable_columns_are_optional() {
        let id = column("id".into(), YdbType::parse("Uint64").expect("type"), true);
        let title = column("title".into(), YdbType::parse("Utf8").expect("type"), false);
        let texts: Vec<_> = [&id, &title].iter().map(|c| type_text(c.r#type.as_ref())).collect();
        assert_eq!(texts, vec!["Uint64", "Optional<Utf8>"]);
        assert_eq!((id.not_null, title.not_null), (Some(true), None));
        assert!(NewTable::new(vec![], vec!["id".into()], vec![]).is_err());
        assert!(NewTable::new(vec![id.clone()], vec![], vec![]).is_err());
        assert!(NewTable::new(vec![id], vec!["id".into()], vec![]).is_ok());
        assert!(global_index("by_title".into(), vec![], vec![]).is_err());
        assert!(global_index("by_title".into(), vec!["title".into()], vec![]).is_ok());
    }

    #[test]
    fn a_prepared_query_declares_its_parameter_types_and_text_its_declares() {
        let prepared = DataQuery::prepared("q".into(), "SELECT $id".into(), vec![("$id".into(), "Uint64".into())]);
        let declared = prepared.map(|q| q.declared_types()).unwrap_or_default();
        assert_eq!(crate::sql::declared_type(&declared, "$id").map(|t| t.to_string()), Some("Uint64".into()));
        assert!(DataQuery::prepared("q".into(), "".into(), vec![("$id".into(), "Nope".into())]).is_err());
        let text = DataQuery::Text("DECLARE $n AS Utf8; SELECT $n".into());
        assert_eq!(crate::sql::declared_type(&text.declared_types(), "$n").map(|t| t.to_string()), Some("Utf8".into()));
    }

    #[test]
    fn a_description_names_its_columns_types_and_nullability() {
        let uint64 = YdbType::parse("Uint64").map(|t| t.to_proto()).ok();
        let optional = YdbType::parse("Optional<Utf8>").map(|t| t.to_proto()).ok();
        let d = table::DescribeTableResult {
            columns: vec![
                table::ColumnMeta { name: "id".into(), r#type: uint64, not_null: Some(true), ..Default::default() },
                table::ColumnMeta { name: "title".into(), r#type: optional, ..Default::default() },
                table::ColumnMeta { name: "odd".into(), ..Default::default() },
            ],
            primary_key: vec!["id".into()],
            ..Default::default()
        };
        let plain = description_plain(&d);
        let columns = match plain.field("columns") {
            Some(Plain::List(columns)) => columns.clone(),
            _ => vec![],
        };
        let types: Vec<_> = columns.iter().filter_map(|c| c.field("type").cloned()).collect();
        assert_eq!(types, vec![Plain::from("Uint64"), Plain::from("Optional<Utf8>"), Plain::from("Unknown")]);
        assert_eq!(columns.first().and_then(|c| c.field("notNull")), Some(&Plain::Bool(true)));
        assert_eq!(plain.field("primaryKey"), Some(&Plain::List(vec![Plain::from("id")])));
        assert_eq!(plain.field("name"), Some(&Plain::from("")));
    }

    #[test]
    fn a_prepared_query_lists_its_parameter_types_by_name() {
        let text = YdbType::parse("Utf8").map(|t| t.to_proto()).unwrap_or_default();
        let p = PreparedQuery {
            id: "q1".into(),
            text: "SELECT $b, $a".into(),
            parameter_types: [("$b".to_string(), text.clone()), ("$a".to_string(), text)].into(),
        };
        let plain = p.to_plain();
        let mut names = match plain.field("parameterTypes") {
            Some(Plain::Object(fields)) => fields.iter().map(|(k, v)| (k.to_string(), v.clone())).collect::<Vec<_>>(),
            _ => vec![],
        };
        names.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(names, vec![("$a".into(), Plain::from("Utf8")), ("$b".into(), Plain::from("Utf8"))]);
        assert_eq!(plain.field("queryId"), Some(&Plain::from("q1")));
    }
}
