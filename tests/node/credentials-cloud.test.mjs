// Metadata and OAuth 2.0 token-exchange credentials, and the environment's cloud variables, against a
// dev server started here with --metadata-token, --oauth-subject and --iam-key. The environment's
// credentials talk to Yandex Cloud's real addresses, so the driver's own fetch (which the token requests
// go through) sends them to the dev server instead.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDevserver } from './devserver.mjs';
import { serviceAccountKey } from './cloud-keys.mjs';
import {
  Driver, MetadataCredentials, OAuth2TokenExchangeCredentials, UnauthorizedError, YdbError, RetrySettings,
} from 'ydb-wasm';

const METADATA = '/computeMetadata/v1/instance/service-accounts/default/token';
let server;
let sa;
let subject;

before(async () => {
  sa = await serviceAccountKey();
  subject = await serviceAccountKey('subject-key', 'subject-issuer');
  server = await startDevserver([
    '--iam-key', `ajekey1:ajesa1:${sa.publicPath}`,
    '--metadata-token', 'vm-account',
    '--oauth-subject', 'token:subject-s3cret',
    '--oauth-subject', `jwt:subject-key:${subject.publicPath}`,
    '--admin', '127.0.0.1:0',
  ]);
});
after(() => server.stop());

const once = new RetrySettings({ maxRetries: 0 });
const calls = async (path) => (await server.call('GET', '/stats')).calls[path] ?? 0;

/** The driver's fetch: Yandex Cloud's token addresses are served by the dev server here. */
const toDevserver = (url, init) => fetch(String(url)
  .replace('https://iam.api.cloud.yandex.net', server.endpoint)
  .replace('http://169.254.169.254', server.endpoint), init);

async function selectOne(credentials, opts = {}) {
  const driver = new Driver({ endpoint: server.endpoint, database: '/local', credentials, ...opts });
  try {
    const [rs] = await driver.query('SELECT 1 AS one', {}, { retrySettings: once });
    assert.equal(rs.rows[0].one, 1);
    const [again] = await driver.query('SELECT 2 AS two', {}, { retrySettings: once });
    assert.equal(again.rows[0].two, 2);
  } finally {
    await driver.stop();
  }
}

test('MetadataCredentials read the instance metadata token, once for many calls', async () => {
  const before = await calls(METADATA);
  await selectOne(new MetadataCredentials({ url: `${server.endpoint}${METADATA}` }));
  assert.equal(await calls(METADATA) - before, 1);
  await selectOne(new MetadataCredentials(), { fetch: toDevserver }); // the default 169.254.169.254 URL
  assert.equal(JSON.stringify(new MetadataCredentials({ url: 'http://x/t' })), '{"type":"MetadataCredentials","url":"http://x/t"}');
});

test('OAuth 2.0 token exchange with a fixed subject token, and a refused one', async () => {
  const tokenEndpoint = `${server.endpoint}/oauth/token`;
  await selectOne(new OAuth2TokenExchangeCredentials({ tokenEndpoint, subjectToken: 'subject-s3cret', audience: 'ydb', scope: ['a', 'b'] }));
  const wrong = new OAuth2TokenExchangeCredentials({ tokenEndpoint, subjectToken: 'wrong-s3cret' });
  const driver = new Driver({ endpoint: server.endpoint, database: '/local', credentials: wrong });
  try {
    await assert.rejects(driver.query('SELECT 1', {}, { retrySettings: once }), (e) => {
      assert.ok(e instanceof UnauthorizedError, `${e.name}: ${e.message}`);
      assert.match(e.message, /OAuth 2\.0 token endpoint .*\/oauth\/token refused the credentials \(HTTP 400\): invalid_grant/);
      assert.ok(!e.message.includes('wrong-s3cret'));
      return true;
    });
  } finally {
    await driver.stop();
  }
  for (const shown of [JSON.stringify(wrong), inspect(wrong)]) assert.ok(!shown.includes('s3cret'), shown);
});

test('OAuth 2.0 token exchange with a JWT subject signed here (RS256 and PS256)', async () => {
  const tokenEndpoint = `${server.endpoint}/oauth/token`;
  for (const alg of ['RS256', 'PS256']) {
    await selectOne(new OAuth2TokenExchangeCredentials({
      tokenEndpoint,
      subjectJwt: { alg, privateKey: subject.privatePem, keyId: 'subject-key', issuer: 'subject-issuer', subject: 'alice', audience: 'ydb', ttlSeconds: 600 },
    }));
  }
  assert.throws(() => new Driver({
    endpoint: server.endpoint, database: '/local',
    credentials: new OAuth2TokenExchangeCredentials({ tokenEndpoint, subjectJwt: { alg: 'none', privateKey: 'k' } }),
  }), /unsupported JWT algorithm "none"/);
});

test('fromEnv: a service-account key file, the key JSON itself, the metadata service, an OAuth config file', async () => {
  const base = { YDB_CONNECTION_STRING: `${server.endpoint}/local` };
  const oauthPath = join(sa.dir, 'oauth.json');
  writeFileSync(oauthPath, JSON.stringify({
    'token-endpoint': `${server.endpoint}/oauth/token`,
    'subject-credentials': { type: 'JWT', alg: 'PS256', 'private-key': subject.privatePem, kid: 'subject-key', iss: 'subject-issuer', ttl: '1h' },
  }));
  const before = await calls('/iam/v1/tokens');
  for (const env of [
    { YDB_SERVICE_ACCOUNT_KEY_FILE_CREDENTIALS: sa.keyPath },
    { YDB_SERVICE_ACCOUNT_KEY_CREDENTIALS: sa.keyJson },
    { YDB_METADATA_CREDENTIALS: '1' },
    { YDB_OAUTH2_KEY_FILE: oauthPath },
  ]) {
    const driver = Driver.fromEnv({ ...base, ...env }, { fetch: toDevserver });
    try {
      const [rs] = await driver.query('SELECT 1 AS one', {}, { retrySettings: once });
      assert.equal(rs.rows[0].one, 1, Object.keys(env)[0]);
    } finally {
      await driver.stop();
    }
  }
  assert.equal(await calls('/iam/v1/tokens') - before, 2, 'the key file and the key JSON each exchanged once');
});

test('fromEnv with a key file that does not exist fails the first call clearly, not the process', async () => {
  const driver = Driver.fromEnv({
    YDB_CONNECTION_STRING: `${server.endpoint}/local`, YDB_SERVICE_ACCOUNT_KEY_FILE_CREDENTIALS: '/nonexistent/sa.json',
  });
  await new Promise((r) => setTimeout(r, 50)); // an unhandled rejection would fail this test file here
  try {
    await assert.rejects(driver.query('SELECT 1', {}, { retrySettings: once }), (e) => {
      assert.match(e.message, /reading YDB_SERVICE_ACCOUNT_KEY_FILE_CREDENTIALS "\/nonexistent\/sa\.json": .*ENOENT/);
      return e instanceof TypeError || e instanceof YdbError;
    });
  } finally {
    await driver.stop();
  }
});
