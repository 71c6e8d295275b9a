//! What every service of one server shares: the engine, the sessions and the server's own endpoint.

use std::sync::Arc;

use crate::auth::Auth;
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
}

impl State {
    pub fn new(engine: Engine, host: String, port: u16, node_id: u32) -> State {
        State(Arc::new(Inner { engine, sessions: Sessions::new(node_id), host, port, node_id, auth: Arc::default() }))
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
