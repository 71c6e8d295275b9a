// The client benchmarks: ydb-wasm against the official JS SDK (@ydbjs, plain gRPC over HTTP/2) and a bare
// `fetch` of the very request ydb-wasm sends, in one run on one dev server, so that every figure is a
// ratio between peers measured together. It asserts nothing about speed; it prints a table and JSON.
//
//   bash bench/run.sh            # release dev server, the full sizes
//   bash bench/run.sh --quick    # small sizes (CI runs this as a smoke test)
//   bash bench/run.sh --long     # memory over 1,000,000 queries
//
// Sections: cold first answer (fresh Node, Deno and Bun processes; fresh workerd isolates and Chromium browsers through
// bench/cold-edge.mjs), warm point reads (p50/p99), throughput and client CPU
// per query at concurrency 1 and 64, decoding 50,000 rows × 6 columns, and memory over many queries.
// ydb-wasm's one-shot reads (and the bare fetch) run twice in Node: over HTTP/1.1 (Node's own fetch and
// connection pool) and over HTTP/2 — the same fetch given undici's H2CClient as its dispatcher: the dev
// server speaks cleartext HTTP/2 with prior knowledge on its one port, which undici 7 does through
// H2CClient (its Agent's `allowH2` negotiates HTTP/2 only by TLS ALPN, and passes no `useH2c` on).
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { coldWorkerd, coldChromium } from './cold-edge.mjs';
import { startDevserver } from './devserver.mjs';
import { bareFetchOf, captureRequests, lastRequest } from './replay.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
// The bench's own dependencies live in bench/deps (see its package.json).
const { H2CClient } = createRequire(new URL('deps/', import.meta.url))('undici');
const quick = process.argv.includes('--quick');
const long = process.argv.includes('--long');
const SIZE = quick
  ? { cold: 2, coldEdge: 1, warm: 100, seconds: 1, rows: 5_000, decodeRuns: 1, memory: 2_000 }
  : { cold: 5, coldEdge: 5, warm: 1_000, seconds: 5, rows: 50_000, decodeRuns: 3, memory: long ? 1_000_000 : 200_000 };

// ydb-wasm's last request is kept, to replay it with a bare fetch.
const realFetch = captureRequests();

const ydb = await import('ydb-wasm');
const peer = await import('../tests/ydbjs/peer.mjs');


const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x, digits = 2) => Number(x.toFixed(digits));
const cpuMs = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1000; };

const { child: serverProcess, address: serverAddress } = await startDevserver();
const server = { address: serverAddress, stop: () => serverProcess.kill() };
const endpoint = `http://${server.address}`;
const results = { quick, sizes: SIZE };
const table = 'bench_kv';
const POINT = `DECLARE $k AS Uint64; SELECT * FROM ${table} WHERE k1 = $k`;
try {
  // --- Data: the SLO kv shape, Uint64 ×3, Utf8, Double, Timestamp.
  const driver = new ydb.Driver({ endpoint, database: '/local' });
  const queries = new ydb.QuerySessionPool(driver, { size: 64 });
  const tables = new ydb.SessionPool(driver, { size: 64 });
  await queries.executeWithRetries(`CREATE TABLE ${table} (k1 Uint64, k2 Uint64, k3 Uint64, s Utf8, d Double, t Timestamp, PRIMARY KEY (k1))`);
  const types = { k1: 'Uint64', k2: 'Uint64', k3: 'Uint64', s: 'Utf8', d: 'Double', t: 'Timestamp' };
  for (let from = 0; from < SIZE.rows; from += 5000) {
    const rows = Array.from({ length: Math.min(5000, SIZE.rows - from) }, (_, i) => {
      const k = BigInt(from + i);
      return { k1: k, k2: k * 7n, k3: k * 13n, s: `value-${from + i}-${'x'.repeat(16)}`, d: (from + i) / 3, t: new Date(1_700_000_000_000 + (from + i) * 1000) };
    });
    await driver.tableClient().bulkUpsert(table, rows, types);
  }
  const key = (i) => BigInt((i * 7919) % SIZE.rows);

  // The same driver over HTTP/2: one connection, every call a stream on it.
  const h2 = new H2CClient(endpoint);
  const h2Fetch = (url, init) => realFetch(url, { ...init, dispatcher: h2 });
  const h2Driver = new ydb.Driver({ endpoint, database: '/local', fetch: h2Fetch });
  const h2Queries = new ydb.QuerySessionPool(h2Driver, { size: 64 });

  const ydbjsDriver = new peer.Driver(`grpc://${server.address}/local`);
  await ydbjsDriver.ready(AbortSignal.timeout(10_000));
  const sql = peer.query(ydbjsDriver);
  const heldQuery = await queries.acquire();
  const heldTable = await tables.acquire();

  // --- The clients, each reading one row by its key.
  const clients = {
    'ydb-wasm one-shot (executeWithRetries)': (k) => queries.executeWithRetries(POINT, { $k: new ydb.TypedValue(k, 'Uint64') }),
    'ydb-wasm one-shot over HTTP/2 (undici h2c)': (k) => h2Queries.executeWithRetries(POINT, { $k: new ydb.TypedValue(k, 'Uint64') }),
    'ydb-wasm query session': (k) => heldQuery.executeQuery(POINT, { $k: new ydb.TypedValue(k, 'Uint64') }).collect(),
    'ydb-wasm table session': (k) => heldTable.executeQuery(POINT, { $k: new ydb.TypedValue(k, 'Uint64') }),
    '@ydbjs': (k) => sql`SELECT * FROM ${sql.identifier(table)} WHERE k1 = ${new peer.Uint64(k)}`,
  };
  // The bare baselines: ydb-wasm's own requests for one key, sent again by fetch alone — the one-shot's
  // (no session id: the server runs it in an implicit session) and a held query session's.
  await clients['ydb-wasm one-shot (executeWithRetries)'](key(1));
  clients['bare fetch (the one-shot\'s request)'] = bareFetchOf(lastRequest());
  await clients['ydb-wasm query session'](key(1));
  const captured = lastRequest();
  clients['bare fetch (the same request)'] = bareFetchOf(captured);
  clients['bare fetch over HTTP/2 (the same request)'] = bareFetchOf(captured, h2Fetch);

  // --- Warm point reads, one after another.
  // Interleaved, one read of each client in turn: whatever the server or the GC does meanwhile (the
  // store settling after the bulk load, a collection) falls on every client alike, not on whichever
  // happened to run first.
  results.warm = {};
  const entries = Object.entries(clients);
  for (let i = 0; i < 20; i++) for (const [, read] of entries) await read(key(i));
  const times = Object.fromEntries(entries.map(([name]) => [name, []]));
  for (let i = 0; i < SIZE.warm; i++) {
    for (const [name, read] of entries) {
      const t0 = performance.now();
      await read(key(i));
      times[name].push(performance.now() - t0);
    }
  }
  for (const [name, list] of Object.entries(times)) {
    list.sort((a, b) => a - b);
    results.warm[name] = { p50Ms: round(percentile(list, 0.5), 3), p99Ms: round(percentile(list, 0.99), 3) };
  }

  // --- Throughput and the client's own CPU per query.
  results.throughput = {};
  for (const concurrency of [1, 64]) {
    for (const [name, read] of Object.entries(clients)) {
      // One held session (and the bare replay of its request) serves one call at a time.
      if (concurrency > 1 && (name.includes('session') || (name.startsWith('bare') && !name.includes('one-shot')))) continue;
      let ops = 0;
      const until = performance.now() + SIZE.seconds * 1000;
      const cpu0 = cpuMs();
      const t0 = performance.now();
      await Promise.all(Array.from({ length: concurrency }, async (_, w) => {
        for (let i = w; performance.now() < until; i += concurrency) {
          await read(key(i));
          ops++;
        }
      }));
      const wall = performance.now() - t0;
      results.throughput[`${name} @${concurrency}`] = {
        opsPerSec: Math.round(ops / (wall / 1000)),
        clientCpuMsPerOp: round((cpuMs() - cpu0) / ops, 3),
      };
    }
  }

  // --- Decoding: all rows in one query (the query service has no row cap), and JSON.parse of the same rows.
  results.decode = {};
  const all = `SELECT * FROM ${table}`;
  const decoders = {
    'ydb-wasm': () => queries.executeWithRetries(all),
    '@ydbjs': () => sql`SELECT * FROM ${sql.identifier(table)}`,
  };
  const [sample] = await queries.executeWithRetries(all);
  const json = JSON.stringify(sample.rows, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
  decoders['JSON.parse (same rows, no I/O)'] = async () => JSON.parse(json);
  for (const [name, decode] of Object.entries(decoders)) {
    const walls = [];
    const cpus = [];
    for (let r = 0; r < SIZE.decodeRuns; r++) {
      const t0 = performance.now();
      const c0 = cpuMs();
      const out = await decode();
      cpus.push(cpuMs() - c0);
      walls.push(performance.now() - t0);
      if (r === 0 && name !== 'JSON.parse (same rows, no I/O)') {
        const n = Array.isArray(out[0]) ? out[0].length : out[0].rows.length;
        if (n !== SIZE.rows) throw new Error(`${name} read ${n} rows, not ${SIZE.rows}`);
      }
    }
    results.decode[name] = { rows: SIZE.rows, wallMs: round(median(walls), 1), clientCpuMs: round(median(cpus), 1) };
  }

  // --- Memory over many one-shot queries.
  const mem = () => { globalThis.gc?.(); const m = process.memoryUsage(); return { heapMB: round(m.heapUsed / 2 ** 20, 1), rssMB: round(m.rss / 2 ** 20, 1), arrayBuffersMB: round(m.arrayBuffers / 2 ** 20, 1), wasmMB: round(ydb.__wasmMemoryBytes() / 2 ** 20, 1) }; };
  const read = clients['ydb-wasm one-shot (executeWithRetries)'];
  const half = SIZE.memory / 2;
  let halfway;
  for (let i = 0; i < SIZE.memory; i += 64) {
    await Promise.all(Array.from({ length: 64 }, (_, j) => read(key(i + j))));
    if (!halfway && i >= half) halfway = mem();
  }
  results.memory = { queries: SIZE.memory, halfway, end: mem(), gcExposed: Boolean(globalThis.gc) };

  // --- Cold first answers, each in a fresh process (while the held session of the replayed request lives).
  results.cold = cold(captured);
  // … and at the edge: fresh workerd processes and fresh Chromium browsers (bench/cold-edge.mjs).
  const edge = { root, endpoint, captured, runs: SIZE.coldEdge };
  for (const [runtime, measure] of [['workerd', coldWorkerd], ['chromium', coldChromium]]) {
    const measured = await measure(edge);
    if (measured.skipped) results.cold[runtime] = measured;
    else for (const [name, figures] of Object.entries(measured)) results.cold[`${runtime} ${name}`] = figures;
  }

  queries.release(heldQuery);
  tables.release(heldTable);
  await queries.executeWithRetries(`DROP TABLE ${table}`);
  await driver.stop();
  await h2Driver.stop();
  await h2.close();
  ydbjsDriver.close();
} finally {
  server.stop();
}

/**
 * Runs each cold scenario SIZE.cold times in fresh processes of Node, and of Deno and Bun when they are
 * installed (as the test suite installs them); medians. `@ydbjs` runs in Node only.
 */
function cold(captured) {
  const dir = mkdtempSync(join(tmpdir(), 'ydb-bench-'));
  const script = join(root, 'bench', 'cold.mjs');
  const file = join(dir, 'request.json');
  writeFileSync(file, JSON.stringify({ ...captured, body: Buffer.from(captured.body).toString('base64') }));
  const runtimes = [
    ['', process.execPath, [], ['bare-fetch', 'ydb-wasm', '@ydbjs']],
    ['deno ', join(root, 'node_modules/.bin/deno'), ['run', '--allow-net=127.0.0.1', '--allow-read', '--allow-env'], ['bare-fetch', 'ydb-wasm']],
    ['bun ', join(root, 'target/js-tools/node_modules/.bin/bun'), [], ['bare-fetch', 'ydb-wasm']],
  ];
  const out = {};
  for (const [prefix, bin, args, scenarios] of runtimes) {
    if (!existsSync(bin)) continue;
    for (const scenario of scenarios) {
      const runs = [];
      for (let i = 0; i < SIZE.cold; i++) {
        const text = execFileSync(bin, [...args, script, scenario, server.address, file], { encoding: 'utf8', cwd: root });
        runs.push(JSON.parse(text));
      }
      const pick = (k) => (runs[0][k] === undefined ? undefined : round(median(runs.map((r) => r[k])), 1));
      // The phases (bench/cold.mjs): where the time between the import and the answer goes.
      const phases = ['resolvedMs', 'readyMs', 'calledMs', 'fetchMs', 'headersMs'].filter((k) => runs[0][k] !== undefined);
      out[prefix + scenario] = {
        importMs: pick('importMs'), firstAnswerMs: pick('firstAnswerMs'), requests: runs[0].requests,
        ...Object.fromEntries(phases.map((k) => [k, pick(k)])),
      };
    }
  }
  return out;
}

// --- Report.
const lines = ['| section | client | figures |', '|---|---|---|'];
for (const [section, rows] of Object.entries({ warm: results.warm, throughput: results.throughput, decode: results.decode, cold: results.cold })) {
  for (const [name, figures] of Object.entries(rows ?? {})) {
    const shown = Object.entries(figures).filter(([, v]) => v !== undefined).map(([k, v]) => `${k} ${v}`);
    lines.push(`| ${section} | ${name} | ${shown.join(', ')} |`);
  }
}
lines.push(`| memory | ydb-wasm one-shot | ${JSON.stringify(results.memory)} |`);
console.log(lines.join('\n'));
const w = results.warm;
const ratio = (a, b) => (a && b ? round(a / b, 2) : undefined);
results.ratios = {
  warmOneShotVsBareFetchP50: ratio(w['ydb-wasm one-shot (executeWithRetries)']?.p50Ms, w['bare fetch (the same request)']?.p50Ms),
  warmOneShotVsItsBareFetchP50: ratio(w['ydb-wasm one-shot (executeWithRetries)']?.p50Ms, w['bare fetch (the one-shot\'s request)']?.p50Ms),
  warmQuerySessionVsBareFetchP50: ratio(w['ydb-wasm query session']?.p50Ms, w['bare fetch (the same request)']?.p50Ms),
  warmOneShotHttp2VsHttp1P50: ratio(w['ydb-wasm one-shot over HTTP/2 (undici h2c)']?.p50Ms, w['ydb-wasm one-shot (executeWithRetries)']?.p50Ms),
  throughputAt64Http2VsHttp1: ratio(results.throughput['ydb-wasm one-shot over HTTP/2 (undici h2c) @64']?.opsPerSec, results.throughput['ydb-wasm one-shot (executeWithRetries) @64']?.opsPerSec),
  throughputAt64VsYdbjs: ratio(results.throughput['ydb-wasm one-shot (executeWithRetries) @64']?.opsPerSec, results.throughput['@ydbjs @64']?.opsPerSec),
  cpuPerOpAt64VsItsBareFetch: ratio(results.throughput['ydb-wasm one-shot (executeWithRetries) @64']?.clientCpuMsPerOp, results.throughput['bare fetch (the one-shot\'s request) @64']?.clientCpuMsPerOp),
  cpuPerOpAt64VsYdbjs: ratio(results.throughput['ydb-wasm one-shot (executeWithRetries) @64']?.clientCpuMsPerOp, results.throughput['@ydbjs @64']?.clientCpuMsPerOp),
  decodeCpuYdbjsOverWasm: ratio(results.decode['@ydbjs']?.clientCpuMs, results.decode['ydb-wasm']?.clientCpuMs),
  decodeCpuWasmOverJsonParse: ratio(results.decode['ydb-wasm']?.clientCpuMs, results.decode['JSON.parse (same rows, no I/O)']?.clientCpuMs),
};
console.log(`ratios: ${JSON.stringify(results.ratios)}`);
console.log(`json: ${JSON.stringify(results)}`);
process.exit(0);
