// Deno: a small job queue in YDB. Jobs go in with one-shot queries (`driver.query`: one request each, no
// session); three workers take them concurrently, each claim a transaction on a pooled query session —
// read the oldest open job, mark it taken, commit. When two workers claim the same job, one commit fails
// with ABORTED and the pool runs that claim again on fresh data, so no job is taken twice.
//
// Run against a dev server:
//   YDB_ENDPOINT=http://127.0.0.1:2136 deno run --allow-net --allow-read=. --allow-env examples/deno/jobs.mjs
// In a project of your own, import from 'npm:ydb-wasm' (or `npm install ydb-wasm` and run with
// --node-modules-dir=manual); Deno picks the package's `deno` entry, which reads the wasm from the package.
import { Driver, QuerySessionPool } from 'ydb-wasm';

const endpoint = Deno.env.get('YDB_ENDPOINT') ?? 'http://localhost:2136';
const database = Deno.env.get('YDB_DATABASE') ?? '/local';
const JOBS = ['resize photo', 'send invoice', 'rebuild index', 'email digest', 'expire carts'];

const driver = new Driver({ endpoint, database });
const pool = new QuerySessionPool(driver, { size: 3 });

/** Takes the oldest open job for `worker`, or returns null when none is left. */
function claim(worker) {
  return pool.retryOperation(async (session) => {
    const tx = await session.transaction();
    const [open] = await tx.execute('SELECT id, task FROM deno_jobs WHERE worker IS NULL ORDER BY id LIMIT 1');
    const job = open.rows[0];
    if (!job) {
      await tx.rollback();
      return null;
    }
    await tx.execute(
      'DECLARE $id AS Uint64; DECLARE $worker AS Utf8; UPDATE deno_jobs SET worker = $worker WHERE id = $id',
      { $id: job.id, $worker: worker }, // plain values, sent as the types the text DECLAREs
      { commitTx: true },
    );
    return job;
  });
}

try {
  await driver.query('CREATE TABLE IF NOT EXISTS deno_jobs (id Uint64, task Utf8, worker Utf8, PRIMARY KEY (id))');
  for (const [i, task] of JOBS.entries()) {
    await driver.query(
      'DECLARE $id AS Uint64; DECLARE $task AS Utf8; UPSERT INTO deno_jobs (id, task, worker) VALUES ($id, $task, NULL)',
      { $id: BigInt(i + 1), $task: task },
      { idempotent: true }, // the same row twice does no harm, so a lost answer may be retried
    );
  }

  const taken = [];
  await Promise.all(['ant', 'bee', 'cat'].map(async (worker) => {
    for (let job; (job = await claim(worker));) taken.push(job.id);
  }));

  const [rs] = await driver.query('SELECT id, task, worker FROM deno_jobs ORDER BY id');
  for (const row of rs.rows) console.log(`${row.id}\t${row.task}\t${row.worker}`);
  if (taken.length !== JOBS.length || new Set(taken).size !== JOBS.length || rs.rows.some((r) => r.worker === null)) {
    throw new Error(`every job once: taken ${taken.join(', ')}`);
  }
  await driver.query('DROP TABLE deno_jobs');
} finally {
  await pool.stop();
  await driver.stop();
}
