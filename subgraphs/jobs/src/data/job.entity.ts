import { EntitySchema } from 'typeorm';

export type JobKind = 'TRAIN' | 'BATCH_INFERENCE' | 'PROFILE';
export type JobStatus = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

export interface Job {
  id: string;
  kind: JobKind;
  status: JobStatus;
  input: Record<string, unknown>;
  progress: number;
  phase: string | null;
  result: Record<string, unknown> | null;
  error: Record<string, unknown> | null;
  attempts: number;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
}

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
    result: { name: 'result_json', type: 'json', nullable: true },
    error: { name: 'error_json', type: 'json', nullable: true },
    attempts: { type: 'int' },
    createdBy: { name: 'created_by', type: 'varchar', length: 255 },
    createdAt: { name: 'created_at', type: 'datetime', precision: 3 },
    updatedAt: { name: 'updated_at', type: 'datetime', precision: 3 },
  },
});

export const jobEntities = [JobEntity];
