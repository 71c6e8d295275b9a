//! `ydb-devserver`: runs the dev server until interrupted.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use ydb_devserver::server::{self, Config};

/// A YDB-protocol-compatible development server (gRPC and gRPC-web on one port, SQLite underneath).
#[derive(Parser, Debug)]
#[command(name = "ydb-devserver", version)]
struct Args {
    /// Address to listen on; port 0 picks a free port (the chosen address is printed).
    #[arg(long, default_value = "127.0.0.1:2136")]
    listen: SocketAddr,
    /// Keep data in this directory (created if missing); without it, data lives in memory.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Close sessions idle for this many seconds.
    #[arg(long, default_value_t = 600)]
    session_idle_timeout: u64,
    /// A user as NAME:PASSWORD (repeatable); with any, calls need a token from AuthService/Login.
    #[arg(long = "user", value_name = "NAME:PASSWORD")]
    users: Vec<String>,
    /// With --user: calls without a token still pass, as anonymous (YDB's default, as in its docker image);
    /// Login still checks passwords and a token given must be valid.
    #[arg(long)]
    allow_anonymous: bool,
    /// Lifetime of Login tokens, in seconds.
    #[arg(long, default_value_t = 12 * 60 * 60)]
    token_ttl: u64,
    /// Serve this many nodes on consecutive ports from --listen's (any free ports with port 0).
    #[arg(long, default_value_t = 1)]
    nodes: u32,
    /// Serve the admin endpoint (fault injection, session kills, restarts, node stop/start, stats) here.
    #[arg(long)]
    admin: Option<SocketAddr>,
    /// Also let web pages from this origin call the server (repeatable; loopback origins always may;
    /// `*`: any origin).
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    allow_origins: Vec<String>,
    /// Also answer HTTP/1.1 (gRPC-web) requests naming this host (repeatable; IP addresses and localhost
    /// always are; `*`: any name).
    #[arg(long = "allow-host", value_name = "NAME")]
    allow_hosts: Vec<String>,
    /// Serve the IAM token exchange (POST /iam/v1/tokens) for a service account's key: JWTs with this kid,
    /// issued by this account and signed PS256 with the private half of the PEM public key at PATH, get an
    /// IAM token (repeatable; with any, calls need a token).
    #[arg(long = "iam-key", value_name = "KEY_ID:SERVICE_ACCOUNT_ID:PATH")]
    iam_keys: Vec<String>,
    /// The same from a Yandex Cloud authorized key file (JSON with id, service_account_id and public_key or
    /// private_key), so one file serves the client and the server (repeatable).
    #[arg(long = "iam-key-file", value_name = "PATH")]
    iam_key_files: Vec<String>,
    /// The aud the service-account JWTs must name.
    #[arg(long, default_value = ydb_devserver::cloud_auth::DEFAULT_IAM_AUDIENCE)]
    iam_audience: String,
    /// Lifetime of the tokens the IAM, metadata and OAuth endpoints issue, in seconds.
    #[arg(long, default_value_t = 12 * 60 * 60)]
    iam_token_ttl: u64,
    /// Serve the instance metadata token (GET /computeMetadata/v1/instance/service-accounts/default/token)
    /// for this service account (with it, calls need a token).
    #[arg(long, value_name = "SERVICE_ACCOUNT_ID")]
    metadata_token: Option<String>,
    /// Serve the OAuth 2.0 token exchange (POST /oauth/token) for this subject: token:VALUE (that exact
    /// subject token) or jwt:KEY_ID:PATH (JWTs signed by the PEM public key at PATH: RS256/PS256
    /// with an RSA key, ES256 with a P-256 one)
    /// (repeatable; with any, calls need a token).
    #[arg(long = "oauth-subject", value_name = "token:VALUE|jwt:KEY_ID:PATH")]
    oauth_subjects: Vec<String>,
}

/// The cloud token endpoints' settings from the flags.
fn cloud_auth(args: &Args) -> Result<ydb_devserver::cloud_auth::Config, String> {
    use ydb_devserver::cloud_auth::{Config, IamKey, OauthSubject};
    Ok(Config {
        iam_keys: args
            .iam_keys
            .iter()
            .map(|k| IamKey::from_flag(k))
            .chain(args.iam_key_files.iter().map(|f| IamKey::from_key_file(f)))
            .collect::<Result<_, _>>()?,
        iam_audience: args.iam_audience.clone(),
        token_ttl: Duration::from_secs(args.iam_token_ttl.max(1)),
        metadata_account: args.metadata_token.clone().filter(|a| !a.is_empty()),
        oauth_subjects: args.oauth_subjects.iter().map(|s| OauthSubject::from_flag(s)).collect::<Result<_, _>>()?,
    })
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_default_env()).init();
    let args = Args::parse();
    if let Some(dir) = &args.data {
        if let Err(e) = std::fs::create_dir_all(dir) {
            eprintln!("ydb-devserver: cannot create {}: {e}", dir.display());
            return std::process::ExitCode::FAILURE;
        }
    }
    let mut users = Vec::new();
    for u in &args.users {
        match u.split_once(':') {
            Some((name, password)) if !name.is_empty() => users.push((name.to_string(), password.to_string())),
            _ => {
                eprintln!("ydb-devserver: --user wants NAME:PASSWORD, got {u:?}");
                return std::process::ExitCode::FAILURE;
            }
        }
    }
    let cloud_auth = match cloud_auth(&args) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("ydb-devserver: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    // Anonymous calls make the server as open as one without users.
    let authenticators = if args.allow_anonymous { 0 } else { users.len() + usize::from(cloud_auth.issues_tokens()) };
    for warning in ydb_devserver::guard::exposure_warnings(&args.listen, args.admin.as_ref(), authenticators) {
        eprintln!("ydb-devserver: {warning}");
    }
    let config = Config {
        listen: args.listen,
        data: args.data,
        session_idle_timeout: Duration::from_secs(args.session_idle_timeout.max(1)),
        users,
        token_ttl: Duration::from_secs(args.token_ttl.max(1)),
        allow_anonymous: args.allow_anonymous,
        nodes: args.nodes.max(1),
        admin: args.admin,
        allow_origins: args.allow_origins,
        allow_hosts: args.allow_hosts,
        cloud_auth,
    };
    let mut running = match server::start(config).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ydb-devserver: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    println!("ydb-devserver listening on {}", running.addr);
    for (id, addr) in running.addrs().iter().enumerate().skip(1) {
        println!("ydb-devserver node {} listening on {addr}", id + 1);
    }
    if let Some(admin) = running.admin_addr {
        println!("ydb-devserver admin on {admin}");
    }
    let _ = std::io::stdout().flush();
    tokio::select! {
        _ = stop_signal() => {}
        r = running.wait() => {
            if let Err(e) = r {
                eprintln!("ydb-devserver: {e}");
                return std::process::ExitCode::FAILURE;
            }
            return std::process::ExitCode::SUCCESS;
        }
    }
    match running.stop().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ydb-devserver: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Ctrl-C, or (on Unix) the SIGTERM that `kill` and test scripts send: either stops the server cleanly,
/// so that an in-memory store's scratch directory is removed.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
