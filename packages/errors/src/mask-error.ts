import type { GraphQLFormattedError } from 'graphql';
import { isErrorCode } from './codes';

export interface MaskErrorOptions {
  /** Called with the original error of anything that gets masked, so the operator sees it in full. */
  log: (message: string, fields: Record<string, unknown>) => void;
}

/**
 * Apollo Server `formatError`: errors with a registered code pass through; anything else
 * (a driver error, a bug, a TypeError) becomes INTERNAL_SERVER_ERROR "Unexpected error." so
 * no stack, SQL or schema name ever reaches a client.
 */
export function createErrorMasker(options: MaskErrorOptions) {
  return (formatted: GraphQLFormattedError, original: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.['code'];
    if (isErrorCode(code) && code !== 'INTERNAL_SERVER_ERROR') {
      const { stacktrace: _stack, exception: _exception, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions: { ...extensions, code } };
    }
    const cause = original instanceof Error && 'originalError' in original ? (original as { originalError?: unknown }).originalError : original;
    options.log('masked unexpected error', {
      message: formatted.message,
      path: formatted.path,
      error: cause instanceof Error ? cause.stack ?? cause.message : String(cause),
    });
    return { message: 'Unexpected error.', ...(formatted.path ? { path: formatted.path } : {}), extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}
