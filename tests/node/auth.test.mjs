// Authentication against a dev server started here with --user: StaticCredentials log in through the
// Auth service; calls without a valid token are refused with UNAUTHENTICATED; secrets never show.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDevserver } from './devserver.mjs';
import { inspect } from 'node:util';
import { Driver, QuerySessionPool, StaticCredentials, AccessTokenCredentials, UnauthorizedError, YdbError, RetrySettings } from 'ydb-wasm';

let server;
let endpoint;

before(async () => {
  server = await startDevserver(['--user', 'root:s3cret-pass']);
  endpoint = server.endpoint;
});
after(() => server.stop());

const once = new RetrySettings({ maxRetries: 0 });

test('StaticCredentials log in and their token is accepted', async () => {
  const creds = new StaticCredentials({ user: 'root', password: 's3cret-pass' });
  const driver = new Driver({ endpoint, database: '/local', credentials: creds });
  const pool = new QuerySessionPool(driver, { size: 1 });
  try {
    const [rs] = await pool.executeWithRetries('SELECT 1 AS one');
    assert.equal(rs.rows[0].one, 1);
    const [again] = await pool.executeWithRetries('SELECT 2 AS two'); // the cached token serves again
    assert.equal(again.rows[0].two, 2);
  } finally {
    await pool.stop();
    await driver.stop();
  }
});

test('no token, a wrong password and a forged token are refused', async () => {
  for (const credentials of [undefined, new StaticCredentials({ user: 'root', password: 'wrong' }), new AccessTokenCredentials('forged')]) {
    const driver = new Driver({ endpoint, database: '/local', credentials });
    const pool = new QuerySessionPool(driver, { size: 1 });
    await assert.rejects(pool.executeWithRetries('SELECT 1', {}, once), (e) => {
      assert.ok(e instanceof YdbError, String(e));
      assert.ok(e instanceof UnauthorizedError && e.status === 'UNAUTHORIZED', e.status);
      assert.ok(!e.message.includes('wrong') && !e.message.includes('forged'), 'no secret in the message');
      return true;
    });
    await pool.stop();
    await driver.stop();
  }
});

test('secrets never appear in JSON, inspect or errors', () => {
  const creds = new StaticCredentials({ user: 'root', password: 's3cret-pass' });
  assert.ok(!JSON.stringify(creds).includes('s3cret-pass'));
  assert.ok(!inspect(creds).includes('s3cret-pass'));
  assert.ok(UnauthorizedError.prototype instanceof YdbError);
  assert.throws(() => new StaticCredentials({ password: 'x' }), TypeError);
});
