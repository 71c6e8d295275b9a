//! DDL: CREATE TABLE, ALTER TABLE and DROP TABLE as statements of a query.
//!
//! Owns the checks YDB makes before a table changes (duplicate and key columns, key column types, index
//! columns, parent paths that are tables) and the catalog writes that follow. It records each changed
//! table in the footprint so that open transactions that read it are broken, as in YDB.

use super::{parent_dirs, Ctx, R};
use crate::engine::ast::*;
use crate::engine::catalog::{self, ColumnMeta, TableMeta};
use crate::engine::locks::Touch;
use crate::engine::types::{Prim, Type};
use crate::engine::{EngineError, StatusCode};

/// A column definition checked against what a table can hold.
fn column_meta(c: &ColumnDef) -> R<ColumnMeta> {
    let ty = c.ty.unopt().clone();
    if !matches!(ty, Type::Prim(_) | Type::Decimal(..)) {
        return Err(EngineError::generic(format!("Unsupported column type {} of column {}", c.ty, c.name)));
    }
    Ok(ColumnMeta { name: c.name.clone(), ty, not_null: c.not_null && !c.ty.is_optional() })
}

impl Ctx<'_> {
    pub(super) fn create_table(
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
                return Err(EngineError::generic(format!("Duplicate column name: {}", c.name)));
            }
            cols.push(column_meta(c)?);
        }
        if pk.is_empty() {
            return Err(EngineError::generic("Primary key is required for a table"));
        }
        let mut key = Vec::new();
        for k in pk {
            let i = cols
                .iter()
                .position(|c| &c.name == k)
                .ok_or_else(|| EngineError::generic(format!("Undefined column: {k} in primary key")))?;
            if key.contains(&i) {
                return Err(EngineError::generic(format!("Duplicate primary key column: {k}")));
            }
            if let Some(Prim::Float | Prim::Double | Prim::Json | Prim::Yson | Prim::JsonDocument) =
                cols.get(i).and_then(|c| c.ty.prim())
            {
                return Err(EngineError::generic(format!("Column {k} of this type cannot be used as a key column")));
            }
            key.push(i);
        }
        let mut names: Vec<&str> = Vec::new();
        for ix in indexes {
            if names.contains(&ix.name.as_str()) {
                return Err(EngineError::generic(format!("Duplicate index name: {}", ix.name)));
            }
            names.push(&ix.name);
            if ix.columns.is_empty() {
                return Err(EngineError::generic(format!("Index {} has no columns", ix.name)));
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

    pub(super) fn alter_table(
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

    pub(super) fn drop_table(&mut self, name: &str, if_exists: bool) -> R<()> {
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
}
