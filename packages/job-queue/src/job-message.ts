/** Who a job acts for: the worker rebuilds a Principal from this, so audit events name a person. */
export interface JobActor {
  subject: string;
  roles: string[];
  clientId: string | null;
}

/**
 * What a queue entry carries. Only ids: the job's input and state live in the tenant's `jobs`
 * row, the single source of truth; a queue entry is a "please run submission N of job X".
 */
export interface JobMessage {
  tenantId: string;
  jobId: string;
  submission: number;
  actor: JobActor;
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
