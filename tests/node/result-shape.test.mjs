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

test('a result of many parts reads every row: each kind of column, its nulls, both row modes', async () => {
  // Several thousand rows, so the answer streams in several parts, of every kind of column that goes to
  // JS as a flat array (js/rows.js), optional and not, with nulls between values; and a container column.
  const big = `shape_many_${process.pid}`;
  const types = {
    id: 'Uint64', b: 'Bool', i: 'Int32', n: 'Int64', f: 'Double', s: 'Utf8', bytes: 'String', day: 'Date',
    sec: 'Datetime', at: 'Timestamp', u: 'Uuid', dec: 'Decimal(22,9)',
  };
  const columns = Object.entries(types).map(([name, type]) => `${name} ${type}${name === 'id' ? ' NOT NULL' : ''}`);
  await driver.query(`CREATE TABLE ${big} (${columns.join(', ')}, PRIMARY KEY (id));`);
  const row = (k) => {
    const i = Number(k);
    if (i % 3 === 1) return { id: k, b: null, i: null, n: null, f: null, s: null, bytes: null, day: null, sec: null, at: null, u: null, dec: null };
    return {
      id: k, b: i % 2 === 0, i: 1000 - i, n: -(k * 1_000_000_007n), f: i / 7, s: `${'é'.repeat(i % 5)}row ${i}`,
      bytes: new Uint8Array([i & 255, 0, 255]), day: new Date(Date.UTC(2000, 0, 1 + (i % 1000))),
      sec: new Date(1_600_000_000_000 + i * 1000), at: new Date(1_700_000_000_000 + i),
      u: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, dec: `${i}.5`,
    };
  };
  const rows = Array.from({ length: 6000 }, (_, i) => row(BigInt(i)));
  const optional = Object.fromEntries(Object.entries(types).map(([k, t]) => [k, k === 'id' ? t : `Optional<${t}>`]));
  await driver.tableClient().bulkUpsert(big, rows, optional);
  try {
    const [byName] = await driver.query(`SELECT ${Object.keys(types).join(', ')}, AsList(id, id) AS pair FROM ${big} ORDER BY id;`);
    assert.equal(byName.rows.length, rows.length);
    for (const [i, got] of byName.rows.entries()) {
      assert.deepStrictEqual(got, { ...rows[i], pair: [rows[i].id, rows[i].id] }, `row ${i}`);
    }
    const [byIndex] = await driver.query(`SELECT id, s, at FROM ${big} ORDER BY id;`, {}, { rowMode: 'array', timestamps: 'bigint' });
    assert.deepStrictEqual(byIndex.rows[2], [2n, 'éérow 2', 1_700_000_000_002_000n]);
    assert.deepStrictEqual(byIndex.rows[1], [1n, null, null]);
    // A stream gives the same rows part by part.
    const streamed = await queryPool.withSession(async (s) => {
      const parts = [];
      for await (const part of s.executeQuery(`SELECT ${Object.keys(types).join(', ')} FROM ${big} ORDER BY id;`)) parts.push(part);
      return parts;
    });
    assert.ok(streamed.length > 1, `expected several parts, got ${streamed.length}`);
    assert.deepStrictEqual(streamed.flatMap((p) => p.rows), rows);
  } finally {
    await driver.query(`DROP TABLE ${big};`);
  }
});
