import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Principal } from '@tessera/auth';
import type { Logger } from '@tessera/config';
import { probeTenantRows, type TenantRecord, type TenantScopeFactory, type TenantStore } from '@tessera/tenancy';
import { reviewWorkQuestions } from '../data/access-review-work.probe';
import type { AccessReviewConfig } from './access-review-config';
import type { AccessReviewWriter } from './access-review-writer';
import type { AccessReviewSchedules } from '../data/access-review-schedule.repository';
import { effectiveSchedule } from './access-review-schedule';
import { lastEndedPeriod, periodsSince, type ReviewPeriod } from './review-period';

export interface AccessReviewSchedulerDeps {
  db: DataSource;
  tenants: TenantStore;
  scopes: TenantScopeFactory;
  writer: AccessReviewWriter;
  /** Each tenant's own interval, where it chose one (the others follow `config.interval`). */
  schedules: AccessReviewSchedules;
  config: AccessReviewConfig;
  logger: Logger;
  /** Which periods have ended; injectable so tests can stand at any date. */
  clock?: () => Date;
}

/** The scheduled review acting for a tenant; it has no role and is no role holder in any report. */
export const accessReviewSubject = 'system:access-review';

function systemPrincipal(tenantId: string): Principal {
  return { kind: 'user', subject: accessReviewSubject, tenantId, roles: [], clientId: undefined, requestId: randomUUID(), sourceIp: undefined };
}

/**
 * Writes each active tenant's review of every ended period, in each audit-service process. Every
 * `checkIntervalMs` it reads the tenants' own intervals (one statement), then asks all active
 * tenants — a hundred per statement, grouped by the periods they are owed — whether every period
 * it owes them has a review (under the tenant's interval, the periods since the tenant was created
 * or last changed its interval, at most `maxCatchUpPeriods` back), and only for those missing one
 * writes the missing periods, oldest first. So a period
 * missed while the service was down is caught up at the next look, and a month with nothing to do
 * costs a statement per hundred tenants per look. Replicas run the same loop: the writer's per-tenant
 * advisory lock and its check under it make each period's review exist once.
 */
export class AccessReviewScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;
  private readonly clock: () => Date;

  constructor(private readonly deps: AccessReviewSchedulerDeps) {
    this.clock = deps.clock ?? (() => new Date());
  }

  start(): void {
    if (!this.deps.config.scheduled || this.timer) return;
    this.stopped = false;
    const tick = () => {
      if (this.stopped) return;
      this.running = this.runOnce()
        .catch((error: unknown) => this.deps.logger.warn('access review pass failed', { error: error instanceof Error ? error.message : String(error) }))
        .finally(() => {
          this.running = undefined;
          if (!this.stopped) this.schedule(tick, this.deps.config.checkIntervalMs);
        });
    };
    this.schedule(tick, this.deps.config.firstCheckDelayMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One look at every active tenant; returns the periods written, by tenant. */
  async runOnce(): Promise<Map<string, string[]>> {
    const now = this.clock();
    const { maxCatchUpPeriods } = this.deps.config;
    const choices = await this.deps.schedules.all();
    const active = (await this.deps.tenants.list()).filter((tenant) => tenant.status === 'ACTIVE');
    // Tenants owed the same periods are asked together: one group per interval and start in use, each a hundred tenants per statement.
    const owed = new Map<string, { periods: ReviewPeriod[]; tenants: TenantRecord[] }>();
    for (const tenant of active) {
      const schedule = effectiveSchedule(this.deps.config, tenant.createdAt, choices.get(tenant.id));
      const last = lastEndedPeriod(now, schedule.interval);
      // A tenant created (or an interval chosen) after the period ended has nothing to review yet.
      if (schedule.since.getTime() >= last.end.getTime()) continue;
      const periods = periodsSince(schedule.since, last, schedule.interval, maxCatchUpPeriods);
      const key = periods.map((period) => period.label).join(',');
      const group = owed.get(key) ?? { periods, tenants: [] };
      group.tenants.push(tenant);
      owed.set(key, group);
    }
    const written = new Map<string, string[]>();
    for (const group of owed.values()) {
      const probe = await probeTenantRows(
        this.deps.db,
        group.tenants.map((tenant) => tenant.id),
        reviewWorkQuestions(group.periods.map((period) => period.label)),
      );
      for (const tenant of group.tenants) {
        if (this.stopped) return written;
        if (probe.found.has(tenant.id)) continue;
        try {
          const scope = await this.deps.scopes.forPrincipal(systemPrincipal(tenant.id));
          const reviews = await this.deps.writer.catchUp(scope, group.periods);
          if (reviews.length > 0) written.set(tenant.id, reviews.map((review) => review.period));
        } catch (error) {
          // Suspended since, over its storage quota, or a store outage: the next look tries again.
          if (!this.stopped) this.deps.logger.warn('access review failed for a tenant', { tenantId: tenant.id, error: error instanceof Error ? error.message : String(error) });
        }
      }
    }
    return written;
  }

  private schedule(tick: () => void, delayMs: number): void {
    this.timer = setTimeout(tick, delayMs);
    this.timer.unref();
  }
}
