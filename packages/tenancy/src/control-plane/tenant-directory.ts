import { errors } from '@tessera/errors';
import { isTenantId } from '../tenant-id';
import type { TenantRecord } from '../tenant-record';
import type { TenantStore } from './tenant-store';

/** Tenants remembered at most (known and unknown ids together) before the oldest entry goes. */
export const defaultTenantDirectoryEntries = 10_000;

/**
 * Answers "is this tenant real and active?" on every request, from a short-lived cache so the
 * hot path does not hit MySQL each time. The TTL bounds how long a suspension takes to bite.
 *
 * Unknown ids are cached too (a token of a deleted tenant asks again and again), and the gateway
 * also looks up the tenant an unverified, possibly forged token claims (auth-failure-log.ts): so
 * expired entries are dropped as new ones arrive and the cache holds at most `maxEntries`, or
 * anyone could grow it by one entry per made-up tenant id for the life of the process.
 */
export class TenantDirectory {
  /** In insertion order, which is expiry order: every entry lives `ttlMs` and is re-inserted when refreshed. */
  private readonly cache = new Map<string, { record: TenantRecord | undefined; until: number }>();

  constructor(
    private readonly store: TenantStore,
    private readonly ttlMs: number,
    private readonly maxEntries: number = defaultTenantDirectoryEntries,
  ) {}

  async find(tenantId: string): Promise<TenantRecord | undefined> {
    if (!isTenantId(tenantId)) return undefined;
    const hit = this.cache.get(tenantId);
    if (hit && hit.until > Date.now()) return hit.record;
    const record = await this.store.find(tenantId);
    if (this.ttlMs > 0) this.remember(tenantId, record);
    return record;
  }

  /** Tenant ids currently cached (known or not). */
  get cachedEntries(): number {
    return this.cache.size;
  }

  private remember(tenantId: string, record: TenantRecord | undefined): void {
    const now = Date.now();
    this.cache.delete(tenantId);
    for (const [id, entry] of this.cache) {
      if (entry.until > now && this.cache.size < this.maxEntries) break;
      this.cache.delete(id);
    }
    this.cache.set(tenantId, { record, until: now + this.ttlMs });
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

  /** Forgets every tenant: after announcements of changes may have been missed (see tenant-changes.ts). */
  clear(): void {
    this.cache.clear();
  }
}
