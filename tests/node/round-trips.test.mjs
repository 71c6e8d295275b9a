// How many requests each kind of call costs, cold (a fresh driver and pool) and warm (the same call again),
// counted by the dev server's admin `/stats` — and the README's "Round trips" table checked against the
// counts, so that the table is measured, never guessed. Run with RECORD_ROUND_TRIPS=1 to print the table.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startDevserver } from './devserver.mjs';
import { Driver, SessionPool, QuerySessionPool } from 'ydb-wasm';

let server;
before(async () => {
  server = await startDevserver(['--admin', '127.0.0.1:0']);
  const driver = new Driver({ endpoint: server.endpoint, database: '/local' });
  await driver.query('CREATE TABLE rt (k Uint64, v Utf8, PRIMARY KEY (k))');
  await driver.query('UPSERT INTO rt (k, v) VALUES (1ul, "a"u), (2ul, "b"u)');
  await driver.stop();
});
after(() => server.stop());

/** The requests `work` sent, as `{ total, rpcs }` (rpcs: "Name ×n" in call order of first appearance). */
async function requests(work) {
  const before = (await server.call('GET', '/stats')).calls;
  await work();
  const after = (await server.call('GET', '/stats')).calls;
  const sent = Object.entries(after)
    .map(([path, n]) => [path.split('/').pop(), n - (before[path] ?? 0)])
    .filter(([, n]) => n > 0);
  const order = (rpc) => ['CreateSession', 'AttachSession'].indexOf(rpc) >>> 0; // session set-up first
  sent.sort(([a], [b]) => order(a) - order(b) || a.localeCompare(b));
  return { total: sent.reduce((sum, [, n]) => sum + n, 0), rpcs: sent.map(([rpc, n]) => (n > 1 ? `${rpc} ×${n}` : rpc)) };
}

/** Each kind of call: `setup(driver)` makes what it needs (sending nothing), `call(ctx)` is one call. */
const KINDS = [
  {
    name: 'one-shot: `driver.query(text)`, `queryPool.executeWithRetries(text)`',
    setup: () => ({}),
    call: (driver) => driver.query('SELECT v FROM rt WHERE k = 1ul'),
  },
  {
    name: 'pooled query session: `queryPool.retryOperation(s => s.executeQuery(text))`',
    setup: (driver) => new QuerySessionPool(driver, { size: 1 }),
    call: (_, pool) => pool.retryOperation((s) => s.executeQuery('SELECT v FROM rt WHERE k = 1ul').collect()),
  },
  {
    name: 'table session: `pool.retryOperation(s => s.executeQuery(text))`',
    setup: (driver) => new SessionPool(driver, { size: 1 }),
    call: (_, pool) => pool.retryOperation((s) => s.executeQuery('SELECT v FROM rt WHERE k = 1ul')),
  },
  {
    name: 'interactive transaction, query service: read, then write with `commitTx`',
    setup: (driver) => new QuerySessionPool(driver, { size: 1 }),
    call: (_, pool) => pool.retryOperation(async (s) => {
      const tx = await s.transaction();
      await tx.execute('SELECT v FROM rt WHERE k = 1ul');
      await tx.execute('UPSERT INTO rt (k, v) VALUES (1ul, "a"u)', {}, { commitTx: true });
    }),
  },
  {
    name: 'interactive transaction, table service: read, then write with `commitTx`',
    setup: (driver) => new SessionPool(driver, { size: 1 }),
    call: (_, pool) => pool.retryOperation(async (s) => {
      const tx = s.transaction();
      await tx.execute('SELECT v FROM rt WHERE k = 1ul');
      await tx.execute('UPSERT INTO rt (k, v) VALUES (1ul, "a"u)', {}, { commitTx: true });
    }),
  },
  {
    name: '`session.readTable(path)`, read to the end',
    setup: (driver) => new SessionPool(driver, { size: 1 }),
    call: (_, pool) => pool.retryOperation(async (s) => { for await (const part of s.readTable('rt')) void part; }),
  },
  {
    name: '`driver.tableClient().bulkUpsert(path, rows)`',
    setup: () => ({}),
    call: (driver) => driver.tableClient().bulkUpsert('rt', [{ k: 3n, v: 'c' }], { k: 'Uint64', v: 'Utf8' }),
  },
];

test('round trips per kind of call, cold and warm, are what the README says', async () => {
  const rows = [];
  for (const kind of KINDS) {
    const driver = new Driver({ endpoint: server.endpoint, database: '/local' });
    const ctx = kind.setup(driver);
    const cold = await requests(() => kind.call(driver, ctx));
    const warm = await requests(() => kind.call(driver, ctx));
    await driver.stop({ timeoutMs: 2000 });
    rows.push(`| ${kind.name} | ${cold.total} (${cold.rpcs.join(', ')}) | ${warm.total} (${warm.rpcs.join(', ')}) |`);
  }
  const table = ['| Call | Cold: requests | Warm: requests |', '|---|---|---|', ...rows].join('\n');
  if (process.env.RECORD_ROUND_TRIPS) console.log(table);
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  assert.ok(readme.includes(table), `README.md's "Round trips" table must be, as measured:\n${table}`);
  // The edge promise itself, stated apart from the table: a one-shot query is one request, cold or warm.
  assert.match(rows[0], /\| 1 \(ExecuteQuery\) \| 1 \(ExecuteQuery\) \|$/);
});
