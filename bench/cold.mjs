// One cold first answer in this fresh process, for bench/run.mjs: `node bench/cold.mjs SCENARIO ADDRESS
// REQUEST_FILE` (or the same under `deno run` or `bun`: only node: modules every runtime has) prints { importMs, firstAnswerMs, requests } as JSON. Times count from this script's start.
// ydb-wasm's also has its phases: `resolvedMs` (the runtime resolved the package name to its entry's URL,
// which a runtime's first bare specifier costs whatever the package), `readyMs` (the driver and the pool made), `calledMs` (the first call
// returned its promise), `fetchMs` (fetch called) and `headersMs` (the answer's headers arrived); the bare
// fetch's `headersMs` too.
// Scenarios: `bare-fetch` (the runtime's own first fetch of ydb-wasm's captured request), `ydb-wasm` (import,
// a driver, one point read) and `@ydbjs` (the same with the official SDK).
import { Buffer } from 'node:buffer';
import { readFileSync } from 'node:fs';
import process from 'node:process';

const t0 = performance.now();
const [scenario, address, requestFile] = process.argv.slice(2);
const POINT = 'DECLARE $k AS Uint64; SELECT * FROM bench_kv WHERE k1 = $k';
const realFetch = globalThis.fetch;
let requests = 0;
const out = {};
const at = () => performance.now() - t0;
globalThis.fetch = (url, init) => {
  requests++;
  out.fetchMs ??= at();
  const answer = realFetch(url, init);
  answer.then(() => { out.headersMs ??= at(); }, () => {});
  return answer;
};
if (scenario === 'bare-fetch') {
  const r = JSON.parse(readFileSync(requestFile, 'utf8'));
  const answer = await fetch(r.url, { method: 'POST', headers: r.headers, body: Buffer.from(r.body, 'base64') });
  await answer.arrayBuffer();
  out.firstAnswerMs = performance.now() - t0;
  out.requests = requests;
} else if (scenario === 'ydb-wasm') {
  const entry = import.meta.resolve('ydb-wasm');
  out.resolvedMs = at();
  const ydb = await import(entry);
  out.importMs = performance.now() - t0;
  const driver = new ydb.Driver({ endpoint: `http://${address}`, database: '/local' });
  const pool = new ydb.QuerySessionPool(driver, { size: 1 });
  out.readyMs = at();
  const answer = pool.executeWithRetries(POINT, { $k: new ydb.TypedValue(1n, 'Uint64') });
  out.calledMs = at();
  const [rs] = await answer;
  out.firstAnswerMs = performance.now() - t0;
  out.requests = requests;
  if (rs.rows.length !== 1) throw new Error('no row');
  await driver.stop();
} else if (scenario === '@ydbjs') {
  const peer = await import('../tests/ydbjs/peer.mjs');
  out.importMs = performance.now() - t0;
  const driver = new peer.Driver(`grpc://${address}/local`);
  const sql = peer.query(driver);
  const [rows] = await sql`SELECT * FROM bench_kv WHERE k1 = ${new peer.Uint64(1n)}`;
  out.firstAnswerMs = performance.now() - t0;
  if (rows.length !== 1) throw new Error('no row');
  driver.close();
} else {
  throw new Error(`unknown scenario ${scenario}`);
}
console.log(JSON.stringify(out));
process.exit(0);
