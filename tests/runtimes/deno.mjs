// Runs the shared scenario in Deno through the package's `deno` entry; prints a JSON summary.
const endpoint = Deno.env.get('YDB_ENDPOINT') ?? 'http://127.0.0.1:2136';
const started = performance.now();
const ydb = await import('../../js/deno.mjs');
const { firstAnswer } = await import('./first-answer.mjs');
const coldStartMs = await firstAnswer(ydb, endpoint, started);
const { scenario } = await import('./scenario.mjs');
console.log(JSON.stringify({ runtime: 'deno', coldStartMs, ...(await scenario(ydb, { endpoint })) }));
