// Runs the shared scenario in Node through the package's `node` export; prints a JSON summary.
const endpoint = process.env.YDB_ENDPOINT ?? 'http://127.0.0.1:2136';
const started = performance.now();
const ydb = await import('ydb-wasm');
const { firstAnswer } = await import('./first-answer.mjs');
const coldStartMs = await firstAnswer(ydb, endpoint, started);
const { scenario } = await import('./scenario.mjs');
console.log(JSON.stringify({ runtime: 'node', coldStartMs, ...(await scenario(ydb, { endpoint })) }));
