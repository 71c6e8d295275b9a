// Cold first answers at the edge, for bench/run.mjs: workerd and headless Chromium, each run a fresh
// process (a fresh isolate; a fresh browser with a fresh profile) per measurement, ydb-wasm next to the
// runtime's own first fetch of the request ydb-wasm sends (bench/edge/).
//
// - workerd: spawned with bench/edge/workers.capnp (`bare` or `ydb`); `startMs` is spawn → its socket
//   accepts, `firstRequestMs` the first request → its answer, `totalMs` spawn → answer. workerd listens
//   before it evaluates the worker's modules (a module that spins for 4 s at its top level delays the
//   first answer, not the listening), so `firstRequestMs` is the fresh isolate: its modules evaluated
//   (for ydb-wasm: the import and the wasm's instantiation) and the first answer. Times are seen from
//   outside, so the HTTP hop to workerd is in both.
// - Chromium: a new WebDriver session per run opens bench/edge/page.html; `firstAnswerMs` counts from the
//   navigation's start (the page and its module script load first in both modes), `importMs` is ydb-wasm's
//   dynamic import with the wasm's instantiateStreaming.
//
// Either is skipped, with the reason, when its binaries are missing.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort, missingBrowser, newBrowser, serveFiles, startChromedriver } from '../tests/runtimes/webdriver.mjs';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round1 = (x) => Math.round(x * 10) / 10;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const accepts = (port) => new Promise((resolve) => {
  const socket = connect(port, '127.0.0.1', () => { socket.destroy(); resolve(true); });
  socket.on('error', () => resolve(false));
});
/** Medians of each numeric field over the runs. */
function medians(runs) {
  const out = {};
  for (const k of Object.keys(runs[0])) out[k] = round1(median(runs.map((r) => r[k])));
  return out;
}
const request64 = (captured) => JSON.stringify({ ...captured, body: Buffer.from(captured.body).toString('base64') });

/** workerd: { 'bare-fetch': {...}, 'ydb-wasm': {...} } medians over `runs` fresh processes, or { skipped }. */
export async function coldWorkerd({ root, endpoint, captured, runs }) {
  const bin = process.env.WORKERD ?? join(root, 'node_modules/.bin/workerd');
  if (!existsSync(bin)) return { skipped: `no workerd at ${bin} (npm install)` };
  const out = {};
  for (const [name, config] of [['bare-fetch', 'bare'], ['ydb-wasm', 'ydb']]) {
    const measured = [];
    for (let i = 0; i < runs; i++) {
      const port = await freePort();
      const t0 = performance.now();
      const child = spawn(bin, ['serve', 'bench/edge/workers.capnp', config, '--socket-addr', `http=127.0.0.1:${port}`], {
        cwd: root, env: { ...process.env, YDB_ENDPOINT: endpoint, BENCH_REQUEST: request64(captured) }, stdio: ['ignore', 'ignore', 'inherit'],
      });
      try {
        while (!(await accepts(port))) {
          if (child.exitCode !== null || performance.now() - t0 > 30_000) throw new Error(`workerd (${config}) did not start`);
          await sleep(1);
        }
        const t1 = performance.now();
        const answer = await fetch(`http://127.0.0.1:${port}/`);
        const text = await answer.text();
        const t2 = performance.now();
        if (answer.status !== 200 || text !== 'ok') throw new Error(`workerd (${config}) answered ${answer.status} ${text}`);
        measured.push({ startMs: t1 - t0, firstRequestMs: t2 - t1, totalMs: t2 - t0 });
      } finally {
        child.kill();
      }
    }
    out[name] = medians(measured);
  }
  return out;
}

/** Chromium: { 'bare-fetch': {...}, 'ydb-wasm': {...} } medians over `runs` fresh browsers, or { skipped }. */
export async function coldChromium({ root, endpoint, captured, runs }) {
  const missing = missingBrowser();
  if (missing) return { skipped: missing };
  // The page and the package, served from the repository: the page talks to the dev server cross-origin.
  const files = await serveFiles(root);
  const { wd, stop } = await startChromedriver();
  const out = {};
  try {
    for (const [name, mode] of [['bare-fetch', 'bare'], ['ydb-wasm', 'ydb']]) {
      const measured = [];
      for (let i = 0; i < runs; i++) {
        const sessionId = await newBrowser(wd);
        try {
          const query = new URLSearchParams({ mode, endpoint, request: request64(captured) });
          await wd('POST', `/session/${sessionId}/url`, { url: `http://127.0.0.1:${files.port}/bench/edge/page.html?${query}` });
          let state = 'loading';
          for (let j = 0; j < 600 && state === 'loading'; j++) {
            state = await wd('POST', `/session/${sessionId}/execute/sync`, { script: 'return document.body.dataset.state', args: [] });
            if (state === 'loading') await sleep(20);
          }
          const result = await wd('POST', `/session/${sessionId}/execute/sync`, { script: 'return document.body.dataset.result', args: [] });
          if (state !== 'done') throw new Error(`the Chromium page (${mode}) ended ${state}: ${result}`);
          measured.push(JSON.parse(result));
        } finally {
          await wd('DELETE', `/session/${sessionId}`).catch(() => {});
        }
      }
      out[name] = medians(measured);
    }
  } finally {
    stop();
    files.close();
  }
  return out;
}
