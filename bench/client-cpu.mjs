// The client's own CPU per warm one-shot point read, without the network: the driver's `fetch` answers
// from memory with the answer the dev server gave once (the `Request` is still built from the client's
// `init`, as a real fetch would), so what is measured is the client plus making and reading a `Response`
// — steadier than a run against the server on a busy machine. Blocks of N reads per client, interleaved,
// medians of process CPU per read.
//
//   node bench/client-cpu.mjs [ROUNDS] [N]                       # default 10 rounds of 2,000 reads
//   BASELINE=/path/to/other/js/node.mjs node bench/client-cpu.mjs   # and another build beside this one
import { startDevserver } from './devserver.mjs';

const ROUNDS = Number(process.argv[2] ?? 10);
const N = Number(process.argv[3] ?? 2000);
const builds = { 'ydb-wasm': await import('../js/node.mjs') };
if (process.env.BASELINE) builds.baseline = await import(process.env.BASELINE);

const table = `client_cpu_${process.pid}`;
const POINT = `DECLARE $k AS Uint64; SELECT * FROM ${table} WHERE k1 = $k`;
const ydb = builds['ydb-wasm'];
let answer;
const { child, address } = await startDevserver();
const endpoint = `http://${address}`;
try {
  const driver = new ydb.Driver({ endpoint, database: '/local' });
  await driver.query(`CREATE TABLE ${table} (k1 Uint64, k2 Uint64, k3 Uint64, s Utf8, d Double, t Timestamp, PRIMARY KEY (k1))`);
  await driver.query(`UPSERT INTO ${table} (k1, k2, k3, s, d, t) VALUES (5, 35, 65, 'value-5-xxxxxxxxxxxxxxxx', 1.5, Timestamp('2023-11-14T22:13:25Z'))`);
  const capture = async (url, init) => {
    const r = await fetch(url, init);
    answer = { body: new Uint8Array(await r.clone().arrayBuffer()), headers: [...r.headers] };
    return r;
  };
  const capturing = new ydb.Driver({ endpoint, database: '/local', fetch: capture });
  await capturing.query(POINT, { $k: new ydb.TypedValue(5n, 'Uint64') });
  await driver.query(`DROP TABLE ${table}`);
  await Promise.all([driver.stop(), capturing.stop()]);
} finally {
  child.kill();
}

const fromMemory = async (url, init) => {
  if (url) new Request(url, init);
  return new Response(answer.body, { status: 200, headers: answer.headers });
};
const loops = {};
for (const [name, build] of Object.entries(builds)) {
  const driver = new build.Driver({ endpoint, database: '/local', fetch: fromMemory });
  loops[name] = (i) => driver.query(POINT, { $k: new build.TypedValue(BigInt(i % 1000), 'Uint64') });
}
loops['Response made and read'] = async () => (await fromMemory()).arrayBuffer();

const perRead = Object.fromEntries(Object.keys(loops).map((name) => [name, []]));
for (const loop of Object.values(loops)) for (let i = 0; i < 2000; i++) await loop(i);
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, loop] of Object.entries(loops)) {
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < N; i++) await loop(i);
    const cpu = process.cpuUsage(cpu0);
    perRead[name].push((cpu.user + cpu.system) / N);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`µs of process CPU per warm one-shot read from memory (median of ${ROUNDS} blocks of ${N}):`);
for (const [name, xs] of Object.entries(perRead)) console.log(`${median(xs).toFixed(1).padStart(7)}  ${name}`);
process.exit(0);
