import type { EntityManager } from 'typeorm';
import { attachChainDetails, type ChainDetailsStore } from '@tessera/audit-client';

export type ChainRow = Record<string, unknown>;

/** The period's events, and the chain's head when counted: an export covers the events up to it. */
export async function countAuditEventsInPeriod(manager: EntityManager, from: Date, to: Date): Promise<{ count: number; headSeq: number }> {
  const [row] = (await manager.query('SELECT (SELECT COUNT(*) FROM audit_events WHERE occurred_at >= ? AND occurred_at <= ?) AS n, (SELECT COALESCE(MAX(seq), 0) FROM audit_events) AS head', [from, to])) as Array<{ n: number | string; head: number | string }>;
  return { count: Number(row?.n ?? 0), headSeq: Number(row?.head ?? 0) };
}

/**
 * Every column of each event (hash-chain columns included), in chain order, a page at a time (the
 * events of the period after `afterSeq`, up to `maxSeq`); binary hashes as hex; details opened (an
 * export holds the plaintext the chain hashed, so it verifies without keys).
 */
export async function findAuditEventsInPeriod(manager: EntityManager, details: ChainDetailsStore, range: { from: Date; to: Date; afterSeq: number; maxSeq: number }, limit: number): Promise<ChainRow[]> {
  const rows = (await manager.query('SELECT * FROM audit_events WHERE occurred_at >= ? AND occurred_at <= ? AND seq > ? AND seq <= ? ORDER BY seq ASC LIMIT ?', [range.from, range.to, range.afterSeq, range.maxSeq, limit])) as ChainRow[];
  await attachChainDetails((sql, values) => manager.query(sql, values), details, rows);
  return rows.map((row) => {
    const out: ChainRow = {};
    for (const [column, value] of Object.entries(row)) {
      out[column] = Buffer.isBuffer(value) ? value.toString('hex') : value instanceof Date ? value.toISOString() : column === 'details_json' && typeof value === 'string' ? JSON.parse(value) : value;
    }
    out['seq'] = Number(out['seq']);
    return out;
  });
}

/**
 * The latest signed checkpoint whose head (`audit_checkpoints.seq`, tenant 0004) is at or after `seq`,
 * if the chain has one yet. The table exists in every tenant schema (0004), so no existence check.
 */
export async function findCheckpointCovering(manager: EntityManager, seq: number): Promise<ChainRow | null> {
  const rows = (await manager.query('SELECT * FROM audit_checkpoints WHERE seq >= ? ORDER BY seq DESC LIMIT 1', [seq])) as ChainRow[];
  const row = rows[0];
  if (!row) return null;
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString('hex') : v instanceof Date ? v.toISOString() : v]));
}
