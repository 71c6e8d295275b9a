//! The cloud token endpoints: what a client's cloud credentials talk to before they talk to YDB, served
//! by the dev server so those credentials can be tested end to end without a cloud.
//!
//! - `POST /iam/v1/tokens` (`iam.rs`), on with `--iam-key KEY_ID:SERVICE_ACCOUNT_ID:PATH`: JSON
//!   `{"jwt": "<PS256 JWS>"}` → `{"iamToken", "expiresAt"}`, Yandex Cloud IAM's REST exchange.
//! - `GET /computeMetadata/v1/instance/service-accounts/default/token` (`metadata.rs`), on with
//!   `--metadata-token SERVICE_ACCOUNT_ID`: header `Metadata-Flavor: Google` →
//!   `{"access_token", "expires_in", "token_type": "Bearer"}`, the instance metadata service.
//! - `POST /oauth/token` (`oauth.rs`), on with `--oauth-subject token:VALUE` or `jwt:KEY_ID:PATH`: an
//!   RFC 8693 form → `{"access_token", "issued_token_type", "token_type", "expires_in"}`.
//!
//! `jwt.rs` parses and verifies the JWTs (RS256, PS256, ES256).
//!
//! The routes share the gRPC port: [`TokenEndpointsLayer`] sits inside the guard and CORS layers (so
//! browsers get the same origin rules and preflight answers as gRPC-web) and answers these paths before
//! gRPC-web translation and tonic's router see them; every other request passes through untouched. A
//! route whose flag was not given answers 404 naming the flag. Issued tokens go into [`crate::auth::Auth`],
//! which accepts them in `x-ydb-auth-ticket` as the service account (or subject) they were issued to, for
//! `--iam-token-ttl` seconds; any of these flags turns authentication on.
//!
//! Faults can make the routes answer an HTTP error, hang or close the connection: the layer asks an
//! [`HttpFaults`] (the dev server's fault registry, `crate::faults`, which names these routes itself).
//! Tokens, JWTs and keys are never logged: only key ids, accounts and outcomes.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use tonic::body::Body;

use self::jwt::PublicKey;

mod iam;
pub mod jwt;
mod metadata;
mod oauth;

/// The IAM token exchange's path.
pub const IAM_PATH: &str = "/iam/v1/tokens";
/// The instance metadata service's token path (Google Compute Engine's, which Yandex Cloud serves too).
pub const METADATA_PATH: &str = "/computeMetadata/v1/instance/service-accounts/default/token";
/// The OAuth 2.0 token exchange's path.
pub const OAUTH_PATH: &str = "/oauth/token";
/// Every path this module answers.
pub const ENDPOINT_PATHS: &[&str] = &[IAM_PATH, METADATA_PATH, OAUTH_PATH];

/// The `aud` a service-account JWT must name unless `--iam-audience` says otherwise: Yandex Cloud's IAM.
pub const DEFAULT_IAM_AUDIENCE: &str = "https://iam.api.cloud.yandex.net/iam/v1/tokens";
/// How long issued tokens live unless `--iam-token-ttl` says otherwise (Yandex Cloud's IAM tokens: 12 h).
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(12 * 60 * 60);
/// Request bodies larger than this are refused.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// A service account's authorized key: the JWTs whose `kid` is `key_id` must be signed by `key` and
/// issued by `service_account_id`.
#[derive(Clone)]
pub struct IamKey {
    pub key_id: String,
    pub service_account_id: String,
    /// An RSA key (service-account JWTs are PS256).
    pub key: PublicKey,
}

impl fmt::Debug for IamKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IamKey")
            .field("key_id", &self.key_id)
            .field("service_account_id", &self.service_account_id)
            .finish()
    }
}

/// Reads a PEM public key file for a flag.
fn read_key(path: &str, flag: &str) -> Result<PublicKey, String> {
    let pem = std::fs::read_to_string(path).map_err(|e| format!("{flag}: cannot read {path}: {e}"))?;
    jwt::public_key_from_pem(&pem).map_err(|e| format!("{flag}: {path}: {e}"))
}

impl IamKey {
    /// From `--iam-key KEY_ID:SERVICE_ACCOUNT_ID:PATH` (PATH: a PEM RSA public key, SPKI or PKCS#1).
    pub fn from_flag(value: &str) -> Result<IamKey, String> {
        let mut parts = value.splitn(3, ':');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(key_id), Some(account), Some(path))
                if !key_id.is_empty() && !account.is_empty() && !path.is_empty() =>
            {
                let key = read_key(path, "--iam-key")?;
                if !matches!(key, PublicKey::Rsa(_)) {
                    return Err(format!("--iam-key: {path}: service-account keys are RSA (their JWTs are PS256)"));
                }
                Ok(IamKey { key_id: key_id.to_string(), service_account_id: account.to_string(), key })
            }
            _ => Err(format!("--iam-key wants KEY_ID:SERVICE_ACCOUNT_ID:PATH, got {value:?}")),
        }
    }

    /// From `--iam-key-file PATH`: a service account's authorized key as Yandex Cloud writes it (`yc iam
    /// key create --output key.json`): `id`, `service_account_id`, and `public_key` (PEM) or, without it,
    /// the public half of `private_key` — so one file can drive both a client and this server.
    pub fn from_key_file(path: &str) -> Result<IamKey, String> {
        let flag = "--iam-key-file";
        let text = std::fs::read_to_string(path).map_err(|e| format!("{flag}: cannot read {path}: {e}"))?;
        let json: serde_json::Value =
            serde_json::from_str(&text).map_err(|_| format!("{flag}: {path} is not a JSON key file"))?;
        let field = |name: &str| json.get(name).and_then(|v| v.as_str()).filter(|v| !v.is_empty());
        let (Some(key_id), Some(account)) = (field("id"), field("service_account_id")) else {
            return Err(format!("{flag}: {path} has no id and service_account_id"));
        };
        let key = match (field("public_key"), field("private_key")) {
            (Some(public), _) => jwt::public_key_from_pem(public).map_err(|e| format!("{flag}: {path}: {e}"))?,
            (None, Some(private)) => public_half(private).map_err(|e| format!("{flag}: {path}: {e}"))?,
            (None, None) => return Err(format!("{flag}: {path} has neither public_key nor private_key")),
        };
        if !matches!(key, PublicKey::Rsa(_)) {
            return Err(format!("{flag}: {path}: service-account keys are RSA (their JWTs are PS256)"));
        }
        Ok(IamKey { key_id: key_id.to_string(), service_account_id: account.to_string(), key })
    }
}

/// The public half of a PEM RSA private key (PKCS#8 or PKCS#1), after whatever precedes the PEM (Yandex
/// Cloud's key files start theirs with a `PLEASE DO NOT REMOVE THIS LINE!` line). Errors never quote it.
fn public_half(private_pem: &str) -> Result<PublicKey, String> {
    use rsa::pkcs1::DecodeRsaPrivateKey;
    use rsa::pkcs8::DecodePrivateKey;
    let pem = private_pem.find("-----BEGIN").and_then(|start| private_pem.get(start..)).unwrap_or_default();
    let key = if pem.starts_with("-----BEGIN RSA PRIVATE KEY-----") {
        rsa::RsaPrivateKey::from_pkcs1_pem(pem).ok()
    } else {
        rsa::RsaPrivateKey::from_pkcs8_pem(pem).ok()
    };
    key.map(|k| PublicKey::Rsa(k.to_public_key())).ok_or_else(|| "private_key is not a PEM RSA private key".to_string())
}

/// A subject token the OAuth token exchange accepts.
#[derive(Clone)]
pub enum OauthSubject {
    /// This exact token (compared in constant time).
    Token(String),
    /// A JWT signed with this key (RS256 or PS256 for an RSA key, ES256 for a P-256 one); its `kid`, when
    /// it has one, must be `key_id`.
    Jwt { key_id: String, key: PublicKey },
}

impl fmt::Debug for OauthSubject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OauthSubject::Token(_) => f.write_str("Token(<hidden>)"),
            OauthSubject::Jwt { key_id, .. } => f.debug_struct("Jwt").field("key_id", key_id).finish(),
        }
    }
}

impl OauthSubject {
    /// From `--oauth-subject token:VALUE` or `--oauth-subject jwt:KEY_ID:PATH`.
    pub fn from_flag(value: &str) -> Result<OauthSubject, String> {
        let wants = "--oauth-subject wants token:VALUE or jwt:KEY_ID:PATH";
        match value.split_once(':') {
            Some(("token", token)) if !token.is_empty() => Ok(OauthSubject::Token(token.to_string())),
            Some(("jwt", rest)) => match rest.split_once(':') {
                Some((key_id, path)) if !key_id.is_empty() && !path.is_empty() => {
                    Ok(OauthSubject::Jwt { key_id: key_id.to_string(), key: read_key(path, "--oauth-subject")? })
                }
                _ => Err(format!("{wants}, got jwt:{rest:?}")),
            },
            // The value may be a secret: do not echo it.
            _ => Err(format!("{wants} (the value given starts with neither)")),
        }
    }
}

/// What the token endpoints accept and issue.
#[derive(Debug, Clone)]
pub struct Config {
    /// `--iam-key`: the keys the IAM endpoint verifies JWTs with; the endpoint is on with at least one.
    pub iam_keys: Vec<IamKey>,
    /// `--iam-audience`: the `aud` the JWTs must name.
    pub iam_audience: String,
    /// `--iam-token-ttl`: how long the tokens of all three endpoints live.
    pub token_ttl: Duration,
    /// `--metadata-token`: the service account the metadata endpoint issues tokens for (on when set).
    pub metadata_account: Option<String>,
    /// `--oauth-subject`: the subject tokens the exchange accepts (on with at least one).
    pub oauth_subjects: Vec<OauthSubject>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            iam_keys: Vec::new(),
            iam_audience: DEFAULT_IAM_AUDIENCE.to_string(),
            token_ttl: DEFAULT_TOKEN_TTL,
            metadata_account: None,
            oauth_subjects: Vec::new(),
        }
    }
}

impl Config {
    /// Whether any endpoint is on (then calls need a token).
    pub fn issues_tokens(&self) -> bool {
        !self.iam_keys.is_empty() || self.metadata_account.is_some() || !self.oauth_subjects.is_empty()
    }

    /// The token lifetime in whole seconds, rounded up: `expires_in` must be positive (the Python SDK
    /// refuses 0) even when tests configure less than a second.
    pub fn token_ttl_seconds(&self) -> u64 {
        self.token_ttl.as_secs() + u64::from(self.token_ttl.subsec_nanos() > 0)
    }
}

/// Seconds since the epoch.
fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)).unwrap_or(0)
}

/// The routes, by path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Iam,
    Metadata,
    Oauth,
}

impl Route {
    fn of(path: &str) -> Option<Route> {
        match path {
            IAM_PATH => Some(Route::Iam),
            METADATA_PATH => Some(Route::Metadata),
            OAUTH_PATH => Some(Route::Oauth),
            _ => None,
        }
    }

    fn path(self) -> &'static str {
        match self {
            Route::Iam => IAM_PATH,
            Route::Metadata => METADATA_PATH,
            Route::Oauth => OAUTH_PATH,
        }
    }

    /// The one method the route answers.
    fn method(self) -> &'static str {
        match self {
            Route::Metadata => "GET",
            Route::Iam | Route::Oauth => "POST",
        }
    }

    /// The flag that turns the route on, when `config` has it off.
    fn missing_flag(self, config: &Config) -> Option<&'static str> {
        match self {
            Route::Iam if config.iam_keys.is_empty() => {
                Some("--iam-key KEY_ID:SERVICE_ACCOUNT_ID:PATH or --iam-key-file KEY.json")
            }
            Route::Metadata if config.metadata_account.is_none() => Some("--metadata-token SERVICE_ACCOUNT_ID"),
            Route::Oauth if config.oauth_subjects.is_empty() => Some("--oauth-subject token:VALUE|jwt:KEY_ID:PATH"),
            _ => None,
        }
    }

    /// An error answer in the route's own shape: Yandex Cloud's REST error for IAM, RFC 6749 §5.2 for the
    /// token exchange, plain text for the metadata service.
    fn error(self, status: StatusCode, message: &str) -> Response<Body> {
        match self {
            Route::Iam => iam::error(status, message),
            Route::Oauth => oauth::error(status, oauth::error_code_for(status), message),
            Route::Metadata => text(status, message),
        }
    }
}

/// A JSON answer that no cache keeps (token answers must not be stored, RFC 6749 §5.1).
fn json(status: StatusCode, body: &serde_json::Value) -> Response<Body> {
    answer(status, "application/json", body.to_string())
}

fn text(status: StatusCode, body: &str) -> Response<Body> {
    answer(status, "text/plain; charset=utf-8", format!("{body}\n"))
}

fn answer(status: StatusCode, content_type: &'static str, body: String) -> Response<Body> {
    let mut response = Response::new(Body::new(Full::new(Bytes::from(body))));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(http::header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Reads a request body of at most [`MAX_BODY_BYTES`].
async fn read_body<B>(body: B) -> Result<Bytes, String>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) => Err(format!("cannot read the request body (at most {MAX_BODY_BYTES} bytes): {e}")),
    }
}

/// A response body that fails at once, so the server drops the connection (HTTP/1.1) or resets the
/// stream (HTTP/2) instead of answering: what a `dropStream` fault does to a token endpoint.
struct Dropped;

impl http_body::Body for Dropped {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, tonic::Status>>> {
        Poll::Ready(Some(Err(tonic::Status::unavailable("connection dropped by fault injection"))))
    }
}

/// What a fault makes one token request do: wait, then close the connection or answer an HTTP error.
pub struct HttpFault {
    /// The fault's id, for the log.
    pub fault_id: u64,
    pub latency: Option<Duration>,
    pub drop_stream: bool,
    /// The HTTP status and the message of the route's error answer.
    pub http_status: Option<(u16, String)>,
}

/// Where a token request learns its fault, if any (counting the request as a call of its path).
pub trait HttpFaults: Send + Sync {
    fn fault_for(&self, path: &str, node: u32) -> Option<HttpFault>;
}

/// Who holds the endpoints' configuration and keeps the tokens they issue, so that later calls are
/// accepted with them: the dev server's auth layer (`crate::auth::Auth`). A trait so that this module
/// does not depend on the auth layer, which keeps this module's configuration.
pub trait Issuer: Send + Sync {
    /// What the endpoints accept now.
    fn config(&self) -> Arc<Config>;
    /// A new token for `subject`, valid for `ttl`, and when it expires.
    fn issue(&self, subject: &str, ttl: Duration) -> (String, SystemTime);
}

/// What a node's token routes need: the issuer and the node's id (faults can name a node).
#[derive(Clone)]
struct NodeAuth {
    issuer: Arc<dyn Issuer>,
    node_id: u32,
}

/// Serves one request to a token route: faults first, then the route's own handler.
async fn serve<B>(route: Route, request: Request<B>, node: NodeAuth, faults: Arc<dyn HttpFaults>) -> Response<Body>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    if let Some(action) = faults.fault_for(route.path(), node.node_id) {
        if let Some(delay) = action.latency {
            tokio::time::sleep(delay).await;
        }
        if action.drop_stream {
            tracing::info!(
                route = route.path(),
                fault = action.fault_id,
                "token endpoint: connection dropped by a fault"
            );
            return Response::new(Body::new(Dropped));
        }
        if let Some((status, message)) = action.http_status {
            tracing::info!(route = route.path(), fault = action.fault_id, status, "token endpoint: fault answer");
            return route.error(StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE), &message);
        }
    }
    let config = node.issuer.config();
    if let Some(flag) = route.missing_flag(&config) {
        let message = format!("{} is not served: start the dev server with {flag}", route.path());
        return route.error(StatusCode::NOT_FOUND, &message);
    }
    if request.method().as_str() != route.method() {
        let message = format!("{} answers {} only", route.path(), route.method());
        let mut response = route.error(StatusCode::METHOD_NOT_ALLOWED, &message);
        response.headers_mut().insert(http::header::ALLOW, HeaderValue::from_static(route.method()));
        return response;
    }
    match route {
        Route::Metadata => metadata::token(request.headers(), &config, &*node.issuer),
        Route::Iam | Route::Oauth => {
            let body = match read_body(request.into_body()).await {
                Ok(body) => body,
                Err(message) => return route.error(StatusCode::BAD_REQUEST, &message),
            };
            if route == Route::Iam {
                iam::exchange(&body, &config, &*node.issuer)
            } else {
                oauth::exchange(&body, &config, &*node.issuer)
            }
        }
    }
}

/// The tower layer that answers the token routes and passes every other request on (see the module docs).
#[derive(Clone)]
pub struct TokenEndpointsLayer {
    node: NodeAuth,
    faults: Arc<dyn HttpFaults>,
}

impl TokenEndpointsLayer {
    /// The token routes of node `node_id`, issuing through `issuer`, with `faults`.
    pub fn new(issuer: Arc<dyn Issuer>, node_id: u32, faults: Arc<dyn HttpFaults>) -> TokenEndpointsLayer {
        TokenEndpointsLayer { node: NodeAuth { issuer, node_id }, faults }
    }
}

impl<S> tower_layer::Layer<S> for TokenEndpointsLayer {
    type Service = TokenEndpoints<S>;
    fn layer(&self, inner: S) -> TokenEndpoints<S> {
        TokenEndpoints { inner, node: self.node.clone(), faults: self.faults.clone() }
    }
}

/// See [`TokenEndpointsLayer`].
#[derive(Clone)]
pub struct TokenEndpoints<S> {
    inner: S,
    node: NodeAuth,
    faults: Arc<dyn HttpFaults>,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, B> tower_service::Service<Request<B>> for TokenEndpoints<S>
where
    S: tower_service::Service<Request<B>, Response = Response<Body>>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = futures_util::future::Either<S::Future, BoxFuture<Result<Response<Body>, S::Error>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        match Route::of(request.uri().path()) {
            None => futures_util::future::Either::Left(self.inner.call(request)),
            Some(route) => {
                let (node, faults) = (self.node.clone(), self.faults.clone());
                futures_util::future::Either::Right(Box::pin(
                    async move { Ok(serve(route, request, node, faults).await) },
                ))
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn flags_parse_and_secrets_stay_out_of_debug() {
        let public = jwt::tests::keys().0.to_public_key();
        let pem = rsa::pkcs8::EncodePublicKey::to_public_key_pem(&public, rsa::pkcs8::LineEnding::LF).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.pem");
        std::fs::write(&path, pem).unwrap();
        let key = IamKey::from_flag(&format!("kid-1:sa-1:{}", path.display())).unwrap();
        assert_eq!((key.key_id.as_str(), key.service_account_id.as_str()), ("kid-1", "sa-1"));
        assert_eq!(key.key, public.clone().into());
        assert!(IamKey::from_flag("kid-1:sa-1").is_err());
        assert!(IamKey::from_flag(&format!(":sa-1:{}", path.display())).is_err());
        assert!(IamKey::from_flag("kid-1:sa-1:/nonexistent").unwrap_err().contains("cannot read"));
        let ec = p256::ecdsa::SigningKey::random(&mut rsa::rand_core::OsRng);
        let ec_pem = p256::pkcs8::EncodePublicKey::to_public_key_pem(ec.verifying_key(), rsa::pkcs8::LineEnding::LF);
        let ec_path = dir.path().join("ec.pem");
        std::fs::write(&ec_path, ec_pem.unwrap()).unwrap();
        let err = IamKey::from_flag(&format!("kid-1:sa-1:{}", ec_path.display())).unwrap_err();
        assert!(err.contains("service-account keys are RSA"), "{err}");
        let subject = OauthSubject::from_flag(&format!("jwt:ec:{}", ec_path.display())).unwrap();
        assert!(matches!(subject, OauthSubject::Jwt { key: PublicKey::P256(_), .. }));

        // A Yandex Cloud key file: with its public key, or only the private one (and its warning line).
        let private = rsa::pkcs8::EncodePrivateKey::to_pkcs8_pem(&jwt::tests::keys().0, rsa::pkcs8::LineEnding::LF);
        let private = format!("PLEASE DO NOT REMOVE THIS LINE! Yandex.Cloud SA Key ID <kid-2>\n{}", *private.unwrap());
        let pem = rsa::pkcs8::EncodePublicKey::to_public_key_pem(&public, rsa::pkcs8::LineEnding::LF).unwrap();
        for json in [
            serde_json::json!({"id": "kid-2", "service_account_id": "sa-2", "public_key": pem, "private_key": "x"}),
            serde_json::json!({"id": "kid-2", "service_account_id": "sa-2", "private_key": private}),
        ] {
            let file = dir.path().join("key.json");
            std::fs::write(&file, json.to_string()).unwrap();
            let key = IamKey::from_key_file(&file.display().to_string()).unwrap();
            assert_eq!((key.key_id.as_str(), key.service_account_id.as_str()), ("kid-2", "sa-2"));
            assert_eq!(key.key, public.clone().into());
        }
        let file = dir.path().join("bad.json");
        std::fs::write(&file, r#"{"id": "k", "service_account_id": "s", "private_key": "SECRET-BITS"}"#).unwrap();
        let err = IamKey::from_key_file(&file.display().to_string()).unwrap_err();
        assert!(err.contains("not a PEM RSA private key") && !err.contains("SECRET"), "{err}");

        let subject = OauthSubject::from_flag("token:s3cr:et").unwrap();
        assert!(matches!(&subject, OauthSubject::Token(t) if t == "s3cr:et"));
        assert!(!format!("{subject:?}").contains("s3cr"));
        assert!(matches!(
            OauthSubject::from_flag(&format!("jwt:k:{}", path.display())).unwrap(),
            OauthSubject::Jwt { .. }
        ));
        let err = OauthSubject::from_flag("s3cret").unwrap_err();
        assert!(!err.contains("s3cret"), "{err}");
        assert!(OauthSubject::from_flag("token:").is_err());
    }
}
