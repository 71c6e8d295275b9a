// SQL tagged templates: values are declared parameters and never text, names are quoted, fragments
// compose, and templates run through the query service, a query transaction and a table session.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Driver, QuerySessionPool, SessionPool, TypedValue, sql } from 'ydb-wasm';

const endpoint = process.env.YDB_ENDPOINT ?? 'http://127.0.0.1:2136';
const table = `sql_tag_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
let driver;
let queries;
before(async () => {
  driver = new Driver({ endpoint, database: '/local' });
  queries = new QuerySessionPool(driver, { size: 2 });
  await queries.executeWithRetries(sql`CREATE TABLE ${sql.identifier(table)} (id Uint64, note Utf8, at Timestamp, PRIMARY KEY (id))`);
});
after(async () => {
  await queries.executeWithRetries(sql`DROP TABLE ${sql.identifier(table)}`);
  await driver.stop();
});

test('an interpolated string that looks like SQL is stored verbatim', async () => {
  const hostile = "'; DROP TABLE t; --";
  const when = new Date('2024-05-06T07:08:09.123Z');
  await queries.executeWithRetries(sql`UPSERT INTO ${sql.identifier(table)} (id, note, at) VALUES (${1n}, ${hostile}, ${when})`);
  const [rs] = await queries.executeWithRetries(sql`SELECT note, at FROM ${sql.identifier(table)} WHERE id = ${1n}`);
  assert.deepEqual(rs.rows, [{ note: hostile, at: when }]);
});

test('fragments compose, TypedValues state types, extra parameters sit beside the template', async () => {
  await queries.executeWithRetries(sql`UPSERT INTO ${sql.identifier(table)} (id, note) VALUES (${2n}, ${'two'}), (${3n}, ${'three'})`);
  const low = sql`id >= ${new TypedValue(2, 'Uint64')}`;
  const both = sql`${low} AND id <= ${3n}`;
  const [rs] = await queries.executeWithRetries(sql`SELECT id FROM ${sql.identifier(table)} WHERE ${both} ORDER BY id ${sql.unsafe('DESC')}`);
  assert.deepEqual(rs.rows.map((r) => r.id), [3n, 2n]);
  const [withExtra] = await queries.executeWithRetries(
    sql`DECLARE $extra AS Uint64; SELECT id FROM ${sql.identifier(table)} WHERE id = $extra AND note = ${'two'}`,
    { $extra: new TypedValue(2, 'Uint64') },
  );
  assert.deepEqual(withExtra.rows, [{ id: 2n }]);
});

test('templates run in a query transaction and on a table session', async () => {
  const session = await queries.acquire();
  try {
    const tx = await session.transaction();
    await tx.execute(sql`UPSERT INTO ${sql.identifier(table)} (id, note) VALUES (${4n}, ${'in tx'})`);
    const [rs] = await tx.execute(sql`SELECT note FROM ${sql.identifier(table)} WHERE id = ${4n}`, {}, { commitTx: true });
    assert.deepEqual(rs.rows, [{ note: 'in tx' }]);
  } finally {
    queries.release(session);
  }
  const tables = new SessionPool(driver, { size: 1 });
  const rows = await tables.withSession(async (s) => {
    const [rs] = await s.executeQuery(sql`SELECT note FROM ${sql.identifier(table)} WHERE id = ${4n}`);
    const tx = s.transaction();
    await tx.execute(sql`UPSERT INTO ${sql.identifier(table)} (id, note) VALUES (${5n}, ${'table tx'})`, {}, { commitTx: true });
    return rs.rows;
  });
  assert.deepEqual(rows, [{ note: 'in tx' }]);
  await tables.stop();
});

test('misuse is a TypeError', async () => {
  assert.throws(() => sql('SELECT 1'), TypeError);
  assert.throws(() => sql.identifier(42), TypeError);
  await assert.rejects(queries.executeWithRetries(sql`SELECT * FROM ${sql.identifier('a`b')}`), TypeError);
  await assert.rejects(queries.executeWithRetries(sql`SELECT ${'x'}`, { $p0: 'clash' }), /also a value/);
  const cyclic = {};
  cyclic.self = cyclic;
  await assert.rejects(queries.executeWithRetries(sql`SELECT ${cyclic}`), /a cycle/);
  let nested = sql`1`;
  for (let i = 0; i < 100; i++) nested = sql`(${nested})`;
  await assert.rejects(queries.executeWithRetries(sql`SELECT ${nested}`), /nest deeper/);
});
