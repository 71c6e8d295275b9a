// Runs the credentials scenario in Node, Bun or Deno (the package's entry for each) with YDB_ENDPOINT,
// YDB_SA_KEY and YDB_TOKEN_TTL_MS from the environment; prints a JSON summary.
const env = (name) => globalThis.Deno ? globalThis.Deno.env.get(name) : globalThis.process.env[name];
const runtime = globalThis.Deno ? 'deno' : globalThis.Bun ? 'bun' : 'node';
const ydb = await import(globalThis.Deno ? '../../js/deno.mjs' : 'ydb-wasm');
const { credentialsScenario } = await import('./credentials-scenario.mjs');
const summary = await credentialsScenario(ydb, {
  endpoint: env('YDB_ENDPOINT'), keyJson: env('YDB_SA_KEY'), ttlMs: Number(env('YDB_TOKEN_TTL_MS')),
});
console.log(JSON.stringify({ runtime, ...summary }));
