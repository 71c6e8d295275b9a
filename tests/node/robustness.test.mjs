// No input can crash, poison or hang the client: bounded and cycle-checked parameters, bounded session
// creation, pool misuse refused, and — should the instance trap anyway — a clear error for everything
// made from it and a working new Driver. Uses a dev server of its own (with an admin endpoint for faults).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  Driver, SessionPool, QuerySessionPool, TypedValue, RetrySettings, YdbError, __forceTrapForTests,
} from 'ydb-wasm';
import { startDevserver } from './devserver.mjs';

let server;
const unhandled = [];
const onUnhandled = (e) => unhandled.push(e);
before(async () => {
  process.on('unhandledRejection', onUnhandled);
  server = await startDevserver(['--admin', '127.0.0.1:0']);
});
after(async () => {
  server.stop();
  process.off('unhandledRejection', onUnhandled);
  assert.deepEqual(unhandled, [], 'no promise was left rejected without a handler');
});

const open = () => new Driver({ endpoint: server.endpoint, database: '/local' });
const answers = async (pool) => assert.deepEqual((await pool.executeWithRetries('SELECT 1 AS one'))[0].rows, [{ one: 1 }]);

test('a value that contains itself is a TypeError naming the parameter and the cycle, and the next query answers', async () => {
  const driver = open();
  const pool = new QuerySessionPool(driver);
  const o = {};
  o.self = o;
  await assert.rejects(pool.executeWithRetries('SELECT 1', { $p: o }), (e) => {
    assert.ok(e instanceof TypeError, `${e}`);
    assert.match(e.message, /parameter \$p: the value contains itself at \$p\.self \(a cycle\)/);
    return true;
  });
  const list = [1];
  list.push(list);
  await assert.rejects(pool.executeWithRetries('SELECT 1', { $l: new TypedValue([list], 'List<List<Int32>>') }), TypeError);
  await answers(pool);
  await driver.stop();
});

test('a value nested 3,000 deep is a TypeError past 63 levels, typed or inferred, and the next query answers', async () => {
  const driver = open();
  const pool = new QuerySessionPool(driver);
  let deep = 1;
  for (let i = 0; i < 3000; i++) deep = [deep];
  await assert.rejects(pool.executeWithRetries('SELECT 1', { $p: deep }), (e) => {
    assert.ok(e instanceof TypeError, `${e}`);
    assert.match(e.message, /^parameter \$p\[0\]\[0\].*nests deeper than 63 levels/);
    return true;
  });
  let struct = { leaf: 1 };
  for (let i = 0; i < 100; i++) struct = { inner: struct };
  await assert.rejects(pool.executeWithRetries('SELECT 1', { $s: struct }), /\$s\.inner\.inner.*deeper than 63/);
  // 63 levels of values (a type 64 deep, the type bound) is allowed: the bound is not off by one.
  let ok = 7;
  for (let i = 0; i < 63; i++) ok = [ok];
  await assert.rejects(pool.executeWithRetries('DECLARE $x AS Int32; SELECT $x', { $ok: ok }), (e) => e instanceof YdbError);
  // A type string nested past the parser's bound is refused the same way.
  const type = 'List<'.repeat(5000) + 'Int32' + '>'.repeat(5000);
  await assert.rejects(pool.executeWithRetries('SELECT 1', { $t: new TypedValue([], type) }), TypeError);
  await answers(pool);
  await driver.stop();
});

test('values that run caller code while read: a throwing getter or proxy is a TypeError, never unwinding through wasm', async () => {
  const driver = open();
  const pool = new QuerySessionPool(driver);
  const traps = new Proxy({}, { ownKeys() { throw new Error('boom from ownKeys'); } });
  const getter = { get x() { throw new Error('boom from a getter'); } };
  const array = new Proxy([1, 2], { get(t, k) { if (k === '1') throw new Error('boom from index 1'); return Reflect.get(t, k); } });
  const { proxy: revoked, revoke } = Proxy.revocable({}, {});
  revoke();
  for (const [value, pattern] of [[traps, /boom from ownKeys/], [getter, /boom from a getter/], [array, /boom from index 1/], [revoked, /revoked/]]) {
    await assert.rejects(pool.executeWithRetries('SELECT 1', { $v: value }), (e) => {
      assert.ok(e instanceof TypeError, `${e}`);
      assert.match(e.message, pattern);
      return true;
    });
  }
  // Many in a row: leaked borrows or stack would show up here as a wasm error.
  for (let i = 0; i < 200; i++) await assert.rejects(pool.executeWithRetries('SELECT 1', { $v: getter }), TypeError);
  await answers(pool);
  await driver.stop();
});

test('sparse and huge arrays, unpaired surrogates and out-of-range numbers are TypeErrors', async () => {
  const driver = open();
  const pool = new QuerySessionPool(driver);
  const sparse = [];
  sparse.length = 2 ** 32 - 1;
  await assert.rejects(pool.executeWithRetries('SELECT 1', { $v: new TypedValue(sparse, 'List<Optional<Int32>>') }), /more than 4194304 values/);
  await assert.rejects(pool.executeWithRetries('SELECT 1', { $v: '\ud800 lone' }), /unpaired surrogate/);
  await assert.rejects(pool.executeWithRetries('SELECT 1', { $v: new TypedValue(256, 'Uint8') }), /out of range/);
  await assert.rejects(pool.executeWithRetries('SELECT 1', { $v: new TypedValue(2 ** 64, 'Uint64') }), TypeError);
  await assert.rejects(pool.executeWithRetries('SELECT 1', { $v: Symbol('s') }), /cannot infer/);
  await assert.rejects(pool.executeWithRetries('SELECT 1', { $v: () => 1 }), /cannot infer/);
  // A well-formed string that contains U+FFFD itself is sent as it is.
  const [rs] = await pool.executeWithRetries('DECLARE $v AS Utf8; SELECT $v AS v', { $v: 'a\ufffdb' });
  assert.equal(rs.rows[0].v, 'a\ufffdb');
  await driver.stop();
});

test('session creation is bounded: an AttachSession that sends nothing ends with the request timeout, not a hang', async () => {
  const driver = new Driver({ endpoint: server.endpoint, database: '/local', requestTimeoutMs: 400 });
  const pool = new QuerySessionPool(driver);
  await server.call('POST', '/faults', { rpc: 'Ydb.Query.V1.QueryService/AttachSession', latencyMs: 60000 });
  try {
    const started = Date.now();
    // executeWithRetries needs no session (an implicit one); a query session is made for retryOperation.
    const inSession = (settings) => pool.retryOperation((s) => s.executeQuery('SELECT 1').collect(), settings);
    await assert.rejects(inSession(new RetrySettings({ maxRetries: 1 })), (e) => e instanceof YdbError);
    assert.ok(Date.now() - started < 10000, `settled after ${Date.now() - started} ms`);
    // The retry loop's signal ends the wait too.
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const began = Date.now();
    await assert.rejects(inSession(new RetrySettings({ signal: controller.signal })), (e) => e.status === 'CANCELLED' || e.status === 'DEADLINE_EXCEEDED');
    assert.ok(Date.now() - began < 5000);
  } finally {
    await server.call('DELETE', '/faults');
  }
  await answers(pool);
  assert.ok(pool.totalSessions <= pool.size);
  await driver.stop();
});

test('stop() finishes when the server never answers DeleteSession', async () => {
  const driver = open();
  const pool = new SessionPool(driver, { size: 1 });
  await pool.withSession(async (s) => s.executeQuery('SELECT 1'));
  await server.call('POST', '/faults', { rpc: 'Ydb.Table.V1.TableService/DeleteSession', latencyMs: 60000 });
  try {
    const started = Date.now();
    await driver.stop();
    assert.ok(Date.now() - started < 15000, `stopped after ${Date.now() - started} ms`);
  } finally {
    await server.call('DELETE', '/faults');
  }
});

test('pool misuse: a second release does nothing, another pool refuses, a released handle refuses calls', async () => {
  const driver = open();
  const pool = new QuerySessionPool(driver, { size: 2 });
  const other = new QuerySessionPool(driver, { size: 2 });
  const s = await pool.acquire();
  pool.release(s);
  pool.release(s);
  assert.equal(pool.idleSessions, 1, 'back once');
  const [a, b] = [await pool.acquire(), await pool.acquire()];
  assert.notEqual(a.sessionId, b.sessionId, 'never one session handed out twice');
  assert.throws(() => other.release(a), TypeError);
  assert.throws(() => s.executeQuery('SELECT 1'), /given back to its pool/);
  assert.equal(s.isAlive, false, 'a released handle reports itself unusable');
  pool.release(a);
  pool.release(b);
  // The session a retryOperation callback kept is refused once the attempt is over.
  let kept;
  await pool.retryOperation(async (session) => { kept = session; });
  assert.throws(() => kept.executeQuery('SELECT 1'), TypeError);
  const tables = new SessionPool(driver, { size: 1 });
  let keptTable;
  await tables.retryOperation(async (session) => { keptTable = session; });
  await assert.rejects(keptTable.executeQuery('SELECT 1'), TypeError);
  const unpooled = await driver.tableClient().session();
  assert.throws(() => tables.release(unpooled), TypeError);
  await unpooled.close();
  await answers(pool);
  await driver.stop();
});

test('after a trap every call of the crashed driver fails at once with a clear error, and a new Driver works', async () => {
  const driver = open();
  const pool = new QuerySessionPool(driver);
  const tables = new SessionPool(driver);
  await answers(pool);
  const session = await pool.acquire();
  const stream = session.executeQuery('SELECT 1');
  assert.throws(() => __forceTrapForTests(), (e) => {
    assert.ok(e instanceof YdbError, `${e}`);
    assert.equal(e.status, 'CLIENT_INTERNAL_ERROR');
    assert.match(e.message, /crashed .*create a new Driver/);
    assert.equal(e.retryable, false);
    return true;
  });
  const isCrash = (e) => e instanceof YdbError && e.status === 'CLIENT_INTERNAL_ERROR' && /crashed/.test(e.message);
  await assert.rejects(pool.executeWithRetries('SELECT 1'), isCrash);
  await assert.rejects(tables.retryOperation(async () => 1), isCrash);
  await assert.rejects(stream.next(), isCrash);
  assert.throws(() => driver.schemeClient(), isCrash);
  assert.throws(() => new QuerySessionPool(driver), isCrash);
  await driver.stop(); // cleanup code does not fail
  await pool.stop();
  const fresh = open();
  await answers(new QuerySessionPool(fresh));
  await assert.rejects(pool.executeWithRetries('SELECT 1'), isCrash, 'the old objects stay refused');
  await fresh.stop();
});

test('a trap rejects the calls in flight instead of leaving them pending', async () => {
  const driver = open();
  const pool = new QuerySessionPool(driver);
  await server.call('POST', '/faults', { rpc: 'Ydb.Query.V1.QueryService/ExecuteQuery', latencyMs: 1000, times: 1 });
  try {
    const inFlight = pool.executeWithRetries('SELECT 1');
    await new Promise((r) => setTimeout(r, 100));
    assert.throws(() => __forceTrapForTests(), YdbError);
    await assert.rejects(inFlight, (e) => e.status === 'CLIENT_INTERNAL_ERROR');
  } finally {
    await server.call('DELETE', '/faults');
  }
  const fresh = open();
  await answers(new QuerySessionPool(fresh));
  await fresh.stop();
});
