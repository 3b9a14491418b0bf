import type { Logger } from '@tessera/config';
import type { TenantScope } from '@tessera/tenancy';
import { dueDeliveries, findWebhook, nextPendingAt, recordAttempt, type WebhookDelivery } from '../data/webhook.repository';
import type { AlertingConfig } from './alerting-config';
import { openWebhookSecret } from './webhook-secret';
import { signatureHeader, signWebhookBody } from './webhook-signature';
import type { WebhookAttempt, WebhookTransport } from './webhook-transport';

/** How long a claimed delivery is reserved for the replica sending it. */
const leaseMs = 60_000;

export interface DispatchResult {
  attempted: number;
  /** When the next pending delivery of this tenant is due, if any. */
  nextDueAt: Date | null;
}

export interface WebhookDispatchDeps {
  config: AlertingConfig;
  /** Sends only to addresses the webhook address policy allows, checked at connection time. */
  transport: WebhookTransport;
  logger: Logger;
}

/**
 * Sends the tenant's due webhook deliveries. Each is claimed first (its next attempt pushed out by
 * a lease, only if still due), so two replicas never send the same attempt; then POSTed, signed
 * afresh with the current time; then recorded: DELIVERED on 2xx, otherwise rescheduled with
 * exponential backoff until the attempt budget is spent (FAILED). Redirects are not followed. What
 * is recorded is the platform's outcome of the attempt, never the receiver's answer.
 */
export async function dispatchDueWebhooks(scope: TenantScope, deps: WebhookDispatchDeps): Promise<DispatchResult> {
  const due = await scope.db((manager) => dueDeliveries(manager, new Date(), 20));
  let attempted = 0;
  for (const delivery of due) {
    if (!(await claim(scope, delivery))) continue;
    attempted += 1;
    await attempt(scope, deps, delivery);
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

async function attempt(scope: TenantScope, deps: WebhookDispatchDeps, delivery: WebhookDelivery): Promise<void> {
  const { config } = deps;
  const attempts = delivery.attempts + 1;
  let result: WebhookAttempt;
  try {
    result = await send(scope, deps, delivery);
  } catch (error) {
    // Our own failure (database, key service), not the receiver's: no attempt is spent, and the
    // claim's lease makes the delivery due again.
    deps.logger.warn('webhook attempt not made', { tenantId: scope.tenant.id, deliveryId: delivery.id, error: error instanceof Error ? error.message : String(error) });
    return;
  }
  if (result.outcome !== 'DELIVERED') {
    // The detail (addresses, status codes, errors) is for the operator only; the tenant sees the outcome.
    const fields = { tenantId: scope.tenant.id, deliveryId: delivery.id, attempt: attempts, outcome: result.outcome, detail: result.detail };
    if (result.outcome === 'REFUSED_ADDRESS') deps.logger.warn('webhook refused by the address policy', fields);
    else deps.logger.debug('webhook attempt failed', fields);
  }
  const now = new Date();
  const delivered = result.outcome === 'DELIVERED';
  const exhausted = !delivered && attempts >= config.webhookMaxAttempts;
  await scope.db((manager) =>
    recordAttempt(manager, delivery.id, {
      status: delivered ? 'DELIVERED' : exhausted ? 'FAILED' : 'PENDING',
      attempts,
      nextAttemptAt: delivered || exhausted ? now : new Date(now.getTime() + config.webhookBackoffBaseMs * 2 ** (attempts - 1)),
      lastOutcome: result.outcome,
      deliveredAt: delivered ? now : null,
    }),
  );
}

async function send(scope: TenantScope, deps: WebhookDispatchDeps, delivery: WebhookDelivery): Promise<WebhookAttempt> {
  const webhook = await scope.db((manager) => findWebhook(manager));
  if (!webhook) return { outcome: 'WEBHOOK_REMOVED', detail: 'the tenant removed its webhook' };
  // The webhook as configured now, address and secret: after a change the pending retries go to the
  // new receiver, signed with the secret it holds, instead of carrying the alert to the address the
  // admin replaced, signed with a secret that receiver never saw (so neither would accept it).
  const secret = await openWebhookSecret(scope, webhook.secretCiphertext);
  return deps.transport.post({
    url: webhook.url,
    owner: scope.tenant.id,
    timeoutMs: deps.config.webhookTimeoutMs,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'Tessera-Alerts/1',
      [signatureHeader]: signWebhookBody(secret, delivery.body, Math.floor(Date.now() / 1000)),
      'X-Tessera-Delivery': delivery.id,
      'X-Tessera-Event': 'alert.fired',
    },
    body: delivery.body,
  });
}
