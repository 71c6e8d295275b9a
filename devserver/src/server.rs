//! Assembles and runs the server: one or more nodes, each one TCP port serving plain gRPC (HTTP/2) and
//! gRPC-web (HTTP/1.1) with CORS, so native SDKs and JS runtimes (browsers included) reach the same services.
//! Nodes share one store and one fault registry; each has its own sessions, and can be stopped and started
//! again (the admin endpoint does that) to test clients' discovery and balancing. The nodes as a whole
//! are a [`Cluster`] (its own module, which the admin endpoint drives); here are the routes of a node and
//! the start of the whole server.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use http::header::HeaderName;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_stream::StreamExt;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

use crate::cluster::{Cluster, Node, Serving};
use crate::engine::Engine;
use crate::faults::{FaultLayer, Faults};
use crate::guard::{Guard, GuardLayer};
use crate::proto::ydb::auth::v1::auth_service_server::AuthServiceServer;
use crate::proto::ydb::discovery::v1::discovery_service_server::DiscoveryServiceServer;
use crate::proto::ydb::query::v1::query_service_server::QueryServiceServer;
use crate::proto::ydb::scheme::v1::scheme_service_server::SchemeServiceServer;
use crate::proto::ydb::table::v1::table_service_server::TableServiceServer;
use crate::services::{discovery::Discovery, end_sessions, query::Query, scheme::Scheme, table::Table};
use crate::state::{Directory, Endpoint, State};

/// Requests up to this size are accepted (bulk upserts and big parameter lists).
const MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;

/// How the server is started.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    /// Keep data under this directory; in memory when `None`.
    pub data: Option<PathBuf>,
    /// Sessions idle for longer than this are closed (YDB closes idle sessions too).
    pub session_idle_timeout: Duration,
    /// `(name, password)` pairs; authentication is on when there is at least one.
    pub users: Vec<(String, String)>,
    /// How long Login tokens live.
    pub token_ttl: Duration,
    /// With users: calls without a token still pass, as anonymous (YDB without
    /// `enforce_user_token_requirement`, as in its local docker image); Login still checks passwords.
    pub allow_anonymous: bool,
    /// Number of nodes, on consecutive ports from `listen`'s (any free ports when it is 0); at least 1.
    pub nodes: u32,
    /// Serve the admin endpoint (faults, session kills, restarts, node stop/start, stats) here.
    pub admin: Option<SocketAddr>,
    /// Browser origins allowed beyond loopback ones (`*`: any), see `guard.rs`.
    pub allow_origins: Vec<String>,
    /// Host names answered over HTTP/1.x beyond IP literals and localhost (`*`: any), see `guard.rs`.
    pub allow_hosts: Vec<String>,
    /// The cloud token endpoints (IAM, metadata, OAuth token exchange), see `cloud_auth`.
    pub cloud_auth: crate::cloud_auth::Config,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 2136)),
            data: None,
            session_idle_timeout: Duration::from_secs(600),
            users: Vec::new(),
            token_ttl: crate::auth::DEFAULT_TOKEN_TTL,
            allow_anonymous: false,
            nodes: 1,
            admin: None,
            allow_origins: Vec::new(),
            allow_hosts: Vec::new(),
            cloud_auth: crate::cloud_auth::Config::default(),
        }
    }
}

/// A running server.
pub struct Running {
    /// The address of node 1 (useful with port 0).
    pub addr: SocketAddr,
    /// The admin endpoint's address, when it was asked for.
    pub admin_addr: Option<SocketAddr>,
    cluster: Arc<Cluster>,
    errors: mpsc::UnboundedReceiver<String>,
    background: Vec<JoinHandle<()>>,
}

impl Running {
    /// Number of live sessions on all nodes (tests use it to prove clients do not leak sessions).
    pub fn session_count(&self) -> usize {
        self.cluster.session_count()
    }

    /// The address of every node, node 1 first.
    pub fn addrs(&self) -> Vec<SocketAddr> {
        self.cluster.nodes.iter().map(|n| n.addr).collect()
    }

    /// The nodes and faults, as the admin endpoint drives them.
    pub fn cluster(&self) -> &Arc<Cluster> {
        &self.cluster
    }

    /// Stops the server: every session ends with a shutdown hint, then the ports close.
    pub async fn stop(self) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        for task in &self.background {
            task.abort();
        }
        for node in &self.cluster.nodes {
            self.cluster.stop_node(node.id).await;
        }
        Ok(())
    }

    /// Waits until the server ends by itself (an error) — for the binary, which stops it on a signal.
    pub async fn wait(&mut self) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        match self.errors.recv().await {
            Some(e) => Err(e.into()),
            None => Ok(()),
        }
    }
}

/// CORS for gRPC-web and the token endpoints (`cloud_auth`): the origins the guard allows get their origin
/// back, others get no grant.
fn cors(guard: Arc<Guard>) -> CorsLayer {
    let exposed = ["grpc-status", "grpc-message", "grpc-status-details-bin", "x-ydb-server-hints"];
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin, _| {
            origin.to_str().is_ok_and(|origin| guard.origin_allowed(origin))
        }))
        .allow_methods([http::Method::GET, http::Method::POST, http::Method::OPTIONS])
        .allow_headers(Any)
        .expose_headers(exposed.map(HeaderName::from_static))
        .max_age(Duration::from_secs(24 * 60 * 60))
}

/// Serves one node on `listener` until told to stop: the routes of every node (the cluster starts a
/// stopped node again through this).
/// A service that accepts requests compressed with gzip or deflate, as YDB does (answers stay plain).
macro_rules! compressed {
    ($service:expr) => {
        $service
            .accept_compressed(tonic::codec::CompressionEncoding::Gzip)
            .accept_compressed(tonic::codec::CompressionEncoding::Deflate)
    };
}

fn serve(
    node: &Node,
    listener: TcpListener,
    faults: Arc<Faults>,
    guard: Arc<Guard>,
    errors: mpsc::UnboundedSender<String>,
) -> Serving {
    let state = node.state.clone();
    let router = tonic::transport::Server::builder()
        .accept_http1(true)
        // Outermost: a refused origin or host gets nothing, not even a CORS answer.
        .layer(GuardLayer::new(guard.clone()))
        .layer(cors(guard))
        .layer(crate::cloud_auth::TokenEndpointsLayer::new(state.auth.clone(), state.node_id, faults.clone()))
        .layer(tonic_web::GrpcWebLayer::new())
        .layer(crate::auth::AuthLayer::new(state.auth.clone()))
        // Innermost, so it sees plain gRPC whichever protocol the client spoke.
        .layer(FaultLayer::new(faults, state.clone()))
        .add_service(compressed!(AuthServiceServer::new(crate::services::auth::Auth { state: state.clone() })))
        .add_service(compressed!(DiscoveryServiceServer::new(Discovery { state: state.clone() })))
        .add_service(compressed!(SchemeServiceServer::new(Scheme { state: state.clone() })))
        .add_service(
            compressed!(TableServiceServer::new(Table::new(state.clone())))
                .max_decoding_message_size(MAX_MESSAGE_BYTES)
                .max_encoding_message_size(MAX_MESSAGE_BYTES),
        )
        .add_service(
            compressed!(QueryServiceServer::new(Query { state: state.clone() }))
                .max_decoding_message_size(MAX_MESSAGE_BYTES)
                .max_encoding_message_size(MAX_MESSAGE_BYTES),
        );

    let (shutdown, stopped) = oneshot::channel::<()>();
    // Small answers must leave at once: without TCP_NODELAY, Nagle's algorithm holds an HTTP/1.1 response's
    // last segment until the client's delayed ACK, adding tens of milliseconds to every gRPC-web call.
    let incoming = TcpListenerStream::new(listener).map(|conn| {
        conn.inspect(|stream| {
            let _ = stream.set_nodelay(true);
        })
    });
    let id = node.id;
    let task = tokio::spawn(async move {
        let served = router
            .serve_with_incoming_shutdown(incoming, async {
                let _ = stopped.await;
            })
            .await;
        if let Err(e) = served {
            let _ = errors.send(format!("node {id}: {e}"));
        }
    });
    Serving { shutdown, task }
}

/// Opens the store, binds the ports and starts serving in the background.
pub async fn start(config: Config) -> Result<Running, Box<dyn std::error::Error + Send + Sync>> {
    let engine = Engine::open(config.data.as_deref()).map_err(|e| {
        let messages: Vec<String> = e.issues.iter().map(|i| i.message.clone()).collect();
        format!("cannot open the store ({:?}): {}", e.status, messages.join("; "))
    })?;
    let count = config.nodes.max(1);
    let mut listeners = Vec::new();
    for i in 0..count {
        let mut addr = config.listen;
        if addr.port() != 0 {
            let port = u16::try_from(u32::from(addr.port()) + i).map_err(|_| "node ports run past 65535")?;
            addr.set_port(port);
        }
        let listener = TcpListener::bind(addr).await.map_err(|e| format!("cannot bind {addr}: {e}"))?;
        let addr = listener.local_addr()?;
        listeners.push((i + 1, addr, listener));
    }
    let directory = Arc::new(Directory::default());
    for (id, addr, _) in &listeners {
        directory.add(Endpoint { node_id: *id, host: addr.ip().to_string(), port: addr.port(), up: true });
    }
    let faults = Arc::new(Faults::new());
    let guard = Arc::new(Guard::new(&config.allow_origins, &config.allow_hosts));
    let auth = Arc::new(crate::auth::Auth::default());
    auth.configure(&config.users, config.token_ttl);
    auth.allow_anonymous(config.allow_anonymous);
    auth.configure_cloud(config.cloud_auth.clone());
    let (errors, errors_rx) = mpsc::unbounded_channel();
    let mut nodes = Vec::new();
    let mut servings = Vec::new();
    for (id, addr, listener) in listeners {
        let state = State::in_directory(
            engine.clone(),
            directory.clone(),
            auth.clone(),
            addr.ip().to_string(),
            addr.port(),
            id,
        );
        let node = Node::new(id, addr, state);
        servings.push(serve(&node, listener, faults.clone(), guard.clone(), errors.clone()));
        nodes.push(node);
    }
    for (node, serving) in nodes.iter().zip(servings) {
        node.serving_now(serving).await;
    }
    let addr = nodes.first().map(|n| n.addr).ok_or("no nodes")?;
    let cluster = Arc::new(Cluster::new(nodes, faults, guard, directory, errors, serve));

    let mut background = Vec::new();
    let reaper = cluster.clone();
    let idle = config.session_idle_timeout;
    background.push(tokio::spawn(async move {
        let mut tick = tokio::time::interval(idle.min(Duration::from_secs(10)).max(Duration::from_millis(100)));
        loop {
            tick.tick().await;
            for node in &reaper.nodes {
                end_sessions(&node.state, node.state.sessions.expire_idle(idle)).await;
            }
        }
    }));

    let mut admin_addr = None;
    if let Some(admin) = config.admin {
        let listener =
            TcpListener::bind(admin).await.map_err(|e| format!("cannot bind the admin endpoint {admin}: {e}"))?;
        admin_addr = Some(listener.local_addr()?);
        background.push(tokio::spawn(crate::admin::serve(listener, cluster.clone())));
    }

    Ok(Running { addr, admin_addr, cluster, errors: errors_rx, background })
}
