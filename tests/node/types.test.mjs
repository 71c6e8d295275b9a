// Every type of API.md's mapping table goes in as a parameter and comes back equal, edge values
// included (run against the dev server the test command started; YDB_ENDPOINT is its gRPC-web URL).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  Driver, QuerySessionPool, TypedValue, PrimitiveType as P, OptionalType, ListType, TupleType, StructType, DictType,
  DecimalType,
} from 'ydb-wasm';

const endpoint = process.env.YDB_ENDPOINT ?? 'http://127.0.0.1:2136';
let driver;
let pool;
before(async () => {
  driver = new Driver({ endpoint, database: '/local' });
  pool = new QuerySessionPool(driver, { size: 2 });
});
after(async () => {
  await pool.stop();
  await driver.stop();
});

async function roundTrip(type, value) {
  const [rs] = await pool.executeWithRetries(`DECLARE $v AS ${type}; SELECT $v AS v;`, { $v: new TypedValue(value, type) });
  assert.equal(rs.columns[0].type, type, `column type of ${type}`);
  return rs.rows[0].v;
}

const cases = [
  [P.Bool, [true, false]],
  [P.Int8, [-128, 127]],
  [P.Uint8, [0, 255]],
  [P.Int16, [-32768, 32767]],
  [P.Uint16, [0, 65535]],
  [P.Int32, [-2147483648, 2147483647]],
  [P.Uint32, [0, 4294967295]],
  [P.Int64, [-(2n ** 63n), 2n ** 63n - 1n, 0n]],
  [P.Uint64, [0n, 2n ** 64n - 1n]],
  [P.Float, [1.5, -0.25]],
  [P.Double, [Math.PI, -1e308, 0]],
  [P.Utf8, ['', 'héllo, мир, 世界 🌍', '\uFEFFa leading byte-order mark is kept']],
  [P.String, [new Uint8Array([]), new Uint8Array([0, 1, 127, 128, 255])]],
  [P.Json, ['{"a":[1,2,{"b":null}]}']],
  [P.JsonDocument, ['{"a":1}']],
  [P.Uuid, ['6e73b41c-4ede-4d08-9cfb-b7462d9e498b', '00000000-0000-0000-0000-000000000000']],
  [P.Date, [new Date('1970-01-01T00:00:00Z'), new Date('2105-12-31T00:00:00Z')]],
  [P.Datetime, [new Date('1970-01-01T00:00:00Z'), new Date('2105-12-31T23:59:59Z')]],
  [P.Timestamp, [new Date('1970-01-01T00:00:00.001Z'), new Date('2105-12-31T23:59:59.999Z')]],
  [P.Interval, [0n, -86400000000n, 1234567n]],
  [DecimalType(22, 9), ['0', '-1.5', '1234567890123.123456789', '-9999999999999.999999999']],
];

for (const [type, values] of cases) {
  test(`${type} round-trips`, async () => {
    for (const value of values) {
      const back = await roundTrip(type, value);
      if (value instanceof Date) assert.equal(back.getTime(), value.getTime(), `${type} ${value.toISOString()}`);
      else assert.deepEqual(back, value, `${type} ${String(value)}`);
    }
  });
}

test('NaN and infinities survive as Double', async () => {
  assert.ok(Number.isNaN(await roundTrip(P.Double, NaN)));
  assert.equal(await roundTrip(P.Double, Infinity), Infinity);
});

test('Optional: null, a value, and Optional of Optional', async () => {
  assert.equal(await roundTrip(OptionalType(P.Utf8), null), null);
  assert.equal(await roundTrip(OptionalType(P.Utf8), 'x'), 'x');
  assert.equal(await roundTrip(OptionalType(OptionalType(P.Int32)), null), null);
  assert.equal(await roundTrip(OptionalType(OptionalType(P.Int32)), 7), 7);
});

test('nested containers: List, Tuple, Struct, Dict', async () => {
  const listType = ListType(StructType({ id: P.Uint64, tags: ListType(P.Utf8), at: OptionalType(P.Timestamp) }));
  const list = [
    { id: 1n, tags: ['a', 'b'], at: null },
    { id: 2n, tags: [], at: new Date('2024-01-01T00:00:00Z') },
  ];
  assert.deepEqual(await roundTrip(listType, list), list);
  assert.deepEqual(await roundTrip(TupleType(P.Int32, P.Utf8, P.Bool), [1, 'two', true]), [1, 'two', true]);
  const dict = new Map([['a', 1n], ['b', 2n]]);
  const back = await roundTrip(DictType(P.Utf8, P.Int64), dict);
  assert.ok(back instanceof Map);
  assert.deepEqual([...back.entries()].sort(), [...dict.entries()].sort());
});

test('values outside their type are TypeErrors naming the parameter', async () => {
  const bad = [
    [P.Uint8, 256], [P.Int8, -129], [P.Uint64, -1n], [P.Uint64, 2n ** 64n], [P.Int64, 2n ** 63n],
    [P.Int32, 1.5], [P.Date, new Date('1969-12-31T00:00:00Z')], [P.Uuid, 'not-a-uuid'],
    [DecimalType(22, 9), '1e400'], [P.Utf8, 5], [P.Bool, 'true'],
  ];
  for (const [type, value] of bad) {
    await assert.rejects(roundTrip(type, value), (e) => e instanceof TypeError && e.message.includes('$v'),
      `${type} ${String(value)}`);
  }
});
