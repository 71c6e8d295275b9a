// The service-account key flow in every runtime: makes a key pair (WebCrypto), starts a dev server that
// trusts its public half (--iam-key, tokens living 4 s), and runs tests/runtimes/credentials-scenario.mjs
// in Node, Deno, Bun (when target/js-tools has it), workerd (examples/worker's /credentials) and
// headless Chromium (examples/browser with ?credentials=1), and in Node, Deno and Bun also Driver.fromEnv
// with a key file. Prints one JSON line per runtime.
// Needs target/debug/ydb-devserver (or YDB_DEVSERVER_BIN), the wasm package, and node_modules' deno and
// workerd; Chromium as tests/runtimes/chromium.mjs needs it.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { startDevserver } from '../node/devserver.mjs';
import { serviceAccountKey } from '../node/cloud-keys.mjs';

const TTL_SECONDS = 4;
const sa = await serviceAccountKey();
const server = await startDevserver(['--iam-key', `ajekey1:ajesa1:${sa.publicPath}`, '--iam-token-ttl', String(TTL_SECONDS)]);
const env = {
  ...process.env, YDB_ENDPOINT: server.endpoint, YDB_SA_KEY: sa.keyJson, YDB_SA_KEY_FILE: sa.keyPath,
  YDB_TOKEN_TTL_MS: String(TTL_SECONDS * 1000),
};

function run(what, cmd, args, extraEnv = {}) {
  const r = spawnSync(cmd, args, { env: { ...env, ...extraEnv }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}): ${r.stdout}`);
  const summary = JSON.parse(r.stdout.trim().split('\n').pop());
  if (!summary.ok && !summary.credentials?.ok) throw new Error(`${what}: ${r.stdout}`);
  console.log(JSON.stringify(summary));
}

const freePort = () => new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

// A driver at the worker's module scope keeps one token across requests: fetched in the first, used by the
// second (which, past half its lifetime, refreshes it: in Workers within that request, since what a finished
// request left running is torn down), and the third, past the first token's expiry, is answered at once with
// the refreshed token. Before the refresh ran inside its request, this third request hung for 50 s.
async function moduleScopeToken(port) {
  const ask = async () => {
    const started = performance.now();
    const res = await fetch(`http://127.0.0.1:${port}/credentials-module`, { signal: AbortSignal.timeout(10_000) });
    const body = await res.json();
    if (res.status !== 200 || body.rows?.[0]?.seven !== 7) throw new Error(`workerd /credentials-module: ${JSON.stringify(body)}`);
    return { exchanges: body.exchanges, ms: Math.round(performance.now() - started) };
  };
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const steps = [await ask()];
  await sleep(TTL_SECONDS * 600);
  steps.push(await ask());
  await sleep(TTL_SECONDS * 450);
  steps.push(await ask());
  const [first, second, third] = steps;
  if (first.exchanges !== 1 || second.exchanges !== 2) throw new Error(`module scope: one exchange, then one refresh: ${JSON.stringify(steps)}`);
  // The third request may be past the refreshed token's own half-life too (a 4 s token): a third exchange.
  if (third.exchanges > 3 || third.ms > 1_000) throw new Error(`module scope: past the expiry, a prompt answer: ${JSON.stringify(steps)}`);
  return steps;
}

async function workerd() {
  const port = await freePort();
  const child = spawn(process.env.WORKERD ?? 'node_modules/.bin/workerd',
    ['serve', 'examples/worker/config.capnp', '--socket-addr', `http=127.0.0.1:${port}`], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  try {
    for (let i = 0; ; i++) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/credentials`);
        const body = await res.json();
        if (res.status !== 200 || !body.ok) throw new Error(`workerd /credentials: ${JSON.stringify(body)}`);
        console.log(JSON.stringify({ runtime: 'workerd', ...body }));
        break;
      } catch (e) {
        if (i > 100 || child.exitCode !== null || /credentials:/.test(e.message)) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    console.log(JSON.stringify({ runtime: 'workerd', moduleScope: await moduleScopeToken(port) }));
  } finally {
    child.kill();
  }
}

try {
  run('node', 'node', ['tests/runtimes/credentials-run.mjs']);
  run('deno', 'node_modules/.bin/deno', ['run', '--allow-net=127.0.0.1', `--allow-read=.,${sa.dir}`, '--allow-env', 'tests/runtimes/credentials-run.mjs']);
  const bun = process.env.BUN ?? 'target/js-tools/node_modules/.bin/bun';
  if (existsSync(bun)) run('bun', bun, ['tests/runtimes/credentials-run.mjs']);
  else console.log(JSON.stringify({ runtime: 'bun', skipped: `${bun} not installed (scripts/js-tools.sh)` }));
  await workerd();
  run('chromium', 'node', ['tests/runtimes/chromium.mjs']);
} finally {
  server.stop();
}
