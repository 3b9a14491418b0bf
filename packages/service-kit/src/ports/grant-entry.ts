import { principalOfGrant, type JobGrant, type JobGrantToken, type JobGrantVerifier } from '@tessera/auth';
import type { TenantScope, TenantScopeFactory } from '@tessera/tenancy';

/**
 * How every method of a grant port begins: verify the job's grant, then enter the grant's tenant
 * as the grant's principal. Nothing in the request body can name another tenant or actor.
 */
export function grantEntry(scopes: TenantScopeFactory, verifyGrant: JobGrantVerifier): (token: JobGrantToken) => Promise<{ grant: JobGrant; scope: TenantScope }> {
  return async (token) => {
    const grant = await verifyGrant(token);
    return { grant, scope: await scopes.forPrincipal(principalOfGrant(grant)) };
  };
}
