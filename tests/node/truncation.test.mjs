// No silently lost rows: a table-service result cut at the server's row limit (1,000 rows, as YDB caps
// ExecuteDataQuery by default) rejects with TruncatedResultError unless the caller accepts a part, per
// call or per pool; readTable and the query service read every row.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  Driver, SessionPool, QuerySessionPool, TableDescription, TableColumn, TruncatedResultError, YdbError,
} from 'ydb-wasm';

const endpoint = process.env.YDB_ENDPOINT ?? 'http://127.0.0.1:2136';
const table = `truncation_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
let driver;
let tables;
before(async () => {
  driver = new Driver({ endpoint, database: '/local' });
  tables = new SessionPool(driver, { size: 2 });
  await tables.withSession(async (s) => {
    await s.createTable(table, new TableDescription().withColumn(new TableColumn('id', 'Uint64')).withPrimaryKey('id'));
    await s.bulkUpsert(table, Array.from({ length: 1500 }, (_, i) => ({ id: BigInt(i) })), { id: 'Uint64' });
  });
});
after(async () => {
  await tables.withSession((s) => s.dropTable(table));
  await driver.stop();
});

test('a 1,500-row table-service read rejects with TruncatedResultError saying how to read the rest', async () => {
  await tables.withSession(async (s) => {
    await assert.rejects(s.executeQuery(`SELECT id FROM ${table}`), (e) => {
      assert.ok(e instanceof TruncatedResultError && e instanceof YdbError, `${e}`);
      assert.equal(e.status, 'TRUNCATED_RESULT');
      assert.equal(e.retryable, false);
      assert.match(e.message, /cut at 1000 rows/);
      assert.match(e.message, /readTable/);
      assert.match(e.message, /allowTruncated/);
      return true;
    });
    // In an interactive transaction too; the transaction itself stays usable.
    const tx = s.transaction();
    await assert.rejects(tx.execute(`SELECT id FROM ${table}`), TruncatedResultError);
    const [few] = await tx.execute(`SELECT id FROM ${table} WHERE id < 10`, {}, { commitTx: true });
    assert.equal(few.rows.length, 10);
  });
});

test('allowTruncated takes the first rows, per call and per pool', async () => {
  await tables.withSession(async (s) => {
    const [part] = await s.executeQuery(`SELECT id FROM ${table}`, {}, { allowTruncated: true });
    assert.equal(part.rows.length, 1000);
    assert.equal(part.truncated, true);
    const tx = s.transaction();
    const [inTx] = await tx.execute(`SELECT id FROM ${table}`, {}, { commitTx: true, allowTruncated: true });
    assert.equal(inTx.rows.length, 1000);
  });
  const lenient = new SessionPool(driver, { size: 1, allowTruncated: true });
  const [part] = await lenient.withSession((s) => s.executeQuery(`SELECT id FROM ${table}`));
  assert.equal(part.truncated, true);
  // A call can still insist.
  await assert.rejects(lenient.withSession((s) => s.executeQuery(`SELECT id FROM ${table}`, {}, { allowTruncated: false })), TruncatedResultError);
  await lenient.stop();
});

test('readTable and the query service read all 1,500 rows', async () => {
  const rows = await tables.withSession(async (s) => {
    let n = 0;
    for await (const part of s.readTable(table)) n += part.rows.length;
    return n;
  });
  assert.equal(rows, 1500);
  const queries = new QuerySessionPool(driver, { size: 1 });
  const [all] = await queries.executeWithRetries(`SELECT id FROM ${table}`);
  assert.equal(all.rows.length, 1500);
  assert.equal(all.truncated, false);
  await queries.stop();
});
