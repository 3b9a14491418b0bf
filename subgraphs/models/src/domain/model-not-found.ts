import { notFoundAcrossTenants, recordCrossTenantAttempt } from '@tessera/audit-client';
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

/**
 * NOT_FOUND for a handle made of a model id and a version or alias (`predict` by `modelId`): the
 * same answer as for a model that never existed ("ModelVersion <id>@1"), and the model id is
 * recorded as a cross-tenant attempt when another tenant owns it, as `model(id)` records it.
 * Without it, probing another tenant's model ids through predict (the query or POST /v1/predict)
 * left no trace and never raised the CROSS_TENANT_ATTEMPT alert.
 */
export async function modelHandleNotFound(scope: TenantScope, targetType: ModelTargetType, modelId: string, handle: string): Promise<TesseraError> {
  if (uuid.test(modelId)) await recordCrossTenantAttempt(scope, 'Model', modelId);
  return errors.notFound(targetType, handle);
}
