// Starts a dev server for a benchmark on a free port (the release build, unless YDB_DEVSERVER_BIN names
// another) and waits for the address it prints.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** `{ child, address }` once the server listens; rejects if it exits first. */
export async function startDevserver(bin = process.env.YDB_DEVSERVER_BIN ?? join(root, 'target/release/ydb-devserver')) {
  const child = spawn(bin, ['--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const address = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/listening on (\S+)/);
      if (m) resolve(m[1]);
    });
    child.on('exit', () => reject(new Error(`${bin} exited`)));
  });
  return { child, address };
}
