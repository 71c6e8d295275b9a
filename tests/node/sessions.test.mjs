// The life of table sessions in their pool, against a dev server started here that expires sessions idle
// for one second (`--session-idle-timeout 1`; YDB's limit is ten minutes): keep-alive of idle sessions, and
// the server's session-close hint.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDevserver } from './devserver.mjs';
import { Driver, SessionPool, BadSessionError } from 'ydb-wasm';

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
  for (let i = 0; i < 40 && pool.totalSessions > 1; i++) await sleep(50);
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

test('keepAliveMs must be a non-negative number', () => {
  assert.throws(() => new SessionPool(driver, { keepAliveMs: -5 }), TypeError);
  assert.throws(() => new SessionPool(driver, { keepAliveMs: 'often' }), TypeError);
});
