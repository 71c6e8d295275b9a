//! Scheme operations with structured input: the Table service's CreateTable/AlterTable/DescribeTable/
//! CopyTables/RenameTables/BulkUpsert/ReadTable and the Scheme service's directories and permissions.
//!
//! Exists so the services need not write YQL text to reach the catalog: they hand over proto types and
//! paths, this module checks them, reuses the statement executor where YQL has the same operation
//! (CREATE/ALTER/DROP TABLE, UPSERT) and talks to the catalog directly for the rest.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use rusqlite::Connection;

use super::ast::{ColumnDef, Expr, IndexDef, Stmt, WriteMode, WriteSource};
use super::catalog::{self, quote_ident, TableMeta};
use super::exec;
use super::locks::Touch;
use super::types::Type;
use super::values::{self, total_cmp, Value};
use super::{sql_err, EngineError, StatusCode};
use crate::engine::Engine;
use crate::proto::ydb;

type R<T> = Result<T, EngineError>;

/// The owner reported for paths nobody took over.
const DEFAULT_OWNER: &str = "root@builtin";

/// A column as the Table service names it.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnSpec {
    pub name: String,
    /// `Optional<T>` for nullable columns.
    pub ty: ydb::Type,
    pub not_null: bool,
}

/// What AlterTable changes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Alteration {
    pub add_columns: Vec<ColumnSpec>,
    pub drop_columns: Vec<String>,
    pub add_indexes: Vec<IndexDef>,
    pub drop_indexes: Vec<String>,
    /// (source, destination, replace the destination) index names.
    pub rename_indexes: Vec<(String, String, bool)>,
}

/// What DescribeTable reports.
#[derive(Debug, Clone, PartialEq)]
pub struct TableDescription {
    pub entry: PathEntry,
    pub columns: Vec<ColumnSpec>,
    pub primary_key: Vec<String>,
    pub indexes: Vec<IndexDef>,
    /// Rows in the table now (DescribeTable's table stats).
    pub rows: u64,
}

/// Kinds of scheme entries the dev server has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Database,
    Directory,
    Table,
}

/// One scheme entry (ListDirectory child, DescribePath self).
#[derive(Debug, Clone, PartialEq)]
pub struct PathEntry {
    /// The last path component.
    pub name: String,
    pub kind: EntryKind,
    pub owner: String,
    /// Rights given on this path: subject and permission names.
    pub permissions: Vec<(String, Vec<String>)>,
    /// Rights in force here: this path's and its ancestors'.
    pub effective_permissions: Vec<(String, Vec<String>)>,
}

/// ModifyPermissions actions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PermissionAction {
    Grant(String, Vec<String>),
    Revoke(String, Vec<String>),
    Set(String, Vec<String>),
    ChangeOwner(String),
}

/// One end of a ReadTable key range: a tuple (possibly a key prefix).
#[derive(Debug, Clone, PartialEq)]
pub struct KeyBound {
    pub value: ydb::TypedValue,
    pub inclusive: bool,
}

/// A ReadTable call.
#[derive(Debug, Clone)]
pub struct ReadTableRequest<'a> {
    pub database: &'a str,
    pub path: &'a str,
    /// Empty for all columns.
    pub columns: &'a [String],
    pub from: Option<KeyBound>,
    pub to: Option<KeyBound>,
    /// 0 for no limit.
    pub row_limit: u64,
}

/// Joins a path onto the database (relative paths) and collapses slashes: `/local/a/b`.
pub fn normalize_path(database: &str, path: &str) -> String {
    let full = if path.starts_with('/') { path.to_string() } else { format!("{database}/{path}") };
    let mut out = String::new();
    for part in full.split('/').filter(|p| !p.is_empty()) {
        out.push('/');
        out.push_str(part);
    }
    out
}

/// A path to change: it must name something inside the database (or the database itself when `root_ok`).
fn inside_database(database: &str, path: &str, root_ok: bool) -> R<String> {
    let full = normalize_path(database, path);
    let database = normalize_path("", &format!("/{database}"));
    let inside = full.starts_with(&format!("{database}/")) || (root_ok && full == database);
    if full.is_empty() || !inside {
        return Err(scheme_error(format!("Path '{path}' is not inside database '{database}'")));
    }
    Ok(full)
}

fn scheme_error(message: impl Into<String>) -> EngineError {
    EngineError::new(StatusCode::SchemeError, message)
}

fn path_not_found(path: &str) -> EngineError {
    scheme_error(format!("Path does not exist: {path}"))
}

fn last_component(path: &str) -> String {
    path.rsplit('/').next().unwrap_or_default().to_string()
}

fn column_def(c: &ColumnSpec) -> R<ColumnDef> {
    let ty = Type::from_proto(&c.ty)
        .ok_or_else(|| EngineError::bad_request(format!("Unsupported type of column {}", c.name)))?;
    // A column whose type is not Optional holds no NULLs, whether or not the client said NOT NULL.
    let not_null = c.not_null || !ty.is_optional();
    Ok(ColumnDef { name: c.name.clone(), ty, not_null })
}

/// Rights per subject, permissions sorted.
fn group(pairs: impl IntoIterator<Item = (String, String)>) -> Vec<(String, Vec<String>)> {
    let mut by: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (subject, permission) in pairs {
        by.entry(subject).or_default().insert(permission);
    }
    by.into_iter().map(|(s, p)| (s, p.into_iter().collect())).collect()
}

/// What a path is, looked up in the catalog; `None` when nothing is there.
fn kind_of(conn: &Connection, database: &str, path: &str) -> R<Option<EntryKind>> {
    if path == database {
        return Ok(Some(EntryKind::Database));
    }
    if catalog::load(conn, path)?.is_some() {
        return Ok(Some(EntryKind::Table));
    }
    if catalog::is_dir(conn, path)? {
        return Ok(Some(EntryKind::Directory));
    }
    // Tables created before directories were recorded still imply their parents.
    let prefix = format!("{path}/");
    let below = catalog::list(conn)?.iter().chain(catalog::list_dirs(conn)?.iter()).any(|p| p.starts_with(&prefix));
    Ok(below.then_some(EntryKind::Directory))
}

fn entry(conn: &Connection, path: &str, kind: EntryKind) -> R<PathEntry> {
    let owner = catalog::owner(conn, path)?.unwrap_or_else(|| DEFAULT_OWNER.to_string());
    let permissions = group(catalog::acl(conn, path)?);
    let mut all = Vec::new();
    let mut prefix = String::new();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        prefix.push('/');
        prefix.push_str(part);
        all.extend(catalog::acl(conn, &prefix)?);
    }
    Ok(PathEntry { name: last_component(path), kind, owner, permissions, effective_permissions: group(all) })
}

/// The children of a directory: (name, kind), sorted by name.
fn children(conn: &Connection, path: &str) -> R<Vec<(String, EntryKind)>> {
    let prefix = format!("{path}/");
    let mut out: BTreeMap<String, EntryKind> = BTreeMap::new();
    for (p, is_table) in catalog::list(conn)?
        .into_iter()
        .map(|p| (p, true))
        .chain(catalog::list_dirs(conn)?.into_iter().map(|p| (p, false)))
    {
        let Some(rest) = p.strip_prefix(&prefix) else { continue };
        let (name, deeper) = match rest.split_once('/') {
            Some((name, _)) => (name, true),
            None => (rest, false),
        };
        if name.is_empty() {
            continue;
        }
        let kind = if is_table && !deeper { EntryKind::Table } else { EntryKind::Directory };
        out.entry(name.to_string()).or_insert(kind);
    }
    Ok(out.into_iter().collect())
}

/// Orders a row's key against a bound tuple over the bound's length (a key prefix).
fn cmp_prefix(key: &[Value], bound: &[Value]) -> Ordering {
    for (k, b) in key.iter().zip(bound) {
        match total_cmp(k, b) {
            Ordering::Equal => {}
            other => return other,
        }
    }
    Ordering::Equal
}

/// A bound's tuple values.
fn bound_values(bound: &KeyBound) -> R<Vec<Value>> {
    let bad = || EngineError::bad_request("Key range bounds must be tuples of key values");
    let ty = bound.value.r#type.as_ref().and_then(Type::from_proto).ok_or_else(bad)?;
    let default_value = ydb::Value::default();
    let v = values::from_proto(&ty, bound.value.value.as_ref().unwrap_or(&default_value))
        .map_err(|e| EngineError::bad_request(format!("Bad key range bound: {e}")))?;
    match (ty, v) {
        (Type::Tuple(_), Value::List(items)) => Ok(items.into_iter().map(unwrap_just).collect()),
        (Type::Tuple(_), _) => Err(bad()),
        (_, v) => Ok(vec![unwrap_just(v)]),
    }
}

fn unwrap_just(v: Value) -> Value {
    match v {
        Value::Just(inner) => unwrap_just(*inner),
        v => v,
    }
}

impl Engine {
    /// CreateTable: ALREADY_EXISTS when the table is there, SCHEME_ERROR for bad columns or keys.
    pub fn create_table(
        &self,
        database: &str,
        path: &str,
        columns: &[ColumnSpec],
        primary_key: &[String],
        indexes: &[IndexDef],
    ) -> R<()> {
        let columns = columns.iter().map(column_def).collect::<R<Vec<_>>>()?;
        let stmt = Stmt::CreateTable {
            name: normalize_path(database, path),
            columns,
            primary_key: primary_key.to_vec(),
            indexes: indexes.to_vec(),
            if_not_exists: false,
        };
        self.run_ddl(database, stmt)
    }

    /// DropTable: SCHEME_ERROR when there is no such table.
    pub fn drop_table(&self, database: &str, path: &str) -> R<()> {
        self.run_ddl(database, Stmt::DropTable { name: normalize_path(database, path), if_exists: false })
    }

    /// AlterTable: adds nullable columns, drops non-key ones, adds and drops secondary indexes.
    pub fn alter_table(&self, database: &str, path: &str, change: &Alteration) -> R<()> {
        let add = change.add_columns.iter().map(column_def).collect::<R<Vec<_>>>()?;
        let stmt = Stmt::AlterTable {
            name: normalize_path(database, path),
            add,
            drop: change.drop_columns.clone(),
            add_indexes: change.add_indexes.clone(),
            drop_indexes: change.drop_indexes.clone(),
        };
        let renames_only = change.add_columns.is_empty()
            && change.drop_columns.is_empty()
            && change.add_indexes.is_empty()
            && change.drop_indexes.is_empty()
            && !change.rename_indexes.is_empty();
        if !renames_only {
            self.run_ddl(database, stmt)?;
        }
        if change.rename_indexes.is_empty() {
            return Ok(());
        }
        let path = normalize_path(database, path);
        self.with_write(vec![Touch::Table(path.clone())], |conn| {
            catalog::load(conn, &path)?.ok_or_else(|| path_not_found(&path))?;
            let mut indexes = catalog::load_indexes(conn, &path)?;
            for (source, destination, replace) in &change.rename_indexes {
                if !indexes.iter().any(|i| &i.name == source) {
                    return Err(scheme_error(format!("Index not found: {path}/{source}")));
                }
                if source == destination {
                    continue;
                }
                if indexes.iter().any(|i| &i.name == destination) {
                    if !replace {
                        return Err(scheme_error(format!(
                            "Index already exists: {path}/{destination} (set replace_destination to replace it)"
                        )));
                    }
                    indexes.retain(|i| &i.name != destination);
                }
                for index in indexes.iter_mut().filter(|i| &i.name == source) {
                    index.name = destination.clone();
                }
            }
            catalog::set_indexes(conn, &path, &indexes)
        })
    }

    fn run_ddl(&self, database: &str, stmt: Stmt) -> R<()> {
        // Structured requests report scheme mistakes as SCHEME_ERROR, as YDB's scheme shard does.
        self.run_implicit(database, &[stmt], exec::Params::default(), true).map(|_| ()).map_err(|mut e| {
            if e.status == StatusCode::GenericError {
                e.status = StatusCode::SchemeError;
            }
            e
        })
    }

    /// DescribeTable.
    pub fn describe_table(&self, database: &str, path: &str) -> R<TableDescription> {
        let path = normalize_path(database, path);
        self.with_read(|conn| {
            let meta = catalog::load(conn, &path)?.ok_or_else(|| scheme_error(format!("Path not found: {path}")))?;
            let columns = meta
                .columns
                .iter()
                .map(|c| ColumnSpec { name: c.name.clone(), ty: c.result_type().to_proto(), not_null: c.not_null })
                .collect();
            let primary_key = meta.key.iter().filter_map(|k| meta.columns.get(*k)).map(|c| c.name.clone()).collect();
            let indexes = catalog::load_indexes(conn, &path)?;
            let rows: i64 = conn
                .query_row(&format!("SELECT COUNT(*) FROM {}", meta.sql_name()), [], |r| r.get(0))
                .map_err(sql_err)?;
            let entry = entry(conn, &path, EntryKind::Table)?;
            Ok(TableDescription { entry, columns, primary_key, indexes, rows: u64::try_from(rows).unwrap_or_default() })
        })
    }

    /// CopyTables: every (source, destination, omit indexes) in one transaction; a destination that is already
    /// a table is accepted and left as it is (YDB does not fail on an existing one unless asked to).
    pub fn copy_tables(&self, database: &str, items: &[(String, String, bool)]) -> R<()> {
        let touched = items.iter().map(|(_, dst, _)| Touch::Table(normalize_path(database, dst))).collect();
        self.with_write(touched, |conn| {
            for (src, dst, omit_indexes) in items {
                let (src, dst) = (normalize_path(database, src), normalize_path(database, dst));
                let meta = catalog::load(conn, &src)?.ok_or_else(|| path_not_found(&src))?;
                match kind_of(conn, database, &dst)? {
                    // YDB's CopyTable accepts an existing table at the destination (the request does not
                    // ask to fail on one): it succeeds and leaves that table as it is.
                    Some(EntryKind::Table) => continue,
                    Some(_) => {
                        return Err(EngineError::new(StatusCode::AlreadyExists, format!("Path already exists: {dst}")))
                    }
                    None => {}
                }
                for p in exec::parent_dirs(database, &dst) {
                    catalog::add_dir(conn, &p)?;
                }
                let copy = TableMeta { path: dst.clone(), ..meta.clone() };
                catalog::create(conn, &copy)?;
                if !omit_indexes {
                    catalog::add_indexes(conn, &dst, &catalog::load_indexes(conn, &src)?)?;
                }
                let cols: Vec<String> = meta.columns.iter().map(|c| quote_ident(&c.name)).collect();
                let cols = cols.join(", ");
                conn.execute_batch(&format!(
                    "INSERT INTO {} ({cols}) SELECT {cols} FROM {}",
                    quote_ident(&dst),
                    quote_ident(&src)
                ))
                .map_err(sql_err)?;
            }
            Ok(())
        })
    }

    /// RenameTables: (source, destination, replace destination) in one transaction.
    pub fn rename_tables(&self, database: &str, items: &[(String, String, bool)]) -> R<()> {
        let touched = items
            .iter()
            .flat_map(|(src, dst, _)| [src, dst])
            .map(|path| Touch::Table(normalize_path(database, path)))
            .collect();
        self.with_write(touched, |conn| {
            for (src, dst, replace) in items {
                let (src, dst) = (normalize_path(database, src), normalize_path(database, dst));
                catalog::load(conn, &src)?.ok_or_else(|| path_not_found(&src))?;
                match kind_of(conn, database, &dst)? {
                    None => {}
                    Some(EntryKind::Table) if *replace => catalog::drop_table(conn, &dst)?,
                    Some(_) => {
                        return Err(scheme_error(format!(
                            "Check failed: path: '{dst}', error: path exist, request accepts it"
                        )))
                    }
                }
                for p in exec::parent_dirs(database, &dst) {
                    catalog::add_dir(conn, &p)?;
                }
                catalog::rename_table(conn, &src, &dst)?;
            }
            Ok(())
        })
    }

    /// BulkUpsert: `rows` is a `List<Struct<...>>`; only the struct's columns are written.
    pub fn bulk_upsert(&self, database: &str, path: &str, rows: &ydb::TypedValue) -> R<()> {
        let ty = rows
            .r#type
            .as_ref()
            .and_then(Type::from_proto)
            .ok_or_else(|| EngineError::bad_request("Unsupported type of rows"))?;
        let Type::List(item) = &ty else {
            return Err(EngineError::bad_request("Rows must be a List<Struct<...>>"));
        };
        let Type::Struct(members) = item.as_ref() else {
            return Err(EngineError::bad_request("Rows must be a List<Struct<...>>"));
        };
        let default_value = ydb::Value::default();
        let value = values::from_proto(&ty, rows.value.as_ref().unwrap_or(&default_value))
            .map_err(|e| EngineError::bad_request(format!("Bad rows value: {e}")))?;
        let Value::List(list) = value else {
            return Err(EngineError::bad_request("Rows must be a List<Struct<...>>"));
        };
        if list.is_empty() {
            return Ok(());
        }
        let mut out = Vec::with_capacity(list.len());
        for row in list {
            let Value::List(items) = row else {
                return Err(EngineError::bad_request("Rows must be a List<Struct<...>>"));
            };
            out.push(members.iter().zip(items).map(|((_, t), v)| Expr::Lit(t.clone(), v)).collect());
        }
        let stmt = Stmt::Write {
            mode: WriteMode::Upsert,
            table: normalize_path(database, path),
            columns: Some(members.iter().map(|(n, _)| n.clone()).collect()),
            source: WriteSource::Values(out),
            returning: None,
        };
        self.run_implicit(database, &[stmt], exec::Params::default(), true).map(|_| ()).map_err(|mut e| {
            if e.status == StatusCode::GenericError {
                e.status = StatusCode::SchemeError;
            }
            e
        })
    }

    /// ReadRows: the rows with these keys (a `List<Struct<…>>` naming the primary key's columns, or a
    /// prefix of them), as one result set of `columns` (all when empty), in key order, each row once;
    /// keys with no row are left out. One consistent snapshot, no transaction.
    pub fn read_rows(
        &self,
        database: &str,
        path: &str,
        keys: &ydb::TypedValue,
        columns: &[String],
    ) -> R<ydb::ResultSet> {
        let bad = |what: &str| EngineError::bad_request(format!("ReadRows: {what}"));
        let ty = keys.r#type.as_ref().and_then(Type::from_proto).ok_or_else(|| bad("unsupported type of keys"))?;
        let Type::List(item) = &ty else { return Err(bad("keys must be a List<Struct<...>>")) };
        let Type::Struct(members) = item.as_ref() else { return Err(bad("keys must be a List<Struct<...>>")) };
        let default_value = ydb::Value::default();
        let Value::List(list) = values::from_proto(&ty, keys.value.as_ref().unwrap_or(&default_value))
            .map_err(|e| bad(&format!("bad keys value: {e}")))?
        else {
            return Err(bad("keys must be a List<Struct<...>>"));
        };
        let path = normalize_path(database, path);
        let meta = self.with_read(|conn| catalog::load(conn, &path))?.ok_or_else(|| path_not_found(&path))?;
        let key_names: Vec<&str> =
            meta.key.iter().filter_map(|k| meta.columns.get(*k)).map(|c| c.name.as_str()).collect();
        let named = members.iter().map(|(n, _)| n.as_str());
        if members.is_empty() || !named.clone().all(|n| key_names.contains(&n)) {
            return Err(bad(&format!("the keys' members must be key columns of {path} ({})", key_names.join(", "))));
        }
        if key_names.iter().take(members.len()).any(|k| !named.clone().any(|n| n == *k)) {
            return Err(bad("the keys must name the primary key's columns, or a prefix of them"));
        }
        for c in columns {
            if meta.column_index(c).is_none() {
                return Err(scheme_error(format!("Unknown column: {c}")));
            }
        }
        let items = if columns.is_empty() {
            vec![super::ast::SelectItem::Star]
        } else {
            columns
                .iter()
                .map(|c| super::ast::SelectItem::Expr {
                    expr: Expr::Column { qual: None, name: c.clone() },
                    alias: None,
                })
                .collect()
        };
        // One point read per distinct key, in key order, through the executor (which converts the keys'
        // values to the columns' types and reads by key).
        let mut distinct: Vec<Vec<Value>> = Vec::with_capacity(list.len());
        for key in list {
            let Value::List(parts) = key else { return Err(bad("keys must be a List<Struct<...>>")) };
            distinct.push(parts);
        }
        // The members' positions in key order, to sort the keys as the table does.
        let order: Vec<usize> =
            key_names.iter().take(members.len()).filter_map(|k| members.iter().position(|(n, _)| n == k)).collect();
        distinct.sort_by(|a, b| {
            order
                .iter()
                .map(|i| match (a.get(*i), b.get(*i)) {
                    (Some(x), Some(y)) => total_cmp(x, y),
                    _ => Ordering::Equal,
                })
                .find(|o| *o != Ordering::Equal)
                .unwrap_or(Ordering::Equal)
        });
        distinct.dedup();
        let stmts: Vec<Stmt> = distinct
            .into_iter()
            .map(|parts| {
                let conds = members.iter().zip(parts).map(|((name, t), v)| {
                    Expr::Binary(
                        super::ast::BinOp::Eq,
                        Box::new(Expr::Column { qual: None, name: name.clone() }),
                        Box::new(Expr::Lit(t.clone(), v)),
                    )
                });
                let where_ = conds.reduce(|a, b| Expr::Binary(super::ast::BinOp::And, Box::new(a), Box::new(b)));
                let from = super::ast::From {
                    first: super::ast::FromItem { source: super::ast::FromSource::Table(path.clone()), alias: None },
                    joins: Vec::new(),
                };
                Stmt::Select(Box::new(super::ast::Select::plain(items.clone(), Some(from), where_)))
            })
            .collect();
        if stmts.is_empty() {
            let picked: Vec<&super::catalog::ColumnMeta> = if columns.is_empty() {
                meta.columns.iter().collect()
            } else {
                columns.iter().filter_map(|c| meta.columns.get(meta.column_index(c)?)).collect()
            };
            let columns =
                picked.iter().map(|c| ydb::Column { name: c.name.clone(), r#type: Some(c.result_type().to_proto()) });
            return Ok(ydb::ResultSet { columns: columns.collect(), ..Default::default() });
        }
        let sets = self.run_implicit(database, &stmts, exec::Params::default(), false).map_err(|mut e| {
            if e.status == StatusCode::GenericError {
                e.status = StatusCode::BadRequest;
            }
            e
        })?;
        let mut sets = sets.result_sets.into_iter();
        let mut out = sets.next().unwrap_or_default();
        for set in sets {
            out.rows.extend(set.rows);
        }
        Ok(out)
    }

    /// ReadTable: rows in key order within the key range, projected, limited; one consistent snapshot.
    pub fn read_table(&self, req: &ReadTableRequest<'_>) -> R<ydb::ResultSet> {
        let path = normalize_path(req.database, req.path);
        let from = req.from.as_ref().map(|b| bound_values(b).map(|v| (v, b.inclusive))).transpose()?;
        let to = req.to.as_ref().map(|b| bound_values(b).map(|v| (v, b.inclusive))).transpose()?;
        self.with_read(|conn| {
            let meta = catalog::load(conn, &path)?.ok_or_else(|| scheme_error(format!("Path not found: {path}")))?;
            let picked: Vec<usize> = if req.columns.is_empty() {
                (0..meta.columns.len()).collect()
            } else {
                req.columns
                    .iter()
                    .map(|c| meta.column_index(c).ok_or_else(|| scheme_error(format!("Unknown column: {c}"))))
                    .collect::<R<_>>()?
            };
            let names: Vec<String> = meta.columns.iter().map(|c| quote_ident(&c.name)).collect();
            let keys: Vec<String> =
                meta.key.iter().filter_map(|k| meta.columns.get(*k)).map(|c| quote_ident(&c.name)).collect();
            let sql = format!("SELECT {} FROM {} ORDER BY {}", names.join(", "), meta.sql_name(), keys.join(", "));
            let mut stmt = conn.prepare(&sql).map_err(sql_err)?;
            let mut rows = stmt.query([]).map_err(sql_err)?;
            let mut out = Vec::new();
            while let Some(r) = rows.next().map_err(sql_err)? {
                let mut vals = Vec::with_capacity(meta.columns.len());
                for (i, c) in meta.columns.iter().enumerate() {
                    vals.push(values::from_sql(&c.ty, r.get_ref(i).map_err(sql_err)?));
                }
                let key: Vec<Value> = meta.key.iter().filter_map(|k| vals.get(*k).cloned()).collect();
                if let Some((b, inclusive)) = &from {
                    let ord = cmp_prefix(&key, b);
                    if ord == Ordering::Less || (ord == Ordering::Equal && !inclusive) {
                        continue;
                    }
                }
                if let Some((b, inclusive)) = &to {
                    let ord = cmp_prefix(&key, b);
                    if ord == Ordering::Greater || (ord == Ordering::Equal && !inclusive) {
                        break;
                    }
                }
                let items = picked
                    .iter()
                    .filter_map(|i| Some(values::to_proto(&meta.columns.get(*i)?.result_type(), vals.get(*i)?)))
                    .collect();
                out.push(ydb::Value { items, ..Default::default() });
                if req.row_limit > 0 && out.len() as u64 >= req.row_limit {
                    break;
                }
            }
            let columns = picked
                .iter()
                .filter_map(|i| meta.columns.get(*i))
                .map(|c| ydb::Column { name: c.name.clone(), r#type: Some(c.result_type().to_proto()) })
                .collect();
            Ok(ydb::ResultSet { columns, rows: out, ..Default::default() })
        })
    }

    /// A plan for ExplainDataQuery and the query service's EXPLAIN (and its FULL/PROFILE statistics): the
    /// query's statements and how each reads its tables, in YDB's plan JSON (`meta` version 0.2, `tables`
    /// with their reads and writes, and `Plan` as a tree of nodes whose `Operators` name the read:
    /// `TablePointLookup` when the filter fixes the whole primary key, `TableRangeScan` when it fixes a key
    /// prefix or lists values of the first key column, `TableFullScan` otherwise), and an AST naming the same.
    pub fn explain(&self, database: &str, yql: &str) -> R<(String, String)> {
        let stmts = super::parser::parse(yql)?;
        self.with_read(|conn| {
            let mut plan = PlanBuilder::default();
            for s in &stmts {
                match s {
                    Stmt::Select(sel) => plan.select(conn, database, sel, 0)?,
                    Stmt::Write { mode, table, .. } => plan.write(database, table, mode.name()),
                    Stmt::Update { table, .. } => plan.write(database, table, "Update"),
                    Stmt::Delete { table, .. } => plan.write(database, table, "Delete"),
                    _ => {}
                }
            }
            Ok(plan.finish())
        })
    }

    /// Records who owns a path (the user who created it); DescribePath reports it.
    pub fn set_owner(&self, database: &str, path: &str, owner: &str) -> R<()> {
        let path = normalize_path(database, path);
        self.with_write(Vec::new(), |conn| catalog::set_owner(conn, &path, owner))
    }

    /// MakeDirectory: creates the directory and missing parents; an existing directory is fine.
    pub fn make_directory(&self, database: &str, path: &str) -> R<()> {
        let path = inside_database(database, path, false)?;
        self.with_write(Vec::new(), |conn| {
            match kind_of(conn, database, &path)? {
                Some(EntryKind::Directory | EntryKind::Database) => return Ok(()),
                Some(EntryKind::Table) => {
                    return Err(scheme_error(format!(
                        "Check failed: path: '{path}', error: unexpected path type (id: 1, type: EPathTypeTable)"
                    )))
                }
                None => {}
            }
            for p in exec::parent_dirs(database, &path) {
                if catalog::load(conn, &p)?.is_some() {
                    return Err(scheme_error(format!("Check failed: path: '{p}', error: path is not a directory")));
                }
                catalog::add_dir(conn, &p)?;
            }
            catalog::add_dir(conn, &path)
        })
    }

    /// RemoveDirectory: SCHEME_ERROR when missing, not a directory, or not empty.
    pub fn remove_directory(&self, database: &str, path: &str) -> R<()> {
        let path = inside_database(database, path, false)?;
        self.with_write(Vec::new(), |conn| match kind_of(conn, database, &path)? {
            None => Err(path_not_found(&path)),
            Some(EntryKind::Database) => Err(scheme_error(format!("Cannot remove the database root: {path}"))),
            Some(EntryKind::Table) => {
                Err(scheme_error(format!("Check failed: path: '{path}', error: path is not a directory")))
            }
            Some(EntryKind::Directory) => {
                if !children(conn, &path)?.is_empty() {
                    return Err(scheme_error(format!(
                        "Check failed: path: '{path}', error: path has children, request doesn't accept it"
                    )));
                }
                catalog::remove_dir(conn, &path)
            }
        })
    }

    /// ListDirectory: the directory itself and its children.
    pub fn list_directory(&self, database: &str, path: &str) -> R<(PathEntry, Vec<PathEntry>)> {
        let path = normalize_path(database, path);
        self.with_read(|conn| {
            let kind = kind_of(conn, database, &path)?.ok_or_else(|| path_not_found(&path))?;
            let this = entry(conn, &path, kind)?;
            if kind == EntryKind::Table {
                return Ok((this, Vec::new()));
            }
            let mut out = Vec::new();
            for (name, kind) in children(conn, &path)? {
                out.push(entry(conn, &format!("{path}/{name}"), kind)?);
            }
            Ok((this, out))
        })
    }

    /// DescribePath.
    pub fn describe_path(&self, database: &str, path: &str) -> R<PathEntry> {
        let path = normalize_path(database, path);
        self.with_read(|conn| {
            let kind = kind_of(conn, database, &path)?.ok_or_else(|| path_not_found(&path))?;
            entry(conn, &path, kind)
        })
    }

    /// ModifyPermissions: `clear` first, then the actions in order.
    pub fn modify_permissions(&self, database: &str, path: &str, actions: &[PermissionAction], clear: bool) -> R<()> {
        let path = inside_database(database, path, true)?;
        self.with_write(Vec::new(), |conn| {
            kind_of(conn, database, &path)?.ok_or_else(|| path_not_found(&path))?;
            if clear {
                catalog::clear_acl(conn, &path)?;
            }
            for action in actions {
                match action {
                    PermissionAction::Grant(subject, perms) => {
                        for p in perms {
                            catalog::grant(conn, &path, subject, p)?;
                        }
                    }
                    PermissionAction::Revoke(subject, perms) => {
                        for p in perms {
                            catalog::revoke(conn, &path, subject, Some(p))?;
                        }
                    }
                    PermissionAction::Set(subject, perms) => {
                        catalog::revoke(conn, &path, subject, None)?;
                        for p in perms {
                            catalog::grant(conn, &path, subject, p)?;
                        }
                    }
                    PermissionAction::ChangeOwner(owner) => catalog::set_owner(conn, &path, owner)?,
                }
            }
            Ok(())
        })
    }
}

/// Tables a SELECT reads directly (its FROM and JOINs, and those of UNION ALL parts).
/// What [`Engine::explain`] collects: one plan node per read or write, and the tables with theirs.
#[derive(Default)]
struct PlanBuilder {
    nodes: Vec<String>,
    tables: BTreeMap<String, Vec<String>>,
}

impl PlanBuilder {
    /// The reads of a SELECT, its subqueries (at most [`super::MAX_DEPTH`] deep, as the parser allows) and
    /// its `UNION ALL` continuations.
    fn select(&mut self, conn: &Connection, database: &str, sel: &super::ast::Select, depth: u32) -> R<()> {
        use super::ast::FromSource;
        if depth > super::MAX_DEPTH {
            return Err(EngineError::generic("The query is nested too deeply"));
        }
        let mut next = Some(sel);
        while let Some(s) = next {
            if let Some(from) = &s.from {
                for item in std::iter::once(&from.first).chain(from.joins.iter().map(|(_, item, _)| item)) {
                    match &item.source {
                        FromSource::Table(t) => {
                            let path = normalize_path(database, t);
                            let meta = catalog::load(conn, &path)?;
                            let read = read_kind(meta.as_ref(), item.alias.as_deref(), t, s.where_.as_ref());
                            self.read(&path, meta.as_ref(), read);
                        }
                        FromSource::Subquery(inner) => self.select(conn, database, inner, depth + 1)?,
                        _ => {}
                    }
                }
            }
            next = s.union_all.as_deref();
        }
        Ok(())
    }

    fn read(&mut self, path: &str, meta: Option<&TableMeta>, (operator, kind): (&str, &str)) {
        let columns: Vec<String> =
            meta.map(|m| m.columns.iter().map(|c| json_string(&c.name)).collect()).unwrap_or_default();
        let name = path.rsplit('/').next().unwrap_or(path);
        self.nodes.push(format!(
            "{{\"Node Type\":\"{operator}\",\"PlanNodeType\":\"Connection\",\"Operators\":[{{\"Name\":\"{operator}\",\
             \"Table\":{},\"ReadColumns\":[{}]}}],\"Tables\":[{}]}}",
            json_string(name),
            columns.join(","),
            json_string(name)
        ));
        self.tables
            .entry(path.to_string())
            .or_default()
            .push(format!("{{\"type\":\"{kind}\",\"columns\":[{}]}}", columns.join(",")));
    }

    fn write(&mut self, database: &str, table: &str, operation: &str) {
        let path = normalize_path(database, table);
        let name = path.rsplit('/').next().unwrap_or(&path).to_string();
        self.nodes.push(format!(
            "{{\"Node Type\":\"{operation}\",\"Operators\":[{{\"Name\":\"{operation}\",\"Table\":{}}}],\
             \"Tables\":[{}]}}",
            json_string(&name),
            json_string(&name)
        ));
        let kind = if operation == "Delete" { "MultiErase" } else { "MultiUpsert" };
        self.tables.entry(path).or_default().push(format!("{{\"type\":\"{kind}\"}}"));
    }

    /// The AST and the plan JSON.
    fn finish(self) -> (String, String) {
        let tables: Vec<String> = self
            .tables
            .iter()
            .map(|(name, ops)| {
                let (writes, reads): (Vec<&String>, Vec<&String>) = ops.iter().partition(|o| o.contains("Multi"));
                let join = |v: Vec<&String>| v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",");
                format!("{{\"name\":{},\"reads\":[{}],\"writes\":[{}]}}", json_string(name), join(reads), join(writes))
            })
            .collect();
        let plan = format!(
            "{{\"meta\":{{\"version\":\"0.2\",\"type\":\"query\"}},\"tables\":[{}],\"Plan\":{{\"Node Type\":\"Query\",\
             \"PlanNodeType\":\"Query\",\"Plans\":[{{\"Node Type\":\"ResultSet\",\"PlanNodeType\":\"ResultSet\",\
             \"Plans\":[{}]}}]}}}}",
            tables.join(","),
            self.nodes.join(",")
        );
        let mut ast = String::from("(\n");
        for (i, (name, _)) in self.tables.iter().enumerate() {
            ast.push_str(&format!("(let ${} (KqpTable {} '\"\" '\"\"))\n", i + 1, json_string(name)));
        }
        ast.push_str(&format!("(return (KqpPhysicalQuery '({})))\n)\n", self.nodes.len()));
        (ast, plan)
    }
}

/// How a SELECT reads one table: the plan operator and the read type of the plan's `tables` section.
fn read_kind(
    meta: Option<&TableMeta>,
    alias: Option<&str>,
    table: &str,
    where_: Option<&Expr>,
) -> (&'static str, &'static str) {
    let full_scan = ("TableFullScan", "FullScan");
    let (Some(meta), Some(where_)) = (meta, where_) else { return full_scan };
    let ours = |qual: &Option<String>| match qual {
        None => true,
        Some(q) => Some(q.as_str()) == alias || table.rsplit('/').next() == Some(q.as_str()),
    };
    let key_names: Vec<&str> = meta.key.iter().filter_map(|k| meta.columns.get(*k)).map(|c| c.name.as_str()).collect();
    let eqs = exec::key_equalities(where_);
    let fixed = key_names.iter().take_while(|k| eqs.iter().any(|(q, n)| ours(q) && n.as_str() == **k)).count();
    if fixed > 0 && fixed == key_names.len() {
        ("TablePointLookup", "Lookup")
    } else if fixed > 0 || key_names.first().is_some_and(|k| exec::restricts_key(where_, &|q, n| ours(q) && n == *k)) {
        ("TableRangeScan", "Scan")
    } else {
        full_scan
    }
}

/// A JSON string literal.
fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
