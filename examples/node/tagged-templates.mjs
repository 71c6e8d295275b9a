// SQL as tagged templates, connection strings and truncated results: every interpolated value is a
// declared parameter (never query text), names go through sql.identifier, and a table-service result
// cut at the row limit is an error you can opt out of.
// Run against a dev server:  YDB_ENDPOINT=http://127.0.0.1:2136 node examples/node/tagged-templates.mjs
import { Driver, QuerySessionPool, SessionPool, TypedValue, sql, TruncatedResultError } from 'ydb-wasm';

const endpoint = process.env.YDB_ENDPOINT ?? 'http://localhost:2136';
// The form YDB consoles show; grpc:// is read as http:// (a gRPC-web endpoint or the dev server).
const driver = new Driver(`${endpoint.replace(/^http/, 'grpc')}/?database=/local`);
const queries = new QuerySessionPool(driver, { size: 2 });
const table = `tagged_${Date.now()}`;
try {
  await queries.executeWithRetries(sql`CREATE TABLE ${sql.identifier(table)} (id Uint64, note Utf8, PRIMARY KEY (id))`);
  const hostile = "'; DROP TABLE users; --";
  for (const [id, note] of [[1n, 'plain'], [2n, hostile]]) {
    await queries.executeWithRetries(sql`UPSERT INTO ${sql.identifier(table)} (id, note) VALUES (${id}, ${note})`);
  }
  // Fragments compose; a TypedValue states a type the value alone does not.
  const filter = sql`id >= ${new TypedValue(1, 'Uint64')}`;
  const [rows] = await queries.executeWithRetries(sql`SELECT id, note FROM ${sql.identifier(table)} WHERE ${filter} ORDER BY id`);
  console.log(rows.rows);
  if (rows.rows[1].note !== hostile) throw new Error('the hostile string was not stored verbatim');

  // The table service caps a result at 1,000 rows: reading more is an error unless you accept a part.
  const tables = new SessionPool(driver, { size: 1 });
  await tables.withSession(async (s) => {
    await s.bulkUpsert(table, Array.from({ length: 1200 }, (_, i) => ({ id: BigInt(i + 10), note: 'bulk' })), { id: 'Uint64', note: 'Utf8' });
    try {
      await s.executeQuery(sql`SELECT id FROM ${sql.identifier(table)}`);
    } catch (e) {
      if (!(e instanceof TruncatedResultError)) throw e;
      console.log('truncated:', e.message.slice(0, 60), '…');
    }
    const [part] = await s.executeQuery(sql`SELECT id FROM ${sql.identifier(table)}`, {}, { allowTruncated: true });
    console.log('first rows:', part.rows.length, 'truncated:', part.truncated);
  });
  await tables.stop();
  await queries.executeWithRetries(sql`DROP TABLE ${sql.identifier(table)}`);
} finally {
  await driver.stop();
}
