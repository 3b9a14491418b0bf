import type { EntityManager } from 'typeorm';

/**
 * How many events the tenant's audit trail holds, over both tables: the hash chain
 * (`audit_events`) and the outbox the relay has not moved yet (`audit_outbox`). One statement, one
 * snapshot: an event the relay moves meanwhile is counted once. The chain is append-only and
 * numbered 1, 2, 3… without gaps (the relay assigns `seq` under the chain lock), so its last `seq`
 * is its size, read from the primary key's end; counting its rows instead read a whole index of a
 * trail of millions on every tenantUsage. The outbox holds only what the relay has not moved yet.
 */

/** Seconds since the epoch of a DATETIME, independent of the session's time zone. */
const epochSeconds = (column: string) => `TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', ${column})`;

/** The reads the audit trail records: dataset content, model downloads, exports. */
const dataReadActions = `(action LIKE '%.read' OR action LIKE '%.download' OR action LIKE '%.export')`;

export async function countEvents(manager: EntityManager): Promise<number> {
  const rows = (await manager.query('SELECT COALESCE((SELECT MAX(seq) FROM audit_events), 0) + (SELECT COUNT(*) FROM audit_outbox) AS n')) as Array<{ n: number | string }>;
  return Number(rows[0]?.n ?? 0);
}

/** Data reads per slot of `bucketSeconds` in [from, to), slots without reads left out. */
export async function countDataReadsPerSlot(manager: EntityManager, from: Date, to: Date, bucketSeconds: number): Promise<Array<{ start: string; reads: number }>> {
  const rows = (await manager.query(
    `SELECT FLOOR(${epochSeconds('occurred_at')} / ?) AS slot, COUNT(*) AS read_count FROM (
       SELECT occurred_at FROM audit_events WHERE occurred_at >= ? AND occurred_at < ? AND ${dataReadActions}
       UNION ALL
       SELECT occurred_at FROM audit_outbox WHERE occurred_at >= ? AND occurred_at < ? AND ${dataReadActions}
     ) e GROUP BY slot ORDER BY slot`,
    [bucketSeconds, from, to, from, to],
  )) as Array<{ slot: number | string; read_count: number | string }>;
  return rows.map((row) => ({ start: new Date(Number(row.slot) * bucketSeconds * 1000).toISOString(), reads: Number(row.read_count) }));
}

/**
 * When the first recorded data read happened (ISO-8601), or null. The detector asks every pass
 * until the tenant's first read, so a trail of millions of events without one must stay cheap: the
 * chain is asked for each action's first time (`GROUP BY action` over `ix_audit_events_action`, a
 * loose index scan: a few index lookups per distinct action), and only those actions are matched
 * against the read suffixes, which no index can serve. Matching every event instead read the
 * whole index each time. The outbox holds only what the relay has not moved yet.
 */
export async function firstDataReadAt(manager: EntityManager): Promise<string | null> {
  const rows = (await manager.query(
    `SELECT ${epochSeconds(`LEAST(COALESCE((SELECT MIN(first_at) FROM (SELECT action, MIN(occurred_at) AS first_at FROM audit_events GROUP BY action) per_action WHERE ${dataReadActions}), '9999-12-31'),
                                   COALESCE((SELECT MIN(occurred_at) FROM audit_outbox WHERE ${dataReadActions}), '9999-12-31'))`)} AS s`,
  )) as Array<{ s: number | string | null }>;
  const first = rows[0]?.s === null || rows[0]?.s === undefined ? null : new Date(Number(rows[0].s) * 1000);
  return first && first.getUTCFullYear() < 9999 ? first.toISOString() : null;
}
