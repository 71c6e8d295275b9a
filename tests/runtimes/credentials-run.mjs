// Runs the credentials scenario in Node, Bun or Deno (the package's entry for each) with YDB_ENDPOINT,
// YDB_SA_KEY and YDB_TOKEN_TTL_MS from the environment, then Driver.fromEnv with the key file
// YDB_SA_KEY_FILE (read through this runtime's file API; Yandex Cloud's IAM address sent to the dev server
// by the driver's fetch). Prints a JSON summary.
const env = (name) => globalThis.Deno ? globalThis.Deno.env.get(name) : globalThis.process.env[name];
const runtime = globalThis.Deno ? 'deno' : globalThis.Bun ? 'bun' : 'node';
const ydb = await import(globalThis.Deno ? '../../js/deno.mjs' : 'ydb-wasm');
const { credentialsScenario } = await import('./credentials-scenario.mjs');
const endpoint = env('YDB_ENDPOINT');
const summary = await credentialsScenario(ydb, { endpoint, keyJson: env('YDB_SA_KEY'), ttlMs: Number(env('YDB_TOKEN_TTL_MS')) });

const driver = ydb.Driver.fromEnv(
  { YDB_CONNECTION_STRING: `${endpoint}/local`, YDB_SERVICE_ACCOUNT_KEY_FILE_CREDENTIALS: env('YDB_SA_KEY_FILE') },
  { fetch: (url, init) => fetch(String(url).replace('https://iam.api.cloud.yandex.net', endpoint), init) },
);
try {
  const [rs] = await driver.query('SELECT 5 AS five');
  if (rs.rows[0].five !== 5) throw new Error('fromEnv with a key file: wrong answer');
} finally {
  await driver.stop();
}
console.log(JSON.stringify({ runtime, ...summary, keyFile: 'read' }));
