// The bad-input table: every public method, each argument in turn replaced by a value of the wrong kind
// (wrong types, cyclic and over-deep values, out-of-range numbers, unpaired surrogates, a 10 MB string,
// throwing and revoked proxies, a Symbol, a function). Each call must answer or fail with an ordinary
// error — a TypeError, a YdbError, or the caller's own exception — never a wasm trap, never a crash of
// the client, never an unhandled rejection; and the same driver answers good queries afterwards.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  Driver, SessionPool, QuerySessionPool, YdbError, TableDescription, TableColumn, Permissions,
} from 'ydb-wasm';
import { startDevserver } from './devserver.mjs';

let server;
let driver;
const unhandled = [];
const onUnhandled = (e) => unhandled.push(e);
before(async () => {
  process.on('unhandledRejection', onUnhandled);
  server = await startDevserver();
  driver = new Driver({ endpoint: server.endpoint, database: '/local', requestTimeoutMs: 10000 });
});
after(async () => {
  await driver.stop();
  server.stop();
  process.off('unhandledRejection', onUnhandled);
});

const cyclic = {};
cyclic.self = cyclic;
let deep = 1;
for (let i = 0; i < 3000; i++) deep = [deep];
const throwing = new Proxy({}, {
  get() { throw new Error('caller trap: get'); },
  has() { throw new Error('caller trap: has'); },
  ownKeys() { throw new Error('caller trap: ownKeys'); },
  getOwnPropertyDescriptor() { throw new Error('caller trap: descriptor'); },
  getPrototypeOf() { throw new Error('caller trap: prototype'); },
});
const revoked = Proxy.revocable({}, {});
revoked.revoke();
const getter = { get timeoutMs() { throw new Error('caller getter'); }, get $id() { throw new Error('caller getter'); } };

/** [label, value] of every bad value. */
const BAD = [
  ['undefined', undefined], ['null', null], ['number', 42], ['negative', -1], ['NaN', NaN], ['Infinity', Infinity],
  ['2^64', 2 ** 64], ['bigint', -1n], ['string', 'text'], ['empty string', ''], ['surrogate', '\ud800'],
  ['10 MB string', 'x'.repeat(10 * 1024 * 1024)], ['array', [1, 'a', null]], ['object', { a: 1 }],
  ['null prototype', Object.create(null)], ['cyclic', cyclic], ['3000 deep', deep], ['throwing proxy', throwing],
  ['revoked proxy', revoked.proxy], ['throwing getter', getter], ['symbol', Symbol('s')], ['function', () => 1],
  ['Date', new Date(NaN)], ['bytes', new Uint8Array(3)], ['Map', new Map([[cyclic, deep]])],
];

const path = `/local/bad_input_${Date.now()}`;
const description = new TableDescription().withColumn(new TableColumn('id', 'Uint64')).withPrimaryKey('id');

/**
 * [name, receiver factory, method, good arguments]. Good arguments are harmless: the table they name is
 * created in `before` and holds nothing of value.
 */
function methods() {
  return [
    ['new Driver', null, (_, a) => new Driver(...a), [{ endpoint: server.endpoint, database: '/local' }]],
    ['driver.wait', () => driver, (d, a) => d.wait(...a), [{ timeoutMs: 2000 }]],
    ['driver.querySessionPool', () => driver, (d, a) => d.querySessionPool(...a), [{ size: 1 }]],
    ['new SessionPool', null, (_, a) => new SessionPool(...a), [driver, { size: 1 }]],
    ['new QuerySessionPool', null, (_, a) => new QuerySessionPool(...a), [driver, { size: 1 }]],
    ['pool.acquire', () => tables, (p, a) => p.acquire(...a).then((s) => p.release(s)), [{ timeoutMs: 5000 }]],
    ['pool.release', () => tables, (p, a) => p.release(...a), [undefined]],
    ['pool.retryOperation', () => tables, (p, a) => p.retryOperation(...a), [async () => 1, { maxRetries: 0 }]],
    ['queryPool.executeWithRetries', () => queries, (p, a) => p.executeWithRetries(...a),
      ['DECLARE $id AS Uint64; SELECT $id', { $id: 1n }, { maxRetries: 0 }]],
    ['session.executeQuery', session, (s, a) => s.executeQuery(...a), ['SELECT 1', {}, { timeoutMs: 5000 }]],
    ['session.executeSchemeQuery', session, (s, a) => s.executeSchemeQuery(...a), ['SELECT 1', {}]],
    ['session.prepareQuery', session, (s, a) => s.prepareQuery(...a), ['SELECT 1', {}]],
    ['session.createTable', session, (s, a) => s.createTable(...a), [`${path}_x`, description, {}]],
    ['session.describeTable', session, (s, a) => s.describeTable(...a), [path, {}]],
    ['session.copyTable', session, (s, a) => s.copyTable(...a), [path, `${path}_copy`, {}]],
    ['session.alterTable', session, (s, a) => s.alterTable(...a), [path, { addColumns: [] }, {}]],
    ['session.readTable', session, (s, a) => drain(s.readTable(...a)), [path, { rowLimit: 1 }]],
    ['session.bulkUpsert', session, (s, a) => s.bulkUpsert(...a), [path, [{ id: 1n }], { id: 'Uint64' }, {}]],
    ['session.transaction', session, (s, a) => s.transaction(...a).rollback(), [undefined]],
    ['tx.execute', session, (s, a) => s.transaction().execute(...a), ['SELECT 1', {}, { commitTx: true }]],
    ['querySession.executeQuery', querySession, (s, a) => drain(s.executeQuery(...a)), ['SELECT 1', {}, {}]],
    ['querySession.beginTransaction', querySession, (s, a) => s.beginTransaction(...a).then((id) => s.rollbackTransaction(id)), [undefined]],
    ['querySession.commitTransaction', querySession, (s, a) => s.commitTransaction(...a), ['no-such-tx']],
    ['scheme.listDirectory', () => driver.schemeClient(), (c, a) => c.listDirectory(...a), ['/local']],
    ['scheme.describePath', () => driver.schemeClient(), (c, a) => c.describePath(...a), [path]],
    ['scheme.makeDirectory', () => driver.schemeClient(), (c, a) => c.makeDirectory(...a), [`${path}_dir`]],
    ['scheme.modifyPermissions', () => driver.schemeClient(), (c, a) => c.modifyPermissions(...a),
      [path, new Permissions().grant('someone', ['ydb.generic.read'])]],
    ['tableClient.bulkUpsert', () => driver.tableClient(), (c, a) => c.bulkUpsert(...a), [path, [{ id: 2n }], { id: 'Uint64' }]],
  ];
}

let tables;
let queries;
let tableSession;
let querySessionHandle;
function session() { return tableSession; }
function querySession() { return querySessionHandle; }
async function drain(stream) { for await (const _ of stream); }

test('every public method, every argument replaced by each bad value: an ordinary error or an answer, never a crash', async () => {
  tables = new SessionPool(driver, { size: 2 });
  queries = new QuerySessionPool(driver, { size: 2 });
  tableSession = await tables.acquire();
  querySessionHandle = await queries.acquire();
  await tableSession.createTable(path, description);

  const outcomes = { answered: 0, TypeError: 0, YdbError: 0, callerError: 0 };
  const surprises = [];
  for (const [name, receiver, call, good] of methods()) {
    for (let position = 0; position < good.length; position++) {
      for (const [label, value] of BAD) {
        const args = [...good];
        args[position] = value;
        try {
          await call(receiver?.(), args);
          outcomes.answered++;
        } catch (e) {
          if (e instanceof YdbError && e.status === 'CLIENT_INTERNAL_ERROR' && /crashed/.test(e.message)) {
            surprises.push(`${name} arg ${position} = ${label}: the client crashed: ${e.message}`);
          } else if (e instanceof WebAssembly.RuntimeError || /unsafe aliasing|recursive use/.test(e?.message)) {
            surprises.push(`${name} arg ${position} = ${label}: ${e}`);
          } else if (e instanceof TypeError) {
            outcomes.TypeError++;
          } else if (e instanceof YdbError) {
            outcomes.YdbError++;
          } else if (e instanceof Error && /caller (trap|getter)/.test(e.message)) {
            outcomes.callerError++;
          } else {
            surprises.push(`${name} arg ${position} = ${label}: an unexpected ${e?.constructor?.name}: ${e?.message ?? e}`);
          }
        }
      }
    }
    // The client still works after each method's whole row.
    const [rs] = await queries.executeWithRetries('SELECT 1 AS one');
    assert.deepEqual(rs.rows, [{ one: 1 }], `after ${name}`);
  }
  console.log(`# bad-input table: ${JSON.stringify(outcomes)}`);
  assert.deepEqual(surprises, []);
  assert.ok(outcomes.TypeError > 300, 'most bad arguments are refused before anything is sent');
  tables.release(tableSession);
  queries.release(querySessionHandle);
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(unhandled.map(String), [], 'no promise was left rejected without a handler');
  await tables.stop();
  await queries.stop();
});
