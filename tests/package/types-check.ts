// Type-checked (never run) by tests/package/installed.mjs in a fresh project that installed the tarball,
// under moduleResolution node16 and bundler: the package's types resolve from node_modules, are the real
// declarations (the @ts-expect-error lines fail the check if they resolved to `any`), and cover the
// quick start.
import {
  Driver, QuerySessionPool, SessionPool, TypedValue, PrimitiveType, OptionalType, YdbError, sql,
  type ResultSet, type TxMode,
} from 'ydb-wasm';

const driver = new Driver({ endpoint: 'http://127.0.0.1:2136', database: '/local' });
const ready: boolean = await driver.wait({ failFast: true, timeoutMs: 5000 });
const pool = new QuerySessionPool(driver, { size: 5 });
const sets: ResultSet[] = await pool.executeWithRetries(
  'DECLARE $id AS Uint64; SELECT $id AS id',
  { $id: new TypedValue(1n, PrimitiveType.Uint64), $t: new TypedValue(null, OptionalType(PrimitiveType.Timestamp)) },
);
const [first] = await pool.executeWithRetries(sql`SELECT ${1n} AS id`);
const tables = new SessionPool(driver, { size: 10 });
const values: unknown[] = await tables.retryOperation(async (session) => {
  const resultSets = await session.executeQuery('SELECT 1 AS value');
  return resultSets[0].rows.map((row) => row.value);
});
const mode: TxMode | undefined = undefined;
try { await driver.stop(); } catch (e) { if (e instanceof YdbError) console.log(e.status, e.retryable); }

// @ts-expect-error: the endpoint is a string
new Driver({ endpoint: 2136, database: '/local' });
// @ts-expect-error: executeWithRetries returns result sets, not a number
const wrong: number = await pool.executeWithRetries('SELECT 1');

console.log(ready, sets, first, values, mode, wrong);
