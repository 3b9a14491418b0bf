import { assertPermission } from '@tessera/auth';
import { errors } from '@tessera/errors';
import { estimateQuantile } from '@tessera/monitoring';
import type { TenantScope } from '@tessera/tenancy';
import { readErrorSlots, readOperations, readRequestSlots, type RequestFilter } from '../data/request-metrics.repository';
import { granularityMs, maxRangeMs, parseGranularity, parseRange, type Granularity } from './metric-range';
import type { RangeReads } from './range-reads';

export interface RequestStats {
  requests: number;
  errors: number;
  errorRate: number;
  meanLatencyMs: number | null;
  maxLatencyMs: number | null;
  /** Estimated from the latency histogram (linear within a bucket); null without requests. */
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  latencyP99Ms: number | null;
}

export interface RequestMetricsPoint extends RequestStats {
  start: Date;
  end: Date;
  errorsByCode: Array<{ code: string; requests: number }>;
}

export interface OperationMetrics extends RequestStats {
  operationType: string;
  operationName: string;
}

export interface RequestMetrics {
  from: Date;
  to: Date;
  granularity: Granularity;
  total: RequestMetricsPoint;
  points: RequestMetricsPoint[];
  operations: OperationMetrics[];
}

const operationTypes: Record<string, string> = { QUERY: 'query', MUTATION: 'mutation', SUBSCRIPTION: 'subscription', INVALID: 'invalid' };
/** Operation names as the gateway stores them: GraphQL names, or one of its placeholders. */
const storedName = /^(?:[_A-Za-z][_0-9A-Za-z]{0,63}|\(other\)|\(anonymous\)|\(invalid\)|\(predict route\))$/;
const maxOperations = 100;

function statsOf(sums: { requests: number; errors: number; latencyMsSum: number; latencyMsMax: number; histogram: number[] }): RequestStats {
  const any = sums.requests > 0;
  return {
    requests: sums.requests,
    errors: sums.errors,
    errorRate: any ? sums.errors / sums.requests : 0,
    meanLatencyMs: any ? sums.latencyMsSum / sums.requests : null,
    maxLatencyMs: any ? sums.latencyMsMax : null,
    latencyP50Ms: estimateQuantile(sums.histogram, 0.5, sums.latencyMsMax),
    latencyP95Ms: estimateQuantile(sums.histogram, 0.95, sums.latencyMsMax),
    latencyP99Ms: estimateQuantile(sums.histogram, 0.99, sums.latencyMsMax),
  };
}

function sortedCodes(codes: Map<string, number> | undefined): Array<{ code: string; requests: number }> {
  return [...(codes ?? new Map<string, number>())].map(([code, requests]) => ({ code, requests })).sort((a, b) => b.requests - a.requests || a.code.localeCompare(b.code));
}

/** The caller's tenant's request metrics, as the gateway recorded them, per minute or hour. */
export class RequestMetricsService {
  constructor(
    private readonly scope: TenantScope,
    /** Turns and time budget of range reads (shared by the process's requests). */
    private readonly reads: RangeReads,
  ) {}

  async series(args: { from: unknown; to: unknown; granularity?: unknown; operationType?: unknown; operationName?: unknown }): Promise<RequestMetrics> {
    assertPermission(this.scope.principal, 'read');
    const granularity = parseGranularity(args.granularity);
    const { from, to } = parseRange(args, maxRangeMs[granularity], granularity === 'MINUTE' ? '24 hours at MINUTE granularity' : '62 days at HOUR granularity');
    const filter = parseFilter(args);
    const step = granularityMs[granularity];
    const first = Math.floor(from.getTime() / step) * step;
    const end = Math.floor(to.getTime() / step) * step + step;

    const { slots, codes, operations } = await this.reads.read(this.scope, async (manager) => ({
      slots: await readRequestSlots(manager, new Date(first), new Date(end), step / 1000, filter),
      codes: await readErrorSlots(manager, new Date(first), new Date(end), step / 1000, filter),
      operations: await readOperations(manager, new Date(first), new Date(end), filter, maxOperations),
    }));

    const bySlot = new Map(slots.map((s) => [s.start, s]));
    const points: RequestMetricsPoint[] = [];
    for (let start = first; start < end; start += step) {
      const slot = bySlot.get(start) ?? { requests: 0, errors: 0, latencyMsSum: 0, latencyMsMax: 0, histogram: [] };
      points.push({ start: new Date(start), end: new Date(start + step), ...statsOf(slot), errorsByCode: sortedCodes(codes.get(start)) });
    }
    const histogram = slots.reduce<number[]>((sum, s) => s.histogram.map((n, i) => n + (sum[i] ?? 0)), []);
    const totalCodes = new Map<string, number>();
    for (const perSlot of codes.values()) for (const [code, n] of perSlot) totalCodes.set(code, (totalCodes.get(code) ?? 0) + n);
    const total: RequestMetricsPoint = {
      start: new Date(first),
      end: new Date(end),
      ...statsOf({
        requests: slots.reduce((n, s) => n + s.requests, 0),
        errors: slots.reduce((n, s) => n + s.errors, 0),
        latencyMsSum: slots.reduce((n, s) => n + s.latencyMsSum, 0),
        latencyMsMax: slots.reduce((n, s) => Math.max(n, s.latencyMsMax), 0),
        histogram,
      }),
      errorsByCode: sortedCodes(totalCodes),
    };
    return { from, to, granularity, total, points, operations: operations.map((o) => ({ operationType: o.operationType, operationName: o.operationName, ...statsOf(o) })) };
  }
}

function parseFilter(args: { operationType?: unknown; operationName?: unknown }): RequestFilter {
  const filter: RequestFilter = {};
  if (args.operationType !== undefined && args.operationType !== null) {
    const type = typeof args.operationType === 'string' ? operationTypes[args.operationType] : undefined;
    if (!type) throw errors.badInput('operationType must be QUERY, MUTATION, SUBSCRIPTION or INVALID.', { field: 'operationType' });
    filter.operationType = type;
  }
  if (args.operationName !== undefined && args.operationName !== null) {
    if (typeof args.operationName !== 'string' || !storedName.test(args.operationName)) {
      throw errors.badInput('operationName must be a GraphQL operation name (at most 64 characters), (anonymous), (invalid), (other) or (predict route).', { field: 'operationName' });
    }
    filter.operationName = args.operationName;
  }
  return filter;
}
