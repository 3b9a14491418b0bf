/** The payload of topic 'jobs' (the worker publishes it, the jobs subgraph streams it). */
export type JobEventKind = 'TRAIN' | 'BATCH_INFERENCE' | 'PROFILE';
export type JobEventStatus = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

export interface JobEventPayload {
  jobId: string;
  kind: JobEventKind;
  status: JobEventStatus;
  /** 0–100 */
  progress: number;
  phase: string | null;
  /** e.g. { epoch: 3, loss: 0.12 } */
  metrics: Record<string, number> | null;
  error: { code: string; message: string } | null;
  /** ISO 8601 */
  occurredAt: string;
}

export const terminalJobStatuses: readonly JobEventStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

const kinds: readonly string[] = ['TRAIN', 'BATCH_INFERENCE', 'PROFILE'];
const statuses: readonly string[] = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'];

/** Checks an event read from Redis before it reaches a client, so a malformed publish is skipped, not half-rendered. */
export function isJobEventPayload(value: unknown): value is JobEventPayload {
  if (typeof value !== 'object' || value === null) return false;
  const event = value as Record<string, unknown>;
  const metrics = event['metrics'];
  const error = event['error'];
  return (
    typeof event['jobId'] === 'string' &&
    kinds.includes(event['kind'] as string) &&
    statuses.includes(event['status'] as string) &&
    typeof event['progress'] === 'number' &&
    (event['phase'] === null || event['phase'] === undefined || typeof event['phase'] === 'string') &&
    (metrics === null || metrics === undefined || (typeof metrics === 'object' && Object.values(metrics as object).every((v) => typeof v === 'number'))) &&
    (error === null || error === undefined || (typeof error === 'object' && typeof (error as Record<string, unknown>)['code'] === 'string')) &&
    typeof event['occurredAt'] === 'string'
  );
}
