// One-shot queries: the simplest program needs no pool and no `wait()`. Each `driver.query` is one request
// (an ExecuteQuery in an implicit session, which the server makes and ends with the call), retried on
// retryable errors; a cut answer is retried only for a query marked idempotent.
// Run against a dev server:  YDB_ENDPOINT=http://127.0.0.1:2136 node examples/node/one-shot.mjs
import { Driver, RetrySettings, TypedValue, PrimitiveType } from 'ydb-wasm';

const endpoint = process.env.YDB_ENDPOINT ?? 'http://localhost:2136';
const database = process.env.YDB_DATABASE ?? '/local';

// Constructing the driver sends nothing; the first query is the first request.
const driver = new Driver({ endpoint, database });
try {
  await driver.query('CREATE TABLE IF NOT EXISTS one_shot_visits (page Utf8, visits Uint64, PRIMARY KEY (page))');
  // Fixed values: running it twice does no harm, so a cut answer may be retried.
  await driver.query(
    'DECLARE $page AS Utf8; UPSERT INTO one_shot_visits (page, visits) VALUES ($page, 0ul)',
    { $page: '/home' },
    { idempotent: true },
  );
  // An increment is not idempotent: if its answer is lost, it rejects with CONNECTION_LOST instead.
  await driver.query('UPDATE one_shot_visits SET visits = visits + 1ul WHERE page = "/home"u');
  const [rs] = await driver.query(
    'DECLARE $page AS Utf8; SELECT page, visits FROM one_shot_visits WHERE page = $page',
    { $page: new TypedValue('/home', PrimitiveType.Utf8) },
    { timeoutMs: 5000, retrySettings: new RetrySettings({ maxRetries: 3, idempotent: true }) },
  );
  console.log('visits:', rs.rows);
  if (rs.rows.length !== 1 || rs.rows[0].visits !== 1n) throw new Error(`unexpected rows: ${JSON.stringify(rs.rows, (_, v) => (typeof v === 'bigint' ? `${v}` : v))}`);
  await driver.query('DROP TABLE one_shot_visits');
} finally {
  await driver.stop();
}
