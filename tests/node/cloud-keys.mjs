// Service-account keys for the credential tests, made with WebCrypto: a key JSON as Yandex Cloud writes it
// (`yc iam key create`), and its public half as a PEM file for the dev server's --iam-key or
// --oauth-subject jwt:… flag. Not a test file itself.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const pem = (label, der) => {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${b64.trimEnd()}\n-----END ${label}-----\n`;
};

/**
 * A fresh RSA key pair for `keyId` of `accountId`: `{ keyJson, privatePem, publicPath }`; the key JSON's
 * private_key starts with Yandex Cloud's "PLEASE DO NOT REMOVE THIS LINE!" line.
 */
export async function serviceAccountKey(keyId = 'ajekey1', accountId = 'ajesa1') {
  const pair = await crypto.subtle.generateKey(
    { name: 'RSA-PSS', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    true, ['sign', 'verify'],
  );
  const privatePem = pem('PRIVATE KEY', await crypto.subtle.exportKey('pkcs8', pair.privateKey));
  const publicPem = pem('PUBLIC KEY', await crypto.subtle.exportKey('spki', pair.publicKey));
  const dir = mkdtempSync(join(tmpdir(), 'ydb-wasm-keys-'));
  const publicPath = join(dir, `${keyId}.pub`);
  writeFileSync(publicPath, publicPem);
  const key = {
    id: keyId,
    service_account_id: accountId,
    created_at: new Date().toISOString(),
    key_algorithm: 'RSA_2048',
    public_key: publicPem,
    private_key: `PLEASE DO NOT REMOVE THIS LINE! Yandex.Cloud SA Key ID <${keyId}>\n${privatePem}`,
  };
  const keyPath = join(dir, `${keyId}.json`);
  writeFileSync(keyPath, JSON.stringify(key, null, 2));
  return { key, keyJson: JSON.stringify(key), privatePem, publicPath, keyPath, dir };
}
