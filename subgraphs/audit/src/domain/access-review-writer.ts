import { createHash, randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { recordAuditEvent, recordResourceOwner } from '@tessera/audit-client';
import type { Logger } from '@tessera/config';
import { TenantQuotas } from '@tessera/quotas';
import { storedSizeOf } from '@tessera/storage';
import { withAdvisoryLock, type TenantScope } from '@tessera/tenancy';
import { serviceAccountSubject, type AccessDirectory } from '@tessera/tenants/ports';
import {
  findReviewByPeriod,
  insertFinding,
  insertReview,
  lastActionBySubject,
  openStaleAlerts,
  reviewedPeriods,
  type AccessReviewRecord,
  type AccessReviewTrigger,
  type StaleFindingRecord,
} from '../data/access-review.repository';
import { insertAlert, listRuleOverrides, type Alert } from '../data/alert.repository';
import { findWebhook, insertDelivery } from '../data/webhook.repository';
import { composeAccessReport, type AccessReport } from './access-report.service';
import { webhookBody } from './alert-payload';
import { effectiveRules } from './alert-rules';
import type { AuditRelay } from './audit-event-relay';
import type { ReviewPeriod } from './review-period';
import { findStaleAccess, privilegedRoles, type AccessHolder, type StaleFinding } from './stale-access';

/** Names the document's shape, so a reader years later knows how to read it. */
export const accessReviewFormat = 'tessera.access-review/v1';
export const accessReviewTargetType = 'AccessReview';

/** One object per period: the key says which period it reviews. */
export function accessReviewObjectKey(period: ReviewPeriod): string {
  return `access-reviews/${period.label}.json`;
}

/**
 * A stale-access finding as the review document and the API show it: the stored finding without
 * its bookkeeping. `alertId` is the alert it raised, or the open alert of an earlier review it
 * joined (null when the rule is off); `newAlert` says which.
 */
export type StaleAccessEntry = Omit<StaleFindingRecord, 'reviewId' | 'principalKey' | 'alertRaised'> & { newAlert: boolean };

/** The JSON document written into the tenant's bucket (dates as ISO-8601 strings once serialized). */
export interface AccessReviewDocument {
  format: typeof accessReviewFormat;
  reviewId: string;
  tenantId: string;
  period: { label: string; from: Date; to: Date };
  generatedAt: Date;
  trigger: AccessReviewTrigger;
  staleAccess: { thresholdDays: number; privilegedRoles: readonly string[]; alerting: boolean; asOf: Date; findings: StaleAccessEntry[] };
  /** Exactly what `accessReport(from, to)` answers for the period. */
  accessReport: AccessReport;
}

export interface AccessReviewWriterDeps {
  db: DataSource;
  relay: AuditRelay;
  access: AccessDirectory;
  /** STALE_ACCESS_DAYS: the threshold where a tenant has not set its own (STALE_ACCESS rule). */
  staleAccessDays: number;
  /** Publishes alerts raised by a review (after commit) and sends their webhooks. */
  announce(scope: TenantScope, alerts: readonly Alert[]): Promise<void>;
  logger: Logger;
  /** The review's notion of now (generatedAt, created_at, which keys are active); injectable for tests. */
  clock(): Date;
}

const maxInt = 2_147_483_647;

/**
 * Writes a tenant's access review for one period, once: the access report for the period and the
 * stale privileged access found at its end, as one JSON document encrypted with the tenant's data
 * key into its own bucket (`access-reviews/<period>.json`), recorded in `access_reviews` with the
 * SHA-256 of the plaintext. A per-tenant MySQL advisory lock makes replicas and manual runs take
 * turns, and the period is checked under it, so each period is written once; the period column is
 * unique besides. The row, its findings, the alerts they raise (with their webhook deliveries),
 * the storage charge and the audit events commit in one transaction; the object is written first
 * and removed again if that transaction fails, so a crash in between leaves at worst an object no
 * row points to, overwritten by the next attempt. Callers assert the principal's right first.
 */
export class AccessReviewWriter {
  constructor(private readonly deps: AccessReviewWriterDeps) {}

  async write(scope: TenantScope, period: ReviewPeriod, trigger: AccessReviewTrigger): Promise<{ review: AccessReviewRecord; written: boolean }> {
    return this.withTenantLock(scope, async () => {
      const existing = await scope.db((manager) => findReviewByPeriod(manager, period.label));
      if (existing) return { review: existing, written: false };
      return { review: await this.writeLocked(scope, period, trigger), written: true };
    });
  }

  /** Writes the reviews of `periods` that are missing, oldest first; stops at the first failure (the next pass retries). */
  async catchUp(scope: TenantScope, periods: readonly ReviewPeriod[]): Promise<AccessReviewRecord[]> {
    const done = await scope.db((manager) => reviewedPeriods(manager, periods.map((p) => p.label)));
    const written: AccessReviewRecord[] = [];
    for (const period of periods) {
      if (done.has(period.label)) continue;
      const result = await this.write(scope, period, 'SCHEDULE');
      if (result.written) written.push(result.review);
    }
    return written;
  }

  private async writeLocked(scope: TenantScope, period: ReviewPeriod, trigger: AccessReviewTrigger): Promise<AccessReviewRecord> {
    const now = this.deps.clock();
    const id = randomUUID();
    const report = await composeAccessReport(scope, this.deps, period.from, period.to, now);
    const stale = await this.staleAccess(scope, period, now);
    const objectKey = accessReviewObjectKey(period);
    // Which findings raise an alert is decided before the document is written, so it records it.
    const decided = await scope.db(async (manager) => ({
      open: stale.alerting ? await openStaleAlerts(manager, stale.findings.map((f) => f.key)) : new Map<string, string>(),
      webhook: stale.alerting ? await findWebhook(manager) : undefined,
    }));
    const raised: Array<{ finding: StaleFinding; alert: Alert }> = [];
    const decisions = stale.findings.map((finding) => {
      const joined = decided.open.get(finding.key);
      let alertId: string | null = joined ?? null;
      if (stale.alerting && !joined) {
        const alert = staleAccessAlert(finding, stale.thresholdDays, period, now);
        raised.push({ finding, alert });
        alertId = alert.id;
      }
      const entry: StaleAccessEntry = {
        principalType: finding.type,
        principalId: finding.id,
        subject: finding.subject,
        label: finding.label,
        role: finding.role,
        grantedAt: finding.grantedAt,
        lastUsedAt: finding.lastUsedAt,
        idleDays: finding.idleDays,
        alertId,
        newAlert: stale.alerting && !joined,
      };
      return { finding, entry };
    });
    const entries = decisions.map((d) => d.entry);
    const document: AccessReviewDocument = {
      format: accessReviewFormat,
      reviewId: id,
      tenantId: scope.tenant.id,
      period: { label: period.label, from: period.from, to: period.to },
      generatedAt: now,
      trigger,
      staleAccess: { thresholdDays: stale.thresholdDays, privilegedRoles, alerting: stale.alerting, asOf: period.end, findings: entries },
      accessReport: report,
    };
    const body = Buffer.from(JSON.stringify(document, null, 2), 'utf8');
    const sha256 = createHash('sha256').update(body).digest('hex');
    const storage = await new TenantQuotas(scope).reserve('storageBytes', storedSizeOf(body.length));
    const review: AccessReviewRecord = {
      id,
      period: period.label,
      periodStart: period.from,
      periodEnd: period.to,
      objectKey,
      sha256,
      storedBytes: 0,
      memberCount: report.members.length,
      serviceAccountCount: report.serviceAccounts.length,
      apiKeyCount: stale.apiKeys,
      staleCount: entries.length,
      alertsRaised: raised.length,
      trigger,
      createdBy: scope.principal.subject,
      createdAt: now,
    };
    try {
      const key = await scope.currentDataKey();
      const stored = await scope.bucket.putEncryptedBuffer(objectKey, body, key);
      await scope.assertDataKeyHeld(key.keyVersion);
      review.storedBytes = stored.storedSize;
      await scope.transaction(async (manager) => {
        await insertReview(manager, review);
        await recordResourceOwner(manager, scope.tenant.id, accessReviewTargetType, id);
        for (const { finding, alert } of raised) {
          await insertAlert(manager, scope.tenant.id, alert, staleAlertDedupKey(id, finding.key));
          if (decided.webhook) {
            const deliveryId = randomUUID();
            await insertDelivery(manager, {
              id: deliveryId,
              alertId: alert.id,
              url: decided.webhook.url,
              body: webhookBody(scope.tenant.id, alert, deliveryId),
              status: 'PENDING',
              attempts: 0,
              nextAttemptAt: alert.createdAt,
              lastOutcome: null,
              deliveredAt: null,
              createdAt: alert.createdAt,
            });
          }
          await recordAuditEvent(manager, scope.principal, {
            action: 'access_review.stale_access',
            targetType: 'Alert',
            targetId: alert.id,
            details: { reviewId: id, period: period.label, principalType: finding.type, principalId: finding.id, role: finding.role, idleDays: finding.idleDays, thresholdDays: stale.thresholdDays },
          });
        }
        for (const { finding, entry } of decisions) await insertFinding(manager, id, finding, { id: entry.alertId, raised: entry.newAlert });
        await storage.commitWithin(manager, stored.storedSize);
        await recordAuditEvent(manager, scope.principal, {
          action: 'access_review.write',
          targetType: accessReviewTargetType,
          targetId: id,
          details: {
            period: period.label,
            trigger,
            objectKey,
            sha256,
            members: review.memberCount,
            serviceAccounts: review.serviceAccountCount,
            apiKeys: review.apiKeyCount,
            staleAccess: review.staleCount,
            alertsRaised: review.alertsRaised,
          },
        });
      });
    } catch (error) {
      // Under the lock and with no row for the period, the object at this key is this attempt's own.
      await scope.bucket.remove(objectKey).catch(() => undefined);
      await storage.release().catch(() => undefined);
      throw error;
    }
    const alerts = raised.map((r) => r.alert);
    await this.deps.announce(scope, alerts).catch((error: unknown) => {
      this.deps.logger.warn('stale-access alerts not announced', { tenantId: scope.tenant.id, reviewId: id, error: error instanceof Error ? error.message : String(error) });
    });
    return review;
  }

  /**
   * Everyone holding access now, with when they got it and their last known use: members (last
   * audited action of their subject), service accounts (that, or their keys' last use) and each
   * active API key (its last use as the gateway recorded it), judged at the end of the period.
   */
  private async staleAccess(scope: TenantScope, period: ReviewPeriod, now: Date): Promise<{ thresholdDays: number; alerting: boolean; findings: StaleFinding[]; apiKeys: number }> {
    const tenantId = scope.tenant.id;
    const holders = await this.deps.access.tenantAccess(tenantId, now);
    const keys = await this.deps.access.activeApiKeys(tenantId, now);
    const subjects = [...holders.members.flatMap((m) => (m.subject ? [m.subject] : [])), ...holders.serviceAccounts.map((s) => serviceAccountSubject(s.id))];
    const [lastBySubject, overrides] = await scope.db(async (manager) => [await lastActionBySubject(manager, subjects), await listRuleOverrides(manager)] as const);
    const rule = effectiveRules(overrides, { STALE_ACCESS: this.deps.staleAccessDays }).find((r) => r.kind === 'STALE_ACCESS')!;
    const latest = (...dates: Array<Date | null | undefined>) => dates.filter((d): d is Date => d instanceof Date).sort((a, b) => b.getTime() - a.getTime())[0] ?? null;
    const all: AccessHolder[] = [
      ...holders.members.map((m) => ({
        type: 'MEMBER' as const,
        id: m.id,
        subject: m.subject,
        label: m.email ?? m.subject ?? m.id,
        role: m.role ?? 'unknown',
        grantedAt: m.createdAt,
        lastUsedAt: m.subject ? (lastBySubject.get(m.subject) ?? null) : null,
      })),
      ...holders.serviceAccounts.map((s) => ({
        type: 'SERVICE_ACCOUNT' as const,
        id: s.id,
        subject: serviceAccountSubject(s.id),
        label: s.name,
        role: s.role ?? 'unknown',
        grantedAt: s.createdAt,
        lastUsedAt: latest(lastBySubject.get(serviceAccountSubject(s.id)), s.lastUsedAt),
      })),
      ...keys.map((k) => ({
        type: 'API_KEY' as const,
        id: k.id,
        subject: serviceAccountSubject(k.serviceAccountId),
        label: `API key ${k.id} of ${k.serviceAccountName}`,
        role: k.role ?? 'unknown',
        grantedAt: k.createdAt,
        lastUsedAt: k.lastUsedAt,
      })),
    ];
    return { thresholdDays: rule.threshold, alerting: rule.enabled, findings: findStaleAccess(all, period.end, rule.threshold), apiKeys: keys.length };
  }

  /** One review writer per tenant at a time, across replicas and manual runs. */
  private withTenantLock<T>(scope: TenantScope, fn: () => Promise<T>): Promise<T> {
    const name = `tessera:review:${createHash('sha256').update(scope.tenant.id).digest('hex').slice(0, 40)}`;
    return withAdvisoryLock(this.deps.db, name, { waitSeconds: 30, busyMessage: 'An access review of this tenant is being written; retry.', tenantId: scope.tenant.id }, fn);
  }
}

/** Unique per review and principal (the alerts table's dedup key), within its 64 characters. */
function staleAlertDedupKey(reviewId: string, principalKey: string): string {
  return `STALE_ACCESS:${createHash('sha256').update(`${reviewId}|${principalKey}`).digest('hex').slice(0, 48)}`;
}

const typeNames: Record<StaleFinding['type'], string> = { MEMBER: 'Member', SERVICE_ACCOUNT: 'Service account', API_KEY: '' };

function staleAccessAlert(finding: StaleFinding, thresholdDays: number, period: ReviewPeriod, now: Date): Alert {
  const since = finding.lastUsedAt ?? finding.grantedAt;
  const use = finding.lastUsedAt ? `last used ${finding.lastUsedAt.toISOString()}` : `never used since it was granted ${finding.grantedAt.toISOString()}`;
  const who = `${typeNames[finding.type]} ${finding.label}`.trim();
  return {
    id: randomUUID(),
    rule: 'STALE_ACCESS',
    status: 'OPEN',
    threshold: thresholdDays,
    observed: Math.min(finding.idleDays, maxInt),
    windowStart: since,
    windowEnd: period.end,
    // Not raised from a window of chain events: no sequence numbers to point at.
    firstSeq: 0,
    lastSeq: 0,
    summary: `STALE_ACCESS: ${who} (${finding.role}) ${use}: ${finding.idleDays} days without use at the end of ${period.label} (threshold ${thresholdDays} days). Access review ${period.label}; remove or demote it if it is not needed.`.slice(0, 500),
    createdAt: now,
    acknowledgedAt: null,
    acknowledgedBy: null,
  };
}
