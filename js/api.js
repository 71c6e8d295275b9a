// The runtime-independent part of the JS entry: it takes the initialised wasm-bindgen module and
// adds what wasm-bindgen cannot express — async iterators, `Symbol.asyncDispose`, rest arguments,
// the credentials, transaction-mode, type and settings helpers — then re-exports the classes.
import * as errors from './errors.js';

const TYPED = Symbol.for('ydb-wasm.TypedValue');

/** A parameter with an explicit YDB type: `new TypedValue(5n, 'Uint64')`. */
export class TypedValue {
  constructor(value, type) {
    if (typeof type !== 'string') throw new TypeError('TypedValue type must be a type name such as "Uint64"');
    this.value = value;
    this.type = type;
  }
}
TypedValue.prototype[TYPED] = true;

/** YDB types are named in YQL's spelling; these constants spell them for you. */
export const PrimitiveType = Object.freeze(Object.fromEntries([
  'Bool', 'Int8', 'Uint8', 'Int16', 'Uint16', 'Int32', 'Uint32', 'Int64', 'Uint64', 'Float', 'Double',
  'Date', 'Datetime', 'Timestamp', 'Interval', 'String', 'Utf8', 'Yson', 'Json', 'Uuid', 'JsonDocument',
].map((n) => [n, n])));
export const OptionalType = (t) => `Optional<${t}>`;
export const ListType = (t) => `List<${t}>`;
export const TupleType = (...ts) => `Tuple<${ts.join(',')}>`;
export const StructType = (fields) => `Struct<${Object.entries(fields).map(([k, t]) => `${k}:${t}`).join(',')}>`;
export const DictType = (k, v) => `Dict<${k},${v}>`;
export const DecimalType = (precision = 22, scale = 9) => `Decimal(${precision},${scale})`;

export class AnonymousCredentials {
  get anonymous() { return true; }
  async getAuthToken() { return null; }
}

export class AccessTokenCredentials {
  #token;
  constructor(token) {
    if (typeof token !== 'string' || token === '') throw new TypeError('AccessTokenCredentials needs a token string');
    this.#token = token;
  }
  async getAuthToken() { return this.#token; }
  toJSON() { return { type: 'AccessTokenCredentials', token: '<redacted>' }; }
  [Symbol.for('nodejs.util.inspect.custom')]() { return 'AccessTokenCredentials { token: <redacted> }'; }
}

export class SerializableReadWrite { get mode() { return 'serializableReadWrite'; } }
export class OnlineReadOnly {
  constructor({ allowInconsistentReads = false } = {}) { this.allowInconsistentReads = allowInconsistentReads; }
  get mode() { return 'onlineReadOnly'; }
}
export class StaleReadOnly { get mode() { return 'staleReadOnly'; } }
export class SnapshotReadOnly { get mode() { return 'snapshotReadOnly'; } }

export class BackoffSettings {
  constructor({ ceiling = 6, slotDurationMs = 1000, uncertainRatio = 0.5 } = {}) {
    Object.assign(this, { ceiling, slotDurationMs, uncertainRatio });
  }
}

export class RetrySettings {
  constructor({
    maxRetries = 10, idempotent = false, retryNotFound = true, maxSessionAcquireTimeoutMs,
    fastBackoff = new BackoffSettings({ ceiling: 10, slotDurationMs: 5 }),
    slowBackoff = new BackoffSettings({ ceiling: 6, slotDurationMs: 1000 }),
  } = {}) {
    Object.assign(this, { maxRetries, idempotent, retryNotFound, maxSessionAcquireTimeoutMs, fastBackoff, slowBackoff });
  }
}
export const AsyncRetrySettings = RetrySettings;

/** Wires the wasm classes into the package's exports; called once by each runtime entry. */
export function bind(wasm) {
  wasm.__setErrorFactory(errors.makeError);

  const asyncIterable = (proto) => {
    proto[Symbol.asyncIterator] = function () {
      return {
        next: async () => {
          const value = await this.next();
          return value === undefined ? { done: true, value: undefined } : { done: false, value };
        },
        return: async () => { this.cancel(); return { done: true, value: undefined }; },
      };
    };
  };
  asyncIterable(wasm.QueryResultStream.prototype);

  const disposable = (proto, method) => {
    if (Symbol.asyncDispose) proto[Symbol.asyncDispose] = function () { return this[method](); };
  };
  disposable(wasm.Driver.prototype, 'stop');
  disposable(wasm.SessionPool.prototype, 'stop');
  disposable(wasm.QuerySessionPool.prototype, 'stop');
  disposable(wasm.TxContext.prototype, 'rollback');

  // Rest arguments for the callbacks: retryOperation(fn, settings, ...args).
  for (const Pool of [wasm.SessionPool, wasm.QuerySessionPool]) {
    const raw = Pool.prototype.retryOperation;
    Pool.prototype.retryOperation = function (callee, settings, ...args) {
      if (typeof callee !== 'function') throw new TypeError('retryOperation needs a function');
      return raw.call(this, callee, settings, args);
    };
    Pool.prototype.withSession = function (callee) {
      return this.retryOperation(callee, new RetrySettings({ maxRetries: 0 }));
    };
  }

  // session.withTransaction(fn, mode): commit on success, roll back on throw.
  wasm.Session.prototype.withTransaction = async function (callee, mode) {
    const tx = this.transaction(mode);
    try {
      const result = await callee(tx);
      if (!tx.isFinished) await tx.commit();
      return result;
    } catch (e) {
      if (!tx.isFinished) await tx.rollback().catch(() => {});
      throw e;
    }
  };

  ({ Driver, SessionPool, Session, TxContext, QuerySessionPool, QuerySession, QueryResultStream } = wasm);
}

// The wasm classes, live-bound: each runtime entry initialises the module and calls `bind` before
// anything imports them through it.
export let Driver, SessionPool, Session, TxContext, QuerySessionPool, QuerySession, QueryResultStream;

/** retryOperation(callee, settings?, sessionPool?, ...args) at the package root. */
export async function retryOperation(callee, settings, sessionPool, ...args) {
  if (!sessionPool) throw new TypeError('retryOperation at the package root needs a session pool');
  return sessionPool.retryOperation(callee, settings, ...args);
}

export * from './errors.js';
