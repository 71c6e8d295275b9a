// Where a warm one-shot point read spends the client's CPU, next to a bare fetch of the very same request
// (or, with `decode`, where reading a big result does, next to JSON.parse of the same rows):
// both loops run under V8's sampling profiler (node:inspector), one profile each, and the samples are
// summed by where the code lives (the wasm, its JS glue, the package's JS, Node's fetch (undici), web
// streams, GC, …) and by function. Prints both summaries; writes the .cpuprofile files (for Chrome
// DevTools) to target/bench-profile/.
//
//   node bench/profile.mjs [QUERIES]   # default 5000 per loop; starts a release dev server
//   node bench/profile.mjs decode [ROWS]   # reading ROWS rows (default 50,000) with one query, 10 times
//   YDB_ENDPOINT=http://127.0.0.1:PORT node bench/profile.mjs   # or uses a running one
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDevserver } from './devserver.mjs';
import { bareFetchOf, captureRequests, lastRequest } from './replay.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const decode = process.argv[2] === 'decode';
const N = decode ? 10 : Number(process.argv[2] ?? 5000);
const ROWS = decode ? Number(process.argv[3] ?? 50_000) : 1000;
captureRequests();
// The readable sources, not the published bundle (dist/node.mjs, minified): the profile sums samples by
// file and function, so the glue and each JS module stay apart and named.
const ydb = await import('../js/node.mjs');

let server;
let endpoint = process.env.YDB_ENDPOINT;
if (!endpoint) {
  const started = await startDevserver();
  server = started.child;
  endpoint = `http://${started.address}`;
}

const table = `profile_kv_${process.pid}`;
const POINT = `DECLARE $k AS Uint64; SELECT * FROM ${table} WHERE k1 = $k`;
const driver = new ydb.Driver({ endpoint, database: '/local' });
try {
  await driver.query(`CREATE TABLE ${table} (k1 Uint64, k2 Uint64, k3 Uint64, s Utf8, d Double, t Timestamp, PRIMARY KEY (k1))`);
  for (let from = 0; from < ROWS; from += 5000) {
    const rows = Array.from({ length: Math.min(5000, ROWS - from) }, (_, j) => {
      const i = from + j;
      return { k1: BigInt(i), k2: BigInt(i * 7), k3: BigInt(i * 13), s: `value-${i}-${'x'.repeat(16)}`, d: i / 3, t: new Date(1_700_000_000_000 + i * 1000) };
    });
    await driver.tableClient().bulkUpsert(table, rows, { k1: 'Uint64', k2: 'Uint64', k3: 'Uint64', s: 'Utf8', d: 'Double', t: 'Timestamp' });
  }
  const read = (i) => driver.query(POINT, { $k: new ydb.TypedValue(BigInt(i % 1000), 'Uint64') });
  await read(1);
  const bare = bareFetchOf(lastRequest()); // the one-shot's own request: no session, replayable as is

  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 50 });
  mkdirSync(join(root, 'target/bench-profile'), { recursive: true });
  // Decoding: every row in one query, next to JSON.parse of the same rows (no I/O).
  const all = () => driver.query(`SELECT * FROM ${table}`);
  const json = decode ? JSON.stringify((await all())[0].rows, (_, v) => (typeof v === 'bigint' ? v.toString() : v)) : '';
  const loops = decode
    ? [[`ydb-wasm decode of ${ROWS} rows`, all], ['JSON.parse of the same rows', async () => JSON.parse(json)]]
    : [['ydb-wasm one-shot', read], ['bare fetch', bare]];
  for (const [name, loop] of loops) {
    for (let i = 0; i < (decode ? 2 : 500); i++) await loop(i);
    globalThis.gc?.();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await session.post('Profiler.start');
    for (let i = 0; i < N; i++) await loop(i);
    const { profile } = await session.post('Profiler.stop');
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const file = join(root, 'target/bench-profile', `${name.replace(/\W+/g, '-')}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    summarize(name, profile, { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, file });
  }
  session.disconnect();
  await driver.query(`DROP TABLE ${table}`);
} finally {
  await driver.stop();
  server?.kill();
}

/** Prints self time per place and the top functions, in microseconds per query. */
function summarize(name, profile, { wallMs, cpuMs, file }) {
  const self = new Map(profile.nodes.map((n) => [n.id, 0]));
  profile.samples.forEach((id, i) => self.set(id, self.get(id) + (profile.timeDeltas[i] ?? 0)));
  const byPlace = new Map();
  const byFunction = new Map();
  let busy = 0;
  for (const node of profile.nodes) {
    const us = self.get(node.id);
    if (!us) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const place = placeOf(functionName, url);
    if (place !== '(idle)') busy += us;
    byPlace.set(place, (byPlace.get(place) ?? 0) + us);
    const fn = `${functionName || '(anonymous)'} ${url ? `${url.replace(/^.*\/(?=[^/]+\/[^/]+$)/, '')}:${lineNumber + 1}` : ''}`.trim();
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  }
  const perRun = (us) => (us / N).toFixed(1).padStart(7);
  console.log(`\n## ${name}: ${N} runs, ${(wallMs / N * 1000).toFixed(0)} µs wall and ${(cpuMs / N * 1000).toFixed(0)} µs process CPU per run; ${perRun(busy).trim()} µs sampled busy on the main thread (profile: ${file})`);
  console.log('µs/run    place');
  for (const [place, us] of [...byPlace].sort((a, b) => b[1] - a[1])) console.log(`${perRun(us)}  ${place}`);
  console.log('µs/run    top functions (self time)');
  for (const [fn, us] of [...byFunction].filter(([f]) => !f.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${perRun(us)}  ${fn}`);
}

function placeOf(functionName, url) {
  if (!url) return functionName.startsWith('(') ? functionName : '(native or builtin)';
  // Node's fetch parses HTTP with a wasm build of llhttp: the bare loop's wasm time is that parser.
  if (url.startsWith('wasm://')) return "wasm (the client; and undici's llhttp)";
  if (url.includes('/pkg/ydb_wasm.js')) return 'wasm-bindgen glue (pkg/ydb_wasm.js)';
  if (url.includes('/js/')) return `package JS (${url.replace(/^.*\/js\//, 'js/')})`;
  if (url.includes('node:internal/deps/undici')) return "Node's fetch (undici)";
  if (url.includes('node:internal/webstreams')) return 'web streams (node:internal/webstreams)';
  if (url.startsWith('node:')) return `node internals (${url.replace(/^node:internal\//, '').split('/')[0]})`;
  return url.includes('/bench/') ? 'this script' : url;
}
