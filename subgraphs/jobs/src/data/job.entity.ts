import { EntitySchema, type ValueTransformer } from 'typeorm';
import type { SealedOr } from '@tessera/service-kit';

export type JobKind = 'TRAIN' | 'BATCH_INFERENCE' | 'PROFILE';
export type JobStatus = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

export const jobKinds: readonly JobKind[] = ['TRAIN', 'BATCH_INFERENCE', 'PROFILE'];
export const jobStatuses: readonly JobStatus[] = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'];
export const unfinishedStatuses: readonly JobStatus[] = ['QUEUED', 'RUNNING'];

export interface JobError {
  code: string;
  message: string;
}

/** Latest metric values (e.g. epoch, loss, rows): the same flat map the 'jobs' events carry. */
export type JobMetrics = Record<string, number>;

export interface Job {
  id: string;
  kind: JobKind;
  status: JobStatus;
  input: Record<string, unknown>;
  progress: number;
  phase: string | null;
  metrics: JobMetrics | null;
  /** Training: the loss after each epoch so far. */
  lossHistory: number[] | null;
  /** Sealed with the tenant's data key (clear on rows from before sealing): read it with openJobResult. */
  result: SealedOr<Record<string, unknown>> | null;
  /** The data-key version that sealed `result` (0: clear, awaiting the backfill; null: no result). */
  resultKeyVersion: number | null;
  error: JobError | null;
  attempts: number;
  cancelRequested: boolean;
  submission: number;
  runToken: string | null;
  startSeq: number | null;
  queuedAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  createdBy: string;
  /**
   * Who the job's runs act for, recorded by the submit and by every retry (see job-principal.ts);
   * null on rows written before this was recorded.
   */
  runAsSubject: string | null;
  /** Comma-separated roles of that principal. */
  runAsRoles: string | null;
  runAsClient: string | null;
  createdAt: Date;
  updatedAt: Date;
}

const bigintAsNumber: ValueTransformer = { to: (value: number | null) => value, from: (value: string | number | null) => (value === null ? null : Number(value)) };
const timestamp = (name: string, nullable = false) => ({ name, type: 'datetime' as const, precision: 3, nullable });

export const JobEntity = new EntitySchema<Job>({
  name: 'Job',
  tableName: 'jobs',
  columns: {
    id: { type: 'char', length: 36, primary: true },
    kind: { type: 'varchar', length: 32 },
    status: { type: 'varchar', length: 16 },
    input: { name: 'input_json', type: 'json' },
    progress: { type: 'int' },
    phase: { type: 'varchar', length: 64, nullable: true },
    metrics: { name: 'metrics_json', type: 'json', nullable: true },
    lossHistory: { name: 'loss_history_json', type: 'json', nullable: true },
    result: { name: 'result_json', type: 'json', nullable: true },
    resultKeyVersion: { name: 'result_key_version', type: 'int', nullable: true },
    error: { name: 'error_json', type: 'json', nullable: true },
    attempts: { type: 'int' },
    cancelRequested: { name: 'cancel_requested', type: 'boolean' },
    submission: { type: 'int' },
    runToken: { name: 'run_token', type: 'char', length: 36, nullable: true },
    startSeq: { name: 'start_seq', type: 'bigint', nullable: true, transformer: bigintAsNumber },
    queuedAt: timestamp('queued_at', true),
    startedAt: timestamp('started_at', true),
    finishedAt: timestamp('finished_at', true),
    createdBy: { name: 'created_by', type: 'varchar', length: 255 },
    runAsSubject: { name: 'run_as_subject', type: 'varchar', length: 255, nullable: true },
    runAsRoles: { name: 'run_as_roles', type: 'varchar', length: 255, nullable: true },
    runAsClient: { name: 'run_as_client', type: 'varchar', length: 255, nullable: true },
    createdAt: timestamp('created_at'),
    updatedAt: timestamp('updated_at'),
  },
});

export const jobEntities = [JobEntity];
