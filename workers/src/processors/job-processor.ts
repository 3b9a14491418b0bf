import type { EntityManager } from 'typeorm';
import type { JobKind } from '@tessera/jobs';
import type { JobContext } from '../job-context';

/**
 * What a processor hands back: the job's result, and optionally writes that must commit in the
 * same transaction as the job's move to SUCCEEDED (e.g. registering the predictions as a dataset
 * version): either both happen or neither, so a crash in between leaves nothing half-registered.
 */
export interface ProcessorOutcome {
  result: Record<string, unknown>;
  commit?: (manager: EntityManager) => Promise<void>;
  /** Undoes side effects outside the database (a stored object) when the commit does not happen. */
  abandon?: () => Promise<void>;
}

export type JobProcessor = (ctx: JobContext) => Promise<ProcessorOutcome>;

export type ProcessorTable = Record<JobKind, JobProcessor>;
