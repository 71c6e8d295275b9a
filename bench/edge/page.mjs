// A cold first answer in a fresh Chromium page, for bench/cold-edge.mjs: ydb-wasm as it is published
// (dist/browser.mjs, one module, what a bundler starts from), not the readable sources (seven modules, each
// its own request). The query string carries the mode (`bare`: the browser's own fetch of ydb-wasm's captured
// request; `ydb`: import ydb-wasm, one point read with `driver.query`), the dev server's endpoint and, for
// `bare`, the request. `moduleStartMs` and `firstAnswerMs` are milliseconds since the navigation started
// (performance.now()), `fromModuleMs` the time between them (without the browser's own start and page load,
// which vary most), `importMs` and `queryMs` ydb-wasm's import (with the wasm's instantiateStreaming) and its
// first query. The result lands in document.body.dataset.
const params = new URLSearchParams(location.search);
const out = { moduleStartMs: performance.now() };
try {
  if (params.get('mode') === 'bare') {
    const request = JSON.parse(params.get('request'));
    const body = Uint8Array.from(atob(request.body), (c) => c.charCodeAt(0));
    const answer = await fetch(request.url, { method: 'POST', headers: request.headers, body });
    await answer.arrayBuffer();
    if (!answer.ok) throw new Error(`status ${answer.status}`);
  } else {
    const t0 = performance.now();
    const { Driver, TypedValue } = await import('../../dist/browser.mjs');
    out.importMs = performance.now() - t0;
    const t1 = performance.now();
    const driver = new Driver({ endpoint: params.get('endpoint'), database: '/local' });
    const [rs] = await driver.query('DECLARE $k AS Uint64; SELECT * FROM bench_kv WHERE k1 = $k', { $k: new TypedValue(1n, 'Uint64') });
    if (rs.rows.length !== 1) throw new Error(`${rs.rows.length} rows`);
    out.queryMs = performance.now() - t1;
  }
  out.firstAnswerMs = performance.now();
  out.fromModuleMs = out.firstAnswerMs - out.moduleStartMs;
  document.body.dataset.result = JSON.stringify(out);
  document.body.dataset.state = 'done';
} catch (e) {
  document.body.dataset.result = String(e?.stack ?? e);
  document.body.dataset.state = 'failed';
}
