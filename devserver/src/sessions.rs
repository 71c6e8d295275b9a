//! The session registry shared by the Table and Query services.
//!
//! YDB sessions are server-side objects with rules a client can observe: an unknown or deleted session is
//! BAD_SESSION, a session already running a query is SESSION_BUSY, idle sessions expire, and a session owns
//! the transactions begun in it (they are rolled back when it dies). Query-service sessions are also tied
//! to their AttachSession stream, which learns here when its session ends.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio::sync::watch;

use crate::engine::{EngineError, StatusCode};

/// Which service a session belongs to: a table session cannot be used by the query service and back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Table,
    Query,
}

/// Why a session ended, for its AttachSession stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// Still alive.
    No,
    /// Deleted by the client or expired.
    Closed,
    /// The server is shutting down.
    Shutdown,
}

/// One live session.
pub struct Session {
    pub kind: Kind,
    busy: AtomicBool,
    last_active: Mutex<Instant>,
    transactions: Mutex<HashSet<String>>,
    ended: watch::Sender<Ended>,
    attached: AtomicBool,
}

impl Session {
    fn new(kind: Kind) -> Session {
        let (ended, _) = watch::channel(Ended::No);
        Session {
            kind,
            busy: AtomicBool::new(false),
            last_active: Mutex::new(Instant::now()),
            transactions: Mutex::new(HashSet::new()),
            ended,
            attached: AtomicBool::new(false),
        }
    }

    /// Transactions begun in this session and not yet finished.
    pub fn open_transactions(&self) -> Vec<String> {
        self.transactions.lock().iter().cloned().collect()
    }

    pub fn track_transaction(&self, tx_id: &str) {
        self.transactions.lock().insert(tx_id.to_string());
    }

    pub fn forget_transaction(&self, tx_id: &str) {
        self.transactions.lock().remove(tx_id);
    }

    /// A receiver that sees the session end.
    pub fn watch_end(&self) -> watch::Receiver<Ended> {
        self.ended.subscribe()
    }

    /// Marks the session as watched by an AttachSession stream (such sessions do not expire while idle).
    pub fn set_attached(&self, attached: bool) {
        self.attached.store(attached, Ordering::SeqCst);
    }
}

/// Held while a call runs in a session; frees the session when dropped.
pub struct Busy {
    session: Arc<Session>,
}

impl Busy {
    pub fn session(&self) -> &Arc<Session> {
        &self.session
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        *self.session.last_active.lock() = Instant::now();
        self.session.busy.store(false, Ordering::SeqCst);
    }
}

/// All live sessions of the server.
pub struct Sessions {
    map: Mutex<HashMap<String, Arc<Session>>>,
    node_id: u32,
}

impl Sessions {
    pub fn new(node_id: u32) -> Sessions {
        Sessions { map: Mutex::new(HashMap::new()), node_id }
    }

    pub fn node_id(&self) -> u32 {
        self.node_id
    }

    /// Creates a session and returns its id, shaped like YDB's (`ydb://session/3?node_id=N&id=...`).
    pub fn create(&self, kind: Kind) -> String {
        let id = format!("ydb://session/3?node_id={}&id={}", self.node_id, uuid::Uuid::new_v4().simple());
        self.map.lock().insert(id.clone(), Arc::new(Session::new(kind)));
        id
    }

    /// An *implicit* session, as YDB makes for an ExecuteQuery with an empty `session_id`: it lives for
    /// that one call, occupied from the start, and is never registered, so no other call can find it,
    /// nothing expires it, and `/stats` never counts it.
    pub fn implicit(&self, kind: Kind) -> Busy {
        let session = Session::new(kind);
        session.busy.store(true, Ordering::SeqCst);
        Busy { session: Arc::new(session) }
    }

    /// Looks a session up without occupying it.
    pub fn get(&self, id: &str, kind: Kind) -> Result<Arc<Session>, EngineError> {
        match self.map.lock().get(id) {
            Some(s) if s.kind == kind => Ok(s.clone()),
            _ => Err(EngineError::new(StatusCode::BadSession, format!("Session not found: {id}"))),
        }
    }

    /// Occupies a session for one call: BAD_SESSION when it does not exist, SESSION_BUSY when another call
    /// is running in it.
    pub fn occupy(&self, id: &str, kind: Kind) -> Result<Busy, EngineError> {
        let session = self.get(id, kind)?;
        if session.busy.swap(true, Ordering::SeqCst) {
            return Err(EngineError::new(StatusCode::SessionBusy, "Pending previous query completion"));
        }
        *session.last_active.lock() = Instant::now();
        Ok(Busy { session })
    }

    /// Removes a session, telling its watchers why. Returns it so the caller can roll back its transactions.
    pub fn remove(&self, id: &str, why: Ended) -> Option<Arc<Session>> {
        let session = self.map.lock().remove(id)?;
        session.ended.send_replace(why);
        Some(session)
    }

    /// Removes every session (server shutdown or restart).
    pub fn remove_all(&self, why: Ended) -> Vec<Arc<Session>> {
        let all: Vec<(String, Arc<Session>)> = self.map.lock().drain().collect();
        all.into_iter()
            .map(|(_, s)| s)
            .inspect(|s| {
                s.ended.send_replace(why);
            })
            .collect()
    }

    /// Removes sessions idle for longer than `idle` that no stream watches and no call occupies.
    pub fn expire_idle(&self, idle: Duration) -> Vec<Arc<Session>> {
        let now = Instant::now();
        let mut map = self.map.lock();
        let expired: Vec<String> = map
            .iter()
            .filter(|(_, s)| {
                !s.busy.load(Ordering::SeqCst)
                    && !s.attached.load(Ordering::SeqCst)
                    && now.duration_since(*s.last_active.lock()) > idle
            })
            .map(|(id, _)| id.clone())
            .collect();
        expired
            .iter()
            .filter_map(|id| map.remove(id))
            .inspect(|s| {
                s.ended.send_replace(Ended::Closed);
            })
            .collect()
    }

    pub fn len(&self) -> usize {
        self.map.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn unknown_session_is_bad_session() {
        let s = Sessions::new(1);
        let err = s.occupy("nope", Kind::Table).err().unwrap();
        assert_eq!(err.status, StatusCode::BadSession);
    }

    #[test]
    fn second_call_in_a_session_is_session_busy_until_the_first_ends() {
        let s = Sessions::new(1);
        let id = s.create(Kind::Query);
        let first = s.occupy(&id, Kind::Query).unwrap();
        assert_eq!(s.occupy(&id, Kind::Query).err().unwrap().status, StatusCode::SessionBusy);
        drop(first);
        assert!(s.occupy(&id, Kind::Query).is_ok());
    }

    #[test]
    fn a_table_session_is_not_a_query_session() {
        let s = Sessions::new(1);
        let id = s.create(Kind::Table);
        assert_eq!(s.occupy(&id, Kind::Query).err().unwrap().status, StatusCode::BadSession);
    }

    #[test]
    fn removing_a_session_wakes_its_watchers_and_makes_it_bad() {
        let s = Sessions::new(1);
        let id = s.create(Kind::Query);
        let watcher = s.get(&id, Kind::Query).unwrap().watch_end();
        s.remove(&id, Ended::Closed);
        assert_eq!(*watcher.borrow(), Ended::Closed);
        assert_eq!(s.occupy(&id, Kind::Query).err().unwrap().status, StatusCode::BadSession);
    }

    #[test]
    fn an_implicit_session_is_busy_and_registered_nowhere() {
        let s = Sessions::new(1);
        let busy = s.implicit(Kind::Query);
        assert!(busy.session().busy.load(Ordering::SeqCst));
        assert!(s.is_empty());
    }

    #[test]
    fn idle_sessions_expire_but_attached_ones_do_not() {
        let s = Sessions::new(1);
        let idle = s.create(Kind::Table);
        let attached = s.create(Kind::Query);
        s.get(&attached, Kind::Query).unwrap().set_attached(true);
        std::thread::sleep(Duration::from_millis(20));
        let expired = s.expire_idle(Duration::from_millis(10));
        assert_eq!(expired.len(), 1);
        assert!(s.get(&idle, Kind::Table).is_err());
        assert!(s.get(&attached, Kind::Query).is_ok());
    }
}
