import type { EntityManager } from 'typeorm';
import { quoteIdentifier, tenantSchemaName } from '@tessera/tenancy';

/** The job states that hold a place under `maxQueuedJobs`: accepted and not finished. */
export const unfinishedJobStatuses = ['QUEUED', 'RUNNING'] as const;

/**
 * The tenant's unfinished jobs (queued + running), the number `maxQueuedJobs` limits: the jobs
 * service checks each submit against it (under its submit guard lock) and tenantUsage reports it,
 * so both count the same rows. The table is named with the tenant's schema, so any connection works.
 */
export async function countUnfinishedJobs(manager: EntityManager, tenantId: string): Promise<number> {
  const jobs = `${quoteIdentifier(tenantSchemaName(tenantId))}.jobs`;
  const placeholders = unfinishedJobStatuses.map(() => '?').join(', ');
  const rows = (await manager.query(`SELECT COUNT(*) AS n FROM ${jobs} WHERE status IN (${placeholders})`, [...unfinishedJobStatuses])) as Array<{ n: number | string }>;
  return Number(rows[0]?.n ?? 0);
}
