import type { DataSource } from 'typeorm';
import type { Logger } from '@tessera/config';
import { isTesseraError } from '@tessera/errors';
import { quoteIdentifier, withAdvisoryLock, type TenantKeyring, type TenantStore } from '@tessera/tenancy';
import { dayMs } from './tenant-data-key.service';

export interface ScheduledKeyRotationDeps {
  db: DataSource;
  controlSchema: string;
  tenants: TenantStore;
  keyring: TenantKeyring;
  logger: Logger;
}

/** How often the tenants service looks for data keys older than their tenant's `keyRotationDays`. */
export const defaultKeyRotationCheckMs = 60 * 60 * 1000;

/**
 * Rotates each active tenant's data key once it is older than the tenant's `keyRotationDays`.
 * Every replica runs the check; a MySQL advisory lock lets exactly one do it at a time, and the
 * age is read from `tenant_keys` under that lock, so a replica that comes second finds the fresh
 * key and rotates nothing.
 */
export class ScheduledKeyRotation {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private readonly keysTable: string;

  constructor(
    private readonly deps: ScheduledKeyRotationDeps,
    private readonly intervalMs = defaultKeyRotationCheckMs,
  ) {
    this.keysTable = `${quoteIdentifier(deps.controlSchema)}.tenant_keys`;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.check()
        .catch((error: unknown) => this.deps.logger.warn('scheduled data-key rotation failed', { error: String(error) }))
        .finally(() => {
          this.running = undefined;
        });
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass; returns the tenants rotated (none when another replica holds the lock). */
  async check(now = new Date()): Promise<string[]> {
    try {
      return await withAdvisoryLock(this.deps.db, `tessera_data_key_rotation:${this.deps.controlSchema}`, { waitSeconds: 0, busyMessage: 'another replica is rotating' }, () => this.rotateDue(now));
    } catch (error) {
      if (isTesseraError(error) && error.code === 'CONFLICT') return [];
      throw error;
    }
  }

  private async rotateDue(now: Date): Promise<string[]> {
    const rows = (await this.deps.db.query(`SELECT tenant_id, MAX(created_at) AS newest FROM ${this.keysTable} WHERE status = 'ACTIVE' GROUP BY tenant_id`)) as Array<{ tenant_id: string; newest: Date }>;
    const rotated: string[] = [];
    for (const row of rows) {
      const tenant = await this.deps.tenants.find(row.tenant_id);
      if (!tenant || tenant.status !== 'ACTIVE') continue;
      if (new Date(row.newest).getTime() + tenant.limits.keyRotationDays * dayMs > now.getTime()) continue;
      await this.deps.keyring.rotate(tenant.id, { reason: 'scheduled' });
      rotated.push(tenant.id);
    }
    return rotated;
  }
}
