// The official YDB JS SDK (@ydbjs/core + @ydbjs/query, plain gRPC over HTTP/2) as a referee of ydb-devserver:
// create a table, upsert with parameters, select, run a transaction that commits and one that rolls back,
// and check every result. Exits non-zero on the first failure.
//
//   YDB_GRPC_ENDPOINT=grpc://127.0.0.1:2136/local node tests/ydbjs/referee.mjs   # a running dev server
//   node tests/ydbjs/referee.mjs          # starts target/debug/ydb-devserver (or $YDB_DEVSERVER_BIN) itself
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

import { Driver } from '@ydbjs/core';
import { query } from '@ydbjs/query';
import { Uint64, Text } from '@ydbjs/value/primitive';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Starts a dev server on a free port and resolves with its gRPC endpoint and the process. */
async function startDevserver() {
  const bin = process.env.YDB_DEVSERVER_BIN ?? `${root}target/debug/ydb-devserver`;
  const child = spawn(bin, ['--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const timer = setTimeout(() => child.kill(), 20_000);
  let endpoint;
  for await (const line of lines) {
    const listening = /^ydb-devserver listening on (\S+)$/.exec(line);
    if (listening) endpoint = `grpc://${listening[1]}/local`;
    const admin = /^ydb-devserver admin on (\S+)$/.exec(line);
    if (admin) {
      clearTimeout(timer);
      return { endpoint, admin: `http://${admin[1]}`, child };
    }
  }
  throw new Error(`${bin} ended before it listened`);
}

async function main() {
  let child = null;
  let endpoint = process.env.YDB_GRPC_ENDPOINT;
  let admin = process.env.YDB_ADMIN; // the dev server's admin endpoint, for the fault step
  if (!endpoint) ({ endpoint, admin, child } = await startDevserver());
  const driver = new Driver(endpoint);
  try {
    await driver.ready(AbortSignal.timeout(10_000));
    const sql = query(driver);
    const table = `ydbjs_referee_${process.pid}`;
    const t = sql.identifier(table);

    await sql`CREATE TABLE ${t} (id Uint64, title Utf8, PRIMARY KEY (id))`;
    console.log('ok - create table');

    for (const [id, title] of [[1n, 'one'], [2n, 'two'], [3n, 'three']]) {
      await sql`UPSERT INTO ${t} (id, title) VALUES (${new Uint64(id)}, ${new Text(title)})`;
    }
    console.log('ok - upsert with parameters');

    const [rows] = await sql`SELECT id, title FROM ${t} WHERE id >= ${new Uint64(2n)} ORDER BY id`;
    assert.deepEqual(rows, [{ id: 2n, title: 'two' }, { id: 3n, title: 'three' }]);
    const [[{ n }]] = await sql`SELECT COUNT(*) AS n FROM ${t}`;
    assert.equal(n, 3n);
    console.log('ok - select');

    const inside = await sql.begin(async (tx) => {
      await tx`UPSERT INTO ${t} (id, title) VALUES (${new Uint64(4n)}, ${new Text('four')})`;
      const [seen] = await tx`SELECT title FROM ${t} WHERE id = ${new Uint64(4n)}`;
      return seen;
    });
    assert.deepEqual(inside, [{ title: 'four' }], 'a transaction sees its own writes');
    const [committed] = await sql`SELECT title FROM ${t} WHERE id = ${new Uint64(4n)}`;
    assert.deepEqual(committed, [{ title: 'four' }], 'the transaction committed');
    console.log('ok - transaction commits');

    const boom = new Error('roll back, please');
    await assert.rejects(
      sql.transaction(async (tx) => {
        await tx`UPSERT INTO ${t} (id, title) VALUES (${new Uint64(5n)}, ${new Text('five')})`;
        throw boom;
      }),
      (e) => e === boom || e?.cause === boom,
    );
    const [rolledBack] = await sql`SELECT title FROM ${t} WHERE id = ${new Uint64(5n)}`;
    assert.deepEqual(rolledBack, [], 'a failed transaction rolls back');
    console.log('ok - transaction rolls back');

    if (admin) {
      // A transient failure before the session exists: the SDK must retry and succeed. (A failure after it
      // exists is not checked: @ydbjs/query 6.0.4 cancels the session's AttachSession stream when an attempt
      // fails, then retries in that dead session forever — ydb-js-sdk issue #536.)
      const post = (path, body) =>
        fetch(admin + path, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.json());
      await post('/faults', { rpc: 'Ydb.Query.V1.QueryService/CreateSession', status: 'OVERLOADED', times: 1 });
      const [[{ one }]] = await sql`SELECT 1 AS one`.idempotent(true);
      assert.equal(one, 1);
      const { faults } = await fetch(admin + '/faults').then((r) => r.json());
      assert.equal(faults[0].hits, 1, 'the fault was hit');
      await fetch(admin + '/faults', { method: 'DELETE' });
      console.log('ok - retries through an injected OVERLOADED');
    }

    await sql`DROP TABLE ${t}`;
    console.log('ok - drop table');
  } finally {
    driver.close();
    if (child) {
      child.kill('SIGINT');
      await once(child, 'exit');
    }
  }
}

const deadline = setTimeout(() => {
  console.error('not ok - the referee timed out');
  process.exit(1);
}, 60_000);
deadline.unref();
try {
  await main();
  console.log('ydbjs referee: all checks passed');
  process.exit(0);
} catch (e) {
  console.error('not ok -', e);
  process.exit(1);
}
