//! Trace spans, in the shape the official YDB SDKs give them (Python, Java, C++, .NET, Rust):
//!
//! - `ydb.RunWithRetry` (internal): one per retried call (`executeWithRetries`, `query`,
//!   `retryOperation`), ending with the call's outcome;
//! - `ydb.Try` (internal), its child: one per attempt, with `ydb.retry.attempt` (1 for the first) and
//!   `ydb.retry.backoff_ms` (the wait before it);
//! - `ydb.ExecuteQuery` (client), a child of a try: the request itself. Its context travels to the
//!   server in the W3C `traceparent` header, so that server-side spans join the trace.
//!
//! Every span carries OpenTelemetry's database attributes: `db.system.name` = `ydb`, `db.namespace`
//! (the database), `server.address`, `server.port`, and `db.operation.name` where there is one; a
//! failed span has status ERROR, `error.type` and `db.response.status_code` (the YDB status name).
//! `db.query.text` is set only when the driver was asked to (`traceQueryText`); parameter values never.
//!
//! A session held by hand (`acquire`, or made outside any pool) has no try: each call made on it is a
//! client span under the caller's active span, as in the official SDKs.
//!
//! A span ends when its last handle is dropped, so a call cancelled half-way still ends its spans.
//! Without a tracer every handle is `None` and nothing is allocated.

use super::{Fields, Observer, Value};
use crate::substring;
use std::any::Any;
use std::cell::RefCell;
use std::rc::Rc;

/// A span's identity, as `span.spanContext()` gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanContext {
    pub trace_id: String,
    pub span_id: String,
    pub flags: u8,
}

impl SpanContext {
    /// The W3C `traceparent` header (`00-<trace id>-<span id>-<flags>`), or `None` when the ids are not
    /// the lowercase hex of the right length, or all zeros (an invalid context: a no-op tracer's).
    pub fn traceparent(&self) -> Option<String> {
        let valid = |id: &str, len: usize| {
            id.len() == len
                && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                && id.bytes().any(|b| b != b'0')
        };
        (valid(&self.trace_id, 32) && valid(&self.span_id, 16))
            .then(|| format!("00-{}-{}-{:02x}", self.trace_id, self.span_id, self.flags))
    }
}

/// What OpenTelemetry calls a span's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanKind {
    Internal,
    Client,
}

/// Starts spans (in JS, the `tracer` option: an OpenTelemetry API tracer). `parent: None` means the
/// tracer's current context. An implementation must not fail the driver: `None` when it cannot start one.
pub trait Tracer {
    fn start(
        &self,
        name: &str,
        kind: SpanKind,
        parent: Option<&dyn Span>,
        attributes: &Fields<'_>,
    ) -> Option<Box<dyn Span>>;
}

/// One started span.
pub trait Span {
    fn set(&self, key: &str, value: Value<'_>);
    /// Status ERROR with this description.
    fn fail(&self, message: &str);
    fn end(&self);
    fn context(&self) -> Option<SpanContext>;
    /// For a tracer that needs its own span type back as a parent.
    fn as_any(&self) -> &dyn Any;
}

/// A span that ends when dropped.
struct Ending(Box<dyn Span>);

impl Drop for Ending {
    fn drop(&mut self) {
        self.0.end();
    }
}

/// A handle on a span, or on nothing when tracing is off; clones share the span, which ends when the
/// last of them is dropped.
#[derive(Clone, Default)]
pub struct Traced(Option<Rc<Ending>>);

impl Traced {
    fn span(&self) -> Option<&dyn Span> {
        self.0.as_deref().map(|e| &*e.0)
    }

    pub fn is_recording(&self) -> bool {
        self.0.is_some()
    }

    pub fn set(&self, key: &str, value: Value<'_>) {
        if let Some(span) = self.span() {
            span.set(key, value);
        }
    }

    /// Marks the span failed: `status` is the YDB status name (`None`: not a database error);
    /// `message` is asked for only when there is a span.
    pub fn fail(&self, status: Option<&str>, message: impl FnOnce() -> String) {
        if let Some(span) = self.span() {
            let kind = status.unwrap_or("_OTHER");
            span.set("error.type", Value::Str(kind));
            if let Some(status) = status {
                span.set("db.response.status_code", Value::Str(status));
            }
            span.fail(&message());
        }
    }

    /// Marks the span failed with the client's error `e`.
    pub fn fail_with(&self, e: &crate::error::Error) {
        self.fail(Some(e.status.name()), || e.message.clone());
    }

    /// Marks the span failed with `e` when `outcome` is an error; hands `outcome` on.
    pub fn record<T>(&self, outcome: crate::error::Result<T>) -> crate::error::Result<T> {
        if let Err(e) = &outcome {
            self.fail_with(e);
        }
        outcome
    }

    /// The `traceparent` header that makes this span the parent of the server's.
    pub fn traceparent(&self) -> Option<Rc<str>> {
        self.span()?.context()?.traceparent().map(Rc::from)
    }
}

/// The spans and log events of one retried call: its `ydb.RunWithRetry` span (when tracing), and the
/// observer its tries and requests report to.
#[derive(Default)]
pub struct CallTrace {
    observer: Observer,
    call: Traced,
    /// The database and server of the driver, kept only when tracing.
    target: Option<Rc<Target>>,
}

struct Target {
    database: String,
    address: String,
    port: Option<u16>,
}

impl CallTrace {
    /// Starts the call's span when `observer` has a tracer; `endpoint` (a URL) and `database` name the
    /// target, `operation` the call's database operation when it has one.
    pub fn start(observer: &Observer, endpoint: &str, database: &str, operation: Option<&str>) -> CallTrace {
        let Some(tracer) = observer.tracer() else {
            return CallTrace { observer: observer.clone(), ..CallTrace::default() };
        };
        let (address, port) = server_of(endpoint);
        let target = Rc::new(Target { database: database.to_string(), address: address.to_string(), port });
        let call = start(&**tracer, "ydb.RunWithRetry", SpanKind::Internal, None, &target, operation, &[]);
        CallTrace { observer: observer.clone(), call, target: Some(target) }
    }

    pub fn observer(&self) -> &Observer {
        &self.observer
    }

    /// The span of attempt `number` (1 for the first), a child of the call's.
    pub fn attempt(&self, number: u32, backoff_ms: f64) -> Traced {
        let (Some(tracer), Some(target)) = (self.observer.tracer(), &self.target) else {
            return Traced::default();
        };
        let attributes = [("ydb.retry.attempt", Value::from(number)), ("ydb.retry.backoff_ms", Value::Num(backoff_ms))];
        start(&**tracer, "ydb.Try", SpanKind::Internal, self.call.span(), target, None, &attributes)
    }

    /// The client span of one request made by an attempt: `ydb.<operation>`, with the query text when the
    /// driver traces it.
    pub fn request(&self, attempt: &Traced, operation: &str, query_text: Option<&str>) -> Traced {
        match &self.target {
            Some(target) => request_span(&self.observer, target, attempt, operation, query_text),
            None => Traced::default(),
        }
    }

    /// `attempt`, lent to the session it holds so that the calls made on that session start their client
    /// spans under it; `None` when not tracing.
    pub fn lend(&self, attempt: &Traced) -> Option<AttemptTrace> {
        let target = self.target.clone()?;
        attempt.is_recording().then(|| AttemptTrace {
            observer: self.observer.clone(),
            target,
            attempt: attempt.clone(),
        })
    }

    /// Ends the call's span as failed after `attempts` attempts.
    pub fn failed(&self, attempts: u32, status: Option<&str>, message: impl FnOnce() -> String) {
        self.call.set("ydb.retry.attempts", Value::from(attempts));
        self.call.fail(status, message);
    }

    /// Records the call's success after `attempts` attempts.
    pub fn succeeded(&self, attempts: u32) {
        self.call.set("ydb.retry.attempts", Value::from(attempts));
    }
}

fn request_span(observer: &Observer, target: &Target, attempt: &Traced, operation: &str, text: Option<&str>) -> Traced {
    let Some(tracer) = observer.tracer() else {
        return Traced::default();
    };
    let attributes: &[(&str, Value<'_>)] = match text.filter(|_| observer.trace_query_text()) {
        Some(t) => &[("db.query.text", Value::Str(t))],
        None => &[],
    };
    let name = format!("ydb.{operation}");
    start(&**tracer, &name, SpanKind::Client, attempt.span(), target, Some(operation), attributes)
}

fn start(
    tracer: &dyn Tracer,
    name: &str,
    kind: SpanKind,
    parent: Option<&dyn Span>,
    target: &Target,
    operation: Option<&str>,
    extra: &Fields<'_>,
) -> Traced {
    let mut attributes = vec![
        ("db.system.name", Value::Str("ydb")),
        ("db.namespace", Value::Str(&target.database)),
        ("server.address", Value::Str(&target.address)),
    ];
    if let Some(port) = target.port {
        attributes.push(("server.port", Value::from(u32::from(port))));
    }
    if let Some(op) = operation {
        attributes.push(("db.operation.name", Value::Str(op)));
    }
    attributes.extend_from_slice(extra);
    Traced(tracer.start(name, kind, parent, &attributes).map(|s| Rc::new(Ending(s))))
}

/// A traced retry attempt's span as the session it holds sees it (see [`CallTrace::lend`]).
#[derive(Clone)]
pub struct AttemptTrace {
    observer: Observer,
    target: Rc<Target>,
    attempt: Traced,
}

impl AttemptTrace {
    /// The trace of a session its caller holds by hand (`acquire`, or a session made outside any pool):
    /// with no attempt to hang under, each request is a client span under the tracer's current context —
    /// the caller's active span, as in the official SDKs. `None` when not tracing.
    pub fn held_by_hand(observer: &Observer, endpoint: &str, database: &str) -> Option<AttemptTrace> {
        observer.tracer()?;
        let (address, port) = server_of(endpoint);
        let target = Rc::new(Target { database: database.to_string(), address: address.to_string(), port });
        Some(AttemptTrace { observer: observer.clone(), target, attempt: Traced::default() })
    }
}

/// The attempt a checked-out session works for while a traced retry attempt holds it: each request a
/// `retryOperation` callback makes on its session gets a client span under that attempt, and sends the
/// span's context to the server. A session held by hand works for its caller instead
/// ([`AttemptTrace::held_by_hand`]); an idle one (its keep-alive, its deletion) for nobody: no spans.
#[derive(Default)]
pub struct SessionTrace(RefCell<Option<AttemptTrace>>);

impl SessionTrace {
    pub fn set(&self, attempt: Option<AttemptTrace>) {
        *self.0.borrow_mut() = attempt;
    }

    /// The client span of a request to `path` (a gRPC method path; the span is named after its last
    /// segment) made on the session now: a child of the attempt that holds the session, or nothing.
    pub fn request(&self, path: &str, query_text: Option<&str>) -> Traced {
        match &*self.0.borrow() {
            Some(a) => {
                let operation = path.rsplit('/').next().unwrap_or(path);
                request_span(&a.observer, &a.target, &a.attempt, operation, query_text)
            }
            None => Traced::default(),
        }
    }
}

/// The host and port of an endpoint URL (`http://host:port/prefix`, as the channel keeps it); the port
/// is the scheme's default when the URL names none.
pub fn server_of(endpoint: &str) -> (&str, Option<u16>) {
    let default = if endpoint.starts_with("https") { 443 } else { 80 };
    let rest = substring::split_once(endpoint, "://").map_or(endpoint, |(_, rest)| rest);
    let authority = rest.split('/').next().unwrap_or_default();
    // The port follows the last ':', unless that ':' is inside an IPv6 literal (`[::1]`).
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !port.as_bytes().contains(&b']') => {
            (host, crate::digits::decimal(port.as_bytes()).and_then(|p| u16::try_from(p).ok()))
        }
        _ => (authority, None),
    };
    (host.trim_start_matches('[').trim_end_matches(']'), Some(port.unwrap_or(default)))
}

#[cfg(test)]
pub mod testing {
    //! A tracer that records its spans, for tests in any module.
    use super::*;
    use std::cell::{Cell, RefCell};

    #[derive(Debug, Clone, Default)]
    pub struct Recorded {
        pub name: String,
        pub kind: Option<SpanKind>,
        pub parent: Option<usize>,
        pub attributes: Vec<(String, String)>,
        pub failed: Option<String>,
        pub ended: bool,
    }

    #[derive(Default)]
    pub struct Spans {
        pub spans: Rc<RefCell<Vec<Recorded>>>,
    }

    impl Spans {
        pub fn attribute(&self, span: usize, key: &str) -> Option<String> {
            let spans = self.spans.borrow();
            let s = spans.get(span)?;
            s.attributes.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.clone())
        }
    }

    struct RecordingSpan {
        index: usize,
        spans: Rc<RefCell<Vec<Recorded>>>,
        ended: Cell<bool>,
    }

    fn show(v: Value<'_>) -> String {
        match v {
            Value::Str(s) => s.to_string(),
            Value::Num(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
        }
    }

    impl Tracer for Spans {
        fn start(
            &self,
            name: &str,
            kind: SpanKind,
            parent: Option<&dyn Span>,
            attributes: &Fields<'_>,
        ) -> Option<Box<dyn Span>> {
            let parent = parent.and_then(|p| p.as_any().downcast_ref::<RecordingSpan>()).map(|p| p.index);
            let mut spans = self.spans.borrow_mut();
            spans.push(Recorded {
                name: name.to_string(),
                kind: Some(kind),
                parent,
                attributes: attributes.iter().map(|(k, v)| (k.to_string(), show(*v))).collect(),
                ..Recorded::default()
            });
            Some(Box::new(RecordingSpan { index: spans.len() - 1, spans: self.spans.clone(), ended: Cell::new(false) }))
        }
    }

    impl Span for RecordingSpan {
        fn set(&self, key: &str, value: Value<'_>) {
            if let Some(s) = self.spans.borrow_mut().get_mut(self.index) {
                s.attributes.push((key.to_string(), show(value)));
            }
        }
        fn fail(&self, message: &str) {
            if let Some(s) = self.spans.borrow_mut().get_mut(self.index) {
                s.failed = Some(message.to_string());
            }
        }
        fn end(&self) {
            assert!(!self.ended.replace(true), "a span ends once");
            if let Some(s) = self.spans.borrow_mut().get_mut(self.index) {
                s.ended = true;
            }
        }
        fn context(&self) -> Option<SpanContext> {
            Some(SpanContext {
                trace_id: "0af7651916cd43dd8448eb211c80319c".into(),
                span_id: format!("{:016x}", self.index + 1),
                flags: 1,
            })
        }
        fn as_any(&self) -> &dyn Any {
            self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::Spans;
    use super::*;

    #[test]
    fn traceparent_is_the_w3c_header_and_refuses_malformed_ids() {
        let c = SpanContext {
            trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into(),
            span_id: "00f067aa0ba902b7".into(),
            flags: 1,
        };
        assert_eq!(c.traceparent().as_deref(), Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
        let zero = SpanContext { trace_id: "0".repeat(32), ..c.clone() };
        assert_eq!(zero.traceparent(), None, "the invalid (all-zero) context of a no-op tracer");
        let upper = SpanContext { span_id: "00F067AA0BA902B7".into(), ..c.clone() };
        assert_eq!(upper.traceparent(), None);
        let injected = SpanContext { span_id: "00f067aa0ba9\r\nx:".into(), ..c.clone() };
        assert_eq!(injected.traceparent(), None, "no header injection through a tracer's ids");
        let short = SpanContext { trace_id: "4bf9".into(), ..c };
        assert_eq!(short.traceparent(), None);
    }

    #[test]
    fn server_address_and_port_come_from_the_endpoint_url() {
        assert_eq!(server_of("http://127.0.0.1:2136"), ("127.0.0.1", Some(2136)));
        assert_eq!(server_of("https://ydb.example/prefix"), ("ydb.example", Some(443)));
        assert_eq!(server_of("http://[::1]:8765/x"), ("::1", Some(8765)));
        assert_eq!(server_of("http://db"), ("db", Some(80)));
    }

    #[test]
    fn without_a_tracer_nothing_is_started_and_with_one_the_spans_nest() {
        let off = CallTrace::start(&Observer::default(), "http://h:1", "/local", None);
        assert!(!off.attempt(1, 0.0).is_recording());
        let spans = Rc::new(Spans::default());
        let observer = Observer::new(None, Some(spans.clone()), false);
        let call = CallTrace::start(&observer, "http://h:2136", "/local", Some("ExecuteQuery"));
        let attempt = call.attempt(1, 0.0);
        let request = call.request(&attempt, "ExecuteQuery", Some("SELECT 1"));
        assert!(request.traceparent().is_some());
        request.fail(Some("UNAVAILABLE"), || "UNAVAILABLE: node down".into());
        drop((request, attempt));
        call.failed(1, Some("UNAVAILABLE"), || "UNAVAILABLE".into());
        drop(call);
        let recorded = spans.spans.borrow().clone();
        let names: Vec<_> = recorded.iter().map(|s| (s.name.as_str(), s.parent, s.ended)).collect();
        assert_eq!(
            names,
            vec![("ydb.RunWithRetry", None, true), ("ydb.Try", Some(0), true), ("ydb.ExecuteQuery", Some(1), true)]
        );
        assert_eq!(spans.attribute(2, "server.port").as_deref(), Some("2136"));
        assert_eq!(spans.attribute(2, "db.response.status_code").as_deref(), Some("UNAVAILABLE"));
        assert_eq!(spans.attribute(2, "db.query.text"), None, "query text only when asked for");
        assert_eq!(recorded[2].kind, Some(SpanKind::Client));
    }
}
