// The cloud credentials: plain holders of their settings, handed to the wasm side (which signs, exchanges,
// caches and refreshes: src/auth/) through a symbol-keyed method when a Driver is made. Secrets are kept
// in private fields and never shown by toJSON or util.inspect.
const CLOUD = Symbol.for('ydb-wasm.cloudCredentials');
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * Reads a text file where the runtime has files (Node, Bun, Deno); undefined where it has none. The
 * promise is marked handled at once: a missing file is reported by the first call that needs the key, not
 * as an unhandled rejection before any call is made.
 */
export function fileReader() {
  let read;
  if (typeof globalThis.Deno?.readTextFile === 'function') read = (path) => globalThis.Deno.readTextFile(path);
  else if (globalThis.process?.versions?.node || globalThis.Bun) {
    // A computed specifier: bundlers for Workers and browsers leave it alone.
    const fs = 'node:fs/promises';
    read = async (path) => (await import(fs)).readFile(path, 'utf8');
  } else return undefined;
  return (path) => {
    const text = Promise.resolve().then(() => read(path));
    text.catch(() => {});
    return text;
  };
}

function later(path, what) {
  const read = fileReader();
  if (!read) throw new TypeError(`${what}.fromFile: this runtime has no files to read; pass the JSON itself`);
  return { text: read(path), source: `reading ${path}` };
}

function optionalString(value, name) {
  if (value !== undefined && value !== null && typeof value !== 'string') throw new TypeError(`${name} must be a string`);
  return value ?? undefined;
}

/**
 * A Yandex Cloud service-account authorized key, exchanged for IAM tokens: `new
 * ServiceAccountKeyCredentials(keyJson | { id, service_account_id, private_key }, { iamEndpoint?, audience? })`,
 * or `ServiceAccountKeyCredentials.fromFile(path)` in Node, Deno and Bun.
 */
export class ServiceAccountKeyCredentials {
  #document; #source; #iamEndpoint; #audience;
  constructor(key, { iamEndpoint, audience } = {}) {
    if (typeof key === 'string') this.#document = key;
    else if (key?.text instanceof Promise) ({ text: this.#document, source: this.#source } = key);
    else if (key && typeof key === 'object') this.#document = JSON.stringify(key);
    else throw new TypeError('ServiceAccountKeyCredentials needs the key JSON (a string or an object)');
    this.#iamEndpoint = optionalString(iamEndpoint, 'iamEndpoint');
    this.#audience = optionalString(audience, 'audience');
  }
  static fromFile(path, options) {
    if (typeof path !== 'string') throw new TypeError('ServiceAccountKeyCredentials.fromFile needs a path');
    return new ServiceAccountKeyCredentials(later(path, 'ServiceAccountKeyCredentials'), options);
  }
  [CLOUD]() {
    return { kind: 'serviceAccountKey', document: this.#document, source: this.#source, endpoint: this.#iamEndpoint, audience: this.#audience };
  }
  toJSON() { return { type: 'ServiceAccountKeyCredentials', iamEndpoint: this.#iamEndpoint, key: '<redacted>' }; }
  [INSPECT]() { return 'ServiceAccountKeyCredentials { key: <redacted> }'; }
}

/** The token of the VM's or function's service account, from the instance metadata service. */
export class MetadataCredentials {
  #url;
  constructor({ url } = {}) { this.#url = optionalString(url, 'url'); }
  get url() { return this.#url; }
  [CLOUD]() { return { kind: 'metadata', endpoint: this.#url }; }
  toJSON() { return { type: 'MetadataCredentials', url: this.#url }; }
}

const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';

/** `{ alg, privateKey, keyId?, issuer?, subject?, audience?, id?, ttlSeconds? }` as the config file spells it. */
function jwtSource(j, name) {
  if (typeof j !== 'object' || j === null) throw new TypeError(`${name} must be an object`);
  if (j.ttlSeconds !== undefined && !(Number.isFinite(j.ttlSeconds) && j.ttlSeconds > 0)) {
    throw new TypeError(`${name}.ttlSeconds must be a positive number`);
  }
  return {
    type: 'JWT', alg: j.alg, 'private-key': j.privateKey, kid: j.keyId, iss: j.issuer, sub: j.subject, aud: j.audience,
    jti: j.id, ttl: j.ttlSeconds === undefined ? undefined : `${j.ttlSeconds}s`,
  };
}

function party(token, tokenType, jwt, name) {
  if (token !== undefined && jwt !== undefined) throw new TypeError(`give ${name}Token or ${name}Jwt, not both`);
  if (token !== undefined) return { type: 'FIXED', token, 'token-type': tokenType ?? ACCESS_TOKEN };
  return jwt === undefined ? undefined : jwtSource(jwt, `${name}Jwt`);
}

/**
 * An OAuth 2.0 token exchange (RFC 8693), as the Python SDK's Oauth2TokenExchangeCredentials:
 * `new OAuth2TokenExchangeCredentials({ tokenEndpoint, subjectToken?, subjectTokenType?, subjectJwt?, actorToken?,
 * actorTokenType?, actorJwt?, audience?, scope?, resource?, grantType?, requestedTokenType? })`, or
 * `OAuth2TokenExchangeCredentials.fromFile(path)` for the SDKs' config file (YDB_OAUTH2_KEY_FILE).
 */
export class OAuth2TokenExchangeCredentials {
  #document; #source; #tokenEndpoint;
  constructor(options) {
    if (options?.text instanceof Promise) {
      ({ text: this.#document, source: this.#source } = options);
      return;
    }
    const o = options ?? {};
    if (typeof o.tokenEndpoint !== 'string') throw new TypeError('OAuth2TokenExchangeCredentials needs a tokenEndpoint');
    this.#tokenEndpoint = o.tokenEndpoint;
    this.#document = JSON.stringify({
      'token-endpoint': o.tokenEndpoint, 'grant-type': o.grantType, 'requested-token-type': o.requestedTokenType,
      aud: o.audience, scope: o.scope, res: o.resource,
      'subject-credentials': party(o.subjectToken, o.subjectTokenType, o.subjectJwt, 'subject'),
      'actor-credentials': party(o.actorToken, o.actorTokenType, o.actorJwt, 'actor'),
    });
  }
  static fromFile(path) {
    if (typeof path !== 'string') throw new TypeError('OAuth2TokenExchangeCredentials.fromFile needs a path');
    return new OAuth2TokenExchangeCredentials(later(path, 'OAuth2TokenExchangeCredentials'));
  }
  [CLOUD]() { return { kind: 'oauth2', document: this.#document, source: this.#source }; }
  toJSON() { return { type: 'OAuth2TokenExchangeCredentials', tokenEndpoint: this.#tokenEndpoint, secrets: '<redacted>' }; }
  [INSPECT]() { return `OAuth2TokenExchangeCredentials { tokenEndpoint: ${this.#tokenEndpoint}, secrets: <redacted> }`; }
}
