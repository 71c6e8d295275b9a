//! A channel to one gRPC-web endpoint: request metadata, deadlines, unary calls and streams.
//!
//! The channel owns what every call shares — the endpoint URL, the database, the credentials — and
//! is cheap to clone (one `Rc`). A call encodes its request into one frame, POSTs it with YDB's
//! metadata headers, and turns the answer's frames and `grpc-status` into a message or an [`Error`].

use crate::cancel::Cancel;
use crate::error::{Error, Quoted, Result, Status};
use crate::observe::{Level, Observer};
use crate::proto::ydb::operations::Operation;
use crate::transport::credentials::Credentials;
use crate::transport::fetch::{self, BodyReader, FetchSettings, FixedHeaders};
use crate::transport::framing::{encode_frame, split_unary_body, Frame, FrameDecoder, Trailers};
use crate::transport::methods::{Method, StreamingMethod};
use crate::transport::operation::{check, OperationAnswer};
use futures_util::future::LocalBoxFuture;
use std::cell::Cell;
use std::marker::PhantomData;
use std::rc::Rc;

/// The `x-ydb-sdk-build-info` we announce.
pub const BUILD_INFO: &str = concat!("ydb-wasm/", env!("CARGO_PKG_VERSION"));

/// Per-call options: a deadline and a caller's cancellation.
#[derive(Clone, Default)]
pub struct CallOptions {
    /// The whole call, answer included, must finish within this many milliseconds.
    pub timeout_ms: Option<u32>,
    /// The caller's cancellation (in JS, its `AbortSignal`): it aborts the request.
    pub cancel: Option<Cancel>,
    /// A call meant to stay open as long as its session (AttachSession): the driver's default deadline
    /// does not apply to it.
    pub long_lived: bool,
    /// The W3C `traceparent` of the span this call belongs to (see [`crate::observe::trace`]).
    pub traceparent: Option<Rc<str>>,
}

impl CallOptions {
    pub fn with_timeout(timeout_ms: Option<u32>) -> Self {
        CallOptions { timeout_ms, ..Default::default() }
    }

    /// Options for a call that lives as long as its session.
    pub fn long_lived() -> Self {
        CallOptions { long_lived: true, ..Default::default() }
    }

    /// These options carrying `traceparent` (a session's, lent by a traced retry attempt), unless they
    /// carry one already; copied only then.
    pub fn traced(&self, traceparent: Option<Rc<str>>) -> std::borrow::Cow<'_, CallOptions> {
        match traceparent {
            Some(t) if self.traceparent.is_none() => {
                std::borrow::Cow::Owned(CallOptions { traceparent: Some(t), ..self.clone() })
            }
            _ => std::borrow::Cow::Borrowed(self),
        }
    }
}

/// The `grpc-timeout` header for a deadline: gRPC allows at most 8 digits, so a deadline of 10^8 ms
/// (27.7 hours) or more is sent in seconds, rounded up.
fn grpc_timeout(ms: u32) -> String {
    if ms < 100_000_000 {
        format!("{ms}m")
    } else {
        format!("{}S", ms.div_ceil(1000))
    }
}

struct Inner {
    base_url: String,
    database: String,
    credentials: Rc<dyn Credentials>,
    /// Set when a call through this channel could not reach the endpoint or lost its connection; the
    /// balancer (`crate::discovery`) then sends new work elsewhere until discovery lists the endpoint again.
    pessimized: Cell<bool>,
    /// The deadline of calls that set none (the driver's `requestTimeoutMs`).
    default_timeout_ms: Option<u32>,
    /// Which fetch carries the calls, with which extra headers.
    fetch: FetchSettings,
    /// The headers of every call: the caller's extra headers and YDB's that never change.
    fixed_headers: FixedHeaders,
}

/// A gRPC-web channel to one endpoint.
#[derive(Clone)]
pub struct Channel {
    inner: Rc<Inner>,
}

impl Channel {
    /// `endpoint` is an `http://` or `https://` URL (`grpc://` and `grpcs://` are accepted as
    /// aliases); `database` is the database path, such as `/local`.
    pub fn new(endpoint: &str, database: &str, credentials: Rc<dyn Credentials>) -> Result<Self> {
        Channel::with_default_timeout(endpoint, database, credentials, None, FetchSettings::default())
    }

    /// A channel whose calls that set no deadline of their own get `default_timeout_ms`, sent through `fetch`.
    pub fn with_default_timeout(
        endpoint: &str,
        database: &str,
        credentials: Rc<dyn Credentials>,
        default_timeout_ms: Option<u32>,
        fetch: FetchSettings,
    ) -> Result<Self> {
        let database = normalize_database(database)?;
        let ours = [
            ("content-type", "application/grpc-web+proto"),
            ("x-grpc-web", "1"),
            ("x-ydb-database", database.as_str()),
            ("x-ydb-sdk-build-info", BUILD_INFO),
        ];
        Ok(Channel {
            inner: Rc::new(Inner {
                base_url: normalize_endpoint(endpoint)?,
                fixed_headers: FixedHeaders::new(&fetch.headers, &ours),
                database,
                credentials,
                pessimized: Cell::new(false),
                default_timeout_ms,
                fetch,
            }),
        })
    }

    /// A channel to another endpoint of the same database, with the same credentials and default deadline.
    pub fn to_endpoint(&self, endpoint: &str) -> Result<Channel> {
        let inner = &self.inner;
        Channel::with_default_timeout(
            endpoint,
            &inner.database,
            inner.credentials.clone(),
            inner.default_timeout_ms,
            inner.fetch.clone(),
        )
    }

    /// Whether a call through this channel failed to reach its endpoint since the last
    /// [`Channel::clear_pessimization`].
    pub fn is_pessimized(&self) -> bool {
        self.inner.pessimized.get()
    }

    pub fn clear_pessimization(&self) {
        self.inner.pessimized.set(false);
    }

    /// Passes an error through, pessimising the endpoint when the error says it is unreachable.
    fn observe(&self, e: Error) -> Error {
        if endpoint_failed(&e) && !self.inner.pessimized.replace(true) {
            let fields = [("endpoint", self.endpoint().into()), ("status", e.status.name().into())];
            self.observer().log(Level::Warn, "endpoint pessimised", &fields);
        }
        e
    }

    /// The driver's logger and tracer.
    pub fn observer(&self) -> &Observer {
        &self.inner.fetch.observer
    }

    pub fn endpoint(&self) -> &str {
        &self.inner.base_url
    }

    pub fn database(&self) -> &str {
        &self.inner.database
    }

    /// The deadline of calls that set none (the driver's `requestTimeoutMs`).
    pub fn default_timeout_ms(&self) -> Option<u32> {
        self.inner.default_timeout_ms
    }

    async fn send(
        &self,
        path: &str,
        body: &[u8],
        opts: &CallOptions,
        token: Option<String>,
    ) -> Result<fetch::FetchResponse> {
        let defaulted;
        let opts = match (opts.timeout_ms, self.inner.default_timeout_ms) {
            (None, Some(ms)) if !opts.long_lived => {
                defaulted = CallOptions { timeout_ms: Some(ms), ..opts.clone() };
                &defaulted
            }
            _ => opts,
        };
        let timeout = opts.timeout_ms.map(grpc_timeout);
        // The call's own headers, after the channel's fixed ones.
        let mut headers: Vec<(&str, &str)> = Vec::new();
        if let Some(token) = &token {
            headers.push(("x-ydb-auth-ticket", token));
        }
        if let Some(t) = &timeout {
            headers.push(("grpc-timeout", t));
        }
        if let Some(t) = &opts.traceparent {
            headers.push(("traceparent", t));
        }
        if path.ends_with("/CreateSession") {
            // Server-side session balancing: the server may then ask us to close a session (the
            // `session-close` hint, honoured by the sessions) to move load between nodes.
            headers.push(("x-ydb-client-capabilities", "session-balancer"));
        }
        let mut url = String::with_capacity(self.inner.base_url.len() + path.len());
        url.push_str(&self.inner.base_url);
        url.push_str(path);
        let abort = (opts.timeout_ms, opts.cancel.as_ref());
        let headers = (&self.inner.fixed_headers, &headers[..]);
        fetch::post(&url, headers, body, abort, &self.inner.fetch).await.map_err(|e| self.observe(e))
    }

    /// A unary call: one request, one answer.
    ///
    /// ```no_run
    /// use std::rc::Rc;
    /// use ydb_wasm::proto::ydb::discovery::ListEndpointsRequest;
    /// use ydb_wasm::transport::methods::discovery_service::LIST_ENDPOINTS;
    /// use ydb_wasm::transport::{CallOptions, Channel};
    ///
    /// # async fn run() -> ydb_wasm::Result<()> {
    /// let channel = Channel::new("grpc://localhost:2136", "/local", Rc::new(ydb_wasm::auth::AnonymousCredentials))?;
    /// let request = ListEndpointsRequest { database: "/local".into(), ..Default::default() };
    /// // Aborted after 5 s: the answer, a YDB status error, or DEADLINE_EXCEEDED.
    /// let answer = channel.unary(&LIST_ENDPOINTS, &request, &CallOptions::with_timeout(Some(5_000))).await?;
    /// println!("{:?}", answer.operation.map(|o| o.status));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn unary<Req: prost::Message, Resp: prost::Message + Default>(
        &self,
        method: &Method<Req, Resp>,
        request: &Req,
        opts: &CallOptions,
    ) -> Result<Resp> {
        let (bytes, _session_close) = self.unary_bytes(method.path, encode_frame(request), opts).await?;
        decode_answer(method.path, &bytes)
    }

    /// A unary call whose answer is an `Operation` and nothing else (as every Table, Scheme, Discovery and
    /// Auth answer is): the operation, its status checked. Only the request's encoding is typed; the rest
    /// is one untyped boxed future that every such call site shares.
    pub fn operation<'a, Req: prost::Message>(
        &'a self,
        method: &Method<Req, OperationAnswer>,
        request: &Req,
        opts: &'a CallOptions,
    ) -> LocalBoxFuture<'a, Result<Operation>> {
        let (path, body) = (method.path, encode_frame(request));
        Box::pin(async move {
            let (bytes, _session_close) = self.unary_bytes(path, body, opts).await?;
            check(decode_answer::<OperationAnswer>(path, &bytes)?.operation)
        })
    }

    /// The untyped part of a unary call: the answer's bytes, and whether the server hinted that the
    /// session should close after it. Boxed and not generic on purpose: every typed call site shares
    /// this one copy of the fetch-and-unframe state machine instead of inlining its own (it kept
    /// tens of kilobytes out of the wasm).
    pub fn unary_bytes<'a>(
        &'a self,
        path: &'static str,
        body: Vec<u8>,
        opts: &'a CallOptions,
    ) -> LocalBoxFuture<'a, Result<(Vec<u8>, bool)>> {
        // A refused token is refreshed and the call sent once more (`super::credentials::with_refresh`).
        Box::pin(async move {
            let body = &body;
            super::credentials::with_refresh(&*self.inner.credentials, |token| self.unary_once(path, body, opts, token))
                .await
        })
    }

    async fn unary_once(
        &self,
        path: &'static str,
        body: &[u8],
        opts: &CallOptions,
        token: Option<String>,
    ) -> Result<(Vec<u8>, bool)> {
        let response = self.send(path, body, opts, token).await?;
        if let Some(err) = status_error(&response.header_trailers) {
            return Err(self.observe(err));
        }
        let hinted = response.header_trailers.session_close;
        let body = response.bytes().await.map_err(|e| self.observe(e))?;
        let (message, trailers) = split_unary_body(&body).map_err(|mut e| {
            e.message = format!("{path}: {}", e.message);
            self.observe(e)
        })?;
        if let Some(err) = status_error(&trailers) {
            return Err(self.observe(err));
        }
        let message = message.ok_or_else(|| Error::protocol(format!("{path}: no answer message")))?;
        Ok((message, hinted || trailers.session_close))
    }

    /// The untyped start of a server-streaming call (boxed for the same reason as `unary_bytes`).
    fn open_stream<'a>(
        &'a self,
        path: &'static str,
        body: Vec<u8>,
        opts: &'a CallOptions,
        read: BodyRead,
    ) -> LocalBoxFuture<'a, Result<BodyReader>> {
        // Refused before the first message: refreshed and opened once more, as unary calls are.
        Box::pin(async move {
            let body = &body;
            let open = |token| async move {
                let response = self.send(path, body, opts, token).await?;
                if let Some(err) = status_error(&response.header_trailers) {
                    return Err(self.observe(err));
                }
                match read {
                    BodyRead::Chunks => response.into_reader(),
                    BodyRead::Gathered => response.into_gathered(),
                }
            };
            super::credentials::with_refresh(&*self.inner.credentials, open).await
        })
    }

    /// A server-streaming call: one request, a stream of answers, its body read as `read` says.
    pub async fn server_streaming<Req: prost::Message, Resp: prost::Message + Default>(
        &self,
        method: &StreamingMethod<Req, Resp>,
        request: &Req,
        opts: &CallOptions,
        read: BodyRead,
    ) -> Result<MessageStream<Resp>> {
        let reader = self.open_stream(method.path, encode_frame(request), opts, read).await?;
        let frames =
            Frames { channel: self.clone(), path: method.path, reader, decoder: FrameDecoder::new(), finished: false };
        Ok(MessageStream { frames, _message: PhantomData })
    }
}

/// How a server-streaming call's body is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyRead {
    /// Chunk by chunk: each answer as soon as it has arrived.
    Chunks,
    /// For a caller that gathers every answer before using any: as this runtime reads a whole body
    /// fastest (see [`crate::transport::fetch::FetchResponse::into_gathered`]).
    Gathered,
}

/// The answers of a server-streaming call, decoded as they arrive.
pub struct MessageStream<Resp> {
    frames: Frames,
    _message: PhantomData<fn() -> Resp>,
}

impl<Resp: prost::Message + Default> MessageStream<Resp> {
    /// The next answer; `None` once the server closed the stream with status OK.
    pub async fn next(&mut self) -> Option<Result<Resp>> {
        Some(self.frames.next().await?.and_then(|bytes| decode_answer(self.frames.path, &bytes)))
    }
}

/// The untyped part of a [`MessageStream`]: the body read chunk by chunk into messages and the closing
/// status. Not generic on purpose: each answer type shares this one state machine.
struct Frames {
    channel: Channel,
    path: &'static str,
    reader: BodyReader,
    decoder: FrameDecoder,
    finished: bool,
}

impl Frames {
    /// The next message's bytes; `None` once the server closed the stream with status OK.
    async fn next(&mut self) -> Option<Result<Vec<u8>>> {
        if self.finished {
            return None;
        }
        loop {
            match self.decoder.next_frame() {
                Err(e) => return self.fail(e),
                Ok(Some(Frame::Data(bytes))) => return Some(Ok(bytes)),
                Ok(Some(Frame::Trailers(t))) => {
                    self.finished = true;
                    self.reader.finish();
                    return status_error(&t).map(|e| Err(self.channel.observe(e)));
                }
                Ok(None) => {}
            }
            match self.reader.next_chunk().await {
                Ok(Some(chunk)) => self.decoder.push(&chunk),
                Ok(None) => {
                    let e = Error::transport(
                        Status::ConnectionLost,
                        format!("{}: the stream ended without a gRPC status", self.path),
                    );
                    return self.fail(e);
                }
                Err(e) => return self.fail(e),
            }
        }
    }

    fn fail(&mut self, e: Error) -> Option<Result<Vec<u8>>> {
        self.finished = true;
        Some(Err(self.channel.observe(e)))
    }
}

/// Decodes an answer message of the rpc at `path`.
pub fn decode_answer<Resp: prost::Message + Default>(path: &str, bytes: &[u8]) -> Result<Resp> {
    Resp::decode(bytes).map_err(|e| undecodable(path, e))
}

/// The error of an answer that does not decode. Out of line: `decode_answer` has a copy per answer type,
/// and the message formatting in each cost the wasm about 100 bytes.
#[inline(never)]
fn undecodable(path: &str, e: prost::DecodeError) -> Error {
    Error::protocol(format!("{path}: undecodable answer: {e}"))
}

/// Whether an error says the endpoint itself is unreachable or broke the connection, as opposed to a
/// database answer (OVERLOADED, ABORTED…) or the caller's own deadline or cancellation.
pub fn endpoint_failed(e: &Error) -> bool {
    e.kind == crate::ErrorKind::Transport
        && matches!(e.status, Status::ConnectionFailure | Status::ConnectionLost | Status::Unavailable)
}

/// The error a non-OK `grpc-status` stands for.
fn status_error(t: &Trailers) -> Option<Error> {
    let code = t.grpc_status?;
    if code == 0 {
        return None;
    }
    let message = t.grpc_message.clone().unwrap_or_default();
    Some(Error::transport(Status::from_grpc(code), format!("gRPC status {code}: {message}")))
}

/// Accepts `http(s)://host[:port][/prefix]`, with `grpc(s)://` as aliases; drops a trailing `/`.
pub fn normalize_endpoint(endpoint: &str) -> Result<String> {
    let e = endpoint.trim();
    let url = if let Some(rest) = e.strip_prefix("grpc://") {
        format!("http://{rest}")
    } else if let Some(rest) = e.strip_prefix("grpcs://") {
        format!("https://{rest}")
    } else if e.starts_with("http://") || e.starts_with("https://") {
        e.to_string()
    } else {
        return Err(Error::argument(format!(
            "endpoint must be an http://, https://, grpc:// or grpcs:// URL, got {}",
            Quoted(endpoint)
        )));
    };
    // `strip_prefix` rather than `split("://")`: a pattern search would compile the two-way string
    // searcher (2.5 KB of wasm) on every first `new Driver`, as V8 compiles wasm functions lazily.
    let host = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://")).unwrap_or_default();
    if host.is_empty() || host.starts_with('/') {
        return Err(Error::argument(format!("endpoint {} has no host", Quoted(endpoint))));
    }
    Ok(url.trim_end_matches('/').to_string())
}

fn normalize_database(database: &str) -> Result<String> {
    let d = database.trim();
    if !d.starts_with('/') || d.len() < 2 {
        return Err(Error::argument(format!("database must be a path such as \"/local\", got {}", Quoted(database))));
    }
    Ok(d.trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_accept_grpc_aliases_and_reject_other_schemes() {
        assert_eq!(normalize_endpoint("grpc://localhost:2136/").ok().as_deref(), Some("http://localhost:2136"));
        assert_eq!(normalize_endpoint("grpcs://db.example").ok().as_deref(), Some("https://db.example"));
        assert_eq!(normalize_endpoint("https://proxy/ydb").ok().as_deref(), Some("https://proxy/ydb"));
        assert!(normalize_endpoint("localhost:2136").is_err());
        assert!(normalize_endpoint("http://").is_err());
    }

    #[test]
    fn databases_are_absolute_paths() {
        assert_eq!(normalize_database("/local/").ok().as_deref(), Some("/local"));
        assert!(normalize_database("local").is_err());
        assert!(normalize_database("/").is_err());
    }

    #[test]
    fn grpc_timeouts_keep_to_eight_digits() {
        assert_eq!(grpc_timeout(0), "0m");
        assert_eq!(grpc_timeout(99_999_999), "99999999m");
        assert_eq!(grpc_timeout(100_000_000), "100000S");
        assert_eq!(grpc_timeout(100_000_001), "100001S");
        assert_eq!(grpc_timeout(u32::MAX), "4294968S");
    }

    #[test]
    fn an_ok_status_is_no_error_and_others_are() {
        assert!(status_error(&Trailers { grpc_status: Some(0), ..Default::default() }).is_none());
        let e = status_error(&Trailers {
            grpc_status: Some(16),
            grpc_message: Some("no token".into()),
            ..Default::default()
        });
        assert_eq!(e.map(|e| e.status), Some(Status::Unauthorized));
    }

    #[test]
    fn an_endpoint_is_reported_pessimised_once_until_forgiven() {
        use crate::observe::{testing::Recorded, Observer};
        let logger = Rc::new(Recorded::default());
        let fetch = FetchSettings { observer: Observer::new(Some(logger.clone()), None, false), ..Default::default() };
        let channel = Channel::with_default_timeout(
            "http://127.0.0.1:2136",
            "/local",
            Rc::new(crate::transport::credentials::AnonymousCredentials),
            None,
            fetch,
        )
        .expect("channel");
        let refused = || Error::transport(Status::ConnectionFailure, "connection refused");
        let _ = channel.observe(refused());
        let _ = channel.observe(refused());
        let _ = channel.observe(Error::transport(Status::Overloaded, "busy"));
        assert!(channel.is_pessimized());
        assert_eq!(logger.messages(), vec!["endpoint pessimised"]);
        channel.clear_pessimization();
        let _ = channel.observe(refused());
        assert_eq!(logger.messages().len(), 2, "reported again after a discovery forgave it");
        let fields = &logger.events.borrow()[0].2;
        assert!(fields.contains(&("status".to_string(), "Str(\"CONNECTION_FAILURE\")".to_string())), "{fields:?}");
    }
}
