import { errorCodes, expectNoErrors, startTestStack, withAuditDetails, type TestStack, type TestTenant } from '@tessera/testing';
import { AccessDirectory } from '@tessera/tenants/ports';
import { AccessReviewSchedules } from '../src/data/access-review-schedule.repository';
import { defaultAccessReviewConfig } from '../src/domain/access-review-config';
import { AccessReviewScheduler } from '../src/domain/access-review-scheduler';
import { AccessReviewWriter } from '../src/domain/access-review-writer';
import { createAuditRelay } from '../src/domain/audit-event-relay';
import { lastEndedPeriod, monthly, periodsSince, type ReviewInterval } from '../src/domain/review-period';

const scheduleFields = 'intervalDays interval scheduled effectiveFrom lastEndedPeriod updatedBy updatedAt';
const getSchedule = `{ accessReviewSchedule { ${scheduleFields} } }`;
const setSchedule = `mutation($days: Int) { setAccessReviewSchedule(intervalDays: $days) { ${scheduleFields} } }`;
const runReview = 'mutation { runAccessReview { id period } }';

interface Schedule {
  intervalDays: number | null;
  interval: string;
  scheduled: boolean;
  effectiveFrom: string | null;
  lastEndedPeriod: string;
  updatedBy: string | null;
}

const dayMs = 86_400_000;
const weekly: ReviewInterval = { kind: 'days', days: 7 };

/**
 * A tenant's own access-review interval (the stack's scheduler is off; the test runs the audit
 * service's scheduler class on its runtime and database account, with a clock it sets): who may
 * read and set it, its bounds and audit event, and that the schedule honours it for that tenant
 * alone.
 */
describe('per-tenant access-review interval', () => {
  let stack: TestStack;
  let acme: TestTenant;
  let globex: TestTenant;
  let acmeAdmin: string;

  beforeAll(async () => {
    stack = await startTestStack({ alerting: { accessReview: { ...defaultAccessReviewConfig, scheduled: false } } });
    acme = await stack.createTenant();
    globex = await stack.createTenant();
    acmeAdmin = await acme.token('admin');
  }, 120_000);
  afterAll(() => stack?.stop());

  function scheduler(clock: () => Date): AccessReviewScheduler {
    const runtime = stack.platform.runtimes.audit;
    const writer = new AccessReviewWriter({
      db: runtime.db,
      relay: createAuditRelay(runtime.db, runtime.keyring),
      access: new AccessDirectory(runtime.db, runtime.config.database.controlSchema),
      staleAccessDays: defaultAccessReviewConfig.staleAccessDays,
      announce: async () => undefined,
      logger: runtime.logger,
      clock,
    });
    const schedules = new AccessReviewSchedules(runtime.db, runtime.config.database.controlSchema);
    return new AccessReviewScheduler({ db: runtime.db, tenants: runtime.tenants, scopes: runtime.scopes, writer, schedules, config: defaultAccessReviewConfig, logger: runtime.logger, clock });
  }

  async function scheduleEvents(tenant: TestTenant): Promise<Array<Record<string, unknown>>> {
    await stack.drainAudit(tenant.id);
    // Chained details are kept sealed beside the chain: opened as the audit service reads them.
    const rows = await withAuditDetails(stack, tenant.id, await stack.adminQuery<Array<{ seq: number; details_json: string | Record<string, unknown> }>>(`SELECT seq, details_json FROM \`${tenant.schema}\`.audit_events WHERE action = 'access_review.schedule' ORDER BY seq`));
    return rows.map((row) => (typeof row.details_json === 'string' ? (JSON.parse(row.details_json) as Record<string, unknown>) : row.details_json));
  }

  async function reviewPeriods(tenant: TestTenant): Promise<string[]> {
    return (await stack.adminQuery<Array<{ period: string }>>(`SELECT period FROM \`${tenant.schema}\`.access_reviews ORDER BY period_start`)).map((row) => row.period);
  }

  it('a tenant admin sets it within bounds (audited); admins and auditors read it; nobody else, and never another tenant’s', async () => {
    expect(expectNoErrors(await stack.query<{ accessReviewSchedule: Schedule }>(acmeAdmin, getSchedule)).accessReviewSchedule).toMatchObject({ intervalDays: null, interval: 'monthly', scheduled: false, effectiveFrom: null }); // this stack runs no schedule of its own

    for (const days of [0, 367, -7]) expect(errorCodes(await stack.query(acmeAdmin, setSchedule, { days }))).toEqual(['BAD_USER_INPUT']);
    for (const role of ['auditor', 'viewer', 'data_scientist'] as const) expect(errorCodes(await stack.query(await acme.token(role), setSchedule, { days: 7 }))).toEqual(['FORBIDDEN']);
    expect(await stack.adminQuery(`SELECT * FROM \`${stack.config.database.controlSchema}\`.access_review_schedules`)).toEqual([]);

    const set = expectNoErrors(await stack.query<{ setAccessReviewSchedule: Schedule }>(acmeAdmin, setSchedule, { days: 7 })).setAccessReviewSchedule;
    expect(set).toMatchObject({ intervalDays: 7, interval: '7d', lastEndedPeriod: lastEndedPeriod(new Date(), weekly).label });
    expect(Math.abs(Date.parse(set.effectiveFrom!) - Date.now())).toBeLessThan(10_000);
    // The same value again changes nothing and records nothing.
    expectNoErrors(await stack.query(acmeAdmin, setSchedule, { days: 7 }));
    expect(await scheduleEvents(acme)).toEqual([{ intervalDays: 7, previousIntervalDays: null, interval: '7d' }]);

    // The auditor reads it; viewers and data scientists do not.
    expect(expectNoErrors(await stack.query<{ accessReviewSchedule: Schedule }>(await acme.token('auditor'), getSchedule)).accessReviewSchedule.intervalDays).toBe(7);
    for (const role of ['viewer', 'data_scientist'] as const) expect(errorCodes(await stack.query(await acme.token(role), getSchedule))).toEqual(['FORBIDDEN']);
    // Globex's schedule is its own: still the platform's.
    expect(expectNoErrors(await stack.query<{ accessReviewSchedule: Schedule }>(await globex.token('admin'), getSchedule)).accessReviewSchedule).toMatchObject({ intervalDays: null, interval: 'monthly' });

    // runAccessReview's default period follows the tenant's interval.
    const lastWeek = lastEndedPeriod(new Date(), weekly).label;
    expect(expectNoErrors(await stack.query<{ runAccessReview: { period: string } }>(acmeAdmin, runReview)).runAccessReview.period).toBe(lastWeek);
  });

  it('the schedule writes the tenant’s shorter periods from the change on, and nothing extra for a tenant on the platform’s interval', async () => {
    // Both tenants existed long before: the weekly choice must back-fill neither months nor weeks from before it was made.
    const longAgo = new Date(Date.now() - 100 * dayMs);
    for (const tenant of [acme, globex]) await stack.adminQuery(`UPDATE \`${stack.config.database.controlSchema}\`.tenants SET created_at = ? WHERE id = ?`, [longAgo, tenant.id]);
    const [row] = await stack.adminQuery<Array<{ effective_from: Date }>>(`SELECT effective_from FROM \`${stack.config.database.controlSchema}\`.access_review_schedules WHERE tenant_id = ?`, [acme.id]);
    const since = new Date(row!.effective_from);
    const manual = lastEndedPeriod(since, weekly).label; // run by hand in the test before

    // Now: globex (monthly) is owed its months since it was created; acme's first week has not ended.
    const now = new Date();
    const globexMonths = periodsSince(longAgo, lastEndedPeriod(now, monthly), monthly, 12).map((p) => p.label);
    expect(globexMonths.length).toBeGreaterThanOrEqual(3);
    const first = await scheduler(() => now).runOnce();
    expect(first.get(globex.id)).toEqual(globexMonths);
    expect(first.get(acme.id)).toBeUndefined();

    // Seventeen days on: acme is owed its weeks since the change (the one holding it included); globex nothing
    // new unless a month ended meanwhile, and then that month only.
    const later = new Date(now.getTime() + 17 * dayMs);
    const acmeOwed = periodsSince(since, lastEndedPeriod(later, weekly), weekly, 12).map((p) => p.label);
    expect(acmeOwed.length).toBeGreaterThanOrEqual(2);
    const globexNew = periodsSince(longAgo, lastEndedPeriod(later, monthly), monthly, 12)
      .map((p) => p.label)
      .filter((label) => !globexMonths.includes(label));
    expect(globexNew.length).toBeLessThanOrEqual(1);
    const second = await scheduler(() => later).runOnce();
    expect(second.get(acme.id)).toEqual(acmeOwed);
    expect(second.get(globex.id) ?? []).toEqual(globexNew);

    expect(await reviewPeriods(acme)).toEqual([manual, ...acmeOwed]);
    expect(await reviewPeriods(globex)).toEqual([...globexMonths, ...globexNew]);
    expect((await reviewPeriods(globex)).some((label) => label.includes('_P'))).toBe(false);

    // A further look writes nothing for either.
    const third = await scheduler(() => later).runOnce();
    expect([third.get(acme.id), third.get(globex.id)]).toEqual([undefined, undefined]);
  });

  it('back to the platform’s interval: monthly from the change on, no back-filled months', async () => {
    const reset = expectNoErrors(await stack.query<{ setAccessReviewSchedule: Schedule }>(acmeAdmin, setSchedule, { days: null })).setAccessReviewSchedule;
    expect(reset).toMatchObject({ intervalDays: null, interval: 'monthly' });
    const since = new Date(reset.effectiveFrom!);
    const monthlyBefore = (await reviewPeriods(acme)).filter((label) => !label.includes('_P'));
    expect(monthlyBefore).toEqual([]);
    const later = new Date(Date.now() + 40 * dayMs);
    const written = (await scheduler(() => later).runOnce()).get(acme.id) ?? [];
    expect(written).toEqual(periodsSince(since, lastEndedPeriod(later, monthly), monthly, 12).map((p) => p.label));
    expect(written.length).toBeLessThanOrEqual(2);
    expect(await scheduleEvents(acme)).toEqual([
      { intervalDays: 7, previousIntervalDays: null, interval: '7d' },
      { intervalDays: null, previousIntervalDays: 7, interval: 'monthly' },
    ]);
  });

  it('first settings sent at once (no row yet) all answer, none an internal error: the row holds one of them and each change in it is audited once', async () => {
    // Several tenants, so the race (two transactions finding no row, both inserting) is met on every run.
    const tenants = await Promise.all(Array.from({ length: 4 }, () => stack.createTenant()));
    const asked = [7, 14, 30, 7];
    for (const tenant of tenants) {
      const admin = await tenant.token('admin');
      const answers = await Promise.all(asked.map((days) => stack.query<{ setAccessReviewSchedule: Schedule }>(admin, setSchedule, { days })));
      expect(answers.map(errorCodes)).toEqual(asked.map(() => []));
    }
    for (const tenant of tenants) await expectConsistent(tenant);
  });

  async function expectConsistent(tenant: TestTenant): Promise<void> {
    const asked = [7, 14, 30];
    const [row] = await stack.adminQuery<Array<{ interval_days: number }>>(`SELECT interval_days FROM \`${stack.config.database.controlSchema}\`.access_review_schedules WHERE tenant_id = ?`, [tenant.id]);
    expect(asked).toContain(Number(row!.interval_days));
    // Every answer is a value the row held; the events chain each change from the one before, ending at the row's.
    const events = await scheduleEvents(tenant);
    expect(events.length).toBeGreaterThanOrEqual(1);
    expect(events[0]!['previousIntervalDays']).toBeNull();
    for (let i = 1; i < events.length; i++) expect(events[i]!['previousIntervalDays']).toBe(events[i - 1]!['intervalDays']);
    expect(events.at(-1)!['intervalDays']).toBe(Number(row!.interval_days));
  }
});
