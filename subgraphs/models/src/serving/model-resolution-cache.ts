/**
 * What `predict` resolved (model + version or alias → the version and the model's serving
 * settings), per tenant, so a warm call reaches no database. Exact across replicas: every entry
 * carries the tenant's serving generation read BEFORE the database read that produced it, and is
 * used only after Redis confirmed, in the same script that counts the prediction, that the
 * generation has not moved since (see serving-generations.ts). Any change that bumps the
 * generation therefore invalidates every replica's entries of that tenant for the next call.
 *
 * Keys are the tenant id and the caller's handle; one tenant's entries are never looked up for
 * another (the map is per tenant, and the tenant comes from the verified scope, never the input).
 */
export interface CachedResolution<T> {
  target: T;
  generation: string;
}

export interface ModelResolutionCacheOptions {
  /** Tenants with entries (least recently used dropped past it). */
  maxTenants: number;
  /** Entries per tenant (least recently used dropped past it). */
  maxEntriesPerTenant: number;
  /**
   * An entry older than this is not used, whatever the generation says: the bound on staleness if
   * a change could not be announced (Redis unreachable from the changing replica only).
   */
  maxAgeMs: number;
}

interface TenantEntries<T> {
  generation: string;
  entries: Map<string, { target: T; at: number }>;
}

export class ModelResolutionCache<T> {
  private readonly tenants = new Map<string, TenantEntries<T>>();

  constructor(private readonly options: ModelResolutionCacheOptions = { maxTenants: 1_000, maxEntriesPerTenant: 256, maxAgeMs: 60_000 }) {}

  get(tenantId: string, handle: string, now = Date.now()): CachedResolution<T> | undefined {
    const tenant = this.tenants.get(tenantId);
    const entry = tenant?.entries.get(handle);
    if (!tenant || !entry) return undefined;
    if (now - entry.at > this.options.maxAgeMs) {
      tenant.entries.delete(handle);
      return undefined;
    }
    return { target: entry.target, generation: tenant.generation };
  }

  /**
   * Stores what was read from the database under the generation read before it. A newer
   * generation replaces the tenant's entries (they belong to the state before the change).
   */
  set(tenantId: string, generation: string, handle: string, target: T, now = Date.now()): void {
    let tenant = this.tenants.get(tenantId);
    if (tenant && tenant.generation !== generation) {
      tenant.entries.clear();
      tenant.generation = generation;
    }
    if (!tenant) {
      tenant = { generation, entries: new Map() };
      if (this.tenants.size >= this.options.maxTenants) this.tenants.delete(this.tenants.keys().next().value!);
    } else {
      this.tenants.delete(tenantId);
    }
    this.tenants.set(tenantId, tenant);
    tenant.entries.delete(handle);
    if (tenant.entries.size >= this.options.maxEntriesPerTenant) tenant.entries.delete(tenant.entries.keys().next().value!);
    tenant.entries.set(handle, { target, at: now });
  }

  /** Drops everything of one tenant here (e.g. when its data is erased); other replicas learn through the generation. */
  forgetTenant(tenantId: string): void {
    this.tenants.delete(tenantId);
  }

  /** Entries held for a tenant (tests, stats). */
  size(tenantId: string): number {
    return this.tenants.get(tenantId)?.entries.size ?? 0;
  }
}
