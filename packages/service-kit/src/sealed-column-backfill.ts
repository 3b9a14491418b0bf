import { randomUUID } from 'node:crypto';
import type { Principal } from '@tessera/auth';
import type { Logger } from '@tessera/config';
import type { TenantScopeFactory, TenantStore } from '@tessera/tenancy';
import { sealLegacyColumn, type SealedColumnSpec } from './sealed-column-store';

export interface SealedColumnBackfillDeps {
  scopes: TenantScopeFactory;
  tenants: Pick<TenantStore, 'listStatuses'>;
  logger: Logger;
  specs: readonly SealedColumnSpec[];
  /** Values per statement batch (default 100). */
  batchSize?: number;
  /** Wait after start before the first pass (default 2 s: the service answers first). */
  delayMs?: number;
  /** Wait before the pass is tried again when the tenants could not be listed (default 60 s). */
  retryDelayMs?: number;
}

/**
 * Seals the legacy clear values an owner's tables still hold (rows written before sealing, marked
 * version 0 by the migration that added the version column). Migrations cannot do it: they run as
 * the migrator, which holds no key. Each owner runs one pass after it starts, tenant by tenant;
 * every value is sealed with a compare-and-set on the legacy marker, so replicas doing the same
 * pass at once, or a writer sealing the row meanwhile, never lose a value. Resumable by
 * construction: what is left is what is still marked 0. A tenant that fails (suspended, its key
 * provider down) is skipped and logged; the next start takes it again. A pass that cannot list the
 * tenants (the control plane unreachable at start) is logged and tried again after `retryDelayMs`.
 */
export class SealedColumnBackfill {
  private running: Promise<number> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly deps: SealedColumnBackfillDeps) {}

  start(): void {
    if (this.timer || this.stopped) return;
    this.schedule(this.deps.delayMs ?? 2000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One pass over every active tenant; returns how many values it sealed. */
  run(): Promise<number> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  /** One tenant's legacy values, sealed now (tests; the pass uses it for each tenant). */
  async runForTenant(tenantId: string): Promise<number> {
    const scope = await this.deps.scopes.forPrincipal(backfillActor(tenantId));
    const batch = this.deps.batchSize ?? 100;
    let sealed = 0;
    for (const spec of this.deps.specs) {
      for (;;) {
        if (this.stopped) return sealed;
        const moved = await sealLegacyColumn(scope, spec, batch);
        sealed += moved;
        if (moved < batch) break;
      }
    }
    return sealed;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.run().catch((error: unknown) => this.deps.logger.error('sealed column backfill pass failed', { error: error instanceof Error ? error.message : String(error) }));
    }, delayMs);
    this.timer.unref();
  }

  private async pass(): Promise<number> {
    let tenants: Awaited<ReturnType<SealedColumnBackfillDeps['tenants']['listStatuses']>>;
    try {
      tenants = await this.deps.tenants.listStatuses();
    } catch (error) {
      const retryInMs = this.deps.retryDelayMs ?? 60_000;
      this.deps.logger.warn('sealed column backfill could not list tenants; will retry', { retryInMs, error: error instanceof Error ? error.message : String(error) });
      if (!this.stopped) this.schedule(retryInMs);
      return 0;
    }
    let sealed = 0;
    for (const tenant of tenants) {
      if (this.stopped) break;
      if (tenant.status !== 'ACTIVE') continue;
      try {
        const moved = await this.runForTenant(tenant.id);
        if (moved > 0) this.deps.logger.info('sealed legacy column values', { tenantId: tenant.id, sealed: moved });
        sealed += moved;
      } catch (error) {
        this.deps.logger.warn('could not seal legacy column values', { tenantId: tenant.id, error: error instanceof Error ? error.message : String(error) });
      }
    }
    return sealed;
  }
}

/** The backfill acts for the tenant as the platform, with no role (it checks none and must not appear as a role holder). */
function backfillActor(tenantId: string): Principal {
  return { kind: 'user', subject: 'system:sealed-columns', tenantId, roles: [], clientId: undefined, requestId: randomUUID(), sourceIp: undefined };
}
