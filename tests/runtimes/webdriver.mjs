// Headless Chromium over the WebDriver protocol, for the runtime scenario (tests/runtimes/chromium.mjs)
// and the cold-start benchmark (bench/cold-edge.mjs): a static server for the repository's files (so pages
// talk to the dev server cross-origin, over CORS), chromedriver on a free port, and its command function.
// CHROMEDRIVER and CHROMIUM name the binaries (default /usr/bin/chromedriver, /usr/bin/chromium).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createServer as netServer } from 'node:net';
import { extname, join, normalize } from 'node:path';

export const chromedriverBin = process.env.CHROMEDRIVER ?? '/usr/bin/chromedriver';
export const chromiumBin = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** Flags for a headless Chromium on a closed network: no background requests that the network refuses. */
export const chromiumArgs = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
  '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-quic'];

const types = { '.html': 'text/html', '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm' };

/** Whether both binaries are there; a reason to skip when not. */
export function missingBrowser() {
  return existsSync(chromedriverBin) && existsSync(chromiumBin) ? null : `no ${chromiumBin} or ${chromedriverBin}`;
}

export const freePort = () => new Promise((resolve) => {
  const s = netServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

/** Serves the files under `root` on a free loopback port; resolves `{ port, close() }`. */
export async function serveFiles(root) {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname));
    if (path.includes('..')) { res.writeHead(403).end(); return; }
    try {
      const body = await readFile(join(root, path));
      res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' }).end(body);
    } catch { res.writeHead(404).end(); }
  });
  const port = await freePort();
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return { port, close: () => server.close() };
}

/**
 * Starts chromedriver and waits (at most 5 s) until it answers; resolves `{ wd(method, path, body?), stop() }`,
 * where `wd` sends one WebDriver command and resolves its `value` (a failed command throws).
 */
export async function startChromedriver() {
  const port = await freePort();
  const child = spawn(chromedriverBin, [`--port=${port}`], { stdio: 'ignore' });
  const wd = async (method, path, body) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      method, headers: { 'content-type': 'application/json' }, body: body && JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`webdriver ${method} ${path}: ${JSON.stringify(json.value)}`);
    return json.value;
  };
  for (let i = 0; ; i++) {
    try { await wd('GET', '/status'); break; } catch (e) {
      if (i > 50) { child.kill(); throw e; }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { wd, stop: () => child.kill() };
}

/** A new browser session with the flags above; resolves its session id. */
export async function newBrowser(wd) {
  const { sessionId } = await wd('POST', '/session', {
    capabilities: { alwaysMatch: { 'goog:chromeOptions': { binary: chromiumBin, args: chromiumArgs } } },
  });
  return sessionId;
}
