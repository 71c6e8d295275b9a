// Discovery against a three-node dev server started here: single-endpoint mode keeps every call on the
// configured endpoint; balanced mode spreads sessions round-robin over the nodes ListEndpoints lists,
// skips a node that stopped answering, takes it back once discovery lists it again, and survives the
// configured endpoint itself going down. The dev server's session ids name their node (`node_id=N`), and
// a node answers BAD_SESSION for sessions of another, so a session that strayed from its node would fail.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDevserver } from './devserver.mjs';
import { Driver, SessionPool, QuerySessionPool, RetrySettings } from 'ydb-wasm';

let server;

before(async () => {
  server = await startDevserver(['--nodes', '3', '--admin', '127.0.0.1:0']);
});
after(() => server.stop());

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const nodeOf = (session) => Number(/node_id=(\d+)/.exec(session.sessionId)?.[1]);
const count = (xs) => xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map());

/** Opens `n` table sessions outside any pool, notes their nodes, closes them. */
async function sessionNodes(driver, n) {
  const sessions = [];
  for (let i = 0; i < n; i++) sessions.push(await driver.tableClient().session());
  const nodes = sessions.map(nodeOf);
  await Promise.all(sessions.map((s) => s.close()));
  return nodes;
}

test('single-endpoint mode, the default, sends every call to the configured endpoint', async () => {
  const driver = new Driver({ endpoint: server.nodes[1], database: '/local' });
  assert.equal(await driver.wait({ failFast: true, timeoutMs: 5000 }), true);
  assert.deepEqual(new Set(await sessionNodes(driver, 6)), new Set([2]));
  assert.match(driver.discoveryDebugDetails, /^ok: single-endpoint mode/);
  assert.doesNotMatch(driver.discoveryDebugDetails, /using/);
  await driver.stop();
});

test('balanced mode spreads sessions round-robin over the listed nodes, for both services', async () => {
  const driver = new Driver({ endpoint: server.endpoint, database: '/local', discovery: 'balanced' });
  assert.equal(await driver.wait({ failFast: true, timeoutMs: 5000 }), true);
  assert.match(driver.discoveryDebugDetails, /^ok: balanced mode.*using \[node 1 at .*, node 2 at .*, node 3 at .*\]$/);

  const tableNodes = count(await sessionNodes(driver, 6));
  assert.deepEqual([...tableNodes.entries()].sort(), [[1, 2], [2, 2], [3, 2]], 'two sessions on each node');

  const queries = new QuerySessionPool(driver, { size: 3 });
  const held = [await queries.acquire(), await queries.acquire(), await queries.acquire()];
  assert.deepEqual(new Set(held.map(nodeOf)), new Set([1, 2, 3]));
  for (const s of held) {
    // Each session answers through its own node; a call sent elsewhere would be BAD_SESSION.
    const rows = [];
    for await (const part of s.executeQuery('SELECT 1 AS one')) rows.push(...part.rows);
    assert.deepEqual(rows, [{ one: 1 }]);
    queries.release(s);
  }
  const listing = await driver.schemeClient().listDirectory('/local');
  assert.ok(Array.isArray(listing.children));
  await driver.stop();
});

test('a stopped node is pessimised and skipped without failing work, and forgiven when discovery lists it again', async () => {
  // The default interval (60 s): no periodic refresh interferes, the pessimisation alone steers the work.
  const driver = new Driver({ endpoint: server.endpoint, database: '/local', discovery: 'balanced' });
  assert.equal(await driver.wait({ failFast: true, timeoutMs: 5000 }), true);
  const pool = new SessionPool(driver, { size: 6 });
  await pool.retryOperation((s) => s.executeSchemeQuery('CREATE TABLE kv (k Uint64, v Utf8, PRIMARY KEY (k))'));
  // Six sessions, two per node, sit idle in the pool when node 2 goes down.
  const held = [];
  for (let i = 0; i < 6; i++) held.push(await pool.acquire());
  assert.deepEqual(new Set(held.map(nodeOf)), new Set([1, 2, 3]));
  held.forEach((s) => pool.release(s));
  assert.equal((await server.call('POST', '/nodes/2/stop')).changed, true);
  try {
    // Six workers at once, so that every idle session, those on node 2 included, gets used.
    const idempotent = new RetrySettings({ idempotent: true });
    const attempts = [];
    await Promise.all([0, 1, 2, 3, 4, 5].map(async (w) => {
      for (let k = w * 5; k < w * 5 + 5; k++) {
        let n = 0;
        const node = await pool.retryOperation(async (s) => {
          n++;
          await s.executeQuery(`UPSERT INTO kv (k, v) VALUES (${k}ul, "v${k}")`);
          return nodeOf(s);
        }, idempotent);
        attempts.push(n);
        assert.notEqual(node, 2, 'no work succeeds on the stopped node');
      }
    }));
    const retried = attempts.filter((n) => n > 1).length;
    assert.ok(retried >= 1 && retried <= 2, `the two idle sessions on node 2 cost a retry each, no more: ${attempts}`);
    assert.ok(!(await sessionNodes(driver, 6)).includes(2), 'new sessions avoid the stopped node');
    assert.match(driver.discoveryDebugDetails, /node 1 at \S+, node 2 at \S+ \(pessimised\), node 3 at \S+\]$/);
  } finally {
    assert.equal((await server.call('POST', '/nodes/2/start')).changed, true);
  }
  assert.ok(!(await sessionNodes(driver, 3)).includes(2), 'still pessimised until discovery runs again');
  assert.equal(await driver.wait({ timeoutMs: 5000 }), true, 'wait() runs discovery now');
  assert.doesNotMatch(driver.discoveryDebugDetails, /pessimised/);
  assert.deepEqual(new Set(await sessionNodes(driver, 3)), new Set([1, 2, 3]));
  await pool.stop();
  await driver.stop();
});

test('the node list is refreshed every intervalMs while the driver is used', async () => {
  const driver = new Driver({ endpoint: server.endpoint, database: '/local', discovery: { mode: 'balanced', intervalMs: 300 } });
  assert.equal(await driver.wait({ failFast: true, timeoutMs: 5000 }), true);
  const listed = () => [...driver.discoveryDebugDetails.matchAll(/node (\d) at/g)].map((m) => Number(m[1]));
  assert.deepEqual(listed(), [1, 2, 3]);
  await server.call('POST', '/nodes/3/stop');
  try {
    // Calls keep the driver in use (one may fail on node 3 and mark it); only a refresh drops a node.
    const use = () => driver.schemeClient().listDirectory('/local').catch(() => {});
    for (let i = 0; i < 100 && listed().includes(3); i++) {
      await sleep(50);
      await use();
    }
    assert.deepEqual(listed(), [1, 2], 'a refresh dropped node 3');
  } finally {
    await server.call('POST', '/nodes/3/start');
  }
  for (let i = 0; i < 100 && !listed().includes(3); i++) {
    await sleep(50);
    await driver.schemeClient().listDirectory('/local');
  }
  assert.deepEqual(listed(), [1, 2, 3], 'a later refresh took node 3 back');
  assert.deepEqual(new Set(await sessionNodes(driver, 3)), new Set([1, 2, 3]));
  await driver.stop();
});

test('with the configured endpoint down, discovery asks the nodes it already knows', async () => {
  const driver = new Driver({ endpoint: server.endpoint, database: '/local', discovery: 'balanced' });
  assert.equal(await driver.wait({ failFast: true, timeoutMs: 5000 }), true);
  await server.call('POST', '/nodes/1/stop');
  try {
    assert.equal(await driver.wait({ failFast: true, timeoutMs: 5000 }), true);
    assert.match(driver.discoveryDebugDetails, /^ok: .*discovered \[[^\]]*\]/);
    const nodes = await sessionNodes(driver, 4);
    assert.deepEqual(new Set(nodes), new Set([2, 3]));
    // Single-endpoint mode has nowhere else to go.
    const single = new Driver({ endpoint: server.endpoint, database: '/local' });
    assert.equal(await single.wait({ timeoutMs: 300 }), false);
    assert.match(single.discoveryDebugDetails, /^failed: single-endpoint mode/);
    await single.stop();
  } finally {
    await server.call('POST', '/nodes/1/start');
  }
  await driver.stop();
});

test('mapEndpoint names each node\'s URL and can leave nodes out', async () => {
  const seen = [];
  const driver = new Driver({
    endpoint: server.endpoint,
    database: '/local',
    discovery: {
      mode: 'balanced',
      mapEndpoint: (e) => {
        seen.push(e);
        return e.nodeId === 3 ? null : `http://localhost:${e.port}`;
      },
    },
  });
  assert.equal(await driver.wait({ failFast: true, timeoutMs: 5000 }), true);
  assert.deepEqual(seen.map((e) => e.nodeId).sort(), [1, 2, 3]);
  assert.deepEqual(Object.keys(seen[0]).sort(), ['address', 'location', 'nodeId', 'port', 'ssl']);
  assert.deepEqual(new Set(await sessionNodes(driver, 4)), new Set([1, 2]));
  assert.match(driver.discoveryDebugDetails, /node 1 at http:\/\/localhost:\d+/);
  await driver.stop();

  const bad = new Driver({ endpoint: server.endpoint, database: '/local', discovery: { mode: 'balanced', mapEndpoint: () => 42 } });
  await assert.rejects(bad.wait({ failFast: true, timeoutMs: 5000 }), TypeError);
  await bad.stop();
});

test('discovery options are checked', () => {
  const make = (discovery) => new Driver({ endpoint: server.endpoint, database: '/local', discovery });
  assert.throws(() => make('everywhere'), { name: 'TypeError', message: /single.*balanced/ });
  assert.throws(() => make({ mode: 'x' }), TypeError);
  assert.throws(() => make({ intervalMs: -1 }), TypeError);
  assert.throws(() => make({ mapEndpoint: 'http://x' }), TypeError);
  assert.throws(() => make(7), TypeError);
  for (const ok of [undefined, 'single', 'balanced', { mode: 'balanced', intervalMs: 1000 }]) make(ok).stop();
});
