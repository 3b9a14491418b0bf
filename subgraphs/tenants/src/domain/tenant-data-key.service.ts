import type { Principal } from '@tessera/auth';
import { errors } from '@tessera/errors';
import { type TenantKeyring, type TenantStore } from '@tessera/tenancy';
import { managedTenant, notFoundInTenant, type ManagedTenantDeps } from './access-admin';
import type { KeyOperation, ObjectReencryptor } from './object-reencryptor';

export interface TenantDataKeyDeps extends ManagedTenantDeps {
  tenants: TenantStore;
  keyring: TenantKeyring;
  /** Undefined when this process has no key provider (then SERVICE_UNAVAILABLE). */
  reencryptor?: ObjectReencryptor | undefined;
}

/**
 * Versions a tenant may hold when it asks for a rotation. Each is a row in the shared control plane,
 * a wrap at the key provider and, at a key-encryption-key rotation, one more rewrap for the whole
 * platform; rotations on request cost a mutation's cost units, so an admin's loop made about 25
 * versions a second without end. A weekly rotation takes 19 years to reach it; the schedule
 * (keyRotationDays) is not held to it, so a tenant at the bound still rotates on time.
 */
export const maxRequestedKeyVersions = 1_000;

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What `tenantDataKeys` and `rotateTenantKey` answer: the tenant's data-key versions and its rotation schedule. */
export interface TenantDataKeysReport {
  tenantId: string;
  currentVersion: number;
  versions: Array<{ version: number; status: string; kekVersion: number | null; createdAt: Date }>;
  rotationDays: number;
  nextRotationAt: Date;
}

/**
 * A tenant's own data keys, for its admins (or a platform admin naming the tenant): which versions
 * exist and rotation on demand. A rotation makes a new data key current at once for new objects
 * (every replica within the keyring's cache TTL); older versions stay to decrypt what they wrote.
 * Recorded in the tenant's chain and the platform security log, with the admin as actor.
 */
export class TenantDataKeyService {
  constructor(
    private readonly principal: Principal,
    private readonly deps: TenantDataKeyDeps,
  ) {}

  async status(requested: string | null | undefined): Promise<TenantDataKeysReport> {
    return this.report(await managedTenant(this.principal, requested, this.deps));
  }

  async rotate(requested: string | null | undefined): Promise<TenantDataKeysReport> {
    const tenantId = await managedTenant(this.principal, requested, this.deps);
    await this.deps.keyring.rotate(tenantId, { actor: this.principal.subject, reason: 'requested' }, maxRequestedKeyVersions);
    return this.report(tenantId);
  }

  /** Starts (or returns the running) re-encryption of every object of the tenant under its current key. */
  async reencrypt(requested: string | null | undefined): Promise<KeyOperation> {
    const tenantId = await managedTenant(this.principal, requested, this.deps);
    await this.assertNotSuspended(tenantId);
    return this.reencryptor().start(tenantId, this.principal.subject);
  }

  /**
   * A suspended tenant's objects are not rewritten (a pending erasure suspends it: nothing more is
   * written into data about to go), so re-encrypting and retiring a version, which needs the
   * objects re-encrypted, are refused up front instead of starting a run that fails. Its key can
   * still be rotated: that writes no object.
   */
  private async assertNotSuspended(tenantId: string): Promise<void> {
    if ((await this.deps.tenants.find(tenantId))?.status === 'SUSPENDED') {
      throw errors.conflict(`Tenant ${tenantId} is suspended: its objects are not re-encrypted and no key version is retired until it is resumed; its data key can still be rotated.`, { reason: 'TENANT_SUSPENDED' });
    }
  }

  /** A re-encryption run; another tenant's run is the NOT_FOUND of one that does not exist. */
  async operation(id: string): Promise<KeyOperation> {
    // A tenant admin sees its own tenant's runs; a platform admin any. Roles are checked before the lookup.
    const own = this.principal.tenantId ? await managedTenant(this.principal, null, this.deps) : undefined;
    if (!own && !this.principal.roles.includes('platform_admin')) throw errors.forbidden('This operation needs the admin role in the tenant.');
    if (!uuidPattern.test(id)) throw errors.badInput('id is not a key operation id.', { field: 'id' });
    const operation = await this.reencryptor().find(id.toLowerCase());
    if (!operation) throw errors.notFound('KeyOperation', id);
    // Another tenant's run: the same NOT_FOUND, the attempt recorded after it like any other id's.
    if (own !== undefined && operation.tenantId !== own) throw await notFoundInTenant(this.deps.db, this.principal, own, operation.tenantId, 'KeyOperation', id);
    return operation;
  }

  /**
   * Destroys an older data-key version of the tenant for good. Refused with KEY_VERSION_IN_USE
   * while any object of the tenant's datasets or models is still encrypted under it (re-encrypt
   * first); the current version is BAD_USER_INPUT.
   */
  async retire(requested: string | null | undefined, version: number): Promise<TenantDataKeysReport> {
    const tenantId = await managedTenant(this.principal, requested, this.deps);
    await this.assertNotSuspended(tenantId);
    const versions = await this.deps.keyring.versions(tenantId);
    const entry = versions.find((candidate) => candidate.version === version);
    if (!Number.isInteger(version) || !entry) throw errors.badInput('version must be an existing data-key version of the tenant.', { field: 'version' });
    if (entry.status === 'ACTIVE') throw errors.badInput('The current data-key version encrypts new objects: rotate first, re-encrypt, then retire the older one.', { field: 'version' });
    const reencryptor = this.reencryptor();
    // Small sealed writes first (job results, profiles, audit details, wrapped family keys, the
    // webhook secret): the floor in the tenant's schema is raised past this version, which waits
    // for every such write that took it to commit and turns later ones to the current key. Before
    // the row lock below, so no writer ever waits on the control plane while holding the floor.
    await reencryptor.closeSealedWrites(tenantId, version);
    // Counted while the version's row is locked: a long writer still holding this version (an
    // export, an upload) either is counted or finds it gone (TenantKeyring.assertStillHeld) and
    // keeps nothing under it.
    const outcome = await this.deps.keyring.destroyVersion(tenantId, version, { actor: this.principal.subject, reason: 'requested' }, () => reencryptor.dependents(tenantId, version));
    if ('dependents' in outcome) {
      const { dependents } = outcome;
      throw errors.keyVersionInUse(`Data-key version ${version} still encrypts ${dependents} object(s): run reencryptTenantObjects and wait for it to finish.`, { version, dependents });
    }
    if (!outcome.destroyed) throw errors.badInput('version must be an existing data-key version of the tenant.', { field: 'version' });
    return this.report(tenantId);
  }

  private reencryptor(): ObjectReencryptor {
    if (!this.deps.reencryptor) throw errors.unavailable('This service has no key provider configured.');
    return this.deps.reencryptor;
  }

  private async report(tenantId: string): Promise<TenantDataKeysReport> {
    return tenantDataKeysReport(this.deps, tenantId);
  }
}

export async function tenantDataKeysReport(deps: TenantDataKeyDeps, tenantId: string): Promise<TenantDataKeysReport> {
  const tenant = await deps.tenants.find(tenantId);
  const versions = await deps.keyring.versions(tenantId);
  const active = versions.filter((entry) => entry.status === 'ACTIVE').at(-1) ?? versions.at(-1);
  const rotationDays = tenant?.limits.keyRotationDays ?? 0;
  const since = active?.createdAt ?? new Date();
  return { tenantId, currentVersion: active?.version ?? 0, versions, rotationDays, nextRotationAt: new Date(since.getTime() + rotationDays * dayMs) };
}

export const dayMs = 24 * 60 * 60 * 1000;
