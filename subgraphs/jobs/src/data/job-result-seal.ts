import { ColumnSealer, storedSealed, type SealedColumnSpec, type SealedOr } from '@tessera/service-kit';
import type { TenantScope } from '@tessera/tenancy';
import type { EntityManager } from 'typeorm';

/** `jobs.result_json`: sealed with the tenant's data key, bound to the job's row (see sealed-columns.ts). */
export const jobResultColumn: SealedColumnSpec = { table: 'jobs', idColumn: 'id', column: 'result_json', versionColumn: 'result_key_version', storage: 'json' };

export type JobResultValue = Record<string, unknown>;

const cellOf = (jobId: string) => ({ table: jobResultColumn.table, column: jobResultColumn.column, rowId: jobId });

/** What `finish` stores in `within`'s transaction: the sealed text for the JSON column and its key version (both null without a result). */
export async function sealJobResult(scope: TenantScope, within: EntityManager, jobId: string, result: JobResultValue | null): Promise<{ stored: string | null; keyVersion: number | null }> {
  if (!result) return { stored: null, keyVersion: null };
  const { sealed, keyVersion } = await ColumnSealer.forScope(scope).sealJson(result, cellOf(jobId), within);
  return { stored: storedSealed(jobResultColumn, sealed), keyVersion };
}

/** A job's result as stored (sealed, or clear from before sealing) → the value; CONFLICT if it is not this job's. */
export async function openJobResult(scope: TenantScope, jobId: string, stored: SealedOr<JobResultValue> | null): Promise<JobResultValue | null> {
  if (stored === null || stored === undefined) return null;
  return ColumnSealer.forScope(scope).openJson<JobResultValue>(stored, cellOf(jobId));
}
