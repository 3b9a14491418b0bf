/**
 * Spans of one predict call inside the pools: the time it waited in its pool's queue and the run
 * that served it (batch size and rows, the child's `session.run` time), each with the tenant.
 *
 * Made after the fact with the times the pool already measures, and only when the caller had a
 * recording span: with tracing off (no SDK, or nothing sampled) a call costs one
 * `getActiveSpan()` and nothing else.
 */
import { context, SpanStatusCode, trace, type Context } from '@opentelemetry/api';
import { attributes } from '@tessera/telemetry';

const tracerName = '@tessera/inference';

/** The caller's context when its span records; undefined otherwise (then no span is ever made). */
export function traceParentOfCaller(): Context | undefined {
  return trace.getActiveSpan()?.isRecording() ? context.active() : undefined;
}

export interface CallTiming {
  tenantId: string;
  poolId: string;
  modelKey: string;
  /** performance.now() times (OpenTelemetry reads them against the process's time origin). */
  enqueuedAt: number;
  runStartedAt: number;
  runEndedAt: number;
  batchSize: number;
  batchRows: number;
  /** Milliseconds inside `session.run` in the child (undefined when the run failed). */
  sessionRunMs: number | undefined;
  pid: number | undefined;
  errorCode?: string | undefined;
}

export function recordCallSpans(parent: Context, timing: CallTiming): void {
  const tracer = trace.getTracer(tracerName);
  const common = { [attributes.tenantId]: timing.tenantId, 'inference.pool_id': timing.poolId, 'inference.model_key': timing.modelKey };
  tracer.startSpan('inference.queue', { startTime: timing.enqueuedAt, attributes: common }, parent).end(timing.runStartedAt);
  const run = tracer.startSpan(
    'inference.run',
    {
      startTime: timing.runStartedAt,
      attributes: {
        ...common,
        'inference.batch_size': timing.batchSize,
        'inference.batch_rows': timing.batchRows,
        ...(timing.sessionRunMs === undefined ? {} : { 'inference.session_run_ms': timing.sessionRunMs }),
        ...(timing.pid === undefined ? {} : { 'inference.pid': timing.pid }),
      },
    },
    parent,
  );
  if (timing.errorCode) run.setStatus({ code: SpanStatusCode.ERROR, message: timing.errorCode });
  run.end(timing.runEndedAt);
}
