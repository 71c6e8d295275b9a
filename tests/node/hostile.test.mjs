// The hostile-server suite: what the client does when the other end is broken or malicious.
//
// A small HTTP server in this file stands where the database should be. Each driver reaches it under a
// path prefix naming a case (`http://127.0.0.1:PORT/<case>`); session management is forwarded to a real
// dev server, and the calls under test (scheme ListDirectory, table ExecuteDataQuery and StreamReadTable,
// query ExecuteQuery) get the case's answer: garbage, a 4 GiB frame length, a truncated frame, an HTML
// 500, a bad grpc-status trailer, an empty 200, no answer, headers then nothing, a stream that stops
// before its end, a byte every 100 ms, a reset connection. The `mangle` prefix forwards everything, but
// flips bytes in and cuts the answers (seeded). Every call must settle within its deadline with a
// YdbError (or resolve), nothing may go unhandled, and afterwards the same drivers and a new one answer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startDevserver } from './devserver.mjs';
import { Driver, QuerySessionPool, YdbError } from 'ydb-wasm';

const unhandled = [];
process.on('unhandledRejection', (e) => unhandled.push(e));

const DEADLINE_MS = 1000;
/** How late after its deadline a call may settle: timers, the event loop and a shared CI machine. */
const SLACK_MS = 2000;
const SEED = Number(process.env.HOSTILE_SEED ?? 20261130);
const MANGLED_CALLS = Number(process.env.HOSTILE_CALLS ?? 300);

const TARGETS = new Set([
  '/Ydb.Scheme.V1.SchemeService/ListDirectory',
  '/Ydb.Table.V1.TableService/ExecuteDataQuery',
  '/Ydb.Table.V1.TableService/StreamReadTable',
  '/Ydb.Query.V1.QueryService/ExecuteQuery',
]);

/** mulberry32: a small seeded PRNG, so that a failing run can be repeated with HOSTILE_SEED. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const GRPC_WEB = { 'content-type': 'application/grpc-web+proto' };
const header = (flag, length) => {
  const h = Buffer.alloc(5);
  h[0] = flag;
  h.writeUInt32BE(length, 1);
  return h;
};
const frame = (flag, payload) => Buffer.concat([header(flag, payload.length), payload]);

/** The frames of a whole gRPC-web body, as `{ flag, payload }`. */
function framesOf(body) {
  const frames = [];
  for (let i = 0; i + 5 <= body.length;) {
    const length = body.readUInt32BE(i + 1);
    frames.push({ flag: body[i], payload: body.subarray(i + 5, i + 5 + length) });
    i += 5 + length;
  }
  return frames;
}

const readAll = (stream) => new Promise((resolve, reject) => {
  const chunks = [];
  stream.on('data', (c) => chunks.push(c));
  stream.on('end', () => resolve(Buffer.concat(chunks)));
  stream.on('error', reject);
});

/**
 * What each case answers to a call under test. `upstream()` forwards the request to the dev server and
 * resolves to its whole answer `{ status, headers, body }`.
 */
const CASES = {
  garbage: { expect: null, answer: (res, { random }) => {
    res.writeHead(200, GRPC_WEB);
    res.end(Buffer.from(Array.from({ length: 64 + Math.floor(random() * 512) }, () => Math.floor(random() * 256))));
  } },
  frame4GiB: { expect: ['CLIENT_INTERNAL_ERROR'], answer: (res) => {
    res.writeHead(200, GRPC_WEB);
    res.end(Buffer.concat([header(0, 0xffffffff), Buffer.alloc(64)]));
  } },
  truncatedFrame: { expect: ['CONNECTION_LOST'], answer: (res) => {
    res.writeHead(200, GRPC_WEB);
    res.end(Buffer.concat([header(0, 300), Buffer.alloc(20)]));
  } },
  html500: { expect: ['CLIENT_INTERNAL_ERROR'], answer: (res) => {
    res.writeHead(500, { 'content-type': 'text/html' });
    res.end('<html><body><h1>500 Internal Server Error</h1></body></html>');
  } },
  // The real answer, with its trailers replaced by a grpc-status that is not a number.
  badStatusTrailer: { expect: ['CLIENT_INTERNAL_ERROR'], answer: async (res, { upstream }) => {
    const { body } = await upstream();
    const data = framesOf(body).filter((f) => !(f.flag & 0x80)).map((f) => frame(f.flag, f.payload));
    res.writeHead(200, GRPC_WEB);
    res.end(Buffer.concat([...data, frame(0x80, Buffer.from('grpc-status: banana\r\ngrpc-message: ok\r\n'))]));
  } },
  empty200: { expect: ['CONNECTION_LOST'], answer: (res) => {
    res.writeHead(200, GRPC_WEB);
    res.end();
  } },
  noAnswer: { expect: ['DEADLINE_EXCEEDED'], answer: () => {} },
  headersThenNothing: { expect: ['DEADLINE_EXCEEDED'], answer: (res) => {
    res.writeHead(200, GRPC_WEB);
    res.flushHeaders();
  } },
  // The real answer without its last frame: a stream whose next part never comes.
  stalledStream: { expect: ['DEADLINE_EXCEEDED'], answer: async (res, { upstream }) => {
    const { body } = await upstream();
    const frames = framesOf(body);
    res.writeHead(200, GRPC_WEB);
    res.write(Buffer.concat(frames.slice(0, -1).map((f) => frame(f.flag, f.payload))));
  } },
  // A frame that declares 4 KiB, one byte every 100 ms: never complete, never silent.
  byteEvery100ms: { expect: ['DEADLINE_EXCEEDED'], answer: (res) => {
    res.writeHead(200, GRPC_WEB);
    const bytes = Buffer.concat([header(0, 4096), Buffer.alloc(4096)]);
    let i = 0;
    const timer = setInterval(() => res.write(bytes.subarray(i, ++i)), 100);
    res.on('close', () => clearInterval(timer));
  } },
  resetConnection: { expect: ['CONNECTION_FAILURE', 'CONNECTION_LOST'], answer: (res, { req }) => req.socket.destroy() },
};

/** The hostile server: routes by prefix, forwards to `upstreamUrl`, and answers the calls under test. */
async function startHostile(upstreamUrl) {
  const up = new URL(upstreamUrl);
  const state = { honest: false, random: prng(SEED), mangled: { flipped: 0, cut: 0, reset: 0, intact: 0 } };
  const sockets = new Set();
  const forward = (req, path, body) => new Promise((resolve, reject) => {
    const r = http.request({ host: up.hostname, port: up.port, method: req.method, path,
      headers: { ...req.headers, host: up.host } }, resolve);
    r.on('error', reject);
    r.end(body);
  });
  const server = http.createServer(async (req, res) => {
    res.on('error', () => {});
    const [, prefix, ...rest] = req.url.split('/');
    const path = `/${rest.join('/')}`;
    const body = await readAll(req).catch(() => null);
    if (body === null) return;
    try {
      if (prefix === 'mangle' && !state.honest) {
        return await mangle(req, res, await forward(req, path, body), state);
      }
      const hostile = CASES[prefix];
      if (!hostile || state.honest || !TARGETS.has(path)) {
        const answer = await forward(req, path, body);
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
        return;
      }
      const upstream = async () => {
        const answer = await forward(req, path, body);
        return { status: answer.statusCode, headers: answer.headers, body: await readAll(answer) };
      };
      await hostile.answer(res, { req, upstream, random: state.random });
    } catch {
      req.socket.destroy();
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    state,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * Streams the dev server's answer through, flipping bytes in some chunks and cutting some
 * answers.
 */
async function mangle(req, res, answer, state) {
  const { random, mangled } = state;
  // Without content-length (sent chunked): a cut answer then ends where it was cut.
  const { 'content-length': _, ...headers } = answer.headers;
  res.writeHead(answer.statusCode, headers);
  const fate = random();
  let touched = false;
  answer.on('data', (chunk) => {
    if (res.destroyed) return;
    const roll = random();
    if (fate < 0.15 && roll < 0.5) {
      // Cut: end the answer here, cleanly or by resetting the connection.
      answer.destroy();
      if (random() < 0.5) { mangled.cut++; res.end(chunk.subarray(0, Math.floor(random() * chunk.length))); }
      else { mangled.reset++; req.socket.destroy(); }
      touched = true;
      return;
    }
    const out = Buffer.from(chunk);
    if (fate < 0.5 && roll < 0.6) {
      for (let n = 1 + Math.floor(random() * 3); n > 0; n--) out[Math.floor(random() * out.length)] ^= 1 + Math.floor(random() * 255);
      if (!touched) mangled.flipped++;
      touched = true;
    }
    res.write(out);
  });
  answer.on('end', () => {
    if (!res.destroyed && !res.writableEnded) res.end();
    if (!touched) mangled.intact++;
  });
  answer.on('error', () => req.socket.destroy());
}

let devserver;
let hostile;
const drivers = [];
const newDriver = (endpoint, config = {}) => {
  const d = new Driver({ endpoint, database: '/local', ...config });
  drivers.push(d);
  return d;
};

before(async () => {
  devserver = await startDevserver();
  hostile = await startHostile(devserver.endpoint);
  const setup = newDriver(devserver.endpoint);
  const pool = new QuerySessionPool(setup, { size: 1 });
  await pool.executeWithRetries('CREATE TABLE hostile_rows (id Uint64, title Utf8, PRIMARY KEY (id))');
  await pool.executeWithRetries('UPSERT INTO hostile_rows (id, title) VALUES (1ul, "one"), (2ul, "two"), (3ul, "three")');
  await pool.stop();
});

after(async () => {
  for (const d of drivers) await d.stop({ timeoutMs: 1000 }).catch(() => {});
  await hostile?.close();
  devserver?.stop();
});

async function drain(stream) {
  const rows = [];
  for await (const part of stream) rows.push(...part.rows);
  return rows;
}

/** The four calls under test, each returning rows (or entries) so that a good answer can be checked. */
const CALLS = {
  listDirectory: async (driver, _pool, settings) =>
    (await driver.schemeClient().listDirectory('/local', settings)).children,
  executeDataQuery: async (driver, _pool, settings) => {
    const session = await driver.tableClient().session({ timeoutMs: 5000 });
    try {
      const [rs] = await session.executeQuery('SELECT id, title FROM hostile_rows ORDER BY id', {}, settings);
      return rs.rows;
    } finally {
      await session.close().catch(() => {});
    }
  },
  executeQuery: async (_driver, pool, settings) => {
    const session = await pool.acquire({ timeoutMs: 5000 });
    try {
      return await drain(session.executeQuery('SELECT id, title FROM hostile_rows ORDER BY id', {}, settings));
    } finally {
      pool.release(session);
    }
  },
  readTable: async (driver, _pool, settings) => {
    const session = await driver.tableClient().session({ timeoutMs: 5000 });
    try {
      return await drain(session.readTable('hostile_rows', { ordered: true, ...settings }));
    } finally {
      await session.close().catch(() => {});
    }
  },
};

/** Runs `call`, and checks that it settles within `deadlineMs` + slack; resolves to the outcome. */
async function settle(call, deadlineMs) {
  const started = performance.now();
  let outcome;
  try {
    outcome = { value: await call() };
  } catch (error) {
    outcome = { error };
  }
  const took = performance.now() - started;
  assert.ok(took <= deadlineMs + SLACK_MS, `settled after ${Math.round(took)} ms, deadline ${deadlineMs} ms`);
  if (outcome.error) {
    assert.ok(outcome.error instanceof YdbError, `not a YdbError: ${outcome.error?.stack ?? outcome.error}`);
  }
  return outcome;
}

/** Checks that a driver (and a new pool on it) answers every call correctly. */
async function answersGoodQueries(driver) {
  const pool = new QuerySessionPool(driver, { size: 1 });
  try {
    const entries = await CALLS.listDirectory(driver, pool, { timeoutMs: 5000 });
    assert.ok(entries.some((e) => e.name === 'hostile_rows'), 'the table is listed');
    for (const name of ['executeDataQuery', 'executeQuery', 'readTable']) {
      const rows = await CALLS[name](driver, pool, { timeoutMs: 5000 });
      assert.deepEqual(rows.map((r) => r.title), ['one', 'two', 'three'], name);
    }
  } finally {
    await pool.stop();
  }
}

test('every hostile answer settles within the deadline with the error it stands for', async () => {
  const results = await Promise.all(Object.entries(CASES).flatMap(([name, hostileCase]) => {
    const driver = newDriver(`${hostile.url}/${name}`);
    const pool = new QuerySessionPool(driver, { size: 2 });
    // An answer that never ends must meet the deadline; one that fails at once (a reset, a bad frame) gets
    // a longer deadline, so that a loaded machine slow to connect still shows the error it stands for.
    const deadlineMs = hostileCase.expect?.includes('DEADLINE_EXCEEDED') ? DEADLINE_MS : 5 * DEADLINE_MS;
    return Object.entries(CALLS).map(async ([call, run]) => {
      const outcome = await settle(() => run(driver, pool, { timeoutMs: deadlineMs }), deadlineMs);
      return { name, call, outcome, expect: hostileCase.expect };
    });
  }));
  for (const { name, call, outcome, expect } of results) {
    assert.ok(outcome.error, `${name} / ${call}: resolved with ${JSON.stringify(outcome.value)}`);
    assert.equal(outcome.error.kind, 'transport', `${name} / ${call}: ${outcome.error.message}`);
    if (expect) assert.ok(expect.includes(outcome.error.status), `${name} / ${call}: ${outcome.error.status} ${outcome.error.message}`);
  }
});

test("the driver's requestTimeoutMs bounds calls and streams that set no deadline", async () => {
  const waits = Object.entries(CASES).filter(([, c]) => c.expect?.includes('DEADLINE_EXCEEDED'));
  const results = await Promise.all(waits.flatMap(([name]) => {
    const driver = newDriver(`${hostile.url}/${name}`, { requestTimeoutMs: DEADLINE_MS });
    const pool = new QuerySessionPool(driver, { size: 2 });
    return Object.entries(CALLS).map(async ([call, run]) =>
      ({ name, call, outcome: await settle(() => run(driver, pool, {}), DEADLINE_MS) }));
  }));
  for (const { name, call, outcome } of results) {
    assert.equal(outcome.error?.status, 'DEADLINE_EXCEEDED', `${name} / ${call}: ${outcome.error?.message}`);
  }
});

test('a proxy that flips bytes and cuts answers: every call settles, with an answer or a YdbError', async () => {
  const driver = newDriver(`${hostile.url}/mangle`);
  const pool = new QuerySessionPool(driver, { size: 4 });
  const names = Object.keys(CALLS);
  const statuses = {};
  let next = 0;
  const worker = async () => {
    while (next < MANGLED_CALLS) {
      const call = names[next++ % names.length];
      const outcome = await settle(() => CALLS[call](driver, pool, { timeoutMs: 2 * DEADLINE_MS }), 5000 + 2 * DEADLINE_MS);
      const key = outcome.error ? outcome.error.status : 'resolved';
      statuses[key] = (statuses[key] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  const { mangled } = hostile.state;
  console.log(`mangled answers (seed ${SEED}): ${JSON.stringify(mangled)}; outcomes: ${JSON.stringify(statuses)}`);
  assert.ok(mangled.flipped + mangled.cut + mangled.reset > MANGLED_CALLS / 4, 'the proxy did mangle answers');
  assert.ok(Object.keys(statuses).length > 1, 'some calls failed and some did not');
});

test('a deadline weeks away does not fire at once', async () => {
  // Past 2^31 - 1 ms a JS timer fires after 1 ms in Node; the client caps its timer instead.
  const driver = newDriver(devserver.endpoint);
  for (const timeoutMs of [2 ** 31, 3_000_000_000, 2 ** 32 - 1]) {
    const entries = await driver.schemeClient().listDirectory('/local', { timeoutMs });
    assert.ok(entries.children.some((e) => e.name === 'hostile_rows'), `timeoutMs ${timeoutMs}`);
  }
});

test('afterwards the same drivers and a new one answer good queries, and nothing went unhandled', async () => {
  hostile.state.honest = true;
  for (const driver of drivers) await answersGoodQueries(driver);
  await answersGoodQueries(newDriver(devserver.endpoint));
  assert.deepEqual(unhandled, []);
});
