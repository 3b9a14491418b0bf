import { errors } from '@tessera/errors';
import { isTenantId } from '../tenant-id';
import type { TenantRecord } from '../tenant-record';
import type { TenantStore } from './tenant-store';

/**
 * Answers "is this tenant real and active?" on every request, from a short-lived cache so the
 * hot path does not hit MySQL each time. The TTL bounds how long a suspension takes to bite.
 */
export class TenantDirectory {
  private readonly cache = new Map<string, { record: TenantRecord | undefined; until: number }>();

  constructor(
    private readonly store: TenantStore,
    private readonly ttlMs: number,
  ) {}

  async find(tenantId: string): Promise<TenantRecord | undefined> {
    if (!isTenantId(tenantId)) return undefined;
    const hit = this.cache.get(tenantId);
    if (hit && hit.until > Date.now()) return hit.record;
    const record = await this.store.find(tenantId);
    if (this.ttlMs > 0) this.cache.set(tenantId, { record, until: Date.now() + this.ttlMs });
    return record;
  }

  /** The tenant a caller may act in; unknown and suspended tenants are FORBIDDEN. */
  async requireActive(tenantId: string | undefined): Promise<TenantRecord> {
    if (!tenantId) throw errors.forbidden('The access token names no tenant.');
    const record = await this.find(tenantId);
    if (!record) throw errors.forbidden('The tenant in the access token is not known.');
    if (record.status !== 'ACTIVE') throw errors.forbidden(`The tenant is ${record.status.toLowerCase()}.`);
    return record;
  }

  invalidate(tenantId: string): void {
    this.cache.delete(tenantId);
  }
}
