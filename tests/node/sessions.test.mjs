// The life of table sessions in their pool, against a dev server started here that expires sessions idle
// for one second (`--session-idle-timeout 1`; YDB's limit is ten minutes): keep-alive of idle sessions, and
// the server's session-close hint.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDevserver } from './devserver.mjs';
import { Driver, SessionPool, QuerySessionPool, RetrySettings, BadSessionError, TransportError, CancelledError, SessionPoolEmptyError } from 'ydb-wasm';

let server;
let driver;

before(async () => {
  server = await startDevserver(['--session-idle-timeout', '1', '--admin', '127.0.0.1:0']);
  driver = new Driver({ endpoint: server.endpoint, database: '/local' });
  assert.equal(await driver.wait({ failFast: true, timeoutMs: 5000 }), true);
});
after(async () => {
  await driver.stop();
  server.stop();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function acquireAll(pool, n) {
  const sessions = [];
  for (let i = 0; i < n; i++) sessions.push(await pool.acquire());
  return sessions;
}

test('idle sessions kept alive outlive the server\'s idle timeout and stay usable', async () => {
  const pool = new SessionPool(driver, { size: 3, keepAliveMs: 300 });
  const first = await acquireAll(pool, 3);
  const ids = new Set(first.map((s) => s.sessionId));
  first.forEach((s) => pool.release(s));
  await sleep(2500);
  const again = await acquireAll(pool, 3);
  assert.deepEqual(new Set(again.map((s) => s.sessionId)), ids, 'the same three sessions, none replaced');
  for (const s of again) assert.deepEqual((await s.executeQuery('SELECT 1 AS one'))[0].rows, [{ one: 1 }]);
  again.forEach((s) => pool.release(s));
  await pool.stop();
});

test('without keep-alive the server expires idle sessions (what the test above guards against)', async () => {
  const pool = new SessionPool(driver, { size: 1, keepAliveMs: 0 });
  const s = await pool.acquire();
  pool.release(s);
  await sleep(2500);
  const same = await pool.acquire();
  assert.equal(same.sessionId, s.sessionId);
  await assert.rejects(same.executeQuery('SELECT 1 AS one'), BadSessionError);
  assert.equal(same.isAlive, false);
  pool.release(same);
  assert.equal(pool.totalSessions, 0, 'the dead session was discarded on release');
  await pool.stop();
});

test('keep-alive discards an idle session the server no longer knows', async () => {
  const pool = new SessionPool(driver, { size: 2, keepAliveMs: 200 });
  const [a, b] = await acquireAll(pool, 2);
  pool.release(a);
  pool.release(b);
  assert.equal((await server.call('POST', '/sessions/kill', { sessionId: a.sessionId })).killed, 1);
  // Wait until the round is over: the killed session gone, and b back from its own ping (a session being
  // pinged is not handed out, so acquiring during the ping would create a new one).
  for (let i = 0; i < 40 && (pool.totalSessions > 1 || pool.idleSessions < 1); i++) await sleep(50);
  assert.equal(pool.totalSessions, 1, 'the killed session left the pool before anyone acquired it');
  assert.equal((await pool.acquire()).sessionId, b.sessionId);
  await pool.stop();
});

test('a session-close hint retires the session after its answer, which stands', async () => {
  const pool = new SessionPool(driver, { size: 1, keepAliveMs: 0 });
  const s = await pool.acquire();
  await server.call('POST', '/faults', { rpc: 'Ydb.Table.V1.TableService/ExecuteDataQuery', sessionCloseHint: true, times: 1 });
  const [rs] = await s.executeQuery('SELECT 7 AS seven');
  assert.deepEqual(rs.rows, [{ seven: 7 }], 'the hinted answer is delivered');
  assert.equal(s.isAlive, false, 'the session is marked for closing');
  pool.release(s);
  assert.equal(pool.totalSessions, 0, 'released, it is closed instead of kept');
  // The server ended the session; a client that kept it would now see BAD_SESSION. This one never does.
  let attempts = 0;
  await pool.retryOperation(async (fresh) => {
    attempts++;
    assert.notEqual(fresh.sessionId, s.sessionId);
    await fresh.executeQuery('SELECT 1 AS one');
  });
  assert.equal(attempts, 1);
  await pool.stop();
});

test('requestTimeoutMs bounds calls that set no deadline, but not the sessions\' AttachSession streams', async () => {
  // A server of its own: with the one-second idle timeout above, a session would expire while its
  // delayed call waits in the fault layer.
  const server = await startDevserver(['--admin', '127.0.0.1:0']);
  const timed = new Driver({ endpoint: server.endpoint, database: '/local', requestTimeoutMs: 300 });
  const pool = new SessionPool(timed, { size: 1 });
  const queries = new QuerySessionPool(timed, { size: 1 });
  const qs = await queries.acquire();
  const s = await pool.acquire();
  await server.call('POST', '/faults', { rpc: 'Ydb.Table.V1.TableService/ExecuteDataQuery', latencyMs: 1500, times: 2 });
  try {
    const started = Date.now();
    await assert.rejects(s.executeQuery('SELECT 1 AS one'), (e) => e instanceof TransportError && e.status === 'DEADLINE_EXCEEDED');
    assert.ok(Date.now() - started < 1400, 'the driver\'s deadline cut the call short');
    // A call's own timeoutMs wins over the driver's.
    assert.deepEqual((await s.executeQuery('SELECT 1 AS one', {}, { timeoutMs: 5000 }))[0].rows, [{ one: 1 }]);
  } finally {
    await server.call('DELETE', '/faults');
  }
  pool.release(s);
  // The query session, idle for longer than the request timeout, is still attached and usable.
  await sleep(800);
  assert.equal(qs.isAlive, true);
  const rows = [];
  for await (const part of qs.executeQuery('SELECT 2 AS two')) rows.push(...part.rows);
  assert.deepEqual(rows, [{ two: 2 }]);
  queries.release(qs);
  await timed.stop();
  server.stop();
});

test('waiting for a session ends on its signal, and on its timeout', async () => {
  for (const Pool of [SessionPool, QuerySessionPool]) {
    const pool = new Pool(driver, { size: 1 });
    const held = await pool.acquire();
    const controller = new AbortController();
    const waiting = pool.acquire({ timeoutMs: 60_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    await assert.rejects(waiting, CancelledError);
    assert.ok(Date.now() - started < 5000);
    await assert.rejects(pool.acquire({ signal: AbortSignal.abort() }), CancelledError, 'an aborted signal fails at once');
    await assert.rejects(pool.acquire({ timeoutMs: 50 }), SessionPoolEmptyError);
    // A retry loop waiting for a session ends on its settings' signal too.
    const loop = pool.retryOperation(async () => 'ran', new RetrySettings({ signal: AbortSignal.timeout(100), maxSessionAcquireTimeoutMs: 60_000 }));
    await assert.rejects(loop, CancelledError);
    pool.release(held);
    assert.equal((await pool.acquire({ timeoutMs: 1000 })).sessionId, held.sessionId, 'the pool is whole afterwards');
    await pool.stop();
  }
});

test('stop({ timeoutMs }) resolves once the sessions still checked out came back and were deleted', async () => {
  const own = await startDevserver(['--admin', '127.0.0.1:0']);
  const d = new Driver({ endpoint: own.endpoint, database: '/local' });
  const tables = new SessionPool(d, { size: 2 });
  const queries = new QuerySessionPool(d, { size: 2 });
  const [t1, t2, q1] = [await tables.acquire(), await tables.acquire(), await queries.acquire()];
  tables.release(t1);
  assert.equal((await own.call('GET', '/stats')).sessions, 3);
  setTimeout(() => { tables.release(t2); queries.release(q1); }, 200);
  const started = Date.now();
  await d.stop({ timeoutMs: 5000 });
  assert.ok(Date.now() - started >= 150, 'stop waited for the checked-out sessions');
  assert.equal((await own.call('GET', '/stats')).sessions, 0, 'every session was deleted when stop resolved');
  assert.equal(tables.totalSessions + queries.totalSessions, 0);
  // Without timeoutMs, stop does not wait for a session that never comes back.
  const d2 = new Driver({ endpoint: own.endpoint, database: '/local' });
  const p2 = new SessionPool(d2, { size: 1 });
  const kept = await p2.acquire();
  await p2.stop();
  assert.equal(p2.totalSessions, 1);
  await assert.rejects(p2.stop({ timeoutMs: -1 }), TypeError);
  await kept.close();
  own.stop();
});

test('keepAliveMs must be a non-negative number', () => {
  assert.throws(() => new SessionPool(driver, { keepAliveMs: -5 }), TypeError);
  assert.throws(() => new SessionPool(driver, { keepAliveMs: 'often' }), TypeError);
});

test('a pool\'s status counts idle, checked-out and waiting sessions, and its counters read it', async () => {
  for (const Pool of [SessionPool, QuerySessionPool]) {
    const pool = new Pool(driver, { size: 1 });
    try {
      assert.deepEqual(pool.status, { maxSize: 1, idle: 0, inUse: 0, creating: 0, total: 0, waiters: 0, stopped: false });
      const session = await pool.acquire();
      const controller = new AbortController();
      const waiting = pool.acquire({ signal: controller.signal });
      await sleep(20);
      assert.deepEqual({ ...pool.status }, { maxSize: 1, idle: 0, inUse: 1, creating: 0, total: 1, waiters: 1, stopped: false }, Pool.name);
      controller.abort();
      await assert.rejects(waiting, CancelledError);
      pool.release(session);
      assert.equal(pool.status.idle, 1);
      assert.deepEqual([pool.size, pool.totalSessions, pool.idleSessions], [1, 1, 1], Pool.name);
    } finally {
      await pool.stop();
    }
    assert.equal(pool.status.stopped, true);
  }
});
