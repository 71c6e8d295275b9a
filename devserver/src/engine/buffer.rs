//! The buffered writes of a serializable interactive transaction: what it must apply at commit and
//! what its own later statements must see.
//!
//! Kept as **row images**, not statements: for every row the transaction wrote, by table and primary
//! key, the row's values after its last write, or `None` when it deleted the row. Images (rather than
//! the statements, replayed) make the outcome independent of what others committed meanwhile and of
//! non-deterministic functions (`RandomUuid`, `CurrentUtcTimestamp`), so the rows committed are exactly
//! the rows the transaction saw. They are captured after each writing statement, from the SQLite
//! transaction the statement ran in (which is then rolled back), and replayed — `INSERT OR REPLACE` or
//! `DELETE` per row — before the transaction's next statements and at commit. Values stay in their
//! stored SQLite encoding, so nothing is converted twice.

use std::collections::BTreeMap;

use rusqlite::types::Value as SqlValue;
use rusqlite::Connection;

use super::catalog::{self, quote_ident, TableMeta};
use super::locks::{key_value, KeyPart, Touch};
use super::{sql_err, EngineError};

type R<T> = Result<T, EngineError>;

/// Row images by table path, then by encoded primary key.
#[derive(Debug, Default, Clone)]
pub struct Buffer {
    tables: BTreeMap<String, BTreeMap<Vec<KeyPart>, Option<Vec<SqlValue>>>>,
}

/// The table as it is now, or the error that ends the transaction: a table it wrote went away.
fn table(conn: &Connection, path: &str) -> R<TableMeta> {
    catalog::load(conn, path)?.ok_or_else(|| EngineError::locks_invalidated_on(path))
}

fn key_values(key: &[KeyPart]) -> R<Vec<SqlValue>> {
    key.iter().map(|p| key_value(p).ok_or_else(|| EngineError::internal("Corrupt buffered key"))).collect()
}

impl Buffer {
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }

    /// Writes every buffered row into the (open, writing) SQLite transaction on `conn`.
    pub fn replay(&self, conn: &Connection) -> R<()> {
        for (path, rows) in &self.tables {
            let meta = table(conn, path)?;
            let names: Vec<String> = meta.columns.iter().map(|c| quote_ident(&c.name)).collect();
            let marks: Vec<String> = (1..=names.len()).map(|i| format!("?{i}")).collect();
            let upsert = format!(
                "INSERT OR REPLACE INTO {} ({}) VALUES ({})",
                meta.sql_name(),
                names.join(", "),
                marks.join(", ")
            );
            let delete = format!("DELETE FROM {} WHERE {}", meta.sql_name(), meta.key_match_sql());
            for (key, image) in rows {
                match image {
                    Some(values) if values.len() == names.len() => {
                        let mut stmt = conn.prepare_cached(&upsert).map_err(sql_err)?;
                        stmt.execute(rusqlite::params_from_iter(values)).map_err(sql_err)?;
                    }
                    // The table's columns changed under the transaction.
                    Some(_) => return Err(EngineError::locks_invalidated_on(path)),
                    None => {
                        let mut stmt = conn.prepare_cached(&delete).map_err(sql_err)?;
                        stmt.execute(rusqlite::params_from_iter(key_values(key)?)).map_err(sql_err)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Records the current images (in the SQLite transaction on `conn`) of the rows in `writes`.
    pub fn capture(&mut self, conn: &Connection, writes: &[Touch]) -> R<()> {
        let mut metas: BTreeMap<&str, (TableMeta, String)> = BTreeMap::new();
        for touch in writes {
            let Touch::Key(path, key) = touch else { continue };
            if !metas.contains_key(path.as_str()) {
                let meta = table(conn, path)?;
                let names: Vec<String> = meta.columns.iter().map(|c| quote_ident(&c.name)).collect();
                let select =
                    format!("SELECT {} FROM {} WHERE {}", names.join(", "), meta.sql_name(), meta.key_match_sql());
                metas.insert(path, (meta, select));
            }
            let Some((meta, select)) = metas.get(path.as_str()) else { continue };
            let mut stmt = conn.prepare_cached(select).map_err(sql_err)?;
            let mut rows = stmt.query(rusqlite::params_from_iter(key_values(key)?)).map_err(sql_err)?;
            let image = match rows.next().map_err(sql_err)? {
                Some(row) => {
                    let mut values = Vec::with_capacity(meta.columns.len());
                    for i in 0..meta.columns.len() {
                        values.push(SqlValue::from(row.get_ref(i).map_err(sql_err)?));
                    }
                    Some(values)
                }
                None => None,
            };
            self.tables.entry(path.clone()).or_default().insert(key.clone(), image);
        }
        Ok(())
    }
}
