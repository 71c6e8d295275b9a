// Cloud credentials, run against the dev server playing Yandex Cloud: a service-account key exchanged for
// IAM tokens, the instance metadata service, an OAuth 2.0 token exchange, and a getAuthToken() provider of
// your own. In production drop the endpoint options: the defaults are Yandex Cloud's IAM and metadata URLs.
//
// Run in a clone of the repository (after `cargo build -p ydb-devserver`):  node examples/node/credentials.mjs
// It makes a throwaway key pair and starts target/debug/ydb-devserver (or $YDB_DEVSERVER_BIN) with
// --iam-key (trusting the key's public half), --metadata-token and --oauth-subject, on a free port.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Driver, ServiceAccountKeyCredentials, MetadataCredentials, OAuth2TokenExchangeCredentials, UnauthorizedError,
} from 'ydb-wasm';

/** @param {string} label @param {ArrayBuffer} der */
const pem = (label, der) =>
  `-----BEGIN ${label}-----\n${Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n').trimEnd()}\n-----END ${label}-----\n`;

// 1. A service account's authorized key, shaped as `yc iam key create --output key.json` writes it.
const pair = await crypto.subtle.generateKey(
  { name: 'RSA-PSS', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['sign', 'verify'],
);
const key = {
  id: 'ajeexamplekey',
  service_account_id: 'ajeexampleaccount',
  private_key: pem('PRIVATE KEY', await crypto.subtle.exportKey('pkcs8', pair.privateKey)),
};
const dir = mkdtempSync(join(tmpdir(), 'ydb-wasm-example-'));
writeFileSync(join(dir, 'key.pub'), pem('PUBLIC KEY', await crypto.subtle.exportKey('spki', pair.publicKey)));

// 2. A dev server that trusts the key, serves a metadata token and exchanges one OAuth subject token.
const server = spawn(process.env.YDB_DEVSERVER_BIN ?? 'target/debug/ydb-devserver', [
  '--listen', '127.0.0.1:0', '--iam-key', `${key.id}:${key.service_account_id}:${join(dir, 'key.pub')}`,
  '--metadata-token', 'vm-account', '--oauth-subject', 'token:my-identity-provider-token',
], { stdio: ['ignore', 'pipe', 'inherit'] });
/** @type {string} */
const endpoint = await new Promise((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (chunk) => {
    out += chunk;
    const m = out.match(/listening on (\S+)/);
    if (m) resolve(`http://${m[1]}`);
  });
  server.on('exit', () => reject(new Error('the dev server did not start (cargo build -p ydb-devserver?)')));
});

/** One query as whoever `credentials` authenticate. @param {string} what @param {any} credentials */
async function whoAmI(what, credentials) {
  const driver = new Driver({ endpoint, database: '/local', credentials });
  try {
    const [rs] = await driver.query('SELECT "authenticated"u AS status');
    console.log(`${what}: ${rs.rows[0].status}`);
  } finally {
    await driver.stop();
  }
}

try {
  // A service-account key: each exchange signs a PS256 JWT (WebCrypto) and posts it to IAM; the IAM token
  // is cached and refreshed in the background. In Node, Deno and Bun also ServiceAccountKeyCredentials.fromFile(path).
  await whoAmI('service-account key', new ServiceAccountKeyCredentials(key, { iamEndpoint: `${endpoint}/iam/v1/tokens` }));

  // The metadata service of the VM or function the program runs in (default URL: 169.254.169.254).
  await whoAmI('metadata service', new MetadataCredentials({
    url: `${endpoint}/computeMetadata/v1/instance/service-accounts/default/token`,
  }));

  // OAuth 2.0 token exchange (RFC 8693): your identity provider's token for one YDB accepts.
  await whoAmI('OAuth 2.0 token exchange', new OAuth2TokenExchangeCredentials({
    tokenEndpoint: `${endpoint}/oauth/token`, subjectToken: 'my-identity-provider-token',
  }));

  // Any object with getAuthToken(): asked before each request (cache in it what you can); a request refused
  // as UNAUTHENTICATED asks once more. Here: a token from the metadata endpoint, fetched by hand.
  await whoAmI('getAuthToken()', {
    async getAuthToken() {
      const r = await fetch(`${endpoint}/computeMetadata/v1/instance/service-accounts/default/token`, {
        headers: { 'Metadata-Flavor': 'Google' },
      });
      return (await r.json()).access_token;
    },
  });

  // Without credentials the server (auth on) refuses.
  await whoAmI('anonymous', undefined).then(
    () => { throw new Error('an anonymous call was accepted'); },
    (e) => { if (!(e instanceof UnauthorizedError)) throw e; console.log(`anonymous: refused (${e.status})`); },
  );
} finally {
  server.kill();
}
