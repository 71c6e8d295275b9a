// Connection strings and the environment: every documented form connects to the dev server, bad strings
// are TypeErrors that show the expected form, and Driver.fromEnv reads YDB_CONNECTION_STRING and the
// credentials variables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Driver, QuerySessionPool } from 'ydb-wasm';

const endpoint = process.env.YDB_ENDPOINT ?? 'http://127.0.0.1:2136';
const hostPort = endpoint.replace(/^https?:\/\//, '');

async function answers(driver) {
  const pool = new QuerySessionPool(driver, { size: 1 });
  const [rs] = await pool.executeWithRetries('SELECT 1 AS one');
  assert.deepEqual(rs.rows, [{ one: 1 }]);
  await driver.stop();
}

test('every documented connection-string form reaches the database', async () => {
  for (const text of [
    `grpc://${hostPort}/?database=/local`,
    `grpc://${hostPort}?database=/local`,
    `http://${hostPort}/local`,
    `http://${hostPort}/?database=%2Flocal`,
  ]) {
    const driver = new Driver(text);
    assert.equal(driver.database, '/local', text);
    assert.equal(driver.endpoint, `http://${hostPort}`, text);
    await answers(driver);
  }
  await answers(new Driver({ connectionString: `grpc://${hostPort}/?database=/local`, requestTimeoutMs: 5000 }));
  // grpcs:// maps to https:// on the same host and port.
  assert.equal(new Driver('grpcs://ydb.example.net:2135/?database=/ru/home/db').endpoint, 'https://ydb.example.net:2135');
});

test('bad connection strings are TypeErrors that show the expected form', () => {
  for (const text of ['', 'localhost:2136', 'ftp://h:1/?database=/local', 'grpc://h:1', 'grpc:///?database=/l', 'grpc://h:1/?database=nope']) {
    assert.throws(() => new Driver(text), (e) => e instanceof TypeError && /expected grpc\(s\):\/\//.test(e.message), text);
  }
  assert.throws(() => new Driver({ connectionString: 42 }), TypeError);
  assert.throws(() => new Driver({}), /endpoint \(or connectionString\) is required/);
});

test('Driver.fromEnv reads the connection string and the credentials variables', async () => {
  await answers(Driver.fromEnv({ YDB_CONNECTION_STRING: `grpc://${hostPort}/?database=/local` }));
  await answers(Driver.fromEnv({ YDB_CONNECTION_STRING: `grpc://${hostPort}/?database=/local`, YDB_ANONYMOUS_CREDENTIALS: '1' }, { requestTimeoutMs: 5000 }));
  // A token from the environment is sent as the auth ticket (the dev server without --user ignores it).
  await answers(Driver.fromEnv({ YDB_CONNECTION_STRING: `grpc://${hostPort}/?database=/local`, YDB_ACCESS_TOKEN_CREDENTIALS: 'secret-token' }));
  assert.throws(() => Driver.fromEnv({}), /YDB_CONNECTION_STRING is not set/);
  // The cloud variables are read (tests/node/credentials-cloud.test.mjs runs them): a malformed key is a
  // TypeError at once.
  assert.throws(
    () => Driver.fromEnv({ YDB_CONNECTION_STRING: `grpc://${hostPort}/?database=/local`, YDB_SERVICE_ACCOUNT_KEY_CREDENTIALS: '{"id"' }),
    (e) => e instanceof TypeError && /the service account key is not JSON/.test(e.message),
  );
  // Without an argument: this runtime's environment.
  const saved = process.env.YDB_CONNECTION_STRING;
  process.env.YDB_CONNECTION_STRING = `grpc://${hostPort}/?database=/local`;
  try {
    await answers(Driver.fromEnv());
  } finally {
    if (saved === undefined) delete process.env.YDB_CONNECTION_STRING;
    else process.env.YDB_CONNECTION_STRING = saved;
  }
});
