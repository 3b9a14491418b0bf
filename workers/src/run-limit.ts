import type { Logger } from '@tessera/config';
import { JobTimeLimitExceeded } from './job-context';
import type { ProcessorOutcome } from './processors/job-processor';

/**
 * How long past its bound a run may take to reach a checkpoint before the runner stops waiting for
 * it. The processors reach one at least every chunk (whose model call is itself cut at one minute),
 * batch of training or thousand rows read; a dataset read that trickles (the object store's timeout
 * is per idle minute, not per read) or a call that hangs would not, and it must not hold the
 * tenant's slot past its bound.
 */
export const runLimitGraceMs = 30_000;

/** What the bound needs of a run: when it passes, and the limit to name in the error. */
export interface RunBound {
  /** Epoch milliseconds. */
  readonly deadline: number;
  readonly runLimitSeconds: number;
}

/**
 * The processor's outcome, or JobTimeLimitExceeded once the run is `graceMs` past its bound without
 * having stopped at a checkpoint. The run is then ended without it: whatever the processor still
 * does meets a checkpoint that throws, or ports that refuse a finished run; an outcome it hands
 * back later is abandoned (its reservation and object removed), never registered.
 */
export async function withinRunLimit(bound: RunBound, running: Promise<ProcessorOutcome>, logger: Logger, graceMs = runLimitGraceMs): Promise<ProcessorOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const overrun = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new JobTimeLimitExceeded(bound.runLimitSeconds)), Math.max(0, bound.deadline + graceMs - Date.now()));
  });
  try {
    return await Promise.race([running, overrun]);
  } catch (error) {
    if (error instanceof JobTimeLimitExceeded) {
      logger.warn('run passed its time bound without reaching a checkpoint; ending it without waiting', { limitSeconds: bound.runLimitSeconds });
      void running
        .then(
          (outcome) => outcome.abandon?.(),
          () => undefined,
        )
        .catch(() => undefined);
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
