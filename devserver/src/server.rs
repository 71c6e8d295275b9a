//! Assembles and runs the server: one TCP port serving plain gRPC (HTTP/2) and gRPC-web (HTTP/1.1) with
//! CORS, so native SDKs and JS runtimes (browsers included) reach the same services.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use http::header::HeaderName;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_stream::StreamExt;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

use crate::engine::Engine;
use crate::proto::ydb::auth::v1::auth_service_server::AuthServiceServer;
use crate::proto::ydb::discovery::v1::discovery_service_server::DiscoveryServiceServer;
use crate::proto::ydb::query::v1::query_service_server::QueryServiceServer;
use crate::proto::ydb::scheme::v1::scheme_service_server::SchemeServiceServer;
use crate::proto::ydb::table::v1::table_service_server::TableServiceServer;
use crate::services::{discovery::Discovery, query::Query, scheme::Scheme, table::rollback_all, table::Table};
use crate::sessions::Ended;
use crate::state::State;

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
}

impl Default for Config {
    fn default() -> Config {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 2136)),
            data: None,
            session_idle_timeout: Duration::from_secs(600),
            users: Vec::new(),
            token_ttl: crate::auth::DEFAULT_TOKEN_TTL,
        }
    }
}

/// A running server.
pub struct Running {
    /// The address actually bound (useful with port 0).
    pub addr: SocketAddr,
    state: State,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), tonic::transport::Error>>,
}

impl Running {
    /// Number of live sessions (tests use it to prove clients do not leak sessions).
    pub fn session_count(&self) -> usize {
        self.state.sessions.len()
    }

    /// Stops the server: every session ends with a shutdown hint, then the port closes.
    pub async fn stop(mut self) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let ended = self.state.sessions.remove_all(Ended::Shutdown);
        for session in ended {
            rollback_all(&self.state, session.open_transactions()).await;
        }
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        (&mut self.task).await??;
        Ok(())
    }

    /// Waits until the server ends by itself (an error) — for the binary, which stops it on a signal.
    pub async fn wait(&mut self) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        (&mut self.task).await??;
        Ok(())
    }
}

fn cors() -> CorsLayer {
    let exposed = ["grpc-status", "grpc-message", "grpc-status-details-bin", "x-ydb-server-hints"];
    CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_methods([http::Method::POST, http::Method::OPTIONS])
        .allow_headers(Any)
        .expose_headers(exposed.map(HeaderName::from_static))
        .max_age(Duration::from_secs(24 * 60 * 60))
}

/// Opens the store, binds the port and starts serving in the background.
pub async fn start(config: Config) -> Result<Running, Box<dyn std::error::Error + Send + Sync>> {
    let engine = Engine::open(config.data.as_deref()).map_err(|e| {
        let messages: Vec<String> = e.issues.iter().map(|i| i.message.clone()).collect();
        format!("cannot open the store ({:?}): {}", e.status, messages.join("; "))
    })?;
    let listener = TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let state = State::new(engine, addr.ip().to_string(), addr.port(), 1);
    state.auth.configure(&config.users, config.token_ttl);

    let router = tonic::transport::Server::builder()
        .accept_http1(true)
        .layer(cors())
        .layer(tonic_web::GrpcWebLayer::new())
        .layer(crate::auth::AuthLayer::new(state.auth.clone()))
        .add_service(AuthServiceServer::new(crate::services::auth::Auth { state: state.clone() }))
        .add_service(DiscoveryServiceServer::new(Discovery { state: state.clone() }))
        .add_service(SchemeServiceServer::new(Scheme { state: state.clone() }))
        .add_service(
            TableServiceServer::new(Table::new(state.clone()))
                .max_decoding_message_size(MAX_MESSAGE_BYTES)
                .max_encoding_message_size(MAX_MESSAGE_BYTES),
        )
        .add_service(
            QueryServiceServer::new(Query { state: state.clone() })
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
    let task = tokio::spawn(router.serve_with_incoming_shutdown(incoming, async {
        let _ = stopped.await;
    }));

    let reaper_state = state.clone();
    let idle = config.session_idle_timeout;
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(idle.min(Duration::from_secs(10)).max(Duration::from_millis(100)));
        loop {
            tick.tick().await;
            for session in reaper_state.sessions.expire_idle(idle) {
                rollback_all(&reaper_state, session.open_transactions()).await;
            }
        }
    });

    Ok(Running { addr, state, shutdown: Some(shutdown), task })
}
