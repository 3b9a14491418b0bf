import type { AccessDirectory, ApiKeyRecord, Membership } from '@tessera/tenants/ports';

export interface AccessCacheOptions {
  /** How long a membership or key is reused without asking the database (changes announced on Redis drop it sooner). */
  ttlMs: number;
  /** Entries per map before the oldest is dropped. */
  maxEntries?: number;
}

interface Entry<V> {
  value: V;
  tenantId: string | undefined;
  expiresAt: number;
}

/**
 * Memberships and API keys as the gateway last read them, for a short while: a busy caller costs
 * no query per request. Every entry is dropped when the tenants service announces a change to
 * its tenant (access-change-subscriber.ts), and everything when that announcement channel was
 * interrupted. A read that started before an announcement is not stored (the generation moved),
 * so a value read just before a removal cannot outlive it in the cache.
 */
export class AccessCache {
  private readonly members = new Map<string, Entry<Membership>>();
  private readonly keys = new Map<string, Entry<ApiKeyRecord | undefined>>();
  private generation = 0;
  private readonly maxEntries: number;

  constructor(
    private readonly directory: AccessDirectory,
    private readonly options: AccessCacheOptions,
  ) {
    this.maxEntries = options.maxEntries ?? 10_000;
  }

  /** The standing of `subject` in the tenant (its role, or none and why); see AccessDirectory.membership. */
  async membership(tenantId: string, subject: string, verifiedEmail: string | undefined): Promise<Membership> {
    const key = JSON.stringify([tenantId, subject, verifiedEmail ?? null]);
    return this.cached(this.members, key, tenantId, () => this.directory.membership(tenantId, subject, verifiedEmail));
  }

  async apiKey(id: string): Promise<ApiKeyRecord | undefined> {
    return this.cached(this.keys, id, undefined, () => this.directory.apiKey(id), (record) => record?.tenantId);
  }

  /** A change of the tenant's members or keys was announced. Unknown keys go too (one may just have been created). */
  forgetTenant(tenantId: string): void {
    this.generation += 1;
    for (const map of [this.members, this.keys] as Array<Map<string, Entry<unknown>>>) {
      for (const [key, entry] of map) if (entry.tenantId === tenantId || entry.tenantId === undefined) map.delete(key);
    }
  }

  forgetAll(): void {
    this.generation += 1;
    this.members.clear();
    this.keys.clear();
  }

  private async cached<V>(map: Map<string, Entry<V>>, key: string, tenantId: string | undefined, load: () => Promise<V>, tenantOf?: (value: V) => string | undefined): Promise<V> {
    const now = Date.now();
    const hit = map.get(key);
    if (hit && hit.expiresAt > now) return hit.value;
    const generation = this.generation;
    const value = await load();
    if (generation === this.generation && this.options.ttlMs > 0) {
      map.delete(key);
      if (map.size >= this.maxEntries) {
        const oldest = map.keys().next();
        if (!oldest.done) map.delete(oldest.value);
      }
      map.set(key, { value, tenantId: tenantOf ? tenantOf(value) : tenantId, expiresAt: now + this.options.ttlMs });
    }
    return value;
  }
}
