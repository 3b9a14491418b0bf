import type { GraphQLFormattedError } from 'graphql';
import { isErrorCode } from './codes';
import { isDependencyUnavailable } from './dependency-failure';
import { dependencyUnavailableMessage } from './tessera-error';

export interface MaskErrorOptions {
  /** Called with the original error of anything that gets masked, so the operator sees it in full. */
  log: (message: string, fields: Record<string, unknown>) => void;
}

/**
 * Apollo Server `formatError`: errors with a registered code pass through; a dependency that
 * could not be reached (see isDependencyUnavailable) becomes SERVICE_UNAVAILABLE; anything else
 * (a driver error, a bug, a TypeError) becomes INTERNAL_SERVER_ERROR "Unexpected error." In both
 * masked cases no stack, SQL, host or schema name reaches the client; the log gets it all.
 */
export function createErrorMasker(options: MaskErrorOptions) {
  return (formatted: GraphQLFormattedError, original: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.['code'];
    // Content that fails its integrity check is tampering or corruption: the operator hears of it too.
    if (code === 'DATA_CORRUPTED') options.log('stored content failed its integrity check', { reported: formatted.message, path: formatted.path, error: describeCause(original) });
    // An unreachable dependency reported on purpose keeps the socket's words (addresses, ports) in
    // its cause: the operator reads them here, the client reads only the message.
    if (code === 'SERVICE_UNAVAILABLE') {
      const cause = causeOf(original);
      if (cause !== undefined) options.log('dependency unavailable', { reported: formatted.message, path: formatted.path, error: describeCause(cause) });
    }
    if (isErrorCode(code) && code !== 'INTERNAL_SERVER_ERROR') {
      // serviceName: Apollo Gateway's note of which subgraph answered, an internal name clients need not know.
      const { stacktrace: _stack, exception: _exception, serviceName: _serviceName, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions: { ...extensions, code } };
    }
    const cause = original instanceof Error && 'originalError' in original ? (original as { originalError?: unknown }).originalError : original;
    const fields = {
      reported: formatted.message,
      path: formatted.path,
      ...(typeof formatted.extensions?.['serviceName'] === 'string' ? { subgraph: formatted.extensions['serviceName'] } : {}),
      ...(code !== undefined ? { reportedCode: code } : {}),
      error: describeCause(cause),
    };
    const path = formatted.path ? { path: formatted.path } : {};
    if (isDependencyUnavailable(original)) {
      options.log('dependency unavailable', fields);
      return { message: dependencyUnavailableMessage, ...path, extensions: { code: 'SERVICE_UNAVAILABLE' } };
    }
    options.log('masked unexpected error', fields);
    return { message: 'Unexpected error.', ...path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}

/** The `cause` of the error a resolver threw, through graphql-js's wrapping (originalError). */
function causeOf(error: unknown): unknown {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth += 1) {
    if (current.cause !== undefined) return current.cause;
    current = (current as { originalError?: unknown }).originalError;
  }
  return undefined;
}

/**
 * The original error for the operator's log: an Error's stack, or — for what a subgraph reported,
 * which arrives as a plain object — its JSON (bounded), never "[object Object]".
 */
function describeCause(cause: unknown): string {
  if (cause instanceof Error) return cause.stack ?? cause.message;
  if (typeof cause === 'object' && cause !== null) {
    try {
      const text = JSON.stringify(cause);
      return text.length > 4_000 ? `${text.slice(0, 4_000)}…` : text;
    } catch {
      return Object.prototype.toString.call(cause);
    }
  }
  return String(cause);
}
