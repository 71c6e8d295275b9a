// Runs the example worker under workerd and drives it over HTTP: one-shot queries from a module-scope
// driver (counted on the dev server: one ExecuteQuery per request, no session), many requests in a row
// from one isolate (module-scope pools reused across requests), then the shared scenario. Prints a JSON
// summary. Starts its own dev server (target/debug/ydb-devserver, or YDB_DEVSERVER_BIN) with the admin
// endpoint, whose `/stats` counts the calls; needs WORKERD (the workerd binary).
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import assert from 'node:assert/strict';
import { startDevserver } from '../node/devserver.mjs';

const devserver = await startDevserver(['--admin', '127.0.0.1:0']);
const endpoint = devserver.endpoint;
const workerd = process.env.WORKERD ?? 'node_modules/.bin/workerd';
const calls = async () => (await devserver.call('GET', '/stats')).calls;

const port = await new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});
const started = performance.now();
const child = spawn(workerd, ['serve', 'examples/worker/config.capnp', '--socket-addr', `http=127.0.0.1:${port}`], {
  env: { ...process.env, YDB_ENDPOINT: endpoint },
  stdio: ['ignore', 'inherit', 'inherit'],
});
const base = `http://127.0.0.1:${port}`;

async function get(path) {
  const res = await fetch(base + path);
  const body = await res.json();
  assert.equal(res.status, 200, `${path}: ${JSON.stringify(body)}`);
  return body;
}

try {
  let first;
  for (let i = 0; ; i++) {
    try { first = await get('/?n=0'); break; } catch (e) {
      if (i > 100 || child.exitCode !== null) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const coldStartMs = Math.round(performance.now() - started);
  assert.deepEqual(first.rows, [{ n: 0, twice: 0, via: 'table service' }]);

  // One-shot queries from the module-scope driver: N requests, N ExecuteQuery, no session at all.
  const ONE_SHOTS = 20;
  const before = await calls();
  for (let n = 0; n < ONE_SHOTS; n++) {
    assert.deepEqual((await get(`/one-shot?n=${n}`)).rows, [{ n, twice: 2 * n, via: 'one-shot' }]);
  }
  const after = await calls();
  const delta = (rpc) => (after[`/Ydb.Query.V1.QueryService/${rpc}`] ?? 0) - (before[`/Ydb.Query.V1.QueryService/${rpc}`] ?? 0);
  const oneShot = { requests: ONE_SHOTS, executeQuery: delta('ExecuteQuery'), createSession: delta('CreateSession'), attachSession: delta('AttachSession') };
  assert.deepEqual(oneShot, { requests: ONE_SHOTS, executeQuery: ONE_SHOTS, createSession: 0, attachSession: 0 });
  const others = Object.keys(after).filter((k) => (after[k] ?? 0) !== (before[k] ?? 0) && !k.endsWith('/ExecuteQuery'));
  assert.deepEqual(others, [], 'nothing but ExecuteQuery was sent');

  // Many requests in a row from one isolate: the module-scope table pool keeps serving with one session.
  for (let n = 1; n <= 30; n++) {
    const body = await get(`/?n=${n}`);
    assert.deepEqual(body.rows, [{ n, twice: 2 * n, via: 'table service' }]);
    assert.equal(body.sessions, 1, 'the table session is reused across requests');
  }
  // The query service from module scope: each request still gets a correct answer.
  for (let i = 0; i < 10; i++) {
    assert.deepEqual((await get('/query')).rows, [{ one: 1, via: 'query service' }]);
  }
  // Concurrent requests into the same isolate.
  const many = await Promise.all(Array.from({ length: 10 }, (_, n) => get(`/?n=${n}`)));
  many.forEach((body, n) => assert.equal(body.rows[0].twice, 2 * n));

  const summary = await get('/scenario');
  assert.equal(summary.ok, true);
  console.log(JSON.stringify({ runtime: 'workerd', coldStartMs, oneShot, ...summary }));
} finally {
  child.kill();
  devserver.stop();
}
