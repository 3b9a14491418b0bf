import type { DataSource, EntityManager } from 'typeorm';
import type { Principal } from '@tessera/auth';
import { regionUnavailable, TenantBucket, type RegionalObjectStores } from '@tessera/storage';
import type { TenantDirectory } from './control-plane/tenant-directory';
import type { CurrentDataKey, TenantKeyring } from './control-plane/tenant-keyring';
import { sealingKeyWithin } from './data-key-floor';
import { regionDatabase } from './tenant-databases';
import { quoteIdentifier, tenantBucketName, tenantSchemaName } from './tenant-id';
import type { TenantRecord } from './tenant-record';

/**
 * Everything a resolver may touch for one request, already bound to the caller's tenant:
 * its schema, its bucket, its keys. Resolvers never take a tenant id from arguments; they get
 * a TenantScope, and there is no API on it to reach another tenant.
 */
export class TenantScope {
  readonly bucket: TenantBucket;
  readonly schema: string;

  constructor(
    readonly tenant: TenantRecord,
    readonly principal: Principal,
    private readonly deps: TenantScopeDeps,
  ) {
    this.schema = tenantSchemaName(tenant.id);
    // The client of the tenant's region's store (data residency). With per-tenant credentials it
    // cannot reach any other tenant's bucket, whatever a bug elsewhere does with bucket names.
    this.bucket = new TenantBucket(deps.objectStores.forTenant(tenant), tenant.id, tenantBucketName(deps.bucketPrefix, tenant.id));
  }

  /** Runs `fn` on a pooled connection switched to this tenant's schema, and switches it back. */
  async db<T>(fn: (manager: EntityManager) => Promise<T>): Promise<T> {
    const runner = this.pool().createQueryRunner();
    await runner.connect();
    try {
      await runner.query(`USE ${quoteIdentifier(this.schema)}`);
      return await fn(runner.manager);
    } finally {
      await this.releaseToControlPlane(runner);
    }
  }

  /** Like `db`, inside one transaction: all of `fn`'s writes land, or none do. */
  async transaction<T>(fn: (manager: EntityManager) => Promise<T>): Promise<T> {
    const runner = this.pool().createQueryRunner();
    await runner.connect();
    try {
      await runner.query(`USE ${quoteIdentifier(this.schema)}`);
      await runner.startTransaction();
      try {
        const result = await fn(runner.manager);
        await runner.commitTransaction();
        return result;
      } catch (error) {
        await runner.rollbackTransaction();
        throw error;
      }
    } finally {
      await this.releaseToControlPlane(runner);
    }
  }

  /**
   * The same tenant's scope, acting as another principal of this tenant. A job run reads its row
   * under the worker's own (role-less) principal, then acts as the principal the row records;
   * taking the tenant over from this scope means no second directory lookup can fail in between.
   */
  actingAs(principal: Principal): TenantScope {
    if (principal.tenantId !== this.tenant.id) throw new Error('a tenant scope acts only for principals of its own tenant');
    return new TenantScope(this.tenant, principal, this.deps);
  }

  currentDataKey(): Promise<CurrentDataKey> {
    return this.deps.keyring.currentKey(this.tenant.id);
  }

  /**
   * The current data key for a small value sealed and stored by `manager`'s transaction (in this
   * tenant's schema): holds the tenant's data-key floor until that transaction ends, so a
   * retirement either counts what it stores or is counted after it (see data-key-floor.ts).
   */
  sealingKey(manager: EntityManager): Promise<CurrentDataKey> {
    return sealingKeyWithin(manager, this.deps.keyring, this.tenant.id);
  }

  /**
   * After storing something under the data key `currentDataKey` gave: CONFLICT if that version was
   * destroyed meanwhile (a rotation, re-encryption and retirement while a long write ran). The
   * caller then removes what it stored and answers the error.
   */
  assertDataKeyHeld(version: number): Promise<void> {
    return this.deps.keyring.assertStillHeld(this.tenant.id, version);
  }

  /** For decrypting objects written under older key versions. */
  readonly resolveDataKey = (version: number): Promise<Buffer> => this.deps.keyring.keyFor(this.tenant.id, version);

  /** The pool of the server holding this tenant's schema: its region's (REGION_DATABASES), else the home one. */
  private pool(): DataSource {
    return regionDatabase(this.deps.db, this.tenant.region);
  }

  /**
   * A pooled connection goes back pointing at the control plane (on a region server, the schema of
   * the same name that anchors it), never at this tenant's schema, so nothing that borrows it next
   * can read this tenant's tables by accident.
   */
  private async releaseToControlPlane(runner: ReturnType<DataSource['createQueryRunner']>): Promise<void> {
    try {
      await runner.query(`USE ${quoteIdentifier(this.deps.controlSchema)}`);
      await runner.release();
    } catch {
      // A connection we cannot reset must not be reused.
      await runner.release().catch(() => undefined);
      const connection = (runner as unknown as { databaseConnection?: { destroy?: () => void } }).databaseConnection;
      connection?.destroy?.();
    }
  }
}

export interface TenantScopeDeps {
  db: DataSource;
  controlSchema: string;
  directory: TenantDirectory;
  keyring: TenantKeyring;
  /** Each served region's store; a tenant's bucket is reached only through its own region's. */
  objectStores: RegionalObjectStores;
  bucketPrefix: string;
}

export class TenantScopeFactory {
  constructor(private readonly deps: TenantScopeDeps) {}

  /**
   * The scope of an authenticated tenant user; unknown or suspended tenants are refused, and so is
   * a tenant whose region this service does not serve (its bytes may live nowhere else).
   */
  async forPrincipal(principal: Principal): Promise<TenantScope> {
    const tenant = await this.deps.directory.requireActive(principal.tenantId);
    if (!this.deps.objectStores.serves(tenant.region)) throw regionUnavailable(tenant.region);
    return new TenantScope(tenant, principal, this.deps);
  }
}
