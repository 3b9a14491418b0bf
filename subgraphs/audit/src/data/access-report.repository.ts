import type { EntityManager } from 'typeorm';
import { exactly } from './exact-text';

/*
 * Principals and resources are told apart byte for byte (exact-text.ts): the schema's collation
 * would group `abc`, `ABC` and `abc ` as one subject. Within an exact group every value is the
 * same bytes, so `MIN(column)` is that value.
 */

/** Actions whose actor is not an authenticated principal (the token failed): never a role holder. */
const unverifiedActions = ['auth.failure'];
/** Bounds a report's size; a busier period is reviewed in shorter slices. */
export const maxReportRows = 5000;

export interface ResourceAccessRow {
  subject: string;
  targetType: string;
  targetId: string;
  action: string;
  count: number;
  lastAt: Date;
}

export async function findLatestPrincipals(manager: EntityManager, to: Date): Promise<Array<{ subject: string; roles: string; client: string | null; lastSeenAt: Date }>> {
  const rows = (await manager.query(
    `SELECT e.actor_subject, e.actor_roles, e.actor_client, e.occurred_at
       FROM audit_events e
       JOIN (SELECT MAX(seq) AS seq FROM audit_events
              WHERE occurred_at <= ? AND action NOT IN (?) AND actor_roles <> '' GROUP BY ${exactly('actor_subject')}) latest ON latest.seq = e.seq
      ORDER BY e.actor_subject LIMIT ?`,
    [to, unverifiedActions, maxReportRows],
  )) as Array<{ actor_subject: string; actor_roles: string; actor_client: string | null; occurred_at: Date }>;
  return rows.map((r) => ({ subject: r.actor_subject, roles: r.actor_roles, client: r.actor_client, lastSeenAt: new Date(r.occurred_at) }));
}

/** Every distinct role set each principal presented up to `to`: more than one is a role change. */
export async function findRoleSets(manager: EntityManager, to: Date): Promise<Array<{ subject: string; roles: string; firstSeenAt: Date; lastSeenAt: Date }>> {
  const rows = (await manager.query(
    `SELECT MIN(actor_subject) AS actor_subject, actor_roles, MIN(occurred_at) AS first_at, MAX(occurred_at) AS last_at
       FROM audit_events
      WHERE occurred_at <= ? AND action NOT IN (?) AND actor_roles <> ''
      GROUP BY ${exactly('actor_subject')}, actor_roles
      ORDER BY ${exactly('MIN(actor_subject)')}, first_at LIMIT ?`,
    [to, unverifiedActions, maxReportRows],
  )) as Array<{ actor_subject: string; actor_roles: string; first_at: Date; last_at: Date }>;
  return rows.map((r) => ({ subject: r.actor_subject, roles: r.actor_roles, firstSeenAt: new Date(r.first_at), lastSeenAt: new Date(r.last_at) }));
}

export async function findAccessByResource(manager: EntityManager, from: Date, to: Date, targetTypes: string[]): Promise<ResourceAccessRow[]> {
  const rows = (await manager.query(
    `SELECT MIN(actor_subject) AS actor_subject, target_type, MIN(target_id) AS target_id, action, COUNT(*) AS n, MAX(occurred_at) AS last_at
       FROM audit_events
      WHERE occurred_at >= ? AND occurred_at <= ? AND target_type IN (?) AND target_id IS NOT NULL AND outcome = 'SUCCESS'
      GROUP BY ${exactly('actor_subject')}, target_type, ${exactly('target_id')}, action
      ORDER BY last_at DESC LIMIT ?`,
    [from, to, targetTypes, maxReportRows],
  )) as Array<{ actor_subject: string; target_type: string; target_id: string; action: string; n: number | string; last_at: Date }>;
  return rows.map((r) => ({ subject: r.actor_subject, targetType: r.target_type, targetId: r.target_id, action: r.action, count: Number(r.n), lastAt: new Date(r.last_at) }));
}

export async function findUserActivity(manager: EntityManager, from: Date, to: Date): Promise<Array<{ subject: string; eventCount: number; lastActivityAt: Date; lastAction: string }>> {
  const rows = (await manager.query(
    `SELECT e.actor_subject, agg.n, e.occurred_at, e.action
       FROM (SELECT COUNT(*) AS n, MAX(seq) AS seq FROM audit_events
              WHERE occurred_at >= ? AND occurred_at <= ? AND action NOT IN (?) GROUP BY ${exactly('actor_subject')}) agg
       JOIN audit_events e ON e.seq = agg.seq
      ORDER BY e.occurred_at DESC LIMIT ?`,
    [from, to, unverifiedActions, maxReportRows],
  )) as Array<{ actor_subject: string; n: number | string; occurred_at: Date; action: string }>;
  return rows.map((r) => ({ subject: r.actor_subject, eventCount: Number(r.n), lastActivityAt: new Date(r.occurred_at), lastAction: r.action }));
}

/** The last audited action of each subject up to `to` (any time before), for the subjects asked about. */
export async function findLastActivity(manager: EntityManager, to: Date, subjects: readonly string[]): Promise<Map<string, Date>> {
  if (subjects.length === 0) return new Map();
  const rows = (await manager.query(
    `SELECT MIN(actor_subject) AS actor_subject, MAX(occurred_at) AS last_at FROM audit_events
      WHERE actor_subject IN (?) AND occurred_at <= ? AND action NOT IN (?) GROUP BY ${exactly('actor_subject')}`,
    [subjects, to, unverifiedActions],
  )) as Array<{ actor_subject: string; last_at: Date }>;
  return new Map(rows.map((r) => [r.actor_subject, new Date(r.last_at)]));
}
