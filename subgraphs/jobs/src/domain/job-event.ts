import type { JobEventPayload } from '@tessera/events';
import type { Job } from '../data/job.entity';
import { readableMetrics } from './job-metrics';

/** A job row as the 'jobs' topic carries it (the contract shared with the subscription resolvers). */
export function toJobEvent(job: Job): JobEventPayload {
  return {
    jobId: job.id,
    kind: job.kind,
    status: job.status,
    progress: job.progress,
    phase: job.phase,
    // A metric stored as null by an older version would make subscribers skip the whole event.
    metrics: readableMetrics(job.metrics),
    error: job.error ? { code: job.error.code, message: job.error.message } : null,
    occurredAt: new Date().toISOString(),
  };
}
