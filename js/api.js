// The runtime-independent part of the JS entry: it takes the initialised wasm-bindgen module and
// adds what wasm-bindgen cannot express — async iterators, `Symbol.asyncDispose`, rest arguments,
// the credentials, transaction-mode, type and settings helpers — then re-exports the classes.
import { contain } from './crash.js';
import * as errors from './errors.js';
import { fileReader } from './credentials.js';
import { observedOptions } from './observe.js';
import { buildResultSet } from './rows.js';

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

const SQL = Symbol.for('ydb-wasm.sql');

/**
 * A query as a tagged template: `` sql`SELECT * FROM t WHERE id = ${id}` `` binds every interpolated
 * value as a parameter with a generated DECLARE of its (inferred or TypedValue) type — never spliced into
 * the text. Accepted wherever query text is; templates nest as fragments.
 */
export function sql(strings, ...values) {
  if (!Array.isArray(strings) || !Array.isArray(strings.raw)) throw new TypeError('sql is a tag: sql`SELECT …`');
  return Object.freeze({ [SQL]: 'query', strings: Object.freeze([...strings]), values: Object.freeze(values) });
}
/** A table or column name, quoted as an identifier: `` sql`SELECT * FROM ${sql.identifier(table)}` ``. */
sql.identifier = (name) => {
  if (typeof name !== 'string') throw new TypeError('sql.identifier needs a name string');
  return Object.freeze({ [SQL]: 'identifier', name });
};
/** Text spliced into the query as it is: only for text the program itself wrote, never for input. */
sql.unsafe = (text) => {
  if (typeof text !== 'string') throw new TypeError('sql.unsafe needs a string');
  return Object.freeze({ [SQL]: 'unsafe', text });
};

/** YDB types are named in YQL's spelling; these constants spell them for you. */
export const PrimitiveType = Object.freeze(Object.fromEntries([
  'Bool', 'Int8', 'Uint8', 'Int16', 'Uint16', 'Int32', 'Uint32', 'Int64', 'Uint64', 'Float', 'Double',
  'Date', 'Datetime', 'Timestamp', 'Interval', 'String', 'Utf8', 'Yson', 'Json', 'Uuid', 'JsonDocument',
  'DyNumber', 'Date32', 'Datetime64', 'Timestamp64', 'Interval64', 'TzDate', 'TzDatetime', 'TzTimestamp',
].map((n) => [n, n])));
export const OptionalType = (t) => `Optional<${t}>`;
export const ListType = (t) => `List<${t}>`;
export const TupleType = (...ts) => `Tuple<${ts.join(',')}>`;
export const StructType = (fields) => `Struct<${Object.entries(fields).map(([k, t]) => `${k}:${t}`).join(',')}>`;
export const DictType = (k, v) => `Dict<${k},${v}>`;
export const DecimalType = (precision = 22, scale = 9) => `Decimal(${precision},${scale})`;
/** `Set<T>` (YDB's `Dict<T,Void>`): its values are JS `Set`s. */
export const SetType = (t) => `Set<${t}>`;
/**
 * A variant over a struct's members (`VariantType(StructType({ ok: 'Int32', error: 'Utf8' }))`) or a
 * tuple's elements (`VariantType(TupleType('Int32', 'Utf8'))`); its values are `{ name, value }` or
 * `{ index, value }`, as results give them.
 */
export const VariantType = (inner) => {
  const m = /^(Struct|Tuple)<(.+)>$/s.exec(String(inner));
  if (!m) throw new TypeError('VariantType needs a StructType(...) or TupleType(...) with at least one item');
  return `Variant<${m[2]}>`;
};
/** A tagged type: `TaggedType('Utf8', 'email')` is `Tagged<Utf8,'email'>`; its values are the inner type's. */
export const TaggedType = (t, tag) => {
  if (typeof tag !== 'string' || !/^[^'>]+$/.test(tag)) throw new TypeError('TaggedType needs a tag string without quotes');
  return `Tagged<${t},'${tag}'>`;
};

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

/** A column of a table: `new TableColumn('id', 'Uint64', { notNull: true })`. */
export class TableColumn {
  constructor(name, type, { notNull = false } = {}) {
    if (typeof name !== 'string' || name === '') throw new TypeError('TableColumn needs a name');
    if (typeof type !== 'string') throw new TypeError(`TableColumn ${name} needs a type name such as 'Uint64'`);
    Object.assign(this, { name, type, notNull });
  }
}

/** A secondary (global) index: `new TableIndex('by_name').withIndexColumns('name')`. */
export class TableIndex {
  constructor(name) {
    if (typeof name !== 'string' || name === '') throw new TypeError('TableIndex needs a name');
    this.name = name;
    this.indexColumns = [];
    this.dataColumns = [];
  }
  withIndexColumns(...columns) { this.indexColumns.push(...columns); return this; }
  withDataColumns(...columns) { this.dataColumns.push(...columns); return this; }
}

/** A table's schema, built for createTable and read back by describeTable. */
export class TableDescription {
  constructor() {
    this.columns = [];
    this.primaryKey = [];
    this.indexes = [];
  }
  withColumn(column) { this.columns.push(column); return this; }
  withColumns(...columns) { this.columns.push(...columns); return this; }
  withPrimaryKey(name) { this.primaryKey.push(name); return this; }
  withPrimaryKeys(...names) { this.primaryKey.push(...names); return this; }
  withIndex(index) { this.indexes.push(index); return this; }
  withIndexes(...indexes) { this.indexes.push(...indexes); return this; }
  static from({ name, columns, primaryKey, indexes }) {
    const d = new TableDescription();
    d.name = name;
    d.columns = columns.map((c) => new TableColumn(c.name, c.type, { notNull: c.notNull }));
    d.primaryKey = primaryKey;
    d.indexes = indexes.map((i) => Object.assign(new TableIndex(i.name), { indexColumns: i.indexColumns, dataColumns: i.dataColumns }));
    return d;
  }
}

/** A query prepared by `session.prepareQuery`: accepted wherever query text is, run by its id. */
export class DataQuery {
  constructor({ yqlText, queryId, parameterTypes }) {
    Object.assign(this, { yqlText, queryId, parameterTypes });
  }
}

/** Permission changes for `schemeClient.modifyPermissions`. */
export class Permissions {
  constructor() { this.actions = []; this.clear = false; }
  grant(subject, permissionNames) { this.actions.push({ grant: { subject, permissionNames } }); return this; }
  revoke(subject, permissionNames) { this.actions.push({ revoke: { subject, permissionNames } }); return this; }
  set(subject, permissionNames) { this.actions.push({ set: { subject, permissionNames } }); return this; }
  changeOwner(owner) { this.actions.push({ changeOwner: owner }); return this; }
  clearPermissions() { this.clear = true; return this; }
}

/**
 * A query-service transaction: `execute` returns the result stream, which is also awaitable (it then
 * collects the parts into whole result sets). The transaction begins with the first statement.
 */
export class QueryTxContext {
  #session; #mode; #txId; #finished = false;
  constructor(session, mode) { this.#session = session; this.#mode = mode; }
  get txId() { return this.#txId; }
  get isFinished() { return this.#finished; }
  execute(query, parameters, { commitTx = false, ...settings } = {}) {
    if (this.#finished) throw new TypeError('the transaction is already committed or rolled back');
    const txControl = this.#txId
      ? { txId: this.#txId, commitTx }
      : { beginTx: this.#mode ?? new SerializableReadWrite(), commitTx };
    if (commitTx) this.#finished = true;
    const stream = this.#session.executeQuery(query, parameters, { ...settings, txControl });
    const tx = this;
    const parts = {
      async *[Symbol.asyncIterator]() {
        try {
          for await (const part of stream) {
            tx.#txId ??= stream.txId;
            yield part;
          }
          tx.#txId ??= stream.txId;
        } catch (e) {
          tx.#finished = true;
          throw e;
        }
      },
      // Awaited: the wasm side gathers the parts into whole result sets.
      then(resolve, reject) {
        return stream.collect().then(
          (sets) => { tx.#txId ??= stream.txId; return sets; },
          (e) => { tx.#finished = true; throw e; },
        ).then(resolve, reject);
      },
    };
    return parts;
  }
  async commit() {
    if (this.#finished) return;
    this.#finished = true;
    if (this.#txId) await this.#session.commitTransaction(this.#txId);
  }
  async rollback() {
    if (this.#finished) return;
    this.#finished = true;
    if (this.#txId) await this.#session.rollbackTransaction(this.#txId);
  }
}

/** A user and password, exchanged for a token through the Auth service and refreshed before it expires. */
export class StaticCredentials {
  #user; #password;
  constructor({ user, password } = {}) {
    if (typeof user !== 'string' || user === '') throw new TypeError('StaticCredentials needs a user');
    if (typeof password !== 'string') throw new TypeError('StaticCredentials needs a password string');
    this.#user = user;
    this.#password = password;
  }
  get user() { return this.#user; }
  [Symbol.for('ydb-wasm.StaticCredentials')]() { return { user: this.#user, password: this.#password }; }
  toJSON() { return { type: 'StaticCredentials', user: this.#user, password: '<redacted>' }; }
  [Symbol.for('nodejs.util.inspect.custom')]() { return `StaticCredentials { user: ${this.#user}, password: <redacted> }`; }
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
    maxRetries = 10, idempotent = false, retryNotFound = true, maxSessionAcquireTimeoutMs, signal, onRetry,
    fastBackoff = new BackoffSettings({ ceiling: 10, slotDurationMs: 5 }),
    slowBackoff = new BackoffSettings({ ceiling: 6, slotDurationMs: 1000 }),
  } = {}) {
    if (onRetry !== undefined && typeof onRetry !== 'function') throw new TypeError('onRetry must be a function');
    Object.assign(this, { maxRetries, idempotent, retryNotFound, maxSessionAcquireTimeoutMs, signal, onRetry, fastBackoff, slowBackoff });
  }
}
export const AsyncRetrySettings = RetrySettings;

let bindAsyncContext;

/**
 * `fn`, bound to the async context of its caller where the runtime has `node:async_hooks` (Node, Deno,
 * Bun). The wasm side calls a `retryOperation` callback from its own microtask queue, in whatever async
 * context drained it; bound, the callback reads its caller's AsyncLocalStorage stores (a request-scoped
 * logger, OpenTelemetry's active span, a framework's request data) even when calls made in one tick
 * from several requests interleave.
 */
function inCallersContext(fn) {
  if (bindAsyncContext === undefined) {
    const AsyncResource = globalThis.process?.getBuiltinModule?.('node:async_hooks')?.AsyncResource;
    bindAsyncContext = AsyncResource ? (f) => AsyncResource.bind(f) : (f) => f;
  }
  return bindAsyncContext(fn);
}

/** Wires the wasm classes into the package's exports; called once by each runtime entry. */
export function bind(wasm) {
  wasmApi = wasm;
  const classes = [
    wasm.Driver, wasm.SessionPool, wasm.Session, wasm.TxContext, wasm.QuerySessionPool, wasm.QuerySession,
    wasm.QueryResultStream, wasm.SchemeClient, wasm.TableClient, wasm.ReadTableStream,
  ];
  // Run again on the fresh instance that replaces a crashed one.
  const setup = () => {
    wasm.__setErrorFactory(errors.makeError);
    wasm.__setRowBuilder(buildResultSet);
  };
  // Guards the raw methods first, so that the additions below call guarded ones.
  containment = contain(wasm, classes, errors.makeError, setup);
  setup();

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
  asyncIterable(wasm.ReadTableStream.prototype);

  const prepare = wasm.Session.prototype.prepareQuery;
  wasm.Session.prototype.prepareQuery = async function (query, settings) {
    return new DataQuery(await prepare.call(this, query, settings));
  };
  const describe = wasm.Session.prototype.describeTable;
  wasm.Session.prototype.describeTable = async function (path, settings) {
    return TableDescription.from(await describe.call(this, path, settings));
  };
  wasm.QuerySession.prototype.transaction = async function (mode) {
    return new QueryTxContext(this, mode);
  };
  for (const Pool of [wasm.SessionPool, wasm.QuerySessionPool]) {
    // The counters of the pool's one status snapshot.
    const counters = { size: 'maxSize', totalSessions: 'total', idleSessions: 'idle' };
    for (const [name, field] of Object.entries(counters)) {
      Object.defineProperty(Pool.prototype, name, { get() { return this.status[field]; }, configurable: true });
    }
    // `await using session = await pool.checkout()`: the session goes back to the pool at scope end.
    Pool.prototype.checkout = async function (opts) {
      const session = await this.acquire(opts);
      const pool = this;
      session[Symbol.asyncDispose ?? Symbol.for('Symbol.asyncDispose')] = async () => pool.release(session);
      return session;
    };
  }

  const disposable = (proto, method) => {
    if (Symbol.asyncDispose) proto[Symbol.asyncDispose] = function () { return this[method](); };
  };
  disposable(wasm.Driver.prototype, 'stop');
  disposable(wasm.SessionPool.prototype, 'stop');
  disposable(wasm.QuerySessionPool.prototype, 'stop');
  disposable(wasm.TxContext.prototype, 'rollback');

  // Rest arguments for the callbacks: retryOperation(fn, settings, ...args). The callback runs in the
  // caller's async context (see inCallersContext).
  for (const Pool of [wasm.SessionPool, wasm.QuerySessionPool]) {
    const raw = Pool.prototype.retryOperation;
    Pool.prototype.retryOperation = function (callee, settings, ...args) {
      if (typeof callee !== 'function') throw new TypeError('retryOperation needs a function');
      return raw.call(this, inCallersContext(callee), settings, args);
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

  // Key and config files named by the environment are read through the runtime's file API, where it has one.
  const fromEnv = wasm.Driver.fromEnv;
  wasm.Driver.fromEnv = (env, options) => {
    const read = fileReader();
    const observed = observedOptions(options);
    return fromEnv(env ?? runtimeEnv(), read ? { ...observed, [Symbol.for('ydb-wasm.readTextFile')]: read } : observed);
  };

  ({ Session, TxContext, QuerySession, QueryResultStream, SchemeClient, TableClient, ReadTableStream } = wasm);
  // The tracer and logger options reach the wasm side as adapters that never throw (js/observe.js).
  Driver = containment.constructible(new Proxy(wasm.Driver, {
    construct: (target, [config, ...rest], newTarget) => Reflect.construct(target, [observedOptions(config), ...rest], newTarget),
  }));
  SessionPool = containment.constructible(wasm.SessionPool);
  QuerySessionPool = containment.constructible(wasm.QuerySessionPool);
}

let containment;

/** The environment variables of this runtime, for `Driver.fromEnv()` without an argument. */
function runtimeEnv() {
  if (globalThis.process?.env) return globalThis.process.env;
  if (globalThis.Deno?.env?.toObject) return globalThis.Deno.env.toObject();
  throw new TypeError('Driver.fromEnv() finds no environment in this runtime: pass one (in Workers, the env of fetch)');
}

/** The wasm instance's linear memory in bytes, for the benchmark's memory run. Not public API. */
let wasmApi;
export function __wasmMemoryBytes() {
  return wasmApi.__wasmMemoryBytes();
}

/** Traps the wasm instance on purpose, to test crash containment. Not public API. */
export function __forceTrapForTests(inBackground = false) {
  containment.trap(inBackground);
}

// The wasm classes, live-bound: each runtime entry initialises the module and calls `bind` before
// anything imports them through it.
export let Driver, SessionPool, Session, TxContext, QuerySessionPool, QuerySession, QueryResultStream, SchemeClient,
  TableClient, ReadTableStream;

/** retryOperation(callee, settings?, sessionPool?, ...args) at the package root. */
export async function retryOperation(callee, settings, sessionPool, ...args) {
  if (!sessionPool) throw new TypeError('retryOperation at the package root needs a session pool');
  return sessionPool.retryOperation(callee, settings, ...args);
}

export * from './errors.js';
export { ServiceAccountKeyCredentials, MetadataCredentials, OAuth2TokenExchangeCredentials } from './credentials.js';
