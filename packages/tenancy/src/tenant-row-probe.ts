import type { DataSource } from 'typeorm';
import { tenantsByDatabase } from './tenant-databases';
import { quoteIdentifier, tenantSchemaName } from './tenant-id';

/**
 * One question asked of each tenant's schema: "is there a row here?". `from` is what follows
 * FROM in a SELECT that may find rows (a table, optionally with WHERE), written against the
 * tenant's quoted schema name; `params` bind its placeholders. A tenant counts as found when any
 * of its questions finds a row.
 */
export interface TenantRowQuestion {
  from: (schema: string) => string;
  params?: readonly unknown[];
}

export interface TenantRowProbeResult {
  /** Tenants for which some question found a row. */
  found: Set<string>;
  /** Tenants whose schema could not be asked (e.g. dropped or missing a table meanwhile), with why. */
  failed: Map<string, Error>;
}

/** Tenants asked per statement: a few kilobytes of SQL, well below any packet limit. */
const defaultBatchSize = 100;

/**
 * Which of `tenantIds` have a row matching one of `questions`, asking many tenants per statement:
 * a UNION ALL of one `SELECT <index> … LIMIT 1` per tenant and question, each reading only its
 * own tenant's schema and returning only the tenant's position in the batch — never a column of
 * any tenant's data — so nothing of one tenant reaches another's answer. Background sweeps use it
 * to visit only the tenants that have work, instead of running their per-tenant statements for
 * every tenant. A statement that fails (one schema dropped or not migrated yet) is asked again
 * in halves, so one broken schema costs a few more statements and only its own answer. Each
 * database server (REGION_DATABASES) is asked about the tenants whose schemas it holds.
 */
export async function probeTenantRows(
  db: DataSource,
  tenantIds: readonly string[],
  questions: readonly TenantRowQuestion[],
  options: { batchSize?: number } = {},
): Promise<TenantRowProbeResult> {
  const result: TenantRowProbeResult = { found: new Set(), failed: new Map() };
  const batchSize = Math.max(1, options.batchSize ?? defaultBatchSize);
  for (const group of await tenantsByDatabase(db, tenantIds)) {
    for (let start = 0; start < group.tenantIds.length; start += batchSize) {
      await probeOrSplit(group.db, group.tenantIds.slice(start, start + batchSize), questions, result);
    }
  }
  return result;
}

/** Asks `tenantIds` in one statement; if it fails, asks each half, down to the tenant that fails alone. */
async function probeOrSplit(db: DataSource, tenantIds: readonly string[], questions: readonly TenantRowQuestion[], result: TenantRowProbeResult): Promise<void> {
  try {
    for (const index of await probeBatch(db, tenantIds, questions)) result.found.add(tenantIds[index]!);
  } catch (error) {
    if (tenantIds.length === 1) {
      result.failed.set(tenantIds[0]!, error instanceof Error ? error : new Error(String(error)));
      return;
    }
    const half = Math.ceil(tenantIds.length / 2);
    await probeOrSplit(db, tenantIds.slice(0, half), questions, result);
    await probeOrSplit(db, tenantIds.slice(half), questions, result);
  }
}

/** The positions (in `tenantIds`) of the tenants with a row. */
async function probeBatch(db: DataSource, tenantIds: readonly string[], questions: readonly TenantRowQuestion[]): Promise<Set<number>> {
  const parts: string[] = [];
  const params: unknown[] = [];
  tenantIds.forEach((tenantId, index) => {
    // The schema name is built from a validated tenant id, never from input: safe to inline.
    const schema = quoteIdentifier(tenantSchemaName(tenantId));
    for (const question of questions) {
      parts.push(`(SELECT ${index} AS probe_index FROM ${question.from(schema)} LIMIT 1)`);
      params.push(...(question.params ?? []));
    }
  });
  if (parts.length === 0) return new Set();
  const rows = (await db.query(parts.join(' UNION ALL '), params)) as Array<{ probe_index: number | string }>;
  return new Set(rows.map((row) => Number(row.probe_index)));
}
