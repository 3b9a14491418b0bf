/**
 * Whether an error means a dependency (MySQL, S3, Redis, the key provider, another service) could not be reached
 * or dropped the connection: a condition to retry, which clients get as SERVICE_UNAVAILABLE
 * instead of INTERNAL_SERVER_ERROR. Recognized by the codes Node's sockets, mysql2, ioredis and
 * S3 servers use; looked for along the wrapping chain (GraphQLError.originalError, Error.cause,
 * TypeORM's driverError, graphql-js's NonErrorThrown.thrownValue for a thrown non-Error), since
 * drivers and Apollo wrap what the socket reported.
 */
export function isDependencyUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && typeof current === 'object' && current !== null; depth += 1) {
    const candidate = current as { code?: unknown; name?: unknown; errors?: unknown };
    if (typeof candidate.code === 'string' && unavailableCodes.has(candidate.code)) return true;
    if (typeof candidate.name === 'string' && unavailableNames.has(candidate.name)) return true;
    // AggregateError (Node's happy-eyeballs connect tries every address): all of them refused.
    if (Array.isArray(candidate.errors) && candidate.errors.length > 0 && candidate.errors.every(isDependencyUnavailable)) return true;
    current = nextInChain(current as Record<string, unknown>);
  }
  return false;
}

/** Socket-level failures (Node), lost or refused MySQL connections (mysql2), overloaded S3 servers. */
const unavailableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ServiceUnavailable',
  'SlowDown',
  // The key provider (Vault transit or the local key service) could not be reached or answered 5xx.
  'KEY_PROVIDER_UNAVAILABLE',
  // undici (the gateway's subgraph client): the peer closed the connection mid-call, a connect or
  // read timed out, or the pool was closed under the call (the gateway shutting down).
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
]);

/** ioredis gives up on a command after its reconnect attempts with this error. */
const unavailableNames = new Set(['MaxRetriesPerRequestError']);

function nextInChain(error: Record<string, unknown>): unknown {
  return error['originalError'] ?? error['driverError'] ?? error['thrownValue'] ?? error['cause'];
}
