import type { DataSource } from 'typeorm';
import { relayChain, securityChain, tenantAuditChain } from '@tessera/audit-client';
import type { Logger } from '@tessera/config';
import type { TenantStore } from '@tessera/tenancy';
import type { AuditCheckpointService } from './audit-checkpoint.service';

export interface AuditRelayDeps {
  db: DataSource;
  tenants: TenantStore;
  controlSchema: string;
  /** Signs heads periodically; absent = relay only. */
  checkpoints: AuditCheckpointService | undefined;
  logger: Logger;
  /** How often every outbox is swept into its chain. */
  relayIntervalMs: number;
  /** How often each chain's head is signed (only chains that moved get a new checkpoint). */
  checkpointIntervalMs: number;
}

/**
 * The audit service's background work: sweep every tenant's outbox (and the platform security
 * log's) into the hash chain, and sign chain heads periodically. Runs in each audit-service
 * process; replicas do not collide (each chain is relayed under its own MySQL lock, and a sweep
 * skips a chain another replica is relaying). While no audit service runs, events simply wait in
 * the outboxes, committed with the changes they describe.
 */
export class AuditRelay {
  private relayTimer: NodeJS.Timeout | undefined;
  private checkpointTimer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();
  private started = false;
  /** Set by stop(): loops end, a sweep in progress ends after its current chain. */
  private stopped = false;

  constructor(private readonly deps: AuditRelayDeps) {}

  start(): void {
    if (this.started) return;
    this.started = true;
    this.stopped = false;
    const loop = (task: () => Promise<void>, intervalMs: number, set: (timer: NodeJS.Timeout) => void) => {
      const tick = () => {
        if (this.stopped) return;
        const run = task()
          .catch((error: unknown) => this.deps.logger.warn('audit chain task failed', { error: error instanceof Error ? error.message : String(error) }))
          .finally(() => {
            this.inFlight.delete(run);
            if (!this.stopped) set(setTimeout(tick, intervalMs));
          });
        this.inFlight.add(run);
      };
      set(setTimeout(tick, intervalMs));
    };
    loop(() => this.sweep(), this.deps.relayIntervalMs, (timer) => (this.relayTimer = timer));
    if (this.deps.checkpoints && this.deps.checkpointIntervalMs > 0) {
      loop(() => this.checkpointAll(), this.deps.checkpointIntervalMs, (timer) => (this.checkpointTimer = timer));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.started = false;
    clearTimeout(this.relayTimer);
    clearTimeout(this.checkpointTimer);
    await Promise.all([...this.inFlight]);
  }

  /** One pass over every chain; a chain that fails (e.g. a tenant being erased) does not stop the others. */
  async sweep(): Promise<void> {
    for (const tenant of await this.deps.tenants.list()) {
      if (this.stopped) return;
      if (tenant.status === 'PROVISIONING') continue;
      await relayChain(this.deps.db, tenantAuditChain(tenant.id)).catch((error: unknown) =>
        this.deps.logger.warn('audit relay failed for a tenant', { tenantId: tenant.id, error: error instanceof Error ? error.message : String(error) }),
      );
    }
    await relayChain(this.deps.db, securityChain(this.deps.controlSchema));
  }

  async checkpointAll(): Promise<void> {
    const checkpoints = this.deps.checkpoints;
    if (!checkpoints) return;
    for (const tenant of await this.deps.tenants.list()) {
      if (this.stopped) return;
      if (tenant.status === 'PROVISIONING') continue;
      await checkpoints.checkpointTenant(tenant).catch((error: unknown) =>
        this.deps.logger.warn('audit checkpoint failed for a tenant', { tenantId: tenant.id, error: error instanceof Error ? error.message : String(error) }),
      );
    }
    await checkpoints.checkpointPlatform(this.deps.controlSchema);
  }
}
