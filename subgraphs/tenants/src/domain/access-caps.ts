import type { EntityManager } from 'typeorm';
import { errors } from '@tessera/errors';
import type { TenantLimitName, TenantStore } from '@tessera/tenancy';
import { accessRepository as repo } from '../data/access.repository';

/** What one tenant may hold of each kind of access row, and the tenant limit that caps it. */
export const accessCapLimits = {
  members: 'maxMembers',
  serviceAccounts: 'maxServiceAccounts',
  apiKeys: 'maxApiKeysPerServiceAccount',
} as const satisfies Record<string, TenantLimitName>;

export type AccessCap = keyof typeof accessCapLimits;

const capUnits: Record<AccessCap, string> = {
  members: 'members (invitations included)',
  serviceAccounts: 'service accounts',
  apiKeys: 'unrevoked API keys per service account',
};

const capWayOut: Record<AccessCap, string> = {
  members: 'Remove a member or revoke an invitation',
  serviceAccounts: 'Delete a service account',
  apiKeys: 'Revoke one of its keys',
};

/**
 * Makes room for one more access row of `cap` in the caller's transaction, or throws
 * QUOTA_EXCEEDED (`quota`, `limit`, `used`) before anything is written.
 *
 * Members, service accounts and keys live in control-plane tables every tenant shares, so no
 * tenant may fill them without bound. The count is taken from the rows under the tenant's row
 * lock (`SELECT … FOR UPDATE` on `tenants`), which every create of every kind takes first: creates
 * of one tenant take turns across replicas, so N at once at limit − 1 leave exactly one, while
 * other tenants' creates never wait (a lock on the tenant's row, not a range of shared tables).
 * The same lock serialises with `setTenantLimits`, so the limit read is the one in force.
 *
 * Call it as the transaction's FIRST statement: under REPEATABLE READ the snapshot the count reads
 * is taken at the first plain read, and only a snapshot taken after the lock sees every create
 * committed before it. A deletion frees room at once (the count is of the rows, never a running sum).
 */
export async function reserveAccessRoom(manager: EntityManager, tenants: TenantStore, tenantId: string, cap: AccessCap, serviceAccountId?: string): Promise<void> {
  const tenant = await tenants.findForUpdate(tenantId, manager);
  // The caller found the tenant moments ago; one erased meanwhile is gone like any other.
  if (!tenant) throw errors.notFound('Tenant', tenantId);
  const limit = tenant.limits[accessCapLimits[cap]];
  const used = await countOf(manager, tenantId, cap, serviceAccountId);
  if (used + 1 > limit) {
    throw errors.quotaExceeded(`Your tenant's limit is ${limit} ${capUnits[cap]}; ${used} exist, so one more does not fit. ${capWayOut[cap]}, or ask for a higher ${accessCapLimits[cap]}.`, {
      quota: cap,
      limit,
      used,
    });
  }
}

function countOf(manager: EntityManager, tenantId: string, cap: AccessCap, serviceAccountId: string | undefined): Promise<number> {
  switch (cap) {
    case 'members':
      return repo.countMembers(manager, tenantId);
    case 'serviceAccounts':
      return repo.countServiceAccounts(manager, tenantId);
    case 'apiKeys':
      if (!serviceAccountId) throw new Error('API keys are counted per service account.');
      return repo.countUnrevokedApiKeys(manager, tenantId, serviceAccountId);
  }
}
