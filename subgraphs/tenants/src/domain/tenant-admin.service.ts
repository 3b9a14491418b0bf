import type { DataSource } from 'typeorm';
import { errors } from '@tessera/errors';
import type { Principal } from '@tessera/auth';
import { recordLifecycleEvent } from './tenant-lifecycle-audit';
import { assertTenantId, type TenantDirectory, type TenantLimits, type TenantProvisioner, type TenantRecord, type TenantStore, type TenantTier } from '@tessera/tenancy';

export interface TenantAdminDeps {
  store: TenantStore;
  directory: TenantDirectory;
  provisioner: TenantProvisioner;
  /** For the lifecycle audit events (platform security log and the tenant's own log). */
  db: DataSource;
}

function assertPlatformAdmin(principal: Principal): void {
  if (!principal.roles.includes('platform_admin')) throw errors.forbidden('This operation needs the platform_admin role.');
}

/** Tenant lifecycle on the control plane. Platform admins manage tenants; they never see tenant data. */
export class TenantAdminService {
  constructor(
    private readonly principal: Principal,
    private readonly deps: TenantAdminDeps,
  ) {}

  async current(): Promise<TenantRecord> {
    return this.deps.directory.requireActive(this.principal.tenantId);
  }

  async list(): Promise<TenantRecord[]> {
    assertPlatformAdmin(this.principal);
    return this.deps.store.list();
  }

  async get(id: string): Promise<TenantRecord> {
    assertPlatformAdmin(this.principal);
    assertTenantId(id);
    const tenant = await this.deps.store.find(id);
    if (!tenant) throw errors.notFound('Tenant', id);
    return tenant;
  }

  async provision(input: { id: string; displayName: string; region: string; tier: 'SHARED' | 'DEDICATED'; limits?: Partial<TenantLimits> | null }) {
    assertPlatformAdmin(this.principal);
    const result = await this.deps.provisioner.provision({
      id: input.id,
      displayName: input.displayName,
      region: input.region,
      tier: input.tier.toLowerCase() as TenantTier,
      limits: input.limits ?? undefined,
    });
    if (result.created) await recordLifecycleEvent(this.deps.db, this.principal, result.tenant.id, 'tenant.provision', { region: result.tenant.region, tier: result.tenant.tier });
    return result;
  }

  async setSuspended(id: string, suspended: boolean): Promise<TenantRecord> {
    assertPlatformAdmin(this.principal);
    const tenant = await this.deps.provisioner.setSuspended(id, suspended);
    await recordLifecycleEvent(this.deps.db, this.principal, tenant.id, suspended ? 'tenant.suspend' : 'tenant.resume');
    return tenant;
  }
}
