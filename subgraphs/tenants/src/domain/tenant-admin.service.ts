import type { DataSource } from 'typeorm';
import { errors, TesseraError } from '@tessera/errors';
import type { Principal } from '@tessera/auth';
import { recordLifecycleEvent } from './tenant-lifecycle-audit';
import { accessRepository, type MemberRow } from '../data/access.repository';
import { insertMember, parseNewMember, type NewMember } from './members.service';
import { changeUnlessErasurePending, resumeUnlessErasurePending, suspendNotingErasure } from './tenant-erasure.service';
import { assertTenantId, tenantLimitNames, tenantTiers, type TenantDirectory, type TenantKeyring, type TenantProvisioner, type TenantRecord, type TenantStore, type TenantTier } from '@tessera/tenancy';

export interface TenantAdminDeps {
  store: TenantStore;
  directory: TenantDirectory;
  provisioner: TenantProvisioner;
  /** For the lifecycle audit events (platform security log and the tenant's own log). */
  db: DataSource;
  /** The control plane's schema (its tenant_erasures: a tenant pending erasure is not resumed). */
  controlSchema: string;
  /** Regions a tenant may be placed in (DATA_REGIONS). */
  regions: readonly string[];
  /** Records the new tenant's first data key (`key.create`) in both logs, as its other key events. */
  keyring: TenantKeyring;
  /** ROLE_SOURCE (with `members`, a new tenant needs its first admin) and INVITATION_TTL_HOURS. */
  members: { roleSource: 'claims' | 'members'; invitationTtlHours: number };
  /** Tells every service process that the tenant's record changed (their cached copies go at once). */
  announce: (tenantId: string) => Promise<void>;
}

export interface ProvisionTenantArgs {
  id: string;
  displayName: string;
  region: string;
  /** Null as well as absent: GraphQL applies the schema's default (SHARED) only to an absent field, not to an explicit null. */
  tier?: 'SHARED' | 'DEDICATED' | null;
  limits?: Record<string, number | null> | null;
  initialAdmin?: { subject?: string | null; email?: string | null; expiresInHours?: number | null } | null;
}

export function assertPlatformAdmin(principal: Principal): void {
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

  /**
   * With `initialAdmin`, the tenant's first admin is added before the tenant turns ACTIVE (a member
   * by subject, or an e-mail invitation), with its `member.invite` event in the tenant's chain in
   * the same transaction; a failure removes the whole tenant. With ROLE_SOURCE=members it is
   * required: nobody could ever act in a tenant without members, and a platform admin sees no
   * tenant data, so it could not be helped from inside either.
   */
  async provision(input: ProvisionTenantArgs): Promise<{ tenant: TenantRecord; created: boolean; initialAdmin: MemberRow | null }> {
    assertPlatformAdmin(this.principal);
    const now = new Date();
    const admin: NewMember | undefined = input.initialAdmin ? parseInitialAdmin(input.initialAdmin, this.deps.members.invitationTtlHours, now) : undefined;
    if (!admin && this.deps.members.roleSource === 'members') {
      throw errors.badInput('initialAdmin is required: roles come from Tessera’s members (ROLE_SOURCE=members), so a tenant without an admin could never be used.', { field: 'initialAdmin' });
    }
    let adminId: string | undefined;
    const beforeActive = async (tenantId: string) => {
      await this.deps.db.transaction(async (manager) => {
        // A provisioning that crashed after this step and is run again finds the admin it added.
        const existing = (await accessRepository.listMembers(manager, tenantId)).find((m) => (admin!.subject ? m.subject === admin!.subject : m.email === admin!.email));
        adminId = existing?.id ?? (await insertMember(manager, this.principal, tenantId, admin!, 'admin', now, { initialAdmin: true }));
      });
    };
    const result = await this.deps.provisioner.provision(
      {
        id: input.id,
        displayName: input.displayName,
        region: input.region,
        tier: (input.tier ?? 'SHARED').toLowerCase() as TenantTier,
        limits: withoutNulls(input.limits ?? {}),
      },
      admin ? { beforeActive } : {},
    );
    const initialAdmin = result.created && adminId ? ((await accessRepository.findMember(this.deps.db.manager, result.tenant.id, adminId)) ?? null) : null;
    if (result.created) {
      // An id looked up before it existed is cached as unknown: the new tenant is usable at once.
      await this.deps.announce(result.tenant.id);
      const adminDetails = initialAdmin ? { initialAdminMember: initialAdmin.id, ...(initialAdmin.subject ? { initialAdminSubject: initialAdmin.subject } : { initialAdminEmail: initialAdmin.email }) } : {};
      await recordLifecycleEvent(this.deps.db, this.principal, result.tenant.id, 'tenant.provision', { region: result.tenant.region, tier: result.tenant.tier, ...adminDetails });
      // Recorded here, with the provisioning, not by the keyring: a provisioning rolled back half-way created nothing to record.
      const kekVersion = await this.deps.keyring.kekVersionOf(result.tenant.id, 1);
      await this.deps.keyring.onKeyEvent?.(result.tenant.id, { action: 'key.create', version: 1, kekVersion });
    }
    return { ...result, initialAdmin };
  }

  async setSuspended(id: string, suspended: boolean): Promise<TenantRecord> {
    assertPlatformAdmin(this.principal);
    const change = () => this.deps.provisioner.setSuspended(id, suspended);
    const tenant = suspended ? await suspendNotingErasure(this.deps, id, change) : await resumeUnlessErasurePending(this.deps, id, change);
    await this.deps.announce(tenant.id);
    await recordLifecycleEvent(this.deps.db, this.principal, tenant.id, suspended ? 'tenant.suspend' : 'tenant.resume');
    return tenant;
  }

  /**
   * The one way to ask for a tenant's region to change: platform admins only, the tenant id
   * repeated as `confirm`, and audited (platform security log and the tenant's log) whatever the
   * outcome. Nothing is moved online: the answer is CONFLICT, reason REGION_MIGRATION_OFFLINE,
   * and the region stays as it is until the offline runbook has moved the tenant.
   */
  async migrateRegion(id: string, toRegion: string, confirm: string): Promise<never> {
    assertPlatformAdmin(this.principal);
    assertTenantId(id);
    const tenant = await this.deps.store.find(id);
    if (!tenant || tenant.status === 'PROVISIONING') throw errors.notFound('Tenant', id);
    if (!this.deps.regions.includes(toRegion)) throw errors.badInput(`toRegion must be one of: ${this.deps.regions.join(', ')}.`, { field: 'toRegion' });
    if (toRegion === tenant.region) throw errors.badInput(`Tenant ${id} is already in region ${toRegion}.`, { field: 'toRegion' });
    if (confirm !== id) throw errors.badInput('confirm must repeat the tenant id: a region migration moves every byte of the tenant.', { field: 'confirm' });
    await recordLifecycleEvent(this.deps.db, this.principal, id, 'tenant.region.migrate', { from: tenant.region, to: toRegion, result: regionMigrationOffline }, 'DENIED');
    throw errors.conflict(`Tenant ${id} stays in ${tenant.region}: region migrations are offline only (see the operator runbook); nothing was moved.`, {
      reason: regionMigrationOffline,
      region: tenant.region,
      toRegion,
    });
  }

  /** The audit event names each changed limit with its old and new effective value. */
  async setLimits(id: string, changes: Record<string, unknown>): Promise<TenantRecord> {
    assertPlatformAdmin(this.principal);
    const { before, after } = await this.deps.provisioner.setLimits(id, changes);
    await this.deps.announce(id);
    const details: Record<string, string | number | boolean | null> = {};
    for (const name of tenantLimitNames) {
      if (!(name in changes)) continue;
      details[name] = after.limits[name];
      details[`${name}.before`] = before.limits[name];
      details[`${name}.overridden`] = name in after.limitOverrides;
    }
    await recordLifecycleEvent(this.deps.db, this.principal, id, 'tenant.limits', details);
    return after;
  }

  /**
   * Moves the tenant to the other tier: which workers run its jobs (the shared pool of its region,
   * or its own). Announced before it answers, so every service's cached record goes at once: the
   * ports refuse the pool that no longer serves the tenant from then on, and the jobs service moves
   * the tenant's queued jobs to its new pool's ring. Refused (CONFLICT, ERASURE_PENDING) while an
   * erasure of the tenant is pending or running; a suspended tenant may be moved (its jobs wait
   * until it is resumed, then run on the new pool). The same tier again changes and records nothing.
   */
  async setTier(id: string, tier: string): Promise<TenantRecord> {
    assertPlatformAdmin(this.principal);
    assertTenantId(id);
    const wanted = tier.toLowerCase() as TenantTier;
    if (!tenantTiers.includes(wanted)) throw errors.badInput(`tier must be one of: ${tenantTiers.map((t) => t.toUpperCase()).join(', ')}.`, { field: 'tier' });
    const { before, after } = await changeUnlessErasurePending(this.deps, id, 'tier', () => this.deps.provisioner.setTier(id, wanted));
    if (before.tier === after.tier) return after;
    await this.deps.announce(id);
    await recordLifecycleEvent(this.deps.db, this.principal, id, 'tenant.tier', { tier: after.tier, 'tier.before': before.tier });
    return after;
  }
}

/**
 * Moving a tenant's bytes between regions is done offline, by the operator's runbook (README,
 * Data residency): online it would mean copying every object and schema row while the tenant
 * keeps writing, and flipping the region only once the copy is verified, which is not built.
 */
export const regionMigrationOffline = 'REGION_MIGRATION_OFFLINE';

/** At provisioning, a null limit just means "the platform default". */
function withoutNulls(limits: Record<string, number | null>): Record<string, number> {
  return Object.fromEntries(Object.entries(limits).filter((entry): entry is [string, number] => entry[1] !== null));
}

/** The first admin: exactly one of subject or e-mail (the field names say `initialAdmin.…`). */
function parseInitialAdmin(input: NonNullable<ProvisionTenantArgs['initialAdmin']>, invitationTtlHours: number, now: Date): NewMember {
  try {
    return parseNewMember(input, invitationTtlHours, now);
  } catch (error) {
    if (error instanceof TesseraError && typeof error.extensions['field'] === 'string') {
      throw errors.badInput(`initialAdmin: ${error.message}`, { field: `initialAdmin.${error.extensions['field']}` });
    }
    throw error;
  }
}
