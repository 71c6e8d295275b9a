// Proof suites of the client's retries against the dev server's fault injection. This file starts its
// own dev server with an admin endpoint, so the faults it injects never disturb the other tests.
//
// 1. An SLO-shaped workload: readers and writers at a steady rate through both pools' retry loops while
//    OVERLOADED, UNAVAILABLE, BAD_SESSION, cut answers, session kills and restarts are injected.
// 2. Concurrent bank transfers: serializable read-then-update transactions that conflict (ABORTED) and
//    are retried; the total balance never changes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDevserver } from './devserver.mjs';
import {
  Driver, SessionPool, QuerySessionPool, RetrySettings, BackoffSettings, TypedValue, PrimitiveType as P, OverloadedError, UnavailableError,
  CancelledError,
} from 'ydb-wasm';

const LOAD_MS = Number(process.env.RESILIENCE_LOAD_MS ?? 10_000);
const TRANSFERS = Number(process.env.RESILIENCE_TRANSFERS ?? 1_000);
let server;
let endpoint;

before(async () => {
  server = await startDevserver(['--admin', '127.0.0.1:0']);
  endpoint = server.endpoint;
});
after(() => server.stop());

const call = (method, path, body) => server.call(method, path, body);

/** Waits until the server holds no session (deletes of closed sessions are sent in the background). */
async function sessionsLeft(admin = call) {
  let stats;
  for (let i = 0; i < 50; i++) {
    stats = await admin('GET', '/stats');
    if (stats.sessions === 0) break;
    await sleep(100);
  }
  return stats.sessions;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const u64 = (v) => new TypedValue(BigInt(v), P.Uint64);
const isTransport = (e) => e?.kind === 'transport';

async function drain(stream) {
  const rows = [];
  for await (const part of stream) rows.push(...part.rows);
  return rows;
}

/**
 * The SLO-shaped workload against `cluster` (a started dev server): `faults` are run one after another in
 * rotation, every 600 ms; `mayBeUndetermined(injected)` bounds the non-idempotent increments whose answer
 * may be lost, from how often each fault was injected.
 */
async function sloWorkload({ cluster, discovery, faults, mayBeUndetermined, label }) {
  const call = cluster.call;
  const driver = new Driver({ endpoint: cluster.endpoint, database: '/local', discovery });
  assert.equal(await driver.wait({ failFast: true, timeoutMs: 5000 }), true);
  const tables = new SessionPool(driver, { size: 8 });
  const queries = new QuerySessionPool(driver, { size: 8 });
  await queries.executeWithRetries(`CREATE TABLE slo (hash Uint64, id Uint64, payload_str Utf8, payload_double Double,
    payload_timestamp Timestamp, payload_hash Uint64, PRIMARY KEY (hash, id))`);
  await queries.executeWithRetries('CREATE TABLE slo_counters (worker Uint64, n Uint64, PRIMARY KEY (worker))');
  await queries.executeWithRetries('UPSERT INTO slo_counters (worker, n) VALUES (0ul, 0ul), (1ul, 0ul)');

  const idempotent = new RetrySettings({ idempotent: true });
  const stats = { ops: 0, ok: 0, attempts: 0, failed: 0, undetermined: 0, readBack: 0, errors: {} };
  const acked = new Map(); // `${hash}:${id}` → payload_str
  const counters = [{ acked: 0, undetermined: 0 }, { acked: 0, undetermined: 0 }];
  const deadline = Date.now() + LOAD_MS;
  const failure = (e) => {
    stats.failed++;
    const key = `${e?.status ?? e?.name}`;
    stats.errors[key] = (stats.errors[key] ?? 0) + 1;
  };
  const row = (hash, id) => ({
    $hash: u64(hash), $id: u64(id), $s: `payload ${hash}:${id}`, $d: new TypedValue(id * 0.5, P.Double),
    $ts: new Date(1_700_000_000_000 + id), $ph: u64(hash ^ id),
  });
  const INSERT = `DECLARE $hash AS Uint64; DECLARE $id AS Uint64; DECLARE $s AS Utf8; DECLARE $d AS Double;
    DECLARE $ts AS Timestamp; DECLARE $ph AS Uint64;
    INSERT INTO slo (hash, id, payload_str, payload_double, payload_timestamp, payload_hash)
    VALUES ($hash, $id, $s, $d, $ts, $ph)`;
  const READ = 'DECLARE $hash AS Uint64; DECLARE $id AS Uint64; SELECT * FROM slo WHERE hash = $hash AND id = $id';

  // Writers: INSERTs of unique keys through the table service. An INSERT cannot apply twice (a second
  // one of the same key fails with PRECONDITION_FAILED), so it is retried as idempotent; a retry that
  // finds its own row proves the lost answer's write was applied, once.
  const writer = async (w) => {
    for (let n = 0; Date.now() < deadline; n++) {
      const id = w * 1_000_000 + n;
      const hash = (id * 2654435761) % 1000;
      const params = row(hash, id);
      let attempts = 0;
      stats.ops++;
      try {
        await tables.retryOperation(async (session) => {
          attempts++;
          try {
            await session.executeQuery(INSERT, params);
          } catch (e) {
            if (attempts === 1 || e?.status !== 'PRECONDITION_FAILED') throw e;
            const [rs] = await session.executeQuery(READ, { $hash: params.$hash, $id: params.$id });
            assert.equal(rs.rows[0]?.payload_str, params.$s, 'the existing row is the one this writer sent');
            stats.readBack++;
          }
        }, idempotent);
        acked.set(`${hash}:${id}`, params.$s);
        stats.ok++;
      } catch (e) {
        failure(e);
      }
      stats.attempts += attempts;
      await sleep(10);
    }
  };

  // Counter increments through the query service: not idempotent, so an answer lost after sending is
  // not retried; the final count lies between the acknowledged and the acknowledged + undetermined.
  const counter = async (w) => {
    while (Date.now() < deadline) {
      let attempts = 0;
      stats.ops++;
      try {
        await queries.retryOperation(async (session) => {
          attempts++;
          await drain(session.executeQuery(`UPDATE slo_counters SET n = n + 1ul WHERE worker = ${w}ul`, {},
            { txControl: { beginTx: { mode: 'serializableReadWrite' }, commitTx: true } }));
        });
        counters[w].acked++;
        stats.ok++;
      } catch (e) {
        if (isTransport(e) && e.status === 'CONNECTION_LOST') {
          counters[w].undetermined++;
          stats.undetermined++;
        }
        failure(e);
      }
      stats.attempts += attempts;
      await sleep(10);
    }
  };

  // Readers: point reads of acknowledged rows, alternately through each service; every one must be found.
  const reader = async (r) => {
    for (let n = 0; Date.now() < deadline; n++) {
      const keys = [...acked.keys()];
      if (keys.length === 0) { await sleep(10); continue; }
      const key = keys[Math.floor(Math.random() * keys.length)];
      const [hash, id] = key.split(':').map(Number);
      const params = { $hash: u64(hash), $id: u64(id) };
      let attempts = 0;
      stats.ops++;
      try {
        let rows;
        if ((n + r) % 2 === 0) {
          rows = await tables.retryOperation(async (session) => {
            attempts++;
            return (await session.executeQuery(READ, params))[0].rows;
          }, idempotent);
        } else {
          rows = await queries.retryOperation(async (session) => {
            attempts++;
            return drain(session.executeQuery(READ, params));
          }, idempotent);
        }
        assert.equal(rows[0]?.payload_str, acked.get(key), `acknowledged row ${key} is readable`);
        stats.ok++;
      } catch (e) {
        if (e instanceof assert.AssertionError) throw e;
        failure(e);
      }
      stats.attempts += attempts;
      await sleep(10);
    }
  };

  // The chaos: one fault after another, every 600 ms, in a fixed rotation.
  const injected = {};
  const chaos = async () => {
    for (let i = 0; Date.now() < deadline - 1500; i++) {
      await sleep(600);
      const k = i % faults.length;
      await faults[k]();
      injected[k] = (injected[k] ?? 0) + 1;
    }
  };

  await Promise.all([
    writer(0), writer(1), writer(2), writer(3), counter(0), counter(1), reader(0), reader(1), reader(2), reader(3),
    chaos(),
  ]);
  const { faults: left } = await call('GET', '/faults');
  const faultsHit = left.reduce((sum, f) => sum + f.hits, 0);
  await call('DELETE', '/faults');

  // Every acknowledged write is there, exactly as written (read whole with readTable: a table-service
  // SELECT stops at 1,000 rows).
  const rows = await tables.retryOperation(async (session) => {
    const all = [];
    for await (const part of session.readTable('slo', { columns: ['hash', 'id', 'payload_str'] })) all.push(...part.rows);
    return all;
  }, idempotent);
  const stored = new Map(rows.map((r) => [`${r.hash}:${r.id}`, r.payload_str]));
  for (const [key, payload] of acked) assert.equal(stored.get(key), payload, `acknowledged write ${key} is readable`);
  // No increment applied twice, none lost.
  const [cs] = await queries.executeWithRetries('SELECT worker, n FROM slo_counters ORDER BY worker');
  for (const [w, c] of counters.entries()) {
    const n = Number(cs.rows[w].n);
    assert.ok(n >= c.acked && n <= c.acked + c.undetermined, `counter ${w}: ${n} within [${c.acked}, ${c.acked + c.undetermined}]`);
  }

  await tables.stop();
  await queries.stop();
  await driver.stop();
  const leaked = await sessionsLeft(call);
  const rate = stats.ok / stats.ops;
  console.log(`SLO (${label}): ${stats.ops} ops in ${LOAD_MS} ms, ${(rate * 100).toFixed(3)} % succeeded, ` +
    `${((stats.attempts - stats.ops) / stats.ops).toFixed(4)} retries per op, ${stats.failed} failed ` +
    `(${stats.undetermined} undetermined) ${JSON.stringify(stats.errors)}, ${acked.size} rows written, ` +
    `${stats.readBack} INSERTs whose lost answer a retry proved applied, ${faultsHit} fault hits (+ kills/restarts) from ${JSON.stringify(injected)}, sessions left ${leaked}`);
  // A non-idempotent write whose answer was cut after it was sent cannot be retried safely: it fails by
  // design (its effect is checked by the counter bounds above). Each such failure needs a cut stream, and
  // the rotation cuts at most a few; everything else must succeed at the SLO's 99.9 %.
  const safeRate = (stats.ok) / (stats.ops - stats.undetermined);
  assert.ok(stats.failed - stats.undetermined === 0 || safeRate >= 0.999, `success rate ${safeRate} without undetermined`);
  assert.ok(stats.undetermined <= mayBeUndetermined(injected), 'undetermined only where a stream was cut or a node stopped');
  assert.ok(rate >= 0.999 || stats.ops < 3000, `success rate ${rate}`);
  assert.equal(leaked, 0, 'no session leaked after the pools stopped');
}

test('SLO workload: ≥ 99.9 % of operations succeed through injected faults, no acknowledged write is lost, none applied twice, no session leaks', async () => {
  await sloWorkload({
    cluster: server,
    label: 'one node, single-endpoint mode',
    faults: [
      () => call('POST', '/faults', { rpc: 'Ydb.Table.V1.TableService/ExecuteDataQuery', status: 'OVERLOADED', times: 3 }),
      () => call('POST', '/faults', { rpc: 'Ydb.Query.V1.QueryService/ExecuteQuery', status: 'UNAVAILABLE', times: 4 }),
      () => call('POST', '/faults', { rpc: 'Ydb.Table.V1.TableService/ExecuteDataQuery', status: 'BAD_SESSION', times: 3 }),
      () => call('POST', '/faults', { rpc: 'Ydb.Query.V1.QueryService/ExecuteQuery', status: 'BAD_SESSION', times: 3 }),
      () => call('POST', '/faults', { rpc: 'Ydb.Table.V1.TableService/ExecuteDataQuery', dropStream: true, times: 2 }),
      () => call('POST', '/sessions/kill'),
      () => call('POST', '/faults', { rpc: 'Ydb.Query.V1.QueryService/ExecuteQuery', status: 'OVERLOADED', times: 2 }),
      () => call('POST', '/faults', { rpc: 'Ydb.Query.V1.QueryService/ExecuteQuery', dropStream: true, times: 1 }),
      () => call('POST', '/restart'),
    ],
    // Cut answers of non-idempotent increments: fault 7 cuts one query stream, fault 4 two table answers.
    mayBeUndetermined: (injected) => (injected[7] ?? 0) + (injected[4] ?? 0) * 2,
  });
});

test('SLO workload over three nodes in balanced mode: nodes stop and start under load and nothing is lost', async () => {
  const cluster = await startDevserver(['--nodes', '3', '--admin', '127.0.0.1:0']);
  try {
    await sloWorkload({
      cluster,
      label: 'three nodes, balanced',
      discovery: { mode: 'balanced', intervalMs: 1000 },
      faults: [
        () => cluster.call('POST', '/nodes/2/stop'),
        () => cluster.call('POST', '/faults', { rpc: 'Ydb.Table.V1.TableService/ExecuteDataQuery', status: 'OVERLOADED', times: 3 }),
        () => cluster.call('POST', '/faults', { rpc: 'Ydb.Query.V1.QueryService/ExecuteQuery', status: 'UNAVAILABLE', times: 4 }),
        () => cluster.call('POST', '/nodes/2/start'),
        () => cluster.call('POST', '/nodes/3/stop'),
        () => cluster.call('POST', '/faults', { rpc: 'Ydb.Table.V1.TableService/ExecuteDataQuery', status: 'BAD_SESSION', times: 3 }),
        () => cluster.call('POST', '/nodes/3/start'),
        () => cluster.call('POST', '/faults', { rpc: 'Ydb.Table.V1.TableService/ExecuteDataQuery', sessionCloseHint: true, times: 3 }),
        () => cluster.call('POST', '/restart'),
      ],
      // A node that stops may cut the answer of an increment in flight on it (two counter workers).
      mayBeUndetermined: (injected) => ((injected[0] ?? 0) + (injected[4] ?? 0)) * 2,
    });
  } finally {
    cluster.stop();
  }
});

test('bank transfers: conflicting serializable transactions are retried on ABORTED and the total never changes', async () => {
  const driver = new Driver({ endpoint, database: '/local' });
  const WORKERS = Number(process.env.RESILIENCE_WORKERS ?? 16);
  const pool = new SessionPool(driver, { size: WORKERS });
  const ACCOUNTS = Number(process.env.RESILIENCE_ACCOUNTS ?? 24);
  const START = 1000n;
  const queries = new QuerySessionPool(driver, { size: 1 });
  await queries.executeWithRetries('CREATE TABLE bank (id Uint64, balance Int64, PRIMARY KEY (id))');
  const values = Array.from({ length: ACCOUNTS }, (_, i) => `(${i}ul, ${START}l)`).join(', ');
  await queries.executeWithRetries(`UPSERT INTO bank (id, balance) VALUES ${values}`);

  // The dev server checks optimistic locks at commit, per row as YDB does: a transfer is ABORTED when
  // another commit changed one of its two accounts since it read them. 16 workers over 24 accounts
  // conflict often, and a transfer may lose several times in a row: this contended workload allows 20
  // retries.
  const contended = new RetrySettings({
    maxRetries: 20,
    // RESILIENCE_ABORTED_IMMEDIATE=1 retries ABORTED without backoff, for comparison.
    ...(process.env.RESILIENCE_ABORTED_IMMEDIATE ? { fastBackoff: new BackoffSettings({ ceiling: 10, slotDurationMs: 0 }) } : {}),
  });
  let next = 0;
  let done = 0;
  let aborts = 0;
  let attemptsTotal = 0;
  let maxAttempts = 0;
  const worker = async () => {
    while (next < TRANSFERS) {
      const n = next++;
      const from = n % ACCOUNTS;
      const to = (n * 7 + 3) % ACCOUNTS === from ? (from + 1) % ACCOUNTS : (n * 7 + 3) % ACCOUNTS;
      const amount = BigInt(1 + (n % 50));
      let attempts = 0;
      await pool.retryOperation(async (session) => {
        attemptsTotal++;
        maxAttempts = Math.max(maxAttempts, ++attempts);
        try {
          await session.withTransaction(async (tx) => {
            const [rs] = await tx.execute(
              'DECLARE $a AS Uint64; DECLARE $b AS Uint64; SELECT id, balance FROM bank WHERE id = $a OR id = $b',
              { $a: u64(from), $b: u64(to) });
            const balance = new Map(rs.rows.map((r) => [Number(r.id), BigInt(r.balance)]));
            const moved = balance.get(from) >= amount ? amount : 0n;
            await tx.execute(
              'DECLARE $a AS Uint64; DECLARE $b AS Uint64; DECLARE $x AS Int64; DECLARE $y AS Int64;' +
              'UPSERT INTO bank (id, balance) VALUES ($a, $x), ($b, $y)',
              { $a: u64(from), $b: u64(to), $x: balance.get(from) - moved, $y: balance.get(to) + moved },
              { commitTx: true });
          });
        } catch (e) {
          if (e?.status === 'ABORTED') aborts++;
          throw e;
        }
      }, contended);
      done++;
      if (process.env.DEBUG_BANK && attempts > 3) console.log("transfer", n, "attempts", attempts);
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: WORKERS }, worker));
  const [rs] = await queries.executeWithRetries('SELECT SUM(balance) AS total, COUNT(*) AS n FROM bank');
  console.log(`bank: ${done} transfers in ${Date.now() - started} ms by ${WORKERS} workers over ${ACCOUNTS} accounts, ` +
    `${aborts} ABORTED retried, ${attemptsTotal} attempts (at most ${maxAttempts} for one), total ${rs.rows[0].total}`);
  assert.equal(done, TRANSFERS);
  assert.equal(BigInt(rs.rows[0].total), START * BigInt(ACCOUNTS));
  assert.ok(aborts > 0, 'the workers did conflict');
  await pool.stop();
  await queries.stop();
  await driver.stop();
  assert.equal(await sessionsLeft(), 0);
});

test('driver.stop() rejects a retry loop sleeping in backoff with CANCELLED at once', async () => {
  const driver = new Driver({ endpoint, database: '/local' });
  const pool = new SessionPool(driver, { size: 1 });
  let attempts = 0;
  const overloaded = () => new OverloadedError('OVERLOADED', 400060, 'overloaded', [], true, 'ydb');
  // OVERLOADED waits a slow backoff: 0.5-1 s before the first retry, 1-2 s before the second.
  const running = pool.retryOperation(async () => { attempts++; throw overloaded(); });
  const settled = running.then(() => Date.now(), () => Date.now());
  await sleep(200);
  const stopped = Date.now();
  await driver.stop();
  await assert.rejects(running, (e) => e instanceof CancelledError && e.status === 'CANCELLED');
  assert.ok((await settled) - stopped < 100, `rejected ${(await settled) - stopped} ms after the stop`);
  assert.equal(attempts, 1, 'no attempt after the stop');
  assert.equal(await sessionsLeft(), 0);
});

test('a retry loop ends with CANCELLED as soon as its settings\' signal aborts, even in a slow backoff', async () => {
  const driver = new Driver({ endpoint, database: '/local' });
  const pool = new QuerySessionPool(driver, { size: 1 });
  const overloaded = () => new OverloadedError('OVERLOADED', 400060, 'overloaded', [], true, 'ydb');
  let attempts = 0;
  const controller = new AbortController();
  const running = pool.retryOperation(async () => { attempts++; throw overloaded(); }, new RetrySettings({ signal: controller.signal }));
  const settled = running.then(() => Date.now(), () => Date.now());
  await sleep(200);
  const aborted = Date.now();
  controller.abort();
  await assert.rejects(running, (e) => e instanceof CancelledError);
  assert.ok((await settled) - aborted < 100, `rejected ${(await settled) - aborted} ms after the abort`);
  assert.equal(attempts, 1);
  // An aborted signal starts no attempt at all, in either kind of loop.
  await assert.rejects(pool.retryOperation(async () => { attempts++; }, new RetrySettings({ signal: controller.signal })), CancelledError);
  await assert.rejects(pool.executeWithRetries('SELECT 1', {}, new RetrySettings({ signal: controller.signal })), CancelledError);
  assert.equal(attempts, 1);
  await pool.stop();
  await driver.stop();
});

test('a retry budget on the driver caps retries across calls', async () => {
  // Each call earns half a retry and there is no per-second floor: the first call may not retry, the
  // second may retry once with the half it earned and the half the first one left.
  const driver = new Driver({ endpoint, database: '/local', retryBudget: { ratio: 0.5, minPerSecond: 0 } });
  const pool = new QuerySessionPool(driver, { size: 2 });
  let attempts = 0;
  const unavailable = () => new UnavailableError('UNAVAILABLE', 400050, 'unavailable', [], true, 'ydb');
  const fail = () => pool.retryOperation(async () => { attempts++; throw unavailable(); });
  await assert.rejects(fail(), UnavailableError);
  assert.equal(attempts, 1, 'half a retry is no retry');
  await assert.rejects(fail(), UnavailableError);
  assert.equal(attempts, 3, 'the second call retried once on the budget both calls earned');
  await assert.rejects(fail(), UnavailableError);
  assert.equal(attempts, 4, 'the third call only earned half a retry again');
  assert.throws(() => new Driver({ endpoint, database: '/local', retryBudget: { minPerSecond: 1 } }), TypeError);
  await pool.stop();
  await driver.stop();
});
