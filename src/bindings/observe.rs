//! The driver's `tracer`, `logger` and `traceQueryText` options, behind the core's `Tracer`, `Span` and
//! `Logger` (see [`crate::observe`]).
//!
//! The JS entry (`js/observe.js`) turns the caller's OpenTelemetry tracer and logger into adapters
//! whose functions catch whatever the caller's objects throw or reject; here those functions are
//! called through the catching `Function.call`, so a broken tracer or logger can neither unwind through
//! wasm nor fail a query.
//!
//! A span with no parent of ours (a call's `ydb.RunWithRetry`, a request on a session held by hand)
//! belongs under the caller's active span. The active context cannot be read when the span starts: the
//! futures of all calls are polled from one microtask queue, in whatever async context drained it — two
//! calls made in one tick from two requests' contexts would both land in the first. So while any driver
//! traces, a call captures the active context when it enters the wasm side ([`in_callers_context`]), and
//! its spans start under that context whenever its future is polled.

use super::options;
use crate::error::{Error, Result};
use crate::observe::trace::{Span, SpanContext, SpanKind, Tracer};
use crate::observe::{Fields, Level, Logger, Observer, Value};
use futures_util::future::LocalBoxFuture;
use js_sys::{Array, Function, Object, Reflect};
use std::any::Any;
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use wasm_bindgen::{JsCast, JsValue};

thread_local! {
    /// A tracer adapter, kept once a driver traces: its `active` op reads the caller's active context.
    static CAPTURE: RefCell<Option<Rc<Function>>> = const { RefCell::new(None) };
    /// The active context of the call whose future is being polled now (see [`in_callers_context`]).
    static CALLERS: RefCell<Option<JsValue>> = const { RefCell::new(None) };
}

/// `call`, polled in the context that is active now (the caller's, as it enters the wasm side): spans
/// started with no parent while it runs are children of that context's span. `call` itself when no
/// driver traces, or when no context is active.
pub fn in_callers_context<T: 'static>(call: LocalBoxFuture<'static, T>) -> LocalBoxFuture<'static, T> {
    let Some(capture) = CAPTURE.with(|c| c.borrow().clone()) else {
        return call;
    };
    let active = JsTracer(capture).call("active", &JsValue::UNDEFINED, [&JsValue::UNDEFINED; 3]);
    match active.filter(JsValue::is_object) {
        Some(context) => Box::pin(InContext { context, call }),
        None => call,
    }
}

struct InContext<T> {
    context: JsValue,
    call: LocalBoxFuture<'static, T>,
}

impl<T> Future for InContext<T> {
    type Output = T;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let outer = CALLERS.with(|c| c.replace(Some(self.context.clone())));
        let polled = self.call.as_mut().poll(cx);
        CALLERS.with(|c| *c.borrow_mut() = outer);
        polled
    }
}

/// The observer of a driver's options (`tracer` and `logger` are the adapters of `js/observe.js`: functions).
pub fn observer_from_js(o: &Option<JsValue>) -> Result<Observer> {
    let function = |key: &str| -> Result<Option<Function>> {
        let v = options::raw(o, key);
        if v.is_undefined() || v.is_null() {
            return Ok(None);
        }
        v.dyn_into().map(Some).map_err(|_| Error::argument(format!("option {key} is not a tracer or logger")))
    };
    let logger = function("logger")?.map(|f| Rc::new(JsLogger(f)) as Rc<dyn Logger>);
    let tracer = function("tracer")?.map(|f| {
        let f = Rc::new(f);
        CAPTURE.with(|c| {
            c.borrow_mut().get_or_insert_with(|| f.clone());
        });
        Rc::new(JsTracer(f)) as Rc<dyn Tracer>
    });
    Ok(Observer::new(logger, tracer, options::boolean(o, "traceQueryText")?.unwrap_or(false)))
}

fn to_js(v: Value<'_>) -> JsValue {
    match v {
        Value::Str(s) => JsValue::from_str(s),
        Value::Num(n) => JsValue::from_f64(n),
        Value::Bool(b) => JsValue::from_bool(b),
    }
}

/// A fresh object of the fields (its keys are ours: setting them runs no caller code).
fn fields_to_js(fields: &Fields<'_>) -> Object {
    let o = Object::new();
    for (k, v) in fields {
        let _ = Reflect::set(&o, &JsValue::from_str(k), &to_js(*v));
    }
    o
}

/// `log(level, message, fields)` of the logger adapter.
struct JsLogger(Function);

impl Logger for JsLogger {
    fn log(&self, level: Level, message: &str, fields: &Fields<'_>) {
        let args = (JsValue::from_str(level.name()), JsValue::from_str(message), fields_to_js(fields));
        let _ = self.0.call3(&JsValue::NULL, &args.0, &args.1, &args.2);
    }
}

/// The tracer adapter: one function `(op, span, a, b, c)`.
struct JsTracer(Rc<Function>);

impl JsTracer {
    fn call(&self, op: &str, span: &JsValue, args: [&JsValue; 3]) -> Option<JsValue> {
        let all = Array::of5(&JsValue::from_str(op), span, args[0], args[1], args[2]);
        self.0.apply(&JsValue::NULL, &all).ok()
    }
}

impl Tracer for JsTracer {
    fn start(
        &self,
        name: &str,
        kind: SpanKind,
        parent: Option<&dyn Span>,
        attributes: &Fields<'_>,
    ) -> Option<Box<dyn Span>> {
        // A span of ours, else the caller's context captured when the call began, else the tracer's own.
        let parent = match parent.and_then(|p| p.as_any().downcast_ref::<JsSpan>()) {
            Some(p) => p.span.clone(),
            None => CALLERS.with(|c| c.borrow().clone()).unwrap_or(JsValue::UNDEFINED),
        };
        let kind = JsValue::from_str(if kind == SpanKind::Client { "client" } else { "internal" });
        let span = self.call("start", &parent, [&JsValue::from_str(name), &kind, &fields_to_js(attributes)])?;
        span.is_object().then(|| Box::new(JsSpan { tracer: JsTracer(self.0.clone()), span }) as Box<dyn Span>)
    }
}

struct JsSpan {
    tracer: JsTracer,
    span: JsValue,
}

impl JsSpan {
    fn call(&self, op: &str, a: &JsValue, b: &JsValue) -> Option<JsValue> {
        self.tracer.call(op, &self.span, [a, b, &JsValue::UNDEFINED])
    }
}

impl Span for JsSpan {
    fn set(&self, key: &str, value: Value<'_>) {
        self.call("set", &JsValue::from_str(key), &to_js(value));
    }
    fn fail(&self, message: &str) {
        self.call("fail", &JsValue::from_str(message), &JsValue::UNDEFINED);
    }
    fn end(&self) {
        self.call("end", &JsValue::UNDEFINED, &JsValue::UNDEFINED);
    }
    fn context(&self) -> Option<SpanContext> {
        // The adapter answers a fresh array of a string, a string and a number.
        let c: Array = self.call("context", &JsValue::UNDEFINED, &JsValue::UNDEFINED)?.dyn_into().ok()?;
        Some(SpanContext {
            trace_id: c.get(0).as_string()?,
            span_id: c.get(1).as_string()?,
            flags: c.get(2).as_f64().map_or(0, |f| f as u8),
        })
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}
