//! Plain HTTP requests, for the token endpoints of the cloud credentials (IAM, the metadata service,
//! OAuth 2.0 token exchange): what the credentials send and receive, and the client that carries it —
//! implemented over the driver's `fetch` in `fetch.rs`, faked in the credentials' unit tests. What an
//! answer means is the credentials' business (`crate::auth::http`).

use crate::error::Result;
use futures_util::future::LocalBoxFuture;

/// How long one request to a token endpoint may take (the official SDKs use 3 to 10 seconds).
pub const REQUEST_TIMEOUT_MS: u32 = 10_000;

/// One request to a token endpoint.
pub struct HttpRequest {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<String>,
    pub timeout_ms: u32,
}

/// Its answer: the status and the body as text (token answers are small JSON documents).
pub struct HttpResponse {
    pub status: u16,
    pub body: String,
}

/// Sends a token request. Network failures are transport errors (CONNECTION_FAILURE, DEADLINE_EXCEEDED…).
pub trait HttpClient {
    fn send(&self, request: HttpRequest) -> LocalBoxFuture<'_, Result<HttpResponse>>;
}
