import type { CombinedError } from 'urql';

/** The registry's codes (packages/errors/src/codes.ts); console/test/error-messages.test.ts keeps the two lists equal. */
type ErrorCode =
  | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'BAD_USER_INPUT' | 'CONFLICT' | 'PAYLOAD_TOO_LARGE' | 'QUOTA_EXCEEDED'
  | 'RATE_LIMITED' | 'QUERY_TOO_COMPLEX' | 'GRAPHQL_PARSE_FAILED' | 'GRAPHQL_VALIDATION_FAILED' | 'BAD_REQUEST'
  | 'METHOD_NOT_ALLOWED' | 'PERSISTED_QUERY_NOT_FOUND' | 'DOCUMENT_NOT_TRUSTED'
  | 'OPERATION_RESOLUTION_FAILURE' | 'INFERENCE_TIMEOUT' | 'INFERENCE_FAILED' | 'MODEL_NOT_LOADABLE' | 'KEY_VERSION_IN_USE'
  | 'TRAINING_DIVERGED' | 'JOB_TIME_LIMIT' | 'DATA_CORRUPTED' | 'WORKER_LOST' | 'PRINCIPAL_REVOKED' | 'RUN_LOST'
  | 'SERVICE_UNAVAILABLE' | 'INTERNAL_SERVER_ERROR';

/**
 * What each typed error code (extensions.code, packages/errors) means to someone using the console.
 * The server's message follows when it adds something (the field, the limit).
 */
export const errorMessages: Record<string, string> = {
  UNAUTHENTICATED: 'Your session has expired or is not valid. Sign in again.',
  FORBIDDEN: 'Your role does not allow this, or your tenant is suspended.',
  NOT_FOUND: 'Not found in your tenant.',
  BAD_USER_INPUT: 'Some input is not valid.',
  CONFLICT: 'This conflicts with the current state (for example, the name is taken).',
  PAYLOAD_TOO_LARGE: 'The file is larger than your tenant allows.',
  QUOTA_EXCEEDED: 'Your tenant has reached a quota.',
  RATE_LIMITED: 'Too many requests for your tenant right now. Wait a moment and try again.',
  QUERY_TOO_COMPLEX: 'The request is over your tenant’s operation limits.',
  GRAPHQL_PARSE_FAILED: 'The console sent a malformed request (please report this).',
  GRAPHQL_VALIDATION_FAILED: 'The console and the API disagree on the schema (reload the page).',
  BAD_REQUEST: 'The request was malformed.',
  METHOD_NOT_ALLOWED: 'The console used a method this address does not take (please report this).',
  PERSISTED_QUERY_NOT_FOUND: 'The server did not know this request yet; try again.',
  DOCUMENT_NOT_TRUSTED: 'This gateway runs only trusted operations, and this one is not among them.',
  OPERATION_RESOLUTION_FAILURE: 'The console sent an unknown operation (please report this).',
  INFERENCE_TIMEOUT: 'The model did not answer in time; nothing else was affected.',
  INFERENCE_FAILED: 'The model failed while running.',
  MODEL_NOT_LOADABLE: 'This model version cannot be loaded by the runtime; upload a corrected version.',
  KEY_VERSION_IN_USE: 'A key version is still in use; wait for re-encryption to finish.',
  TRAINING_DIVERGED: 'The training diverged and no model version was registered; lower the learning rate and submit again.',
  JOB_TIME_LIMIT: 'The job ran longer than your tenant allows and was stopped; make it smaller or ask for a higher limit.',
  DATA_CORRUPTED: 'The stored content failed its integrity check; retrying does not help until it is restored.',
  WORKER_LOST: 'The worker running this job stopped several times; it was not run again. Retry the job to start it anew.',
  PRINCIPAL_REVOKED: 'The access this job acted with was withdrawn; nothing was registered. Retry it to run it as yourself.',
  RUN_LOST: 'The job’s run ended without its outcome being recorded. Retry the job to start it anew.',
  SERVICE_UNAVAILABLE: 'A service is not reachable right now. Try again shortly.',
  INTERNAL_SERVER_ERROR: 'Unexpected error. The operators can find it by the request id.',
} satisfies Record<ErrorCode, string>;

export interface ErrorView {
  code: string;
  message: string;
  detail: string | undefined;
}

export function codeOf(error: CombinedError | undefined): string | undefined {
  const code = error?.graphQLErrors[0]?.extensions?.['code'];
  return typeof code === 'string' ? code : undefined;
}

/** The input field the API names for its refusal (`extensions.field`, e.g. `limits.maxMembers`), if any. */
export function fieldOf(error: CombinedError | undefined): string | undefined {
  const field = error?.graphQLErrors[0]?.extensions?.['field'];
  return typeof field === 'string' ? field : undefined;
}

/** One error as shown: a fixed, understandable sentence per code, then the server's own words. */
export function describeError(error: CombinedError | Error): ErrorView {
  if ('graphQLErrors' in error && error.graphQLErrors.length > 0) {
    const first = error.graphQLErrors[0]!;
    const code = typeof first.extensions?.['code'] === 'string' ? (first.extensions['code'] as string) : 'INTERNAL_SERVER_ERROR';
    return { code, message: errorMessages[code] ?? errorMessages['INTERNAL_SERVER_ERROR']!, detail: first.message };
  }
  if ('networkError' in error && error.networkError) {
    return { code: 'NETWORK', message: 'The API could not be reached.', detail: error.networkError.message };
  }
  return { code: 'ERROR', message: error.message, detail: undefined };
}
