import type { Logger } from '@tessera/config';
import type { AnomalyDetectionConfig } from '@tessera/monitoring';
import type { TenantScope, TenantScopeFactory, TenantStore } from '@tessera/tenancy';
import type { Anomaly } from '../data/anomaly.repository';
import { detectorPrincipal, detectTenantAnomalies } from './anomaly-detector';

export interface AnomalyEngineDeps {
  scopes: TenantScopeFactory;
  tenants: TenantStore;
  logger: Logger;
  config: AnomalyDetectionConfig;
}

/**
 * Runs detection for this process: a periodic pass over every active tenant, and on demand for
 * one tenant (before `anomalies` answers, so what has settled is judged). Passes of one tenant
 * never overlap in the process; across replicas the state rows' locks keep each bucket judged
 * once. Alerting is not done here: each anomaly is committed with an `anomaly.detected` audit
 * event, and the audit service's alerting (rule ANOMALY) raises, stores, webhooks and publishes
 * the alert, like every other alert.
 */
export class AnomalyEngine {
  private readonly running = new Map<string, Promise<Anomaly[]>>();
  private interval: NodeJS.Timeout | undefined;
  private sweep: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly deps: AnomalyEngineDeps) {}

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
    await Promise.allSettled([this.sweep, ...this.running.values()]);
  }

  /** Judges the tenant's settled buckets now; returns the anomalies this pass created. */
  runFor(scope: TenantScope): Promise<Anomaly[]> {
    const tenantId = scope.tenant.id;
    const previous = this.running.get(tenantId) ?? Promise.resolve([]);
    const next = previous.catch(() => []).then(() => detectTenantAnomalies(scope, this.deps.config));
    this.running.set(tenantId, next);
    void next
      .finally(() => {
        if (this.running.get(tenantId) === next) this.running.delete(tenantId);
      })
      .catch(() => undefined);
    return next;
  }

  /** Like runFor, for readers: a failed pass (e.g. a lock timeout) is logged and the stored anomalies still answer. */
  async refresh(scope: TenantScope): Promise<void> {
    await this.runFor(scope).catch((error: unknown) => {
      this.deps.logger.error('on-demand anomaly detection failed', { tenantId: scope.tenant.id, error: error instanceof Error ? error.message : String(error) });
    });
  }

  private async sweepAll(): Promise<void> {
    let tenants: Array<{ id: string; status: string }>;
    try {
      tenants = await this.deps.tenants.list();
    } catch (error) {
      if (!this.stopped) this.deps.logger.warn('anomaly sweep could not list tenants', { error: String(error) });
      return;
    }
    for (const tenant of tenants) {
      if (this.stopped) return;
      if (tenant.status !== 'ACTIVE') continue;
      try {
        await this.runFor(await this.deps.scopes.forPrincipal(detectorPrincipal(tenant.id)));
      } catch (error) {
        if (!this.stopped) this.deps.logger.error('anomaly detection pass failed', { tenantId: tenant.id, error: error instanceof Error ? error.message : String(error) });
      }
    }
  }
}
