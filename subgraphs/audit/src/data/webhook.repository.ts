import type { EntityManager } from 'typeorm';
import { isWebhookOutcome, type WebhookOutcome } from '../domain/webhook-outcome';

export interface AlertWebhookRow {
  url: string;
  secretCiphertext: string;
  keyVersion: number;
  createdBy: string;
  createdAt: Date;
}

export type DeliveryStatus = 'PENDING' | 'DELIVERED' | 'FAILED';

export interface WebhookDelivery {
  id: string;
  alertId: string;
  url: string;
  body: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Date;
  /** How the last attempt ended, in the platform's terms; null before the first. */
  lastOutcome: WebhookOutcome | null;
  deliveredAt: Date | null;
  createdAt: Date;
}

export async function findWebhook(manager: EntityManager): Promise<AlertWebhookRow | undefined> {
  const [row] = (await manager.query('SELECT url, secret_ciphertext, key_version, created_by, created_at FROM alert_webhooks WHERE id = 1')) as Array<{
    url: string;
    secret_ciphertext: string;
    key_version: number;
    created_by: string;
    created_at: Date;
  }>;
  return row ? { url: row.url, secretCiphertext: row.secret_ciphertext, keyVersion: Number(row.key_version), createdBy: row.created_by, createdAt: new Date(row.created_at) } : undefined;
}

export async function saveWebhook(manager: EntityManager, webhook: AlertWebhookRow): Promise<void> {
  await manager.query(
    `INSERT INTO alert_webhooks (id, url, secret_ciphertext, key_version, created_by, created_at) VALUES (1, ?, ?, ?, ?, ?)
     ON DUPLICATE KEY UPDATE url = VALUES(url), secret_ciphertext = VALUES(secret_ciphertext), key_version = VALUES(key_version),
       created_by = VALUES(created_by), created_at = VALUES(created_at)`,
    [webhook.url, webhook.secretCiphertext, webhook.keyVersion, webhook.createdBy, webhook.createdAt],
  );
}

export async function deleteWebhook(manager: EntityManager): Promise<boolean> {
  const result = (await manager.query('DELETE FROM alert_webhooks WHERE id = 1')) as { affectedRows?: number };
  return (result.affectedRows ?? 0) > 0;
}

export async function insertDelivery(manager: EntityManager, delivery: WebhookDelivery): Promise<void> {
  await manager.query(
    `INSERT INTO webhook_deliveries (id, alert_id, url, body_json, status, attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    [delivery.id, delivery.alertId, delivery.url, delivery.body, delivery.status, delivery.attempts, delivery.nextAttemptAt, delivery.createdAt],
  );
}

interface DeliveryRow {
  id: string;
  alert_id: string;
  url: string;
  body_json: string;
  status: string;
  attempts: number;
  next_attempt_at: Date;
  last_outcome: string | null;
  delivered_at: Date | null;
  created_at: Date;
}

function toDelivery(row: DeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    alertId: row.alert_id,
    url: row.url,
    body: row.body_json,
    status: row.status as DeliveryStatus,
    attempts: Number(row.attempts),
    nextAttemptAt: new Date(row.next_attempt_at),
    lastOutcome: isWebhookOutcome(row.last_outcome) ? row.last_outcome : null,
    deliveredAt: row.delivered_at ? new Date(row.delivered_at) : null,
    createdAt: new Date(row.created_at),
  };
}

export async function dueDeliveries(manager: EntityManager, now: Date, limit: number): Promise<WebhookDelivery[]> {
  const rows = (await manager.query("SELECT * FROM webhook_deliveries WHERE status = 'PENDING' AND next_attempt_at <= ? ORDER BY next_attempt_at ASC LIMIT ?", [now, limit])) as DeliveryRow[];
  return rows.map(toDelivery);
}

export async function nextPendingAt(manager: EntityManager): Promise<Date | null> {
  const [row] = (await manager.query("SELECT MIN(next_attempt_at) AS at FROM webhook_deliveries WHERE status = 'PENDING'")) as Array<{ at: Date | null }>;
  return row?.at ? new Date(row.at) : null;
}

export async function deliveriesOf(manager: EntityManager, alertId: string): Promise<WebhookDelivery[]> {
  const rows = (await manager.query('SELECT * FROM webhook_deliveries WHERE alert_id = ? ORDER BY created_at', [alertId])) as DeliveryRow[];
  return rows.map(toDelivery);
}

/** The receiver's status and error text are not kept (last_status, last_error stay NULL): only our outcome. */
export async function recordAttempt(
  manager: EntityManager,
  id: string,
  outcome: { status: DeliveryStatus; attempts: number; nextAttemptAt: Date; lastOutcome: WebhookOutcome; deliveredAt: Date | null },
): Promise<void> {
  await manager.query(
    'UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, last_outcome = ?, last_status = NULL, last_error = NULL, delivered_at = ? WHERE id = ?',
    [outcome.status, outcome.attempts, outcome.nextAttemptAt, outcome.lastOutcome, outcome.deliveredAt, id],
  );
}
