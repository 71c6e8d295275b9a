// Every YDB type from JS, and results shaped as you need them: wide dates before 1970 and after 2105,
// a zoned timestamp, a 35-digit decimal, a Variant, a Set, microsecond timestamps as BigInt, and rows as
// arrays with their column metadata.
// Run against a dev server:  YDB_ENDPOINT=http://127.0.0.1:2136 node examples/node/types.mjs
import {
  Driver, QuerySessionPool, TypedValue, PrimitiveType as P, DecimalType, StructType, TupleType, VariantType, SetType,
  TaggedType, sql,
} from 'ydb-wasm';

const driver = new Driver({ endpoint: process.env.YDB_ENDPOINT ?? 'http://localhost:2136', database: '/local' });
const pool = new QuerySessionPool(driver, { size: 1 });
const table = `events_${Date.now()}`;
try {
  await pool.executeWithRetries(sql`CREATE TABLE ${sql.identifier(table)} (
    id Uint64 NOT NULL, born Date32, at Timestamp64, local TzTimestamp, amount Decimal(35,10), PRIMARY KEY (id))`);

  // A Date32 holds days from 144169 BC to 148107 AD; a JS Date names them (year -44 is 45 BC).
  const caesar = new Date(Date.UTC(2000, 2, 15));
  caesar.setUTCFullYear(-43);
  // Timestamp64 from a BigInt is exact to the microsecond; a Date would keep milliseconds only.
  const at = 1_700_000_000_123_456n;
  await pool.executeWithRetries(sql`UPSERT INTO ${sql.identifier(table)} (id, born, at, local, amount) VALUES (
    ${new TypedValue(1n, P.Uint64)},
    ${new TypedValue(caesar, P.Date32)},
    ${new TypedValue(at, P.Timestamp64)},
    ${new TypedValue('2024-05-06T07:08:09.123456,Europe/Berlin', P.TzTimestamp)},
    ${new TypedValue('-1234567890123456789012345.0123456789', DecimalType(35, 10))})`);

  // By default a timestamp reads as a Date (milliseconds); { timestamps: 'bigint' } keeps every microsecond.
  const [[asDates], [exact]] = await Promise.all([
    pool.executeWithRetries(sql`SELECT * FROM ${sql.identifier(table)}`),
    pool.executeWithRetries(sql`SELECT * FROM ${sql.identifier(table)}`, {}, { timestamps: 'bigint' }),
  ]);
  console.log(asDates.rows[0]);
  if (exact.rows[0].at !== at) throw new Error('the microseconds were lost');

  // Rows as arrays, named by the column metadata every result set carries.
  const [wide] = await pool.executeWithRetries(sql`SELECT id, amount FROM ${sql.identifier(table)}`, {}, { rowMode: 'array' });
  console.log(wide.columns.map((c) => `${c.name}: ${c.type}`), wide.rows);

  // Types that are not columns: a Variant ({ name, value } or { index, value }), a Set, a Tagged value.
  const outcome = VariantType(StructType({ ok: P.Uint64, error: P.Utf8 }));
  const pair = VariantType(TupleType(P.Int32, P.Utf8));
  const [special] = await pool.executeWithRetries(
    'DECLARE $r AS ' + outcome + '; DECLARE $p AS ' + pair + '; DECLARE $tags AS ' + SetType(P.Utf8) +
      '; DECLARE $email AS ' + TaggedType(P.Utf8, 'email') + '; SELECT $r AS r, $p AS p, $tags AS tags, $email AS email;',
    {
      $r: new TypedValue({ name: 'error', value: 'card declined' }, outcome),
      $p: new TypedValue({ index: 0, value: 42 }, pair),
      $tags: new TypedValue(new Set(['a', 'b']), SetType(P.Utf8)),
      $email: new TypedValue('ann@example.com', TaggedType(P.Utf8, 'email')),
    });
  console.log(special.rows[0]);
  await pool.executeWithRetries(sql`DROP TABLE ${sql.identifier(table)}`);
} finally {
  await pool.stop();
  await driver.stop();
}
