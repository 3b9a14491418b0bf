/**
 * The one registry of error codes a client can see in `extensions.code`.
 * Every error the platform returns on purpose carries one of these; anything else is masked
 * as INTERNAL_SERVER_ERROR at the edge (see mask-error.ts). Docs in the README are generated
 * from this table, so the description is what a client developer reads.
 */
export const errorCodes = {
  UNAUTHENTICATED: { httpStatus: 401, description: 'No valid access token: missing, expired, forged, wrong audience or issuer.' },
  FORBIDDEN: { httpStatus: 403, description: 'Authenticated, but the role (or the tenant state) does not allow this operation.' },
  NOT_FOUND: { httpStatus: 404, description: 'No such thing in your tenant. Another tenant\'s ids are reported exactly like ids that never existed.' },
  BAD_USER_INPUT: { httpStatus: 400, description: 'An argument or uploaded content is invalid; the message names the field and the problem.' },
  CONFLICT: { httpStatus: 409, description: 'The operation conflicts with current state (duplicate name, upload already used, …).' },
  PAYLOAD_TOO_LARGE: { httpStatus: 413, description: 'The declared or actual size is over the limit for your tenant.' },
  QUOTA_EXCEEDED: { httpStatus: 429, description: 'A per-tenant quota (storage, dataset and model counts, members, service accounts and API keys, queue length, concurrency) would be exceeded.' },
  RATE_LIMITED: { httpStatus: 429, description: 'Too many requests for your tenant in the current window; retry after `extensions.retryAfterSeconds`.' },
  QUERY_TOO_COMPLEX: { httpStatus: 400, description: 'The operation is over one of your tenant\'s operation limits (depth, aliases, root fields, directives, tokens, cost, cost per minute), or a metrics read needed more database time than `maxMetricsReadSeconds`, or one request asked for more dataset versions\' column profiles than `maxProfileBytesPerRequest` (as stored); `extensions.limit`, `limitValue` and `measured` say which and by how much.' },
  GRAPHQL_PARSE_FAILED: { httpStatus: 400, description: 'The operation is not valid GraphQL syntax.' },
  GRAPHQL_VALIDATION_FAILED: { httpStatus: 400, description: 'The operation does not match the schema (unknown field, wrong argument).' },
  BAD_REQUEST: { httpStatus: 400, description: 'The HTTP request itself is malformed.' },
  METHOD_NOT_ALLOWED: { httpStatus: 405, description: 'The path exists but not for this HTTP method; the `Allow` header lists the methods it takes.' },
  PERSISTED_QUERY_NOT_FOUND: { httpStatus: 200, description: 'Automatic persisted query hash not known yet; resend with the query text.' },
  DOCUMENT_NOT_TRUSTED: { httpStatus: 400, description: 'The gateway runs only trusted documents (PERSISTED_DOCUMENTS=trusted) and this one is not in its manifest.' },
  OPERATION_RESOLUTION_FAILURE: { httpStatus: 400, description: 'The named operation is not in the document.' },
  INFERENCE_TIMEOUT: { httpStatus: 504, description: 'The model did not answer within its time limit (running or queued); the run was stopped. Other tenants are unaffected.' },
  INFERENCE_FAILED: { httpStatus: 422, description: 'The model failed while running (the runtime threw, or its inference process crashed or outgrew its memory); `extensions.reason` says which.' },
  MODEL_NOT_LOADABLE: { httpStatus: 422, description: 'The runtime cannot load this model version (e.g. its operators\' types or shapes do not fit together); every call to it fails the same way, nothing was run. Upload a corrected version; the message says what the runtime found.' },
  KEY_VERSION_IN_USE: { httpStatus: 409, description: 'A key-encryption key version cannot be retired or destroyed while wrapped data keys still depend on it, nor a tenant data-key version while data is still encrypted under it; `extensions.dependents` says how many. Let the rewrap (keyEncryptionKeyStatus) or the re-encryption (keyOperation) finish and try again.' },
  TRAINING_DIVERGED: { httpStatus: 400, description: 'A training job\'s loss or weights stopped being finite numbers (the learning rate is too high for the data); no model version was registered. Lower `hyperParameters.learningRate` and submit again.' },
  JOB_TIME_LIMIT: { httpStatus: 400, description: 'A job\'s run took longer than its tenant\'s `maxJobRunSeconds` (measured by the worker from the run\'s start): it was stopped, no output was registered, and it is not retried by itself. Make the job smaller (fewer epochs or rows) or ask for a higher limit, then `retryJob` or submit again.' },
  DATA_CORRUPTED: { httpStatus: 500, description: 'Stored content (a dataset version, a model file) failed its integrity check: it was altered or cut short in the object store. Nothing unverified was returned; retrying does not help until the object is restored.' },
  WORKER_LOST: { httpStatus: 500, description: 'A job\'s worker process died (killed or crashed) while running it 3 times; it was not run again. `retryJob` starts it anew.' },
  PRINCIPAL_REVOKED: { httpStatus: 403, description: 'A job\'s error only: the principal the job acts for lost its access before or while it ran (its API key was revoked, expired or deleted, its service account deleted, its member removed or no longer allowed to write); the jobs service ended it FAILED at the worker\'s claim or grant renewal, with nothing registered. `retryJob` by a current admin or data scientist runs it as them.' },
  RUN_LOST: { httpStatus: 500, description: 'A job\'s run ended without its outcome being recorded (its worker could not reach the jobs service for longer than it retries, or the tenant was suspended while it ran) and no worker holds it any more: the jobs service ended it FAILED. Outputs it registered under the job id stay. `retryJob` starts it anew.' },
  SERVICE_UNAVAILABLE: { httpStatus: 503, description: 'A dependency (database, storage, queue, another service) is not reachable right now; retry later.' },
  INTERNAL_SERVER_ERROR: { httpStatus: 500, description: 'Unexpected error. Details are in the operator\'s logs under the request id.' },
} as const satisfies Record<string, { httpStatus: number; description: string }>;

export type ErrorCode = keyof typeof errorCodes;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(errorCodes, value);
}
