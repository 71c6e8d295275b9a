// Service-account key credentials end to end, against a dev server started here with --iam-key (the
// public half of a key pair made with WebCrypto in this test): the JWT exchange, the token cache
// (one exchange for many calls, one for concurrent calls, refreshed ahead of expiry with a 2 s token
// lifetime), a key IAM does not trust (refused at once, not retried), IAM down (retried, then a clear error)
// and a refused token (refreshed once). Exchanges are counted with the admin endpoint's /stats.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { startDevserver } from './devserver.mjs';
import { serviceAccountKey } from './cloud-keys.mjs';
import {
  Driver, ServiceAccountKeyCredentials, UnauthorizedError, TransportError, YdbError, RetrySettings,
} from 'ydb-wasm';

const IAM = '/iam/v1/tokens';
let sa;
let server;
let shortLived;

before(async () => {
  sa = await serviceAccountKey();
  const flags = ['--iam-key', `ajekey1:ajesa1:${sa.publicPath}`, '--admin', '127.0.0.1:0'];
  server = await startDevserver(flags);
  shortLived = await startDevserver([...flags, '--iam-token-ttl', '2']);
});
after(() => { server.stop(); shortLived.stop(); });

const once = new RetrySettings({ maxRetries: 0 });
const exchanges = async (s) => (await s.call('GET', '/stats')).calls[IAM] ?? 0;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function driverFor(s, key = sa.key, driverOptions = {}) {
  const credentials = new ServiceAccountKeyCredentials(key, { iamEndpoint: `${s.endpoint}${IAM}` });
  return new Driver({ endpoint: s.endpoint, database: '/local', credentials, ...driverOptions });
}

/** A logger that keeps every event as [level, message, fields]. */
function recorder() {
  const events = [];
  const at = (level) => (message, fields) => events.push([level, message, { ...fields }]);
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, events };
}

test('a service-account key is exchanged once and its IAM token serves many calls', async () => {
  const before = await exchanges(server);
  const driver = driverFor(server, sa.keyJson);
  try {
    for (let i = 0; i < 5; i++) {
      const [rs] = await driver.query(`SELECT ${i} AS i`);
      assert.equal(rs.rows[0].i, i);
    }
    assert.equal(await exchanges(server) - before, 1, 'one exchange for five calls');
  } finally {
    await driver.stop();
  }
});

test('concurrent calls on a new driver share one exchange', async () => {
  const before = await exchanges(server);
  const driver = driverFor(server);
  try {
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => driver.query(`SELECT ${i} AS i`)));
    answers.forEach(([rs], i) => assert.equal(rs.rows[0].i, i));
    assert.equal(await exchanges(server) - before, 1);
  } finally {
    await driver.stop();
  }
});

test('a short-lived token is refreshed ahead of expiry, in the background of a call', async () => {
  const before = await exchanges(shortLived);
  const driver = driverFor(shortLived);
  try {
    await driver.query('SELECT 1');
    assert.equal(await exchanges(shortLived) - before, 1);
    // Past half the 2 s lifetime: this call is answered with the cached token and starts the refresh.
    await sleep(1_200);
    await driver.query('SELECT 2');
    await sleep(300);
    assert.equal(await exchanges(shortLived) - before, 2, 'refreshed once, in the background');
    // Well past the first token's expiry: calls keep working on refreshed tokens.
    for (let i = 0; i < 4; i++) {
      await sleep(700);
      const [rs] = await driver.query(`SELECT ${i} AS i`, {}, { retrySettings: once });
      assert.equal(rs.rows[0].i, i);
    }
    const total = await exchanges(shortLived) - before;
    assert.ok(total >= 3 && total <= 6, `a few refreshes over ~4 s of 2 s tokens, not one per call: ${total}`);
  } finally {
    await driver.stop();
  }
});

test('the logger hears each exchange\'s outcome, never the token or the key', async () => {
  const { logger, events } = recorder();
  const driver = driverFor(server, sa.key, { logger });
  try {
    await driver.query('SELECT 1');
  } finally {
    await driver.stop();
  }
  const refreshed = events.find(([, m]) => m === 'token refreshed');
  assert.ok(refreshed, JSON.stringify(events.map(([, m]) => m)));
  assert.equal(refreshed[0], 'info');
  assert.equal(refreshed[2].credentials, 'serviceAccountKey');
  assert.ok(refreshed[2].expiresInMs > 11 * 3600_000, `a 12 h token: ${refreshed[2].expiresInMs}`);
  const { logger: failing, events: failures } = recorder();
  const stranger = await serviceAccountKey('ajekey1', 'ajesa1');
  const refused = driverFor(server, stranger.key, { logger: failing });
  await assert.rejects(refused.query('SELECT 1', {}, { retrySettings: once }), UnauthorizedError);
  await refused.stop();
  const failed = failures.find(([, m]) => m === 'token refresh failed');
  assert.ok(failed && failed[0] === 'warn' && failed[2].status === 'UNAUTHORIZED', JSON.stringify(failures));
  const everything = JSON.stringify([...events, ...failures]);
  for (const secret of [sa.privatePem.split('\n')[3], stranger.privatePem.split('\n')[3], 'eyJ']) {
    assert.ok(!everything.includes(secret), 'no key, JWT or token in the log');
  }
});

test('a key IAM does not trust is refused at once with UnauthorizedError, not retried', async () => {
  const stranger = await serviceAccountKey('ajekey1', 'ajesa1'); // same key id, another private key
  const before = await exchanges(server);
  const driver = driverFor(server, stranger.key);
  try {
    await assert.rejects(driver.query('SELECT 1', {}, { retrySettings: once }), (e) => {
      assert.ok(e instanceof UnauthorizedError, `${e.name}: ${e.message}`);
      assert.equal(e.status, 'UNAUTHORIZED');
      assert.match(e.message, /IAM token endpoint http:\/\/127\.0\.0\.1:\d+\/iam\/v1\/tokens refused the credentials \(HTTP 401\)/);
      assert.match(e.message, /signature/);
      const secret = stranger.privatePem.split('\n')[1];
      assert.ok(!e.message.includes(secret) && !e.message.includes('eyJ'), 'neither the key nor the JWT');
      return true;
    });
    assert.equal(await exchanges(server) - before, 1, 'a refusal is not retried');
  } finally {
    await driver.stop();
  }
});

test('IAM down: the exchange is retried with backoff and succeeds when IAM is back', async () => {
  await server.call('POST', '/faults', { rpc: IAM, httpStatus: 503, times: 2 });
  const before = await exchanges(server);
  const driver = driverFor(server);
  try {
    const [rs] = await driver.query('SELECT 7 AS seven');
    assert.equal(rs.rows[0].seven, 7);
    assert.equal(await exchanges(server) - before, 3, 'two failures, then the token');
  } finally {
    await driver.stop();
    await server.call('DELETE', '/faults');
  }
});

test('IAM down for good: a bounded number of attempts, then a clear error naming the endpoint', async () => {
  await server.call('POST', '/faults', { rpc: IAM, httpStatus: 503 });
  const before = await exchanges(server);
  const driver = driverFor(server);
  try {
    await assert.rejects(driver.query('SELECT 1', {}, { retrySettings: once }), (e) => {
      assert.ok(e instanceof YdbError && e.status === 'UNAVAILABLE', `${e.name} ${e.status}: ${e.message}`);
      assert.match(e.message, /IAM token endpoint http:\/\/127\.0\.0\.1:\d+\/iam\/v1\/tokens is unavailable \(HTTP 503\)/);
      assert.match(e.message, /gave up after 4 attempts in \d+ ms/);
      return true;
    });
    assert.equal(await exchanges(server) - before, 4);
  } finally {
    await driver.stop();
    await server.call('DELETE', '/faults');
  }
  // A closed port: a transport error that names the endpoint.
  const closed = new Driver({
    endpoint: server.endpoint, database: '/local',
    credentials: new ServiceAccountKeyCredentials(sa.key, { iamEndpoint: 'http://127.0.0.1:9/iam/v1/tokens' }),
  });
  try {
    await assert.rejects(closed.query('SELECT 1', {}, { retrySettings: once }), (e) => {
      assert.ok(e instanceof TransportError && e.status === 'CONNECTION_FAILURE', `${e.name} ${e.status}: ${e.message}`);
      assert.match(e.message, /^the IAM token endpoint http:\/\/127\.0\.0\.1:9\/iam\/v1\/tokens: request failed/);
      return true;
    });
  } finally {
    await closed.stop();
  }
});

test('a token the server refuses is refreshed once and the call sent again (getAuthToken providers too)', async () => {
  // A provider whose first token is stale: the refused call asks again and succeeds with a fresh token.
  const good = await tokenOf();
  let asked = 0;
  const provider = { async getAuthToken() { asked++; return asked === 1 ? 'stale-token' : good; } };
  const driver = new Driver({ endpoint: server.endpoint, database: '/local', credentials: provider });
  try {
    const [rs] = await driver.query('SELECT 1 AS one', {}, { retrySettings: once });
    assert.equal(rs.rows[0].one, 1);
    assert.equal(asked, 2, 'asked once more after UNAUTHENTICATED, not more');
  } finally {
    await driver.stop();
  }
  // Always refused: one retry, then the error.
  let calls = 0;
  const forged = { async getAuthToken() { calls++; return 'forged'; } };
  const refused = new Driver({ endpoint: server.endpoint, database: '/local', credentials: forged });
  try {
    await assert.rejects(refused.query('SELECT 1', {}, { retrySettings: once }), UnauthorizedError);
    assert.equal(calls, 2);
  } finally {
    await refused.stop();
  }
});

/** A valid IAM token, obtained by a driver's credentials through a fetch that records the answer. */
async function tokenOf() {
  let token;
  const recording = async (url, init) => {
    const r = await fetch(url, init);
    if (String(url).endsWith(IAM)) token = (await r.clone().json()).iamToken;
    return r;
  };
  const d = new Driver({
    endpoint: server.endpoint, database: '/local', fetch: recording,
    credentials: new ServiceAccountKeyCredentials(sa.key, { iamEndpoint: `${server.endpoint}${IAM}` }),
  });
  await d.query('SELECT 1');
  await d.stop();
  return token;
}

test('the driver\'s fetch carries the exchange too, without the driver\'s extra headers', async () => {
  const seen = [];
  const fetchVia = (url, init) => {
    seen.push({ url: String(url), apiKey: new Headers(init.headers).get('x-api-key') });
    return fetch(url.replace('https://iam.api.cloud.yandex.net', server.endpoint), init);
  };
  const driver = new Driver({
    endpoint: server.endpoint, database: '/local', fetch: fetchVia, headers: { 'x-api-key': 'gateway-secret' },
    credentials: new ServiceAccountKeyCredentials(sa.key), // the default, Yandex Cloud's IAM
  });
  try {
    await driver.query('SELECT 1');
    const iam = seen.filter((r) => r.url === 'https://iam.api.cloud.yandex.net/iam/v1/tokens');
    assert.equal(iam.length, 1);
    assert.equal(iam[0].apiKey, null, 'the YDB gateway key is not sent to IAM');
    assert.ok(seen.some((r) => r.apiKey === 'gateway-secret'), 'but is sent to YDB');
  } finally {
    await driver.stop();
  }
});

test('keys and tokens never show in JSON, inspect or errors; bad keys are TypeErrors that do not quote them', () => {
  const creds = new ServiceAccountKeyCredentials(sa.key);
  const secret = sa.privatePem.split('\n')[2];
  for (const shown of [JSON.stringify(creds), inspect(creds), String(creds)]) {
    assert.ok(!shown.includes(secret) && !shown.includes('PRIVATE KEY'), shown);
  }
  const bad = (key, pattern) => assert.throws(
    () => new Driver({ endpoint: server.endpoint, database: '/local', credentials: new ServiceAccountKeyCredentials(key) }),
    (e) => e instanceof TypeError && pattern.test(e.message) && !e.message.includes(secret),
  );
  bad('{"id": "k"', /not JSON/);
  bad({ ...sa.key, private_key: undefined }, /has no private_key/);
  bad({ ...sa.key, service_account_id: undefined }, /has no service_account_id/);
  bad({ ...sa.key, private_key: sa.privatePem.replaceAll('PRIVATE KEY', 'RSA PRIVATE KEY') }, /openssl pkcs8/);
  assert.throws(() => new ServiceAccountKeyCredentials(42), TypeError);
});
