import { TesseraError, errors, isTesseraError } from '@tessera/errors';

/**
 * Every error the inference pools produce, in one place so messages and details stay consistent.
 * Runtime messages from onnxruntime are kept (trimmed): they describe the caller's own model.
 */
export type InferenceFailureReason = 'RUNTIME_ERROR' | 'LOAD_FAILED' | 'CRASHED';

const trim = (message: string) => (message.length > 500 ? `${message.slice(0, 500)}…` : message);

export const inferenceErrors = {
  timeout: (modelKey: string, timeoutMs: number, phase: 'RUNNING' | 'QUEUED') =>
    new TesseraError(
      'INFERENCE_TIMEOUT',
      phase === 'RUNNING'
        ? `The model did not finish within ${timeoutMs} ms; the run was stopped.`
        : `The call waited more than ${timeoutMs} ms for a free inference process.`,
      { modelKey, timeoutMs, phase },
    ),
  failed: (modelKey: string, reason: InferenceFailureReason, detail: string) => {
    const what =
      reason === 'CRASHED'
        ? 'The inference process crashed while running the model'
        : reason === 'LOAD_FAILED'
          ? 'The model could not be loaded by the runtime'
          : 'The runtime failed while running the model';
    return new TesseraError('INFERENCE_FAILED', trim(detail ? `${what}: ${detail}` : `${what}.`), { modelKey, reason });
  },
  /**
   * QUOTA_EXCEEDED, not SERVICE_UNAVAILABLE: every pool belongs to one tenant, so a full queue means
   * that tenant is sending more concurrent calls than its pool serves — a per-tenant concurrency quota
   * (429, slow down), not an outage of the platform.
   */
  queueFull: (poolId: string, limit: number) =>
    errors.quotaExceeded(`Too many inference calls waiting for this tenant's pool (limit ${limit}); retry shortly.`, { poolId, limit }),
  capacity: (limit: number) =>
    errors.unavailable(`The host runs the maximum of ${limit} busy shared inference pools; retry shortly.`),
  closed: () => errors.unavailable('Inference is shutting down.'),
  workerStart: () => errors.unavailable('An inference process could not start; retry later.'),
  /** `load()` failures: typed errors pass through (NOT_FOUND…), anything else means storage trouble. */
  loadBytes: (error: unknown): TesseraError =>
    isTesseraError(error) ? error : errors.unavailable('The model file could not be read from storage; retry later.'),
};
