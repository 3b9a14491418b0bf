import { notFoundAcrossTenants } from '@tessera/audit-client';
import type { TesseraError } from '@tessera/errors';
import type { TenantScope } from '@tessera/tenancy';

export type JobTargetType = 'Job' | 'DatasetVersion' | 'ModelVersion' | 'ModelAlias' | 'Model';

/**
 * The one place this subgraph builds NOT_FOUND for a lookup that missed: another tenant's id and
 * an id that never existed get the same answer (and a cross-tenant attempt is recorded).
 */
export function jobNotFound(scope: TenantScope, targetType: JobTargetType, handle: string): Promise<TesseraError> {
  return notFoundAcrossTenants(scope, targetType, handle);
}
