/**
 * What a queue entry carries. Only ids: the job's input, state and the principal it runs as live
 * in the tenant's `jobs` row, the single source of truth; a queue entry is a "please run
 * submission N of job X". Nothing in it grants anything: whoever can write to Redis can ask for a
 * run of a job that is due anyway, never make a worker act as someone else.
 */
export interface JobMessage {
  tenantId: string;
  jobId: string;
  submission: number;
  /**
   * W3C trace context (`traceparent`, `tracestate`) of the request that queued this submission,
   * so the worker's run joins the same trace as client → gateway → jobs subgraph. Empty when
   * tracing is off.
   */
  trace?: Record<string, string>;
}

/** Retry policy for transient failures (storage or database unreachable). */
export interface RetryPolicy {
  attempts: number;
  backoffMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { attempts: 4, backoffMs: 1_000 };
