import { TesseraError, errors, isTesseraError } from '@tessera/errors';
import { sanitizeRuntimeMessage } from './runtime-message';

/**
 * Every error the inference pools produce, in one place so messages and details stay consistent.
 * Runtime messages from onnxruntime are kept (trimmed, without onnxruntime's source locations): they
 * describe the caller's own model.
 */
export type InferenceFailureReason = 'RUNTIME_ERROR' | 'LOAD_FAILED' | 'CRASHED' | 'MEMORY_LIMIT';

/** The tenant limits `predict` enforces itself, named as in the tenant's limits. */
export type InferenceQuotaName = 'maxPredictionsInFlight' | 'maxQueuedPredictions';

const mib = (bytes: number) => Math.round(bytes / (1024 * 1024));
/** Usage is rounded up: a process just over its cap must not be reported at the cap. */
const mibUp = (bytes: number) => Math.ceil(bytes / (1024 * 1024));

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
  /**
   * A model the runtime cannot load fails the same way on every call: MODEL_NOT_LOADABLE (a 4xx, the
   * version itself is at fault), not an INFERENCE_FAILED server error. Runtime text loses its source
   * locations (runtime-message.ts).
   */
  failed: (modelKey: string, reason: Exclude<InferenceFailureReason, 'MEMORY_LIMIT'>, detail: string) => {
    const said = sanitizeRuntimeMessage(detail);
    if (reason === 'LOAD_FAILED') {
      const what = 'The runtime cannot load this model version; upload a corrected version';
      return new TesseraError('MODEL_NOT_LOADABLE', trim(said ? `${what}: ${said}` : `${what}.`), { modelKey, reason });
    }
    const what = reason === 'CRASHED' ? 'The inference process crashed while running the model' : 'The runtime failed while running the model';
    return new TesseraError('INFERENCE_FAILED', trim(said ? `${what}: ${said}` : `${what}.`), { modelKey, reason });
  },
  /**
   * The run's answer has more values than a call may get back (`maxOutputValues`): the model and
   * its input are at fault, nothing is wrong with the process (it stays). A 4xx like a request
   * over its size limit.
   */
  outputTooLarge: (modelKey: string, limit: number, produced: number) =>
    new TesseraError('PAYLOAD_TOO_LARGE', `The model's answer has ${produced} values, over the limit of ${limit} output values per call; send fewer rows.`, {
      modelKey,
      reason: 'OUTPUT_TOO_LARGE',
      maxOutputValues: limit,
      outputValues: produced,
    }),
  /**
   * QUOTA_EXCEEDED, not SERVICE_UNAVAILABLE: every pool belongs to one tenant, so a full queue means
   * that tenant is sending more concurrent calls than its pool serves — a per-tenant concurrency quota
   * (429, slow down), not an outage of the platform.
   */
  queueFull: (poolId: string, limit: number, used: number) =>
    errors.quotaExceeded(`Too many predictions waiting for this tenant's inference processes (limit ${limit}); retry shortly.`, {
      quota: 'maxQueuedPredictions' satisfies InferenceQuotaName,
      limit,
      used,
      poolId,
    }),
  inFlightFull: (limit: number, used: number) =>
    errors.quotaExceeded(`Too many predictions in flight for this tenant (limit ${limit}); retry when some are answered.`, {
      quota: 'maxPredictionsInFlight' satisfies InferenceQuotaName,
      limit,
      used,
    }),
  /**
   * The process outgrew the tenant's memory cap and was killed: every call it was running fails
   * with this (the tenant's own model used the memory); other processes and tenants are untouched.
   */
  memoryLimit: (modelKey: string, limitBytes: number, rssBytes: number) =>
    new TesseraError(
      'INFERENCE_FAILED',
      `The inference process used ${mib(rssBytes)} MiB, over this tenant's limit of ${mib(limitBytes)} MiB per process; it was stopped.`,
      { modelKey, reason: 'MEMORY_LIMIT' satisfies InferenceFailureReason, limitMb: mib(limitBytes), usedMb: mibUp(rssBytes) },
    ),
  /**
   * No memory left in the service's inference budget for this pool's process, and no idle pool to
   * stop for it: every process is busy. A platform condition, retryable, like a full upload memory.
   */
  memoryBudgetFull: (budgetMb: number) =>
    new TesseraError('SERVICE_UNAVAILABLE', `This service's inference processes are all busy and hold its inference memory (${budgetMb} MiB); retry shortly.`, {
      retryAfterSeconds: 1,
      limit: 'inferenceMemoryBudget',
      limitValue: budgetMb,
    }),
  /** The tenant's own busy processes hold its share of the budget (half): the tenant is asked to slow down. */
  tenantMemoryFull: (shareMb: number) =>
    new TesseraError('RATE_LIMITED', `Your tenant's busy inference processes hold ${shareMb} MiB, its share of this service's inference memory; retry when some of its predictions are answered.`, {
      retryAfterSeconds: 1,
      limit: 'inferenceMemoryPerTenant',
      limitValue: shareMb,
    }),
  capacity: (limit: number) =>
    errors.unavailable(`The host runs the maximum of ${limit} busy shared inference pools; retry shortly.`),
  closed: () => errors.unavailable('Inference is shutting down.'),
  workerStart: () => errors.unavailable('An inference process could not start; retry later.'),
  /** `load()` failures: typed errors pass through (NOT_FOUND…), anything else means storage trouble. */
  loadBytes: (error: unknown): TesseraError =>
    isTesseraError(error) ? error : errors.unavailable('The model file could not be read from storage; retry later.'),
};
