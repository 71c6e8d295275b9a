// The JS surface of the package in Node, against the dev server the test command started
// (its gRPC-web URL in YDB_ENDPOINT). Run with: node --test tests/node/
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  Driver, SessionPool, QuerySessionPool, AnonymousCredentials, AccessTokenCredentials, TypedValue,
  PrimitiveType, OptionalType, YdbError, SchemeError, GenericError, BadSessionError, TransportError, RetrySettings,
} from 'ydb-wasm';

const endpoint = process.env.YDB_ENDPOINT ?? 'http://127.0.0.1:2136';
const unique = (p) => `${p}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
let driver;
let queries;

before(async () => {
  driver = new Driver({ endpoint, database: '/local', credentials: new AnonymousCredentials() });
  assert.equal(await driver.wait({ failFast: true, timeoutMs: 5000 }), true);
  queries = new QuerySessionPool(driver, { size: 4 });
});

after(async () => {
  await queries.stop();
  await driver.stop();
});

test('typed values round-trip: BigInt, Date, Uint8Array, null, strings, doubles', async () => {
  const table = unique('values');
  await queries.executeWithRetries(`CREATE TABLE ${table} (
    id Uint64, i64 Int64, i32 Int32, b Bool, d Double, s String, u Utf8, ts Timestamp, PRIMARY KEY (id))`);
  const big = 18446744073709551615n;
  const when = new Date('2024-02-29T12:34:56.789Z');
  await queries.executeWithRetries(
    `DECLARE $id AS Uint64; DECLARE $i64 AS Int64; DECLARE $i32 AS Int32; DECLARE $b AS Bool; DECLARE $d AS Double;
     DECLARE $s AS String; DECLARE $u AS Optional<Utf8>; DECLARE $ts AS Timestamp;
     UPSERT INTO ${table} (id, i64, i32, b, d, s, u, ts) VALUES ($id, $i64, $i32, $b, $d, $s, $u, $ts);`,
    {
      $id: new TypedValue(big, PrimitiveType.Uint64),
      $i64: -9223372036854775808n,
      $i32: new TypedValue(-7, PrimitiveType.Int32),
      $b: true,
      $d: 2.5,
      $s: new Uint8Array([0, 1, 254, 255]),
      $u: new TypedValue(null, OptionalType(PrimitiveType.Utf8)),
      $ts: when,
    },
  );
  const [rs] = await queries.executeWithRetries(`SELECT id, i64, i32, b, d, s, u, ts FROM ${table}`);
  assert.deepEqual(rs.columns.map((c) => c.name), ['id', 'i64', 'i32', 'b', 'd', 's', 'u', 'ts']);
  assert.equal(rs.columns[0].type, 'Optional<Uint64>');
  const [row] = rs.rows;
  assert.equal(row.id, big);
  assert.equal(row.i64, -9223372036854775808n);
  assert.equal(row.i32, -7);
  assert.equal(row.b, true);
  assert.equal(row.d, 2.5);
  assert.deepEqual(row.s, new Uint8Array([0, 1, 254, 255]));
  assert.equal(row.u, null);
  assert.ok(row.ts instanceof Date);
  assert.equal(row.ts.getTime(), when.getTime());
  await queries.executeWithRetries(`DROP TABLE ${table}`);
});

test('executeQuery streams a 10,000-row result part by part as an async iterator', async () => {
  const table = unique('stream');
  await queries.executeWithRetries(`CREATE TABLE ${table} (id Uint64, payload Utf8, PRIMARY KEY (id))`);
  const payload = 'x'.repeat(300);
  for (let batch = 0; batch < 10; batch++) {
    const values = Array.from({ length: 1000 }, (_, i) => `(${batch * 1000 + i}ul, "${payload}")`).join(', ');
    await queries.executeWithRetries(`UPSERT INTO ${table} (id, payload) VALUES ${values}`);
  }
  const session = await queries.acquire();
  try {
    let parts = 0;
    let expected = 0n;
    for await (const part of session.executeQuery(`SELECT id, payload FROM ${table} ORDER BY id`)) {
      parts++;
      for (const row of part.rows) {
        assert.equal(row.id, expected++);
        assert.equal(row.payload.length, 300);
      }
    }
    assert.equal(expected, 10000n);
    assert.ok(parts > 1, `expected several parts, got ${parts}`);
  } finally {
    queries.release(session);
  }
  await queries.executeWithRetries(`DROP TABLE ${table}`);
});

test('SessionPool.retryOperation runs a transaction that commits with the last statement', async () => {
  const table = unique('tx');
  const pool = new SessionPool(driver, { size: 2 });
  try {
    await pool.retryOperation((s) => s.executeSchemeQuery(`CREATE TABLE ${table} (id Int32, name Utf8, PRIMARY KEY (id))`));
    await pool.retryOperation(async (session) => {
      const tx = session.transaction();
      await tx.execute(`UPSERT INTO ${table} (id, name) VALUES (1, "one")`);
      await tx.execute(
        `DECLARE $id AS Int32; DECLARE $name AS Utf8; UPSERT INTO ${table} (id, name) VALUES ($id, $name)`,
        { $id: new TypedValue(2, PrimitiveType.Int32), $name: 'two' },
        { commitTx: true },
      );
    });
    const names = await pool.retryOperation(async (session) => {
      const [rs] = await session.executeQuery(`SELECT name FROM ${table} ORDER BY id`);
      return rs.rows.map((r) => r.name);
    });
    assert.deepEqual(names, ['one', 'two']);
    await pool.retryOperation((s) => s.executeSchemeQuery(`DROP TABLE ${table}`));
  } finally {
    await pool.stop();
  }
});

test('server errors arrive as YdbError subclasses with status, code and issues', async () => {
  await assert.rejects(queries.executeWithRetries('SELECT * FROM no_such_table_anywhere'), (e) => {
    assert.ok(e instanceof SchemeError && e instanceof YdbError);
    assert.equal(e.status, 'SCHEME_ERROR');
    assert.equal(e.code, 400070);
    assert.ok(e.issues.length > 0 && typeof e.issues[0].message === 'string');
    assert.equal(e.retryable, false);
    return true;
  });
  await assert.rejects(queries.executeWithRetries('SELEKT nonsense'), (e) => e instanceof GenericError);
});

test('a closed session is a BadSessionError', async () => {
  const session = await queries.acquire();
  await session.close();
  await assert.rejects(async () => {
    for await (const _ of session.executeQuery('SELECT 1')) { /* nothing */ }
  }, (e) => e instanceof BadSessionError || e instanceof YdbError);
  queries.release(session);
});

test('wrong arguments are TypeErrors, never crashes', async () => {
  assert.throws(() => new Driver({ database: '/local' }), TypeError);
  assert.throws(() => new Driver(42), TypeError);
  assert.throws(() => new AccessTokenCredentials(''), TypeError);
  await assert.rejects(queries.executeWithRetries(42), TypeError);
  await assert.rejects(queries.executeWithRetries('SELECT $x', { $x: Symbol('no') }), TypeError);
  await assert.rejects(queries.executeWithRetries('SELECT $x', { $x: new TypedValue(300, PrimitiveType.Uint8) }), TypeError);
  await assert.rejects(queries.executeWithRetries('SELECT $x', { $x: new TypedValue(1.5, PrimitiveType.Int32) }), TypeError);
  // The instance still works after all of the above.
  const [rs] = await queries.executeWithRetries('SELECT 1 AS one');
  assert.equal(rs.rows[0].one, 1);
});

test('an unreachable endpoint is a TransportError, and wait() says false', async () => {
  const nowhere = new Driver({ endpoint: 'http://127.0.0.1:9', database: '/local' });
  assert.equal(await nowhere.wait({ timeoutMs: 1000 }), false);
  const pool = new QuerySessionPool(nowhere, { size: 1 });
  await assert.rejects(pool.executeWithRetries('SELECT 1', {}, new RetrySettings({ maxRetries: 1 })), (e) => e instanceof TransportError);
  await pool.stop();
  await nowhere.stop();
});

test('an access token is sent but never shown', async () => {
  const creds = new AccessTokenCredentials('very-secret-token');
  assert.ok(!JSON.stringify(creds).includes('very-secret-token'));
  const d = new Driver({ endpoint, database: '/local', credentials: creds });
  assert.equal(await d.wait({ timeoutMs: 5000 }), true);
  assert.ok(!d.discoveryDebugDetails.includes('very-secret-token'));
  await d.stop();
});
