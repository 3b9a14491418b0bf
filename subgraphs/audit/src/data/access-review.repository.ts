import type { EntityManager } from 'typeorm';
import type { StaleFinding, StalePrincipalType } from '../domain/stale-access';
import { exactly } from './exact-text';

export type AccessReviewTrigger = 'SCHEDULE' | 'MANUAL';

export interface AccessReviewRecord {
  id: string;
  period: string;
  periodStart: Date;
  periodEnd: Date;
  objectKey: string;
  sha256: string;
  storedBytes: number;
  memberCount: number;
  serviceAccountCount: number;
  apiKeyCount: number;
  staleCount: number;
  alertsRaised: number;
  trigger: AccessReviewTrigger;
  createdBy: string;
  createdAt: Date;
}

export interface StaleFindingRecord {
  reviewId: string;
  principalKey: string;
  principalType: StalePrincipalType;
  principalId: string;
  subject: string | null;
  label: string;
  role: string;
  grantedAt: Date;
  lastUsedAt: Date | null;
  idleDays: number;
  alertId: string | null;
  alertRaised: boolean;
}

interface ReviewRow {
  id: string;
  period: string;
  period_start: Date;
  period_end: Date;
  object_key: string;
  sha256: string;
  stored_bytes: number | string;
  member_count: number;
  service_account_count: number;
  api_key_count: number;
  stale_count: number;
  alerts_raised: number;
  trigger_kind: string;
  created_by: string;
  created_at: Date;
}

function toRecord(row: ReviewRow): AccessReviewRecord {
  return {
    id: row.id,
    period: row.period,
    periodStart: new Date(row.period_start),
    periodEnd: new Date(row.period_end),
    objectKey: row.object_key,
    sha256: row.sha256,
    storedBytes: Number(row.stored_bytes),
    memberCount: Number(row.member_count),
    serviceAccountCount: Number(row.service_account_count),
    apiKeyCount: Number(row.api_key_count),
    staleCount: Number(row.stale_count),
    alertsRaised: Number(row.alerts_raised),
    trigger: row.trigger_kind as AccessReviewTrigger,
    createdBy: row.created_by,
    createdAt: new Date(row.created_at),
  };
}

export async function insertReview(manager: EntityManager, review: AccessReviewRecord): Promise<void> {
  await manager.query(
    `INSERT INTO access_reviews (id, period, period_start, period_end, object_key, sha256, stored_bytes, member_count, service_account_count, api_key_count,
       stale_count, alerts_raised, trigger_kind, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      review.id,
      review.period,
      review.periodStart,
      review.periodEnd,
      review.objectKey,
      review.sha256,
      review.storedBytes,
      review.memberCount,
      review.serviceAccountCount,
      review.apiKeyCount,
      review.staleCount,
      review.alertsRaised,
      review.trigger,
      review.createdBy,
      review.createdAt,
    ],
  );
}

export async function findReview(manager: EntityManager, id: string): Promise<AccessReviewRecord | undefined> {
  const rows = (await manager.query('SELECT * FROM access_reviews WHERE id = ?', [id])) as ReviewRow[];
  return rows[0] ? toRecord(rows[0]) : undefined;
}

export async function findReviewByPeriod(manager: EntityManager, period: string): Promise<AccessReviewRecord | undefined> {
  const rows = (await manager.query('SELECT * FROM access_reviews WHERE period = ?', [period])) as ReviewRow[];
  return rows[0] ? toRecord(rows[0]) : undefined;
}

/** Which of `periods` have a review already. */
export async function reviewedPeriods(manager: EntityManager, periods: readonly string[]): Promise<Set<string>> {
  if (periods.length === 0) return new Set();
  const rows = (await manager.query('SELECT period FROM access_reviews WHERE period IN (?)', [periods])) as Array<{ period: string }>;
  return new Set(rows.map((row) => row.period));
}

/** Newest period first; `after` is the (period_start, id) of the previous page's last row. */
export async function listReviews(manager: EntityManager, after: { periodStart: Date; id: string } | undefined, limit: number): Promise<AccessReviewRecord[]> {
  const rows = (await manager.query(
    `SELECT * FROM access_reviews ${after ? 'WHERE period_start < ? OR (period_start = ? AND id < ?)' : ''} ORDER BY period_start DESC, id DESC LIMIT ?`,
    after ? [after.periodStart, after.periodStart, after.id, limit] : [limit],
  )) as ReviewRow[];
  return rows.map(toRecord);
}

export async function insertFinding(manager: EntityManager, reviewId: string, finding: StaleFinding, alert: { id: string | null; raised: boolean }): Promise<void> {
  await manager.query(
    `INSERT INTO stale_access_findings (review_id, principal_key, principal_type, principal_id, subject, label, role, granted_at, last_used_at, idle_days, alert_id, alert_raised)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      reviewId,
      finding.key,
      finding.type,
      finding.id,
      finding.subject,
      finding.label.slice(0, 320),
      finding.role,
      finding.grantedAt,
      finding.lastUsedAt,
      Math.min(finding.idleDays, 2_147_483_647),
      alert.id,
      alert.raised ? 1 : 0,
    ],
  );
}

export async function findingsOf(manager: EntityManager, reviewId: string): Promise<StaleFindingRecord[]> {
  const rows = (await manager.query('SELECT * FROM stale_access_findings WHERE review_id = ? ORDER BY principal_key', [reviewId])) as Array<{
    review_id: string;
    principal_key: string;
    principal_type: string;
    principal_id: string;
    subject: string | null;
    label: string;
    role: string;
    granted_at: Date;
    last_used_at: Date | null;
    idle_days: number;
    alert_id: string | null;
    alert_raised: number;
  }>;
  return rows.map((row) => ({
    reviewId: row.review_id,
    principalKey: row.principal_key,
    principalType: row.principal_type as StalePrincipalType,
    principalId: row.principal_id,
    subject: row.subject,
    label: row.label,
    role: row.role,
    grantedAt: new Date(row.granted_at),
    lastUsedAt: row.last_used_at ? new Date(row.last_used_at) : null,
    idleDays: Number(row.idle_days),
    alertId: row.alert_id,
    alertRaised: Boolean(row.alert_raised),
  }));
}

/** Principal → its stale-access alert of an earlier review that nobody acknowledged yet. */
export async function openStaleAlerts(manager: EntityManager, principalKeys: readonly string[]): Promise<Map<string, string>> {
  if (principalKeys.length === 0) return new Map();
  const rows = (await manager.query(
    `SELECT f.principal_key, f.alert_id FROM stale_access_findings f JOIN alerts a ON a.id = f.alert_id
      WHERE f.principal_key IN (?) AND a.status = 'OPEN' ORDER BY a.created_at`,
    [principalKeys],
  )) as Array<{ principal_key: string; alert_id: string }>;
  return new Map(rows.map((row) => [row.principal_key, row.alert_id]));
}

/** The last audited action of each subject (byte for byte: exact-text.ts), at any time (a use after the review's period still shows the access is used). */
export async function lastActionBySubject(manager: EntityManager, subjects: readonly string[]): Promise<Map<string, Date>> {
  if (subjects.length === 0) return new Map();
  const rows = (await manager.query(
    `SELECT MIN(actor_subject) AS who, MAX(occurred_at) AS last_at FROM audit_events WHERE actor_subject IN (?) AND action <> 'auth.failure' GROUP BY ${exactly('actor_subject')}`,
    [subjects],
  )) as Array<{ who: string; last_at: Date }>;
  return new Map(rows.map((row) => [row.who, new Date(row.last_at)]));
}
