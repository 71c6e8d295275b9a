// Error paths of the public methods: server refusals arrive as YdbError subclasses with issues, wrong
// arguments as TypeErrors naming what is wrong, and the instance keeps working after each.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  Driver, SessionPool, QuerySessionPool, TableDescription, TableColumn, PrimitiveType as P, YdbError, SchemeError,
  SessionPoolEmptyError, Permissions, TypedValue,
} from 'ydb-wasm';

const endpoint = process.env.YDB_ENDPOINT ?? 'http://127.0.0.1:2136';
const unique = (p) => `${p}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
let driver;
let tables;
let queries;
before(async () => {
  driver = new Driver({ endpoint, database: '/local' });
  tables = new SessionPool(driver, { size: 2 });
  queries = new QuerySessionPool(driver, { size: 2 });
});
after(async () => {
  await tables.stop();
  await queries.stop();
  await driver.stop();
});

const isYdb = (status) => (e) => {
  assert.ok(e instanceof YdbError, `${e}`);
  if (status) assert.equal(e.status, status);
  assert.ok(Array.isArray(e.issues) && e.issues.length > 0, 'issues explain the refusal');
  return true;
};

test('table schema operations on missing or existing tables are refused with statuses', async () => {
  const name = unique('errs');
  const session = await tables.acquire();
  try {
    const desc = new TableDescription().withColumn(new TableColumn('id', P.Uint64)).withPrimaryKey('id');
    await session.createTable(name, desc);
    await assert.rejects(session.createTable(name, desc), isYdb());
    await assert.rejects(session.dropTable(`${name}_missing`), (e) => e instanceof SchemeError);
    await assert.rejects(session.describeTable(`${name}_missing`), (e) => e instanceof SchemeError);
    await assert.rejects(session.copyTable(`${name}_missing`, `${name}_copy`), (e) => e instanceof SchemeError);
    await assert.rejects(session.alterTable(name, { dropColumns: ['nope'] }), isYdb());
    await assert.rejects(session.bulkUpsert(`${name}_missing`, [{ id: 1n }], { id: P.Uint64 }), (e) => e instanceof SchemeError);
    await assert.rejects(async () => { for await (const _ of session.readTable(`${name}_missing`)) { /* */ } },
      (e) => e instanceof SchemeError);
    await assert.rejects(session.prepareQuery('SELEKT'), isYdb('GENERIC_ERROR'));
    await session.dropTable(name);
    assert.ok(session.isAlive, 'none of these errors breaks the session');
  } finally {
    tables.release(session);
  }
});

test('wrong arguments to schema and scheme methods are TypeErrors', async () => {
  const session = await tables.acquire();
  try {
    await assert.rejects(session.createTable(42, new TableDescription()), TypeError);
    await assert.rejects(session.createTable('t', {}), TypeError);
    await assert.rejects(session.createTable('t', new TableDescription().withColumn(new TableColumn('id', 'NoSuchType'))), TypeError);
    await assert.rejects(session.createTable('t', new TableDescription().withColumn(new TableColumn('id', P.Int32))), /primary key/);
    await assert.rejects(session.alterTable('t', 5), TypeError);
    await assert.rejects(session.bulkUpsert('t', 'rows'), TypeError);
    await assert.rejects(session.bulkUpsert('t', [{ id: 'x' }], { id: P.Uint64 }), TypeError);
    assert.throws(() => session.readTable('t', { keyRange: 5 }), TypeError);
    assert.throws(() => session.readTable('t', { keyRange: { greater: new TypedValue(1, P.Int32), greaterOrEqual: new TypedValue(1, P.Int32) } }), TypeError);
    await assert.rejects(session.executeQuery({ not: 'a query' }), TypeError);
    assert.throws(() => session.transaction('sideways'), TypeError);
    assert.throws(() => new TableColumn('', P.Int32), TypeError);
  } finally {
    tables.release(session);
  }
  const scheme = driver.schemeClient();
  await assert.rejects(scheme.makeDirectory(7), TypeError);
  await assert.rejects(scheme.modifyPermissions('x', { actions: [{ launch: {} }] }), TypeError);
  await assert.rejects(scheme.removeDirectory(unique('missing_dir')), (e) => e instanceof SchemeError);
  await assert.rejects(scheme.listDirectory(unique('missing_dir')), (e) => e instanceof SchemeError);
  await assert.rejects(scheme.modifyPermissions(unique('missing'), new Permissions().grant('u', ['ydb.generic.read'])), isYdb());
});

test('a finished transaction refuses more statements; commit and rollback after the end are no-ops', async () => {
  await tables.retryOperation(async (session) => {
    const tx = session.transaction();
    await tx.execute('SELECT 1', {}, { commitTx: true });
    assert.equal(tx.isFinished, true);
    await assert.rejects(tx.execute('SELECT 2'), TypeError);
    await tx.commit();
    await tx.rollback();
  });
  await queries.retryOperation(async (session) => {
    const tx = await session.transaction();
    await tx.execute('SELECT 1', {}, { commitTx: true });
    assert.throws(() => tx.execute('SELECT 2'), TypeError);
  });
});

test('acquire waits in line and fails with SessionPoolEmptyError after its timeout', async () => {
  const pool = new SessionPool(driver, { size: 1 });
  const held = await pool.acquire();
  const started = Date.now();
  await assert.rejects(pool.acquire({ timeoutMs: 200 }), (e) => e instanceof SessionPoolEmptyError && e.status === 'SESSION_POOL_EMPTY');
  assert.ok(Date.now() - started >= 150, 'it waited for the timeout');
  const waiting = pool.acquire({ timeoutMs: 5000 });
  pool.release(held);
  const next = await waiting;
  assert.equal(next.sessionId, held.sessionId, 'the waiter gets the released session');
  pool.release(next);
  await pool.stop();
  await assert.rejects(pool.acquire(), (e) => e instanceof YdbError && e.status === 'CANCELLED');
});

test('a stopped driver refuses new work', async () => {
  const d = new Driver({ endpoint, database: '/local' });
  const pool = new QuerySessionPool(d, { size: 1 });
  await pool.executeWithRetries('SELECT 1');
  await d.stop();
  await assert.rejects(pool.executeWithRetries('SELECT 1'), (e) => e instanceof YdbError);
  await assert.rejects(d.wait({ timeoutMs: 100 }), (e) => e instanceof YdbError && e.status === 'CANCELLED');
});
