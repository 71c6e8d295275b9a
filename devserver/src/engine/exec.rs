//! Statement execution: binding, type inference and evaluation.
//!
//! Exists to run parsed statements with YDB semantics. SQLite is used as a row store (ordered by
//! primary key, with simple key-prefix pushdown); expressions, filters, aggregation, ordering and
//! projection are evaluated here in Rust on [`Value`]s so that result types, NULL handling and integer
//! ranges follow YQL rather than SQLite. Each expression is first bound against a [`Scope`] into a
//! [`BExpr`] with its inferred YDB type, then evaluated per row.

use std::cmp::Ordering;
use std::collections::HashMap;

use rusqlite::Connection;

use super::ast::*;
use super::catalog::{self, quote_ident, ColumnMeta, TableMeta};
use super::datetime::{self, Part, Period, MICROS_PER_DAY, MICROS_PER_SECOND};
use super::locks::{key_part, Footprint, Touch};
use super::math::{self, MathFn};
use super::text::{self, TextFn};
use super::types::{Prim, Type};
use super::values::{self, compare, pow10, total_cmp, Value};
use super::{sql_err, EngineError, StatusCode};
use crate::proto::ydb;

/// Query parameters by name without `$`.
pub type Params = HashMap<String, (Type, Value)>;

type R<T> = Result<T, EngineError>;

fn gen(msg: impl Into<String>) -> EngineError {
    EngineError::generic(msg)
}

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

/// A column definition checked against what a table can hold.
fn column_meta(c: &ColumnDef) -> R<ColumnMeta> {
    let ty = c.ty.unopt().clone();
    if !matches!(ty, Type::Prim(_) | Type::Decimal(..)) {
        return Err(gen(format!("Unsupported column type {} of column {}", c.ty, c.name)));
    }
    Ok(ColumnMeta { name: c.name.clone(), ty, not_null: c.not_null && !c.ty.is_optional() })
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
                    return Err(gen(format!("Column reference is ambiguous: {name}")));
                }
                found = Some(i);
                if qual.is_some() {
                    break;
                }
            }
        }
        found.ok_or_else(|| match qual {
            Some(q) => gen(format!("Column not found: {q}.{name}")),
            None => gen(format!("Column not found: {name}")),
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

#[derive(Debug, Clone, Copy, PartialEq)]
enum Func {
    Length,
    Substring,
    Unwrap,
    If,
    AsList,
    AsTuple,
    StartsWith,
    EndsWith,
    Contains,
    Upper,
    Lower,
    Abs,
    ListLength,
    /// `DateTime::Get…` of a moment counted in this many microseconds per unit (Date: a day's,
    /// Datetime: a second's, Timestamp: 1).
    DtGet(Part, i128),
    /// `DateTime::GetMonthName` / `GetDayOfWeekName` (a String).
    DtName(Part, i128),
    /// `DateTime::StartOf…`: a Timestamp; NULL before the epoch.
    DtStart(Period, i128),
    /// `DateTime::Format(pattern)(moment)`: arguments pattern, moment.
    DtFormat(i128),
    /// Unit conversions (`MakeDate`, `ToSeconds`, `IntervalFromDays`, …): `value * mul / div`, truncated;
    /// NULL outside the target type's range.
    Scale(i128, i128, Prim),
    /// A `Math::` function of Doubles (integers converted); `true`: it answers a Bool.
    Math(MathFn, bool),
    /// `Math::Mod` (false) / `Math::Rem` (true) of Int64s; NULL for a zero divisor.
    MathMod(bool),
    /// A `String::` (false: bytes) or `Unicode::` (true: code points) function.
    Text(TextFn, bool),
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
    /// What the statements read (table, pushed-down key prefix) and wrote (keys), for optimistic locks.
    pub footprint: Footprint,
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
            footprint: Footprint::default(),
        }
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
                Stmt::Write { mode, table, columns, source } => self.write(*mode, table, columns.as_deref(), source)?,
                Stmt::Update { table, set, where_ } => self.update(table, set, where_.as_ref())?,
                Stmt::Delete { table, where_ } => self.delete(table, where_.as_ref())?,
            }
        }
        Ok(sets)
    }

    fn pragma(&mut self, name: &str, args: &[Expr]) -> R<()> {
        if name.eq_ignore_ascii_case("TablePathPrefix") {
            let v = match args.first() {
                Some(e) => self.const_eval(e)?.1,
                None => return Err(gen("PRAGMA TablePathPrefix needs a value")),
            };
            let s = match v {
                Value::Bytes(b) => String::from_utf8_lossy(&b).into_owned(),
                Value::Text(t) => t,
                _ => return Err(gen("PRAGMA TablePathPrefix needs a string")),
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
        match catalog::load(self.conn, &path)? {
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

    // ---- DDL ----

    fn create_table(
        &mut self,
        name: &str,
        columns: &[ColumnDef],
        pk: &[String],
        indexes: &[IndexDef],
        if_not_exists: bool,
    ) -> R<()> {
        let path = self.resolve_path(name);
        if catalog::load(self.conn, &path)?.is_some() {
            if if_not_exists {
                return Ok(());
            }
            return Err(EngineError::new(StatusCode::AlreadyExists, format!("Table already exists: {path}")));
        }
        if catalog::is_dir(self.conn, &path)? {
            return Err(EngineError::new(
                StatusCode::SchemeError,
                format!("Check failed: path: '{path}', error: path exists, but it is a directory"),
            ));
        }
        let parents = parent_dirs(&self.database, &path);
        for p in &parents {
            if catalog::load(self.conn, p)?.is_some() {
                return Err(EngineError::new(
                    StatusCode::SchemeError,
                    format!("Check failed: path: '{p}', error: path is not a directory"),
                ));
            }
        }
        let mut cols: Vec<ColumnMeta> = Vec::new();
        for c in columns {
            if cols.iter().any(|x| x.name == c.name) {
                return Err(gen(format!("Duplicate column name: {}", c.name)));
            }
            cols.push(column_meta(c)?);
        }
        if pk.is_empty() {
            return Err(gen("Primary key is required for a table"));
        }
        let mut key = Vec::new();
        for k in pk {
            let i = cols
                .iter()
                .position(|c| &c.name == k)
                .ok_or_else(|| gen(format!("Undefined column: {k} in primary key")))?;
            if key.contains(&i) {
                return Err(gen(format!("Duplicate primary key column: {k}")));
            }
            if let Some(Prim::Float | Prim::Double | Prim::Json | Prim::Yson | Prim::JsonDocument) =
                cols.get(i).and_then(|c| c.ty.prim())
            {
                return Err(gen(format!("Column {k} of this type cannot be used as a key column")));
            }
            key.push(i);
        }
        let mut names: Vec<&str> = Vec::new();
        for ix in indexes {
            if names.contains(&ix.name.as_str()) {
                return Err(gen(format!("Duplicate index name: {}", ix.name)));
            }
            names.push(&ix.name);
            if ix.columns.is_empty() {
                return Err(gen(format!("Index {} has no columns", ix.name)));
            }
            for c in ix.columns.iter().chain(&ix.data_columns) {
                if !cols.iter().any(|x| &x.name == c) {
                    return Err(EngineError::new(
                        StatusCode::SchemeError,
                        format!("Index {} refers to an unknown column: {c}", ix.name),
                    ));
                }
            }
        }
        let meta = TableMeta { path: path.clone(), columns: cols, key };
        for p in &parents {
            catalog::add_dir(self.conn, p)?;
        }
        catalog::create(self.conn, &meta)?;
        catalog::add_indexes(self.conn, &path, indexes)?;
        self.tables.remove(&path);
        self.footprint.writes.push(Touch::Table(path));
        Ok(())
    }

    fn alter_table(
        &mut self,
        name: &str,
        add: &[ColumnDef],
        drop: &[String],
        add_indexes: &[IndexDef],
        drop_indexes: &[String],
    ) -> R<()> {
        let meta = self.table(name)?;
        let path = meta.path.clone();
        let mut indexes = catalog::load_indexes(self.conn, &path)?;
        for name in drop_indexes {
            if !indexes.iter().any(|ix| &ix.name == name) {
                return Err(EngineError::new(
                    StatusCode::SchemeError,
                    format!("Index '{name}' does not exist in table {path}"),
                ));
            }
            indexes.retain(|ix| &ix.name != name);
        }
        for c in drop {
            let i = meta.column_index(c).ok_or_else(|| {
                EngineError::new(StatusCode::SchemeError, format!("Column '{c}' does not exist in table {path}"))
            })?;
            if meta.is_key(i) {
                return Err(EngineError::new(StatusCode::BadRequest, format!("Cannot drop key column: '{c}'")));
            }
            if indexes.iter().any(|ix| ix.columns.contains(c) || ix.data_columns.contains(c)) {
                return Err(EngineError::new(
                    StatusCode::BadRequest,
                    format!("Cannot drop column '{c}': it is used by an index"),
                ));
            }
        }
        let mut added: Vec<ColumnMeta> = Vec::new();
        for c in add {
            if meta.column_index(&c.name).is_some() || added.iter().any(|x| x.name == c.name) {
                return Err(EngineError::new(
                    StatusCode::BadRequest,
                    format!("Column '{}' already exists in table {path}", c.name),
                ));
            }
            let col = column_meta(c)?;
            if col.not_null {
                return Err(EngineError::new(
                    StatusCode::BadRequest,
                    format!("Cannot add a NOT NULL column '{}' to an existing table", c.name),
                ));
            }
            added.push(col);
        }
        let columns_after: Vec<&str> = meta
            .columns
            .iter()
            .map(|c| c.name.as_str())
            .filter(|c| !drop.iter().any(|d| d == c))
            .chain(added.iter().map(|c| c.name.as_str()))
            .collect();
        for ix in add_indexes {
            if indexes.iter().any(|x| x.name == ix.name) {
                return Err(EngineError::new(StatusCode::AlreadyExists, format!("Index '{}' already exists", ix.name)));
            }
            if ix.columns.is_empty() {
                return Err(EngineError::new(StatusCode::BadRequest, format!("Index {} has no columns", ix.name)));
            }
            if let Some(c) = ix.columns.iter().chain(&ix.data_columns).find(|c| !columns_after.contains(&c.as_str())) {
                return Err(EngineError::new(
                    StatusCode::SchemeError,
                    format!("Index {} refers to an unknown column: {c}", ix.name),
                ));
            }
            indexes.push(ix.clone());
        }
        for c in drop {
            catalog::drop_column(self.conn, &path, c)?;
        }
        for c in &added {
            catalog::add_column(self.conn, &path, c)?;
        }
        catalog::set_indexes(self.conn, &path, &indexes)?;
        self.tables.remove(&path);
        self.footprint.writes.push(Touch::Table(path));
        Ok(())
    }

    fn drop_table(&mut self, name: &str, if_exists: bool) -> R<()> {
        let path = self.resolve_path(name);
        if catalog::load(self.conn, &path)?.is_none() {
            if if_exists {
                return Ok(());
            }
            return Err(EngineError::new(StatusCode::SchemeError, format!("Path does not exist: {path}")));
        }
        catalog::drop_table(self.conn, &path)?;
        self.tables.remove(&path);
        self.footprint.writes.push(Touch::Table(path));
        Ok(())
    }

    // ---- writes ----

    fn write(&mut self, mode: WriteMode, table: &str, columns: Option<&[String]>, source: &WriteSource) -> R<()> {
        let meta = self.table(table)?;
        let (src_names, src_types, rows): (Vec<Option<String>>, Vec<Type>, Vec<Vec<Value>>) = match source {
            WriteSource::Values(rows) => {
                let (types, out) = self.values_rows(rows)?;
                (vec![None; types.len()], types, out)
            }
            WriteSource::Select(sel) => {
                let (cols, rows) = self.select(sel)?;
                (cols.iter().map(|c| Some(c.name.clone())).collect(), cols.into_iter().map(|c| c.ty).collect(), rows)
            }
        };
        let targets: Vec<String> = match columns {
            Some(c) => c.to_vec(),
            None => {
                if src_names.iter().all(|n| n.is_some()) {
                    src_names.iter().flatten().cloned().collect()
                } else {
                    meta.columns.iter().map(|c| c.name.clone()).collect()
                }
            }
        };
        if targets.len() != src_types.len() {
            return Err(gen(format!(
                "{} column count mismatch: {} target columns, {} values",
                mode.name(),
                targets.len(),
                src_types.len()
            )));
        }
        let mut idxs = Vec::new();
        for t in &targets {
            let i = meta.column_index(t).ok_or_else(|| gen(format!("No such column: {t} in table {}", meta.path)))?;
            if idxs.contains(&i) {
                return Err(gen(format!("Duplicate column: {t}")));
            }
            idxs.push(i);
        }
        for k in &meta.key {
            if !idxs.contains(k) {
                let name = meta.columns.get(*k).map(|c| c.name.as_str()).unwrap_or("?");
                return Err(gen(format!("Missing key column in input: {name} for table: {}", meta.path)));
            }
        }
        if matches!(mode, WriteMode::Replace | WriteMode::Insert) {
            for (i, c) in meta.columns.iter().enumerate() {
                if c.not_null && !idxs.contains(&i) {
                    return Err(EngineError::bad_request(format!(
                        "Missing not null column in input: {}. All not null columns should be initialized",
                        c.name
                    )));
                }
            }
        }
        let col_metas: Vec<&ColumnMeta> = idxs.iter().filter_map(|i| meta.columns.get(*i)).collect();
        for (c, st) in col_metas.iter().zip(&src_types) {
            check_assignable(st, c)?;
        }
        let names: Vec<String> = col_metas.iter().map(|c| quote_ident(&c.name)).collect();
        let marks: Vec<String> = (1..=names.len()).map(|i| format!("?{i}")).collect();
        let keys: Vec<String> =
            meta.key.iter().filter_map(|k| meta.columns.get(*k)).map(|c| quote_ident(&c.name)).collect();
        // For DELETE ON only the key values are bound, in key order.
        let key_positions: Vec<usize> = meta.key.iter().filter_map(|k| idxs.iter().position(|i| i == k)).collect();
        let key_match: Vec<String> = keys.iter().enumerate().map(|(n, k)| format!("{k} = ?{}", n + 1)).collect();
        // What an upsert does on a key that exists: set the written non-key columns.
        let conflict_action = || {
            let sets: Vec<String> = idxs
                .iter()
                .filter(|i| !meta.is_key(**i))
                .filter_map(|i| meta.columns.get(*i))
                .map(|c| format!("{0} = excluded.{0}", quote_ident(&c.name)))
                .collect();
            if sets.is_empty() {
                "NOTHING".to_string()
            } else {
                format!("UPDATE SET {}", sets.join(", "))
            }
        };
        let sql = match mode {
            WriteMode::DeleteOn => format!("DELETE FROM {} WHERE {}", meta.sql_name(), key_match.join(" AND ")),
            WriteMode::UpdateOn => {
                // An upsert that only fires when the key exists: an update of existing rows.
                let exists: Vec<String> = meta
                    .key
                    .iter()
                    .filter_map(|k| Some((meta.columns.get(*k)?, idxs.iter().position(|i| i == k)?)))
                    .map(|(c, pos)| format!("{} = ?{}", quote_ident(&c.name), pos + 1))
                    .collect();
                format!(
                    "INSERT INTO {0} ({1}) SELECT {2} WHERE EXISTS (SELECT 1 FROM {0} WHERE {3}) \
                     ON CONFLICT ({4}) DO {5}",
                    meta.sql_name(),
                    names.join(", "),
                    marks.join(", "),
                    exists.join(" AND "),
                    keys.join(", "),
                    conflict_action()
                )
            }
            WriteMode::Replace => {
                format!(
                    "INSERT OR REPLACE INTO {} ({}) VALUES ({})",
                    meta.sql_name(),
                    names.join(", "),
                    marks.join(", ")
                )
            }
            WriteMode::Insert => {
                format!("INSERT INTO {} ({}) VALUES ({})", meta.sql_name(), names.join(", "), marks.join(", "))
            }
            WriteMode::Upsert => {
                format!(
                    "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) DO {}",
                    meta.sql_name(),
                    names.join(", "),
                    marks.join(", "),
                    keys.join(", "),
                    conflict_action()
                )
            }
        };
        let mut stmt = self.conn.prepare_cached(&sql).map_err(sql_err)?;
        for row in rows {
            let mut bind = Vec::with_capacity(row.len());
            for ((v, c), st) in row.into_iter().zip(&col_metas).zip(&src_types) {
                let v = convert_to_column(v, st, c)?;
                bind.push(values::to_sql(&c.ty, &v));
            }
            let key = key_positions.iter().filter_map(|p| bind.get(*p)).map(key_part).collect();
            self.footprint.writes.push(Touch::Key(meta.path.clone(), key));
            if mode == WriteMode::DeleteOn {
                bind = key_positions.iter().filter_map(|p| bind.get(*p).cloned()).collect();
            }
            stmt.execute(rusqlite::params_from_iter(bind)).map_err(|e| write_err(e, mode))?;
        }
        Ok(())
    }

    /// Evaluates `VALUES` rows as YQL types them: each column's type unifies the rows' types (an integer
    /// and a Double make a Double column), and every value is converted to it.
    fn values_rows(&mut self, rows: &[Vec<Expr>]) -> R<(Vec<Type>, Vec<Vec<Value>>)> {
        let width = rows.first().map(|r| r.len()).unwrap_or(0);
        let mut types: Vec<Type> = vec![Type::Null; width];
        let mut typed = Vec::with_capacity(rows.len());
        for r in rows {
            if r.len() != width {
                return Err(gen("VALUES rows have different numbers of columns"));
            }
            let mut cells = Vec::with_capacity(width);
            for (slot, e) in types.iter_mut().zip(r) {
                let (t, v) = self.const_eval(e)?;
                *slot = if *slot == Type::Null { t.clone() } else { unify(slot, &t)? };
                cells.push((t, v));
            }
            typed.push(cells);
        }
        let mut out = Vec::with_capacity(typed.len());
        for cells in typed {
            let mut row = Vec::with_capacity(width);
            for ((t, v), to) in cells.into_iter().zip(&types) {
                row.push(convert_implicit(v, &t, to.unopt()).map_err(gen)?);
            }
            out.push(row);
        }
        Ok((types, out))
    }

    fn update(&mut self, table: &str, set: &[(String, Expr)], where_: Option<&Expr>) -> R<()> {
        let meta = self.table(table)?;
        let scope = table_scope(&meta, None);
        let filter = match where_ {
            Some(w) => Some(self.bind_bool(w, &scope)?),
            None => None,
        };
        let mut sets = Vec::new();
        for (name, e) in set {
            let i = meta.column_index(name).ok_or_else(|| gen(format!("No such column: {name}")))?;
            if meta.is_key(i) {
                return Err(gen(format!("Cannot update primary key column: {name}")));
            }
            let (b, t) = self.bind(e, &mut Env::Plain(&scope))?;
            let c = meta.columns.get(i).ok_or_else(|| gen("bad column"))?;
            check_assignable(&t, c)?;
            sets.push((i, b, t));
        }
        let rows = self.scan(&meta, filter.as_ref(), &scope, where_)?;
        if sets.is_empty() {
            return Ok(());
        }
        let set_sql: Vec<String> = sets
            .iter()
            .enumerate()
            .filter_map(|(n, (i, _, _))| meta.columns.get(*i).map(|c| format!("{} = ?{}", quote_ident(&c.name), n + 1)))
            .collect();
        let key_sql: Vec<String> = meta
            .key
            .iter()
            .enumerate()
            .filter_map(|(n, k)| {
                meta.columns.get(*k).map(|c| format!("{} = ?{}", quote_ident(&c.name), sets.len() + n + 1))
            })
            .collect();
        let sql = format!("UPDATE {} SET {} WHERE {}", meta.sql_name(), set_sql.join(", "), key_sql.join(" AND "));
        let mut stmt = self.conn.prepare_cached(&sql).map_err(sql_err)?;
        for row in rows {
            let mut bind = Vec::new();
            for (i, b, t) in &sets {
                let c = meta.columns.get(*i).ok_or_else(|| gen("bad column"))?;
                let v = convert_to_column(eval(b, &row)?, t, c)?;
                bind.push(values::to_sql(&c.ty, &v));
            }
            for k in &meta.key {
                let c = meta.columns.get(*k).ok_or_else(|| gen("bad column"))?;
                bind.push(values::to_sql(&c.ty, row.get(*k).unwrap_or(&Value::Null)));
            }
            let key = bind.get(sets.len()..).unwrap_or_default().iter().map(key_part).collect();
            self.footprint.writes.push(Touch::Key(meta.path.clone(), key));
            stmt.execute(rusqlite::params_from_iter(bind)).map_err(|e| write_err(e, WriteMode::Upsert))?;
        }
        Ok(())
    }

    fn delete(&mut self, table: &str, where_: Option<&Expr>) -> R<()> {
        let meta = self.table(table)?;
        let scope = table_scope(&meta, None);
        let filter = match where_ {
            Some(w) => Some(self.bind_bool(w, &scope)?),
            None => None,
        };
        let rows = self.scan(&meta, filter.as_ref(), &scope, where_)?;
        let key_sql: Vec<String> = meta
            .key
            .iter()
            .enumerate()
            .filter_map(|(n, k)| meta.columns.get(*k).map(|c| format!("{} = ?{}", quote_ident(&c.name), n + 1)))
            .collect();
        let sql = format!("DELETE FROM {} WHERE {}", meta.sql_name(), key_sql.join(" AND "));
        let mut stmt = self.conn.prepare_cached(&sql).map_err(sql_err)?;
        for row in rows {
            let mut bind = Vec::new();
            for k in &meta.key {
                let c = meta.columns.get(*k).ok_or_else(|| gen("bad column"))?;
                bind.push(values::to_sql(&c.ty, row.get(*k).unwrap_or(&Value::Null)));
            }
            self.footprint.writes.push(Touch::Key(meta.path.clone(), bind.iter().map(key_part).collect()));
            stmt.execute(rusqlite::params_from_iter(bind)).map_err(sql_err)?;
        }
        Ok(())
    }

    /// Reads a table's rows in key order, filtered. `where_` (the unbound filter) is used to push
    /// equality conditions on a key prefix down to SQLite.
    fn scan(
        &mut self,
        meta: &TableMeta,
        filter: Option<&BExpr>,
        scope: &Scope,
        where_: Option<&Expr>,
    ) -> R<Vec<Vec<Value>>> {
        let cols: Vec<String> = meta.columns.iter().map(|c| quote_ident(&c.name)).collect();
        let keys: Vec<String> =
            meta.key.iter().filter_map(|k| meta.columns.get(*k)).map(|c| quote_ident(&c.name)).collect();
        let mut conds = Vec::new();
        let mut bind = Vec::new();
        if let Some(w) = where_ {
            let mut eqs = Vec::new();
            collect_key_eqs(w, &mut eqs);
            for k in &meta.key {
                let c = match meta.columns.get(*k) {
                    Some(c) => c,
                    None => break,
                };
                let found =
                    eqs.iter().find(|(q, n, _)| *n == c.name && scope.resolve(q.as_deref(), n).ok() == Some(*k));
                let Some((_, _, e)) = found else { break };
                let (t, v) = match self.const_eval(e) {
                    Ok(x) => x,
                    Err(_) => break,
                };
                if v.is_null() {
                    break;
                }
                match convert_implicit(v, &t, &c.ty) {
                    Ok(v) => {
                        conds.push(format!("{} = ?{}", quote_ident(&c.name), bind.len() + 1));
                        bind.push(values::to_sql(&c.ty, &v));
                    }
                    Err(_) => break,
                }
            }
        }
        if conds.is_empty() {
            // No key prefix pushed down: lock the first key column's alternatives when the filter
            // names them (`k = $a OR k = $b`, `k IN (…)`), else the whole table.
            let prefixes = self.key_alternatives(meta, scope, where_).unwrap_or_else(|| vec![Vec::new()]);
            for prefix in prefixes {
                self.footprint.reads.push((meta.path.clone(), prefix));
            }
        } else {
            self.footprint.reads.push((meta.path.clone(), bind.iter().map(key_part).collect()));
        }
        let where_sql = if conds.is_empty() { String::new() } else { format!(" WHERE {}", conds.join(" AND ")) };
        let sql =
            format!("SELECT {} FROM {}{} ORDER BY {}", cols.join(", "), meta.sql_name(), where_sql, keys.join(", "));
        let mut stmt = self.conn.prepare_cached(&sql).map_err(sql_err)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(bind)).map_err(sql_err)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(sql_err)? {
            let mut vals = Vec::with_capacity(meta.columns.len());
            for (i, c) in meta.columns.iter().enumerate() {
                let v = r.get_ref(i).map_err(sql_err)?;
                vals.push(values::from_sql(&c.ty, v));
            }
            if let Some(f) = filter {
                if eval(f, &vals)? != Value::Bool(true) {
                    continue;
                }
            }
            out.push(vals);
        }
        Ok(out)
    }

    /// The values a filter restricts the first key column to, encoded as one-column lock prefixes, or
    /// `None` when it does not restrict it to constants.
    fn key_alternatives(
        &mut self,
        meta: &TableMeta,
        scope: &Scope,
        where_: Option<&Expr>,
    ) -> Option<Vec<Vec<Vec<u8>>>> {
        let first = *meta.key.first()?;
        let col = meta.columns.get(first)?;
        let is_key = |qual: &Option<String>, name: &str| scope.resolve(qual.as_deref(), name).ok() == Some(first);
        let alternatives = first_key_alternatives(where_?, &is_key)?;
        let mut prefixes = Vec::with_capacity(alternatives.len());
        for e in alternatives {
            let (t, v) = self.const_eval(e).ok()?;
            if v.is_null() {
                continue; // `k = NULL` matches nothing
            }
            let v = convert_implicit(v, &t, &col.ty).ok()?;
            prefixes.push(vec![key_part(&values::to_sql(&col.ty, &v))]);
        }
        Some(prefixes)
    }

    // ---- SELECT ----

    fn source(&mut self, item: &FromItem) -> R<(Scope, Vec<Vec<Value>>, Option<TableMeta>)> {
        match &item.source {
            FromSource::Table(name) => {
                let meta = self.table(name)?;
                let qual = item.alias.clone().or_else(|| name.rsplit('/').next().map(str::to_string));
                let scope = table_scope(&meta, qual);
                Ok((scope, Vec::new(), Some(meta)))
            }
            FromSource::AsTable(e) => {
                let (t, v) = self.const_eval(e)?;
                let members = match t.unopt() {
                    Type::List(inner) => match inner.unopt() {
                        Type::Struct(ms) => ms.clone(),
                        other => return Err(gen(format!("AS_TABLE expects a list of structs, got List<{other}>"))),
                    },
                    Type::EmptyList => Vec::new(),
                    other => return Err(gen(format!("AS_TABLE expects a list of structs, got {other}"))),
                };
                let scope = Scope {
                    cols: members.into_iter().map(|(n, ty)| Col { qual: item.alias.clone(), name: n, ty }).collect(),
                };
                let rows = match v {
                    Value::List(items) => items
                        .into_iter()
                        .map(|r| match r {
                            Value::List(fields) => fields,
                            _ => Vec::new(),
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                Ok((scope, rows, None))
            }
            FromSource::Subquery(sel) => {
                let (cols, rows) = self.select(sel)?;
                Ok((subquery_scope(cols, item.alias.clone()), rows, None))
            }
            FromSource::Named(name) => {
                let e =
                    self.named.get(name).cloned().ok_or_else(|| gen(format!("Unknown named expression ${name}")))?;
                match e {
                    Expr::Subquery(sel) => {
                        let (cols, rows) = self.select(&sel)?;
                        Ok((subquery_scope(cols, item.alias.clone().or(Some(name.clone()))), rows, None))
                    }
                    other => {
                        let it = FromItem { source: FromSource::AsTable(other), alias: item.alias.clone() };
                        self.source(&it)
                    }
                }
            }
        }
    }

    /// Runs a SELECT: output columns and rows.
    fn select(&mut self, sel: &Select) -> R<(Vec<Col>, Vec<Vec<Value>>)> {
        self.depth += 1;
        if self.depth > 64 {
            return Err(gen("Query is nested too deeply"));
        }
        let res = self.select_inner(sel);
        self.depth -= 1;
        let (cols, rows) = res?;
        if let Some(next) = &sel.union_all {
            let (cols2, rows2) = self.select(next)?;
            if cols2.len() != cols.len() {
                return Err(gen("UNION ALL inputs have different numbers of columns"));
            }
            let merged: Vec<Col> = cols
                .into_iter()
                .zip(cols2)
                .map(|(a, b)| {
                    let ty = if a.ty == b.ty { a.ty } else { a.ty.make_optional() };
                    Col { qual: None, name: a.name, ty }
                })
                .collect();
            let mut all = rows;
            all.extend(rows2);
            return Ok((merged, all));
        }
        Ok((cols, rows))
    }

    fn select_inner(&mut self, sel: &Select) -> R<(Vec<Col>, Vec<Vec<Value>>)> {
        // 1. FROM
        let (scope, mut rows) = match &sel.from {
            None => (Scope::default(), vec![Vec::new()]),
            Some(from) => {
                let (mut scope, rows, meta) = self.source(&from.first)?;
                let mut rows = match meta {
                    Some(m) if from.joins.is_empty() => {
                        let filter = match &sel.where_ {
                            Some(w) => Some(self.bind_bool(w, &scope)?),
                            None => None,
                        };
                        self.scan(&m, filter.as_ref(), &scope, sel.where_.as_ref())?
                    }
                    Some(m) => self.scan(&m, None, &scope, None)?,
                    None => rows,
                };
                for (kind, item, cond) in &from.joins {
                    let (s2, r2, m2) = self.source(item)?;
                    let r2 = match m2 {
                        Some(m) => self.scan(&m, None, &s2, None)?,
                        None => r2,
                    };
                    let (ns, nr) = self.join(*kind, scope, rows, s2, r2, cond.as_ref())?;
                    scope = ns;
                    rows = nr;
                }
                // WHERE for non-table sources (a single table is filtered during the scan).
                let filtered_in_scan = from.joins.is_empty() && matches!(from.first.source, FromSource::Table(_));
                if let (Some(w), false) = (&sel.where_, filtered_in_scan) {
                    let f = self.bind_bool(w, &scope)?;
                    let mut kept = Vec::new();
                    for r in rows {
                        if eval(&f, &r)? == Value::Bool(true) {
                            kept.push(r);
                        }
                    }
                    rows = kept;
                }
                (scope, rows)
            }
        };
        if sel.from.is_none() {
            if let Some(w) = &sel.where_ {
                let f = self.bind_bool(w, &scope)?;
                if eval(&f, &[])? != Value::Bool(true) {
                    rows.clear();
                }
            }
        }

        // 2. Projection items (stars expanded).
        let mut items: Vec<(Expr, String)> = Vec::new();
        for (i, it) in sel.items.iter().enumerate() {
            match it {
                SelectItem::Star => {
                    for c in &scope.cols {
                        items.push((Expr::Column { qual: c.qual.clone(), name: c.name.clone() }, c.name.clone()));
                    }
                }
                SelectItem::QualifiedStar(q) => {
                    let mut any = false;
                    for c in scope.cols.iter().filter(|c| c.qual.as_deref() == Some(q.as_str())) {
                        any = true;
                        items.push((Expr::Column { qual: c.qual.clone(), name: c.name.clone() }, c.name.clone()));
                    }
                    if !any {
                        return Err(gen(format!("Unknown correlation name: {q}")));
                    }
                }
                SelectItem::Expr { expr, alias } => {
                    let name = match (alias, expr) {
                        (Some(a), _) => a.clone(),
                        (None, Expr::Column { name, .. }) => name.clone(),
                        _ => format!("column{i}"),
                    };
                    items.push((expr.clone(), name));
                }
            }
        }

        let is_agg = !sel.group_by.is_empty()
            || sel.having.is_some()
            || items.iter().any(|(e, _)| contains_agg(e))
            || sel.order_by.iter().any(|(e, _)| contains_agg(e));

        // 3. Bind projections, HAVING and ORDER BY.
        let mut out_cols = Vec::new();
        let mut proj = Vec::new();
        let mut sort_keys: Vec<(SortKey, bool)> = Vec::new();
        let mut having = None;
        let pre_rows: Vec<Vec<Value>>;
        if is_agg {
            let mut st = AggState {
                src: scope.clone(),
                keys: sel.group_by.iter().map(|(k, _)| k.clone()).collect(),
                aliases: sel.group_by.iter().map(|(_, a)| a.clone()).collect(),
                key_src: Vec::new(),
                key_exprs: Vec::new(),
                key_types: Vec::new(),
                aggs: Vec::new(),
            };
            for (k, _) in &sel.group_by {
                let (b, t) = self.bind(k, &mut Env::Plain(&scope))?;
                st.key_src.push(match &b {
                    BExpr::Col(i) => Some(*i),
                    _ => None,
                });
                st.key_exprs.push(b);
                st.key_types.push(t);
            }
            for (e, name) in &items {
                let (b, t) = self.bind(e, &mut Env::Agg(&mut st))?;
                out_cols.push(Col { qual: None, name: name.clone(), ty: t });
                proj.push(b);
            }
            if let Some(h) = &sel.having {
                let (b, t) = self.bind(h, &mut Env::Agg(&mut st))?;
                check_bool(&t)?;
                having = Some(b);
            }
            for (e, desc) in &sel.order_by {
                let key = match output_ref(e, &items, &out_cols) {
                    Some(i) => SortKey::Out(i),
                    None => SortKey::Pre(self.bind(e, &mut Env::Agg(&mut st))?.0),
                };
                sort_keys.push((key, *desc));
            }
            pre_rows = aggregate(&st, &rows)?;
        } else {
            for (e, name) in &items {
                let (b, t) = self.bind(e, &mut Env::Plain(&scope))?;
                out_cols.push(Col { qual: None, name: name.clone(), ty: t });
                proj.push(b);
            }
            for (e, desc) in &sel.order_by {
                let key = match output_ref(e, &items, &out_cols) {
                    Some(i) => SortKey::Out(i),
                    None => SortKey::Pre(self.bind(e, &mut Env::Plain(&scope))?.0),
                };
                sort_keys.push((key, *desc));
            }
            pre_rows = rows;
        }

        // 4. Evaluate.
        let mut out: Vec<(Vec<Value>, Vec<Value>)> = Vec::with_capacity(pre_rows.len());
        for r in &pre_rows {
            if let Some(h) = &having {
                if eval(h, r)? != Value::Bool(true) {
                    continue;
                }
            }
            let vals = proj.iter().map(|b| eval(b, r)).collect::<R<Vec<_>>>()?;
            let mut keys = Vec::new();
            for (k, _) in &sort_keys {
                keys.push(match k {
                    SortKey::Out(i) => vals.get(*i).cloned().unwrap_or(Value::Null),
                    SortKey::Pre(b) => eval(b, r)?,
                });
            }
            out.push((vals, keys));
        }
        if !sort_keys.is_empty() {
            let desc: Vec<bool> = sort_keys.iter().map(|(_, d)| *d).collect();
            out.sort_by(|a, b| {
                for ((x, y), d) in a.1.iter().zip(&b.1).zip(&desc) {
                    let o = total_cmp(x, y);
                    if o != Ordering::Equal {
                        return if *d { o.reverse() } else { o };
                    }
                }
                Ordering::Equal
            });
        }
        let mut rows: Vec<Vec<Value>> = out.into_iter().map(|(v, _)| v).collect();
        if sel.distinct {
            let mut seen: Vec<Vec<Value>> = Vec::new();
            rows.retain(|r| {
                if seen
                    .iter()
                    .any(|s| s.len() == r.len() && s.iter().zip(r).all(|(a, b)| total_cmp(a, b) == Ordering::Equal))
                {
                    false
                } else {
                    seen.push(r.clone());
                    true
                }
            });
        }
        let offset = match &sel.offset {
            Some(e) => self.const_u64(e, "OFFSET")?,
            None => 0,
        };
        let limit = match &sel.limit {
            Some(e) => Some(self.const_u64(e, "LIMIT")?),
            None => None,
        };
        let rows: Vec<Vec<Value>> = rows
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(limit.map(|l| usize::try_from(l).unwrap_or(usize::MAX)).unwrap_or(usize::MAX))
            .collect();
        Ok((out_cols, rows))
    }

    fn const_u64(&mut self, e: &Expr, what: &str) -> R<u64> {
        let (_, v) = self.const_eval(e)?;
        match v {
            Value::Int(i) if i >= 0 => Ok(u64::try_from(i).unwrap_or(u64::MAX)),
            _ => Err(gen(format!("{what} must be a non-negative integer"))),
        }
    }

    fn join(
        &mut self,
        kind: JoinKind,
        left: Scope,
        lrows: Vec<Vec<Value>>,
        right: Scope,
        rrows: Vec<Vec<Value>>,
        cond: Option<&JoinCond>,
    ) -> R<(Scope, Vec<Vec<Value>>)> {
        let lw = left.cols.len();
        let rw = right.cols.len();
        let mut scope = left.clone();
        scope.cols.extend(right.cols.iter().cloned());
        let pred = match cond {
            None => None,
            Some(JoinCond::On(e)) => Some(self.bind_bool(e, &scope)?),
            Some(JoinCond::Using(cols)) => {
                let mut parts = Vec::new();
                for c in cols {
                    let li = left.resolve(None, c)?;
                    let ri = right.resolve(None, c)?;
                    parts.push(BExpr::Cmp(BinOp::Eq, Box::new(BExpr::Col(li)), Box::new(BExpr::Col(lw + ri))));
                }
                parts.into_iter().reduce(|a, b| BExpr::Logic(BinOp::And, Box::new(a), Box::new(b)))
            }
        };
        if kind != JoinKind::Cross && pred.is_none() {
            return Err(gen("JOIN needs an ON or USING condition"));
        }
        let opt = |s: &Scope| Scope {
            cols: s
                .cols
                .iter()
                .map(|c| Col { qual: c.qual.clone(), name: c.name.clone(), ty: c.ty.clone().make_optional() })
                .collect(),
        };
        let mut out = Vec::new();
        let mut rmatched = vec![false; rrows.len()];
        for l in &lrows {
            let mut matched = false;
            for (ri, r) in rrows.iter().enumerate() {
                let mut row = l.clone();
                row.extend(r.iter().cloned());
                let ok = match &pred {
                    None => true,
                    Some(p) => eval(p, &row)? == Value::Bool(true),
                };
                if ok {
                    matched = true;
                    if let Some(m) = rmatched.get_mut(ri) {
                        *m = true;
                    }
                    if matches!(
                        kind,
                        JoinKind::Inner | JoinKind::Cross | JoinKind::Left | JoinKind::Right | JoinKind::Full
                    ) {
                        out.push(row);
                    }
                }
            }
            match kind {
                JoinKind::Left | JoinKind::Full if !matched => {
                    let mut row = l.clone();
                    row.extend(std::iter::repeat_n(Value::Null, rw));
                    out.push(row);
                }
                JoinKind::LeftSemi if matched => out.push(l.clone()),
                JoinKind::LeftOnly if !matched => out.push(l.clone()),
                _ => {}
            }
        }
        if matches!(kind, JoinKind::Right | JoinKind::Full) {
            for (r, m) in rrows.iter().zip(&rmatched) {
                if !m {
                    let mut row: Vec<Value> = std::iter::repeat_n(Value::Null, lw).collect();
                    row.extend(r.iter().cloned());
                    out.push(row);
                }
            }
        }
        let scope = match kind {
            JoinKind::LeftSemi | JoinKind::LeftOnly => left,
            JoinKind::Left => {
                let mut s = left;
                s.cols.extend(opt(&right).cols);
                s
            }
            JoinKind::Right => {
                let mut s = opt(&left);
                s.cols.extend(right.cols);
                s
            }
            JoinKind::Full => {
                let mut s = opt(&left);
                s.cols.extend(opt(&right).cols);
                s
            }
            _ => scope,
        };
        Ok((scope, out))
    }

    // ---- binding ----

    fn const_eval(&mut self, e: &Expr) -> R<(Type, Value)> {
        let scope = Scope::default();
        let (b, t) = self.bind(e, &mut Env::Plain(&scope))?;
        Ok((t, eval(&b, &[])?))
    }

    fn bind_bool(&mut self, e: &Expr, scope: &Scope) -> R<BExpr> {
        let (b, t) = self.bind(e, &mut Env::Plain(scope))?;
        check_bool(&t)?;
        Ok(b)
    }

    fn bind(&mut self, e: &Expr, env: &mut Env<'_>) -> R<(BExpr, Type)> {
        // Aggregation mode: group keys and aggregate calls become group-row columns.
        if let Env::Agg(st) = env {
            if let Some(i) = st.keys.iter().position(|k| k == e) {
                return Ok((BExpr::Col(i), st.key_types.get(i).cloned().unwrap_or(Type::Null)));
            }
            if let Expr::Column { qual: None, name } = e {
                if let Some(i) = st.aliases.iter().position(|a| a.as_deref() == Some(name.as_str())) {
                    return Ok((BExpr::Col(i), st.key_types.get(i).cloned().unwrap_or(Type::Null)));
                }
            }
            if let Expr::Column { qual, name } = e {
                let si = st.src.resolve(qual.as_deref(), name)?;
                return match st.key_src.iter().position(|k| *k == Some(si)) {
                    Some(i) => Ok((BExpr::Col(i), st.key_types.get(i).cloned().unwrap_or(Type::Null))),
                    None => Err(gen(format!("Column {name} must be used in an aggregate function or in GROUP BY"))),
                };
            }
            if let Expr::Call { name, args, distinct, star } = e {
                if let Some(func) = agg_func(name, *star) {
                    let src = st.src.clone();
                    let (arg, arg_ty) = match args.first() {
                        Some(a) if func != AggFunc::CountAll => {
                            let (b, t) = self.bind(a, &mut Env::Plain(&src))?;
                            (Some(b), t)
                        }
                        _ => (None, Type::Null),
                    };
                    let ty = agg_type(func, &arg_ty)?;
                    let idx = st.keys.len() + st.aggs.len();
                    st.aggs.push(AggSpec { func, arg, arg_ty, distinct: *distinct });
                    return Ok((BExpr::Col(idx), ty));
                }
            }
        }
        match e {
            Expr::Lit(t, v) => Ok((BExpr::Const(v.clone()), t.clone())),
            Expr::Param(name) => {
                if let Some(named) = self.named.get(name).cloned() {
                    self.depth += 1;
                    if self.depth > 64 {
                        return Err(gen("Named expressions are nested too deeply"));
                    }
                    let r = self.bind(&named, env);
                    self.depth -= 1;
                    return r;
                }
                match self.params.get(name) {
                    Some((t, v)) => Ok((BExpr::Const(v.clone()), t.clone())),
                    None => Err(gen(format!("Unknown name: ${name}"))),
                }
            }
            Expr::Column { qual, name } => match env {
                Env::Plain(scope) => {
                    let i = scope.resolve(qual.as_deref(), name)?;
                    let t = scope.cols.get(i).map(|c| c.ty.clone()).unwrap_or(Type::Null);
                    Ok((BExpr::Col(i), t))
                }
                Env::Agg(_) => Err(gen(format!("Column not found: {name}"))),
            },
            Expr::Subquery(sel) => {
                let (cols, rows) = self.select(sel)?;
                let col = cols.first().ok_or_else(|| gen("Subquery returns no columns"))?;
                if rows.len() > 1 {
                    return Err(gen("Scalar subquery returned more than one row"));
                }
                let v = rows.first().and_then(|r| r.first()).cloned().unwrap_or(Value::Null);
                Ok((BExpr::Const(v), col.ty.clone().make_optional()))
            }
            Expr::Tuple(items) => {
                let mut bs = Vec::new();
                let mut ts = Vec::new();
                for i in items {
                    let (b, t) = self.bind(i, env)?;
                    bs.push(b);
                    ts.push(t);
                }
                Ok((BExpr::Func(Func::AsTuple, bs), Type::Tuple(ts)))
            }
            Expr::Struct(members) => {
                // A struct value is its members in order, as parameters and AS_TABLE rows are.
                let mut bs = Vec::new();
                let mut ts = Vec::new();
                for (name, e) in members {
                    if ts.iter().any(|(n, _): &(String, Type)| n == name) {
                        return Err(gen(format!("Duplicate member {name} in AsStruct")));
                    }
                    let (b, t) = self.bind(e, env)?;
                    bs.push(b);
                    ts.push((name.clone(), t));
                }
                Ok((BExpr::Func(Func::AsTuple, bs), Type::Struct(ts)))
            }
            Expr::Unary(op, inner) => {
                let (b, t) = self.bind(inner, env)?;
                match op {
                    UnOp::Not => {
                        check_bool(&t)?;
                        Ok((BExpr::Not(Box::new(b)), t))
                    }
                    UnOp::Plus => Ok((b, t)),
                    UnOp::Neg => {
                        let p = t.prim();
                        let ok = matches!(t.unopt(), Type::Decimal(..))
                            || p.is_some_and(|p| p.is_numeric() || p == Prim::Interval);
                        if !ok {
                            return Err(gen(format!("Cannot negate a value of type {t}")));
                        }
                        Ok((BExpr::Neg(Box::new(b), t.unopt().clone()), t))
                    }
                    UnOp::BitNot => {
                        if !t.prim().is_some_and(Prim::is_integer) {
                            return Err(gen(format!("Bitwise NOT needs an integer, got {t}")));
                        }
                        Ok((BExpr::BitNot(Box::new(b), t.unopt().clone()), t))
                    }
                }
            }
            Expr::Binary(op, l, r) => self.bind_binary(*op, l, r, env),
            Expr::IsNull { expr, negated } => {
                let (b, _) = self.bind(expr, env)?;
                Ok((BExpr::IsNull(Box::new(b), *negated), Type::Prim(Prim::Bool)))
            }
            Expr::Between { expr, lo, hi, negated } => {
                let ge = Expr::Binary(BinOp::Ge, expr.clone(), lo.clone());
                let le = Expr::Binary(BinOp::Le, expr.clone(), hi.clone());
                let both = Expr::Binary(BinOp::And, Box::new(ge), Box::new(le));
                let e = if *negated { Expr::Unary(UnOp::Not, Box::new(both)) } else { both };
                self.bind(&e, env)
            }
            Expr::In { expr, list, negated } => {
                let (b, t) = self.bind(expr, env)?;
                let mut items = Vec::new();
                let mut opt = t.is_optional();
                for it in list {
                    let (ib, it_ty) = match it {
                        Expr::Subquery(sel) => {
                            let (cols, rows) = self.select(sel)?;
                            let ty = cols.first().map(|c| c.ty.clone()).unwrap_or(Type::Null);
                            let vals = rows.into_iter().filter_map(|r| r.into_iter().next()).collect();
                            (BExpr::Const(Value::List(vals)), Type::List(Box::new(ty)))
                        }
                        other => self.bind(other, env)?,
                    };
                    // `x IN $list` with a list-typed parameter.
                    if list.len() == 1 {
                        if let Type::List(inner) | Type::Dict(inner, _) = it_ty.unopt() {
                            opt |= inner.is_optional() || it_ty.is_optional();
                            let (_, coerced) = comparable(&t, inner)?;
                            let _ = coerced;
                            let bt = if opt { Type::optional(Type::Prim(Prim::Bool)) } else { Type::Prim(Prim::Bool) };
                            return Ok((
                                BExpr::In(Box::new(b), vec![BExpr::Func(Func::ListLength, vec![ib])], *negated),
                                bt,
                            ));
                        }
                        if matches!(it_ty.unopt(), Type::EmptyList) {
                            return Ok((BExpr::Const(Value::Bool(*negated)), Type::Prim(Prim::Bool)));
                        }
                    }
                    comparable(&t, &it_ty)?;
                    opt |= it_ty.is_optional();
                    items.push(ib);
                }
                let bt = if opt { Type::optional(Type::Prim(Prim::Bool)) } else { Type::Prim(Prim::Bool) };
                Ok((BExpr::In(Box::new(b), items, *negated), bt))
            }
            Expr::Like { expr, pattern, negated } => {
                let (b, t) = self.bind(expr, env)?;
                let (p, pt) = self.bind(pattern, env)?;
                if !t.prim().is_some_and(Prim::is_stringlike) || !pt.prim().is_some_and(Prim::is_stringlike) {
                    return Err(gen("LIKE needs string arguments"));
                }
                let bt = if t.is_optional() || pt.is_optional() {
                    Type::optional(Type::Prim(Prim::Bool))
                } else {
                    Type::Prim(Prim::Bool)
                };
                Ok((BExpr::Like(Box::new(b), Box::new(p), *negated), bt))
            }
            Expr::Cast { expr, ty } => {
                let (b, t) = self.bind(expr, env)?;
                if !castable(t.unopt(), ty.unopt()) {
                    return Err(gen(format!("Cannot cast type {t} into {ty}")));
                }
                // A literal that converts is folded and keeps the plain type.
                if let BExpr::Const(v) = &b {
                    if let Some(cv) = cast_value(v, &t, ty) {
                        if !cv.is_null() || ty.is_optional() {
                            return Ok((BExpr::Const(cv), ty.clone()));
                        }
                    }
                }
                let always_ok = !t.is_optional() && cast_never_fails(t.unopt(), ty.unopt());
                let rt = if always_ok { ty.clone() } else { ty.clone().make_optional() };
                Ok((BExpr::Cast(Box::new(b), t, ty.clone()), rt))
            }
            Expr::Case { operand, whens, else_ } => {
                let mut arms = Vec::new();
                let mut rtype: Option<Type> = None;
                let op = match operand {
                    Some(o) => Some(self.bind(o, env)?),
                    None => None,
                };
                for (c, v) in whens {
                    let (cb, ct) = match &op {
                        Some((ob, ot)) => {
                            let (cb, ct) = self.bind(c, env)?;
                            comparable(ot, &ct)?;
                            (BExpr::Cmp(BinOp::Eq, Box::new(ob.clone()), Box::new(cb)), Type::Prim(Prim::Bool))
                        }
                        None => self.bind(c, env)?,
                    };
                    check_bool(&ct)?;
                    let (vb, vt) = self.bind(v, env)?;
                    rtype = Some(match rtype {
                        None => vt,
                        Some(rt) => unify(&rt, &vt)?,
                    });
                    arms.push((cb, vb));
                }
                let else_b = match else_ {
                    Some(e) => {
                        let (b, t) = self.bind(e, env)?;
                        rtype = Some(match rtype {
                            None => t,
                            Some(rt) => unify(&rt, &t)?,
                        });
                        Some(Box::new(b))
                    }
                    None => {
                        rtype = rtype.map(Type::make_optional);
                        None
                    }
                };
                Ok((BExpr::Case(arms, else_b), rtype.unwrap_or(Type::Null)))
            }
            Expr::Call { name, args, distinct: _, star } => self.bind_call(name, args, *star, env),
        }
    }

    fn bind_binary(&mut self, op: BinOp, l: &Expr, r: &Expr, env: &mut Env<'_>) -> R<(BExpr, Type)> {
        let (lb, lt) = self.bind(l, env)?;
        let (rb, rt) = self.bind(r, env)?;
        let opt = lt.is_optional() || rt.is_optional();
        let wrap = |t: Type| if opt { t.make_optional() } else { t };
        match op {
            BinOp::And | BinOp::Or | BinOp::Xor => {
                check_bool(&lt)?;
                check_bool(&rt)?;
                Ok((BExpr::Logic(op, Box::new(lb), Box::new(rb)), wrap(Type::Prim(Prim::Bool))))
            }
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let (lc, rc) = comparable(&lt, &rt)?;
                let lb = coerce(lb, &lt, lc);
                let rb = coerce(rb, &rt, rc);
                Ok((BExpr::Cmp(op, Box::new(lb), Box::new(rb)), wrap(Type::Prim(Prim::Bool))))
            }
            BinOp::Coalesce => {
                let t = unify(lt.unopt(), &rt)?;
                Ok((BExpr::Coalesce(vec![lb, rb]), if rt.is_optional() { t.make_optional() } else { t }))
            }
            BinOp::Concat => {
                let (lp, rp) = (lt.prim(), rt.prim());
                match (lp, rp) {
                    (Some(a), Some(b)) if a.is_stringlike() && b.is_stringlike() => {
                        let text = a == Prim::Utf8 && b == Prim::Utf8;
                        let t = Type::Prim(if text { Prim::Utf8 } else { Prim::String });
                        Ok((BExpr::Concat(Box::new(lb), Box::new(rb), text), wrap(t)))
                    }
                    _ => Err(gen(format!("Cannot concatenate {lt} and {rt}"))),
                }
            }
            _ => {
                let (t, lc, rc) = arith_type(op, lt.unopt(), rt.unopt())?;
                let lb = coerce(lb, &lt, lc);
                let rb = coerce(rb, &rt, rc);
                let int_div = matches!(op, BinOp::Div | BinOp::Mod)
                    && (t.prim().is_some_and(|p| p.is_integer()) || matches!(t, Type::Decimal(..)));
                let rtype = if int_div || opt { t.clone().make_optional() } else { t.clone() };
                Ok((BExpr::Arith(op, Box::new(lb), Box::new(rb), t), rtype))
            }
        }
    }

    fn bind_call(&mut self, name: &str, args: &[Expr], star: bool, env: &mut Env<'_>) -> R<(BExpr, Type)> {
        if let Some(var) = name.strip_prefix('$') {
            // `$f(x)` where `$f = Module::Function(a)`: the call `Module::Function(a, x)`.
            return match self.named.get(var).cloned() {
                Some(Expr::Call { name: inner, args: first, .. }) => {
                    let all: Vec<Expr> = first.into_iter().chain(args.iter().cloned()).collect();
                    self.depth += 1;
                    if self.depth > 64 {
                        return Err(gen("Named expressions are nested too deeply"));
                    }
                    let bound = self.bind_call(&inner, &all, false, env);
                    self.depth -= 1;
                    bound
                }
                _ => Err(gen(format!("${var} is not a function"))),
            };
        }
        let lower = name.to_ascii_lowercase();
        if agg_func(name, star).is_some() {
            return Err(gen(format!("Aggregate function {name} is not allowed here")));
        }
        // Typed literal constructors: Uint64("1"), Date("2024-01-01"), Decimal("1.5", 22, 9), ...
        if let Some(p) = Prim::from_name(name) {
            let a = args.first().ok_or_else(|| gen(format!("{name}() needs an argument")))?;
            let (t, v) = self.const_eval(a)?;
            let target = Type::Prim(p);
            let cv = cast_value(&v, &t, &target)
                .filter(|v| !v.is_null())
                .ok_or_else(|| gen(format!("Invalid value for {name} literal")))?;
            return Ok((BExpr::Const(cv), target));
        }
        if lower == "decimal" {
            let (Some(a), Some(p), Some(s)) = (args.first(), args.get(1), args.get(2)) else {
                return Err(gen("Decimal() needs 3 arguments"));
            };
            let p = u8::try_from(self.const_u64(p, "Decimal precision")?).unwrap_or(0);
            let s = u8::try_from(self.const_u64(s, "Decimal scale")?).unwrap_or(0);
            if p == 0 || p > 35 || s > p {
                return Err(gen("Invalid Decimal parameters"));
            }
            let (t, v) = self.const_eval(a)?;
            let target = Type::Decimal(p, s);
            let cv = cast_value(&v, &t, &target)
                .filter(|v| !v.is_null())
                .ok_or_else(|| gen("Invalid value for Decimal literal"))?;
            return Ok((BExpr::Const(cv), target));
        }
        match lower.as_str() {
            "currentutcdate" | "currentutcdatetime" | "currentutctimestamp" => {
                let micros = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_micros() as i128)
                    .unwrap_or(0);
                let (p, v) = match lower.as_str() {
                    "currentutcdate" => (Prim::Date, micros / 86_400_000_000),
                    "currentutcdatetime" => (Prim::Datetime, micros / 1_000_000),
                    _ => (Prim::Timestamp, micros),
                };
                return Ok((BExpr::Const(Value::Int(v)), Type::Prim(p)));
            }
            "randomuuid" => {
                let u = uuid::Uuid::new_v4();
                let v = values::parse_uuid(&u.to_string()).unwrap_or(0);
                return Ok((BExpr::Const(Value::Uuid(v)), Type::Prim(Prim::Uuid)));
            }
            _ => {}
        }
        let mut bs = Vec::new();
        let mut ts = Vec::new();
        for a in args {
            let (b, t) = self.bind(a, env)?;
            bs.push(b);
            ts.push(t);
        }
        let t0 = ts.first().cloned().unwrap_or(Type::Null);
        let arity = |n: usize| -> R<()> {
            if bs.len() == n {
                Ok(())
            } else {
                Err(gen(format!("{name}() expects {n} argument(s)")))
            }
        };
        match lower.as_str() {
            "coalesce" | "nvl" => {
                if bs.is_empty() {
                    return Err(gen("COALESCE needs arguments"));
                }
                let mut t = t0.unopt().clone();
                for x in ts.iter().skip(1) {
                    t = unify(&t, x.unopt())?;
                }
                let last_opt = ts.last().is_some_and(Type::is_optional);
                Ok((BExpr::Coalesce(bs), if last_opt { t.make_optional() } else { t }))
            }
            "length" | "len" => {
                arity(1)?;
                if !t0.prim().is_some_and(Prim::is_stringlike) {
                    return Err(gen(format!("LENGTH needs a string, got {t0}")));
                }
                let t = Type::Prim(Prim::Uint32);
                Ok((BExpr::Func(Func::Length, bs), if t0.is_optional() { t.make_optional() } else { t }))
            }
            "substring" => {
                if bs.len() < 2 || bs.len() > 3 {
                    return Err(gen("SUBSTRING expects 2 or 3 arguments"));
                }
                Ok((
                    BExpr::Func(Func::Substring, bs),
                    if t0.is_optional() { Type::optional(Type::Prim(Prim::String)) } else { Type::Prim(Prim::String) },
                ))
            }
            "unwrap" => {
                if bs.is_empty() {
                    return Err(gen("Unwrap needs an argument"));
                }
                bs.truncate(1);
                Ok((BExpr::Func(Func::Unwrap, bs), t0.unopt().clone()))
            }
            "if" => {
                if bs.len() != 3 && bs.len() != 2 {
                    return Err(gen("IF expects 2 or 3 arguments"));
                }
                check_bool(&t0)?;
                let t = match (ts.get(1), ts.get(2)) {
                    (Some(a), Some(b)) => unify(a, b)?,
                    (Some(a), None) => a.clone().make_optional(),
                    _ => Type::Null,
                };
                Ok((BExpr::Func(Func::If, bs), t))
            }
            "aslist" => {
                let mut it: Option<Type> = None;
                for t in &ts {
                    it = Some(match it {
                        None => t.clone(),
                        Some(x) => unify(&x, t)?,
                    });
                }
                let Some(item) = it else {
                    return Ok((BExpr::Func(Func::AsList, bs), Type::EmptyList));
                };
                // Items take the list's item type (`AsList(1, 2.5)` is a List<Double> of Doubles).
                let target = item.unopt().clone();
                let bs = bs
                    .into_iter()
                    .zip(&ts)
                    .map(|(b, t)| match (t.unopt(), &target) {
                        (from, Type::Prim(_) | Type::Struct(_)) if *from != target && *from != Type::Null => {
                            BExpr::Cast(Box::new(b), from.clone(), target.clone())
                        }
                        _ => b,
                    })
                    .collect();
                Ok((BExpr::Func(Func::AsList, bs), Type::List(Box::new(item))))
            }
            "astuple" => Ok((BExpr::Func(Func::AsTuple, bs), Type::Tuple(ts))),
            "startswith" | "endswith" | "string::startswith" | "string::endswith" | "string::contains" | "find" => {
                arity(2)?;
                let f = match lower.trim_start_matches("string::") {
                    "startswith" => Func::StartsWith,
                    "endswith" => Func::EndsWith,
                    _ => Func::Contains,
                };
                let opt = ts.iter().any(Type::is_optional);
                let t = Type::Prim(Prim::Bool);
                Ok((BExpr::Func(f, bs), if opt { t.make_optional() } else { t }))
            }
            "unicode::toupper"
            | "unicode::tolower"
            | "string::asciitoupper"
            | "string::asciitolower"
            | "upper"
            | "lower" => {
                arity(1)?;
                let f = if lower.contains("upper") { Func::Upper } else { Func::Lower };
                Ok((BExpr::Func(f, bs), t0))
            }
            "abs" => {
                arity(1)?;
                Ok((BExpr::Func(Func::Abs, bs), t0))
            }
            _ if lower.starts_with("datetime::") => bind_datetime(name, &lower, bs, &ts),
            _ if lower.starts_with("math::") => bind_math(name, &lower, bs, &ts),
            _ if lower.starts_with("string::") || lower.starts_with("unicode::") => bind_text(name, &lower, bs, &ts),
            "listlength" => {
                arity(1)?;
                Ok((BExpr::Func(Func::ListLength, bs), Type::Prim(Prim::Uint64)))
            }
            _ => Err(gen(format!("Unknown function: {name}"))),
        }
    }
}

enum SortKey {
    Out(usize),
    Pre(BExpr),
}

/// An ORDER BY expression naming an output column (by alias or the same expression).
fn output_ref(e: &Expr, items: &[(Expr, String)], out: &[Col]) -> Option<usize> {
    if let Expr::Column { qual: None, name } = e {
        if let Some(i) = out.iter().position(|c| &c.name == name) {
            return Some(i);
        }
    }
    items.iter().position(|(ie, _)| ie == e)
}

fn table_scope(meta: &TableMeta, qual: Option<String>) -> Scope {
    Scope {
        cols: meta
            .columns
            .iter()
            .map(|c| Col { qual: qual.clone(), name: c.name.clone(), ty: c.result_type() })
            .collect(),
    }
}

fn subquery_scope(cols: Vec<Col>, alias: Option<String>) -> Scope {
    Scope { cols: cols.into_iter().map(|c| Col { qual: alias.clone(), name: c.name, ty: c.ty }).collect() }
}

/// `col = const` conjuncts of a WHERE (for key pushdown).
fn collect_key_eqs<'e>(e: &'e Expr, out: &mut Vec<(Option<String>, String, &'e Expr)>) {
    match e {
        Expr::Binary(BinOp::And, l, r) => {
            collect_key_eqs(l, out);
            collect_key_eqs(r, out);
        }
        Expr::Binary(BinOp::Eq, l, r) => match (l.as_ref(), r.as_ref()) {
            (Expr::Column { qual, name }, c) | (c, Expr::Column { qual, name }) if is_const(c) => {
                out.push((qual.clone(), name.clone(), c));
            }
            _ => {}
        },
        _ => {}
    }
}

/// The constant expressions a filter restricts a key column to: `k = c`, `k IN (c, …)`, a disjunction of
/// such restrictions, or a conjunction with one of them. `None` when the filter does not restrict it.
fn first_key_alternatives<'e>(e: &'e Expr, is_key: &dyn Fn(&Option<String>, &str) -> bool) -> Option<Vec<&'e Expr>> {
    match e {
        Expr::Binary(BinOp::And, l, r) => {
            first_key_alternatives(l, is_key).or_else(|| first_key_alternatives(r, is_key))
        }
        Expr::Binary(BinOp::Or, l, r) => {
            let mut both = first_key_alternatives(l, is_key)?;
            both.extend(first_key_alternatives(r, is_key)?);
            Some(both)
        }
        Expr::Binary(BinOp::Eq, l, r) => match (l.as_ref(), r.as_ref()) {
            (Expr::Column { qual, name }, c) | (c, Expr::Column { qual, name })
                if is_const(c) && is_key(qual, name) =>
            {
                Some(vec![c])
            }
            _ => None,
        },
        Expr::In { expr, list, negated: false } => match expr.as_ref() {
            Expr::Column { qual, name } if is_key(qual, name) && list.iter().all(is_const) => {
                Some(list.iter().collect())
            }
            _ => None,
        },
        _ => None,
    }
}

fn is_const(e: &Expr) -> bool {
    match e {
        Expr::Lit(..) | Expr::Param(_) => true,
        Expr::Cast { expr, .. } => is_const(expr),
        Expr::Unary(_, x) => is_const(x),
        Expr::Call { name, args, .. } => Prim::from_name(name).is_some() && args.iter().all(is_const),
        _ => false,
    }
}

fn contains_agg(e: &Expr) -> bool {
    match e {
        Expr::Call { name, args, star, .. } => agg_func(name, *star).is_some() || args.iter().any(contains_agg),
        Expr::Unary(_, x) | Expr::Cast { expr: x, .. } => contains_agg(x),
        Expr::IsNull { expr, .. } => contains_agg(expr),
        Expr::Binary(_, l, r) => contains_agg(l) || contains_agg(r),
        Expr::Between { expr, lo, hi, .. } => contains_agg(expr) || contains_agg(lo) || contains_agg(hi),
        Expr::In { expr, list, .. } => contains_agg(expr) || list.iter().any(contains_agg),
        Expr::Like { expr, pattern, .. } => contains_agg(expr) || contains_agg(pattern),
        Expr::Case { operand, whens, else_ } => {
            operand.as_deref().is_some_and(contains_agg)
                || whens.iter().any(|(a, b)| contains_agg(a) || contains_agg(b))
                || else_.as_deref().is_some_and(contains_agg)
        }
        Expr::Tuple(xs) => xs.iter().any(contains_agg),
        Expr::Struct(members) => members.iter().any(|(_, x)| contains_agg(x)),
        _ => false,
    }
}

fn agg_func(name: &str, star: bool) -> Option<AggFunc> {
    Some(match name.to_ascii_lowercase().as_str() {
        "count" if star => AggFunc::CountAll,
        "count" => AggFunc::Count,
        "sum" => AggFunc::Sum,
        "min" => AggFunc::Min,
        "max" => AggFunc::Max,
        "avg" => AggFunc::Avg,
        "some" => AggFunc::Some,
        _ => return None,
    })
}

fn agg_type(f: AggFunc, arg: &Type) -> R<Type> {
    Ok(match f {
        AggFunc::Count | AggFunc::CountAll => Type::Prim(Prim::Uint64),
        AggFunc::Min | AggFunc::Max | AggFunc::Some => arg.clone().make_optional(),
        AggFunc::Avg => match arg.unopt() {
            Type::Decimal(..) => arg.clone().make_optional(),
            t if t.prim().is_some_and(|p| p.is_numeric() || p == Prim::Interval) => {
                Type::optional(if t.prim() == Some(Prim::Interval) { t.clone() } else { Type::Prim(Prim::Double) })
            }
            t => return Err(gen(format!("AVG is not defined for {t}"))),
        },
        AggFunc::Sum => match arg.unopt() {
            Type::Decimal(_, s) => Type::optional(Type::Decimal(35, *s)),
            Type::Prim(p) if p.is_integer() && p.is_signed() => Type::optional(Type::Prim(Prim::Int64)),
            Type::Prim(p) if p.is_integer() => Type::optional(Type::Prim(Prim::Uint64)),
            Type::Prim(p) if p.is_float() => Type::optional(Type::Prim(Prim::Double)),
            Type::Prim(Prim::Interval) => Type::optional(Type::Prim(Prim::Interval)),
            Type::Null => Type::Null,
            t => return Err(gen(format!("SUM is not defined for {t}"))),
        },
    })
}

/// Groups rows and computes aggregates: each output row is `[keys..., aggregates...]`.
fn aggregate(st: &AggState, rows: &[Vec<Value>]) -> R<Vec<Vec<Value>>> {
    let mut groups: Vec<(Vec<Value>, Vec<Vec<Value>>)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for r in rows {
        let key = st.key_exprs.iter().map(|k| eval(k, r)).collect::<R<Vec<_>>>()?;
        let hk = format!("{key:?}");
        let gi = match index.get(&hk) {
            Some(i) => *i,
            None => {
                groups.push((key, vec![Vec::new(); st.aggs.len()]));
                index.insert(hk, groups.len() - 1);
                groups.len() - 1
            }
        };
        if let Some((_, accs)) = groups.get_mut(gi) {
            for (spec, acc) in st.aggs.iter().zip(accs.iter_mut()) {
                let v = match &spec.arg {
                    Some(a) => eval(a, r)?,
                    None => Value::Bool(true),
                };
                acc.push(v);
            }
        }
    }
    if groups.is_empty() && st.keys.is_empty() {
        groups.push((Vec::new(), vec![Vec::new(); st.aggs.len()]));
    }
    let mut out = Vec::new();
    for (key, accs) in groups {
        let mut row = key;
        for (spec, vals) in st.aggs.iter().zip(accs) {
            row.push(finish_agg(spec, vals)?);
        }
        out.push(row);
    }
    Ok(out)
}

fn finish_agg(spec: &AggSpec, vals: Vec<Value>) -> R<Value> {
    let mut vals: Vec<Value> =
        if spec.func == AggFunc::CountAll { vals } else { vals.into_iter().filter(|v| !v.is_null()).collect() };
    if spec.distinct {
        let mut seen: Vec<Value> = Vec::new();
        vals.retain(|v| {
            if seen.iter().any(|s| total_cmp(s, v) == Ordering::Equal) {
                false
            } else {
                seen.push(v.clone());
                true
            }
        });
    }
    Ok(match spec.func {
        AggFunc::Count | AggFunc::CountAll => Value::Int(vals.len() as i128),
        AggFunc::Some => vals.into_iter().next().unwrap_or(Value::Null),
        AggFunc::Min => vals
            .into_iter()
            .reduce(|a, b| if total_cmp(&b, &a) == Ordering::Less { b } else { a })
            .unwrap_or(Value::Null),
        AggFunc::Max => vals
            .into_iter()
            .reduce(|a, b| if total_cmp(&b, &a) == Ordering::Greater { b } else { a })
            .unwrap_or(Value::Null),
        AggFunc::Sum | AggFunc::Avg => {
            if vals.is_empty() {
                return Ok(Value::Null);
            }
            let n = vals.len();
            let is_float = spec.arg_ty.prim().is_some_and(Prim::is_float);
            if is_float
                || spec.func == AggFunc::Avg
                    && !matches!(spec.arg_ty.unopt(), Type::Decimal(..))
                    && spec.arg_ty.prim() != Some(Prim::Interval)
            {
                let mut s = 0f64;
                for v in &vals {
                    s += match v {
                        Value::Int(i) => *i as f64,
                        Value::Float(f) => *f,
                        _ => 0.0,
                    };
                }
                if spec.func == AggFunc::Avg {
                    Value::Float(s / n as f64)
                } else {
                    Value::Float(s)
                }
            } else {
                let mut s: i128 = 0;
                for v in &vals {
                    if let Value::Int(i) | Value::Decimal(i) = v {
                        s = s.checked_add(*i).ok_or_else(|| gen("SUM overflow"))?;
                    }
                }
                let dec = matches!(spec.arg_ty.unopt(), Type::Decimal(..));
                if spec.func == AggFunc::Avg {
                    s /= n as i128;
                }
                if dec {
                    Value::Decimal(s)
                } else {
                    let (lo, hi) = if spec.arg_ty.prim().is_some_and(Prim::is_signed)
                        || spec.arg_ty.prim() == Some(Prim::Interval)
                    {
                        (i128::from(i64::MIN), i128::from(i64::MAX))
                    } else {
                        (0, i128::from(u64::MAX))
                    };
                    if s < lo || s > hi {
                        return Err(gen("SUM overflow"));
                    }
                    Value::Int(s)
                }
            }
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Types

fn check_bool(t: &Type) -> R<()> {
    match t.unopt() {
        Type::Prim(Prim::Bool) | Type::Null => Ok(()),
        other => Err(gen(format!("Expected Bool, but got {other}"))),
    }
}

/// Common integer type of two integer types.
fn int_common(a: Prim, b: Prim) -> Prim {
    if a == b {
        return a;
    }
    let wider = |x: Prim, y: Prim| if x.bits() >= y.bits() { x } else { y };
    match (a.is_signed(), b.is_signed()) {
        (true, true) | (false, false) => wider(a, b),
        _ => {
            let (s, u) = if a.is_signed() { (a, b) } else { (b, a) };
            if s.bits() > u.bits() {
                s
            } else if u.bits() > s.bits() {
                u
            } else {
                match s.bits() {
                    8 => Prim::Int16,
                    16 => Prim::Int32,
                    32 => Prim::Int64,
                    _ => Prim::Uint64,
                }
            }
        }
    }
}

/// Result type of an arithmetic operation, and the types operands are coerced to.
fn arith_type(op: BinOp, l: &Type, r: &Type) -> R<(Type, Type, Type)> {
    let err = || gen(format!("Cannot apply arithmetic operation to {l} and {r}"));
    if matches!(l, Type::Null) || matches!(r, Type::Null) {
        let t = if matches!(l, Type::Null) { r.clone() } else { l.clone() };
        return Ok((t.clone(), t.clone(), t));
    }
    match (l, r) {
        (Type::Decimal(p, s), Type::Decimal(p2, s2)) => {
            if s != s2 {
                return Err(gen(format!("Decimal scales differ: {l} and {r}")));
            }
            let t = Type::Decimal((*p).max(*p2), *s);
            Ok((t.clone(), t.clone(), t))
        }
        (Type::Decimal(..), Type::Prim(p)) if p.is_integer() => Ok((l.clone(), l.clone(), l.clone())),
        (Type::Prim(p), Type::Decimal(..)) if p.is_integer() => Ok((r.clone(), r.clone(), r.clone())),
        (Type::Prim(a), Type::Prim(b)) => {
            let (a, b) = (*a, *b);
            if a.is_integer() && b.is_integer() {
                let t = Type::Prim(int_common(a, b));
                return Ok((t.clone(), t.clone(), t));
            }
            if a.is_numeric() && b.is_numeric() {
                if matches!(op, BinOp::BitAnd | BinOp::BitOr | BinOp::BitXor) {
                    return Err(err());
                }
                let t = Type::Prim(if a == Prim::Float && b == Prim::Float { Prim::Float } else { Prim::Double });
                return Ok((t.clone(), t.clone(), t));
            }
            // Date/time arithmetic.
            let iv = Type::Prim(Prim::Interval);
            match (op, a, b) {
                (BinOp::Sub, x, y) if x == y && matches!(x, Prim::Date | Prim::Datetime | Prim::Timestamp) => {
                    let ts = Type::Prim(Prim::Timestamp);
                    Ok((iv, ts.clone(), ts))
                }
                (BinOp::Add | BinOp::Sub, Prim::Date | Prim::Datetime | Prim::Timestamp, Prim::Interval) => {
                    let ts = Type::Prim(Prim::Timestamp);
                    Ok((ts.clone(), ts, iv))
                }
                (BinOp::Add, Prim::Interval, Prim::Date | Prim::Datetime | Prim::Timestamp) => {
                    let ts = Type::Prim(Prim::Timestamp);
                    Ok((ts.clone(), iv, ts))
                }
                (BinOp::Add | BinOp::Sub, Prim::Interval, Prim::Interval) => Ok((iv.clone(), iv.clone(), iv)),
                (BinOp::Mul | BinOp::Div, Prim::Interval, y) if y.is_integer() => {
                    Ok((iv.clone(), iv, Type::Prim(Prim::Int64)))
                }
                _ => Err(err()),
            }
        }
        _ => Err(err()),
    }
}

/// Checks two types can be compared; returns the types to coerce each side to.
fn comparable(l: &Type, r: &Type) -> R<(Type, Type)> {
    let (lu, ru) = (l.unopt(), r.unopt());
    let same = || Ok((lu.clone(), ru.clone()));
    match (lu, ru) {
        (Type::Null, _) | (_, Type::Null) => same(),
        (Type::Decimal(_, s), Type::Decimal(_, s2)) if s == s2 => same(),
        (Type::Decimal(..), Type::Prim(p)) if p.is_integer() => Ok((lu.clone(), lu.clone())),
        (Type::Prim(p), Type::Decimal(..)) if p.is_integer() => Ok((ru.clone(), ru.clone())),
        (Type::Prim(a), Type::Prim(b)) => {
            if a == b || (a.is_numeric() && b.is_numeric()) || (a.is_stringlike() && b.is_stringlike()) {
                same()
            } else if matches!(a, Prim::Date | Prim::Datetime | Prim::Timestamp)
                && matches!(b, Prim::Date | Prim::Datetime | Prim::Timestamp)
            {
                let ts = Type::Prim(Prim::Timestamp);
                Ok((ts.clone(), ts))
            } else {
                Err(gen(format!("Cannot compare {l} with {r}")))
            }
        }
        (Type::List(_) | Type::Tuple(_) | Type::Struct(_), Type::List(_) | Type::Tuple(_) | Type::Struct(_)) => same(),
        _ if lu == ru => same(),
        _ => Err(gen(format!("Cannot compare {l} with {r}"))),
    }
}

/// Wraps a bound expression in a cast when its type differs from the target (numeric/decimal/time).
fn coerce(b: BExpr, from: &Type, to: Type) -> BExpr {
    let fu = from.unopt();
    if *fu == to || matches!(fu, Type::Null) {
        return b;
    }
    let needs = matches!(to, Type::Decimal(..))
        || to.prim().is_some_and(|p| p.is_temporal())
        || (to.prim().is_some_and(Prim::is_integer) && fu.prim().is_some_and(Prim::is_integer));
    if !needs {
        return b;
    }
    if let BExpr::Const(v) = &b {
        if let Some(cv) = cast_value(v, from, &to) {
            return BExpr::Const(cv);
        }
    }
    BExpr::Cast(Box::new(b), from.clone(), to)
}

/// The type of `a` and `b` together (CASE arms, COALESCE, IF).
fn unify(a: &Type, b: &Type) -> R<Type> {
    let opt = a.is_optional() || b.is_optional();
    let (au, bu) = (a.unopt(), b.unopt());
    let t = match (au, bu) {
        (Type::Null, x) | (x, Type::Null) => return Ok(x.clone().make_optional()),
        _ if au == bu => au.clone(),
        (Type::Prim(x), Type::Prim(y)) if x.is_integer() && y.is_integer() => Type::Prim(int_common(*x, *y)),
        (Type::Prim(x), Type::Prim(y)) if x.is_numeric() && y.is_numeric() => Type::Prim(Prim::Double),
        (Type::Prim(x), Type::Prim(y)) if x.is_stringlike() && y.is_stringlike() => Type::Prim(Prim::String),
        (Type::List(x), Type::List(y)) => Type::List(Box::new(unify(x, y)?)),
        // Rows of a literal table (`AsList(AsStruct(1 AS a), AsStruct(2.5 AS a))`): member by member.
        (Type::Struct(x), Type::Struct(y))
            if x.len() == y.len() && x.iter().zip(y.iter()).all(|((a, _), (b, _))| a == b) =>
        {
            let members = x.iter().zip(y.iter()).map(|((name, a), (_, b))| Ok((name.clone(), unify(a, b)?)));
            Type::Struct(members.collect::<R<Vec<_>>>()?)
        }
        (Type::EmptyList, Type::List(_)) => bu.clone(),
        (Type::List(_), Type::EmptyList) => au.clone(),
        _ => return Err(gen(format!("Cannot unify types {a} and {b}"))),
    };
    Ok(if opt { t.make_optional() } else { t })
}

fn castable(from: &Type, to: &Type) -> bool {
    match (from, to) {
        (Type::Null, _) => true,
        (Type::Prim(_) | Type::Decimal(..), Type::Prim(_) | Type::Decimal(..)) => true,
        (Type::List(a), Type::List(b)) => castable(a.unopt(), b.unopt()),
        (Type::EmptyList, Type::List(_)) => true,
        _ => from == to,
    }
}

fn cast_never_fails(from: &Type, to: &Type) -> bool {
    match (from, to) {
        (Type::Prim(a), Type::Prim(b)) => {
            a == b
                || (a.is_integer()
                    && b.is_integer()
                    && (a.is_signed() == b.is_signed() || !a.is_signed())
                    && a.bits() <= b.bits()
                    && !(b.is_signed() && !a.is_signed() && a.bits() == b.bits()))
                || (a.is_numeric() && b.is_float())
                || (*b == Prim::String)
                || (*a == Prim::Utf8 && *b == Prim::Utf8)
        }
        _ => from == to,
    }
}

/// Checks a source type can be stored into a column.
fn check_assignable(src: &Type, col: &ColumnMeta) -> R<()> {
    let s = src.unopt();
    let ok = match (s, &col.ty) {
        (Type::Null, _) => true,
        (a, b) if a == b => true,
        (Type::Prim(a), Type::Prim(b)) => {
            (a.is_integer() && (b.is_integer() || b.is_float()))
                || (a.is_float() && b.is_float())
                || (a.is_stringlike() && b.is_stringlike())
                || (*a == Prim::Timestamp && *b == Prim::Timestamp)
                || (a.is_integer() && b.is_temporal())
                || (a.is_temporal() && b.is_temporal())
        }
        (Type::Prim(a), Type::Decimal(..)) => a.is_integer(),
        (Type::Decimal(_, s1), Type::Decimal(_, s2)) => s1 == s2,
        _ => false,
    };
    if !ok {
        return Err(gen(format!("Failed to convert type: {src} to {} for column {}", col.result_type(), col.name)));
    }
    if col.not_null && matches!(s, Type::Null) {
        return Err(EngineError::bad_request(format!("Cannot write NULL into not null column {}", col.name)));
    }
    Ok(())
}

fn convert_to_column(v: Value, from: &Type, col: &ColumnMeta) -> R<Value> {
    if v.is_null() {
        if col.not_null {
            return Err(EngineError::bad_request(format!("Cannot write NULL into not null column {}", col.name)));
        }
        return Ok(Value::Null);
    }
    convert_implicit(v, from, &col.ty).map_err(|e| gen(format!("{e} (column {})", col.name)))
}

/// Implicit conversion with range checks (never wraps).
fn convert_implicit(v: Value, from: &Type, to: &Type) -> Result<Value, String> {
    let from_u = from.unopt();
    if v.is_null() {
        return Ok(v);
    }
    match (v, to) {
        // Before the same-type shortcut: an integer must never be stored as a floating-point column's value.
        (Value::Int(i), Type::Prim(Prim::Float | Prim::Double)) => Ok(Value::Float(i as f64)),
        (v, _) if from_u == to => Ok(v),
        (Value::Int(i), Type::Prim(p)) if p.int_range().is_some() => values::check_range(*p, Value::Int(i)),
        (Value::Float(f), Type::Prim(Prim::Float | Prim::Double)) => Ok(Value::Float(f)),
        (Value::Int(i), Type::Decimal(p, s)) => {
            let scaled = i.checked_mul(pow10(u32::from(*s))).ok_or("Decimal overflow")?;
            if scaled.unsigned_abs() >= pow10(u32::from(*p)).unsigned_abs() {
                return Err(format!("Value {i} is out of range for Decimal({p},{s})"));
            }
            Ok(Value::Decimal(scaled))
        }
        (Value::Decimal(d), Type::Decimal(..)) => Ok(Value::Decimal(d)),
        (Value::Bytes(b), Type::Prim(Prim::Utf8 | Prim::Json | Prim::JsonDocument)) => {
            String::from_utf8(b).map(Value::Text).map_err(|_| "Invalid UTF-8 in a Utf8 value".to_string())
        }
        (Value::Text(t), Type::Prim(Prim::String | Prim::Yson)) => Ok(Value::Bytes(t.into_bytes())),
        (Value::Text(t), Type::Prim(Prim::Utf8 | Prim::Json | Prim::JsonDocument)) => Ok(Value::Text(t)),
        (Value::Bytes(b), Type::Prim(Prim::String | Prim::Yson)) => Ok(Value::Bytes(b)),
        (v, to) => cast_value(&v, from, to)
            .filter(|x| !x.is_null())
            .ok_or_else(|| format!("Failed to convert value of type {from} to {to}")),
    }
}

fn to_micros(p: Prim, i: i128) -> i128 {
    match p {
        Prim::Date => i * 86_400_000_000,
        Prim::Datetime => i * 1_000_000,
        _ => i,
    }
}

fn from_micros(p: Prim, m: i128) -> i128 {
    match p {
        Prim::Date => m.div_euclid(86_400_000_000),
        Prim::Datetime => m.div_euclid(1_000_000),
        _ => m,
    }
}

/// Explicit CAST; `None` (NULL) when the value does not convert.
fn cast_value(v: &Value, from: &Type, to: &Type) -> Option<Value> {
    if v.is_null() {
        return Some(Value::Null);
    }
    let from = from.unopt();
    let to = to.unopt();
    let text_of = |v: &Value| -> Option<String> {
        Some(match (v, from) {
            (Value::Bytes(b), _) => String::from_utf8(b.clone()).ok()?,
            (Value::Text(t), _) => t.clone(),
            (Value::Bool(b), _) => b.to_string(),
            (Value::Int(i), Type::Prim(Prim::Date)) => values::format_date(*i),
            (Value::Int(i), Type::Prim(Prim::Datetime)) => values::format_timestamp(i * 1_000_000, false),
            (Value::Int(i), Type::Prim(Prim::Timestamp)) => values::format_timestamp(*i, true),
            (Value::Int(i), Type::Prim(Prim::Interval)) => datetime::format_interval(*i),
            (Value::Int(i), _) => i.to_string(),
            (Value::Float(f), _) => format!("{f}"),
            (Value::Decimal(d), Type::Decimal(_, s)) => values::format_decimal(*d, *s),
            (Value::Uuid(u), _) => values::format_uuid(*u),
            _ => return None,
        })
    };
    match to {
        Type::Prim(p) => {
            let p = *p;
            let out = match p {
                Prim::String | Prim::Yson => Value::Bytes(text_of(v).map(String::into_bytes).or_else(|| match v {
                    Value::Bytes(b) => Some(b.clone()),
                    _ => None,
                })?),
                Prim::Utf8 | Prim::Json | Prim::JsonDocument => Value::Text(text_of(v)?),
                Prim::Bool => match v {
                    Value::Bool(b) => Value::Bool(*b),
                    Value::Int(i) => Value::Bool(*i != 0),
                    Value::Bytes(_) | Value::Text(_) => match text_of(v)?.trim().to_ascii_lowercase().as_str() {
                        "true" => Value::Bool(true),
                        "false" => Value::Bool(false),
                        _ => return None,
                    },
                    _ => return None,
                },
                Prim::Float | Prim::Double => match v {
                    Value::Int(i) => Value::Float(*i as f64),
                    Value::Float(f) => Value::Float(if p == Prim::Float { f64::from(*f as f32) } else { *f }),
                    Value::Bool(b) => Value::Float(if *b { 1.0 } else { 0.0 }),
                    Value::Decimal(d) => match from {
                        Type::Decimal(_, s) => Value::Float(*d as f64 / pow10(u32::from(*s)) as f64),
                        _ => return None,
                    },
                    Value::Bytes(_) | Value::Text(_) => Value::Float(text_of(v)?.trim().parse().ok()?),
                    _ => return None,
                },
                Prim::Uuid => match v {
                    Value::Uuid(u) => Value::Uuid(*u),
                    _ => Value::Uuid(values::parse_uuid(text_of(v)?.trim())?),
                },
                Prim::Date | Prim::Datetime | Prim::Timestamp | Prim::Interval => {
                    let i = match (v, from) {
                        (Value::Int(i), Type::Prim(fp))
                            if fp.is_temporal() && p != Prim::Interval && *fp != Prim::Interval =>
                        {
                            from_micros(p, to_micros(*fp, *i))
                        }
                        (Value::Int(i), _) => *i,
                        (Value::Bytes(_) | Value::Text(_), _) => {
                            let s = text_of(v)?;
                            match p {
                                Prim::Date => i128::from(values::parse_date(s.trim())?),
                                Prim::Interval => {
                                    datetime::parse_interval(s.trim()).or_else(|| s.trim().parse::<i128>().ok())?
                                }
                                _ => from_micros(p, i128::from(values::parse_timestamp(s.trim())?)),
                            }
                        }
                        _ => return None,
                    };
                    values::check_range(p, Value::Int(i)).ok()?
                }
                _ => {
                    // Integers.
                    let i = match v {
                        Value::Int(i) => *i,
                        Value::Bool(b) => i128::from(*b),
                        Value::Float(f) => {
                            if !f.is_finite() {
                                return None;
                            }
                            f.trunc() as i128
                        }
                        Value::Decimal(d) => match from {
                            Type::Decimal(_, s) => d / pow10(u32::from(*s)),
                            _ => return None,
                        },
                        Value::Bytes(_) | Value::Text(_) => text_of(v)?.trim().parse::<i128>().ok()?,
                        _ => return None,
                    };
                    values::check_range(p, Value::Int(i)).ok()?
                }
            };
            Some(out)
        }
        Type::Decimal(prec, s) => {
            let d = match v {
                Value::Int(i) => i.checked_mul(pow10(u32::from(*s)))?,
                Value::Decimal(d) => match from {
                    Type::Decimal(_, s0) => {
                        if s0 <= s {
                            d.checked_mul(pow10(u32::from(s - s0)))?
                        } else {
                            d / pow10(u32::from(s0 - s))
                        }
                    }
                    _ => return None,
                },
                Value::Float(f) => (f * pow10(u32::from(*s)) as f64).round() as i128,
                Value::Bytes(_) | Value::Text(_) => values::parse_decimal(&text_of(v)?, *prec, *s)?,
                _ => return None,
            };
            if d.unsigned_abs() >= pow10(u32::from(*prec)).unsigned_abs() {
                return None;
            }
            Some(Value::Decimal(d))
        }
        Type::List(inner) => match (v, from) {
            (Value::List(items), Type::List(fi)) => {
                Some(Value::List(items.iter().map(|x| cast_value(x, fi, inner)).collect::<Option<Vec<_>>>()?))
            }
            (Value::List(items), Type::EmptyList) if items.is_empty() => Some(Value::List(Vec::new())),
            _ => None,
        },
        Type::Struct(members) => match (v, from) {
            (Value::List(fields), Type::Struct(from_members)) if fields.len() == members.len() => Some(Value::List(
                fields
                    .iter()
                    .zip(from_members.iter().zip(members))
                    .map(|(x, ((_, ft), (_, tt)))| cast_value(x, ft, tt))
                    .collect::<Option<Vec<_>>>()?,
            )),
            _ => None,
        },
        _ if from == to => Some(v.clone()),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Evaluation

fn wrap_int(t: &Type, i: i128) -> Value {
    match t.prim() {
        Some(p) if p.is_integer() => {
            let bits = p.bits();
            let m = 1i128 << bits;
            let mut x = i.rem_euclid(m);
            if p.is_signed() && x >= m / 2 {
                x -= m;
            }
            Value::Int(x)
        }
        _ => Value::Int(i),
    }
}

fn like_match(s: &[u8], p: &[u8]) -> bool {
    let (mut si, mut pi) = (0usize, 0usize);
    let (mut star, mut mark) = (None, 0usize);
    while si < s.len() {
        let pc = p.get(pi).copied();
        if pc == Some(b'\\') && p.get(pi + 1).copied() == s.get(si).copied() {
            si += 1;
            pi += 2;
        } else if pc == Some(b'_') || (pc.is_some() && pc != Some(b'%') && pc == s.get(si).copied()) {
            si += 1;
            pi += 1;
        } else if pc == Some(b'%') {
            star = Some(pi);
            mark = si;
            pi += 1;
        } else if let Some(sp) = star {
            pi = sp + 1;
            mark += 1;
            si = mark;
        } else {
            return false;
        }
    }
    while p.get(pi) == Some(&b'%') {
        pi += 1;
    }
    pi == p.len()
}

fn bytes_of(v: &Value) -> Option<&[u8]> {
    match v {
        Value::Bytes(b) => Some(b),
        Value::Text(t) => Some(t.as_bytes()),
        _ => None,
    }
}

fn eval(e: &BExpr, row: &[Value]) -> R<Value> {
    Ok(match e {
        BExpr::Const(v) => v.clone(),
        BExpr::Col(i) => row.get(*i).cloned().unwrap_or(Value::Null),
        BExpr::Neg(x, t) => match eval(x, row)? {
            Value::Int(i) => wrap_int(t, -i),
            Value::Float(f) => Value::Float(-f),
            Value::Decimal(d) => Value::Decimal(-d),
            _ => Value::Null,
        },
        BExpr::BitNot(x, t) => match eval(x, row)? {
            Value::Int(i) => wrap_int(t, !i),
            _ => Value::Null,
        },
        BExpr::Not(x) => match eval(x, row)? {
            Value::Bool(b) => Value::Bool(!b),
            _ => Value::Null,
        },
        BExpr::Logic(op, l, r) => {
            let a = eval(l, row)?.as_bool();
            match op {
                BinOp::And if a == Some(false) => Value::Bool(false),
                BinOp::Or if a == Some(true) => Value::Bool(true),
                _ => {
                    let b = eval(r, row)?.as_bool();
                    match (op, a, b) {
                        (BinOp::And, _, Some(false)) => Value::Bool(false),
                        (BinOp::And, Some(true), Some(true)) => Value::Bool(true),
                        (BinOp::Or, _, Some(true)) => Value::Bool(true),
                        (BinOp::Or, Some(false), Some(false)) => Value::Bool(false),
                        (BinOp::Xor, Some(x), Some(y)) => Value::Bool(x != y),
                        _ => Value::Null,
                    }
                }
            }
        }
        BExpr::Cmp(op, l, r) => {
            let a = eval(l, row)?;
            let b = eval(r, row)?;
            if a.is_null() || b.is_null() {
                return Ok(Value::Null);
            }
            let o = match compare(&a, &b) {
                Some(o) => o,
                None => return Ok(Value::Null),
            };
            Value::Bool(match op {
                BinOp::Eq => o == Ordering::Equal,
                BinOp::Ne => o != Ordering::Equal,
                BinOp::Lt => o == Ordering::Less,
                BinOp::Le => o != Ordering::Greater,
                BinOp::Gt => o == Ordering::Greater,
                _ => o != Ordering::Less,
            })
        }
        BExpr::Arith(op, l, r, t) => {
            let a = eval(l, row)?;
            let b = eval(r, row)?;
            arith(*op, a, b, t)?
        }
        BExpr::Concat(l, r, text) => {
            let a = eval(l, row)?;
            let b = eval(r, row)?;
            match (bytes_of(&a), bytes_of(&b)) {
                (Some(x), Some(y)) => {
                    let mut v = x.to_vec();
                    v.extend_from_slice(y);
                    if *text {
                        Value::Text(String::from_utf8_lossy(&v).into_owned())
                    } else {
                        Value::Bytes(v)
                    }
                }
                _ => Value::Null,
            }
        }
        BExpr::Coalesce(xs) => {
            for x in xs {
                let v = eval(x, row)?;
                if !v.is_null() {
                    return Ok(v);
                }
            }
            Value::Null
        }
        BExpr::IsNull(x, neg) => Value::Bool(eval(x, row)?.is_null() != *neg),
        BExpr::In(x, list, neg) => {
            let v = eval(x, row)?;
            if v.is_null() {
                return Ok(Value::Null);
            }
            let mut candidates: Vec<Value> = Vec::new();
            for it in list {
                match it {
                    // `x IN $list`: the list is wrapped as ListLength(...) by the binder.
                    BExpr::Func(Func::ListLength, inner) => {
                        if let Some(l) = inner.first() {
                            match eval(l, row)? {
                                Value::List(items) => candidates.extend(items),
                                Value::Dict(pairs) => candidates.extend(pairs.into_iter().map(|(k, _)| k)),
                                _ => candidates.push(Value::Null),
                            }
                        }
                    }
                    other => candidates.push(eval(other, row)?),
                }
            }
            let saw_null = candidates.iter().any(Value::is_null);
            let found = candidates.iter().any(|c| !c.is_null() && compare(&v, c) == Some(Ordering::Equal));
            if found {
                Value::Bool(!neg)
            } else if saw_null {
                Value::Null
            } else {
                Value::Bool(*neg)
            }
        }
        BExpr::Like(x, p, neg) => {
            let a = eval(x, row)?;
            let b = eval(p, row)?;
            match (bytes_of(&a), bytes_of(&b)) {
                (Some(s), Some(pat)) => Value::Bool(like_match(s, pat) != *neg),
                _ => Value::Null,
            }
        }
        BExpr::Cast(x, from, to) => {
            let v = eval(x, row)?;
            cast_value(&v, from, to).unwrap_or(Value::Null)
        }
        BExpr::Case(arms, else_) => {
            for (c, v) in arms {
                if eval(c, row)? == Value::Bool(true) {
                    return eval(v, row);
                }
            }
            match else_ {
                Some(e) => eval(e, row)?,
                None => Value::Null,
            }
        }
        BExpr::Func(f, args) => {
            let vals = args.iter().map(|a| eval(a, row)).collect::<R<Vec<_>>>()?;
            call(*f, vals)?
        }
    })
}

fn call(f: Func, vals: Vec<Value>) -> R<Value> {
    let first = vals.first().cloned().unwrap_or(Value::Null);
    Ok(match f {
        Func::AsList | Func::AsTuple => Value::List(vals),
        Func::Unwrap => {
            if first.is_null() {
                return Err(gen("Failed to unwrap empty optional"));
            }
            first
        }
        Func::If => match first {
            Value::Bool(true) => vals.get(1).cloned().unwrap_or(Value::Null),
            _ => vals.get(2).cloned().unwrap_or(Value::Null),
        },
        Func::Length => match &first {
            Value::Bytes(b) => Value::Int(b.len() as i128),
            Value::Text(t) => Value::Int(t.len() as i128),
            _ => Value::Null,
        },
        Func::ListLength => match &first {
            Value::List(l) => Value::Int(l.len() as i128),
            Value::Dict(d) => Value::Int(d.len() as i128),
            _ => Value::Null,
        },
        Func::Substring => {
            let Some(b) = bytes_of(&first) else {
                return Ok(Value::Null);
            };
            let start = match vals.get(1) {
                Some(Value::Int(i)) => usize::try_from(*i).unwrap_or(0),
                _ => 0,
            };
            let len = match vals.get(2) {
                Some(Value::Int(i)) => usize::try_from(*i).unwrap_or(0),
                _ => usize::MAX,
            };
            Value::Bytes(b.iter().skip(start).take(len).copied().collect())
        }
        Func::StartsWith | Func::EndsWith | Func::Contains => {
            let (Some(a), Some(b)) = (bytes_of(&first), vals.get(1).and_then(bytes_of)) else {
                return Ok(Value::Null);
            };
            Value::Bool(match f {
                Func::StartsWith => a.starts_with(b),
                Func::EndsWith => a.ends_with(b),
                _ => b.is_empty() || a.windows(b.len()).any(|w| w == b),
            })
        }
        Func::Upper | Func::Lower => match first {
            Value::Text(t) => Value::Text(if f == Func::Upper { t.to_uppercase() } else { t.to_lowercase() }),
            Value::Bytes(b) => {
                Value::Bytes(if f == Func::Upper { b.to_ascii_uppercase() } else { b.to_ascii_lowercase() })
            }
            other => other,
        },
        Func::DtGet(part, unit) => match first {
            Value::Int(v) => Value::Int(i128::from(datetime::get(part, v.saturating_mul(unit)))),
            other => other,
        },
        Func::DtName(part, unit) => match first {
            Value::Int(v) => {
                let n = datetime::get(part, v.saturating_mul(unit));
                let name = if part == Part::Month { datetime::month_name(n) } else { datetime::day_of_week_name(n) };
                Value::Bytes(name.as_bytes().to_vec())
            }
            other => other,
        },
        Func::DtStart(period, unit) => match first {
            Value::Int(v) => match datetime::start_of(period, v.saturating_mul(unit)) {
                start if start < 0 => Value::Null,
                start => Value::Int(start),
            },
            other => other,
        },
        Func::DtFormat(unit) => match (bytes_of(&first), vals.get(1)) {
            (Some(pattern), Some(Value::Int(v))) => {
                let pattern = String::from_utf8_lossy(pattern);
                Value::Bytes(datetime::format(&pattern, v.saturating_mul(unit)).into_bytes())
            }
            _ => Value::Null,
        },
        Func::Math(f, answers_bool) => {
            let mut args = Vec::with_capacity(vals.len());
            for v in &vals {
                match v {
                    Value::Int(i) => args.push(*i as f64),
                    Value::Float(x) => args.push(*x),
                    _ => return Ok(Value::Null),
                }
            }
            let x = math::apply(f, &args);
            if answers_bool {
                Value::Bool(x != 0.0)
            } else {
                Value::Float(x)
            }
        }
        Func::Text(f, unicode) => text_call(f, unicode, &vals)?,
        Func::MathMod(rem) => match (first, vals.get(1)) {
            (Value::Int(a), Some(Value::Int(b))) => math::modulo(a, *b, rem).map_or(Value::Null, Value::Int),
            _ => Value::Null,
        },
        Func::Scale(mul, div, target) => match first {
            Value::Int(v) if div != 0 => {
                values::check_range(target, Value::Int(v.saturating_mul(mul) / div)).unwrap_or(Value::Null)
            }
            other => other,
        },
        Func::Abs => match first {
            Value::Int(i) => Value::Int(i.saturating_abs()),
            Value::Float(x) => Value::Float(x.abs()),
            Value::Decimal(d) => Value::Decimal(d.saturating_abs()),
            other => other,
        },
    })
}

/// Binds a `String::` / `Unicode::` function (see `text.rs`) with YDB's result types: String functions
/// answer String (positions as Int64, -1 when absent), Unicode ones Utf8 (lengths and positions as Uint64,
/// NULL when absent). The result is optional when an argument is.
fn bind_text(name: &str, lower: &str, bs: Vec<BExpr>, ts: &[Type]) -> R<(BExpr, Type)> {
    let unicode = lower.starts_with("unicode::");
    let function = lower.split_once("::").map(|(_, f)| f).unwrap_or_default();
    let (f, min, max) = text::lookup(function, unicode).ok_or_else(|| gen(format!("Unknown function: {name}")))?;
    if bs.len() < min || bs.len() > max {
        return Err(gen(format!("{name}() expects {min} to {max} argument(s), got {}", bs.len())));
    }
    for (i, t) in ts.iter().enumerate() {
        let integer =
            matches!((f, i), (TextFn::Find | TextFn::ReverseFind, 2) | (TextFn::LeftPad | TextFn::RightPad, 1))
                || (f == TextFn::Substring && i > 0);
        let list = f == TextFn::JoinFromList && i == 0;
        let ok = match t.unopt() {
            Type::Null => true,
            Type::List(item) if list => item.prim().is_some_and(Prim::is_stringlike),
            Type::EmptyList => list,
            other if integer => other.prim().is_some_and(Prim::is_integer),
            other => !list && other.prim().is_some_and(Prim::is_stringlike),
        };
        if !ok {
            return Err(gen(format!("{name}: argument {} has the wrong type {t}", i + 1)));
        }
    }
    let text_type = if unicode { Prim::Utf8 } else { Prim::String };
    let (t, always_optional) = match f {
        TextFn::Find | TextFn::ReverseFind if unicode => (Type::Prim(Prim::Uint64), true),
        TextFn::Find | TextFn::ReverseFind => (Type::Prim(Prim::Int64), false),
        TextFn::Length => (Type::Prim(Prim::Uint64), false),
        TextFn::HasPrefix | TextFn::HasSuffix => (Type::Prim(Prim::Bool), false),
        TextFn::SplitToList => (Type::List(Box::new(Type::Prim(text_type))), false),
        _ => (Type::Prim(text_type), false),
    };
    let nullable = always_optional || ts.iter().any(Type::is_optional);
    Ok((BExpr::Func(Func::Text(f, unicode), bs), if nullable { t.make_optional() } else { t }))
}

/// Evaluates a `String::` / `Unicode::` function; a NULL argument gives NULL. A result that would
/// exceed [`text::MAX_RESULT_BYTES`] is an error, not an allocation that takes the server down.
fn text_call(f: TextFn, unicode: bool, vals: &[Value]) -> R<Value> {
    if vals.iter().any(Value::is_null) {
        return Ok(Value::Null);
    }
    let arg = |i: usize| vals.get(i).and_then(bytes_of).unwrap_or_default();
    let int = |i: usize, default: usize| match vals.get(i) {
        Some(Value::Int(n)) => usize::try_from(*n).unwrap_or(if *n < 0 { 0 } else { usize::MAX }),
        _ => default,
    };
    let s = arg(0);
    let out = |bytes: Vec<u8>| {
        if unicode {
            Value::Text(String::from_utf8_lossy(&bytes).into_owned())
        } else {
            Value::Bytes(bytes)
        }
    };
    let chars = || String::from_utf8_lossy(s).into_owned();
    let too_big = |what: &str| gen(format!("{what}: the result would exceed {} bytes", text::MAX_RESULT_BYTES));
    Ok(match f {
        TextFn::Strip if unicode => out(chars().trim().as_bytes().to_vec()),
        TextFn::Strip => out(s.trim_ascii().to_vec()),
        TextFn::Collapse => out(text::collapse(s)),
        TextFn::Reverse if unicode => out(chars().chars().rev().collect::<String>().into_bytes()),
        TextFn::Reverse => out(s.iter().rev().copied().collect()),
        TextFn::ReplaceAll | TextFn::ReplaceFirst | TextFn::ReplaceLast => {
            out(text::replace_bytes(s, arg(1), arg(2), f).ok_or_else(|| too_big("Replace"))?)
        }
        TextFn::RemoveAll if unicode => {
            let set = String::from_utf8_lossy(arg(1)).into_owned();
            out(chars().chars().filter(|c| !set.contains(*c)).collect::<String>().into_bytes())
        }
        TextFn::RemoveAll => out(s.iter().filter(|b| !arg(1).contains(b)).copied().collect()),
        TextFn::Find if unicode => {
            let needle = String::from_utf8_lossy(arg(1)).into_owned();
            text::find_chars(&chars(), &needle, int(2, 0)).map_or(Value::Null, |p| Value::Int(p as i128))
        }
        TextFn::ReverseFind if unicode => {
            let (hay, needle) = (chars(), String::from_utf8_lossy(arg(1)).into_owned());
            hay.rfind(&needle)
                .and_then(|b| hay.get(..b))
                .map(|before| before.chars().count())
                .filter(|p| *p >= int(2, 0))
                .map_or(Value::Null, |p| Value::Int(p as i128))
        }
        TextFn::Find | TextFn::ReverseFind => {
            Value::Int(i128::from(text::find(s, arg(1), int(2, 0), f == TextFn::ReverseFind)))
        }
        TextFn::HasPrefix => Value::Bool(s.starts_with(arg(1))),
        TextFn::HasSuffix => Value::Bool(s.ends_with(arg(1))),
        TextFn::LeftPad | TextFn::RightPad => {
            let filler = arg(2).first().copied().unwrap_or(b' ');
            let width = int(1, 0);
            if width > text::MAX_RESULT_BYTES {
                return Err(too_big("Pad"));
            }
            out(text::pad(s, width, filler, f == TextFn::LeftPad))
        }
        TextFn::SplitToList => Value::List(text::split_bytes(s, arg(1)).into_iter().map(out).collect()),
        TextFn::JoinFromList => {
            let items = match vals.first() {
                Some(Value::List(items)) => items.iter().filter_map(bytes_of).collect::<Vec<_>>(),
                _ => Vec::new(),
            };
            out(items.join(arg(1)))
        }
        TextFn::Base64Encode => out(text::base64(s)),
        TextFn::HexEncode => out(text::hex(s)),
        TextFn::Length => Value::Int(chars().chars().count() as i128),
        TextFn::Substring if unicode => {
            out(text::substring_chars(&chars(), int(1, 0), int(2, usize::MAX)).into_bytes())
        }
        TextFn::Substring => out(s.iter().skip(int(1, 0)).take(int(2, usize::MAX)).copied().collect()),
    })
}

/// Binds a `Math::` function: Double arguments (integers are converted), YDB's argument counts; the
/// result is optional when an argument is.
fn bind_math(name: &str, lower: &str, bs: Vec<BExpr>, ts: &[Type]) -> R<(BExpr, Type)> {
    let function = lower.trim_start_matches("math::");
    let nullable = ts.iter().any(Type::is_optional);
    if function == "mod" || function == "rem" {
        if bs.len() != 2 || !ts.iter().all(|t| t.prim().is_some_and(Prim::is_integer)) {
            return Err(gen(format!("{name} expects two integers")));
        }
        // Optional always: a zero divisor gives NULL.
        return Ok((BExpr::Func(Func::MathMod(function == "rem"), bs), Type::Prim(Prim::Int64).make_optional()));
    }
    let (f, arity, answers_bool) = math::lookup(function).ok_or_else(|| gen(format!("Unknown function: {name}")))?;
    let count_ok = bs.len() == arity || (f == MathFn::Round && bs.len() == 2);
    if !count_ok {
        return Err(gen(format!("{name}() expects {arity} argument(s), got {}", bs.len())));
    }
    for (i, t) in ts.iter().enumerate() {
        let ok = match t.prim() {
            Some(p) if f == MathFn::Round && i == 1 => p.is_integer(),
            Some(p) => p.is_integer() || p.is_float(),
            None => false,
        };
        if !ok {
            return Err(gen(format!("{name}: argument {} must be a number, got {t}", i + 1)));
        }
    }
    let t = Type::Prim(if answers_bool { Prim::Bool } else { Prim::Double });
    Ok((BExpr::Func(Func::Math(f, answers_bool), bs), if nullable { t.make_optional() } else { t }))
}

/// Microseconds per unit of a moment type (Date, Datetime, Timestamp), `None` for anything else.
fn moment_unit(t: &Type) -> Option<i128> {
    match t.prim()? {
        Prim::Date => Some(MICROS_PER_DAY),
        Prim::Datetime => Some(MICROS_PER_SECOND),
        Prim::Timestamp => Some(1),
        _ => None,
    }
}

/// Binds a `DateTime::` function (see `datetime.rs` for how `Resource<TM>` is represented). Result types
/// are YDB's; the result is optional when the argument is, or when the function can give NULL.
fn bind_datetime(name: &str, lower: &str, bs: Vec<BExpr>, ts: &[Type]) -> R<(BExpr, Type)> {
    let function = lower.trim_start_matches("datetime::");
    let t0 = ts.first().cloned().unwrap_or(Type::Null);
    let typed = |prim: Prim, nullable: bool, arg: &Type| {
        let t = Type::Prim(prim);
        if nullable || arg.is_optional() {
            t.make_optional()
        } else {
            t
        }
    };
    if function == "format" {
        let (Some(pattern), Some(moment), 2) = (ts.first(), ts.get(1), bs.len()) else {
            return Err(gen(format!(
                "{name}(pattern) makes a function: apply it to a moment, as in {name}(\"%Y-%m-%d\")(value)"
            )));
        };
        if !pattern.prim().is_some_and(Prim::is_stringlike) {
            return Err(gen(format!("{name} expects a String pattern, got {pattern}")));
        }
        let unit = moment_unit(moment)
            .ok_or_else(|| gen(format!("{name} formats a Date, Datetime or Timestamp, got {moment}")))?;
        let nullable = pattern.is_optional();
        return Ok((BExpr::Func(Func::DtFormat(unit), bs), typed(Prim::String, nullable, moment)));
    }
    if bs.len() != 1 {
        return Err(gen(format!("{name}() expects 1 argument")));
    }
    let moment =
        || moment_unit(&t0).ok_or_else(|| gen(format!("{name} expects a Date, Datetime or Timestamp, got {t0}")));
    let interval = || {
        if t0.prim() == Some(Prim::Interval) {
            Ok(())
        } else {
            Err(gen(format!("{name} expects an Interval, got {t0}")))
        }
    };
    let integer = || {
        if t0.prim().is_some_and(Prim::is_integer) {
            Ok(())
        } else {
            Err(gen(format!("{name} expects an integer, got {t0}")))
        }
    };
    let part = match function {
        "getyear" => Some((Part::Year, Prim::Uint16)),
        "getdayofyear" => Some((Part::DayOfYear, Prim::Uint16)),
        "getmonth" => Some((Part::Month, Prim::Uint8)),
        "getdayofmonth" => Some((Part::DayOfMonth, Prim::Uint8)),
        "getdayofweek" => Some((Part::DayOfWeek, Prim::Uint8)),
        "gethour" => Some((Part::Hour, Prim::Uint8)),
        "getminute" => Some((Part::Minute, Prim::Uint8)),
        "getsecond" => Some((Part::Second, Prim::Uint8)),
        "getmillisecondofsecond" => Some((Part::MillisecondOfSecond, Prim::Uint32)),
        "getmicrosecondofsecond" => Some((Part::MicrosecondOfSecond, Prim::Uint32)),
        _ => None,
    };
    if let Some((part, prim)) = part {
        return Ok((BExpr::Func(Func::DtGet(part, moment()?), bs), typed(prim, false, &t0)));
    }
    let period = match function {
        "startofyear" => Some(Period::Year),
        "startofquarter" => Some(Period::Quarter),
        "startofmonth" => Some(Period::Month),
        "startofweek" => Some(Period::Week),
        "startofday" => Some(Period::Day),
        _ => None,
    };
    if let Some(period) = period {
        // Only a week can start before the epoch (the week of 1970-01-01), which YDB answers with NULL.
        let t = typed(Prim::Timestamp, period == Period::Week, &t0);
        return Ok((BExpr::Func(Func::DtStart(period, moment()?), bs), t));
    }
    let scale = |mul: i128, div: i128, prim: Prim, nullable: bool| {
        (BExpr::Func(Func::Scale(mul, div, prim), bs.clone()), typed(prim, nullable, &t0))
    };
    let on_interval = t0.prim() == Some(Prim::Interval);
    Ok(match function {
        "getmonthname" => {
            (BExpr::Func(Func::DtName(Part::Month, moment()?), bs.clone()), typed(Prim::String, false, &t0))
        }
        "getdayofweekname" => {
            (BExpr::Func(Func::DtName(Part::DayOfWeek, moment()?), bs.clone()), typed(Prim::String, false, &t0))
        }
        "split" => scale(moment()?, 1, Prim::Timestamp, false),
        "makedate" => scale(moment()?, MICROS_PER_DAY, Prim::Date, false),
        "makedatetime" => scale(moment()?, MICROS_PER_SECOND, Prim::Datetime, false),
        "maketimestamp" => scale(moment()?, 1, Prim::Timestamp, false),
        "toseconds" if on_interval => scale(1, MICROS_PER_SECOND, Prim::Int64, false),
        "tomilliseconds" if on_interval => scale(1, 1000, Prim::Int64, false),
        "tomicroseconds" if on_interval => scale(1, 1, Prim::Int64, false),
        "toseconds" => scale(moment()?, MICROS_PER_SECOND, Prim::Uint32, false),
        "tomilliseconds" => scale(moment()?, 1000, Prim::Uint64, false),
        "tomicroseconds" => scale(moment()?, 1, Prim::Uint64, false),
        "todays" => interval().map(|()| scale(1, MICROS_PER_DAY, Prim::Int32, false))?,
        "tohours" => interval().map(|()| scale(1, 3600 * MICROS_PER_SECOND, Prim::Int32, false))?,
        "tominutes" => interval().map(|()| scale(1, 60 * MICROS_PER_SECOND, Prim::Int32, false))?,
        "fromseconds" => integer().map(|()| scale(MICROS_PER_SECOND, 1, Prim::Timestamp, true))?,
        "frommilliseconds" => integer().map(|()| scale(1000, 1, Prim::Timestamp, true))?,
        "frommicroseconds" => integer().map(|()| scale(1, 1, Prim::Timestamp, true))?,
        "intervalfromdays" => integer().map(|()| scale(MICROS_PER_DAY, 1, Prim::Interval, true))?,
        "intervalfromhours" => integer().map(|()| scale(3600 * MICROS_PER_SECOND, 1, Prim::Interval, true))?,
        "intervalfromminutes" => integer().map(|()| scale(60 * MICROS_PER_SECOND, 1, Prim::Interval, true))?,
        "intervalfromseconds" => integer().map(|()| scale(MICROS_PER_SECOND, 1, Prim::Interval, true))?,
        "intervalfrommilliseconds" => integer().map(|()| scale(1000, 1, Prim::Interval, true))?,
        "intervalfrommicroseconds" => integer().map(|()| scale(1, 1, Prim::Interval, true))?,
        _ => return Err(gen(format!("Unknown function: {name}"))),
    })
}

fn arith(op: BinOp, a: Value, b: Value, t: &Type) -> R<Value> {
    if a.is_null() || b.is_null() {
        return Ok(Value::Null);
    }
    Ok(match (a, b) {
        (Value::Int(x), Value::Int(y)) if t.prim() == Some(Prim::Timestamp) || t.prim() == Some(Prim::Interval) => {
            let r = match op {
                BinOp::Add => x + y,
                BinOp::Sub => x - y,
                BinOp::Mul => x * y,
                BinOp::Div => {
                    if y == 0 {
                        return Ok(Value::Null);
                    }
                    x / y
                }
                _ => return Ok(Value::Null),
            };
            values::check_range(t.prim().unwrap_or(Prim::Int64), Value::Int(r)).map_err(gen)?
        }
        (Value::Int(x), Value::Int(y)) => {
            let r = match op {
                BinOp::Add => x.wrapping_add(y),
                BinOp::Sub => x.wrapping_sub(y),
                BinOp::Mul => x.wrapping_mul(y),
                BinOp::Div => {
                    if y == 0 {
                        return Ok(Value::Null);
                    }
                    x / y
                }
                BinOp::Mod => {
                    if y == 0 {
                        return Ok(Value::Null);
                    }
                    x % y
                }
                BinOp::BitAnd => x & y,
                BinOp::BitOr => x | y,
                BinOp::BitXor => x ^ y,
                _ => return Ok(Value::Null),
            };
            wrap_int(t, r)
        }
        (Value::Decimal(x), Value::Decimal(y)) => {
            let s = match t {
                Type::Decimal(_, s) => u32::from(*s),
                _ => 0,
            };
            let r = match op {
                BinOp::Add => x.checked_add(y),
                BinOp::Sub => x.checked_sub(y),
                BinOp::Mul => x.checked_mul(y).map(|v| v / pow10(s)),
                BinOp::Div => {
                    if y == 0 {
                        return Ok(Value::Null);
                    }
                    x.checked_mul(pow10(s)).map(|v| v / y)
                }
                BinOp::Mod => {
                    if y == 0 {
                        return Ok(Value::Null);
                    }
                    Some(x % y)
                }
                _ => None,
            };
            match (r, t) {
                (Some(v), Type::Decimal(p, _)) if v.unsigned_abs() < pow10(u32::from(*p)).unsigned_abs() => {
                    Value::Decimal(v)
                }
                _ => Value::Null,
            }
        }
        (a, b) => {
            let f = |v: &Value| match v {
                Value::Int(i) => Some(*i as f64),
                Value::Float(f) => Some(*f),
                _ => None,
            };
            let (Some(x), Some(y)) = (f(&a), f(&b)) else {
                return Ok(Value::Null);
            };
            let r = match op {
                BinOp::Add => x + y,
                BinOp::Sub => x - y,
                BinOp::Mul => x * y,
                BinOp::Div => x / y,
                BinOp::Mod => x % y,
                _ => return Ok(Value::Null),
            };
            Value::Float(if t.prim() == Some(Prim::Float) { f64::from(r as f32) } else { r })
        }
    })
}

fn write_err(e: rusqlite::Error, mode: WriteMode) -> EngineError {
    if let rusqlite::Error::SqliteFailure(f, msg) = &e {
        if f.code == rusqlite::ErrorCode::ConstraintViolation {
            let m = msg.clone().unwrap_or_default();
            if m.contains("NOT NULL") {
                return EngineError::bad_request(format!("Missing not null column in input: {m}"));
            }
            if mode == WriteMode::Insert {
                return EngineError::new(StatusCode::PreconditionFailed, "Conflict with existing key.");
            }
            return EngineError::generic(format!("Constraint violation: {m}"));
        }
    }
    sql_err(e)
}

/// Builds a `Ydb.ResultSet`.
fn to_result_set(cols: &[Col], rows: &[Vec<Value>]) -> ydb::ResultSet {
    let columns: Vec<ydb::Column> =
        cols.iter().map(|c| ydb::Column { name: c.name.clone(), r#type: Some(c.ty.to_proto()) }).collect();
    let rows = rows
        .iter()
        .map(|r| ydb::Value {
            items: cols.iter().zip(r).map(|(c, v)| values::to_proto(&c.ty, v)).collect(),
            ..Default::default()
        })
        .collect();
    ydb::ResultSet { columns, rows, ..Default::default() }
}

#[cfg(test)]
mod calendar_tests {
    use super::{datetime, Period, MICROS_PER_DAY};

    #[test]
    fn start_of_month_finds_the_first_day_across_years_and_leap_days() {
        let day = |y: i32, m: u32, d: u32| -> i128 {
            // days from 1970-01-01, counted naively for the test
            let mut days = 0i128;
            for year in 1970..y {
                days += if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 { 366 } else { 365 };
            }
            let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
            let lens = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
            for len in lens.iter().take((m - 1) as usize) {
                days += len;
            }
            days + i128::from(d - 1)
        };
        let start_of_month = |days: i128| datetime::start_of(Period::Month, days * MICROS_PER_DAY) / MICROS_PER_DAY;
        assert_eq!(start_of_month(day(1970, 1, 1)), day(1970, 1, 1));
        assert_eq!(start_of_month(day(2024, 2, 29)), day(2024, 2, 1));
        assert_eq!(start_of_month(day(2024, 3, 1)), day(2024, 3, 1));
        assert_eq!(start_of_month(day(2105, 12, 31)), day(2105, 12, 1));
        assert_eq!(start_of_month(day(2000, 12, 15)), day(2000, 12, 1));
    }
}
