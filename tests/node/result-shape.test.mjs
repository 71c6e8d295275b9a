// Result shape per call: `rowMode: 'array'` gives rows as arrays in column order wherever results are
// read (driver.query, executeWithRetries, the table service's executeQuery and tx.execute, the query
// service's streams and transactions, readTable); `columns` (names and YDB types) is always there; a bad
// option value is a TypeError.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Driver, SessionPool, QuerySessionPool, TypedValue, DecimalType } from 'ydb-wasm';

const endpoint = process.env.YDB_ENDPOINT ?? 'http://127.0.0.1:2136';
const table = `shape_${process.pid}`;
const Q = `SELECT id, name, at FROM ${table} ORDER BY id;`;
const COLUMNS = [
  { name: 'id', type: 'Uint64' },
  { name: 'name', type: 'Optional<Utf8>' },
  { name: 'at', type: 'Optional<Timestamp>' },
];
const ARRAYS = [[1n, 'one', new Date(1_700_000_000_123)], [2n, null, null]];
const OBJECTS = ARRAYS.map(([id, name, at]) => ({ id, name, at }));

let driver;
let tablePool;
let queryPool;
before(async () => {
  driver = new Driver({ endpoint, database: '/local' });
  tablePool = new SessionPool(driver, { size: 1 });
  queryPool = new QuerySessionPool(driver, { size: 1 });
  await driver.query(`CREATE TABLE ${table} (id Uint64 NOT NULL, name Utf8, at Timestamp, PRIMARY KEY (id));`);
  await driver.query(`UPSERT INTO ${table} (id, name, at) VALUES (1, 'one', $at), (2, NULL, NULL);`,
    { $at: new TypedValue(1_700_000_000_123_456n, 'Timestamp') });
});
after(async () => {
  await tablePool?.stop();
  await queryPool?.stop();
  await driver?.stop();
});

/** Every way to read a query's (or the table's) rows, with `opts` as its call settings. */
const READS = {
  'driver.query': (opts) => driver.query(Q, {}, opts),
  'QuerySessionPool.executeWithRetries': (opts) => queryPool.executeWithRetries(Q, {}, opts),
  'Session.executeQuery (table service)': (opts) => tablePool.withSession((s) => s.executeQuery(Q, {}, opts)),
  'TxContext.execute (table service)': (opts) =>
    tablePool.withSession((s) => s.withTransaction((tx) => tx.execute(Q, {}, { commitTx: true, ...opts }))),
  'QuerySession.executeQuery stream': (opts) => queryPool.withSession(async (s) => {
    const parts = [];
    for await (const part of s.executeQuery(Q, {}, opts)) parts.push(part);
    return parts;
  }),
  'QuerySession.executeQuery collected': (opts) => queryPool.withSession((s) => s.executeQuery(Q, {}, opts).collect()),
  'QueryTxContext.execute': (opts) => queryPool.withSession(async (s) => {
    const tx = await s.transaction();
    const sets = await tx.execute(Q, {}, { commitTx: true, ...opts });
    return sets;
  }),
  readTable: (opts) => tablePool.withSession(async (s) => {
    const parts = [];
    for await (const part of s.readTable(table, { ordered: true, ...opts })) parts.push(part);
    return parts;
  }),
};

for (const [how, read] of Object.entries(READS)) {
  test(`${how}: rows as objects by default, as arrays with rowMode 'array', columns always`, async () => {
    const [byName] = await read();
    assert.deepStrictEqual(byName.columns, COLUMNS);
    assert.deepStrictEqual(byName.rows, OBJECTS);
    const [byIndex] = await read({ rowMode: 'array' });
    assert.deepStrictEqual(byIndex.columns, COLUMNS);
    assert.deepStrictEqual(byIndex.rows, ARRAYS);
    const [micros] = await read({ rowMode: 'array', timestamps: 'bigint' });
    assert.deepStrictEqual(micros.rows[0][2], 1_700_000_000_123_456n);
    assert.deepStrictEqual((await read({ rowMode: 'object' }))[0].rows, OBJECTS);
  });
}

test('a bad rowMode or timestamps is a TypeError naming the option and its choices', async () => {
  for (const opts of [{ rowMode: 'arrays' }, { rowMode: 1 }, { timestamps: 'micros' }]) {
    await assert.rejects(
      (async () => READS['driver.query'](opts))(),
      (e) => e instanceof TypeError && /option (rowMode|timestamps) must be/.test(e.message),
      JSON.stringify(opts),
    );
  }
  // A stream's options are checked when it is made.
  await queryPool.withSession(async (s) => {
    assert.throws(() => s.executeQuery(Q, {}, { rowMode: 'x' }), /option rowMode must be 'object' or 'array'/);
  });
});

test('Decimal parameters are exact from a string or a BigInt, and numbers in plain form', async () => {
  const d35 = DecimalType(35, 0);
  const [rs] = await driver.query('SELECT $a AS a, $b AS b, $c AS c, $d AS d;', {
    $a: new TypedValue('12345678901234567890123456789012345', d35),
    $b: new TypedValue(-(10n ** 34n), d35),
    $c: new TypedValue(0.1, DecimalType(22, 9)),
    $d: new TypedValue(123456789, DecimalType(35, 2)),
  });
  assert.deepStrictEqual(rs.rows[0], { a: '12345678901234567890123456789012345', b: `-1${'0'.repeat(34)}`, c: '0.1', d: '123456789' });
  await assert.rejects(driver.query('SELECT $x;', { $x: new TypedValue(1e21, d35) }), TypeError);
});
