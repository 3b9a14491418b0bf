import { assertPermission } from '@tessera/auth';
import { recordAuditEvent } from '@tessera/audit-client';
import { errors } from '@tessera/errors';
import type { TenantScope } from '@tessera/tenancy';
import type { AccessReviewScheduleRow, AccessReviewSchedules } from '../data/access-review-schedule.repository';
import type { AccessReviewConfig } from './access-review-config';
import { lastEndedPeriod, maxIntervalDays, type ReviewInterval, type ReviewPeriod } from './review-period';

/** The review interval in force for one tenant, and since when periods are owed under it. */
export interface EffectiveSchedule {
  interval: ReviewInterval;
  /** The tenant's own interval in days; null when it follows the deployment's (ACCESS_REVIEW_INTERVAL). */
  intervalDays: number | null;
  /** Periods are owed from here: the tenant's creation, or the last change of its interval if later. */
  since: Date;
  row: AccessReviewScheduleRow | undefined;
}

export function effectiveSchedule(config: Pick<AccessReviewConfig, 'interval'>, tenantCreatedAt: Date, row: AccessReviewScheduleRow | undefined): EffectiveSchedule {
  const intervalDays = row?.intervalDays ?? null;
  const since = row && row.effectiveFrom.getTime() > tenantCreatedAt.getTime() ? row.effectiveFrom : tenantCreatedAt;
  return { interval: intervalDays === null ? config.interval : { kind: 'days', days: intervalDays }, intervalDays, since, row };
}

export function intervalLabel(interval: ReviewInterval): string {
  return interval.kind === 'monthly' ? 'monthly' : `${interval.days}d`;
}

/** The days a tenant may choose: a review at least every `maxIntervalDays`, at most daily. */
export function parseIntervalDays(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > maxIntervalDays) {
    throw errors.badInput(`intervalDays must be a whole number of days from 1 to ${maxIntervalDays}, or null for the platform's interval.`, { field: 'intervalDays' });
  }
  return value;
}

export interface AccessReviewScheduleView extends EffectiveSchedule {
  scheduled: boolean;
  lastEndedPeriod: ReviewPeriod;
}

/** MySQL's ER_LOCK_DEADLOCK. */
const deadlock = 1213;
const attemptsOnDeadlock = 5;

/**
 * Runs a setting's transaction again when InnoDB chose it as a deadlock's victim (it was rolled
 * back whole: no row, no audit event). A tenant's first settings sent at once both find no row to
 * lock (`SELECT … FOR UPDATE` of a missing row takes a gap lock, which does not exclude another),
 * then both insert: one of them deadlocks. Run again, it finds the other's row and takes its turn.
 * Before, that one answered INTERNAL_SERVER_ERROR. Still a deadlock after five runs: CONFLICT.
 */
async function onceWithoutDeadlock<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      const errno = (error as { errno?: number; driverError?: { errno?: number } } | null)?.errno ?? (error as { driverError?: { errno?: number } } | null)?.driverError?.errno;
      if (errno !== deadlock) throw error;
      if (attempt >= attemptsOnDeadlock) throw errors.conflict('Other changes of the access-review schedule were being made at the same moment: nothing was changed; set it again.', { reason: 'SCHEDULE_BUSY' });
    }
  }
}

/**
 * A tenant's access-review interval. Its admins set it (audited as `access_review.schedule` in
 * the tenant's chain, in the transaction that changes it); its auditors and admins read it. The
 * scheduler honours it from the next look on.
 */
export class AccessReviewScheduleService {
  constructor(
    private readonly scope: TenantScope,
    private readonly schedules: AccessReviewSchedules,
    private readonly config: Pick<AccessReviewConfig, 'interval' | 'scheduled'>,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async get(): Promise<AccessReviewScheduleView> {
    assertPermission(this.scope.principal, 'audit');
    return this.view(await this.schedules.of(this.scope.tenant.id));
  }

  async set(intervalDaysArg: unknown): Promise<AccessReviewScheduleView> {
    assertPermission(this.scope.principal, 'administer');
    const intervalDays = parseIntervalDays(intervalDaysArg);
    const now = this.clock();
    const saved = await onceWithoutDeadlock(() => this.scope.transaction(async (manager) => {
      const current = await this.schedules.lock(manager, this.scope.tenant.id);
      if ((current?.intervalDays ?? null) === intervalDays) return current;
      const row: AccessReviewScheduleRow = { tenantId: this.scope.tenant.id, intervalDays, effectiveFrom: now, updatedBy: this.scope.principal.subject, updatedAt: now };
      await this.schedules.save(manager, row);
      await recordAuditEvent(manager, this.scope.principal, {
        action: 'access_review.schedule',
        targetType: 'Tenant',
        targetId: this.scope.tenant.id,
        details: { intervalDays, previousIntervalDays: current?.intervalDays ?? null, interval: intervalLabel(intervalDays === null ? this.config.interval : { kind: 'days', days: intervalDays }) },
      });
      return row;
    }));
    return this.view(saved);
  }

  private view(row: AccessReviewScheduleRow | undefined): AccessReviewScheduleView {
    const schedule = effectiveSchedule(this.config, this.scope.tenant.createdAt, row);
    return { ...schedule, scheduled: this.config.scheduled, lastEndedPeriod: lastEndedPeriod(this.clock(), schedule.interval) };
  }
}
