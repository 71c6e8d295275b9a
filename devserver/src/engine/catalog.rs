//! Table metadata kept inside the SQLite store.
//!
//! Exists because SQLite cannot hold YDB's column types, key order and NOT NULL flags: the catalog
//! tables `__ydb_tables`/`__ydb_columns` record them (types in YQL syntax) in the same database file, so
//! they are transactional with the data and survive a restart of a persistent (`--data`) store.
//! Secondary indexes (`__ydb_indexes`), directories (`__ydb_dirs`) and access rights (`__ydb_acl`,
//! owners in `__ydb_dirs`/`__ydb_owners`) live there too: they are scheme objects a client can see.

use rusqlite::{params, Connection, OptionalExtension};

use super::ast::{IndexDef, IndexKind};
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
    /// `k1 = ?1 AND k2 = ?2 …` over the key columns in key order: the SQL that finds one row by its key.
    pub fn key_match_sql(&self) -> String {
        self.key
            .iter()
            .filter_map(|k| self.columns.get(*k))
            .enumerate()
            .map(|(n, c)| format!("{} = ?{}", quote_ident(&c.name), n + 1))
            .collect::<Vec<_>>()
            .join(" AND ")
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
             not_null INTEGER NOT NULL, key_ord INTEGER, PRIMARY KEY (path, ord)) WITHOUT ROWID;
         CREATE TABLE IF NOT EXISTS __ydb_indexes (
             path TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL, columns TEXT NOT NULL,
             data_columns TEXT NOT NULL, PRIMARY KEY (path, name)) WITHOUT ROWID;
         CREATE TABLE IF NOT EXISTS __ydb_dirs (path TEXT PRIMARY KEY) WITHOUT ROWID;
         CREATE TABLE IF NOT EXISTS __ydb_owners (path TEXT PRIMARY KEY, owner TEXT NOT NULL) WITHOUT ROWID;
         CREATE TABLE IF NOT EXISTS __ydb_acl (
             path TEXT NOT NULL, subject TEXT NOT NULL, permission TEXT NOT NULL,
             PRIMARY KEY (path, subject, permission)) WITHOUT ROWID;",
    )
    .map_err(sql_err)?;
    // The catalog version (`cache.rs`): raised by every change to what a table's schema is loaded from,
    // in the transaction that makes it, whichever code path makes it.
    let mut sql = String::from(
        "CREATE TABLE IF NOT EXISTS __ydb_catalog_version (
             id INTEGER PRIMARY KEY CHECK (id = 0), version INTEGER NOT NULL);
         INSERT OR IGNORE INTO __ydb_catalog_version (id, version) VALUES (0, 0);",
    );
    for table in ["__ydb_tables", "__ydb_columns"] {
        for event in ["INSERT", "UPDATE", "DELETE"] {
            sql.push_str(&format!(
                "CREATE TRIGGER IF NOT EXISTS {table}_{event}_version AFTER {event} ON {table}
                 BEGIN UPDATE __ydb_catalog_version SET version = version + 1; END;",
                event = event.to_ascii_lowercase()
            ));
        }
    }
    conn.execute_batch(&sql).map_err(sql_err)
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
    conn.execute("DELETE FROM __ydb_indexes WHERE path = ?1", params![path]).map_err(sql_err)?;
    forget_path(conn, path)
}

/// Index columns are stored as one text field, names separated by a character no identifier holds.
const LIST_SEP: char = '\u{1f}';

/// Records a table's secondary indexes.
pub fn add_indexes(conn: &Connection, path: &str, indexes: &[IndexDef]) -> Result<(), EngineError> {
    for ix in indexes {
        let sep = LIST_SEP.to_string();
        conn.execute(
            "INSERT INTO __ydb_indexes (path, name, kind, columns, data_columns) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![path, ix.name, ix.kind.name(), ix.columns.join(&sep), ix.data_columns.join(&sep)],
        )
        .map_err(sql_err)?;
    }
    Ok(())
}

/// Replaces a table's secondary indexes.
pub fn set_indexes(conn: &Connection, path: &str, indexes: &[IndexDef]) -> Result<(), EngineError> {
    conn.execute("DELETE FROM __ydb_indexes WHERE path = ?1", params![path]).map_err(sql_err)?;
    add_indexes(conn, path, indexes)
}

/// A table's secondary indexes, by name.
pub fn load_indexes(conn: &Connection, path: &str) -> Result<Vec<IndexDef>, EngineError> {
    let mut stmt = conn
        .prepare_cached("SELECT name, kind, columns, data_columns FROM __ydb_indexes WHERE path = ?1 ORDER BY name")
        .map_err(sql_err)?;
    let rows = stmt
        .query_map(params![path], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
        })
        .map_err(sql_err)?;
    let split = |s: &str| -> Vec<String> { s.split(LIST_SEP).filter(|c| !c.is_empty()).map(String::from).collect() };
    let mut out = Vec::new();
    for row in rows {
        let (name, kind, columns, data_columns) = row.map_err(sql_err)?;
        let kind = IndexKind::from_name(&kind).unwrap_or(IndexKind::Global);
        out.push(IndexDef { name, kind, columns: split(&columns), data_columns: split(&data_columns) });
    }
    Ok(out)
}

/// Adds a nullable column at the end of a table.
pub fn add_column(conn: &Connection, path: &str, column: &ColumnMeta) -> Result<(), EngineError> {
    conn.execute_batch(&format!("ALTER TABLE {} ADD COLUMN {}", quote_ident(path), quote_ident(&column.name)))
        .map_err(sql_err)?;
    let next: i64 = conn
        .query_row("SELECT COALESCE(MAX(ord), -1) + 1 FROM __ydb_columns WHERE path = ?1", params![path], |r| r.get(0))
        .map_err(sql_err)?;
    conn.execute(
        "INSERT INTO __ydb_columns (path, ord, name, type, not_null, key_ord) VALUES (?1, ?2, ?3, ?4, ?5, NULL)",
        params![path, next, column.name, column.ty.to_string(), i64::from(column.not_null)],
    )
    .map_err(sql_err)?;
    Ok(())
}

/// Drops a non-key column.
pub fn drop_column(conn: &Connection, path: &str, name: &str) -> Result<(), EngineError> {
    conn.execute_batch(&format!("ALTER TABLE {} DROP COLUMN {}", quote_ident(path), quote_ident(name)))
        .map_err(sql_err)?;
    conn.execute("DELETE FROM __ydb_columns WHERE path = ?1 AND name = ?2", params![path, name]).map_err(sql_err)?;
    Ok(())
}

/// Moves a table (data, columns, indexes and rights) to a new path.
pub fn rename_table(conn: &Connection, from: &str, to: &str) -> Result<(), EngineError> {
    conn.execute_batch(&format!("ALTER TABLE {} RENAME TO {}", quote_ident(from), quote_ident(to))).map_err(sql_err)?;
    for table in ["__ydb_tables", "__ydb_columns", "__ydb_indexes", "__ydb_owners", "__ydb_acl"] {
        conn.execute(&format!("UPDATE {table} SET path = ?2 WHERE path = ?1"), params![from, to]).map_err(sql_err)?;
    }
    Ok(())
}

/// Whether `path` is a recorded directory.
pub fn is_dir(conn: &Connection, path: &str) -> Result<bool, EngineError> {
    conn.prepare_cached("SELECT 1 FROM __ydb_dirs WHERE path = ?1")
        .and_then(|mut s| s.exists(params![path]))
        .map_err(sql_err)
}

/// Records a directory (no-op when it exists).
pub fn add_dir(conn: &Connection, path: &str) -> Result<(), EngineError> {
    conn.execute("INSERT OR IGNORE INTO __ydb_dirs (path) VALUES (?1)", params![path]).map_err(sql_err)?;
    Ok(())
}

/// Removes a directory record.
pub fn remove_dir(conn: &Connection, path: &str) -> Result<(), EngineError> {
    conn.execute("DELETE FROM __ydb_dirs WHERE path = ?1", params![path]).map_err(sql_err)?;
    forget_path(conn, path)
}

/// Forgets a path's owner and rights.
fn forget_path(conn: &Connection, path: &str) -> Result<(), EngineError> {
    conn.execute("DELETE FROM __ydb_owners WHERE path = ?1", params![path]).map_err(sql_err)?;
    conn.execute("DELETE FROM __ydb_acl WHERE path = ?1", params![path]).map_err(sql_err)?;
    Ok(())
}

/// All recorded directories.
pub fn list_dirs(conn: &Connection) -> Result<Vec<String>, EngineError> {
    let mut stmt = conn.prepare_cached("SELECT path FROM __ydb_dirs ORDER BY path").map_err(sql_err)?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(sql_err)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(sql_err)
}

/// A path's explicit rights: (subject, permission) pairs.
pub fn acl(conn: &Connection, path: &str) -> Result<Vec<(String, String)>, EngineError> {
    let mut stmt = conn
        .prepare_cached("SELECT subject, permission FROM __ydb_acl WHERE path = ?1 ORDER BY subject, permission")
        .map_err(sql_err)?;
    let rows =
        stmt.query_map(params![path], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))).map_err(sql_err)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(sql_err)
}

pub fn grant(conn: &Connection, path: &str, subject: &str, permission: &str) -> Result<(), EngineError> {
    conn.execute(
        "INSERT OR IGNORE INTO __ydb_acl (path, subject, permission) VALUES (?1, ?2, ?3)",
        params![path, subject, permission],
    )
    .map_err(sql_err)?;
    Ok(())
}

pub fn revoke(conn: &Connection, path: &str, subject: &str, permission: Option<&str>) -> Result<(), EngineError> {
    match permission {
        Some(p) => conn.execute(
            "DELETE FROM __ydb_acl WHERE path = ?1 AND subject = ?2 AND permission = ?3",
            params![path, subject, p],
        ),
        None => conn.execute("DELETE FROM __ydb_acl WHERE path = ?1 AND subject = ?2", params![path, subject]),
    }
    .map_err(sql_err)?;
    Ok(())
}

pub fn clear_acl(conn: &Connection, path: &str) -> Result<(), EngineError> {
    conn.execute("DELETE FROM __ydb_acl WHERE path = ?1", params![path]).map_err(sql_err)?;
    Ok(())
}

pub fn owner(conn: &Connection, path: &str) -> Result<Option<String>, EngineError> {
    conn.prepare_cached("SELECT owner FROM __ydb_owners WHERE path = ?1")
        .and_then(|mut s| s.query_row(params![path], |r| r.get(0)).optional())
        .map_err(sql_err)
}

pub fn set_owner(conn: &Connection, path: &str, owner: &str) -> Result<(), EngineError> {
    conn.execute("INSERT OR REPLACE INTO __ydb_owners (path, owner) VALUES (?1, ?2)", params![path, owner])
        .map_err(sql_err)?;
    Ok(())
}

/// All table paths (for listing).
pub fn list(conn: &Connection) -> Result<Vec<String>, EngineError> {
    let mut stmt = conn.prepare_cached("SELECT path FROM __ydb_tables ORDER BY path").map_err(sql_err)?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(sql_err)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(sql_err)
}
