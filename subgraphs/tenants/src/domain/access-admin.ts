import type { EntityManager } from 'typeorm';
import { recordAfterAnswer, recordSecurityEvent, recordTenantAuditEvent, type AuditEventInput } from '@tessera/audit-client';
import type { Principal, TenantRole } from '@tessera/auth';
import { errors } from '@tessera/errors';
import { isTenantId, type TenantStore } from '@tessera/tenancy';
import { accessRepository } from '../data/access.repository';

/**
 * Which roles each role includes: a key never gets more than its service account. Not a ladder:
 * an auditor reads the audit trail, which a viewer or data scientist may not, and no data, which
 * they may; only admin includes every role.
 */
const includedRoles: Record<TenantRole, readonly TenantRole[]> = {
  admin: ['admin', 'data_scientist', 'viewer', 'auditor'],
  data_scientist: ['data_scientist', 'viewer'],
  viewer: ['viewer'],
  auditor: ['auditor'],
};

export function roleIncludes(holder: TenantRole, role: TenantRole): boolean {
  return includedRoles[holder].includes(role);
}

/** What `managedTenant` reads: the tenant directory, and the database a refused attempt is recorded in. */
export interface ManagedTenantDeps {
  tenants: TenantStore;
  db: { transaction<T>(fn: (manager: EntityManager) => Promise<T>): Promise<T> };
}

/**
 * Which tenant's members and keys the caller may manage. A tenant admin manages its own tenant
 * (naming another tenant gets the NOT_FOUND of a tenant that does not exist); a platform admin
 * names the tenant. API keys manage nothing here: a leaked key must not be able to mint more keys
 * or members that outlive its revocation. `read`: listing, which the tenant's auditors may too.
 */
export async function managedTenant(principal: Principal, requested: string | null | undefined, deps: ManagedTenantDeps, access: 'manage' | 'read' = 'manage'): Promise<string> {
  const { tenants } = deps;
  if (principal.apiKeyId) throw errors.forbidden('API keys cannot manage members, service accounts or keys; sign in as a tenant admin.');
  if (principal.tenantId) {
    // Reading who holds access is part of an audit; changing it is not.
    const allowed: readonly string[] = access === 'read' ? ['admin', 'auditor'] : ['admin'];
    if (!principal.roles.some((role) => allowed.includes(role))) throw errors.forbidden(`This operation needs one of the roles: ${allowed.join(', ')}.`);
    if (requested !== undefined && requested !== null && requested !== principal.tenantId) {
      if (!isTenantId(requested)) throw errors.badInput('tenantId is not a valid tenant id.', { field: 'tenantId' });
      throw await namedTenantNotFound(deps, principal, principal.tenantId, requested);
    }
    return principal.tenantId;
  }
  if (!principal.roles.includes('platform_admin')) throw errors.forbidden('This operation needs the admin role in the tenant.');
  if (requested === undefined || requested === null) throw errors.badInput('A platform admin names the tenant: tenantId.', { field: 'tenantId' });
  if (!isTenantId(requested)) throw errors.badInput('tenantId is not a valid tenant id.', { field: 'tenantId' });
  if (!(await tenants.find(requested))) throw errors.notFound('Tenant', requested);
  return requested;
}

/**
 * The NOT_FOUND a tenant user gets for naming another tenant in `tenantId` (an argument only a
 * platform admin needs): the same as for a tenant that does not exist. The attempt is recorded
 * like one by another tenant's id (`cross_tenant_attempt`, target `Tenant`) whether or not the named
 * tenant exists: the caller's own trail, which its admins and auditors read, must not tell them
 * either (before, only an existing tenant's was recorded, so B's admin learnt which tenant ids
 * exist from its own trail and its CROSS_TENANT_ATTEMPT alerts, whatever the identical answers and
 * their timing hid). The platform security log, which no tenant reads, names the owner when there
 * is one (`ownerTenant`, null for an unknown id). The directory is read and the record written just
 * after the answer, so the answer's time does not tell an existing tenant from an unknown one.
 */
async function namedTenantNotFound(deps: ManagedTenantDeps, actor: Principal, tenantId: string, requested: string): Promise<Error> {
  await recordAfterAnswer(async () => {
    const owner = (await deps.tenants.find(requested)) ? requested : null;
    await recordCrossTenantAttempt(deps.db, actor, tenantId, owner, 'Tenant', requested);
  });
  return errors.notFound('Tenant', requested);
}

/** `cross_tenant_attempt` in the caller's tenant log (without the owner) and the security log (with it, null when none), in a transaction of its own. */
async function recordCrossTenantAttempt(db: ManagedTenantDeps['db'], actor: Principal, tenantId: string, owner: string | null, targetType: string, id: string): Promise<void> {
  await db.transaction(async (manager) => {
    const event = { action: 'cross_tenant_attempt', targetType, targetId: id, outcome: 'DENIED' as const };
    await recordTenantAuditEvent(manager, tenantId, actor, event);
    await recordSecurityEvent(manager, actor, { ...event, tenantId, details: { ownerTenant: owner } });
  });
}

/**
 * With ROLE_SOURCE=members a tenant user is an admin by its membership, as the gateway read it
 * when the request arrived. A change that waited meanwhile — for the tenant's row behind other
 * creates, or as a later field of one operation (mutations run one after another) — went on after
 * its author was removed or demoted: a key minted or an accomplice invited then outlived the
 * removal. So every change reads its author's membership again in its own transaction, share-locked:
 * a removal or demotion (which locks the member's row for update) waits for it or is seen by it,
 * FORBIDDEN and nothing written. Platform admins belong to no tenant, API keys manage nothing here,
 * and with ROLE_SOURCE=claims the roles are the token's, which Tessera does not hold.
 */
export async function assertStillAdmin(manager: EntityManager, principal: Principal, tenantId: string, roleSource: 'claims' | 'members'): Promise<void> {
  if (roleSource !== 'members' || !principal.tenantId || principal.apiKeyId) return;
  if ((await accessRepository.lockActorRole(manager, tenantId, principal.subject)) !== 'admin') {
    throw errors.forbidden('Your membership in this tenant changed while this request waited: you are no longer one of its admins, so nothing was changed.');
  }
}

/**
 * Credentials that act inside a tenant without an identity provider — a service account's API key,
 * whose secret goes to whoever creates it — are minted by the tenant's own admins only. A platform
 * admin sees no tenant data, so it may list, revoke and delete them (an emergency stop) but not
 * create them: a key it created would hand it the tenant's data. (It may still invite members and
 * name a tenant's first admin: those act through an identity that signs in, audited in both logs.)
 */
export function assertMintedByTenantAdmin(principal: Principal): void {
  if (!principal.tenantId) {
    throw errors.forbidden('A platform admin sees no tenant data, so it cannot create service accounts or API keys in a tenant (a key would act on its data); a tenant admin creates them. Platform admins may list, revoke and delete them.');
  }
}

/**
 * A change to who may act in a tenant goes into the tenant's audit chain in the transaction that
 * makes it; a platform admin's change also into the platform security log.
 */
export async function recordAccessEvent(manager: EntityManager, actor: Principal, tenantId: string, event: AuditEventInput): Promise<void> {
  await recordTenantAuditEvent(manager, tenantId, actor, event);
  if (!actor.tenantId) await recordSecurityEvent(manager, actor, { ...event, tenantId, outcome: event.outcome ?? 'SUCCESS' });
}

/**
 * The NOT_FOUND for an id the managed tenant does not hold. When another tenant holds it, the
 * attempt is recorded (the caller's tenant log without the owner, the security log with it), in
 * a transaction of its own: the caller's own is rolled back with the error. The answer is the
 * same either way, and takes as long: the record is written after it (recordAfterAnswer).
 */
export async function notFoundInTenant(
  db: { transaction<T>(fn: (manager: EntityManager) => Promise<T>): Promise<T> },
  actor: Principal,
  tenantId: string,
  owner: string | undefined,
  targetType: string,
  id: string,
): Promise<Error> {
  await recordAfterAnswer(async () => {
    if (!owner || owner === tenantId) return;
    await recordCrossTenantAttempt(db, actor, tenantId, owner, targetType, id);
  });
  return errors.notFound(targetType, id);
}
