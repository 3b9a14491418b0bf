import { TesseraError } from '@tessera/errors';

/**
 * What a run that failed still cost its inference process. A failed call is metered like a
 * served one (`computeMs` of its record, the models service's `inferenceMs`): a run killed at its
 * time limit held a core for that long, and one whose answer was over the output limit ran to the
 * end. Without it a model that always times out was served for free, past any inferenceMs budget.
 * Carried beside the error (the error itself is what the caller sees, unchanged).
 */
export interface RunCompute {
  /** Milliseconds of the run: inside `session.run` as the process reported it, or from hand-over to the kill. */
  runMs: number;
  /** CPU milliseconds the process reported for it (0 when it was killed: a dead process reports nothing). */
  runCpuMs: number;
}

const computeOfFailure = new WeakMap<TesseraError, RunCompute>();

/** Records what the failed run cost next to its error; returns the error. */
export function withRunCompute(error: TesseraError, compute: RunCompute | undefined): TesseraError {
  if (compute) computeOfFailure.set(error, compute);
  return error;
}

/** What the failed run behind `error` cost, if it reached a process. */
export function runComputeOf(error: unknown): RunCompute | undefined {
  return error instanceof TesseraError ? computeOfFailure.get(error) : undefined;
}

/**
 * The same refusal for one call of a failed merged run, with its share of the run's cost: each
 * caller gets its own error object, so each record carries its own share (shares add up to the run).
 */
export function shareOfFailure(error: TesseraError, share: RunCompute): TesseraError {
  const { code: _code, ...details } = error.extensions as Record<string, string | number | boolean | null | undefined | string[]>;
  const copy = new TesseraError(error.code, error.message, details);
  return withRunCompute(copy, share);
}
