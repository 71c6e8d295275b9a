//! Fault injection and call counting, scriptable from tests through the admin endpoint.
//!
//! One tower layer ([`FaultLayer`]) wraps every service of a node, so no RPC handler knows about faults.
//! For each call it counts the RPC and asks the shared [`Faults`] registry whether a fault applies; a fault
//! may delay the call, answer it with a YDB status instead of running it, or let it run and then cut its
//! response (a stream after its first part, a unary call before its answer).
//!
//! A status answer must be a well-formed message of the RPC's own response type. YDB responses come in
//! three shapes, and the right one follows from the RPC's path alone (see [`shape_of`]):
//! - operation-wrapped (Table, Scheme, Discovery, Auth unary calls): `Operation operation = 1;`
//! - status-first (the Query service and every server stream): `StatusCode status = 1; repeated
//!   IssueMessage issues = 2;` — for streams this is the first and only part, as YDB sends errors;
//! - a bare `Operation` (Query's ExecuteScript).
//!
//! Encoding just those fields gives a valid message of the concrete type (its other fields take their
//! defaults); the unit tests decode the answers as the concrete response types to keep that true.
//!
//! The HTTP token endpoints (`crate::cloud_auth`: `/iam/v1/tokens`, the metadata token, `/oauth/token`)
//! take faults from the same registry, so tests can make "the IAM endpoint is down": a fault whose `rpc`
//! names such an endpoint (`/iam/v1/tokens`, `oauth/*`; never through the catch-all `*`) may answer with
//! `httpStatus` (503, say), delay with `latencyMs` (a long one hangs the request), or with `dropStream`
//! close the connection without an answer. [`Faults::on_http`] picks them; `status` and
//! `sessionCloseHint` are YDB things and are refused there.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use http_body::Frame;
use http_body_util::{BodyExt, StreamBody};
use parking_lot::Mutex;
use prost::Message;
use serde::{Deserialize, Serialize};
use tonic::body::Body;

use crate::proto::ydb;
use crate::proto::ydb::status_ids::StatusCode;
use crate::services::end_sessions;
use crate::sessions::Ended;
use crate::state::State;

/// RPCs whose answers are server streams: a cut lets their first part through.
const STREAMS: &[&str] = &[
    "/Ydb.Query.V1.QueryService/ExecuteQuery",
    "/Ydb.Query.V1.QueryService/AttachSession",
    "/Ydb.Table.V1.TableService/StreamReadTable",
    "/Ydb.Table.V1.TableService/StreamExecuteScanQuery",
];

/// RPCs that answer with a bare `Operation` message.
const BARE_OPERATIONS: &[&str] = &["/Ydb.Query.V1.QueryService/ExecuteScript"];

/// How an RPC's response message carries a YDB status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `Operation operation = 1;`
    OperationWrapped,
    /// `StatusCode status = 1; repeated IssueMessage issues = 2;`
    StatusFirst,
    /// The response is an `Operation`.
    BareOperation,
}

/// The response shape of an RPC, from its path (`/Ydb.Table.V1.TableService/ExecuteDataQuery`).
pub fn shape_of(rpc: &str) -> Shape {
    if BARE_OPERATIONS.contains(&rpc) {
        Shape::BareOperation
    } else if rpc.starts_with("/Ydb.Query.V1.QueryService/") || is_stream(rpc) {
        Shape::StatusFirst
    } else {
        Shape::OperationWrapped
    }
}

/// Whether the RPC answers with a server stream.
pub fn is_stream(rpc: &str) -> bool {
    STREAMS.contains(&rpc)
}

/// A fault as tests post it (JSON, camelCase).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultSpec {
    /// `*` (every RPC), a service (`Ydb.Table.V1.TableService`) or one RPC
    /// (`Ydb.Table.V1.TableService/ExecuteDataQuery`); a trailing `*` matches any RPC path with that prefix.
    #[serde(default = "every_rpc")]
    pub rpc: String,
    /// A YDB status name (`OVERLOADED`, `BAD_SESSION`, ...) to answer with instead of running the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Hit at most this many calls (unlimited when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u64>,
    /// Hit each matching call with this probability (every call when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// Delay hit calls by this many milliseconds (before the status, the cut or the call itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// Run the call, then cut its response: streams after their first part, unary calls before the answer.
    #[serde(default)]
    pub drop_stream: bool,
    /// Run the call, answer it with the `x-ydb-server-hints: session-close` trailer, then end its session,
    /// as a YDB node that is draining does. Meant for calls that leave no transaction open.
    #[serde(default)]
    pub session_close_hint: bool,
    /// Only calls to this node (1-based); every node when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<u32>,
    /// The issue message of a status answer (the error message of an `httpStatus` answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// For the HTTP token endpoints only: answer with this HTTP status (400..=599) instead of serving.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
}

fn every_rpc() -> String {
    "*".to_string()
}

impl FaultSpec {
    fn matches(&self, rpc: &str, node: u32) -> bool {
        self.node.is_none_or(|n| n == node) && self.pattern_matches(rpc)
    }

    fn pattern_matches(&self, rpc: &str) -> bool {
        let pattern = self.rpc.trim_start_matches('/');
        let path = rpc.trim_start_matches('/');
        if pattern == "*" || pattern.is_empty() {
            return true;
        }
        if let Some(prefix) = pattern.strip_suffix('*') {
            return path.starts_with(prefix);
        }
        path == pattern || path.strip_prefix(pattern).is_some_and(|rest| rest.starts_with('/'))
    }

    /// Whether `rpc` names one of the HTTP token endpoints (the catch-all `*` does not: a fault meant for
    /// gRPC calls never breaks the token endpoints by accident).
    fn names_http_endpoint(&self) -> bool {
        let pattern = self.rpc.trim_start_matches('/');
        !(pattern.is_empty() || pattern == "*")
            && crate::cloud_auth::ENDPOINT_PATHS.iter().any(|path| self.pattern_matches(path))
    }
}

/// A registered fault and its counters.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultInfo {
    pub id: u64,
    #[serde(flatten)]
    pub spec: FaultSpec,
    /// Calls this fault hit so far.
    pub hits: u64,
}

/// What the layer does to one call.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    pub fault_id: u64,
    pub latency: Option<Duration>,
    /// Answer with this status and issue message instead of running the call.
    pub status: Option<(StatusCode, String)>,
    pub drop_stream: bool,
    pub session_close_hint: bool,
    /// For the HTTP token endpoints: answer with this HTTP status and the issue message's text.
    pub http_status: Option<(u16, String)>,
}

#[derive(Default)]
struct Registry {
    next_id: u64,
    faults: Vec<(FaultInfo, Option<StatusCode>)>,
    calls: BTreeMap<String, u64>,
    hits: u64,
    random: u64,
}

impl Registry {
    /// xorshift64*: enough randomness for probabilities, no dependency.
    fn next_unit(&mut self) -> f64 {
        if self.random == 0 {
            self.random = (uuid::Uuid::new_v4().as_u128() as u64) | 1;
        }
        let mut x = self.random;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.random = x;
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The faults and call counters shared by every node of a server; cheap to share behind an `Arc`.
#[derive(Default)]
pub struct Faults {
    registry: Mutex<Registry>,
}

impl Faults {
    pub fn new() -> Faults {
        Faults::default()
    }

    /// Registers a fault and returns its id; a spec that cannot work is an error naming the field.
    pub fn add(&self, spec: FaultSpec) -> Result<u64, String> {
        let status = match &spec.status {
            Some(name) => match StatusCode::from_str_name(&name.to_ascii_uppercase()) {
                Some(StatusCode::Unspecified) | None => return Err(format!("unknown status: {name}")),
                Some(code) => Some(code),
            },
            None => None,
        };
        if spec.probability.is_some_and(|p| !(0.0..=1.0).contains(&p)) {
            return Err("probability must be between 0 and 1".to_string());
        }
        if status.is_none()
            && spec.latency_ms.is_none()
            && !spec.drop_stream
            && !spec.session_close_hint
            && spec.http_status.is_none()
        {
            return Err("a fault needs a status, latencyMs, dropStream, sessionCloseHint or httpStatus".to_string());
        }
        if spec.session_close_hint && (status.is_some() || spec.drop_stream) {
            return Err("sessionCloseHint goes with a call that runs: not with a status or dropStream".to_string());
        }
        if spec.names_http_endpoint() {
            if status.is_some() || spec.session_close_hint {
                return Err(format!(
                    "{} is an HTTP token endpoint: give it httpStatus, latencyMs or dropStream, not a YDB status \
                     or sessionCloseHint",
                    spec.rpc
                ));
            }
        } else if spec.http_status.is_some() {
            return Err(format!(
                "httpStatus is for the HTTP token endpoints; rpc must name one of {} (or a prefix of one ending \
                 in *), not {}",
                crate::cloud_auth::ENDPOINT_PATHS.join(", "),
                spec.rpc
            ));
        }
        if spec.http_status.is_some_and(|s| !(400..=599).contains(&s)) {
            return Err("httpStatus must be an error status, 400 to 599".to_string());
        }
        let mut registry = self.registry.lock();
        registry.next_id += 1;
        let id = registry.next_id;
        registry.faults.push((FaultInfo { id, spec, hits: 0 }, status));
        Ok(id)
    }

    /// Removes every fault; returns how many there were. Call counters stay.
    pub fn clear(&self) -> usize {
        let mut registry = self.registry.lock();
        let n = registry.faults.len();
        registry.faults.clear();
        n
    }

    /// Removes one fault.
    pub fn remove(&self, id: u64) -> bool {
        let mut registry = self.registry.lock();
        let before = registry.faults.len();
        registry.faults.retain(|(f, _)| f.id != id);
        registry.faults.len() != before
    }

    /// Every registered fault (spent ones included) with its hit count.
    pub fn list(&self) -> Vec<FaultInfo> {
        self.registry.lock().faults.iter().map(|(f, _)| f.clone()).collect()
    }

    /// Calls per RPC path since the server started.
    pub fn calls(&self) -> BTreeMap<String, u64> {
        self.registry.lock().calls.clone()
    }

    /// Calls hit by any fault since the server started.
    pub fn hits(&self) -> u64 {
        self.registry.lock().hits
    }

    /// Counts a gRPC call and picks the first fault that hits it (a fault with `times` hits at most that
    /// often).
    pub fn on_call(&self, rpc: &str, node: u32) -> Option<Action> {
        self.hit(rpc, node, false)
    }

    /// Counts a request to an HTTP token endpoint (by its path) and picks the first fault that hits it:
    /// only faults whose `rpc` names a token endpoint, see the module docs.
    pub fn on_http(&self, path: &str, node: u32) -> Option<Action> {
        self.hit(path, node, true)
    }

    fn hit(&self, rpc: &str, node: u32, http: bool) -> Option<Action> {
        let mut registry = self.registry.lock();
        *registry.calls.entry(rpc.to_string()).or_insert(0) += 1;
        let candidates: Vec<usize> = registry
            .faults
            .iter()
            .enumerate()
            .filter(|(_, (f, _))| {
                f.spec.times.is_none_or(|t| f.hits < t)
                    && f.spec.matches(rpc, node)
                    && (!http || f.spec.names_http_endpoint())
            })
            .map(|(i, _)| i)
            .collect();
        for index in candidates {
            let probability = registry.faults.get(index).and_then(|(f, _)| f.spec.probability);
            if probability.is_some_and(|p| registry.next_unit() >= p) {
                continue;
            }
            let (fault, status) = registry.faults.get_mut(index)?;
            fault.hits += 1;
            let action = Action {
                fault_id: fault.id,
                latency: fault.spec.latency_ms.map(Duration::from_millis),
                status: status.map(|code| {
                    let text = fault
                        .spec
                        .message
                        .clone()
                        .unwrap_or_else(|| format!("injected fault #{}: {}", fault.id, code.as_str_name()));
                    (code, text)
                }),
                drop_stream: fault.spec.drop_stream,
                session_close_hint: fault.spec.session_close_hint,
                http_status: fault.spec.http_status.map(|code| {
                    let text = fault
                        .spec
                        .message
                        .clone()
                        .unwrap_or_else(|| format!("injected fault #{}: HTTP {code}", fault.id));
                    (code, text)
                }),
            };
            registry.hits += 1;
            return Some(action);
        }
        None
    }
}

#[derive(Clone, PartialEq, prost::Message)]
struct OperationWrapped {
    #[prost(message, optional, tag = "1")]
    operation: Option<ydb::operations::Operation>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct StatusFirst {
    #[prost(int32, tag = "1")]
    status: i32,
    #[prost(message, repeated, tag = "2")]
    issues: Vec<ydb::issue::IssueMessage>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct SessionIdFirst {
    #[prost(string, tag = "1")]
    session_id: String,
}

/// The encoded response message of `rpc` that carries `status` with one issue.
pub fn status_message(rpc: &str, status: StatusCode, message: &str) -> Vec<u8> {
    let issues = vec![crate::services::issue(message)];
    let operation = || ydb::operations::Operation {
        ready: true,
        status: status as i32,
        issues: issues.clone(),
        ..Default::default()
    };
    match shape_of(rpc) {
        Shape::OperationWrapped => OperationWrapped { operation: Some(operation()) }.encode_to_vec(),
        Shape::BareOperation => operation().encode_to_vec(),
        Shape::StatusFirst => StatusFirst { status: status as i32, issues: issues.clone() }.encode_to_vec(),
    }
}

/// A complete gRPC answer (grpc-status 0) carrying one message; the gRPC-web layer outside converts it.
fn grpc_answer(message: Vec<u8>) -> http::Response<Body> {
    let mut frame = BytesMut::with_capacity(message.len() + 5);
    frame.put_u8(0);
    frame.put_u32(u32::try_from(message.len()).unwrap_or(u32::MAX));
    frame.extend_from_slice(&message);
    let mut trailers = http::HeaderMap::new();
    trailers.insert("grpc-status", http::HeaderValue::from_static("0"));
    let frames = [Ok::<_, Infallible>(Frame::data(frame.freeze())), Ok(Frame::trailers(trailers))];
    let mut response = http::Response::new(Body::new(StreamBody::new(futures_util::stream::iter(frames))));
    response.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/grpc"));
    response
}

/// The session a request names, when its field 1 is a session id (most session-bound requests).
async fn session_of(body: Body) -> Option<String> {
    session_in(body.collect().await.ok()?.to_bytes())
}

fn session_in(mut bytes: Bytes) -> Option<String> {
    if bytes.len() < 5 || bytes.get_u8() != 0 {
        return None;
    }
    let len = usize::try_from(bytes.get_u32()).ok()?;
    let id = SessionIdFirst::decode(bytes.get(..len)?).ok()?.session_id;
    id.starts_with("ydb://session/").then_some(id)
}

/// A response body whose trailers also carry `x-ydb-server-hints: session-close`.
struct HintedBody {
    inner: Body,
}

impl http_body::Body for HintedBody {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, tonic::Status>>> {
        match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => Poll::Ready(Some(Ok(match frame.into_trailers() {
                Ok(mut trailers) => {
                    trailers.insert("x-ydb-server-hints", http::HeaderValue::from_static("session-close"));
                    Frame::trailers(trailers)
                }
                Err(frame) => frame,
            }))),
            other => other,
        }
    }
}

/// Wraps every service of one node with fault injection and call counting.
#[derive(Clone)]
pub struct FaultLayer {
    faults: Arc<Faults>,
    state: State,
}

impl FaultLayer {
    pub fn new(faults: Arc<Faults>, state: State) -> FaultLayer {
        FaultLayer { faults, state }
    }
}

impl<S> tower_layer::Layer<S> for FaultLayer {
    type Service = FaultService<S>;
    fn layer(&self, inner: S) -> FaultService<S> {
        FaultService { inner, faults: self.faults.clone(), state: self.state.clone() }
    }
}

/// The service [`FaultLayer`] builds.
#[derive(Clone)]
pub struct FaultService<S> {
    inner: S,
    faults: Arc<Faults>,
    state: State,
}

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<S> tower_service::Service<http::Request<Body>> for FaultService<S>
where
    S: tower_service::Service<http::Request<Body>, Response = http::Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<http::Response<Body>, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let rpc = request.uri().path().to_string();
        let action = self.faults.on_call(&rpc, self.state.node_id);
        // The clone that was made ready is the one to call; leave a fresh clone behind.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let state = self.state.clone();
        Box::pin(async move {
            let Some(action) = action else {
                return inner.call(request).await;
            };
            if let Some(delay) = action.latency {
                tokio::time::sleep(delay).await;
            }
            if let Some((status, message)) = action.status {
                if matches!(status, StatusCode::BadSession | StatusCode::SessionExpired) {
                    // The session really is gone, as it would be in YDB: clients must not see it again.
                    if let Some(id) = session_of(request.into_body()).await {
                        end_sessions(&state, state.sessions.remove(&id, Ended::Closed)).await;
                    }
                }
                return Ok(grpc_answer(status_message(&rpc, status, &message)));
            }
            if action.session_close_hint {
                let (parts, body) = request.into_parts();
                let bytes = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                let session = session_in(bytes.clone());
                let request = http::Request::from_parts(parts, Body::new(http_body_util::Full::new(bytes)));
                let response = inner.call(request).await?;
                end_sessions(&state, session.and_then(|id| state.sessions.remove(&id, Ended::Closed))).await;
                return Ok(response.map(|body| Body::new(HintedBody { inner: body })));
            }
            let response = inner.call(request).await?;
            if action.drop_stream {
                let keep = usize::from(is_stream(&rpc));
                return Ok(response.map(|body| Body::new(CutBody::new(body, keep))));
            }
            Ok(response)
        })
    }
}

/// How long the parts let through before a cut get to reach the client: an HTTP/2 reset makes the client
/// drop data it has received but not yet read, so cutting at once would hide the first part.
const CUT_GRACE: Duration = Duration::from_millis(100);

/// A response body that lets `keep` gRPC messages through, then fails (the connection or stream is reset).
struct CutBody {
    inner: Body,
    keep: usize,
    buffer: BytesMut,
    /// Runs from the last message let through to the cut.
    grace: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl CutBody {
    fn new(inner: Body, keep: usize) -> CutBody {
        CutBody { inner, keep, buffer: BytesMut::new(), grace: None }
    }
}

/// The length of the first complete gRPC message in `buffer` (5-byte header included), if there is one.
fn complete_message(buffer: &[u8]) -> Option<usize> {
    let header: [u8; 4] = buffer.get(1..5)?.try_into().ok()?;
    let len = usize::try_from(u32::from_be_bytes(header)).ok()?.checked_add(5)?;
    (buffer.len() >= len).then_some(len)
}

fn cut_error() -> tonic::Status {
    tonic::Status::unavailable("connection dropped by fault injection")
}

impl http_body::Body for CutBody {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, tonic::Status>>> {
        let this = &mut *self;
        loop {
            if this.keep == 0 {
                if let Some(grace) = this.grace.as_mut() {
                    if grace.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                }
                return Poll::Ready(Some(Err(cut_error())));
            }
            if let Some(len) = complete_message(&this.buffer) {
                this.keep -= 1;
                if this.keep == 0 {
                    this.grace = Some(Box::pin(tokio::time::sleep(CUT_GRACE)));
                }
                return Poll::Ready(Some(Ok(Frame::data(this.buffer.split_to(len).freeze()))));
            }
            match Pin::new(&mut this.inner).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) => this.buffer.extend_from_slice(&data),
                    // The answer ended before the cut point: cut it here instead of ending it cleanly.
                    Err(_trailers) => this.keep = 0,
                },
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(None) => this.keep = 0,
            }
        }
    }
}

/// The token routes (`crate::cloud_auth`) ask the registry through this trait, so that they need not know it.
impl crate::cloud_auth::HttpFaults for Faults {
    fn fault_for(&self, path: &str, node: u32) -> Option<crate::cloud_auth::HttpFault> {
        self.on_http(path, node).map(|a| crate::cloud_auth::HttpFault {
            fault_id: a.fault_id,
            latency: a.latency,
            drop_stream: a.drop_stream,
            http_status: a.http_status,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn spec(json: &str) -> FaultSpec {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn rpc_patterns_match_everything_a_service_or_one_rpc() {
        let rpc = "/Ydb.Table.V1.TableService/ExecuteDataQuery";
        assert!(spec(r#"{"rpc":"*","status":"OVERLOADED"}"#).matches(rpc, 1));
        assert!(spec(r#"{"rpc":"Ydb.Table.V1.TableService","status":"OVERLOADED"}"#).matches(rpc, 1));
        assert!(spec(r#"{"rpc":"Ydb.Table.V1.TableService/ExecuteDataQuery","status":"OVERLOADED"}"#).matches(rpc, 1));
        assert!(spec(r#"{"rpc":"Ydb.Table.*","status":"OVERLOADED"}"#).matches(rpc, 1));
        assert!(!spec(r#"{"rpc":"Ydb.Table.V1.TableServ","status":"OVERLOADED"}"#).matches(rpc, 1));
        assert!(!spec(r#"{"rpc":"Ydb.Query.V1.QueryService","status":"OVERLOADED"}"#).matches(rpc, 1));
        assert!(!spec(r#"{"status":"OVERLOADED","node":2}"#).matches(rpc, 1));
    }

    #[test]
    fn a_fault_with_times_hits_that_many_calls_then_lets_calls_through() {
        let faults = Faults::new();
        let id = faults.add(spec(r#"{"rpc":"*","status":"overloaded","times":2}"#)).unwrap();
        let rpc = "/Ydb.Table.V1.TableService/KeepAlive";
        let first = faults.on_call(rpc, 1).unwrap();
        assert_eq!(first.fault_id, id);
        assert_eq!(first.status.unwrap().0, StatusCode::Overloaded);
        assert!(faults.on_call(rpc, 1).is_some());
        assert!(faults.on_call(rpc, 1).is_none());
        assert_eq!(faults.list()[0].hits, 2);
        assert_eq!(faults.calls()[rpc], 3);
        assert_eq!(faults.hits(), 2);
    }

    #[test]
    fn http_endpoint_faults_hit_only_the_endpoints_they_name() {
        let faults = Faults::new();
        faults.add(spec(r#"{"status":"OVERLOADED"}"#)).unwrap();
        let id = faults.add(spec(r#"{"rpc":"/iam/v1/tokens","httpStatus":503,"times":2}"#)).unwrap();
        // The catch-all gRPC fault does not reach the token endpoints; the IAM fault does not reach gRPC.
        assert_eq!(faults.on_http("/oauth/token", 1), None);
        let hit = faults.on_http("/iam/v1/tokens", 1).unwrap();
        assert_eq!((hit.fault_id, hit.http_status.unwrap().0), (id, 503));
        assert!(faults.on_http("/iam/v1/tokens", 1).is_some());
        assert_eq!(faults.on_http("/iam/v1/tokens", 1), None, "spent after two");
        assert_eq!(
            faults.on_call("/Ydb.Table.V1.TableService/KeepAlive", 1).unwrap().status.unwrap().0,
            StatusCode::Overloaded
        );
        assert_eq!(faults.calls()["/iam/v1/tokens"], 3);
        let hang = faults.add(spec(r#"{"rpc":"computeMetadata/*","latencyMs":50}"#)).unwrap();
        let hit = faults.on_http("/computeMetadata/v1/instance/service-accounts/default/token", 1).unwrap();
        assert_eq!((hit.fault_id, hit.latency), (hang, Some(Duration::from_millis(50))));
    }

    #[test]
    fn http_faults_that_cannot_work_are_refused() {
        let faults = Faults::new();
        for bad in [
            r#"{"httpStatus":503}"#,
            r#"{"rpc":"Ydb.Table.V1.TableService","httpStatus":503}"#,
            r#"{"rpc":"/iam/v1/tokens","status":"UNAVAILABLE"}"#,
            r#"{"rpc":"/iam/v1/tokens","httpStatus":200}"#,
            r#"{"rpc":"/iam/v1/tokens","sessionCloseHint":true}"#,
        ] {
            assert!(faults.add(spec(bad)).is_err(), "{bad}");
        }
        assert!(faults.add(spec(r#"{"rpc":"oauth/token","dropStream":true}"#)).is_ok());
    }

    #[test]
    fn probability_hits_about_that_share_of_calls() {
        let faults = Faults::new();
        faults.add(spec(r#"{"status":"UNAVAILABLE","probability":0.3}"#)).unwrap();
        let hit = (0..10_000).filter(|_| faults.on_call("/x/y", 1).is_some()).count();
        assert!((2_500..3_500).contains(&hit), "{hit}");
    }

    #[test]
    fn faults_that_cannot_work_are_refused() {
        let faults = Faults::new();
        assert!(faults.add(spec(r#"{"status":"NOPE"}"#)).is_err());
        assert!(faults.add(spec(r#"{"status":"ABORTED","probability":2}"#)).is_err());
        assert!(faults.add(spec(r#"{"rpc":"*"}"#)).is_err());
        assert!(serde_json::from_str::<FaultSpec>(r#"{"stauts":"ABORTED"}"#).is_err());
    }

    #[test]
    fn status_answers_decode_as_the_rpcs_own_response_types() {
        use ydb::query as q;
        use ydb::table as t;
        let code = StatusCode::Overloaded as i32;
        let m = |rpc: &str| status_message(rpc, StatusCode::Overloaded, "boom");
        let op = t::ExecuteDataQueryResponse::decode(m("/Ydb.Table.V1.TableService/ExecuteDataQuery").as_slice());
        let op = op.unwrap().operation.unwrap();
        assert_eq!((op.status, op.ready, op.issues[0].message.as_str()), (code, true, "boom"));
        let op = t::CreateSessionResponse::decode(m("/Ydb.Table.V1.TableService/CreateSession").as_slice());
        assert_eq!(op.unwrap().operation.unwrap().status, code);
        let op = ydb::discovery::ListEndpointsResponse::decode(
            m("/Ydb.Discovery.V1.DiscoveryService/ListEndpoints").as_slice(),
        );
        assert_eq!(op.unwrap().operation.unwrap().status, code);
        let op = ydb::scheme::ListDirectoryResponse::decode(m("/Ydb.Scheme.V1.SchemeService/ListDirectory").as_slice());
        assert_eq!(op.unwrap().operation.unwrap().status, code);
        let part = q::ExecuteQueryResponsePart::decode(m("/Ydb.Query.V1.QueryService/ExecuteQuery").as_slice());
        assert_eq!(part.unwrap().status, code);
        let state = q::SessionState::decode(m("/Ydb.Query.V1.QueryService/AttachSession").as_slice());
        assert_eq!(state.unwrap().status, code);
        let created = q::CreateSessionResponse::decode(m("/Ydb.Query.V1.QueryService/CreateSession").as_slice());
        assert_eq!(created.unwrap().status, code);
        let part = t::ReadTableResponse::decode(m("/Ydb.Table.V1.TableService/StreamReadTable").as_slice());
        assert_eq!(part.unwrap().status, code);
    }

    #[test]
    fn complete_messages_are_found_by_their_length_prefix() {
        assert_eq!(complete_message(&[0, 0, 0, 0, 2, 1]), None);
        assert_eq!(complete_message(&[0, 0, 0, 0, 2, 1, 2, 3]), Some(7));
        assert_eq!(complete_message(&[0, 0]), None);
    }
}
