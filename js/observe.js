// The driver's `tracer` and `logger` options, adapted for the wasm side: small functions that never
// throw, whatever the caller's objects do. A tracer is duck-typed as OpenTelemetry's API `Tracer`
// (`startSpan(name, { kind, attributes }, context?)`, spans with `setAttribute`, `setStatus`,
// `recordException`, `end`, `spanContext`), so the package depends on no OpenTelemetry package.

// OpenTelemetry keys its context entries with `Symbol.for` (createContextKey), so a context made here
// is read by any version of the API: the parent span of a child is found under this key.
const SPAN_KEY = Symbol.for('OpenTelemetry Context Key SPAN');
// Where OpenTelemetry's API (any 1.x) keeps its globals, the context manager among them: the active
// context is read from it without importing the API.
const OTEL_API = Symbol.for('opentelemetry.js.api.1');
const KIND = { internal: 0, client: 2 }; // SpanKind.INTERNAL, SpanKind.CLIENT
const STATUS_ERROR = 2; // SpanStatusCode.ERROR

/** A minimal immutable OpenTelemetry `Context` holding a parent span. */
class ParentContext {
  #values;
  constructor(values) { this.#values = values; }
  getValue(key) { return this.#values.get(key); }
  setValue(key, value) { return new ParentContext(new Map(this.#values).set(key, value)); }
  deleteValue(key) { const m = new Map(this.#values); m.delete(key); return new ParentContext(m); }
}

/** Swallows a rejection of whatever the caller's method returned. */
function settle(result) {
  if (result !== null && typeof result === 'object' && typeof result.then === 'function') {
    try { result.then(undefined, () => {}); } catch { /* a hostile thenable */ }
  }
}

/**
 * The tracer as one function `(op, span, a, b, c)` — one entry point keeps the wasm side small:
 * `start(parent, name, kind, attributes)` (the parent a span of ours, or a context captured by `active`),
 * `set(span, key, value)`, `fail(span, message)`, `end(span)`, `context(span) → [traceId, spanId, flags]`,
 * and `active() → the active context` (undefined without a registered context manager), which the wasm
 * side reads as a call enters it: its spans belong under the caller's span even when its future is
 * polled later, from another async context.
 */
function adaptTracer(tracer) {
  if (tracer === undefined || tracer === null) return undefined;
  if (typeof tracer.startSpan !== 'function') {
    throw new TypeError('option tracer must be an OpenTelemetry tracer (with startSpan)');
  }
  return (op, span, a, b, c) => {
    try {
      switch (op) {
        case 'start': {
          const options = { kind: KIND[b], attributes: c };
          let started;
          if (span === undefined) started = tracer.startSpan(a, options); // the tracer's active context
          else if (typeof span.getValue === 'function') started = tracer.startSpan(a, options, span); // a caller's
          else started = tracer.startSpan(a, options, new ParentContext(new Map([[SPAN_KEY, span]])));
          return started !== null && typeof started === 'object' ? started : undefined;
        }
        case 'set': span.setAttribute(a, b); return undefined;
        case 'fail':
          try { span.setStatus({ code: STATUS_ERROR, message: a }); } finally { span.recordException({ name: 'YdbError', message: a }); }
          return undefined;
        case 'end': span.end(); return undefined;
        case 'active': return globalThis[OTEL_API]?.context?.active();
        case 'context': {
          const ctx = span.spanContext();
          return [String(ctx.traceId), String(ctx.spanId), Number(ctx.traceFlags) & 0xff];
        }
        default: return undefined;
      }
    } catch {
      return undefined; // a tracer must never break the driver
    }
  };
}

function adaptLogger(logger) {
  if (logger === undefined || logger === null) return undefined;
  if (typeof logger !== 'object' && typeof logger !== 'function') {
    throw new TypeError('option logger must be an object with debug/info/warn/error');
  }
  return (level, message, fields) => {
    try {
      const log = logger[level];
      if (typeof log === 'function') settle(log.call(logger, message, fields));
    } catch { /* a logger must never break the driver */ }
  };
}

/** Driver options with their `tracer` and `logger` adapted (the rest read through, unchanged). */
export function observedOptions(options) {
  if (options === null || typeof options !== 'object') return options;
  const { tracer, logger } = options;
  if ((tracer === undefined || tracer === null) && (logger === undefined || logger === null)) return options;
  return Object.assign(Object.create(options), { tracer: adaptTracer(tracer), logger: adaptLogger(logger) });
}
