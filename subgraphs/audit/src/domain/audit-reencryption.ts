import type { Principal } from '@tessera/auth';
import { assertPermission } from '@tessera/auth';
import { assertReencryptionInput, auditDetailsColumn, reencryptPrefixObjects, resealColumn, type ObjectReencryptionInput, type ObjectReencryptionProgress } from '@tessera/service-kit';
import type { TenantScopeFactory } from '@tessera/tenancy';
import { openWebhookSecret, sealWebhookSecret } from './webhook-secret';

/** Where the audit service keeps encrypted objects in a tenant's bucket (checkpoints are signed, not encrypted). */
const encryptedPrefixes = ['audit-exports/', 'access-reviews/'] as const;

/**
 * What the audit service holds under a tenant's data key, moved to the current one: the alert
 * webhook secret (a column), the events' sealed details, and the exports and access reviews (objects). The secret is re-sealed
 * with a compare-and-set on its old version, so a concurrent change of the webhook wins.
 */
export async function reencryptAuditData(scopes: TenantScopeFactory, actor: Principal, input: ObjectReencryptionInput): Promise<ObjectReencryptionProgress> {
  assertPermission(actor, 'administer');
  assertReencryptionInput(input);
  const scope = await scopes.forPrincipal(actor);
  let reencrypted = 0;
  let remaining = 0;
  const [webhook] = (await scope.db((manager) => manager.query('SELECT secret_ciphertext, key_version FROM alert_webhooks WHERE id = 1'))) as Array<{ secret_ciphertext: string; key_version: number }>;
  if (webhook && Number(webhook.key_version) < input.belowVersion) {
    const current = input.batchSize > 0 ? await scope.currentDataKey() : undefined;
    if (current && current.keyVersion >= input.belowVersion) {
      const secret = await openWebhookSecret(scope, webhook.secret_ciphertext);
      await scope.transaction(async (manager) => {
        const sealed = await sealWebhookSecret(scope, manager, secret);
        await manager.query('UPDATE alert_webhooks SET secret_ciphertext = ?, key_version = ? WHERE id = 1 AND key_version = ?', [sealed.ciphertext, sealed.keyVersion, webhook.key_version]);
      });
      reencrypted++;
    } else {
      remaining++;
    }
  }
  // The events' sealed details (and legacy clear ones, sealed on the way), then the objects.
  const details = await resealColumn(scope, auditDetailsColumn, { ...input, batchSize: Math.max(0, input.batchSize - reencrypted) });
  reencrypted += details.reencrypted;
  remaining += details.remaining;
  const objects = await reencryptPrefixObjects(scope, encryptedPrefixes, { ...input, batchSize: Math.max(0, input.batchSize - reencrypted) });
  return { reencrypted: reencrypted + objects.reencrypted, remaining: remaining + objects.remaining };
}
