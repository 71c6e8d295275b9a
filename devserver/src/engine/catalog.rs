//! Table metadata kept inside the SQLite store.
//!
//! Exists because SQLite cannot hold YDB's column types, key order and NOT NULL flags: the catalog
//! tables `__ydb_tables`/`__ydb_columns` record them (types in YQL syntax) in the same database file, so
//! they are transactional with the data and survive a restart of a persistent (`--data`) store.

use rusqlite::{params, Connection, OptionalExtension};

use super::parser::parse_type;
use super::types::Type;
use super::{sql_err, EngineError};

/// One column of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnMeta {
    pub name: String,
    /// The declared type without Optional.
    pub ty: Type,
    pub not_null: bool,
}

impl ColumnMeta {
    /// The type YDB reports for this column in results: Optional unless NOT NULL.
    pub fn result_type(&self) -> Type {
        if self.not_null {
            self.ty.clone()
        } else {
            Type::optional(self.ty.clone())
        }
    }
}

/// A table's schema.
#[derive(Debug, Clone, PartialEq)]
pub struct TableMeta {
    pub path: String,
    pub columns: Vec<ColumnMeta>,
    /// Indexes into `columns`, in key order.
    pub key: Vec<usize>,
}

impl TableMeta {
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }
    pub fn sql_name(&self) -> String {
        quote_ident(&self.path)
    }
    pub fn is_key(&self, idx: usize) -> bool {
        self.key.contains(&idx)
    }
}

/// Quotes an SQLite identifier.
pub fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Creates the catalog tables if missing.
pub fn init(conn: &Connection) -> Result<(), EngineError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS __ydb_tables (path TEXT PRIMARY KEY) WITHOUT ROWID;
         CREATE TABLE IF NOT EXISTS __ydb_columns (
             path TEXT NOT NULL, ord INTEGER NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL,
             not_null INTEGER NOT NULL, key_ord INTEGER, PRIMARY KEY (path, ord)) WITHOUT ROWID;",
    )
    .map_err(sql_err)
}

/// Loads a table's schema; `None` if it does not exist.
pub fn load(conn: &Connection, path: &str) -> Result<Option<TableMeta>, EngineError> {
    let exists: Option<String> = conn
        .prepare_cached("SELECT path FROM __ydb_tables WHERE path = ?1")
        .and_then(|mut s| s.query_row(params![path], |r| r.get(0)).optional())
        .map_err(sql_err)?;
    if exists.is_none() {
        return Ok(None);
    }
    let mut stmt = conn
        .prepare_cached("SELECT name, type, not_null, key_ord FROM __ydb_columns WHERE path = ?1 ORDER BY ord")
        .map_err(sql_err)?;
    let rows = stmt
        .query_map(params![path], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?, r.get::<_, Option<i64>>(3)?))
        })
        .map_err(sql_err)?;
    let mut columns = Vec::new();
    let mut keyed = Vec::new();
    for (i, row) in rows.enumerate() {
        let (name, ty, not_null, key_ord) = row.map_err(sql_err)?;
        let ty = parse_type(&ty).map_err(|e| EngineError::internal(format!("Bad catalog type: {}", e.message())))?;
        if let Some(k) = key_ord {
            keyed.push((k, i));
        }
        columns.push(ColumnMeta { name, ty, not_null: not_null != 0 });
    }
    keyed.sort();
    Ok(Some(TableMeta { path: path.to_string(), columns, key: keyed.into_iter().map(|(_, i)| i).collect() }))
}

/// Creates a table and records it in the catalog.
pub fn create(conn: &Connection, meta: &TableMeta) -> Result<(), EngineError> {
    // No declared column types: values keep the storage class the engine chose (see `values`).
    let mut cols: Vec<String> = meta
        .columns
        .iter()
        .map(|c| if c.not_null { format!("{} NOT NULL", quote_ident(&c.name)) } else { quote_ident(&c.name) })
        .collect();
    let key: Vec<String> = meta.key.iter().filter_map(|i| meta.columns.get(*i)).map(|c| quote_ident(&c.name)).collect();
    cols.push(format!("PRIMARY KEY ({})", key.join(", ")));
    conn.execute_batch(&format!("CREATE TABLE {} ({}) WITHOUT ROWID", meta.sql_name(), cols.join(", ")))
        .map_err(sql_err)?;
    conn.execute("INSERT INTO __ydb_tables (path) VALUES (?1)", params![meta.path]).map_err(sql_err)?;
    for (i, c) in meta.columns.iter().enumerate() {
        let key_ord = meta.key.iter().position(|k| *k == i).map(|p| p as i64);
        conn.execute(
            "INSERT INTO __ydb_columns (path, ord, name, type, not_null, key_ord) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![meta.path, i as i64, c.name, c.ty.to_string(), i64::from(c.not_null), key_ord],
        )
        .map_err(sql_err)?;
    }
    Ok(())
}

/// Drops a table and its catalog entry.
pub fn drop_table(conn: &Connection, path: &str) -> Result<(), EngineError> {
    conn.execute_batch(&format!("DROP TABLE IF EXISTS {}", quote_ident(path))).map_err(sql_err)?;
    conn.execute("DELETE FROM __ydb_columns WHERE path = ?1", params![path]).map_err(sql_err)?;
    conn.execute("DELETE FROM __ydb_tables WHERE path = ?1", params![path]).map_err(sql_err)?;
    Ok(())
}

/// All table paths (for listing).
pub fn list(conn: &Connection) -> Result<Vec<String>, EngineError> {
    let mut stmt = conn.prepare_cached("SELECT path FROM __ydb_tables ORDER BY path").map_err(sql_err)?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(sql_err)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(sql_err)
}
