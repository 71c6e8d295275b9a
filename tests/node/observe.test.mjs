// Observability against a dev server of its own (faults through --admin, logins through --user): spans
// captured with the OpenTelemetry SDK's in-memory exporter, the traceparent each request carries, the
// onRetry hook, error.attempts, the logger's events, the session-balancer capability, and that a
// tracer, logger or hook that throws breaks nothing and that no secret reaches a log line or a span.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDevserver } from './devserver.mjs';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { SpanStatusCode, SpanKind, context, ROOT_CONTEXT } from '@opentelemetry/api';
import { AsyncLocalStorage } from 'node:async_hooks';
import { Driver, QuerySessionPool, SessionPool, StaticCredentials, AccessTokenCredentials, RetrySettings, YdbError, OverloadedError } from 'ydb-wasm';

const PASSWORD = 'observe-s3cret-pw';
let server;

before(async () => {
  server = await startDevserver(['--admin', '127.0.0.1:0', '--user', `root:${PASSWORD}`]);
});
after(() => server.stop());

/** A fetch that records each request's path and headers before sending it. */
function recordingFetch() {
  const requests = [];
  const fetch = async (url, init) => {
    requests.push({ path: new URL(url).pathname, headers: Object.fromEntries(new Headers(init.headers)) });
    return globalThis.fetch(url, init);
  };
  return { fetch, requests };
}

/** A real OpenTelemetry SDK tracer whose finished spans land in memory. */
function memoryTracer() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { tracer: provider.getTracer('ydb-wasm-test'), spans: () => exporter.getFinishedSpans() };
}

/** A logger that keeps every event. */
function memoryLogger() {
  const events = [];
  const at = (level) => (message, fields) => events.push({ level, message, fields });
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, events };
}

const faultExecuteQuery = (status, times) =>
  server.call('POST', '/faults', { rpc: 'Ydb.Query.V1.QueryService/ExecuteQuery', status, times });

const credentials = () => new StaticCredentials({ user: 'root', password: PASSWORD });

test('a traced executeWithRetries that retried twice: one call span, three tries, a client span per request whose context reaches the server', async () => {
  const { tracer, spans } = memoryTracer();
  const { fetch, requests } = recordingFetch();
  const retries = [];
  const driver = new Driver({ endpoint: server.endpoint, database: '/local', credentials: credentials(), fetch, tracer, traceQueryText: true });
  const pool = new QuerySessionPool(driver, { size: 1 });
  try {
    await faultExecuteQuery('UNAVAILABLE', 2);
    const settings = new RetrySettings({ onRetry: (error, delayMs, attempt) => retries.push({ error, delayMs, attempt }) });
    const [rs] = await pool.executeWithRetries('SELECT 1 AS one', {}, settings);
    assert.equal(rs.rows[0].one, 1);
  } finally {
    await pool.stop();
    await driver.stop();
    await server.call('DELETE', '/faults');
  }
  const finished = spans();
  if (process.env.YDB_PRINT_SPANS) console.log(JSON.stringify(finished.map(describeSpan), null, 2));
  const named = (name) => finished.filter((s) => s.name === name);
  const [call] = named('ydb.RunWithRetry');
  const tries = named('ydb.Try');
  const queries = named('ydb.ExecuteQuery');
  assert.equal(named('ydb.RunWithRetry').length, 1);
  assert.equal(tries.length, 3);
  assert.equal(queries.length, 3);
  const parentOf = (s) => s.parentSpanContext?.spanId;
  for (const t of tries) assert.equal(parentOf(t), call.spanContext().spanId, 'each try is a child of the call');
  queries.forEach((q, i) => assert.equal(parentOf(q), tries[i].spanContext().spanId, 'each request is a child of its try'));
  for (const s of [call, ...tries, ...queries]) {
    assert.equal(s.spanContext().traceId, call.spanContext().traceId, 'one trace');
    assert.equal(s.attributes['db.system.name'], 'ydb');
    assert.equal(s.attributes['db.namespace'], '/local');
    assert.equal(s.attributes['server.address'], '127.0.0.1');
    assert.equal(s.attributes['server.port'], Number(new URL(server.endpoint).port));
  }
  assert.equal(call.kind, SpanKind.INTERNAL);
  assert.equal(call.attributes['db.operation.name'], 'ExecuteQuery');
  assert.equal(call.attributes['ydb.retry.attempts'], 3);
  assert.notEqual(call.status.code, SpanStatusCode.ERROR);
  assert.deepEqual(tries.map((t) => t.attributes['ydb.retry.attempt']), [1, 2, 3]);
  assert.equal(tries[0].attributes['ydb.retry.backoff_ms'], 0);
  assert.ok(tries[1].attributes['ydb.retry.backoff_ms'] > 0, 'the second try says how long it waited');
  for (const failed of [tries[0], tries[1], queries[0], queries[1]]) {
    assert.equal(failed.status.code, SpanStatusCode.ERROR);
    assert.equal(failed.attributes['db.response.status_code'], 'UNAVAILABLE');
    assert.equal(failed.attributes['error.type'], 'UNAVAILABLE');
  }
  for (const ok of [tries[2], queries[2]]) assert.notEqual(ok.status.code, SpanStatusCode.ERROR);
  for (const q of queries) {
    assert.equal(q.kind, SpanKind.CLIENT);
    assert.equal(q.attributes['db.operation.name'], 'ExecuteQuery');
    assert.equal(q.attributes['db.query.text'], 'SELECT 1 AS one', 'traceQueryText asked for it');
  }
  // Each ExecuteQuery request carried the traceparent of its own client span.
  const sent = requests.filter((r) => r.path.endsWith('/ExecuteQuery')).map((r) => r.headers.traceparent);
  const expected = queries.map((q) => `00-${q.spanContext().traceId}-${q.spanContext().spanId}-01`);
  assert.deepEqual(sent, expected);
  // onRetry: twice, before each wait, with the error, the wait and the failed attempt's number.
  assert.deepEqual(retries.map((r) => r.attempt), [1, 2]);
  for (const r of retries) {
    assert.ok(r.error instanceof YdbError && r.error.status === 'UNAVAILABLE', String(r.error));
    assert.ok(typeof r.delayMs === 'number' && r.delayMs >= 0);
  }
});

/** A span as the README shows it. */
function describeSpan(s) {
  return {
    name: s.name,
    kind: SpanKind[s.kind],
    parent: s.parentSpanContext?.spanId,
    spanId: s.spanContext().spanId,
    status: s.status,
    attributes: s.attributes,
  };
}

test('spans with no parent of ours go under the caller\'s active span: concurrent calls each under their own, and each call on a session held by hand', async () => {
  // The context manager an application registers (as @opentelemetry/context-async-hooks does).
  const als = new AsyncLocalStorage();
  context.setGlobalContextManager({
    active: () => als.getStore() ?? ROOT_CONTEXT,
    with: (ctx, fn, thisArg, ...args) => als.run(ctx, () => fn.call(thisArg, ...args)),
    bind: (_ctx, target) => target,
    enable() { return this; },
    disable() { return this; },
  });
  const { tracer, spans } = memoryTracer();
  const { fetch, requests } = recordingFetch();
  const driver = new Driver({ endpoint: server.endpoint, database: '/local', credentials: credentials(), fetch, tracer });
  const query = new QuerySessionPool(driver, { size: 2 });
  const table = new SessionPool(driver, { size: 1 });
  const within = (name, work) => tracer.startActiveSpan(name, async (span) => { try { return await work(); } finally { span.end(); } });
  try {
    // Started in one tick from three contexts: their futures are polled from one microtask queue.
    await Promise.all([
      within('request a', () => driver.query('SELECT 1')),
      within('request b', () => query.executeWithRetries('SELECT 2')),
      within('request c', () => query.retryOperation(async (s) => s.executeQuery('SELECT 3').collect())),
    ]);
    await within('by hand', async () => {
      const s = await query.acquire();
      try { await s.executeQuery('SELECT 4').collect(); } finally { query.release(s); }
      const t = await table.acquire();
      try { await t.executeQuery('SELECT 5'); } finally { table.release(t); }
    });
  } finally {
    await query.stop();
    await table.stop();
    await driver.stop();
    context.disable();
  }
  const finished = spans();
  const named = (name) => finished.filter((s) => s.name === name);
  const parentOf = (span) => finished.find((p) => p.spanContext().spanId === span.parentSpanContext?.spanId)?.name;
  assert.deepEqual(named('ydb.RunWithRetry').map(parentOf).sort(), ['request a', 'request b', 'request c']);
  const [hand] = named('by hand');
  const handCalls = finished.filter((s) => s.kind === SpanKind.CLIENT && s.parentSpanContext?.spanId === hand.spanContext().spanId);
  assert.deepEqual(handCalls.map((s) => s.name), ['ydb.ExecuteQuery', 'ydb.ExecuteDataQuery']);
  assert.ok(handCalls.every((s) => s.spanContext().traceId === hand.spanContext().traceId));
  // Each sent its own span's context; the sessions' creation, held by nobody, made no spans.
  const sent = requests.filter((r) => /\/(ExecuteQuery|ExecuteDataQuery)$/.test(r.path)).slice(-2).map((r) => r.headers.traceparent);
  assert.deepEqual(sent, handCalls.map((s) => `00-${s.spanContext().traceId}-${s.spanContext().spanId}-01`));
  assert.equal(named('ydb.CreateSession').length + named('ydb.DeleteSession').length, 0);
});

test('a retryOperation callback runs in its caller\'s async context: AsyncLocalStorage reads the caller\'s store, before and after its awaits', async () => {
  const store = new AsyncLocalStorage();
  const driver = new Driver({ endpoint: server.endpoint, database: '/local', credentials: credentials() });
  const query = new QuerySessionPool(driver, { size: 3 });
  const table = new SessionPool(driver, { size: 3 });
  const seen = [];
  try {
    await query.executeWithRetries('SELECT 1');
    // Started in one tick from three requests' stores: their work runs from one microtask queue.
    await Promise.all(['a', 'b', 'c'].map((request) => store.run(request, () => Promise.all([
      query.retryOperation(async (s) => {
        seen.push([request, store.getStore()]);
        await s.executeQuery('SELECT 1').collect();
        seen.push([request, store.getStore()]);
      }),
      table.withSession(async (s) => {
        await s.executeQuery('SELECT 1');
        seen.push([request, store.getStore()]);
      }),
    ]))));
  } finally {
    await query.stop();
    await table.stop();
    await driver.stop();
  }
  assert.equal(seen.length, 9);
  for (const [request, inside] of seen) assert.equal(inside, request);
});

test('the final error says how many attempts were made; a call that was not retried made one', async () => {
  const { tracer, spans } = memoryTracer();
  const driver = new Driver({ endpoint: server.endpoint, database: '/local', credentials: credentials(), tracer });
  const pool = new QuerySessionPool(driver, { size: 1 });
  try {
    await faultExecuteQuery('UNAVAILABLE', 3);
    const e = await pool.executeWithRetries('SELECT 1', {}, new RetrySettings({ maxRetries: 2 })).then(() => null, (x) => x);
    assert.ok(e instanceof YdbError, String(e));
    assert.equal(e.status, 'UNAVAILABLE');
    assert.equal(e.attempts, 3);
    assert.match(e.message, /\(after 3 attempts\)$/);
    const [call] = spans().filter((s) => s.name === 'ydb.RunWithRetry');
    assert.equal(call.status.code, SpanStatusCode.ERROR);
    assert.equal(call.attributes['db.response.status_code'], 'UNAVAILABLE');
    assert.equal(call.attributes['db.query.text'], undefined);
    const bad = await pool.executeWithRetries('SELECT * FROM no_such_table').then(() => null, (x) => x);
    assert.equal(bad.attempts, 1);
    assert.doesNotMatch(bad.message, /attempts/);
  } finally {
    await pool.stop();
    await driver.stop();
    await server.call('DELETE', '/faults');
  }
});

test('retryOperation: a try per attempt, the attempts on the error the callback threw', async () => {
  const { tracer, spans } = memoryTracer();
  const driver = new Driver({ endpoint: server.endpoint, database: '/local', credentials: credentials(), tracer });
  const pool = new SessionPool(driver, { size: 1 });
  let calls = 0;
  try {
    const e = await pool.retryOperation(async (session) => {
      calls += 1;
      await session.executeQuery('SELECT 1');
      throw new OverloadedError('OVERLOADED', 400060, 'OVERLOADED: thrown by the callback', [], true, 'ydb');
    }, new RetrySettings({ maxRetries: 1, slowBackoff: { ceiling: 0, slotDurationMs: 1, uncertainRatio: 0 } })).then(() => null, (x) => x);
    assert.equal(calls, 2);
    assert.equal(e.attempts, 2);
    assert.match(e.message, /\(after 2 attempts\)$/);
    const finished = spans();
    const [call] = finished.filter((s) => s.name === 'ydb.RunWithRetry');
    assert.equal(call.attributes['db.operation.name'], undefined, 'a callback is no single operation');
    assert.equal(finished.filter((s) => s.name === 'ydb.Try').length, 2);
  } finally {
    await pool.stop();
    await driver.stop();
  }
});

test('retryOperation: each call a callback makes on its session is a client span under its try, sending that span\'s context, and only while it holds the session', async () => {
  const { tracer, spans } = memoryTracer();
  const { fetch, requests } = recordingFetch();
  const driver = new Driver({ endpoint: server.endpoint, database: '/local', credentials: credentials(), fetch, tracer, traceQueryText: true });
  const query = new QuerySessionPool(driver, { size: 1 });
  const table = new SessionPool(driver, { size: 1 });
  try {
    await query.retryOperation(async (s) => {
      const txId = await s.beginTransaction();
      await s.executeQuery('SELECT 1', {}, { txControl: { txId } }).collect();
      await s.commitTransaction(txId);
    });
    await table.retryOperation(async (s) => s.executeQuery('SELECT 1'));
    const marks = requests.length;
    // The same sessions used outside a loop: no try's context left behind; held by hand, its call is a
    // span of its own (with no active span here, a root).
    const s = await query.acquire();
    await s.executeQuery('SELECT 2').collect();
    query.release(s);
    await table.withSession(async (t) => t.executeQuery('SELECT 2'));
    const after = requests.slice(marks).filter((r) => /ExecuteQuery|ExecuteDataQuery/.test(r.path));
    assert.equal(after.length, 2);
    // withSession is a retryOperation too: its own try, not the first one's.
    assert.notEqual(after[0].headers.traceparent, undefined, 'a session acquired by hand sends its own span');
    // A failing call inside a callback: its span says so.
    await table.retryOperation(async (t) => t.executeQuery('SELECT * FROM no_such_table'), new RetrySettings({ maxRetries: 0 }))
      .then(() => assert.fail('no such table'), () => {});
  } finally {
    await query.stop();
    await table.stop();
    await driver.stop();
  }
  const finished = spans();
  const id = (span) => span.spanContext().spanId;
  const tries = finished.filter((s) => s.name === 'ydb.Try');
  assert.equal(tries.length, 4);
  const under = (attempt) => finished.filter((s) => s.kind === SpanKind.CLIENT && s.parentSpanContext?.spanId === id(attempt)).map((s) => s.name);
  assert.deepEqual(under(tries[0]), ['ydb.BeginTransaction', 'ydb.ExecuteQuery', 'ydb.CommitTransaction']);
  assert.deepEqual(under(tries[1]), ['ydb.ExecuteDataQuery']);
  assert.deepEqual(under(tries[2]), ['ydb.ExecuteDataQuery']);
  const [failed] = finished.filter((s) => s.kind === SpanKind.CLIENT && s.parentSpanContext?.spanId === id(tries[3]));
  assert.equal(failed.name, 'ydb.ExecuteDataQuery');
  assert.equal(failed.status.code, SpanStatusCode.ERROR);
  assert.equal(failed.attributes['db.response.status_code'], 'SCHEME_ERROR');
  const execute = finished.find((s) => s.name === 'ydb.ExecuteQuery');
  assert.equal(execute.attributes['db.query.text'], 'SELECT 1');
  assert.equal(execute.attributes['db.operation.name'], 'ExecuteQuery');
  // Each request sent its own client span's context.
  const client = (name, attempt) => finished.find((s) => s.name === name && s.parentSpanContext?.spanId === id(attempt));
  const header = (span) => `00-${span.spanContext().traceId}-${id(span)}-01`;
  const inLoops = requests.filter((r) => /\/(ExecuteQuery|ExecuteDataQuery)$/.test(r.path)).map((r) => r.headers.traceparent);
  const byHand = finished.find((s) => s.name === 'ydb.ExecuteQuery' && s.attributes['db.query.text'] === 'SELECT 2');
  assert.equal(byHand.parentSpanContext, undefined);
  assert.deepEqual(inLoops, [
    header(client('ydb.ExecuteQuery', tries[0])), header(client('ydb.ExecuteDataQuery', tries[1])), header(byHand),
    header(client('ydb.ExecuteDataQuery', tries[2])), header(failed),
  ]);
});

test('the logger hears discovery, sessions, retries, token refreshes and the stop, and never a token or password', async () => {
  const { logger, events } = memoryLogger();
  const { tracer, spans } = memoryTracer();
  const { fetch, requests } = recordingFetch();
  const driver = new Driver({ endpoint: server.endpoint, database: '/local', credentials: credentials(), fetch, tracer, logger, traceQueryText: true });
  const pool = new QuerySessionPool(driver, { size: 1 });
  const table = new SessionPool(driver, { size: 1 });
  try {
    assert.equal(await driver.wait({ timeoutMs: 5000 }), true);
    await faultExecuteQuery('OVERLOADED', 1);
    await pool.executeWithRetries('SELECT $secret AS s', { $secret: 'parameter-value-never-logged' },
      new RetrySettings({ slowBackoff: { ceiling: 0, slotDurationMs: 1, uncertainRatio: 0 } }));
    await faultExecuteQuery('BAD_SESSION', 1);
    await pool.retryOperation(async (s) => s.executeQuery('SELECT 1').collect());
    await table.withSession(async (s) => s.executeQuery('SELECT 1'));
  } finally {
    await table.stop();
    await pool.stop();
    await driver.stop();
    await server.call('DELETE', '/faults');
  }
  const messages = events.map((e) => e.message);
  for (const m of ['token refreshed', 'discovery', 'retrying', 'session created', 'driver stopped']) {
    assert.ok(messages.includes(m), `${m} in ${JSON.stringify(messages)}`);
  }
  const retrying = events.find((e) => e.message === 'retrying');
  assert.equal(retrying.level, 'info');
  assert.equal(retrying.fields.status, 'OVERLOADED');
  assert.equal(retrying.fields.attempt, 1);
  assert.equal(typeof retrying.fields.delayMs, 'number');
  const created = events.filter((e) => e.message === 'session created').map((e) => e.fields.service).sort();
  assert.deepEqual(created, ['query', 'query', 'table'], 'the BAD_SESSION one was replaced');
  // Once, with why: the status of the answer, or the server's hint on the session's attach stream,
  // whichever reaches the client first (the dev server ends a session it answered BAD_SESSION for).
  const discarded = events.filter((e) => e.message === 'session discarded');
  assert.deepEqual(discarded.map((e) => [e.level, e.fields.service]), [['info', 'query']]);
  assert.ok(['BAD_SESSION', 'session hint'].includes(discarded[0].fields.reason), discarded[0].fields.reason);
  const discovery = events.find((e) => e.message === 'discovery');
  assert.equal(discovery.fields.count, 1);
  // The token the driver sent, the password, and the parameter value: in no log line, in no span.
  const tokens = new Set(requests.map((r) => r.headers['x-ydb-auth-ticket']).filter(Boolean));
  assert.ok(tokens.size >= 1);
  const logged = JSON.stringify(events);
  const traced = JSON.stringify(spans().map((s) => [s.name, s.attributes, s.status, s.events]));
  for (const secret of [...tokens, PASSWORD, 'parameter-value-never-logged']) {
    assert.ok(!logged.includes(secret), 'a secret reached the logger');
    assert.ok(!traced.includes(secret), 'a secret reached a span');
  }
});

test('an AccessTokenCredentials token reaches no log line and no span', async () => {
  // A valid token of this server, got by logging in.
  const { fetch, requests } = recordingFetch();
  const login = new Driver({ endpoint: server.endpoint, database: '/local', credentials: credentials(), fetch });
  await login.query('SELECT 1');
  await login.stop();
  const token = requests.find((r) => r.headers['x-ydb-auth-ticket']).headers['x-ydb-auth-ticket'];
  const { logger, events } = memoryLogger();
  const { tracer, spans } = memoryTracer();
  const driver = new Driver({ endpoint: server.endpoint, database: '/local', credentials: new AccessTokenCredentials(token), tracer, logger });
  try {
    await faultExecuteQuery('UNAVAILABLE', 1);
    await driver.query('SELECT 1', {}, { idempotent: true });
  } finally {
    await driver.stop();
    await server.call('DELETE', '/faults');
  }
  assert.ok(events.length > 0 && spans().length > 0);
  assert.ok(!JSON.stringify(events).includes(token));
  assert.ok(!JSON.stringify(spans().map((s) => [s.attributes, s.status, s.events])).includes(token));
});

test('a tracer, logger or onRetry that throws or rejects breaks no query', async () => {
  const boom = () => { throw new Error('observer failure'); };
  const rejecting = () => Promise.reject(new Error('observer rejection'));
  const throwingSpan = { setAttribute: boom, setStatus: boom, recordException: boom, end: boom, spanContext: boom };
  const tracers = [
    { startSpan: boom },
    { startSpan: () => throwingSpan },
    { startSpan: () => 42 },
    { startSpan: () => ({ ...throwingSpan, spanContext: () => ({ traceId: 'x\r\nbad: header', spanId: 'y', traceFlags: 1 }) }) },
  ];
  const loggers = [
    { debug: boom, info: boom, warn: boom, error: boom },
    { debug: rejecting, info: rejecting, warn: rejecting, error: rejecting },
    new Proxy({}, { get: boom }),
  ];
  for (const [i, tracer] of tracers.entries()) {
    const logger = loggers[i % loggers.length];
    const { fetch, requests } = recordingFetch();
    const driver = new Driver({ endpoint: server.endpoint, database: '/local', credentials: credentials(), tracer, logger, fetch });
    const pool = new QuerySessionPool(driver, { size: 1 });
    try {
      await faultExecuteQuery('UNAVAILABLE', 1);
      const onRetry = i % 2 ? boom : rejecting;
      const [rs] = await pool.executeWithRetries('SELECT 7 AS seven', {}, new RetrySettings({ onRetry }));
      assert.equal(rs.rows[0].seven, 7, `tracer ${i}`);
      const [again] = await pool.retryOperation(async (s) => s.executeQuery('SELECT 8 AS eight').collect());
      assert.equal(again.rows[0].eight, 8);
      assert.ok(requests.every((r) => r.headers.traceparent === undefined), 'no traceparent from a broken span context');
    } finally {
      await pool.stop();
      await driver.stop();
      await server.call('DELETE', '/faults');
    }
  }
  assert.throws(() => new Driver({ endpoint: server.endpoint, database: '/local', tracer: {} }), TypeError);
  assert.throws(() => new Driver({ endpoint: server.endpoint, database: '/local', logger: 'console' }), TypeError);
  assert.throws(() => new RetrySettings({ onRetry: 'no' }), TypeError);
});

test('sessions are created with x-ydb-client-capabilities: session-balancer, other calls without it', async () => {
  const { fetch, requests } = recordingFetch();
  const driver = new Driver({ endpoint: server.endpoint, database: '/local', credentials: credentials(), fetch });
  const query = new QuerySessionPool(driver, { size: 1 });
  const table = new SessionPool(driver, { size: 1 });
  try {
    await query.retryOperation(async (s) => s.executeQuery('SELECT 1').collect());
    await table.withSession(async (s) => s.executeQuery('SELECT 1'));
  } finally {
    await query.stop();
    await table.stop();
    await driver.stop();
  }
  const created = requests.filter((r) => r.path.endsWith('/CreateSession'));
  assert.deepEqual(created.map((r) => r.path).sort(), ['/Ydb.Query.V1.QueryService/CreateSession', '/Ydb.Table.V1.TableService/CreateSession']);
  for (const r of created) assert.equal(r.headers['x-ydb-client-capabilities'], 'session-balancer');
  for (const r of requests.filter((r) => !r.path.endsWith('/CreateSession'))) {
    assert.equal(r.headers['x-ydb-client-capabilities'], undefined, r.path);
  }
});
