// The edge fast path, counted on the wire: one-shot queries (`driver.query`, `executeWithRetries`) cost one
// ExecuteQuery each and no session set-up; a driver sends nothing until its first call; every request
// goes through the caller's fetch with the caller's headers; an older server that refuses implicit
// sessions is detected once and served from pooled sessions. Counted with the dev server's admin `/stats`
// and an instrumented fetch.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDevserver } from './devserver.mjs';
import { Driver, QuerySessionPool, RetrySettings, TypedValue, PrimitiveType, TransportError, CancelledError, sql } from 'ydb-wasm';

let server;

before(async () => {
  server = await startDevserver(['--admin', '127.0.0.1:0']);
});
after(() => server.stop());

const EXECUTE = '/Ydb.Query.V1.QueryService/ExecuteQuery';
const CREATE = '/Ydb.Query.V1.QueryService/CreateSession';
const ATTACH = '/Ydb.Query.V1.QueryService/AttachSession';

/** Calls per rpc since `before` (a snapshot of `/stats`), as a function of now. */
async function counter() {
  const start = (await server.call('GET', '/stats')).calls;
  return async () => {
    const now = (await server.call('GET', '/stats')).calls;
    return Object.fromEntries(Object.keys(now).map((k) => [k, now[k] - (start[k] ?? 0)]).filter(([, n]) => n > 0));
  };
}

/** A fetch that records every request (url and headers) before passing it on. */
function recordingFetch() {
  const requests = [];
  const fetch = (url, init) => {
    requests.push({ url, headers: new Headers(init.headers) });
    return globalThis.fetch(url, init);
  };
  return { fetch, requests };
}

test('constructing a driver sends nothing; the first one-shot query is the first and only request', async () => {
  const calls = await counter();
  const { fetch, requests } = recordingFetch();
  const driver = new Driver({ endpoint: server.endpoint, database: '/local', fetch });
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(requests.length, 0, 'no request before the first call');
  assert.deepEqual(await calls(), {});
  const [rs] = await driver.query('DECLARE $n AS Int32; SELECT $n * 2 AS twice', { $n: new TypedValue(21, PrimitiveType.Int32) });
  assert.deepEqual(rs.rows, [{ twice: 42 }]);
  assert.deepEqual(requests.map((r) => new URL(r.url).pathname), [EXECUTE]);
  assert.deepEqual(await calls(), { [EXECUTE]: 1 });
  await driver.stop();
});

test('one-shot queries cost one ExecuteQuery each and no session, through the driver and through a pool', async () => {
  const driver = new Driver({ endpoint: server.endpoint, database: '/local' });
  const pool = new QuerySessionPool(driver, { size: 2 });
  const calls = await counter();
  await driver.query('CREATE TABLE edge_kv (k Uint64, v Utf8, PRIMARY KEY (k))');
  await pool.executeWithRetries('UPSERT INTO edge_kv (k, v) VALUES (1ul, "one"u), (2ul, "two"u)');
  assert.deepEqual((await driver.query(sql`SELECT v FROM edge_kv WHERE k = ${new TypedValue(1n, PrimitiveType.Uint64)}`))[0].rows, [{ v: 'one' }]);
  for (let i = 0; i < 4; i++) {
    const [rs] = await driver.query('SELECT v FROM edge_kv WHERE k = 2ul', {}, { idempotent: true, timeoutMs: 5000 });
    assert.deepEqual(rs.rows, [{ v: 'two' }]);
  }
  const [rs] = await pool.executeWithRetries('SELECT COUNT(*) AS n FROM edge_kv');
  assert.equal(rs.rows[0].n, 2n);
  assert.deepEqual(await calls(), { [EXECUTE]: 8 });
  assert.equal(pool.totalSessions, 0, 'the pool made no session');
  assert.equal((await server.call('GET', '/stats')).sessions, 0);
  await driver.stop();
});

test('a cut answer of a non-idempotent one-shot query stays undetermined; an idempotent one is retried', async () => {
  const driver = new Driver({ endpoint: server.endpoint, database: '/local' });
  await driver.query('CREATE TABLE edge_counter (k Uint64, n Uint64, PRIMARY KEY (k))');
  await driver.query('UPSERT INTO edge_counter (k, n) VALUES (1ul, 0ul)');
  const bump = 'UPDATE edge_counter SET n = n + 1ul WHERE k = 1ul; SELECT n FROM edge_counter WHERE k = 1ul';
  const { id } = await server.call('POST', '/faults', { rpc: 'Ydb.Query.V1.QueryService/ExecuteQuery', dropStream: true, times: 1 });
  const calls = await counter();
  await assert.rejects(driver.query(bump), (e) => e instanceof TransportError && e.status === 'CONNECTION_LOST');
  assert.deepEqual(await calls(), { [EXECUTE]: 1 }, 'not retried: it may have run');
  await server.call('DELETE', `/faults/${id}`);
  await server.call('POST', '/faults', { rpc: 'Ydb.Query.V1.QueryService/ExecuteQuery', dropStream: true, times: 1 });
  const [rs] = await driver.query(bump, {}, { retrySettings: new RetrySettings({ idempotent: true }) });
  assert.ok(rs.rows[0].n >= 2n);
  assert.deepEqual(await calls(), { [EXECUTE]: 3 }, 'the idempotent one ran twice');
  await server.call('DELETE', '/faults');
  await driver.stop();
});

test('an aborted signal cancels a one-shot query and its retries', async () => {
  const driver = new Driver({ endpoint: server.endpoint, database: '/local' });
  await assert.rejects(driver.query('SELECT 1', {}, { signal: AbortSignal.abort() }), CancelledError);
  await assert.rejects(driver.query(42), TypeError);
  await assert.rejects(driver.query('SELECT 1', {}, { timeoutMs: 'soon' }), TypeError);
  await driver.stop();
  await assert.rejects(driver.query('SELECT 1'), CancelledError, 'a stopped driver refuses');
});

test('a server that refuses implicit sessions is detected once, and one-shot queries go to pooled sessions', async () => {
  // What a YDB without implicit sessions answers an empty session id (its query proxy fails to parse it).
  await server.call('POST', '/faults', {
    rpc: 'Ydb.Query.V1.QueryService/ExecuteQuery', status: 'BAD_REQUEST', message: 'Failed to parse session id: ', times: 1,
  });
  const driver = new Driver({ endpoint: server.endpoint, database: '/local' });
  const calls = await counter();
  assert.deepEqual((await driver.query('SELECT 1 AS one'))[0].rows, [{ one: 1 }]);
  assert.deepEqual(await calls(), { [EXECUTE]: 2, [CREATE]: 1, [ATTACH]: 1 }, 'refused, then the same attempt pooled');
  assert.deepEqual((await driver.query('SELECT 2 AS two'))[0].rows, [{ two: 2 }]);
  assert.deepEqual(await calls(), { [EXECUTE]: 3, [CREATE]: 1, [ATTACH]: 1 }, 'remembered: no second refusal, the session reused');
  // A pool of the same driver knows it too.
  const pool = new QuerySessionPool(driver, { size: 1 });
  assert.deepEqual((await pool.executeWithRetries('SELECT 3 AS three'))[0].rows, [{ three: 3 }]);
  assert.equal(pool.totalSessions, 1);
  await driver.stop({ timeoutMs: 2000 });
  assert.equal((await server.call('GET', '/stats')).sessions, 0, 'the fallback sessions were closed with the driver');
  await server.call('DELETE', '/faults');
});

test('every request goes through the caller\'s fetch and carries the caller\'s headers', async () => {
  const { fetch, requests } = recordingFetch();
  const driver = new Driver({
    endpoint: server.endpoint, database: '/local', fetch,
    headers: { 'x-api-key': 'k-123', 'x-ydb-database': '/elsewhere' },
  });
  assert.equal(await driver.wait({ timeoutMs: 5000 }), true);
  await driver.query('SELECT 1');
  const pool = new QuerySessionPool(driver, { size: 1 });
  const session = await pool.acquire();
  await session.executeQuery('SELECT 2');
  pool.release(session);
  await driver.tableClient().bulkUpsert('edge_kv', [{ k: 9n, v: 'nine' }], { k: 'Uint64', v: 'Utf8' });
  await driver.stop();
  const paths = requests.map((r) => new URL(r.url).pathname.split('/').pop());
  for (const rpc of ['ListEndpoints', 'ExecuteQuery', 'CreateSession', 'AttachSession', 'BulkUpsert', 'DeleteSession']) {
    assert.ok(paths.includes(rpc), `${rpc} went through the caller's fetch: ${paths}`);
  }
  for (const r of requests) {
    assert.equal(r.headers.get('x-api-key'), 'k-123');
    assert.equal(r.headers.get('x-ydb-database'), '/local', "YDB's own header wins");
  }
  assert.ok(!driver.discoveryDebugDetails.includes('k-123'), 'headers are never shown');
});

test("a fetch whose Response is of another class (npm undici's own) is taken in; a non-Response is refused", async () => {
  // What npm undici's fetch hands back: the same fields, but not this runtime's Response class.
  const foreign = async (url, init) => {
    const r = await fetch(url, init);
    return { status: r.status, headers: r.headers, body: r.body, ok: r.ok };
  };
  const driver = new Driver({ endpoint: server.endpoint, database: '/local', fetch: foreign });
  const [rs] = await driver.query('SELECT 41 + 1 AS answer');
  assert.deepEqual(rs.rows, [{ answer: 42 }]);
  const pool = new QuerySessionPool(driver, { size: 1 });
  const session = await pool.acquire();
  let rows = 0;
  for await (const part of session.executeQuery('SELECT 1 AS a UNION ALL SELECT 2 AS a')) rows += part.rows.length;
  assert.equal(rows, 2, 'a streamed answer through the adopted Response');
  pool.release(session);
  await pool.stop();
  await driver.stop();
  const once = { retrySettings: new RetrySettings({ maxRetries: 0 }) };
  const hostile = { get status() { throw new Error('getter'); } };
  for (const answer of [42, { status: 'ok' }, hostile]) {
    const odd = new Driver({ endpoint: server.endpoint, database: '/local', fetch: async () => answer });
    await assert.rejects(odd.query('SELECT 1', {}, once), (e) => e.status === 'CLIENT_INTERNAL_ERROR' && /not return a Response/.test(e.message));
  }
});

test('a fetch that throws or rejects is a TransportError; bad fetch and headers options are TypeErrors', async () => {
  // Not delivered: retried with the slow backoff, so no retries here.
  const once = { retrySettings: new RetrySettings({ maxRetries: 0 }) };
  const throwing = new Driver({ endpoint: server.endpoint, database: '/local', fetch: () => { throw new Error('no network here'); } });
  await assert.rejects(throwing.query('SELECT 1', {}, once), (e) => e instanceof TransportError && /no network here/.test(e.message));
  const rejecting = new Driver({ endpoint: server.endpoint, database: '/local', fetch: async () => { throw new Error('refused'); } });
  await assert.rejects(rejecting.query('SELECT 1', {}, once), (e) => e instanceof TransportError && e.status === 'CONNECTION_FAILURE');
  assert.throws(() => new Driver({ endpoint: server.endpoint, database: '/local', fetch: 'fetch' }), TypeError);
  assert.throws(() => new Driver({ endpoint: server.endpoint, database: '/local', headers: { 'bad name': 'v' } }),
    (e) => e instanceof TypeError && !/bad name/.test(e.message));
  assert.throws(() => new Driver({ endpoint: server.endpoint, database: '/local', headers: { k: 'line\nbreak-secret' } }),
    (e) => e instanceof TypeError && !/secret/.test(e.message));
});
