// The issue's acceptance: a table with one column of every storable YDB type is written with parameters
// (through the table service, the query service and bulkUpsert) and read back through the table service,
// the query service and readTable, value by value — edge values included: wide dates before 1970 and
// after 2105, 35-digit decimals, microsecond timestamps, a time zone name. Then the types that cannot be
// columns (Variant, Tagged, Set, Void, Null, EmptyList, EmptyDict, nested Optionals) as parameters
// round-tripped through `SELECT $p`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  Driver, SessionPool, QuerySessionPool, TypedValue, PrimitiveType as P, DecimalType, OptionalType, StructType,
  TupleType, VariantType, TaggedType, SetType, ListType, sql,
} from 'ydb-wasm';

const endpoint = process.env.YDB_ENDPOINT ?? 'http://127.0.0.1:2136';
const table = `every_type_${process.pid}`;
let driver;
let tablePool;
let queryPool;

const bytes = (s) => new TextEncoder().encode(s);
const at = (...utc) => new Date(Date.UTC(...utc));
/** A Date for a year Date.UTC would read as 19xx (0..99) or any other. */
const year = (y, m = 0, d = 1, h = 0, mi = 0, s = 0, ms = 0) => {
  const date = at(2000, m, d, h, mi, s, ms);
  date.setUTCFullYear(y);
  return date;
};

/** Column name, type, and for each of two rows the value written (reads give the same back). */
const COLUMNS = [
  ['c_bool', P.Bool, [true, false]],
  ['c_int8', P.Int8, [-128, 127]],
  ['c_uint8', P.Uint8, [0, 255]],
  ['c_int16', P.Int16, [-32768, 32767]],
  ['c_uint16', P.Uint16, [0, 65535]],
  ['c_int32', P.Int32, [-2147483648, 2147483647]],
  ['c_uint32', P.Uint32, [0, 4294967295]],
  ['c_int64', P.Int64, [-(2n ** 63n), 2n ** 63n - 1n]],
  ['c_uint64', P.Uint64, [0n, 2n ** 64n - 1n]],
  ['c_float', P.Float, [-1.5, 3.4028234663852886e38]],
  ['c_double', P.Double, [Number.MIN_VALUE, -Number.MAX_VALUE]],
  ['c_date', P.Date, [at(1970, 0, 1), at(2105, 11, 31)]],
  ['c_datetime', P.Datetime, [at(1970, 0, 1, 0, 0, 1), at(2105, 11, 31, 23, 59, 59)]],
  // Timestamps are read with { timestamps: 'bigint' }: microseconds, exactly.
  ['c_timestamp', P.Timestamp, [1n, 4291747199999999n]],
  ['c_interval', P.Interval, [-4291747199999999n, 1n]],
  ['c_date32', P.Date32, [year(-144168, 0, 1), year(148107, 11, 31)]],
  ['c_datetime64', P.Datetime64, [year(1066, 9, 14, 9, 0, 1), year(2500, 5, 30, 23, 59, 59)]],
  ['c_timestamp64', P.Timestamp64, [-4611669897600000000n, 4611669811199999999n]],
  ['c_interval64', P.Interval64, [-9223339708799999999n, 123456789n]],
  ['c_tzdate', P.TzDate, ['1901-02-03,Europe/Berlin', '2200-12-31,America/Los_Angeles']],
  ['c_tzdatetime', P.TzDatetime, ['1969-07-20T20:17:40,America/New_York', '2024-05-06T07:08:09,UTC']],
  ['c_tztimestamp', P.TzTimestamp, ['1969-07-20T20:17:40.123456,Asia/Tokyo', '2024-05-06T07:08:09.000001,Europe/Moscow']],
  ['c_dynumber', P.DyNumber, ['-1.5e-100', '12345678901234567890']],
  ['c_string', P.String, [bytes(''), new Uint8Array([0, 255, 1, 128])]],
  ['c_utf8', P.Utf8, ["'; DROP TABLE t; --", 'ü€😀']],
  ['c_yson', P.Yson, [bytes('{a=1;b=[x;y]}'), bytes('#')]],
  ['c_json', P.Json, ['{"a":[1,2]}', '[]']],
  ['c_jsondocument', P.JsonDocument, ['{"b":null}', '"x"']],
  ['c_uuid', P.Uuid, ['00000000-0000-0000-0000-000000000000', '123e4567-e89b-12d3-a456-426614174000']],
  ['c_decimal', DecimalType(35, 10), ['-9999999999999999999999999.9999999999', '0.0000000001']],
  ['c_decimal0', DecimalType(35, 0), ['99999999999999999999999999999999999', '-1']],
];

/** The rows each write path stores: ids `base + 1` and `base + 2`. */
function rows(base) {
  return [0, 1].map((i) => Object.fromEntries([
    ['id', base + i + 1],
    ...COLUMNS.map(([name, , values]) => [name, values[i]]),
  ]));
}


before(async () => {
  driver = new Driver({ endpoint, database: '/local' });
  tablePool = new SessionPool(driver, { size: 1 });
  queryPool = new QuerySessionPool(driver, { size: 1 });
  const columns = COLUMNS.map(([name, type]) => `${name} ${type}`).join(', ');
  await tablePool.withSession((s) =>
    s.executeSchemeQuery(`CREATE TABLE ${table} (id Int32 NOT NULL, ${columns}, PRIMARY KEY (id))`));

  const names = COLUMNS.map(([name]) => name);
  const declares = COLUMNS.map(([name, type]) => `DECLARE $${name} AS ${type};`).join(' ');
  const upsert = `${declares} DECLARE $id AS Int32;
    UPSERT INTO ${table} (id, ${names.join(', ')}) VALUES ($id, ${names.map((n) => `$${n}`).join(', ')});`;
  // The table service, with every parameter a TypedValue.
  for (const row of rows(0)) {
    const params = Object.fromEntries([
      ['$id', new TypedValue(row.id, P.Int32)],
      ...COLUMNS.map(([name, type]) => [`$${name}`, new TypedValue(row[name], type)]),
    ]);
    await tablePool.withSession((s) => s.executeQuery(upsert, params));
  }
  // The query service, with plain values typed by the query's DECLAREs.
  for (const row of rows(10)) {
    const params = Object.fromEntries(Object.entries(row).map(([k, v]) => [`$${k}`, v]));
    await queryPool.executeWithRetries(upsert, params);
  }
  // BulkUpsert, typed by its column types.
  const types = Object.fromEntries([['id', P.Int32], ...COLUMNS.map(([name, type]) => [name, type])]);
  await driver.tableClient().bulkUpsert(table, rows(20), types);
});
after(async () => {
  await tablePool?.stop();
  await queryPool?.stop();
  await driver?.stop();
});

const all = [...rows(0), ...rows(10), ...rows(20)];

function compare(got, how) {
  assert.equal(got.length, all.length, `${how}: row count`);
  for (const [i, want] of all.entries()) {
    for (const [name, value] of Object.entries(want)) {
      assert.deepStrictEqual(got[i][name], value, `${how}: row ${want.id}, ${name}`);
    }
  }
}

test('every column type reads back exactly through the table service', async () => {
  const [rs] = await tablePool.withSession((s) =>
    s.executeQuery(`SELECT * FROM ${table} ORDER BY id;`, {}, { timestamps: 'bigint' }));
  const types = Object.fromEntries(rs.columns.map((c) => [c.name, c.type]));
  for (const [name, type] of COLUMNS) assert.equal(types[name], `Optional<${type}>`, name);
  compare(rs.rows, 'table service');
});

test('every column type reads back exactly through the query service', async () => {
  const [rs] = await queryPool.executeWithRetries(`SELECT * FROM ${table} ORDER BY id;`, {}, { timestamps: 'bigint' });
  compare(rs.rows, 'query service');
  // The streamed form gives the same.
  const streamed = [];
  await queryPool.withSession(async (s) => {
    for await (const part of s.executeQuery(`SELECT * FROM ${table} ORDER BY id;`, {}, { timestamps: 'bigint' })) {
      streamed.push(...part.rows);
    }
  });
  compare(streamed, 'query service stream');
});

test('every column type reads back exactly through readTable', async () => {
  const got = [];
  await tablePool.withSession(async (s) => {
    for await (const part of s.readTable(table, { ordered: true, timestamps: 'bigint' })) got.push(...part.rows);
  });
  compare(got, 'readTable');
});

test('timestamps default to Dates (milliseconds) and are exact as BigInt microseconds on request', async () => {
  const q = `SELECT c_timestamp, c_timestamp64 FROM ${table} WHERE id = 1;`;
  const [[asDates], [asMicros]] = await Promise.all([
    queryPool.executeWithRetries(q),
    queryPool.executeWithRetries(q, {}, { timestamps: 'bigint' }),
  ]);
  assert.deepStrictEqual(asDates.rows[0], { c_timestamp: new Date(0), c_timestamp64: year(-144168, 0, 1) });
  assert.deepStrictEqual(asMicros.rows[0], { c_timestamp: 1n, c_timestamp64: -4611669897600000000n });
  // A microsecond timestamp written as a BigInt reads back as the same BigInt, and as its millisecond Date.
  const micros = 1_700_000_000_123_456n;
  const [rs] = await queryPool.executeWithRetries('DECLARE $t AS Timestamp64; SELECT $t AS t, $t AS u;', {
    $t: new TypedValue(micros, P.Timestamp64),
  }, { timestamps: 'bigint' });
  assert.equal(rs.rows[0].t, micros);
  await assert.rejects(
    queryPool.executeWithRetries('SELECT 1;', {}, { timestamps: 'micros' }),
    (e) => e instanceof TypeError && /timestamps must be 'date' or 'bigint'/.test(e.message),
  );
});

test('wide types out of their range are refused before sending', async () => {
  await assert.rejects(
    queryPool.executeWithRetries('DECLARE $d AS Date32; SELECT $d;', { $d: new TypedValue(year(-144169), P.Date32) }),
    (e) => e instanceof TypeError && /-144168-01-01 to 148107-12-31/.test(e.message),
  );
  await assert.rejects(
    queryPool.executeWithRetries('SELECT 1;', { $d: new TypedValue('1e40', DecimalType(35, 0)) }),
    TypeError,
  );
});

/** Non-column types as parameters, and what `SELECT $p` gives back. */
const PARAMETERS = [
  [VariantType(StructType({ ok: P.Int32, error: P.Utf8 })), { name: 'error', value: 'boom' }, { index: 1, name: 'error', value: 'boom' }],
  [VariantType(StructType({ ok: P.Int32, error: P.Utf8 })), { index: 0, value: 7 }, { index: 0, name: 'ok', value: 7 }],
  [VariantType(TupleType(P.Utf8, P.Timestamp64)), { index: 1, value: -1n }, { index: 1, name: 1, value: -1n }],
  [TaggedType(P.Utf8, 'email'), 'a@b.c', 'a@b.c'],
  [SetType(P.Utf8), new Set(['a', 'b']), new Set(['a', 'b'])],
  [SetType(DecimalType(35, 2)), new Set(), new Set()],
  ['Void', null, null],
  ['Null', null, null],
  ['EmptyList', [], []],
  ['EmptyDict', new Map(), new Map()],
  [OptionalType(OptionalType(P.Int32)), null, null],
  [ListType(OptionalType(VariantType(TupleType(P.Date32, P.TzDate)))),
    [null, { index: 0, value: year(-5, 0, 1) }, { index: 1, value: '2024-01-01,Europe/Paris' }],
    [null, { index: 0, name: 0, value: year(-5, 0, 1) }, { index: 1, name: 1, value: '2024-01-01,Europe/Paris' }]],
];

test('Variant, Tagged, Set, Void, Null, EmptyList and EmptyDict round-trip as parameters', async () => {
  for (const [type, value, back] of PARAMETERS) {
    const [rs] = await queryPool.executeWithRetries(`DECLARE $p AS ${type}; SELECT $p AS p;`,
      { $p: new TypedValue(value, type) }, { timestamps: 'bigint' });
    assert.deepStrictEqual(rs.rows[0].p, back, type);
  }
  // A plain JS Set is inferred as a Set of its values' type.
  const [rs] = await queryPool.executeWithRetries('SELECT $s AS s;', { $s: new Set([1, 2]) });
  assert.equal(rs.columns[0].type, 'Dict<Int32,Void>');
  assert.deepStrictEqual(rs.rows[0].s, new Set([1, 2]));
  // In a tagged template each becomes a DECLAREd parameter of its type's YQL spelling.
  const outcome = VariantType(StructType({ ok: P.Int32, error: P.Utf8 }));
  const [t] = await queryPool.executeWithRetries(sql`SELECT ${new Set(['x'])} AS s,
    ${new TypedValue({ name: 'ok', value: 1 }, outcome)} AS v, ${new TypedValue('a', TaggedType(P.Utf8, 'tag'))} AS g`);
  assert.deepStrictEqual(t.columns.map((c) => c.type), ['Dict<Utf8,Void>', 'Variant<ok:Int32,error:Utf8>', "Tagged<Utf8,'tag'>"]);
  assert.deepStrictEqual(t.rows[0], { s: new Set(['x']), v: { index: 0, name: 'ok', value: 1 }, g: 'a' });
});

test('bad Variant and Set parameters are TypeErrors naming the parameter', async () => {
  const v = VariantType(StructType({ ok: P.Int32 }));
  for (const [value, why] of [
    [{ name: 'nope', value: 1 }, /no alternative named "nope"/],
    [{ index: 3, value: 1 }, /index must be a whole number below 1/],
    [{ value: 1 }, /expected \{ name, value \} or \{ index, value \}/],
    [{ name: 'ok', index: 1, value: 1 }, /index must be a whole number below 1/],
    [{ name: 'ok', value: 'x' }, /\$p\.value/],
  ]) {
    await assert.rejects(queryPool.executeWithRetries('SELECT 1;', { $p: new TypedValue(value, v) }),
      (e) => e instanceof TypeError && why.test(e.message) && e.message.includes('$p'), String(why));
  }
  await assert.rejects(queryPool.executeWithRetries('SELECT 1;', { $p: new Set() }), /empty Set/);
  await assert.rejects(queryPool.executeWithRetries('SELECT 1;', { $p: new TypedValue([1], 'EmptyList') }), /empty array/);
  assert.throws(() => VariantType(P.Int32), TypeError);
  assert.throws(() => TaggedType(P.Int32, "it's"), TypeError);
});
