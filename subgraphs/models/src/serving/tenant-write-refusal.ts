import { isTesseraError } from '@tessera/errors';

/**
 * Whether a failed write of a tenant's stats and audit says the TENANT refuses it (unknown,
 * suspended, erased — the directory answers FORBIDDEN — or its schema is gone), rather than that
 * the database could not be reached or was busy. Only such a refusal may ever end in giving the
 * tenant's pending data up: anything else (connection refused or lost, timeouts, lock waits, a
 * server shutting down, or a failure nobody classified) is retried for as long as it lasts, since
 * the calls were answered and their audit is owed.
 */
export function isTenantRefusal(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && typeof current === 'object' && current !== null; depth += 1) {
    if (isTesseraError(current)) return current.code === 'FORBIDDEN';
    const candidate = current as { code?: unknown; errno?: unknown; driverError?: unknown; cause?: unknown };
    // ER_BAD_DB_ERROR: `USE` of a schema that was dropped (the tenant erased under us).
    if (candidate.code === 'ER_BAD_DB_ERROR' || candidate.errno === 1049) return true;
    current = candidate.driverError ?? candidate.cause;
  }
  return false;
}
