// Tracing and logging: hand the driver an OpenTelemetry tracer and a logger. Each retried call becomes a
// `ydb.RunWithRetry` span with a `ydb.Try` child per attempt and a `ydb.ExecuteQuery` client span per
// request, whose context goes to the server in the `traceparent` header. The logger hears what the driver
// does (sessions, retries, discovery…), never a token or a parameter value.
// Needs @opentelemetry/api and @opentelemetry/sdk-trace-base (any tracer with the API's shape works).
// Run against a dev server:  YDB_ENDPOINT=http://127.0.0.1:2136 node examples/node/tracing.mjs
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Driver, QuerySessionPool, RetrySettings } from 'ydb-wasm';

const endpoint = process.env.YDB_ENDPOINT ?? 'http://localhost:2136';
const database = process.env.YDB_DATABASE ?? '/local';

// In an application this is your SDK setup (an OTLP exporter, say) and `trace.getTracer('my-app')`.
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const tracer = provider.getTracer('tracing-example');

/** @type {Array<[string, string, Record<string, unknown>]>} */
const logged = [];
const logger = {
  debug: (/** @type {string} */ message, /** @type {Record<string, unknown>} */ fields) => logged.push(['debug', message, fields]),
  info: (/** @type {string} */ message, /** @type {Record<string, unknown>} */ fields) => logged.push(['info', message, fields]),
  warn: (/** @type {string} */ message, /** @type {Record<string, unknown>} */ fields) => console.warn(message, fields),
  error: (/** @type {string} */ message, /** @type {Record<string, unknown>} */ fields) => console.error(message, fields),
};

const driver = new Driver({ endpoint, database, tracer, logger, traceQueryText: true });
const pool = new QuerySessionPool(driver, { size: 1 });
try {
  const settings = new RetrySettings({
    maxRetries: 5,
    // Called before each backoff wait: count, alert, or log it your way.
    onRetry: (error, delayMs, attempt) => console.log(`attempt ${attempt} failed (${error}); retrying in ${delayMs} ms`),
  });
  const [rs] = await pool.executeWithRetries('SELECT 40 + 2 AS answer', {}, settings);
  if (rs.rows[0].answer !== 42) throw new Error(`unexpected answer ${JSON.stringify(rs.rows)}`);
} finally {
  await pool.stop();
  await driver.stop();
}

const spans = exporter.getFinishedSpans();
for (const span of spans) {
  const { traceId, spanId } = span.spanContext();
  console.log(`${span.name} trace ${traceId} span ${spanId} parent ${span.parentSpanContext?.spanId ?? '-'}`, span.attributes);
}
const names = spans.map((s) => s.name).sort();
if (names.join() !== 'ydb.ExecuteQuery,ydb.RunWithRetry,ydb.Try') throw new Error(`unexpected spans: ${names}`);
console.log('log events:', logged.map(([level, message]) => `${level} ${message}`).join(', '));
if (!logged.some(([, message]) => message === 'driver stopped')) throw new Error('the logger did not hear the stop');
