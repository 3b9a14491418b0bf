import { GraphQLError } from 'graphql';
import { errorCodes, type ErrorCode } from './codes';
import { isDependencyUnavailable } from './dependency-failure';

export type ErrorDetails = Record<string, string | number | boolean | null | undefined | string[]>;

/**
 * An error the platform returns on purpose. It is a GraphQLError so resolvers can throw it
 * as is; the HTTP upload endpoints serialise it the same way (`toJSON`), so clients parse one shape.
 */
export class TesseraError extends GraphQLError {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message, { extensions: { ...details, code } });
    this.code = code;
    this.name = 'TesseraError';
  }

  get httpStatus(): number {
    return errorCodes[this.code].httpStatus;
  }

  /** The body an HTTP (non-GraphQL) endpoint sends: the same `errors[]` shape as GraphQL. */
  toResponseBody(): { errors: Array<{ message: string; extensions: Record<string, unknown> }> } {
    return { errors: [{ message: this.message, extensions: { ...this.extensions } }] };
  }
}

export function isTesseraError(error: unknown): error is TesseraError {
  return error instanceof TesseraError;
}

/** Factories, so call sites read as sentences and messages stay consistent. */
export const errors = {
  unauthenticated: (message = 'A valid access token is required.') => new TesseraError('UNAUTHENTICATED', message),
  forbidden: (message = 'Your role does not allow this operation.', details: ErrorDetails = {}) => new TesseraError('FORBIDDEN', message, details),
  /** Used for "does not exist" and "exists in another tenant" alike: existence is never leaked. */
  notFound: (kind: string, id: string) => new TesseraError('NOT_FOUND', `${kind} ${JSON.stringify(id)} was not found.`, { kind }),
  badInput: (message: string, details: ErrorDetails = {}) => new TesseraError('BAD_USER_INPUT', message, details),
  conflict: (message: string, details: ErrorDetails = {}) => new TesseraError('CONFLICT', message, details),
  tooLarge: (message: string, details: ErrorDetails = {}) => new TesseraError('PAYLOAD_TOO_LARGE', message, details),
  quotaExceeded: (message: string, details: ErrorDetails = {}) => new TesseraError('QUOTA_EXCEEDED', message, details),
  rateLimited: (retryAfterSeconds: number) =>
    new TesseraError('RATE_LIMITED', 'Too many requests for this tenant; slow down.', { retryAfterSeconds }),
  tooComplex: (message: string) => new TesseraError('QUERY_TOO_COMPLEX', message),
  /**
   * `cause`: what the socket or driver reported (addresses, ports, host names). It stays on the
   * error for the operator's log (createErrorMasker logs it) and never reaches the message a client reads.
   */
  unavailable: (message: string, cause?: unknown) => withCause(new TesseraError('SERVICE_UNAVAILABLE', message), cause),
  keyVersionInUse: (message: string, details: ErrorDetails = {}) => new TesseraError('KEY_VERSION_IN_USE', message, details),
  dataCorrupted: (message: string) => new TesseraError('DATA_CORRUPTED', message),
  internal: () => new TesseraError('INTERNAL_SERVER_ERROR', 'Unexpected error.'),
};

function withCause<E extends Error>(error: E, cause: unknown): E {
  if (cause !== undefined) Object.defineProperty(error, 'cause', { value: cause, enumerable: false, writable: true, configurable: true });
  return error;
}

/** What a client is told when a dependency is down (the log holds which and why). */
export const dependencyUnavailableMessage = 'A service this request depends on is not reachable right now; retry later.';

/**
 * The error a client may see for anything thrown: a TesseraError as it is, a dependency that could
 * not be reached as SERVICE_UNAVAILABLE, everything else as INTERNAL_SERVER_ERROR. For the HTTP
 * (non-GraphQL) endpoints; GraphQL answers go through createErrorMasker, which decides the same way.
 */
export function toClientError(error: unknown): TesseraError {
  if (isTesseraError(error)) return error;
  return isDependencyUnavailable(error) ? errors.unavailable(dependencyUnavailableMessage) : errors.internal();
}
