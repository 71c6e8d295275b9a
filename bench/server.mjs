// The dev server's own cost per point read over gRPC-web: a release dev server, the point read ydb-wasm's
// one-shot sends (`DECLARE $k AS Uint64; SELECT * FROM bench_kv WHERE k1 = $k`, no session id), replayed
// by a bare `fetch` at concurrency 1 and 64, with the server process's CPU time per read beside the rate.
// The rate on a small machine is bounded by whichever side saturates the cores first; the server's CPU
// per read is what says how much of the machine the dev server takes from the clients it is comparing.
//
//   node bench/server.mjs [SECONDS]          # default 5 s per concurrency
//   YDB_DEVSERVER_BIN=... node bench/server.mjs
//
// It prints the server's pid first, to attach a profiler to (`perf record -g -p PID -- sleep 5` once the
// load has started: the table is loaded and 200 warm-up reads are done a few seconds in).
//
// Linux only for the CPU figure (it reads /proc/<pid>/stat); elsewhere the rate alone is printed.
import { readFileSync } from 'node:fs';
import { startDevserver } from './devserver.mjs';
import { bareFetchOf, captureRequests, lastRequest } from './replay.mjs';

const seconds = Number(process.argv[2] ?? 5);

captureRequests();
const ydb = await import('ydb-wasm');

const { child, address } = await startDevserver();
console.error(`dev server pid ${child.pid} on ${address}`);

/** The server's user + system CPU in ms, or null where /proc is not there. */
function serverCpuMs() {
  try {
    const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in USER_HZ (100)
  } catch {
    return null;
  }
}

const ROWS = 10_000;
const results = {};
try {
  const driver = new ydb.Driver({ endpoint: `http://${address}`, database: '/local' });
  const queries = new ydb.QuerySessionPool(driver, { size: 4 });
  await queries.executeWithRetries('CREATE TABLE bench_kv (k1 Uint64, k2 Uint64, k3 Uint64, s Utf8, d Double, t Timestamp, PRIMARY KEY (k1))');
  const types = { k1: 'Uint64', k2: 'Uint64', k3: 'Uint64', s: 'Utf8', d: 'Double', t: 'Timestamp' };
  const rows = Array.from({ length: ROWS }, (_, i) => {
    const k = BigInt(i);
    return { k1: k, k2: k * 7n, k3: k * 13n, s: `value-${i}-${'x'.repeat(16)}`, d: i / 3, t: new Date(1_700_000_000_000 + i * 1000) };
  });
  await driver.tableClient().bulkUpsert('bench_kv', rows, types);
  await queries.executeWithRetries('DECLARE $k AS Uint64; SELECT * FROM bench_kv WHERE k1 = $k', { $k: new ydb.TypedValue(1n, 'Uint64') });
  const read = bareFetchOf(lastRequest());
  for (let i = 0; i < 200; i++) await read();

  for (const concurrency of [1, 64]) {
    let ops = 0;
    const until = performance.now() + seconds * 1000;
    const cpu0 = serverCpuMs();
    const t0 = performance.now();
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        await read();
        ops++;
      }
    }));
    const wall = performance.now() - t0;
    const cpu = serverCpuMs();
    const name = `bare fetch of the one-shot read @${concurrency}`;
    results[name] = {
      opsPerSec: Math.round(ops / (wall / 1000)),
      serverCpuMsPerOp: cpu === null ? undefined : Number(((cpu - cpu0) / ops).toFixed(3)),
    };
    console.log(`${name}: ${results[name].opsPerSec} /s, server CPU ${results[name].serverCpuMsPerOp} ms per read`);
  }
} finally {
  child.kill();
}
console.log(`json: ${JSON.stringify(results)}`);
process.exit(0);
