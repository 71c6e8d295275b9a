// Runs examples/browser/ (and through it the shared scenario) in headless Chromium, driven over the
// WebDriver protocol by chromedriver; the page and the package are served from the repository by a
// small static server, so the page talks to the dev server cross-origin (CORS) over gRPC-web.
// Needs YDB_ENDPOINT (and YDB_SA_KEY for the credentials scenario), and CHROMEDRIVER / CHROMIUM (default /usr/bin/chromedriver, /usr/bin/chromium).
import { newBrowser, serveFiles, startChromedriver } from './webdriver.mjs';

const endpoint = process.env.YDB_ENDPOINT ?? 'http://127.0.0.1:2136';
const root = new URL('../../', import.meta.url).pathname;
const files = await serveFiles(root);
const { wd, stop } = await startChromedriver();

let session;
try {
  session = await newBrowser(wd);
  // With YDB_SA_KEY (tests/runtimes/credentials.mjs): the credentials scenario instead of the data one, the
  // key in the URL's fragment (never sent to the file server).
  const task = process.env.YDB_SA_KEY
    ? `credentials=1&ttlMs=${process.env.YDB_TOKEN_TTL_MS}`
    : 'scenario=1';
  const fragment = process.env.YDB_SA_KEY ? `#${encodeURIComponent(process.env.YDB_SA_KEY)}` : '';
  const page = `http://127.0.0.1:${files.port}/examples/browser/index.html?${task}&endpoint=${encodeURIComponent(endpoint)}${fragment}`;
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
  stop();
  files.close();
}
