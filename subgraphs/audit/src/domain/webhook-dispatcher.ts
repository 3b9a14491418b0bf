import type { TenantScope } from '@tessera/tenancy';
import { dueDeliveries, findWebhook, nextPendingAt, recordAttempt, type WebhookDelivery } from '../data/webhook.repository';
import type { AlertingConfig } from './alerting-config';
import { openWebhookSecret } from './webhook-secret';
import { signatureHeader, signWebhookBody } from './webhook-signature';

/** How long a claimed delivery is reserved for the replica sending it. */
const leaseMs = 60_000;

export interface DispatchResult {
  attempted: number;
  /** When the next pending delivery of this tenant is due, if any. */
  nextDueAt: Date | null;
}

/**
 * Sends the tenant's due webhook deliveries. Each is claimed first (its next attempt pushed out by
 * a lease, only if still due), so two replicas never send the same attempt; then POSTed, signed
 * afresh with the current time; then recorded: DELIVERED on 2xx, otherwise rescheduled with
 * exponential backoff until the attempt budget is spent (FAILED). Redirects are not followed.
 */
export async function dispatchDueWebhooks(scope: TenantScope, config: AlertingConfig): Promise<DispatchResult> {
  const due = await scope.db((manager) => dueDeliveries(manager, new Date(), 20));
  let attempted = 0;
  for (const delivery of due) {
    if (!(await claim(scope, delivery))) continue;
    attempted += 1;
    await attempt(scope, config, delivery);
  }
  return { attempted, nextDueAt: await scope.db((manager) => nextPendingAt(manager)) };
}

async function claim(scope: TenantScope, delivery: WebhookDelivery): Promise<boolean> {
  const result = (await scope.db((manager) =>
    manager.query("UPDATE webhook_deliveries SET next_attempt_at = ? WHERE id = ? AND status = 'PENDING' AND next_attempt_at = ?", [
      new Date(Date.now() + leaseMs),
      delivery.id,
      delivery.nextAttemptAt,
    ]),
  )) as { affectedRows?: number };
  return (result.affectedRows ?? 0) > 0;
}

async function attempt(scope: TenantScope, config: AlertingConfig, delivery: WebhookDelivery): Promise<void> {
  const attempts = delivery.attempts + 1;
  let status: number | null = null;
  let error: string | null = null;
  try {
    const webhook = await scope.db((manager) => findWebhook(manager));
    // The secret of the webhook as configured now: a rotated secret signs the retries too.
    if (!webhook) throw new Error('the tenant removed its webhook');
    const secret = await openWebhookSecret(scope, webhook.secretCiphertext);
    const response = await fetch(delivery.url, {
      method: 'POST',
      redirect: 'manual',
      signal: AbortSignal.timeout(config.webhookTimeoutMs),
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Tessera-Alerts/1',
        [signatureHeader]: signWebhookBody(secret, delivery.body, Math.floor(Date.now() / 1000)),
        'X-Tessera-Delivery': delivery.id,
        'X-Tessera-Event': 'alert.fired',
      },
      body: delivery.body,
    });
    status = response.status;
    await response.body?.cancel().catch(() => undefined);
    if (status < 200 || status >= 300) error = `HTTP ${status}`;
  } catch (cause) {
    error = (cause instanceof Error ? cause.message : String(cause)).slice(0, 255);
  }
  const now = new Date();
  const delivered = error === null;
  const exhausted = !delivered && attempts >= config.webhookMaxAttempts;
  await scope.db((manager) =>
    recordAttempt(manager, delivery.id, {
      status: delivered ? 'DELIVERED' : exhausted ? 'FAILED' : 'PENDING',
      attempts,
      nextAttemptAt: delivered || exhausted ? now : new Date(now.getTime() + config.webhookBackoffBaseMs * 2 ** (attempts - 1)),
      lastStatus: status,
      lastError: error,
      deliveredAt: delivered ? now : null,
    }),
  );
}
