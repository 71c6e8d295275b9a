//! What every service of one node shares: the engine (shared by all nodes), the node's sessions, its own
//! endpoint and the directory of all nodes (what ListEndpoints reports).

use std::sync::Arc;

use crate::auth::Auth;
use parking_lot::Mutex;

use crate::engine::Engine;
use crate::sessions::Sessions;

/// Shared server state; cheap to clone.
#[derive(Clone)]
pub struct State(Arc<Inner>);

pub struct Inner {
    pub engine: Engine,
    pub sessions: Sessions,
    /// The host and port clients reach this server at (what ListEndpoints reports).
    pub host: String,
    pub port: u16,
    pub node_id: u32,
    /// Users and tokens (open until configured with users).
    pub auth: Arc<Auth>,
    /// Every node of the server.
    pub directory: Arc<Directory>,
}

impl State {
    /// The state of a server with this one node.
    pub fn new(engine: Engine, host: String, port: u16, node_id: u32) -> State {
        let directory = Arc::new(Directory::default());
        directory.add(Endpoint { node_id, host: host.clone(), port, up: true });
        State::in_directory(engine, directory, Arc::default(), host, port, node_id)
    }

    /// The state of one node of several, all listed in `directory`.
    pub fn in_directory(
        engine: Engine,
        directory: Arc<Directory>,
        auth: Arc<Auth>,
        host: String,
        port: u16,
        node_id: u32,
    ) -> State {
        State(Arc::new(Inner { engine, sessions: Sessions::new(node_id), host, port, node_id, directory, auth }))
    }
}

/// One node as discovery lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub node_id: u32,
    pub host: String,
    pub port: u16,
    /// False while the node is stopped (it is then left out of ListEndpoints).
    pub up: bool,
}

/// The nodes of a server.
#[derive(Debug, Default)]
pub struct Directory {
    endpoints: Mutex<Vec<Endpoint>>,
}

impl Directory {
    pub fn add(&self, endpoint: Endpoint) {
        self.endpoints.lock().push(endpoint);
    }

    /// Marks a node up or down.
    pub fn set_up(&self, node_id: u32, up: bool) {
        for e in self.endpoints.lock().iter_mut().filter(|e| e.node_id == node_id) {
            e.up = up;
        }
    }

    /// Every node, running or not, in node id order.
    pub fn all(&self) -> Vec<Endpoint> {
        self.endpoints.lock().clone()
    }

    /// The running nodes.
    pub fn up(&self) -> Vec<Endpoint> {
        self.endpoints.lock().iter().filter(|e| e.up).cloned().collect()
    }
}

impl std::ops::Deref for State {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// The database a call names in its `x-ydb-database` header (`/local` when absent).
pub fn database_of<T>(request: &tonic::Request<T>) -> String {
    request
        .metadata()
        .get("x-ydb-database")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .unwrap_or("/local")
        .to_string()
}
