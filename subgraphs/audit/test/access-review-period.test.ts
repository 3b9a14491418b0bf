import { accessReviewVariables, toAccessReviewConfig } from '../src/domain/access-review-config';
import { lastEndedPeriod, monthly, parsePeriodLabel, parseReviewInterval, periodContaining, periodsSince } from '../src/domain/review-period';
import { findStaleAccess, type AccessHolder } from '../src/domain/stale-access';

const at = (iso: string) => new Date(iso);
const dayMs = 86_400_000;

describe('review periods', () => {
  it('a calendar month (UTC) runs from its first instant to its last millisecond', () => {
    const may = periodContaining(at('2026-05-17T12:00:00Z'), monthly);
    expect(may).toEqual({ label: '2026-05', from: at('2026-05-01T00:00:00.000Z'), to: at('2026-05-31T23:59:59.999Z'), end: at('2026-06-01T00:00:00.000Z') });
    expect(lastEndedPeriod(at('2026-06-01T00:00:00.000Z'), monthly).label).toBe('2026-05');
    expect(lastEndedPeriod(at('2026-05-31T23:59:59.999Z'), monthly).label).toBe('2026-04');
    expect(lastEndedPeriod(at('2026-01-10T00:00:00Z'), monthly).label).toBe('2025-12');
  });

  it('n-day periods sit on one grid from the epoch, so every run cuts time the same way', () => {
    const week = { kind: 'days' as const, days: 7 };
    const p = periodContaining(at('2026-05-17T12:00:00Z'), week);
    expect(p.label).toMatch(/^\d{4}-\d{2}-\d{2}_P7D$/);
    expect((p.from.getTime() / dayMs) % 7).toBe(0);
    expect(p.end.getTime() - p.from.getTime()).toBe(7 * dayMs);
    expect(parsePeriodLabel(p.label, at('2030-01-01T00:00:00Z'))).toEqual(p);
  });

  it('catch-up lists the periods since the tenant existed, oldest first, at most `limit`', () => {
    const last = lastEndedPeriod(at('2026-06-02T00:00:00Z'), monthly);
    expect(periodsSince(at('2026-03-10T00:00:00Z'), last, monthly, 12).map((p) => p.label)).toEqual(['2026-03', '2026-04', '2026-05']);
    expect(periodsSince(at('2020-01-01T00:00:00Z'), last, monthly, 2).map((p) => p.label)).toEqual(['2026-04', '2026-05']);
    // Created in the last instant of a period: that period is still owed.
    expect(periodsSince(at('2026-05-31T23:59:59.999Z'), last, monthly, 12).map((p) => p.label)).toEqual(['2026-05']);
  });

  it('a named period must be well formed, real, on the grid and ended (BAD_USER_INPUT on field period)', () => {
    const now = at('2026-06-15T00:00:00Z');
    expect(parsePeriodLabel('2026-05', now).label).toBe('2026-05');
    for (const bad of ['2026-5', '2026-13', '1999-12', 'May 2026', '2026-05-01', '2026-02-30_P7D', '2026-05-01_P0D', '2026-05-01_P400D', "2026-05'; --", '2026-06', '2027-01']) {
      expect(() => parsePeriodLabel(bad, now)).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'period' }) }));
    }
    // Off the 7-day grid: the message names the period that holds the date.
    expect(() => parsePeriodLabel('2026-05-02_P7D', now)).toThrow(/_P7D/);
    // A real day before 2000 is refused for being before 2000, not as a day that does not exist.
    for (const early of ['1970-01-01_P1D', '1999-12-31_P1D']) expect(() => parsePeriodLabel(early, now)).toThrow('period must start in 2000 or later.');
    expect(() => parsePeriodLabel('2026-02-30_P1D', now)).toThrow('period starts on a date that does not exist.');
  });

  it('ACCESS_REVIEW_INTERVAL and STALE_ACCESS_DAYS are read once, naming bad values', () => {
    expect(parseReviewInterval('monthly')).toEqual(monthly);
    expect(parseReviewInterval('30d')).toEqual({ kind: 'days', days: 30 });
    expect(parseReviewInterval('7')).toEqual({ kind: 'days', days: 7 });
    expect(parseReviewInterval('off')).toBe('off');
    expect(parseReviewInterval('weekly')).toBeUndefined();
    expect(parseReviewInterval('0')).toBeUndefined();
    expect(toAccessReviewConfig(accessReviewVariables.parse({}))).toMatchObject({ interval: monthly, scheduled: true, staleAccessDays: 90 });
    expect(toAccessReviewConfig(accessReviewVariables.parse({ ACCESS_REVIEW_INTERVAL: 'off', STALE_ACCESS_DAYS: '30' }))).toMatchObject({ scheduled: false, staleAccessDays: 30 });
    const bad = accessReviewVariables.safeParse({ ACCESS_REVIEW_INTERVAL: 'fortnightly', STALE_ACCESS_DAYS: '0' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((issue) => issue.path[0]).sort()).toEqual(['ACCESS_REVIEW_INTERVAL', 'STALE_ACCESS_DAYS']);
  });
});

describe('the stale-access rule', () => {
  const asOf = at('2026-06-01T00:00:00Z');
  const holder = (over: Partial<AccessHolder>): AccessHolder => ({ type: 'MEMBER', id: 'm', subject: 's', label: 'l', role: 'admin', grantedAt: at('2025-01-01T00:00:00Z'), lastUsedAt: null, ...over });

  it('privileged access unused for N days is stale; never-used counts from the grant; recent use or a fresh grant is not', () => {
    const findings = findStaleAccess(
      [
        holder({ id: 'idle-admin', lastUsedAt: at('2026-02-01T00:00:00Z') }),
        holder({ id: 'never-used-old', lastUsedAt: null }),
        holder({ id: 'active', lastUsedAt: at('2026-05-20T00:00:00Z') }),
        holder({ id: 'fresh', grantedAt: at('2026-05-01T00:00:00Z') }),
        holder({ id: 'used-after', lastUsedAt: at('2026-06-10T00:00:00Z') }),
        holder({ id: 'idle-scientist', role: 'data_scientist', type: 'API_KEY' }),
        holder({ id: 'idle-viewer', role: 'viewer' }),
      ],
      asOf,
      90,
    );
    expect(findings.map((f) => [f.key, f.idleDays])).toEqual([
      ['member:idle-admin', 120],
      ['member:never-used-old', 516],
      ['api_key:idle-scientist', 516],
    ]);
  });

  it('exactly N days is stale, a millisecond less is not', () => {
    expect(findStaleAccess([holder({ lastUsedAt: new Date(asOf.getTime() - 90 * dayMs) })], asOf, 90)).toHaveLength(1);
    expect(findStaleAccess([holder({ lastUsedAt: new Date(asOf.getTime() - 90 * dayMs + 1) })], asOf, 90)).toHaveLength(0);
  });
});
