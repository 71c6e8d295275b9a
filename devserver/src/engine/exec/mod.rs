//! Statement execution: binding, type inference and evaluation.
//!
//! Exists to run parsed statements with YDB semantics. SQLite is used as a row store (ordered by
//! primary key, with simple key-prefix pushdown); expressions, filters, aggregation, ordering and
//! projection are evaluated here in Rust on [`Value`]s so that result types, NULL handling and integer
//! ranges follow YQL rather than SQLite. Each expression is first bound against a [`Scope`] into a
//! [`BExpr`] with its inferred YDB type, then evaluated per row.
//!
//! This module owns the per-query context ([`Ctx`]: parameters, named expressions, the table path
//! prefix, cached schemas, the footprint for locks), the statement loop ([`Ctx::run`]), the shared
//! vocabulary of the submodules (scopes, bound expressions, aggregation state) and the one nesting
//! guard. The work is split by concern, as GlueSQL's executor is:
//! - `ddl`: CREATE / ALTER / DROP TABLE;
//! - `write`: UPSERT, REPLACE, INSERT, UPDATE, DELETE;
//! - `select`: sources, scans, joins and the phases of a SELECT;
//! - `aggregate`: GROUP BY and aggregate functions;
//! - `window`: window functions (`ROW_NUMBER() OVER (…)` and aggregates over windows);
//! - `bind`: expressions to typed [`BExpr`]s;
//! - `functions`: built-in functions, bound and evaluated;
//! - `typing`: type rules and value conversions;
//! - `eval`: a [`BExpr`] on a row.

use std::collections::HashMap;

use rusqlite::Connection;

use super::ast::*;
use super::cache::{catalog_version, SchemaCache};
use super::catalog::{self, TableMeta};
use super::locks::Footprint;
use super::types::Type;
use super::values::{self, Value};
use super::{EngineError, StatusCode, MAX_DEPTH};
use crate::proto::ydb;

mod aggregate;
mod bind;
mod ddl;
mod eval;
mod functions;
mod select;
pub use select::{key_equalities, restricts_key};
mod typing;
mod window;
mod write;

use functions::{Func, ListOp};
use select::to_result_set;

/// Query parameters by name without `$`.
pub type Params = HashMap<String, (Type, Value)>;

type R<T> = Result<T, EngineError>;

/// Converts the request parameters and checks them against the DECLAREs.
pub fn check_params(stmts: &[Stmt], raw: &HashMap<String, ydb::TypedValue>) -> R<Params> {
    let mut params = Params::new();
    for (name, tv) in raw {
        let key = name.strip_prefix('$').unwrap_or(name).to_string();
        let ty = tv
            .r#type
            .as_ref()
            .and_then(Type::from_proto)
            .ok_or_else(|| EngineError::bad_request(format!("Unsupported type of parameter ${key}")))?;
        let default_value = ydb::Value::default();
        let v = values::from_proto(&ty, tv.value.as_ref().unwrap_or(&default_value))
            .map_err(|e| EngineError::bad_request(format!("Bad value of parameter ${key}: {e}")))?;
        params.insert(key, (ty, v));
    }
    for s in stmts {
        if let Stmt::Declare { name, ty, line, col } = s {
            match params.get(name) {
                None => {
                    if ty.is_optional() {
                        params.insert(name.clone(), (ty.clone(), Value::Null));
                    } else {
                        let mut e = super::err_at(*line, *col, &format!("Missing value for parameter: ${name}"));
                        e.status = StatusCode::BadRequest;
                        return Err(e);
                    }
                }
                Some((actual, _)) if actual != ty => {
                    let mut e = super::err_at(
                        *line,
                        *col,
                        &format!("Parameter ${name} type mismatch, expected: {ty}, actual: {actual}"),
                    );
                    e.status = StatusCode::BadRequest;
                    return Err(e);
                }
                Some(_) => {}
            }
        }
    }
    Ok(params)
}

/// The directories between the database root and `path` (both excluded), outermost first. A path outside
/// the database keeps its first component as the root.
pub fn parent_dirs(database: &str, path: &str) -> Vec<String> {
    let root_len = if path.starts_with(&format!("{database}/")) {
        database.split('/').filter(|p| !p.is_empty()).count()
    } else {
        1
    };
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    let mut out = Vec::new();
    for end in root_len + 1..parts.len() {
        if let Some(prefix) = parts.get(..end) {
            out.push(format!("/{}", prefix.join("/")));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Scopes and bound expressions

#[derive(Debug, Clone)]
pub struct Col {
    pub qual: Option<String>,
    pub name: String,
    pub ty: Type,
}

#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub cols: Vec<Col>,
}

impl Scope {
    fn resolve(&self, qual: Option<&str>, name: &str) -> R<usize> {
        let mut found = None;
        for (i, c) in self.cols.iter().enumerate() {
            let qual_ok = match qual {
                Some(q) => c.qual.as_deref() == Some(q),
                None => true,
            };
            if qual_ok && c.name == name {
                if found.is_some() && qual.is_none() {
                    return Err(EngineError::generic(format!("Column reference is ambiguous: {name}")));
                }
                found = Some(i);
                if qual.is_some() {
                    break;
                }
            }
        }
        found.ok_or_else(|| match qual {
            Some(q) => EngineError::generic(format!("Column not found: {q}.{name}")),
            None => EngineError::generic(format!("Column not found: {name}")),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum AggFunc {
    Count,
    CountAll,
    Sum,
    Min,
    Max,
    Avg,
    Some,
}

#[derive(Debug, Clone)]
struct AggSpec {
    func: AggFunc,
    arg: Option<BExpr>,
    arg_ty: Type,
    distinct: bool,
}

struct AggState {
    src: Scope,
    keys: Vec<Expr>,
    /// `GROUP BY expr AS alias`: the alias names the key in SELECT, HAVING and ORDER BY.
    aliases: Vec<Option<String>>,
    key_src: Vec<Option<usize>>,
    key_exprs: Vec<BExpr>,
    key_types: Vec<Type>,
    aggs: Vec<AggSpec>,
}

enum Env<'s> {
    Plain(&'s Scope),
    Agg(&'s mut AggState),
}

/// A bound expression.
#[derive(Debug, Clone)]
enum BExpr {
    Const(Value),
    Col(usize),
    Neg(Box<BExpr>, Type),
    Not(Box<BExpr>),
    BitNot(Box<BExpr>, Type),
    Arith(BinOp, Box<BExpr>, Box<BExpr>, Type),
    Cmp(BinOp, Box<BExpr>, Box<BExpr>),
    Logic(BinOp, Box<BExpr>, Box<BExpr>),
    Concat(Box<BExpr>, Box<BExpr>, bool),
    Coalesce(Vec<BExpr>),
    IsNull(Box<BExpr>, bool),
    In(Box<BExpr>, Vec<BExpr>, bool),
    Like(Box<BExpr>, Box<BExpr>, bool),
    Cast(Box<BExpr>, Type, Type),
    Case(Vec<(BExpr, BExpr)>, Option<Box<BExpr>>),
    Func(Func, Vec<BExpr>),
    /// A list function with a lambda: the list, the lambda's body (bound over the row's first `usize`
    /// columns plus the lambda's argument after them).
    ListLambda(ListOp, Box<BExpr>, Box<BExpr>, usize),
}

// ---------------------------------------------------------------------------------------------
// The execution context

/// Per-query state: the connection, parameters, named expressions and cached schemas.
pub struct Ctx<'a> {
    conn: &'a Connection,
    database: String,
    prefix: Option<String>,
    params: Params,
    named: HashMap<String, Expr>,
    tables: HashMap<String, TableMeta>,
    depth: u32,
    /// The arguments of the lambdas being bound, innermost last: name, column of the body's row, type.
    locals: Vec<(String, usize, Type)>,
    /// What the statements read (table, pushed-down key prefix) and wrote (keys), for optimistic locks.
    pub footprint: Footprint,
    /// The engine's schema cache and the catalog version this transaction sees (read at first use),
    /// when these statements may use it: they run no DDL (`cache.rs`).
    schemas: Option<(&'a SchemaCache, Option<i64>)>,
}

impl<'a> Ctx<'a> {
    pub fn new(conn: &'a Connection, database: &str, params: Params) -> Ctx<'a> {
        Ctx {
            conn,
            database: database.trim_end_matches('/').to_string(),
            prefix: None,
            params,
            named: HashMap::new(),
            tables: HashMap::new(),
            depth: 0,
            locals: Vec::new(),
            footprint: Footprint::default(),
            schemas: None,
        }
    }

    /// Loads table schemas through the engine's cache (only for statements that run no DDL).
    pub fn with_schemas(mut self, cache: &'a SchemaCache) -> Ctx<'a> {
        self.schemas = Some((cache, None));
        self
    }

    /// Runs the statements, returning one result set per SELECT.
    pub fn run(&mut self, stmts: &[Stmt]) -> R<Vec<ydb::ResultSet>> {
        let mut sets = Vec::new();
        for s in stmts {
            match s {
                Stmt::Declare { .. } | Stmt::Commit => {}
                Stmt::Pragma { name, args } => self.pragma(name, args)?,
                Stmt::Assign { name, expr } => {
                    self.named.insert(name.clone(), expr.clone());
                }
                Stmt::CreateTable { name, columns, primary_key, indexes, if_not_exists } => {
                    self.create_table(name, columns, primary_key, indexes, *if_not_exists)?
                }
                Stmt::AlterTable { name, add, drop, add_indexes, drop_indexes } => {
                    self.alter_table(name, add, drop, add_indexes, drop_indexes)?
                }
                Stmt::DropTable { name, if_exists } => self.drop_table(name, *if_exists)?,
                Stmt::Select(sel) => {
                    let (cols, rows) = self.select(sel)?;
                    sets.push(to_result_set(&cols, &rows));
                }
                Stmt::Write { mode, table, columns, source, returning } => {
                    if returning.is_some() && *mode == WriteMode::DeleteOn {
                        return Err(EngineError::generic("RETURNING is not supported with DELETE ON"));
                    }
                    let mark = self.footprint.writes.len();
                    self.write(*mode, table, columns.as_deref(), source)?;
                    self.check_unique_indexes(table)?;
                    if let Some(items) = returning {
                        let rows = self.written_rows(table, mark)?;
                        sets.push(self.returning(table, items, rows)?);
                    }
                }
                Stmt::Update { table, set, where_, returning } => {
                    let mark = self.footprint.writes.len();
                    self.update(table, set, where_.as_ref())?;
                    self.check_unique_indexes(table)?;
                    if let Some(items) = returning {
                        let rows = self.written_rows(table, mark)?;
                        sets.push(self.returning(table, items, rows)?);
                    }
                }
                Stmt::Delete { table, where_, returning } => {
                    let deleted = self.delete(table, where_.as_ref())?;
                    if let Some(items) = returning {
                        sets.push(self.returning(table, items, deleted)?);
                    }
                }
            }
        }
        Ok(sets)
    }

    /// Runs `f` one level deeper (a subquery, a named expression used inside another): the one guard that
    /// keeps hostile nesting from overflowing the stack, with the parser's bound ([`MAX_DEPTH`]).
    fn nested<T>(&mut self, too_deep: &str, f: impl FnOnce(&mut Self) -> R<T>) -> R<T> {
        if self.depth >= MAX_DEPTH {
            return Err(EngineError::generic(too_deep));
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    fn pragma(&mut self, name: &str, args: &[Expr]) -> R<()> {
        if name.eq_ignore_ascii_case("TablePathPrefix") {
            let v = match args.first() {
                Some(e) => self.const_eval(e)?.1,
                None => return Err(EngineError::generic("PRAGMA TablePathPrefix needs a value")),
            };
            let s = match v {
                Value::Bytes(b) => String::from_utf8_lossy(&b).into_owned(),
                Value::Text(t) => t,
                _ => return Err(EngineError::generic("PRAGMA TablePathPrefix needs a string")),
            };
            self.prefix = Some(s.trim_end_matches('/').to_string());
        }
        // Other pragmas are accepted and ignored.
        Ok(())
    }

    fn resolve_path(&self, name: &str) -> String {
        let full = if name.starts_with('/') {
            name.to_string()
        } else if let Some(p) = &self.prefix {
            if p.starts_with('/') {
                format!("{p}/{name}")
            } else {
                format!("{}/{p}/{name}", self.database)
            }
        } else {
            format!("{}/{name}", self.database)
        };
        let mut out = String::new();
        for part in full.split('/').filter(|p| !p.is_empty()) {
            out.push('/');
            out.push_str(part);
        }
        out
    }

    fn table(&mut self, name: &str) -> R<TableMeta> {
        let path = self.resolve_path(name);
        if let Some(t) = self.tables.get(&path) {
            return Ok(t.clone());
        }
        let loaded = match &mut self.schemas {
            Some((cache, version)) => {
                let version = match version {
                    Some(v) => *v,
                    None => *version.insert(catalog_version(self.conn)?),
                };
                cache.load(self.conn, version, &path)?
            }
            None => catalog::load(self.conn, &path)?,
        };
        match loaded {
            Some(t) => {
                self.tables.insert(path, t.clone());
                Ok(t)
            }
            None => Err(EngineError::new(
                StatusCode::SchemeError,
                format!(
                    "Cannot find table 'db.[{path}]' because it does not exist or you do not have access permissions. \
                     Please check correctness of table path and user permissions."
                ),
            )),
        }
    }
}
