import type { EntityManager } from 'typeorm';
import type { TenantRowQuestion } from '@tessera/tenancy';
import { usageTables } from './usage-tables';

/**
 * Starts (or moves to `at`) the tenant's stored-bytes clock, in the caller's transaction: called
 * where the tenant's stored bytes go from none to some. Until then the tenant held nothing, so
 * nothing was owed for the time since the clock last moved, and the sampler can leave tenants
 * that hold nothing alone: the first bytes they store restart their clock here, and are billed
 * from this instant on. Never moves a clock backwards (a sample may have run just before).
 */
export async function startStoredBytesClock(manager: EntityManager, tenantId: string, at: Date): Promise<void> {
  await manager.query(
    `INSERT INTO ${usageTables(tenantId).samples} (meter, sampled_at) VALUES ('storedByteHours', ?)
     ON DUPLICATE KEY UPDATE sampled_at = GREATEST(sampled_at, VALUES(sampled_at))`,
    [at],
  );
}

/** Asked of many tenants at once: does the tenant hold stored bytes (so byte-hours accrue)? */
export const holdsStoredBytesQuestion: TenantRowQuestion = { from: (schema) => `${schema}.quota_usage WHERE quota = 'storageBytes' AND used > 0` };
