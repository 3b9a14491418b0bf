import type { DataSource } from 'typeorm';
import { errors } from '@tessera/errors';
import { destroyBucket, ensureBucket, regionUnavailable, type ObjectStoreClient, type RegionalObjectStores } from '@tessera/storage';
import type { TenantStore } from '../control-plane/tenant-store';
import type { TenantKeyring } from '../control-plane/tenant-keyring';
import type { TenantDirectory } from '../control-plane/tenant-directory';
import { assertTenantId, tenantBucketName, tenantSchemaName } from '../tenant-id';
import { tenantTiers, type TenantRecord, type TenantTier } from '../tenant-record';
import { parseLimitOverrides, type TenantLimitOverrides } from '../tenant-limits';
import { withAdvisoryLock } from '../advisory-lock';
import type { SchemaManager } from './schema-manager';

export interface ProvisionTenantInput {
  id: string;
  displayName: string;
  region: string;
  tier: TenantTier;
  /** Limits for this tenant alone; every limit not named follows the platform default. */
  limits?: TenantLimitOverrides | undefined;
}

export interface ProvisionerDeps {
  db: DataSource;
  store: TenantStore;
  keyring: TenantKeyring;
  directory: TenantDirectory;
  schemas: SchemaManager;
  /**
   * Each served region's store: a tenant's bucket is created (and destroyed) in its own region's
   * store, under `sts` with credentials scoped to that bucket, so provisioning needs no right on
   * any other tenant's bucket.
   */
  objectStores: RegionalObjectStores;
  bucketPrefix: string;
  /** Regions this deployment can hold data in (data residency); a tenant must pick one. */
  regions: readonly string[];
}

/**
 * Creates everything a tenant owns: the control-plane row, its MySQL schema (migrated), its
 * bucket in its region, and its first data key. Idempotent: provisioning an existing tenant
 * returns it. A failure half-way removes whatever the attempt created, so no orphan schema or
 * bucket is left; a crash half-way leaves the row in PROVISIONING, and the next attempt for the
 * same id finishes (or cleans up) the job.
 */
export class TenantProvisioner {
  constructor(private readonly deps: ProvisionerDeps) {}

  /**
   * `beforeActive` runs once schema, bucket and key exist and before the tenant turns ACTIVE (e.g.
   * to add its first admin): if it fails, everything is removed as for any other failure, so no
   * tenant is ever usable without it. It does not run for a tenant that already exists.
   */
  async provision(input: ProvisionTenantInput, hooks: { beforeActive?: (tenantId: string) => Promise<void> } = {}): Promise<{ tenant: TenantRecord; created: boolean }> {
    const request = this.validate(input);
    return this.withTenantLock(request.id, async () => {
      const existing = await this.deps.store.find(request.id);
      if (existing && existing.status !== 'PROVISIONING') {
        // A tenant's region never changes by provisioning again: moving its bytes is a migration.
        if (existing.region !== request.region) {
          throw errors.conflict(`Tenant ${request.id} already exists in region ${existing.region}; a tenant's region changes only by a region migration.`, { reason: 'REGION_IMMUTABLE', region: existing.region });
        }
        if (existing.tier !== request.tier) {
          throw errors.conflict(`Tenant ${request.id} already exists with region ${existing.region} and tier ${existing.tier}.`);
        }
        return { tenant: existing, created: false };
      }
      if (existing && existing.region !== request.region) {
        throw errors.conflict(`Tenant ${request.id} is being provisioned in region ${existing.region}.`, { reason: 'REGION_IMMUTABLE', region: existing.region });
      }
      if (!existing) {
        // A schema or bucket without a control-plane row is not ours to adopt (or to drop on failure).
        if (
          (await this.deps.schemas.schemaExists(tenantSchemaName(request.id), request.region)) ||
          (await this.bucketClient(request).bucketExists(tenantBucketName(this.deps.bucketPrefix, request.id)))
        ) {
          throw errors.conflict(`Storage for tenant ${request.id} already exists but is not managed by Tessera.`);
        }
        await this.deps.store.insert(this.deps.db.manager, { ...request, status: 'PROVISIONING' });
      }
      try {
        await this.deps.schemas.createTenantSchema(request.id, request.region, request.tier);
        await ensureBucket(this.bucketClient(request), tenantBucketName(this.deps.bucketPrefix, request.id), request.region);
        await this.deps.keyring.ensureTenantKey(request.id);
        await this.deps.keyring.ensureKey(request.id);
        await hooks.beforeActive?.(request.id);
        await this.deps.store.setStatus(request.id, 'ACTIVE');
      } catch (error) {
        await this.removeEverything(request.id, request.region);
        throw error;
      }
      this.deps.directory.invalidate(request.id);
      const tenant = await this.deps.store.find(request.id);
      if (!tenant) throw new Error('tenant vanished during provisioning');
      return { tenant, created: true };
    });
  }

  async setSuspended(tenantId: string, suspended: boolean): Promise<TenantRecord> {
    assertTenantId(tenantId);
    const tenant = await this.deps.store.find(tenantId);
    if (!tenant || tenant.status === 'PROVISIONING') throw errors.notFound('Tenant', tenantId);
    await this.deps.store.setStatus(tenantId, suspended ? 'SUSPENDED' : 'ACTIVE');
    this.deps.directory.invalidate(tenantId);
    return { ...tenant, status: suspended ? 'SUSPENDED' : 'ACTIVE' };
  }

  /**
   * Changes the tenant's limit overrides: each named limit is set, each `null` goes back to the
   * platform default, the others stay. Read-modify-write under the row lock, so two concurrent
   * changes never lose one another. Returns the record before and after.
   */
  async setLimits(tenantId: string, changes: Record<string, unknown>): Promise<{ before: TenantRecord; after: TenantRecord }> {
    assertTenantId(tenantId);
    const { set, reset } = parseLimitOverrides(changes);
    const before = await this.deps.db.transaction(async (manager) => {
      const tenant = await this.deps.store.findForUpdate(tenantId, manager);
      if (!tenant || tenant.status === 'PROVISIONING') throw errors.notFound('Tenant', tenantId);
      const overrides: TenantLimitOverrides = { ...tenant.limitOverrides, ...set };
      for (const name of reset) delete overrides[name];
      await this.deps.store.setLimitOverrides(tenantId, overrides, manager);
      return tenant;
    });
    this.deps.directory.invalidate(tenantId);
    const after = await this.deps.store.find(tenantId);
    if (!after) throw errors.notFound('Tenant', tenantId);
    return { before, after };
  }

  /**
   * Moves the tenant to another tier (which worker pool runs its jobs). Under the tenant's lock and
   * the row lock, so two concurrent changes are ordered; `before` is the record the change was made
   * from (the same tier as `after` when nothing changed, and then nothing is written).
   *
   * The shared pool's database account holds rights on a shared-tier tenant's tables only
   * (grant_tenant_tables): once the tier is written, the tenant's schema is re-granted on its
   * region's server before the change is answered (and before the services are told, so the shared
   * pool is routed a tenant's jobs only once it may write its meters). If that fails the tier is put
   * back and the schema re-granted for it, so the tier and the shared pool's rights never disagree
   * after the call; the same tier again re-grants too, so repeating the call repairs a schema whose
   * grants a failure left behind.
   */
  async setTier(tenantId: string, tier: TenantTier): Promise<{ before: TenantRecord; after: TenantRecord }> {
    assertTenantId(tenantId);
    if (!tenantTiers.includes(tier)) throw errors.badInput(`tier must be one of: ${tenantTiers.join(', ')}.`, { field: 'tier' });
    return this.withTenantLock(tenantId, async () => {
      const before = await this.deps.db.transaction(async (manager) => {
        const tenant = await this.deps.store.findForUpdate(tenantId, manager);
        if (!tenant || tenant.status === 'PROVISIONING') throw errors.notFound('Tenant', tenantId);
        if (tenant.tier !== tier) await this.deps.store.setTier(tenantId, tier, manager);
        return tenant;
      });
      try {
        await this.deps.schemas.grantTenantTables(tenantId, before.region, tier);
      } catch (error) {
        if (before.tier !== tier) {
          await this.deps.store.setTier(tenantId, before.tier);
          this.deps.directory.invalidate(tenantId);
          await this.deps.schemas.grantTenantTables(tenantId, before.region, before.tier);
        }
        throw error;
      }
      this.deps.directory.invalidate(tenantId);
      const after = await this.deps.store.find(tenantId);
      if (!after) throw errors.notFound('Tenant', tenantId);
      return { before, after };
    });
  }

  /** Erases a tenant completely: schema, bucket (every object), keys, control-plane row. */
  async deprovision(tenantId: string): Promise<void> {
    assertTenantId(tenantId);
    await this.withTenantLock(tenantId, () => this.removeEverything(tenantId));
    this.deps.directory.invalidate(tenantId);
  }

  /** The tenant's region's store (REGION_UNAVAILABLE when this service has none for it). */
  private bucketClient(tenant: { id: string; region: string }): ObjectStoreClient {
    return this.deps.objectStores.forBucketLifecycle(tenant);
  }

  /**
   * `region` undefined: the row's. Without a row there is no bucket of ours (the row is written
   * first and deleted last). The region's store is resolved before anything is dropped, so a
   * region this service cannot reach stops the erasure instead of leaving the bucket behind.
   */
  private async removeEverything(tenantId: string, region?: string): Promise<void> {
    const located = region ?? (await this.deps.store.find(tenantId))?.region;
    const client = located === undefined ? undefined : this.bucketClient({ id: tenantId, region: located });
    const keyVersions = (await this.deps.keyring.versions(tenantId)).map((key) => key.version);
    // First: once the tenant's provider key is gone, every copy of its data (backups included) is unreadable.
    await this.deps.keyring.destroyTenantKey(tenantId);
    await this.deps.schemas.dropTenantSchema(tenantId, located);
    if (client) await destroyBucket(client, tenantBucketName(this.deps.bucketPrefix, tenantId)).catch(() => undefined);
    await this.deps.store.delete(tenantId); // keys go with it (ON DELETE CASCADE)
    this.deps.keyring.forget(tenantId);
    await this.deps.keyring.recordDestroyed(tenantId, keyVersions);
  }

  private validate(input: ProvisionTenantInput): Required<Omit<ProvisionTenantInput, 'limits'>> & { limitOverrides: TenantLimitOverrides } {
    assertTenantId(input.id);
    const displayName = input.displayName.trim();
    if (displayName.length < 1 || displayName.length > 128 || /[\u0000-\u001f\u007f]/.test(displayName)) {
      throw errors.badInput('displayName must be 1–128 printable characters.', { field: 'displayName' });
    }
    if (!this.deps.regions.includes(input.region)) {
      throw errors.badInput(`region must be one of: ${this.deps.regions.join(', ')}.`, { field: 'region' });
    }
    // A region the deployment lists but this service has no store for: nothing is created anywhere.
    if (!this.deps.objectStores.serves(input.region)) throw regionUnavailable(input.region);
    if (!tenantTiers.includes(input.tier)) throw errors.badInput(`tier must be one of: ${tenantTiers.join(', ')}.`, { field: 'tier' });
    const { set: limitOverrides } = parseLimitOverrides({ ...(input.limits ?? {}) });
    return { id: input.id, displayName, region: input.region, tier: input.tier, limitOverrides };
  }

  /** A MySQL advisory lock, so two replicas provisioning the same id never interleave. */
  private withTenantLock<T>(tenantId: string, fn: () => Promise<T>): Promise<T> {
    return withAdvisoryLock(this.deps.db, `tessera:tenant:${tenantId}`, { waitSeconds: 30, busyMessage: `Tenant ${tenantId} is being changed by another request; retry.`, tenantId }, fn);
  }
}
