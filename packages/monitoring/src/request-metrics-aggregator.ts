import { emptyHistogram, latencyBucketIndex } from './latency-histogram';

export type OperationType = 'query' | 'mutation' | 'subscription' | 'invalid';

/** One finished GraphQL request, as the gateway saw it. */
export interface RequestObservation {
  tenantId: string;
  /** When the request started (ms since epoch): it decides the bucket. */
  startedAt: number;
  operationType: OperationType;
  /** The operation's name from the parsed document; null for anonymous or unparsable operations. */
  operationName: string | null;
  latencyMs: number;
  /** `extensions.code` of each error in the response (repeats allowed). */
  errorCodes: readonly string[];
}

/** The sums for one (bucket, operation type, operation name) of one tenant. */
export interface RequestMetricsRow {
  bucketStart: number;
  operationType: OperationType;
  operationName: string;
  requests: number;
  /** Requests whose response held at least one error. */
  errors: number;
  latencyMsSum: number;
  latencyMsMax: number;
  histogram: number[];
  /** Per error code, the requests that failed with it (a request counts once per distinct code). */
  errorCodes: Map<string, number>;
}

/** Names that cannot collide with a GraphQL operation name (parentheses are not allowed in names). */
export const otherOperations = '(other)';
export const anonymousOperation = '(anonymous)';
/** The gateway's predict route (POST /v1/predict): a request without a GraphQL operation name. */
export const predictRouteOperation = '(predict route)';
const maxNameLength = 64;
const graphqlName = /^[_A-Za-z][_0-9A-Za-z]*$/;
const errorCode = /^[A-Z][A-Z0-9_]{0,47}$/;

interface TenantBucket {
  /** Named rows that count toward the cardinality cap. */
  named: number;
  rows: Map<string, RequestMetricsRow>;
}

/**
 * In-memory sums per tenant, bucket and operation. Recording is a few map lookups, so it costs a
 * request nothing measurable; `drain` hands everything over for writing and starts afresh.
 *
 * Operation names come from clients, so their number is capped per tenant and bucket: past
 * `maxOperationNames` distinct names, a tenant's further names are summed under "(other)". A
 * client that sends a new name with every request can therefore add at most that many rows per
 * minute, and nothing to the gateway's memory beyond it.
 */
export class RequestMetricsAggregator {
  private tenants = new Map<string, Map<number, TenantBucket>>();

  constructor(private readonly options: { bucketMs: number; maxOperationNames: number }) {}

  record(observation: RequestObservation): void {
    const bucketStart = Math.floor(observation.startedAt / this.options.bucketMs) * this.options.bucketMs;
    const row = this.rowFor(observation.tenantId, bucketStart, observation.operationType, normalizeName(observation.operationName));
    const latency = Number.isFinite(observation.latencyMs) && observation.latencyMs > 0 ? observation.latencyMs : 0;
    row.requests += 1;
    row.latencyMsSum += latency;
    row.latencyMsMax = Math.max(row.latencyMsMax, latency);
    row.histogram[latencyBucketIndex(latency)]! += 1;
    if (observation.errorCodes.length > 0) {
      row.errors += 1;
      for (const code of new Set(observation.errorCodes.map(normalizeCode))) row.errorCodes.set(code, (row.errorCodes.get(code) ?? 0) + 1);
    }
  }

  /** Adds rows back (a write that failed), under the same cardinality cap. */
  merge(tenantId: string, rows: readonly RequestMetricsRow[]): void {
    for (const source of rows) {
      const row = this.rowFor(tenantId, source.bucketStart, source.operationType, source.operationName);
      row.requests += source.requests;
      row.errors += source.errors;
      row.latencyMsSum += source.latencyMsSum;
      row.latencyMsMax = Math.max(row.latencyMsMax, source.latencyMsMax);
      source.histogram.forEach((count, i) => (row.histogram[i]! += count));
      for (const [code, count] of source.errorCodes) row.errorCodes.set(code, (row.errorCodes.get(code) ?? 0) + count);
    }
  }

  /** Everything recorded since the last drain, per tenant; the aggregator is empty afterwards. */
  drain(): Map<string, RequestMetricsRow[]> {
    const drained = new Map<string, RequestMetricsRow[]>();
    for (const [tenantId, buckets] of this.tenants) drained.set(tenantId, [...buckets.values()].flatMap((bucket) => [...bucket.rows.values()]));
    this.tenants = new Map();
    return drained;
  }

  get isEmpty(): boolean {
    return this.tenants.size === 0;
  }

  private rowFor(tenantId: string, bucketStart: number, operationType: OperationType, name: string): RequestMetricsRow {
    let buckets = this.tenants.get(tenantId);
    if (!buckets) this.tenants.set(tenantId, (buckets = new Map()));
    let bucket = buckets.get(bucketStart);
    if (!bucket) buckets.set(bucketStart, (bucket = { named: 0, rows: new Map() }));
    let operationName = name;
    let key = `${operationType} ${operationName}`;
    if (!bucket.rows.has(key) && operationName !== otherOperations) {
      if (bucket.named >= this.options.maxOperationNames) {
        operationName = otherOperations;
        key = `${operationType} ${operationName}`;
      } else {
        bucket.named += 1;
      }
    }
    let row = bucket.rows.get(key);
    if (!row) {
      row = { bucketStart, operationType, operationName, requests: 0, errors: 0, latencyMsSum: 0, latencyMsMax: 0, histogram: emptyHistogram(), errorCodes: new Map() };
      bucket.rows.set(key, row);
    }
    return row;
  }
}

function normalizeName(name: string | null): string {
  if (!name) return anonymousOperation;
  if (name === predictRouteOperation) return name;
  return graphqlName.test(name) ? name.slice(0, maxNameLength) : '(invalid)';
}

/** Codes come from subgraphs too; anything outside the registry's shape is counted as OTHER. */
function normalizeCode(code: string): string {
  return errorCode.test(code) ? code : 'OTHER';
}
