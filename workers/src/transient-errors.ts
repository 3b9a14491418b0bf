import { isTesseraError } from '@tessera/errors';

const transientCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  // S3 answers that mean "try again"
  'SlowDown',
  'ServiceUnavailable',
  'InternalError',
  'RequestTimeout',
  'RequestTimeTooSkewed',
]);

const transientMessages = /socket hang up|connect ECONNREFUSED|read ECONNRESET|Connection lost|Connection is closed|Too many connections|Pool is closed/i;

/**
 * Failures worth retrying with backoff: the object store or the database could not be reached
 * (or asked us to slow down). Anything about the job's own data is permanent: retrying a CSV with
 * a text target column fails the same way every time.
 */
export function isTransientFailure(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 4) return false;
  if (isTesseraError(error)) return error.code === 'SERVICE_UNAVAILABLE';
  const e = error as { code?: unknown; driverError?: unknown; cause?: unknown; message?: unknown; errno?: unknown };
  if (typeof e.code === 'string' && transientCodes.has(e.code)) return true;
  if (typeof e.message === 'string' && transientMessages.test(e.message)) return true;
  return isTransientFailure(e.driverError, depth + 1) || isTransientFailure(e.cause, depth + 1);
}
