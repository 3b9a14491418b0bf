import { evaluateRule, effectiveRules, type AlertRule, type EvaluatedEvent } from '../src/domain/alert-rules';
import { decodeAuditCursor, encodeAuditCursor } from '../src/domain/audit-event-cursor';
import { signWebhookBody, verifyWebhookSignature } from '../src/domain/webhook-signature';

const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, 0) + seconds * 1000);
const event = (seq: number, seconds: number, action: string, details: Record<string, unknown> = {}, writtenBy: string | null = null): EvaluatedEvent => ({ seq, occurredAt: at(seconds), action, details, writtenBy });
const rule = (kind: AlertRule['kind'], threshold: number): AlertRule => ({ kind, threshold, enabled: true, isDefault: false });

describe('alert rules (pure)', () => {
  it('fires once when a sliding minute reaches the threshold, then stays quiet for a window', () => {
    const fresh = [0, 10, 20, 30, 40].map((s, i) => event(i + 1, s, 'auth.failure'));
    const firings = evaluateRule(rule('AUTH_FAILURES', 3), [], fresh, null);
    expect(firings).toEqual([expect.objectContaining({ observed: 3, firstSeq: 1, lastSeq: 3 })]);
  });

  it("weighs an aggregated auth.failure summary by its details.count", () => {
    const summary = [event(1, 0, 'auth.failure', { count: 1 }), event(2, 30, 'auth.failure', { count: 41, summary: true })];
    expect(evaluateRule(rule('AUTH_FAILURES', 10), [], summary, null)).toEqual([expect.objectContaining({ observed: 42, firstSeq: 1, lastSeq: 2 })]);
  });

  it('counts across a minute boundary (sliding, not fixed windows) and ignores events older than 60 s', () => {
    expect(evaluateRule(rule('AUTH_FAILURES', 3), [], [event(1, 50, 'auth.failure'), event(2, 65, 'auth.failure'), event(3, 70, 'auth.failure')], null)).toHaveLength(1);
    expect(evaluateRule(rule('AUTH_FAILURES', 3), [], [event(1, 0, 'auth.failure'), event(2, 61, 'auth.failure'), event(3, 122, 'auth.failure')], null)).toEqual([]);
  });

  it('uses already-evaluated history in the window but fires only on new events, and respects the last firing', () => {
    const history = [event(1, 0, 'auth.failure'), event(2, 5, 'auth.failure')];
    expect(evaluateRule(rule('AUTH_FAILURES', 3), history, [event(3, 10, 'auth.failure')], null)).toEqual([expect.objectContaining({ observed: 3, firstSeq: 1, lastSeq: 3 })]);
    expect(evaluateRule(rule('AUTH_FAILURES', 3), history, [event(3, 10, 'auth.failure')], at(0))).toEqual([]);
    expect(evaluateRule(rule('AUTH_FAILURES', 3), [], [event(1, 0, 'auth.failure')], null)).toEqual([]);
  });

  it('fires on an event of a one-service kind written by another service, and on no event its owner (or, for shared kinds, anyone) wrote', () => {
    const own = [
      event(1, 0, 'dataset.delete', {}, 'tessera_datasets@127.0.0.1'),
      event(2, 1, 'model.predict', {}, 'tessera_models@localhost'),
      event(3, 2, 'access.denied', {}, 'tessera_gateway@%'),
      event(4, 3, 'cross_tenant_attempt', {}, 'tessera_metrics@127.0.0.1'),
      event(5, 4, 'key.rotate', {}, 'tessera_tenants@127.0.0.1'),
      // Written before writers were recorded: cannot be judged.
      event(6, 5, 'job.submit', {}, null),
    ];
    expect(evaluateRule(rule('MISATTRIBUTED_EVENT', 1), [], own, null)).toEqual([]);
    const forged = [event(7, 6, 'dataset.delete', {}, 'tessera_metrics@127.0.0.1')];
    expect(evaluateRule(rule('MISATTRIBUTED_EVENT', 1), own, forged, null)).toEqual([expect.objectContaining({ observed: 1, firstSeq: 7, lastSeq: 7 })]);
    // An operator's own account writing a tenant's data events by hand is no service of it either.
    expect(evaluateRule(rule('MISATTRIBUTED_EVENT', 1), [], [event(8, 7, 'member.invite', {}, 'root@localhost')], null)).toHaveLength(1);
    // Variants the trail's collation lists as the owned kind, but no service records: each fires, whoever wrote it.
    for (const [i, action] of ['Dataset.delete', 'dataset.delete ', 'DATASET.DELETE', 'd\u0430taset.delete', 'dataset..delete', ''].entries()) {
      expect({ action, firings: evaluateRule(rule('MISATTRIBUTED_EVENT', 1), [], [event(20 + i, 10, action, {}, 'tessera_metrics@127.0.0.1')], null).length }).toEqual({ action, firings: 1 });
      expect({ action, firings: evaluateRule(rule('MISATTRIBUTED_EVENT', 1), [], [event(30 + i, 10, action, {}, 'tessera_datasets@127.0.0.1')], null).length }).toEqual({ action, firings: 1 });
    }
  });

  it('weights deletions by the objects they removed and skips disabled rules', () => {
    expect(evaluateRule(rule('BULK_DELETION', 10), [], [event(1, 0, 'dataset.delete', { objects: 12 })], null)).toEqual([expect.objectContaining({ observed: 12 })]);
    expect(evaluateRule(rule('BULK_DELETION', 2), [], [event(1, 0, 'dataset.delete', { objects: 0 }), event(2, 1, 'dataset.delete')], null)).toHaveLength(1);
    expect(evaluateRule({ ...rule('CROSS_TENANT_ATTEMPT', 1), enabled: false }, [], [event(1, 0, 'cross_tenant_attempt')], null)).toEqual([]);
    expect(evaluateRule(rule('DATA_READ_BURST', 2), [], [event(1, 0, 'dataset.read'), event(2, 1, 'model.download'), event(3, 2, 'dataset.create')], null)).toEqual([
      expect.objectContaining({ observed: 2, lastSeq: 2 }),
    ]);
  });

  it('USAGE_BUDGET: a usage.budget.soft_threshold event fires at the default threshold of 1, naming the budget; other events never count', () => {
    const [defaults] = effectiveRules([]).filter((r) => r.kind === 'USAGE_BUDGET');
    expect(defaults).toEqual({ kind: 'USAGE_BUDGET', threshold: 1, enabled: true, isDefault: true });
    const crossing = event(2, 1, 'usage.budget.soft_threshold', { meter: 'costUnits', monthlyLimit: 1000, softPercent: 80, used: 812, month: '2026-01' });
    const [firing, ...more] = evaluateRule(defaults!, [], [event(1, 0, 'usage.budget.set'), crossing], null);
    expect(more).toEqual([]);
    expect(firing).toMatchObject({ kind: 'USAGE_BUDGET', observed: 1, firstSeq: 2, lastSeq: 2 });
    expect(firing!.detail).toBe('Usage budget costUnits: 812 used of 1000 in 2026-01, past the soft threshold of 80%.');
    expect(evaluateRule(defaults!, [], ['usage.budget.set', 'usage.budget.remove', 'anomaly.detected'].map((action, i) => event(i + 1, i, action)), null)).toEqual([]);
  });

  it('ANOMALY: any anomaly.detected event fires at the default threshold of 1, naming the metric; other events never count', () => {
    const anomaly = (seq: number, seconds: number, metric: string) =>
      event(seq, seconds, 'anomaly.detected', {
        anomalyId: `a-${seq}`,
        metric,
        observed: 0.923456,
        expected: 0.0123,
        score: 18.44,
        threshold: 4,
        windowStart: '2026-01-01T11:59:00.000Z',
        windowEnd: '2026-01-01T12:00:00.000Z',
      });
    const [defaults] = effectiveRules([]).filter((r) => r.kind === 'ANOMALY');
    expect(defaults).toEqual({ kind: 'ANOMALY', threshold: 1, enabled: true, isDefault: true });
    const [firing, ...more] = evaluateRule(defaults!, [], [event(1, 0, 'dataset.read'), anomaly(2, 1, 'ERROR_RATE')], null);
    expect(more).toEqual([]);
    expect(firing).toMatchObject({ kind: 'ANOMALY', threshold: 1, observed: 1, firstSeq: 2, lastSeq: 2 });
    expect(firing!.detail).toBe(
      'ERROR_RATE observed 0.923, expected 0.0123 (score 18.4, threshold 4) in 2026-01-01T11:59:00.000Z – 2026-01-01T12:00:00.000Z; anomaly a-2.',
    );
    // The detector's own audit trail, reads, deletions and failures are not anomalies.
    const unrelated = ['auth.failure', 'cross_tenant_attempt', 'model.download', 'dataset.delete', 'anomaly.detected.extra', 'alert.acknowledge'];
    expect(evaluateRule(defaults!, [], unrelated.map((action, i) => event(i + 1, i, action)), null)).toEqual([]);
    // One alert per window like every rule; the next window's alert names what the quiet window also flagged.
    const burst = [anomaly(1, 0, 'ERROR_RATE'), anomaly(2, 30, 'LATENCY_P95'), anomaly(3, 75, 'REQUEST_RATE')];
    const firings = evaluateRule(defaults!, [], burst, null);
    expect(firings.map((f) => [f.firstSeq, f.lastSeq, f.observed])).toEqual([
      [1, 1, 1],
      [2, 3, 2],
    ]);
    expect(firings[1]!.detail).toMatch(/^REQUEST_RATE observed .* Metrics flagged in the window: LATENCY_P95, REQUEST_RATE\.$/);
    // A tenant may raise the threshold or switch the rule off.
    expect(evaluateRule({ ...defaults!, threshold: 2, isDefault: false }, [], [anomaly(1, 0, 'ERROR_RATE')], null)).toEqual([]);
    expect(evaluateRule({ ...defaults!, enabled: false, isDefault: false }, [], [anomaly(1, 0, 'ERROR_RATE')], null)).toEqual([]);
    // Rules without their own account of the events leave the summary to the description.
    expect(evaluateRule(rule('AUTH_FAILURES', 1), [], [event(1, 0, 'auth.failure')], null)[0]!.detail).toBeNull();
  });

  it('overlays tenant overrides on the platform defaults', () => {
    const rules = effectiveRules([{ kind: 'AUTH_FAILURES', threshold: 2, enabled: false }]);
    expect(rules.find((r) => r.kind === 'AUTH_FAILURES')).toEqual({ kind: 'AUTH_FAILURES', threshold: 2, enabled: false, isDefault: false });
    expect(rules.find((r) => r.kind === 'CROSS_TENANT_ATTEMPT')).toEqual({ kind: 'CROSS_TENANT_ATTEMPT', threshold: 1, enabled: true, isDefault: true });
  });
});

describe('webhook signatures and cursors (pure)', () => {
  it('signs t.body with HMAC-SHA256 and verifies, refusing tampering, other secrets and stale timestamps', () => {
    const header = signWebhookBody('whsec_test', '{"a":1}', 1_700_000_000);
    expect(header).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature('whsec_test', '{"a":1}', header, 1_700_000_100)).toEqual({ valid: true, timestamp: 1_700_000_000 });
    expect(verifyWebhookSignature('whsec_test', '{"a":2}', header, 1_700_000_100)).toEqual({ valid: false, reason: 'MISMATCH' });
    expect(verifyWebhookSignature('whsec_other', '{"a":1}', header, 1_700_000_100)).toEqual({ valid: false, reason: 'MISMATCH' });
    expect(verifyWebhookSignature('whsec_test', '{"a":1}', header, 1_700_000_301)).toEqual({ valid: false, reason: 'STALE' });
    expect(verifyWebhookSignature('whsec_test', '{"a":1}', header.replace('t=1700000000', 't=1700000200'), 1_700_000_200)).toEqual({ valid: false, reason: 'MISMATCH' });
    expect(verifyWebhookSignature('whsec_test', '{"a":1}', 'garbage', 1_700_000_000)).toEqual({ valid: false, reason: 'MALFORMED' });
  });

  it('round-trips (time, seq) cursors and refuses anything else', () => {
    const position = { occurredAt: new Date('2026-03-04T05:06:07.089Z'), seq: 42 };
    expect(decodeAuditCursor(encodeAuditCursor(position))).toEqual(position);
    expect(decodeAuditCursor(undefined)).toBeUndefined();
    const raw = (text: string) => Buffer.from(text).toString('base64url');
    for (const bad of [
      '',
      'abc',
      'x'.repeat(100),
      'not a cursor!',
      raw('seq:42'), // the old seq-only form
      raw('at:1700000000000:-1'),
      raw('at:1700000000000:0'),
      raw('at:1700000000000:1e3'),
      raw('at:999999999999999:1'), // beyond DATETIME's year 9999
      raw('at:1700000000000:1 OR 1=1'),
    ]) {
      expect(() => decodeAuditCursor(bad)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
    }
  });
});
