//! What the engine keeps between queries so that a query it has seen runs without redoing fixed work: the
//! parsed statements of a query text, and table schemas.
//!
//! Exists because the benchmarks send one query text thousands of times a second, and parsing it and
//! loading the schemas of its tables from the catalog (two SQLite queries and a type parse per column)
//! cost more than the read itself. YDB keeps a compiled-query cache for the same reason.
//! - **Parsed statements** ([`ParseCache`]), keyed by the exact text. Parsing depends on the text alone,
//!   so an entry never goes stale; texts longer than [`MAX_CACHED_TEXT`] (bulk `VALUES` lists) are
//!   parsed each time rather than crowd out the rest. An entry also keeps how long the text's last run
//!   took, which tells the services whether a read is quick enough to run in place
//!   ([`Parsed::runs_quickly`]).
//! - **Table schemas** ([`SchemaCache`]), keyed by path and stamped with the catalog version: a counter in
//!   the store that triggers on the catalog tables (`__ydb_tables`, `__ydb_columns`) raise in the same
//!   SQLite transaction as any change to them (`catalog::init`). A query reads the version in its own
//!   snapshot and takes a cached schema only when the stamps match, so it sees exactly the schema it
//!   would have loaded — whatever DDL committed meanwhile, on whichever path (YQL, the scheme calls,
//!   renames, copies). Statements that run DDL do not use the cache at all: their transaction may yet
//!   roll back, and a version they saw could be reused by a later, different change.
//!
//! Both are bounded ([`Lru`]): the least recently used entry goes when a new one would exceed the bound.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use rusqlite::Connection;

use super::ast::Stmt;
use super::catalog::{self, TableMeta};
use super::parser::parse;
use super::{sql_err, EngineError};

/// Query texts kept parsed.
const PARSED_ENTRIES: usize = 256;
/// Longer texts are not kept (256 of them stay under 4 MB of text).
pub const MAX_CACHED_TEXT: usize = 16 * 1024;
/// Table schemas kept.
const SCHEMA_ENTRIES: usize = 1024;

/// A map of at most `bound` entries that drops the least recently used one to make room. Eviction scans
/// the entries (the bounds are small and evictions rare next to hits).
pub struct Lru<K, V> {
    entries: HashMap<K, (V, u64)>,
    clock: u64,
    bound: usize,
}

impl<K: Hash + Eq + Clone, V: Clone> Lru<K, V> {
    pub fn new(bound: usize) -> Lru<K, V> {
        Lru { entries: HashMap::new(), clock: 0, bound: bound.max(1) }
    }

    pub fn get<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.clock += 1;
        let clock = self.clock;
        self.entries.get_mut(key).map(|(v, used)| {
            *used = clock;
            v.clone()
        })
    }

    pub fn insert(&mut self, key: K, value: V) {
        self.clock += 1;
        if self.entries.len() >= self.bound && !self.entries.contains_key(&key) {
            let oldest = self.entries.iter().min_by_key(|(_, (_, used))| *used).map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                self.entries.remove(&oldest);
            }
        }
        self.entries.insert(key, (value, self.clock));
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }
}

/// A run under this long may be repeated in place on an async worker thread (see [`Parsed::runs_quickly`]).
const QUICK_RUN: Duration = Duration::from_micros(500);

/// One query text, parsed, and what its last run cost.
pub struct Parsed {
    pub stmts: Vec<Stmt>,
    /// Whether the statements only read (no writes, no DDL).
    reads_only: bool,
    /// The last run's duration in microseconds (`u32::MAX` before the first run).
    last_run_us: AtomicU32,
}

impl Parsed {
    fn new(stmts: Vec<Stmt>) -> Parsed {
        let reads_only = !stmts.iter().any(|s| s.is_write() || s.is_ddl());
        Parsed { stmts, reads_only, last_run_us: AtomicU32::new(u32::MAX) }
    }

    /// Records how long a run took.
    pub fn record(&self, took: Duration) {
        let us = u32::try_from(took.as_micros()).unwrap_or(u32::MAX);
        self.last_run_us.store(us, Ordering::Relaxed);
    }

    /// Whether these statements only read and their last run was quick: then the hop to a blocking
    /// thread and back costs more than the run. A read that has turned slow (its data grew) goes back to
    /// the blocking threads from its next run on.
    pub fn runs_quickly(&self) -> bool {
        self.reads_only && u128::from(self.last_run_us.load(Ordering::Relaxed)) < QUICK_RUN.as_micros()
    }
}

/// Parsed statements by query text.
pub struct ParseCache(Mutex<Lru<String, Arc<Parsed>>>);

impl Default for ParseCache {
    fn default() -> ParseCache {
        ParseCache(Mutex::new(Lru::new(PARSED_ENTRIES)))
    }
}

impl ParseCache {
    /// The statements of `yql`, parsed now or earlier. Errors are not kept (a text that does not parse
    /// is parsed again, to report its error).
    pub fn parse(&self, yql: &str) -> Result<Arc<Parsed>, EngineError> {
        if let Some(parsed) = self.get(yql) {
            return Ok(parsed);
        }
        let parsed = Arc::new(Parsed::new(parse(yql)?));
        if yql.len() <= MAX_CACHED_TEXT {
            self.0.lock().insert(yql.to_string(), parsed.clone());
        }
        Ok(parsed)
    }

    /// The entry of a text parsed before, if it is still kept.
    pub fn get(&self, yql: &str) -> Option<Arc<Parsed>> {
        self.0.lock().get(yql)
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.0.lock().len()
    }
}

/// Table schemas by path, each stamped with the catalog version it was loaded at.
pub struct SchemaCache(Mutex<Lru<String, (i64, TableMeta)>>);

impl Default for SchemaCache {
    fn default() -> SchemaCache {
        SchemaCache(Mutex::new(Lru::new(SCHEMA_ENTRIES)))
    }
}

impl SchemaCache {
    /// The schema of the table at `path` as `conn`'s transaction sees it (`None`: no such table), from
    /// the cache when the catalog has not changed since it was loaded. `version` is the catalog version
    /// in this transaction, read once per query by [`catalog_version`].
    pub fn load(&self, conn: &Connection, version: i64, path: &str) -> Result<Option<TableMeta>, EngineError> {
        if let Some((stamp, meta)) = self.0.lock().get(path) {
            if stamp == version {
                return Ok(Some(meta));
            }
        }
        let meta = catalog::load(conn, path)?;
        if let Some(meta) = &meta {
            self.0.lock().insert(path.to_string(), (version, meta.clone()));
        }
        Ok(meta)
    }
}

/// The catalog version in `conn`'s current transaction (see the module docs).
pub fn catalog_version(conn: &Connection) -> Result<i64, EngineError> {
    conn.prepare_cached("SELECT version FROM __ydb_catalog_version")
        .and_then(|mut s| s.query_row([], |r| r.get(0)))
        .map_err(sql_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lru_drops_the_least_recently_used_entry_at_its_bound() {
        let mut lru = Lru::new(2);
        lru.insert("a", 1);
        lru.insert("b", 2);
        assert_eq!(lru.get("a"), Some(1)); // "b" is now the oldest
        lru.insert("c", 3);
        assert_eq!(lru.len(), 2);
        assert_eq!(lru.get("b"), None);
        assert_eq!(lru.get("a"), Some(1));
        assert_eq!(lru.get("c"), Some(3));
        lru.insert("c", 4); // replacing an entry evicts nothing
        assert_eq!((lru.len(), lru.get("a"), lru.get("c")), (2, Some(1), Some(4)));
    }

    #[test]
    fn parse_cache_is_bounded_and_skips_long_texts() {
        let cache = ParseCache::default();
        for i in 0..PARSED_ENTRIES + 10 {
            cache.parse(&format!("SELECT {i};")).unwrap();
        }
        assert_eq!(cache.len(), PARSED_ENTRIES);
        let first = cache.parse("SELECT 1;").unwrap();
        assert!(Arc::ptr_eq(&first, &cache.parse("SELECT 1;").unwrap()), "a cached text is not parsed again");
        assert!(cache.get("SELECT 0;").is_none(), "the least recently used went first");
        let long = format!("SELECT '{}';", "x".repeat(MAX_CACHED_TEXT));
        let a = cache.parse(&long).unwrap();
        assert!(!Arc::ptr_eq(&a, &cache.parse(&long).unwrap()), "a long text is parsed each time");
        assert!(cache.parse("SELEKT").is_err());
        assert!(cache.parse("SELEKT").is_err());
    }

    #[test]
    fn only_reads_whose_last_run_was_quick_run_quickly() {
        let cache = ParseCache::default();
        let read = cache.parse("SELECT 1;").unwrap();
        assert!(!read.runs_quickly(), "never ran");
        read.record(Duration::from_micros(40));
        assert!(read.runs_quickly());
        read.record(QUICK_RUN * 3);
        assert!(!read.runs_quickly(), "turned slow");
        read.record(Duration::from_micros(40));
        assert!(cache.get("SELECT 1;").unwrap().runs_quickly());
        for write in ["UPSERT INTO t (a) VALUES (1);", "CREATE TABLE t (a Uint64, PRIMARY KEY (a));"] {
            let parsed = cache.parse(write).unwrap();
            parsed.record(Duration::from_micros(40));
            assert!(!parsed.runs_quickly(), "{write}");
        }
    }
}
