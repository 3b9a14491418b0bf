import { assertPermission } from '@tessera/auth';
import { notFoundAcrossTenants, recordAuditEvent } from '@tessera/audit-client';
import { errors } from '@tessera/errors';
import { parseUuid } from '@tessera/service-kit';
import type { TenantScope } from '@tessera/tenancy';
import { acknowledge, alertTargetType, findAlert, listAlerts, listRuleOverrides, upsertRuleOverride, type Alert, type AlertStatus } from '../data/alert.repository';
import { deleteWebhook, deliveriesOf, findWebhook, saveWebhook, type WebhookDelivery } from '../data/webhook.repository';
import type { AlertEngine } from './alert-engine';
import { effectiveRules, parseRuleInput, type AlertRule } from './alert-rules';
import { generateWebhookSecret, sealWebhookSecret } from './webhook-secret';

/** Checks a webhook URL being saved and returns it normalised (see webhook-url). */
/** `owner`: the tenant saving the URL. */
export type WebhookUrlValidator = (value: string, owner: string) => Promise<string>;

export const maxAlertsPage = 100;

/** A tenant's alerts, rules and webhook; tenant admins only, and every change is audited. */
export class AlertService {
  constructor(
    private readonly scope: TenantScope,
    private readonly engine: AlertEngine,
    private readonly validateUrl: WebhookUrlValidator,
  ) {}

  /** Evaluates the newest events first, so what was just written is already reflected. */
  async list(status: AlertStatus | null | undefined, first: number | null | undefined): Promise<Alert[]> {
    assertPermission(this.scope.principal, 'audit');
    const limit = first ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > maxAlertsPage) throw errors.badInput(`first must be between 1 and ${maxAlertsPage}.`, { field: 'first' });
    await this.engine.runFor(this.scope);
    return this.scope.db((manager) => listAlerts(manager, status ?? undefined, limit));
  }

  async acknowledge(id: string): Promise<Alert> {
    assertPermission(this.scope.principal, 'administer');
    const alertId = parseUuid(id, 'id');
    const acknowledged = await this.scope.transaction(async (manager) => {
      const alert = await findAlert(manager, alertId, true);
      if (!alert) return undefined;
      if (alert.status === 'OPEN') {
        await acknowledge(manager, alertId, this.scope.principal.subject, new Date());
        await recordAuditEvent(manager, this.scope.principal, { action: 'alert.acknowledge', targetType: alertTargetType, targetId: alertId, details: { rule: alert.rule } });
      }
      return (await findAlert(manager, alertId))!;
    });
    // Another tenant's alert: the NOT_FOUND of one that never existed, the attempt recorded after it.
    if (!acknowledged) throw await notFoundAcrossTenants(this.scope, alertTargetType, alertId);
    return acknowledged;
  }

  async deliveries(alertId: string): Promise<WebhookDelivery[]> {
    return this.scope.db((manager) => deliveriesOf(manager, alertId));
  }

  async rules(): Promise<AlertRule[]> {
    assertPermission(this.scope.principal, 'audit');
    return effectiveRules(await this.scope.db((manager) => listRuleOverrides(manager)), this.engine.ruleDefaults());
  }

  async setRule(input: { kind: string; threshold: number; enabled: boolean }): Promise<AlertRule> {
    assertPermission(this.scope.principal, 'administer');
    const rule = parseRuleInput(input);
    await this.scope.transaction(async (manager) => {
      await upsertRuleOverride(manager, rule, this.scope.principal.subject);
      await recordAuditEvent(manager, this.scope.principal, { action: 'alert.rule.set', targetType: 'AlertRule', targetId: rule.kind, details: { threshold: rule.threshold, enabled: rule.enabled } });
    });
    return { ...rule, isDefault: false };
  }

  async webhook(): Promise<{ url: string; createdAt: Date } | null> {
    assertPermission(this.scope.principal, 'audit');
    const webhook = await this.scope.db((manager) => findWebhook(manager));
    return webhook ? { url: webhook.url, createdAt: webhook.createdAt } : null;
  }

  /** A new secret every time: it is returned here once and only ever stored encrypted. */
  async setWebhook(rawUrl: string): Promise<{ url: string; secret: string; createdAt: Date }> {
    assertPermission(this.scope.principal, 'administer');
    const url = await this.validateUrl(rawUrl, this.scope.tenant.id);
    const secret = generateWebhookSecret();
    const createdAt = new Date();
    await this.scope.transaction(async (manager) => {
      const sealed = await sealWebhookSecret(this.scope, manager, secret);
      await saveWebhook(manager, { url, secretCiphertext: sealed.ciphertext, keyVersion: sealed.keyVersion, createdBy: this.scope.principal.subject, createdAt });
      await recordAuditEvent(manager, this.scope.principal, { action: 'alert.webhook.set', targetType: 'AlertWebhook', targetId: null, details: { host: new URL(url).host } });
    });
    return { url, secret, createdAt };
  }

  async removeWebhook(): Promise<boolean> {
    assertPermission(this.scope.principal, 'administer');
    return this.scope.transaction(async (manager) => {
      const removed = await deleteWebhook(manager);
      if (removed) await recordAuditEvent(manager, this.scope.principal, { action: 'alert.webhook.remove', targetType: 'AlertWebhook', targetId: null });
      return removed;
    });
  }
}
