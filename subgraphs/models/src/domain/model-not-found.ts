import { notFoundAcrossTenants } from '@tessera/audit-client';
import { errors, type TesseraError } from '@tessera/errors';
import type { TenantScope } from '@tessera/tenancy';

export type ModelTargetType = 'Model' | 'ModelVersion' | 'ModelAlias' | 'ModelUpload';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The one place this subgraph builds NOT_FOUND for a lookup that missed. Another tenant's handle
 * and one that never existed get the same answer. For ids (which the control plane indexes by
 * owner, see recordResourceOwner), an id owned by another tenant is also recorded as a
 * cross-tenant attempt; names, aliases and version numbers are per-tenant words, not ids.
 */
export async function modelNotFound(scope: TenantScope, targetType: ModelTargetType, handle: string): Promise<TesseraError> {
  if (uuid.test(handle)) return notFoundAcrossTenants(scope, targetType, handle);
  return errors.notFound(targetType, handle);
}
