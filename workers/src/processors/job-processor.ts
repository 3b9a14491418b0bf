import type { JobKindName } from '@tessera/jobs/ports';
import type { JobContext } from '../job-context';

/**
 * What a processor hands back: the job's result, and optionally the registration of its output
 * with the owning service (e.g. the predictions as a dataset version), run just before the job
 * is marked SUCCEEDED; the owner makes it idempotent by job id, so a run repeated after a crash
 * in between gets the same version, never a second one.
 */
export interface ProcessorOutcome {
  result: Record<string, unknown>;
  commit?: () => Promise<void>;
  /** Undoes side effects when the registration does not happen (a stored object, reserved quota). */
  abandon?: () => Promise<void>;
}

export type JobProcessor = (ctx: JobContext) => Promise<ProcessorOutcome>;

export type ProcessorTable = Record<JobKindName, JobProcessor>;
