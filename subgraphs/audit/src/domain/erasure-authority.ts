import type { DataSource } from 'typeorm';
import { ErasureReceiptSigner, pseudonymSecretFromSigningKey, tenantIdHash, tenantPseudonym, type ErasureAuthorityPort } from '@tessera/audit-client';
import type { Principal } from '@tessera/auth';
import type { AuditChainConfig } from '@tessera/config';
import { errors } from '@tessera/errors';
import type { TenantStore } from '@tessera/tenancy';
import type { JWK } from 'jose';
import { CheckpointSigner } from './checkpoint-signer';
import { SecurityLogPseudonymiser } from './security-log-pseudonymiser';

export interface ErasureAuthorityDeps {
  db: DataSource;
  controlSchema: string;
  tenants: Pick<TenantStore, 'find'>;
}

const requestIdPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function erasedTenant(actor: Principal): string {
  if (!actor.tenantId) throw errors.badInput('An erasure call acts for the erased tenant.', { field: 'actor.tenantId' });
  return actor.tenantId;
}

/**
 * The audit service's part of an erasure: only it holds AUDIT_SIGNING_KEY (receipts, the pseudonym
 * key) and the security log. The tenants service, which carries out the erasure, asks through the
 * audit port; the port lets no other service call these methods. A receipt is signed only once the
 * tenant is gone from the control plane, so the tenants service cannot have one signed for a
 * tenant that still exists.
 */
export function createErasureAuthority(deps: ErasureAuthorityDeps, chainConfig: AuditChainConfig | undefined): ErasureAuthorityPort {
  const signingKey = chainConfig?.signingKey as JWK | undefined;
  const keyed = signingKey
    ? (async () => {
        const secret = pseudonymSecretFromSigningKey(signingKey).toString('hex');
        const [receipts, records] = await Promise.all([ErasureReceiptSigner.fromJwk(signingKey, (chainConfig?.verifyKeys ?? []) as JWK[]), CheckpointSigner.fromJwk(signingKey, (chainConfig?.verifyKeys ?? []) as JWK[])]);
        return { secret, receipts, pseudonymiser: new SecurityLogPseudonymiser({ db: deps.db, controlSchema: deps.controlSchema, signer: records, secret }) };
      })()
    : undefined;
  // Built lazily, and a failure stays a typed answer: a process without the key answers every call SERVICE_UNAVAILABLE.
  keyed?.catch(() => undefined);
  /** CONFLICT (TENANT_NOT_ERASED) while the tenant is in the control plane: both erasure methods act only for a tenant already gone. */
  const refuseLiveTenant = async (tenantId: string, what: string) => {
    if (await deps.tenants.find(tenantId)) throw errors.conflict(`Tenant ${tenantId} still exists: ${what}.`, { reason: 'TENANT_NOT_ERASED' });
  };
  const withKey = () => keyed ?? Promise.reject(errors.unavailable('This audit service has no AUDIT_SIGNING_KEY: it cannot sign erasure receipts.'));

  return {
    async pseudonymiseSecurityLog(actor, input) {
      const tenantId = erasedTenant(actor);
      if (typeof input?.requestId !== 'string' || !requestIdPattern.test(input.requestId)) throw errors.badInput('requestId must be the erasure request id.', { field: 'requestId' });
      // As for the receipt: the runner asks only after the tenant's rows are gone, so a tenant that
      // still exists is no erasure's. Without this, the tenants service's credentials alone rewrote
      // a live tenant's security-log entries into pseudonyms under a signed rewrite record, which
      // verifySecurityLog then accepts: who acted in that tenant would be unreadable for good.
      await refuseLiveTenant(tenantId, 'its security log is pseudonymised once it is erased');
      const { pseudonymiser } = await withKey();
      return pseudonymiser.pseudonymise(tenantId, input.requestId);
    },

    async signErasureReceipt(actor, input) {
      const tenantId = erasedTenant(actor);
      const payload = input?.payload;
      if (!payload || payload.type !== 'tessera.erasure-receipt' || payload.version !== 1 || typeof payload.requestId !== 'string' || !requestIdPattern.test(payload.requestId)) {
        throw errors.badInput('payload must be an erasure receipt (type tessera.erasure-receipt, version 1, requestId).', { field: 'payload' });
      }
      if (payload.tenantIdHash !== tenantIdHash(tenantId)) throw errors.badInput('The receipt names another tenant than the call acts for.', { field: 'payload.tenantIdHash' });
      await refuseLiveTenant(tenantId, 'a receipt is signed once it is erased');
      const { secret, receipts } = await withKey();
      const tenantPseudonymValue = tenantPseudonym(secret, tenantId);
      const receipt = await receipts.sign({ ...payload, tenantPseudonym: tenantPseudonymValue });
      return { receipt, keyId: receipts.keyId, tenantPseudonym: tenantPseudonymValue };
    },
  };
}
