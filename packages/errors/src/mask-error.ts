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
    if (isErrorCode(code) && code !== 'INTERNAL_SERVER_ERROR') {
      const { stacktrace: _stack, exception: _exception, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions: { ...extensions, code } };
    }
    const cause = original instanceof Error && 'originalError' in original ? (original as { originalError?: unknown }).originalError : original;
    const fields = { reported: formatted.message, path: formatted.path, error: cause instanceof Error ? cause.stack ?? cause.message : String(cause) };
    const path = formatted.path ? { path: formatted.path } : {};
    if (isDependencyUnavailable(original)) {
      options.log('dependency unavailable', fields);
      return { message: dependencyUnavailableMessage, ...path, extensions: { code: 'SERVICE_UNAVAILABLE' } };
    }
    options.log('masked unexpected error', fields);
    return { message: 'Unexpected error.', ...path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}
