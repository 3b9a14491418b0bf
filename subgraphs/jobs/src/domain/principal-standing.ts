import { permissionRoles, type TenantRole } from '@tessera/auth';
import type { ErrorCode } from '@tessera/errors';
import { serviceAccountSubject, type ApiKeyStanding } from '@tessera/tenants/ports';
import type { Job } from '../data/job.entity';

/** Where tenant roles come from (ROLE_SOURCE, as the gateway's). */
export type RoleSource = 'claims' | 'members';

/** The reads of the tenants service's access tables a standing check needs (its AccessDirectory). */
export interface AccessStandingDirectory {
  apiKeyStanding(tenantId: string, id: string): Promise<ApiKeyStanding | undefined>;
  memberRole(tenantId: string, subject: string): Promise<TenantRole | undefined>;
}

export type PrincipalStanding = { current: true } | { current: false; reason: string };

/** The error a job ends with when the principal it acts for lost its access. */
export const principalRevokedCode: ErrorCode = 'PRINCIPAL_REVOKED';

const current: PrincipalStanding = { current: true };

/** What a run of a job does (registers model and dataset versions, stores results): the roles that may submit one. */
const rolesThatRunJobs: readonly string[] = permissionRoles.write;

/**
 * Whether the principal a job row records still holds what the job needs in the tenant, read now
 * (no cache: a revocation holds at the next claim or grant renewal). An API key: the key exists
 * in this tenant, with its service account, is neither revoked nor expired, and its role may write.
 * A member (ROLE_SOURCE=members): still a member, with a role that may write. With
 * ROLE_SOURCE=claims a user's roles are the identity provider's and Tessera keeps no membership to
 * check, as at the gateway. Rows recorded before the principal was (legacy) and the platform's own
 * `system:` subjects keep running as before.
 */
export async function principalStanding(directory: AccessStandingDirectory, roleSource: RoleSource, job: Job, tenantId: string, now = new Date()): Promise<PrincipalStanding> {
  const subject = job.runAsSubject;
  if (subject === null || subject.startsWith('system:')) return current;
  const keyId = apiKeyIdOf(job.runAsClient);
  if (keyId !== undefined) {
    const key = await directory.apiKeyStanding(tenantId, keyId);
    if (!key || subject !== serviceAccountSubject(key.serviceAccountId)) return { current: false, reason: 'the API key that queued it, or its service account, was deleted' };
    if (key.revokedAt) return { current: false, reason: 'the API key that queued it was revoked' };
    if (key.expiresAt.getTime() <= now.getTime()) return { current: false, reason: 'the API key that queued it has expired' };
    if (!key.role || !rolesThatRunJobs.includes(key.role)) return { current: false, reason: "the API key's role no longer allows running jobs" };
    return current;
  }
  if (roleSource !== 'members') return current;
  const role = await directory.memberRole(tenantId, subject);
  if (!role) return { current: false, reason: 'the member who queued it is no longer a member of the tenant' };
  if (!rolesThatRunJobs.includes(role)) return { current: false, reason: "the member's role no longer allows running jobs" };
  return current;
}

/** The key id of a principal that came with an API key (the gateway names its client `api-key:<id>`; a malformed id finds no key). */
function apiKeyIdOf(clientId: string | null): string | undefined {
  return clientId?.startsWith(apiKeyClientPrefix) ? clientId.slice(apiKeyClientPrefix.length) : undefined;
}

const apiKeyClientPrefix = 'api-key:';
