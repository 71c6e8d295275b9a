// Error classes of ydb-wasm. The wasm side builds every error through `makeError`, so the classes
// below are the ones users catch with `instanceof`.

export class YdbError extends Error {
  constructor(status, code, message, issues = [], retryable = false, kind = 'ydb') {
    super(message);
    this.name = 'YdbError';
    this.status = status;
    this.code = code;
    this.issues = issues;
    this.retryable = retryable;
    this.kind = kind;
  }
}

/** The request or the answer did not make it: network, proxy, or a gRPC-level failure. */
export class TransportError extends YdbError {
  constructor(...args) { super(...args); this.name = 'TransportError'; }
}

const byStatus = {};
function subclass(name, status) {
  const C = { [name]: class extends YdbError {
    constructor(...args) { super(...args); this.name = name; }
  } }[name];
  byStatus[status] = C;
  return C;
}

export const BadRequestError = subclass('BadRequestError', 'BAD_REQUEST');
export const UnauthorizedError = subclass('UnauthorizedError', 'UNAUTHORIZED');
export const InternalError = subclass('InternalError', 'INTERNAL_ERROR');
export const AbortedError = subclass('AbortedError', 'ABORTED');
export const UnavailableError = subclass('UnavailableError', 'UNAVAILABLE');
export const OverloadedError = subclass('OverloadedError', 'OVERLOADED');
export const SchemeError = subclass('SchemeError', 'SCHEME_ERROR');
export const GenericError = subclass('GenericError', 'GENERIC_ERROR');
export const TimeoutError = subclass('TimeoutError', 'TIMEOUT');
export const BadSessionError = subclass('BadSessionError', 'BAD_SESSION');
export const PreconditionFailedError = subclass('PreconditionFailedError', 'PRECONDITION_FAILED');
export const AlreadyExistsError = subclass('AlreadyExistsError', 'ALREADY_EXISTS');
export const NotFoundError = subclass('NotFoundError', 'NOT_FOUND');
export const SessionExpiredError = subclass('SessionExpiredError', 'SESSION_EXPIRED');
export const CancelledError = subclass('CancelledError', 'CANCELLED');
export const UndeterminedError = subclass('UndeterminedError', 'UNDETERMINED');
export const UnsupportedError = subclass('UnsupportedError', 'UNSUPPORTED');
export const SessionBusyError = subclass('SessionBusyError', 'SESSION_BUSY');
export const SessionPoolEmptyError = subclass('SessionPoolEmptyError', 'SESSION_POOL_EMPTY');
/** A table-service result was cut at the server's row limit (1,000 rows by default); see `allowTruncated`. */
export const TruncatedResultError = subclass('TruncatedResultError', 'TRUNCATED_RESULT');

/** Called from wasm with one object: { kind, status, code, message, issues, retryable, attempts } → Error. */
export function makeError({ kind, status, code, message, issues, retryable, attempts = 1 }) {
  // A refused token arrives as a gRPC status (UNAUTHENTICATED), yet it is an auth failure, not a network one.
  const C = kind === 'transport' && status !== 'UNAUTHORIZED' ? TransportError : byStatus[status] ?? YdbError;
  const e = new C(status, code, message, issues, retryable, kind);
  // How many attempts the retry loop that gave up with this error made (1: it was not retried).
  e.attempts = attempts;
  return e;
}
