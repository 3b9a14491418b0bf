import type { Principal } from '@tessera/auth';
import type { TenantKeyring, TenantStore } from '@tessera/tenancy';
import { managedTenant } from './access-admin';

export interface TenantDataKeyDeps {
  tenants: TenantStore;
  keyring: TenantKeyring;
}

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
    return this.report(await managedTenant(this.principal, requested, this.deps.tenants));
  }

  async rotate(requested: string | null | undefined): Promise<TenantDataKeysReport> {
    const tenantId = await managedTenant(this.principal, requested, this.deps.tenants);
    await this.deps.keyring.rotate(tenantId, { actor: this.principal.subject, reason: 'requested' });
    return this.report(tenantId);
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
