// Runs examples/browser/ (and through it the shared scenario) in headless Chromium, driven over the
// WebDriver protocol by chromedriver; the page and the package are served from the repository by a
// small static server, so the page talks to the dev server cross-origin (CORS) over gRPC-web.
// Needs YDB_ENDPOINT (and YDB_SA_KEY for the credentials scenario), and CHROMEDRIVER / CHROMIUM (default /usr/bin/chromedriver, /usr/bin/chromium).
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { createServer as netServer } from 'node:net';

const endpoint = process.env.YDB_ENDPOINT ?? 'http://127.0.0.1:2136';
const chromedriver = process.env.CHROMEDRIVER ?? '/usr/bin/chromedriver';
const chromium = process.env.CHROMIUM ?? '/usr/bin/chromium';
const root = new URL('../../', import.meta.url).pathname;
const types = { '.html': 'text/html', '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm' };

const freePort = () => new Promise((resolve) => {
  const s = netServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

const files = createServer(async (req, res) => {
  const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname));
  if (path.includes('..')) { res.writeHead(403).end(); return; }
  try {
    const body = await readFile(join(root, path));
    res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' }).end(body);
  } catch { res.writeHead(404).end(); }
});
const filesPort = await freePort();
await new Promise((r) => files.listen(filesPort, '127.0.0.1', r));

const driverPort = await freePort();
const driver = spawn(chromedriver, [`--port=${driverPort}`], { stdio: 'ignore' });
const wd = async (method, path, body) => {
  const res = await fetch(`http://127.0.0.1:${driverPort}${path}`, {
    method, headers: { 'content-type': 'application/json' }, body: body && JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`webdriver ${method} ${path}: ${JSON.stringify(json.value)}`);
  return json.value;
};

let session;
try {
  for (let i = 0; ; i++) {
    try { await wd('GET', '/status'); break; } catch (e) {
      if (i > 50) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const args = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'];
  ({ sessionId: session } = await wd('POST', '/session', {
    capabilities: { alwaysMatch: { 'goog:chromeOptions': { binary: chromium, args } } },
  }));
  // With YDB_SA_KEY (tests/runtimes/credentials.mjs): the credentials scenario instead of the data one, the
  // key in the URL's fragment (never sent to the file server).
  const task = process.env.YDB_SA_KEY
    ? `credentials=1&ttlMs=${process.env.YDB_TOKEN_TTL_MS}`
    : 'scenario=1';
  const fragment = process.env.YDB_SA_KEY ? `#${encodeURIComponent(process.env.YDB_SA_KEY)}` : '';
  const page = `http://127.0.0.1:${filesPort}/examples/browser/index.html?${task}&endpoint=${encodeURIComponent(endpoint)}${fragment}`;
  await wd('POST', `/session/${session}/url`, { url: page });
  const read = (script) => wd('POST', `/session/${session}/execute/sync`, { script, args: [] });
  let state = 'loading';
  for (let i = 0; i < 1200 && state === 'loading'; i++) {
    await new Promise((r) => setTimeout(r, 100));
    state = await read('return document.body.dataset.state');
  }
  if (state !== 'done') {
    throw new Error(`the page ended in state ${state}: ${await read("return document.getElementById('error').textContent")}`);
  }
  const shown = await read("return document.querySelectorAll('#rows tr').length");
  if (!process.env.YDB_SA_KEY && shown !== 3) throw new Error(`the page shows ${shown} table rows, expected a header and 2 rows`);
  console.log(await read("return document.getElementById('result').textContent"));
} finally {
  if (session) await wd('DELETE', `/session/${session}`).catch(() => {});
  driver.kill();
  files.close();
}
