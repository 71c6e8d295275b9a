// The ydb.aio surface beyond the basics: prepared queries, query-service transactions, checkout,
// table schema operations, bulk upsert, read table and the scheme client.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  Driver, SessionPool, QuerySessionPool, TypedValue, PrimitiveType as P, TableDescription, TableColumn, TableIndex,
  DataQuery, Permissions, SchemeError, TupleType, OnlineReadOnly,
} from 'ydb-wasm';

const endpoint = process.env.YDB_ENDPOINT ?? 'http://127.0.0.1:2136';
const unique = (p) => `${p}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
const dispose = Symbol.asyncDispose ?? Symbol.for('Symbol.asyncDispose');
let driver;
let tables;
let queries;

before(async () => {
  driver = new Driver({ endpoint, database: '/local' });
  tables = new SessionPool(driver, { size: 3 });
  queries = new QuerySessionPool(driver, { size: 3 });
});
after(async () => {
  await tables.stop();
  await queries.stop();
  await driver.stop();
});

test('prepareQuery gives a DataQuery whose declared types type plain parameters', async () => {
  const table = unique('prepared');
  await queries.executeWithRetries(`CREATE TABLE ${table} (id Uint64, name Utf8, PRIMARY KEY (id))`);
  await tables.retryOperation(async (session) => {
    const upsert = await session.prepareQuery(
      `DECLARE $id AS Uint64; DECLARE $name AS Utf8; UPSERT INTO ${table} (id, name) VALUES ($id, $name);`);
    assert.ok(upsert instanceof DataQuery);
    assert.deepEqual(upsert.parameterTypes, { $id: 'Uint64', $name: 'Utf8' });
    // A plain number becomes Uint64 because the query declares it so.
    await session.withTransaction(async (tx) => {
      await tx.execute(upsert, { $id: 1, $name: 'one' });
      await tx.execute(upsert, { $id: 2n, $name: 'two' });
    });
    const select = await session.prepareQuery(`DECLARE $id AS Uint64; SELECT name FROM ${table} WHERE id = $id;`);
    const [rs] = await session.executeQuery(select, { $id: 2 });
    assert.deepEqual(rs.rows, [{ name: 'two' }]);
  });
  await queries.executeWithRetries(`DROP TABLE ${table}`);
});

test('a query-service transaction commits; a rolled-back one leaves nothing', async () => {
  const table = unique('qtx');
  await queries.executeWithRetries(`CREATE TABLE ${table} (id Int32, v Utf8, PRIMARY KEY (id))`);
  await queries.retryOperation(async (session) => {
    const tx = await session.transaction();
    await tx.execute(`UPSERT INTO ${table} (id, v) VALUES (1, "kept"u)`);
    assert.ok(tx.txId, 'the first statement began the transaction');
    const sets = await tx.execute(`SELECT v FROM ${table} WHERE id = 1`);
    assert.deepEqual(sets[0].rows, [{ v: 'kept' }], 'the transaction sees its own write');
    await tx.commit();

    const doomed = await session.transaction();
    for await (const _ of doomed.execute(`UPSERT INTO ${table} (id, v) VALUES (2, "gone"u)`)) { /* streamed */ }
    await doomed.rollback();
  });
  const [rs] = await queries.executeWithRetries(`SELECT id, v FROM ${table} ORDER BY id`);
  assert.deepEqual(rs.rows, [{ id: 1, v: 'kept' }]);
  await queries.executeWithRetries(`DROP TABLE ${table}`);
});

test('checkout hands out a session that returns to the pool when disposed', async () => {
  const session = await tables.checkout();
  const idleBefore = tables.idleSessions;
  const [rs] = await session.executeQuery('SELECT 1 AS one');
  assert.equal(rs.rows[0].one, 1);
  await session[dispose]();
  assert.equal(tables.idleSessions, idleBefore + 1);
});

test('createTable, describeTable, alterTable, copyTable and dropTable', async () => {
  const name = unique('schema');
  await tables.retryOperation(async (session) => {
    await session.createTable(name, new TableDescription()
      .withColumns(new TableColumn('id', P.Uint64, { notNull: true }), new TableColumn('title', P.Utf8),
        new TableColumn('score', P.Double))
      .withPrimaryKey('id')
      .withIndex(new TableIndex('by_title').withIndexColumns('title')));
    const d = await session.describeTable(name);
    assert.ok(d instanceof TableDescription);
    assert.deepEqual(d.primaryKey, ['id']);
    assert.deepEqual(d.columns.map((c) => [c.name, c.type]),
      [['id', 'Uint64'], ['title', 'Optional<Utf8>'], ['score', 'Optional<Double>']]);
    assert.deepEqual(d.indexes.map((i) => [i.name, i.indexColumns]), [['by_title', ['title']]]);

    await session.alterTable(name, { addColumns: [new TableColumn('extra', P.Int32)], dropColumns: ['score'] });
    const altered = await session.describeTable(name);
    assert.deepEqual(altered.columns.map((c) => c.name), ['id', 'title', 'extra']);

    await session.executeQuery(`UPSERT INTO ${name} (id, title) VALUES (1ul, "a"u)`);
    await session.copyTable(name, `${name}_copy`);
    const [copied] = await session.executeQuery(`SELECT title FROM ${name}_copy`);
    assert.deepEqual(copied.rows, [{ title: 'a' }]);
    await session.dropTable(`${name}_copy`);
    await session.dropTable(name);
    await assert.rejects(session.describeTable(name), (e) => e instanceof SchemeError);
  });
});

test('bulkUpsert with column types, then readTable streams key ranges', async () => {
  const name = unique('bulk');
  await queries.executeWithRetries(`CREATE TABLE ${name} (id Uint64, name Utf8, PRIMARY KEY (id))`);
  const rows = Array.from({ length: 3000 }, (_, i) => ({ id: BigInt(i), name: `user ${i}` }));
  await driver.tableClient().bulkUpsert(name, rows, { id: P.Uint64, name: P.Utf8 });
  await tables.retryOperation(async (session) => {
    let seen = 0;
    for await (const part of session.readTable(name, { ordered: true })) {
      for (const row of part.rows) assert.equal(row.id, BigInt(seen++));
    }
    assert.equal(seen, 3000);
    const some = [];
    const range = {
      greaterOrEqual: new TypedValue([100n], TupleType(P.Uint64)),
      less: new TypedValue([110n], TupleType(P.Uint64)),
    };
    for await (const part of session.readTable(name, { keyRange: range, columns: ['name'], ordered: true })) {
      some.push(...part.rows);
    }
    assert.deepEqual(some.map((r) => r.name), Array.from({ length: 10 }, (_, i) => `user ${100 + i}`));
    let limited = 0;
    for await (const part of session.readTable(name, { rowLimit: 5 })) limited += part.rows.length;
    assert.equal(limited, 5);
  });
  await queries.executeWithRetries(`DROP TABLE ${name}`);
});

test('scheme client: directories, listing, describe, permissions', async () => {
  const scheme = driver.schemeClient();
  const dir = unique('dir');
  await scheme.makeDirectory(dir);
  await scheme.makeDirectory(`${dir}/inner`);
  await queries.executeWithRetries(`CREATE TABLE \`${dir}/t\` (id Int32, PRIMARY KEY (id))`);
  const listing = await scheme.listDirectory(dir);
  assert.equal(listing.type, 'DIRECTORY');
  assert.deepEqual(listing.children.map((c) => [c.name, c.type]).sort(), [['inner', 'DIRECTORY'], ['t', 'TABLE']]);
  assert.equal((await scheme.describePath(`${dir}/t`)).type, 'TABLE');
  await scheme.modifyPermissions(dir, new Permissions().grant('alice@builtin', ['ydb.generic.read']));
  const described = await scheme.describePath(dir);
  assert.deepEqual(described.permissions, [{ subject: 'alice@builtin', permissionNames: ['ydb.generic.read'] }]);
  await assert.rejects(scheme.removeDirectory(dir), (e) => e.status !== undefined, 'a directory with children stays');
  await queries.executeWithRetries(`DROP TABLE \`${dir}/t\``);
  await scheme.removeDirectory(`${dir}/inner`);
  await scheme.removeDirectory(dir);
  await assert.rejects(scheme.describePath(dir), (e) => e instanceof SchemeError);
});

test('read-only transaction modes are accepted', async () => {
  await tables.retryOperation(async (session) => {
    const sets = await session.withTransaction((tx) => tx.execute('SELECT 1 AS one', {}, { commitTx: true }), new OnlineReadOnly());
    assert.equal(sets[0].rows[0].one, 1);
  });
});
