//! Authentication: users given with `--user NAME:PASSWORD`, tokens issued by
//! `Ydb.Auth.V1.AuthService/Login` or by the cloud token endpoints (`crate::cloud_auth`: IAM, metadata,
//! OAuth token exchange), and the check every other call passes through.
//!
//! Without users or token endpoints the server is open (every call passes, WhoAmI answers `anonymous`).
//! With either, a call
//! without a valid `x-ydb-auth-ticket` ends with the gRPC status UNAUTHENTICATED before any service sees
//! it — the way YDB's request proxy answers (`ReplyUnauthenticated`), so SDKs raise their
//! `Unauthenticated` error. Tokens are JWT-shaped (`header.payload.signature`, base64url) with `sub` and
//! `exp` claims so clients that read the expiry can, but the server only trusts tokens it issued itself.
//! A ticket may carry a `Bearer ` prefix (the Python SDK sends OAuth tokens that way).

use std::collections::HashMap;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use parking_lot::{Mutex, RwLock};

use crate::cloud_auth;

/// The header YDB clients put their token in.
pub const TICKET_HEADER: &str = "x-ydb-auth-ticket";
/// Calls that need no token.
const OPEN_PATHS: &[&str] = &["/Ydb.Auth.V1.AuthService/Login"];
/// How long tokens live unless `--token-ttl` says otherwise (YDB's default is 12 hours too).
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(12 * 60 * 60);

/// Why Login refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginError {
    UnknownUser,
    InvalidPassword,
}

/// Users, issued tokens and the token lifetime.
pub struct Auth {
    users: RwLock<HashMap<String, String>>,
    ttl: RwLock<Duration>,
    tokens: Mutex<HashMap<String, (String, Instant)>>,
    /// Calls without a ticket pass as anonymous even when authentication is on (`--allow-anonymous`).
    anonymous: RwLock<bool>,
    /// The cloud token endpoints' keys and settings; any of them turns authentication on.
    cloud: RwLock<Arc<cloud_auth::Config>>,
}

impl Default for Auth {
    fn default() -> Auth {
        Auth {
            users: RwLock::new(HashMap::new()),
            ttl: RwLock::new(DEFAULT_TOKEN_TTL),
            tokens: Mutex::new(HashMap::new()),
            anonymous: RwLock::new(false),
            cloud: RwLock::new(Arc::default()),
        }
    }
}

impl Auth {
    /// Sets the users (authentication is on when there is at least one) and the token lifetime.
    pub fn configure(&self, users: &[(String, String)], ttl: Duration) {
        *self.users.write() = users.iter().cloned().collect();
        *self.ttl.write() = ttl;
    }

    /// Lets calls without a ticket through as anonymous while users and tokens stay checked (YDB's
    /// default unless `enforce_user_token_requirement` is set): Login still checks passwords, and a call
    /// that carries a ticket still needs a valid one.
    pub fn allow_anonymous(&self, allow: bool) {
        *self.anonymous.write() = allow;
    }

    /// Sets what the cloud token endpoints accept (authentication is on when any endpoint is enabled).
    pub fn configure_cloud(&self, cloud: cloud_auth::Config) {
        *self.cloud.write() = Arc::new(cloud);
    }

    /// What the cloud token endpoints accept.
    pub fn cloud(&self) -> Arc<cloud_auth::Config> {
        self.cloud.read().clone()
    }

    /// Whether calls need a token.
    pub fn enabled(&self) -> bool {
        !self.users.read().is_empty() || self.cloud.read().issues_tokens()
    }

    /// Checks a user's password and issues a token. With authentication off any user may log in.
    pub fn login(&self, user: &str, password: &str) -> Result<String, LoginError> {
        if self.enabled() {
            match self.users.read().get(user) {
                None => return Err(LoginError::UnknownUser),
                Some(p) if p != password => return Err(LoginError::InvalidPassword),
                Some(_) => {}
            }
        }
        let ttl = *self.ttl.read();
        Ok(self.issue(user, ttl).0)
    }

    /// Issues a token for `subject` (a user or a service account) that calls accept for `ttl`; returns it
    /// with its expiry.
    pub fn issue(&self, subject: &str, ttl: Duration) -> (String, SystemTime) {
        let token = make_token(subject, ttl);
        let mut tokens = self.tokens.lock();
        let now = Instant::now();
        tokens.retain(|_, (_, expires)| *expires > now);
        tokens.insert(token.clone(), (subject.to_string(), now + ttl));
        (token, SystemTime::now() + ttl)
    }

    /// The user a token belongs to; an error message when it is unknown or expired.
    pub fn user_of(&self, token: &str) -> Result<String, String> {
        let token = token.strip_prefix("Bearer ").unwrap_or(token);
        let mut tokens = self.tokens.lock();
        match tokens.get(token) {
            None => Err("Token is not valid".to_string()),
            Some((_, expires)) if *expires <= Instant::now() => {
                tokens.remove(token);
                Err("Token is expired".to_string())
            }
            Some((user, _)) => Ok(user.clone()),
        }
    }

    /// Whether a call to `path` with these headers may proceed; the gRPC status to end it with otherwise.
    pub fn check(&self, path: &str, headers: &http::HeaderMap) -> Result<(), tonic::Status> {
        if !self.enabled() || OPEN_PATHS.contains(&path) {
            return Ok(());
        }
        let token = headers.get(TICKET_HEADER).and_then(|v| v.to_str().ok()).filter(|t| !t.is_empty());
        let Some(token) = token else {
            if *self.anonymous.read() {
                return Ok(());
            }
            return Err(tonic::Status::unauthenticated("unauthenticated, Token is required"));
        };
        self.user_of(token).map(|_| ()).map_err(|m| tonic::Status::unauthenticated(format!("unauthenticated, {m}")))
    }
}

/// The user whose valid token a request carries (None without one, or with auth off and no token).
pub fn caller<T>(auth: &Auth, request: &tonic::Request<T>) -> Option<String> {
    let token = request.metadata().get(TICKET_HEADER).and_then(|v| v.to_str().ok())?;
    auth.user_of(token).ok()
}

fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk.first().copied(), chunk.get(1).copied(), chunk.get(2).copied()];
        let n =
            (u32::from(b[0].unwrap_or(0)) << 16) | (u32::from(b[1].unwrap_or(0)) << 8) | u32::from(b[2].unwrap_or(0));
        let chars = 1 + b.iter().filter(|x| x.is_some()).count();
        for i in 0..chars {
            let idx = (n >> (18 - 6 * i)) & 63;
            out.push(char::from(ALPHABET.get(idx as usize).copied().unwrap_or(b'A')));
        }
    }
    out
}

fn json_escape(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '"' => "\\\"".to_string(),
            '\\' => "\\\\".to_string(),
            c if (c as u32) < 0x20 => format!("\\u{:04x}", c as u32),
            c => c.to_string(),
        })
        .collect()
}

/// A JWT-shaped token: `{"alg":"none"}`-like header, `sub`/`iat`/`exp`/`jti` claims, a random signature.
fn make_token(user: &str, ttl: Duration) -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
    let header = base64url(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = format!(
        r#"{{"sub":"{}","iat":{now},"exp":{},"jti":"{}"}}"#,
        json_escape(user),
        now.saturating_add(ttl.as_secs()),
        uuid::Uuid::new_v4().simple()
    );
    let signature = base64url(uuid::Uuid::new_v4().as_bytes());
    format!("{header}.{}.{signature}", base64url(payload.as_bytes()))
}

/// The tower layer that runs [`Auth::check`] before the services (inside gRPC-web translation, so both
/// wire formats get the same answer).
#[derive(Clone)]
pub struct AuthLayer {
    auth: Arc<Auth>,
}

impl AuthLayer {
    pub fn new(auth: Arc<Auth>) -> AuthLayer {
        AuthLayer { auth }
    }
}

impl<S> tower_layer::Layer<S> for AuthLayer {
    type Service = AuthCheck<S>;
    fn layer(&self, inner: S) -> AuthCheck<S> {
        AuthCheck { inner, auth: self.auth.clone() }
    }
}

/// See [`AuthLayer`].
#[derive(Clone)]
pub struct AuthCheck<S> {
    inner: S,
    auth: Arc<Auth>,
}

impl<S, ReqBody, ResBody> tower_service::Service<http::Request<ReqBody>> for AuthCheck<S>
where
    S: tower_service::Service<http::Request<ReqBody>, Response = http::Response<ResBody>>,
    ResBody: Default,
{
    type Response = http::Response<ResBody>;
    type Error = S::Error;
    type Future =
        futures_util::future::Either<S::Future, std::future::Ready<Result<http::Response<ResBody>, S::Error>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<ReqBody>) -> Self::Future {
        match self.auth.check(req.uri().path(), req.headers()) {
            Ok(()) => futures_util::future::Either::Left(self.inner.call(req)),
            Err(status) => futures_util::future::Either::Right(std::future::ready(Ok(status.into_http()))),
        }
    }
}

/// The cloud token endpoints keep their configuration here and issue their tokens through this layer.
impl cloud_auth::Issuer for Auth {
    fn config(&self) -> Arc<cloud_auth::Config> {
        self.cloud()
    }
    fn issue(&self, subject: &str, ttl: Duration) -> (String, SystemTime) {
        Auth::issue(self, subject, ttl)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn with_user() -> Auth {
        let auth = Auth::default();
        auth.configure(&[("alice".into(), "secret".into())], Duration::from_secs(60));
        auth
    }

    #[test]
    fn an_open_server_lets_every_call_through() {
        let auth = Auth::default();
        assert!(auth.check("/Ydb.Table.V1.TableService/CreateSession", &http::HeaderMap::new()).is_ok());
    }

    #[test]
    fn login_checks_the_password_and_the_token_names_the_user() {
        let auth = with_user();
        assert_eq!(auth.login("alice", "wrong"), Err(LoginError::InvalidPassword));
        assert_eq!(auth.login("bob", "secret"), Err(LoginError::UnknownUser));
        let token = auth.login("alice", "secret").unwrap();
        assert_eq!(token.split('.').count(), 3);
        assert_eq!(auth.user_of(&token).unwrap(), "alice");
    }

    #[test]
    fn calls_without_a_valid_token_are_unauthenticated_but_login_is_open() {
        let auth = with_user();
        let path = "/Ydb.Table.V1.TableService/CreateSession";
        let err = auth.check(path, &http::HeaderMap::new()).unwrap_err();
        assert_eq!(err.code(), tonic::Code::Unauthenticated);
        let mut headers = http::HeaderMap::new();
        headers.insert(TICKET_HEADER, "forged".parse().unwrap());
        assert_eq!(auth.check(path, &headers).unwrap_err().code(), tonic::Code::Unauthenticated);
        headers.insert(TICKET_HEADER, auth.login("alice", "secret").unwrap().parse().unwrap());
        assert!(auth.check(path, &headers).is_ok());
        assert!(auth.check("/Ydb.Auth.V1.AuthService/Login", &http::HeaderMap::new()).is_ok());
    }

    #[test]
    fn anonymous_calls_pass_when_allowed_but_passwords_and_tickets_are_still_checked() {
        let auth = with_user();
        auth.allow_anonymous(true);
        let path = "/Ydb.Table.V1.TableService/CreateSession";
        assert!(auth.check(path, &http::HeaderMap::new()).is_ok());
        let mut headers = http::HeaderMap::new();
        headers.insert(TICKET_HEADER, "forged".parse().unwrap());
        assert_eq!(auth.check(path, &headers).unwrap_err().code(), tonic::Code::Unauthenticated);
        assert_eq!(auth.login("alice", "wrong"), Err(LoginError::InvalidPassword));
        assert!(auth.login("alice", "secret").is_ok());
    }

    #[test]
    fn issued_tokens_name_their_subject_with_or_without_a_bearer_prefix() {
        let auth = Auth::default();
        let (token, expires) = auth.issue("sa-1", Duration::from_secs(60));
        assert!(expires > SystemTime::now() + Duration::from_secs(59));
        assert_eq!(auth.user_of(&token).unwrap(), "sa-1");
        assert_eq!(auth.user_of(&format!("Bearer {token}")).unwrap(), "sa-1");
        assert!(auth.user_of(&format!("Bearer{token}")).is_err());
    }

    #[test]
    fn tokens_expire() {
        let auth = Auth::default();
        auth.configure(&[("alice".into(), "secret".into())], Duration::from_millis(1));
        let token = auth.login("alice", "secret").unwrap();
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(auth.user_of(&token).unwrap_err(), "Token is expired");
    }

    #[test]
    fn base64url_has_no_padding() {
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(b"foo"), "Zm9v");
    }
}
