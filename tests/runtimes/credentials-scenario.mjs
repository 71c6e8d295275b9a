// The service-account key flow every runtime runs (Node, Deno, Bun, workerd, Chromium), from this one
// source, against a dev server started with --iam-key for `keyJson` and a short --iam-token-ttl:
// concurrent first calls share one IAM exchange (counted through the driver's fetch), the token is
// refreshed in the background past half its lifetime and calls go on past its expiry, and a key made here
// with WebCrypto that IAM does not trust is refused with UnauthorizedError, and an IAM that answers 503 is
// tried 4 times, then the call fails with an error naming the endpoint. Returns a JSON-safe summary.

function check(cond, what) {
  if (!cond) throw new Error(`credentials scenario check failed: ${what}`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A PKCS#8 PEM of a fresh RSA key, made with this runtime's WebCrypto. */
async function strangerPem() {
  const pair = await crypto.subtle.generateKey(
    { name: 'RSA-PSS', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['sign'],
  );
  const der = new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey));
  const b64 = btoa(String.fromCharCode(...der)).replace(/.{64}/g, '$&\n');
  return `-----BEGIN PRIVATE KEY-----\n${b64.trimEnd()}\n-----END PRIVATE KEY-----\n`;
}

export async function credentialsScenario(ydb, { endpoint, keyJson, ttlMs }) {
  const { Driver, ServiceAccountKeyCredentials, UnauthorizedError } = ydb;
  const iamEndpoint = `${endpoint}/iam/v1/tokens`;
  let exchanges = 0;
  const counting = (url, init) => {
    if (String(url) === iamEndpoint) exchanges++;
    return fetch(url, init);
  };
  const driver = new Driver({
    endpoint, database: '/local', fetch: counting, credentials: new ServiceAccountKeyCredentials(keyJson, { iamEndpoint }),
  });
  const started = Date.now();
  try {
    const first = await Promise.all(Array.from({ length: 8 }, (_, i) => driver.query(`SELECT ${i} AS i`)));
    first.forEach(([rs], i) => check(rs.rows[0].i === i, `answer ${i}`));
    check(exchanges === 1, `8 concurrent first calls, one exchange (got ${exchanges})`);
    await sleep(ttlMs * 0.6);
    await driver.query('SELECT 1'); // answered with the cached token; starts the refresh
    await sleep(ttlMs * 0.45); // the first token has expired by now
    check(exchanges === 2, `past half the lifetime a call started one refresh (got ${exchanges} exchanges)`);
    const [rs] = await driver.query('SELECT 42 AS answer');
    check(rs.rows[0].answer === 42, 'a call past the first token\'s expiry');
    check(exchanges <= 3, `no exchange per call (got ${exchanges})`);
  } finally {
    await driver.stop();
  }

  const stranger = { ...JSON.parse(keyJson), private_key: await strangerPem() };
  const refused = new Driver({
    endpoint, database: '/local', credentials: new ServiceAccountKeyCredentials(stranger, { iamEndpoint }),
  });
  let refusal;
  try {
    await refused.query('SELECT 1', {}, { retrySettings: new ydb.RetrySettings({ maxRetries: 0 }) });
  } catch (e) {
    refusal = e;
  } finally {
    await refused.stop();
  }
  check(refusal instanceof UnauthorizedError, `a key IAM does not trust is refused (got ${refusal?.name}: ${refusal?.message})`);
  check(/refused the credentials \(HTTP 401\)/.test(refusal.message), refusal.message);
  check(!refusal.message.includes('PRIVATE KEY'), 'the key is not in the error');

  // IAM down: every exchange answers 503. The credentials retry it (4 attempts, backoff on this runtime's
  // timer), then the call fails with an error that names the endpoint and never the key.
  let downAttempts = 0;
  const down = (url, init) => {
    if (String(url) !== iamEndpoint) return fetch(url, init);
    downAttempts++;
    return Promise.resolve(new Response('{"code":14,"message":"IAM is down"}', { status: 503 }));
  };
  const unlucky = new Driver({
    endpoint, database: '/local', fetch: down, credentials: new ServiceAccountKeyCredentials(keyJson, { iamEndpoint }),
  });
  let outage;
  try {
    await unlucky.query('SELECT 1', {}, { retrySettings: new ydb.RetrySettings({ maxRetries: 0 }) });
  } catch (e) {
    outage = e;
  } finally {
    await unlucky.stop();
  }
  check(outage instanceof ydb.YdbError, `IAM down: the call fails (got ${outage?.name}: ${outage?.message})`);
  check(outage.status === 'UNAVAILABLE' && outage.message.includes(iamEndpoint) && /HTTP 503/.test(outage.message), outage.message);
  check(downAttempts === 4, `IAM down: the exchange was tried 4 times (got ${downAttempts})`);
  check(!outage.message.includes('PRIVATE KEY'), 'the key is not in the error');
  return { ok: true, exchanges, refused: refusal.status, iamDown: { attempts: downAttempts, status: outage.status }, ms: Date.now() - started };
}
