//! Optimistic locks and the commit log: how the engine finds, at commit, that another transaction
//! changed what an interactive transaction read or wrote.
//!
//! YDB's serializable transactions take optimistic locks on the keys and key ranges they read, buffer
//! their writes, and at commit fail with ABORTED "Transaction locks invalidated." when a transaction
//! that committed in between changed anything under those locks. This module keeps what that needs,
//! in memory (a restart rolls every open transaction back, so nothing here must survive one):
//! - a **commit sequence number**, bumped by every committed write (implicit or interactive);
//! - the **commit log**: for each committed write since the oldest open transaction began, the rows
//!   it touched as [`Touch`]es — a key, or a whole table (DDL, copies, renames);
//! - **locks** ([`Lock`]): a table and a key prefix (the equality conditions on leading key columns a
//!   read pushed down; the empty prefix is the whole table), stamped with the sequence number of the
//!   state the read saw. A lock is broken by any later commit touching a key under its prefix.
//!
//! Keys are compared in their stored SQLite encoding ([`key_part`]), so a lock and a write on the same
//! row always agree. The log is pruned to the commits newer than the oldest open transaction's start,
//! so its size is bounded by the writes made while some interactive transaction is open.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use rusqlite::types::Value as SqlValue;

/// One key column's value in its stored SQLite encoding, made hashable.
pub type KeyPart = Vec<u8>;

/// Encodes a stored key column value (type tag + bytes) so equal stored values compare equal.
pub fn key_part(v: &SqlValue) -> KeyPart {
    match v {
        SqlValue::Null => vec![0],
        SqlValue::Integer(i) => {
            let mut out = vec![1];
            out.extend_from_slice(&i.to_be_bytes());
            out
        }
        SqlValue::Real(f) => {
            let mut out = vec![2];
            out.extend_from_slice(&f.to_bits().to_be_bytes());
            out
        }
        SqlValue::Text(t) => {
            let mut out = vec![3];
            out.extend_from_slice(t.as_bytes());
            out
        }
        SqlValue::Blob(b) => {
            let mut out = vec![4];
            out.extend_from_slice(b);
            out
        }
    }
}

/// Decodes a [`key_part`] back into the stored value (`None` for bytes `key_part` never makes).
pub fn key_value(part: &[u8]) -> Option<SqlValue> {
    let (tag, bytes) = part.split_first()?;
    Some(match tag {
        0 => SqlValue::Null,
        1 => SqlValue::Integer(i64::from_be_bytes(bytes.try_into().ok()?)),
        2 => SqlValue::Real(f64::from_bits(u64::from_be_bytes(bytes.try_into().ok()?))),
        3 => SqlValue::Text(String::from_utf8(bytes.to_vec()).ok()?),
        4 => SqlValue::Blob(bytes.to_vec()),
        _ => return None,
    })
}

/// What a committed write changed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Touch {
    /// One row, by its full primary key.
    Key(String, Vec<KeyPart>),
    /// Any rows of a table (DDL, copies and renames).
    Table(String),
}

/// A read (or write) lock: the rows of `table` whose key starts with `prefix`, as seen at `seq`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lock {
    pub table: String,
    pub prefix: Vec<KeyPart>,
    pub seq: u64,
}

impl Lock {
    fn broken_by(&self, touch: &Touch) -> bool {
        match touch {
            Touch::Key(table, key) => *table == self.table && key.starts_with(&self.prefix),
            Touch::Table(table) => *table == self.table,
        }
    }
}

/// What one run of statements read and wrote, recorded by the executor.
#[derive(Debug, Default)]
pub struct Footprint {
    /// (table, key prefix) per read; the empty prefix is a whole-table read.
    pub reads: Vec<(String, Vec<KeyPart>)>,
    /// The rows (or tables) written.
    pub writes: Vec<Touch>,
}

struct Committed {
    seq: u64,
    touches: Vec<Touch>,
}

/// The commit sequence, the commit log and the start points of open transactions. Lives under the
/// engine's writer mutex: whoever holds it is the only one writing the store.
#[derive(Default)]
pub struct CommitLog {
    seq: u64,
    log: VecDeque<Committed>,
    /// Start sequence numbers of the open serializable transactions (a multiset).
    open: BTreeMap<u64, usize>,
}

impl CommitLog {
    /// The sequence number of the last commit.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Registers an open transaction that will take its locks at `start` or later.
    pub fn open(&mut self, start: u64) {
        *self.open.entry(start).or_insert(0) += 1;
    }

    /// Forgets an open transaction registered at `start`, and prunes the log.
    pub fn close(&mut self, start: u64) {
        if let Some(n) = self.open.get_mut(&start) {
            *n -= 1;
            if *n == 0 {
                self.open.remove(&start);
            }
        }
        self.prune();
    }

    /// Records a commit; returns its sequence number. A commit that touched nothing still advances the
    /// sequence (readers only ever compare against it conservatively).
    pub fn publish(&mut self, touches: Vec<Touch>) -> u64 {
        self.seq += 1;
        if !touches.is_empty() && !self.open.is_empty() {
            self.log.push_back(Committed { seq: self.seq, touches });
        }
        self.prune();
        self.seq
    }

    /// The first lock a commit made after it was taken has broken: its table (empty for [`Touch::All`]).
    pub fn broken<'a>(&self, locks: impl IntoIterator<Item = &'a Lock>) -> Option<String> {
        let mut by_table: HashMap<&str, Vec<&Lock>> = HashMap::new();
        for lock in locks {
            by_table.entry(lock.table.as_str()).or_default().push(lock);
        }
        for commit in &self.log {
            for touch in &commit.touches {
                let (Touch::Key(table, _) | Touch::Table(table)) = touch;
                let candidates = by_table.get(table.as_str()).into_iter().flatten();
                if let Some(lock) = candidates.into_iter().find(|l| commit.seq > l.seq && l.broken_by(touch)) {
                    return Some(lock.table.clone());
                }
            }
        }
        None
    }

    fn prune(&mut self) {
        let oldest = self.open.keys().next().copied();
        while let Some(first) = self.log.front() {
            match oldest {
                Some(start) if first.seq > start => break,
                _ => {
                    self.log.pop_front();
                }
            }
        }
    }

    /// Entries kept (for tests of pruning).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.log.len()
    }
}

/// The locks and write set of one open serializable transaction.
#[derive(Debug, Default)]
pub struct TxLocks {
    /// The commit sequence number when the transaction began (its entry in [`CommitLog::open`]).
    pub start: u64,
    pub locks: Vec<Lock>,
    /// Everything it wrote, published when it commits.
    pub writes: Vec<Touch>,
    seen_writes: HashSet<Touch>,
}

impl TxLocks {
    pub fn new(start: u64) -> TxLocks {
        TxLocks { start, ..TxLocks::default() }
    }

    /// Adds what a statement read and wrote, seen at `seq`: reads become locks, and so do writes (a row
    /// this transaction writes must not change under it either).
    pub fn add(&mut self, footprint: Footprint, seq: u64) {
        for (table, prefix) in footprint.reads {
            self.locks.push(Lock { table, prefix, seq });
        }
        for touch in footprint.writes {
            match &touch {
                Touch::Key(table, key) => {
                    self.locks.push(Lock { table: table.clone(), prefix: key.clone(), seq });
                }
                Touch::Table(table) => self.locks.push(Lock { table: table.clone(), prefix: Vec::new(), seq }),
            }
            if self.seen_writes.insert(touch.clone()) {
                self.writes.push(touch);
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn key(i: i64) -> Vec<KeyPart> {
        vec![key_part(&SqlValue::Integer(i))]
    }

    fn reads(table: &str, prefix: Vec<KeyPart>) -> Footprint {
        Footprint { reads: vec![(table.to_string(), prefix)], writes: Vec::new() }
    }

    #[test]
    fn key_parts_decode_to_the_values_they_encode() {
        for v in [
            SqlValue::Null,
            SqlValue::Integer(-5),
            SqlValue::Real(0.5),
            SqlValue::Text("ключ".into()),
            SqlValue::Blob(vec![0, 1, 2]),
        ] {
            assert_eq!(key_value(&key_part(&v)), Some(v));
        }
        assert_eq!(key_value(&[1, 2]), None);
        assert_eq!(key_value(&[]), None);
    }

    #[test]
    fn a_commit_to_another_row_leaves_a_point_lock_intact() {
        let mut log = CommitLog::default();
        log.open(0);
        let mut tx = TxLocks::new(0);
        tx.add(reads("/local/t", key(1)), log.seq());
        log.publish(vec![Touch::Key("/local/t".into(), key(2))]);
        assert_eq!(log.broken(&tx.locks), None);
        log.publish(vec![Touch::Key("/local/t".into(), key(1))]);
        assert_eq!(log.broken(&tx.locks).as_deref(), Some("/local/t"));
    }

    #[test]
    fn a_whole_table_read_is_broken_by_any_row_of_that_table_only() {
        let mut log = CommitLog::default();
        log.open(0);
        let mut tx = TxLocks::new(0);
        tx.add(reads("/local/t", Vec::new()), log.seq());
        log.publish(vec![Touch::Key("/local/u".into(), key(7))]);
        assert_eq!(log.broken(&tx.locks), None);
        log.publish(vec![Touch::Key("/local/t".into(), key(7))]);
        assert!(log.broken(&tx.locks).is_some());
    }

    #[test]
    fn a_prefix_lock_covers_every_key_under_it() {
        let mut log = CommitLog::default();
        log.open(0);
        let mut tx = TxLocks::new(0);
        tx.add(reads("/local/t", key(1)), log.seq());
        let mut under = key(1);
        under.extend(key(99));
        let mut beside = key(2);
        beside.extend(key(1));
        log.publish(vec![Touch::Key("/local/t".into(), beside)]);
        assert_eq!(log.broken(&tx.locks), None);
        log.publish(vec![Touch::Key("/local/t".into(), under)]);
        assert!(log.broken(&tx.locks).is_some());
    }

    #[test]
    fn commits_before_the_lock_was_taken_do_not_break_it() {
        let mut log = CommitLog::default();
        log.open(0);
        log.publish(vec![Touch::Key("/local/t".into(), key(1))]);
        let mut tx = TxLocks::new(0);
        tx.add(reads("/local/t", key(1)), log.seq());
        assert_eq!(log.broken(&tx.locks), None);
    }

    #[test]
    fn writes_lock_their_rows_and_are_published_once() {
        let mut tx = TxLocks::new(0);
        let w = Touch::Key("/local/t".into(), key(3));
        tx.add(Footprint { reads: Vec::new(), writes: vec![w.clone(), w.clone()] }, 0);
        assert_eq!(tx.writes, vec![w]);
        assert_eq!(tx.locks.len(), 2);
    }

    #[test]
    fn scheme_changes_break_every_lock_on_their_table() {
        let mut log = CommitLog::default();
        log.open(0);
        let mut tx = TxLocks::new(0);
        tx.add(reads("/local/t", key(1)), 0);
        log.publish(vec![Touch::Table("/local/u".into())]);
        assert_eq!(log.broken(&tx.locks), None);
        log.publish(vec![Touch::Table("/local/t".into())]);
        assert!(log.broken(&tx.locks).is_some());
    }

    #[test]
    fn the_log_keeps_only_commits_an_open_transaction_can_still_see() {
        let mut log = CommitLog::default();
        log.publish(vec![Touch::Key("/local/t".into(), key(1))]);
        assert_eq!(log.len(), 0, "no open transaction: nothing to keep");
        log.open(1);
        log.publish(vec![Touch::Key("/local/t".into(), key(1))]);
        log.publish(vec![Touch::Key("/local/t".into(), key(2))]);
        assert_eq!(log.len(), 2);
        log.close(1);
        assert_eq!(log.len(), 0);
    }
}
