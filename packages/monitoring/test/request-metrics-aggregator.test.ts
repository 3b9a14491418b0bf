import { RequestMetricsAggregator, type RequestObservation } from '../src/request-metrics-aggregator';
import { latencyBucketIndex } from '../src/latency-histogram';

const minute = Date.UTC(2026, 0, 1, 12, 0);

function observation(overrides: Partial<RequestObservation> = {}): RequestObservation {
  return { tenantId: 'acme', startedAt: minute + 1_000, operationType: 'query', operationName: 'Q', latencyMs: 12, errorCodes: [], ...overrides };
}

describe('RequestMetricsAggregator', () => {
  it('sums requests per tenant, bucket and operation, with errors by code and a latency histogram', () => {
    const aggregator = new RequestMetricsAggregator({ bucketMs: 60_000, maxOperationNames: 10 });
    aggregator.record(observation({ latencyMs: 3 }));
    aggregator.record(observation({ latencyMs: 30, errorCodes: ['BAD_USER_INPUT', 'BAD_USER_INPUT', 'NOT_FOUND'] }));
    aggregator.record(observation({ startedAt: minute + 61_000 }));
    aggregator.record(observation({ tenantId: 'globex' }));
    const drained = aggregator.drain();
    expect(aggregator.isEmpty).toBe(true);
    const acme = drained.get('acme')!;
    expect(acme).toHaveLength(2);
    const first = acme.find((r) => r.bucketStart === minute)!;
    expect(first).toMatchObject({ operationType: 'query', operationName: 'Q', requests: 2, errors: 1, latencyMsSum: 33, latencyMsMax: 30 });
    // a request counts once per distinct code
    expect(Object.fromEntries(first.errorCodes)).toEqual({ BAD_USER_INPUT: 1, NOT_FOUND: 1 });
    expect(first.histogram[latencyBucketIndex(3)]).toBe(1);
    expect(first.histogram[latencyBucketIndex(30)]).toBe(1);
    expect(acme.find((r) => r.bucketStart === minute + 60_000)!.requests).toBe(1);
    expect(drained.get('globex')!.map((r) => r.requests)).toEqual([1]);
  });

  it('caps distinct operation names per tenant and bucket, summing the rest under (other)', () => {
    const aggregator = new RequestMetricsAggregator({ bucketMs: 60_000, maxOperationNames: 3 });
    for (const name of ['A', 'B', 'C', 'D', 'E', 'A', 'E']) aggregator.record(observation({ operationName: name }));
    // the cap is per bucket: the next minute starts afresh, and per tenant: another tenant is unaffected
    aggregator.record(observation({ operationName: 'D', startedAt: minute + 60_000 }));
    aggregator.record(observation({ operationName: 'D', tenantId: 'globex' }));
    const rows = aggregator.drain();
    const firstMinute = rows.get('acme')!.filter((r) => r.bucketStart === minute);
    expect(Object.fromEntries(firstMinute.map((r) => [r.operationName, r.requests]))).toEqual({ A: 2, B: 1, C: 1, '(other)': 3 });
    expect(rows.get('acme')!.find((r) => r.bucketStart === minute + 60_000)!.operationName).toBe('D');
    expect(rows.get('globex')![0]!.operationName).toBe('D');
  });

  it('names anonymous and malformed operations and codes with placeholders that cannot collide with real names', () => {
    const aggregator = new RequestMetricsAggregator({ bucketMs: 60_000, maxOperationNames: 10 });
    aggregator.record(observation({ operationName: null }));
    aggregator.record(observation({ operationName: 'x; DROP TABLE', errorCodes: ['lower-case code'] }));
    const rows = aggregator.drain().get('acme')!;
    expect(rows.map((r) => r.operationName).sort()).toEqual(['(anonymous)', '(invalid)']);
    expect(Object.fromEntries(rows.find((r) => r.operationName === '(invalid)')!.errorCodes)).toEqual({ OTHER: 1 });
  });

  it('merges rows back (a failed write) without losing or doubling anything', () => {
    const aggregator = new RequestMetricsAggregator({ bucketMs: 60_000, maxOperationNames: 10 });
    aggregator.record(observation({ errorCodes: ['NOT_FOUND'], latencyMs: 7 }));
    const failed = aggregator.drain().get('acme')!;
    aggregator.record(observation({ latencyMs: 30 }));
    aggregator.merge('acme', failed);
    const [row] = aggregator.drain().get('acme')!;
    expect(row).toMatchObject({ requests: 2, errors: 1, latencyMsSum: 37, latencyMsMax: 30 });
    expect(Object.fromEntries(row!.errorCodes)).toEqual({ NOT_FOUND: 1 });
    expect(row!.histogram[latencyBucketIndex(7)]).toBe(1);
    expect(row!.histogram[latencyBucketIndex(30)]).toBe(1);
    expect(row!.histogram.reduce((a, b) => a + b, 0)).toBe(2);
  });
});
