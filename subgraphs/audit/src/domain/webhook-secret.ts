import { randomBytes } from 'node:crypto';
import { decryptBuffer, encryptBuffer } from '@tessera/crypto';
import type { TenantScope } from '@tessera/tenancy';
import type { EntityManager } from 'typeorm';

/** Binds the ciphertext to this tenant and this use, so it cannot be swapped for another tenant's. */
const associatedData = (tenantId: string) => `${tenantId}/alert-webhook-secret`;

export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/**
 * Stored encrypted with the tenant's current data key (the key version travels in the ciphertext
 * header), by `within`'s transaction, which holds the tenant's data-key floor until it commits.
 */
export async function sealWebhookSecret(scope: TenantScope, within: EntityManager, secret: string): Promise<{ ciphertext: string; keyVersion: number }> {
  const key = await scope.sealingKey(within);
  const sealed = await encryptBuffer(Buffer.from(secret, 'utf8'), { dataKey: key.dataKey, keyVersion: key.keyVersion, associatedData: associatedData(scope.tenant.id) });
  return { ciphertext: sealed.toString('base64'), keyVersion: key.keyVersion };
}

export async function openWebhookSecret(scope: TenantScope, ciphertext: string): Promise<string> {
  const plain = await decryptBuffer(Buffer.from(ciphertext, 'base64'), { resolveKey: scope.resolveDataKey, associatedData: associatedData(scope.tenant.id) });
  return plain.toString('utf8');
}
