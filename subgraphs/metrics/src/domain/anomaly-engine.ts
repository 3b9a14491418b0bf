import type { DataSource } from 'typeorm';
import { RecurringFailureLog, type Logger } from '@tessera/config';
import type { AnomalyDetectionConfig } from '@tessera/monitoring';
import { probeTenantRows, type TenantScope, type TenantScopeFactory, type TenantStore } from '@tessera/tenancy';
import { startedSeriesQuestion, type Anomaly } from '../data/anomaly.repository';
import { detectorPrincipal, detectTenantAnomalies } from './anomaly-detector';
import type { AnomalySourcePorts } from './anomaly-series';
import { TenantSingleFlight } from './tenant-single-flight';

export interface AnomalyEngineDeps {
  db: DataSource;
  scopes: TenantScopeFactory;
  tenants: TenantStore;
  logger: Logger;
  config: AnomalyDetectionConfig;
  /** The owners' ports the data-read and inference series are read through. */
  ports: AnomalySourcePorts;
}

/**
 * Runs detection for this process: a periodic pass over the active tenants whose series have
 * started, and on demand for one tenant (before `anomalies` answers, so what has settled is
 * judged). A started series takes every bucket as an observation, traffic or not, so its tenant is
 * visited every pass. A tenant with no started series is visited only by a full pass, every
 * warm-up (`warmupBuckets` buckets): its first pass judges from its first data on, bucket by
 * bucket as an earlier pass would have, and within the warm-up nothing can be flagged anyway, so
 * starting up to one warm-up late changes no judgement — while a platform of mostly quiet tenants
 * no longer costs a detection transaction per tenant per pass. Passes of one tenant never overlap
 * in the process; across replicas the state rows' locks keep each bucket judged once. Alerting is
 * not done here: each anomaly is committed with an `anomaly.detected` audit event, and the audit
 * service's alerting (rule ANOMALY) raises, stores, webhooks and publishes the alert, like every
 * other alert.
 */
export class AnomalyEngine {
  /** Per tenant, one pass running and one queued behind it, joined by later callers. */
  private readonly passes = new TenantSingleFlight<Anomaly[]>();
  private interval: NodeJS.Timeout | undefined;
  private sweep: Promise<void> | undefined;
  private stopped = false;
  private nextFullPassAt = 0;
  /** How often every active tenant is visited (see the class comment); never more often than the passes. */
  private readonly fullPassIntervalMs: number;
  /** A tenant whose pass keeps failing is logged again every few minutes, not every pass. */
  private readonly passFailures: RecurringFailureLog;

  constructor(private readonly deps: AnomalyEngineDeps) {
    this.passFailures = new RecurringFailureLog(deps.logger, 'anomaly detection pass failed', { repeatEveryMs: 5 * 60_000, level: 'error' });
    const { intervalMs, warmupBuckets, maxCatchUpBuckets, bucketSeconds } = deps.config;
    // The shortest series bucket (inference buckets are a minute, request ones may be shorter).
    this.fullPassIntervalMs = Math.max(intervalMs, Math.min(warmupBuckets, maxCatchUpBuckets) * Math.min(bucketSeconds, 60) * 1000);
  }

  start(): void {
    if (this.deps.config.intervalMs <= 0) return;
    this.interval = setInterval(() => {
      this.sweep ??= this.sweepAll().finally(() => (this.sweep = undefined));
    }, this.deps.config.intervalMs);
    this.interval.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.interval) clearInterval(this.interval);
    await Promise.allSettled([this.sweep, ...this.passes.inFlight()]);
  }

  /**
   * Judges the tenant's settled buckets now; returns the anomalies this pass created. A caller that
   * finds a pass of the tenant still waiting to start joins it: that pass judges everything settled
   * by the time it starts, which is all a second one would judge. So however many fields or
   * requests ask at once, a tenant has at most one pass running and one waiting, and the sweep
   * never waits out a queue one tenant built.
   */
  runFor(scope: TenantScope): Promise<Anomaly[]> {
    return this.passes.run(scope.tenant.id, () => detectTenantAnomalies(scope, this.deps.config, this.deps.ports));
  }

  /** Like runFor, for readers: a failed pass (e.g. a lock timeout) is logged and the stored anomalies still answer. */
  async refresh(scope: TenantScope): Promise<void> {
    await this.runFor(scope).catch((error: unknown) => {
      this.deps.logger.error('on-demand anomaly detection failed', { tenantId: scope.tenant.id, error: error instanceof Error ? error.message : String(error) });
    });
  }

  private async sweepAll(): Promise<void> {
    let tenants: string[];
    try {
      tenants = await this.tenantsToVisit(Date.now());
    } catch (error) {
      if (!this.stopped) this.deps.logger.warn('anomaly sweep could not list tenants', { error: String(error) });
      return;
    }
    for (const tenantId of tenants) {
      if (this.stopped) return;
      try {
        await this.runFor(await this.deps.scopes.forPrincipal(detectorPrincipal(tenantId)));
        this.passFailures.succeeded(tenantId, { tenantId });
      } catch (error) {
        if (!this.stopped) this.passFailures.failed(tenantId, error, { tenantId });
      }
    }
  }

  /** Every active tenant on a full pass; otherwise those with a started series (asked many per statement). */
  private async tenantsToVisit(now: number): Promise<string[]> {
    const active = (await this.deps.tenants.listStatuses()).filter((tenant) => tenant.status === 'ACTIVE').map((tenant) => tenant.id);
    this.passFailures.forgetAllBut(active);
    if (now >= this.nextFullPassAt) {
      this.nextFullPassAt = now + this.fullPassIntervalMs;
      return active;
    }
    const probe = await probeTenantRows(this.deps.db, active, [startedSeriesQuestion]);
    // A tenant that could not be asked gets its pass anyway: its failure is logged there.
    return active.filter((tenantId) => probe.found.has(tenantId) || probe.failed.has(tenantId));
  }
}
