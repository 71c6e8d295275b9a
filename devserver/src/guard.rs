//! Who may talk to the dev server: the browser origins (CORS and a hard check) and the `Host` names it
//! answers, so that it is safe to leave running on a developer's machine.
//!
//! The dev server has no authentication by default and can drop every table (and, with `--data`, the
//! data on disk), so any web page the developer opens must not be able to drive it:
//! - **Origins.** A request carrying an `Origin` (browsers send one on every cross-origin call and every
//!   non-GET call) is served only for loopback origins (`http(s)://localhost`, `*.localhost`,
//!   `127.x.x.x`, `[::1]`, any port — the project's own browser tests load their pages from such
//!   origins), for origins named with `--allow-origin`, or for any origin with `--allow-origin '*'`.
//!   Other origins get no CORS grant and a 403 before any service runs. Clients that are not browsers
//!   send no `Origin` and are not affected.
//! - **Hosts (DNS rebinding).** A page on a name the attacker controls can re-point that name at
//!   127.0.0.1 and then call the server "same-origin"; its requests still carry the attacker's name in
//!   `Host`. So HTTP/1.x requests (the only ones a browser can make to a plaintext server) are answered
//!   only for IP literals, `localhost` (and `*.localhost`) and names given with `--allow-host` (or any
//!   name with `--allow-host '*'`); other names get a 403. Plain gRPC (HTTP/2 without TLS, which no
//!   browser speaks) is not checked, so SDKs may reach the server by any name (a container's, say).
//! - The admin endpoint (`admin.rs`) serves no browser at all: any `Origin` is refused there.
//!
//! The refusal is a bare 403 whose `x-ydb-devserver-refused` header says why and which flag allows it.

use std::net::IpAddr;
use std::task::{Context, Poll};

use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};

/// The header a refused request's answer explains itself in.
pub const REFUSED_HEADER: &str = "x-ydb-devserver-refused";

/// The allowed origins and host names.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    origins: Vec<String>,
    any_origin: bool,
    hosts: Vec<String>,
    any_host: bool,
}

/// `scheme://host[:port]` without a trailing slash, lowercased.
fn normalize_origin(origin: &str) -> String {
    origin.trim().trim_end_matches('/').to_ascii_lowercase()
}

/// The host part of a `Host` value or an origin's authority: `name`, `name:port`, `[v6]`, `[v6]:port`.
fn host_of(authority: &str) -> &str {
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split(']').next().unwrap_or_default();
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => authority,
    }
}

fn is_localhost_name(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "localhost" || host.ends_with(".localhost")
}

/// Whether an origin is on this machine: http(s) to localhost or a loopback address, any port.
pub fn is_loopback_origin(origin: &str) -> bool {
    let origin = normalize_origin(origin);
    let Some(authority) = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")) else {
        return false;
    };
    if authority.contains(['/', '@']) {
        return false;
    }
    let host = host_of(authority);
    is_localhost_name(host) || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl Guard {
    /// `origins` and `hosts` as given with `--allow-origin` and `--allow-host`; `*` allows any.
    pub fn new(origins: &[String], hosts: &[String]) -> Guard {
        Guard {
            any_origin: origins.iter().any(|o| o.trim() == "*"),
            origins: origins.iter().map(|o| normalize_origin(o)).filter(|o| o != "*").collect(),
            any_host: hosts.iter().any(|h| h.trim() == "*"),
            hosts: hosts.iter().map(|h| h.trim().to_ascii_lowercase()).filter(|h| h != "*").collect(),
        }
    }

    /// Whether a browser page from `origin` may call the server.
    pub fn origin_allowed(&self, origin: &str) -> bool {
        self.any_origin || is_loopback_origin(origin) || self.origins.contains(&normalize_origin(origin))
    }

    /// Whether a request naming `host` (a `Host` value, port included or not) is answered.
    pub fn host_allowed(&self, host: &str) -> bool {
        let name = host_of(host.trim());
        self.any_host
            || is_localhost_name(name)
            || name.parse::<IpAddr>().is_ok()
            || self.hosts.iter().any(|h| h.as_str() == name.to_ascii_lowercase())
    }

    /// Checks a request's `Origin`, and for HTTP/1.x its `Host`; the reason when it is refused.
    pub fn check(&self, version: http::Version, headers: &HeaderMap) -> Result<(), String> {
        if let Some(origin) = headers.get(http::header::ORIGIN) {
            let origin = origin.to_str().unwrap_or("(not text)");
            if !self.origin_allowed(origin) {
                return Err(format!(
                    "origin {origin} is not allowed (loopback origins are; start the server with \
                     --allow-origin {origin} to allow it)"
                ));
            }
        }
        if version >= http::Version::HTTP_2 {
            return Ok(());
        }
        if let Some(host) = headers.get(http::header::HOST).map(|h| h.to_str().unwrap_or("(not text)")) {
            if !self.host_allowed(host) {
                return Err(format!(
                    "host {host} is not answered (IP addresses and localhost are; start the server with \
                     --allow-host {} to answer it)",
                    host_of(host)
                ));
            }
        }
        Ok(())
    }
}

/// A 403 with the reason in [`REFUSED_HEADER`].
pub fn refusal<B: Default>(reason: &str) -> Response<B> {
    let mut response = Response::new(B::default());
    *response.status_mut() = StatusCode::FORBIDDEN;
    let reason: String = reason.chars().filter(|c| c.is_ascii() && !c.is_ascii_control()).collect();
    if let Ok(value) = HeaderValue::from_str(&reason) {
        response.headers_mut().insert(REFUSED_HEADER, value);
    }
    response
}

/// The tower layer that runs [`Guard::check`] before anything else (CORS included).
#[derive(Clone)]
pub struct GuardLayer {
    guard: std::sync::Arc<Guard>,
}

impl GuardLayer {
    pub fn new(guard: std::sync::Arc<Guard>) -> GuardLayer {
        GuardLayer { guard }
    }
}

impl<S> tower_layer::Layer<S> for GuardLayer {
    type Service = GuardCheck<S>;
    fn layer(&self, inner: S) -> GuardCheck<S> {
        GuardCheck { inner, guard: self.guard.clone() }
    }
}

/// See [`GuardLayer`].
#[derive(Clone)]
pub struct GuardCheck<S> {
    inner: S,
    guard: std::sync::Arc<Guard>,
}

impl<S, ReqBody, ResBody> tower_service::Service<Request<ReqBody>> for GuardCheck<S>
where
    S: tower_service::Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: Default,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = futures_util::future::Either<S::Future, std::future::Ready<Result<Response<ResBody>, S::Error>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        match self.guard.check(req.version(), req.headers()) {
            Ok(()) => futures_util::future::Either::Left(self.inner.call(req)),
            Err(reason) => futures_util::future::Either::Right(std::future::ready(Ok(refusal(&reason)))),
        }
    }
}

/// What to warn about at start: listening beyond loopback with nobody to log in, or an admin endpoint
/// (which has no authentication at all) beyond loopback.
pub fn exposure_warnings(
    listen: &std::net::SocketAddr,
    admin: Option<&std::net::SocketAddr>,
    users: usize,
) -> Vec<String> {
    let mut warnings = Vec::new();
    if !listen.ip().is_loopback() && users == 0 {
        warnings.push(format!(
            "warning: listening on {listen}, beyond loopback, without --user: anyone who can reach it can read, \
             change and drop every table; add --user NAME:PASSWORD or listen on 127.0.0.1"
        ));
    }
    if let Some(admin) = admin.filter(|a| !a.ip().is_loopback()) {
        warnings.push(format!(
            "warning: the admin endpoint on {admin} is beyond loopback and has no authentication: anyone who \
             can reach it can kill sessions and inject faults"
        ));
    }
    warnings
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn loopback_origins_of_any_port_are_allowed_by_default_and_others_are_not() {
        let guard = Guard::default();
        for ok in [
            "http://127.0.0.1:8080",
            "http://localhost:5173",
            "https://app.localhost",
            "http://[::1]:9000",
            "http://127.0.0.2",
        ] {
            assert!(guard.origin_allowed(ok), "{ok}");
        }
        for bad in [
            "http://example.test",
            "null",
            "file://",
            "http://127.0.0.1.evil.test",
            "http://localhost@evil.test",
            "ws://127.0.0.1",
        ] {
            assert!(!guard.origin_allowed(bad), "{bad}");
        }
    }

    #[test]
    fn named_origins_and_the_wildcard_widen_the_list() {
        let guard = Guard::new(&["https://app.example.test/".into()], &[]);
        assert!(guard.origin_allowed("https://app.example.test"));
        assert!(!guard.origin_allowed("https://other.example.test"));
        assert!(Guard::new(&["*".into()], &[]).origin_allowed("https://anything.test"));
    }

    #[test]
    fn hosts_are_ip_literals_localhost_or_named() {
        let guard = Guard::new(&[], &["ydb".into()]);
        for ok in ["127.0.0.1:2136", "localhost", "LOCALHOST:1", "[::1]:2136", "192.168.1.10:2136", "ydb:2136"] {
            assert!(guard.host_allowed(ok), "{ok}");
        }
        for bad in ["evil.test", "evil.test:2136", "localhost.evil.test"] {
            assert!(!guard.host_allowed(bad), "{bad}");
        }
        assert!(Guard::new(&[], &["*".into()]).host_allowed("evil.test"));
    }

    #[test]
    fn check_refuses_with_a_reason_naming_the_flag() {
        let guard = Guard::default();
        let h1 = http::Version::HTTP_11;
        assert!(guard.check(h1, &headers(&[("host", "127.0.0.1:2136")])).is_ok());
        let err = guard.check(h1, &headers(&[("host", "127.0.0.1:2136"), ("origin", "http://evil.test")])).unwrap_err();
        assert!(err.contains("--allow-origin http://evil.test"), "{err}");
        let err = guard.check(h1, &headers(&[("host", "rebound.evil.test:2136")])).unwrap_err();
        assert!(err.contains("--allow-host rebound.evil.test"), "{err}");
        // Plain gRPC over HTTP/2 (no browser speaks it to a plaintext server) may use any name; an origin
        // is still checked.
        let h2 = http::Version::HTTP_2;
        assert!(guard.check(h2, &headers(&[("host", "ydb-in-a-container:2136")])).is_ok());
        assert!(guard.check(h2, &headers(&[("origin", "http://evil.test")])).is_err());
        let refused: Response<String> = refusal("origin x is not allowed");
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        assert_eq!(refused.headers()[REFUSED_HEADER], "origin x is not allowed");
    }

    #[test]
    fn listening_beyond_loopback_without_users_is_warned_about() {
        let loopback: std::net::SocketAddr = "127.0.0.1:2136".parse().unwrap();
        let any: std::net::SocketAddr = "0.0.0.0:2136".parse().unwrap();
        assert!(exposure_warnings(&loopback, None, 0).is_empty());
        assert!(exposure_warnings(&any, None, 1).is_empty());
        let warned = exposure_warnings(&any, None, 0);
        assert_eq!(warned.len(), 1);
        assert!(warned[0].contains("--user"), "{}", warned[0]);
        assert_eq!(exposure_warnings(&loopback, Some(&any), 0).len(), 1, "an admin endpoint beyond loopback too");
    }
}
