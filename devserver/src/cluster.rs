//! The nodes of a running server and what they share besides the store: the fault registry, the guard,
//! the directory of endpoints. The admin endpoint drives a cluster (stop and start nodes, kill sessions,
//! restart); `server.rs` assembles one and gives it the function that serves a node.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::faults::Faults;
use crate::guard::Guard;
use crate::services::end_sessions;
use crate::sessions::Ended;
use crate::state::{Directory, Endpoint, State};

/// How long a stopping node waits for its open calls before it drops them.
const STOP_GRACE: Duration = Duration::from_secs(2);

/// Serves a node on a listener until told to stop (`server.rs`'s routes).
pub type ServeFn = fn(&Node, TcpListener, Arc<Faults>, Arc<Guard>, mpsc::UnboundedSender<String>) -> Serving;

/// One node: its port, its sessions, and its gRPC server while it runs.
pub struct Node {
    /// 1-based, as in session ids and ListEndpoints.
    pub id: u32,
    pub addr: SocketAddr,
    pub state: State,
    serving: tokio::sync::Mutex<Option<Serving>>,
}

/// A node's gRPC server while it runs.
pub struct Serving {
    pub shutdown: oneshot::Sender<()>,
    pub task: JoinHandle<()>,
}

impl Node {
    pub fn new(id: u32, addr: SocketAddr, state: State) -> Node {
        Node { id, addr, state, serving: tokio::sync::Mutex::new(None) }
    }

    /// Records the server now serving this node.
    pub async fn serving_now(&self, serving: Serving) {
        *self.serving.lock().await = Some(serving);
    }
}

/// The nodes of a server and what they share besides the store: the fault registry and call counters.
pub struct Cluster {
    pub nodes: Vec<Node>,
    pub faults: Arc<Faults>,
    /// Allowed origins and host names, for the services and the admin endpoint.
    pub guard: Arc<Guard>,
    directory: Arc<Directory>,
    errors: mpsc::UnboundedSender<String>,
    serve: ServeFn,
}

impl Cluster {
    pub fn new(
        nodes: Vec<Node>,
        faults: Arc<Faults>,
        guard: Arc<Guard>,
        directory: Arc<Directory>,
        errors: mpsc::UnboundedSender<String>,
        serve: ServeFn,
    ) -> Cluster {
        Cluster { nodes, faults, guard, directory, errors, serve }
    }

    pub fn node(&self, id: u32) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }

    /// Live sessions on all nodes.
    pub fn session_count(&self) -> usize {
        self.nodes.iter().map(|n| n.state.sessions.len()).sum()
    }

    /// Whether a node is serving.
    pub fn is_up(&self, id: u32) -> bool {
        self.directory.up().iter().any(|e| e.node_id == id)
    }

    /// Starts serving a stopped node on its port again; false when it was running (or is unknown).
    pub async fn start_node(&self, id: u32) -> Result<bool, String> {
        let Some(node) = self.node(id) else { return Ok(false) };
        let mut serving = node.serving.lock().await;
        if serving.is_some() {
            return Ok(false);
        }
        let listener =
            TcpListener::bind(node.addr).await.map_err(|e| format!("node {id}: cannot bind {}: {e}", node.addr))?;
        *serving = Some((self.serve)(node, listener, self.faults.clone(), self.guard.clone(), self.errors.clone()));
        self.directory.set_up(id, true);
        Ok(true)
    }

    /// Stops a node: its sessions end with the shutdown hint, their transactions roll back, its port closes
    /// (new connections are refused). False when it was not running.
    pub async fn stop_node(&self, id: u32) -> bool {
        let Some(node) = self.node(id) else { return false };
        let Some(serving) = node.serving.lock().await.take() else { return false };
        self.directory.set_up(id, false);
        end_sessions(&node.state, node.state.sessions.remove_all(Ended::Shutdown)).await;
        let _ = serving.shutdown.send(());
        let mut task = serving.task;
        if tokio::time::timeout(STOP_GRACE, &mut task).await.is_err() {
            task.abort();
        }
        true
    }

    /// Kills one session (by id, on whichever node holds it) or every session; returns how many died.
    /// Killed sessions answer BAD_SESSION from then on and their AttachSession streams end.
    pub async fn kill_sessions(&self, session_id: Option<&str>) -> usize {
        let mut killed = 0;
        for node in &self.nodes {
            let sessions = match session_id {
                Some(id) => node.state.sessions.remove(id, Ended::Closed).into_iter().collect(),
                None => node.state.sessions.remove_all(Ended::Closed),
            };
            killed += sessions.len();
            end_sessions(&node.state, sessions).await;
        }
        killed
    }

    /// What a YDB restart looks like to clients: every session ends with the shutdown hint and its open
    /// transactions roll back; data stays and the ports stay open. Returns how many sessions ended.
    pub async fn restart(&self) -> usize {
        let mut ended = 0;
        for node in &self.nodes {
            let sessions = node.state.sessions.remove_all(Ended::Shutdown);
            ended += sessions.len();
            end_sessions(&node.state, sessions).await;
        }
        ended
    }

    /// Every node with its address and whether it runs.
    pub fn endpoints(&self) -> Vec<Endpoint> {
        self.directory.all()
    }
}
