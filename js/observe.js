// The driver's `tracer` and `logger` options, adapted for the wasm side: small functions that never
// throw, whatever the caller's objects do. A tracer is duck-typed as OpenTelemetry's API `Tracer`
// (`startSpan(name, { kind, attributes }, context?)`, spans with `setAttribute`, `setStatus`,
// `recordException`, `end`, `spanContext`), so the package depends on no OpenTelemetry package.

// OpenTelemetry keys its context entries with `Symbol.for` (createContextKey), so a context made here
// is read by any version of the API: the parent span of a child is found under this key.
const SPAN_KEY = Symbol.for('OpenTelemetry Context Key SPAN');
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

function adaptTracer(tracer) {
  if (tracer === undefined || tracer === null) return undefined;
  if (typeof tracer.startSpan !== 'function') {
    throw new TypeError('option tracer must be an OpenTelemetry tracer (with startSpan)');
  }
  return {
    start(name, kind, parent, attributes) {
      try {
        const options = { kind: KIND[kind], attributes };
        // Without a parent the tracer's active context is the parent (context.with works).
        const span = parent === undefined
          ? tracer.startSpan(name, options)
          : tracer.startSpan(name, options, new ParentContext(new Map([[SPAN_KEY, parent]])));
        return span !== null && typeof span === 'object' ? span : undefined;
      } catch {
        return undefined;
      }
    },
    set(span, key, value) { try { span.setAttribute(key, value); } catch { /* ignored */ } },
    fail(span, message) {
      try { span.setStatus({ code: STATUS_ERROR, message }); } catch { /* ignored */ }
      try { span.recordException({ name: 'YdbError', message }); } catch { /* ignored */ }
    },
    end(span) { try { span.end(); } catch { /* ignored */ } },
    context(span) {
      try {
        const c = span.spanContext();
        return [String(c.traceId), String(c.spanId), Number(c.traceFlags) & 0xff];
      } catch {
        return undefined;
      }
    },
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
