// Quick start: the seed's "Basic Async Driver Usage" in JS, plus a table written and read back.
// Run against a dev server:  YDB_ENDPOINT=http://127.0.0.1:2136 node examples/node/quickstart.mjs
import {
  Driver, SessionPool, QuerySessionPool, AnonymousCredentials, TypedValue, PrimitiveType, OptionalType,
} from 'ydb-wasm';

const endpoint = process.env.YDB_ENDPOINT ?? 'http://localhost:2136';
const database = process.env.YDB_DATABASE ?? '/local';

const driver = new Driver({ endpoint, database, credentials: new AnonymousCredentials() });
try {
  if (!(await driver.wait({ failFast: true, timeoutMs: 5000 }))) {
    throw new Error(`no database at ${endpoint}: ${driver.discoveryDebugDetails}`);
  }

  // Table service: a session pool runs the operation and retries it on retryable errors.
  const pool = new SessionPool(driver, { size: 10 });
  const values = await pool.retryOperation(async (session) => {
    const resultSets = await session.executeQuery('SELECT 1 AS value');
    return resultSets[0].rows.map((row) => row.value);
  });
  console.log('Results:', values);

  // Query service: create a table, write typed rows in a transaction, stream them back.
  const queries = new QuerySessionPool(driver, { size: 5 });
  await queries.executeWithRetries(
    'CREATE TABLE quickstart_series (series_id Uint64, title Utf8, release_date Timestamp, PRIMARY KEY (series_id))',
  );
  const series = [
    [1n, 'IT Crowd', new Date('2006-02-03T00:00:00Z')],
    [2n, 'Silicon Valley', new Date('2014-04-06T00:00:00Z')],
    [3n, 'Unnamed pilot', null],
  ];
  for (const [id, title, released] of series) {
    await queries.executeWithRetries(
      `DECLARE $id AS Uint64; DECLARE $title AS Utf8; DECLARE $released AS Optional<Timestamp>;
       UPSERT INTO quickstart_series (series_id, title, release_date) VALUES ($id, $title, $released);`,
      {
        $id: new TypedValue(id, PrimitiveType.Uint64),
        $title: title,
        $released: new TypedValue(released, OptionalType(PrimitiveType.Timestamp)),
      },
    );
  }
  const [rows] = await queries.executeWithRetries(
    'SELECT series_id, title, release_date FROM quickstart_series ORDER BY series_id',
  );
  for (const row of rows.rows) {
    console.log(`${row.series_id}\t${row.title}\t${row.release_date?.toISOString() ?? 'null'}`);
  }
  await queries.executeWithRetries('DROP TABLE quickstart_series');
  await queries.stop();
  await pool.stop();
} finally {
  await driver.stop();
}
