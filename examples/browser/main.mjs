// The browser example: connects to YDB over gRPC-web, runs a query and shows its rows.
// With ?scenario=1 it also runs the shared runtime scenario; with ?credentials=1 it runs the
// service-account key scenario instead, the key in the URL's fragment (the test suite drives it these ways).
const params = new URLSearchParams(location.search);
const endpoint = params.get('endpoint') ?? 'http://127.0.0.1:2136';
document.getElementById('endpoint').textContent = endpoint;

function show(rs) {
  const table = document.getElementById('rows');
  const head = table.insertRow();
  for (const c of rs.columns) head.insertCell().outerHTML = `<th>${c.name} <small>${c.type}</small></th>`;
  for (const row of rs.rows) {
    const tr = table.insertRow();
    for (const c of rs.columns) tr.insertCell().textContent = String(row[c.name]);
  }
}

async function example(ydb, started) {
  const driver = new ydb.Driver({ endpoint, database: '/local' });
  const pool = new ydb.QuerySessionPool(driver, { size: 1 });
  const [rs] = await pool.executeWithRetries(
    'SELECT 1 AS id, "hello from YDB"u AS greeting, CurrentUtcTimestamp() AS now UNION ALL ' +
    'SELECT 2 AS id, "over gRPC-web"u AS greeting, CurrentUtcTimestamp() AS now',
  );
  const coldStartMs = Math.round((performance.now() - started) * 10) / 10;
  show(rs);
  await pool.stop();
  await driver.stop();
  let summary = { runtime: 'chromium', coldStartMs, rows: rs.rows.length };
  if (params.get('scenario')) {
    const { scenario } = await import('../../tests/runtimes/scenario.mjs');
    summary = { ...summary, ...(await scenario(ydb, { endpoint })) };
  }
  return summary;
}

async function credentials(ydb) {
  const { credentialsScenario } = await import('../../tests/runtimes/credentials-scenario.mjs');
  const keyJson = decodeURIComponent(location.hash.slice(1));
  return { runtime: 'chromium', ...(await credentialsScenario(ydb, { endpoint, keyJson, ttlMs: Number(params.get('ttlMs')) })) };
}

const started = performance.now();
try {
  const ydb = await import('../../js/browser.mjs');
  const summary = params.get('credentials') ? await credentials(ydb) : await example(ydb, started);
  document.getElementById('result').textContent = JSON.stringify(summary);
  document.body.dataset.state = 'done';
} catch (e) {
  document.getElementById('error').textContent = `${e?.name}: ${e?.message}\n${e?.stack ?? ''}`;
  document.body.dataset.state = 'error';
}
