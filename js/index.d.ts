// TypeScript declarations of the ydb-wasm package (what this version implements; see ../README.md).

/** A YDB type in YQL spelling: 'Uint64', 'Optional<Utf8>', 'List<Struct<a:Int32>>', 'Decimal(22,9)'. */
export type YdbType = string;

/** JS values that YDB values map to (API.md's mapping table). */
export type YdbValue =
  | null | boolean | number | bigint | string | Uint8Array | Date
  | YdbValue[] | { [field: string]: YdbValue } | Map<YdbValue, YdbValue> | Set<YdbValue>
  | VariantValue;
/** A Variant's value: the alternative chosen by struct member `name` (or by `index`) and its value. */
export interface VariantValue<T = YdbValue> { index?: number; name?: string | number; value: T }

/**
 * How results are shaped, per call. `rowMode: 'array'` gives each row as an array of cells in column
 * order (`columns` names them); the default `'object'` keys each row by column name. `timestamps:
 * 'bigint'` gives Timestamp and Timestamp64 as BigInt microseconds since the epoch (exact); the default
 * `'date'` gives a `Date`, which holds milliseconds only.
 */
export interface ResultOptions { rowMode?: 'object' | 'array'; timestamps?: 'date' | 'bigint' }

/** Query parameters by name, `$` included: `{ $id: 1n, $name: 'x' }`. */
export type Parameters = Record<string, YdbValue | TypedValue>;

/** A result column: its name and its YDB type in YQL spelling (`Optional<Timestamp64>`). */
export interface Column { name: string; type: YdbType }
/**
 * Rows are `Record<string, any>` unless you name their shape: `ResultSet<{ id: bigint }>`; with
 * `rowMode: 'array'` they are arrays (`ResultSet<unknown[]>`).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface ResultSet<Row = Record<string, any>> {
  columns: Column[];
  rows: Row[];
  truncated: boolean;
  /** Which result set of the query this is (streamed parts of the query service). */
  index?: number;
}

export declare class TypedValue {
  constructor(value: YdbValue, type: YdbType);
  value: YdbValue;
  type: YdbType;
}

export declare const PrimitiveType: Readonly<{
  Bool: 'Bool'; Int8: 'Int8'; Uint8: 'Uint8'; Int16: 'Int16'; Uint16: 'Uint16'; Int32: 'Int32';
  Uint32: 'Uint32'; Int64: 'Int64'; Uint64: 'Uint64'; Float: 'Float'; Double: 'Double'; Date: 'Date';
  Datetime: 'Datetime'; Timestamp: 'Timestamp'; Interval: 'Interval'; String: 'String'; Utf8: 'Utf8';
  Yson: 'Yson'; Json: 'Json'; Uuid: 'Uuid'; JsonDocument: 'JsonDocument'; DyNumber: 'DyNumber';
  Date32: 'Date32'; Datetime64: 'Datetime64'; Timestamp64: 'Timestamp64'; Interval64: 'Interval64';
  TzDate: 'TzDate'; TzDatetime: 'TzDatetime'; TzTimestamp: 'TzTimestamp';
}>;
export declare function OptionalType(t: YdbType): YdbType;
export declare function ListType(t: YdbType): YdbType;
export declare function TupleType(...ts: YdbType[]): YdbType;
export declare function StructType(fields: Record<string, YdbType>): YdbType;
export declare function DictType(key: YdbType, value: YdbType): YdbType;
export declare function DecimalType(precision?: number, scale?: number): YdbType;
/** `Set<T>`: a JS `Set` of T. */
export declare function SetType(t: YdbType): YdbType;
/** `Variant<...>` over a `StructType(...)` or `TupleType(...)`: values are `{ name, value }` / `{ index, value }`. */
export declare function VariantType(inner: YdbType): YdbType;
/** `Tagged<T,'tag'>`: values are T's. */
export declare function TaggedType(t: YdbType, tag: string): YdbType;

/**
 * Any token provider: `getAuthToken()` is called before every request (cache in it what you can); its
 * token goes in `x-ydb-auth-ticket`, `null` sends none. A request the server refuses as UNAUTHENTICATED
 * calls it once more and is sent again with the new token. A throw fails the call with UnauthorizedError.
 */
export interface Credentials { getAuthToken(): Promise<string | null> }
export declare class AnonymousCredentials implements Credentials {
  getAuthToken(): Promise<null>;
}
export declare class AccessTokenCredentials implements Credentials {
  constructor(token: string);
  getAuthToken(): Promise<string>;
}

export declare class TableColumn {
  constructor(name: string, type: YdbType, opts?: { notNull?: boolean });
  name: string;
  type: YdbType;
  notNull: boolean;
}
export declare class TableIndex {
  constructor(name: string);
  name: string;
  indexColumns: string[];
  dataColumns: string[];
  withIndexColumns(...columns: string[]): this;
  withDataColumns(...columns: string[]): this;
}
export declare class TableDescription {
  /** Set on descriptions read back by describeTable. */
  name?: string;
  columns: TableColumn[];
  primaryKey: string[];
  indexes: TableIndex[];
  withColumn(column: TableColumn): this;
  withColumns(...columns: TableColumn[]): this;
  withPrimaryKey(name: string): this;
  withPrimaryKeys(...names: string[]): this;
  withIndex(index: TableIndex): this;
  withIndexes(...indexes: TableIndex[]): this;
}
export interface AlterTableSettings {
  addColumns?: TableColumn[];
  dropColumns?: string[];
  addIndexes?: TableIndex[];
  dropIndexes?: string[];
}
/** A query prepared on the server; accepted wherever query text is, run by id. */
export declare class DataQuery {
  readonly yqlText: string;
  readonly queryId: string;
  /** Declared parameter types: plain values passed for them are encoded as these types. */
  readonly parameterTypes: Record<string, YdbType>;
}
/** A query written as a tagged template (see `sql`). */
export interface SqlQuery { readonly strings: readonly string[]; readonly values: readonly unknown[] }
/** A name or raw text inside an `sql` template. */
export interface SqlFragment { readonly name?: string; readonly text?: string }
/**
 * `` sql`SELECT * FROM t WHERE id = ${id}` ``: every interpolated value is bound as a parameter with a
 * generated DECLARE of its type, never spliced into the text. Accepted wherever query text is.
 */
export declare function sql(strings: TemplateStringsArray, ...values: unknown[]): SqlQuery;
export declare namespace sql {
  /** A table or column name, quoted. */
  function identifier(name: string): SqlFragment;
  /** Text spliced as it is: only text the program itself wrote. */
  function unsafe(text: string): SqlFragment;
}
export type Query = string | DataQuery | SqlQuery;

export interface KeyRange {
  greater?: TypedValue;
  greaterOrEqual?: TypedValue;
  less?: TypedValue;
  lessOrEqual?: TypedValue;
}
export interface ReadTableOptions extends CallSettings, ResultOptions {
  keyRange?: KeyRange;
  columns?: string[];
  ordered?: boolean;
  rowLimit?: number;
}
export declare class ReadTableStream implements AsyncIterable<ResultSet> {
  next(): Promise<ResultSet | undefined>;
  cancel(): void;
  [Symbol.asyncIterator](): AsyncIterator<ResultSet>;
}

export interface SchemePermissions { subject: string; permissionNames: string[] }
export interface SchemeEntry {
  name: string;
  type: 'DIRECTORY' | 'TABLE' | 'DATABASE' | 'COLUMN_TABLE' | 'TOPIC' | 'VIEW' | 'EXTERNAL_TABLE' | 'SEQUENCE' |
    'COORDINATION_NODE' | 'UNKNOWN';
  owner: string;
  permissions: SchemePermissions[];
  effectivePermissions: SchemePermissions[];
}
export interface Directory extends SchemeEntry { children: SchemeEntry[] }
export declare class Permissions {
  grant(subject: string, permissionNames: string[]): this;
  revoke(subject: string, permissionNames: string[]): this;
  set(subject: string, permissionNames: string[]): this;
  changeOwner(owner: string): this;
  clearPermissions(): this;
}
export declare class SchemeClient {
  makeDirectory(path: string, settings?: CallSettings): Promise<void>;
  removeDirectory(path: string, settings?: CallSettings): Promise<void>;
  listDirectory(path: string, settings?: CallSettings): Promise<Directory>;
  describePath(path: string, settings?: CallSettings): Promise<SchemeEntry>;
  modifyPermissions(path: string, permissions: Permissions, settings?: CallSettings): Promise<void>;
}
export declare class TableClient {
  session(settings?: CallSettings): Promise<Session>;
  bulkUpsert(path: string, rows: Record<string, YdbValue>[], columnTypes?: Record<string, YdbType>,
    settings?: CallSettings): Promise<void>;
}

/** Logs in through the Auth service with a user and password; the token is refreshed before it expires. */
export declare class StaticCredentials {
  constructor(opts: { user: string; password: string });
  readonly user: string;
}

/** A Yandex Cloud service account's authorized key file (`yc iam key create --output key.json`). */
export interface ServiceAccountKey {
  id: string;
  service_account_id: string;
  private_key: string;
  created_at?: string;
  key_algorithm?: string;
  public_key?: string;
}

/**
 * A service-account key exchanged for IAM tokens: each exchange signs a PS256 JWT with WebCrypto and posts
 * it to the IAM endpoint; the token is cached, refreshed in the background at half its lifetime (at most
 * hourly), shared by concurrent calls, and a failed exchange retried (a refused key is not).
 */
export declare class ServiceAccountKeyCredentials {
  constructor(key: string | ServiceAccountKey, opts?: {
    /** Default `https://iam.api.cloud.yandex.net/iam/v1/tokens`. */
    iamEndpoint?: string;
    /** The JWT's `aud`; default `https://iam.api.cloud.yandex.net/iam/v1/tokens` whatever the endpoint. */
    audience?: string;
  });
  /** Reads the key file on the first call that needs a token (Node, Deno, Bun). */
  static fromFile(path: string, opts?: { iamEndpoint?: string; audience?: string }): ServiceAccountKeyCredentials;
}

/** The token of the VM's or function's service account, from the instance metadata service. */
export declare class MetadataCredentials {
  /** `url` default: `http://169.254.169.254/computeMetadata/v1/instance/service-accounts/default/token`. */
  constructor(opts?: { url?: string });
  readonly url: string | undefined;
}

/** A JWT signed here for each exchange: RS/PS/ES/HS 256–512 (ES512 aside), a PKCS#8 PEM or an HMAC base64 key. */
export interface OAuth2Jwt {
  alg: string;
  privateKey: string;
  keyId?: string;
  issuer?: string;
  subject?: string;
  audience?: string | string[];
  id?: string;
  /** Default 3600. */
  ttlSeconds?: number;
}

/** OAuth 2.0 token exchange (RFC 8693), as the Python SDK's `Oauth2TokenExchangeCredentials`. */
export declare class OAuth2TokenExchangeCredentials {
  constructor(opts: {
    tokenEndpoint: string;
    subjectToken?: string;
    /** Default `urn:ietf:params:oauth:token-type:access_token`. */
    subjectTokenType?: string;
    subjectJwt?: OAuth2Jwt;
    actorToken?: string;
    actorTokenType?: string;
    actorJwt?: OAuth2Jwt;
    audience?: string | string[];
    scope?: string | string[];
    resource?: string | string[];
    grantType?: string;
    requestedTokenType?: string;
  });
  /** The official SDKs' config file (`YDB_OAUTH2_KEY_FILE`), read on the first call (Node, Deno, Bun). */
  static fromFile(path: string): OAuth2TokenExchangeCredentials;
}

export type TxMode = SerializableReadWrite | OnlineReadOnly | StaleReadOnly | SnapshotReadOnly;
export declare class SerializableReadWrite { readonly mode: 'serializableReadWrite' }
export declare class OnlineReadOnly {
  constructor(opts?: { allowInconsistentReads?: boolean });
  readonly mode: 'onlineReadOnly';
  allowInconsistentReads: boolean;
}
export declare class StaleReadOnly { readonly mode: 'staleReadOnly' }
export declare class SnapshotReadOnly { readonly mode: 'snapshotReadOnly' }

export declare class BackoffSettings {
  constructor(opts?: { ceiling?: number; slotDurationMs?: number; uncertainRatio?: number });
  ceiling: number;
  slotDurationMs: number;
  uncertainRatio: number;
}
export declare class RetrySettings {
  constructor(opts?: {
    maxRetries?: number; idempotent?: boolean; retryNotFound?: boolean; maxSessionAcquireTimeoutMs?: number;
    /** Cancels the whole retry loop: no attempt starts and no backoff is waited after it aborts. */
    signal?: AbortSignal;
    /**
     * Called before each backoff wait with the error of the attempt that failed, the wait in ms, and that
     * attempt's number (1 for the first). What it throws or rejects with is ignored.
     */
    onRetry?: (error: unknown, delayMs: number, attempt: number) => unknown;
    fastBackoff?: BackoffSettings; slowBackoff?: BackoffSettings;
  });
  maxRetries: number;
  idempotent: boolean;
  retryNotFound: boolean;
  maxSessionAcquireTimeoutMs?: number;
  signal?: AbortSignal;
  onRetry?: (error: unknown, delayMs: number, attempt: number) => unknown;
  fastBackoff: BackoffSettings;
  slowBackoff: BackoffSettings;
}
export declare const AsyncRetrySettings: typeof RetrySettings;

/** Per-call options: a deadline and a cancellation signal. */
export interface CallSettings { timeoutMs?: number; signal?: AbortSignal }

/** What every way of making a driver shares (all but where it connects). */
export interface DriverOptions {
  /**
   * The deadline of every request that sets no `timeoutMs` of its own (a unary call, or a stream from open
   * to end); not applied to a query session's AttachSession stream, which lives as long as the session.
   */
  requestTimeoutMs?: number;
  /**
   * A cap on retries shared by every pool of this driver: each call earns `ratio` retries, and
   * `minPerSecond` (default 10) retries are allowed in any second regardless. A spent budget ends the
   * retry loop with the error it saw.
   */
  retryBudget?: { ratio: number; minPerSecond?: number };
  /**
   * Where calls go. `'single'` (the default, right behind a gRPC-web proxy): every call goes to
   * `endpoint`, and discovery only answers `wait()`. `'balanced'`: new sessions and session-less calls go
   * round-robin to the nodes that discovery lists, skipping nodes a call could not reach; the list is
   * refreshed every `intervalMs` (default 60000) while the driver is used. Each listed node must speak
   * gRPC-web: `mapEndpoint` turns a node into its URL (default `http(s)://address:port`) or leaves it out
   * (`null`).
   */
  discovery?: 'single' | 'balanced' | DiscoveryConfig;
  /**
   * The fetch every request of this driver goes through (also StaticCredentials' login), called as
   * `fetch(url, init)` without `this`: pass a bound function for a method, such as a Workers service
   * binding's `env.PROXY.fetch.bind(env.PROXY)`. Default: the global `fetch`.
   */
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
  /**
   * Headers every request carries (an API gateway's key, Cloudflare Access tokens); read once, never
   * logged. YDB's own headers (`content-type`, `x-ydb-*`, `grpc-timeout`, …) win over one of the same name.
   */
  headers?: Record<string, string>;
  /**
   * An OpenTelemetry API tracer (`trace.getTracer('app')`), duck-typed: the package depends on no
   * OpenTelemetry package. Retried calls get a `ydb.RunWithRetry` span, each attempt a `ydb.Try` child,
   * and each query request a `ydb.ExecuteQuery` client span whose context is sent as `traceparent`;
   * each request on a session held by hand is a client span too. A call's spans go under the span active
   * when it was made (read from the registered context manager). A tracer that throws is ignored. See the
   * README's "Observability".
   */
  tracer?: Tracer;
  /** Put the query text in `db.query.text` of query spans (off by default; parameter values never). */
  traceQueryText?: boolean;
  /**
   * Where the driver says what it does (silent by default): discovery results, sessions created and
   * discarded, retries, pessimised endpoints, token refreshes, stop. Never a token, password or parameter
   * value. A logger that throws or rejects is ignored.
   */
  logger?: Logger;
}

/** The part of OpenTelemetry's `Tracer` the driver uses. */
export interface Tracer {
  startSpan(
    name: string,
    options?: { kind?: number; attributes?: Record<string, string | number | boolean> },
    context?: unknown,
  ): TracerSpan;
}
/** The part of OpenTelemetry's `Span` the driver uses. */
export interface TracerSpan {
  setAttribute(key: string, value: string | number | boolean): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  recordException(exception: { name: string; message: string }): void;
  end(): void;
  spanContext(): { traceId: string; spanId: string; traceFlags: number };
}
/** A log event's fields: names, statuses, counts, endpoints, durations in ms. */
export type LogFields = Record<string, string | number | boolean>;
export interface Logger {
  debug?(message: string, fields: LogFields): unknown;
  info?(message: string, fields: LogFields): unknown;
  warn?(message: string, fields: LogFields): unknown;
  error?(message: string, fields: LogFields): unknown;
}
export type DriverConfig = DriverOptions & {
  credentials?: Credentials | StaticCredentials | ServiceAccountKeyCredentials | MetadataCredentials
    | OAuth2TokenExchangeCredentials;
} & (
  | {
    /** gRPC-web URL: http(s)://host:port (grpc:// and grpcs:// are read as http:// and https://). */
    endpoint: string;
    database: string;
  }
  | {
    /** `grpcs://host:2135/?database=/path` as YDB consoles show it, or `http(s)://host:port/path`. */
    connectionString: string;
  }
);
export interface DiscoveryConfig {
  mode?: 'single' | 'balanced';
  intervalMs?: number;
  mapEndpoint?: (node: DiscoveredEndpoint) => string | null | undefined;
}
/** A node as ListEndpoints lists it. */
export interface DiscoveredEndpoint { address: string; port: number; ssl: boolean; nodeId: number; location: string }
/** Options of `driver.query`. */
export interface QueryOptions extends CallSettings, ResultOptions {
  retrySettings?: RetrySettings;
  /** Shorthand for `retrySettings.idempotent`: the query may run twice without harm. */
  idempotent?: boolean;
}
export declare class Driver {
  /** A connection string (`grpcs://host:2135/?database=/path`) or the full configuration. */
  constructor(config: DriverConfig | string);
  /**
   * From `YDB_CONNECTION_STRING` and the credentials variables of `env`, first set wins:
   * `YDB_SERVICE_ACCOUNT_KEY_CREDENTIALS` (the key JSON), `YDB_SERVICE_ACCOUNT_KEY_FILE_CREDENTIALS` (Node, Deno,
   * Bun), `YDB_ANONYMOUS_CREDENTIALS=1`, `YDB_METADATA_CREDENTIALS=1`, `YDB_ACCESS_TOKEN_CREDENTIALS`,
   * `YDB_STATIC_CREDENTIALS_USER` / `_PASSWORD`, `YDB_OAUTH2_KEY_FILE` (Node, Deno, Bun). `env` is by default
   * `process.env` (Node, Bun) or `Deno.env`; in Workers pass the `env` of `fetch`.
   */
  static fromEnv(env?: Record<string, string | undefined>, options?: DriverOptions): Driver;
  readonly endpoint: string;
  readonly database: string;
  readonly discoveryDebugDetails: string;
  /** true once the database answered discovery; false when timeoutMs passed first. */
  wait(opts?: { failFast?: boolean; timeoutMs?: number }): Promise<boolean>;
  /**
   * Stops the pools made with this driver (closing their idle sessions; with `timeoutMs`, waiting that
   * long for checked-out ones to come back and close), rejects retry loops waiting in backoff with
   * CANCELLED, and refuses new work.
   */
  stop(opts?: { timeoutMs?: number }): Promise<void>;
  /**
   * A one-shot query: one ExecuteQuery request per attempt, in an implicit session (no session set-up,
   * no pool), each statement committing by itself. Retried as `retrySettings` allow; a query whose answer
   * was cut is retried only when `idempotent` (here or in `retrySettings`). `timeoutMs` bounds each
   * attempt; `signal` cancels the request and the whole loop. Against a YDB that refuses implicit
   * sessions it runs on pooled query sessions instead (see the README).
   */
  query(text: string | SqlQuery, parameters: Parameters | undefined, opts: QueryOptions & { rowMode: 'array' }): Promise<ResultSet<unknown[]>[]>;
  query(text: string | SqlQuery, parameters?: Parameters, opts?: QueryOptions): Promise<ResultSet[]>;
  querySessionPool(opts?: { size?: number }): QuerySessionPool;
  schemeClient(): SchemeClient;
  tableClient(): TableClient;
  [Symbol.asyncDispose](): Promise<void>;
}

/** A session pool at one moment. */
export interface PoolStatus {
  /** The most sessions it holds at once. */
  maxSize: number;
  /** Sessions waiting in the pool to be handed out. */
  idle: number;
  /** Sessions checked out. */
  inUse: number;
  /** Sessions being created for a caller. */
  creating: number;
  /** `idle + inUse + creating`. */
  total: number;
  /** Callers waiting for a session. */
  waiters: number;
  /** Whether the pool (or its driver) was stopped. */
  stopped: boolean;
}

export declare class SessionPool {
  /**
   * `keepAliveMs` (default 300000; 0 turns it off): a session idle in the pool this long gets a KeepAlive,
   * so that the server does not expire it, and is discarded if the server no longer knows it.
   * `allowTruncated` (default false): its sessions return results cut at the server's row limit instead
   * of rejecting with `TruncatedResultError`.
   */
  constructor(driver: Driver, opts?: { size?: number; keepAliveMs?: number; allowTruncated?: boolean });
  readonly size: number;
  readonly totalSessions: number;
  readonly idleSessions: number;
  /** What the pool holds now (`size`, `totalSessions` and `idleSessions` are `maxSize`, `total` and `idle`). */
  readonly status: PoolStatus;
  acquire(opts?: { timeoutMs?: number; signal?: AbortSignal }): Promise<Session>;
  release(session: Session): void;
  retryOperation<T, A extends unknown[]>(
    callee: (session: Session, ...args: A) => Promise<T>, settings?: RetrySettings, ...args: A): Promise<T>;
  withSession<T>(callee: (session: Session) => Promise<T>): Promise<T>;
  /** A session that goes back to the pool when disposed (`await using s = await pool.checkout()`). */
  checkout(opts?: { timeoutMs?: number; signal?: AbortSignal }): Promise<Session & { [Symbol.asyncDispose](): Promise<void> }>;
  /** Closes idle sessions and refuses new work; with `timeoutMs`, waits that long for checked-out sessions to come back and close. */
  stop(opts?: { timeoutMs?: number }): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export declare class Session {
  readonly sessionId: string;
  readonly isAlive: boolean;
  /**
   * One auto-committed serializable transaction. A result set cut at the server's row limit (1,000 rows
   * by default) rejects with `TruncatedResultError` unless `allowTruncated`.
   */
  executeQuery(query: Query, parameters: Parameters | undefined, settings: CallSettings & ResultOptions & { allowTruncated?: boolean; rowMode: 'array' }): Promise<ResultSet<unknown[]>[]>;
  executeQuery(query: Query, parameters?: Parameters, settings?: CallSettings & ResultOptions & { allowTruncated?: boolean }): Promise<ResultSet[]>;
  executeSchemeQuery(yql: string, settings?: CallSettings): Promise<void>;
  prepareQuery(yql: string, settings?: CallSettings): Promise<DataQuery>;
  createTable(path: string, description: TableDescription, settings?: CallSettings): Promise<void>;
  dropTable(path: string, settings?: CallSettings): Promise<void>;
  alterTable(path: string, change: AlterTableSettings, settings?: CallSettings): Promise<void>;
  copyTable(source: string, destination: string, settings?: CallSettings): Promise<void>;
  describeTable(path: string, settings?: CallSettings): Promise<TableDescription>;
  readTable(path: string, options?: ReadTableOptions): ReadTableStream;
  bulkUpsert(path: string, rows: Record<string, YdbValue>[], columnTypes?: Record<string, YdbType>,
    settings?: CallSettings): Promise<void>;
  /** A transaction context; the transaction begins with its first statement. */
  transaction(mode?: TxMode): TxContext;
  /** Commits when `callee` resolves, rolls back when it throws. */
  withTransaction<T>(callee: (tx: TxContext) => Promise<T>, mode?: TxMode): Promise<T>;
  close(): Promise<void>;
}

export declare class TxContext {
  readonly txId: string | undefined;
  readonly isFinished: boolean;
  execute(query: Query, parameters?: Parameters,
    opts?: { commitTx?: boolean; allowTruncated?: boolean } & CallSettings & ResultOptions): Promise<ResultSet[]>;
  commit(settings?: CallSettings): Promise<void>;
  rollback(settings?: CallSettings): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export declare class QuerySessionPool {
  constructor(driver: Driver, opts?: { size?: number });
  readonly size: number;
  readonly totalSessions: number;
  readonly idleSessions: number;
  /** What the pool holds now (`size`, `totalSessions` and `idleSessions` are `maxSize`, `total` and `idle`). */
  readonly status: PoolStatus;
  acquire(opts?: { timeoutMs?: number; signal?: AbortSignal }): Promise<QuerySession>;
  release(session: QuerySession): void;
  retryOperation<T, A extends unknown[]>(
    callee: (session: QuerySession, ...args: A) => Promise<T>, settings?: RetrySettings, ...args: A): Promise<T>;
  withSession<T>(callee: (session: QuerySession) => Promise<T>): Promise<T>;
  checkout(opts?: { timeoutMs?: number; signal?: AbortSignal }): Promise<QuerySession & { [Symbol.asyncDispose](): Promise<void> }>;
  /** Runs a query with retries and returns its whole result sets. */
  executeWithRetries(query: string | SqlQuery, parameters: Parameters | undefined, settings: Partial<RetrySettings> & ResultOptions & { rowMode: 'array' }): Promise<ResultSet<unknown[]>[]>;
  executeWithRetries(query: string | SqlQuery, parameters?: Parameters, settings?: Partial<RetrySettings> & ResultOptions): Promise<ResultSet[]>;
  /** Closes idle sessions and refuses new work; with `timeoutMs`, waits that long for checked-out sessions to come back and close. */
  stop(opts?: { timeoutMs?: number }): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface QueryExecuteOptions extends CallSettings, ResultOptions {
  /** Transaction control: begin one in `mode` (and commit with this query), or continue `txId`. */
  txControl?: { beginTx?: TxMode; txId?: string; commitTx?: boolean };
}
export declare class QuerySession {
  readonly sessionId: string;
  readonly isAlive: boolean;
  /** Streams result-set parts as the server sends them. */
  executeQuery(query: string | SqlQuery, parameters?: Parameters, opts?: QueryExecuteOptions): QueryResultStream;
  /** A transaction that begins with its first statement. */
  transaction(mode?: TxMode): Promise<QueryTxContext>;
  beginTransaction(mode?: TxMode): Promise<string>;
  commitTransaction(txId: string): Promise<void>;
  rollbackTransaction(txId: string): Promise<void>;
  close(): Promise<void>;
}
/** Streamed parts that can also be awaited (collected into whole result sets). */
export interface QueryResult extends AsyncIterable<ResultSet>, PromiseLike<ResultSet[]> {}
export declare class QueryTxContext {
  readonly txId: string | undefined;
  readonly isFinished: boolean;
  execute(query: string | SqlQuery, parameters?: Parameters, opts?: { commitTx?: boolean } & CallSettings & ResultOptions): QueryResult;
  commit(): Promise<void>;
  rollback(): Promise<void>;
}
export declare class QueryResultStream implements AsyncIterable<ResultSet> {
  next(): Promise<ResultSet | undefined>;
  /** The rest of the stream gathered into whole result sets. */
  collect(): Promise<ResultSet[]>;
  readonly txId: string | undefined;
  cancel(): void;
  [Symbol.asyncIterator](): AsyncIterator<ResultSet>;
}

export declare function retryOperation<T, A extends unknown[]>(
  callee: (session: Session, ...args: A) => Promise<T>, settings: RetrySettings | undefined,
  sessionPool: SessionPool, ...args: A): Promise<T>;

export interface Issue { message: string; issueCode: number; severity: number; issues: Issue[] }
export declare class YdbError extends Error {
  /** Status name, e.g. 'OVERLOADED'. */
  status: string;
  /** Numeric YDB status id, e.g. 400060. */
  code: number;
  issues: Issue[];
  retryable: boolean;
  /** `client`: the client could not serve the call by itself (no free session, no endpoint discovered). */
  kind: 'ydb' | 'transport' | 'cancelled' | 'argument' | 'client';
  /**
   * How many attempts the retry loop made before it gave up with this error (1: not retried); from 2 on,
   * `message` ends with "(after N attempts)".
   */
  attempts: number;
}
export declare class TransportError extends YdbError {}
export declare class BadRequestError extends YdbError {}
export declare class UnauthorizedError extends YdbError {}
export declare class InternalError extends YdbError {}
export declare class AbortedError extends YdbError {}
export declare class UnavailableError extends YdbError {}
export declare class OverloadedError extends YdbError {}
export declare class SchemeError extends YdbError {}
export declare class GenericError extends YdbError {}
export declare class TimeoutError extends YdbError {}
export declare class BadSessionError extends YdbError {}
export declare class PreconditionFailedError extends YdbError {}
export declare class AlreadyExistsError extends YdbError {}
export declare class NotFoundError extends YdbError {}
export declare class SessionExpiredError extends YdbError {}
export declare class CancelledError extends YdbError {}
export declare class UndeterminedError extends YdbError {}
export declare class UnsupportedError extends YdbError {}
export declare class SessionBusyError extends YdbError {}
export declare class SessionPoolEmptyError extends YdbError {}
/** A table-service result was cut at the server's row limit; read it with `readTable` or the query service. */
export declare class TruncatedResultError extends YdbError {}
