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
  /** Moves with every invalidate and clear: a read that saw it move while in flight may predate the change. */
  private drops = 0;

  constructor(
    private readonly store: TenantStore,
    private readonly ttlMs: number,
    private readonly maxEntries: number = defaultTenantDirectoryEntries,
  ) {}

  async find(tenantId: string): Promise<TenantRecord | undefined> {
    if (!isTenantId(tenantId)) return undefined;
    const hit = this.cache.get(tenantId);
    if (hit && hit.until > Date.now()) return hit.record;
    const dropsBefore = this.drops;
    const record = await this.store.find(tenantId);
    // A change announced while the read was in flight may have been made after the row was read:
    // kept, the old record would outlive the announcement by the whole TTL. It is answered (it was
    // current a moment ago) and not remembered; the next find reads again. Any tenant's drop counts:
    // announcements are rare, and a read not remembered costs one more read.
    if (this.ttlMs > 0 && this.drops === dropsBefore) this.remember(tenantId, record);
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
    this.drops += 1;
    this.cache.delete(tenantId);
  }

  /** Forgets every tenant: after announcements of changes may have been missed (see tenant-changes.ts). */
  clear(): void {
    this.drops += 1;
    this.cache.clear();
  }
}
