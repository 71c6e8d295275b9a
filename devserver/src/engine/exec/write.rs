//! Writes: UPSERT, REPLACE, INSERT, UPDATE ON, DELETE ON, and UPDATE / DELETE with a WHERE.
//!
//! Owns how a write's source (VALUES rows or a SELECT) is matched to the table's columns, the checks YDB
//! makes on it (key and NOT NULL columns present, types assignable), the SQL each mode becomes, and the
//! keys each write touches for the optimistic locks. SQLite constraint failures become YDB statuses here.

use super::eval::eval;
use super::select::table_scope;
use super::typing::{check_assignable, convert_implicit, convert_to_column, unify};
use super::{Ctx, Env, R};
use crate::engine::ast::*;
use crate::engine::catalog::{quote_ident, ColumnMeta};
use crate::engine::locks::{key_part, Touch};
use crate::engine::types::Type;
use crate::engine::values::{self, Value};
use crate::engine::{sql_err, EngineError, StatusCode};

impl Ctx<'_> {
    pub(super) fn write(
        &mut self,
        mode: WriteMode,
        table: &str,
        columns: Option<&[String]>,
        source: &WriteSource,
    ) -> R<()> {
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
            return Err(EngineError::generic(format!(
                "{} column count mismatch: {} target columns, {} values",
                mode.name(),
                targets.len(),
                src_types.len()
            )));
        }
        let mut idxs = Vec::new();
        for t in &targets {
            let i = meta
                .column_index(t)
                .ok_or_else(|| EngineError::generic(format!("No such column: {t} in table {}", meta.path)))?;
            if idxs.contains(&i) {
                return Err(EngineError::generic(format!("Duplicate column: {t}")));
            }
            idxs.push(i);
        }
        for k in &meta.key {
            if !idxs.contains(k) {
                let name = meta.columns.get(*k).map(|c| c.name.as_str()).unwrap_or("?");
                return Err(EngineError::generic(format!(
                    "Missing key column in input: {name} for table: {}",
                    meta.path
                )));
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
                return Err(EngineError::generic("VALUES rows have different numbers of columns"));
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
                row.push(convert_implicit(v, &t, to.unopt()).map_err(EngineError::generic)?);
            }
            out.push(row);
        }
        Ok((types, out))
    }

    pub(super) fn update(&mut self, table: &str, set: &[(String, Expr)], where_: Option<&Expr>) -> R<()> {
        let meta = self.table(table)?;
        let scope = table_scope(&meta, Some(table_qualifier(table)));
        let filter = match where_ {
            Some(w) => Some(self.bind_bool(w, &scope)?),
            None => None,
        };
        let mut sets = Vec::new();
        for (name, e) in set {
            let i = meta.column_index(name).ok_or_else(|| EngineError::generic(format!("No such column: {name}")))?;
            if meta.is_key(i) {
                return Err(EngineError::generic(format!("Cannot update primary key column: {name}")));
            }
            let (b, t) = self.bind(e, &mut Env::Plain(&scope))?;
            let c = meta.columns.get(i).ok_or_else(|| EngineError::generic("bad column"))?;
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
                let c = meta.columns.get(*i).ok_or_else(|| EngineError::generic("bad column"))?;
                let v = convert_to_column(eval(b, &row)?, t, c)?;
                bind.push(values::to_sql(&c.ty, &v));
            }
            for k in &meta.key {
                let c = meta.columns.get(*k).ok_or_else(|| EngineError::generic("bad column"))?;
                bind.push(values::to_sql(&c.ty, row.get(*k).unwrap_or(&Value::Null)));
            }
            let key = bind.get(sets.len()..).unwrap_or_default().iter().map(key_part).collect();
            self.footprint.writes.push(Touch::Key(meta.path.clone(), key));
            stmt.execute(rusqlite::params_from_iter(bind)).map_err(|e| write_err(e, WriteMode::Upsert))?;
        }
        Ok(())
    }

    /// DELETE … WHERE: the rows it deleted, as they were.
    pub(super) fn delete(&mut self, table: &str, where_: Option<&Expr>) -> R<Vec<Vec<Value>>> {
        let meta = self.table(table)?;
        let scope = table_scope(&meta, Some(table_qualifier(table)));
        let filter = match where_ {
            Some(w) => Some(self.bind_bool(w, &scope)?),
            None => None,
        };
        let rows = self.scan(&meta, filter.as_ref(), &scope, where_)?;
        let sql = format!("DELETE FROM {} WHERE {}", meta.sql_name(), meta.key_match_sql());
        let mut stmt = self.conn.prepare_cached(&sql).map_err(sql_err)?;
        for row in &rows {
            let mut bind = Vec::new();
            for k in &meta.key {
                let c = meta.columns.get(*k).ok_or_else(|| EngineError::generic("bad column"))?;
                bind.push(values::to_sql(&c.ty, row.get(*k).unwrap_or(&Value::Null)));
            }
            self.footprint.writes.push(Touch::Key(meta.path.clone(), bind.iter().map(key_part).collect()));
            stmt.execute(rusqlite::params_from_iter(bind)).map_err(sql_err)?;
        }
        Ok(rows)
    }

    /// After a write: no two rows of `table` may share the values of one of its `GLOBAL UNIQUE` indexes
    /// (rows with a NULL among them never conflict, as in YDB). The failed statement ends its transaction,
    /// so nothing it wrote is kept.
    pub(super) fn check_unique_indexes(&mut self, table: &str) -> R<()> {
        let meta = self.table(table)?;
        let indexes = crate::engine::catalog::load_indexes(self.conn, &meta.path)?;
        for index in indexes.iter().filter(|i| i.kind == IndexKind::GlobalUnique) {
            let cols: Vec<String> = index.columns.iter().map(|c| quote_ident(c)).collect();
            if cols.is_empty() {
                continue;
            }
            let not_null: Vec<String> = cols.iter().map(|c| format!("{c} IS NOT NULL")).collect();
            let sql = format!(
                "SELECT 1 FROM {} WHERE {} GROUP BY {} HAVING COUNT(*) > 1 LIMIT 1",
                meta.sql_name(),
                not_null.join(" AND "),
                cols.join(", ")
            );
            let mut stmt = self.conn.prepare_cached(&sql).map_err(sql_err)?;
            if stmt.exists([]).map_err(sql_err)? {
                return Err(EngineError::unique_index_conflict(&meta.path, &index.name));
            }
        }
        Ok(())
    }

    /// The rows of `table` that the writes recorded in the footprint from `mark` on touched, as they are
    /// now, each once, in the order first written (for RETURNING).
    pub(super) fn written_rows(&mut self, table: &str, mark: usize) -> R<Vec<Vec<Value>>> {
        let meta = self.table(table)?;
        let mut keys: Vec<&Vec<crate::engine::locks::KeyPart>> = Vec::new();
        for touch in self.footprint.writes.get(mark..).unwrap_or_default() {
            if let Touch::Key(path, key) = touch {
                if *path == meta.path && !keys.contains(&key) {
                    keys.push(key);
                }
            }
        }
        let cols: Vec<String> = meta.columns.iter().map(|c| quote_ident(&c.name)).collect();
        let sql = format!("SELECT {} FROM {} WHERE {}", cols.join(", "), meta.sql_name(), meta.key_match_sql());
        let mut stmt = self.conn.prepare_cached(&sql).map_err(sql_err)?;
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            let bind: Vec<rusqlite::types::Value> = key
                .iter()
                .map(|part| crate::engine::locks::key_value(part).unwrap_or(rusqlite::types::Value::Null))
                .collect();
            let mut rows = stmt.query(rusqlite::params_from_iter(bind)).map_err(sql_err)?;
            if let Some(r) = rows.next().map_err(sql_err)? {
                let mut vals = Vec::with_capacity(meta.columns.len());
                for (i, c) in meta.columns.iter().enumerate() {
                    vals.push(values::from_sql(&c.ty, r.get_ref(i).map_err(sql_err)?));
                }
                out.push(vals);
            }
        }
        Ok(out)
    }
}

/// The name an UPDATE's or DELETE's filter may qualify the table's columns with (`WHERE t.id = $id`): the
/// table's name as written, without its directories.
fn table_qualifier(table: &str) -> String {
    table.rsplit('/').next().unwrap_or(table).to_string()
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
