//! The one place that touches `fetch`: a gRPC-web POST and the reading of its body.
//!
//! We call the caller's `fetch` when the driver was given one ([`FetchSettings`]), else the global
//! `fetch` (Node ≥ 18, Deno, Workers and browsers all have it), with no
//! `credentials` field — Workers reject it — and read the body either whole (unary calls: one
//! `arrayBuffer()` await) or chunk by chunk (streams). A body reader is cancelled when dropped, so a
//! stream the caller abandons stops the request and with it the server-side work.
//!
//! A call's deadline and its caller's cancellation become one `AbortSignal` here: the caller's, when the
//! [`Cancel`] is an `AbortSignal` ([`SignalCancel`], what the bindings make of a `signal` option),
//! `AbortSignal.timeout` for the deadline, and both through `AbortSignal.any`.
//!
//! The cloud credentials' token requests (IAM, metadata, OAuth) go through here too, as plain HTTP
//! ([`FetchSettings`] is their [`HttpClient`]): through the caller's `fetch` but without the driver's
//! extra headers, which are meant for the YDB endpoint (an API gateway's key) and not for a token service.

use crate::cancel::{Cancel, CancelSource};
use crate::error::{Error, Result, Status};
use crate::transport::framing::{Trailers, MAX_UNARY_BODY_LEN};
use crate::transport::http::{HttpClient, HttpRequest, HttpResponse};
use futures_util::future::LocalBoxFuture;
use js_sys::{Array, Function, Promise, Reflect, Uint8Array};
use std::any::Any;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, ReadableStreamDefaultReader, RequestInit, Response};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(url: &str, init: &RequestInit) -> Promise;
}

/// How a driver's requests leave: through the caller's `fetch` (a Workers service binding, an undici
/// dispatcher with HTTP/2, an instrumented fetch) or the global one, carrying the caller's extra headers
/// (an API gateway's key). No `Debug`: the headers may be secrets and are never logged.
#[derive(Clone, Default)]
pub struct FetchSettings {
    /// Called as `fetch(url, init)` with no `this`; `None`: the global `fetch`.
    pub fetch: Option<js_sys::Function>,
    /// Sent with every request; YDB's own headers win over one of the same name.
    pub headers: Rc<[(String, String)]>,
    /// Who hears about the driver's work (its logger and tracer): kept here because everything that
    /// sends a request — channels, discovery, credentials that log in — already holds these settings.
    pub observer: crate::observe::Observer,
}

impl FetchSettings {
    /// Settings with the caller's `fetch` (`None`: the global one) and extra headers, which are checked
    /// here: a bad name or value is an argument error that shows neither (a header may be a secret).
    pub fn new(
        fetch: Option<js_sys::Function>,
        headers: Vec<(String, String)>,
        observer: crate::observe::Observer,
    ) -> Result<Self> {
        if !headers.iter().all(|(name, value)| valid_header(name, value)) {
            return Err(Error::argument("option headers must be an object of valid header names and string values"));
        }
        Ok(FetchSettings { fetch, headers: headers.into(), observer })
    }
}

/// A header name is an HTTP token; a value has no line breaks or NULs (RFC 9110), so `fetch` cannot
/// refuse it later with a message that quotes it.
fn valid_header(name: &str, value: &str) -> bool {
    let token = |c: u8| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c);
    !name.is_empty() && name.bytes().all(token) && !value.bytes().any(|c| matches!(c, b'\r' | b'\n' | 0))
}

/// An answer whose headers have arrived; its body is still to be read.
pub struct FetchResponse {
    response: Response,
    /// What aborts the request: the deadline, the caller's signal, or both.
    signal: Option<AbortSignal>,
    /// gRPC status sent as HTTP headers: a trailers-only answer (an error before any message).
    pub header_trailers: Trailers,
}

/// A caller's `AbortSignal` as a [`Cancel`].
pub struct SignalCancel(pub AbortSignal);

impl SignalCancel {
    /// The cancellation of a JS value that is an `AbortSignal`.
    pub fn of(v: JsValue) -> Option<Cancel> {
        v.dyn_into::<AbortSignal>().ok().map(|s| Cancel::from(SignalCancel(s)))
    }
}

impl CancelSource for SignalCancel {
    fn is_cancelled(&self) -> bool {
        self.0.aborted()
    }

    /// Resolves on the signal's `abort` event (`addEventListener('abort', …, { once: true })`).
    fn fired(&self) -> LocalBoxFuture<'static, ()> {
        let target: JsValue = self.0.clone().into();
        let promise = Promise::new(&mut |resolve, _reject| {
            let add = Reflect::get(&target, &JsValue::from_str("addEventListener"))
                .ok()
                .and_then(|f| f.dyn_into::<Function>().ok());
            if let Some(add) = add {
                let once = js_sys::Object::new();
                let _ = Reflect::set(&once, &JsValue::from_str("once"), &JsValue::TRUE);
                let _ = add.call3(&target, &JsValue::from_str("abort"), &resolve, &once);
            }
        });
        Box::pin(async move {
            let _ = JsFuture::from(promise).await;
        })
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The longest delay a JS timer keeps: Node turns a longer one (past 2^31 - 1 ms, 24.8 days) into 1 ms
/// with a warning, which made a call with a deadline weeks away fail at once with DEADLINE_EXCEEDED.
const MAX_TIMER_MS: u32 = i32::MAX as u32;

/// One signal that fires on the caller's abort or on the deadline, whichever comes first. A cancellation
/// that is not an `AbortSignal` (a Rust caller's) is checked before the request and cannot stop it later.
fn abort_signal(deadline_ms: Option<u32>, cancel: Option<&Cancel>) -> Option<AbortSignal> {
    if deadline_ms.is_none() && cancel.is_none() {
        return None;
    }
    signal_of(deadline_ms, cancel)
}

/// `abort_signal` of a call with a deadline or a cancellation. Out of line: V8 compiles a wasm function at
/// its first call, and a call with neither (the usual one) then compiles none of this.
#[inline(never)]
fn signal_of(deadline_ms: Option<u32>, cancel: Option<&Cancel>) -> Option<AbortSignal> {
    let timeout = deadline_ms.map(|ms| AbortSignal::timeout_with_u32(ms.min(MAX_TIMER_MS)));
    let caller = cancel.and_then(|c| c.source::<SignalCancel>()).map(|s| s.0.clone());
    match (timeout, caller) {
        (None, None) => None,
        (Some(t), None) => Some(t),
        (None, Some(s)) => Some(s),
        (Some(t), Some(s)) => Some(any_signal(&t, &s)),
    }
}

/// `AbortSignal.any([a, b])`, looked up at run time so that older runtimes fall back to the caller's.
fn any_signal(a: &AbortSignal, b: &AbortSignal) -> AbortSignal {
    let any = Reflect::get(&js_sys::global(), &JsValue::from_str("AbortSignal"))
        .and_then(|c| Reflect::get(&c, &JsValue::from_str("any")).map(|f| (c, f)));
    if let Ok((class, f)) = any {
        if let Ok(f) = f.dyn_into::<Function>() {
            if let Ok(s) = f.call1(&class, &Array::of2(a, b)) {
                if let Ok(s) = s.dyn_into::<AbortSignal>() {
                    return s;
                }
            }
        }
    }
    b.clone()
}

/// The headers every request of a channel carries — the caller's extra headers, then YDB's that never
/// change (a name of both keeps YDB's value) — as one JS object, made at the first request: each request
/// copies it (one call) and adds its own, instead of filling a `Headers` one header (and two strings) at a
/// time. Names are lower case, as a `Headers` object would give them. No `Debug`: the values may be secrets.
pub struct FixedHeaders {
    pairs: Vec<(String, String)>,
    object: std::cell::OnceCell<JsValue>,
}

impl FixedHeaders {
    pub fn new(extra: &[(String, String)], ours: &[(&str, &str)]) -> Self {
        let mut pairs: Vec<(String, String)> = Vec::with_capacity(extra.len() + ours.len());
        for (name, value) in extra.iter().map(|(n, v)| (n.as_str(), v.as_str())).chain(ours.iter().copied()) {
            let name = name.to_ascii_lowercase();
            match pairs.iter_mut().find(|(n, _)| *n == name) {
                Some(pair) => pair.1 = value.to_string(),
                None => pairs.push((name, value.to_string())),
            }
        }
        FixedHeaders { pairs, object: Default::default() }
    }

    /// A fresh record of these headers (a `fetch` wrapper may change what it is given) with `per_call`
    /// added; each of those replaces a fixed header of its name (they are lower case).
    fn record(&self, per_call: &[(&str, &str)]) -> Result<js_sys::Object> {
        let fixed = match self.object.get() {
            Some(o) => o,
            None => {
                let o = header_record(self.pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())))?;
                self.object.get_or_init(|| o.into())
            }
        };
        let record = js_sys::Object::assign(&js_sys::Object::new(), fixed.unchecked_ref());
        for (name, value) in per_call {
            set_header(&record, name, value)?;
        }
        Ok(record)
    }
}

/// POSTs one gRPC-web request through `settings`' fetch with the channel's `fixed` headers and the
/// call's own, aborted when `deadline_ms` passes or `cancel` fires.
pub async fn post(
    url: &str,
    (fixed, per_call): (&FixedHeaders, &[(&str, &str)]),
    body: &[u8],
    (deadline_ms, cancel): (Option<u32>, Option<&Cancel>),
    settings: &FetchSettings,
) -> Result<FetchResponse> {
    crate::cancel::check(cancel)?;
    let signal = abort_signal(deadline_ms, cancel);
    let signal = signal.as_ref();
    let init = request_init("POST", &fixed.record(per_call)?, &Uint8Array::from(body), signal);
    let response = start(url, &init, settings, signal).await?;
    let h: AnswerHeaders = response.headers().unchecked_into();
    let get = |name: &str| h.get(name).ok().flatten();
    let mut header_trailers = Trailers::default();
    // A `grpc-message` means nothing without a `grpc-status`, which a streamed answer sends in its body.
    if let Some(status) = get("grpc-status") {
        header_trailers.set("grpc-status", &status);
        if let Some(message) = get("grpc-message") {
            header_trailers.set("grpc-message", &message);
        }
    }
    if let Some(hints) = get(crate::transport::framing::SERVER_HINTS) {
        header_trailers.set(crate::transport::framing::SERVER_HINTS, &hints);
    }
    let status = response.status();
    if status != 200 && header_trailers.grpc_status.is_none() {
        return Err(http_failure(status));
    }
    Ok(FetchResponse { response, signal: signal.cloned(), header_trailers })
}

#[wasm_bindgen]
extern "C" {
    /// An answer's `Headers` (`web_sys::Headers::get` wraps its result in one more `Option`).
    type AnswerHeaders;
    #[wasm_bindgen(method, catch)]
    fn get(this: &AnswerHeaders, name: &str) -> std::result::Result<Option<String>, JsValue>;
    /// A promise, given a JS function (not a Rust closure) to call.
    type Thenable;
    #[wasm_bindgen(method)]
    fn then(this: &Thenable, fulfilled: &JsValue, rejected: &JsValue) -> JsValue;
    /// A body read's `{ done, value }`, read as properties rather than through `Reflect.get` of a name
    /// passed in as a string.
    type ReadResult;
    #[wasm_bindgen(method, getter, structural)]
    fn done(this: &ReadResult) -> JsValue;
    #[wasm_bindgen(method, getter, structural)]
    fn value(this: &ReadResult) -> JsValue;
}

/// Headers as a record (`{ name: value }`), a `HeadersInit` that every runtime's `fetch` takes.
fn header_record<'a>(headers: impl Iterator<Item = (&'a str, &'a str)>) -> Result<js_sys::Object> {
    let record = js_sys::Object::new();
    for (name, value) in headers {
        set_header(&record, name, value)?;
    }
    Ok(record)
}

/// Sets one header of a record, checked first as `Headers` would check it, so that `fetch` cannot refuse
/// it later with a message that quotes it (a header may be a secret).
fn set_header(record: &js_sys::Object, name: &str, value: &str) -> Result<()> {
    let byte_string = value.chars().all(|c| u32::from(c) <= 0xff);
    if !(byte_string && valid_header(name, value)) {
        return Err(Error::argument(format!("header {name} has an invalid value")));
    }
    let _ = Reflect::set(record, &JsValue::from_str(name), &JsValue::from_str(value));
    Ok(())
}

/// A request's `init`: its method, its headers (a record), its body (none when `undefined`) and its signal.
fn request_init(method: &str, headers: &js_sys::Object, body: &JsValue, signal: Option<&AbortSignal>) -> RequestInit {
    let init = RequestInit::new();
    init.set_method(method);
    init.set_headers(headers);
    if !body.is_undefined() {
        init.set_body(body);
    }
    if let Some(signal) = signal {
        init.set_signal(Some(signal));
    }
    init
}

/// A whole body, refused past `limit` bytes before it is copied into wasm memory: a hostile body of
/// gigabytes would otherwise exhaust the instance's memory, and a failed allocation in wasm is a trap.
async fn body_bytes(response: &Response, signal: Option<&AbortSignal>, limit: usize) -> Result<Vec<u8>> {
    let promise = response.array_buffer().map_err(|e| js_failure("arrayBuffer", &e))?;
    let buffer = JsFuture::from(promise).await.map_err(|e| read_failure(&e, signal))?;
    let bytes = Uint8Array::new(&buffer);
    if bytes.length() as usize > limit {
        return Err(Error::protocol(format!("an answer of {} bytes exceeds the limit of {limit}", bytes.length())));
    }
    Ok(bytes.to_vec())
}

/// Calls the settings' fetch (or the global one) and awaits the response's headers.
async fn start(
    url: &str,
    init: &RequestInit,
    settings: &FetchSettings,
    signal: Option<&AbortSignal>,
) -> Result<Response> {
    let started = match &settings.fetch {
        None => global_fetch(url, init),
        // The caller's fetch may throw instead of rejecting, or return a non-promise: both are taken in.
        Some(f) => match f.call2(&JsValue::UNDEFINED, &JsValue::from_str(url), init) {
            Ok(v) => Promise::resolve(&v),
            Err(e) => Promise::reject(&e),
        },
    };
    let response = JsFuture::from(started).await.map_err(|e| request_failure(&e, signal))?;
    adopt(response)
}

/// The answer as this runtime's `Response`. One of another class (npm `undici`'s own `fetch` returns its
/// own) is rebuilt from its status, headers and body stream, which the runtime's constructor takes as they
/// are; anything else is refused. Its properties are read through catching imports, so a throwing getter
/// is a refusal, not a trap.
fn adopt(v: JsValue) -> Result<Response> {
    match v.dyn_into::<Response>() {
        Ok(response) => Ok(response),
        Err(v) => rebuilt(v),
    }
}

/// A `Response` of another class, rebuilt. Out of line: V8 compiles a wasm function at its first call,
/// and the usual answer, the runtime's own `Response`, then compiles none of this.
#[inline(never)]
fn rebuilt(v: JsValue) -> Result<Response> {
    let refused = || Error::protocol("fetch did not return a Response");
    let get = |key: &str| Reflect::get(&v, &JsValue::from_str(key)).map_err(|_| refused());
    let status = get("status")?.as_f64().filter(|s| (200.0..=599.0).contains(s)).ok_or_else(refused)?;
    let init = web_sys::ResponseInit::new();
    init.set_status(status as u16);
    init.set_headers(&get("headers")?);
    let body = get("body")?;
    let body = match body.is_null() || body.is_undefined() {
        true => None,
        false => Some(body.dyn_into::<web_sys::ReadableStream>().map_err(|_| refused())?),
    };
    Response::new_with_opt_readable_stream_and_init(body.as_ref(), &init).map_err(|_| refused())
}

/// Token answers are small JSON documents; a longer body is refused before it is copied into wasm.
const MAX_TOKEN_ANSWER_LEN: usize = 64 * 1024;

impl HttpClient for FetchSettings {
    fn send(&self, request: HttpRequest) -> LocalBoxFuture<'_, Result<HttpResponse>> {
        Box::pin(async move {
            let headers = header_record(request.headers.iter().map(|(n, v)| (*n, v.as_str())))?;
            let body = request.body.as_deref().map_or(JsValue::UNDEFINED, JsValue::from_str);
            let signal = abort_signal(Some(request.timeout_ms), None);
            let signal = signal.as_ref();
            let response =
                start(&request.url, &request_init(request.method, &headers, &body, signal), self, signal).await?;
            let bytes = body_bytes(&response, signal, MAX_TOKEN_ANSWER_LEN).await?;
            Ok(HttpResponse { status: response.status(), body: crate::substring::utf8_lossy(&bytes) })
        })
    }
}

impl FetchResponse {
    /// Reads the whole body (unary answers).
    pub async fn bytes(self) -> Result<Vec<u8>> {
        body_bytes(&self.response, self.signal.as_ref(), MAX_UNARY_BODY_LEN).await
    }

    /// A reader over the body's chunks (streaming answers).
    pub fn into_reader(self) -> Result<BodyReader> {
        let Some(stream) = self.response.body() else {
            return Ok(BodyReader { reader: None, whole: None, signal: None });
        };
        let reader: ReadableStreamDefaultReader =
            stream.get_reader().dyn_into().map_err(|_| Error::protocol("the response body has no default reader"))?;
        Ok(BodyReader { reader: Some(reader), whole: None, signal: self.signal })
    }

    /// The body of a streamed answer whose parts the caller gathers all before using any (a one-shot
    /// query): read whole, by one `arrayBuffer()`, in Deno, and chunk by chunk elsewhere. Deno runs its
    /// web streams in JS while it reads a whole body natively: there the whole read costs a process's
    /// first query about 1 ms less and a warm one-shot read 13 µs less CPU (`bench/client-cpu.mjs` under
    /// Deno), where in Node (undici) it costs 0.3 ms and 8 µs more.
    pub fn into_gathered(self) -> Result<BodyReader> {
        if !READS_WHOLE.with(|whole| *whole) {
            return self.into_reader();
        }
        Ok(BodyReader { reader: None, whole: Some(self.response), signal: self.signal })
    }
}

thread_local! {
    /// Whether a gathered body is read whole: in Deno (see [`FetchResponse::into_gathered`]).
    static READS_WHOLE: bool = Reflect::has(&js_sys::global(), &JsValue::from_str("Deno")).unwrap_or(false);
}

/// The largest body read whole for a gathered stream: refused beyond it before it is copied into wasm
/// memory (4 GiB at most, and the rows made from the bytes take several times their size).
pub const MAX_GATHERED_BODY_LEN: usize = 1 << 30;

thread_local! {
    /// A handler that swallows the outcome of promises nobody waits for.
    static IGNORE: Closure<dyn FnMut(JsValue)> = Closure::new(|_: JsValue| {});
}

/// Catches the rejection of a promise nobody waits for (a caller's hook that returned one), so that it
/// never reaches the runtime's unhandled-rejection handler.
pub fn ignore_rejection(value: &JsValue) {
    if let Some(promise) = value.dyn_ref::<Promise>() {
        IGNORE.with(|ignore| {
            let _ = promise.catch(ignore);
        });
    }
}

/// Chunks of a streamed body (or the whole body as one, see [`FetchResponse::into_gathered`]); cancels
/// the request when dropped before the end.
pub struct BodyReader {
    reader: Option<ReadableStreamDefaultReader>,
    /// A body to read whole at the first `next_chunk`.
    whole: Option<Response>,
    signal: Option<AbortSignal>,
}

impl BodyReader {
    /// The next chunk, `None` at the end of the body.
    pub async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>> {
        if let Some(response) = self.whole.take() {
            return body_bytes(&response, self.signal.as_ref(), MAX_GATHERED_BODY_LEN).await.map(Some);
        }
        let Some(reader) = &self.reader else { return Ok(None) };
        let result = match JsFuture::from(reader.read()).await {
            Ok(r) => r,
            Err(e) => {
                // The body errored (connection cut, aborted): there is nothing left to cancel.
                self.reader = None;
                return Err(read_failure(&e, self.signal.as_ref()));
            }
        };
        let result: ReadResult = result.unchecked_into();
        if result.done().is_truthy() {
            self.reader = None;
            return Ok(None);
        }
        let chunk: Uint8Array = result.value().dyn_into().map_err(|_| Error::protocol("body chunk is not bytes"))?;
        Ok(Some(chunk.to_vec()))
    }

    /// Lets go of a body whose last frame has been read, without cancelling it: one more read, in the
    /// background, normally reports the end at once, and only a body that goes on is cancelled. Dropping
    /// the reader instead would cancel every finished answer, and in Node that aborts the fetch and builds
    /// a `DOMException` each time (about 45 µs of CPU per streamed call, measured by `bench/profile.mjs`).
    /// The read's outcome goes to one handler made once, with the reader bound to it: no task, future or
    /// closure of its own per call.
    pub fn finish(&mut self) {
        if let Some(reader) = self.reader.take() {
            FINISH.with(|finish| {
                let handler = finish.as_ref().unchecked_ref::<Function>().bind1(&JsValue::NULL, &reader);
                IGNORE.with(|ignore| {
                    reader.read().unchecked_into::<Thenable>().then(&handler, ignore.as_ref());
                });
            });
        }
    }
}

thread_local! {
    /// What a finished body's last read leads to: `(reader, { done })`, cancelled unless done.
    static FINISH: Closure<dyn FnMut(JsValue, JsValue)> = Closure::new(|reader: JsValue, result: JsValue| {
        if !result.unchecked_ref::<ReadResult>().done().is_truthy() {
            cancel(reader.unchecked_into());
        }
    });
}

impl Drop for BodyReader {
    fn drop(&mut self) {
        if let Some(reader) = self.reader.take() {
            cancel(reader);
        }
        if let Some(body) = self.whole.take().and_then(|response| response.body()) {
            ignore_rejection(&body.cancel());
        }
    }
}

/// Cancels a body (which aborts its fetch). The promise's outcome does not matter, but a rejection nobody
/// handles would reach the runtime's unhandled-rejection hook (Node's test runner fails on it, some hosts
/// crash), so it is caught.
fn cancel(reader: ReadableStreamDefaultReader) {
    ignore_rejection(&reader.cancel());
}

fn aborted(signal: Option<&AbortSignal>) -> Option<Error> {
    let signal = signal.filter(|s| s.aborted())?;
    let reason = signal.reason();
    let is_timeout = Reflect::get(&reason, &JsValue::from_str("name"))
        .ok()
        .and_then(|n| n.as_string())
        .is_some_and(|n| n == "TimeoutError");
    Some(if is_timeout {
        Error::transport(Status::DeadlineExceeded, "the operation timed out")
    } else {
        Error::cancelled("the operation was cancelled")
    })
}

/// `fetch` itself rejected: nothing was answered, most likely nothing was delivered.
fn request_failure(e: &JsValue, signal: Option<&AbortSignal>) -> Error {
    aborted(signal)
        .unwrap_or_else(|| Error::transport(Status::ConnectionFailure, format!("request failed: {}", describe(e))))
}

/// The body broke off: the request was delivered and may have run.
fn read_failure(e: &JsValue, signal: Option<&AbortSignal>) -> Error {
    aborted(signal).unwrap_or_else(|| {
        Error::transport(Status::ConnectionLost, format!("connection lost while reading: {}", describe(e)))
    })
}

fn http_failure(status: u16) -> Error {
    let s = match status {
        401 | 403 => Status::Unauthorized,
        404 => Status::Unimplemented,
        429 | 502 | 503 | 504 => Status::Unavailable,
        _ => Status::ClientInternalError,
    };
    Error::transport(s, format!("HTTP {status} from the endpoint (is it a gRPC-web endpoint?)"))
}

fn js_failure(what: &str, e: &JsValue) -> Error {
    Error::protocol(format!("{what} failed: {}", describe(e)))
}

/// A readable description of a thrown JS value (message and cause, as Node puts the reason there).
pub fn describe(e: &JsValue) -> String {
    let get = |v: &JsValue, key: &str| Reflect::get(v, &JsValue::from_str(key)).ok().filter(|x| !x.is_undefined());
    let message = get(e, "message").and_then(|m| m.as_string()).or_else(|| e.as_string());
    let cause = get(e, "cause").and_then(|c| {
        get(&c, "message").and_then(|m| m.as_string()).or_else(|| get(&c, "code").and_then(|m| m.as_string()))
    });
    match (message, cause) {
        (Some(m), Some(c)) => format!("{m} ({c})"),
        (Some(m), None) => m,
        (None, _) => "unknown error".into(),
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn extra_headers_need_token_names_and_single_line_values() {
        assert!(valid_header("x-api-key", "secret value"));
        for (name, value) in [("", "v"), ("x key", "v"), ("x:y", "v"), ("x", "a\r\nb"), ("x", "a\0")] {
            assert!(!valid_header(name, value), "{name:?}: {value:?}");
        }
        let refused = FetchSettings::new(
            None,
            vec![("x".into(), "ok".into()), ("bad name".into(), "secret".into())],
            Default::default(),
        );
        let message = refused.err().map(|e| e.message().to_string()).unwrap_or_default();
        assert!(message.contains("headers") && !message.contains("secret"), "{message}");
    }

    #[test]
    fn fixed_headers_are_lower_case_and_ours_win_over_the_callers_of_the_same_name() {
        let extra = [("X-Api-Key".to_string(), "k".to_string()), ("X-YDB-Database".to_string(), "/other".to_string())];
        let fixed =
            FixedHeaders::new(&extra, &[("content-type", "application/grpc-web+proto"), ("x-ydb-database", "/local")]);
        let pairs: Vec<(&str, &str)> = fixed.pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        assert_eq!(
            pairs,
            [("x-api-key", "k"), ("x-ydb-database", "/local"), ("content-type", "application/grpc-web+proto")]
        );
    }
}
