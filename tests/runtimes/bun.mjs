// Runs the shared scenario in Bun through the package's `node` export (Bun resolves that condition, having
// none of its own in the package); prints a JSON summary.
if (typeof Bun === 'undefined') throw new Error('tests/runtimes/bun.mjs runs under Bun: bun tests/runtimes/bun.mjs');
const endpoint = process.env.YDB_ENDPOINT ?? 'http://127.0.0.1:2136';
const started = performance.now();
const ydb = await import('ydb-wasm');
const { firstAnswer } = await import('./first-answer.mjs');
const coldStartMs = await firstAnswer(ydb, endpoint, started);
const { scenario } = await import('./scenario.mjs');
console.log(JSON.stringify({ runtime: 'bun', version: Bun.version, coldStartMs, ...(await scenario(ydb, { endpoint })) }));
