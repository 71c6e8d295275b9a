// Starts a dev server of its own for one test file, so that the faults, users or node stops a file
// scripts never disturb the other files. Not a test file itself (node --test skips this name).
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';

const binary = process.env.YDB_DEVSERVER_BIN ?? 'target/debug/ydb-devserver';

/**
 * `args` are the dev server's own flags beyond `--listen 127.0.0.1:0`. Resolves to
 * `{ endpoint, nodes, admin, call, stop }`: `nodes` are the gRPC-web URLs of every node (the first is
 * `endpoint`), `admin` the admin URL when `--admin` was given, `call(method, path, body?)` an admin request.
 */
export async function startDevserver(args = []) {
  const server = spawn(binary, ['--listen', '127.0.0.1:0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const wantAdmin = args.includes('--admin');
  const nodeCount = Number(args[args.indexOf('--nodes') + 1] ?? 1) || 1;
  const { nodes, admin } = await new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (chunk) => {
      out += chunk;
      const nodes = [...out.matchAll(/listening on (\S+)/g)].map((m) => `http://${m[1]}`);
      const adm = out.match(/admin on (\S+)/);
      if (nodes.length >= nodeCount && (!wantAdmin || adm)) resolve({ nodes, admin: adm && `http://${adm[1]}` });
    });
    server.on('exit', () => reject(new Error('the dev server exited')));
  });
  const call = async (method, path, body) => {
    const r = await fetch(`${admin}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
    assert.ok(r.ok, `${method} ${path}: HTTP ${r.status}`);
    return r.json();
  };
  return { endpoint: nodes[0], nodes, admin, call, stop: () => server.kill() };
}
