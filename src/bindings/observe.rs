//! The driver's `tracer`, `logger` and `traceQueryText` options, behind the core's `Tracer`, `Span` and
//! `Logger` (see [`crate::observe`]).
//!
//! The JS entry (`js/observe.js`) turns the caller's OpenTelemetry tracer and logger into adapters
//! whose functions catch whatever the caller's objects throw or reject; here those functions are
//! called through the catching `Function.call`, so a broken tracer or logger can neither unwind through
//! wasm nor fail a query.

use super::{js_read, options};
use crate::error::{Error, Result};
use crate::observe::trace::{Span, SpanContext, SpanKind, Tracer};
use crate::observe::{Fields, Level, Logger, Observer, Value};
use js_sys::{Array, Function, Object, Reflect};
use std::any::Any;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};

/// The observer of a driver's options.
pub fn observer_from_js(o: &Option<JsValue>) -> Result<Observer> {
    let logger = options::raw(o, "logger");
    let logger: Option<Rc<dyn Logger>> = match logger.dyn_into::<Function>() {
        Ok(log) => Some(Rc::new(JsLogger(log))),
        Err(v) if v.is_undefined() || v.is_null() => None,
        Err(_) => return Err(Error::argument("option logger must be an object with debug/info/warn/error")),
    };
    let tracer = options::raw(o, "tracer");
    let tracer: Option<Rc<dyn Tracer>> =
        if tracer.is_undefined() || tracer.is_null() { None } else { Some(Rc::new(JsTracer::of(&tracer)?)) };
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

/// The tracer adapter's functions: `start(name, kind, parent, attributes)`, `set(span, key, value)`,
/// `fail(span, type, message)`, `end(span)`, `context(span) → [traceId, spanId, flags]`.
struct JsTracer {
    start: Function,
    set: Function,
    fail: Function,
    end: Function,
    context: Function,
}

impl JsTracer {
    fn of(adapter: &JsValue) -> Result<Rc<JsTracer>> {
        let f = |key: &str| {
            js_read::get(adapter, key)
                .ok()
                .and_then(|f| f.dyn_into::<Function>().ok())
                .ok_or_else(|| Error::argument("option tracer must be an OpenTelemetry tracer (with startSpan)"))
        };
        Ok(Rc::new(JsTracer {
            start: f("start")?,
            set: f("set")?,
            fail: f("fail")?,
            end: f("end")?,
            context: f("context")?,
        }))
    }
}

impl Tracer for Rc<JsTracer> {
    fn start(
        &self,
        name: &str,
        kind: SpanKind,
        parent: Option<&dyn Span>,
        attributes: &Fields<'_>,
    ) -> Option<Box<dyn Span>> {
        let parent =
            parent.and_then(|p| p.as_any().downcast_ref::<JsSpan>()).map_or(JsValue::UNDEFINED, |p| p.span.clone());
        let kind = JsValue::from_str(if kind == SpanKind::Client { "client" } else { "internal" });
        let args = Array::of4(&JsValue::from_str(name), &kind, &parent, &fields_to_js(attributes));
        let span = self.start.apply(&JsValue::NULL, &args).ok().filter(|s| s.is_object())?;
        Some(Box::new(JsSpan { tracer: self.clone(), span }))
    }
}

struct JsSpan {
    tracer: Rc<JsTracer>,
    span: JsValue,
}

impl Span for JsSpan {
    fn set(&self, key: &str, value: Value<'_>) {
        let _ = self.tracer.set.call3(&JsValue::NULL, &self.span, &JsValue::from_str(key), &to_js(value));
    }
    fn fail(&self, message: &str) {
        let _ = self.tracer.fail.call2(&JsValue::NULL, &self.span, &JsValue::from_str(message));
    }
    fn end(&self) {
        let _ = self.tracer.end.call1(&JsValue::NULL, &self.span);
    }
    fn context(&self) -> Option<SpanContext> {
        // The adapter answers a fresh array of a string, a string and a number.
        let c: Array = self.tracer.context.call1(&JsValue::NULL, &self.span).ok()?.dyn_into().ok()?;
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
